package io.xvtep.cluster;

import java.nio.file.Path;
import java.util.List;

/**
 * Cluster-mode settings (docs/cluster.md).
 *
 * @param endpoints etcd client URLs
 * @param node this node's name in the store
 * @param root the key prefix root (default /xvtep; keys live under ROOT/v2/)
 * @param leaseTtl seconds the node's lease lives without keep-alive, {@value #MIN_LEASE_TTL} to
 *        {@value #MAX_LEASE_TTL}
 * @param leaseTtlMax the longest TTL a node key's lease may have (other nodes', and {@code leaseTtl}): a
 *        node key under a longer one is not a live node ({@value #MIN_LEASE_TTL} to {@value #MAX_LEASE_TTL})
 * @param moveLimit MAC moves within {@code moveWindowSeconds} that freeze a MAC (0: never)
 * @param scanMs period of the local FDB/ports scan that republishes what events missed
 * @param nodeMaxaddress most entries programmed here from one other node's claims in one VNI (0: no
 *        limit of its own; the VNI's {@code maxaddress} caps all other nodes' together)
 * @param tombstoneTtl seconds a VNI tombstone lives (a node down longer brings the VNI back)
 * @param security TLS and etcd authentication (all null: plain, anonymous)
 */
public record ClusterOptions(List<String> endpoints, String node, String root, int leaseTtl, int leaseTtlMax, int moveLimit,
        int moveWindowSeconds, long scanMs, int nodeMaxaddress, long tombstoneTtl, Security security) {

    /** Default of {@code --etcd-node-maxaddress}: two ports' learning budgets. */
    public static final int DEFAULT_NODE_MAXADDRESS = 8192;
    /**
     * Bounds of {@code --etcd-lease-ttl}. Below 2 s the keep-alive (every TTL/3) races etcd's own
     * minimum (1.5 s with its default election timeout, which it silently raises shorter leases to) and
     * one GC pause loses the lease; above an hour a dead node's endpoints stay programmed everywhere for
     * longer than any operator would wait for them to go (docs/cluster.md, "Lease TTL").
     */
    public static final int MIN_LEASE_TTL = 2, MAX_LEASE_TTL = 3600;
    /** Default of {@code --etcd-tombstone-ttl}: a day. */
    public static final long DEFAULT_TOMBSTONE_TTL = 86_400;

    /**
     * How the agent proves itself to etcd (docs/cluster.md, "Security"): a CA to check etcd's
     * certificate ({@code cacert}), a client certificate and key (mutual TLS), and etcd's user/password
     * authentication ({@code user}, the password read from {@code passwordFile}). Any may be null.
     */
    public record Security(Path cacert, Path cert, Path key, String user, Path passwordFile) {
        public static final Security NONE = new Security(null, null, null, null, null);

        public Security {
            if ((cert == null) != (key == null)) {
                throw new IllegalArgumentException("--etcd-cert and --etcd-key go together");
            }
            if ((user == null) != (passwordFile == null)) {
                throw new IllegalArgumentException("--etcd-user and --etcd-password-file go together");
            }
        }

        public boolean tls() {
            return cacert != null || cert != null;
        }
    }

    public ClusterOptions {
        security = security == null ? Security.NONE : security;
        if (leaseTtl < MIN_LEASE_TTL || leaseTtl > MAX_LEASE_TTL) {
            throw new IllegalArgumentException("--etcd-lease-ttl must be " + MIN_LEASE_TTL + " to " + MAX_LEASE_TTL
                    + " seconds: " + leaseTtl);
        }
        if (leaseTtlMax < leaseTtl || leaseTtlMax > MAX_LEASE_TTL) {
            throw new IllegalArgumentException("--etcd-lease-ttl-max must be --etcd-lease-ttl (" + leaseTtl + ") to "
                    + MAX_LEASE_TTL + " seconds: " + leaseTtlMax);
        }
        if (nodeMaxaddress < 0 || tombstoneTtl < 1) {
            throw new IllegalArgumentException("--etcd-node-maxaddress must be >= 0 and --etcd-tombstone-ttl >= 1");
        }
    }
}
