package io.xvtep.datapath;

import io.xvtep.libbpf.BpfMap;
import io.xvtep.libbpf.Net;
import io.xvtep.libbpf.UpdateFlag;

import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * xvtep_stats: per-CPU counters in an array, one slot per VNI (vni_cfg.stats_slot) and slot 0 for frames of
 * no VNI; summed over CPUs on read. The datapath finds a VNI's counters by the slot in the vni_cfg it already
 * looked up: no second hash lookup per frame. Slots are given here when a VNI is created (the lowest one no
 * VNI holds, zeroed first: a deleted VNI's counts never show under a new one).
 */
public final class StatsTable {

    /** Slot of the frames of no VNI we serve (struct vni_stats at index 0). */
    public static final int NO_VNI_SLOT = 0;

    private final Object lock;
    private final BpfMap stats;
    private final VniTable vnis;
    private final int cpus;

    StatsTable(Object lock, BpfMap stats, VniTable vnis) {
        this.lock = lock;
        this.stats = stats;
        this.vnis = vnis;
        this.cpus = Net.possibleCpus();
    }

    /** Slots the array holds (max VNIs + 1). */
    public int capacity() {
        return stats.maxEntries();
    }

    /**
     * A slot no VNI in xvtep_vnis holds, its counters zeroed; the caller (holding the lock) writes the VNI
     * with it next.
     *
     * @throws IllegalStateException when every slot is taken (more VNIs than the capacity allows)
     */
    int allocate() {
        synchronized (lock) {
            BitSet used = new BitSet();
            used.set(NO_VNI_SLOT);
            for (VniCfg c : vnis.list()) {
                used.set(c.statsSlot());
            }
            int slot = used.nextClearBit(1);
            if (slot >= capacity()) {
                throw new IllegalStateException("no free counter slot: " + (capacity() - 1) + " VNIs at most");
            }
            zero(slot);
            return slot;
        }
    }

    private void zero(int slot) {
        stats.updatePerCpu(MapCodec.u32(slot), Collections.nCopies(cpus, new byte[VniStats.SIZE]), UpdateFlag.ANY);
    }

    /** A VNI's counters summed over CPUs (vni 0: frames of no VNI); empty for a VNI that does not exist. */
    public Optional<VniStats> get(int vni) {
        if (vni == 0) {
            return slot(NO_VNI_SLOT);
        }
        return vnis.get(vni).flatMap(c -> slot(c.statsSlot()));
    }

    private Optional<VniStats> slot(int slot) {
        // lock-free: the datapath writes them all the time anyway
        List<byte[]> perCpu = slot >= 0 && slot < capacity() ? stats.lookupPerCpu(MapCodec.u32(slot)) : null;
        return perCpu == null || perCpu.isEmpty() ? Optional.empty() : Optional.of(VniStats.sum(perCpu));
    }

    /** Every VNI's counters summed over CPUs, by VNI (0 = frames of no VNI). */
    public Map<Integer, VniStats> all() {
        TreeMap<Integer, VniStats> m = new TreeMap<>();
        slot(NO_VNI_SLOT).ifPresent(s -> m.put(0, s));
        for (VniCfg c : vnis.list()) {
            slot(c.statsSlot()).ifPresent(s -> m.put(c.vni(), s));
        }
        return m;
    }
}
