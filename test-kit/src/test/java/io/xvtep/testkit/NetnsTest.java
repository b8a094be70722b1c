package io.xvtep.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

class NetnsTest {

    @BeforeEach
    void root() {
        Requires.root();
    }

    /** The calling thread's links (/proc/self/net would be the main thread's namespace, not this thread's). */
    private static List<String> interfaces() throws Exception {
        return Files.readAllLines(Path.of("/proc/thread-self/net/dev")).stream().skip(2)
                .map(l -> l.substring(0, l.indexOf(':')).trim()).sorted().toList();
    }

    @Test
    void threadsInsideSeeOnlyTheNamespaceAndCloseRemovesIt() throws Exception {
        Netns ns = Netns.create("xvtep-kit");
        try {
            assertThat(ns.name()).matches("xvtep-kit-" + ProcessHandle.current().pid() + "-[0-9a-f]{8}");
            assertThat(Files.exists(ns.path())).isTrue();
            ns.veth("ka", "kb");
            assertThat(ns.call(NetnsTest::interfaces)).containsExactly("ka", "kb", "lo");
            ExecutorService pool = ns.threads(2, "kit");
            assertThat(pool.submit(NetnsTest::interfaces).get()).containsExactly("ka", "kb", "lo");
            assertThat(interfaces()).doesNotContain("ka"); // the test's own thread stayed where it was
            assertThat(ns.ifindex("ka")).isPositive();
            assertThat(ns.mac("ka")).matches("([0-9a-f]{2}:){5}[0-9a-f]{2}");
            assertThat(ns.exec("ip", "-br", "link")).contains("ka@kb", "kb@ka");
            assertThat(ns.tryExec("ip", "link", "show", "dev", "nosuch0").output()).contains("does not exist");
            // exceptions come back as they were thrown
            assertThatThrownBy(() -> ns.run(() -> {
                throw new UnsupportedOperationException("inside");
            })).isInstanceOf(UnsupportedOperationException.class).hasMessage("inside");
        } finally {
            ns.close();
        }
        assertThat(Files.exists(ns.path())).isFalse();
        assertThat(Command.of("ip", "netns", "list").check()).doesNotContain(ns.name());
        ns.close(); // twice: no-op
    }

    @Test
    void socketsKeepTheNamespaceTheyWereCreatedIn() throws Exception {
        try (Netns ns = Netns.create("xvtep-kit")) {
            // a server bound to the namespace's loopback: the root namespace's 127.0.0.1 has no such listener
            HttpServer server = ns.call(() -> {
                HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
                s.createContext("/", ex -> {
                    byte[] b = (ex.getRequestMethod() + " " + ex.getRequestURI() + " "
                            + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8) + " "
                            + ex.getRequestHeaders().getFirst("Authorization")).getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(201, b.length);
                    ex.getResponseBody().write(b);
                    ex.close();
                });
                s.start();
                return s;
            });
            int port = server.getAddress().getPort();
            try {
                boolean reachableFromRoot;
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                    reachableFromRoot = true;
                } catch (java.io.IOException e) {
                    reachableFromRoot = false;
                }
                assertThat(reachableFromRoot).isFalse();
                try (NetnsHttpClient http = new NetnsHttpClient(ns, "http://127.0.0.1:" + port)) {
                    NetnsHttpClient.Response r = http.send("PATCH", "/api/v1/vnis/42?x=1", "{\"ttl\":9}",
                            Map.of("Authorization", "Bearer t"));
                    assertThat(r.status()).isEqualTo(201);
                    assertThat(r.body()).isEqualTo("PATCH /api/v1/vnis/42?x=1 {\"ttl\":9} Bearer t");
                    assertThat(http.send("GET", "/a", null, Map.of()).body()).isEqualTo("GET /a  null");
                }
                // and a plain socket opened on a thread inside reaches it too
                assertThat(ns.call(() -> {
                    try (ServerSocket probe = new ServerSocket(0); Socket s = new Socket("127.0.0.1", port)) {
                        return s.isConnected() && probe.getLocalPort() > 0;
                    }
                })).isTrue();
            } finally {
                server.stop(0);
            }
        }
    }

    @Test
    void createSweepsWhatADeadRunLeftAndKeepsWhatALiveRunUses() throws Exception {
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Process live = new ProcessBuilder("sleep", "120").start();
        String deadNs = "xvtep-sweep-" + dead.pid() + "-0badc0de", liveNs = "xvtep-sweep-" + live.pid() + "-00c0ffee";
        Path deadPins = Path.of("/sys/fs/bpf", deadNs);
        try {
            Command.of("ip", "netns", "add", deadNs).check();
            Command.of("ip", "netns", "add", liveNs).check();
            Files.createDirectories(deadPins.resolve("sub"));
            Netns.create("xvtep-sweep").close();
            assertThat(Command.of("ip", "netns", "list").check()).doesNotContain(deadNs).contains(liveNs);
            assertThat(Files.exists(deadPins)).isFalse();
        } finally {
            live.destroy();
            Command.of("ip", "netns", "delete", deadNs).run();
            Command.of("ip", "netns", "delete", liveNs).run();
            Unique.removeTree(deadPins);
        }
    }
}
