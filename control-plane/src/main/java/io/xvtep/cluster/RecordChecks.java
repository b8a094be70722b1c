package io.xvtep.cluster;

import io.xvtep.cluster.Keys.Ep;
import io.xvtep.cluster.Keys.EndpointKey;
import io.xvtep.cluster.Keys.NodeKey;
import io.xvtep.cluster.Keys.VniKey;
import io.xvtep.cluster.StoreRecords.EndpointRecord;
import io.xvtep.cluster.StoreRecords.NodeRecord;
import io.xvtep.cluster.StoreRecords.VniRecord;
import io.xvtep.model.IpAddress;
import io.xvtep.model.IpAddress.Family;

import java.util.Set;

/**
 * What a decoded record must be to stand at its key, beyond its schema (docs/cluster.md, "Validation"):
 * VTEPs unicast and not this node's, VNIs in range, a claim's node its key's. The {@link StoreView} skips
 * and counts what fails; whether the node is live (its lease) is the view's to decide.
 */
final class RecordChecks {

    private final String self;
    private final Set<IpAddress> selfVteps;

    /** {@code self}/{@code selfVteps}: this node (no other node may claim its addresses). */
    RecordChecks(String self, Set<IpAddress> selfVteps) {
        this.self = self;
        this.selfVteps = selfVteps;
    }

    /** Why {@code rec} cannot stand at key {@code pk} ("reason: detail"), or null when it is valid. */
    String why(Keys.Parsed pk, Object rec) {
        if (pk instanceof NodeKey nk && rec instanceof NodeRecord r) {
            if (r.vtep() == null || !r.vtep().isUsableUnicast()) {
                return "vtep: a node's VTEP must be a unicast address: " + r.vtep();
            }
            if (r.vtep6() != null && (r.vtep().family() != Family.IPV4 || r.vtep6().family() != Family.IPV6
                    || !r.vtep6().isUsableUnicast())) {
                return "vtep: vtep6 is a dual-stack node's unicast IPv6 VTEP (beside an IPv4 vtep): " + r.vtep6();
            }
            for (IpAddress a : new IpAddress[] {r.vtep(), r.vtep6()}) {
                if (a != null && !nk.node().equals(self) && selfVteps.contains(a)) {
                    return "vtep: node " + nk.node() + " claims this node's VTEP " + a;
                }
            }
            if (r.vnis().stream().anyMatch(v -> v < 1 || v > StoreView.MAX_VNI)) {
                return "value: VNIs are 1.." + StoreView.MAX_VNI + ": " + r.vnis();
            }
        } else if (pk instanceof VniKey vk && rec instanceof VniRecord r) {
            if (vk.vni() < 1 || vk.vni() > StoreView.MAX_VNI || r.vni() != vk.vni()) {
                return "vni: key VNI " + vk.vni() + ", value VNI " + r.vni();
            }
        } else if (pk instanceof Keys.TombstoneKey tk && rec instanceof StoreRecords.TombstoneRecord r) {
            if (r.vni() != tk.vni()) {
                return "vni: key VNI " + tk.vni() + ", value VNI " + r.vni();
            }
        } else if (pk instanceof EndpointKey ek && rec instanceof EndpointRecord r) {
            Ep ep = ek.ep();
            if (ep.vni() < 1 || ep.vni() > StoreView.MAX_VNI || ep.mac().isZero() || ep.mac().isMulticast()) {
                return "key: an endpoint is a unicast MAC in a VNI 1.." + StoreView.MAX_VNI;
            }
            if (r.node() != null && !r.node().equals(ek.node())) {
                return "owner: a claim under node " + ek.node() + "'s key names node " + r.node();
            }
            if (r.vtep() != null && (!r.vtep().isUsableUnicast()
                    || (!ek.node().equals(self) && selfVteps.contains(r.vtep())))) {
                return "vtep: a claim's VTEP must be its node's unicast address: " + r.vtep();
            }
        }
        return null;
    }
}
