package io.xvtep.libbpf;

import static io.xvtep.libbpf.TestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.xvtep.libbpf.internal.Native;
import io.xvtep.testkit.Requires;

class NetAndBpffsTest {

    @BeforeEach
    void setUp() {
        Requires.root();
    }

    @Test
    void loopbackIsIndexOne() {
        assertThat(Net.ifindex("lo")).isEqualTo(1);
        assertThat(Net.ifname(1)).isEqualTo("lo");
        assertThatThrownBy(() -> Net.ifindex("no-such-if0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no such interface: no-such-if0");
        assertThatThrownBy(() -> Net.ifname(987654)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void possibleCpusMatchesSysfs() throws Exception {
        String possible = Files.readString(Path.of("/sys/devices/system/cpu/possible")).trim();
        int count = 0;
        for (String range : possible.split(",")) {
            String[] ab = range.split("-");
            count += ab.length == 1 ? 1 : Integer.parseInt(ab[1]) - Integer.parseInt(ab[0]) + 1;
        }
        assertThat(Net.possibleCpus()).isEqualTo(count);
    }

    @Test
    void ensureMountedCreatesDirsOnExistingBpffs() {
        Path root = newPinRoot();
        Path deep = root.resolve("a/b");
        try {
            Bpffs.ensureMounted(deep);
            assertThat(Files.isDirectory(deep)).isTrue();
            assertThat(Bpffs.isBpffs(deep)).isTrue();
            Bpffs.ensureMounted(deep); // idempotent
        } finally {
            Bpffs.removeTree(root);
        }
        assertThat(Files.exists(root)).isFalse();
        Bpffs.removeTree(root); // absent: no-op
    }

    @Test
    void ensureMountedMountsBpffsOnAPlainDirectory() throws Exception {
        Path tmp = Files.createTempDirectory("xvtep-bpffs-");
        Path mnt = tmp.resolve("pins");
        try {
            assertThat(Bpffs.isBpffs(tmp)).isFalse();
            Bpffs.ensureMounted(mnt);
            assertThat(Bpffs.isBpffs(mnt)).isTrue();
            // and it is usable for pins
            try (BpfObject obj = BpfObject.open(bpfObject("test_prog.o"), mnt.resolve("obj"))) {
                obj.load();
                assertThat(Files.exists(mnt.resolve("obj/test_pinned"))).isTrue();
            }
            Bpffs.removeTree(mnt.resolve("obj"));
            assertThat(Files.exists(mnt.resolve("obj"))).isFalse();
        } finally {
            if (Files.exists(mnt) && Bpffs.isBpffs(mnt)) {
                assertThat(Native.LIBC.umount2(mnt.toString(), 0)).isZero();
            }
            Files.deleteIfExists(mnt);
            Files.deleteIfExists(tmp);
        }
    }
}
