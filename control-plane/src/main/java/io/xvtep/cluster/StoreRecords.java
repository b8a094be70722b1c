package io.xvtep.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.model.IpAddress;
import io.xvtep.model.IpAddress.Family;
import io.xvtep.model.Ipv4;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The values of the cluster store, one record per key family, versioned by a {@code "v"} field
 * and independent of the HTTP API's JSON (changing an API response must never change what the
 * store holds). Encoded with explicit field names in a fixed order; StoreRecordsTest pins the
 * exact strings.
 *
 * <p>Version 1 adds {@code "v":1} to the field names written before the store had a schema of its
 * own (values without {@code "v"}); those are read as version 1. A value with a higher version
 * (written by a newer agent) or with a field of the wrong type is refused as a whole
 * ({@link IllegalArgumentException}), except for what older agents also tolerated: an endpoint's
 * unparsable {@code ips} entries and {@code vtep} are left out.
 */
public final class StoreRecords {

    public static final int VERSION = 1;

    private StoreRecords() {
    }

    /**
     * {@code nodes/NODE}: the node's VTEP and the VNIs it has local ports in (sorted, distinct). A
     * dual-stack node (IPv4 and IPv6 VNIs side by side) has its IPv4 VTEP in {@code vtep} and its IPv6
     * one in {@code vtep6}; a single-stack node has {@code vtep} only, of either family.
     */
    public record NodeRecord(IpAddress vtep, IpAddress vtep6, List<Integer> vnis) {
        public NodeRecord {
            vnis = List.copyOf(new TreeSet<>(vnis));
        }

        public NodeRecord(IpAddress vtep, List<Integer> vnis) {
            this(vtep, null, vnis);
        }

        /** The record of a node with these addresses (each may be null, not both). */
        public static NodeRecord of(IpAddress ipv4, IpAddress ipv6, List<Integer> vnis) {
            return ipv4 != null ? new NodeRecord(ipv4, ipv6, vnis) : new NodeRecord(ipv6, null, vnis);
        }

        /** The node's VTEP of family {@code f} (null: none). */
        public IpAddress vtep(Family f) {
            if (vtep != null && vtep.family() == f) {
                return vtep;
            }
            return f == Family.IPV6 ? vtep6 : null;
        }

        public String encode() {
            JsonObject o = head().put("vtep", vtep == null ? null : vtep.toString());
            putIf(o, "vtep6", vtep6 == null ? null : vtep6.toString());
            return o.put("vnis", new JsonArray(vnis)).encode();
        }

        static final Set<String> FIELDS = Set.of("v", "vtep", "vtep6", "vnis");

        public static NodeRecord decode(String json) {
            JsonObject o = open(json, FIELDS);
            List<Integer> vnis = new ArrayList<>();
            for (Object x : array(o, "vnis")) {
                vnis.add(integer(x, "vnis"));
            }
            return new NodeRecord(lenientIp(o.getValue("vtep")), lenientIp(o.getValue("vtep6")), vnis);
        }
    }

    /** {@code endpoints/NODE/VNI/MAC}: a MAC behind one of NODE's local ports and its addresses (sorted). */
    public record EndpointRecord(String node, IpAddress vtep, List<InetAddress> ips) {
        public EndpointRecord {
            // List.of of an array: one or two addresses (the usual claim) take no backing array
            ips = List.of(ips.stream().distinct().sorted(Comparator.comparing(InetAddress::getHostAddress))
                    .toArray(InetAddress[]::new));
        }

        public String encode() {
            JsonArray a = new JsonArray();
            ips.forEach(i -> a.add(i.getHostAddress()));
            return head().put("node", node).put("vtep", vtep == null ? null : vtep.toString()).put("ips", a).encode();
        }

        static final Set<String> FIELDS = Set.of("v", "node", "vtep", "ips");

        public static EndpointRecord decode(String json) {
            JsonObject o = open(json, FIELDS);
            List<InetAddress> ips = new ArrayList<>();
            for (Object x : array(o, "ips")) {
                try {
                    ips.add(literal(String.valueOf(x)));
                } catch (RuntimeException e) {
                    // a bad address is left out, the rest of the claim stands
                }
            }
            return new EndpointRecord(string(o, "node"), lenientIp(o.getValue("vtep")), ips);
        }
    }

    /** An outer-header field (ttl, tos): a number, or inherited from the inner packet. */
    public record Outer(int value, boolean inherit) {
        public static final Outer INHERIT = new Outer(0, true);

        Object json() {
            return inherit ? "inherit" : value;
        }

        static Outer of(Object x, String field) {
            if ("inherit".equals(x)) {
                return INHERIT;
            }
            return new Outer(integer(x, field), false);
        }
    }

    /**
     * {@code vnis/VNI}: a VNI's definition, without what is per node (local address, remote,
     * device, ports). Every field but {@code vni} may be absent (null): the node's default on
     * create, unchanged on update. {@link #OPTIONS} names what an update changes.
     */
    public record VniRecord(int vni, Integer dstport, IpAddress group, Outer ttl, Outer tos, String df, Boolean learning,
            Boolean proxy, Boolean l2miss, Boolean l3miss, Integer ageing, Integer srcportMin, Integer srcportMax,
            Integer mtu, List<IpAddress> allowedSrc, Family family, Boolean udp6zerocsumtx, Boolean udp6zerocsumrx,
            Outer flowlabel) {

        /** The fields an update applies (the others are the VNI's identity: delete and re-create). */
        public static final Set<String> OPTIONS = Set.of("ttl", "tos", "df", "learning", "proxy", "l2miss",
                "l3miss", "ageing", "srcport_min", "srcport_max", "mtu", "allowed_src", "flowlabel");

        /** An IPv4 VNI (family and the IPv6 options absent). */
        public VniRecord(int vni, Integer dstport, IpAddress group, Outer ttl, Outer tos, String df, Boolean learning,
                Boolean proxy, Boolean l2miss, Boolean l3miss, Integer ageing, Integer srcportMin, Integer srcportMax,
                Integer mtu, List<IpAddress> allowedSrc) {
            this(vni, dstport, group, ttl, tos, df, learning, proxy, l2miss, l3miss, ageing, srcportMin, srcportMax,
                    mtu, allowedSrc, null, null, null, null);
        }
        private static final Set<String> DF = Set.of("unset", "set", "inherit");

        public VniRecord {
            if (df != null && !DF.contains(df)) {
                throw new IllegalArgumentException("df must be unset, set or inherit: " + df);
            }
            allowedSrc = allowedSrc == null ? null : List.copyOf(allowedSrc);
            if (family == Family.IPV4) {
                family = null; // IPv4 is the default: not written, so IPv4 records read as before
            }
        }

        public String encode() {
            JsonObject o = head().put("vni", vni);
            putIf(o, "dstport", dstport);
            putIf(o, "group", group == null ? null : group.toString());
            putIf(o, "ttl", ttl == null ? null : ttl.json());
            putIf(o, "tos", tos == null ? null : tos.json());
            putIf(o, "df", df);
            putIf(o, "learning", learning);
            putIf(o, "proxy", proxy);
            putIf(o, "l2miss", l2miss);
            putIf(o, "l3miss", l3miss);
            putIf(o, "ageing", ageing);
            putIf(o, "srcport_min", srcportMin);
            putIf(o, "srcport_max", srcportMax);
            putIf(o, "mtu", mtu);
            putIf(o, "allowed_src", allowedSrc == null ? null
                    : new JsonArray(allowedSrc.stream().map(IpAddress::toString).toList()));
            putIf(o, "family", family == null ? null : "ipv6");
            putIf(o, "udp6zerocsumtx", udp6zerocsumtx);
            putIf(o, "udp6zerocsumrx", udp6zerocsumrx);
            putIf(o, "flowlabel", flowlabel == null ? null : flowlabel.json());
            return o.encode();
        }

        static final Set<String> FIELDS = Set.of("v", "vni", "dstport", "group", "ttl", "tos", "df", "learning",
                "proxy", "l2miss", "l3miss", "ageing", "srcport_min", "srcport_max", "mtu", "allowed_src", "family",
                "udp6zerocsumtx", "udp6zerocsumrx", "flowlabel");

        public static VniRecord decode(String json) {
            JsonObject o = open(json, FIELDS);
            Object vni = o.getValue("vni");
            if (vni == null) {
                throw new IllegalArgumentException("vni is required");
            }
            List<IpAddress> allowed = null;
            if (o.containsKey("allowed_src")) {
                allowed = new ArrayList<>();
                for (Object x : array(o, "allowed_src")) {
                    allowed.add(IpAddress.parse(String.valueOf(x)));
                }
            }
            String family = string(o, "family");
            if (family != null && !family.equals("ipv4") && !family.equals("ipv6")) {
                throw new IllegalArgumentException("family must be ipv4 or ipv6: " + family);
            }
            return new VniRecord(integer(vni, "vni"), optInt(o, "dstport"),
                    o.getValue("group") == null ? null : IpAddress.parse(string(o, "group")),
                    o.getValue("ttl") == null ? null : Outer.of(o.getValue("ttl"), "ttl"),
                    o.getValue("tos") == null ? null : Outer.of(o.getValue("tos"), "tos"), string(o, "df"),
                    bool(o, "learning"), bool(o, "proxy"), bool(o, "l2miss"), bool(o, "l3miss"), optInt(o, "ageing"),
                    optInt(o, "srcport_min"), optInt(o, "srcport_max"), optInt(o, "mtu"), allowed,
                    "ipv6".equals(family) ? Family.IPV6 : null, bool(o, "udp6zerocsumtx"), bool(o, "udp6zerocsumrx"),
                    o.getValue("flowlabel") == null ? null : Outer.of(o.getValue("flowlabel"), "flowlabel"));
        }

        /** The VNI's underlay family (absent: IPv4). */
        public Family familyOrDefault() {
            return family == null ? Family.IPV4 : family;
        }

        /** True when {@code local} differs from this (stored) record on an option this record sets. */
        public boolean optionsDiffer(VniRecord local) {
            return differs(ttl, local.ttl) || differs(tos, local.tos) || differs(df, local.df)
                    || differs(learning, local.learning) || differs(proxy, local.proxy)
                    || differs(l2miss, local.l2miss) || differs(l3miss, local.l3miss)
                    || differs(ageing, local.ageing) || differs(srcportMin, local.srcportMin)
                    || differs(srcportMax, local.srcportMax) || differs(mtu, local.mtu)
                    || differs(flowlabel, local.flowlabel)
                    || (allowedSrc != null && (local.allowedSrc == null
                            || !Set.copyOf(allowedSrc).equals(Set.copyOf(local.allowedSrc))));
        }

        private static boolean differs(Object stored, Object local) {
            return stored != null && !stored.equals(local);
        }
    }

    /** {@code vni-tombstones/VNI}: the VNI was deleted through NODE's API at {@code deleted} (ISO-8601). */
    public record TombstoneRecord(int vni, String node, String deleted) {
        public String encode() {
            return head().put("vni", vni).put("node", node).put("deleted", deleted).encode();
        }

        static final Set<String> FIELDS = Set.of("v", "vni", "node", "deleted");

        public static TombstoneRecord decode(String json) {
            JsonObject o = open(json, FIELDS);
            return new TombstoneRecord(integer(o.getValue("vni"), "vni"), string(o, "node"), string(o, "deleted"));
        }
    }

    // ------------------------------------------------------------------ JSON helpers

    private static JsonObject head() {
        return new JsonObject().put("v", VERSION);
    }

    /** A newer agent's record: refused as a whole, counted apart from malformed ones. */
    public static final class VersionException extends IllegalArgumentException {
        VersionException(String m) {
            super(m);
        }
    }

    /** The JSON object of a record with only {@code fields} (a field this schema does not know refuses the value). */
    private static JsonObject open(String json, Set<String> fields) {
        JsonObject o;
        try {
            o = new JsonObject(json);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a JSON object");
        }
        Object v = o.getValue("v");
        if (v != null && !Integer.valueOf(VERSION).equals(v)) {
            throw new VersionException("record version " + v + " (this agent reads " + VERSION + ")");
        }
        for (String f : o.fieldNames()) {
            if (!fields.contains(f)) {
                throw new IllegalArgumentException("unknown field " + f);
            }
        }
        return o;
    }

    private static void putIf(JsonObject o, String f, Object v) {
        if (v != null) {
            o.put(f, v);
        }
    }

    private static int integer(Object x, String f) {
        if (x instanceof Integer i) {
            return i;
        }
        if (x instanceof Long l && l == l.intValue()) {
            return l.intValue();
        }
        throw new IllegalArgumentException(f + " must be an integer: " + x);
    }

    private static Integer optInt(JsonObject o, String f) {
        Object x = o.getValue(f);
        return x == null ? null : integer(x, f);
    }

    private static Boolean bool(JsonObject o, String f) {
        Object x = o.getValue(f);
        if (x == null || x instanceof Boolean) {
            return (Boolean) x;
        }
        throw new IllegalArgumentException(f + " must be true or false: " + x);
    }

    private static String string(JsonObject o, String f) {
        Object x = o.getValue(f);
        if (x == null || x instanceof String) {
            return (String) x;
        }
        throw new IllegalArgumentException(f + " must be a string: " + x);
    }

    private static JsonArray array(JsonObject o, String f) {
        Object x = o.getValue(f);
        if (x == null) {
            return new JsonArray();
        }
        if (x instanceof JsonArray a) {
            return a;
        }
        throw new IllegalArgumentException(f + " must be a list: " + x);
    }

    private static IpAddress lenientIp(Object x) {
        try {
            return x instanceof String s ? IpAddress.parse(s) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** An IP literal (never a name lookup). */
    static InetAddress literal(String s) {
        if (s.indexOf(':') < 0) {
            return Ipv4.parse(s).toInet();
        }
        if (!s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
            throw new IllegalArgumentException("not an IPv6 literal: " + s);
        }
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }
}
