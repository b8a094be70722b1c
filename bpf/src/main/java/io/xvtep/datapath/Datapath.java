package io.xvtep.datapath;

import io.xvtep.libbpf.BpfException;
import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.BpfObject;
import io.xvtep.libbpf.Bpffs;
import io.xvtep.model.IpAddress;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * xvtep's BPF objects loaded under a pin root, and their maps as one table per map family.
 *
 * The pinned maps are the only state: an agent that restarts calls {@link #open} with the
 * same pin root, libbpf reuses the pinned maps, and re-attaching ({@link Programs}) replaces
 * the programs in place, so forwarding never stops.
 *
 * Every table writes under one lock (this object's {@code lock}): read-modify-write of vni_cfg
 * (whose n_ports/n_flood several tables maintain) never interleaves; the BPF programs never
 * write vni_cfg.
 */
public final class Datapath implements AutoCloseable {

    public static final String UNDERLAY_OBJECT = "xvtep_underlay.bpf.o";
    public static final String PORT_OBJECT = "xvtep_port.bpf.o";
    public static final String PORT_XDP_OBJECT = "xvtep_port_xdp.bpf.o";

    public static final int MAX_PORTS_PER_VNI = Abi.MAX_PORTS_PER_VNI;
    public static final int MAX_FLOOD = Abi.MAX_FLOOD;
    public static final int MAX_DSTPORTS = Abi.MAX_DSTPORTS;


    private final Object lock = new Object();
    private final Capacities capacities;
    private final BpfObject underlayObj;
    private final BpfObject portObj;
    private final BpfObject portXdpObj;
    private final Programs programs;
    private final ConfigTable config;
    private final VniTable vnis;
    private final PortTable ports;
    private final FloodTable flood;
    private final FdbTable fdb;
    private final NeighTable neigh;
    private final AllowedSrcTable allowedSrc;
    private final StatsTable stats;
    private final EventRing events;
    private final EncapCacheTable encapCache;

    /** Host-side state that lives as long as the pins (the FDB bulk log; the agent's locks sit here too). */
    public static final Path STATE_DIR = Path.of("/run/xvtep");

    private final List<String> repairs = new ArrayList<>();
    /** A capacity change's old maps, kept until {@link #finishResize} (the old programs may still write them). */
    private PinnedResize resize;

    private Datapath(BpfObject u, BpfObject p, BpfObject px, Capacities capacities, Path pinRoot) {
        this.capacities = capacities;
        this.underlayObj = u;
        this.portObj = p;
        this.portXdpObj = px;
        // The objects share every map through the pin root; take them from one.
        this.programs = new Programs(u, p, px);
        this.config = new ConfigTable(lock, u.map(MapNames.CONFIG));
        this.vnis = new VniTable(lock, u.map(MapNames.VNIS), u.map(MapNames.DSTPORTS));
        this.fdb = new FdbTable(lock, u.map(MapNames.FDB), new FdbJournal(FdbJournal.pathFor(STATE_DIR, pinRoot)));
        this.ports = new PortTable(lock, vnis, fdb, programs, u.map(MapNames.PORTS), u.map(MapNames.VNI_PORTS));
        this.flood = new FloodTable(lock, vnis, u.map(MapNames.FLOOD));
        this.neigh = new NeighTable(lock, u.map(MapNames.NEIGH), u.map(MapNames.NEIGH6));
        this.allowedSrc = new AllowedSrcTable(lock, u.map(MapNames.ALLOWED_SRC));
        this.stats = new StatsTable(lock, u.map(MapNames.STATS), vnis);
        this.events = new EventRing(u.map(MapNames.EVENTS));
        this.encapCache = new EncapCacheTable(u.map(MapNames.ENCAP_CACHE));
    }

    /** {@link #open(Path, Capacities)} with the default capacities. */
    public static Datapath open(Path pinRoot) {
        return open(pinRoot, Capacities.DEFAULT);
    }

    /**
     * Loads both objects from the classpath (/bpf/*.bpf.o in the xvtep-datapath jar) with
     * {@code pinRoot} as the pin root and their tables sized by {@code caps}, reusing maps already
     * pinned there; pinned maps of another size are carried over into maps of the new size
     * ({@link PinnedResize}). Sets the host's learning limit
     * from the FDB capacity. Counters pinned by a version with another stats layout restart from zero.
     */
    public static Datapath open(Path pinRoot, Capacities caps) {
        Bpffs.ensureMounted(pinRoot);
        BpfObject u = null;
        BpfObject p = null;
        BpfObject px = null;
        try {
            u = BpfObject.open(resource(UNDERLAY_OBJECT), "xvtep_underlay", pinRoot);
            p = BpfObject.open(resource(PORT_OBJECT), "xvtep_port", pinRoot);
            PinnedLayouts.requireReadable(pinRoot, u); // before anything under pinRoot changes
            PinnedLayouts.requireReadable(pinRoot, p);
            p.close();
            p = null;
            PinnedLayouts.unpinStaleStats(pinRoot, u.map(MapNames.STATS));
            PinnedLayouts.unpinStaleEncapCache(pinRoot);
            size(u, caps);
            PinnedResize resize = PinnedResize.prepare(pinRoot, u);
            u.load();
            resize.copyInto(u);
            p = BpfObject.open(resource(PORT_OBJECT), "xvtep_port", pinRoot);
            size(p, caps);
            p.load();
            px = BpfObject.open(resource(PORT_XDP_OBJECT), "xvtep_port_xdp", pinRoot);
            size(px, caps);
            px.load();
            Datapath dp = new Datapath(u, p, px, caps, pinRoot);
            dp.resize = resize;
            dp.repairAfterCrash();
            dp.learnBudgets().setMax(LearnBudgets.Key.HOST, caps.learnMaxHost());
            return dp;
        } catch (RuntimeException e) {
            if (px != null) {
                px.close();
            }
            if (p != null) {
                p.close();
            }
            if (u != null) {
                u.close();
            }
            throw e;
        }
    }

    private static void size(BpfObject obj, Capacities caps) {
        caps.mapSizes().forEach((name, n) -> obj.map(name).setMaxEntries(n));
    }

    /**
     * A writer killed midway (kill -9 of the agent) leaves the maps as they were between two writes: an
     * unfinished bulk FDB write is rolled back, then every derived index is rebuilt from the maps
     * ({@link Invariants}). What was done is kept for the agent's log ({@link #repairsAtOpen}).
     */
    private void repairAfterCrash() {
        int restored = fdb.rollbackUnfinished();
        if (restored >= 0) {
            repairs.add("an unfinished bulk FDB write was rolled back (" + restored + " keys put back as they were)");
        }
        repairs.addAll(new Invariants(this::map).repair());
    }

    /** What {@link #open} repaired (see {@link Invariants}); empty after a clean stop. */
    public List<String> repairsAtOpen() {
        return List.copyOf(repairs);
    }

    /** Whether a bulk FDB write on the pin root {@code pinRoot} is unfinished (for `xvtep check`). */
    public static boolean unfinishedBulk(Path pinRoot) {
        return new FdbJournal(FdbJournal.pathFor(STATE_DIR, pinRoot)).pending();
    }

    /**
     * After a capacity change ({@link PinnedResize}): call once every program of the previous object is
     * replaced (the underlay's and each port's). What the old programs learned and counted since the copy
     * is carried into the new maps, and the old maps' pins go. Nothing to do otherwise, or when done already.
     *
     * @return entries carried over or added to, per map
     */
    public Map<String, Integer> finishResize() {
        synchronized (lock) {
            PinnedResize r = resize;
            if (r == null) {
                return Map.of();
            }
            Map<String, Integer> done = r.catchUp(underlayObj);
            resize = null;
            return done;
        }
    }

    /** The table sizes this datapath was opened with. */
    public Capacities capacities() {
        return capacities;
    }

    /** The bytes of a BPF object packaged under /bpf/ on the classpath. */
    public static byte[] resource(String name) {
        try (InputStream in = Datapath.class.getResourceAsStream("/bpf/" + name)) {
            if (in == null) {
                throw new IllegalStateException("BPF object /bpf/" + name + " is not on the classpath (build bpf/ first)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A map by name, for this package's tests that look at the raw maps. */
    private volatile LearnBudgets learnBudgets;

    /** Learning limits per host, VNI and port (xvtep_learn_limit, xvtep_learn_count). */
    public LearnBudgets learnBudgets() {
        LearnBudgets b = learnBudgets;
        if (b == null) {
            b = new LearnBudgets(map(MapNames.LEARN_LIMIT), map(MapNames.LEARN_COUNT));
            learnBudgets = b;
        }
        return b;
    }

    BpfMap map(String name) {
        return underlayObj.map(name);
    }

    public Programs programs() {
        return programs;
    }

    public ConfigTable config() {
        return config;
    }

    public VniTable vnis() {
        return vnis;
    }

    public PortTable ports() {
        return ports;
    }

    public FloodTable flood() {
        return flood;
    }

    public FdbTable fdb() {
        return fdb;
    }

    public NeighTable neigh() {
        return neigh;
    }

    public AllowedSrcTable allowedSrc() {
        return allowedSrc;
    }

    public StatsTable stats() {
        return stats;
    }

    public EventRing events() {
        return events;
    }

    /** The datapath's outer-header cache: emptied when the underlay's routes or neighbours change. */
    public EncapCacheTable encapCache() {
        return encapCache;
    }

    /** Whether a failure is a map refusing a new entry because it is full (E2BIG from the kernel). */
    public static boolean isTableFull(Throwable t) {
        return t instanceof BpfException e && e.errno() == E2BIG;
    }

    private static final int E2BIG = 7;

    // ------------------------------------------------------------------ VNI lifecycle (spans every table)

    /**
     * Creates a VNI with its initial flood list (the kernel's `remote`/`group` default
     * destination): a counter slot (zeroed), list entries, then the vni_cfg that makes them visible.
     * n_ports/n_flood of {@code cfg} are ignored.
     */
    public void createVni(VniCfg cfg, List<IpAddress> floodList) {
        if (floodList.size() > MAX_FLOOD) {
            throw new IllegalArgumentException("at most " + MAX_FLOOD + " flood destinations per VNI");
        }
        synchronized (lock) {
            int slot = stats.allocate();
            flood.writeInitial(cfg.vni(), floodList);
            vnis.insert(cfg.withCounts(0, floodList.size()).withStatsSlot(slot));
        }
    }

    /**
     * Removes a VNI and everything of it: ports (their programs are detached), flood list,
     * FDB, neighbour and allowed-source entries, counters, and its reference on the dstport.
     *
     * @return the ifindexes of the ports that were attached to it
     */
    public List<Integer> deleteVni(int vni) {
        synchronized (lock) {
            Optional<VniCfg> found = vnis.get(vni);
            if (found.isEmpty()) {
                return List.of();
            }
            VniCfg cfg = found.get();
            List<Integer> portList = ports.of(vni);
            // Lower the counts first so the datapath stops walking the lists before they go.
            vnis.setCounts(cfg, 0, 0);
            ports.clear(vni, portList, cfg.nPorts());
            flood.clear(vni, cfg.nFlood());
            fdb.deleteVni(vni);
            neigh.deleteVni(vni);
            allowedSrc.deleteVni(vni);
            vnis.remove(cfg); // its counter slot is free: zeroed when a new VNI takes it
            return portList;
        }
    }

    // ------------------------------------------------------------------ teardown

    /** Releases this process's fds; pinned maps and attachments stay (an agent restart keeps forwarding). */
    @Override
    public void close() {
        synchronized (lock) {
            try {
                finishResize();
            } catch (RuntimeException e) {
                // the old pins stay: the next start merges them
            }
            portXdpObj.close();
            portObj.close();
            underlayObj.close();
        }
    }

    /**
     * Cleanup without loading programs (for `xvtep agent --cleanup`): reads the underlay and
     * ports from the pinned maps if they exist, detaches from them and from
     * {@code extraUnderlay} (when not 0), then removes xvtep's pins and, when nothing else is left, the pin root.
     *
     * @return what was left in the pin root because it is not xvtep's (empty when the pin root went)
     */
    public static List<Path> cleanup(Path pinRoot, int extraUnderlay) {
        if (Files.exists(pinRoot.resolve(MapNames.CONFIG))) {
            try (BpfMap cfg = BpfMap.openPinned(pinRoot.resolve(MapNames.CONFIG))) {
                cfg.lookup(MapCodec.u32(0)).map(XvtepConfig::decode).ifPresent(c -> {
                    if (c.underlayIfindex() != 0) {
                        Programs.detachUnderlay(c.underlayIfindex());
                    }
                });
            } catch (RuntimeException e) {
                // a damaged pin is removed below anyway
            }
        }
        if (Files.exists(pinRoot.resolve(MapNames.PORTS))) {
            try (BpfMap p = BpfMap.openPinned(pinRoot.resolve(MapNames.PORTS))) {
                for (byte[] k : p.keys()) {
                    Programs.detachPort(MapCodec.u32(k), p.lookup(k).map(v -> PortCfg.decode(v).flags()).orElse(0));
                }
            } catch (RuntimeException e) {
                // ditto
            }
        }
        if (extraUnderlay != 0) {
            Programs.detachUnderlay(extraUnderlay);
        }
        // an undo log left by a killed bulk write belongs to these pins: it must not replay into a new pin root
        delete(FdbJournal.pathFor(STATE_DIR, pinRoot));
        return removeOwnPins(pinRoot);
    }

    /**
     * Unlinks xvtep's pins (names starting with xvtep_, not directories) directly under {@code pinRoot}, then the
     * directory if nothing else is left in it. Anything else is not ours and stays: returned, for the caller to say so.
     */
    public static List<Path> removeOwnPins(Path pinRoot) {
        if (!Files.isDirectory(pinRoot, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        List<Path> kept = new ArrayList<>();
        for (Path p : Bpffs.list(pinRoot)) {
            if (p.getFileName().toString().startsWith("xvtep_") && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                delete(p);
            } else {
                kept.add(p);
            }
        }
        if (kept.isEmpty()) {
            delete(pinRoot);
        }
        return kept;
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + p, e);
        }
    }
}
