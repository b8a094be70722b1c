package io.xvtep.datapath;

import java.util.Locale;

/**
 * enum pass_reason of bpf/include/xvtep_consts.h, in the same order: the ordinal is the index
 * into vni_stats.pass[]. Underlay frames left to the kernel stack, counted on VNI 0.
 * {@link #counter()} ("pass_not_vxlan") is the stats JSON name, {@link #label()} the reason
 * label of xvtep_passed_total. AbiTest checks the order and count against the header.
 */
public enum PassReason {
    /** UDP to no xvtep dstport, or not UDP. */
    NOT_VXLAN,
    /** VXLAN for a VNI xvtep does not serve (or to another address of the host). */
    UNKNOWN_VNI,
    /**
     * IPv6 extension headers xvtep does not skip: more than 4 or 128 bytes, a Routing header with segments left
     * (or of type MIPv6/RPL/SRv6), an option to discard if unknown, Hop-by-Hop not first.
     */
    IPV6_EXT;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String counter() {
        return "pass_" + label();
    }
}
