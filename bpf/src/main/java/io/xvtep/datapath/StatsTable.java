package io.xvtep.datapath;

import io.xvtep.libbpf.BpfException;
import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.Net;
import io.xvtep.libbpf.UpdateFlag;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** xvtep_stats: per-CPU counters per VNI (vni 0: frames of no VNI), summed over CPUs on read. */
public final class StatsTable {

    private static final int EEXIST = 17;

    private final Object lock;
    private final BpfMap stats;
    private final int cpus;

    StatsTable(Object lock, BpfMap stats) {
        this.lock = lock;
        this.stats = stats;
        this.cpus = Net.possibleCpus();
    }

    /** Creates a zeroed counter entry; {@code reset} overwrites one that exists. */
    public void ensure(int vni, boolean reset) {
        List<byte[]> zeros = new ArrayList<>(Collections.nCopies(cpus, new byte[VniStats.SIZE]));
        synchronized (lock) {
            try {
                stats.updatePerCpu(MapCodec.u32(vni), zeros, reset ? UpdateFlag.ANY : UpdateFlag.NOEXIST);
            } catch (BpfException e) {
                if (e.errno() != EEXIST) {
                    throw e;
                }
            }
        }
    }

    /** A VNI's counters summed over CPUs (lock-free: the datapath writes them all the time anyway). */
    public Optional<VniStats> get(int vni) {
        List<byte[]> perCpu = stats.lookupPerCpu(MapCodec.u32(vni));
        return perCpu == null || perCpu.isEmpty() ? Optional.empty() : Optional.of(VniStats.sum(perCpu));
    }

    /** Every counter entry summed over CPUs, by VNI (0 = frames of no VNI). */
    public Map<Integer, VniStats> all() {
        TreeMap<Integer, VniStats> m = new TreeMap<>();
        for (byte[] k : stats.keys()) {
            List<byte[]> perCpu = stats.lookupPerCpu(k);
            if (perCpu != null && !perCpu.isEmpty()) {
                m.put(MapCodec.u32(k), VniStats.sum(perCpu));
            }
        }
        return m;
    }

    void delete(int vni) {
        stats.delete(MapCodec.u32(vni));
    }
}
