package io.xvtep.service;

import io.xvtep.model.IpAddress;
import io.xvtep.model.IpAddress.Family;

import java.util.ArrayList;
import java.util.List;

/**
 * The agent's default outer source addresses, at most one per family (`--local`, given once per
 * family): the local address of every VNI of that family without its own. A host with both runs
 * IPv4 VNIs and IPv6 VNIs side by side; a VNI that names no address is IPv4 when the agent has an
 * IPv4 local address (as the kernel's vxlan device without addresses is), else IPv6.
 */
public record Locals(IpAddress ipv4, IpAddress ipv6) {

    public Locals {
        if (ipv4 == null && ipv6 == null) {
            throw new IllegalArgumentException("at least one local address is needed");
        }
        if (ipv4 != null && (!ipv4.isIpv4() || !ipv4.isUsableUnicast())) {
            throw new IllegalArgumentException("not a unicast IPv4 address: " + ipv4);
        }
        if (ipv6 != null && (ipv6.isIpv4() || !ipv6.isUsableUnicast())) {
            throw new IllegalArgumentException("not a unicast IPv6 address: " + ipv6);
        }
    }

    /**
     * From the addresses given (each family at most once); {@code fallback4} (the underlay's first
     * IPv4 address, or null) when none of IPv4 is given.
     */
    public static Locals of(List<IpAddress> given, IpAddress fallback4) {
        IpAddress v4 = null, v6 = null;
        for (IpAddress a : given) {
            if (a.isIpv4() ? v4 != null : v6 != null) {
                throw new IllegalArgumentException("--local is given once per family: " + (a.isIpv4() ? v4 : v6)
                        + " and " + a);
            }
            if (a.isIpv4()) {
                v4 = a;
            } else {
                v6 = a;
            }
        }
        return new Locals(v4 != null ? v4 : fallback4, v6);
    }

    /** The local address of family {@code f}, or null. */
    public IpAddress of(Family f) {
        return f == Family.IPV4 ? ipv4 : ipv6;
    }

    /** The family of a VNI that names no address. */
    public Family defaultFamily() {
        return ipv4 != null ? Family.IPV4 : Family.IPV6;
    }

    public List<IpAddress> all() {
        List<IpAddress> l = new ArrayList<>();
        if (ipv4 != null) {
            l.add(ipv4);
        }
        if (ipv6 != null) {
            l.add(ipv6);
        }
        return l;
    }

    @Override
    public String toString() {
        return String.join(" ", all().stream().map(IpAddress::toString).toList());
    }
}
