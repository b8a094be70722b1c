package io.xvtep.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.agent.Views.PortView;
import io.xvtep.agent.Views.VniView;
import io.xvtep.agent.VniSpec;
import io.xvtep.agent.VtepException;
import io.xvtep.datapath.MapCodec.VniStats;
import io.xvtep.model.FdbEntry;
import io.xvtep.model.Ipv4;
import io.xvtep.model.VniConfig;

import java.math.BigInteger;
import java.util.Map;
import java.util.Set;

/**
 * Strict JSON in, plain JSON out. Requests must be objects with only known fields of the
 * right JSON type (no numbers as strings, no fractions): anything else is a 400 naming the
 * field, before the service is even asked.
 */
public final class JsonCodec {

    public static final Set<String> VNI_FIELDS = Set.of("vni", "dstport", "local", "remote", "group", "ttl", "tos", "df",
            "learning", "proxy", "l2miss", "l3miss", "ageing", "srcport_min", "srcport_max", "mtu", "device",
            "allowed_src");
    /** What PATCH may change (the immutable fields get their own error). */
    public static final Set<String> VNI_PATCH_FIELDS = Set.of("ttl", "tos", "df", "learning", "proxy", "l2miss",
            "l3miss", "ageing", "srcport_min", "srcport_max", "mtu", "allowed_src", "vni", "dstport", "local", "group",
            "remote", "device");
    public static final Set<String> NEIGH_FIELDS = Set.of("ip", "mac");
    public static final Set<String> BULK_FIELDS = Set.of("entries");
    public static final Set<String> PORT_FIELDS = Set.of("ifname", "xdp");
    public static final Set<String> FDB_FIELDS = Set.of("mac", "dst", "ifname");

    private JsonCodec() {
    }

    /** The body as a JSON object with no fields outside {@code allowed}. */
    public static JsonObject object(Buffer body, Set<String> allowed) {
        if (body == null || body.length() == 0) {
            throw VtepException.invalid(null, "request body must be a JSON object");
        }
        Object v;
        try {
            v = Json.decodeValue(body);
        } catch (DecodeException e) {
            throw VtepException.invalid(null, "malformed JSON: " + firstLine(e.getMessage()));
        }
        if (!(v instanceof JsonObject o)) {
            throw VtepException.invalid(null, "request body must be a JSON object");
        }
        for (String k : o.fieldNames()) {
            if (!allowed.contains(k)) {
                throw VtepException.invalid(k, "unknown field: " + k);
            }
        }
        return o;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    static String string(JsonObject o, String f) {
        Object v = o.getValue(f);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw VtepException.invalid(f, f + " must be a string");
    }

    static Boolean bool(JsonObject o, String f) {
        Object v = o.getValue(f);
        if (v == null || v instanceof Boolean) {
            return (Boolean) v;
        }
        throw VtepException.invalid(f, f + " must be true or false");
    }

    /** An integral JSON number; huge ones become Long.MAX_VALUE so range checks reject them. */
    static Long integer(JsonObject o, String f) {
        return integer(o.getValue(f), f);
    }

    static Long integer(Object v, String f) {
        if (v == null) {
            return null;
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigInteger b) {
            return b.signum() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        throw VtepException.invalid(f, f + " must be an integer");
    }

    /** A number, or the string "inherit" (ttl, tos). */
    static Object numberOrInherit(JsonObject o, String f) {
        Object v = o.getValue(f);
        if (v instanceof String s) {
            if (!s.equals("inherit")) {
                throw VtepException.invalid(f, f + " must be a number or \"inherit\"");
            }
            return s;
        }
        return integer(v, f);
    }

    public static VniSpec vniSpec(JsonObject o) {
        return new VniSpec(integer(o, "vni"), integer(o, "dstport"), string(o, "local"), string(o, "remote"),
                string(o, "group"), numberOrInherit(o, "ttl"), numberOrInherit(o, "tos"), string(o, "df"),
                bool(o, "learning"), bool(o, "proxy"), bool(o, "l2miss"), bool(o, "l3miss"), integer(o, "ageing"),
                integer(o, "srcport_min"), integer(o, "srcport_max"), integer(o, "mtu"), string(o, "device"),
                stringList(o, "allowed_src"));
    }

    /** A list of strings (null when absent). */
    static java.util.List<String> stringList(JsonObject o, String f) {
        Object v = o.getValue(f);
        if (v == null) {
            return null;
        }
        if (!(v instanceof JsonArray a)) {
            throw VtepException.invalid(f, f + " must be a list of strings");
        }
        java.util.List<String> l = new java.util.ArrayList<>();
        for (Object x : a) {
            if (!(x instanceof String s)) {
                throw VtepException.invalid(f, f + " must be a list of strings");
            }
            l.add(s);
        }
        return l;
    }

    /** The PATCH body: immutable fields are refused by name, the rest as for create. */
    public static VniSpec vniPatch(JsonObject o) {
        for (String f : io.xvtep.agent.VtepService.IMMUTABLE) {
            if (o.containsKey(f)) {
                throw VtepException.invalid(f, f + " cannot be changed (delete and re-create the VNI)");
            }
        }
        return vniSpec(o);
    }

    /** The entries of a bulk body, each a JSON object with only {@code allowed} fields. */
    public static java.util.List<JsonObject> bulkEntries(JsonObject body, Set<String> allowed) {
        Object v = body.getValue("entries");
        if (!(v instanceof JsonArray a)) {
            throw VtepException.invalid("entries", "entries must be a list of objects");
        }
        java.util.List<JsonObject> l = new java.util.ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            if (!(a.getValue(i) instanceof JsonObject e)) {
                throw VtepException.invalid("entries[" + i + "]", "entries must be objects");
            }
            for (String k : e.fieldNames()) {
                if (!allowed.contains(k)) {
                    throw VtepException.invalid("entries[" + i + "]." + k, "unknown field: " + k);
                }
            }
            l.add(e);
        }
        return l;
    }

    public static java.util.List<io.xvtep.agent.VtepService.FdbSpec> fdbSpecs(JsonObject body) {
        java.util.List<JsonObject> l = bulkEntries(body, FDB_FIELDS);
        java.util.List<io.xvtep.agent.VtepService.FdbSpec> out = new java.util.ArrayList<>(l.size());
        for (int i = 0; i < l.size(); i++) {
            JsonObject e = l.get(i);
            String at = "entries[" + i + "].";
            out.add(new io.xvtep.agent.VtepService.FdbSpec(string(e, "mac", at), string(e, "dst", at),
                    string(e, "ifname", at)));
        }
        return out;
    }

    public static java.util.List<io.xvtep.agent.VtepService.NeighSpec> neighSpecs(JsonObject body) {
        java.util.List<JsonObject> l = bulkEntries(body, NEIGH_FIELDS);
        java.util.List<io.xvtep.agent.VtepService.NeighSpec> out = new java.util.ArrayList<>(l.size());
        for (int i = 0; i < l.size(); i++) {
            JsonObject e = l.get(i);
            String at = "entries[" + i + "].";
            out.add(new io.xvtep.agent.VtepService.NeighSpec(string(e, "ip", at), string(e, "mac", at)));
        }
        return out;
    }

    private static String string(JsonObject o, String f, String prefix) {
        Object v = o.getValue(f);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw VtepException.invalid(prefix + f, f + " must be a string");
    }

    public static JsonObject neigh(io.xvtep.agent.Views.NeighView n) {
        return new JsonObject().put("vni", n.vni()).put("ip", ipText(n.ip())).put("mac", n.mac().toString());
    }

    /** IPv4 dotted, IPv6 in the RFC 5952 short form (longest run of zero groups as ::). */
    public static String ipText(java.net.InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) {
            return a.getHostAddress();
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8;) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen && j - i >= 2) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ out

    private static String str(Ipv4 a) {
        return a == null ? null : a.toString();
    }

    public static JsonObject vni(VniView v) {
        VniConfig c = v.config();
        JsonArray ports = new JsonArray();
        v.ports().forEach(p -> ports.add(port(p)));
        JsonArray flood = new JsonArray();
        v.flood().forEach(a -> flood.add(a.toString()));
        return new JsonObject()
                .put("vni", c.vni().value())
                .put("dstport", c.dstport())
                .put("local", str(v.local()))
                .put("remote", str(c.remote()))
                .put("group", str(c.group()))
                .put("ttl", c.ttlInherit() ? "inherit" : c.ttl())
                .put("tos", c.tosInherit() ? "inherit" : c.tos())
                .put("df", c.df().label())
                .put("learning", c.learning())
                .put("proxy", c.proxy())
                .put("l2miss", c.l2miss())
                .put("l3miss", c.l3miss())
                .put("ageing", c.ageing())
                .put("srcport_min", c.srcportMin())
                .put("srcport_max", c.srcportMax())
                .put("mtu", c.mtu())
                .put("device", v.device())
                .put("allowed_src", new JsonArray(v.allowedSrc().stream().map(Ipv4::toString).toList()))
                .put("ports", ports)
                .put("flood", flood);
    }

    public static JsonObject port(PortView p) {
        return new JsonObject().put("vni", p.vni()).put("ifname", p.ifname()).put("ifindex", p.ifindex())
                .put("xdp", p.xdp());
    }

    public static JsonObject fdb(FdbEntry e) {
        return new JsonObject().put("vni", e.vni().value()).put("mac", e.mac().toString()).put("dst", str(e.dst()))
                .put("ifname", e.ifindex() == 0 ? null : e.ifname())
                .put("ifindex", e.ifindex() == 0 ? null : e.ifindex())
                .put("type", e.type().label()).put("age", e.ageSeconds() < 0 ? null : e.ageSeconds());
    }

    public static JsonObject stats(int vni, VniStats s) {
        JsonObject o = new JsonObject().put("vni", vni);
        s.asMap().forEach(o::put);
        return o;
    }

    public static JsonObject allStats(Map<Integer, VniStats> all) {
        JsonObject vnis = new JsonObject();
        VniStats total = VniStats.ZERO;
        for (Map.Entry<Integer, VniStats> e : all.entrySet()) {
            vnis.put(Integer.toString(e.getKey()), stats(e.getKey(), e.getValue()));
            total = total.plus(e.getValue());
        }
        JsonObject t = new JsonObject();
        total.asMap().forEach(t::put);
        return new JsonObject().put("total", t).put("vnis", vnis);
    }

    public static JsonObject error(String message, String field) {
        JsonObject o = new JsonObject().put("error", message);
        if (field != null) {
            o.put("field", field);
        }
        return o;
    }
}
