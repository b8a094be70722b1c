package io.xvtep.service;

import io.xvtep.datapath.LearnBudgets;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Vni;
import io.xvtep.model.VniConfig;
import io.xvtep.model.VniConfig.Df;
import io.xvtep.service.VniSpec.Inheritable;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Every option of a VNI, declared once: its name in the API's JSON and in the CLI (as `ip link
 * ... type vxlan` spells it), its type, range and default, whether a PATCH may change it, and
 * how it reads back from a {@link VniView}. The API's JSON codec, the CLI's `vni add/set`
 * keywords, the OpenAPI coverage test, the immutable-field checks and the cluster's VNI
 * replication all go through this list.
 *
 * Values are plain Java values as a JSON parser gives them (Number, String, Boolean, List) on
 * the way in ({@link #parse}) and on the way out ({@link #value}).
 */
public enum VniOption {
    VNI("vni", null, Type.VNI, false, Vni.MIN, Vni.MAX, null, v -> v.config().vni().value()),
    DSTPORT("dstport", "dstport", Type.INTEGER, false, 1, 65535, (long) VniConfig.DEFAULT_DSTPORT,
            v -> v.config().dstport()),
    /** The effective outer source: the VNI's own, else the agent's (read back). */
    LOCAL("local", "local", Type.ADDRESS, false, 0, 0, null, v -> text(v.local())),
    REMOTE("remote", "remote", Type.ADDRESS, false, 0, 0, null, v -> text(v.config().remote())),
    GROUP("group", "group", Type.ADDRESS, false, 0, 0, null, v -> text(v.config().group())),
    /**
     * Default 64; with a {@code group}, "auto" (0): 1 to the group, 64 to unicast VTEPs, as the kernel's
     * device does when no ttl is given.
     */
    TTL("ttl", "ttl", Type.INHERITABLE, true, 1, 255, (long) VniConfig.DEFAULT_TTL,
            v -> v.config().ttlInherit() ? "inherit" : v.config().ttl() == 0 ? "auto" : v.config().ttl()),
    TOS("tos", "tos", Type.INHERITABLE, true, 0, 255, 0L, v -> v.config().tosInherit() ? "inherit" : v.config().tos()),
    DF("df", "df", Type.DF, true, 0, 0, Df.UNSET, v -> v.config().df().label()),
    LEARNING("learning", "learning", Type.FLAG, true, 0, 0, true, v -> v.config().learning()),
    PROXY("proxy", "proxy", Type.FLAG, true, 0, 0, false, v -> v.config().proxy()),
    L2MISS("l2miss", "l2miss", Type.FLAG, true, 0, 0, false, v -> v.config().l2miss()),
    L3MISS("l3miss", "l3miss", Type.FLAG, true, 0, 0, false, v -> v.config().l3miss()),
    AGEING("ageing", "ageing", Type.INTEGER, true, 0, Integer.MAX_VALUE, (long) VniConfig.DEFAULT_AGEING,
            v -> v.config().ageing()),
    /** Default: the host's ip_local_port_range; the CLI sets both with `srcport MIN MAX`. */
    SRCPORT_MIN("srcport_min", "srcport", Type.INTEGER, true, 1, 65535, null, v -> v.config().srcportMin()),
    SRCPORT_MAX("srcport_max", "srcport", Type.INTEGER, true, 1, 65535, null, v -> v.config().srcportMax()),
    /** Default and maximum: the underlay's MTU minus the 50 bytes of encapsulation. */
    MTU("mtu", "mtu", Type.INTEGER, true, 68, 65535, null, v -> v.config().mtu()),
    DEVICE("device", "dev", Type.IFNAME, false, 0, 0, null, VniView::device),
    /**
     * Most MACs learned in the VNI (the kernel's vxlan `maxaddress`); 0: no limit of its own (the host's
     * budget still applies). A new MAC beyond it is forwarded but not learned, and counted (learn_refused).
     */
    MAXADDRESS("maxaddress", "maxaddress", Type.INTEGER, true, 0, 0xffffffffL,
            (long) LearnBudgets.Scope.VNI.defaultMax(), VniView::maxaddress),
    /** IPv6 VNIs only, fixed at create as in the kernel: send a zero outer UDP checksum (RFC 6935). */
    UDP6ZEROCSUMTX("udp6zerocsumtx", "udp6zerocsumtx", Type.FLAG, false, 0, 0, false, v -> v.config().udp6zerocsumtx()),
    /** IPv6 VNIs only, fixed at create: accept a zero outer UDP checksum (RFC 6936); default: dropped. */
    UDP6ZEROCSUMRX("udp6zerocsumrx", "udp6zerocsumrx", Type.FLAG, false, 0, 0, false, v -> v.config().udp6zerocsumrx()),
    /** IPv6 VNIs only: the outer flow label, or "inherit" (from an inner IPv6 packet's); default 0 as the kernel. */
    FLOWLABEL("flowlabel", "flowlabel", Type.INHERITABLE, true, 0, VniConfig.FLOWLABEL_MAX, 0L,
            v -> v.config().flowlabelInherit() ? "inherit" : v.config().flowlabel()),
    /** The VTEPs VXLAN is accepted from; empty: any. */
    ALLOWED_SRC("allowed_src", "allowed-src", Type.ADDRESS_LIST, true, 0, 0, List.of(),
            v -> v.allowedSrc().stream().map(IpAddress::toString).toList());

    /** How a value is written. */
    public enum Type {
        /** A VNI number. */
        VNI,
        /** An integer in min..max. */
        INTEGER,
        /** An IPv4 or IPv6 literal (a string). */
        ADDRESS,
        /** A list of address literals. */
        ADDRESS_LIST,
        /** An integer in min..max or the string "inherit" (ttl also "auto"). */
        INHERITABLE,
        /** unset, set or inherit. */
        DF,
        /** true or false (the CLI: NAME or noNAME). */
        FLAG,
        /** An interface name (a string). */
        IFNAME
    }

    private final String json;
    private final String cli;
    private final Type type;
    private final boolean mutable;
    private final long min;
    private final long max;
    private final Object dflt;
    private final Function<VniView, Object> reader;

    VniOption(String json, String cli, Type type, boolean mutable, long min, long max, Object dflt,
            Function<VniView, Object> reader) {
        this.json = json;
        this.cli = cli;
        this.type = type;
        this.mutable = mutable;
        this.min = min;
        this.max = max;
        this.dflt = dflt;
        this.reader = reader;
    }

    /** The field name in the API's JSON. */
    public String json() {
        return json;
    }

    /** The keyword of `xvtep vni add/set` (null: the VNI itself, a positional argument). */
    public String cli() {
        return cli;
    }

    public Type type() {
        return type;
    }

    /** Whether a PATCH (`vni set`) may change it; the others are the VNI's identity or bound to resources. */
    public boolean mutable() {
        return mutable;
    }

    /** Range of INTEGER and INHERITABLE options (MTU's real maximum comes from the underlay). */
    public long min() {
        return min;
    }

    public long max() {
        return max;
    }

    /** The value when not given (null: none, or one the agent computes: srcport range, mtu). */
    public Object defaultValue() {
        return dflt;
    }

    /** The option's value in {@code view}, as a plain JSON value (null: not set). */
    public Object value(VniView view) {
        return reader.apply(view);
    }

    public static Optional<VniOption> byJson(String name) {
        return Arrays.stream(values()).filter(o -> o.json.equals(name)).findFirst();
    }

    /** JSON names, in declaration order. */
    public static List<String> jsonNames() {
        return Arrays.stream(values()).map(VniOption::json).toList();
    }

    /** JSON names of the options a PATCH refuses. */
    public static List<String> immutableNames() {
        return Arrays.stream(values()).filter(o -> !o.mutable).map(VniOption::json).toList();
    }

    /** JSON names of the options a PATCH changes. */
    public static List<String> mutableNames() {
        return Arrays.stream(values()).filter(o -> o.mutable).map(VniOption::json).toList();
    }

    /**
     * A plain JSON value of this option to its typed value (as {@link VniSpec} holds it); null
     * stays null. Wrong types are refused naming the option: strictly, no numbers as strings,
     * no fractions; huge integers become Long.MAX_VALUE/MIN_VALUE so the range check refuses them.
     */
    public Object parse(Object v) {
        if (v == null) {
            return null;
        }
        return switch (type) {
            case VNI -> {
                try {
                    yield Vni.of(integer(v));
                } catch (IllegalArgumentException e) {
                    throw VtepException.invalid(json, e.getMessage());
                }
            }
            case INTEGER -> integer(v);
            case ADDRESS -> address(string(v));
            case ADDRESS_LIST -> {
                if (!(v instanceof List<?> l)) {
                    throw VtepException.invalid(json, json + " must be a list of strings");
                }
                List<IpAddress> out = new ArrayList<>();
                for (Object x : l) {
                    if (!(x instanceof String s)) {
                        throw VtepException.invalid(json, json + " must be a list of strings");
                    }
                    out.add(address(s));
                }
                yield out;
            }
            case INHERITABLE -> {
                if (v instanceof String s) {
                    if (this == TTL && s.equals("auto")) {
                        yield Inheritable.AUTO;
                    }
                    if (!s.equals("inherit")) {
                        throw VtepException.invalid(json, json + " must be a number" + (this == TTL ? ", \"auto\"" : "")
                                + " or \"inherit\"");
                    }
                    yield Inheritable.INHERIT;
                }
                yield Inheritable.of(integer(v));
            }
            case DF -> {
                String s = string(v);
                yield Arrays.stream(Df.values()).filter(d -> d.label().equals(s)).findFirst()
                        .orElseThrow(() -> VtepException.invalid(json, "df must be unset, set or inherit: " + s));
            }
            case FLAG -> {
                if (!(v instanceof Boolean b)) {
                    throw VtepException.invalid(json, json + " must be true or false");
                }
                yield b;
            }
            case IFNAME -> string(v);
        };
    }

    /** A spec from plain JSON values by JSON name; unknown names are refused. */
    public static VniSpec spec(Map<String, ?> values) {
        Map<VniOption, Object> typed = new EnumMap<>(VniOption.class);
        values.forEach((k, v) -> {
            VniOption o = byJson(k).orElseThrow(() -> VtepException.invalid(k, "unknown field: " + k));
            typed.put(o, o.parse(v));
        });
        return VniSpec.of(typed);
    }

    private long integer(Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigInteger b) {
            return b.signum() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        throw VtepException.invalid(json, json + " must be an integer");
    }

    private String string(Object v) {
        if (!(v instanceof String s)) {
            throw VtepException.invalid(json, json + " must be a string");
        }
        return s;
    }

    private IpAddress address(String s) {
        try {
            return IpAddress.parse(s);
        } catch (IllegalArgumentException e) {
            throw VtepException.invalid(json, e.getMessage());
        }
    }

    private static String text(IpAddress a) {
        return a == null ? null : a.toString();
    }
}
