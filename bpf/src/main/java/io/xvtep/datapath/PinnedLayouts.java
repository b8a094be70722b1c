package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;

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
 */
final class PinnedLayouts {
    private PinnedLayouts() {
    }

    /** Unpins {@code pinRoot}/xvtep_stats if its value is not today's struct vni_stats; true if it did. */
    static boolean unpinStaleStats(Path pinRoot) {
        Path pin = pinRoot.resolve(MapNames.STATS);
        if (!Files.exists(pin)) {
            return false;
        }
        int valueSize;
        try (BpfMap m = BpfMap.openPinned(pin)) {
            valueSize = m.valueSize();
        }
        if (valueSize == VniStats.SIZE) {
            return false;
        }
        try {
            Files.delete(pin); // programs still attached keep the old map until they are replaced
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
