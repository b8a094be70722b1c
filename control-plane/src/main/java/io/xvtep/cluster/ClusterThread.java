package io.xvtep.cluster;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The one thread ("xvtep-cluster") that owns every piece of cluster state. jetcd completions and
 * watch callbacks (Vert.x event loops) and the ring-buffer thread only hand work to it, so
 * nothing here needs a lock and nothing ever blocks an event loop.
 */
final class ClusterThread implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("xvtep.cluster");

    private final ScheduledExecutorService ex;
    private volatile Thread thread;
    private volatile boolean closed;

    ClusterThread() {
        ex = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "xvtep-cluster");
            t.setDaemon(true);
            thread = t;
            return t;
        });
    }

    boolean onIt() {
        return Thread.currentThread() == thread;
    }

    boolean closed() {
        return closed;
    }

    /** Runs {@code r} on the cluster thread; an exception is logged, never kills the thread. */
    void run(Runnable r) {
        if (!closed) {
            try {
                ex.execute(() -> guard(r));
            } catch (RejectedExecutionException e) {
                // closing
            }
        }
    }

    void schedule(Runnable r, long delayMs) {
        if (!closed) {
            try {
                ex.schedule(() -> guard(r), delayMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // closing
            }
        }
    }

    void every(Runnable r, long periodMs) {
        ex.scheduleWithFixedDelay(() -> guard(r), periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    private static void guard(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cluster: " + e, e);
        }
    }

    @Override
    public void close() {
        closed = true;
        ex.shutdownNow();
        try {
            ex.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
