package io.xvtep.libbpf;

import static io.xvtep.libbpf.TestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

class RingBufferTest extends LoadedObjectTest {
    @Test
    void receivesEventFromTestRun() {
        List<byte[]> events = new ArrayList<>();
        List<ByteBuffer> views = new ArrayList<>();
        try (RingBuffer rb = new RingBuffer(obj.map("events"), buf -> {
            assertThat(buf.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
            assertThat(buf.isReadOnly()).isTrue();
            views.add(buf);
            byte[] b = new byte[buf.remaining()];
            buf.get(b);
            events.add(b);
        })) {
            assertThat(rb.poll(0)).isZero();
            byte[] pkt = packet(64);
            obj.program("xdp_rewrite").testRunCtx(pkt, BpfProgram.xdpContext(1, 0, pkt.length), 1);
            assertThat(rb.poll(1000)).isEqualTo(1);
        }
        assertThat(events).hasSize(1);
        byte[] e = events.get(0);
        assertThat(e).hasSize(16);
        assertThat(readU32(e, 0)).isEqualTo(1); // ingress_ifindex from the ctx (lo)
        assertThat(readU32(e, 4)).isEqualTo(64);
        byte[] first = packet(8);
        first[0] = (byte) 0xAA;
        assertThat(Arrays.copyOfRange(e, 8, 16)).isEqualTo(first);
        assertThatThrownBy(() -> views.get(0).put(0, (byte) 1)).isInstanceOf(ReadOnlyBufferException.class);
    }

    @Test
    void pollThreadGetsEventsAsTheyCome() throws Exception {
        List<Integer> lens = new CopyOnWriteArrayList<>();
        CountDownLatch got = new CountDownLatch(5);
        AtomicBoolean stop = new AtomicBoolean();
        try (RingBuffer rb = new RingBuffer(obj.map("events"), buf -> {
            lens.add(buf.getInt(4));
            got.countDown();
        })) {
            Thread poller = new Thread(() -> {
                while (!stop.get()) {
                    rb.poll(50);
                }
            }, "rb-poll");
            poller.start();
            try {
                for (int i = 0; i < 5; i++) {
                    obj.program("xdp_rewrite").testRun(packet(60 + i), 1);
                }
                assertThat(got.await(5, TimeUnit.SECONDS)).isTrue();
            } finally {
                stop.set(true);
                poller.join(5000);
            }
        }
        assertThat(lens).containsExactly(60, 61, 62, 63, 64);
    }

    @Test
    void handlerExceptionSurfacesFromPoll() {
        try (RingBuffer rb = new RingBuffer(obj.map("events"), buf -> {
            throw new IllegalStateException("boom");
        })) {
            obj.program("xdp_rewrite").testRun(packet(64), 1);
            obj.program("xdp_rewrite").testRun(packet(64), 1);
            assertThatThrownBy(rb::consume).isInstanceOf(IllegalStateException.class).hasMessage("boom");
            // the failing record was consumed; the next one is still there
            assertThatThrownBy(rb::consume).isInstanceOf(IllegalStateException.class).hasMessage("boom");
            assertThat(rb.consume()).isZero();
        }
    }

    @Test
    void rejectsNonRingbufMap() {
        assertThatThrownBy(() -> new RingBuffer(obj.map("test_hash"), b -> { }))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
