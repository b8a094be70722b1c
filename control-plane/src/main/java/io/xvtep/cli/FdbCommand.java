package io.xvtep.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `xvtep fdb add|append|replace|del|show`: like `bridge fdb` on a vxlan device. */
@Command(name = "fdb", mixinStandardHelpOptions = true, description = "Manage forwarding entries (like bridge fdb)",
        subcommands = {FdbCommand.Add.class, FdbCommand.Append.class, FdbCommand.Replace.class, FdbCommand.Del.class,
                FdbCommand.Show.class})
public final class FdbCommand {

    static final String ZERO = "00:00:00:00:00:00";

    /** MAC vni VNI (dst IP | port IF) [self] [static|permanent]. */
    abstract static class Write extends ClientCommand implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "MAC vni VNI dst IP|port IFNAME") List<String> words;

        String mac;
        long vni;
        String dst;
        String port;

        void parse(boolean targetRequired) {
            Words w = new Words(words);
            mac = w.next();
            Long v = null;
            while (w.more()) {
                String kw = w.next();
                switch (kw) {
                    case "vni" -> v = vniNumber(this, w.value(kw));
                    case "dst" -> dst = w.value(kw);
                    case "port", "dev" -> port = w.value(kw);
                    case "self", "static", "permanent" -> {
                        // bridge(8) words that describe what xvtep does anyway
                    }
                    default -> throw w.unknown(kw);
                }
            }
            if (v == null) {
                throw usage("needs \"vni VNI\"");
            }
            vni = v;
            if (dst != null && port != null) {
                throw usage("give either dst IP or port IFNAME, not both");
            }
            if (targetRequired && dst == null && port == null) {
                throw usage("needs \"dst IP\" (a remote VTEP) or \"port IFNAME\" (a local port)");
            }
        }

        JsonObject body() {
            JsonObject b = new JsonObject().put("mac", mac);
            if (dst != null) {
                b.put("dst", dst);
            }
            if (port != null) {
                b.put("ifname", port);
            }
            return b;
        }

        int post() throws Exception {
            return run(() -> {
                String out = call("POST", "/vnis/" + vni + "/fdb", body());
                if (json) {
                    printRaw(out);
                }
            });
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add a static entry (refused if a static one exists)",
            customSynopsis = "xvtep fdb add MAC vni VNI (dst IP | port IFNAME)")
    static final class Add extends Write {
        @Override
        public Integer call() throws Exception {
            parse(true);
            return post();
        }
    }

    @Command(name = "append", mixinStandardHelpOptions = true,
            description = "Append a flood destination (MAC 00:00:00:00:00:00)",
            customSynopsis = "xvtep fdb append 00:00:00:00:00:00 vni VNI dst IP")
    static final class Append extends Write {
        @Override
        public Integer call() throws Exception {
            parse(true);
            return post();
        }
    }

    @Command(name = "replace", mixinStandardHelpOptions = true, description = "Add or replace a static entry",
            customSynopsis = "xvtep fdb replace MAC vni VNI (dst IP | port IFNAME)")
    static final class Replace extends Write {
        @Override
        public Integer call() throws Exception {
            parse(true);
            JsonObject b = body();
            b.remove("mac");
            return run(() -> {
                String out = call("PUT", "/vnis/" + vni + "/fdb/" + enc(mac), b);
                if (json) {
                    printRaw(out);
                }
            });
        }
    }

    @Command(name = "del", aliases = "delete", mixinStandardHelpOptions = true, description = "Delete an entry",
            customSynopsis = "xvtep fdb del MAC vni VNI [dst IP]")
    static final class Del extends Write {
        @Override
        public Integer call() throws Exception {
            parse(false);
            if (port != null) {
                throw usage("fdb del takes dst IP (for the all-zero MAC), not port");
            }
            return run(() -> call("DELETE", "/vnis/" + vni + "/fdb/" + enc(mac) + (dst == null ? "" : "?dst=" + enc(dst)),
                    null));
        }
    }

    /** One entry as `bridge fdb show` prints it. */
    static String line(JsonObject e) {
        StringBuilder sb = new StringBuilder(e.getString("mac")).append(" vni ").append(e.getValue("vni"));
        if (e.getString("ifname") != null || e.getValue("ifindex") != null) {
            sb.append(" port ").append(e.getString("ifname", "ifindex" + e.getValue("ifindex")));
        } else if (e.getString("dst") != null) {
            sb.append(" dst ").append(e.getString("dst"));
        }
        sb.append(" self");
        String type = e.getString("type");
        if (ZERO.equals(e.getString("mac"))) {
            sb.append(" permanent");
        } else if ("static".equals(type)) {
            sb.append(" static");
        } else if ("cluster".equals(type)) {
            sb.append(" cluster");
        }
        if (e.getValue("age") != null && !"static".equals(type)) {
            sb.append(" age ").append(e.getValue("age"));
        }
        return sb.toString();
    }

    @Command(name = "show", aliases = "list", mixinStandardHelpOptions = true, description = "List entries",
            customSynopsis = "xvtep fdb show [vni VNI] [static|learned|local|cluster]")
    static final class Show extends ClientCommand implements Callable<Integer> {
        @Parameters(arity = "0..*", paramLabel = "[vni VNI] [TYPE]") List<String> words;

        @Override
        public Integer call() throws Exception {
            Words w = new Words(words);
            Long vni = null;
            String type = null;
            while (w.more()) {
                String kw = w.next();
                if (kw.equals("vni")) {
                    vni = vniNumber(this, w.value(kw));
                } else if (Set.of("static", "learned", "local", "cluster").contains(kw)) {
                    type = kw;
                } else {
                    throw w.unknown(kw);
                }
            }
            Long v = vni;
            String q = type == null ? "" : "?type=" + type;
            return run(() -> {
                JsonArray all = new JsonArray();
                if (v != null) {
                    all = new JsonArray(call("GET", "/vnis/" + v + "/fdb" + q, null));
                } else {
                    for (Object o : new JsonArray(call("GET", "/vnis", null))) {
                        new JsonArray(call("GET", "/vnis/" + ((JsonObject) o).getValue("vni") + "/fdb" + q, null))
                                .forEach(all::add);
                    }
                }
                if (json) {
                    printRaw(all.encodePrettily());
                } else {
                    all.forEach(e -> System.out.println(line((JsonObject) e)));
                }
            });
        }
    }
}
