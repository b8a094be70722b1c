package io.xvtep.cluster;

import io.xvtep.model.Mac;

import java.util.Optional;

/**
 * The versioned key layout of the cluster store (docs/cluster.md):
 *
 * <pre>
 *   ROOT/v1/nodes/NODE                  {"vtep":"198.18.0.11","vnis":[42]}          under NODE's lease
 *   ROOT/v1/vnis/VNI                    {"vni":42,"dstport":4789,...}               no lease
 *   ROOT/v1/endpoints/VNI/MAC/NODE      {"node":"h1","vtep":"198.18.0.11","ips":[]} under NODE's lease
 *   ROOT/v1/vni-tombstones/VNI          {"vni":42,"node":"h1","deleted":"2026-..."} under a lease of its own (bounded life)
 * </pre>
 *
 * An endpoint key carries the claiming node, so two hosts claiming the same MAC write two keys
 * and every agent resolves the same way: the claim with the highest mod revision wins.
 */
public record Keys(String root) {

    public static final String VERSION = "v1";

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
        return endpointPrefix(vni, mac) + node;
    }

    public String endpointPrefix(int vni, Mac mac) {
        return prefix() + "endpoints/" + vni + "/" + mac + "/";
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
            if (p.length == 4 && p[0].equals("endpoints") && validNode(p[3])) {
                return Optional.of(new EndpointKey(new Ep(Integer.parseInt(p[1]), Mac.parse(p[2])), p[3]));
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
