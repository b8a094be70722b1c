package io.xvtep.model;

/**
 * The settings of one VNI, named as in `ip link add vxlan0 type vxlan id 42 dstport 4789 ...`.
 *
 * @param local       outer source address; null = the agent's default local address
 * @param remote      unicast remote VTEP (kept as the first all-zero FDB entry); null = none
 * @param group       multicast group for BUM traffic (also an all-zero FDB entry); null = none
 * @param ttl         outer TTL 1..255; ignored when {@code ttlInherit}
 * @param tos         outer TOS 0..255; ignored when {@code tosInherit}
 * @param df          outer DF bit: unset, set or inherit
 * @param ageing      seconds after which learned entries expire, 0 = never
 * @param srcportMin  outer UDP source port range (RFC 7348: from a hash of the inner flow)
 * @param mtu         largest inner L2 payload that still fits the underlay after 50 bytes of headers
 */
public record VniConfig(Vni vni, int dstport, IpAddress local, IpAddress remote, IpAddress group, int ttl, boolean ttlInherit,
        int tos, boolean tosInherit, Df df, boolean learning, boolean proxy, boolean l2miss, boolean l3miss,
        int ageing, int srcportMin, int srcportMax, int mtu) {

    public static final int DEFAULT_DSTPORT = 4789;
    public static final int DEFAULT_TTL = 64;
    public static final int DEFAULT_AGEING = 300;
    /** Outer Ethernet + IPv4 + UDP + VXLAN headers (the datapath's XVTEP_ENCAP_LEN; AbiTest checks it). */
    public static final int ENCAP_OVERHEAD = 50;
    /** The same over an IPv6 underlay (XVTEP_ENCAP6_LEN): a VNI's MTU is the underlay's minus this. */
    public static final int ENCAP6_OVERHEAD = 70;

    public enum Df {
        UNSET, SET, INHERIT;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public VniConfig {
        if (vni == null || df == null) {
            throw new IllegalArgumentException("vni and df are required");
        }
        if (dstport < 1 || dstport > 65535) {
            throw new IllegalArgumentException("dstport must be in 1..65535");
        }
        if (ttl < 0 || ttl > 255 || tos < 0 || tos > 255) {
            throw new IllegalArgumentException("ttl and tos must be in 0..255");
        }
        if (srcportMin < 1 || srcportMax > 65535 || srcportMin > srcportMax) {
            throw new IllegalArgumentException("srcport range must satisfy 1 <= min <= max <= 65535");
        }
        if (ageing < 0 || mtu < 0) {
            throw new IllegalArgumentException("ageing and mtu must not be negative");
        }
    }
}
