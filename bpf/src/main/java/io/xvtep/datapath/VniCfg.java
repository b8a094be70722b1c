package io.xvtep.datapath;

import io.xvtep.model.IpAddress;

import java.nio.ByteBuffer;

import static io.xvtep.datapath.MapCodec.addr;
import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;
import static io.xvtep.datapath.MapCodec.putAddr;

/**
 * struct vni_cfg: value of xvtep_vnis, key __u32 vni. {@code local} and {@code group} are null
 * when unset; the VNI's underlay family is {@link #F_IPV6} (one family per VNI, as the kernel's
 * device). {@code label} is the IPv6 outer flow label (20 bits) unless {@link #F_LABEL_INHERIT}.
 */
public record VniCfg(int vni, int flags, IpAddress local, IpAddress group, int dstport, int srcportMin,
        int srcportMax, int ttl, int tos, int nPorts, int nFlood, int ageing, int mtu, int devIfindex, int label,
        int statsSlot) {
    public static final int SIZE = 80;
    public static final int OFF_VNI = 0, OFF_FLAGS = 4, OFF_LOCAL = 8, OFF_GROUP = 24, OFF_DSTPORT = 40,
            OFF_SRCPORT_MIN = 42, OFF_SRCPORT_MAX = 44, OFF_TTL = 46, OFF_TOS = 47, OFF_N_PORTS = 48,
            OFF_N_FLOOD = 52, OFF_AGEING = 56, OFF_MTU = 60, OFF_DEV_IFINDEX = 64, OFF_LABEL = 68,
            OFF_STATS_SLOT = 72, OFF_PAD = 76;
    /** The largest flow label (20 bits). */
    public static final int LABEL_MAX = 0xfffff;

    public static final int F_LEARNING = Abi.VNI_F_LEARNING, F_PROXY = Abi.VNI_F_PROXY,
            F_L2MISS = Abi.VNI_F_L2MISS, F_L3MISS = Abi.VNI_F_L3MISS, F_TTL_INHERIT = Abi.VNI_F_TTL_INHERIT,
            F_TOS_INHERIT = Abi.VNI_F_TOS_INHERIT, F_DF_SET = Abi.VNI_F_DF_SET,
            F_DF_INHERIT = Abi.VNI_F_DF_INHERIT, F_SRC_FILTER = Abi.VNI_F_SRC_FILTER, F_IPV6 = Abi.VNI_F_IPV6,
            F_UDP_ZERO_CSUM6_TX = Abi.VNI_F_UDP_ZERO_CSUM6_TX, F_UDP_ZERO_CSUM6_RX = Abi.VNI_F_UDP_ZERO_CSUM6_RX,
            F_LABEL_INHERIT = Abi.VNI_F_LABEL_INHERIT;

    public VniCfg {
        if ((label & ~LABEL_MAX) != 0) {
            throw new IllegalArgumentException("a flow label has 20 bits: " + label);
        }
    }

    /** Before the datapath gave it a counter slot ({@link Datapath#createVni} does; {@link VniTable#update} keeps it). */
    public VniCfg(int vni, int flags, IpAddress local, IpAddress group, int dstport, int srcportMin, int srcportMax,
            int ttl, int tos, int nPorts, int nFlood, int ageing, int mtu, int devIfindex, int label) {
        this(vni, flags, local, group, dstport, srcportMin, srcportMax, ttl, tos, nPorts, nFlood, ageing, mtu,
                devIfindex, label, 0);
    }

    /** Without a flow label (IPv4 VNIs; IPv6 ones sending label 0). */
    public VniCfg(int vni, int flags, IpAddress local, IpAddress group, int dstport, int srcportMin, int srcportMax,
            int ttl, int tos, int nPorts, int nFlood, int ageing, int mtu, int devIfindex) {
        this(vni, flags, local, group, dstport, srcportMin, srcportMax, ttl, tos, nPorts, nFlood, ageing, mtu,
                devIfindex, 0);
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Whether the VNI's underlay is IPv6. */
    public boolean ipv6() {
        return has(F_IPV6);
    }

    public VniCfg withCounts(int nPorts, int nFlood) {
        return new VniCfg(vni, flags, local, group, dstport, srcportMin, srcportMax, ttl, tos, nPorts, nFlood,
                ageing, mtu, devIfindex, label, statsSlot);
    }

    /** The same in counter slot {@code slot} of xvtep_stats. */
    public VniCfg withStatsSlot(int slot) {
        return new VniCfg(vni, flags, local, group, dstport, srcportMin, srcportMax, ttl, tos, nPorts, nFlood,
                ageing, mtu, devIfindex, label, slot);
    }

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        ByteBuffer bb = le(b);
        bb.putInt(OFF_VNI, vni);
        bb.putInt(OFF_FLAGS, flags);
        putAddr(b, OFF_LOCAL, local);
        putAddr(b, OFF_GROUP, group);
        bb.putShort(OFF_DSTPORT, (short) dstport);
        bb.putShort(OFF_SRCPORT_MIN, (short) srcportMin);
        bb.putShort(OFF_SRCPORT_MAX, (short) srcportMax);
        b[OFF_TTL] = (byte) ttl;
        b[OFF_TOS] = (byte) tos;
        bb.putInt(OFF_N_PORTS, nPorts);
        bb.putInt(OFF_N_FLOOD, nFlood);
        bb.putInt(OFF_AGEING, ageing);
        bb.putInt(OFF_MTU, mtu);
        bb.putInt(OFF_DEV_IFINDEX, devIfindex);
        bb.putInt(OFF_LABEL, label);
        bb.putInt(OFF_STATS_SLOT, statsSlot);
        return b;
    }

    public static VniCfg decode(byte[] b) {
        check(b, SIZE, "vni_cfg");
        ByteBuffer bb = le(b);
        return new VniCfg(bb.getInt(OFF_VNI), bb.getInt(OFF_FLAGS), addr(b, OFF_LOCAL), addr(b, OFF_GROUP),
                bb.getShort(OFF_DSTPORT) & 0xffff, bb.getShort(OFF_SRCPORT_MIN) & 0xffff,
                bb.getShort(OFF_SRCPORT_MAX) & 0xffff, b[OFF_TTL] & 0xff, b[OFF_TOS] & 0xff, bb.getInt(OFF_N_PORTS),
                bb.getInt(OFF_N_FLOOD), bb.getInt(OFF_AGEING), bb.getInt(OFF_MTU), bb.getInt(OFF_DEV_IFINDEX),
                bb.getInt(OFF_LABEL) & LABEL_MAX, bb.getInt(OFF_STATS_SLOT));
    }
}
