package io.xvtep.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.libbpf.BpfMap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real agent (target/xvtep.jar) in a network namespace of its own, with a veth underlay
 * and veth ports, plus threads that live inside the namespace (for BPF_PROG_TEST_RUN on the
 * agent's pinned maps, and for timing requests without a curl process). Requests go through `nsenter --net curl` because the API listens on the
 * namespace's loopback; `nsenter` rather than `ip netns exec` keeps /sys/fs/bpf visible.
 */
public final class AgentHarness implements AutoCloseable {

    final String ns = "xvtep-cp-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    public final Path pinRoot = Path.of("/sys/fs/bpf/xvtep-test-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16));
    final int port = 20000 + ThreadLocalRandom.current().nextInt(30000);
    final Path jar;
    final Path log;
    private Process agent;
    /** Extra `xvtep agent` arguments (e.g. --token-file). */
    final List<String> agentArgs = new ArrayList<>();
    /** Extra curl arguments for every request (e.g. an Authorization header). */
    final List<String> curlArgs = new ArrayList<>();

    public record Response(int status, String body) {
        public JsonObject json() {
            return new JsonObject(body);
        }

        public JsonArray array() {
            return new JsonArray(body);
        }
    }

    public AgentHarness(Path jar, Path logDir) throws IOException {
        this.jar = jar;
        Files.createDirectories(logDir);
        this.log = logDir.resolve(ns + ".log");
    }

    /** Namespace with IPv6 off (no spontaneous DAD/RS frames that the ports would learn), underlay and ports. */
    /**
     * A harness with its namespace, the given ports and a running agent; the test is skipped
     * (not failed) when not root or when target/xvtep.jar is not built.
     */
    public static AgentHarness started(String... portNames) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "needs root (netns, bpf)");
        Path jar = Path.of(System.getProperty("xvtep.jar", "target/xvtep.jar"));
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(jar), "target/xvtep.jar not built");
        AgentHarness h = new AgentHarness(jar, Path.of("target", "it-logs"));
        try {
            h.setUp(portNames);
            h.startAgent();
            return h;
        } catch (Exception | Error e) {
            h.close();
            throw e;
        }
    }

    public void setUp(String... portNames) throws Exception {
        sh("ip", "netns", "add", ns);
        in("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
        in("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
        in("ip", "link", "set", "lo", "up");
        in("ip", "link", "add", "ul0", "type", "veth", "peer", "name", "ul1");
        in("ip", "addr", "add", "198.18.0.1/24", "dev", "ul0");
        in("ip", "link", "set", "ul0", "up");
        in("ip", "link", "set", "ul1", "up");
        for (String p : portNames) {
            in("ip", "link", "add", p, "type", "veth", "peer", "name", p + "c");
            in("ip", "link", "set", p, "up");
            in("ip", "link", "set", p + "c", "up");
        }
    }

    public void startAgent() throws Exception {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + ns, "java", "-jar", jar.toString(),
                "agent", "--underlay", "ul0", "--api", "127.0.0.1:" + port, "--pin-root", pinRoot.toString(),
                "--xdp-mode", "generic"));
        cmd.addAll(agentArgs);
        agent = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(
                log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                throw new IllegalStateException("agent exited with " + agent.exitValue() + ": " + Files.readString(log));
            }
            if (request("GET", "/healthz", null).status() == 200) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("agent did not come up: " + Files.readString(log));
    }

    /** SIGTERM by pid, as an init system would; forcibly after 15 s. */
    void stopAgent() throws InterruptedException {
        if (agent != null && agent.isAlive()) {
            agent.destroy();
            if (!agent.waitFor(15, TimeUnit.SECONDS)) {
                agent.destroyForcibly();
                agent.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    public long agentPid() {
        return agent.pid();
    }

    boolean agentAlive() {
        return agent != null && agent.isAlive();
    }

    Response request(String method, String path, String body) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + ns, "curl", "-s", "-g",
                "--max-time", "60", "-o", "-", "-w", "\n%{http_code}", "-X", method));
        cmd.addAll(curlArgs);
        if (body != null) {
            cmd.addAll(List.of("-H", "Content-Type: application/json", "--data-binary", "@-"));
        }
        cmd.add("http://127.0.0.1:" + port + path);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (body != null) {
            p.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        int nl = out.lastIndexOf('\n');
        int status = Integer.parseInt(out.substring(nl + 1).trim());
        return new Response(status, out.substring(0, nl));
    }

    public Response get(String path) throws Exception {
        return request("GET", path, null);
    }

    public Response post(String path, String body) throws Exception {
        return request("POST", path, body);
    }

    Response patch(String path, String body) throws Exception {
        return request("PATCH", path, body);
    }

    Response put(String path, String body) throws Exception {
        return request("PUT", path, body);
    }

    /** The real CLI (target/xvtep.jar) in the namespace against this agent: exit code, stdout, stderr. */
    record Cli(int exit, String out, String err) {
    }

    Cli cli(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + ns, "java", "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        cmd.add("--api");
        cmd.add("127.0.0.1:" + port);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("XVTEP_TOKEN");
        pb.environment().remove("XVTEP_API");
        pb.environment().putAll(env);
        Path err = Files.createTempFile("xvtep-cli", ".err");
        try {
            Process p = pb.redirectError(err.toFile()).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("xvtep " + String.join(" ", args) + " hung");
            }
            return new Cli(p.exitValue(), out, Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
        }
    }

    Cli cli(String... args) throws Exception {
        return cli(Map.of(), args);
    }

    /** A long-running CLI command (e.g. monitor) writing its stdout to {@code out}; the caller destroys it. */
    Process cliBackground(Path out, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + ns, "java", "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        cmd.add("--api");
        cmd.add("127.0.0.1:" + port);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    }

    /** `curl -N` on a streaming path (server-sent events) writing to {@code out}; the caller destroys it. */
    Process stream(String path, Path out) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + ns, "curl", "-sN"));
        cmd.addAll(curlArgs);
        cmd.add("http://127.0.0.1:" + port + path);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    }

    public Response delete(String path) throws Exception {
        return request("DELETE", path, null);
    }

    /** Runs a command inside the namespace; fails on a non-zero exit. */
    String in(String... cmd) throws Exception {
        String[] full = new String[cmd.length + 2];
        full[0] = "nsenter";
        full[1] = "--net=/run/netns/" + ns;
        System.arraycopy(cmd, 0, full, 2, cmd.length);
        return sh(full);
    }

    /** Like {@link #in} but returns the output whatever the exit code. */
    String inQuiet(String... cmd) throws Exception {
        try {
            return in(cmd);
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    public static String sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    public int ifindex(String ifname) throws Exception {
        String out = in("ip", "-o", "link", "show", "dev", ifname);
        return Integer.parseInt(out.substring(0, out.indexOf(':')).trim());
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

    /** Everything the control plane writes (counters only by key: the datapath may count meanwhile). */
    Map<String, Map<String, String>> snapshot() {
        Map<String, Map<String, String>> s = new TreeMap<>();
        for (String m : List.of("xvtep_config", "xvtep_vnis", "xvtep_ports", "xvtep_vni_ports", "xvtep_flood",
                "xvtep_fdb", "xvtep_neigh", "xvtep_neigh6", "xvtep_allowed_src", "xvtep_dstports")) {
            s.put(m, dump(m));
        }
        Map<String, String> statKeys = new TreeMap<>();
        dump("xvtep_stats").keySet().forEach(k -> statKeys.put(k, ""));
        s.put("xvtep_stats", statKeys);
        return s;
    }

    BpfMap map(String name) {
        return BpfMap.openPinned(pinRoot.resolve(name));
    }

    /** Best effort, in order: agent, datapath (detach + pins), namespace. */
    @Override
    public void close() {
        try {
            stopAgent();
        } catch (Exception e) {
            // go on cleaning
        }
        try {
            in("java", "-jar", jar.toString(), "agent", "--cleanup", "--underlay", "ul0", "--pin-root",
                    pinRoot.toString());
        } catch (Exception e) {
            // the namespace may be gone already
        }
        try {
            io.xvtep.libbpf.Bpffs.removeTree(pinRoot);
        } catch (RuntimeException e) {
            // nothing left
        }
        try {
            sh("ip", "netns", "del", ns);
        } catch (Exception e) {
            // not created
        }
    }

    /** libc's setns, to move a thread into the namespace. */
    public interface LibC {
        int open(String path, int flags);

        int setns(int fd, int nstype);

        int close(int fd);
    }

    private static final int CLONE_NEWNET = 0x40000000;
    private static volatile LibC libc;

    /** Moves the calling thread into this harness's network namespace. */
    public void enter() {
        if (libc == null) {
            libc = jnr.ffi.LibraryLoader.create(LibC.class).load("c");
        }
        int fd = libc.open("/run/netns/" + ns, 0);
        if (fd < 0 || libc.setns(fd, CLONE_NEWNET) != 0) {
            throw new IllegalStateException("setns " + ns);
        }
        libc.close(fd);
    }

    /** {@code n} daemon threads that live inside the namespace. */
    public java.util.concurrent.ExecutorService threadsInside(int n, String name) {
        java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(() -> {
                enter();
                r.run();
            }, name);
            t.setDaemon(true);
            return t;
        });
        return ex;
    }

    /**
     * A GET over a plain socket; call it on a thread inside the namespace. Returns the status
     * line's code and the body (HTTP/1.0, so the server closes the connection).
     */
    public Response rawGet(String path, int timeoutMs) throws IOException {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), timeoutMs);
            s.setSoTimeout(timeoutMs);
            s.getOutputStream().write(("GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int sp = all.indexOf(' ');
            int status = Integer.parseInt(all.substring(sp + 1, sp + 4));
            int body = all.indexOf("\r\n\r\n");
            return new Response(status, body < 0 ? "" : all.substring(body + 4));
        }
    }
}
