package io.xvtep.app;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.cli.ApiAddress;
import io.xvtep.datapath.Datapath;
import io.xvtep.host.AgentLock;
import io.xvtep.host.Interfaces;
import io.xvtep.host.PinRootCheck;
import io.xvtep.host.UnderlaySysctl;
import io.xvtep.libbpf.XdpMode;
import io.xvtep.model.IpAddress;
import io.xvtep.service.Locals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import io.xvtep.datapath.Capacities;

/** `xvtep agent`: run the VTEP, or with --cleanup take it down completely. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Loads and attaches the datapath, then serves the HTTP API until stopped.",
                "Stopping the agent leaves forwarding running; --cleanup detaches everything and removes the pins."})
public final class AgentCommand implements Callable<Integer> {

    static final String DEFAULT_PIN_ROOT = "/sys/fs/bpf/xvtep";

    @Option(names = "--underlay", paramLabel = "IFNAME", description = "Interface VXLAN frames leave and arrive on")
    String underlay;

    @Option(names = "--local", paramLabel = "IP", description = {"Default outer source address of VNIs without"
            + " their own, once per family: IPv4 and IPv6 VNIs side by side (default: the underlay's first IPv4"
            + " address; IPv6 only when given)"})
    java.util.List<String> local = new java.util.ArrayList<>();

    @Option(names = "--api", paramLabel = "unix:PATH|HOST:PORT", description = {"Where the HTTP API listens (default:"
            + " the Unix socket /run/xvtep/xvtep.sock, or /run/xvtep/<pin root>.sock for another --pin-root).",
            "TCP only when given: HOST:PORT (e.g. 127.0.0.1:8470); beyond loopback it needs --token-file."})
    String api;

    @Option(names = "--api-group", paramLabel = "GROUP",
            description = "Group of the API's Unix socket (mode 0660: root and this group may use the API; default: root's)")
    String apiGroup;

    @Option(names = "--log-format", paramLabel = "text|json", defaultValue = "text",
            description = "Log lines on stderr: text, or one JSON object per line for log shippers (default: text)")
    String logFormat;

    @Option(names = "--pin-root", paramLabel = "DIR", description = "bpffs directory of the pinned maps (default: "
            + DEFAULT_PIN_ROOT + ")")
    Path pinRoot;

    @Option(names = "--xdp-mode", paramLabel = "auto|native|generic|off",
            description = "XDP decapsulation on the underlay (default auto: native, but off on a veth underlay,"
                    + " where XDP costs GSO; generic must be chosen explicitly)")
    String xdpMode;

    @Option(names = "--config", paramLabel = "FILE",
            description = "JSON file: the options above (underlay, local, api, pin_root, xdp_mode) and \"vnis\"")
    Path config;

    @Option(names = "--fdb-capacity", paramLabel = "N", description = "FDB entries the datapath holds (default: "
            + "${DEFAULT-VALUE}); learning keeps 16384 of them for static, cluster and agent entries")
    int fdbCapacity = Capacities.DEFAULT.fdb();

    @Option(names = "--neigh-capacity", paramLabel = "N", description = "ARP/ND proxy entries per address family,"
            + " and allowed-source entries (default: ${DEFAULT-VALUE})")
    int neighCapacity = Capacities.DEFAULT.neigh();

    @Option(names = "--max-vnis", paramLabel = "N", description = "VNIs the datapath holds (default: ${DEFAULT-VALUE})")
    int maxVnis = Capacities.DEFAULT.vnis();

    @Option(names = "--max-ports", paramLabel = "N", description = "Local ports over all VNIs (default: "
            + "${DEFAULT-VALUE}). A restart with other sizes carries the pinned tables' entries over")
    int maxPorts = Capacities.DEFAULT.ports();

    @Option(names = "--cleanup", description = "Detach all programs and remove the pinned maps, then exit")
    boolean cleanup;

    // ---- cluster mode (docs/cluster.md); without --etcd the agent is standalone
    @Option(names = "--etcd", paramLabel = "URL[,URL...]", split = ",",
            description = "Cluster mode: etcd endpoints, e.g. http://198.18.0.100:2379")
    java.util.List<String> etcd;

    @Option(names = "--node", paramLabel = "NAME", description = "This node's name in the cluster (default: hostname)")
    String node;

    @Option(names = "--etcd-prefix", paramLabel = "PATH", defaultValue = "/xvtep",
            description = "Root of the cluster's keys (default: /xvtep; keys live under PATH/v2/)")
    String etcdPrefix;

    @Option(names = "--etcd-lease-ttl", paramLabel = "SECONDS", defaultValue = "10",
            description = "TTL of this node's lease, 2 to 3600: its entries vanish elsewhere this long after it dies"
                    + " (default: 10)")
    int etcdLeaseTtl;

    @Option(names = "--etcd-lease-ttl-max", paramLabel = "SECONDS",
            defaultValue = "" + io.xvtep.cluster.ClusterOptions.MAX_LEASE_TTL,
            description = {"Longest lease TTL another node's key may be under, --etcd-lease-ttl to 3600 (default: 3600):"
                    + " a node under a longer one (its endpoints would outlive it that long) is not live here,",
                    "its key refused and counted (xvtep_cluster_rejected_total{reason=\"lease_ttl\"})"})
    int etcdLeaseTtlMax;

    @Option(names = "--etcd-cacert", paramLabel = "FILE",
            description = "CA certificate (PEM) that etcd's certificate must be signed by: TLS to etcd")
    Path etcdCacert;

    @Option(names = "--etcd-cert", paramLabel = "FILE",
            description = "This node's client certificate (PEM) for etcd (mutual TLS; with --etcd-key)")
    Path etcdCert;

    @Option(names = "--etcd-key", paramLabel = "FILE", description = "The client certificate's key (PEM, PKCS#8)")
    Path etcdKey;

    @Option(names = "--etcd-user", paramLabel = "NAME",
            description = "etcd user (etcd authentication; with --etcd-password-file)")
    String etcdUser;

    @Option(names = "--etcd-password-file", paramLabel = "FILE", description = "File holding the etcd user's password")
    Path etcdPasswordFile;

    @Option(names = "--mac-move-limit", paramLabel = "N", defaultValue = "5",
            description = "A MAC moving more than N times in --mac-move-window is frozen (0: never; default 5)")
    int macMoveLimit;

    @Option(names = "--mac-move-window", paramLabel = "SECONDS", defaultValue = "180",
            description = "Window of MAC mobility detection (default: 180)")
    int macMoveWindow;

    @Option(names = "--etcd-node-maxaddress", paramLabel = "N",
            defaultValue = "" + io.xvtep.cluster.ClusterOptions.DEFAULT_NODE_MAXADDRESS,
            description = {"Most entries programmed here from one other node's claims in one VNI (0: no limit of its"
                    + " own; default 8192); the VNI's maxaddress caps all other nodes' together.",
                    "Claims beyond are refused and counted (xvtep_cluster_endpoints_refused_total)"})
    int etcdNodeMaxaddress;

    @Option(names = "--etcd-tombstone-ttl", paramLabel = "SECONDS",
            defaultValue = "" + io.xvtep.cluster.ClusterOptions.DEFAULT_TOMBSTONE_TTL,
            description = "How long a deleted VNI's tombstone stays in etcd: a node down longer brings the VNI back"
                    + " (default: 86400)")
    long etcdTombstoneTtl;

    @Option(names = "--token-file", paramLabel = "FILE", description = {"File holding the API bearer token; every "
            + "request but /healthz must then carry `Authorization: Bearer TOKEN`.",
            "Required when --api is not a loopback address."})
    Path tokenFile;

    @Option(names = "--api-allow-host", paramLabel = "NAME", split = ",", description = {"A host name clients reach"
            + " the API by (the Host header); loopback names and addresses and the listen address need none.",
            "Requests naming any other host are refused (DNS rebinding)."})
    java.util.List<String> apiAllowHosts = new java.util.ArrayList<>();

    @Option(names = "--api-allow-origin", paramLabel = "ORIGIN", split = ",", description = {"A browser origin"
            + " (e.g. https://ops.example) allowed to call the API; requests with any other Origin header are"
            + " refused (default: none)"})
    java.util.List<String> apiAllowOrigins = new java.util.ArrayList<>();

    /** 127.0.0.0/8, ::1 or localhost: nothing outside this host can connect. */
    static boolean isLoopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (h.matches("\\d+\\.\\d+\\.\\d+\\.\\d+") || h.contains(":")) {
            try {
                return java.net.InetAddress.getByName(h).isLoopbackAddress();
            } catch (java.net.UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    /**
     * Detaches and removes only what is xvtep's: a pin root that is not a bpffs directory is refused
     * (nothing removed), pins not named xvtep_* stay, and a running agent's pin root or underlay is refused.
     */
    private static int cleanup(String ul, Path root) {
        boolean exists = PinRootCheck.requireBpffsDirForCleanup(root);
        int ifindex = ul == null ? 0 : Interfaces.index(ul).orElse(0);
        List<Path> kept;
        try (AgentLock lock = AgentLock.acquire(AgentLock.STATE, root, ifindex, "agent --cleanup")) {
            kept = Datapath.cleanup(root, ifindex);
            if (ul != null) {
                UnderlaySysctl.restoreForwarding(ul, root);
            }
            // Nothing runs here any more: the lock files go too (while still held, so no one races us).
            lock.removeFiles();
        }
        if (!kept.isEmpty()) {
            System.out.println("xvtep: detached and removed xvtep's pins; kept " + root + " for what is not ours: "
                    + kept.stream().map(p -> p.getFileName().toString()).toList());
        } else {
            System.out.println("xvtep: detached and removed " + (exists ? root : "nothing (no " + root + ")"));
        }
        return 0;
    }

    /** "local": one address or a list (one per family). */
    private static List<String> fileLocals(JsonObject file) {
        Object v = file.getValue("local");
        if (v == null) {
            return List.of();
        }
        if (v instanceof String s) {
            return List.of(s);
        }
        if (v instanceof JsonArray a && a.stream().allMatch(String.class::isInstance)) {
            return a.stream().map(String.class::cast).toList();
        }
        throw new IllegalArgumentException("config: local must be an address or a list of addresses");
    }

    /** The default local address per family; the underlay's first IPv4 address unless an IPv4 one is given. */
    static Locals locals(String ul, List<String> given) {
        List<IpAddress> addrs = given.stream().map(IpAddress::parse).toList();
        IpAddress fallback4 = addrs.stream().anyMatch(IpAddress::isIpv4) ? null
                : Interfaces.firstIpv4(ul).map(IpAddress::of).orElse(null);
        if (fallback4 == null && addrs.isEmpty()) {
            throw new IllegalArgumentException(ul + " has no IPv4 address: give --local");
        }
        return Locals.of(addrs, fallback4);
    }

    private static final Set<String> CONFIG_FIELDS = Set.of("underlay", "local", "api", "pin_root", "xdp_mode", "vnis");

    @Override
    public Integer call() throws Exception {
        Logging.configure(logFormat);
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
            return cleanup(ul, root);
        }
        if (ul == null) {
            throw new IllegalArgumentException("--underlay is required");
        }
        Locals locals = locals(ul, !local.isEmpty() ? local : fileLocals(file));
        String apiText = api != null ? api : file.getString("api");
        ApiAddress address = apiText != null ? ApiAddress.parse(apiText) : ApiAddress.defaultFor(root);
        String host = address.host();
        int port = address.port();
        String token = null;
        if (tokenFile != null) {
            token = Files.readString(tokenFile).trim();
            if (token.isEmpty() || token.chars().anyMatch(c -> c <= 0x20 || c > 0x7e)) {
                throw new IllegalArgumentException("--token-file " + tokenFile
                        + ": the token must be one non-empty line of printable ASCII without spaces");
            }
        } else if (!address.unix() && !isLoopback(host)) {
            throw new IllegalArgumentException("--api " + apiText + " is not a loopback address: refusing to serve "
                    + "the API without authentication; give --token-file FILE (a file holding a bearer token)");
        }
        String mode = (xdpMode != null ? xdpMode : file.getString("xdp_mode", "auto")).toLowerCase(Locale.ROOT);
        XdpMode xm = switch (mode) {
            case "auto" -> Interfaces.isVeth(ul) ? null : XdpMode.NATIVE;
            case "native" -> XdpMode.NATIVE;
            case "generic" -> XdpMode.GENERIC;
            case "off" -> null;
            default -> throw new IllegalArgumentException("--xdp-mode must be auto, native, generic or off: " + mode);
        };
        JsonArray vnis = file.getJsonArray("vnis");

        io.xvtep.cluster.ClusterOptions cluster = null;
        if (etcd != null && !etcd.isEmpty()) {
            String name = node != null ? node : java.net.InetAddress.getLocalHost().getHostName();
            cluster = new io.xvtep.cluster.ClusterOptions(etcd, name, etcdPrefix, etcdLeaseTtl, etcdLeaseTtlMax,
                    macMoveLimit, Math.max(1, macMoveWindow), 1_000, etcdNodeMaxaddress, etcdTombstoneTtl, new io.xvtep.cluster.ClusterOptions.Security(
                            etcdCacert, etcdCert, etcdKey, etcdUser, etcdPasswordFile));
        }
        Capacities caps = new Capacities(fdbCapacity, neighCapacity, maxVnis, maxPorts);
        Agent agent = Agent.start(new Agent.Settings(ul, locals, host, port, root, xm, vnis, token,
                Set.copyOf(apiAllowHosts), Set.copyOf(apiAllowOrigins), caps, address.socket(), apiGroup), cluster);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "xvtep-shutdown"));
        stopped.await();
        return 0;
    }
}
