package io.xvtep.service;

import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.VniCfg;
import io.xvtep.host.Interfaces;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Vni;

import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What every service shares: the datapath, the agent's settings, the listeners and one lock.
 * Each service method validates all of its input and checks every conflict before it writes a
 * single map entry, under this lock, so check-then-write never interleaves between requests
 * (API, cluster sync, reaper) and a refused request leaves the datapath exactly as it was.
 */
final class Vteps {

    final Datapath dp;
    final int underlayIfindex;
    final Locals locals;
    final int underlayMtu;
    final int[] defaultSrcports;
    final List<VtepListener> listeners = new CopyOnWriteArrayList<>();
    volatile PortPolicy portPolicy = PortPolicy.ANY;
    /** FDB entries by type (xvtep_fdb_entries): every FDB write of the services tells it. */
    final FdbCounts fdbCounts = new FdbCounts();

    Vteps(Datapath dp, int underlayIfindex, Locals locals, int underlayMtu, int[] defaultSrcports) {
        this.dp = dp;
        this.underlayIfindex = underlayIfindex;
        this.locals = locals;
        this.underlayMtu = underlayMtu;
        this.defaultSrcports = defaultSrcports.clone();
    }

    VniCfg requireVni(Vni vni) {
        if (vni == null) {
            throw VtepException.invalid("vni", "vni is required");
        }
        return dp.vnis().get(vni.value()).orElseThrow(() -> VtepException.notFound("vni", "no VNI " + vni));
    }

    int requireInterface(String ifname, String field) {
        if (ifname == null) {
            throw VtepException.invalid(field, field + " is required");
        }
        if (!Interfaces.validName(ifname)) {
            throw VtepException.invalid(field, "not a valid interface name: " + ifname);
        }
        OptionalInt ifindex = Interfaces.index(ifname);
        if (ifindex.isEmpty()) {
            throw VtepException.notFound(field, "no interface " + ifname);
        }
        return ifindex.getAsInt();
    }

    /** A VTEP (destination, local, remote, allowed source) of either family; its VNI's family is checked apart. */
    static IpAddress underlayAddress(IpAddress a, String field) {
        if (a == null) {
            throw VtepException.invalid(field, field + " is required");
        }
        return a;
    }

    /**
     * A unicast VTEP address, or null when not given: not 0.0.0.0/8, 127/8, 240/4, ::, ::1 or multicast, and
     * no IPv6 link-local (fe80::/10 needs an interface scope, which a VTEP address cannot carry).
     */
    static IpAddress unicastVtep(IpAddress a, String field) {
        if (a == null) {
            return null;
        }
        if (!a.isUsableUnicast() || a.inet().isLinkLocalAddress()) {
            throw VtepException.invalid(field, field + " must be a unicast " + VniFamily.name(a.family())
                    + " address: " + a);
        }
        return a;
    }

    /** A destination of an FDB or flood entry: a unicast VTEP or a multicast group. */
    static IpAddress destination(IpAddress a, String field) {
        IpAddress dst = underlayAddress(a, field);
        if ((!dst.isUsableUnicast() || dst.inet().isLinkLocalAddress()) && !dst.isMulticast()) {
            throw VtepException.invalid(field, "not a usable VTEP address: " + dst);
        }
        return dst;
    }

    /** A destination of an FDB or flood entry of the VNI {@code cfg}: also of the VNI's family. */
    static IpAddress destination(VniCfg cfg, IpAddress a, String field) {
        IpAddress dst = destination(a, field);
        VniFamily.require(family(cfg), dst, field, cfg.vni());
        return dst;
    }

    /** The family of an existing VNI (stored in its flags). */
    static IpAddress.Family family(VniCfg cfg) {
        return cfg.ipv6() ? IpAddress.Family.IPV6 : IpAddress.Family.IPV4;
    }

    /** The effective outer source of a VNI: its own, else the agent's of its family (null: none). */
    IpAddress local(VniCfg cfg) {
        return cfg.local() != null ? cfg.local() : locals.of(family(cfg));
    }

    void localChanged(int vni) {
        listeners.forEach(l -> l.localChanged(vni));
    }

    void vtepAdded(IpAddress vtep) {
        if (!vtep.isMulticast()) {
            listeners.forEach(l -> l.vtepAdded(vtep));
        }
    }
}
