package io.xvtep.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.Bpffs;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;
import io.xvtep.testkit.Unique;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/**
 * Table sizes chosen at start: an agent restarted with other capacities gets maps of the new sizes
 * holding every entry the old ones held (FDB, neighbours, VNIs, flood lists, counters, learning
 * budgets), byte for byte; a size too small for what the tables hold is refused and changes nothing.
 */
class CapacityChangeTest {
    static final Capacities SMALL = new Capacities(50_000, 2_048, 64, 32);
    static final Capacities LARGE = new Capacities(120_000, 8_192, 256, 128);
    static final int FDB_N = 40_000;

    /** Every map's contents as hex key -> hex value (per-CPU values summed per byte position are not needed: raw). */
    static Map<String, Map<String, String>> contents(Datapath dp) {
        Map<String, Map<String, String>> all = new TreeMap<>();
        for (String name : SMALL.mapSizes().keySet()) {
            BpfMap m = dp.map(name);
            Map<String, String> entries = new TreeMap<>();
            for (byte[] k : m.keys()) {
                String v = m.isPerCpu() ? m.lookupPerCpu(k).stream().map(HexFormat.of()::formatHex).toList().toString()
                        : m.lookup(k).map(HexFormat.of()::formatHex).orElse("gone");
                if (m.type() == BpfMap.BPF_MAP_TYPE_PERCPU_ARRAY && v.matches("[\\[\\]0, ]*")) {
                    continue; // an array has every slot: the unused ones (all zero) are not contents
                }
                entries.put(HexFormat.of().formatHex(k), v);
            }
            all.put(name, entries);
        }
        return all;
    }

    static Map<String, Integer> sizes(Datapath dp) {
        Map<String, Integer> s = new TreeMap<>();
        SMALL.mapSizes().keySet().forEach(n -> s.put(n, dp.map(n).maxEntries()));
        return s;
    }

    @Test
    void restartWithOtherCapacitiesKeepsEveryEntry() throws Exception {
        Path root = Path.of("/sys/fs/bpf", Unique.name("xvtep-cap"));
        try {
            Map<String, Map<String, String>> before;
            try (Datapath dp = Datapath.open(root, SMALL)) {
                assertThat(sizes(dp)).containsExactlyInAnyOrderEntriesOf(SMALL.mapSizes());
                for (int vni = 1; vni <= 40; vni++) {
                    dp.createVni(new VniCfg(vni, VniCfg.F_LEARNING, null, null, 4789, 0, 0, 64, 0, 0, 0, 300, 0, 0),
                            List.of(IpAddress.parse("198.18.0." + (vni + 1)), IpAddress.parse("198.18.1." + (vni + 1))));
                }
                Map<FdbKey, FdbValue> fdb = new java.util.HashMap<>();
                for (int i = 0; i < FDB_N; i++) {
                    fdb.put(new FdbKey(1 + i % 40, Mac.parse(String.format("02:00:%02x:%02x:%02x:01", i >> 16, (i >> 8) & 0xff, i & 0xff))),
                            new FdbValue(IpAddress.parse("198.18.0.2"), 0, FdbValue.F_STATIC, i));
                }
                assertThat(dp.fdb().putBatch(fdb)).isEqualTo(FDB_N);
                for (int i = 0; i < 1_000; i++) {
                    dp.neigh().put(7, IpAddress.parse("10.20." + (i >> 8) + "." + (i & 0xff)), Mac.parse("02:00:00:00:00:07"));
                }
                dp.learnBudgets().setMax(LearnBudgets.Key.vni(7), 123);
                before = contents(dp);
            }
            assertThat(before.get(MapNames.FDB)).hasSize(FDB_N);

            long t0 = System.nanoTime();
            try (Datapath dp = Datapath.open(root, LARGE)) {
                System.out.printf("capacity change: %d FDB entries and the other tables carried over in %d ms%n",
                        FDB_N, (System.nanoTime() - t0) / 1_000_000);
                assertThat(sizes(dp)).containsExactlyInAnyOrderEntriesOf(LARGE.mapSizes());
                Map<String, Map<String, String>> after = contents(dp);
                // the host's learning limit follows the FDB capacity; everything else is as it was
                String host = HexFormat.of().formatHex(LearnBudgets.Key.HOST.encodeKey().encode());
                assertThat(dp.learnBudgets().max(LearnBudgets.Key.HOST)).isEqualTo(LARGE.learnMaxHost());
                after.get(MapNames.LEARN_LIMIT).remove(host);
                before.get(MapNames.LEARN_LIMIT).remove(host);
                assertThat(after).isEqualTo(before);
                assertThat(dp.learnBudgets().max(LearnBudgets.Key.vni(7))).isEqualTo(123);
            }
            try (var pins = Files.list(root)) {
                assertThat(pins.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(PinnedResize.SUFFIX));
            }

            // smaller than what the FDB holds: refused, nothing moved
            Capacities tooSmall = new Capacities(FDB_N - 1, 8_192, 256, 128);
            assertThatThrownBy(() -> Datapath.open(root, tooSmall)).hasMessageContaining("xvtep_fdb holds " + FDB_N);
            try (Datapath dp = Datapath.open(root, LARGE)) {
                assertThat(dp.map(MapNames.FDB).keys()).hasSize(FDB_N);
            }
        } finally {
            Bpffs.removeTree(root);
        }
    }
}
