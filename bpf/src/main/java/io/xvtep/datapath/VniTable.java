package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * xvtep_vnis (one vni_cfg per VNI) and xvtep_dstports (the UDP ports the datapath treats as
 * VXLAN, refcounted by the VNIs using them). The n_ports/n_flood counts of vni_cfg belong to
 * {@link PortTable} and {@link FloodTable}, its stats_slot to {@link StatsTable}: {@link #update} keeps them as stored.
 */
public final class VniTable {

    private final Object lock;
    private final BpfMap vnis;
    private final BpfMap dstports;

    VniTable(Object lock, BpfMap vnis, BpfMap dstports) {
        this.lock = lock;
        this.vnis = vnis;
        this.dstports = dstports;
    }

    public Optional<VniCfg> get(int vni) {
        synchronized (lock) {
            return vnis.lookup(MapCodec.u32(vni)).map(VniCfg::decode);
        }
    }

    /** All VNIs, by VNI. */
    public List<VniCfg> list() {
        synchronized (lock) {
            TreeMap<Integer, VniCfg> m = new TreeMap<>();
            for (BpfMap.Entry e : vnis.entries()) {
                VniCfg c = VniCfg.decode(e.value());
                m.put(c.vni(), c);
            }
            return new ArrayList<>(m.values());
        }
    }

    /** Replaces a VNI's settings, keeping its list counts; the dstport refcounts follow a dstport change. */
    public void update(VniCfg cfg) {
        synchronized (lock) {
            VniCfg old = get(cfg.vni()).orElseThrow(() -> new IllegalArgumentException("no VNI " + cfg.vni()));
            if (old.dstport() != cfg.dstport()) {
                dstportRef(cfg.dstport(), +1);
            }
            vnis.update(MapCodec.u32(cfg.vni()), cfg.withCounts(old.nPorts(), old.nFlood()).withStatsSlot(old.statsSlot())
                    .encode(), UpdateFlag.EXIST);
            if (old.dstport() != cfg.dstport()) {
                dstportRef(old.dstport(), -1);
            }
        }
    }

    /** Refcounts of the UDP ports the datapath treats as VXLAN, by port. */
    public Map<Integer, Integer> dstports() {
        synchronized (lock) {
            TreeMap<Integer, Integer> m = new TreeMap<>();
            for (BpfMap.Entry e : dstports.entries()) {
                m.put(MapCodec.u16(e.key()), MapCodec.u32(e.value()));
            }
            return m;
        }
    }

    /** A new VNI with the counts of {@code cfg}, then its reference on the dstport. */
    void insert(VniCfg cfg) {
        vnis.update(MapCodec.u32(cfg.vni()), cfg.encode(), UpdateFlag.NOEXIST);
        dstportRef(cfg.dstport(), +1);
    }

    /** Writes new list counts (the caller holds the lock and keeps the lists dense around it). */
    void setCounts(VniCfg cfg, int nPorts, int nFlood) {
        vnis.update(MapCodec.u32(cfg.vni()), cfg.withCounts(nPorts, nFlood).encode(), UpdateFlag.EXIST);
    }

    void remove(VniCfg cfg) {
        vnis.delete(MapCodec.u32(cfg.vni()));
        dstportRef(cfg.dstport(), -1);
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
}
