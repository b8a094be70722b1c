package io.xvtep.api;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * At most {@code max} API connections at once: one more is closed as it opens (and counted), so a
 * client opening connections in a loop exhausts neither the agent's file descriptors nor its memory,
 * and /healthz keeps a way in once the flood stops. Idle connections are closed by the server's idle
 * timeout; an event stream is never idle (it sends a keepalive every 15 s).
 */
public final class ConnectionLimit implements Handler<HttpConnection> {

    /** Default cap: far above what the CLI, a CNI plugin, Prometheus and a few monitors need. */
    public static final int DEFAULT_MAX = 512;
    /** Seconds a connection may stay silent both ways. */
    public static final int IDLE_TIMEOUT_S = 60;

    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder refused = new LongAdder();

    public ConnectionLimit(int max) {
        this.max = max;
    }

    @Override
    public void handle(HttpConnection c) {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            refused.increment();
            c.close();
            return;
        }
        c.closeHandler(v -> open.decrementAndGet());
    }

    public int open() {
        return open.get();
    }

    public LongAdder refused() {
        return refused;
    }
}
