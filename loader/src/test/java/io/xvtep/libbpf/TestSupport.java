package io.xvtep.libbpf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

import io.xvtep.libbpf.internal.Native;

/** Helpers shared by the loader tests: test objects, unique bpffs pin roots, network namespaces. */
final class TestSupport {
    static final SecureRandom RANDOM = new SecureRandom();
    static final Path BPFFS_ROOT = Path.of("/sys/fs/bpf");

    private TestSupport() {
    }

    static void assumeRoot() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "the loader tests need root (bpf(2), netlink, mount)");
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

    static String randomSuffix() {
        return HexFormat.of().formatHex(RANDOM.generateSeed(4));
    }

    /** A fresh /sys/fs/bpf/xvtep-test-XXXXXXXX (not yet created). */
    static Path newPinRoot() {
        Bpffs.ensureMounted(BPFFS_ROOT);
        return BPFFS_ROOT.resolve("xvtep-test-" + randomSuffix());
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

    /** Result of a command. */
    record Cmd(int exit, String out) {
    }

    static Cmd run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timeout: " + cmd);
            }
            return new Cmd(p.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String sh(String... cmd) {
        Cmd c = run(List.of(cmd));
        if (c.exit() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + c.exit() + ": " + c.out());
        }
        return c.out();
    }

    /**
     * A network namespace of the test's own ({@code ip netns add xvtep-t-XXXXXXXX}), removed by close().
     * {@link #call} runs code on a fresh thread that has joined the namespace with setns(2), so netlink
     * (XDP/TC attach) and if_nametoindex there see only this namespace; the root namespace is never touched.
     */
    static final class NetNs implements AutoCloseable {
        static final int CLONE_NEWNET = 0x40000000;
        static final int O_RDONLY_CLOEXEC = 0x80000;

        final String name;

        NetNs() {
            this.name = "xvtep-t-" + randomSuffix();
            sh("ip", "netns", "add", name);
        }

        /** Runs {@code ip -n NAME args...}. */
        String ip(String... args) {
            String[] cmd = new String[args.length + 3];
            cmd[0] = "ip";
            cmd[1] = "-n";
            cmd[2] = name;
            System.arraycopy(args, 0, cmd, 3, args.length);
            return sh(cmd);
        }

        /** Runs {@code ip netns exec NAME args...}. */
        String exec(String... args) {
            String[] cmd = new String[args.length + 4];
            cmd[0] = "ip";
            cmd[1] = "netns";
            cmd[2] = "exec";
            cmd[3] = name;
            System.arraycopy(args, 0, cmd, 4, args.length);
            return sh(cmd);
        }

        /** Creates a veth pair a <-> b inside the namespace, both up. */
        void vethPair(String a, String b) {
            ip("link", "add", a, "type", "veth", "peer", "name", b);
            ip("link", "set", a, "up");
            ip("link", "set", b, "up");
            ip("link", "set", "lo", "up");
        }

        <T> T call(Callable<T> body) throws Exception {
            FutureTask<T> task = new FutureTask<>(() -> {
                int fd = Native.LIBC.open("/run/netns/" + name, O_RDONLY_CLOEXEC);
                if (fd < 0) {
                    throw new IllegalStateException("open /run/netns/" + name + ": errno " + Native.lastErrno());
                }
                try {
                    if (Native.LIBC.setns(fd, CLONE_NEWNET) != 0) {
                        throw new IllegalStateException("setns " + name + ": errno " + Native.lastErrno());
                    }
                } finally {
                    Native.LIBC.close(fd);
                }
                return body.call();
            });
            // a thread of its own: it stays in the namespace until it ends, so it must never be pooled
            Thread t = new Thread(task, "netns-" + name);
            t.setDaemon(true);
            t.start();
            try {
                return task.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof Exception ex) {
                    throw ex;
                }
                if (c instanceof Error err) {
                    throw err;
                }
                throw e;
            }
        }

        void run(ThrowingRunnable body) throws Exception {
            call(() -> {
                body.run();
                return null;
            });
        }

        @Override
        public void close() {
            TestSupport.run(List.of("ip", "netns", "del", name));
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
