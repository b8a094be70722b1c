package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.model.IpAddress;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * What the maps must say about themselves, whatever moment a writer was killed at. xvtep_vnis, xvtep_ports
 * and the entries themselves are the truth; the rest is derived and can be rebuilt from them:
 * <ul>
 * <li>xvtep_dstports holds, for each UDP port, the number of VNIs using it (and nothing else);</li>
 * <li>each VNI's flood list is dense: slots 0..n_flood-1, no duplicate destination, no slot beyond;</li>
 * <li>each VNI's port list is dense (0..n_ports-1) and holds exactly the ports whose port_cfg names it;</li>
 * <li>no entry of any table (flood, port lists, ports, FDB, neighbours, allowed sources) names a VNI that
 * does not exist, and no local FDB entry points at an interface that is not a port of its VNI;</li>
 * <li>no bulk FDB write is half done ({@link FdbJournal});</li>
 * <li>the outer-header cache (xvtep_encap_cache, written by the datapath) holds unicast VTEPs only, each
 * from an outer source of its own family that the host or a VNI uses, its template (EtherType, TTL, address
 * sum) that of its addresses (others are dropped: the datapath asks the FIB again).</li>
 * </ul>
 * {@link #check} lists the violations (for `xvtep check`); {@link #repair} fixes them in place (at every
 * start, before the agent serves), each with a line saying what it did.
 */
public final class Invariants {

    private final Function<String, BpfMap> maps;

    /** @param maps a pinned map by name (xvtep_vnis, ...) */
    public Invariants(Function<String, BpfMap> maps) {
        this.maps = maps;
    }

    private BpfMap m(String name) {
        return maps.apply(name);
    }

    /** Violations, one line each; empty when the maps are consistent. */
    public List<String> check() {
        return walk(false);
    }

    /** Rebuilds what is derived and drops what is orphaned; one line per fix. */
    public List<String> repair() {
        return walk(true);
    }

    private List<String> walk(boolean fix) {
        List<String> out = new ArrayList<>();
        Map<Integer, VniCfg> vnis = new TreeMap<>();
        for (BpfMap.Entry e : m(MapNames.VNIS).entries()) {
            VniCfg c = VniCfg.decode(e.value());
            vnis.put(c.vni(), c);
        }
        Map<Integer, PortCfg> ports = new TreeMap<>();
        for (BpfMap.Entry e : m(MapNames.PORTS).entries()) {
            ports.put(MapCodec.u32(e.key()), PortCfg.decode(e.value()));
        }
        // ports of VNIs that are gone (a VNI delete killed midway)
        for (var p : new ArrayList<>(ports.entrySet())) {
            if (!vnis.containsKey(p.getValue().vni())) {
                out.add("port ifindex " + p.getKey() + " belongs to VNI " + p.getValue().vni() + ", which does not exist");
                if (fix) {
                    m(MapNames.PORTS).delete(MapCodec.u32(p.getKey()));
                    Programs.detachPort(p.getKey(), p.getValue().flags());
                    ports.remove(p.getKey());
                }
            }
        }
        dropOrphans(out, fix, MapNames.FLOOD, "flood slot", k -> VniIdxKey.decode(k).vni(), vnis);
        dropOrphans(out, fix, MapNames.VNI_PORTS, "port list slot", k -> VniIdxKey.decode(k).vni(), vnis);
        dropOrphans(out, fix, MapNames.FDB, "FDB entry", k -> FdbKey.decode(k).vni(), vnis);
        dropOrphans(out, fix, MapNames.NEIGH, "neighbour entry", k -> NeighKey.decode(k).vni(), vnis);
        dropOrphans(out, fix, MapNames.NEIGH6, "neighbour entry", k -> Neigh6Key.decode(k).vni(), vnis);
        dropOrphans(out, fix, MapNames.ALLOWED_SRC, "allowed source", k -> VniSrcKey.decode(k).vni(), vnis);
        for (VniCfg cfg : vnis.values()) {
            List<Integer> wantPorts = new ArrayList<>();
            ports.forEach((ifindex, p) -> {
                if (p.vni() == cfg.vni()) {
                    wantPorts.add(ifindex);
                }
            });
            int nPorts = portList(out, fix, cfg, wantPorts);
            int nFlood = floodList(out, fix, cfg);
            if (fix && (nPorts != cfg.nPorts() || nFlood != cfg.nFlood())) {
                m(MapNames.VNIS).update(MapCodec.u32(cfg.vni()), cfg.withCounts(nPorts, nFlood).encode(),
                        UpdateFlag.EXIST);
            }
            // checking: slots beyond the stored count; repairing: beyond the rebuilt one
            staleSlots(out, fix, MapNames.VNI_PORTS, "port list", cfg.vni(), fix ? nPorts : cfg.nPorts());
            staleSlots(out, fix, MapNames.FLOOD, "flood list", cfg.vni(), fix ? nFlood : cfg.nFlood());
        }
        localEntries(out, fix, ports);
        statsSlots(out, fix, vnis);
        dstports(out, fix, vnis);
        encapCache(out, fix, vnis);
        return out;
    }

    /**
     * Each VNI counts in a slot of its own of xvtep_stats, inside the array and never slot 0 (frames of no VNI).
     * Repairing gives an offender the lowest free slot, zeroed (what it counted where it was is not its own).
     */
    private void statsSlots(List<String> out, boolean fix, Map<Integer, VniCfg> vnis) {
        BpfMap stats = m(MapNames.STATS);
        int cap = stats.maxEntries();
        java.util.BitSet used = new java.util.BitSet();
        used.set(0);
        List<Integer> offenders = new ArrayList<>();
        for (VniCfg cfg : vnis.values()) {
            int s = cfg.statsSlot();
            if (s <= 0 || s >= cap || used.get(s)) {
                out.add("VNI " + cfg.vni() + ": counter slot " + s + (s <= 0 || s >= cap ? " outside 1.." + (cap - 1)
                        : " also another VNI's"));
                offenders.add(cfg.vni());
            } else {
                used.set(s);
            }
        }
        if (!fix) {
            return;
        }
        for (int vni : offenders) {
            int s = used.nextClearBit(1);
            if (s >= cap) {
                return; // more VNIs than slots: the capacity check at start refuses that
            }
            used.set(s);
            stats.updatePerCpu(MapCodec.u32(s), java.util.Collections.nCopies(io.xvtep.libbpf.Net.possibleCpus(),
                    new byte[VniStats.SIZE]), UpdateFlag.ANY);
            byte[] k = MapCodec.u32(vni);
            m(MapNames.VNIS).lookup(k).map(VniCfg::decode).ifPresent(c ->
                    m(MapNames.VNIS).update(k, c.withStatsSlot(s).encode(), UpdateFlag.EXIST));
        }
    }

    private void dropOrphans(List<String> out, boolean fix, String map, String what, ToIntFunction<byte[]> vniOf,
            Map<Integer, VniCfg> vnis) {
        Map<Integer, Integer> orphans = new TreeMap<>();
        BpfMap bm = m(map);
        for (byte[] k : bm.keys()) {
            int vni = vniOf.applyAsInt(k);
            if (!vnis.containsKey(vni)) {
                orphans.merge(vni, 1, Integer::sum);
                if (fix) {
                    bm.delete(k);
                }
            }
        }
        orphans.forEach((vni, n) -> out.add(n + " " + what + (n == 1 ? "" : "s") + " of VNI " + vni
                + ", which does not exist (" + map + ")"));
    }

    /** The port list as xvtep_ports says it is: listed order kept, missing ports appended, strangers dropped. */
    private int portList(List<String> out, boolean fix, VniCfg cfg, List<Integer> want) {
        BpfMap list = m(MapNames.VNI_PORTS);
        Set<Integer> listed = new LinkedHashSet<>();
        for (int i = 0; i < cfg.nPorts(); i++) {
            var v = list.lookup(new VniIdxKey(cfg.vni(), i).encode());
            if (v.isEmpty()) {
                out.add("VNI " + cfg.vni() + ": port list slot " + i + " of " + cfg.nPorts() + " is missing");
            } else if (!want.contains(MapCodec.u32(v.get()))) {
                out.add("VNI " + cfg.vni() + ": port list slot " + i + " names ifindex " + MapCodec.u32(v.get())
                        + ", not a port of this VNI");
            } else if (!listed.add(MapCodec.u32(v.get()))) {
                out.add("VNI " + cfg.vni() + ": ifindex " + MapCodec.u32(v.get()) + " listed twice");
            }
        }
        for (int ifindex : want) {
            if (listed.add(ifindex)) {
                out.add("VNI " + cfg.vni() + ": port ifindex " + ifindex + " is not in its port list");
            }
        }
        List<Integer> dense = new ArrayList<>(listed);
        if (fix) {
            for (int i = 0; i < dense.size(); i++) {
                byte[] k = new VniIdxKey(cfg.vni(), i).encode();
                byte[] v = MapCodec.u32(dense.get(i));
                if (list.lookup(k).map(x -> !java.util.Arrays.equals(x, v)).orElse(true)) {
                    list.update(k, v, UpdateFlag.ANY);
                }
            }
        }
        return dense.size();
    }

    /** The flood list's slots below n_flood, missing ones and repeated destinations left out. */
    private int floodList(List<String> out, boolean fix, VniCfg cfg) {
        BpfMap flood = m(MapNames.FLOOD);
        List<FloodDst> dense = new ArrayList<>();
        Set<IpAddress> seen = new LinkedHashSet<>();
        boolean moved = false;
        for (int i = 0; i < cfg.nFlood(); i++) {
            var v = flood.lookup(new VniIdxKey(cfg.vni(), i).encode());
            if (v.isEmpty()) {
                out.add("VNI " + cfg.vni() + ": flood list slot " + i + " of " + cfg.nFlood() + " is missing");
                moved = true;
                continue;
            }
            FloodDst d = FloodDst.decode(v.get());
            if (!seen.add(d.dst())) {
                out.add("VNI " + cfg.vni() + ": flood destination " + d.dst() + " listed twice");
                moved = true;
                continue;
            }
            dense.add(d);
        }
        if (fix && moved) {
            for (int i = 0; i < dense.size(); i++) {
                flood.update(new VniIdxKey(cfg.vni(), i).encode(), dense.get(i).encode(), UpdateFlag.ANY);
            }
        }
        return dense.size();
    }

    /** Slots at or beyond a list's count: left by an add or a remove that did not finish. */
    private void staleSlots(List<String> out, boolean fix, String map, String what, int vni, int n) {
        BpfMap bm = m(map);
        int limit = map.equals(MapNames.FLOOD) ? Abi.MAX_FLOOD : Abi.MAX_PORTS_PER_VNI;
        // slots are written densely: the first free slot past n ends the walk unless a later one exists
        for (int i = n; i < limit; i++) {
            byte[] k = new VniIdxKey(vni, i).encode();
            if (bm.lookup(k).isEmpty()) {
                if (i > n + 1) {
                    break;
                }
                continue;
            }
            out.add("VNI " + vni + ": " + what + " slot " + i + " beyond its count " + n);
            if (fix) {
                bm.delete(k);
            }
        }
    }

    /** Local FDB entries must point at a port of their own VNI (a port removal killed before its FDB flush). */
    private void localEntries(List<String> out, boolean fix, Map<Integer, PortCfg> ports) {
        BpfMap fdb = m(MapNames.FDB);
        Map<Integer, Integer> bad = new HashMap<>();
        for (BpfMap.Entry e : fdb.entries()) {
            FdbValue v = FdbValue.decode(e.value());
            if (v.ifindex() == 0) {
                continue;
            }
            PortCfg p = ports.get(v.ifindex());
            if (p == null || p.vni() != FdbKey.decode(e.key()).vni()) {
                bad.merge(v.ifindex(), 1, Integer::sum);
                if (fix) {
                    fdb.delete(e.key());
                }
            }
        }
        bad.forEach((ifindex, n) -> out.add(n + " FDB entr" + (n == 1 ? "y" : "ies") + " behind ifindex " + ifindex
                + ", which is not a port of their VNI"));
    }

    /** Cache entries the datapath could have written: a unicast VTEP, from a source of its family in use. */
    private void encapCache(List<String> out, boolean fix, Map<Integer, VniCfg> vnis) {
        BpfMap cache;
        try {
            cache = m(MapNames.ENCAP_CACHE);
        } catch (RuntimeException e) {
            return; // pins of a version before the cache: nothing to check
        }
        Set<IpAddress> sources = new LinkedHashSet<>();
        m(MapNames.CONFIG).lookup(MapCodec.u32(0)).map(XvtepConfig::decode).ifPresent(c -> {
            if (c.localIp() != null) {
                sources.add(c.localIp());
            }
            if (c.localIp6() != null) {
                sources.add(c.localIp6());
            }
        });
        vnis.values().forEach(c -> {
            if (c.local() != null) {
                sources.add(c.local());
            }
        });
        int bad = 0;
        for (BpfMap.Entry e : cache.entries()) {
            byte[] k = e.key();
            EncapCacheKey key = EncapCacheKey.decode(k);
            if (key.src() == null || key.dst() == null || key.src().isIpv4() != key.dst().isIpv4()
                    || key.dst().isMulticast() || !sources.contains(key.src())
                    || !EncapCacheEntry.decode(e.value()).matches(key)) {
                bad++;
                if (fix) {
                    cache.delete(k);
                }
            }
        }
        if (bad > 0) {
            out.add(bad + " outer-header cache entr" + (bad == 1 ? "y" : "ies")
                    + " of a source no VNI uses, a group, mixed families, or a template not of its addresses ("
                    + MapNames.ENCAP_CACHE + ")");
        }
    }

    /** One reference per VNI on its dstport, nothing else. */
    private void dstports(List<String> out, boolean fix, Map<Integer, VniCfg> vnis) {
        Map<Integer, Integer> want = new TreeMap<>();
        vnis.values().forEach(c -> want.merge(c.dstport(), 1, Integer::sum));
        BpfMap dp = m(MapNames.DSTPORTS);
        Map<Integer, Integer> have = new TreeMap<>();
        for (BpfMap.Entry e : dp.entries()) {
            have.put(MapCodec.u16(e.key()), MapCodec.u32(e.value()));
        }
        for (var w : want.entrySet()) {
            Integer h = have.get(w.getKey());
            if (!w.getValue().equals(h)) {
                out.add("dstport " + w.getKey() + ": refcount " + h + ", " + w.getValue() + " VNI(s) use it");
                if (fix) {
                    dp.update(MapCodec.u16(w.getKey()), MapCodec.u32(w.getValue()), UpdateFlag.ANY);
                }
            }
        }
        for (var h : have.entrySet()) {
            if (!want.containsKey(h.getKey())) {
                out.add("dstport " + h.getKey() + ": refcount " + h.getValue() + ", no VNI uses it");
                if (fix) {
                    dp.delete(MapCodec.u16(h.getKey()));
                }
            }
        }
    }
}
