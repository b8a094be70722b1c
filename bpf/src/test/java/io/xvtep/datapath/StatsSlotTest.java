package io.xvtep.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.libbpf.Bpffs;
import io.xvtep.libbpf.Net;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.testkit.Unique;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Counter slots on real maps: the control plane gives each new VNI the lowest slot of xvtep_stats no VNI holds,
 * zeroed first (a deleted VNI's counts never show under the next one), keeps it across updates, reads the
 * counters through it, and Invariants finds (and repairs) a slot shared by two VNIs.
 */
class StatsSlotTest {

    static VniCfg cfg(int vni, int ttl) {
        return new VniCfg(vni, VniCfg.F_LEARNING, null, null, 4789, 0, 0, ttl, 0, 0, 0, 300, 0, 0);
    }

    /** What the datapath would have counted in `slot`: rx_packets = n on every CPU. */
    static void count(Datapath dp, int slot, long n) {
        byte[] v = new byte[VniStats.SIZE];
        ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).putLong(8 * VniStats.FIELDS.indexOf("rx_packets"), n);
        dp.map(MapNames.STATS).updatePerCpu(MapCodec.u32(slot), Collections.nCopies(Net.possibleCpus(), v),
                UpdateFlag.ANY);
    }

    @Test
    void slotsAreGivenZeroedKeptAndReused() {
        Path root = Path.of("/sys/fs/bpf", Unique.name("xvtep-slot"));
        try (Datapath dp = Datapath.open(root, new Capacities(65_536, 1024, 8, 16))) {
            assertThat(dp.map(MapNames.STATS).maxEntries()).as("slot 0 + one per VNI").isEqualTo(9);
            dp.createVni(cfg(42, 64), List.of());
            dp.createVni(cfg(43, 64), List.of());
            int s42 = dp.vnis().get(42).orElseThrow().statsSlot();
            assertThat(s42).isEqualTo(1);
            assertThat(dp.vnis().get(43).orElseThrow().statsSlot()).isEqualTo(2);

            count(dp, s42, 7);
            assertThat(dp.stats().get(42).orElseThrow().get("rx_packets")).isEqualTo(7L * Net.possibleCpus());
            assertThat(dp.stats().get(43).orElseThrow().get("rx_packets")).isZero();
            assertThat(dp.stats().all()).containsOnlyKeys(0, 42, 43);

            dp.vnis().update(cfg(42, 32));
            assertThat(dp.vnis().get(42).orElseThrow().statsSlot()).as("an update keeps the slot").isEqualTo(s42);
            assertThat(dp.vnis().get(42).orElseThrow().ttl()).isEqualTo(32);

            dp.deleteVni(42);
            assertThat(dp.stats().get(42)).isEmpty();
            dp.createVni(cfg(44, 64), List.of());
            assertThat(dp.vnis().get(44).orElseThrow().statsSlot()).as("the lowest free slot").isEqualTo(s42);
            assertThat(dp.stats().get(44)).as("zeroed before reuse").contains(VniStats.ZERO);
            assertThat(new Invariants(dp::map).check()).isEmpty();

            // a VNI written behind the control plane's back into another VNI's slot
            byte[] k = MapCodec.u32(43);
            dp.map(MapNames.VNIS).update(k, dp.vnis().get(43).orElseThrow().withStatsSlot(s42).encode(), UpdateFlag.EXIST);
            assertThat(new Invariants(dp::map).check()).containsExactly("VNI 44: counter slot 1 also another VNI's");
            new Invariants(dp::map).repair();
            assertThat(new Invariants(dp::map).check()).isEmpty();
            assertThat(dp.vnis().get(43).orElseThrow().statsSlot()).isEqualTo(s42);
            assertThat(dp.vnis().get(44).orElseThrow().statsSlot()).as("moved to a free slot").isNotEqualTo(s42).isBetween(2, 8);
        } finally {
            Bpffs.removeTree(root);
        }
    }
}
