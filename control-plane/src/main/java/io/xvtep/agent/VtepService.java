package io.xvtep.agent;

import io.xvtep.agent.Views.PortView;
import io.xvtep.agent.Views.VniView;
import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.MapCodec.FdbKey;
import io.xvtep.datapath.MapCodec.FdbValue;
import io.xvtep.datapath.MapCodec.PortCfg;
import io.xvtep.datapath.MapCodec.VniCfg;
import io.xvtep.datapath.MapCodec.VniStats;
import io.xvtep.model.FdbEntry;
import io.xvtep.model.FdbType;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;
import io.xvtep.model.Vni;
import io.xvtep.model.VniConfig;
import io.xvtep.model.VniConfig.Df;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The VTEP's operations in kernel vocabulary (vni, fdb, dstport, learning, ageing ...).
 *
 * Every method validates all of its input and checks every conflict before it writes a
 * single map entry, so a refused request leaves the datapath exactly as it was. The maps
 * are the only state: nothing here caches what they hold, so an agent restart (or another
 * writer such as the cluster sync) can never leave this view stale.
 *
 * Methods are synchronized: check-then-write must not interleave between requests.
 */
public final class VtepService {

    /** Told about VNIs appearing and going, e.g. to (un)register their meters. */
    public interface Listener {
        void vniCreated(int vni);

        void vniDeleted(int vni);

        /** A remote VTEP became a destination (flood list or FDB): its underlay neighbour is needed. */
        default void vtepAdded(Ipv4 vtep) {
        }
    }

    private final Datapath dp;
    private final int underlayIfindex;
    private final Ipv4 defaultLocal;
    private final int underlayMtu;
    private final int[] defaultSrcports;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    public VtepService(Datapath dp, int underlayIfindex, Ipv4 defaultLocal, int underlayMtu, int[] defaultSrcports) {
        this.dp = dp;
        this.underlayIfindex = underlayIfindex;
        this.defaultLocal = defaultLocal;
        this.underlayMtu = underlayMtu;
        this.defaultSrcports = defaultSrcports.clone();
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    private void vtepAdded(Ipv4 vtep) {
        listeners.forEach(l -> l.vtepAdded(vtep));
    }

    public Datapath datapath() {
        return dp;
    }

    public Ipv4 defaultLocal() {
        return defaultLocal;
    }

    // ------------------------------------------------------------------ VNIs

    public synchronized VniView createVni(VniSpec s) {
        VniConfig c = validate(s);
        int vni = c.vni().value();
        if (dp.vni(vni).isPresent()) {
            throw VtepException.conflict("vni", "VNI " + vni + " already exists");
        }
        List<VniCfg> all = dp.vnis();
        if (all.size() >= Datapath.MAX_VNIS) {
            throw VtepException.conflict("vni", "the datapath holds at most " + Datapath.MAX_VNIS + " VNIs");
        }
        Map<Integer, Integer> dstports = dp.dstports();
        if (!dstports.containsKey(c.dstport()) && dstports.size() >= Datapath.MAX_DSTPORTS) {
            throw VtepException.conflict("dstport", "at most " + Datapath.MAX_DSTPORTS + " distinct dstports");
        }
        List<Ipv4> flood = new ArrayList<>();
        // The kernel's `remote X` / `group G` is the default destination: an all-zero FDB entry.
        if (c.remote() != null) {
            flood.add(c.remote());
        }
        if (c.group() != null) {
            flood.add(c.group());
        }
        dp.createVni(toCfg(c), flood);
        flood.stream().filter(d -> !d.isMulticast()).forEach(this::vtepAdded);
        listeners.forEach(l -> l.vniCreated(vni));
        return view(dp.vni(vni).orElseThrow());
    }

    public synchronized List<VniView> listVnis() {
        return dp.vnis().stream().map(this::view).toList();
    }

    public synchronized VniView getVni(String vni) {
        return view(requireVni(vni));
    }

    /** Like `ip link del`: ports detached, FDB/flood/neigh entries and counters gone, dstport released. */
    public synchronized void deleteVni(String vniText) {
        VniCfg cfg = requireVni(vniText);
        dp.deleteVni(cfg.vni());
        listeners.forEach(l -> l.vniDeleted(cfg.vni()));
    }

    private VniConfig validate(VniSpec s) {
        if (s.vni() == null) {
            throw VtepException.invalid("vni", "vni is required");
        }
        Vni vni = vniOf(s.vni(), "vni");
        int dstport = (int) range(s.dstport(), "dstport", 1, 65535, VniConfig.DEFAULT_DSTPORT);
        Ipv4 local = unicast(s.local(), "local");
        Ipv4 remote = unicast(s.remote(), "remote");
        Ipv4 group = s.group() == null ? null : ip(s.group(), "group");
        if (group != null && !group.isMulticast()) {
            throw VtepException.invalid("group", "group must be an IPv4 multicast address: " + group);
        }
        if (remote != null && group != null) {
            throw VtepException.invalid("group", "remote and group are mutually exclusive");
        }
        boolean ttlInherit = "inherit".equals(s.ttl());
        int ttl = ttlInherit ? 0 : (int) range(number(s.ttl(), "ttl"), "ttl", 1, 255, VniConfig.DEFAULT_TTL);
        boolean tosInherit = "inherit".equals(s.tos());
        int tos = tosInherit ? 0 : (int) range(number(s.tos(), "tos"), "tos", 0, 255, 0);
        Df df = Df.UNSET;
        if (s.df() != null) {
            try {
                df = Df.valueOf(s.df().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw VtepException.invalid("df", "df must be unset, set or inherit: " + s.df());
            }
        }
        int ageing = (int) range(s.ageing(), "ageing", 0, Integer.MAX_VALUE, VniConfig.DEFAULT_AGEING);
        if ((s.srcportMin() == null) != (s.srcportMax() == null)) {
            throw VtepException.invalid(s.srcportMin() == null ? "srcport_min" : "srcport_max",
                    "srcport_min and srcport_max go together");
        }
        int spMin = (int) range(s.srcportMin(), "srcport_min", 1, 65535, defaultSrcports[0]);
        int spMax = (int) range(s.srcportMax(), "srcport_max", 1, 65535, defaultSrcports[1]);
        if (spMin > spMax) {
            throw VtepException.invalid("srcport_max", "srcport_max must not be below srcport_min");
        }
        int maxMtu = Math.max(68, underlayMtu - VniConfig.ENCAP_OVERHEAD);
        int mtu = (int) range(s.mtu(), "mtu", 68, maxMtu, maxMtu);
        return new VniConfig(vni, dstport, local, remote, group, ttl, ttlInherit, tos, tosInherit, df,
                s.learning() == null || s.learning(), Boolean.TRUE.equals(s.proxy()), Boolean.TRUE.equals(s.l2miss()),
                Boolean.TRUE.equals(s.l3miss()), ageing, spMin, spMax, mtu);
    }

    private static VniCfg toCfg(VniConfig c) {
        int flags = (c.learning() ? VniCfg.F_LEARNING : 0) | (c.proxy() ? VniCfg.F_PROXY : 0)
                | (c.l2miss() ? VniCfg.F_L2MISS : 0) | (c.l3miss() ? VniCfg.F_L3MISS : 0)
                | (c.ttlInherit() ? VniCfg.F_TTL_INHERIT : 0) | (c.tosInherit() ? VniCfg.F_TOS_INHERIT : 0)
                | (c.df() == Df.SET ? VniCfg.F_DF_SET : 0) | (c.df() == Df.INHERIT ? VniCfg.F_DF_INHERIT : 0);
        return new VniCfg(c.vni().value(), flags, c.local(), c.group(), c.dstport(), c.srcportMin(), c.srcportMax(),
                c.ttl(), c.tos(), 0, 0, c.ageing(), c.mtu(), 0);
    }

    /** Back from the map: remote is the first unicast flood entry when no group is set. */
    private VniView view(VniCfg cfg) {
        List<Ipv4> flood = dp.floodOf(cfg.vni());
        Ipv4 group = cfg.group().isZero() ? null : cfg.group();
        Ipv4 remote = group == null && !flood.isEmpty() && !flood.get(0).isMulticast() ? flood.get(0) : null;
        Df df = cfg.has(VniCfg.F_DF_SET) ? Df.SET : cfg.has(VniCfg.F_DF_INHERIT) ? Df.INHERIT : Df.UNSET;
        VniConfig c = new VniConfig(new Vni(cfg.vni()), cfg.dstport(), cfg.local().isZero() ? null : cfg.local(),
                remote, group, cfg.ttl(), cfg.has(VniCfg.F_TTL_INHERIT), cfg.tos(), cfg.has(VniCfg.F_TOS_INHERIT), df,
                cfg.has(VniCfg.F_LEARNING), cfg.has(VniCfg.F_PROXY), cfg.has(VniCfg.F_L2MISS),
                cfg.has(VniCfg.F_L3MISS), cfg.ageing(), Math.max(1, cfg.srcportMin()),
                Math.max(Math.max(1, cfg.srcportMin()), cfg.srcportMax()), cfg.mtu());
        List<PortView> ports = new ArrayList<>();
        for (int ifindex : dp.portsOf(cfg.vni())) {
            ports.add(portView(ifindex, dp.port(ifindex).orElse(new PortCfg(cfg.vni(), 0))));
        }
        return new VniView(c, cfg.local().isZero() ? defaultLocal : cfg.local(), ports, flood);
    }

    // ------------------------------------------------------------------ ports

    public synchronized PortView addPort(String vniText, String ifname, Boolean xdp) {
        VniCfg cfg = requireVni(vniText);
        int ifindex = requireInterface(ifname);
        if (ifindex == underlayIfindex) {
            throw VtepException.conflict("ifname", ifname + " is the underlay interface");
        }
        Optional<PortCfg> existing = dp.port(ifindex);
        if (existing.isPresent()) {
            throw VtepException.conflict("ifname",
                    ifname + " is already a port of VNI " + existing.get().vni());
        }
        if (cfg.nPorts() >= Datapath.MAX_PORTS_PER_VNI) {
            throw VtepException.conflict("ifname", "VNI " + cfg.vni() + " already has "
                    + Datapath.MAX_PORTS_PER_VNI + " ports");
        }
        if (dp.ports().size() >= Datapath.MAX_PORTS) {
            throw VtepException.conflict("ifname", "the datapath holds at most " + Datapath.MAX_PORTS + " ports");
        }
        int flags = Boolean.TRUE.equals(xdp) ? PortCfg.F_XDP : 0;
        dp.attachPort(ifindex, cfg.vni(), flags);
        return portView(ifindex, new PortCfg(cfg.vni(), flags));
    }

    public synchronized List<PortView> listPorts(String vniText) {
        VniCfg cfg = requireVni(vniText);
        List<PortView> l = new ArrayList<>();
        for (int ifindex : dp.portsOf(cfg.vni())) {
            l.add(portView(ifindex, dp.port(ifindex).orElse(new PortCfg(cfg.vni(), 0))));
        }
        return l;
    }

    public synchronized void deletePort(String vniText, String ifname) {
        VniCfg cfg = requireVni(vniText);
        int ifindex = requireInterface(ifname);
        Optional<PortCfg> p = dp.port(ifindex);
        if (p.isEmpty() || p.get().vni() != cfg.vni()) {
            throw VtepException.notFound("ifname", ifname + " is not a port of VNI " + cfg.vni());
        }
        dp.detachPort(ifindex);
    }

    private static PortView portView(int ifindex, PortCfg p) {
        return new PortView(p.vni(), ifindex, Interfaces.name(ifindex).orElse(null), (p.flags() & PortCfg.F_XDP) != 0);
    }

    // ------------------------------------------------------------------ FDB

    /**
     * `bridge fdb add MAC dst IP` (static), or with the all-zero MAC `bridge fdb append`:
     * one more flood destination. {@code ifname} instead of {@code dst} pins the MAC to a local port.
     * A learned entry for the MAC is replaced; a static or cluster one is a conflict.
     */
    public synchronized FdbEntry addFdb(String vniText, String macText, String dstText, String ifname) {
        VniCfg cfg = requireVni(vniText);
        Mac mac = mac(macText, "mac");
        if (mac.isMulticast()) {
            throw VtepException.invalid("mac", "multicast MACs are flooded, not looked up: " + mac);
        }
        if ((dstText == null) == (ifname == null)) {
            throw VtepException.invalid("dst", "give exactly one of dst (remote VTEP) and ifname (local port)");
        }
        Vni vni = new Vni(cfg.vni());
        if (mac.isZero()) {
            if (ifname != null) {
                throw VtepException.invalid("ifname", "the all-zero MAC only takes remote destinations (dst)");
            }
            Ipv4 dst = ip(dstText, "dst");
            if (!dst.isUsableUnicast() && !dst.isMulticast()) {
                throw VtepException.invalid("dst", "not a usable VTEP address: " + dst);
            }
            if (dp.floodOf(cfg.vni()).contains(dst)) {
                throw VtepException.conflict("dst", dst + " is already a flood destination of VNI " + cfg.vni());
            }
            if (cfg.nFlood() >= Datapath.MAX_FLOOD) {
                throw VtepException.conflict("dst", "VNI " + cfg.vni() + " already has " + Datapath.MAX_FLOOD
                        + " flood destinations");
            }
            dp.addFlood(cfg.vni(), dst);
            if (!dst.isMulticast()) {
                vtepAdded(dst);
            }
            return new FdbEntry(vni, mac, dst, 0, null, FdbType.STATIC, -1);
        }
        Ipv4 dst = null;
        int ifindex = 0;
        if (dstText != null) {
            dst = ip(dstText, "dst");
            if (!dst.isUsableUnicast() && !dst.isMulticast()) {
                throw VtepException.invalid("dst", "not a usable VTEP address: " + dst);
            }
        } else {
            ifindex = requireInterface(ifname);
            Optional<PortCfg> p = dp.port(ifindex);
            if (p.isEmpty() || p.get().vni() != cfg.vni()) {
                throw VtepException.invalid("ifname", ifname + " is not a port of VNI " + cfg.vni());
            }
        }
        FdbKey key = new FdbKey(cfg.vni(), mac);
        Optional<FdbValue> old = dp.fdb(key);
        if (old.isPresent() && (old.get().flags() & (FdbValue.F_STATIC | FdbValue.F_CLUSTER)) != 0) {
            throw VtepException.conflict("mac", mac + " already has a " + typeOf(old.get()).label()
                    + " entry in VNI " + cfg.vni());
        }
        dp.putFdb(key, new FdbValue(dst, ifindex, FdbValue.F_STATIC, System.nanoTime()));
        if (dst != null && !dst.isMulticast()) {
            vtepAdded(dst);
        }
        return new FdbEntry(vni, mac, dst, ifindex, ifindex == 0 ? null : ifname, FdbType.STATIC, 0);
    }

    /** Flood-list entries (all-zero MAC) first, then entries by MAC; {@code type} filters. */
    public synchronized List<FdbEntry> listFdb(String vniText, String typeText) {
        VniCfg cfg = requireVni(vniText);
        FdbType type = null;
        if (typeText != null) {
            try {
                type = FdbType.parse(typeText);
            } catch (IllegalArgumentException e) {
                throw VtepException.invalid("type", e.getMessage());
            }
        }
        Vni vni = new Vni(cfg.vni());
        List<FdbEntry> out = new ArrayList<>();
        if (type == null || type == FdbType.STATIC) {
            for (Ipv4 dst : dp.floodOf(cfg.vni())) {
                out.add(new FdbEntry(vni, Mac.ZERO, dst, 0, null, FdbType.STATIC, -1));
            }
        }
        long now = System.nanoTime();
        List<FdbEntry> macs = new ArrayList<>();
        for (Map.Entry<FdbKey, FdbValue> e : dp.fdbOf(cfg.vni()).entrySet()) {
            FdbEntry fe = entry(vni, e.getKey().mac(), e.getValue(), now);
            if (fe != null && (type == null || fe.type() == type)) {
                macs.add(fe);
            }
        }
        macs.sort(Comparator.comparing(FdbEntry::mac));
        out.addAll(macs);
        return out;
    }

    /** Entries of every VNI counted by type (flood-list entries count as static). */
    public Map<FdbType, Long> countFdb() {
        Map<FdbType, Long> m = new java.util.EnumMap<>(FdbType.class);
        for (FdbType t : FdbType.values()) {
            m.put(t, 0L);
        }
        for (FdbValue v : dp.fdbOf(0).values()) {
            m.merge(typeOf(v), 1L, Long::sum);
        }
        for (VniCfg c : dp.vnis()) {
            m.merge(FdbType.STATIC, (long) c.nFlood(), Long::sum);
        }
        return m;
    }

    public synchronized void deleteFdb(String vniText, String macText, String dstText) {
        VniCfg cfg = requireVni(vniText);
        Mac mac = mac(macText, "mac");
        Ipv4 dst = dstText == null ? null : ip(dstText, "dst");
        if (mac.isZero()) {
            List<Ipv4> flood = dp.floodOf(cfg.vni());
            if (dst != null) {
                if (!flood.contains(dst)) {
                    throw VtepException.notFound("dst", dst + " is not a flood destination of VNI " + cfg.vni());
                }
                dp.removeFlood(cfg.vni(), dst);
                return;
            }
            if (flood.isEmpty()) {
                throw VtepException.notFound("mac", "VNI " + cfg.vni() + " has no all-zero entries");
            }
            for (Ipv4 d : flood) {
                dp.removeFlood(cfg.vni(), d);
            }
            return;
        }
        FdbKey key = new FdbKey(cfg.vni(), mac);
        Optional<FdbValue> v = dp.fdb(key);
        if (v.isEmpty()) {
            throw VtepException.notFound("mac", "no entry for " + mac + " in VNI " + cfg.vni());
        }
        if (dst != null && !dst.equals(v.get().remote())) {
            throw VtepException.notFound("dst", mac + " in VNI " + cfg.vni() + " does not point at " + dst);
        }
        dp.deleteFdb(key);
    }

    static FdbType typeOf(FdbValue v) {
        if ((v.flags() & FdbValue.F_STATIC) != 0) {
            return FdbType.STATIC;
        }
        if ((v.flags() & FdbValue.F_CLUSTER) != 0) {
            return FdbType.CLUSTER;
        }
        return v.ifindex() != 0 ? FdbType.LOCAL : FdbType.LEARNED;
    }

    private static FdbEntry entry(Vni vni, Mac mac, FdbValue v, long now) {
        Ipv4 dst = v.ifindex() == 0 ? v.remote() : null;
        if (dst == null && v.ifindex() == 0) {
            return null; // neither a VTEP nor a port: not an entry the datapath can use
        }
        long age = v.updatedNs() == 0 ? -1 : Math.max(0, (now - v.updatedNs()) / 1_000_000_000L);
        String ifname = v.ifindex() == 0 ? null : Interfaces.name(v.ifindex()).orElse(null);
        return new FdbEntry(vni, mac, dst, v.ifindex(), ifname, typeOf(v), age);
    }

    // ------------------------------------------------------------------ counters

    public VniStats stats(String vniText) {
        VniCfg cfg = requireVni(vniText);
        return dp.stats(cfg.vni()).orElse(VniStats.ZERO);
    }

    /** Every VNI's counters plus vni 0 (frames of no VNI). */
    public Map<Integer, VniStats> allStats() {
        return dp.allStats();
    }

    // ------------------------------------------------------------------ housekeeping

    /**
     * Removes learned entries older than their VNI's ageing time (the datapath only ignores
     * them) and ports whose interface has disappeared (a deleted container's veth).
     *
     * @return how many entries and ports went
     */
    public synchronized int reap() {
        int removed = 0;
        long now = System.nanoTime();
        for (VniCfg cfg : dp.vnis()) {
            if (cfg.ageing() == 0) {
                continue;
            }
            long maxAge = cfg.ageing() * 1_000_000_000L;
            for (Map.Entry<FdbKey, FdbValue> e : dp.fdbOf(cfg.vni()).entrySet()) {
                FdbValue v = e.getValue();
                if ((v.flags() & (FdbValue.F_STATIC | FdbValue.F_CLUSTER)) == 0 && now - v.updatedNs() > maxAge
                        && dp.deleteFdbIf(e.getKey(), v)) {
                    removed++;
                }
            }
        }
        for (int ifindex : dp.ports().keySet()) {
            if (Interfaces.name(ifindex).isEmpty() && dp.detachPort(ifindex)) {
                removed++;
            }
        }
        return removed;
    }

    /**
     * After (re)start: ports whose interface vanished are dropped, the others get the freshly
     * loaded port program (replacing the old one in place), every VNI has its counters.
     */
    public synchronized void reconcile() {
        for (int ifindex : dp.ports().keySet()) {
            if (Interfaces.name(ifindex).isEmpty()) {
                dp.detachPort(ifindex);
            } else {
                dp.attachPortProgram(ifindex);
            }
        }
        for (VniCfg c : dp.vnis()) {
            dp.ensureStats(c.vni(), false);
        }
    }

    // ------------------------------------------------------------------ input helpers

    private VniCfg requireVni(String text) {
        Vni vni;
        try {
            vni = Vni.parse(text);
        } catch (IllegalArgumentException e) {
            throw VtepException.invalid("vni", e.getMessage());
        }
        return dp.vni(vni.value()).orElseThrow(() -> VtepException.notFound("vni", "no VNI " + vni));
    }

    private int requireInterface(String ifname) {
        if (ifname == null) {
            throw VtepException.invalid("ifname", "ifname is required");
        }
        if (!Interfaces.validName(ifname)) {
            throw VtepException.invalid("ifname", "not a valid interface name: " + ifname);
        }
        OptionalInt ifindex = Interfaces.index(ifname);
        if (ifindex.isEmpty()) {
            throw VtepException.notFound("ifname", "no interface " + ifname);
        }
        return ifindex.getAsInt();
    }

    private static Vni vniOf(long v, String field) {
        try {
            return Vni.of(v);
        } catch (IllegalArgumentException e) {
            throw VtepException.invalid(field, e.getMessage());
        }
    }

    private static long range(Long v, String field, long min, long max, long dflt) {
        if (v == null) {
            return dflt;
        }
        if (v < min || v > max) {
            throw VtepException.invalid(field, field + " must be in " + min + ".." + max + ": " + v);
        }
        return v;
    }

    private static Long number(Object v, String field) {
        if (v == null || v instanceof Long) {
            return (Long) v;
        }
        throw VtepException.invalid(field, field + " must be a number or \"inherit\"");
    }

    private static Ipv4 ip(String s, String field) {
        try {
            return Ipv4.parse(s);
        } catch (IllegalArgumentException e) {
            throw VtepException.invalid(field, e.getMessage());
        }
    }

    private static Ipv4 unicast(String s, String field) {
        if (s == null) {
            return null;
        }
        Ipv4 a = ip(s, field);
        if (!a.isUsableUnicast()) {
            throw VtepException.invalid(field, field + " must be a unicast IPv4 address: " + a);
        }
        return a;
    }

    private static Mac mac(String s, String field) {
        try {
            return Mac.parse(s);
        } catch (IllegalArgumentException e) {
            throw VtepException.invalid(field, e.getMessage());
        }
    }
}
