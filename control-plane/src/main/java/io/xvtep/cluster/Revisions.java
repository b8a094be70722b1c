package io.xvtep.cluster;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The revision bookkeeping of the {@link StoreView}: each mirrored key's mod revision and lease, how far
 * the stream (list, then watch) has delivered, and deletions ahead of it. Two kinds of input reach the
 * view: the stream (ordered, complete) and side results (per-key lookups, responses to this node's own
 * writes), which can be handed over after newer watch events. A side result taken at or before
 * {@link #streamed()} adds nothing ({@link #behind}); a deletion is remembered until the stream has passed
 * it, so that a side result older than the deletion cannot bring the key back ({@link #stale}).
 */
public final class Revisions {

    /** key -> [mod revision, lease] for every key mirrored (tombstones are not kept). */
    private final Map<String, long[]> revs = new HashMap<>();
    private long revision;
    /** Revision through which list + watch have delivered every event. */
    private long streamed;
    /** key -> revision it was deleted at, kept while that revision is ahead of {@link #streamed}. */
    private final Map<String, Long> deletedAt = new HashMap<>();

    /** The highest revision applied (from events or a list's header). */
    public long revision() {
        return revision;
    }

    public void seen(long rev) {
        revision = Math.max(revision, rev);
    }

    /** The stream (list header, or watch events applied in order) is complete through {@code rev}. */
    public void streamedTo(long rev) {
        if (rev > streamed) {
            streamed = rev;
            deletedAt.values().removeIf(r -> r <= streamed);
        }
        seen(rev);
    }

    public long streamed() {
        return streamed;
    }

    /** True when a side result taken at {@code snapshotRev} is no newer than the stream: skip it. */
    public boolean behind(long snapshotRev) {
        return snapshotRev <= streamed;
    }

    /** Current mod revision of {@code key} (0: absent). */
    public long rev(String key) {
        long[] r = revs.get(key);
        return r == null ? 0 : r[0];
    }

    public long lease(String key) {
        long[] r = revs.get(key);
        return r == null ? 0 : r[1];
    }

    public boolean has(String key) {
        return revs.containsKey(key);
    }

    public Set<String> keys() {
        return revs.keySet();
    }

    /** True when a put of {@code key} at {@code rev} is no newer than what is held, or than its deletion. */
    boolean stale(String key, long rev) {
        return rev(key) >= rev || deletedAt.getOrDefault(key, 0L) >= rev;
    }

    void put(String key, long rev, long lease) {
        deletedAt.remove(key);
        revs.put(key, new long[] {rev, lease});
    }

    /** {@code key} was deleted at {@code rev}: remembered while ahead of the stream (even when absent here). */
    void deletedAt(String key, long rev) {
        if (rev > streamed && rev(key) <= rev) {
            deletedAt.merge(key, rev, Math::max);
        }
    }

    void remove(String key) {
        revs.remove(key);
    }
}
