package io.xvtep.libbpf;

import static io.xvtep.libbpf.internal.Native.BPF;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Objects;

import io.xvtep.libbpf.internal.Errno;
import io.xvtep.libbpf.internal.Native;
import io.xvtep.libbpf.internal.Structs;
import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;

/** A program of a {@link BpfObject}; valid until the object is closed. */
public final class BpfProgram {
    /** Extra room in the output buffer of a test run, for programs that grow the frame (encap, adjust_head). */
    static final int TEST_RUN_HEADROOM = 4096;

    private final BpfObject owner;
    private final Pointer prog;
    private final String name;
    private final String section;

    BpfProgram(BpfObject owner, Pointer prog) {
        this.owner = owner;
        this.prog = prog;
        this.name = BPF.bpf_program__name(prog);
        this.section = BPF.bpf_program__section_name(prog);
    }

    /** C function name. */
    public String name() {
        return name;
    }

    /** ELF section, e.g. "xdp", "tc". */
    public String section() {
        return section;
    }

    /** Program fd; the object must be loaded. */
    public int fd() {
        owner.checkOpen();
        int fd = BPF.bpf_program__fd(prog);
        if (fd < 0) {
            throw new IllegalStateException("program " + name + " has no fd: bpf object " + owner.name()
                    + " is not loaded");
        }
        return fd;
    }

    /** Kernel program id (as shown by {@code bpftool prog}, {@code ip link}); the object must be loaded. */
    public int id() {
        Pointer info = Native.alloc(Structs.PROG_INFO_SIZE);
        IntByReference len = new IntByReference(Structs.PROG_INFO_SIZE);
        int r = BPF.bpf_obj_get_info_by_fd(fd(), info, len);
        if (r < 0) {
            throw BpfException.of("bpf_obj_get_info_by_fd", name, -r);
        }
        return info.getInt(Structs.PI_ID);
    }

    /** Instructions the verifier processed to load this program (bpf_prog_info.verified_insns): its verification cost. */
    public long verifiedInsns() {
        Pointer info = Native.alloc(Structs.PROG_INFO_SIZE);
        IntByReference len = new IntByReference(Structs.PROG_INFO_SIZE);
        int r = BPF.bpf_obj_get_info_by_fd(fd(), info, len);
        if (r < 0) {
            throw BpfException.of("bpf_obj_get_info_by_fd", name, -r);
        }
        return Integer.toUnsignedLong(info.getInt(Structs.PI_VERIFIED_INSNS));
    }

    /** {@code BPF_PROG_TEST_RUN} with {@code packet} as input. */
    public TestRunResult testRun(byte[] packet, int repeat) {
        return testRunCtx(packet, null, repeat);
    }

    /**
     * {@code BPF_PROG_TEST_RUN} with a context, e.g. a {@code struct xdp_md} ({@link #xdpContext}) with
     * {@code ingress_ifindex}, or a {@code struct __sk_buff} ({@link #skbContext}) with {@code ifindex}.
     * Interfaces named in the context are looked up in the calling thread's network namespace.
     *
     * @param packet input frame (may be null or empty for program types that take none)
     * @param ctxIn  context bytes, or null
     * @param repeat number of runs (0 or 1: once); durationNs is the average
     */
    public TestRunResult testRunCtx(byte[] packet, byte[] ctxIn, int repeat) {
        if (repeat < 0) {
            throw new IllegalArgumentException("repeat < 0");
        }
        int fd = fd();
        byte[] data = packet == null ? new byte[0] : packet;
        int outSize = data.length + TEST_RUN_HEADROOM;
        for (int attempt = 0; ; attempt++) {
            Pointer opts = Native.alloc(Structs.TEST_RUN_OPTS_SIZE);
            Pointer in = data.length == 0 ? null : Native.copyOf(data);
            Pointer out = Native.alloc(outSize);
            Pointer ctx = ctxIn == null ? null : Native.copyOf(ctxIn);
            opts.putLong(0, Structs.TEST_RUN_OPTS_SIZE);
            if (in != null) {
                opts.putAddress(Structs.TR_DATA_IN, in.address());
                opts.putInt(Structs.TR_DATA_SIZE_IN, data.length);
            }
            opts.putAddress(Structs.TR_DATA_OUT, out.address());
            opts.putInt(Structs.TR_DATA_SIZE_OUT, outSize);
            if (ctx != null) {
                opts.putAddress(Structs.TR_CTX_IN, ctx.address());
                opts.putInt(Structs.TR_CTX_SIZE_IN, ctxIn.length);
            }
            opts.putInt(Structs.TR_REPEAT, repeat);
            int r = BPF.bpf_prog_test_run_opts(fd, opts);
            Reference.reachabilityFence(in);
            Reference.reachabilityFence(ctx);
            int sizeOut = opts.getInt(Structs.TR_DATA_SIZE_OUT);
            if (r == -Errno.ENOSPC && attempt == 0 && Integer.compareUnsigned(sizeOut, outSize) > 0) {
                outSize = sizeOut; // output larger than our generous guess: run again with the size it needs
                continue;
            }
            if (r < 0) {
                throw BpfException.of("bpf_prog_test_run_opts", name, -r);
            }
            byte[] dataOut = Native.read(out, 0, Math.min(sizeOut, outSize));
            Reference.reachabilityFence(out);
            return new TestRunResult(opts.getInt(Structs.TR_RETVAL), dataOut,
                    Integer.toUnsignedLong(opts.getInt(Structs.TR_DURATION)));
        }
    }

    /**
     * A {@code struct xdp_md} (24 bytes) for {@link #testRunCtx}: the kernel requires {@code data_end} to
     * equal the packet length and {@code data}/{@code data_meta} to be 0.
     */
    public static byte[] xdpContext(int ingressIfindex, int rxQueueIndex, int packetLength) {
        ByteBuffer b = ByteBuffer.allocate(Structs.XDP_MD_SIZE).order(ByteOrder.nativeOrder());
        b.putInt(4, packetLength);      // data_end
        b.putInt(12, ingressIfindex);   // ingress_ifindex
        b.putInt(16, rxQueueIndex);     // rx_queue_index
        return b.array();
    }

    /**
     * A {@code struct __sk_buff} (192 bytes, all zero except {@code ifindex}) for {@link #testRunCtx} of TC
     * programs; ifindex 0 or 1 means loopback.
     */
    public static byte[] skbContext(int ifindex) {
        ByteBuffer b = ByteBuffer.allocate(Structs.SK_BUFF_SIZE).order(ByteOrder.nativeOrder());
        b.putInt(Structs.SKB_IFINDEX, ifindex);
        return b.array();
    }

    /** Pins the program at {@code path} (on a bpffs) with {@code bpf_program__pin}. */
    public void pin(Path path) {
        Objects.requireNonNull(path, "path");
        fd();
        int r = BPF.bpf_program__pin(prog, path.toString());
        if (r < 0) {
            throw BpfException.of("bpf_program__pin", name + " -> " + path, -r);
        }
    }

    @Override
    public String toString() {
        return "BpfProgram[" + name + ", section " + section + "]";
    }
}
