package io.xvtep.datapath;

import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;

import java.nio.ByteBuffer;

import static io.xvtep.datapath.MapCodec.addr;
import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;
import static io.xvtep.datapath.MapCodec.putAddr;

/**
 * struct xvtep_config: the one entry of the xvtep_config array. The host's underlay address of
 * each family (null: none): the outer source of the VNIs of that family that set none of their own.
 */
public record XvtepConfig(int underlayIfindex, IpAddress localIp, IpAddress localIp6, Mac underlayMac, int flags) {
    /** XVTEP_CFG_F_NO_XDP_REDIRECT: a veth underlay, where XDP_REDIRECT loses checksum state. */
    public static final int F_NO_XDP_REDIRECT = Abi.CFG_F_NO_XDP_REDIRECT;

    public static final int SIZE = 48;
    public static final int OFF_UNDERLAY_IFINDEX = 0, OFF_UNDERLAY_MAC = 4, OFF_PAD = 10, OFF_FLAGS = 12,
            OFF_LOCAL_IP = 16, OFF_LOCAL_IP6 = 32;

    public XvtepConfig {
        if (localIp != null && !localIp.isIpv4()) {
            throw new IllegalArgumentException("localIp is the IPv4 underlay address, not " + localIp);
        }
        if (localIp6 != null && localIp6.isIpv4()) {
            throw new IllegalArgumentException("localIp6 is the IPv6 underlay address, not " + localIp6);
        }
    }

    /** With the host's one underlay address {@code local} (either family) in its slot. */
    public static XvtepConfig of(int underlayIfindex, IpAddress local, Mac underlayMac, int flags) {
        boolean v4 = local == null || local.isIpv4();
        return new XvtepConfig(underlayIfindex, v4 ? local : null, v4 ? null : local, underlayMac, flags);
    }

    /** The host's underlay address for VNIs of {@code ipv6}'s family (null: none). */
    public IpAddress local(boolean ipv6) {
        return ipv6 ? localIp6 : localIp;
    }

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        ByteBuffer bb = le(b);
        bb.putInt(OFF_UNDERLAY_IFINDEX, underlayIfindex);
        (underlayMac == null ? Mac.ZERO : underlayMac).writeTo(b, OFF_UNDERLAY_MAC);
        bb.putInt(OFF_FLAGS, flags);
        putAddr(b, OFF_LOCAL_IP, localIp);
        putAddr(b, OFF_LOCAL_IP6, localIp6);
        return b;
    }

    public static XvtepConfig decode(byte[] b) {
        check(b, SIZE, "xvtep_config");
        ByteBuffer bb = le(b);
        return new XvtepConfig(bb.getInt(OFF_UNDERLAY_IFINDEX), addr(b, OFF_LOCAL_IP), addr(b, OFF_LOCAL_IP6),
                Mac.of(b, OFF_UNDERLAY_MAC), bb.getInt(OFF_FLAGS));
    }
}
