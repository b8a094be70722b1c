package io.xvtep.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.libbpf.Bpffs;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;
import io.xvtep.testkit.Requires;
import io.xvtep.testkit.Unique;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Crash consistency (issue 11 item 6) on the real maps: each state a writer killed between two map writes
 * can leave is made by hand, {@link Invariants#check} names it, {@link Datapath#open} repairs it, and an
 * unfinished bulk FDB write is rolled back to exactly what was there before.
 */
class InvariantsTest {

    private Path root;

    @BeforeEach
    void setUp() {
        Requires.root();
        root = Path.of("/sys/fs/bpf", Unique.name("xvtep-inv"));
    }

    @AfterEach
    void tearDown() throws Exception {
        Bpffs.removeTree(root);
        Files.deleteIfExists(FdbJournal.pathFor(Datapath.STATE_DIR, root));
    }

    private static VniCfg vni(int vni, int dstport) {
        return new VniCfg(vni, 0, null, null, dstport, 0, 0, 64, 0, 0, 0, 300, 0, 0);
    }

    @Test
    void eachHalfDoneWriteIsNamedAndRepairedAtOpen() {
        IpAddress a = IpAddress.parse("198.18.0.2");
        IpAddress b = IpAddress.parse("198.18.0.3");
        FdbKey orphan = new FdbKey(99, Mac.parse("02:00:00:00:99:01"));
        FdbKey behindNonPort = new FdbKey(42, Mac.parse("02:00:00:00:42:01"));
        FdbKey good = new FdbKey(42, Mac.parse("02:00:00:00:42:02"));
        try (Datapath dp = Datapath.open(root)) {
            assertThat(dp.repairsAtOpen()).isEmpty();
            dp.createVni(vni(42, 4789), List.of(a, b));
            dp.createVni(vni(43, 8472), List.of());
            dp.fdb().put(good, new FdbValue(a, 0, FdbValue.F_STATIC, 1));
            assertThat(new Invariants(dp::map).check()).isEmpty();

            // a createVni killed after its vni_cfg, before its dstport reference; a stray reference
            dp.map(MapNames.DSTPORTS).update(MapCodec.u16(4789), MapCodec.u32(5), UpdateFlag.ANY);
            dp.map(MapNames.DSTPORTS).update(MapCodec.u16(9999), MapCodec.u32(1), UpdateFlag.ANY);
            // a flood remove killed after moving the last entry into the hole; an add killed before n_flood rose
            dp.map(MapNames.FLOOD).update(new VniIdxKey(42, 1).encode(), new FloodDst(a, 0).encode(), UpdateFlag.ANY);
            dp.map(MapNames.FLOOD).update(new VniIdxKey(42, 2).encode(), new FloodDst(b, 0).encode(), UpdateFlag.ANY);
            // a deleteVni killed midway: entries of a VNI that is gone
            dp.map(MapNames.FLOOD).update(new VniIdxKey(99, 0).encode(), new FloodDst(a, 0).encode(), UpdateFlag.ANY);
            dp.fdb().put(orphan, new FdbValue(a, 0, FdbValue.F_STATIC, 1));
            // a port attach killed after its port_cfg, before the list; a port removal before its FDB flush
            dp.map(MapNames.PORTS).update(MapCodec.u32(777_001), new PortCfg(43, 0).encode(), UpdateFlag.ANY);
            dp.fdb().put(behindNonPort, new FdbValue(null, 555_001, 0, 1));

            List<String> found = new Invariants(dp::map).check();
            assertThat(String.join("\n", found)).contains("dstport 4789: refcount 5, 1 VNI(s) use it")
                    .contains("dstport 9999: refcount 1, no VNI uses it")
                    .contains("VNI 42: flood destination 198.18.0.2 listed twice")
                    .contains("VNI 42: flood list slot 2 beyond its count 2")
                    .contains("1 flood slot of VNI 99, which does not exist")
                    .contains("1 FDB entry of VNI 99, which does not exist")
                    .contains("VNI 43: port ifindex 777001 is not in its port list")
                    .contains("1 FDB entry behind ifindex 555001, which is not a port of their VNI");
            assertThat(new Invariants(dp::map).check()).as("check changes nothing").isEqualTo(found);
        }
        try (Datapath dp = Datapath.open(root)) {
            assertThat(dp.repairsAtOpen()).isNotEmpty();
            assertThat(new Invariants(dp::map).check()).isEmpty();
            assertThat(dp.vnis().dstports()).isEqualTo(Map.of(4789, 1, 8472, 1));
            assertThat(dp.flood().of(42)).containsExactly(a);
            assertThat(dp.ports().of(43)).containsExactly(777_001);
            assertThat(dp.fdb().get(orphan)).isEmpty();
            assertThat(dp.fdb().get(behindNonPort)).isEmpty();
            assertThat(dp.fdb().get(good)).isPresent();
        }
        try (Datapath dp = Datapath.open(root)) {
            assertThat(dp.repairsAtOpen()).as("repaired once").isEmpty();
        }
    }

    @Test
    void anUnfinishedBulkWriteIsRolledBack() {
        FdbKey kept = new FdbKey(42, Mac.parse("02:00:00:00:42:01"));
        FdbKey overwritten = new FdbKey(42, Mac.parse("02:00:00:00:42:02"));
        FdbKey added = new FdbKey(42, Mac.parse("02:00:00:00:42:03"));
        FdbValue before = new FdbValue(IpAddress.parse("198.18.0.2"), 0, FdbValue.F_STATIC, 1);
        FdbValue bulk = new FdbValue(IpAddress.parse("198.18.0.9"), 0, FdbValue.F_STATIC, 2);
        try (Datapath dp = Datapath.open(root)) {
            dp.createVni(vni(42, 4789), List.of());
            dp.fdb().put(kept, before);
            dp.fdb().put(overwritten, before);
            Map<FdbKey, FdbValue> batch = new LinkedHashMap<>(Map.of(overwritten, bulk, added, bulk));
            // killed after the batch went in, before the log was removed (the client never heard back)
            new FdbJournal(FdbJournal.pathFor(Datapath.STATE_DIR, root)).begin(Map.of(overwritten, before), List.of(added));
            dp.fdb().putBatch(batch);
            assertThat(Datapath.unfinishedBulk(root)).isTrue();
            assertThat(String.join("\n", new Invariants(dp::map).check())).isEmpty(); // the maps alone look fine
        }
        try (Datapath dp = Datapath.open(root)) {
            assertThat(dp.repairsAtOpen()).anyMatch(r -> r.contains("rolled back (2 keys"));
            assertThat(dp.fdb().get(kept)).contains(before);
            assertThat(dp.fdb().get(overwritten)).contains(before);
            assertThat(dp.fdb().get(added)).isEmpty();
            assertThat(Datapath.unfinishedBulk(root)).isFalse();
            // and the normal way: all in, log gone
            dp.fdb().putBatchAllOrNothing(Map.of(added, bulk), Map.of(), List.of(added));
            assertThat(dp.fdb().get(added)).contains(bulk);
            assertThat(Datapath.unfinishedBulk(root)).isFalse();
        }
    }
}
