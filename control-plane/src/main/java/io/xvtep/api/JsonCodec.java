package io.xvtep.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.model.FdbEntry;
import io.xvtep.model.IpAddress;
import io.xvtep.service.Counters;
import io.xvtep.service.FdbService.FdbSpec;
import io.xvtep.service.NeighService.NeighSpec;
import io.xvtep.service.NeighView;
import io.xvtep.service.PortService;
import io.xvtep.service.PortView;
import io.xvtep.service.VniOption;
import io.xvtep.service.VniSpec;
import io.xvtep.service.VniView;
import io.xvtep.service.VtepException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Strict JSON in, plain JSON out. Requests must be objects with only known fields of the
 * right JSON type (no numbers as strings, no fractions): anything else is a 400 naming the
 * field, before the service is even asked.
 */
public final class JsonCodec {

    /** Every VNI option; a PATCH body may name them all, the immutable ones get their own error. */
    public static final Set<String> VNI_FIELDS = Set.copyOf(VniOption.jsonNames());
    /** A neighbour's fields, in the order a bulk entry hands them over ({@link BulkBody}). */
    static final List<String> NEIGH_ENTRY = List.of("ip", "mac");
    public static final Set<String> NEIGH_FIELDS = Set.copyOf(NEIGH_ENTRY);
    public static final Set<String> PORT_FIELDS = Set.of("ifname", "xdp", PortService.XDP_ENCAP, PortService.FDB_MAX_LEARNED);
    /** An FDB entry's fields, in the order a bulk entry hands them over ({@link BulkBody}). */
    static final List<String> FDB_ENTRY = List.of("mac", "dst", "ifname");
    public static final Set<String> FDB_FIELDS = Set.copyOf(FDB_ENTRY);

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

    static String firstLine(String s) {
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

    /** A whole number (no fractions, no strings); null when absent; huge ones become Long.MAX_VALUE (out of range). */
    static Long integer(JsonObject o, String f) {
        Object v = o.getValue(f);
        if (v == null) {
            return null;
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof java.math.BigInteger b) {
            return b.signum() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        throw VtepException.invalid(f, f + " must be an integer");
    }

    static IpAddress address(JsonObject o, String f) {
        return Params.ip(string(o, f), f);
    }

    /** A VNI body: each field parsed as its {@link VniOption} says. */
    public static VniSpec vniSpec(JsonObject o) {
        return VniOption.spec(plain(o));
    }

    /** The object's fields as plain Java values (lists rather than JsonArrays). */
    static java.util.Map<String, Object> plain(JsonObject o) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (String k : o.fieldNames()) {
            Object v = o.getValue(k);
            m.put(k, v instanceof JsonArray a ? a.getList() : v);
        }
        return m;
    }

    /** The PATCH body: immutable options are refused by name, the rest as for create. */
    public static VniSpec vniPatch(JsonObject o) {
        for (String f : VniOption.immutableNames()) {
            if (o.containsKey(f)) {
                throw VtepException.invalid(f, f + " cannot be changed (delete and re-create the VNI)");
            }
        }
        return vniSpec(o);
    }

    /** A bulk FDB body ({@link BulkBody}): entries of mac and one of dst and ifname. */
    public static List<FdbSpec> fdbSpecs(Buffer body) {
        return BulkBody.entries(body, FDB_ENTRY, (i, f) -> new FdbSpec(Params.mac(f[0], "mac"),
                Params.ip(f[1], "dst"), f[2]));
    }

    /** A bulk neighbour body ({@link BulkBody}): entries of ip and mac. */
    public static List<NeighSpec> neighSpecs(Buffer body) {
        return BulkBody.entries(body, NEIGH_ENTRY, (i, f) -> new NeighSpec(Params.ip(f[0], "ip"),
                Params.mac(f[1], "mac")));
    }

    public static JsonObject neigh(NeighView n) {
        return new JsonObject().put("vni", n.vni()).put("ip", n.ip().toString()).put("mac", n.mac().toString());
    }

    // ------------------------------------------------------------------ out

    private static String str(IpAddress a) {
        return a == null ? null : a.toString();
    }

    /** Every option as {@link VniOption#value} reads it, then the ports and the flood list. */
    public static JsonObject vni(VniView v) {
        JsonObject o = new JsonObject();
        for (VniOption opt : VniOption.values()) {
            Object x = opt.value(v);
            o.put(opt.json(), x instanceof List<?> l ? new JsonArray(new ArrayList<>(l)) : x);
        }
        JsonArray ports = new JsonArray();
        v.ports().forEach(p -> ports.add(port(p)));
        JsonArray flood = new JsonArray();
        v.flood().forEach(a -> flood.add(a.toString()));
        return o.put("ports", ports).put("flood", flood);
    }

    public static JsonObject port(PortView p) {
        return new JsonObject().put("vni", p.vni()).put("ifname", p.ifname()).put("ifindex", p.ifindex())
                .put("xdp", p.xdp()).put(PortService.XDP_ENCAP, p.xdpEncap()).put(PortService.FDB_MAX_LEARNED, p.fdbMaxLearned());
    }

    public static JsonObject fdb(FdbEntry e) {
        return new JsonObject().put("vni", e.vni().value()).put("mac", e.mac().toString()).put("dst", str(e.dst()))
                .put("ifname", e.ifindex() == 0 ? null : e.ifname())
                .put("ifindex", e.ifindex() == 0 ? null : e.ifindex())
                .put("type", e.type().label()).put("age", e.ageSeconds() < 0 ? null : e.ageSeconds());
    }

    public static JsonObject stats(int vni, Counters s) {
        JsonObject o = new JsonObject().put("vni", vni);
        s.values().forEach(o::put);
        return o;
    }

    public static JsonObject allStats(Map<Integer, Counters> all) {
        JsonObject vnis = new JsonObject();
        Counters total = Counters.ZERO;
        for (Map.Entry<Integer, Counters> e : all.entrySet()) {
            vnis.put(Integer.toString(e.getKey()), stats(e.getKey(), e.getValue()));
            total = total.plus(e.getValue());
        }
        JsonObject t = new JsonObject();
        total.values().forEach(t::put);
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
