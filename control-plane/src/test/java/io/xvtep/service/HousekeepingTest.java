package io.xvtep.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.datapath.Capacities;
import io.xvtep.datapath.FdbKey;
import io.xvtep.datapath.FdbValue;
import io.xvtep.datapath.XvtepConfig;
import io.xvtep.model.FdbType;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;
import io.xvtep.model.Vni;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reaper on real maps: a mass ageing larger than one removal chunk (the lock is taken a chunk at a
 * time) removes and announces every stale learned entry, keeps the fresh ones and the static ones, and
 * leaves the counts exact.
 */
class HousekeepingTest {

    static final IpAddress H2 = IpAddress.parse("198.18.0.12"), LOCAL4 = IpAddress.parse("198.18.0.1");

    ServicesOnMaps node;
    Vni vni;

    @BeforeEach
    void open() {
        node = new ServicesOnMaps(new Capacities(65_536, 1024, 16, 16));
        vni = node.vni(42);
    }

    @AfterEach
    void close() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void underlayChangeFollowsTheDevicesMac() {
        // lo (ifindex 1) as the underlay: its MAC is all-zero, so a stale one in xvtep_config is rewritten to it
        Mac stale = Mac.parse("02:aa:00:00:00:01");
        node.dp.config().set(new XvtepConfig(1, LOCAL4, null, stale, XvtepConfig.F_NO_XDP_REDIRECT));
        node.services.housekeeping().underlayChanged();
        XvtepConfig now = node.dp.config().get().orElseThrow();
        assertThat(now.underlayMac()).isEqualTo(io.xvtep.host.Interfaces.mac("lo")).isNotEqualTo(stale);
        assertThat(now.flags()).isEqualTo(XvtepConfig.F_NO_XDP_REDIRECT);
        assertThat(now.localIp()).isEqualTo(LOCAL4);
    }

    @Test
    void massAgeingRemovesEveryStaleEntryAcrossChunks() {
        int stale = 10_000, fresh = 500; // stale spans three removal chunks
        long now = System.nanoTime(); // CLOCK_MONOTONIC, the datapath's bpf_ktime_get_ns
        long old = now - 3_600_000_000_000L; // an hour ago: beyond the default ageing (300 s)
        Map<FdbKey, FdbValue> learned = new HashMap<>();
        for (int i = 0; i < stale + fresh; i++) {
            learned.put(new FdbKey(vni.value(), FdbCountsTest.mac(i)), new FdbValue(H2, 0, 0, i < stale ? old : now));
        }
        node.dp.fdb().putBatch(learned);
        node.services.fdb().bulk(vni, FdbCountsTest.specs(stale + fresh, stale + fresh + 100, H2));
        AtomicInteger announced = new AtomicInteger();
        node.services.addListener(new VtepListener() {
            @Override
            public void fdbAged(VtepEvent ageout) {
                announced.incrementAndGet();
            }
        });

        int removed = node.services.housekeeping().reap();

        assertThat(removed).isEqualTo(stale);
        assertThat(announced).hasValue(stale);
        assertThat(node.dp.fdb().of(vni.value())).hasSize(fresh + 100);
        Map<FdbType, Long> counts = node.services.stats().occupancy().fdb();
        assertThat(counts.get(FdbType.STATIC)).isEqualTo(100);
        assertThat(counts.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(fresh + 100);
    }
}
