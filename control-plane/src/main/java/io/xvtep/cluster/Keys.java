package io.xvtep.cluster;

import io.xvtep.model.Mac;

import java.util.Optional;

/**
 * The versioned key layout of the cluster store (docs/cluster.md):
 *
 * <pre>
 *   ROOT/v2/nodes/NODE                  {"v":1,"vtep":"198.18.0.11","vnis":[42]}            under NODE's lease
 *   ROOT/v2/endpoints/NODE/VNI/MAC      {"v":1,"node":"h1","vtep":"198.18.0.11","ips":[]}   under NODE's lease
 *   ROOT/v2/vnis/VNI                    {"v":1,"vni":42,"dstport":4789,...}                 no lease
 *   ROOT/v2/vni-tombstones/VNI          {"v":1,"vni":42,"node":"h1","deleted":"2026-..."}   a lease of its own
 * </pre>
 *
 * Everything a node writes is its node key and the keys under {@code endpoints/NODE/}, so that etcd's
 * role-based access control, which grants keys and key prefixes, can confine each node to its own
 * (v1 had the node last in the endpoint key: no prefix held one node's claims). An endpoint key
 * carries the claiming node, so two hosts claiming the same MAC write two keys and every agent
 * resolves the same way: the claim with the highest mod revision wins.
 */
public record Keys(String root) {

    public static final String VERSION = "v2";

    public Keys {
        while (root.endsWith("/")) {
            root = root.substring(0, root.length() - 1);
        }
    }

    public String prefix() {
        return root + "/" + VERSION + "/";
    }

    public String node(String node) {
        return prefix() + "nodes/" + node;
    }

    public String vni(int vni) {
        return prefix() + "vnis/" + vni;
    }

    public String tombstone(int vni) {
        return prefix() + "vni-tombstones/" + vni;
    }

    public String endpoint(int vni, Mac mac, String node) {
        return endpointsOf(node) + vni + "/" + mac;
    }

    /** Every claim of {@code node} is under this prefix (what its etcd role may write). */
    public String endpointsOf(String node) {
        return prefix() + "endpoints/" + node + "/";
    }

    /** What a key under {@link #prefix()} is. */
    public interface Parsed {
    }

    public record NodeKey(String node) implements Parsed {
    }

    public record VniKey(int vni) implements Parsed {
    }

    public record TombstoneKey(int vni) implements Parsed {
    }

    public record EndpointKey(Ep ep, String node) implements Parsed {
    }

    /** One MAC in one VNI. */
    public record Ep(int vni, Mac mac) {
    }

    public Optional<Parsed> parse(String key) {
        if (!key.startsWith(prefix())) {
            return Optional.empty();
        }
        String[] p = key.substring(prefix().length()).split("/", -1);
        try {
            if (p.length == 2 && p[0].equals("nodes") && validNode(p[1])) {
                return Optional.of(new NodeKey(p[1]));
            }
            if (p.length == 2 && p[0].equals("vnis")) {
                return Optional.of(new VniKey(Integer.parseInt(p[1])));
            }
            if (p.length == 2 && p[0].equals("vni-tombstones")) {
                return Optional.of(new TombstoneKey(Integer.parseInt(p[1])));
            }
            if (p.length == 4 && p[0].equals("endpoints") && validNode(p[1])) {
                return Optional.of(new EndpointKey(new Ep(Integer.parseInt(p[2]), Mac.parse(p[3])), p[1]));
            }
        } catch (IllegalArgumentException e) {
            // not ours: ignored
        }
        return Optional.empty();
    }

    public static boolean validNode(String n) {
        return n != null && !n.isEmpty() && n.length() <= 253 && n.chars().allMatch(c -> c > 32 && c < 127 && c != '/');
    }
}
