package io.xvtep.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.Bpffs;
import io.xvtep.testkit.Command;
import io.xvtep.testkit.Netns;
import io.xvtep.testkit.NetnsHttpClient;
import io.xvtep.testkit.Requires;
import io.xvtep.testkit.Unique;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * A real agent (target/xvtep.jar) in a network namespace of its own, with a veth underlay (ul0, 198.18.0.1)
 * and veth ports (each NAME with its peer NAMEc). The API listens on the namespace's loopback; requests go
 * through an in-process HTTP client whose sockets were opened inside the namespace. Programs (ip, tc, the
 * CLI, the agent itself) run under {@code nsenter --net}, which keeps /sys/fs/bpf visible.
 */
public final class AgentHarness implements AutoCloseable {

    public final Netns netns;
    /** The namespace's name, for nsenter and ip -n. */
    public final String ns;
    public final Path pinRoot = Path.of("/sys/fs/bpf", Unique.name("xvtep-test"));
    final int port = 20000 + ThreadLocalRandom.current().nextInt(30000);
    final Path jar;
    final Path log;
    private Command.Background agent;
    private NetnsHttpClient http;
    /** Extra `xvtep agent` arguments (e.g. --token-file). */
    final List<String> agentArgs = new ArrayList<>();
    /** IPv6 left on in the namespace, with 2001:db8::1/64 on the underlay (the IPv6-underlay tests). */
    boolean ipv6;
    /** Extra headers on every request (e.g. Authorization). */
    final Map<String, String> headers = new LinkedHashMap<>();

    public record Response(int status, String body) {
        public JsonObject json() {
            return new JsonObject(body);
        }

        public JsonArray array() {
            return new JsonArray(body);
        }
    }

    private AgentHarness(Path jar, Path logDir, Netns netns) throws IOException {
        this.jar = jar;
        this.netns = netns;
        this.ns = netns.name();
        Files.createDirectories(logDir);
        this.log = logDir.resolve(ns + ".log");
    }

    /**
     * A harness with its namespace, the given ports and a running agent; the test is skipped
     * (not failed) when not root or when target/xvtep.jar is not built.
     */
    public static AgentHarness started(String... portNames) throws Exception {
        AgentHarness h = prepared(portNames);
        try {
            h.startAgent();
            return h;
        } catch (Exception | Error e) {
            h.close();
            throw e;
        }
    }

    /** Like {@link #started} but without an agent: for tests that start theirs with other options. */
    public static AgentHarness prepared(String... portNames) throws Exception {
        return prepared(false, portNames);
    }

    /** {@link #prepared(String...)}, with {@code ipv6}: IPv6 on and 2001:db8::1/64 on ul0 as well. */
    public static AgentHarness prepared(boolean ipv6, String... portNames) throws Exception {
        Requires.root();
        Path jar = Path.of(System.getProperty("xvtep.jar", "target/xvtep.jar"));
        Assumptions.assumeTrue(Files.exists(jar), "target/xvtep.jar not built");
        Unique.stale(Path.of("/sys/fs/bpf"), "xvtep-test").forEach(Unique::removeTree); // pins of killed runs
        Netns netns = Netns.create("xvtep-cp");
        AgentHarness h;
        try {
            h = new AgentHarness(jar, Path.of("target", "it-logs"), netns);
            h.ipv6 = ipv6;
        } catch (IOException | RuntimeException e) {
            netns.close();
            throw e;
        }
        try {
            h.setUp(portNames);
            return h;
        } catch (Exception | Error e) {
            h.close();
            throw e;
        }
    }

    /** IPv6 off unless asked for (no spontaneous DAD/RS frames that the ports would learn), underlay and ports. */
    private void setUp(String... portNames) {
        if (!ipv6) {
            netns.disableIpv6();
        }
        netns.ip("link", "add", "ul0", "type", "veth", "peer", "name", "ul1");
        netns.ip("addr", "add", "198.18.0.1/24", "dev", "ul0");
        if (ipv6) {
            netns.ip("addr", "add", "2001:db8::1/64", "dev", "ul0", "nodad");
        }
        netns.ip("link", "set", "ul0", "up");
        netns.ip("link", "set", "ul1", "up");
        for (String p : portNames) {
            netns.veth(p, p + "c");
        }
    }

    /** `xvtep agent` inside the namespace; returns once /healthz answers 200. */
    public void startAgent() throws Exception {
        List<String> cmd = new ArrayList<>(List.of("java", "-jar", jar.toString(), "agent", "--underlay", "ul0",
                "--api", "127.0.0.1:" + port, "--pin-root", pinRoot.toString(), "--xdp-mode", "generic"));
        cmd.addAll(agentArgs);
        if (http != null) {
            http.close(); // connections of the previous agent are dead
        }
        http = new NetnsHttpClient(netns, "http://127.0.0.1:" + port);
        agent = netns.command(cmd).start(log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                throw new IllegalStateException("agent exited with " + agent.exitValue() + ": " + agent.logText());
            }
            try {
                if (request("GET", "/healthz", null).status() == 200) {
                    return;
                }
            } catch (IllegalStateException notYet) {
                // connection refused: the agent is still loading
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("agent did not come up: " + agent.logText());
    }

    /** SIGTERM by pid, as an init system would; forcibly after 15 s. */
    void stopAgent() {
        if (agent != null) {
            agent.stop(Duration.ofSeconds(15));
        }
    }

    public long agentPid() {
        return agent.pid();
    }

    boolean agentAlive() {
        return agent != null && agent.isAlive();
    }

    Response request(String method, String path, String body) {
        NetnsHttpClient.Response r = http.send(method, path, body, headers);
        return new Response(r.status(), r.body());
    }

    /** A GET with the response's headers too (e.g. the paging Link). */
    NetnsHttpClient.Response getWithHeaders(String path) {
        return http.send("GET", path, null, headers);
    }

    public Response get(String path) {
        return request("GET", path, null);
    }

    public Response post(String path, String body) {
        return request("POST", path, body);
    }

    Response patch(String path, String body) {
        return request("PATCH", path, body);
    }

    Response put(String path, String body) {
        return request("PUT", path, body);
    }

    public Response delete(String path) {
        return request("DELETE", path, null);
    }

    /** A streaming GET (server-sent events), collected until the caller closes it. */
    NetnsHttpClient.LineStream stream(String path) {
        return http.stream(path, headers);
    }

    private Command cliCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of("java", "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--api", "127.0.0.1:" + port));
        return netns.command(cmd).unsetEnv("XVTEP_TOKEN").unsetEnv("XVTEP_API");
    }

    /** The real CLI (target/xvtep.jar) in the namespace against this agent: exit code, stdout, stderr. */
    Command.Result cli(Map<String, String> env, String... args) {
        return cliCommand(args).env(env).run();
    }

    Command.Result cli(String... args) {
        return cli(Map.of(), args);
    }

    /** A long-running CLI command (e.g. monitor) writing its output to {@code out}; stopped by its pid. */
    Command.Background cliBackground(Path out, String... args) {
        return cliCommand(args).start(out);
    }

    /** Runs a command inside the namespace; fails on a non-zero exit; stdout. */
    public String in(String... cmd) {
        return netns.exec(cmd);
    }

    /** Like {@link #in} but returns stdout and stderr whatever the exit code. */
    String inQuiet(String... cmd) {
        return netns.tryExec(cmd).output();
    }

    public int ifindex(String ifname) {
        return netns.ifindex(ifname);
    }

    /** {@code n} threads inside the namespace (BPF_PROG_TEST_RUN on the agent's maps, netlink queries). */
    public ExecutorService threadsInside(int n, String name) {
        return netns.threads(n, name);
    }

    /** Raw contents of a pinned map, key hex -> value hex. */
    Map<String, String> dump(String map) {
        Map<String, String> m = new TreeMap<>();
        Path p = pinRoot.resolve(map);
        if (!Files.exists(p)) {
            return m;
        }
        try (BpfMap bm = BpfMap.openPinned(p)) {
            for (BpfMap.Entry e : bm.entries()) {
                m.put(HexFormat.of().formatHex(e.key()), HexFormat.of().formatHex(e.value()));
            }
        }
        return m;
    }

    /**
     * Everything the control plane writes. Counters are left out: xvtep_stats is an array of every slot (its
     * size follows --max-vnis), each VNI's slot is part of its xvtep_vnis entry compared here, and the
     * datapath may count meanwhile; carrying the counters over is CapacityChangeTest's.
     */
    Map<String, Map<String, String>> snapshot() {
        Map<String, Map<String, String>> s = new TreeMap<>();
        for (String m : List.of("xvtep_config", "xvtep_vnis", "xvtep_ports", "xvtep_vni_ports", "xvtep_flood",
                "xvtep_fdb", "xvtep_neigh", "xvtep_neigh6", "xvtep_allowed_src", "xvtep_dstports")) {
            s.put(m, dump(m));
        }
        return s;
    }

    BpfMap map(String name) {
        return BpfMap.openPinned(pinRoot.resolve(name));
    }

    /** `xvtep agent --cleanup` for this agent's underlay and pin root. */
    Command.Result cleanup() {
        return netns.tryExec("java", "-jar", jar.toString(), "agent", "--cleanup", "--underlay", "ul0", "--pin-root",
                pinRoot.toString());
    }

    /** Best effort, in order: agent, datapath (detach + pins), client, namespace. */
    @Override
    public void close() {
        try {
            stopAgent();
        } catch (RuntimeException e) {
            // go on cleaning
        }
        try {
            cleanup();
        } catch (RuntimeException e) {
            // the namespace may be gone already
        }
        try {
            Bpffs.removeTree(pinRoot);
        } catch (RuntimeException e) {
            // nothing left
        }
        if (http != null) {
            http.close();
        }
        netns.close();
    }
}
