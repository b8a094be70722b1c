package io.xvtep.cluster;

import io.xvtep.cluster.Keys.Ep;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * MAC mobility / duplicate detection as EVPN does it (RFC 7432 section 15.1): a MAC that moves more
 * than {@code limit} times within {@code windowNs} is frozen on the host it moved to last, for
 * one window; then it may move again.
 */
public final class Mobility {

    public record Frozen(String node, long untilNs) {
    }

    private final int limit;
    private final long windowNs;
    private final Map<Ep, ArrayDeque<Long>> moves = new HashMap<>();
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

    public void forget(Ep ep) {
        moves.remove(ep);
        frozen.remove(ep);
    }

    public int frozenCount(long now) {
        frozen.values().removeIf(f -> now >= f.untilNs());
        return frozen.size();
    }
}
