package io.xvtep.libbpf;

import static io.xvtep.libbpf.internal.Native.BPF;

import java.util.List;
import java.util.Objects;

import io.xvtep.libbpf.internal.Errno;
import io.xvtep.libbpf.internal.Native;
import jnr.ffi.byref.IntByReference;

/**
 * XDP attachment through netlink ({@code bpf_xdp_attach}): it outlives the process (no bpf_link), and
 * attaching again in the same mode replaces the program atomically. Works on the calling thread's network
 * namespace.
 */
public final class Xdp {
    static final int XDP_FLAGS_UPDATE_IF_NOEXIST = 1;
    static final int XDP_FLAGS_SKB_MODE = 2;
    static final int XDP_FLAGS_DRV_MODE = 4;

    private Xdp() {
    }

    /**
     * Attaches {@code prog} to {@code ifindex}, replacing whatever is attached in that mode.
     *
     * @throws BpfException if the attach fails; for {@link XdpMode#NATIVE} on a driver without XDP support
     *                      (EOPNOTSUPP/EINVAL) the message says so and that generic mode must be chosen
     *                      explicitly
     */
    public static void attach(int ifindex, BpfProgram prog, XdpMode mode) {
        Objects.requireNonNull(prog, "prog");
        Objects.requireNonNull(mode, "mode");
        Native.init();
        int fd = prog.fd();
        Native.beginCapture();
        int r;
        try {
            r = BPF.bpf_xdp_attach(ifindex, fd, mode.flags(), null);
        } catch (RuntimeException | Error e) {
            Native.endCapture();
            throw e;
        }
        if (r >= 0) {
            Native.endCaptureAndLog();
        } else {
            List<String> messages = Native.endCapture(); // the kernel's extack text, e.g. "Underlying driver..."
            String subject = prog.name() + " -> " + describe(ifindex) + ", " + mode;
            String hint = null;
            if (mode == XdpMode.NATIVE && (r == -Errno.EOPNOTSUPP || r == -Errno.EINVAL)) {
                hint = "native XDP is unavailable on " + describe(ifindex)
                        + " (its driver has no XDP support); generic (skb) mode must be chosen explicitly,"
                        + " e.g. --xdp-mode generic";
            } else if (r == -Errno.EEXIST || r == -Errno.EBUSY) {
                hint = "a program is attached in the other XDP mode (native and generic cannot be mixed);"
                        + " detach it first";
            }
            throw BpfException.of("bpf_xdp_attach", subject, -r, hint, messages, null);
        }
    }

    /** Detaches the program attached in {@code mode}; a no-op if none is. */
    public static void detach(int ifindex, XdpMode mode) {
        Objects.requireNonNull(mode, "mode");
        Native.init();
        int r = BPF.bpf_xdp_detach(ifindex, mode.flags(), null);
        if (r < 0) {
            throw BpfException.of("bpf_xdp_detach", describe(ifindex) + ", " + mode, -r);
        }
    }

    /** Id of the program attached to {@code ifindex} (any mode), 0 if none ({@code bpf_xdp_query_id}). */
    public static int attachedProgramId(int ifindex) {
        Native.init();
        IntByReference id = new IntByReference(0);
        int r = BPF.bpf_xdp_query_id(ifindex, 0, id);
        if (r < 0) {
            throw BpfException.of("bpf_xdp_query_id", describe(ifindex), -r);
        }
        return id.getValue();
    }

    static String describe(int ifindex) {
        try {
            return Net.ifname(ifindex) + " (ifindex " + ifindex + ")";
        } catch (RuntimeException e) {
            return "ifindex " + ifindex;
        }
    }
}
