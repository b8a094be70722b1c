package io.xvtep.cluster;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the store held that is not a valid record of the schema (docs/cluster.md, "Validation"):
 * counted in {@code xvtep_cluster_rejected_total{reason}} and logged once per key and reason (a
 * key rewritten with the same fault stays quiet; past {@link #LOGGED_KEYS} keys, once per reason).
 * Skipping never stops the list or the watch. Called on the {@link ClusterThread}.
 */
final class Rejections implements StoreView.Rejects {

    private static final System.Logger LOG = System.getLogger("xvtep.cluster");
    static final int LOGGED_KEYS = 4096;

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Set<String> logged = new HashSet<>();
    private final Set<String> reasonsLogged = new HashSet<>();

    Rejections(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void rejected(String reason, String key, String why) {
        counters.computeIfAbsent(reason, r -> Counter.builder("xvtep_cluster_rejected").tag("reason", r)
                .description("Store keys or values skipped as invalid (key, value, version, vtep, owner, vni, refused, lease, lease_ttl)")
                .register(registry)).increment();
        boolean first = logged.size() < LOGGED_KEYS ? logged.add(reason + " " + key) : reasonsLogged.add(reason);
        if (first) {
            LOG.log(System.Logger.Level.WARNING, "cluster: event rejected " + reason + " " + key + ": " + why
                    + " (skipped; counted in xvtep_cluster_rejected_total)");
        }
    }

    long count(String reason) {
        Counter c = counters.get(reason);
        return c == null ? 0 : (long) c.count();
    }
}
