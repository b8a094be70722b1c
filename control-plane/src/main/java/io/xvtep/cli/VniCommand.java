package io.xvtep.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.model.VniConfig.Df;
import io.xvtep.service.VniOption;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `xvtep vni add|set|show|del`: like `ip link add/set/show/del ... type vxlan`. */
@Command(name = "vni", mixinStandardHelpOptions = true, description = "Manage VNIs (like ip link ... type vxlan)",
        subcommands = {VniCommand.Add.class, VniCommand.SetCmd.class, VniCommand.Show.class, VniCommand.Del.class})
public final class VniCommand {

    static final String OPTIONS = "[dstport N] [remote IP] [group IP] [local IP] [dev NAME] [ttl N|auto|inherit] "
            + "[tos N|inherit] [df set|unset|inherit] [learning|nolearning] [proxy|noproxy] [l2miss|nol2miss] "
            + "[l3miss|nol3miss] [ageing SECONDS] [srcport MIN MAX] [mtu N] [allowed-src IP[,IP...]|none] "
            + "[udp6zerocsumtx] [udp6zerocsumrx] [flowlabel N|inherit]";

    /** The option a keyword sets (a flag also by its "no" form), as {@link VniOption} declares them. */
    private static VniOption option(String kw) {
        for (VniOption o : VniOption.values()) {
            if (kw.equals(o.cli()) || (o.type() == VniOption.Type.FLAG && kw.equals("no" + o.cli()))) {
                return o;
            }
        }
        return null;
    }

    /** Parses the option words into API fields. */
    static JsonObject options(ClientCommand c, ClientCommand.Words w, boolean create) {
        JsonObject b = new JsonObject();
        while (w.more()) {
            String kw = w.next();
            VniOption o = option(kw);
            if (o == null) {
                throw w.unknown(kw);
            }
            if (!create && !o.mutable()) {
                throw c.usage(kw + " cannot be changed (delete and re-create the VNI)");
            }
            switch (o.type()) {
                case INTEGER -> {
                    if (o == VniOption.SRCPORT_MIN || o == VniOption.SRCPORT_MAX) { // srcport MIN MAX
                        b.put(VniOption.SRCPORT_MIN.json(), w.number(kw, o.min(), o.max()));
                        b.put(VniOption.SRCPORT_MAX.json(), w.number(kw, o.min(), o.max()));
                    } else {
                        b.put(o.json(), w.number(kw, o.min(), o.max()));
                    }
                }
                case INHERITABLE -> b.put(o.json(), w.numberOrInherit(kw, o.min(), o.max()));
                case ADDRESS, IFNAME -> b.put(o.json(), w.value(kw));
                case DF -> {
                    String v = w.value(kw);
                    if (Arrays.stream(Df.values()).noneMatch(d -> d.label().equals(v))) {
                        throw c.usage("df must be set, unset or inherit: " + v);
                    }
                    b.put(o.json(), v);
                }
                case FLAG -> b.put(o.json(), kw.equals(o.cli()));
                case ADDRESS_LIST -> {
                    String v = w.value(kw);
                    JsonArray a = new JsonArray();
                    if (!v.equals("none")) {
                        for (String ip : v.split(",")) {
                            if (!ip.isBlank()) {
                                a.add(ip.trim());
                            }
                        }
                    }
                    b.put(o.json(), a);
                }
                case VNI -> throw w.unknown(kw);
            }
        }
        return b;
    }

    /** One VNI as `ip -d link show` would print a vxlan device. */
    static String line(JsonObject v) {
        StringBuilder sb = new StringBuilder("vni ").append(v.getValue("vni"));
        sb.append(" dstport ").append(v.getValue("dstport"));
        if (v.getString("remote") != null) {
            sb.append(" remote ").append(v.getString("remote"));
        }
        if (v.getString("group") != null) {
            sb.append(" group ").append(v.getString("group"));
        }
        if (v.getString("local") != null) {
            sb.append(" local ").append(v.getString("local"));
        }
        if (v.getString("device") != null) {
            sb.append(" dev ").append(v.getString("device"));
        }
        sb.append(" ttl ").append(v.getValue("ttl"));
        sb.append(" tos ").append(v.getValue("tos"));
        sb.append(" df ").append(v.getValue("df"));
        sb.append(" ageing ").append(v.getValue("ageing"));
        sb.append(" srcport ").append(v.getValue("srcport_min")).append(' ').append(v.getValue("srcport_max"));
        sb.append(" mtu ").append(v.getValue("mtu"));
        if (v.getValue("maxaddress") != null) {
            sb.append(" maxaddress ").append(v.getValue("maxaddress")); // the learning limit, as `ip -d link` shows it
        }
        if (!Boolean.TRUE.equals(v.getBoolean("learning"))) {
            sb.append(" nolearning");
        }
        if (v.getValue("flowlabel") != null && !Integer.valueOf(0).equals(v.getValue("flowlabel"))) {
            sb.append(" flowlabel ").append(v.getValue("flowlabel")); // IPv6 VNIs, as `ip -d link` shows it
        }
        for (String f : List.of("proxy", "l2miss", "l3miss", "udp6zerocsumtx", "udp6zerocsumrx")) {
            if (Boolean.TRUE.equals(v.getBoolean(f))) {
                sb.append(' ').append(f);
            }
        }
        JsonArray allowed = v.getJsonArray("allowed_src");
        if (allowed != null && !allowed.isEmpty()) {
            List<String> l = new ArrayList<>();
            allowed.forEach(x -> l.add(String.valueOf(x)));
            sb.append(" allowed-src ").append(String.join(",", l));
        }
        JsonArray ports = v.getJsonArray("ports");
        if (ports != null && !ports.isEmpty()) {
            List<String> l = new ArrayList<>();
            ports.forEach(p -> l.add(((JsonObject) p).getString("ifname", "?")));
            sb.append("\n    ports ").append(String.join(" ", l));
        }
        JsonArray flood = v.getJsonArray("flood");
        if (flood != null && !flood.isEmpty()) {
            List<String> l = new ArrayList<>();
            flood.forEach(x -> l.add(String.valueOf(x)));
            sb.append("\n    flood ").append(String.join(" ", l));
        }
        return sb.toString();
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Create a VNI",
            customSynopsis = "xvtep vni add VNI " + OPTIONS)
    static final class Add extends ClientCommand implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "VNI [OPTION VALUE]...") List<String> words;

        @Override
        public Integer call() throws Exception {
            Words w = new Words(words);
            long vni = vniNumber(this, w.next());
            JsonObject b = new JsonObject().put("vni", vni).mergeIn(options(this, w, true));
            return run(() -> {
                String out = call("POST", "/vnis", b);
                if (json) {
                    printRaw(out);
                }
            });
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Change options of a VNI",
            customSynopsis = "xvtep vni set VNI [ttl|tos|df|learning|nolearning|proxy|l2miss|l3miss|ageing|srcport|mtu"
                    + "|allowed-src|flowlabel ...]")
    static final class SetCmd extends ClientCommand implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "VNI [OPTION VALUE]...") List<String> words;

        @Override
        public Integer call() throws Exception {
            Words w = new Words(words);
            long vni = vniNumber(this, w.next());
            JsonObject b = options(this, w, false);
            if (b.isEmpty()) {
                throw usage("nothing to change: give at least one option");
            }
            return run(() -> {
                String out = call("PATCH", "/vnis/" + vni, b);
                if (json) {
                    printRaw(out);
                }
            });
        }
    }

    @Command(name = "show", aliases = "list", mixinStandardHelpOptions = true, description = "Show VNIs")
    static final class Show extends ClientCommand implements Callable<Integer> {
        @Parameters(arity = "0..1", paramLabel = "VNI") String vni;

        @Override
        public Integer call() throws Exception {
            Long n = vni == null ? null : vniNumber(this, vni);
            return run(() -> {
                String out = call("GET", n == null ? "/vnis" : "/vnis/" + n, null);
                if (json) {
                    printRaw(out);
                } else if (n == null) {
                    new JsonArray(out).forEach(o -> System.out.println(line((JsonObject) o)));
                } else {
                    System.out.println(line(new JsonObject(out)));
                }
            });
        }
    }

    @Command(name = "del", aliases = "delete", mixinStandardHelpOptions = true,
            description = "Delete a VNI with its ports, FDB entries and counters")
    static final class Del extends ClientCommand implements Callable<Integer> {
        @Parameters(paramLabel = "VNI") String vni;

        @Override
        public Integer call() throws Exception {
            long n = vniNumber(this, vni);
            return run(() -> call("DELETE", "/vnis/" + n, null));
        }
    }
}
