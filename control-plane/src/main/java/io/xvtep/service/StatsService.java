package io.xvtep.service;

import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.LearnBudgets;
import io.xvtep.datapath.VniCfg;
import io.xvtep.model.FdbType;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Vni;

import java.util.Map;
import java.util.TreeMap;

/** The datapath's counters and how full its tables are. */
public final class StatsService {

    /** Table occupancy: FDB entries by type (as of the reaper's last pass) and neighbours by family. */
    public record Occupancy(Map<FdbType, Long> fdb, long neighIpv4, long neighIpv6) {
    }

    /** A learning budget: entries learned in it (as of the reaper's last pass plus learns since) and its limit (0: none). */
    public record Learning(long learned, long limit) {
    }

    private final Vteps v;
    private final Datapath dp;
    private final Housekeeping housekeeping;

    StatsService(Vteps v, Housekeeping housekeeping) {
        this.v = v;
        this.dp = v.dp;
        this.housekeeping = housekeeping;
    }

    public Counters stats(Vni vni) {
        VniCfg cfg;
        synchronized (v) {
            cfg = v.requireVni(vni);
        }
        return dp.stats().get(cfg.vni()).map(Counters::of).orElse(Counters.ZERO);
    }

    /** Every VNI's counters plus vni 0 (frames of no VNI), by VNI. */
    public Map<Integer, Counters> all() {
        Map<Integer, Counters> m = new TreeMap<>();
        dp.stats().all().forEach((vni, s) -> m.put(vni, Counters.of(s)));
        return m;
    }

    /** Every VNI's learning budget, by VNI (one read of the budget tables). */
    public Map<Integer, Learning> learning() {
        Map<LearnBudgets.Key, LearnBudgets.Budget> budgets = dp.learnBudgets().budgets();
        Map<Integer, Learning> m = new TreeMap<>();
        for (VniCfg cfg : dp.vnis().list()) {
            LearnBudgets.Key k = LearnBudgets.Key.vni(cfg.vni());
            LearnBudgets.Budget b = budgets.get(k);
            m.put(cfg.vni(), new Learning(b == null ? 0 : b.learned(), b == null ? dp.learnBudgets().max(k) : b.max()));
        }
        return m;
    }

    /** FDB and neighbour counts as of the reaper's last pass (every 5 s): a scrape walks no table. */
    public Occupancy occupancy() {
        return new Occupancy(housekeeping.fdbCounts(), housekeeping.neighCount(IpAddress.Family.IPV4),
                housekeeping.neighCount(IpAddress.Family.IPV6));
    }
}
