package io.xvtep.cli;

import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `xvtep stats [vni VNI]`: datapath counters summed over CPUs. */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Show datapath counters",
        customSynopsis = "xvtep stats [vni VNI]")
public final class StatsCommand extends ClientCommand implements Callable<Integer> {

    @Parameters(arity = "0..*", paramLabel = "[vni VNI]") List<String> words;

    static void print(String title, JsonObject counters) {
        System.out.println(title);
        counters.forEach(e -> {
            if (!e.getKey().equals("vni")) {
                System.out.println("    " + e.getKey() + " " + e.getValue());
            }
        });
    }

    @Override
    public Integer call() throws Exception {
        Long v = vniFilter(words, true); // also `xvtep stats 42`
        return run(() -> {
            String out = call("GET", v == null ? "/stats" : "/vnis/" + v + "/stats", null);
            if (json) {
                printRaw(out);
            } else if (v != null) {
                print("vni " + v, new JsonObject(out));
            } else {
                JsonObject all = new JsonObject(out);
                JsonObject vnis = all.getJsonObject("vnis");
                for (String k : vnis.fieldNames()) {
                    print("vni " + k, vnis.getJsonObject(k));
                }
                print("total", all.getJsonObject("total"));
            }
        });
    }
}
