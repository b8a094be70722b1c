package io.xvtep.cli;

import io.vertx.core.json.JsonObject;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `xvtep port add|list|del`: attach local interfaces (container veths) to a VNI. */
@Command(name = "port", mixinStandardHelpOptions = true, description = "Manage the local ports of a VNI",
        subcommands = {PortCommand.Add.class, PortCommand.List.class, PortCommand.Del.class})
public final class PortCommand {

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Attach an interface to a VNI")
    static final class Add extends ClientCommand implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "VNI") String vni;
        @Parameters(index = "1", paramLabel = "IFNAME") String ifname;
        @Option(names = "--xdp", description = "XDP redirects into this port work (its peer has an XDP program)")
        boolean xdp;

        @Override
        public Integer call() throws Exception {
            JsonObject b = new JsonObject().put("ifname", ifname);
            if (xdp) {
                b.put("xdp", true);
            }
            return request("POST", "/vnis/" + enc(vni) + "/ports", b);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the ports of a VNI")
    static final class List extends ClientCommand implements Callable<Integer> {
        @Parameters(paramLabel = "VNI") String vni;

        @Override
        public Integer call() throws Exception {
            return request("GET", "/vnis/" + enc(vni) + "/ports", null);
        }
    }

    @Command(name = "del", mixinStandardHelpOptions = true, description = "Detach an interface from a VNI")
    static final class Del extends ClientCommand implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "VNI") String vni;
        @Parameters(index = "1", paramLabel = "IFNAME") String ifname;

        @Override
        public Integer call() throws Exception {
            return request("DELETE", "/vnis/" + enc(vni) + "/ports/" + enc(ifname), null);
        }
    }
}
