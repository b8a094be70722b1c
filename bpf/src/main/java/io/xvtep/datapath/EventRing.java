package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.RingBuffer;

import java.util.function.Consumer;

/** xvtep_events: the ring buffer the datapath reports learn/move/miss events through. */
public final class EventRing {

    /** A reader of the ring; its consumer runs on the thread that calls {@link #poll}, inside the native poll. */
    public static final class Reader implements AutoCloseable {
        private final RingBuffer ring;

        private Reader(RingBuffer ring) {
            this.ring = ring;
        }

        /** Waits up to {@code timeoutMs} for events and delivers them. */
        public void poll(int timeoutMs) {
            ring.poll(timeoutMs);
        }

        @Override
        public void close() {
            ring.close();
        }
    }

    private final BpfMap events;

    EventRing(BpfMap events) {
        this.events = events;
    }

    /** A reader delivering decoded events; poll it on a thread of its own. */
    public Reader open(Consumer<XvtepEvent> consumer) {
        return new Reader(new RingBuffer(events, buf -> consumer.accept(XvtepEvent.decode(buf))));
    }
}
