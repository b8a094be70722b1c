package io.xvtep.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The granted TTLs of the leases other nodes' node keys are under, as etcd reports them, against the
 * longest a node's lease may have ({@code --etcd-lease-ttl-max}; docs/cluster.md, "Validation"). A node
 * key under a longer lease would keep the node's endpoints programmed everywhere that long after it dies:
 * it is not a live node. etcd reports a key's lease id only, so each new lease is looked up once (a
 * lease's granted TTL never changes; a node that changes its lease is checked again). Pure data: the
 * {@link ClusterCoordinator} does the lookups ({@link #takeWanted}, {@link StoreView#leaseChecked}).
 */
final class LeaseTtls {

    private final long max;
    /** lease -> granted TTL in seconds, as looked up. */
    private final Map<Long, Long> granted = new HashMap<>();
    private final Set<Long> wanted = new LinkedHashSet<>();
    private final Set<Long> inFlight = new java.util.HashSet<>();
    /** Leases whose lookup failed: asked again by {@link #retryFailed} (once a second), not at every change. */
    private final Set<Long> failed = new LinkedHashSet<>();

    /** {@code max}: the longest TTL a node's lease may have, in seconds (0: not checked). */
    LeaseTtls(long max) {
        this.max = max;
    }

    long max() {
        return max;
    }

    /** True when {@code lease} was looked up and is granted more than the maximum. */
    boolean tooLong(long lease) {
        return max > 0 && granted.getOrDefault(lease, 0L) > max;
    }

    /** {@code lease} is a node key's: looked up unless known or on its way. */
    void want(long lease) {
        if (max > 0 && lease != 0 && !granted.containsKey(lease) && !inFlight.contains(lease)
                && !failed.contains(lease)) {
            wanted.add(lease);
        }
    }

    /** The leases to look up now (then in flight until {@link #checked} or {@link #failed}). */
    List<Long> takeWanted() {
        List<Long> l = new ArrayList<>(wanted);
        inFlight.addAll(wanted);
        wanted.clear();
        return l;
    }

    /** The lookup of {@code lease} answered: granted {@code ttl} seconds (-1: the lease is gone). */
    void checked(long lease, long ttl) {
        inFlight.remove(lease);
        if (ttl >= 0) {
            granted.put(lease, ttl);
        }
    }

    /** The lookup failed (etcd unreachable, refused): asked again at the next {@link #retryFailed}. */
    void failed(long lease) {
        if (inFlight.remove(lease)) {
            failed.add(lease);
        }
    }

    /** The failed lookups are due again. */
    void retryFailed() {
        wanted.addAll(failed);
        failed.clear();
    }

    /**
     * Forgets leases no node key is under (called when about twice as many as needed are known); too long ones are kept
     * (a node key re-put under one is refused at once, not after another lookup) up to {@link #KEPT_TOO_LONG}.
     */
    void prune(Set<Long> inUse) {
        granted.entrySet().removeIf(e -> !inUse.contains(e.getKey()) && e.getValue() <= max);
        if (granted.size() > inUse.size() + KEPT_TOO_LONG) {
            granted.keySet().retainAll(inUse);
        }
        wanted.retainAll(inUse);
        failed.retainAll(inUse);
    }

    static final int KEPT_TOO_LONG = 1024;

    int known() {
        return granted.size();
    }
}
