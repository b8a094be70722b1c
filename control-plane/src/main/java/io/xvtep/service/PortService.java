package io.xvtep.service;

import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.LearnBudgets;
import io.xvtep.datapath.PortCfg;
import io.xvtep.datapath.VniCfg;
import io.xvtep.datapath.XdpAttachException;
import io.xvtep.host.Interfaces;
import io.xvtep.host.PeerOffloads;
import io.xvtep.model.Vni;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Local ports of a VNI: `ip link set veth0 master br0` for the host side of a container's veth. */
public final class PortService {

    /** The API's and CLI's name of a port's learning limit (the bridge's `bridge link set ... fdb_max_learned`). */
    public static final String FDB_MAX_LEARNED = "fdb_max_learned";
    /** The API's and CLI's name of the XDP encapsulation path (xdp_port on the port's host-side veth). */
    public static final String XDP_ENCAP = "xdp_encap";
    static final long MAX_LEARNED = 0xffffffffL;
    private static final System.Logger LOG = System.getLogger("xvtep.service");

    private final Vteps v;
    private final Datapath dp;

    PortService(Vteps v) {
        this.v = v;
        this.dp = v.dp;
    }

    /** {@code xdp}: the port takes the XDP fast path (its veth peer must have NAPI). */
    public PortView add(Vni vni, String ifname, boolean xdp) {
        return add(vni, ifname, xdp, null);
    }

    /** With {@code fdbMaxLearned}: most MACs learned behind the port (null: the default, 0: no limit of its own). */
    public PortView add(Vni vni, String ifname, boolean xdp, Long fdbMaxLearned) {
        return add(vni, ifname, xdp, false, fdbMaxLearned);
    }

    /**
     * With {@code xdpEncap}: xdp_port is attached in native mode to the port (the host side of a container's
     * veth) and encapsulates its unicast to remote VTEPs in XDP; the rest goes on to TC. The container side's tx
     * checksum offload is turned off first (a CHECKSUM_PARTIAL frame redirected from XDP would arrive with an
     * incomplete checksum): where the agent cannot reach it, the port is refused and nothing changes.
     */
    public PortView add(Vni vni, String ifname, boolean xdp, boolean xdpEncap, Long fdbMaxLearned) {
        VniCfg cfg;
        PortView port;
        if (xdpEncap) {
            VniCfg c;
            synchronized (v) { // what refuses the port anyway goes first: the peer is changed only for a port to be
                c = v.requireVni(vni);
                int ifindex = v.requireInterface(ifname, "ifname");
                if (ifindex == v.underlayIfindex) {
                    throw VtepException.conflict("ifname", ifname + " is the underlay interface");
                }
                Optional<PortCfg> existing = dp.ports().get(ifindex);
                if (existing.isPresent()) {
                    throw VtepException.conflict("ifname", ifname + " is already a port of VNI " + existing.get().vni());
                }
            }
            if (c.ipv6() && (c.flags() & VniCfg.F_UDP_ZERO_CSUM6_TX) == 0) {
                throw VtepException.invalid(XDP_ENCAP, XDP_ENCAP + " needs an IPv4 VNI or udp6zerocsumtx: VNI "
                        + c.vni() + " checksums its outer UDP, which only its TC path does");
            }
            Optional<String> why = PeerOffloads.checksumOff(ifname);
            if (why.isPresent()) {
                throw VtepException.conflict(XDP_ENCAP, XDP_ENCAP + " needs the container side's tx checksum "
                        + "offload off, which the agent could not do: " + why.get());
            }
        }
        synchronized (v) {
            cfg = v.requireVni(vni);
            long maxLearned = fdbMaxLearned == null ? LearnBudgets.Scope.PORT.defaultMax() : fdbMaxLearned;
            if (maxLearned < 0 || maxLearned > MAX_LEARNED) {
                throw VtepException.invalid(FDB_MAX_LEARNED, FDB_MAX_LEARNED + " must be in 0.." + MAX_LEARNED + ": "
                        + maxLearned);
            }
            int ifindex = v.requireInterface(ifname, "ifname");
            if (ifindex == v.underlayIfindex) {
                throw VtepException.conflict("ifname", ifname + " is the underlay interface");
            }
            Optional<String> refusal = v.portPolicy.read().apply(ifname);
            if (refusal.isPresent()) {
                throw VtepException.conflict("ifname", refusal.get());
            }
            Optional<PortCfg> existing = dp.ports().get(ifindex);
            if (existing.isPresent()) {
                throw VtepException.conflict("ifname", ifname + " is already a port of VNI " + existing.get().vni());
            }
            if (cfg.nPorts() >= Datapath.MAX_PORTS_PER_VNI) {
                throw VtepException.conflict("ifname", "VNI " + cfg.vni() + " already has "
                        + Datapath.MAX_PORTS_PER_VNI + " ports");
            }
            if (dp.ports().all().size() >= dp.capacities().ports()) {
                throw VtepException.conflict("ifname", "the datapath holds at most " + dp.capacities().ports() + " ports");
            }
            int flags = (xdp ? PortCfg.F_XDP : 0) | (xdpEncap ? PortCfg.F_XDP_ENCAP : 0)
                    | (Interfaces.isVethToOtherNamespace(ifname) ? PortCfg.F_PEER : 0);
            // the budget first: a port reusing an ifindex must not inherit what an old one learned
            dp.learnBudgets().remove(LearnBudgets.Key.port(ifindex));
            dp.learnBudgets().setMax(LearnBudgets.Key.port(ifindex), maxLearned);
            try {
                dp.ports().attach(ifindex, cfg.vni(), flags);
            } catch (XdpAttachException e) {
                dp.learnBudgets().remove(LearnBudgets.Key.port(ifindex));
                throw VtepException.conflict(XDP_ENCAP, "native XDP could not be attached to " + ifname + ": "
                        + e.getMessage());
            }
            v.localChanged(cfg.vni());
            port = view(ifindex, new PortCfg(cfg.vni(), flags), cfg.vni(), maxLearned);
        }
        if (cfg.ipv6() && (cfg.flags() & VniCfg.F_UDP_ZERO_CSUM6_TX) == 0) {
            // a checksumming IPv6 VNI refuses GSO frames (drop_gso_csum): its ports' senders segment (PeerOffloads).
            // Outside the lock: a few ip/ethtool runs must not hold up other API writers (50 CNI ADDs at once).
            PeerOffloads.segmentationOff(ifname).ifPresent(why -> LOG.log(System.Logger.Level.WARNING,
                    "port " + ifname + " in VNI " + cfg.vni() + " (IPv6, UDP checksums): TCP/UDP GSO frames from it "
                            + "will be refused (drop_gso_csum): " + why));
        }
        return port;
    }

    public List<PortView> list(Vni vni) {
        synchronized (v) {
            VniCfg cfg = v.requireVni(vni);
            List<PortView> l = new ArrayList<>();
            for (int ifindex : dp.ports().of(cfg.vni())) {
                l.add(view(ifindex, dp.ports().get(ifindex).orElse(null), cfg.vni(), maxLearned(dp, ifindex)));
            }
            return l;
        }
    }

    /** Every local port of every VNI, by ifindex. */
    public List<PortView> all() {
        synchronized (v) {
            List<PortView> l = new ArrayList<>();
            dp.ports().all().forEach((ifindex, p) -> l.add(view(ifindex, p, p.vni(), maxLearned(dp, ifindex))));
            return l;
        }
    }

    public void delete(Vni vni, String ifname) {
        synchronized (v) {
            VniCfg cfg = v.requireVni(vni);
            int ifindex = v.requireInterface(ifname, "ifname");
            Optional<PortCfg> p = dp.ports().get(ifindex);
            if (p.isEmpty() || p.get().vni() != cfg.vni()) {
                throw VtepException.notFound("ifname", ifname + " is not a port of VNI " + cfg.vni());
            }
            dp.ports().detach(ifindex);
            v.fdbCounts.unknown(); // the port's entries went with it (as a bridge port's do)
            dp.learnBudgets().remove(LearnBudgets.Key.port(ifindex));
            v.localChanged(cfg.vni());
        }
    }

    static long maxLearned(Datapath dp, int ifindex) {
        return dp.learnBudgets().max(LearnBudgets.Key.port(ifindex));
    }

    static PortView view(int ifindex, PortCfg p, int vni, long maxLearned) {
        PortCfg cfg = p == null ? new PortCfg(vni, 0) : p;
        return new PortView(cfg.vni(), ifindex, Interfaces.name(ifindex).orElse(null), (cfg.flags() & PortCfg.F_XDP) != 0,
                (cfg.flags() & PortCfg.F_XDP_ENCAP) != 0, maxLearned);
    }
}
