package io.xvtep.libbpf;

import static io.xvtep.libbpf.TestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

class BpfMapTest extends LoadedObjectTest {
    @Test
    void crud() {
        BpfMap m = obj.map("test_hash");
        assertThat(m.lookup(u32(1))).isEmpty();
        m.update(u32(1), u64(100), UpdateFlag.ANY);
        assertThat(m.lookup(u32(1))).hasValueSatisfying(v -> assertThat(readU64(v, 0)).isEqualTo(100));
        m.update(u32(1), u64(101), UpdateFlag.EXIST);
        assertThat(readU64(m.lookup(u32(1)).orElseThrow(), 0)).isEqualTo(101);
        m.update(u32(2), u64(200), UpdateFlag.NOEXIST);
        assertThat(m.keys()).hasSize(2);
        assertThat(m.delete(u32(1))).isTrue();
        assertThat(m.delete(u32(1))).isFalse();
        assertThat(m.lookup(u32(1))).isEmpty();
        assertThat(m.keys()).singleElement().satisfies(k -> assertThat(readU32(k, 0)).isEqualTo(2));
    }

    @Test
    void updateFlagErrorsCarryErrnoText() {
        BpfMap m = obj.map("test_hash");
        m.update(u32(5), u64(5), UpdateFlag.ANY);
        assertThatThrownBy(() -> m.update(u32(5), u64(6), UpdateFlag.NOEXIST))
                .isInstanceOfSatisfying(BpfException.class, e -> {
                    assertThat(e.errno()).isEqualTo(17);
                    assertThat(e.errnoName()).isEqualTo("EEXIST");
                    assertThat(e.getMessage()).isEqualTo("bpf_map_update_elem(test_hash): EEXIST (File exists)");
                    assertThat(e.verifierLog()).isNull();
                });
        assertThatThrownBy(() -> m.update(u32(6), u64(6), UpdateFlag.EXIST))
                .isInstanceOfSatisfying(BpfException.class, e -> {
                    assertThat(e.errno()).isEqualTo(2);
                    assertThat(e.getMessage())
                            .isEqualTo("bpf_map_update_elem(test_hash): ENOENT (No such file or directory)");
                });
        assertThat(readU64(m.lookup(u32(5)).orElseThrow(), 0)).isEqualTo(5);
    }

    @Test
    void wrongSizesAreRejectedBeforeTheKernel() {
        BpfMap m = obj.map("test_hash");
        assertThatThrownBy(() -> m.update(new byte[3], u64(1), UpdateFlag.ANY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key is 3 bytes, expected 4");
        assertThatThrownBy(() -> m.update(u32(1), new byte[4], UpdateFlag.ANY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value is 4 bytes, expected 8");
        assertThatThrownBy(() -> m.lookup(new byte[8])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fullHashMapGivesE2big() {
        BpfMap m = obj.map("test_pinned"); // 64 entries
        for (int i = 0; i < 64; i++) {
            m.update(u32(i), u32(i), UpdateFlag.NOEXIST);
        }
        assertThatThrownBy(() -> m.update(u32(1000), u32(0), UpdateFlag.ANY))
                .isInstanceOfSatisfying(BpfException.class, e -> assertThat(e.errnoName()).isEqualTo("E2BIG"));
    }

    @Test
    void batchOfTenThousand() {
        BpfMap m = obj.map("test_hash");
        int n = 10_000;
        Random rnd = new Random(42);
        Map<Integer, Long> expected = new HashMap<>();
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        while (keys.size() < n) {
            int k = rnd.nextInt();
            if (expected.containsKey(k)) {
                continue;
            }
            long v = rnd.nextLong();
            expected.put(k, v);
            keys.add(u32(k));
            values.add(u64(v));
        }
        assertThat(m.updateBatch(keys, values, UpdateFlag.NOEXIST)).isEqualTo(n);

        List<BpfMap.Entry> entries = m.entries();
        assertThat(entries).hasSize(n);
        Map<Integer, Long> got = new HashMap<>();
        for (BpfMap.Entry e : entries) {
            assertThat(got.put(readU32(e.key(), 0), readU64(e.value(), 0))).isNull();
        }
        assertThat(got).isEqualTo(expected);
        assertThat(m.keys()).hasSize(n);

        // NOEXIST on present keys: fails on the first, nothing updated
        assertThatThrownBy(() -> m.updateBatch(keys.subList(0, 10), values.subList(0, 10), UpdateFlag.NOEXIST))
                .isInstanceOfSatisfying(BpfException.class, e -> {
                    assertThat(e.errnoName()).isEqualTo("EEXIST");
                    assertThat(e.getMessage()).contains("0 of 10 elements updated");
                });

        // delete the first half plus some absent keys: absent ones are skipped
        List<byte[]> del = new ArrayList<>(keys.subList(0, n / 2));
        del.add(2500, u32(findAbsent(expected)));
        assertThat(m.deleteBatch(del)).isEqualTo(n / 2);
        assertThat(m.entries()).hasSize(n - n / 2);
        assertThat(m.lookup(keys.get(0))).isEmpty();
        assertThat(m.lookup(keys.get(n - 1))).isPresent();

        // lookupEach: every key's value in order, null where absent (the deleted half)
        List<byte[]> each = m.lookupEach(keys);
        assertThat(each).hasSize(n);
        for (int i = 0; i < n; i++) {
            if (i < n / 2) {
                assertThat(each.get(i)).isNull();
            } else {
                assertThat(readU64(each.get(i), 0)).isEqualTo(expected.get(readU32(keys.get(i), 0)));
            }
        }
        assertThat(m.lookupEach(List.of())).isEmpty();
        assertThatThrownBy(() -> m.lookupEach(List.of(new byte[3]))).isInstanceOf(IllegalArgumentException.class);
        assertThat(m.deleteBatch(keys)).isEqualTo(n - n / 2);
        assertThat(m.entries()).isEmpty();
        assertThat(m.keys()).isEmpty();
    }

    private static int findAbsent(Map<Integer, Long> present) {
        int k = 0x7fff0000;
        while (present.containsKey(k)) {
            k++;
        }
        return k;
    }

    @Test
    void perCpuArray() {
        BpfMap m = obj.map("test_percpu");
        int cpus = Net.possibleCpus();
        assertThat(m.isPerCpu()).isTrue();
        assertThat(m.perCpuStride()).isEqualTo(8);
        assertThat(m.rawValueSize()).isEqualTo(8 * cpus);

        List<byte[]> vals = new ArrayList<>();
        for (int c = 0; c < cpus; c++) {
            vals.add(u64(1000 + c));
        }
        m.updatePerCpu(u32(2), vals, UpdateFlag.ANY);
        List<byte[]> back = m.lookupPerCpu(u32(2));
        assertThat(back).hasSize(cpus);
        for (int c = 0; c < cpus; c++) {
            assertThat(readU64(back.get(c), 0)).isEqualTo(1000 + c);
        }
        // array: every index exists; raw lookup = concatenation
        byte[] raw = m.lookup(u32(2)).orElseThrow();
        assertThat(raw).hasSize(8 * cpus);
        assertThat(readU64(raw, 8 * (cpus - 1))).isEqualTo(1000 + cpus - 1);
        // out of range index: absent
        assertThat(m.lookupPerCpu(u32(4))).isEmpty();

        // entries(): batch over a per-CPU array, raw values
        List<BpfMap.Entry> entries = m.entries();
        assertThat(entries).hasSize(4);
        BpfMap.Entry e2 = entries.stream().filter(e -> readU32(e.key(), 0) == 2).findFirst().orElseThrow();
        assertThat(m.splitPerCpu(e2.value())).extracting(v -> readU64(v, 0)).startsWith(1000L);

        // the program counts per CPU
        obj.program("xdp_rewrite").testRun(packet(64), 7);
        long sum = m.lookupPerCpu(u32(0)).stream().mapToLong(v -> readU64(v, 0)).sum();
        assertThat(sum).isEqualTo(7);

        assertThatThrownBy(() -> m.update(u32(0), u64(1), UpdateFlag.ANY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("updatePerCpu");
        assertThatThrownBy(() -> obj.map("test_hash").lookupPerCpu(u32(0)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void entriesFallsBackForMapsWithoutBatch() {
        // the kernel has no batch ops for LPM tries: entries() walks the keys instead
        BpfMap lpm = obj.map("test_lpm");
        assertThat(lpm.type()).isEqualTo(BpfMap.BPF_MAP_TYPE_LPM_TRIE);
        byte[] k1 = concat(u32(24), new byte[] {10, 0, 1, 0});
        byte[] k2 = concat(u32(16), new byte[] {10, 0, 0, 0});
        lpm.update(k1, u32(1), UpdateFlag.ANY);
        lpm.update(k2, u32(2), UpdateFlag.ANY);
        List<BpfMap.Entry> entries = lpm.entries();
        assertThat(entries).hasSize(2);
        Map<Integer, Integer> byPrefix = new HashMap<>();
        entries.forEach(e -> byPrefix.put(readU32(e.key(), 0), readU32(e.value(), 0)));
        assertThat(byPrefix).containsEntry(24, 1).containsEntry(16, 2);
        // longest-prefix lookup from user space too
        assertThat(readU32(lpm.lookup(concat(u32(32), new byte[] {10, 0, 1, 7})).orElseThrow(), 0)).isEqualTo(1);
        assertThat(readU32(lpm.lookup(concat(u32(32), new byte[] {10, 0, 9, 7})).orElseThrow(), 0)).isEqualTo(2);
        assertThat(lpm.deleteBatch(List.of(k1, k2))).isEqualTo(2);
        assertThat(lpm.entries()).isEmpty();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void pinnedMapSurvivesCloseAndIsReusedByTheNextObject() {
        BpfMap pinned = obj.map("test_pinned");
        pinned.update(u32(42), u32(4242), UpdateFlag.ANY);
        int id = pinned.id();
        obj.close();
        obj = null;

        assertThat(Files.exists(pinRoot.resolve("test_pinned"))).isTrue();
        try (BpfObject second = BpfObject.open(bpfObject("test_prog.o"), pinRoot)) {
            second.load();
            BpfMap again = second.map("test_pinned");
            assertThat(again.id()).isEqualTo(id);
            assertThat(readU32(again.lookup(u32(42)).orElseThrow(), 0)).isEqualTo(4242);
            // not pinned: a fresh, empty map
            assertThat(second.map("test_hash").keys()).isEmpty();
        }
    }

    @Test
    void incompatiblePinnedMapFailsLoadWithLibbpfReason() {
        // another map definition pinned where test_pinned would be reused
        Path other = newPinRoot();
        try {
            Bpffs.ensureMounted(other);
            obj.map("test_hash").pin(other.resolve("test_pinned"));
            try (BpfObject second = BpfObject.open(bpfObject("test_prog.o"), other)) {
                assertThatThrownBy(second::load).isInstanceOfSatisfying(BpfException.class, e -> {
                    assertThat(e.getMessage()).startsWith("bpf_object__load(test_prog): EINVAL (Invalid argument)")
                            .contains("couldn't reuse pinned map").contains("test_pinned");
                    assertThat(e.verifierLog()).isNull();
                });
            }
        } finally {
            Bpffs.removeTree(other);
        }
    }

    @Test
    void openPinnedReadsKernelMetadataAndOwnsItsFd() {
        obj.map("test_pinned").update(u32(1), u32(11), UpdateFlag.ANY);
        try (BpfMap m = BpfMap.openPinned(pinRoot.resolve("test_pinned"))) {
            assertThat(m.name()).isEqualTo("test_pinned");
            assertThat(m.type()).isEqualTo(BpfMap.BPF_MAP_TYPE_HASH);
            assertThat(m.keySize()).isEqualTo(4);
            assertThat(m.valueSize()).isEqualTo(4);
            assertThat(m.maxEntries()).isEqualTo(64);
            assertThat(m.id()).isEqualTo(obj.map("test_pinned").id());
            assertThat(readU32(m.lookup(u32(1)).orElseThrow(), 0)).isEqualTo(11);
            m.update(u32(2), u32(22), UpdateFlag.NOEXIST);
            m.close();
            assertThatThrownBy(m::fd).isInstanceOf(IllegalStateException.class);
        }
        assertThat(readU32(obj.map("test_pinned").lookup(u32(2)).orElseThrow(), 0)).isEqualTo(22);
        // closing an object's map does not close the object's fd
        obj.map("test_pinned").close();
        assertThat(obj.map("test_pinned").lookup(u32(2))).isPresent();
    }

    @Test
    void explicitPinOfMapAndProgram() {
        BpfMap hash = obj.map("test_hash");
        hash.update(u32(3), u64(33), UpdateFlag.ANY);
        Path mapPin = pinRoot.resolve("explicit_hash");
        hash.pin(mapPin);
        obj.program("xdp_pass").pin(pinRoot.resolve("prog_xdp_pass"));
        assertThat(Bpffs.list(pinRoot)).extracting(p -> p.getFileName().toString())
                .contains("explicit_hash", "prog_xdp_pass", "test_pinned");
        try (BpfMap m = BpfMap.openPinned(mapPin)) {
            assertThat(m.perCpuStride()).isEqualTo(8);
            assertThat(readU64(m.lookup(u32(3)).orElseThrow(), 0)).isEqualTo(33);
        }
        assertThatThrownBy(() -> hash.pin(mapPin)).isInstanceOfSatisfying(BpfException.class,
                e -> assertThat(e.errnoName()).isEqualTo("EEXIST"));
        assertThatThrownBy(() -> BpfMap.openPinned(pinRoot.resolve("nothing")))
                .isInstanceOfSatisfying(BpfException.class, e -> assertThat(e.errno()).isEqualTo(2));
    }

    @Test
    void keysOfAnArrayAreAllIndexes() {
        Set<Integer> idx = new HashSet<>();
        for (byte[] k : obj.map("test_percpu").keys()) {
            idx.add(readU32(k, 0));
        }
        assertThat(idx).containsExactlyInAnyOrder(0, 1, 2, 3);
    }
}
