package io.xvtep.cluster;

import io.xvtep.cluster.Keys.Ep;
import io.xvtep.cluster.StoreRecords.Outer;
import io.xvtep.cluster.StoreRecords.VniRecord;
import io.xvtep.model.FdbEntry;
import io.xvtep.model.FdbType;
import io.xvtep.model.IpAddress;
import io.xvtep.model.IpAddress.Family;
import io.xvtep.model.Mac;
import io.xvtep.model.Vni;
import io.xvtep.model.VniConfig;
import io.xvtep.model.VniConfig.Df;
import io.xvtep.service.FdbService.VniMac;
import io.xvtep.service.PortView;
import io.xvtep.service.Services;
import io.xvtep.service.VniSpec;
import io.xvtep.service.VniSpec.Inheritable;
import io.xvtep.service.VniView;
import io.xvtep.service.VtepListener;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@link NodeTables} on the agent's services: VNIs with the API's validation, cluster FDB,
 * neighbour and flood entries through the FDB/neighbour services' cluster operations (which
 * keep the FDB_F_CLUSTER / FLOOD_F_CLUSTER origin flags).
 */
public final class ServiceNodeTables implements NodeTables {

    private final Services services;
    /** The thread applying a change from the store: the services' listener does not report it back. */
    private volatile Thread applying;

    public ServiceNodeTables(Services services) {
        this.services = services;
    }

    // ---- VNIs

    @Override
    public Set<Integer> vnis() {
        Set<Integer> s = new HashSet<>();
        services.vnis().numbers().forEach(v -> s.add(v.value()));
        return s;
    }

    @Override
    public Optional<Family> family(int vni) {
        return services.vnis().family(new Vni(vni));
    }

    @Override
    public Optional<VniRecord> vni(int vni) {
        return services.vnis().find(new Vni(vni)).map(ServiceNodeTables::record);
    }

    private static VniRecord record(VniView v) {
        VniConfig c = v.config();
        boolean v6 = c.family() == Family.IPV6;
        return new VniRecord(c.vni().value(), c.dstport(), c.group(),
                outer(c.ttl(), c.ttlInherit()), outer(c.tos(), c.tosInherit()), c.df().label(), c.learning(), c.proxy(),
                c.l2miss(), c.l3miss(), c.ageing(), c.srcportMin(), c.srcportMax(), c.mtu(), v.allowedSrc(),
                c.family(), v6 ? c.udp6zerocsumtx() : null, v6 ? c.udp6zerocsumrx() : null,
                v6 ? outer(c.flowlabel(), c.flowlabelInherit()) : null);
    }

    private static Outer outer(int value, boolean inherit) {
        return inherit ? Outer.INHERIT : new Outer(value, false);
    }

    /** ttl 0 is "auto" (a VNI with a group), as the API writes it. */
    private static Inheritable ttl(Outer o) {
        return o != null && !o.inherit() && o.value() == 0 ? Inheritable.AUTO : spec(o);
    }

    private static Inheritable spec(Outer o) {
        return o == null ? null : o.inherit() ? Inheritable.INHERIT : Inheritable.of(o.value());
    }

    private static Long spec(Integer i) {
        return i == null ? null : i.longValue();
    }

    private static List<IpAddress> spec(List<IpAddress> l) {
        return l;
    }

    private static Df df(String label) {
        return label == null ? null : Arrays.stream(Df.values()).filter(d -> d.label().equals(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("df must be unset, set or inherit: " + label));
    }

    @Override
    public void createVni(VniRecord r) {
        // the VNI's family: its group's, else this node's local address of the stored family (a node without
        // one refuses the VNI, counted as a refused replication)
        IpAddress local = r.group() != null ? null : services.locals().of(r.familyOrDefault());
        if (r.group() == null && local == null) {
            throw new IllegalArgumentException("VNI " + r.vni() + " is " + r.familyOrDefault()
                    + " and this node has no local address of that family (--local)");
        }
        IpAddress own = local != null && local.family() != services.locals().defaultFamily() ? local : null;
        applying(() -> services.vnis().create(new VniSpec(new Vni(r.vni()), spec(r.dstport()), own, null,
                r.group(), ttl(r.ttl()), spec(r.tos()), df(r.df()),
                r.learning(), r.proxy(), r.l2miss(), r.l3miss(), spec(r.ageing()), spec(r.srcportMin()),
                spec(r.srcportMax()), spec(r.mtu()), null, spec(r.allowedSrc()), null, r.udp6zerocsumtx(),
                r.udp6zerocsumrx(), spec(r.flowlabel()))));
    }

    @Override
    public void updateVni(VniRecord r) {
        applying(() -> services.vnis().patch(new Vni(r.vni()), new VniSpec(null, null, null, null, null,
                ttl(r.ttl()), spec(r.tos()), df(r.df()), r.learning(), r.proxy(), r.l2miss(), r.l3miss(),
                spec(r.ageing()), spec(r.srcportMin()), spec(r.srcportMax()), spec(r.mtu()), null,
                spec(r.allowedSrc()), null, null, null, spec(r.flowlabel()))));
    }

    @Override
    public void deleteVni(int vni) {
        applying(() -> services.vnis().delete(new Vni(vni)));
    }

    @Override
    public long maxaddress(int vni) {
        return services.vnis().find(new Vni(vni)).map(VniView::maxaddress).orElse(0L);
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
        services.addListener(new VtepListener() {
            private boolean ours() {
                return applying == Thread.currentThread();
            }

            @Override
            public void vniCreated(int vni) {
                if (!ours()) {
                    l.created(vni, record(services.vnis().get(new Vni(vni)))); // as it is now (lock held)
                }
            }

            @Override
            public void vniUpdated(int vni) {
                if (!ours()) {
                    l.updated(vni, record(services.vnis().get(new Vni(vni))));
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
        services.addListener(new VtepListener() {
            @Override
            public void localChanged(int vni) {
                changed.run();
            }
        });
    }

    @Override
    public Set<Integer> vnisWithPorts() {
        Set<Integer> s = new HashSet<>();
        for (PortView p : services.ports().all()) {
            s.add(p.vni());
        }
        return s;
    }

    // ---- FDB

    private static Fdb fdb(FdbEntry e) {
        return new Fdb(e.dst(), e.ifindex(), e.type() == FdbType.STATIC,
                e.type() == FdbType.CLUSTER);
    }

    @Override
    public Optional<Fdb> fdb(Ep ep) {
        return services.fdb().entry(new Vni(ep.vni()), ep.mac()).map(ServiceNodeTables::fdb);
    }

    @Override
    public Map<Ep, Fdb> fdbAll() {
        Map<Ep, Fdb> m = new HashMap<>();
        for (FdbEntry e : services.fdb().entries()) {
            m.put(new Ep(e.vni().value(), e.mac()), fdb(e));
        }
        return m;
    }

    /** Cluster entries written; {@code deletes} are the caller's cluster entries to remove. */
    @Override
    public void writeFdb(Map<Ep, IpAddress> puts, Collection<Ep> deletes) {
        Map<VniMac, IpAddress> p = new HashMap<>(puts.size() * 4 / 3 + 1);
        puts.forEach((ep, to) -> p.put(key(ep), to));
        // deletes are keys: an entry type would need a destination, which a delete does not have
        List<VniMac> d = new ArrayList<>(deletes.size());
        deletes.forEach(ep -> d.add(key(ep)));
        services.fdb().programCluster(p, d);
    }

    private static VniMac key(Ep ep) {
        return new VniMac(new Vni(ep.vni()), ep.mac());
    }

    // ---- neighbours

    @Override
    public Map<InetAddress, Mac> neigh(int vni) {
        Map<InetAddress, Mac> m = new LinkedHashMap<>();
        services.neigh().entries(new Vni(vni)).forEach((ip, mac) -> m.put(ip.inet(), mac));
        return m;
    }

    @Override
    public void putNeigh(int vni, InetAddress ip, Mac mac) {
        services.neigh().program(new Vni(vni), new IpAddress(ip), mac);
    }

    @Override
    public void deleteNeigh(int vni, InetAddress ip, Mac mac) {
        services.neigh().remove(new Vni(vni), new IpAddress(ip), mac);
    }

    // ---- flood lists

    @Override
    public List<Flood> flood(int vni) {
        return services.fdb().floodEntries(new Vni(vni)).stream()
                .map(f -> new Flood(f.dst(), f.cluster())).toList();
    }

    @Override
    public boolean addClusterFlood(int vni, IpAddress dst) {
        return services.fdb().addClusterFlood(new Vni(vni), dst);
    }

    @Override
    public void removeClusterFlood(int vni, IpAddress dst) {
        services.fdb().removeClusterFlood(new Vni(vni), dst);
    }

    @Override
    public int maxFlood() {
        return services.fdb().maxFlood();
    }
}
