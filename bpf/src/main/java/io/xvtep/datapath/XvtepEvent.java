package io.xvtep.datapath;

import io.xvtep.model.IpAddress;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.xvtep.datapath.MapCodec.addr;
import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;
import static io.xvtep.datapath.MapCodec.putAddr;

/** struct xvtep_event: one record of the xvtep_events ring buffer. */
public record XvtepEvent(int type, int vni, Mac mac, IpAddress remote, int ifindex, Ipv4 ip, long tsNs,
        IpAddress ip6) {
    public static final int SIZE = 64;
    public static final int OFF_TYPE = 0, OFF_VNI = 4, OFF_MAC = 8, OFF_PAD = 14, OFF_REMOTE = 16,
            OFF_IFINDEX = 32, OFF_IP = 36, OFF_TS_NS = 40, OFF_IP6 = 48;

    /** Without an IPv6 target (every event but an IPv6 l3miss). */
    public XvtepEvent(int type, int vni, Mac mac, IpAddress remote, int ifindex, Ipv4 ip, long tsNs) {
        this(type, vni, mac, remote, ifindex, ip, tsNs, null);
    }
    public static final int LEARN = Abi.EV_LEARN, MOVE = Abi.EV_MOVE, L2MISS = Abi.EV_L2MISS,
            L3MISS = Abi.EV_L3MISS, NEIGH_MISS = Abi.EV_NEIGH_MISS;

    /** The event's type; empty for a code this version does not know. */
    public java.util.Optional<io.xvtep.model.EventType> eventType() {
        return io.xvtep.model.EventType.of(type);
    }

    /** learn, move, l2miss, l3miss, neigh_miss, or unknown. */
    public String typeName() {
        return eventType().map(io.xvtep.model.EventType::label).orElse("unknown");
    }

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        ByteBuffer bb = le(b);
        bb.putInt(OFF_TYPE, type).putInt(OFF_VNI, vni);
        (mac == null ? Mac.ZERO : mac).writeTo(b, OFF_MAC);
        putAddr(b, OFF_REMOTE, remote);
        bb.putInt(OFF_IFINDEX, ifindex);
        (ip == null ? Ipv4.ANY : ip).writeTo(b, OFF_IP);
        bb.putLong(OFF_TS_NS, tsNs);
        if (ip6 != null) {
            System.arraycopy(ip6.bytes(), 0, b, OFF_IP6, 16);
        }
        return b;
    }

    public static XvtepEvent decode(byte[] b) {
        check(b, SIZE, "xvtep_event");
        ByteBuffer bb = le(b);
        byte[] t6 = Arrays.copyOfRange(b, OFF_IP6, OFF_IP6 + 16);
        return new XvtepEvent(bb.getInt(OFF_TYPE), bb.getInt(OFF_VNI), Mac.of(b, OFF_MAC), addr(b, OFF_REMOTE),
                bb.getInt(OFF_IFINDEX), Ipv4.of(b, OFF_IP), bb.getLong(OFF_TS_NS),
                Arrays.equals(t6, new byte[16]) ? null : IpAddress.of(t6));
    }

    public static XvtepEvent decode(ByteBuffer buf) {
        byte[] b = new byte[SIZE];
        buf.duplicate().get(b, 0, Math.min(SIZE, buf.remaining()));
        return decode(b);
    }
}
