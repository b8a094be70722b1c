package io.xvtep.service;

import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.XvtepEvent;
import io.xvtep.datapath.EventRing;
import io.xvtep.model.EventType;
import io.xvtep.model.IpAddress;

import java.util.function.Consumer;

/**
 * The datapath's event ring buffer, as {@link VtepEvent}s. {@link #poll} runs the consumer on
 * the calling thread (inside the native poll): call it from a thread of its own, never from an
 * event loop.
 */
public final class EventSource implements AutoCloseable {

    private final EventRing.Reader ring;

    EventSource(Datapath dp, Consumer<VtepEvent> consumer) {
        this.ring = dp.events().open(ev -> {
            VtepEvent e = convert(ev);
            if (e != null) {
                consumer.accept(e);
            }
        });
    }

    /** Waits up to {@code timeoutMs} for events and delivers them. */
    public void poll(int timeoutMs) {
        ring.poll(timeoutMs);
    }

    @Override
    public void close() {
        ring.close();
    }

    private static VtepEvent convert(XvtepEvent ev) {
        EventType t = EventType.of(ev.type()).orElse(null);
        if (t == null) {
            return null; // a type this agent does not know (a newer datapath): nothing can act on it
        }
        boolean ipEvent = t == EventType.L3MISS || t == EventType.NEIGH_MISS;
        IpAddress remote = ev.remote();
        IpAddress ip = t != EventType.L3MISS ? null : ev.ip6() != null ? ev.ip6()
                : ev.ip() != null && !ev.ip().isZero() ? IpAddress.of(ev.ip()) : null;
        return new VtepEvent(t, ev.vni(), ipEvent ? null : ev.mac(), remote, ev.ifindex(), ip, ev.tsNs());
    }
}
