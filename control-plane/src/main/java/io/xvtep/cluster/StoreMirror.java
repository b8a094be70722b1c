package io.xvtep.cluster;

import io.xvtep.cluster.StoreClient.Event;
import io.xvtep.cluster.StoreClient.Kv;
import io.xvtep.cluster.StoreClient.Listing;
import io.xvtep.cluster.StoreClient.Write;
import io.xvtep.cluster.StoreView.Dirty;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps the {@link StoreView} equal to the store: list the prefix, then watch from the list's
 * revision + 1; any error that ends the watch (a compaction included) lists again, applies the
 * difference and watches from the new revision. Per-key lookups and this node's own writes feed
 * the view too, guarded so that they never undo what the watch delivered. Every change goes to the
 * {@link Sink} as a {@link Dirty} set. Runs on the {@link ClusterThread}.
 */
final class StoreMirror implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("xvtep.cluster");

    interface Sink {
        /** A list was applied; on the first one {@code d} holds only the changes (the sink adds the rest). */
        void listed(Dirty d, boolean first, long revision, int changes);

        /** Keys changed (watch, lookup, own write). */
        void changed(Dirty d);
    }

    private final Keys keys;
    private final StoreClient store;
    private final ClusterThread thread;
    private final ClusterMetrics metrics;
    private final StoreView view;
    private Sink sink;
    private boolean listing;
    /** The sink has applied a list completely (and every watch response since): no full pass is due. */
    private boolean applied;
    private AutoCloseable watcher;
    private int watchGen;
    /** Delay before the next re-list after a failure: doubles up to {@link #MAX_BACKOFF_MS}, reset by success. */
    private long backoffMs = MIN_BACKOFF_MS;
    static final long MIN_BACKOFF_MS = 200;
    static final long MAX_BACKOFF_MS = 30_000;

    StoreMirror(Keys keys, StoreClient store, ClusterThread thread, ClusterMetrics metrics, StoreView view) {
        this.keys = keys;
        this.store = store;
        this.thread = thread;
        this.metrics = metrics;
        this.view = view;
    }

    StoreView view() {
        return view;
    }

    void start(Sink s) {
        this.sink = s;
        thread.run(this::resync);
    }

    private void resync() {
        if (listing || thread.closed()) {
            return;
        }
        listing = true;
        metrics.resyncs.increment();
        store.read("list", keys.prefix(), this::listed, e -> {
            listing = false;
            LOG.log(System.Logger.Level.WARNING, "cluster: listing the store failed (" + e.getMessage()
                    + "); retrying in " + backoffMs + " ms, forwarding continues on the current maps");
            retryLater();
        });
    }

    /** A list or its application failed: list again after the back-off (doubled each time). */
    private void retryLater() {
        long delay = backoffMs;
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        thread.schedule(this::resync, delay);
    }

    private void listed(Listing l) {
        listing = false;
        long rev = l.revision();
        Dirty d = new Dirty();
        Set<String> seen = new HashSet<>();
        int n = 0;
        for (Kv kv : l.kvs()) {
            seen.add(kv.key());
            if (view.put(kv.key(), kv.value(), kv.modRev(), kv.lease(), d)) {
                n++;
            }
        }
        // Keys the list no longer holds are gone, unless we learned of them after the list was taken.
        for (String k : new ArrayList<>(view.keys())) {
            if (!seen.contains(k) && view.rev(k) <= rev && view.delete(k, 0, d)) {
                n++;
            }
        }
        view.revisions().streamedTo(rev);
        metrics.eventsApplied.increment(n);
        // until a list was applied completely, every list is a full pass (mark and sweep)
        boolean full = !applied;
        watch(rev + 1);
        try {
            sink.listed(d, full, rev, n);
            applied = true;
            backoffMs = MIN_BACKOFF_MS;
        } catch (RuntimeException e) {
            failed("applying the list at revision " + rev, e);
        }
    }

    /**
     * Applying what the store holds failed part way (a full map, a type the checks missed): the
     * mirror is right but the node may not be; a full pass is due. The watch is stopped and the
     * store listed again after the back-off, until a pass succeeds.
     */
    void failed(String what, RuntimeException e) {
        applied = false;
        LOG.log(System.Logger.Level.WARNING, "cluster: " + what + " failed (" + e + "); a full pass follows in "
                + backoffMs + " ms", e);
        watchGen++;
        closeWatch();
        retryLater();
    }

    private void watch(long fromRev) {
        closeWatch();
        int gen = ++watchGen;
        watcher = store.watch(keys.prefix(), fromRev, events -> watched(gen, events), err -> watchEnded(gen, err));
    }

    private void watched(int gen, List<Event> events) {
        if (gen != watchGen) {
            return;
        }
        Dirty d = new Dirty();
        int n = 0;
        long upTo = 0;
        for (Event ev : events) {
            Kv kv = ev.kv();
            upTo = Math.max(upTo, kv.modRev());
            if (ev.put() ? view.put(kv.key(), kv.value(), kv.modRev(), kv.lease(), d)
                    : view.delete(kv.key(), kv.modRev(), d)) {
                n++;
            }
        }
        view.revisions().streamedTo(upTo);
        metrics.eventsApplied.increment(n);
        try {
            sink.changed(d);
        } catch (RuntimeException e) {
            failed("applying watch events through revision " + upTo, e);
        }
    }

    private void watchEnded(int gen, Throwable err) {
        if (gen != watchGen || thread.closed()) {
            return;
        }
        LOG.log(System.Logger.Level.WARNING, "cluster: watch ended (" + err + "): re-listing");
        watchGen++;
        closeWatch();
        thread.schedule(this::resync, 200);
    }

    /** Reads {@code keys} now (an l2miss for a MAC the mirror does not know: its possible claims). */
    void lookup(List<String> claimKeys) {
        if (claimKeys.isEmpty()) {
            return;
        }
        String prefix = claimKeys.get(0) + (claimKeys.size() > 1 ? " and " + (claimKeys.size() - 1) + " more" : "");
        store.readKeys("get", claimKeys, l -> {
            if (view.revisions().behind(l.revision())) {
                return; // the watch has delivered all of it already, maybe a deletion since
            }
            Dirty d = new Dirty();
            for (Kv kv : l.kvs()) {
                view.put(kv.key(), kv.value(), kv.modRev(), kv.lease(), d);
            }
            try {
                sink.changed(d);
            } catch (RuntimeException e) {
                failed("applying a lookup of " + prefix, e);
            }
        }, e -> LOG.log(System.Logger.Level.DEBUG, "cluster: lookup of " + prefix + ": " + e.getMessage()));
    }

    /**
     * This node's own writes, acknowledged at {@code rev}, applied to the view (unless the watch
     * already delivered that revision); the changes, or null when nothing changed.
     */
    Dirty wrote(List<Write> writes, long rev) {
        if (view.revisions().behind(rev)) {
            return null;
        }
        Dirty d = new Dirty();
        int n = 0;
        for (Write w : writes) {
            if (w.value() == null ? view.delete(w.key(), rev, d) : view.put(w.key(), w.value(), rev, w.lease(), d)) {
                n++;
            }
        }
        metrics.eventsApplied.increment(n);
        return n == 0 ? null : d;
    }

    private void closeWatch() {
        if (watcher != null) {
            try {
                watcher.close();
            } catch (Exception e) {
                // closing a watch does not fail in a way that matters
            }
            watcher = null;
        }
    }

    @Override
    public void close() {
        closeWatch();
    }
}
