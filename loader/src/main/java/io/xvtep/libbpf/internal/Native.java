package io.xvtep.libbpf.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Process-wide native handles: libbpf ({@code libbpf.so.1}), libc, and the libbpf print callback. Internal.
 *
 * <p>libbpf's messages go to the {@code System.Logger} named {@code io.xvtep.libbpf.libbpf} (WARN -> WARNING, INFO ->
 * INFO, DEBUG -> DEBUG) and warnings are also kept per thread so that a failing call can attach them to its
 * exception ({@link #beginCapture()} / {@link #endCapture()}).
 */
public final class Native {
    public static final LibBpf BPF;
    public static final LibC LIBC;
    public static final Runtime RUNTIME;

    private static final Logger LIBBPF_LOG = System.getLogger("io.xvtep.libbpf.libbpf");
    private static final int MAX_CAPTURED = 64;
    private static final ThreadLocal<Deque<Captured>> CAPTURE = new ThreadLocal<>();
    /** strong reference: libbpf keeps the raw function pointer forever */
    private static final LibBpf.PrintFn PRINT_FN;

    static {
        BPF = LibraryLoader.create(LibBpf.class).load("libbpf.so.1");
        LIBC = LibraryLoader.create(LibC.class).load("c");
        RUNTIME = Runtime.getRuntime(BPF);
        PRINT_FN = Native::print;
        BPF.libbpf_set_print(PRINT_FN);
    }

    private Native() {
    }

    /** Forces class initialisation (loads the libraries, installs the print callback). */
    public static void init() {
    }

    private record Captured(Level level, String message) {
    }

    // libbpf_print_level: LIBBPF_WARN = 0, LIBBPF_INFO = 1, LIBBPF_DEBUG = 2
    private static int print(int level, Pointer format, Pointer vaList) {
        try {
            Deque<Captured> capture = CAPTURE.get();
            Level jl = level == 0 ? Level.WARNING : level == 1 ? Level.INFO : Level.DEBUG;
            boolean capturing = capture != null && level <= 1;
            if (!capturing && !LIBBPF_LOG.isLoggable(jl)) {
                return 0;
            }
            String msg = vformat(format, vaList);
            if (msg.isEmpty()) {
                return 0;
            }
            if (capturing) {
                if (capture.size() >= MAX_CAPTURED) {
                    capture.removeFirst();
                }
                capture.addLast(new Captured(jl, msg));
            } else {
                LIBBPF_LOG.log(jl, msg);
            }
        } catch (Throwable t) {
            // never let an exception unwind into libbpf
        }
        return 0;
    }

    private static String vformat(Pointer format, Pointer vaList) {
        int size = 4096;
        Pointer buf = Memory.allocateDirect(RUNTIME, size, true);
        int n = LIBC.vsnprintf(buf, size, format, vaList);
        if (n < 0) {
            return format.getString(0);
        }
        byte[] bytes = new byte[Math.min(n, size - 1)];
        buf.get(0, bytes, 0, bytes.length);
        String s = new String(bytes, StandardCharsets.UTF_8);
        return s.strip();
    }

    /**
     * Starts collecting libbpf WARN/INFO messages emitted on this thread instead of logging them (libbpf only
     * prints from the thread that called it).
     */
    public static void beginCapture() {
        CAPTURE.set(new ArrayDeque<>());
    }

    /** Stops collecting and returns what was emitted since {@link #beginCapture()}, without logging it. */
    public static List<String> endCapture() {
        Deque<Captured> d = CAPTURE.get();
        CAPTURE.remove();
        List<String> out = new ArrayList<>();
        if (d != null) {
            d.forEach(c -> out.add(c.message()));
        }
        return out;
    }

    /** Stops collecting and logs what was collected, as libbpf would have. */
    public static void endCaptureAndLog() {
        Deque<Captured> d = CAPTURE.get();
        CAPTURE.remove();
        if (d != null) {
            d.forEach(c -> LIBBPF_LOG.log(c.level(), c.message()));
        }
    }

    /** errno of the last failed native call on this thread. */
    public static int lastErrno() {
        return LastError.getLastError(RUNTIME);
    }

    /** Zeroed native memory, freed when unreachable. */
    public static Pointer alloc(long size) {
        return Memory.allocateDirect(RUNTIME, (int) size, true);
    }

    /** Native copy of {@code bytes}. */
    public static Pointer copyOf(byte[] bytes) {
        Pointer p = alloc(Math.max(1, bytes.length));
        p.put(0, bytes, 0, bytes.length);
        return p;
    }

    public static byte[] read(Pointer p, long offset, int len) {
        byte[] b = new byte[len];
        p.get(offset, b, 0, len);
        return b;
    }
}
