package io.xvtep.datapath;

import java.util.Locale;

/**
 * enum drop_reason of bpf/include/xvtep_consts.h, in the same order: the ordinal is the index
 * into vni_stats.drop[]. {@link #counter()} ("drop_mtu") is the name in the stats JSON,
 * {@link #label()} ("mtu") the reason label of xvtep_drops_total. AbiTest checks the order
 * and the count against the header; docs/metrics.md explains each reason.
 */
public enum DropReason {
    /** Frame shorter than its headers claim. */
    TRUNCATED,
    /** VXLAN I flag clear or reserved bits set. */
    BAD_FLAGS,
    /** No local port, no FDB entry and nothing to flood to. */
    NO_DEST,
    /** Destination sits behind the ingress port. */
    HAIRPIN,
    /** No route/neighbour to the remote VTEP. */
    FIB,
    /** Too large for the underlay after encapsulation. */
    MTU,
    /** Outer CE on an inner Not-ECT packet (RFC 6040). */
    ECN,
    /** The kernel refused to grow/shrink/rewrite the frame. */
    ADJUST,
    /** Outer source not allowed, or our own address looped back. */
    SRC,
    /** Redirect/clone to a port or the underlay failed. */
    REDIRECT,
    /** A port/flood list entry below n_ports/n_flood is missing: that copy is lost. */
    LIST_GAP,
    /** A lookup that cannot fail on a loaded object failed: should stay 0. */
    INTERNAL,
    /** Outer IPv4 header checksum wrong. */
    IP_CSUM,
    /** Outer UDP length below the VXLAN headers or beyond the IP packet. */
    UDP_LEN,
    /** Outer UDP checksum non-zero and wrong. */
    UDP_CSUM,
    /** Outer source 0/8, 127/8, 224/4 or 255.255.255.255. */
    MARTIAN,
    /** Inner source MAC multicast or all-zero. */
    SRC_MAC,
    /** Remote frame from a MAC that is static behind another VTEP or a local port. */
    STATIC_MAC,
    /** Inner destination 01:80:c2:00:00:0X (IEEE 802.1D link-local): never forwarded. */
    LINK_LOCAL,
    /** First fragment of a VXLAN datagram for a served VNI: not reassembled here. */
    FRAGMENT,
    /** Larger than the VNI's mtu, not answered (no DF, not IP, or the kernel's rules for ICMP errors). */
    TOO_BIG,
    /** Larger than the VNI's mtu, answered with ICMP fragmentation-needed / ICMPv6 packet-too-big. */
    FRAG_NEEDED,
    /** IPv6 outer UDP checksum 0 to a VNI without udp6zerocsumrx (RFC 6936). */
    UDP6_ZERO_CSUM,
    /** An FDB or flood destination of the other address family than the VNI's: that copy is lost. */
    FAMILY,
    /** A GSO frame to an IPv6 VNI that checksums (no udp6zerocsumtx): BPF cannot checksum each segment. */
    GSO_CSUM,
    /** VXLAN whose outer destination MAC is unicast and not the underlay device's (the kernel's PACKET_OTHERHOST). */
    OTHERHOST;

    /** The reason label: "mtu". */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The counter's name in the stats JSON: "drop_mtu". */
    public String counter() {
        return "drop_" + label();
    }
}
