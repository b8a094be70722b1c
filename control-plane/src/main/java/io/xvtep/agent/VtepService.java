package io.xvtep.agent;

import io.xvtep.agent.Views.NeighView;
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

        /** The VNI's options were changed (PATCH); called with the service's lock held. */
        default void vniUpdated(int vni) {
        }

        /** A remote VTEP became a destination (flood list or FDB): its underlay neighbour is needed. */
        default void vtepAdded(Ipv4 vtep) {
        }

        /** The reaper removed a learned entry that outlived its VNI's ageing time. */
        default void fdbAged(int vni, Mac mac, FdbValue old) {
        }

        /**
         * The API changed what is local to this host in the VNI (a port, a MAC pinned to a port, a
         * neighbour entry, a deleted entry): cluster mode publishes it now rather than at its next
         * scan. Called with the service's lock held: hand the work over, never block.
         */
        default void localChanged(int vni) {
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

    private void localChanged(int vni) {
        listeners.forEach(l -> l.localChanged(vni));
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
        List<Ipv4> allowed = allowedSrc(s.allowedSrc());
        String device = s.device();
        if (device != null && !Interfaces.validName(device)) {
            throw VtepException.invalid("device", "not a valid interface name: " + device);
        }
        if (dp.vni(vni).isPresent()) {
            throw VtepException.conflict("vni", "VNI " + vni + " already exists");
        }
        if (device != null) {
            if (Interfaces.index(device).isPresent()) {
                throw VtepException.conflict("device", "interface " + device + " already exists");
            }
            if (Interfaces.index(HostDevices.peerName(vni)).isPresent()) {
                throw VtepException.conflict("device", "interface " + HostDevices.peerName(vni) + " already exists");
            }
            if (dp.ports().size() >= Datapath.MAX_PORTS) {
                throw VtepException.conflict("device", "the datapath holds at most " + Datapath.MAX_PORTS + " ports");
            }
        }
        if (allowedSrcCount() + allowed.size() > dp.map(Datapath.MAP_ALLOWED_SRC).maxEntries()) {
            throw VtepException.conflict("allowed_src", "the allowed-source table is full");
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
        VniCfg cfg = toCfg(c);
        int devIfindex = 0;
        int peerIfindex = 0;
        boolean created = false;
        try {
            if (!allowed.isEmpty()) {
                dp.setAllowedSrc(vni, allowed);
                cfg = withFlagsAndDev(cfg, cfg.flags() | VniCfg.F_SRC_FILTER, 0);
            }
            if (device != null) {
                HostDevices.create(device, HostDevices.peerName(vni), c.mtu());
                devIfindex = Interfaces.index(device).orElseThrow(() -> new IllegalStateException(device + " vanished"));
                peerIfindex = Interfaces.index(HostDevices.peerName(vni))
                        .orElseThrow(() -> new IllegalStateException(HostDevices.peerName(vni) + " vanished"));
                cfg = withFlagsAndDev(cfg, cfg.flags(), devIfindex);
            }
            dp.createVni(cfg, flood);
            created = true;
            if (peerIfindex != 0) {
                dp.attachPort(peerIfindex, vni, 0);
            }
        } catch (RuntimeException e) {
            if (created) {
                dp.deleteVni(vni);
            } else {
                dp.setAllowedSrc(vni, List.of());
            }
            if (device != null && devIfindex != 0) {
                HostDevices.deleteQuietly(device);
            }
            throw e;
        }
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
        Optional<String> device = cfg.devIfindex() == 0 ? Optional.empty() : Interfaces.name(cfg.devIfindex());
        dp.deleteVni(cfg.vni());
        device.ifPresent(HostDevices::deleteQuietly);
        listeners.forEach(l -> l.vniDeleted(cfg.vni()));
    }

    /** Fields a PATCH may not change (they are the VNI's identity or bound to resources). */
    public static final List<String> IMMUTABLE = List.of("vni", "dstport", "local", "group", "remote", "device");

    /**
     * `ip link set vxlan0 type vxlan ...`: changes the options given (non-null) in {@code patch}
     * and keeps the others; vni, dstport, local, group, remote and device stay as they are (the
     * API refuses them). allowed_src replaces the list (empty: filter off).
     */
    public synchronized VniView patchVni(String vniText, VniSpec patch) {
        VniCfg cur = requireVni(vniText);
        VniConfig c = view(cur).config();
        VniSpec merged = new VniSpec((long) cur.vni(), (long) c.dstport(), c.local() == null ? null : c.local().toString(),
                c.remote() == null ? null : c.remote().toString(), c.group() == null ? null : c.group().toString(),
                patch.ttl() != null ? patch.ttl() : c.ttlInherit() ? "inherit" : (Object) (long) c.ttl(),
                patch.tos() != null ? patch.tos() : c.tosInherit() ? "inherit" : (Object) (long) c.tos(),
                patch.df() != null ? patch.df() : c.df().label(),
                patch.learning() != null ? patch.learning() : c.learning(),
                patch.proxy() != null ? patch.proxy() : c.proxy(),
                patch.l2miss() != null ? patch.l2miss() : c.l2miss(),
                patch.l3miss() != null ? patch.l3miss() : c.l3miss(),
                patch.ageing() != null ? patch.ageing() : (long) c.ageing(),
                patch.srcportMin() != null ? patch.srcportMin() : (long) c.srcportMin(),
                patch.srcportMax() != null ? patch.srcportMax() : (long) c.srcportMax(),
                patch.mtu() != null ? patch.mtu() : (long) c.mtu());
        VniConfig n = validate(merged);
        List<Ipv4> allowed = patch.allowedSrc() == null ? null : allowedSrc(patch.allowedSrc());
        if (allowed != null) {
            long others = allowedSrcCount() - dp.allowedSrcOf(cur.vni()).size();
            if (others + allowed.size() > dp.map(Datapath.MAP_ALLOWED_SRC).maxEntries()) {
                throw VtepException.conflict("allowed_src", "the allowed-source table is full");
            }
        }
        boolean filter = allowed == null ? cur.has(VniCfg.F_SRC_FILTER) : !allowed.isEmpty();
        VniCfg next = toCfg(n);
        next = withFlagsAndDev(next, next.flags() | (filter ? VniCfg.F_SRC_FILTER : 0), cur.devIfindex());
        // keep the VNI's own local/group exactly as stored
        next = new VniCfg(next.vni(), next.flags(), cur.local(), cur.group(), cur.dstport(), next.srcportMin(),
                next.srcportMax(), next.ttl(), next.tos(), 0, 0, next.ageing(), next.mtu(), next.devIfindex());
        if (allowed != null && filter) {
            dp.setAllowedSrc(cur.vni(), allowed); // entries first, then the flag
        }
        dp.updateVni(next);
        if (allowed != null && !filter) {
            dp.setAllowedSrc(cur.vni(), List.of()); // flag off first, then the entries
        }
        if (n.mtu() != c.mtu() && cur.devIfindex() != 0) {
            Optional<String> dev = Interfaces.name(cur.devIfindex());
            if (dev.isPresent()) {
                HostDevices.setMtu(dev.get(), HostDevices.peerName(cur.vni()), n.mtu());
            }
        }
        listeners.forEach(l -> l.vniUpdated(cur.vni()));
        return view(dp.vni(cur.vni()).orElseThrow());
    }

    private List<Ipv4> allowedSrc(List<String> texts) {
        if (texts == null) {
            return List.of();
        }
        List<Ipv4> l = new ArrayList<>();
        for (String t : texts) {
            if (t == null) {
                throw VtepException.invalid("allowed_src", "allowed_src must be a list of IPv4 addresses");
            }
            Ipv4 a = unicast(t, "allowed_src");
            if (l.contains(a)) {
                throw VtepException.invalid("allowed_src", "listed twice: " + a);
            }
            l.add(a);
        }
        return l;
    }

    private long allowedSrcCount() {
        return dp.map(Datapath.MAP_ALLOWED_SRC).keys().size();
    }

    private static VniCfg withFlagsAndDev(VniCfg c, int flags, int devIfindex) {
        return new VniCfg(c.vni(), flags, c.local(), c.group(), c.dstport(), c.srcportMin(), c.srcportMax(), c.ttl(),
                c.tos(), c.nPorts(), c.nFlood(), c.ageing(), c.mtu(), devIfindex);
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
        String device = cfg.devIfindex() == 0 ? null : Interfaces.name(cfg.devIfindex()).orElse(null);
        List<Ipv4> allowed = cfg.has(VniCfg.F_SRC_FILTER) ? dp.allowedSrcOf(cfg.vni()) : List.of();
        return new VniView(c, cfg.local().isZero() ? defaultLocal : cfg.local(), ports, flood, device, allowed);
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
        int flags = (Boolean.TRUE.equals(xdp) ? PortCfg.F_XDP : 0)
                | (Interfaces.isVethToOtherNamespace(ifname) ? PortCfg.F_PEER : 0);
        dp.attachPort(ifindex, cfg.vni(), flags);
        localChanged(cfg.vni());
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
        localChanged(cfg.vni());
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
        return writeFdb(vniText, macText, dstText, ifname, false).entry();
    }

    /** What a replace did: the entry, and whether it is new. */
    public record FdbWrite(FdbEntry entry, boolean created) {
    }

    /**
     * `bridge fdb replace MAC dst IP` (or `port IF`): writes a static entry whatever was there.
     * For the all-zero MAC, the kernel's replace of the default destination: nothing to do when
     * {@code dst} is already in the flood list, else it takes the first entry's place (or is
     * appended to an empty list).
     */
    public synchronized FdbWrite replaceFdb(String vniText, String macText, String dstText, String ifname) {
        return writeFdb(vniText, macText, dstText, ifname, true);
    }

    private FdbWrite writeFdb(String vniText, String macText, String dstText, String ifname, boolean replace) {
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
            List<Ipv4> floodList = dp.floodOf(cfg.vni());
            if (replace) {
                FdbEntry fe = new FdbEntry(vni, mac, dst, 0, null, FdbType.STATIC, -1);
                if (floodList.contains(dst)) {
                    return new FdbWrite(fe, false);
                }
                if (!floodList.isEmpty()) {
                    dp.replaceFlood(cfg.vni(), floodList.get(0), dst);
                } else {
                    dp.addFlood(cfg.vni(), dst);
                }
                if (!dst.isMulticast()) {
                    vtepAdded(dst);
                }
                return new FdbWrite(fe, floodList.isEmpty());
            }
            if (floodList.contains(dst)) {
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
            return new FdbWrite(new FdbEntry(vni, mac, dst, 0, null, FdbType.STATIC, -1), true);
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
        if (!replace && old.isPresent() && (old.get().flags() & (FdbValue.F_STATIC | FdbValue.F_CLUSTER)) != 0) {
            throw VtepException.conflict("mac", mac + " already has a " + typeOf(old.get()).label()
                    + " entry in VNI " + cfg.vni());
        }
        dp.putFdb(key, new FdbValue(dst, ifindex, FdbValue.F_STATIC, System.nanoTime()));
        if (dst != null && !dst.isMulticast()) {
            vtepAdded(dst);
        }
        if (ifindex != 0) {
            localChanged(cfg.vni());
        }
        return new FdbWrite(new FdbEntry(vni, mac, dst, ifindex, ifindex == 0 ? null : ifname, FdbType.STATIC, 0),
                old.isEmpty());
    }

    /** One entry of a bulk FDB request, as given. */
    public record FdbSpec(String mac, String dst, String ifname) {
    }

    /**
     * Many static entries at once (replace semantics, like `bridge fdb replace` for each), all or
     * nothing: every entry is validated first (errors name `entries[i].field`), then all are
     * written with one batch update; if the datapath refuses midway, the previous entries are
     * restored and entries that were new are removed.
     *
     * @return the number of entries written
     */
    public synchronized int bulkFdb(String vniText, List<FdbSpec> specs) {
        VniCfg cfg = requireVni(vniText);
        Map<FdbKey, FdbValue> batch = new java.util.LinkedHashMap<>();
        Map<String, Integer> ifindexes = new java.util.HashMap<>();
        Map<Integer, Optional<PortCfg>> portCache = new java.util.HashMap<>();
        java.util.Set<Ipv4> vteps = new java.util.LinkedHashSet<>();
        long now = System.nanoTime();
        for (int i = 0; i < specs.size(); i++) {
            FdbSpec f = specs.get(i);
            String at = "entries[" + i + "].";
            if (f == null) {
                throw VtepException.invalid("entries[" + i + "]", "entries must be objects");
            }
            Mac mac = mac(f.mac(), at + "mac");
            if (mac.isZero()) {
                throw VtepException.invalid(at + "mac", "the all-zero MAC is a flood destination: POST it to .../fdb");
            }
            if (mac.isMulticast()) {
                throw VtepException.invalid(at + "mac", "multicast MACs are flooded, not looked up: " + mac);
            }
            if ((f.dst() == null) == (f.ifname() == null)) {
                throw VtepException.invalid(at + "dst", "give exactly one of dst (remote VTEP) and ifname (local port)");
            }
            Ipv4 dst = null;
            int ifindex = 0;
            if (f.dst() != null) {
                dst = ip(f.dst(), at + "dst");
                if (!dst.isUsableUnicast() && !dst.isMulticast()) {
                    throw VtepException.invalid(at + "dst", "not a usable VTEP address: " + dst);
                }
            } else {
                if (!Interfaces.validName(f.ifname())) {
                    throw VtepException.invalid(at + "ifname", "not a valid interface name: " + f.ifname());
                }
                Integer idx = ifindexes.computeIfAbsent(f.ifname(), n -> Interfaces.index(n).orElse(0));
                Optional<PortCfg> p = idx == 0 ? Optional.empty() : portCache.computeIfAbsent(idx, dp::port);
                if (p.isEmpty() || p.get().vni() != cfg.vni()) {
                    throw VtepException.invalid(at + "ifname", f.ifname() + " is not a port of VNI " + cfg.vni());
                }
                ifindex = idx;
            }
            FdbKey key = new FdbKey(cfg.vni(), mac);
            if (batch.put(key, new FdbValue(dst, ifindex, FdbValue.F_STATIC, now)) != null) {
                throw VtepException.invalid(at + "mac", mac + " is listed twice");
            }
            if (dst != null && !dst.isMulticast()) {
                vteps.add(dst);
            }
        }
        if (batch.isEmpty()) {
            return 0;
        }
        Map<FdbKey, FdbValue> all = dp.fdbOf(0);
        Map<FdbKey, FdbValue> previous = new java.util.LinkedHashMap<>();
        List<FdbKey> added = new ArrayList<>();
        for (FdbKey k : batch.keySet()) {
            FdbValue old = all.get(k);
            if (old != null) {
                previous.put(k, old);
            } else {
                added.add(k);
            }
        }
        int max = dp.map(Datapath.MAP_FDB).maxEntries();
        if (all.size() + added.size() > max) {
            throw VtepException.conflict("entries", "the FDB holds at most " + max + " entries: " + all.size()
                    + " are in use, this request adds " + added.size());
        }
        try {
            dp.putFdbBatch(batch);
        } catch (RuntimeException e) {
            try {
                dp.deleteFdbBatch(added);
                dp.putFdbBatch(previous);
            } catch (RuntimeException r) {
                e.addSuppressed(r);
            }
            throw e;
        }
        vteps.forEach(this::vtepAdded);
        return batch.size();
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
    /**
     * Entries of every VNI counted by type (flood-list entries count as static), as of the
     * reaper's last pass: walking a large FDB costs seconds, so a metrics scrape must not do it.
     */
    public Map<FdbType, Long> countFdb() {
        Map<FdbType, Long> c = fdbCounts;
        if (c == null) {
            reap(); // first call before the reaper ran
            c = fdbCounts;
        }
        return c;
    }

    private volatile Map<FdbType, Long> fdbCounts;

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
        localChanged(cfg.vni());
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

    // ------------------------------------------------------------------ neighbour table (ARP/ND proxy)

    /** `ip neigh add IP lladdr MAC dev vxlan0`: 409 when the address has an entry already. */
    public synchronized NeighView addNeigh(String vniText, String ipText, String macText) {
        VniCfg cfg = requireVni(vniText);
        java.net.InetAddress ip = inet(ipText, "ip");
        Mac mac = neighMac(macText, "mac");
        Map<java.net.InetAddress, Mac> cur = dp.neighOf(cfg.vni());
        if (cur.containsKey(ip)) {
            throw VtepException.conflict("ip", ip.getHostAddress() + " already has an entry (" + cur.get(ip)
                    + ") in VNI " + cfg.vni());
        }
        neighRoom(ip instanceof java.net.Inet6Address ? 0 : 1, ip instanceof java.net.Inet6Address ? 1 : 0);
        dp.putNeigh(cfg.vni(), ip, mac);
        localChanged(cfg.vni());
        return new NeighView(cfg.vni(), ip, mac);
    }

    public synchronized List<NeighView> listNeigh(String vniText) {
        VniCfg cfg = requireVni(vniText);
        List<NeighView> l = new ArrayList<>();
        dp.neighOf(cfg.vni()).forEach((ip, mac) -> l.add(new NeighView(cfg.vni(), ip, mac)));
        l.sort(Comparator.comparing((NeighView n) -> n.ip().getAddress().length)
                .thenComparing(n -> n.ip().getAddress(), java.util.Arrays::compareUnsigned));
        return l;
    }

    public synchronized void deleteNeigh(String vniText, String ipText) {
        VniCfg cfg = requireVni(vniText);
        java.net.InetAddress ip = inet(ipText, "ip");
        if (!dp.deleteNeigh(cfg.vni(), ip)) {
            throw VtepException.notFound("ip", "no neighbour entry for " + ip.getHostAddress() + " in VNI " + cfg.vni());
        }
        localChanged(cfg.vni());
    }

    /** One entry of a bulk neigh request, as given. */
    public record NeighSpec(String ip, String mac) {
    }

    /** Many neighbour entries at once (replace semantics), all or nothing like {@link #bulkFdb}. */
    public synchronized int bulkNeigh(String vniText, List<NeighSpec> specs) {
        VniCfg cfg = requireVni(vniText);
        Map<java.net.InetAddress, Mac> batch = new java.util.LinkedHashMap<>();
        for (int i = 0; i < specs.size(); i++) {
            NeighSpec n = specs.get(i);
            String at = "entries[" + i + "].";
            if (n == null) {
                throw VtepException.invalid("entries[" + i + "]", "entries must be objects");
            }
            java.net.InetAddress ip = inet(n.ip(), at + "ip");
            Mac mac = neighMac(n.mac(), at + "mac");
            if (batch.put(ip, mac) != null) {
                throw VtepException.invalid(at + "ip", ip.getHostAddress() + " is listed twice");
            }
        }
        if (batch.isEmpty()) {
            return 0;
        }
        Map<java.net.InetAddress, Mac> previous = new java.util.LinkedHashMap<>();
        List<java.net.InetAddress> added = new ArrayList<>();
        Map<java.net.InetAddress, Mac> cur = dp.neighOf(cfg.vni());
        int new4 = 0;
        int new6 = 0;
        for (java.net.InetAddress ip : batch.keySet()) {
            if (cur.containsKey(ip)) {
                previous.put(ip, cur.get(ip));
            } else {
                added.add(ip);
                if (ip instanceof java.net.Inet6Address) {
                    new6++;
                } else {
                    new4++;
                }
            }
        }
        neighRoom(new4, new6);
        try {
            dp.putNeighBatch(cfg.vni(), batch);
        } catch (RuntimeException e) {
            try {
                dp.deleteNeighBatch(cfg.vni(), added);
                dp.putNeighBatch(cfg.vni(), previous);
            } catch (RuntimeException r) {
                e.addSuppressed(r);
            }
            throw e;
        }
        localChanged(cfg.vni());
        return batch.size();
    }

    private void neighRoom(int new4, int new6) {
        for (String m : List.of(Datapath.MAP_NEIGH, Datapath.MAP_NEIGH6)) {
            int adding = m.equals(Datapath.MAP_NEIGH) ? new4 : new6;
            if (adding == 0) {
                continue;
            }
            var map = dp.map(m);
            int used = map.keys().size();
            if (used + adding > map.maxEntries()) {
                throw VtepException.conflict("ip", "the neighbour table holds at most " + map.maxEntries()
                        + " entries per address family");
            }
        }
    }

    /** An IPv4 or IPv6 literal (never a name: nothing is resolved). */
    private static java.net.InetAddress inet(String s, String field) {
        if (s == null) {
            throw VtepException.invalid(field, field + " is required");
        }
        if (s.indexOf(':') < 0) {
            Ipv4 a = ip(s, field);
            if (a.isZero() || a.isMulticast()) {
                throw VtepException.invalid(field, "not a unicast address: " + s);
            }
            return a.toInet();
        }
        if (!s.matches("[0-9A-Fa-f:.]+")) {
            throw VtepException.invalid(field, "not an IP address: " + s);
        }
        try {
            java.net.InetAddress a = java.net.InetAddress.getByName(s);
            if (a.isAnyLocalAddress() || a.isMulticastAddress()) {
                throw VtepException.invalid(field, "not a unicast address: " + s);
            }
            return a;
        } catch (java.net.UnknownHostException e) {
            throw VtepException.invalid(field, "not an IP address: " + s);
        }
    }

    private static Mac neighMac(String s, String field) {
        if (s == null) {
            throw VtepException.invalid(field, field + " is required");
        }
        Mac mac = mac(s, field);
        if (mac.isZero() || mac.isMulticast()) {
            throw VtepException.invalid(field, "a neighbour needs a unicast MAC: " + mac);
        }
        return mac;
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
    /**
     * One pass over the FDB: removes learned entries older than their VNI's ageing time
     * (telling listeners, who emit ageout events) and counts what stays, by type.
     */
    public synchronized int reap() {
        int removed = 0;
        long now = System.nanoTime();
        Map<Integer, VniCfg> cfgs = new java.util.HashMap<>();
        Map<FdbType, Long> counts = new java.util.EnumMap<>(FdbType.class);
        for (FdbType t : FdbType.values()) {
            counts.put(t, 0L);
        }
        for (VniCfg c : dp.vnis()) {
            cfgs.put(c.vni(), c);
            counts.merge(FdbType.STATIC, (long) c.nFlood(), Long::sum);
        }
        for (Map.Entry<FdbKey, FdbValue> e : dp.fdbOf(0).entrySet()) {
            FdbValue v = e.getValue();
            VniCfg cfg = cfgs.get(e.getKey().vni());
            boolean learned = (v.flags() & (FdbValue.F_STATIC | FdbValue.F_CLUSTER)) == 0;
            if (learned && cfg != null && cfg.ageing() != 0 && now - v.updatedNs() > cfg.ageing() * 1_000_000_000L
                    && dp.deleteFdbIf(e.getKey(), v)) {
                removed++;
                int vni = cfg.vni();
                Mac mac = e.getKey().mac();
                listeners.forEach(l -> l.fdbAged(vni, mac, v));
                continue;
            }
            counts.merge(typeOf(v), 1L, Long::sum);
        }
        fdbCounts = counts;
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
        if (s == null) {
            throw VtepException.invalid(field, field + " is required");
        }
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
        if (s == null) {
            throw VtepException.invalid(field, field + " is required");
        }
        try {
            return Mac.parse(s);
        } catch (IllegalArgumentException e) {
            throw VtepException.invalid(field, e.getMessage());
        }
    }
}
