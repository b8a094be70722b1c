package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** xvtep_fdb: MAC -> remote VTEP or local port per VNI (all-zero MACs live in {@link FloodTable}). */
public final class FdbTable {

    private final Object lock;
    private final BpfMap fdb;
    private final FdbJournal journal;

    FdbTable(Object lock, BpfMap fdb, FdbJournal journal) {
        this.lock = lock;
        this.fdb = fdb;
        this.journal = journal;
    }

    /**
     * {@link #putBatch} all or nothing, also across a kill -9 ({@link FdbJournal}): {@code previous} holds the
     * old values of the keys the batch overwrites, {@code added} the keys it creates. A refusal midway puts
     * them back before it is thrown.
     */
    public void putBatchAllOrNothing(Map<FdbKey, FdbValue> batch, Map<FdbKey, FdbValue> previous,
            Collection<FdbKey> added) {
        synchronized (lock) {
            journal.begin(previous, added);
            try {
                putBatch(batch);
            } catch (RuntimeException e) {
                try {
                    deleteBatch(added);
                    putBatch(previous);
                } catch (RuntimeException r) {
                    e.addSuppressed(r);
                    throw e; // the log stays: the next start puts the keys back
                }
                journal.commit();
                throw e;
            }
            journal.commit();
        }
    }

    /** Puts back what a bulk write killed midway changed; -1 when none was pending. */
    int rollbackUnfinished() {
        synchronized (lock) {
            return journal.rollback(fdb);
        }
    }

    boolean unfinishedBulk() {
        return journal.pending();
    }

    public int maxEntries() {
        return fdb.maxEntries();
    }

    public Optional<FdbValue> get(FdbKey k) {
        synchronized (lock) {
            return fdb.lookup(k.encode()).map(FdbValue::decode);
        }
    }

    /**
     * Entries of one VNI, or of all VNIs when {@code vni} is 0. Not under the lock: the kernel walks a
     * map while it changes, and a walk of a million entries must not stall every other table's users.
     */
    public Map<FdbKey, FdbValue> of(int vni) {
        Map<FdbKey, FdbValue> m = new LinkedHashMap<>();
        scan((k, v) -> {
            if (vni == 0 || k.vni() == vni) {
                m.put(k, v);
            }
        });
        return m;
    }

    /** Every entry handed to {@code visit}, a batch at a time (memory of one batch), not under the lock. */
    public void scan(java.util.function.BiConsumer<FdbKey, FdbValue> visit) {
        fdb.forEach(e -> visit.accept(FdbKey.decode(e.key()), FdbValue.decode(e.value())));
    }

    /** The entries of {@code keys} that exist ({@link BpfMap#lookupEach}: for writes far smaller than the table). */
    public Map<FdbKey, FdbValue> getAll(Collection<FdbKey> keys) {
        List<FdbKey> order = new ArrayList<>(keys);
        List<byte[]> raw = new ArrayList<>(order.size());
        for (FdbKey k : order) {
            raw.add(k.encode());
        }
        List<byte[]> values = fdb.lookupEach(raw);
        Map<FdbKey, FdbValue> m = new LinkedHashMap<>();
        for (int i = 0; i < order.size(); i++) {
            if (values.get(i) != null) {
                m.put(order.get(i), FdbValue.decode(values.get(i)));
            }
        }
        return m;
    }

    public void put(FdbKey k, FdbValue v) {
        synchronized (lock) {
            if (k.mac().isZero()) {
                throw new IllegalArgumentException("all-zero MAC entries belong in the flood list");
            }
            fdb.update(k.encode(), v.encode(), UpdateFlag.ANY);
        }
    }

    public boolean delete(FdbKey k) {
        synchronized (lock) {
            return fdb.delete(k.encode());
        }
    }

    /**
     * Deletes {@code k} only if it still holds {@code expected}, so that a reaper never
     * removes an entry the datapath refreshed after the reaper read it.
     */
    public boolean deleteIf(FdbKey k, FdbValue expected) {
        synchronized (lock) {
            Optional<FdbValue> cur = get(k);
            if (cur.isPresent() && cur.get().equals(expected)) {
                return fdb.delete(k.encode());
            }
            return false;
        }
    }

    /**
     * Writes many entries with one {@code bpf_map_update_batch} (BPF_ANY). All-zero MACs are
     * refused before anything is written.
     *
     * @return the number of entries written
     */
    public int putBatch(Map<FdbKey, FdbValue> entries) {
        List<byte[]> keys = new ArrayList<>(entries.size());
        List<byte[]> values = new ArrayList<>(entries.size());
        for (Map.Entry<FdbKey, FdbValue> e : entries.entrySet()) {
            if (e.getKey().mac().isZero()) {
                throw new IllegalArgumentException("all-zero MAC entries belong in the flood list");
            }
            keys.add(e.getKey().encode());
            values.add(e.getValue().encode());
        }
        synchronized (lock) {
            return fdb.updateBatch(keys, values, UpdateFlag.ANY);
        }
    }

    /** Deletes many entries with one {@code bpf_map_delete_batch}; absent keys are skipped. */
    public int deleteBatch(Collection<FdbKey> keys) {
        List<byte[]> raw = new ArrayList<>(keys.size());
        for (FdbKey k : keys) {
            raw.add(k.encode());
        }
        synchronized (lock) {
            return fdb.deleteBatch(raw);
        }
    }

    void deleteVni(int vni) {
        for (BpfMap.Entry e : fdb.entries()) {
            if (FdbKey.decode(e.key()).vni() == vni) {
                fdb.delete(e.key());
            }
        }
    }

    void deletePort(int ifindex) {
        for (BpfMap.Entry e : fdb.entries()) {
            if (FdbValue.decode(e.value()).ifindex() == ifindex) {
                fdb.delete(e.key());
            }
        }
    }
}
