package io.xvtep.cluster;

import io.xvtep.cluster.Keys.Ep;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Receiving-side caps on the entries programmed from other nodes' claims (docs/cluster.md, "Caps"):
 * at most {@code nodeMax} per other node and VNI ({@code --etcd-node-maxaddress}), and at most the VNI's
 * {@code maxaddress} for all other nodes together, as the kernel's {@code maxaddress} caps a vxlan
 * device's FDB. A claim beyond a cap is refused (counted, remembered); a refused claim is tried again
 * when an entry of its VNI goes, when its claim changes, or at the next full pass. So a node spraying
 * claims fills its own share only: what other nodes have programmed stays. Pure bookkeeping; runs on
 * the {@link ClusterThread}.
 */
final class ProgramCaps {

    /** Which cap refused a claim (the metric's {@code limit} label). */
    enum Limit {
        NODE("node_maxaddress"), VNI("maxaddress");

        final String label;

        Limit(String label) {
            this.label = label;
        }
    }

    private record NodeVni(String node, int vni) {
    }

    private final int nodeMax;
    private final Map<NodeVni, Integer> perNode = new HashMap<>();
    private final Map<Integer, Integer> perVni = new HashMap<>();
    private final Map<Integer, LinkedHashSet<Ep>> refused = new HashMap<>();
    /** Entries that went per VNI since the last {@link #retry}: room for refused claims. */
    private final Map<Integer, Integer> freed = new HashMap<>();

    ProgramCaps(int nodeMax) {
        this.nodeMax = nodeMax;
    }

    /**
     * Takes a slot for an entry of {@code node} in {@code ep}'s VNI, whose {@code maxaddress} is
     * {@code vniMax} (0: none); null when taken, else the cap that refuses it (the claim is remembered).
     */
    Limit admit(Ep ep, String node, long vniMax) {
        NodeVni k = new NodeVni(node, ep.vni());
        Limit refuse = nodeMax > 0 && perNode.getOrDefault(k, 0) >= nodeMax ? Limit.NODE
                : vniMax > 0 && perVni.getOrDefault(ep.vni(), 0) >= vniMax ? Limit.VNI : null;
        if (refuse != null) {
            refused.computeIfAbsent(ep.vni(), v -> new LinkedHashSet<>()).add(ep);
            return refuse;
        }
        perNode.merge(k, 1, Integer::sum);
        perVni.merge(ep.vni(), 1, Integer::sum);
        return null;
    }

    /** The entry of {@code node} at {@code ep} went: its slot is free. */
    void release(Ep ep, String node) {
        decrement(perNode, new NodeVni(node, ep.vni()));
        decrement(perVni, ep.vni());
        if (refused.containsKey(ep.vni())) {
            freed.merge(ep.vni(), 1, Integer::sum);
        }
    }

    private static <K> void decrement(Map<K, Integer> m, K k) {
        m.computeIfPresent(k, (key, n) -> n > 1 ? n - 1 : null);
    }

    /**
     * {@code ep} is being resolved again: no longer remembered as refused (it is again if still refused).
     * True when it was (its refusal was counted then).
     */
    boolean resolving(Ep ep) {
        LinkedHashSet<Ep> s = refused.get(ep.vni());
        boolean was = s != null && s.remove(ep);
        if (was && s.isEmpty()) {
            refused.remove(ep.vni());
        }
        return was;
    }

    /** Refused claims to try again: as many per VNI as entries went there, oldest refusal first. */
    List<Ep> retry() {
        List<Ep> out = new ArrayList<>();
        freed.forEach((vni, n) -> {
            LinkedHashSet<Ep> s = refused.get(vni);
            for (Iterator<Ep> it = s == null ? null : s.iterator(); it != null && it.hasNext() && n > 0; n--) {
                out.add(it.next());
            }
        });
        freed.clear();
        return out;
    }

    /** The VNI is gone here: its counts and refusals with it. */
    void forgetVni(int vni) {
        perNode.keySet().removeIf(k -> k.vni() == vni);
        perVni.remove(vni);
        refused.remove(vni);
        freed.remove(vni);
    }

    int refusedCount() {
        int n = 0;
        for (LinkedHashSet<Ep> s : refused.values()) {
            n += s.size();
        }
        return n;
    }
}
