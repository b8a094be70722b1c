package io.xvtep.libbpf;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

import io.xvtep.testkit.Unique;

/** Helpers shared by the loader tests: test objects, unique bpffs pin roots, little-endian bytes. */
final class TestSupport {
    static final Path BPFFS_ROOT = Path.of("/sys/fs/bpf");

    private TestSupport() {
    }

    /** A compiled test BPF object from target/test-classes/bpf/. */
    static Path bpfObject(String name) {
        URL url = TestSupport.class.getResource("/bpf/" + name);
        assertThat(url).as("test BPF object %s (compiled by exec-maven-plugin)", name).isNotNull();
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fresh /sys/fs/bpf/xvtep-test-PID-XXXXXXXX (not yet created); pin roots of dead runs are removed. */
    static Path newPinRoot() {
        Bpffs.ensureMounted(BPFFS_ROOT);
        Unique.stale(BPFFS_ROOT, "xvtep-test").forEach(Unique::removeTree);
        return BPFFS_ROOT.resolve(Unique.name("xvtep-test"));
    }

    static byte[] packet(int len) {
        byte[] p = new byte[len];
        for (int i = 0; i < len; i++) {
            p[i] = (byte) (i * 7 + 1);
        }
        return p;
    }

    static byte[] u32(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    static byte[] u64(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    static long readU64(byte[] b, int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return v;
    }

    static int readU32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }
}
