package io.xvtep.datapath;

import io.xvtep.model.IpAddress;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Byte-for-byte codecs of the structs in bpf/include/xvtep_structs.h (flag bits: {@link Abi}).
 *
 * Integers are host order (little-endian on every machine xvtep runs on), IPv4 addresses
 * (__be32) network order, MACs wire order. The OFF_* constants are the C offsets; the unit
 * test compiles the header and compares them with offsetof(), so a change on either side
 * fails the build instead of corrupting maps.
 */
public final class MapCodec {

    private MapCodec() {
    }

    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    static void check(byte[] b, int size, String what) {
        if (b == null || b.length < size) {
            throw new IllegalArgumentException(what + " needs " + size + " bytes, got " + (b == null ? 0 : b.length));
        }
    }

    /** A __u32 key or value (vni, ifindex, refcount). */
    public static byte[] u32(int v) {
        byte[] b = new byte[4];
        le(b).putInt(0, v);
        return b;
    }

    public static int u32(byte[] b) {
        check(b, 4, "__u32");
        return le(b).getInt(0);
    }

    /** A __u16 key (dstport, host order). */
    public static byte[] u16(int v) {
        byte[] b = new byte[2];
        le(b).putShort(0, (short) v);
        return b;
    }

    public static int u16(byte[] b) {
        check(b, 2, "__u16");
        return le(b).getShort(0) & 0xffff;
    }

    private static Ipv4 getIp(byte[] b, int off) {
        return Ipv4.of(b, off);
    }

    private static void putIp(byte[] b, int off, Ipv4 a) {
        (a == null ? Ipv4.ANY : a).writeTo(b, off);
    }

    /** struct xvtep_config: the one entry of the xvtep_config array. */
    public record XvtepConfig(int underlayIfindex, Ipv4 localIp, Mac underlayMac, int flags) {
        /** XVTEP_CFG_F_NO_XDP_REDIRECT: a veth underlay, where XDP_REDIRECT loses checksum state. */
        public static final int F_NO_XDP_REDIRECT = Abi.CFG_F_NO_XDP_REDIRECT;

        public static final int SIZE = 20;
        public static final int OFF_UNDERLAY_IFINDEX = 0, OFF_LOCAL_IP = 4, OFF_UNDERLAY_MAC = 8, OFF_PAD = 14,
                OFF_FLAGS = 16;

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            ByteBuffer bb = le(b);
            bb.putInt(OFF_UNDERLAY_IFINDEX, underlayIfindex);
            putIp(b, OFF_LOCAL_IP, localIp);
            (underlayMac == null ? Mac.ZERO : underlayMac).writeTo(b, OFF_UNDERLAY_MAC);
            bb.putInt(OFF_FLAGS, flags);
            return b;
        }

        public static XvtepConfig decode(byte[] b) {
            check(b, SIZE, "xvtep_config");
            ByteBuffer bb = le(b);
            return new XvtepConfig(bb.getInt(OFF_UNDERLAY_IFINDEX), getIp(b, OFF_LOCAL_IP), Mac.of(b, OFF_UNDERLAY_MAC),
                    bb.getInt(OFF_FLAGS));
        }
    }

    /** struct vni_cfg: value of xvtep_vnis, key __u32 vni. */
    public record VniCfg(int vni, int flags, Ipv4 local, Ipv4 group, int dstport, int srcportMin, int srcportMax,
            int ttl, int tos, int nPorts, int nFlood, int ageing, int mtu, int devIfindex) {
        public static final int SIZE = 48;
        public static final int OFF_VNI = 0, OFF_FLAGS = 4, OFF_LOCAL = 8, OFF_GROUP = 12, OFF_DSTPORT = 16,
                OFF_SRCPORT_MIN = 18, OFF_SRCPORT_MAX = 20, OFF_TTL = 22, OFF_TOS = 23, OFF_N_PORTS = 24,
                OFF_N_FLOOD = 28, OFF_AGEING = 32, OFF_MTU = 36, OFF_DEV_IFINDEX = 40, OFF_PAD = 44;

        public static final int F_LEARNING = Abi.VNI_F_LEARNING, F_PROXY = Abi.VNI_F_PROXY,
                F_L2MISS = Abi.VNI_F_L2MISS, F_L3MISS = Abi.VNI_F_L3MISS, F_TTL_INHERIT = Abi.VNI_F_TTL_INHERIT,
                F_TOS_INHERIT = Abi.VNI_F_TOS_INHERIT, F_DF_SET = Abi.VNI_F_DF_SET,
                F_DF_INHERIT = Abi.VNI_F_DF_INHERIT, F_SRC_FILTER = Abi.VNI_F_SRC_FILTER;

        public boolean has(int flag) {
            return (flags & flag) != 0;
        }

        public VniCfg withCounts(int nPorts, int nFlood) {
            return new VniCfg(vni, flags, local, group, dstport, srcportMin, srcportMax, ttl, tos, nPorts, nFlood,
                    ageing, mtu, devIfindex);
        }

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            ByteBuffer bb = le(b);
            bb.putInt(OFF_VNI, vni);
            bb.putInt(OFF_FLAGS, flags);
            putIp(b, OFF_LOCAL, local);
            putIp(b, OFF_GROUP, group);
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
            return b;
        }

        public static VniCfg decode(byte[] b) {
            check(b, SIZE, "vni_cfg");
            ByteBuffer bb = le(b);
            return new VniCfg(bb.getInt(OFF_VNI), bb.getInt(OFF_FLAGS), getIp(b, OFF_LOCAL), getIp(b, OFF_GROUP),
                    bb.getShort(OFF_DSTPORT) & 0xffff, bb.getShort(OFF_SRCPORT_MIN) & 0xffff,
                    bb.getShort(OFF_SRCPORT_MAX) & 0xffff, b[OFF_TTL] & 0xff, b[OFF_TOS] & 0xff, bb.getInt(OFF_N_PORTS),
                    bb.getInt(OFF_N_FLOOD), bb.getInt(OFF_AGEING), bb.getInt(OFF_MTU), bb.getInt(OFF_DEV_IFINDEX));
        }
    }

    /** struct port_cfg: value of xvtep_ports, key __u32 ifindex. */
    public record PortCfg(int vni, int flags) {
        public static final int SIZE = 8;
        public static final int OFF_VNI = 0, OFF_FLAGS = 4;
        public static final int F_XDP = Abi.PORT_F_XDP, F_PEER = Abi.PORT_F_PEER;

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            le(b).putInt(OFF_VNI, vni).putInt(OFF_FLAGS, flags);
            return b;
        }

        public static PortCfg decode(byte[] b) {
            check(b, SIZE, "port_cfg");
            return new PortCfg(le(b).getInt(OFF_VNI), le(b).getInt(OFF_FLAGS));
        }
    }

    /** struct vni_idx_key: key of xvtep_vni_ports (value __u32 ifindex) and xvtep_flood. */
    public record VniIdxKey(int vni, int idx) {
        public static final int SIZE = 8;
        public static final int OFF_VNI = 0, OFF_IDX = 4;

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            le(b).putInt(OFF_VNI, vni).putInt(OFF_IDX, idx);
            return b;
        }

        public static VniIdxKey decode(byte[] b) {
            check(b, SIZE, "vni_idx_key");
            return new VniIdxKey(le(b).getInt(OFF_VNI), le(b).getInt(OFF_IDX));
        }
    }

    /** struct learn_key: key of xvtep_learn_limit and xvtep_learn_count. */
    public record LearnKey(int scope, int id) {
        public static final int SIZE = 8;
        public static final int OFF_SCOPE = 0, OFF_ID = 4;

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            le(b).putInt(OFF_SCOPE, scope).putInt(OFF_ID, id);
            return b;
        }

        public static LearnKey decode(byte[] b) {
            check(b, SIZE, "learn_key");
            return new LearnKey(le(b).getInt(OFF_SCOPE), le(b).getInt(OFF_ID));
        }
    }

    /** struct learn_limit: value of xvtep_learn_limit (max as unsigned __u32, 0 = no limit). */
    public record LearnLimit(long forgotten, long max) {
        public static final int SIZE = 16;
        public static final int OFF_FORGOTTEN = 0, OFF_MAX = 8, OFF_PAD = 12;

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            le(b).putLong(OFF_FORGOTTEN, forgotten).putInt(OFF_MAX, (int) max);
            return b;
        }

        public static LearnLimit decode(byte[] b) {
            check(b, SIZE, "learn_limit");
            return new LearnLimit(le(b).getLong(OFF_FORGOTTEN), Integer.toUnsignedLong(le(b).getInt(OFF_MAX)));
        }
    }

    /** struct flood_dst: value of xvtep_flood. */
    public record FloodDst(Ipv4 dst, int flags) {
        public static final int F_CLUSTER = Abi.FLOOD_F_CLUSTER;
        public static final int SIZE = 8;
        public static final int OFF_DST = 0, OFF_FLAGS = 4;

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            putIp(b, OFF_DST, dst);
            le(b).putInt(OFF_FLAGS, flags);
            return b;
        }

        public static FloodDst decode(byte[] b) {
            check(b, SIZE, "flood_dst");
            return new FloodDst(getIp(b, OFF_DST), le(b).getInt(OFF_FLAGS));
        }
    }

    /** struct fdb_key: key of xvtep_fdb. */
    public record FdbKey(int vni, Mac mac) {
        public static final int SIZE = 12;
        public static final int OFF_VNI = 0, OFF_MAC = 4, OFF_PAD = 10;

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            le(b).putInt(OFF_VNI, vni);
            mac.writeTo(b, OFF_MAC);
            return b;
        }

        public static FdbKey decode(byte[] b) {
            check(b, SIZE, "fdb_key");
            return new FdbKey(le(b).getInt(OFF_VNI), Mac.of(b, OFF_MAC));
        }
    }

    /** struct fdb_entry: value of xvtep_fdb. */
    public record FdbValue(Ipv4 remote, int ifindex, int flags, long updatedNs) {
        public static final int SIZE = 24;
        public static final int OFF_REMOTE = 0, OFF_IFINDEX = 4, OFF_FLAGS = 8, OFF_PAD = 12, OFF_UPDATED_NS = 16;
        public static final int F_STATIC = Abi.FDB_F_STATIC, F_CLUSTER = Abi.FDB_F_CLUSTER;

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            putIp(b, OFF_REMOTE, remote);
            le(b).putInt(OFF_IFINDEX, ifindex).putInt(OFF_FLAGS, flags).putLong(OFF_UPDATED_NS, updatedNs);
            return b;
        }

        public static FdbValue decode(byte[] b) {
            check(b, SIZE, "fdb_entry");
            ByteBuffer bb = le(b);
            return new FdbValue(getIp(b, OFF_REMOTE), bb.getInt(OFF_IFINDEX), bb.getInt(OFF_FLAGS),
                    bb.getLong(OFF_UPDATED_NS));
        }
    }

    /** struct neigh_key: key of xvtep_neigh. */
    public record NeighKey(int vni, Ipv4 ip) {
        public static final int SIZE = 8;
        public static final int OFF_VNI = 0, OFF_IP = 4;

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            le(b).putInt(OFF_VNI, vni);
            putIp(b, OFF_IP, ip);
            return b;
        }

        public static NeighKey decode(byte[] b) {
            check(b, SIZE, "neigh_key");
            return new NeighKey(le(b).getInt(OFF_VNI), getIp(b, OFF_IP));
        }
    }

    /** struct neigh6_key: key of xvtep_neigh6 (ip in network order). */
    public record Neigh6Key(int vni, byte[] ip) {
        public static final int SIZE = 20;
        public static final int OFF_VNI = 0, OFF_IP = 4;

        public Neigh6Key {
            if (ip == null || ip.length != 16) {
                throw new IllegalArgumentException("an IPv6 address has 16 bytes");
            }
            ip = ip.clone();
        }

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            le(b).putInt(OFF_VNI, vni);
            System.arraycopy(ip, 0, b, OFF_IP, 16);
            return b;
        }

        public static Neigh6Key decode(byte[] b) {
            check(b, SIZE, "neigh6_key");
            return new Neigh6Key(le(b).getInt(OFF_VNI), Arrays.copyOfRange(b, OFF_IP, OFF_IP + 16));
        }

        @Override
        public byte[] ip() {
            return ip.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Neigh6Key k && k.vni == vni && Arrays.equals(k.ip, ip);
        }

        @Override
        public int hashCode() {
            return 31 * vni + Arrays.hashCode(ip);
        }
    }

    /** struct neigh_entry: value of xvtep_neigh and xvtep_neigh6. */
    public record NeighEntry(Mac mac, int flags) {
        public static final int SIZE = 8;
        public static final int OFF_MAC = 0, OFF_FLAGS = 6;

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            mac.writeTo(b, OFF_MAC);
            le(b).putShort(OFF_FLAGS, (short) flags);
            return b;
        }

        public static NeighEntry decode(byte[] b) {
            check(b, SIZE, "neigh_entry");
            return new NeighEntry(Mac.of(b, OFF_MAC), le(b).getShort(OFF_FLAGS) & 0xffff);
        }
    }

    /** struct vni_src_key: key of xvtep_allowed_src (value __u32, reserved 0). */
    public record VniSrcKey(int vni, Ipv4 src) {
        public static final int SIZE = 8;
        public static final int OFF_VNI = 0, OFF_SRC = 4;

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            le(b).putInt(OFF_VNI, vni);
            putIp(b, OFF_SRC, src);
            return b;
        }

        public static VniSrcKey decode(byte[] b) {
            check(b, SIZE, "vni_src_key");
            return new VniSrcKey(le(b).getInt(OFF_VNI), getIp(b, OFF_SRC));
        }
    }

    /**
     * struct vni_stats: one CPU's (or, after {@link #plus}, the summed) counters of a VNI. Every
     * counter is a __u64: the named ones, then pass[] by {@link PassReason}, drop[] by
     * {@link DropReason}, then the event counters; {@link #FIELDS} names them in that order.
     */
    public record VniStats(long[] counters) {
        private static final List<String> HEAD = List.of(
                "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "switched_packets", "switched_bytes",
                "flooded_packets", "proxied", "learned", "moved", "l2miss", "l3miss", "learn_refused");
        private static final List<String> TAIL = List.of("events_emitted", "events_lost");
        /** Offsets of pass[0] and drop[0]. */
        public static final int OFF_PASS = 8 * HEAD.size();
        public static final int OFF_DROP = OFF_PASS + 8 * PassReason.values().length;
        /** Counter names in struct order (the stats JSON's order); each a __u64 at offset 8 * index. */
        public static final List<String> FIELDS = fields();
        public static final int SIZE = 8 * FIELDS.size();
        public static final VniStats ZERO = new VniStats(new long[FIELDS.size()]);

        private static List<String> fields() {
            List<String> f = new java.util.ArrayList<>(HEAD);
            for (PassReason r : PassReason.values()) {
                f.add(r.counter());
            }
            for (DropReason r : DropReason.values()) {
                f.add(r.counter());
            }
            f.addAll(TAIL);
            return List.copyOf(f);
        }

        public static int offset(PassReason r) {
            return OFF_PASS + 8 * r.ordinal();
        }

        public static int offset(DropReason r) {
            return OFF_DROP + 8 * r.ordinal();
        }

        public long pass(PassReason r) {
            return counters[offset(r) / 8];
        }

        public long drop(DropReason r) {
            return counters[offset(r) / 8];
        }

        public VniStats {
            if (counters == null || counters.length != FIELDS.size()) {
                throw new IllegalArgumentException("vni_stats has " + FIELDS.size() + " counters");
            }
            counters = counters.clone();
        }

        public static int offset(String field) {
            int i = FIELDS.indexOf(field);
            if (i < 0) {
                throw new IllegalArgumentException("no such counter: " + field);
            }
            return 8 * i;
        }

        public long get(String field) {
            return counters[offset(field) / 8];
        }

        @Override
        public long[] counters() {
            return counters.clone();
        }

        public VniStats plus(VniStats o) {
            long[] s = new long[counters.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = counters[i] + o.counters[i];
            }
            return new VniStats(s);
        }

        /** Sums the per-CPU values of a PERCPU_HASH lookup. */
        public static VniStats sum(List<byte[]> perCpu) {
            VniStats s = ZERO;
            for (byte[] b : perCpu) {
                s = s.plus(decode(b));
            }
            return s;
        }

        public Map<String, Long> asMap() {
            Map<String, Long> m = new LinkedHashMap<>();
            for (int i = 0; i < FIELDS.size(); i++) {
                m.put(FIELDS.get(i), counters[i]);
            }
            return m;
        }

        public byte[] encode() {
            byte[] b = new byte[SIZE];
            ByteBuffer bb = le(b);
            for (int i = 0; i < counters.length; i++) {
                bb.putLong(8 * i, counters[i]);
            }
            return b;
        }

        public static VniStats decode(byte[] b) {
            check(b, SIZE, "vni_stats");
            ByteBuffer bb = le(b);
            long[] c = new long[FIELDS.size()];
            for (int i = 0; i < c.length; i++) {
                c[i] = bb.getLong(8 * i);
            }
            return new VniStats(c);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof VniStats s && Arrays.equals(s.counters, counters);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(counters);
        }

        @Override
        public String toString() {
            return "VniStats" + asMap();
        }
    }

    /** struct xvtep_event: one record of the xvtep_events ring buffer. */
    public record XvtepEvent(int type, int vni, Mac mac, Ipv4 remote, int ifindex, Ipv4 ip, long tsNs, IpAddress ip6) {
        public static final int SIZE = 56;
        public static final int OFF_TYPE = 0, OFF_VNI = 4, OFF_MAC = 8, OFF_PAD = 14, OFF_REMOTE = 16,
                OFF_IFINDEX = 20, OFF_IP = 24, OFF_PAD2 = 28, OFF_TS_NS = 32, OFF_IP6 = 40;

        /** Without an IPv6 target (every event but an IPv6 l3miss). */
        public XvtepEvent(int type, int vni, Mac mac, Ipv4 remote, int ifindex, Ipv4 ip, long tsNs) {
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
            putIp(b, OFF_REMOTE, remote);
            bb.putInt(OFF_IFINDEX, ifindex);
            putIp(b, OFF_IP, ip);
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
            return new XvtepEvent(bb.getInt(OFF_TYPE), bb.getInt(OFF_VNI), Mac.of(b, OFF_MAC), getIp(b, OFF_REMOTE),
                    bb.getInt(OFF_IFINDEX), getIp(b, OFF_IP), bb.getLong(OFF_TS_NS),
                    Arrays.equals(t6, new byte[16]) ? null : IpAddress.of(t6));
        }

        public static XvtepEvent decode(ByteBuffer buf) {
            byte[] b = new byte[SIZE];
            buf.duplicate().get(b, 0, Math.min(SIZE, buf.remaining()));
            return decode(b);
        }
    }
}
