package io.xvtep.cluster;

import io.xvtep.cluster.NodeTables.Flood;
import io.xvtep.model.IpAddress;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Flood lists: every other node with ports in a VNI is a destination of that VNI's flood list
 * (head-end replication). Entries are added as cluster entries, so that an operator's
 * ({@code remote}, static all-zero entries) are never touched and a restarted agent knows its own.
 * Runs on the {@link ClusterThread}.
 */
final class FloodProgrammer {

    private static final System.Logger LOG = System.getLogger("xvtep.cluster");

    private final String self;
    private final StoreView view;
    private final NodeTables tables;
    private final ClusterMetrics metrics;
    private final Map<Integer, Set<IpAddress>> programmed = new HashMap<>();

    FloodProgrammer(String self, StoreView view, NodeTables tables, ClusterMetrics metrics) {
        this.self = self;
        this.view = view;
        this.tables = tables;
        this.metrics = metrics;
    }

    void program(int vni) {
        java.util.Optional<IpAddress.Family> family = tables.family(vni);
        if (family.isEmpty()) {
            forget(vni);
            return;
        }
        List<IpAddress> want = view.floodOf(vni, self, family.get());
        Set<IpAddress> have = new HashSet<>();
        Set<IpAddress> mine = new HashSet<>(programmed.getOrDefault(vni, Set.of()));
        for (Flood f : tables.flood(vni)) {
            have.add(f.dst());
            if (f.isCluster()) {
                mine.add(f.dst());
            }
        }
        for (IpAddress w : want) {
            if (!have.contains(w) && !tables.addClusterFlood(vni, w)) {
                LOG.log(System.Logger.Level.WARNING, "cluster: flood list of VNI " + vni + " is full ("
                        + tables.maxFlood() + "): " + w + " left out");
            }
        }
        for (IpAddress m : mine) {
            if (!want.contains(m)) {
                tables.removeClusterFlood(vni, m);
            }
        }
        programmed.put(vni, new HashSet<>(want));
        metrics.remoteNodes(vni, want.size());
    }

    void forget(int vni) {
        if (programmed.remove(vni) != null) {
            metrics.remoteNodes(vni, null);
        }
    }
}
