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
 * copies every entry across. A map whose entries would not fit its new size is refused before anything moves.
 *
 * <p>The programs still attached keep writing the old maps until the agent has re-attached every one of them
 * (underlay, then each port): learns, moves and counters of that window would be lost with the old maps. So
 * the old pins stay until {@link #catchUp}, called once nothing runs the old programs any more: FDB entries
 * the old programs learned or moved since the copy began (their updated_ns says when) are carried over unless
 * the new map has a newer entry for the MAC or an operator's/cluster's; counters (xvtep_stats,
 * xvtep_learn_count: u64s only) get what the old maps counted since the copy. Then the old pins go. A crash
 * before that leaves NAME_resize next to NAME: the next start merges it the same way (nothing newer is
 * overwritten) instead of copying it over.
 */
final class PinnedResize {

    static final String SUFFIX = "_resize"; // bpffs refuses names with a dot
    /** The map types whose entries can be carried over one by one (xvtep's tables and counters). */
    private static final java.util.Set<Integer> HASHES = java.util.Set.of(BpfMap.BPF_MAP_TYPE_HASH,
            BpfMap.BPF_MAP_TYPE_PERCPU_HASH, BpfMap.BPF_MAP_TYPE_LRU_HASH, BpfMap.BPF_MAP_TYPE_PERCPU_ARRAY);

    /** One map to carry over: its old pin, renamed; {@code merge}: NAME exists already (a crash's leftover). */
    record Move(String name, Path oldPin, int oldMax, int newMax, long entries, boolean merge) {
    }

    /** Maps of u64 counters only, written by the datapath: the window's increments are added. */
    private static final java.util.Set<String> COUNTERS = java.util.Set.of(MapNames.STATS, MapNames.LEARN_COUNT);

    private final List<Move> moves;
    /** CLOCK_MONOTONIC (as bpf_ktime_get_ns) when the copy began: FDB entries updated since are the window's. */
    private long copiedAtNs;
    /** The counter maps' values as copied (key bytes -> raw value). */
    private final java.util.Map<String, java.util.Map<java.nio.ByteBuffer, byte[]>> copiedCounters = new java.util.HashMap<>();

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
                boolean array = have.type() == BpfMap.BPF_MAP_TYPE_PERCPU_ARRAY; // the counters: slots past the end go
                long n = array ? Math.min(have.maxEntries(), want.maxEntries()) : have.keys().size();
                if (n > want.maxEntries()) {
                    throw new IllegalStateException(want.name() + " holds " + n + " entries: more than the "
                            + want.maxEntries() + " asked for; start with a capacity of at least " + n);
                }
                moves.add(new Move(want.name(), old, have.maxEntries(), want.maxEntries(), n,
                        from == old && Files.exists(pin)));
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

    /**
     * Copies every entry of the renamed pins into {@code obj}'s (loaded) maps; the old pins stay for
     * {@link #catchUp}. A leftover of a crash is merged instead ({@link #catchUp}'s rules, from the start).
     */
    void copyInto(BpfObject obj) {
        copiedAtNs = System.nanoTime(); // CLOCK_MONOTONIC on Linux, the clock of bpf_ktime_get_ns
        for (Move m : moves) {
            BpfMap to = obj.map(m.name());
            try (BpfMap from = BpfMap.openPinned(m.oldPin())) {
                if (m.merge()) {
                    merge(m.name(), from, to, 0, false);
                    continue;
                }
                boolean counters = COUNTERS.contains(m.name());
                java.util.Map<java.nio.ByteBuffer, byte[]> copied = new java.util.HashMap<>();
                List<byte[]> keys = new ArrayList<>(), values = new ArrayList<>();
                for (BpfMap.Entry e : from.entries()) { // per-CPU maps: raw values, every CPU's
                    if (pastEnd(to, e.key())) {
                        continue;
                    }
                    keys.add(e.key());
                    values.add(e.value());
                    if (counters) {
                        copied.put(java.nio.ByteBuffer.wrap(e.key()), e.value());
                    }
                    if (keys.size() == 4096) {
                        to.updateBatch(keys, values, UpdateFlag.ANY);
                        keys.clear();
                        values.clear();
                    }
                }
                if (!keys.isEmpty()) {
                    to.updateBatch(keys, values, UpdateFlag.ANY);
                }
                if (counters) {
                    copiedCounters.put(m.name(), copied);
                }
            }
        }
    }

    /**
     * Once no program of the old object runs (all re-attached): what the old maps got since the copy goes
     * into the new ones, then the old pins are removed.
     *
     * @return how many entries were carried over or added to, per map (for the agent's log)
     */
    java.util.Map<String, Integer> catchUp(BpfObject obj) {
        java.util.Map<String, Integer> done = new java.util.TreeMap<>();
        for (Move m : moves) {
            if (!m.merge() && Files.exists(m.oldPin())) {
                try (BpfMap from = BpfMap.openPinned(m.oldPin())) {
                    int n = merge(m.name(), from, obj.map(m.name()), copiedAtNs, true);
                    if (n > 0) {
                        done.put(m.name(), n);
                    }
                }
            }
        }
        for (Move m : moves) {
            try {
                Files.deleteIfExists(m.oldPin());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        moves.clear();
        copiedCounters.clear();
        return done;
    }

    /**
     * Carries into {@code to} what {@code from} has that {@code to} lacks: FDB entries updated since
     * {@code sinceNs} (learned or moved by the datapath; 0: all) that {@code to} lacks or holds an older learned
     * entry for (a static or cluster entry is never replaced); counters' increments since the copy
     * ({@code addCounters}); for other maps, keys {@code to} does not have.
     */
    private int merge(String name, BpfMap from, BpfMap to, long sinceNs, boolean addCounters) {
        List<byte[]> keys = new ArrayList<>(), values = new ArrayList<>();
        from.forEach(e -> {
            if (pastEnd(to, e.key())) {
                return;
            }
            if (name.equals(MapNames.FDB)) {
                if (FdbValue.decode(e.value()).updatedNs() >= sinceNs) {
                    keys.add(e.key());
                    values.add(e.value());
                }
            } else {
                keys.add(e.key());
                values.add(e.value());
            }
        });
        List<byte[]> now = to.lookupEach(keys);
        java.util.Map<java.nio.ByteBuffer, byte[]> copied = copiedCounters.getOrDefault(name, java.util.Map.of());
        List<byte[]> wk = new ArrayList<>(), wv = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            byte[] cur = now.get(i);
            byte[] old = values.get(i);
            if (name.equals(MapNames.FDB)) {
                if (cur != null) { // both hold the MAC: only a learn newer than the new map's, and never over a static one
                    FdbValue c = FdbValue.decode(cur), o = FdbValue.decode(old);
                    if (static_(c) || static_(o) || c.updatedNs() >= o.updatedNs()) {
                        continue;
                    }
                }
                wk.add(keys.get(i));
                wv.add(old);
            } else if (COUNTERS.contains(name) && addCounters) {
                byte[] base = copied.get(java.nio.ByteBuffer.wrap(keys.get(i)));
                byte[] sum = cur == null ? new byte[old.length] : cur.clone();
                java.nio.ByteBuffer o = java.nio.ByteBuffer.wrap(old).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                java.nio.ByteBuffer b = base == null ? null : java.nio.ByteBuffer.wrap(base).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                java.nio.ByteBuffer t = java.nio.ByteBuffer.wrap(sum).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                boolean changed = false;
                for (int off = 0; off + 8 <= old.length; off += 8) {
                    long delta = o.getLong(off) - (b == null ? 0 : b.getLong(off));
                    if (delta != 0) {
                        t.putLong(off, t.getLong(off) + delta);
                        changed = true;
                    }
                }
                if (changed) {
                    wk.add(keys.get(i));
                    wv.add(sum);
                }
            } else if (cur == null) {
                wk.add(keys.get(i));
                wv.add(old);
            }
        }
        for (int i = 0; i < wk.size(); i += 4096) {
            int j = Math.min(wk.size(), i + 4096);
            to.updateBatch(wk.subList(i, j), wv.subList(i, j), UpdateFlag.ANY);
        }
        return wk.size();
    }

    /** A slot of an array that the new (smaller) array does not have: no VNI holds it (at most max VNIs exist). */
    private static boolean pastEnd(BpfMap to, byte[] key) {
        return to.type() == BpfMap.BPF_MAP_TYPE_PERCPU_ARRAY && Integer.toUnsignedLong(MapCodec.u32(key)) >= to.maxEntries();
    }

    private static boolean static_(FdbValue v) {
        return (v.flags() & (FdbValue.F_STATIC | FdbValue.F_CLUSTER)) != 0;
    }
}
