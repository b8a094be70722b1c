package io.xvtep.service;

/**
 * A local port; {@code ifname} is null when the interface has disappeared. {@code fdbMaxLearned}: most MACs
 * learned behind it (the bridge port's fdb_max_learned; 0: no limit of its own). {@code xdpEncap}: its unicast to
 * remote VTEPs is encapsulated in XDP (xdp_port).
 */
public record PortView(int vni, int ifindex, String ifname, boolean xdp, boolean xdpEncap, long fdbMaxLearned) {
}
