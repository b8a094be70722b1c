package io.xvtep.cluster;

import io.xvtep.cluster.StoreClient.Write;
import io.xvtep.cluster.StoreRecords.TombstoneRecord;
import io.xvtep.cluster.StoreRecords.VniRecord;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * VNI definitions both ways (docs/cluster.md, "VNI lifecycle"): VNIs created, changed or deleted
 * through this node's API are written to the store (a delete leaves a tombstone under a lease of
 * its own, so that a node that was down does not bring the VNI back); VNI keys put or deleted by
 * others are applied here. A change applied from the store is never written back (the tables do not
 * report it), and a write is skipped when the store already holds it. Runs on the {@link ClusterThread}.
 */
final class VniReplicator {

    private static final System.Logger LOG = System.getLogger("xvtep.cluster");
    private final String self;
    /** How long a VNI tombstone lives (seconds, {@code --etcd-tombstone-ttl}): a node down longer brings the VNI back. */
    private final long tombstoneTtl;
    private final Keys keys;
    private final StoreClient store;
    private final StoreMirror mirror;
    private final NodeTables tables;
    private final ClusterThread thread;
    private final StoreView.Rejects rejects;

    private boolean active;
    private final Map<Integer, VniRecord> puts = new HashMap<>(); // created/updated here: definition at that moment
    private final Set<Integer> dels = new HashSet<>(); // deleted here: key to delete, tombstone to write
    private final Set<Integer> inflight = new HashSet<>();
    private final Set<Integer> createdHere = new HashSet<>(); // created through the API during this run
    private long retryAt;

    VniReplicator(ClusterOptions o, Keys keys, StoreClient store, StoreMirror mirror, NodeTables tables,
            ClusterThread thread, StoreView.Rejects rejects) {
        this.rejects = rejects;
        this.self = o.node();
        this.tombstoneTtl = o.tombstoneTtl();
        this.keys = keys;
        this.store = store;
        this.mirror = mirror;
        this.tables = tables;
        this.thread = thread;
        tables.onVniChanges(new NodeTables.VniChanges() {
            @Override
            public void created(int vni, VniRecord now) {
                thread.run(() -> {
                    createdHere.add(vni);
                    dels.remove(vni);
                    puts.put(vni, now);
                    flush();
                });
            }

            @Override
            public void updated(int vni, VniRecord now) {
                thread.run(() -> {
                    puts.put(vni, now);
                    flush();
                });
            }

            @Override
            public void deleted(int vni) {
                thread.run(() -> {
                    puts.remove(vni);
                    createdHere.remove(vni);
                    dels.add(vni);
                    flush();
                });
            }
        });
    }

    private StoreView view() {
        return mirror.view();
    }

    /**
     * First sync done: the VNIs this node has and the store lacks are deleted here when a tombstone
     * says the cluster deleted them while this node was away (unless this agent's API created them
     * since it started), published otherwise (a node joining with VNIs of its own shares them).
     */
    void activate() {
        for (int vni : tables.vnis()) {
            if (view().vnis().containsKey(vni) || puts.containsKey(vni)) {
                continue;
            }
            Long tomb = view().tombstones().get(vni);
            if (tomb != null && !createdHere.contains(vni)) {
                apply("deleting", vni, () -> tables.deleteVni(vni), "was deleted from the cluster while this node "
                        + "was away (tombstone at revision " + tomb + "): removed here");
                continue;
            }
            tables.vni(vni).ifPresent(r -> puts.put(vni, r));
        }
        active = true;
        flush();
    }

    /** The store deleted {@code vni}: true when it was deleted here too. */
    boolean storeDeleted(int vni) {
        if (view().vnis().containsKey(vni)) {
            return false;
        }
        puts.remove(vni); // a delete in the store outranks an update of ours not yet written
        return tables.vnis().contains(vni)
                && apply("deleting", vni, () -> tables.deleteVni(vni), "deleted from the store: removed");
    }

    /** The store put {@code vni}: true when it was created here (its endpoints and flood list are due). */
    boolean storePut(int vni) {
        VniRecord stored = view().vnis().get(vni);
        if (stored == null) {
            return false;
        }
        var local = tables.vni(vni);
        if (local.isPresent()) {
            // an update of our own still to write is newer and comes back through the watch
            if (!puts.containsKey(vni) && stored.optionsDiffer(local.get())) {
                apply("updating", vni, () -> tables.updateVni(stored), "updated from the store: " + stored.encode());
            }
            return false;
        }
        return !dels.contains(vni) // deleted here; the store's key is about to go
                && apply("creating", vni, () -> tables.createVni(stored), "created from the store");
    }

    /** Applies a stored change here; one the node's service refuses is counted as a rejected value. */
    private boolean apply(String what, int vni, Runnable r, String done) {
        try {
            r.run();
            LOG.log(System.Logger.Level.INFO, "cluster: VNI " + vni + " " + done);
            return true;
        } catch (RuntimeException e) {
            rejects.rejected("refused", keys.vni(vni), what + " VNI " + vni + " refused here: " + e.getMessage());
            return false;
        }
    }

    void tick() {
        if ((!puts.isEmpty() || !dels.isEmpty()) && System.nanoTime() - retryAt >= 0) {
            flush();
        }
    }

    /**
     * Writes the changes made through this node's API: a created/updated VNI's key with its tombstone
     * removed, in one transaction; a deleted VNI's key removed and its tombstone written under a lease of
     * {@link #tombstoneTtl}. Failures are retried every second.
     */
    private void flush() {
        if (!active || thread.closed()) {
            return;
        }
        for (Map.Entry<Integer, VniRecord> e : new ArrayList<>(puts.entrySet())) {
            int vni = e.getKey();
            VniRecord r = e.getValue();
            if (inflight.contains(vni)) {
                continue;
            }
            if (r.equals(view().vnis().get(vni))) {
                puts.remove(vni);
                continue;
            }
            inflight.add(vni);
            String v = r.encode();
            List<Write> w = List.of(Write.put(keys.vni(vni), v, 0), Write.delete(keys.tombstone(vni)));
            store.txn("put", w, rev -> {
                inflight.remove(vni);
                mirror.wrote(w, rev); // the mirror knows; nothing to program for a write of our own
                puts.remove(vni, r);
                LOG.log(System.Logger.Level.INFO, "cluster: VNI " + vni + " written to the store: " + v);
                flush();
            }, err -> failed(vni, "writing", err));
        }
        for (int vni : new ArrayList<>(dels)) {
            if (inflight.contains(vni)) {
                continue;
            }
            inflight.add(vni);
            store.grant(tombstoneTtl, lease -> {
                if (!dels.contains(vni)) { // re-created meanwhile
                    inflight.remove(vni);
                    flush();
                    return;
                }
                String tv = new TombstoneRecord(vni, self, Instant.now().toString()).encode();
                List<Write> w = List.of(Write.delete(keys.vni(vni)), Write.put(keys.tombstone(vni), tv, lease));
                store.txn("delete", w, rev -> {
                    inflight.remove(vni);
                    mirror.wrote(w, rev);
                    dels.remove(vni);
                    LOG.log(System.Logger.Level.INFO, "cluster: VNI " + vni + " deleted from the store (tombstone kept "
                            + tombstoneTtl + " s)");
                    flush();
                }, err -> failed(vni, "deleting", err));
            }, err -> failed(vni, "deleting", err));
        }
    }

    private void failed(int vni, String what, Throwable err) {
        inflight.remove(vni);
        if (StoreClient.permissionDenied(err)) {
            // etcd's access control: VNI definitions need the operator role (docs/cluster.md, "Security").
            // Not retried: the change stays local to this node, and the store's next update of the VNI applies.
            puts.remove(vni);
            dels.remove(vni);
            LOG.log(System.Logger.Level.WARNING, "cluster: " + what + " VNI " + vni + " in the store refused by "
                    + "etcd (permission denied): VNI definitions need the operator role; the change stays local "
                    + "to this node");
            return;
        }
        retryAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        LOG.log(System.Logger.Level.WARNING, "cluster: " + what + " VNI " + vni + " in the store failed: "
                + err.getMessage() + " (retried)");
    }
}
