package io.xvtep.datapath;

import io.xvtep.libbpf.BpfException;
import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.BpfObject;
import io.xvtep.libbpf.BpfProgram;
import io.xvtep.libbpf.Bpffs;
import io.xvtep.libbpf.Net;
import io.xvtep.libbpf.RingBuffer;
import io.xvtep.libbpf.Tc;
import io.xvtep.libbpf.TcDirection;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.libbpf.Xdp;
import io.xvtep.libbpf.XdpMode;
import io.xvtep.datapath.MapCodec.FdbKey;
import io.xvtep.datapath.MapCodec.FdbValue;
import io.xvtep.datapath.MapCodec.FloodDst;
import io.xvtep.datapath.MapCodec.NeighKey;
import io.xvtep.datapath.MapCodec.Neigh6Key;
import io.xvtep.datapath.MapCodec.PortCfg;
import io.xvtep.datapath.MapCodec.VniCfg;
import io.xvtep.datapath.MapCodec.VniIdxKey;
import io.xvtep.datapath.MapCodec.VniSrcKey;
import io.xvtep.datapath.MapCodec.VniStats;
import io.xvtep.datapath.MapCodec.XvtepConfig;
import io.xvtep.datapath.MapCodec.XvtepEvent;
import io.xvtep.model.Ipv4;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Typed access to xvtep's BPF programs and pinned maps.
 *
 * The pinned maps are the only state: an agent that restarts calls {@link #open} with the
 * same pin root, libbpf reuses the pinned maps, and re-attaching replaces the programs in
 * place (XDP without a detach, TC with a replace), so forwarding never stops.
 *
 * Every write keeps the per-VNI index lists dense in the order the datapath relies on:
 * entries are written before n_ports/n_flood is raised and only removed after it was
 * lowered, so a reader never follows an index to a missing or stale entry.
 *
 * Methods are synchronized: one writer at a time keeps read-modify-write of vni_cfg safe
 * (the BPF programs never write vni_cfg).
 */
public final class Datapath implements AutoCloseable {

    public static final String UNDERLAY_OBJECT = "xvtep_underlay.bpf.o";
    public static final String PORT_OBJECT = "xvtep_port.bpf.o";
    public static final String PROG_XDP_UNDERLAY = "xdp_underlay";
    public static final String PROG_TC_UNDERLAY = "tc_underlay_ingress";
    public static final String PROG_TC_PORT = "tc_port_ingress";
    public static final int TC_HANDLE = 1;
    public static final int TC_PRIORITY = 1;

    public static final int MAX_VNIS = Abi.MAX_VNIS;
    public static final int MAX_PORTS = Abi.MAX_PORTS;
    public static final int MAX_PORTS_PER_VNI = Abi.MAX_PORTS_PER_VNI;
    public static final int MAX_FLOOD = Abi.MAX_FLOOD;
    public static final int MAX_DSTPORTS = Abi.MAX_DSTPORTS;

    public static final String MAP_CONFIG = "xvtep_config", MAP_VNIS = "xvtep_vnis", MAP_PORTS = "xvtep_ports",
            MAP_VNI_PORTS = "xvtep_vni_ports", MAP_FLOOD = "xvtep_flood", MAP_FDB = "xvtep_fdb",
            MAP_NEIGH = "xvtep_neigh", MAP_NEIGH6 = "xvtep_neigh6", MAP_DSTPORTS = "xvtep_dstports",
            MAP_STATS = "xvtep_stats", MAP_EVENTS = "xvtep_events", MAP_ALLOWED_SRC = "xvtep_allowed_src";

    private final Path pinRoot;
    private final BpfObject underlayObj;
    private final BpfObject portObj;
    private final BpfMap config, vnis, ports, vniPorts, flood, fdb, neigh, neigh6, dstports, stats, events;
    private final int cpus;

    private Datapath(Path pinRoot, BpfObject underlayObj, BpfObject portObj) {
        this.pinRoot = pinRoot;
        this.underlayObj = underlayObj;
        this.portObj = portObj;
        // Both objects share every map through the pin root; take them from one.
        this.config = underlayObj.map(MAP_CONFIG);
        this.vnis = underlayObj.map(MAP_VNIS);
        this.ports = underlayObj.map(MAP_PORTS);
        this.vniPorts = underlayObj.map(MAP_VNI_PORTS);
        this.flood = underlayObj.map(MAP_FLOOD);
        this.fdb = underlayObj.map(MAP_FDB);
        this.neigh = underlayObj.map(MAP_NEIGH);
        this.neigh6 = underlayObj.map(MAP_NEIGH6);
        this.dstports = underlayObj.map(MAP_DSTPORTS);
        this.stats = underlayObj.map(MAP_STATS);
        this.events = underlayObj.map(MAP_EVENTS);
        this.cpus = Net.possibleCpus();
    }

    /**
     * Loads both objects from the classpath (/bpf/*.bpf.o in the xvtep-datapath jar) with
     * {@code pinRoot} as the pin root, reusing maps already pinned there, and makes sure the
     * vni 0 counters exist. Counters pinned by a version with another stats layout restart from zero.
     */
    public static Datapath open(Path pinRoot) {
        Bpffs.ensureMounted(pinRoot);
        PinnedLayouts.unpinStaleStats(pinRoot);
        BpfObject u = null;
        BpfObject p = null;
        try {
            u = BpfObject.open(resource(UNDERLAY_OBJECT), "xvtep_underlay", pinRoot);
            u.load();
            p = BpfObject.open(resource(PORT_OBJECT), "xvtep_port", pinRoot);
            p.load();
            Datapath dp = new Datapath(pinRoot, u, p);
            dp.ensureStats(0, false);
            return dp;
        } catch (RuntimeException e) {
            if (p != null) {
                p.close();
            }
            if (u != null) {
                u.close();
            }
            throw e;
        }
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

    public Path pinRoot() {
        return pinRoot;
    }

    public BpfObject underlayObject() {
        return underlayObj;
    }

    public BpfObject portObject() {
        return portObj;
    }

    /** A map by name, for tests and tools that need raw access. */
    public BpfMap map(String name) {
        return underlayObj.map(name);
    }

    // ------------------------------------------------------------------ attachments

    /**
     * XDP xdp_underlay (unless {@code mode} is null) plus TC ingress tc_underlay_ingress; both
     * replace what is there. With a null mode only TC decapsulates and any XDP program of ours
     * is removed: on a veth underlay XDP makes the kernel turn every GSO frame into an XDP
     * buffer and back, which costs far more than the XDP fast path saves.
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

    /** Removes our XDP and TC programs from the underlay; errors for what is not there are ignored. */
    public static void detachUnderlay(int ifindex) {
        for (XdpMode m : XdpMode.values()) {
            quietly(() -> Xdp.detach(ifindex, m));
        }
        quietly(() -> Tc.detach(ifindex, TcDirection.INGRESS, TC_HANDLE, TC_PRIORITY));
    }

    /** TC ingress tc_port_ingress on a local port (replacing an older instance of it). */
    public synchronized void attachPortProgram(int ifindex) {
        Tc.attach(ifindex, TcDirection.INGRESS, portObj.program(PROG_TC_PORT), TC_HANDLE, TC_PRIORITY);
    }

    public static void detachPortProgram(int ifindex) {
        quietly(() -> Tc.detach(ifindex, TcDirection.INGRESS, TC_HANDLE, TC_PRIORITY));
    }

    // ------------------------------------------------------------------ global config

    public synchronized Optional<XvtepConfig> config() {
        return config.lookup(MapCodec.u32(0)).map(XvtepConfig::decode);
    }

    public synchronized void setConfig(XvtepConfig c) {
        config.update(MapCodec.u32(0), c.encode(), UpdateFlag.ANY);
    }

    // ------------------------------------------------------------------ VNIs

    public synchronized Optional<VniCfg> vni(int vni) {
        return vnis.lookup(MapCodec.u32(vni)).map(VniCfg::decode);
    }

    /** All VNIs, by VNI. */
    public synchronized List<VniCfg> vnis() {
        TreeMap<Integer, VniCfg> m = new TreeMap<>();
        for (BpfMap.Entry e : vnis.entries()) {
            VniCfg c = VniCfg.decode(e.value());
            m.put(c.vni(), c);
        }
        return new ArrayList<>(m.values());
    }

    /**
     * Creates a VNI with its initial flood list (the kernel's `remote`/`group` default
     * destination). n_ports/n_flood of {@code cfg} are ignored.
     */
    public synchronized void createVni(VniCfg cfg, List<Ipv4> floodList) {
        if (floodList.size() > MAX_FLOOD) {
            throw new IllegalArgumentException("at most " + MAX_FLOOD + " flood destinations per VNI");
        }
        int vni = cfg.vni();
        ensureStats(vni, true);
        for (int i = 0; i < floodList.size(); i++) {
            flood.update(new VniIdxKey(vni, i).encode(), new FloodDst(floodList.get(i), 0).encode(), UpdateFlag.ANY);
        }
        vnis.update(MapCodec.u32(vni), cfg.withCounts(0, floodList.size()).encode(), UpdateFlag.NOEXIST);
        dstportRef(cfg.dstport(), +1);
    }

    /**
     * Replaces a VNI's settings, keeping its lists. The dstport refcounts follow a dstport change.
     */
    public synchronized void updateVni(VniCfg cfg) {
        VniCfg old = vni(cfg.vni()).orElseThrow(() -> new IllegalArgumentException("no VNI " + cfg.vni()));
        if (old.dstport() != cfg.dstport()) {
            dstportRef(cfg.dstport(), +1);
        }
        vnis.update(MapCodec.u32(cfg.vni()), cfg.withCounts(old.nPorts(), old.nFlood()).encode(), UpdateFlag.EXIST);
        if (old.dstport() != cfg.dstport()) {
            dstportRef(old.dstport(), -1);
        }
    }

    /**
     * Removes a VNI and everything of it: ports (their programs are detached), flood list,
     * FDB, neighbour and allowed-source entries, counters, and its reference on the dstport.
     *
     * @return the ifindexes of the ports that were attached to it
     */
    public synchronized List<Integer> deleteVni(int vni) {
        Optional<VniCfg> found = vni(vni);
        if (found.isEmpty()) {
            return List.of();
        }
        VniCfg cfg = found.get();
        List<Integer> portList = portsOf(vni);
        // Lower the counts first so the datapath stops walking the lists before they go.
        vnis.update(MapCodec.u32(vni), cfg.withCounts(0, 0).encode(), UpdateFlag.EXIST);
        for (int ifindex : portList) {
            ports.delete(MapCodec.u32(ifindex));
            detachPortProgram(ifindex);
        }
        for (int i = 0; i < Math.max(cfg.nPorts(), MAX_PORTS_PER_VNI); i++) {
            vniPorts.delete(new VniIdxKey(vni, i).encode());
        }
        for (int i = 0; i < Math.max(cfg.nFlood(), MAX_FLOOD); i++) {
            flood.delete(new VniIdxKey(vni, i).encode());
        }
        for (BpfMap.Entry e : fdb.entries()) {
            if (FdbKey.decode(e.key()).vni() == vni) {
                fdb.delete(e.key());
            }
        }
        for (BpfMap.Entry e : neigh.entries()) {
            if (NeighKey.decode(e.key()).vni() == vni) {
                neigh.delete(e.key());
            }
        }
        for (BpfMap.Entry e : neigh6.entries()) {
            if (Neigh6Key.decode(e.key()).vni() == vni) {
                neigh6.delete(e.key());
            }
        }
        BpfMap allowed = underlayObj.map(MAP_ALLOWED_SRC);
        for (BpfMap.Entry e : allowed.entries()) {
            if (VniSrcKey.decode(e.key()).vni() == vni) {
                allowed.delete(e.key());
            }
        }
        vnis.delete(MapCodec.u32(vni));
        dstportRef(cfg.dstport(), -1);
        stats.delete(MapCodec.u32(vni));
        return portList;
    }

    /** Refcounts of the UDP ports the datapath treats as VXLAN, by port. */
    public synchronized Map<Integer, Integer> dstports() {
        TreeMap<Integer, Integer> m = new TreeMap<>();
        for (BpfMap.Entry e : dstports.entries()) {
            m.put(MapCodec.u16(e.key()), MapCodec.u32(e.value()));
        }
        return m;
    }

    private void dstportRef(int port, int delta) {
        byte[] k = MapCodec.u16(port);
        int n = dstports.lookup(k).map(MapCodec::u32).orElse(0) + delta;
        if (n > 0) {
            dstports.update(k, MapCodec.u32(n), UpdateFlag.ANY);
        } else {
            dstports.delete(k);
        }
    }

    // ------------------------------------------------------------------ ports

    /** Every local port: ifindex -> port_cfg, by ifindex. */
    public synchronized Map<Integer, PortCfg> ports() {
        TreeMap<Integer, PortCfg> m = new TreeMap<>();
        for (BpfMap.Entry e : ports.entries()) {
            m.put(MapCodec.u32(e.key()), PortCfg.decode(e.value()));
        }
        return m;
    }

    public synchronized Optional<PortCfg> port(int ifindex) {
        return ports.lookup(MapCodec.u32(ifindex)).map(PortCfg::decode);
    }

    /** The VNI's port list (vni_ports idx 0..n_ports-1), in list order. */
    public synchronized List<Integer> portsOf(int vni) {
        Optional<VniCfg> cfg = vni(vni);
        if (cfg.isEmpty()) {
            return List.of();
        }
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < cfg.get().nPorts(); i++) {
            vniPorts.lookup(new VniIdxKey(vni, i).encode()).ifPresent(v -> l.add(MapCodec.u32(v)));
        }
        return l;
    }

    /**
     * Makes {@code ifindex} a port of {@code vni}: port entry, list entry, then n_ports, then
     * the TC program (which ignores frames of interfaces without a port entry).
     */
    public synchronized void attachPort(int ifindex, int vni, int flags) {
        VniCfg cfg = vni(vni).orElseThrow(() -> new IllegalArgumentException("no VNI " + vni));
        if (port(ifindex).isPresent()) {
            throw new IllegalStateException("ifindex " + ifindex + " is already a port");
        }
        if (cfg.nPorts() >= MAX_PORTS_PER_VNI) {
            throw new IllegalStateException("VNI " + vni + " already has " + MAX_PORTS_PER_VNI + " ports");
        }
        ports.update(MapCodec.u32(ifindex), new PortCfg(vni, flags).encode(), UpdateFlag.NOEXIST);
        try {
            vniPorts.update(new VniIdxKey(vni, cfg.nPorts()).encode(), MapCodec.u32(ifindex), UpdateFlag.ANY);
            vnis.update(MapCodec.u32(vni), cfg.withCounts(cfg.nPorts() + 1, cfg.nFlood()).encode(), UpdateFlag.EXIST);
            attachPortProgram(ifindex);
        } catch (RuntimeException e) {
            detachPort(ifindex);
            throw e;
        }
    }

    /** Re-writes a port's flags (e.g. PORT_F_XDP) without touching the lists. */
    public synchronized void setPortFlags(int ifindex, int flags) {
        PortCfg p = port(ifindex).orElseThrow(() -> new IllegalArgumentException("no port " + ifindex));
        ports.update(MapCodec.u32(ifindex), new PortCfg(p.vni(), flags).encode(), UpdateFlag.EXIST);
    }

    /**
     * Removes a port: the last list entry moves into its hole, n_ports drops, the old last
     * slot goes, then the port entry, the FDB entries pointing at it and its TC program.
     *
     * @return whether it was a port
     */
    public synchronized boolean detachPort(int ifindex) {
        Optional<PortCfg> p = port(ifindex);
        if (p.isEmpty()) {
            return false;
        }
        int vni = p.get().vni();
        Optional<VniCfg> cfgOpt = vni(vni);
        if (cfgOpt.isPresent()) {
            VniCfg cfg = cfgOpt.get();
            List<Integer> list = portsOf(vni);
            int idx = list.indexOf(ifindex);
            int n = cfg.nPorts();
            if (idx >= 0 && n > 0) {
                int last = n - 1;
                if (idx != last) {
                    vniPorts.update(new VniIdxKey(vni, idx).encode(), MapCodec.u32(list.get(last)), UpdateFlag.ANY);
                }
                vnis.update(MapCodec.u32(vni), cfg.withCounts(last, cfg.nFlood()).encode(), UpdateFlag.EXIST);
                vniPorts.delete(new VniIdxKey(vni, last).encode());
            }
        }
        ports.delete(MapCodec.u32(ifindex));
        // The kernel flushes a bridge port's FDB entries when the port leaves; so do we.
        for (BpfMap.Entry e : fdb.entries()) {
            if (FdbValue.decode(e.value()).ifindex() == ifindex) {
                fdb.delete(e.key());
            }
        }
        detachPortProgram(ifindex);
        return true;
    }

    // ------------------------------------------------------------------ flood list (all-zero FDB entries)

    public synchronized List<Ipv4> floodOf(int vni) {
        return floodEntries(vni).stream().map(FloodDst::dst).toList();
    }

    /** The VNI's flood entries with their flags ({@link FloodDst#F_CLUSTER}: added by the cluster sync). */
    public synchronized List<FloodDst> floodEntries(int vni) {
        Optional<VniCfg> cfg = vni(vni);
        if (cfg.isEmpty()) {
            return List.of();
        }
        List<FloodDst> l = new ArrayList<>();
        for (int i = 0; i < cfg.get().nFlood(); i++) {
            flood.lookup(new VniIdxKey(vni, i).encode()).ifPresent(v -> l.add(FloodDst.decode(v)));
        }
        return l;
    }

    /** `bridge fdb append 00:00:00:00:00:00 dst X`: entry first, then n_flood. */
    public synchronized void addFlood(int vni, Ipv4 dst) {
        addFlood(vni, dst, 0);
    }

    /** One more flood destination with {@code flags} (who added it): entry first, then n_flood. */
    public synchronized void addFlood(int vni, Ipv4 dst, int flags) {
        VniCfg cfg = vni(vni).orElseThrow(() -> new IllegalArgumentException("no VNI " + vni));
        if (floodOf(vni).contains(dst)) {
            throw new IllegalStateException(dst + " is already in the flood list of VNI " + vni);
        }
        if (cfg.nFlood() >= MAX_FLOOD) {
            throw new IllegalStateException("VNI " + vni + " already has " + MAX_FLOOD + " flood destinations");
        }
        flood.update(new VniIdxKey(vni, cfg.nFlood()).encode(), new FloodDst(dst, flags).encode(), UpdateFlag.ANY);
        vnis.update(MapCodec.u32(vni), cfg.withCounts(cfg.nPorts(), cfg.nFlood() + 1).encode(), UpdateFlag.EXIST);
    }

    /** Puts {@code now} in the list slot of {@code old} (one write: the list never shrinks meanwhile). */
    public synchronized boolean replaceFlood(int vni, Ipv4 old, Ipv4 now) {
        List<Ipv4> list = floodOf(vni);
        int idx = list.indexOf(old);
        if (idx < 0 || list.contains(now)) {
            return false;
        }
        flood.update(new VniIdxKey(vni, idx).encode(), new FloodDst(now, 0).encode(), UpdateFlag.ANY);
        return true;
    }

    /** Removes one flood destination, keeping the list dense (last moves into the hole). */
    public synchronized boolean removeFlood(int vni, Ipv4 dst) {
        return removeFlood(vni, dst, 0);
    }

    /**
     * Removes {@code dst} when its flags include {@code requiredFlags} (0: any entry). The list stays
     * dense: the last entry moves into the hole with its flags, then n_flood drops, then the old
     * last slot goes.
     */
    public synchronized boolean removeFlood(int vni, Ipv4 dst, int requiredFlags) {
        Optional<VniCfg> cfgOpt = vni(vni);
        if (cfgOpt.isEmpty()) {
            return false;
        }
        VniCfg cfg = cfgOpt.get();
        List<FloodDst> list = floodEntries(vni);
        int idx = -1;
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).dst().equals(dst) && (list.get(i).flags() & requiredFlags) == requiredFlags) {
                idx = i;
            }
        }
        if (idx < 0) {
            return false;
        }
        int last = cfg.nFlood() - 1;
        if (idx != last) {
            flood.update(new VniIdxKey(vni, idx).encode(), list.get(last).encode(), UpdateFlag.ANY);
        }
        vnis.update(MapCodec.u32(vni), cfg.withCounts(cfg.nPorts(), last).encode(), UpdateFlag.EXIST);
        flood.delete(new VniIdxKey(vni, last).encode());
        return true;
    }

    // ------------------------------------------------------------------ FDB (non-zero MACs)

    public synchronized Optional<FdbValue> fdb(FdbKey k) {
        return fdb.lookup(k.encode()).map(FdbValue::decode);
    }

    /** Entries of one VNI, or of all VNIs when {@code vni} is 0. */
    public synchronized Map<FdbKey, FdbValue> fdbOf(int vni) {
        Map<FdbKey, FdbValue> m = new LinkedHashMap<>();
        for (BpfMap.Entry e : fdb.entries()) {
            FdbKey k = FdbKey.decode(e.key());
            if (vni == 0 || k.vni() == vni) {
                m.put(k, FdbValue.decode(e.value()));
            }
        }
        return m;
    }

    public synchronized void putFdb(FdbKey k, FdbValue v) {
        if (k.mac().isZero()) {
            throw new IllegalArgumentException("all-zero MAC entries belong in the flood list");
        }
        fdb.update(k.encode(), v.encode(), UpdateFlag.ANY);
    }

    public synchronized boolean deleteFdb(FdbKey k) {
        return fdb.delete(k.encode());
    }

    /**
     * Deletes {@code k} only if it still holds {@code expected}, so that a reaper never
     * removes an entry the datapath refreshed after the reaper read it.
     */
    public synchronized boolean deleteFdbIf(FdbKey k, FdbValue expected) {
        Optional<FdbValue> cur = fdb(k);
        if (cur.isPresent() && cur.get().equals(expected)) {
            return fdb.delete(k.encode());
        }
        return false;
    }

    /**
     * Writes many FDB entries with one {@code bpf_map_update_batch} (BPF_ANY). All-zero MACs are
     * refused before anything is written.
     *
     * @return the number of entries written
     */
    public synchronized int putFdbBatch(Map<FdbKey, FdbValue> entries) {
        List<byte[]> keys = new ArrayList<>(entries.size());
        List<byte[]> values = new ArrayList<>(entries.size());
        for (Map.Entry<FdbKey, FdbValue> e : entries.entrySet()) {
            if (e.getKey().mac().isZero()) {
                throw new IllegalArgumentException("all-zero MAC entries belong in the flood list");
            }
            keys.add(e.getKey().encode());
            values.add(e.getValue().encode());
        }
        return fdb.updateBatch(keys, values, UpdateFlag.ANY);
    }

    /** Deletes many FDB entries with one {@code bpf_map_delete_batch}; absent keys are skipped. */
    public synchronized int deleteFdbBatch(java.util.Collection<FdbKey> keys) {
        List<byte[]> raw = new ArrayList<>(keys.size());
        for (FdbKey k : keys) {
            raw.add(k.encode());
        }
        return fdb.deleteBatch(raw);
    }

    // ------------------------------------------------------------------ neighbour table (ARP/ND proxy)

    private static byte[] neighKey(int vni, java.net.InetAddress ip) {
        if (ip instanceof java.net.Inet4Address a) {
            return new NeighKey(vni, Ipv4.of(a)).encode();
        }
        if (ip instanceof java.net.Inet6Address a) {
            return new Neigh6Key(vni, a.getAddress()).encode();
        }
        throw new IllegalArgumentException("not an IP address: " + ip);
    }

    private BpfMap neighMap(java.net.InetAddress ip) {
        return ip instanceof java.net.Inet6Address ? neigh6 : neigh;
    }

    /** `ip neigh replace IP lladdr MAC`: Inet4Address to xvtep_neigh, Inet6Address to xvtep_neigh6. */
    public synchronized void putNeigh(int vni, java.net.InetAddress ip, io.xvtep.model.Mac mac) {
        neighMap(ip).update(neighKey(vni, ip), new MapCodec.NeighEntry(mac, 0).encode(), UpdateFlag.ANY);
    }

    public synchronized boolean deleteNeigh(int vni, java.net.InetAddress ip) {
        return neighMap(ip).delete(neighKey(vni, ip));
    }

    /** The neighbour entries of one VNI (IPv4 then IPv6), or of every VNI when {@code vni} is 0. */
    public synchronized Map<java.net.InetAddress, io.xvtep.model.Mac> neighOf(int vni) {
        Map<java.net.InetAddress, io.xvtep.model.Mac> m = new LinkedHashMap<>();
        for (BpfMap.Entry e : neigh.entries()) {
            NeighKey k = NeighKey.decode(e.key());
            if (vni == 0 || k.vni() == vni) {
                m.put(k.ip().toInet(), MapCodec.NeighEntry.decode(e.value()).mac());
            }
        }
        for (BpfMap.Entry e : neigh6.entries()) {
            Neigh6Key k = Neigh6Key.decode(e.key());
            if (vni == 0 || k.vni() == vni) {
                try {
                    m.put(java.net.InetAddress.getByAddress(k.ip()), MapCodec.NeighEntry.decode(e.value()).mac());
                } catch (java.net.UnknownHostException ex) {
                    throw new IllegalStateException(ex); // 16 bytes always make an address
                }
            }
        }
        return m;
    }

    /** Writes many neighbour entries of one VNI with one batch update per address family. */
    public synchronized int putNeighBatch(int vni, Map<java.net.InetAddress, io.xvtep.model.Mac> entries) {
        List<byte[]> k4 = new ArrayList<>(), v4 = new ArrayList<>(), k6 = new ArrayList<>(), v6 = new ArrayList<>();
        for (Map.Entry<java.net.InetAddress, io.xvtep.model.Mac> e : entries.entrySet()) {
            boolean six = e.getKey() instanceof java.net.Inet6Address;
            (six ? k6 : k4).add(neighKey(vni, e.getKey()));
            (six ? v6 : v4).add(new MapCodec.NeighEntry(e.getValue(), 0).encode());
        }
        int n = neigh.updateBatch(k4, v4, UpdateFlag.ANY);
        return n + neigh6.updateBatch(k6, v6, UpdateFlag.ANY);
    }

    /** Deletes many neighbour entries of one VNI; absent ones are skipped. */
    public synchronized int deleteNeighBatch(int vni, java.util.Collection<java.net.InetAddress> ips) {
        List<byte[]> k4 = new ArrayList<>(), k6 = new ArrayList<>();
        for (java.net.InetAddress ip : ips) {
            (ip instanceof java.net.Inet6Address ? k6 : k4).add(neighKey(vni, ip));
        }
        return neigh.deleteBatch(k4) + neigh6.deleteBatch(k6);
    }

    // ------------------------------------------------------------------ allowed source VTEPs

    /** The VTEPs a VNI accepts VXLAN from (meaningful with VniCfg.F_SRC_FILTER), sorted. */
    public synchronized List<Ipv4> allowedSrcOf(int vni) {
        List<Ipv4> l = new ArrayList<>();
        for (BpfMap.Entry e : underlayObj.map(MAP_ALLOWED_SRC).entries()) {
            VniSrcKey k = VniSrcKey.decode(e.key());
            if (k.vni() == vni) {
                l.add(k.src());
            }
        }
        Collections.sort(l);
        return l;
    }

    /**
     * Makes the VNI's allowed-source set exactly {@code srcs}: new entries are written before
     * stale ones are removed. The caller sets or clears F_SRC_FILTER in vni_cfg (set it after
     * this call when turning the filter on, clear it before when turning it off).
     */
    public synchronized void setAllowedSrc(int vni, java.util.Collection<Ipv4> srcs) {
        BpfMap allowed = underlayObj.map(MAP_ALLOWED_SRC);
        java.util.Set<Ipv4> want = new java.util.HashSet<>(srcs);
        for (Ipv4 s : want) {
            allowed.update(new VniSrcKey(vni, s).encode(), MapCodec.u32(0), UpdateFlag.ANY);
        }
        for (Ipv4 s : allowedSrcOf(vni)) {
            if (!want.contains(s)) {
                allowed.delete(new VniSrcKey(vni, s).encode());
            }
        }
    }

    // ------------------------------------------------------------------ counters

    /** Creates a zeroed counter entry; {@code reset} overwrites one that exists. */
    public synchronized void ensureStats(int vni, boolean reset) {
        List<byte[]> zeros = new ArrayList<>(Collections.nCopies(cpus, new byte[VniStats.SIZE]));
        try {
            stats.updatePerCpu(MapCodec.u32(vni), zeros, reset ? UpdateFlag.ANY : UpdateFlag.NOEXIST);
        } catch (BpfException e) {
            if (e.errno() != 17 /* EEXIST */) {
                throw e;
            }
        }
    }

    /** A VNI's counters summed over CPUs. */
    public Optional<VniStats> stats(int vni) {
        List<byte[]> perCpu = stats.lookupPerCpu(MapCodec.u32(vni));
        return perCpu == null || perCpu.isEmpty() ? Optional.empty() : Optional.of(VniStats.sum(perCpu));
    }

    /** Every counter entry summed over CPUs, by VNI (0 = frames of no VNI). */
    public Map<Integer, VniStats> allStats() {
        TreeMap<Integer, VniStats> m = new TreeMap<>();
        for (byte[] k : stats.keys()) {
            List<byte[]> perCpu = stats.lookupPerCpu(k);
            if (perCpu != null && !perCpu.isEmpty()) {
                m.put(MapCodec.u32(k), VniStats.sum(perCpu));
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ events

    /**
     * A ring buffer over xvtep_events delivering decoded events; the caller polls it on a
     * thread of its own (the callback runs on the polling thread).
     */
    public RingBuffer events(Consumer<XvtepEvent> consumer) {
        return new RingBuffer(events, buf -> consumer.accept(XvtepEvent.decode(buf)));
    }

    // ------------------------------------------------------------------ teardown

    /** Releases this process's fds; pinned maps and attachments stay (an agent restart keeps forwarding). */
    @Override
    public synchronized void close() {
        portObj.close();
        underlayObj.close();
    }

    /** Detaches every program (underlay and ports), closes, and removes the pin root. */
    public void cleanup() {
        int underlay;
        List<Integer> portList;
        synchronized (this) {
            underlay = config().map(XvtepConfig::underlayIfindex).orElse(0);
            portList = new ArrayList<>(ports().keySet());
        }
        for (int ifindex : portList) {
            detachPortProgram(ifindex);
        }
        if (underlay != 0) {
            detachUnderlay(underlay);
        }
        close();
        Bpffs.removeTree(pinRoot);
    }

    /**
     * Cleanup without loading programs (for `xvtep agent --cleanup`): reads the underlay and
     * ports from the pinned maps if they exist, detaches from them and from
     * {@code extraUnderlay} (when not 0), then removes the pin root.
     */
    public static void cleanup(Path pinRoot, int extraUnderlay) {
        if (Files.exists(pinRoot.resolve(MAP_CONFIG))) {
            try (BpfMap cfg = BpfMap.openPinned(pinRoot.resolve(MAP_CONFIG))) {
                cfg.lookup(MapCodec.u32(0)).map(XvtepConfig::decode).ifPresent(c -> {
                    if (c.underlayIfindex() != 0) {
                        detachUnderlay(c.underlayIfindex());
                    }
                });
            } catch (RuntimeException e) {
                // a damaged pin is removed below anyway
            }
        }
        if (Files.exists(pinRoot.resolve(MAP_PORTS))) {
            try (BpfMap p = BpfMap.openPinned(pinRoot.resolve(MAP_PORTS))) {
                for (byte[] k : p.keys()) {
                    detachPortProgram(MapCodec.u32(k));
                }
            } catch (RuntimeException e) {
                // ditto
            }
        }
        if (extraUnderlay != 0) {
            detachUnderlay(extraUnderlay);
        }
        Bpffs.removeTree(pinRoot);
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            // nothing attached there, or the interface is gone: both mean "detached"
        }
    }
}
