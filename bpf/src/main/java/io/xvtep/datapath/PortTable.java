package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.UpdateFlag;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * xvtep_ports (ifindex -> port_cfg) and xvtep_vni_ports (each VNI's dense port list,
 * idx 0..n_ports-1), plus the TC program on each port. Entries are written before n_ports is
 * raised and removed only after it was lowered.
 */
public final class PortTable {

    private final Object lock;
    private final VniTable vnis;
    private final FdbTable fdb;
    private final Programs programs;
    private final BpfMap ports;
    private final BpfMap vniPorts;

    PortTable(Object lock, VniTable vnis, FdbTable fdb, Programs programs, BpfMap ports, BpfMap vniPorts) {
        this.lock = lock;
        this.vnis = vnis;
        this.fdb = fdb;
        this.programs = programs;
        this.ports = ports;
        this.vniPorts = vniPorts;
    }

    /** Every local port: ifindex -> port_cfg, by ifindex. */
    public Map<Integer, PortCfg> all() {
        synchronized (lock) {
            TreeMap<Integer, PortCfg> m = new TreeMap<>();
            for (BpfMap.Entry e : ports.entries()) {
                m.put(MapCodec.u32(e.key()), PortCfg.decode(e.value()));
            }
            return m;
        }
    }

    public Optional<PortCfg> get(int ifindex) {
        synchronized (lock) {
            return ports.lookup(MapCodec.u32(ifindex)).map(PortCfg::decode);
        }
    }

    /** The VNI's port list (vni_ports idx 0..n_ports-1), in list order. */
    public List<Integer> of(int vni) {
        synchronized (lock) {
            Optional<VniCfg> cfg = vnis.get(vni);
            if (cfg.isEmpty()) {
                return List.of();
            }
            List<Integer> l = new ArrayList<>();
            for (int i = 0; i < cfg.get().nPorts(); i++) {
                vniPorts.lookup(new VniIdxKey(vni, i).encode()).ifPresent(v -> l.add(MapCodec.u32(v)));
            }
            return l;
        }
    }

    /**
     * Makes {@code ifindex} a port of {@code vni}: port entry, list entry, then n_ports, then
     * the TC program (which ignores frames of interfaces without a port entry).
     */
    public void attach(int ifindex, int vni, int flags) {
        synchronized (lock) {
            VniCfg cfg = vnis.get(vni).orElseThrow(() -> new IllegalArgumentException("no VNI " + vni));
            if (get(ifindex).isPresent()) {
                throw new IllegalStateException("ifindex " + ifindex + " is already a port");
            }
            if (cfg.nPorts() >= Abi.MAX_PORTS_PER_VNI) {
                throw new IllegalStateException("VNI " + vni + " already has " + Abi.MAX_PORTS_PER_VNI + " ports");
            }
            ports.update(MapCodec.u32(ifindex), new PortCfg(vni, flags).encode(), UpdateFlag.NOEXIST);
            try {
                vniPorts.update(new VniIdxKey(vni, cfg.nPorts()).encode(), MapCodec.u32(ifindex), UpdateFlag.ANY);
                vnis.setCounts(cfg, cfg.nPorts() + 1, cfg.nFlood());
                programs.attachPort(ifindex, flags);
            } catch (RuntimeException e) {
                detach(ifindex);
                throw e;
            }
        }
    }

    /** The port program again (after a restart: the freshly loaded one replaces the old in place). */
    public void reattachProgram(int ifindex) {
        synchronized (lock) {
            programs.attachPort(ifindex, get(ifindex).map(PortCfg::flags).orElse(0));
        }
    }

    /**
     * Removes a port: the last list entry moves into its hole, n_ports drops, the old last
     * slot goes, then the port entry, the FDB entries pointing at it and its TC program.
     *
     * @return whether it was a port
     */
    public boolean detach(int ifindex) {
        synchronized (lock) {
            Optional<PortCfg> p = get(ifindex);
            if (p.isEmpty()) {
                return false;
            }
            int vni = p.get().vni();
            Optional<VniCfg> cfgOpt = vnis.get(vni);
            if (cfgOpt.isPresent()) {
                VniCfg cfg = cfgOpt.get();
                List<Integer> list = of(vni);
                int idx = list.indexOf(ifindex);
                int n = cfg.nPorts();
                if (idx >= 0 && n > 0) {
                    int last = n - 1;
                    if (idx != last) {
                        vniPorts.update(new VniIdxKey(vni, idx).encode(), MapCodec.u32(list.get(last)), UpdateFlag.ANY);
                    }
                    vnis.setCounts(cfg, last, cfg.nFlood());
                    vniPorts.delete(new VniIdxKey(vni, last).encode());
                }
            }
            ports.delete(MapCodec.u32(ifindex));
            // The kernel flushes a bridge port's FDB entries when the port leaves; so do we.
            fdb.deletePort(ifindex);
            Programs.detachPort(ifindex, p.get().flags());
            return true;
        }
    }

    /** Drops the port entries, list slots and programs of a VNI whose n_ports is already 0. */
    void clear(int vni, List<Integer> portList, int n) {
        for (int ifindex : portList) {
            int flags = get(ifindex).map(PortCfg::flags).orElse(0);
            ports.delete(MapCodec.u32(ifindex));
            Programs.detachPort(ifindex, flags);
        }
        // the slots below n, and any written past it by an attach that did not finish
        for (int i = 0; i < Abi.MAX_PORTS_PER_VNI; i++) {
            if (!vniPorts.delete(new VniIdxKey(vni, i).encode()) && i >= n) {
                break;
            }
        }
    }
}
