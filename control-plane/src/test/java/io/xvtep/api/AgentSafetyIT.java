package io.xvtep.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.host.AgentLock;
import io.xvtep.libbpf.Xdp;
import io.xvtep.testkit.Command;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One agent per pin root and underlay, pins only on the host's bpffs, and a --cleanup that removes
 * only what is xvtep's (issue 11). Each refused start or cleanup exits non-zero with a clear message
 * and leaves the running agent's maps, programs and API exactly as they were.
 */
class AgentSafetyIT extends AgentApiBase {

    AgentSafetyIT() {
        super("t1");
    }

    @BeforeAll
    void createVni() {
        assertThat(h.post("/api/v1/vnis", vni(77, "")).status()).isEqualTo(201);
        assertThat(h.post("/api/v1/vnis/77/ports", "{\"ifname\":\"t1\"}").status()).isEqualTo(201);
    }

    record Run(int exit, String out) {
    }

    /** `xvtep ARGS` as a process; {@code how} is the namespace entry (nsenter or ip netns exec). */
    private Run xvtep(List<String> how, String... args) {
        List<String> cmd = new ArrayList<>(how);
        cmd.addAll(List.of("java", "-jar", h.jar.toString()));
        cmd.addAll(List.of(args));
        Command.Result r = Command.of(cmd).run();
        return new Run(r.exit(), r.output());
    }

    private List<String> nsenter() {
        return List.of("nsenter", "--net=/run/netns/" + h.ns);
    }

    /** What a second agent could have damaged: maps, programs on the underlay and the port, the API. */
    private String state() throws Exception {
        Map<String, Map<String, String>> maps = h.snapshot();
        return maps + "\nxdp " + xdpProgId() + "\ntc ul0 " + h.in("tc", "filter", "show", "dev", "ul0", "ingress")
                + "\ntc t1 " + h.in("tc", "filter", "show", "dev", "t1", "ingress");
    }

    private int xdpProgId() throws Exception {
        return h.netns.call(() -> Xdp.attachedProgramId(h.ifindex("ul0")));
    }

    @Test
    void secondAgentOnTheSamePinRootChangesNothing() throws Exception {
        String before = state();
        Run r = xvtep(nsenter(), "agent", "--underlay", "ul0", "--api", "127.0.0.1:" + (h.port + 1),
                "--pin-root", h.pinRoot.toString(), "--xdp-mode", "off");
        assertThat(r.exit()).as(r.out()).isNotZero();
        assertThat(r.out()).contains("in use by another xvtep agent").contains("pid " + h.agentPid());
        assertThat(state()).isEqualTo(before);
        assertThat(h.get("/healthz").status()).isEqualTo(200);
        assertThat(h.get("/readyz").status()).isEqualTo(200);
    }

    @Test
    void secondAgentOnTheSameUnderlayWithAnotherPinRootChangesNothing() throws Exception {
        String before = state();
        Path other = Path.of(h.pinRoot + "-second");
        Run r = xvtep(nsenter(), "agent", "--underlay", "ul0", "--api", "127.0.0.1:" + (h.port + 2),
                "--pin-root", other.toString(), "--xdp-mode", "off");
        assertThat(r.exit()).as(r.out()).isNotZero();
        assertThat(r.out()).contains("the underlay").contains("in use by another xvtep agent");
        assertThat(other).doesNotExist();
        Files.deleteIfExists(AgentLock.pinRootLock(AgentLock.STATE, other)); // taken before the underlay's was refused
        assertThat(state()).isEqualTo(before);
        assertThat(h.get("/readyz").status()).isEqualTo(200);
    }

    @Test
    void cleanupWhileTheAgentRunsIsRefused() throws Exception {
        String before = state();
        Run r = xvtep(nsenter(), "agent", "--cleanup", "--underlay", "ul0", "--pin-root", h.pinRoot.toString());
        assertThat(r.exit()).as(r.out()).isNotZero();
        assertThat(r.out()).contains("in use by another xvtep agent");
        assertThat(state()).isEqualTo(before);
    }

    @Test
    void ipNetnsExecIsRefusedWithInstructions() throws Exception {
        // `ip netns exec` gives the agent a fresh /sys: a bpffs mounted there would die with the agent.
        Path fresh = Path.of("/sys/fs/bpf/xvtep-test-netnsexec-" + ProcessHandle.current().pid());
        Run r = xvtep(List.of("ip", "netns", "exec", h.ns), "agent", "--underlay", "ul1", "--local", "198.18.0.1", "--api",
                "127.0.0.1:" + (h.port + 3), "--pin-root", fresh.toString(), "--xdp-mode", "off");
        assertThat(r.exit()).as(r.out()).isNotZero();
        assertThat(r.out()).contains("not on a bpffs").contains("nsenter --net=/run/netns/NAME");
        assertThat(fresh).doesNotExist();
        assertThat(h.in("tc", "filter", "show", "dev", "ul1", "ingress")).isBlank();
    }

    @Test
    void cleanupOfANonBpffsDirectoryIsRefusedAndKeepsItsFiles() throws Exception {
        Path dir = Files.createTempDirectory("xvtep-not-bpffs");
        try {
            Files.writeString(dir.resolve("precious.txt"), "keep me");
            Files.createDirectories(dir.resolve("sub"));
            Files.writeString(dir.resolve("sub/xvtep_fdb"), "not a pin");
            Run r = xvtep(nsenter(), "agent", "--cleanup", "--pin-root", dir.toString());
            assertThat(r.exit()).as(r.out()).isNotZero();
            assertThat(r.out()).contains("not a directory on a bpffs");
            assertThat(dir.resolve("precious.txt")).hasContent("keep me");
            assertThat(dir.resolve("sub/xvtep_fdb")).hasContent("not a pin");
            // A regular file given as the pin root, likewise.
            r = xvtep(nsenter(), "agent", "--cleanup", "--pin-root", dir.resolve("precious.txt").toString());
            assertThat(r.exit()).as(r.out()).isNotZero();
            assertThat(dir.resolve("precious.txt")).hasContent("keep me");
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void cleanupRemovesOnlyXvtepsOwnPins() throws Exception {
        try (AgentHarness other = AgentHarness.started("u1")) {
            assertThat(other.post("/api/v1/vnis", "{\"vni\":78,\"dstport\":4789,\"remote\":\"198.18.0.2\"}")
                    .status()).isEqualTo(201);
            other.stopAgent();
            // an undo log a killed bulk write would have left: --cleanup removes it with the pins
            Path journal = Path.of("/run/xvtep", other.pinRoot.toString().replace('/', '_') + ".fdb-bulk");
            Files.writeString(journal, "left by a killed agent");
            Path foreign = other.pinRoot.resolve("someone-elses");
            Files.createDirectories(foreign); // bpffs allows directories: stands for another tool's pins
            Run r = xvtep(List.of("nsenter", "--net=/run/netns/" + other.ns), "agent", "--cleanup", "--underlay",
                    "ul0", "--pin-root", other.pinRoot.toString());
            assertThat(r.exit()).as(r.out()).isZero();
            assertThat(r.out()).contains("someone-elses");
            assertThat(journal).doesNotExist();
            assertThat(foreign).isDirectory();
            try (var s = Files.list(other.pinRoot)) {
                assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("someone-elses");
            }
            assertThat(other.in("tc", "filter", "show", "dev", "ul0", "ingress")).isBlank();
            Files.delete(foreign);
        }
    }

    @Test
    void aHealthyStartLogsNoNoise() throws Exception {
        assertThat(h.get("/metrics").status()).isEqualTo(200);
        assertThat(h.post("/api/v1/vnis/77/fdb", "{\"mac\":\"02:00:00:00:77:01\",\"dst\":\"198.18.0.2\"}")
                .status()).isEqualTo(201);
        assertThat(h.get("/api/v1/vnis/77/fdb").status()).isEqualTo(200);
        String log = Files.readString(h.log);
        assertThat(log).doesNotContain("SLF4J").doesNotContain("already registered").contains("INFO xvtep.agent:");
    }
}
