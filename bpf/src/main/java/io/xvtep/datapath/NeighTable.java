package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * xvtep_neigh (IPv4) and xvtep_neigh6 (IPv6): what the ARP/ND proxy answers,
 * `ip neigh replace IP lladdr MAC` per VNI.
 */
public final class NeighTable {

    private final Object lock;
    private final BpfMap neigh;
    private final BpfMap neigh6;

    NeighTable(Object lock, BpfMap neigh, BpfMap neigh6) {
        this.lock = lock;
        this.neigh = neigh;
        this.neigh6 = neigh6;
    }

    private static byte[] key(int vni, IpAddress ip) {
        return ip.isIpv4() ? new NeighKey(vni, ip.toIpv4()).encode() : new Neigh6Key(vni, ip.bytes()).encode();
    }

    private BpfMap map(IpAddress.Family f) {
        return f == IpAddress.Family.IPV4 ? neigh : neigh6;
    }

    public int maxEntries(IpAddress.Family f) {
        return map(f).maxEntries();
    }

    /**
     * Entries in use of one address family (a key walk without the lock: a metrics scrape must
     * not wait for a writer's walk of a large table).
     */
    public int count(IpAddress.Family f) {
        return map(f).keys().size();
    }

    public void put(int vni, IpAddress ip, Mac mac) {
        synchronized (lock) {
            map(ip.family()).update(key(vni, ip), new NeighEntry(mac, 0).encode(), UpdateFlag.ANY);
        }
    }

    public boolean delete(int vni, IpAddress ip) {
        synchronized (lock) {
            return map(ip.family()).delete(key(vni, ip));
        }
    }

    /** The entries of one VNI (IPv4 then IPv6), or of every VNI when {@code vni} is 0. */
    public Map<IpAddress, Mac> of(int vni) {
        synchronized (lock) {
            Map<IpAddress, Mac> m = new LinkedHashMap<>();
            for (BpfMap.Entry e : neigh.entries()) {
                NeighKey k = NeighKey.decode(e.key());
                if (vni == 0 || k.vni() == vni) {
                    m.put(IpAddress.of(k.ip()), NeighEntry.decode(e.value()).mac());
                }
            }
            for (BpfMap.Entry e : neigh6.entries()) {
                Neigh6Key k = Neigh6Key.decode(e.key());
                if (vni == 0 || k.vni() == vni) {
                    m.put(IpAddress.of(k.ip()), NeighEntry.decode(e.value()).mac());
                }
            }
            return m;
        }
    }

    /** Writes many entries of one VNI with one batch update per address family. */
    public int putBatch(int vni, Map<IpAddress, Mac> entries) {
        List<byte[]> k4 = new ArrayList<>(), v4 = new ArrayList<>(), k6 = new ArrayList<>(), v6 = new ArrayList<>();
        for (Map.Entry<IpAddress, Mac> e : entries.entrySet()) {
            boolean four = e.getKey().isIpv4();
            (four ? k4 : k6).add(key(vni, e.getKey()));
            (four ? v4 : v6).add(new NeighEntry(e.getValue(), 0).encode());
        }
        synchronized (lock) {
            int n = neigh.updateBatch(k4, v4, UpdateFlag.ANY);
            return n + neigh6.updateBatch(k6, v6, UpdateFlag.ANY);
        }
    }

    /** Deletes many entries of one VNI; absent ones are skipped. */
    public int deleteBatch(int vni, Collection<IpAddress> ips) {
        List<byte[]> k4 = new ArrayList<>(), k6 = new ArrayList<>();
        for (IpAddress ip : ips) {
            (ip.isIpv4() ? k4 : k6).add(key(vni, ip));
        }
        synchronized (lock) {
            return neigh.deleteBatch(k4) + neigh6.deleteBatch(k6);
        }
    }

    void deleteVni(int vni) {
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
    }
}
