package io.xvtep.app;

import io.xvtep.service.VtepEvent;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Drains the datapath's event ring on a thread of its own (the ring's callback runs inside the native
 * poll) and hands each event to every sink (metrics, SSE hub, cluster, neighbour prober).
 *
 * <p>A sink that throws must not stop the others nor the thread: its error is counted per sink and logged
 * once per sink and exception class (a storm of the same failure must not flood the log). A failing poll
 * (a record that does not decode, a syscall error) is counted as the "poll" sink and retried after a
 * short pause. Should the thread die anyway (an Error) or stop returning from its polls (a sink blocking),
 * {@link #healthy()} turns false, and with it the agent's readiness: learning would be silently off.
 */
public final class EventConsumer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("xvtep.events");
    /** A poll returns at least this often when all is well (it waits 200 ms at most). */
    static final long STALL_NS = TimeUnit.SECONDS.toNanos(10);
    static final int POLL_MS = 200;

    /** One consumer of events, by name (the metric label). */
    public record Sink(String name, Consumer<VtepEvent> handler) {
    }

    /** The ring as the consumer sees it: opened with the dispatching callback, polled, closed. */
    public interface Source extends AutoCloseable {
        /** Waits up to {@code timeoutMs} and hands the records to the callback given at open. */
        void poll(int timeoutMs);

        @Override
        void close();
    }

    private final List<Sink> sinks;
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final Set<String> logged = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long lastPollNs = System.nanoTime();
    private volatile Throwable death;
    private final long stallNs;

    /** @param open opens the ring with the callback to run per event (e.g. {@code services::events} adapted) */
    public EventConsumer(Function<Consumer<VtepEvent>, Source> open, List<Sink> sinks) {
        this(open, sinks, STALL_NS);
    }

    EventConsumer(Function<Consumer<VtepEvent>, Source> open, List<Sink> sinks, long stallNs) {
        this.stallNs = stallNs;
        this.sinks = List.copyOf(sinks);
        errors.put("poll", new LongAdder());
        for (Sink s : sinks) {
            errors.put(s.name(), new LongAdder());
        }
        this.thread = new Thread(() -> run(open), "xvtep-events");
        thread.setDaemon(true);
    }

    public EventConsumer start() {
        thread.start();
        return this;
    }

    private void run(Function<Consumer<VtepEvent>, Source> open) {
        try (Source src = open.apply(this::dispatch)) {
            long pauseMs = 10;
            while (running) {
                try {
                    src.poll(POLL_MS);
                    lastPollNs = System.nanoTime();
                    pauseMs = 10;
                } catch (RuntimeException e) {
                    failed("poll", e);
                    lastPollNs = System.nanoTime();
                    Thread.sleep(pauseMs);
                    pauseMs = Math.min(1_000, pauseMs * 2);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            death = t;
            LOG.log(System.Logger.Level.ERROR, "event consumer stopped: " + t + "; learning and miss events"
                    + " are no longer handled, readiness is off", t);
        }
    }

    private void dispatch(VtepEvent ev) {
        for (Sink s : sinks) {
            try {
                s.handler().accept(ev);
            } catch (RuntimeException e) {
                failed(s.name(), e);
            }
        }
    }

    private void failed(String sink, RuntimeException e) {
        errors.get(sink).increment();
        if (logged.add(sink + "/" + e.getClass().getName())) {
            LOG.log(System.Logger.Level.WARNING, "event " + sink + " failed (logged once per kind, counted in"
                    + " xvtep_event_errors_total{sink=\"" + sink + "\"}): " + e, e);
        }
    }

    /** Errors so far by sink ("poll" for the ring itself). */
    public Map<String, LongAdder> errors() {
        return errors;
    }

    /** The thread runs and has returned from a poll recently. */
    public boolean healthy() {
        return thread.isAlive() && death == null && System.nanoTime() - lastPollNs < stallNs;
    }

    /** Stops polling and waits for the thread (up to 2 s). */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
