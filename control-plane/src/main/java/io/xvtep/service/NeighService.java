package io.xvtep.service;

import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.VniCfg;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;
import io.xvtep.model.Vni;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The neighbour table the ARP/ND proxy answers from: `ip neigh add IP lladdr MAC dev vxlan0`. */
public final class NeighService {

    /** One entry of a bulk request. */
    public record NeighSpec(IpAddress ip, Mac mac) {
    }

    private final Vteps v;
    private final Datapath dp;

    NeighService(Vteps v) {
        this.v = v;
        this.dp = v.dp;
    }

    /** 409 when the address has an entry already. */
    public NeighView add(Vni vni, IpAddress ipArg, Mac macArg) {
        synchronized (v) {
            VniCfg cfg = v.requireVni(vni);
            IpAddress ip = address(ipArg, "ip");
            Mac mac = neighMac(macArg, "mac");
            Map<IpAddress, Mac> cur = dp.neigh().of(cfg.vni());
            if (cur.containsKey(ip)) {
                throw VtepException.conflict("ip", ip + " already has an entry (" + cur.get(ip) + ") in VNI " + cfg.vni());
            }
            room(ip.isIpv4() ? 1 : 0, ip.isIpv4() ? 0 : 1);
            dp.neigh().put(cfg.vni(), ip, mac);
            v.localChanged(cfg.vni());
            return new NeighView(cfg.vni(), ip, mac);
        }
    }

    /** IPv4 first, then IPv6, each by address. */
    public List<NeighView> list(Vni vni) {
        synchronized (v) {
            VniCfg cfg = v.requireVni(vni);
            List<NeighView> l = new ArrayList<>();
            dp.neigh().of(cfg.vni()).forEach((ip, mac) -> l.add(new NeighView(cfg.vni(), ip, mac)));
            l.sort(Comparator.comparing(NeighView::ip));
            return l;
        }
    }

    public void delete(Vni vni, IpAddress ipArg) {
        synchronized (v) {
            VniCfg cfg = v.requireVni(vni);
            IpAddress ip = address(ipArg, "ip");
            if (!dp.neigh().delete(cfg.vni(), ip)) {
                throw VtepException.notFound("ip", "no neighbour entry for " + ip + " in VNI " + cfg.vni());
            }
            v.localChanged(cfg.vni());
        }
    }

    /** Many entries at once (replace semantics), all or nothing like {@link FdbService#bulk}. */
    public int bulk(Vni vni, List<NeighSpec> specs) {
        synchronized (v) {
            VniCfg cfg = v.requireVni(vni);
            Map<IpAddress, Mac> batch = new LinkedHashMap<>();
            for (int i = 0; i < specs.size(); i++) {
                NeighSpec n = specs.get(i);
                String at = "entries[" + i + "].";
                if (n == null) {
                    throw VtepException.invalid("entries[" + i + "]", "entries must be objects");
                }
                IpAddress ip = address(n.ip(), at + "ip");
                Mac mac = neighMac(n.mac(), at + "mac");
                if (batch.put(ip, mac) != null) {
                    throw VtepException.invalid(at + "ip", ip + " is listed twice");
                }
            }
            if (batch.isEmpty()) {
                return 0;
            }
            Map<IpAddress, Mac> previous = new LinkedHashMap<>();
            List<IpAddress> added = new ArrayList<>();
            Map<IpAddress, Mac> cur = dp.neigh().of(cfg.vni());
            int new4 = 0;
            int new6 = 0;
            for (IpAddress ip : batch.keySet()) {
                if (cur.containsKey(ip)) {
                    previous.put(ip, cur.get(ip));
                } else {
                    added.add(ip);
                    if (ip.isIpv4()) {
                        new4++;
                    } else {
                        new6++;
                    }
                }
            }
            room(new4, new6);
            try {
                dp.neigh().putBatch(cfg.vni(), batch);
            } catch (RuntimeException e) {
                try {
                    dp.neigh().deleteBatch(cfg.vni(), added);
                    dp.neigh().putBatch(cfg.vni(), previous);
                } catch (RuntimeException r) {
                    e.addSuppressed(r);
                }
                throw e;
            }
            v.localChanged(cfg.vni());
            return batch.size();
        }
    }

    // ------------------------------------------------------------------ cluster programming

    /** The VNI's entries (empty when the VNI is missing). */
    public Map<IpAddress, Mac> entries(Vni vni) {
        return dp.neigh().of(vni.value());
    }

    /** Writes an entry whatever was there (the cluster store is authoritative for its MACs). */
    public void program(Vni vni, IpAddress ip, Mac mac) {
        synchronized (v) {
            dp.neigh().put(vni.value(), ip, mac);
        }
    }

    /**
     * Removes the entry of {@code ip} if it still names {@code mac}, decided under the lock: an entry
     * the operator re-pointed since the cluster programmed it stays.
     */
    public boolean remove(Vni vni, IpAddress ip, Mac mac) {
        synchronized (v) {
            Mac cur = dp.neigh().of(vni.value()).get(ip);
            return mac.equals(cur) && dp.neigh().delete(vni.value(), ip);
        }
    }

    private void room(int new4, int new6) {
        for (IpAddress.Family f : IpAddress.Family.values()) {
            int adding = f == IpAddress.Family.IPV4 ? new4 : new6;
            if (adding == 0) {
                continue;
            }
            int max = dp.neigh().maxEntries(f);
            if (dp.neigh().count(f) + adding > max) {
                throw VtepException.conflict("ip", "the neighbour table holds at most " + max
                        + " entries per address family");
            }
        }
    }

    /** A unicast address (IPv4 or IPv6). */
    private static IpAddress address(IpAddress ip, String field) {
        if (ip == null) {
            throw VtepException.invalid(field, field + " is required");
        }
        if (ip.isZero() || ip.isMulticast()) {
            throw VtepException.invalid(field, "not a unicast address: " + ip);
        }
        return ip;
    }

    private static Mac neighMac(Mac mac, String field) {
        if (mac == null) {
            throw VtepException.invalid(field, field + " is required");
        }
        if (mac.isZero() || mac.isMulticast()) {
            throw VtepException.invalid(field, "a neighbour needs a unicast MAC: " + mac);
        }
        return mac;
    }
}
