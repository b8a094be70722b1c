package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.BpfObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Pinned maps left by another xvtep version. libbpf refuses to reuse a pinned map whose
 * sizes differ from the object's, so an agent upgraded over its own pins would not start.
 * The counters are the one map whose value grows from version to version (a new drop
 * reason adds a slot to vni_stats.drop[]): a stats map of another layout is unpinned and
 * created afresh, so only the counters restart from zero; every forwarding map is reused.
 * The outer-header cache holds only what the FIB answers again on the next frame: one of another
 * layout or size is unpinned and created afresh too (a version without it simply gets one).
 * A forwarding map of another layout (the 16-byte underlay addresses of the IPv6 ABI change, say)
 * cannot be read by this version: the start is refused before anything changes, the message
 * saying what to run ({@link #requireReadable}).
 */
final class PinnedLayouts {
    private PinnedLayouts() {
    }

    /**
     * Refuses to go on when a map {@code obj} (opened, not loaded) would reuse is pinned under {@code pinRoot}
     * (as NAME, or NAME_resize left by a resize) with another type, key or value size than this version's:
     * libbpf would only say "parameter mismatch", and the entries could not be carried over. Nothing is changed.
     */
    static void requireReadable(Path pinRoot, BpfObject obj) {
        for (BpfMap want : obj.maps()) {
            if (want.name().equals(MapNames.STATS) || want.name().equals(MapNames.ENCAP_CACHE)) {
                continue; // re-created on a layout change (unpinStaleStats, unpinStaleEncapCache)
            }
            for (Path pin : new Path[] {pinRoot.resolve(want.name()), pinRoot.resolve(want.name() + PinnedResize.SUFFIX)}) {
                if (!Files.exists(pin)) {
                    continue;
                }
                try (BpfMap have = BpfMap.openPinned(pin)) {
                    if (have.type() != want.type() || have.keySize() != want.keySize()
                            || have.valueSize() != want.valueSize()) {
                        throw new IllegalStateException(staleMessage(pinRoot, pin, have, want));
                    }
                }
            }
        }
    }

    static String staleMessage(Path pinRoot, Path pin, BpfMap have, BpfMap want) {
        return "pinned map " + pin + " was made by another xvtep version (type " + have.type() + ", key "
                + have.keySize() + " B, value " + have.valueSize() + " B; this version: type " + want.type() + ", key "
                + want.keySize() + " B, value " + want.valueSize() + " B): its entries cannot be carried over, and "
                + "nothing was changed. To start this version, stop the old agent and run `xvtep agent --cleanup "
                + "--pin-root " + pinRoot + " --underlay <underlay device>` (detaches the old programs, removes only "
                + "xvtep_* pins; forwarding stops until the new agent runs), then start the agent and create its VNIs, "
                + "ports and FDB entries again (in cluster mode they come back from etcd); or keep running the version "
                + "that made these pins";
    }

    /**
     * Unpins {@code pinRoot}/xvtep_stats if it is not today's counter array (type and struct vni_stats: an older
     * version kept a per-CPU hash keyed by VNI); true if it did. Counters of another size are carried over
     * ({@link PinnedResize}); {@code want} is the map of the opened object.
     */
    static boolean unpinStaleStats(Path pinRoot, BpfMap want) {
        Path pin = pinRoot.resolve(MapNames.STATS);
        if (!Files.exists(pin)) {
            return false;
        }
        try (BpfMap m = BpfMap.openPinned(pin)) {
            if (m.valueSize() == VniStats.SIZE && m.type() == want.type() && m.keySize() == want.keySize()) {
                return false;
            }
        }
        try {
            Files.delete(pin); // programs still attached keep the old map until they are replaced
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Unpins {@code pinRoot}/xvtep_encap_cache unless it is today's (key, value, size); true if it did. */
    static boolean unpinStaleEncapCache(Path pinRoot) {
        Path pin = pinRoot.resolve(MapNames.ENCAP_CACHE);
        if (!Files.exists(pin)) {
            return false;
        }
        try (BpfMap m = BpfMap.openPinned(pin)) {
            if (m.keySize() == EncapCacheKey.SIZE && m.valueSize() == EncapCacheEntry.SIZE
                    && m.maxEntries() == Abi.MAX_ENCAP_CACHE) {
                return false;
            }
        }
        try {
            Files.delete(pin); // a cache: the next frame asks the FIB again
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
