package io.xvtep.service;

/** A local port; {@code ifname} is null when the interface has disappeared. */
public record PortView(int vni, int ifindex, String ifname, boolean xdp) {
}
