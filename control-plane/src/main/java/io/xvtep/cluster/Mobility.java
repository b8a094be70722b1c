package io.xvtep.cluster;

import io.xvtep.cluster.Keys.Ep;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * MAC mobility / duplicate detection as EVPN does it (RFC 7432 section 15.1): a MAC that moves more
 * than {@code limit} times within {@code windowNs} is frozen on the host it moved to last, for
 * one window; then it may move again. The history is bounded: moves older than the window are
 * dropped ({@link #prune}, and on each move), and at most {@link #MAX_TRACKED} MACs are tracked, the
 * least recently moved forgotten first (a MAC forgotten counts from 0 again: it can only move more).
 */
public final class Mobility {

    public record Frozen(String node, long untilNs) {
    }

    private final int limit;
    private final long windowNs;
    /** MACs whose recent moves are remembered, at most (a freeze outlives its history). */
    static final int MAX_TRACKED = 65_536;
    private final Map<Ep, ArrayDeque<Long>> moves = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Ep, ArrayDeque<Long>> eldest) {
            return size() > MAX_TRACKED;
        }
    };
    private final Map<Ep, Frozen> frozen = new HashMap<>();

    public Mobility(int limit, long windowNs) {
        this.limit = limit;
        this.windowNs = windowNs;
    }

    /**
     * A move of {@code ep} to {@code node} at {@code now}.
     *
     * @return true when this move froze the MAC
     */
    public boolean moved(Ep ep, String node, long now) {
        if (limit <= 0) {
            return false;
        }
        ArrayDeque<Long> q = moves.computeIfAbsent(ep, k -> new ArrayDeque<>());
        q.addLast(now);
        while (!q.isEmpty() && now - q.peekFirst() > windowNs) {
            q.removeFirst();
        }
        if (q.size() > limit && !frozen.containsKey(ep)) {
            frozen.put(ep, new Frozen(node, now + windowNs));
            q.clear();
            return true;
        }
        return false;
    }

    /** The node {@code ep} is frozen on, if it is (expired freezes are lifted here). */
    public String frozenOn(Ep ep, long now) {
        Frozen f = frozen.get(ep);
        if (f == null) {
            return null;
        }
        if (now >= f.untilNs()) {
            frozen.remove(ep);
            return null;
        }
        return f.node();
    }

    /** Drops the history of MACs that did not move within the window and the freezes that ended. */
    public void prune(long now) {
        moves.values().removeIf(q -> q.isEmpty() || now - q.peekLast() > windowNs);
        frozen.values().removeIf(f -> now >= f.untilNs());
    }

    /** MACs with a move history (for tests and the bound). */
    public int tracked() {
        return moves.size();
    }

    public void forget(Ep ep) {
        moves.remove(ep);
        frozen.remove(ep);
    }

    public int frozenCount(long now) {
        frozen.values().removeIf(f -> now >= f.untilNs());
        return frozen.size();
    }
}
