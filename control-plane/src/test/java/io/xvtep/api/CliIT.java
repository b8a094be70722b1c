package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.xvtep.testkit.Command;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The real CLI (java -jar target/xvtep.jar ...) against a real agent; output checked line by line. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliIT {

    private AgentHarness h;

    @BeforeAll
    void start() throws Exception {
        h = AgentHarness.started("c1", "c2");
    }

    @AfterAll
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private Command.Result ok(String... args) throws Exception {
        Command.Result c = h.cli(args);
        assertThat(c.exit()).as(String.join(" ", args) + ": " + c.err()).isZero();
        return c;
    }

    @Test
    void iproute2StyleCommands() throws Exception {
        ok("vni", "add", "42", "dstport", "4789", "remote", "198.18.0.12", "ttl", "10", "tos", "inherit", "proxy",
                "ageing", "100", "srcport", "1000", "2000", "allowed-src", "198.18.0.12,198.18.0.13");
        assertThat(ok("vni", "show", "42").out().split("\n")[0]).isEqualTo("vni 42 dstport 4789 remote 198.18.0.12 "
                + "local 198.18.0.1 ttl 10 tos inherit df unset ageing 100 srcport 1000 2000 mtu 1450 maxaddress 32768 proxy "
                + "allowed-src 198.18.0.12,198.18.0.13");
        ok("vni", "set", "42", "nolearning", "l3miss", "allowed-src", "none");
        assertThat(ok("vni", "show").out()).contains("vni 42 dstport 4789").contains(" nolearning proxy l3miss")
                .doesNotContain("allowed-src");
        JsonObject j = new JsonObject(ok("vni", "show", "42", "--json").out());
        assertThat(j.getBoolean("learning")).isFalse();

        // refusals: API errors exit 1 with the API's message, bad arguments exit 2
        Command.Result dup = h.cli("vni", "add", "42", "dstport", "4789");
        assertThat(dup.exit()).isEqualTo(1);
        assertThat(dup.err()).contains("VNI 42 already exists");
        assertThat(h.cli("vni", "add", "x42").exit()).isEqualTo(2);
        Command.Result bogus = h.cli("vni", "add", "43", "frobnicate");
        assertThat(bogus.exit()).isEqualTo(2);
        assertThat(bogus.err()).contains("unknown argument \"frobnicate\"");
        assertThat(h.cli("vni", "set", "42", "dstport", "1").exit()).isEqualTo(2);
        assertThat(h.cli("vni", "add", "43", "ttl").exit()).isEqualTo(2);
        assertThat(h.cli("vni", "show", "77").exit()).isEqualTo(1);

        ok("port", "add", "c1", "vni", "42");
        assertThat(ok("port", "show").out()).isEqualTo("c1 vni 42 fdb_max_learned 4096\n"); // the default limit
        assertThat(h.cli("port", "add", "c2").exit()).isEqualTo(2);
        assertThat(h.cli("port", "add", "nosuch", "vni", "42").err()).contains("no interface nosuch");

        ok("fdb", "add", "02:00:00:00:02:01", "vni", "42", "dst", "198.18.0.12");
        ok("fdb", "append", "00:00:00:00:00:00", "vni", "42", "dst", "198.18.0.13");
        ok("fdb", "add", "02:00:00:00:01:01", "vni", "42", "port", "c1");
        assertThat(h.cli("fdb", "add", "02:00:00:00:02:01", "vni", "42", "dst", "198.18.0.14").exit()).isEqualTo(1);
        assertThat(h.cli("fdb", "add", "02:00:00:00:02:01", "dst", "198.18.0.14").exit()).isEqualTo(2);
        ok("fdb", "replace", "02:00:00:00:02:01", "vni", "42", "dst", "198.18.0.14");
        assertThat(ok("fdb", "show", "vni", "42").out()).isEqualTo(String.join("\n",
                "00:00:00:00:00:00 vni 42 dst 198.18.0.12 self permanent",
                "00:00:00:00:00:00 vni 42 dst 198.18.0.13 self permanent",
                "02:00:00:00:01:01 vni 42 port c1 self static",
                "02:00:00:00:02:01 vni 42 dst 198.18.0.14 self static") + "\n");
        assertThat(ok("fdb", "show", "learned").out()).isEmpty();
        ok("fdb", "del", "00:00:00:00:00:00", "vni", "42", "dst", "198.18.0.13");
        ok("fdb", "del", "02:00:00:00:02:01", "vni", "42");
        assertThat(ok("fdb", "show", "vni", "42", "static").out()).doesNotContain("198.18.0.13", "02:00:00:00:02:01");

        ok("neigh", "add", "10.20.1.3", "lladdr", "02:00:00:00:02:01", "vni", "42");
        ok("neigh", "add", "fd00::3", "lladdr", "02:00:00:00:02:01", "vni", "42");
        assertThat(ok("neigh", "show", "vni", "42").out()).isEqualTo(
                "10.20.1.3 vni 42 lladdr 02:00:00:00:02:01 PERMANENT\nfd00::3 vni 42 lladdr 02:00:00:00:02:01 PERMANENT\n");
        assertThat(h.cli("neigh", "add", "10.20.1.3", "lladdr", "02:00:00:00:02:01", "vni", "42").exit()).isEqualTo(1);
        assertThat(h.cli("neigh", "add", "10.20.1.4", "vni", "42").exit()).isEqualTo(2);
        ok("neigh", "del", "fd00::3", "vni", "42");
        assertThat(ok("neigh", "show").out()).doesNotContain("fd00::3");

        assertThat(ok("stats", "vni", "42").out()).startsWith("vni 42\n").contains("    rx_packets 0");
        assertThat(ok("stats").out()).contains("vni 42\n").contains("total\n");

        // monitor: a frame from c1's peer is learned behind c1
        Path out = Files.createTempFile("xvtep-mon", ".txt");
        Command.Background mon = h.cliBackground(out, "monitor", "vni", "42");
        try {
            // the CLI is a JVM (slow to start on a loaded machine): wait for its connection to the agent
            long connected = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!h.in("ss", "-Htnp", "state", "established", "(", "dport", "=", ":" + h.port, ")")
                    .contains("pid=" + mon.pid() + ",") && System.nanoTime() < connected) {
                Thread.sleep(200);
            }
            Thread.sleep(500); // and for the request on it to open the stream
            String mac = h.netns.mac("c1c");
            h.in("ip", "addr", "add", "10.20.9.1/24", "dev", "c1c");
            h.inQuiet("ping", "-c", "1", "-W", "1", "10.20.9.2");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            String s = "";
            while (System.nanoTime() < deadline && !(s = Files.readString(out)).contains("l3miss")) {
                Thread.sleep(200);
            }
            assertThat(s).contains("learn " + mac + " vni 42 port c1\n").contains("l3miss 10.20.9.2 vni 42\n");
        } finally {
            mon.stop(Duration.ofSeconds(10));
            Files.deleteIfExists(out);
        }

        ok("port", "del", "c1", "vni", "42");
        assertThat(ok("port", "show", "vni", "42").out()).isEmpty();
        ok("vni", "del", "42");
        assertThat(ok("vni", "show").out()).isEmpty();
        assertThat(h.cli("vni", "del", "42").exit()).isEqualTo(1);
    }
}
