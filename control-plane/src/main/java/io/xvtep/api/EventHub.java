package io.xvtep.api;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.xvtep.model.EventType;
import io.xvtep.service.VtepEvent;
import io.xvtep.service.VtepListener;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fans datapath events (and the reaper's ageouts) out to server-sent-event clients.
 *
 * {@link #publish} runs on the ring-buffer polling thread and never blocks it: each client has
 * a bounded queue that is only offered to; its event loop drains the queue into the HTTP
 * response while the response's write queue has room. A client whose queue overflows (it reads
 * slower than events arrive) is disconnected and counted in {@link #droppedClients()}.
 */
public final class EventHub implements VtepListener {

    static final int QUEUE = 4096;
    static final int WRITE_QUEUE_BYTES = 64 * 1024;
    /**
     * Streams at once: each holds a queue of up to {@link #QUEUE} frames, so the cap bounds the memory a
     * client opening streams in a loop can pin; one more gets 503.
     */
    public static final int MAX_SUBSCRIBERS = 64;
    private static final long KEEPALIVE_MS = 15_000;

    private final List<Client> clients = new CopyOnWriteArrayList<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong refusedSubscribers = new AtomicLong();

    /** Streams refused because {@link #MAX_SUBSCRIBERS} were open. */
    public long refusedSubscribers() {
        return refusedSubscribers.get();
    }
    private final AtomicLong published = new AtomicLong();

    /** Clients disconnected because they fell behind. */
    public long droppedClients() {
        return dropped.get();
    }

    public int clients() {
        return clients.size();
    }

    /** Events handed to at least the filter stage (every learn/move/ageout/miss seen). */
    public long published() {
        return published.get();
    }

    /**
     * From the ring-buffer thread (datapath events) or the reaper (ageouts): one event; types
     * that are not streamed (neigh_miss) are not forwarded.
     */
    public void publish(VtepEvent ev) {
        if (!ev.type().streamed()) {
            return;
        }
        published.incrementAndGet();
        if (clients.isEmpty()) {
            return;
        }
        JsonObject o = new JsonObject().put("type", ev.type().label()).put("vni", ev.vni());
        if (ev.mac() != null) {
            o.put("mac", ev.mac().toString());
        }
        if (ev.type() != EventType.L2MISS && ev.type() != EventType.L3MISS) {
            if (ev.ifindex() != 0) {
                o.put("ifname", ev.ifname()).put("ifindex", ev.ifindex());
            } else if (ev.remote() != null) {
                o.put("remote", ev.remote().toString());
            }
        }
        if (ev.ip() != null) {
            o.put("ip", ev.ip().toString());
        }
        long ts = System.currentTimeMillis();
        if (ev.type() != EventType.AGEOUT) {
            long ageNs = System.nanoTime() - ev.tsNs();
            ts -= ageNs > 0 && ageNs < 3_600_000_000_000L ? ageNs / 1_000_000 : 0;
        }
        o.put("ts", ts);
        deliver(ev.type(), ev.vni(), o);
    }

    /** From the reaper: a learned entry aged out. */
    @Override
    public void fdbAged(VtepEvent ageout) {
        publish(ageout);
    }

    private void deliver(EventType type, int vni, JsonObject o) {
        String frame = null;
        for (Client c : clients) {
            if (!c.wants(type, vni)) {
                continue;
            }
            if (frame == null) {
                frame = "data: " + o.encode() + "\n\n";
            }
            c.offer(frame);
        }
    }

    /**
     * Starts streaming to {@code resp} (on its event loop): headers, a comment line so the
     * client sees the stream open, then events matching the filters (null: all).
     */
    public void subscribe(Vertx vertx, HttpServerResponse resp, Set<Integer> vnis, Set<EventType> types) {
        if (clients.size() >= MAX_SUBSCRIBERS) {
            refusedSubscribers.incrementAndGet();
            resp.setStatusCode(503).putHeader("Content-Type", "application/json").putHeader("Retry-After", "5")
                    .end(JsonCodec.error("too many event streams open (at most " + MAX_SUBSCRIBERS + ")", null)
                            .encode() + "\n");
            return;
        }
        Context ctx = vertx.getOrCreateContext();
        Client c = new Client(ctx, resp, vnis, types);
        resp.setChunked(true)
                .setStatusCode(200)
                .putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        resp.setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
        resp.closeHandler(v -> c.close(false));
        resp.exceptionHandler(e -> c.close(false));
        resp.write(": xvtep events\n\n");
        c.timer = vertx.setPeriodic(KEEPALIVE_MS, id -> {
            if (!c.closed.get() && !resp.writeQueueFull()) {
                resp.write(": keepalive\n\n");
            }
        });
        clients.add(c);
    }

    private final class Client {
        final Context ctx;
        final HttpServerResponse resp;
        final Set<Integer> vnis;
        final Set<EventType> types;
        final ArrayBlockingQueue<String> queue = new ArrayBlockingQueue<>(QUEUE);
        final AtomicBoolean scheduled = new AtomicBoolean();
        final AtomicBoolean closed = new AtomicBoolean();
        volatile long timer = -1;

        Client(Context ctx, HttpServerResponse resp, Set<Integer> vnis, Set<EventType> types) {
            this.ctx = ctx;
            this.resp = resp;
            this.vnis = vnis;
            this.types = types;
        }

        boolean wants(EventType type, int vni) {
            return (vnis == null || vnis.contains(vni)) && (types == null || types.contains(type));
        }

        /** Any thread; never blocks. */
        void offer(String frame) {
            if (closed.get()) {
                return;
            }
            if (!queue.offer(frame)) {
                dropped.incrementAndGet();
                ctx.runOnContext(v -> close(true));
                closed.set(true);
                clients.remove(this);
                return;
            }
            if (scheduled.compareAndSet(false, true)) {
                ctx.runOnContext(v -> drain());
            }
        }

        /** On the client's event loop. */
        void drain() {
            scheduled.set(false);
            if (closed.get()) {
                return;
            }
            String s;
            while (!resp.writeQueueFull() && (s = queue.poll()) != null) {
                resp.write(s);
            }
            if (!queue.isEmpty()) {
                resp.drainHandler(v -> drain());
            }
        }

        /** On the client's event loop. */
        void close(boolean reset) {
            closed.set(true);
            clients.remove(this);
            queue.clear();
            if (timer >= 0) {
                ctx.owner().cancelTimer(timer);
            }
            if (reset) {
                try {
                    resp.reset(); // the client fell behind: drop the connection
                } catch (RuntimeException e) {
                    // already closed
                }
            }
        }
    }
}
