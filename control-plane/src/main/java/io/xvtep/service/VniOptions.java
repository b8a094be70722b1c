package io.xvtep.service;

import io.xvtep.datapath.VniCfg;
import io.xvtep.model.IpAddress;
import io.xvtep.model.IpAddress.Family;
import io.xvtep.model.Vni;
import io.xvtep.model.VniConfig;
import io.xvtep.model.VniConfig.Df;
import io.xvtep.service.VniSpec.Inheritable;

import java.util.ArrayList;
import java.util.List;

/** Validation of a VNI's options and their mapping to and from vni_cfg. */
final class VniOptions {

    private final Vteps v;

    VniOptions(Vteps v) {
        this.v = v;
    }

    /** A new VNI's options; its family from its addresses (see {@link VniFamily#of}). */
    VniConfig validate(VniSpec s) {
        return validate(s, null);
    }

    /**
     * The options of {@code s}, all checked; {@code known} is the family of an existing VNI (a PATCH), null on
     * create.
     */
    VniConfig validate(VniSpec s, Family known) {
        if (s.vni() == null) {
            throw VtepException.invalid("vni", "vni is required");
        }
        Vni vni = s.vni();
        int dstport = (int) range(s.dstport(), VniOption.DSTPORT);
        IpAddress local = Vteps.unicastVtep(s.local(), "local");
        IpAddress remote = Vteps.unicastVtep(s.remote(), "remote");
        IpAddress group = s.group() == null ? null : Vteps.underlayAddress(s.group(), "group");
        if (group != null && !group.isMulticast()) {
            throw VtepException.invalid("group", "group must be a multicast address: " + group);
        }
        if (remote != null && group != null) {
            throw VtepException.invalid("group", "remote and group are mutually exclusive");
        }
        Family family = known != null ? known : VniFamily.of(s, v.locals);
        boolean ttlInherit = s.ttl() != null && s.ttl().inherit();
        // as the kernel's device: without a ttl, a VNI with a group sends hop limit 1 to it (ttl auto, 0)
        boolean ttlAuto = s.ttl() == Inheritable.AUTO || (s.ttl() == null && group != null);
        int ttl = ttlInherit || ttlAuto ? 0 : (int) range(s.ttl() == null ? null : s.ttl().value(), VniOption.TTL);
        boolean tosInherit = s.tos() != null && s.tos().inherit();
        int tos = tosInherit ? 0 : (int) range(s.tos() == null ? null : s.tos().value(), VniOption.TOS);
        Df df = s.df() == null ? (Df) VniOption.DF.defaultValue() : s.df();
        int ageing = (int) range(s.ageing(), VniOption.AGEING);
        if ((s.srcportMin() == null) != (s.srcportMax() == null)) {
            throw VtepException.invalid(s.srcportMin() == null ? "srcport_min" : "srcport_max",
                    "srcport_min and srcport_max go together");
        }
        int spMin = (int) range(s.srcportMin(), VniOption.SRCPORT_MIN, v.defaultSrcports[0]);
        int spMax = (int) range(s.srcportMax(), VniOption.SRCPORT_MAX, v.defaultSrcports[1]);
        if (spMin > spMax) {
            throw VtepException.invalid("srcport_max", "srcport_max must not be below srcport_min");
        }
        int overhead = family == Family.IPV4 ? VniConfig.ENCAP_OVERHEAD : VniConfig.ENCAP6_OVERHEAD;
        int maxMtu = Math.max(68, v.underlayMtu - overhead);
        int mtu = (int) range(s.mtu(), "mtu", VniOption.MTU.min(), maxMtu, maxMtu);
        if (family == Family.IPV4) { // the IPv6 options mean nothing on an IPv4 VNI: a mistake, refused
            for (VniOption o : List.of(VniOption.UDP6ZEROCSUMTX, VniOption.UDP6ZEROCSUMRX)) {
                if (Boolean.TRUE.equals(o == VniOption.UDP6ZEROCSUMTX ? s.udp6zerocsumtx() : s.udp6zerocsumrx())) {
                    throw VtepException.invalid(o.json(), o.json() + " is for VNIs over IPv6; VNI " + vni + " is IPv4");
                }
            }
            if (s.flowlabel() != null && (s.flowlabel().inherit() || s.flowlabel().value() != 0)) {
                throw VtepException.invalid("flowlabel", "flowlabel is for VNIs over IPv6; VNI " + vni + " is IPv4");
            }
        }
        boolean labelInherit = s.flowlabel() != null && s.flowlabel().inherit();
        int label = labelInherit ? 0 : (int) range(s.flowlabel() == null ? null : s.flowlabel().value(),
                VniOption.FLOWLABEL);
        return new VniConfig(vni, dstport, local, remote, group, ttl, ttlInherit, tos, tosInherit,
                df, flag(s.learning(), VniOption.LEARNING), flag(s.proxy(), VniOption.PROXY),
                flag(s.l2miss(), VniOption.L2MISS), flag(s.l3miss(), VniOption.L3MISS), ageing, spMin, spMax, mtu,
                family, flag(s.udp6zerocsumtx(), VniOption.UDP6ZEROCSUMTX),
                flag(s.udp6zerocsumrx(), VniOption.UDP6ZEROCSUMRX), label, labelInherit);
    }

    /** The VNI's learning limit (null: the default). */
    static long maxaddress(Long given) {
        return range(given, VniOption.MAXADDRESS);
    }

    /** The allowed sources, unicast, of the VNI's family and each once (null: none). */
    List<IpAddress> allowedSrc(List<IpAddress> given, Family family, Vni vni) {
        if (given == null) {
            return List.of();
        }
        List<IpAddress> l = new ArrayList<>();
        for (IpAddress t : given) {
            if (t == null) {
                throw VtepException.invalid("allowed_src", "allowed_src must be a list of addresses");
            }
            IpAddress a = Vteps.unicastVtep(t, "allowed_src");
            VniFamily.require(family, a, "allowed_src", vni.value());
            if (l.contains(a)) {
                throw VtepException.invalid("allowed_src", "listed twice: " + a);
            }
            l.add(a);
        }
        return l;
    }

    private static boolean flag(Boolean given, VniOption o) {
        return given != null ? given : (Boolean) o.defaultValue();
    }

    private static long range(Long value, VniOption o) {
        return range(value, o, (Long) o.defaultValue());
    }

    private static long range(Long value, VniOption o, long dflt) {
        return range(value, o.json(), o.min(), o.max(), dflt);
    }

    private static long range(Long value, String field, long min, long max, long dflt) {
        if (value == null) {
            return dflt;
        }
        if (value < min || value > max) {
            throw VtepException.invalid(field, field + " must be in " + min + ".." + max + ": " + value);
        }
        return value;
    }

    static VniCfg toCfg(VniConfig c) {
        int flags = (c.learning() ? VniCfg.F_LEARNING : 0) | (c.proxy() ? VniCfg.F_PROXY : 0)
                | (c.l2miss() ? VniCfg.F_L2MISS : 0) | (c.l3miss() ? VniCfg.F_L3MISS : 0)
                | (c.ttlInherit() ? VniCfg.F_TTL_INHERIT : 0) | (c.tosInherit() ? VniCfg.F_TOS_INHERIT : 0)
                | (c.df() == Df.SET ? VniCfg.F_DF_SET : 0) | (c.df() == Df.INHERIT ? VniCfg.F_DF_INHERIT : 0)
                | (c.family() == Family.IPV6 ? VniCfg.F_IPV6 : 0)
                | (c.udp6zerocsumtx() ? VniCfg.F_UDP_ZERO_CSUM6_TX : 0)
                | (c.udp6zerocsumrx() ? VniCfg.F_UDP_ZERO_CSUM6_RX : 0)
                | (c.flowlabelInherit() ? VniCfg.F_LABEL_INHERIT : 0);
        return new VniCfg(c.vni().value(), flags, c.local(), c.group(), c.dstport(), c.srcportMin(), c.srcportMax(),
                c.ttl(), c.tos(), 0, 0, c.ageing(), c.mtu(), 0, c.flowlabel());
    }

    /** The options back from vni_cfg; remote is the first unicast flood entry when no group is set. */
    static VniConfig fromCfg(VniCfg cfg, List<IpAddress> flood) {
        IpAddress group = cfg.group();
        IpAddress remote = group == null && !flood.isEmpty() && !flood.get(0).isMulticast() ? flood.get(0) : null;
        Df df = cfg.has(VniCfg.F_DF_SET) ? Df.SET : cfg.has(VniCfg.F_DF_INHERIT) ? Df.INHERIT : Df.UNSET;
        return new VniConfig(new Vni(cfg.vni()), cfg.dstport(), cfg.local(), remote, group, cfg.ttl(),
                cfg.has(VniCfg.F_TTL_INHERIT), cfg.tos(), cfg.has(VniCfg.F_TOS_INHERIT), df,
                cfg.has(VniCfg.F_LEARNING), cfg.has(VniCfg.F_PROXY), cfg.has(VniCfg.F_L2MISS),
                cfg.has(VniCfg.F_L3MISS), cfg.ageing(), Math.max(1, cfg.srcportMin()),
                Math.max(Math.max(1, cfg.srcportMin()), cfg.srcportMax()), cfg.mtu(), Vteps.family(cfg),
                cfg.has(VniCfg.F_UDP_ZERO_CSUM6_TX), cfg.has(VniCfg.F_UDP_ZERO_CSUM6_RX), cfg.label(),
                cfg.has(VniCfg.F_LABEL_INHERIT));
    }

    static VniCfg withFlagsAndDev(VniCfg c, int flags, int devIfindex) {
        return new VniCfg(c.vni(), flags, c.local(), c.group(), c.dstport(), c.srcportMin(), c.srcportMax(), c.ttl(),
                c.tos(), c.nPorts(), c.nFlood(), c.ageing(), c.mtu(), devIfindex, c.label());
    }
}
