package io.xvtep.app;

import io.xvtep.cli.FdbCommand;
import io.xvtep.cli.MonitorCommand;
import io.xvtep.cli.NeighCommand;
import io.xvtep.cli.PortCommand;
import io.xvtep.cli.StatsCommand;
import io.xvtep.cli.VniCommand;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** `xvtep`: the agent and the client commands that talk to its HTTP API. */
@Command(name = "xvtep", mixinStandardHelpOptions = true, version = "xvtep 0.1.0",
        description = "VXLAN tunnel endpoint with an eBPF datapath (RFC 7348).",
        subcommands = {AgentCommand.class, CheckCommand.class, VniCommand.class, PortCommand.class, FdbCommand.class,
                NeighCommand.class, MonitorCommand.class, StatsCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        // Show "xvtep: <message>" for expected failures instead of a stack trace.
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("xvtep: " + e.getMessage());
            if (System.getenv("XVTEP_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl.execute(args);
    }
}
