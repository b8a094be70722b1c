package io.xvtep.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `xvtep stats [VNI]`: datapath counters summed over CPUs. */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Show datapath counters")
public final class StatsCommand extends ClientCommand implements Callable<Integer> {

    @Parameters(arity = "0..1", paramLabel = "VNI") String vni;

    @Override
    public Integer call() throws Exception {
        return request("GET", vni == null ? "/stats" : "/vnis/" + enc(vni) + "/stats", null);
    }
}
