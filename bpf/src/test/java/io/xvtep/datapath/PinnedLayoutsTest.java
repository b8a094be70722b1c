package io.xvtep.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.Bpffs;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;
import io.xvtep.testkit.Command;
import io.xvtep.testkit.Unique;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * An agent upgraded over the pins of an older xvtep: a counter map of the old vni_stats layout
 * (26 counters, before the per-reason arrays grew) is replaced, every other map is reused;
 * a counter map of today's layout is reused as it is.
 */
class PinnedLayoutsTest {

    @Test
    void staleStatsMapIsReplacedAndForwardingStateKept() throws Exception {
        Path root = Path.of("/sys/fs/bpf", Unique.name("xvtep-pl"));
        FdbKey key = new FdbKey(42, Mac.parse("02:00:00:00:00:42"));
        FdbValue value = new FdbValue(IpAddress.parse("198.18.0.2"), 0, FdbValue.F_STATIC, 1);
        try {
            int statsId;
            try (Datapath dp = Datapath.open(root)) {
                dp.createVni(new VniCfg(42, 0, null, null, 4789, 0, 0, 64, 0, 0, 0, 300, 0, 0),
                        java.util.List.of());
                dp.fdb().put(key, value);
                statsId = dp.map(MapNames.STATS).id();
            }
            try (Datapath dp = Datapath.open(root)) {
                assertThat(dp.map(MapNames.STATS).id()).as("same layout: reused").isEqualTo(statsId);
            }

            Path stats = root.resolve(MapNames.STATS);
            Files.delete(stats);
            Command.of("bpftool", "map", "create", stats.toString(), "type", "percpu_hash", "key", "4",
                    "value", Integer.toString(8 * 26), "entries", Integer.toString(Abi.MAX_VNIS + 1),
                    "name", MapNames.STATS).check();

            try (Datapath dp = Datapath.open(root)) {
                assertThat(dp.map(MapNames.STATS).valueSize()).isEqualTo(VniStats.SIZE);
                assertThat(dp.stats().get(0)).contains(VniStats.ZERO);
                assertThat(dp.map(MapNames.FDB).lookup(key.encode()).map(FdbValue::decode)).contains(value);
            }
        } finally {
            Bpffs.removeTree(root);
        }
    }

    /**
     * A forwarding map of another version's layout (here an FDB whose value is 20 bytes, as before the 16-byte
     * underlay addresses) cannot be carried over: the start is refused before anything changes, the message says
     * what to run, and doing it (cleanup) lets this version start.
     */
    @Test
    void foreignLayoutIsRefusedWithWhatToRunAndNothingChanged() throws Exception {
        Path root = Path.of("/sys/fs/bpf", Unique.name("xvtep-pl"));
        try {
            try (Datapath dp = Datapath.open(root)) {
                dp.createVni(new VniCfg(42, 0, null, null, 4789, 0, 0, 64, 0, 0, 0, 300, 0, 0), java.util.List.of());
            }
            Path fdb = root.resolve(MapNames.FDB), stats = root.resolve(MapNames.STATS);
            Files.delete(fdb);
            Command.of("bpftool", "map", "create", fdb.toString(), "type", "hash", "key", "12", "value", "20",
                    "entries", "1024", "name", MapNames.FDB).check();
            int fdbId, statsId;
            try (BpfMap a = BpfMap.openPinned(fdb); BpfMap b = BpfMap.openPinned(stats)) {
                fdbId = a.id();
                statsId = b.id();
            }
            assertThatThrownBy(() -> Datapath.open(root)).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("pinned map " + fdb + " was made by another xvtep version (type 1, key 12 B, "
                            + "value 20 B; this version: type 1, key 12 B, value ")
                    .hasMessageContaining("nothing was changed. To start this version, stop the old agent and run "
                            + "`xvtep agent --cleanup --pin-root " + root + " --underlay <underlay device>`");
            try (BpfMap a = BpfMap.openPinned(fdb); BpfMap b = BpfMap.openPinned(stats)) {
                assertThat(a.id()).as("the old FDB pin is left as it was").isEqualTo(fdbId);
                assertThat(b.id()).as("so are the counters").isEqualTo(statsId);
            }
            assertThat(root.resolve(MapNames.VNIS)).exists();

            Datapath.cleanup(root, 0); // what the message says to run
            try (Datapath dp = Datapath.open(root)) {
                assertThat(dp.map(MapNames.FDB).valueSize()).isNotEqualTo(20);
            }
        } finally {
            Bpffs.removeTree(root);
        }
    }

    /** Pins of a version before the outer-header cache get one; a cache of another layout is replaced. */
    @Test
    void encapCacheAbsentOrOfAnotherLayoutIsCreatedAfresh() throws Exception {
        Path root = Path.of("/sys/fs/bpf", Unique.name("xvtep-pl"));
        Path cache = root.resolve(MapNames.ENCAP_CACHE);
        try {
            try (Datapath dp = Datapath.open(root)) {
                assertThat(Files.exists(cache)).isTrue();
            }
            Files.delete(cache); // as an older version left its pins
            try (Datapath dp = Datapath.open(root)) {
                assertThat(dp.map(MapNames.ENCAP_CACHE).keySize()).isEqualTo(EncapCacheKey.SIZE);
                assertThat(dp.encapCache().entries()).isEmpty();
            }
            Files.delete(cache);
            Command.of("bpftool", "map", "create", cache.toString(), "type", "lru_hash", "key", "20",
                    "value", "96", "entries", "4096", "name", "xvtep_old_cache").check();
            try (Datapath dp = Datapath.open(root)) {
                assertThat(dp.map(MapNames.ENCAP_CACHE).valueSize()).isEqualTo(EncapCacheEntry.SIZE);
                assertThat(dp.map(MapNames.ENCAP_CACHE).maxEntries()).isEqualTo(Abi.MAX_ENCAP_CACHE);
            }
        } finally {
            Bpffs.removeTree(root);
        }
    }
}
