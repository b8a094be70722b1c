package io.xvtep.agent;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.bpf.XdpMode;
import io.xvtep.datapath.Datapath;
import io.xvtep.model.Ipv4;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `xvtep agent`: run the VTEP, or with --cleanup take it down completely. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Loads and attaches the datapath, then serves the HTTP API until stopped.",
                "Stopping the agent leaves forwarding running; --cleanup detaches everything and removes the pins."})
public final class AgentCommand implements Callable<Integer> {

    static final String DEFAULT_API = "127.0.0.1:8470";
    static final String DEFAULT_PIN_ROOT = "/sys/fs/bpf/xvtep";

    @Option(names = "--underlay", paramLabel = "IFNAME", description = "Interface VXLAN frames leave and arrive on")
    String underlay;

    @Option(names = "--local", paramLabel = "IP",
            description = "Default outer source address (default: first IPv4 address of the underlay)")
    String local;

    @Option(names = "--api", paramLabel = "HOST:PORT", description = "HTTP API address (default: " + DEFAULT_API + ")")
    String api;

    @Option(names = "--pin-root", paramLabel = "DIR", description = "bpffs directory of the pinned maps (default: "
            + DEFAULT_PIN_ROOT + ")")
    Path pinRoot;

    @Option(names = "--xdp-mode", paramLabel = "native|generic", description = "XDP attach mode (default: native)")
    String xdpMode;

    @Option(names = "--config", paramLabel = "FILE",
            description = "JSON file: the options above (underlay, local, api, pin_root, xdp_mode) and \"vnis\"")
    Path config;

    @Option(names = "--cleanup", description = "Detach all programs and remove the pinned maps, then exit")
    boolean cleanup;

    private static final Set<String> CONFIG_FIELDS = Set.of("underlay", "local", "api", "pin_root", "xdp_mode", "vnis");

    @Override
    public Integer call() throws Exception {
        JsonObject file = new JsonObject();
        if (config != null) {
            file = new JsonObject(Files.readString(config));
            for (String f : file.fieldNames()) {
                if (!CONFIG_FIELDS.contains(f)) {
                    throw new IllegalArgumentException("config " + config + ": unknown field " + f);
                }
            }
        }
        // Command-line options win over the file, the file over the defaults.
        String ul = underlay != null ? underlay : file.getString("underlay");
        Path root = pinRoot != null ? pinRoot : Path.of(file.getString("pin_root", DEFAULT_PIN_ROOT));
        if (cleanup) {
            int ifindex = ul == null ? 0 : Interfaces.index(ul).orElse(0);
            Datapath.cleanup(root, ifindex);
            if (ul != null) {
                UnderlaySysctl.restoreForwarding(ul, root);
            }
            System.out.println("xvtep: detached and removed " + root);
            return 0;
        }
        if (ul == null) {
            throw new IllegalArgumentException("--underlay is required");
        }
        String localText = local != null ? local : file.getString("local");
        Ipv4 localIp = localText != null ? Ipv4.parse(localText) : Interfaces.firstIpv4(ul)
                .orElseThrow(() -> new IllegalArgumentException(ul + " has no IPv4 address: give --local"));
        String apiText = api != null ? api : file.getString("api", DEFAULT_API);
        int colon = apiText.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--api must be HOST:PORT: " + apiText);
        }
        String host = apiText.substring(0, colon);
        int port = Integer.parseInt(apiText.substring(colon + 1));
        String mode = (xdpMode != null ? xdpMode : file.getString("xdp_mode", "native")).toUpperCase(Locale.ROOT);
        XdpMode xm;
        try {
            xm = XdpMode.valueOf(mode);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--xdp-mode must be native or generic: " + mode.toLowerCase(Locale.ROOT));
        }
        JsonArray vnis = file.getJsonArray("vnis");

        Agent agent = Agent.start(new Agent.Settings(ul, localIp, host, port, root, xm, vnis));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "xvtep-shutdown"));
        stopped.await();
        return 0;
    }
}
