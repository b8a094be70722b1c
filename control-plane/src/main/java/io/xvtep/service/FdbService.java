package io.xvtep.service;

import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.FdbKey;
import io.xvtep.datapath.FdbValue;
import io.xvtep.datapath.FloodDst;
import io.xvtep.datapath.PortCfg;
import io.xvtep.datapath.VniCfg;
import io.xvtep.host.Interfaces;
import io.xvtep.model.FdbEntry;
import io.xvtep.model.FdbType;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;
import io.xvtep.model.Vni;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The FDB of each VNI as `bridge fdb` shows it: MACs behind remote VTEPs or local ports
 * (xvtep_fdb) and the all-zero entries, i.e. the flood list (xvtep_flood). Also the cluster
 * sync's writes, which carry FDB_F_CLUSTER / FLOOD_F_CLUSTER so that an operator's entries and
 * the cluster's never overwrite each other.
 */
public final class FdbService {

    /** What a replace did: the entry, and whether it is new. */
    public record FdbWrite(FdbEntry entry, boolean created) {
    }

    /** One entry of a bulk request: a MAC behind exactly one of a VTEP ({@code dst}) and a local port. */
    public record FdbSpec(Mac mac, IpAddress dst, String ifname) {
    }

    /** The key of a MAC entry: the MAC in its VNI (what a cluster delete names; it points nowhere). */
    public record VniMac(Vni vni, Mac mac) {
    }

    /** A flood-list entry; {@code cluster}: added by the cluster sync. */
    public record FloodEntry(IpAddress dst, boolean cluster) {
    }

    private final Vteps v;
    private final Datapath dp;

    FdbService(Vteps v) {
        this.v = v;
        this.dp = v.dp;
    }

    /**
     * `bridge fdb add MAC dst IP` (static), or with the all-zero MAC `bridge fdb append`: one
     * more flood destination. {@code ifname} instead of {@code dst} pins the MAC to a local port.
     * A learned entry for the MAC is replaced; a static or cluster one is a conflict.
     */
    public FdbEntry add(Vni vni, Mac mac, IpAddress dst, String ifname) {
        return write(vni, mac, dst, ifname, false).entry();
    }

    /**
     * `bridge fdb replace MAC dst IP` (or `port IF`): writes a static entry whatever was there.
     * For the all-zero MAC, the kernel's replace of the default destination: nothing to do when
     * {@code dst} is already in the flood list, else it takes the first entry's place (or is
     * appended to an empty list).
     */
    public FdbWrite replace(Vni vni, Mac mac, IpAddress dst, String ifname) {
        return write(vni, mac, dst, ifname, true);
    }

    private FdbWrite write(Vni vniArg, Mac mac, IpAddress dstArg, String ifname, boolean replace) {
        synchronized (v) {
            VniCfg cfg = v.requireVni(vniArg);
            if (mac == null) {
                throw VtepException.invalid("mac", "mac is required");
            }
            if (mac.isMulticast()) {
                throw VtepException.invalid("mac", "multicast MACs are flooded, not looked up: " + mac);
            }
            if ((dstArg == null) == (ifname == null)) {
                throw VtepException.invalid("dst", "give exactly one of dst (remote VTEP) and ifname (local port)");
            }
            Vni vni = new Vni(cfg.vni());
            if (mac.isZero()) {
                if (ifname != null) {
                    throw VtepException.invalid("ifname", "the all-zero MAC only takes remote destinations (dst)");
                }
                return writeFlood(cfg, Vteps.destination(cfg, dstArg, "dst"), replace);
            }
            IpAddress dst = null;
            int ifindex = 0;
            if (dstArg != null) {
                dst = Vteps.destination(cfg, dstArg, "dst");
            } else {
                ifindex = v.requireInterface(ifname, "ifname");
                Optional<PortCfg> p = dp.ports().get(ifindex);
                if (p.isEmpty() || p.get().vni() != cfg.vni()) {
                    throw VtepException.invalid("ifname", ifname + " is not a port of VNI " + cfg.vni());
                }
            }
            FdbKey key = new FdbKey(cfg.vni(), mac);
            Optional<FdbValue> old = dp.fdb().get(key);
            if (!replace && old.isPresent() && (old.get().flags() & (FdbValue.F_STATIC | FdbValue.F_CLUSTER)) != 0) {
                throw VtepException.conflict("mac", mac + " already has a " + typeOf(old.get()).label()
                        + " entry in VNI " + cfg.vni());
            }
            FdbValue now = new FdbValue(dst, ifindex, FdbValue.F_STATIC, System.nanoTime());
            dp.fdb().put(key, now);
            v.fdbCounts.changed(old.orElse(null), now);
            if (dst != null) {
                v.vtepAdded(dst);
            }
            if (ifindex != 0) {
                v.localChanged(cfg.vni());
            }
            return new FdbWrite(new FdbEntry(vni, mac, dst, ifindex,
                    ifindex == 0 ? null : ifname, FdbType.STATIC, 0), old.isEmpty());
        }
    }

    private FdbWrite writeFlood(VniCfg cfg, IpAddress dst, boolean replace) {
        FdbEntry fe = new FdbEntry(new Vni(cfg.vni()), Mac.ZERO, dst, 0, null, FdbType.STATIC, -1);
        List<IpAddress> floodList = dp.flood().of(cfg.vni());
        if (replace) {
            if (floodList.contains(dst)) {
                return new FdbWrite(fe, false);
            }
            if (!floodList.isEmpty()) {
                dp.flood().replace(cfg.vni(), floodList.get(0), dst);
            } else {
                dp.flood().add(cfg.vni(), dst, 0);
                v.fdbCounts.flood(1);
            }
            v.vtepAdded(dst);
            return new FdbWrite(fe, floodList.isEmpty());
        }
        if (floodList.contains(dst)) {
            throw VtepException.conflict("dst", dst + " is already a flood destination of VNI " + cfg.vni());
        }
        if (cfg.nFlood() >= Datapath.MAX_FLOOD) {
            throw VtepException.conflict("dst", "VNI " + cfg.vni() + " already has " + Datapath.MAX_FLOOD
                    + " flood destinations");
        }
        dp.flood().add(cfg.vni(), dst, 0);
        v.fdbCounts.flood(1);
        v.vtepAdded(dst);
        return new FdbWrite(fe, true);
    }

    /**
     * Many static entries at once (replace semantics, like `bridge fdb replace` for each), all or
     * nothing: see {@link FdbBulk}.
     *
     * @return the number of entries written
     */
    public int bulk(Vni vni, List<FdbSpec> specs) {
        synchronized (v) {
            return new FdbBulk(v).write(v.requireVni(vni), specs);
        }
    }

    /** Flood-list entries (all-zero MAC) first, then entries by MAC; {@code type} (null: all) filters. */
    public List<FdbEntry> list(Vni vniArg, FdbType type) {
        synchronized (v) {
            VniCfg cfg = v.requireVni(vniArg);
            Vni vni = new Vni(cfg.vni());
            List<FdbEntry> out = new ArrayList<>();
            if (type == null || type == FdbType.STATIC) {
                for (IpAddress dst : dp.flood().of(cfg.vni())) {
                    out.add(new FdbEntry(vni, Mac.ZERO, dst, 0, null, FdbType.STATIC, -1));
                }
            }
            long now = System.nanoTime();
            List<FdbEntry> macs = new ArrayList<>();
            for (Map.Entry<FdbKey, FdbValue> e : dp.fdb().of(cfg.vni()).entrySet()) {
                FdbEntry fe = entry(vni, e.getKey().mac(), e.getValue(), now, true);
                if (fe != null && (type == null || fe.type() == type)) {
                    macs.add(fe);
                }
            }
            macs.sort(Comparator.comparing(FdbEntry::mac));
            out.addAll(macs);
            return out;
        }
    }

    /** `bridge fdb del`: one entry, or with the all-zero MAC one flood destination ({@code dst}) or all. */
    public void delete(Vni vni, Mac mac, IpAddress dstArg) {
        synchronized (v) {
            VniCfg cfg = v.requireVni(vni);
            if (mac == null) {
                throw VtepException.invalid("mac", "mac is required");
            }
            IpAddress dst = dstArg == null ? null : Vteps.underlayAddress(dstArg, "dst");
            if (mac.isZero()) {
                List<IpAddress> flood = dp.flood().of(cfg.vni());
                if (dst != null) {
                    if (!flood.contains(dst)) {
                        throw VtepException.notFound("dst", dst + " is not a flood destination of VNI " + cfg.vni());
                    }
                    dp.flood().remove(cfg.vni(), dst, 0);
                    v.fdbCounts.flood(-1);
                    return;
                }
                if (flood.isEmpty()) {
                    throw VtepException.notFound("mac", "VNI " + cfg.vni() + " has no all-zero entries");
                }
                for (IpAddress d : flood) {
                    dp.flood().remove(cfg.vni(), d, 0);
                }
                v.fdbCounts.flood(-flood.size());
                return;
            }
            FdbKey key = new FdbKey(cfg.vni(), mac);
            Optional<FdbValue> cur = dp.fdb().get(key);
            if (cur.isEmpty()) {
                throw VtepException.notFound("mac", "no entry for " + mac + " in VNI " + cfg.vni());
            }
            if (dst != null && !dst.equals(cur.get().remote())) {
                throw VtepException.notFound("dst", mac + " in VNI " + cfg.vni() + " does not point at " + dst);
            }
            dp.fdb().delete(key);
            v.fdbCounts.changed(cur.get(), null);
            v.localChanged(cfg.vni());
        }
    }

    // ------------------------------------------------------------------ cluster programming

    /** Every MAC entry of every VNI (no flood entries; ifname not looked up: cheap for large FDBs). */
    public List<FdbEntry> entries() {
        long now = System.nanoTime();
        List<FdbEntry> l = new ArrayList<>();
        dp.fdb().of(0).forEach((k, val) -> {
            FdbEntry e = entry(new Vni(k.vni()), k.mac(), val, now, false);
            if (e != null) {
                l.add(e);
            }
        });
        return l;
    }

    /** One MAC entry (ifname not looked up). */
    public Optional<FdbEntry> entry(Vni vni, Mac mac) {
        return dp.fdb().get(new FdbKey(vni.value(), mac)).map(val -> entry(vni, mac, val, System.nanoTime(), false));
    }

    /**
     * Writes cluster entries (MAC behind its VTEP, flagged FDB_F_CLUSTER) except over static entries,
     * and removes the entries of {@code deletes} that are cluster entries, both as the map holds them
     * under the lock; more than a few go as one batch each. A delete is a key: it points nowhere.
     */
    public void programCluster(Map<VniMac, IpAddress> puts, Collection<VniMac> deletes) {
        Map<FdbKey, FdbValue> batch = new HashMap<>();
        long now = System.nanoTime();
        puts.forEach((k, dst) -> batch.put(new FdbKey(k.vni().value(), k.mac()),
                new FdbValue(Vteps.underlayAddress(dst, "dst"), 0, FdbValue.F_CLUSTER, now)));
        List<FdbKey> dels = new ArrayList<>(deletes.size());
        for (VniMac k : deletes) {
            dels.add(new FdbKey(k.vni().value(), k.mac()));
        }
        synchronized (v) {
            // decided here, under the lock the API writes under, not on the caller's earlier read: an
            // operator's static entry written meanwhile stays, and only cluster entries are deleted
            Map<FdbKey, FdbValue> old = dp.fdb().getAll(batch.keySet());
            batch.keySet().removeIf(k -> old.containsKey(k) && (old.get(k).flags() & FdbValue.F_STATIC) != 0);
            // a VNI is one family: a VTEP of the other family (a node without an address of it) is left out
            Map<Integer, Optional<IpAddress.Family>> families = new HashMap<>();
            batch.entrySet().removeIf(en -> families.computeIfAbsent(en.getKey().vni(),
                    n -> dp.vnis().get(n).map(Vteps::family)).filter(f -> f != en.getValue().remote().family()).isPresent());
            Map<FdbKey, FdbValue> deleting = new HashMap<>();
            for (FdbKey k : dels) {
                dp.fdb().get(k).filter(e -> (e.flags() & FdbValue.F_CLUSTER) != 0).ifPresent(e -> deleting.put(k, e));
            }
            if (batch.size() > 8) {
                dp.fdb().putBatch(batch);
            } else {
                batch.forEach(dp.fdb()::put);
            }
            v.fdbCounts.changed(old, batch);
            if (deleting.size() > 8) {
                dp.fdb().deleteBatch(deleting.keySet());
            } else {
                deleting.keySet().forEach(dp.fdb()::delete);
            }
            deleting.values().forEach(e -> v.fdbCounts.changed(e, null));
        }
    }

    /** How many destinations a VNI's flood list holds at most. */
    public int maxFlood() {
        return Datapath.MAX_FLOOD;
    }

    /** The VNI's flood list with each entry's origin (empty when the VNI is missing). */
    public List<FloodEntry> floodEntries(Vni vni) {
        List<FloodEntry> l = new ArrayList<>();
        for (FloodDst f : dp.flood().entries(vni.value())) {
            l.add(new FloodEntry(f.dst(), (f.flags() & FloodDst.F_CLUSTER) != 0));
        }
        return l;
    }

    /** Adds a cluster flood destination; true when it is (or already was) in the list, false when the VNI is missing or full. */
    public boolean addClusterFlood(Vni vni, IpAddress dst) {
        IpAddress d = Vteps.underlayAddress(dst, "dst");
        synchronized (v) {
            Optional<VniCfg> cfg = dp.vnis().get(vni.value());
            if (cfg.isEmpty() || Vteps.family(cfg.get()) != d.family()) { // a VNI is one family
                return false;
            }
            if (dp.flood().of(vni.value()).contains(d)) {
                return true;
            }
            if (cfg.get().nFlood() >= Datapath.MAX_FLOOD) {
                return false;
            }
            dp.flood().add(vni.value(), d, FloodDst.F_CLUSTER);
            v.fdbCounts.flood(1);
            return true;
        }
    }

    /** Removes {@code dst} if the cluster sync added it (an operator's entry stays). */
    public boolean removeClusterFlood(Vni vni, IpAddress dst) {
        synchronized (v) {
            boolean removed = dp.flood().remove(vni.value(), Vteps.underlayAddress(dst, "dst"), FloodDst.F_CLUSTER);
            if (removed) {
                v.fdbCounts.flood(-1);
            }
            return removed;
        }
    }

    static FdbType typeOf(FdbValue val) {
        if ((val.flags() & FdbValue.F_STATIC) != 0) {
            return FdbType.STATIC;
        }
        if ((val.flags() & FdbValue.F_CLUSTER) != 0) {
            return FdbType.CLUSTER;
        }
        return val.ifindex() != 0 ? FdbType.LOCAL : FdbType.LEARNED;
    }

    private static FdbEntry entry(Vni vni, Mac mac, FdbValue val, long now, boolean withIfname) {
        IpAddress dst = val.ifindex() == 0 ? val.remote() : null;
        if (dst == null && val.ifindex() == 0) {
            return null; // neither a VTEP nor a port: not an entry the datapath can use
        }
        long age = val.updatedNs() == 0 ? -1 : Math.max(0, (now - val.updatedNs()) / 1_000_000_000L);
        String ifname = val.ifindex() == 0 || !withIfname ? null : Interfaces.name(val.ifindex()).orElse(null);
        return new FdbEntry(vni, mac, dst, val.ifindex(), ifname, typeOf(val), age);
    }
}
