package io.xvtep.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `xvtep neigh add|show|del`: the ARP/ND proxy's table, like `ip neigh ... dev vxlan0`. */
@Command(name = "neigh", mixinStandardHelpOptions = true,
        description = "Manage the neighbour table the ARP/ND proxy answers from (like ip neigh)",
        subcommands = {NeighCommand.Add.class, NeighCommand.Show.class, NeighCommand.Del.class})
public final class NeighCommand {

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add an entry",
            customSynopsis = "xvtep neigh add IP lladdr MAC vni VNI")
    static final class Add extends ClientCommand implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "IP lladdr MAC vni VNI") List<String> words;

        @Override
        public Integer call() throws Exception {
            Words w = new Words(words);
            String ip = w.next();
            String mac = null;
            Long vni = null;
            while (w.more()) {
                String kw = w.next();
                switch (kw) {
                    case "lladdr" -> mac = w.value(kw);
                    case "vni" -> vni = vniNumber(this, w.value(kw));
                    case "nud", "dev" -> w.value(kw); // iproute2 words without meaning here
                    case "permanent" -> {
                    }
                    default -> throw w.unknown(kw);
                }
            }
            if (mac == null || vni == null) {
                throw usage("neigh add needs \"lladdr MAC\" and \"vni VNI\"");
            }
            JsonObject b = new JsonObject().put("ip", ip).put("mac", mac);
            long v = vni;
            return run(() -> {
                String out = call("POST", "/vnis/" + v + "/neigh", b);
                if (json) {
                    printRaw(out);
                }
            });
        }
    }

    static String line(JsonObject n) {
        return n.getString("ip") + " vni " + n.getValue("vni") + " lladdr " + n.getString("mac") + " PERMANENT";
    }

    @Command(name = "show", aliases = "list", mixinStandardHelpOptions = true, description = "List entries",
            customSynopsis = "xvtep neigh show [vni VNI]")
    static final class Show extends ClientCommand implements Callable<Integer> {
        @Parameters(arity = "0..*", paramLabel = "[vni VNI]") List<String> words;

        @Override
        public Integer call() throws Exception {
            Long v = vniFilter(words, false);
            return run(() -> {
                JsonArray all = new JsonArray();
                if (v != null) {
                    all = new JsonArray(call("GET", "/vnis/" + v + "/neigh", null));
                } else {
                    for (Object o : new JsonArray(call("GET", "/vnis", null))) {
                        new JsonArray(call("GET", "/vnis/" + ((JsonObject) o).getValue("vni") + "/neigh", null))
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

    @Command(name = "del", aliases = "delete", mixinStandardHelpOptions = true, description = "Delete an entry",
            customSynopsis = "xvtep neigh del IP vni VNI")
    static final class Del extends ClientCommand implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "IP vni VNI") List<String> words;

        @Override
        public Integer call() throws Exception {
            Words w = new Words(words);
            String ip = w.next();
            long v = requiredVni(w, "neigh del");
            return run(() -> call("DELETE", "/vnis/" + v + "/neigh/" + enc(ip), null));
        }
    }
}
