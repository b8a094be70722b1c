package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.BpfObject;
import io.xvtep.libbpf.UpdateFlag;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Pinned maps whose size or flags differ from the object about to load (another --fdb-capacity, or a
 * version with other defaults): libbpf would refuse to reuse them, so their contents move to new maps.
 *
 * Before the load each such map is pinned again as NAME_resize and its NAME pin removed (a crash before the copy leaves it there, and
 * the next start copies from it); the load then creates NAME with today's size, and {@link #copyInto}
 * copies every entry across and removes the old pin. A map whose entries would not fit its new size is
 * refused before anything moves. Programs still attached use the old maps until they are re-attached:
 * what the datapath learns in between is learned again.
 */
final class PinnedResize {

    static final String SUFFIX = "_resize"; // bpffs refuses names with a dot
    /** The map types whose entries can be carried over one by one (xvtep's tables and counters). */
    private static final java.util.Set<Integer> HASHES = java.util.Set.of(BpfMap.BPF_MAP_TYPE_HASH,
            BpfMap.BPF_MAP_TYPE_PERCPU_HASH, BpfMap.BPF_MAP_TYPE_LRU_HASH);

    /** One map to carry over: its old pin, renamed. */
    record Move(String name, Path oldPin, int oldMax, int newMax, long entries) {
    }

    private final List<Move> moves;

    private PinnedResize(List<Move> moves) {
        this.moves = moves;
    }

    List<Move> moves() {
        return moves;
    }

    /**
     * Finds the pins under {@code pinRoot} that {@code obj} (opened, not loaded) could not reuse because
     * of their max_entries or flags, checks their contents fit, and renames them out of libbpf's way.
     */
    static PinnedResize prepare(Path pinRoot, BpfObject obj) {
        List<Move> moves = new ArrayList<>();
        List<String> renames = new ArrayList<>();
        for (BpfMap want : obj.maps()) {
            Path pin = pinRoot.resolve(want.name());
            Path old = pinRoot.resolve(want.name() + SUFFIX);
            Path from = Files.exists(old) ? old : Files.exists(pin) ? pin : null; // an earlier start's leftover first
            if (from == null) {
                continue;
            }
            try (BpfMap have = BpfMap.openPinned(from)) {
                if (!HASHES.contains(have.type()) || have.type() != want.type() || have.keySize() != want.keySize()
                        || have.valueSize() != want.valueSize()) {
                    continue; // another layout: not ours to convert (PinnedLayouts, or libbpf's refusal)
                }
                if (from == pin && have.maxEntries() == want.maxEntries() && have.flags() == want.flags()) {
                    continue;
                }
                long n = have.keys().size();
                if (n > want.maxEntries()) {
                    throw new IllegalStateException(want.name() + " holds " + n + " entries: more than the "
                            + want.maxEntries() + " asked for; start with a capacity of at least " + n);
                }
                moves.add(new Move(want.name(), old, have.maxEntries(), want.maxEntries(), n));
                if (from == pin) {
                    renames.add(want.name());
                }
            }
        }
        // bpffs does not rename: pin the map under its second name, then drop the first
        for (String name : renames) {
            try (BpfMap m = BpfMap.openPinned(pinRoot.resolve(name))) {
                m.pin(pinRoot.resolve(name + SUFFIX));
                Files.delete(pinRoot.resolve(name));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new PinnedResize(moves);
    }

    /** Copies every entry of the renamed pins into {@code obj}'s (loaded) maps, then removes the old pins. */
    void copyInto(BpfObject obj) {
        for (Move m : moves) {
            BpfMap to = obj.map(m.name());
            try (BpfMap from = BpfMap.openPinned(m.oldPin())) {
                if (from.isPerCpu()) {
                    for (byte[] k : from.keys()) {
                        List<byte[]> v = from.lookupPerCpu(k);
                        if (!v.isEmpty()) {
                            to.updatePerCpu(k, v, UpdateFlag.ANY);
                        }
                    }
                } else {
                    List<byte[]> keys = new ArrayList<>(), values = new ArrayList<>();
                    for (BpfMap.Entry e : from.entries()) {
                        keys.add(e.key());
                        values.add(e.value());
                        if (keys.size() == 4096) {
                            to.updateBatch(keys, values, UpdateFlag.ANY);
                            keys.clear();
                            values.clear();
                        }
                    }
                    if (!keys.isEmpty()) {
                        to.updateBatch(keys, values, UpdateFlag.ANY);
                    }
                }
            }
            try {
                Files.delete(m.oldPin());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
