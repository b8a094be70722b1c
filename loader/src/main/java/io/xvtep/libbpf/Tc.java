package io.xvtep.libbpf;

import static io.xvtep.libbpf.internal.Native.BPF;

import java.lang.ref.Reference;
import java.util.Objects;

import io.xvtep.libbpf.internal.Errno;
import io.xvtep.libbpf.internal.Native;
import io.xvtep.libbpf.internal.Structs;
import jnr.ffi.Pointer;

/**
 * TC (clsact + cls_bpf, direct-action) attachment through netlink with libbpf's classic {@code bpf_tc_*} API
 * (libbpf 1.1 has no tcx). Attachments outlive the process. Works on the calling thread's network namespace.
 */
public final class Tc {
    static final int BPF_TC_F_REPLACE = 1;

    private Tc() {
    }

    private static Pointer hook(int ifindex, int attachPoint) {
        Native.init();
        Pointer hook = Native.alloc(Structs.TC_HOOK_SIZE);
        hook.putLong(0, Structs.TC_HOOK_SIZE);
        hook.putInt(Structs.TC_HOOK_IFINDEX, ifindex);
        hook.putInt(Structs.TC_HOOK_ATTACH_POINT, attachPoint);
        return hook;
    }

    private static Pointer opts(int handle, int priority) {
        if (handle == 0 || priority <= 0 || priority > 0xFFFF) {
            throw new IllegalArgumentException("tc handle must be non-zero and priority in 1..65535 (got handle "
                    + handle + ", priority " + priority + ")");
        }
        Pointer opts = Native.alloc(Structs.TC_OPTS_SIZE);
        opts.putLong(0, Structs.TC_OPTS_SIZE);
        opts.putInt(Structs.TC_OPTS_HANDLE, handle);
        opts.putInt(Structs.TC_OPTS_PRIORITY, priority);
        return opts;
    }

    private static String subject(int ifindex, TcDirection dir, int handle, int priority) {
        return Xdp.describe(ifindex) + " " + dir.name().toLowerCase() + " handle " + handle + " prio " + priority;
    }

    /**
     * Creates the clsact qdisc if needed and attaches {@code prog} as a direct-action cls_bpf filter with the
     * given handle and priority, replacing a filter already there ({@code BPF_TC_F_REPLACE}).
     */
    public static void attach(int ifindex, TcDirection dir, BpfProgram prog, int handle, int priority) {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(prog, "prog");
        Pointer hook = hook(ifindex, dir.attachPoint);
        int r = quietly(() -> BPF.bpf_tc_hook_create(hook), -Errno.EEXIST);
        if (r < 0 && r != -Errno.EEXIST) {
            throw BpfException.of("bpf_tc_hook_create", Xdp.describe(ifindex), -r);
        }
        Pointer opts = opts(handle, priority);
        opts.putInt(Structs.TC_OPTS_PROG_FD, prog.fd());
        opts.putInt(Structs.TC_OPTS_FLAGS, BPF_TC_F_REPLACE);
        r = BPF.bpf_tc_attach(hook, opts);
        Reference.reachabilityFence(hook);
        if (r < 0) {
            throw BpfException.of("bpf_tc_attach", prog.name() + " -> " + subject(ifindex, dir, handle, priority),
                    -r);
        }
    }

    /**
     * Removes the filter; a no-op if it (or the clsact qdisc) is not there (the kernel answers ENOENT, or
     * EINVAL when the qdisc or the filter chain is missing).
     */
    public static void detach(int ifindex, TcDirection dir, int handle, int priority) {
        Objects.requireNonNull(dir, "dir");
        Pointer hook = hook(ifindex, dir.attachPoint);
        int r = quietly(() -> BPF.bpf_tc_detach(hook, opts(handle, priority)), -Errno.ENOENT, -Errno.EINVAL);
        Reference.reachabilityFence(hook);
        if (r < 0 && r != -Errno.ENOENT && r != -Errno.EINVAL) {
            throw BpfException.of("bpf_tc_detach", subject(ifindex, dir, handle, priority), -r);
        }
    }

    /**
     * Deletes the clsact qdisc of {@code ifindex} and with it all its filters (both directions); a no-op if
     * there is none (ENOENT, or EINVAL "Invalid handle" right after a previous delete).
     */
    public static void destroyClsact(int ifindex) {
        Pointer hook = hook(ifindex, TcDirection.INGRESS.attachPoint | TcDirection.EGRESS.attachPoint);
        int r = quietly(() -> BPF.bpf_tc_hook_destroy(hook), -Errno.ENOENT, -Errno.EINVAL);
        Reference.reachabilityFence(hook);
        if (r < 0 && r != -Errno.ENOENT && r != -Errno.EINVAL) {
            throw BpfException.of("bpf_tc_hook_destroy", Xdp.describe(ifindex), -r);
        }
    }

    /**
     * Whether a filter with this handle and priority is attached ({@code bpf_tc_query}); the kernel answers
     * EINVAL rather than ENOENT when the clsact qdisc or the filter chain is missing, both mean "no".
     */
    public static boolean isAttached(int ifindex, TcDirection dir, int handle, int priority) {
        Objects.requireNonNull(dir, "dir");
        Pointer hook = hook(ifindex, dir.attachPoint);
        int r = quietly(() -> BPF.bpf_tc_query(hook, opts(handle, priority)), -Errno.ENOENT, -Errno.EINVAL);
        Reference.reachabilityFence(hook);
        if (r == 0) {
            return true;
        }
        if (r == -Errno.ENOENT || r == -Errno.EINVAL) {
            return false;
        }
        throw BpfException.of("bpf_tc_query", subject(ifindex, dir, handle, priority), -r);
    }

    /** Program id of the filter, or 0 if none. */
    public static int attachedProgramId(int ifindex, TcDirection dir, int handle, int priority) {
        Objects.requireNonNull(dir, "dir");
        Pointer hook = hook(ifindex, dir.attachPoint);
        Pointer opts = opts(handle, priority);
        int r = quietly(() -> BPF.bpf_tc_query(hook, opts), -Errno.ENOENT, -Errno.EINVAL);
        Reference.reachabilityFence(hook);
        if (r == 0) {
            return opts.getInt(Structs.TC_OPTS_PROG_ID);
        }
        if (r == -Errno.ENOENT || r == -Errno.EINVAL) {
            return 0;
        }
        throw BpfException.of("bpf_tc_query", subject(ifindex, dir, handle, priority), -r);
    }

    /** Runs a libbpf call, dropping libbpf's netlink warnings when it returns one of the expected codes. */
    private static int quietly(java.util.function.IntSupplier call, int... expected) {
        Native.beginCapture();
        int r;
        try {
            r = call.getAsInt();
        } catch (RuntimeException | Error e) {
            Native.endCapture();
            throw e;
        }
        for (int e : expected) {
            if (r == e) {
                Native.endCapture();
                return r;
            }
        }
        Native.endCaptureAndLog();
        return r;
    }
}
