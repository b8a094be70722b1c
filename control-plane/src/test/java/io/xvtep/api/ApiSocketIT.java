package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.testkit.Command;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The default API transport (issue 11): without --api the agent serves only a Unix socket, mode 0660,
 * root's or the --api-group's; nobody else can connect, no TCP port is open, the CLI and `curl
 * --unix-socket` work, and a socket left by a killed agent does not block the next one.
 */
class ApiSocketIT {

    private static Command.Result run(String... cmd) {
        return Command.of(cmd).run();
    }

    private static Command.Background agent(AgentHarness h, String... extra) {
        List<String> cmd = new ArrayList<>(List.of("java", "-jar", h.jar.toString(), "agent", "--underlay", "ul0",
                "--pin-root", h.pinRoot.toString(), "--xdp-mode", "off"));
        cmd.addAll(List.of(extra));
        return h.netns.command(cmd).start(h.log);
    }

    private static void awaitSocket(Path sock, Command.Background agent) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                throw new IllegalStateException("agent exited: " + agent.logText());
            }
            if (Files.exists(sock) && run("curl", "-sf", "--unix-socket", sock.toString(), "http://localhost/healthz").ok()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no socket " + sock + ": " + agent.logText());
    }

    private static String status(String... curl) {
        List<String> cmd = new ArrayList<>(List.of(curl));
        cmd.addAll(List.of("-s", "-o", "/dev/null", "-w", "%{http_code}"));
        return Command.of(cmd).run().out().strip();
    }

    @Test
    void withoutApiTheAgentServesOnlyARestrictedUnixSocket() throws Exception {
        Command.Background agent = null;
        try (AgentHarness h = AgentHarness.prepared("v1")) {
            Path sock = Path.of("/run/xvtep", h.pinRoot.toString().replace('/', '_') + ".sock");
            agent = agent(h, "--api-group", "daemon");
            awaitSocket(sock, agent);

            PosixFileAttributes a = Files.readAttributes(sock, PosixFileAttributes.class);
            assertThat(PosixFilePermissions.toString(a.permissions())).isEqualTo("rw-rw----");
            assertThat(a.owner().getName()).isEqualTo("root");
            assertThat(a.group().getName()).isEqualTo("daemon");
            // No TCP listener in the agent's namespace.
            assertThat(h.in("ss", "-Hltn")).isBlank();
            // An unprivileged user cannot connect (write permission on the socket file is the authentication);
            // the same user in the --api-group can.
            assertThat(status("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "curl",
                    "--unix-socket", sock.toString(), "http://localhost/healthz")).isEqualTo("000");
            assertThat(status("setpriv", "--reuid=nobody", "--regid=daemon", "--clear-groups", "curl",
                    "--unix-socket", sock.toString(), "http://localhost/healthz")).isEqualTo("200");
            // curl and the CLI work over it; the request guard still applies (a rebinding Host is refused).
            Command.Result created = run("curl", "-s", "--unix-socket", sock.toString(), "-H",
                    "Content-Type: application/json", "-d", "{\"vni\":91,\"remote\":\"198.18.0.2\"}",
                    "http://localhost/api/v1/vnis");
            assertThat(created.out()).contains("\"vni\":91");
            Command.Result cli = h.netns.command("java", "-jar", h.jar.toString(), "port", "add", "v1", "vni", "91",
                    "--api", "unix:" + sock).run();
            assertThat(cli.exit()).as(cli.output()).isZero();
            cli = run("java", "-jar", h.jar.toString(), "port", "show", "vni", "91", "--api", sock.toString());
            assertThat(cli.exit()).as(cli.output()).isZero();
            assertThat(cli.out()).contains("v1");
            assertThat(status("curl", "--unix-socket", sock.toString(), "-H", "Host: evil.example",
                    "http://localhost/api/v1/vnis")).isEqualTo("403");

            // kill -9 leaves the socket file behind; the next agent replaces it (nobody answers on it).
            Command.signal(agent.pid(), "KILL");
            agent.waitFor(Duration.ofSeconds(10));
            assertThat(sock).exists();
            agent = agent(h);
            awaitSocket(sock, agent);
            assertThat(run("curl", "-s", "--unix-socket", sock.toString(), "http://localhost/api/v1/vnis/91").out())
                    .contains("\"vni\":91");
            // A second agent wanting the same socket path stops at the pin root lock and leaves the socket alone.
            Command.Result second = h.netns.command("java", "-jar", h.jar.toString(), "agent", "--underlay", "ul0",
                    "--pin-root", h.pinRoot.toString(), "--xdp-mode", "off").run();
            assertThat(second.exit()).as(second.output()).isNotZero();
            assertThat(second.output()).contains("in use by another xvtep agent");
            assertThat(run("curl", "-sf", "--unix-socket", sock.toString(), "http://localhost/healthz").ok()).isTrue();
            agent.stop(Duration.ofSeconds(15));
            assertThat(sock).doesNotExist(); // removed on a clean stop
        } finally {
            if (agent != null) {
                agent.close();
            }
        }
    }
}
