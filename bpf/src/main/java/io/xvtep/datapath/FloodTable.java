package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.model.IpAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * xvtep_flood: each VNI's flood list (the all-zero FDB entries, `bridge fdb append
 * 00:00:00:00:00:00 dst X`), dense at idx 0..n_flood-1. An entry is written before n_flood
 * is raised and removed only after it was lowered, so the datapath never follows an index to
 * a missing entry. flood_dst.flags tells who added an entry (FloodDst.F_CLUSTER: the cluster sync).
 */
public final class FloodTable {

    private final Object lock;
    private final VniTable vnis;
    private final BpfMap flood;

    FloodTable(Object lock, VniTable vnis, BpfMap flood) {
        this.lock = lock;
        this.vnis = vnis;
        this.flood = flood;
    }

    /** The VNI's flood destinations in list order. */
    public List<IpAddress> of(int vni) {
        return entries(vni).stream().map(FloodDst::dst).toList();
    }

    /** The VNI's flood entries with their flags, in list order. */
    public List<FloodDst> entries(int vni) {
        synchronized (lock) {
            Optional<VniCfg> cfg = vnis.get(vni);
            List<FloodDst> l = new ArrayList<>();
            if (cfg.isEmpty()) {
                return l;
            }
            for (int i = 0; i < cfg.get().nFlood(); i++) {
                flood.lookup(new VniIdxKey(vni, i).encode()).ifPresent(v -> l.add(FloodDst.decode(v)));
            }
            return l;
        }
    }

    /** One more destination: entry first, then n_flood. */
    public void add(int vni, IpAddress dst, int flags) {
        synchronized (lock) {
            VniCfg cfg = vnis.get(vni).orElseThrow(() -> new IllegalArgumentException("no VNI " + vni));
            if (of(vni).contains(dst)) {
                throw new IllegalStateException(dst + " is already in the flood list of VNI " + vni);
            }
            if (cfg.nFlood() >= Abi.MAX_FLOOD) {
                throw new IllegalStateException("VNI " + vni + " already has " + Abi.MAX_FLOOD
                        + " flood destinations");
            }
            flood.update(new VniIdxKey(vni, cfg.nFlood()).encode(), new FloodDst(dst, flags).encode(), UpdateFlag.ANY);
            vnis.setCounts(cfg, cfg.nPorts(), cfg.nFlood() + 1);
        }
    }

    /** Puts {@code now} in the list slot of {@code old} (one write: the list never shrinks meanwhile). */
    public boolean replace(int vni, IpAddress old, IpAddress now) {
        synchronized (lock) {
            List<IpAddress> list = of(vni);
            int idx = list.indexOf(old);
            if (idx < 0 || list.contains(now)) {
                return false;
            }
            flood.update(new VniIdxKey(vni, idx).encode(), new FloodDst(now, 0).encode(), UpdateFlag.ANY);
            return true;
        }
    }

    /**
     * Removes {@code dst} when its flags include {@code requiredFlags} (0: any entry), keeping the
     * list dense: the last entry moves into the hole with its flags, n_flood drops, the old last
     * slot goes.
     */
    public boolean remove(int vni, IpAddress dst, int requiredFlags) {
        synchronized (lock) {
            Optional<VniCfg> c = vnis.get(vni);
            if (c.isEmpty()) {
                return false;
            }
            VniCfg cfg = c.get();
            List<FloodDst> list = entries(vni);
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
            vnis.setCounts(cfg, cfg.nPorts(), last);
            flood.delete(new VniIdxKey(vni, last).encode());
            return true;
        }
    }

    /** The initial list of a VNI not yet in xvtep_vnis. */
    void writeInitial(int vni, List<IpAddress> list) {
        for (int i = 0; i < list.size(); i++) {
            flood.update(new VniIdxKey(vni, i).encode(), new FloodDst(list.get(i), 0).encode(), UpdateFlag.ANY);
        }
    }

    /** Every slot of a VNI whose n_flood is already 0. */
    void clear(int vni, int n) {
        // the slots below n, and any written past it by an add that did not finish
        for (int i = 0; i < Abi.MAX_FLOOD; i++) {
            if (!flood.delete(new VniIdxKey(vni, i).encode()) && i >= n) {
                break;
            }
        }
    }
}
