package io.xvtep.cli;

import io.vertx.core.json.JsonObject;

import java.util.concurrent.Callable;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `xvtep fdb add|show|del`: like `bridge fdb` on a vxlan device. */
@Command(name = "fdb", mixinStandardHelpOptions = true, description = "Manage forwarding entries of a VNI",
        subcommands = {FdbCommand.Add.class, FdbCommand.Show.class, FdbCommand.Del.class})
public final class FdbCommand {

    static final class Target {
        @Option(names = "--dst", paramLabel = "IP", required = true, description = "Remote VTEP") String dst;
        @Option(names = "--ifname", paramLabel = "IFNAME", required = true, description = "Local port") String ifname;
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add a static entry; MAC 00:00:00:00:00:00 appends a flood destination")
    static final class Add extends ClientCommand implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "VNI") String vni;
        @Parameters(index = "1", paramLabel = "MAC") String mac;
        @ArgGroup(exclusive = true, multiplicity = "1") Target target;

        @Override
        public Integer call() throws Exception {
            JsonObject b = new JsonObject().put("mac", mac);
            if (target.dst != null) {
                b.put("dst", target.dst);
            } else {
                b.put("ifname", target.ifname);
            }
            return request("POST", "/vnis/" + enc(vni) + "/fdb", b);
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "List entries")
    static final class Show extends ClientCommand implements Callable<Integer> {
        @Parameters(paramLabel = "VNI") String vni;
        @Option(names = "--type", paramLabel = "static|learned|local|cluster") String type;

        @Override
        public Integer call() throws Exception {
            return request("GET", "/vnis/" + enc(vni) + "/fdb" + (type == null ? "" : "?type=" + enc(type)), null);
        }
    }

    @Command(name = "del", mixinStandardHelpOptions = true, description = "Delete an entry")
    static final class Del extends ClientCommand implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "VNI") String vni;
        @Parameters(index = "1", paramLabel = "MAC") String mac;
        @Option(names = "--dst", paramLabel = "IP") String dst;

        @Override
        public Integer call() throws Exception {
            return request("DELETE", "/vnis/" + enc(vni) + "/fdb/" + enc(mac) + (dst == null ? "" : "?dst=" + enc(dst)),
                    null);
        }
    }
}
