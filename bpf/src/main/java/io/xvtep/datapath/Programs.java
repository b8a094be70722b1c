package io.xvtep.datapath;

import io.xvtep.libbpf.BpfException;
import io.xvtep.libbpf.BpfObject;
import io.xvtep.libbpf.BpfProgram;
import io.xvtep.libbpf.Tc;
import io.xvtep.libbpf.TcDirection;
import io.xvtep.libbpf.Xdp;
import io.xvtep.libbpf.XdpMode;

/**
 * Where the programs attach: XDP xdp_underlay and TC tc_underlay_ingress on the underlay,
 * TC tc_port_ingress on each local port, plus XDP xdp_port (native) on a port with
 * {@link PortCfg#F_XDP_ENCAP}. Attaching replaces what is there (XDP without a detach, TC with
 * BPF_TC_F_REPLACE), so a restarted agent takes over without a gap.
 */
public final class Programs {

    public static final String PROG_XDP_UNDERLAY = "xdp_underlay";
    public static final String PROG_TC_UNDERLAY = "tc_underlay_ingress";
    public static final String PROG_TC_PORT = "tc_port_ingress";
    public static final String PROG_XDP_PORT = "xdp_port";
    public static final int TC_HANDLE = 1;
    public static final int TC_PRIORITY = 1;

    private final BpfObject underlayObj;
    private final BpfObject portObj;
    private final BpfObject portXdpObj;

    Programs(BpfObject underlayObj, BpfObject portObj, BpfObject portXdpObj) {
        this.underlayObj = underlayObj;
        this.portObj = portObj;
        this.portXdpObj = portXdpObj;
    }

    /**
     * XDP xdp_underlay (unless {@code mode} is null) plus TC ingress tc_underlay_ingress. With a
     * null mode only TC decapsulates and any XDP program of ours is removed: on a veth underlay
     * XDP makes the kernel turn every GSO frame into an XDP buffer and back, which costs far more
     * than the XDP fast path saves.
     */
    public synchronized void attachUnderlay(int ifindex, XdpMode mode) {
        BpfProgram tc = underlayObj.program(PROG_TC_UNDERLAY);
        Tc.attach(ifindex, TcDirection.INGRESS, tc, TC_HANDLE, TC_PRIORITY);
        if (mode != null) {
            Xdp.attach(ifindex, underlayObj.program(PROG_XDP_UNDERLAY), mode);
        } else {
            for (XdpMode m : XdpMode.values()) {
                quietly(() -> Xdp.detach(ifindex, m));
            }
        }
    }

    /** Whether our TC program (and with {@code xdp} an XDP program) is attached to the underlay. */
    public static boolean underlayAttached(int ifindex, boolean xdp) {
        return (!xdp || Xdp.attachedProgramId(ifindex) != 0)
                && Tc.isAttached(ifindex, TcDirection.INGRESS, TC_HANDLE, TC_PRIORITY);
    }

    /** Removes our XDP and TC programs from the underlay; errors for what is not there are ignored. */
    public static void detachUnderlay(int ifindex) {
        for (XdpMode m : XdpMode.values()) {
            quietly(() -> Xdp.detach(ifindex, m));
        }
        quietly(() -> Tc.detach(ifindex, TcDirection.INGRESS, TC_HANDLE, TC_PRIORITY));
    }

    /**
     * TC ingress tc_port_ingress on a local port (replacing an older instance of it), and with
     * {@link PortCfg#F_XDP_ENCAP} in {@code flags} XDP xdp_port in native mode in front of it: TC first,
     * so every frame XDP passes finds it.
     */
    synchronized void attachPort(int ifindex, int flags) {
        Tc.attach(ifindex, TcDirection.INGRESS, portObj.program(PROG_TC_PORT), TC_HANDLE, TC_PRIORITY);
        if ((flags & PortCfg.F_XDP_ENCAP) != 0) {
            try {
                Xdp.attach(ifindex, portXdpObj.program(PROG_XDP_PORT), XdpMode.NATIVE);
            } catch (BpfException e) {
                throw new XdpAttachException(e.getMessage(), e);
            }
        }
    }

    /** Removes a port's programs: TC, and XDP when the port had ours ({@code flags} of its entry). */
    static void detachPort(int ifindex, int flags) {
        if ((flags & PortCfg.F_XDP_ENCAP) != 0) {
            for (XdpMode m : XdpMode.values()) {
                quietly(() -> Xdp.detach(ifindex, m));
            }
        }
        quietly(() -> Tc.detach(ifindex, TcDirection.INGRESS, TC_HANDLE, TC_PRIORITY));
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // nothing attached there, or the interface is gone: both mean "detached"
        }
    }
}
