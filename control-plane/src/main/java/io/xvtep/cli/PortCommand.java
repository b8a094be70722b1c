package io.xvtep.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `xvtep port add|show|del`: attach local interfaces (container veths) to a VNI, like `ip link set X master br0`. */
@Command(name = "port", mixinStandardHelpOptions = true, description = "Manage the local ports of VNIs",
        subcommands = {PortCommand.Add.class, PortCommand.Show.class, PortCommand.Del.class})
public final class PortCommand {

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Attach an interface to a VNI",
            customSynopsis = "xvtep port add IFNAME vni VNI [xdp] [xdp_encap] [fdb_max_learned N]")
    static final class Add extends ClientCommand implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "IFNAME vni VNI [xdp] [xdp_encap] [fdb_max_learned N]") List<String> words;

        @Override
        public Integer call() throws Exception {
            Words w = new Words(words);
            String ifname = w.next();
            Long vni = null;
            boolean xdp = false;
            boolean xdpEncap = false;
            Long maxLearned = null;
            while (w.more()) {
                String kw = w.next();
                switch (kw) {
                    case "vni" -> vni = vniNumber(this, w.value(kw));
                    case "xdp" -> xdp = true;
                    case "xdp_encap" -> xdpEncap = true;
                    case "fdb_max_learned" -> maxLearned = w.number(kw, 0, 0xffffffffL);
                    default -> throw w.unknown(kw);
                }
            }
            if (vni == null) {
                throw usage("port add needs \"vni VNI\"");
            }
            JsonObject b = new JsonObject().put("ifname", ifname);
            if (xdp) {
                b.put("xdp", true);
            }
            if (xdpEncap) {
                b.put("xdp_encap", true);
            }
            if (maxLearned != null) {
                b.put("fdb_max_learned", maxLearned);
            }
            long v = vni;
            return run(() -> {
                String out = call("POST", "/vnis/" + v + "/ports", b);
                if (json) {
                    printRaw(out);
                }
            });
        }
    }

    static String line(JsonObject p) {
        return p.getString("ifname", "(gone, ifindex " + p.getValue("ifindex") + ")") + " vni " + p.getValue("vni")
                + (Boolean.TRUE.equals(p.getBoolean("xdp")) ? " xdp" : "")
                + (Boolean.TRUE.equals(p.getBoolean("xdp_encap")) ? " xdp_encap" : "")
                + (p.getValue("fdb_max_learned") == null ? "" : " fdb_max_learned " + p.getValue("fdb_max_learned"));
    }

    @Command(name = "show", aliases = "list", mixinStandardHelpOptions = true, description = "List ports",
            customSynopsis = "xvtep port show [vni VNI]")
    static final class Show extends ClientCommand implements Callable<Integer> {
        @Parameters(arity = "0..*", paramLabel = "[vni VNI]") List<String> words;

        @Override
        public Integer call() throws Exception {
            Long v = vniFilter(words, false);
            return run(() -> {
                JsonArray all = new JsonArray();
                if (v != null) {
                    all = new JsonArray(call("GET", "/vnis/" + v + "/ports", null));
                } else {
                    for (Object o : new JsonArray(call("GET", "/vnis", null))) {
                        ((JsonObject) o).getJsonArray("ports").forEach(all::add);
                    }
                }
                if (json) {
                    printRaw(all.encodePrettily());
                } else {
                    all.forEach(p -> System.out.println(line((JsonObject) p)));
                }
            });
        }
    }

    @Command(name = "del", aliases = "delete", mixinStandardHelpOptions = true,
            description = "Detach an interface from its VNI", customSynopsis = "xvtep port del IFNAME vni VNI")
    static final class Del extends ClientCommand implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "IFNAME vni VNI") List<String> words;

        @Override
        public Integer call() throws Exception {
            Words w = new Words(words);
            String ifname = w.next();
            long v = requiredVni(w, "port del");
            return run(() -> call("DELETE", "/vnis/" + v + "/ports/" + enc(ifname), null));
        }
    }
}
