package io.xvtep.cluster;

import io.xvtep.agent.VniSpec;
import io.xvtep.agent.Views.VniView;
import io.xvtep.agent.VtepService;
import io.xvtep.cluster.Keys.Ep;
import io.xvtep.cluster.StoreRecords.Outer;
import io.xvtep.cluster.StoreRecords.VniRecord;
import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.MapCodec.FdbKey;
import io.xvtep.datapath.MapCodec.FdbValue;
import io.xvtep.datapath.MapCodec.FloodDst;
import io.xvtep.datapath.MapCodec.PortCfg;
import io.xvtep.datapath.MapCodec.VniCfg;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;
import io.xvtep.model.VniConfig;

import java.net.InetAddress;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@link NodeTables} on the agent's service (VNIs, with the API's validation) and datapath
 * tables (cluster FDB, neighbour and flood entries).
 */
public final class ServiceNodeTables implements NodeTables {

    private final VtepService service;
    private final Datapath dp;
    /** The thread applying a change from the store: the service's listener does not report it back. */
    private volatile Thread applying;

    public ServiceNodeTables(VtepService service) {
        this.service = service;
        this.dp = service.datapath();
    }

    // ---- VNIs

    @Override
    public Set<Integer> vnis() {
        Set<Integer> s = new HashSet<>();
        dp.vnis().forEach(c -> s.add(c.vni()));
        return s;
    }

    @Override
    public Optional<VniRecord> vni(int vni) {
        return dp.vni(vni).isEmpty() ? Optional.empty() : Optional.of(record(service.getVni(String.valueOf(vni))));
    }

    private static VniRecord record(VniView v) {
        VniConfig c = v.config();
        return new VniRecord(c.vni().value(), c.dstport(), c.group(), outer(c.ttl(), c.ttlInherit()),
                outer(c.tos(), c.tosInherit()), c.df().label(), c.learning(), c.proxy(), c.l2miss(), c.l3miss(),
                c.ageing(), c.srcportMin(), c.srcportMax(), c.mtu(), v.allowedSrc());
    }

    private static Outer outer(int value, boolean inherit) {
        return inherit ? Outer.INHERIT : new Outer(value, false);
    }

    private static Object spec(Outer o) {
        return o == null ? null : o.inherit() ? "inherit" : (Object) (long) o.value();
    }

    private static Long spec(Integer i) {
        return i == null ? null : i.longValue();
    }

    private static List<String> spec(List<Ipv4> l) {
        return l == null ? null : l.stream().map(Ipv4::toString).toList();
    }

    @Override
    public void createVni(VniRecord r) {
        applying(() -> service.createVni(new VniSpec((long) r.vni(), spec(r.dstport()), null, null,
                r.group() == null ? null : r.group().toString(), spec(r.ttl()), spec(r.tos()), r.df(), r.learning(),
                r.proxy(), r.l2miss(), r.l3miss(), spec(r.ageing()), spec(r.srcportMin()), spec(r.srcportMax()),
                spec(r.mtu()), null, spec(r.allowedSrc()))));
    }

    @Override
    public void updateVni(VniRecord r) {
        applying(() -> service.patchVni(String.valueOf(r.vni()), new VniSpec(null, null, null, null, null,
                spec(r.ttl()), spec(r.tos()), r.df(), r.learning(), r.proxy(), r.l2miss(), r.l3miss(),
                spec(r.ageing()), spec(r.srcportMin()), spec(r.srcportMax()), spec(r.mtu()), null,
                spec(r.allowedSrc()))));
    }

    @Override
    public void deleteVni(int vni) {
        applying(() -> service.deleteVni(String.valueOf(vni)));
    }

    private void applying(Runnable r) {
        applying = Thread.currentThread();
        try {
            r.run();
        } finally {
            applying = null;
        }
    }

    @Override
    public void onVniChanges(VniChanges l) {
        service.addListener(new VtepService.Listener() {
            private boolean ours() {
                return applying == Thread.currentThread();
            }

            @Override
            public void vniCreated(int vni) {
                if (!ours()) {
                    l.created(vni, record(service.getVni(String.valueOf(vni)))); // as it is now (lock held)
                }
            }

            @Override
            public void vniUpdated(int vni) {
                if (!ours()) {
                    l.updated(vni, record(service.getVni(String.valueOf(vni))));
                }
            }

            @Override
            public void vniDeleted(int vni) {
                if (!ours()) {
                    l.deleted(vni);
                }
            }
        });
    }

    @Override
    public void onLocalChanges(Runnable changed) {
        service.addListener(new VtepService.Listener() {
            @Override
            public void vniCreated(int vni) {
            }

            @Override
            public void vniDeleted(int vni) {
            }

            @Override
            public void localChanged(int vni) {
                changed.run();
            }
        });
    }

    @Override
    public Set<Integer> vnisWithPorts() {
        Set<Integer> s = new HashSet<>();
        for (PortCfg p : dp.ports().values()) {
            s.add(p.vni());
        }
        return s;
    }

    // ---- FDB

    private static Fdb fdb(FdbValue v) {
        return new Fdb(v.remote(), v.ifindex(), (v.flags() & FdbValue.F_STATIC) != 0,
                (v.flags() & FdbValue.F_CLUSTER) != 0);
    }

    @Override
    public Optional<Fdb> fdb(Ep ep) {
        return dp.fdb(new FdbKey(ep.vni(), ep.mac())).map(ServiceNodeTables::fdb);
    }

    @Override
    public Map<Ep, Fdb> fdbAll() {
        Map<Ep, Fdb> m = new HashMap<>();
        dp.fdbOf(0).forEach((k, v) -> m.put(new Ep(k.vni(), k.mac()), fdb(v)));
        return m;
    }

    @Override
    public void writeFdb(Map<Ep, Ipv4> puts, Collection<Ep> deletes) {
        Map<FdbKey, FdbValue> p = new HashMap<>();
        long now = System.nanoTime();
        puts.forEach((ep, to) -> p.put(new FdbKey(ep.vni(), ep.mac()), new FdbValue(to, 0, FdbValue.F_CLUSTER, now)));
        if (p.size() > 8) {
            dp.putFdbBatch(p);
        } else {
            p.forEach(dp::putFdb);
        }
        List<FdbKey> d = deletes.stream().map(ep -> new FdbKey(ep.vni(), ep.mac())).toList();
        if (d.size() > 8) {
            dp.deleteFdbBatch(d);
        } else {
            d.forEach(dp::deleteFdb);
        }
    }

    // ---- neighbours

    @Override
    public Map<InetAddress, Mac> neigh(int vni) {
        return dp.neighOf(vni);
    }

    @Override
    public void putNeigh(int vni, InetAddress ip, Mac mac) {
        dp.putNeigh(vni, ip, mac);
    }

    @Override
    public void deleteNeigh(int vni, InetAddress ip) {
        dp.deleteNeigh(vni, ip);
    }

    // ---- flood lists

    @Override
    public List<Flood> flood(int vni) {
        return dp.floodEntries(vni).stream()
                .map(f -> new Flood(f.dst(), (f.flags() & FloodDst.F_CLUSTER) != 0)).toList();
    }

    @Override
    public boolean addClusterFlood(int vni, Ipv4 dst) {
        Optional<VniCfg> c = dp.vni(vni);
        if (c.isEmpty() || c.get().nFlood() >= Datapath.MAX_FLOOD) {
            return false;
        }
        try {
            dp.addFlood(vni, dst, FloodDst.F_CLUSTER);
            return true;
        } catch (IllegalStateException | IllegalArgumentException e) {
            return dp.floodOf(vni).contains(dst); // added meanwhile (fine) or full / gone (refused)
        }
    }

    @Override
    public void removeClusterFlood(int vni, Ipv4 dst) {
        dp.removeFlood(vni, dst, FloodDst.F_CLUSTER);
    }

    @Override
    public int maxFlood() {
        return Datapath.MAX_FLOOD;
    }
}
