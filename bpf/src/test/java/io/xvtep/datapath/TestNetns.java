package io.xvtep.datapath;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import jnr.ffi.LibraryLoader;

/**
 * A network namespace owned by one test run, with a thread that lives inside it.
 * BPF_PROG_TEST_RUN resolves ifindexes, routes and neighbours in the caller's
 * namespace and really transmits clones, so all datapath work runs on that thread.
 */
final class TestNetns implements AutoCloseable {
    public interface LibC {
        int open(String path, int flags);
        int setns(int fd, int nstype);
        int close(int fd);
    }

    private static final int CLONE_NEWNET = 0x40000000;
    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");

    final String name;
    private final ExecutorService thread;

    private TestNetns(String name) {
        this.name = name;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "netns-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    static TestNetns create(String prefix) {
        String name = prefix + "-" + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
        run("ip", "netns", "add", name);
        TestNetns ns = new TestNetns(name);
        try {
            ns.inside(() -> {
                int fd = LIBC.open("/run/netns/" + name, 0);
                if (fd < 0 || LIBC.setns(fd, CLONE_NEWNET) != 0) throw new IllegalStateException("setns " + name);
                LIBC.close(fd);
                return null;
            });
            // No IPv6 autoconfiguration chatter (ND, MLD) on the taps: only what the datapath sends.
            ns.exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
            ns.ip("link", "set", "lo", "up");
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /** `ip -n NAME args...` */
    void ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", name));
        cmd.addAll(List.of(args));
        run(cmd.toArray(String[]::new));
    }

    /** A command inside the namespace; returns its stdout. */
    String exec(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    <T> T inside(Callable<T> work) {
        try {
            return thread.submit(work).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error er) throw er;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + out.strip());
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            run("ip", "netns", "del", name);
        } catch (IllegalStateException ignored) {
            // already gone
        }
    }
}
