package io.xvtep.cli;

import io.vertx.core.json.JsonObject;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `xvtep vni add|list|show|del`: like `ip link add/show/del ... type vxlan`. */
@Command(name = "vni", mixinStandardHelpOptions = true, description = "Manage VNIs",
        subcommands = {VniCommand.Add.class, VniCommand.List.class, VniCommand.Show.class, VniCommand.Del.class})
public final class VniCommand {

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Create a VNI")
    static final class Add extends ClientCommand implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "VNI") long vni;
        @Option(names = "--dstport") Integer dstport;
        @Option(names = "--local", paramLabel = "IP") String local;
        @Option(names = "--remote", paramLabel = "IP") String remote;
        @Option(names = "--group", paramLabel = "IP") String group;
        @Option(names = "--ttl", paramLabel = "N|inherit") String ttl;
        @Option(names = "--tos", paramLabel = "N|inherit") String tos;
        @Option(names = "--df", paramLabel = "unset|set|inherit") String df;
        @Option(names = "--learning", negatable = true, defaultValue = "true", fallbackValue = "true")
        boolean learning;
        @Option(names = "--proxy") boolean proxy;
        @Option(names = "--l2miss") boolean l2miss;
        @Option(names = "--l3miss") boolean l3miss;
        @Option(names = "--ageing", paramLabel = "SECONDS") Long ageing;
        @Option(names = "--srcport", arity = "2", paramLabel = "PORT") int[] srcport;
        @Option(names = "--mtu") Integer mtu;

        @Override
        public Integer call() throws Exception {
            JsonObject b = new JsonObject().put("vni", vni).put("learning", learning);
            if (dstport != null) b.put("dstport", dstport);
            if (local != null) b.put("local", local);
            if (remote != null) b.put("remote", remote);
            if (group != null) b.put("group", group);
            if (ttl != null) b.put("ttl", ttl.equals("inherit") ? ttl : Long.parseLong(ttl));
            if (tos != null) b.put("tos", tos.equals("inherit") ? tos : Long.parseLong(tos));
            if (df != null) b.put("df", df);
            if (proxy) b.put("proxy", true);
            if (l2miss) b.put("l2miss", true);
            if (l3miss) b.put("l3miss", true);
            if (ageing != null) b.put("ageing", ageing);
            if (srcport != null) b.put("srcport_min", srcport[0]).put("srcport_max", srcport[1]);
            if (mtu != null) b.put("mtu", mtu);
            return request("POST", "/vnis", b);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List VNIs")
    static final class List extends ClientCommand implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            return request("GET", "/vnis", null);
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one VNI")
    static final class Show extends ClientCommand implements Callable<Integer> {
        @Parameters(paramLabel = "VNI") String vni;

        @Override
        public Integer call() throws Exception {
            return request("GET", "/vnis/" + enc(vni), null);
        }
    }

    @Command(name = "del", mixinStandardHelpOptions = true,
            description = "Delete a VNI with its ports, FDB entries and counters")
    static final class Del extends ClientCommand implements Callable<Integer> {
        @Parameters(paramLabel = "VNI") String vni;

        @Override
        public Integer call() throws Exception {
            return request("DELETE", "/vnis/" + enc(vni), null);
        }
    }
}
