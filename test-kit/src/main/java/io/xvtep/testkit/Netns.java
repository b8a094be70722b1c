package io.xvtep.testkit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace of the test's own ({@code ip netns add PREFIX-XXXXXXXX}), deleted by {@link #close}
 * (and by a shutdown hook for any a failing run left open), so runs never collide and nothing stays behind.
 *
 * <p>Java code that must see the namespace (netlink, if_nametoindex, BPF_PROG_TEST_RUN, sockets) runs on
 * threads that joined it with setns(2): {@link #call} on the namespace's own thread, {@link #threads} for
 * pools. setns moves only the calling thread, so these threads are never shared with anything else; a
 * socket keeps the namespace of the thread that created it.
 *
 * <p>Programs run inside through {@code nsenter --net}, which keeps the test's mounts: /sys/fs/bpf pins are
 * visible, /sys/class/net is the root namespace's (use {@link #mac} and {@link #ifindex}).
 */
public final class Netns implements AutoCloseable {
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(10);
    private static final Set<Netns> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(OPEN).forEach(Netns::close),
                "netns-cleanup"));
    }

    private final String name;
    private final ExecutorService thread;
    private volatile Thread own; // the thread behind `thread` (a call from it runs in place: see call)
    private final List<ExecutorService> pools = new CopyOnWriteArrayList<>();

    /** Removes what dead runs of this prefix left: their namespaces and their pin roots under /sys/fs/bpf. */
    public static void sweepStale(String prefix) {
        for (Path p : Unique.stale(Path.of("/run/netns"), prefix)) {
            Command.of("ip", "netns", "delete", p.getFileName().toString()).run();
        }
        Unique.stale(Path.of("/sys/fs/bpf"), prefix).forEach(Unique::removeTree);
    }

    private Netns(String name) {
        this.name = name;
        ThreadFactory factory = threadFactory("netns-" + name);
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = factory.newThread(r);
            own = t;
            return t;
        });
    }

    /**
     * A fresh namespace named {@code prefix-PID-XXXXXXXX} with loopback up. Namespaces and bpffs pin roots of
     * this prefix whose owning JVM died without its shutdown hook (kill -9) are removed first.
     */
    public static Netns create(String prefix) {
        sweepStale(prefix);
        String name = Unique.name(prefix);
        Command.of("ip", "netns", "add", name).check();
        Netns ns = new Netns(name);
        OPEN.add(ns);
        Throwable[] failed = {null};
        Thread probe = new Thread(() -> {
            try {
                enter(ns.path());
            } catch (Throwable t) {
                failed[0] = t;
            }
        }, "netns-probe-" + name);
        probe.start();
        try {
            probe.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failed[0] != null) {
            ns.close();
            throw new IllegalStateException("cannot join " + name + ": " + failed[0], failed[0]);
        }
        try {
            ns.ip("link", "set", "lo", "up");
        } catch (RuntimeException | Error e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    public String name() {
        return name;
    }

    /** /run/netns/NAME, what setns(2) and nsenter open. */
    public Path path() {
        return Path.of("/run/netns", name);
    }

    /** No IPv6 autoconfiguration chatter (DAD, RS, MLD) on the links: only the frames a test sends. */
    public Netns disableIpv6() {
        exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        return this;
    }

    /** {@code ip -n NAME args...}; fails on a non-zero exit; stdout. */
    public String ip(String... args) {
        return Command.of(List.of("ip", "-n", name), args).check();
    }

    /** A veth pair a &lt;-&gt; b inside the namespace, both up. */
    public Netns veth(String a, String b) {
        ip("link", "add", a, "type", "veth", "peer", "name", b);
        ip("link", "set", a, "up");
        ip("link", "set", b, "up");
        return this;
    }

    /** The command as it runs inside: {@code nsenter --net=/run/netns/NAME argv...}, to start or tune. */
    public Command command(String... argv) {
        return Command.of(List.of("nsenter", "--net=" + path()), argv);
    }

    public Command command(List<String> argv) {
        return command(argv.toArray(String[]::new));
    }

    /** A program inside; fails on a non-zero exit; stdout. */
    public String exec(String... argv) {
        return command(argv).check();
    }

    /** A program inside whose failure is part of the test (ping to nobody, a device that must be gone). */
    public Command.Result tryExec(String... argv) {
        return command(argv).run();
    }

    public int ifindex(String ifname) {
        String out = ip("-o", "link", "show", "dev", ifname);
        return Integer.parseInt(out.substring(0, out.indexOf(':')).trim());
    }

    public String mac(String ifname) {
        return ip("-br", "link", "show", "dev", ifname).trim().split("\\s+")[2];
    }

    /**
     * Runs {@code work} on the namespace's own thread and returns its result; its exceptions are rethrown
     * as they are (checked ones wrapped in an IllegalStateException).
     */
    public <T> T call(Callable<T> work) {
        if (Thread.currentThread() == own) {
            // already on the namespace's thread (a helper that calls in, used from code run by call):
            // submitting would wait for this very thread, a deadlock until CALL_TIMEOUT
            try {
                return work.call();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            return thread.submit(work).get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error er) {
                throw er;
            }
            throw new IllegalStateException(c);
        } catch (TimeoutException e) {
            throw new IllegalStateException("no answer from the thread in " + name + " after " + CALL_TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Code that throws what it likes, run by {@link #run}. */
    public interface Task {
        void run() throws Exception;
    }

    public void run(Task work) {
        call(() -> {
            work.run();
            return null;
        });
    }

    /** {@code n} threads inside the namespace (shut down by close() at the latest). */
    public ExecutorService threads(int n, String threadName) {
        ExecutorService pool = Executors.newFixedThreadPool(n, threadFactory(threadName));
        pools.add(pool);
        return pool;
    }

    /** Daemon threads that join the namespace before they run anything. */
    public ThreadFactory threadFactory(String threadName) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(() -> {
                enter(path());
                r.run();
            }, threadName + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Moves the calling thread into the namespace at {@code nsPath} (setns(2) with CLONE_NEWNET). */
    static void enter(Path nsPath) {
        LibC libc = LibC.INSTANCE;
        int fd = libc.open(nsPath.toString(), LibC.O_RDONLY_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("open " + nsPath + ": errno " + errno());
        }
        try {
            if (libc.setns(fd, LibC.CLONE_NEWNET) != 0) {
                throw new IllegalStateException("setns " + nsPath + ": errno " + errno());
            }
        } finally {
            libc.close(fd);
        }
    }

    private static int errno() {
        return jnr.ffi.Runtime.getRuntime(LibC.INSTANCE).getLastError();
    }

    /** Stops the namespace's threads and deletes it (its links, qdiscs and attachments go with it). */
    @Override
    public void close() {
        if (!OPEN.remove(this)) {
            return;
        }
        thread.shutdownNow();
        pools.forEach(ExecutorService::shutdownNow);
        Command.Result r = Command.of("ip", "netns", "del", name).run();
        if (!r.ok() && !r.output().contains("No such file")) {
            throw new IllegalStateException("ip netns del " + name + ": " + r.output().strip());
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
