package io.xvtep.cluster;

import java.util.List;

/**
 * Cluster-mode settings (docs/cluster.md).
 *
 * @param endpoints etcd client URLs
 * @param node this node's name in the store
 * @param root the key prefix root (default /xvtep; keys live under ROOT/v1/)
 * @param leaseTtl seconds the node's lease lives without keep-alive
 * @param moveLimit MAC moves within {@code moveWindowSeconds} that freeze a MAC (0: never)
 * @param scanMs period of the local FDB/ports scan that republishes what events missed
 */
public record ClusterOptions(List<String> endpoints, String node, String root, int leaseTtl, int moveLimit,
        int moveWindowSeconds, long scanMs) {
}
