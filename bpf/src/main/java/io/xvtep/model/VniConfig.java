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
 * @param ttl         outer TTL / hop limit 1..255, 0 = auto (the kernel's: 1 to a multicast destination, else 64)
 * @param mtu         largest inner L2 payload that still fits the underlay after 50 (IPv6: 70) bytes of headers
 * @param family      the underlay family (a VNI is one family, as the kernel's device)
 * @param udp6zerocsumtx  IPv6: send outer UDP checksum 0 (RFC 6935; default: computed, RFC 8200)
 * @param udp6zerocsumrx  IPv6: accept outer UDP checksum 0 (RFC 6936; default: dropped)
 * @param flowlabel   IPv6 outer flow label (20 bits); ignored when {@code flowlabelInherit}
 */
public record VniConfig(Vni vni, int dstport, IpAddress local, IpAddress remote, IpAddress group, int ttl, boolean ttlInherit,
        int tos, boolean tosInherit, Df df, boolean learning, boolean proxy, boolean l2miss, boolean l3miss,
        int ageing, int srcportMin, int srcportMax, int mtu, IpAddress.Family family, boolean udp6zerocsumtx,
        boolean udp6zerocsumrx, int flowlabel, boolean flowlabelInherit) {

    public static final int DEFAULT_DSTPORT = 4789;
    public static final int DEFAULT_TTL = 64;
    public static final int DEFAULT_AGEING = 300;
    /** Outer Ethernet + IPv4 + UDP + VXLAN headers (the datapath's XVTEP_ENCAP_LEN; AbiTest checks it). */
    public static final int ENCAP_OVERHEAD = 50;
    /** The same over an IPv6 underlay (XVTEP_ENCAP6_LEN): a VNI's MTU is the underlay's minus this. */
    public static final int ENCAP6_OVERHEAD = 70;
    /** The largest IPv6 flow label (20 bits). */
    public static final int FLOWLABEL_MAX = 0xfffff;

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
        if (family == null || flowlabel < 0 || flowlabel > FLOWLABEL_MAX) {
            throw new IllegalArgumentException("family is required, flowlabel in 0..0xfffff");
        }
        for (IpAddress a : new IpAddress[] {local, remote, group}) {
            if (a != null && a.family() != family) {
                throw new IllegalArgumentException("a VNI is one family: " + a + " is not " + family);
            }
        }
    }

    /** Bytes of outer headers for this VNI's family. */
    public int encapOverhead() {
        return family == IpAddress.Family.IPV4 ? ENCAP_OVERHEAD : ENCAP6_OVERHEAD;
    }
}
