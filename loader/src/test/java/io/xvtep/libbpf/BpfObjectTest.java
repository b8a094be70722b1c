package io.xvtep.libbpf;

import static io.xvtep.libbpf.TestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import io.xvtep.testkit.Requires;

class BpfObjectTest {
    Path pinRoot;

    @BeforeEach
    void setUp() {
        Requires.root();
        pinRoot = newPinRoot();
    }

    @AfterEach
    void tearDown() {
        if (pinRoot != null) {
            Bpffs.removeTree(pinRoot);
        }
    }

    @Test
    void opensAndLoadsFromFile() {
        try (BpfObject obj = BpfObject.open(bpfObject("test_prog.o"), pinRoot)) {
            assertThat(obj.name()).isEqualTo("test_prog");
            assertThat(obj.programs()).extracting(BpfProgram::name)
                    .containsExactlyInAnyOrder("xdp_rewrite", "xdp_grow", "xdp_lookup", "xdp_pass", "tc_record");
            assertThat(obj.maps()).extracting(BpfMap::name)
                    .contains("test_hash", "test_percpu", "test_pinned", "tc_seen", "events");
            assertThat(obj.program("xdp_rewrite").section()).isEqualTo("xdp");
            assertThat(obj.program("tc_record").section()).isEqualTo("tc");
            // before load: no fds yet
            assertThatThrownBy(() -> obj.program("xdp_pass").fd()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not loaded");

            obj.load();
            assertThat(obj.isLoaded()).isTrue();
            for (BpfProgram p : obj.programs()) {
                assertThat(p.fd()).isPositive();
                assertThat(p.id()).isPositive();
            }
            BpfMap hash = obj.map("test_hash");
            assertThat(hash.fd()).isPositive();
            assertThat(hash.type()).isEqualTo(BpfMap.BPF_MAP_TYPE_HASH);
            assertThat(hash.keySize()).isEqualTo(4);
            assertThat(hash.valueSize()).isEqualTo(8);
            assertThat(hash.maxEntries()).isEqualTo(16384);
            assertThat(hash.isPerCpu()).isFalse();
            assertThat(obj.map("test_percpu").isPerCpu()).isTrue();
            // by-name pinning under pinRoot
            assertThat(Files.exists(pinRoot.resolve("test_pinned"))).isTrue();
            assertThat(Files.exists(pinRoot.resolve("test_hash"))).isFalse();

            assertThatThrownBy(obj::load).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void opensFromBytes() throws Exception {
        byte[] elf = Files.readAllBytes(bpfObject("test_prog.o"));
        try (BpfObject obj = BpfObject.open(elf, "from_jar", pinRoot)) {
            assertThat(obj.name()).isEqualTo("from_jar");
            obj.load();
            TestRunResult r = obj.program("xdp_pass").testRun(packet(64), 1);
            assertThat(r.retval()).isEqualTo(2); // XDP_PASS
        }
    }

    @Test
    void unknownProgramOrMapListsNames() {
        try (BpfObject obj = BpfObject.open(bpfObject("test_prog.o"), pinRoot)) {
            assertThatThrownBy(() -> obj.program("nope")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("nope").hasMessageContaining("xdp_rewrite").hasMessageContaining("tc_record");
            assertThatThrownBy(() -> obj.map("nope")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("test_hash");
        }
    }

    @Test
    void missingFileIsBpfException() {
        assertThatThrownBy(() -> BpfObject.open(Path.of("/nonexistent/x.o"), null))
                .isInstanceOf(BpfException.class)
                .hasMessageStartingWith("bpf_object__open_file(/nonexistent/x.o): ENOENT (No such file or directory)")
                .satisfies(e -> assertThat(((BpfException) e).errno()).isEqualTo(2));
    }

    @Test
    void garbageElfIsBpfException() {
        assertThatThrownBy(() -> BpfObject.open(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, "garbage", null))
                .isInstanceOf(BpfException.class)
                .hasMessageStartingWith("bpf_object__open_mem(garbage): ");
    }

    @Test
    void closeIsIdempotentAndInvalidatesHandles() {
        BpfObject obj = BpfObject.open(bpfObject("test_prog.o"), pinRoot);
        obj.load();
        BpfProgram p = obj.program("xdp_pass");
        BpfMap m = obj.map("test_hash");
        obj.close();
        obj.close();
        assertThatThrownBy(p::fd).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(m::fd).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        // the by-name pin survives close
        assertThat(Files.exists(pinRoot.resolve("test_pinned"))).isTrue();
    }

    @Test
    void verifierRejectionCarriesLog() {
        try (BpfObject bad = BpfObject.open(bpfObject("bad_prog.o"), null)) {
            assertThatThrownBy(bad::load)
                    .isInstanceOfSatisfying(BpfException.class, e -> {
                        assertThat(e.getMessage()).startsWith("bpf_object__load(bad_prog): ");
                        assertThat(e.errno()).isEqualTo(13); // EACCES
                        assertThat(e.getMessage()).contains("EACCES (Permission denied)");
                        assertThat(e.getMessage()).contains("xdp_unbounded");
                        assertThat(e.verifierLog()).isNotBlank();
                        assertThat(e.verifierLog()).contains("invalid access to packet");
                    });
        }
    }

    @Test
    void successfulLoadHasNoVerifierLogNoise() {
        // a BpfException from a non-verifier failure has no verifier log
        try (BpfObject obj = BpfObject.open(bpfObject("test_prog.o"), pinRoot)) {
            obj.load();
            BpfException e = org.junit.jupiter.api.Assertions.assertThrows(BpfException.class,
                    () -> obj.map("test_hash").update(u32(1), u64(1), UpdateFlag.EXIST));
            assertThat(e.verifierLog()).isNull();
        }
    }
}
