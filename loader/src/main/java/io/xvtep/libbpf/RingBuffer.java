package io.xvtep.libbpf;

import static io.xvtep.libbpf.internal.Native.BPF;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import com.kenai.jffi.MemoryIO;

import io.xvtep.libbpf.internal.Errno;
import io.xvtep.libbpf.internal.LibBpf;
import io.xvtep.libbpf.internal.Native;
import jnr.ffi.Pointer;

/**
 * A consumer of a {@code BPF_MAP_TYPE_RINGBUF} map ({@code ring_buffer__new}). Call {@link #poll}/{@link #consume}
 * from one dedicated thread: the handler runs on that thread, inside the native call, and gets a read-only
 * little-endian {@link ByteBuffer} over the record in the ring that is valid only during the call (copy what you
 * keep). If the handler throws, the record counts as consumed and poll/consume rethrow (wrapped in a
 * {@link RuntimeException} unless it is one).
 */
public final class RingBuffer implements AutoCloseable {
    private static final MemoryIO MEMORY_IO = MemoryIO.getInstance();

    private final String mapName;
    private final Consumer<ByteBuffer> handler;
    /** strong reference: libbpf holds only the native trampoline */
    private final LibBpf.SampleFn callback;
    private Pointer rb;
    private Throwable handlerFailure;

    public RingBuffer(BpfMap ringbuf, Consumer<ByteBuffer> handler) {
        Objects.requireNonNull(ringbuf, "ringbuf");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.mapName = ringbuf.name();
        if (ringbuf.type() != BpfMap.BPF_MAP_TYPE_RINGBUF) {
            throw new IllegalArgumentException("map " + mapName + " is not a ring buffer (type " + ringbuf.type()
                    + ")");
        }
        this.callback = this::onSample;
        int mapFd = ringbuf.fd();
        Native.beginCapture();
        Pointer p = BPF.ring_buffer__new(mapFd, callback, null, null);
        int errno = p == null ? Native.lastErrno() : 0;
        if (p == null) {
            throw BpfException.of("ring_buffer__new", mapName, errno, null, Native.endCapture(), null);
        }
        Native.endCaptureAndLog();
        this.rb = p;
    }

    private int onSample(Pointer ctx, Pointer data, long size) {
        try {
            ByteBuffer view = MEMORY_IO.newDirectByteBuffer(data.address(), (int) size)
                    .asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
            handler.accept(view);
            return 0;
        } catch (Throwable t) {
            handlerFailure = t;
            return -Errno.ECANCELED;
        }
    }

    /**
     * Waits up to {@code timeoutMs} (-1: forever, 0: don't wait) for records and hands each to the handler.
     *
     * @return the number of records consumed (0 on timeout or when interrupted by a signal)
     */
    public int poll(int timeoutMs) {
        int r = BPF.ring_buffer__poll(rb(), timeoutMs);
        return result("ring_buffer__poll", r);
    }

    /** Hands every available record to the handler without waiting; returns how many. */
    public int consume() {
        int r = BPF.ring_buffer__consume(rb());
        return result("ring_buffer__consume", r);
    }

    private int result(String op, int r) {
        Throwable failure = handlerFailure;
        if (failure != null) {
            handlerFailure = null;
            if (failure instanceof RuntimeException re) {
                throw re;
            }
            if (failure instanceof Error err) {
                throw err;
            }
            throw new RuntimeException("ring buffer " + mapName + " handler failed", failure);
        }
        if (r == -Errno.EINTR) {
            return 0;
        }
        if (r < 0) {
            throw BpfException.of(op, mapName, -r, null, List.of(), null);
        }
        return r;
    }

    private Pointer rb() {
        Pointer p = rb;
        if (p == null) {
            throw new IllegalStateException("ring buffer " + mapName + " is closed");
        }
        return p;
    }

    /** {@code ring_buffer__free}. Must not race with poll/consume on another thread. Idempotent. */
    @Override
    public void close() {
        Pointer p = rb;
        if (p != null) {
            rb = null;
            BPF.ring_buffer__free(p);
        }
    }
}
