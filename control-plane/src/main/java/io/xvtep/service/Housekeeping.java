package io.xvtep.service;

import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.LearnBudgets;
import io.xvtep.datapath.FdbKey;
import io.xvtep.datapath.FdbValue;
import io.xvtep.datapath.VniCfg;
import io.xvtep.datapath.XvtepConfig;
import io.xvtep.host.Interfaces;
import io.xvtep.model.EventType;
import io.xvtep.model.FdbType;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What keeps the maps tidy: the reaper (ageing, vanished ports) and reconciliation after a restart. */
public final class Housekeeping {

    private static final System.Logger LOG = System.getLogger("xvtep.service");


    private final Vteps v;
    private final Datapath dp;
    private static final int REMOVE_CHUNK = 4096;
    private volatile long[] neighCounts; // IPv4, IPv6

    Housekeeping(Vteps v) {
        this.v = v;
        this.dp = v.dp;
    }

    /**
     * An underlay route, neighbour or link changed (io.xvtep.host.UnderlayWatch): the datapath's outer-header
     * cache is emptied so the next frame to every VTEP asks the FIB again (bpf/include/encap_cache.h), and the
     * underlay's MAC in xvtep_config follows the device's (XDP decap drops unicast to any other MAC: otherhost).
     *
     * @return entries removed
     */
    public int underlayChanged() {
        followUnderlayMac();
        return dp.encapCache().flush();
    }

    private void followUnderlayMac() {
        XvtepConfig c = dp.config().get().orElse(null);
        if (c == null || c.underlayIfindex() == 0) {
            return;
        }
        try {
            Interfaces.name(c.underlayIfindex()).map(Interfaces::mac).filter(m -> !m.equals(c.underlayMac()))
                    .ifPresent(m -> dp.config().set(new XvtepConfig(c.underlayIfindex(), c.localIp(), c.localIp6(), m,
                            c.flags())));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "underlay MAC not read: " + e.getMessage());
        }
    }

    /**
     * One pass over the FDB: removes learned entries older than their VNI's ageing time (the
     * datapath only ignores them; listeners are told, they emit ageout events) and counts what
     * stays, by type; then drops ports whose interface disappeared (a deleted container's veth).
     *
     * @return how many entries and ports went
     */
    public int reap() {
        long now = System.nanoTime();
        long writesBefore = v.fdbCounts.writes(); // a write during the walk makes its static/cluster counts partial
        Map<Integer, VniCfg> cfgs = new HashMap<>();
        Map<FdbType, Long> counts = new EnumMap<>(FdbType.class);
        for (FdbType t : FdbType.values()) {
            counts.put(t, 0L);
        }
        for (VniCfg c : dp.vnis().list()) {
            cfgs.put(c.vni(), c);
            counts.merge(FdbType.STATIC, (long) c.nFlood(), Long::sum);
        }
        // learning budgets: what the datapath counted before the walk, against what the walk finds
        Map<LearnBudgets.Key, Long> learnedBefore = dp.learnBudgets().learnedSoFar();
        Map<LearnBudgets.Key, Long> learnedFound = new HashMap<>();
        List<Map.Entry<FdbKey, FdbValue>> stale = new ArrayList<>();
        // The walk holds no lock (a million entries take seconds: the API and /metrics must not wait for
        // it); entries to age out are removed under the lock, each only if it still holds what was read.
        dp.fdb().scan((k, val) -> {
            VniCfg cfg = cfgs.get(k.vni());
            if (isLearned(val) && cfg != null && cfg.ageing() != 0 && now - val.updatedNs() > cfg.ageing() * 1_000_000_000L) {
                stale.add(Map.entry(k, val));
            } else {
                count(k, val, counts, learnedFound);
            }
        });
        // Removals are taken under the lock a chunk at a time, so a mass ageing (a million entries after a
        // long outage) never holds API writers and /metrics for the whole list.
        int removed = 0;
        for (int from = 0; from < stale.size(); from += REMOVE_CHUNK) {
            synchronized (v) {
                for (Map.Entry<FdbKey, FdbValue> e : stale.subList(from, Math.min(stale.size(), from + REMOVE_CHUNK))) {
                    if (dp.fdb().deleteIf(e.getKey(), e.getValue())) {
                        removed++;
                        aged(e.getKey().vni(), e.getKey().mac(), e.getValue());
                    } else if (dp.fdb().get(e.getKey()).isPresent()) {
                        count(e.getKey(), e.getValue(), counts, learnedFound); // refreshed meanwhile: it stays
                    }
                }
            }
        }
        // A key walk of each neighbour table, like the FDB walk without the lock (it took over 60 s of a
        // worker under the lock at load 30 with large tables).
        long[] neigh = {dp.neigh().count(IpAddress.Family.IPV4), dp.neigh().count(IpAddress.Family.IPV6)};
        synchronized (v) {
            v.fdbCounts.walked(counts, writesBefore);
            neighCounts = neigh;
            dp.learnBudgets().reconcile(learnedBefore, learnedFound);
            for (int ifindex : dp.ports().all().keySet()) {
                // Only a definite "no such device" removes a port; a failed lookup (EMFILE) decides nothing.
                if (Interfaces.gone(ifindex) && dp.ports().detach(ifindex)) {
                    v.fdbCounts.unknown();
                    removed++;
                }
            }
            return removed;
        }
    }

    private static boolean isLearned(FdbValue val) {
        return (val.flags() & (FdbValue.F_STATIC | FdbValue.F_CLUSTER)) == 0;
    }

    private static void count(FdbKey k, FdbValue val, Map<FdbType, Long> counts, Map<LearnBudgets.Key, Long> learnedFound) {
        counts.merge(FdbService.typeOf(val), 1L, Long::sum);
        if (isLearned(val)) {
            learnedFound.merge(LearnBudgets.Key.HOST, 1L, Long::sum);
            learnedFound.merge(LearnBudgets.Key.vni(k.vni()), 1L, Long::sum);
            if (val.ifindex() != 0) {
                learnedFound.merge(LearnBudgets.Key.port(val.ifindex()), 1L, Long::sum);
            }
        }
    }

    private void aged(int vni, Mac mac, FdbValue old) {
        IpAddress remote = old.ifindex() == 0 && old.remote() != null ? old.remote() : null;
        VtepEvent ev = new VtepEvent(EventType.AGEOUT, vni, mac, remote, old.ifindex(), null, System.nanoTime());
        v.listeners.forEach(l -> l.fdbAged(ev));
    }

    /**
     * Entries of every VNI counted by type (flood-list entries count as static): the reaper's last
     * pass, with the services' writes since (static and cluster exact: {@link FdbCounts}); walking a
     * large FDB costs seconds, so a metrics scrape must not do it.
     */
    public Map<FdbType, Long> fdbCounts() {
        Map<FdbType, Long> c = v.fdbCounts.get();
        if (c == null) {
            reap(); // first call before the reaper ran
            c = v.fdbCounts.get();
        }
        return c;
    }

    /** Neighbour entries of an address family, as of the reaper's last pass (a scrape walks nothing). */
    public long neighCount(IpAddress.Family f) {
        if (neighCounts == null) {
            reap();
        }
        return neighCounts[f == IpAddress.Family.IPV4 ? 0 : 1];
    }

    /**
     * After (re)start: ports whose interface vanished are dropped, the others get the freshly
     * loaded port program (replacing the old one in place), every VNI has its counters.
     */
    public void reconcile() {
        synchronized (v) {
            java.util.function.Function<String, java.util.Optional<String>> check;
            try {
                check = v.portPolicy.read();
            } catch (IllegalStateException x) {
                LOG.log(System.Logger.Level.WARNING, "port checks skipped at start: " + x.getMessage());
                check = PortPolicy.ANY.read();
            }
            for (int ifindex : dp.ports().all().keySet()) {
                if (Interfaces.gone(ifindex)) {
                    dp.ports().detach(ifindex);
                    continue;
                }
                java.util.Optional<String> name = Interfaces.name(ifindex);
                if (name.isEmpty()) { // a failed lookup (not "no such device"): left as the last agent left it
                    LOG.log(System.Logger.Level.WARNING, "port ifindex " + ifindex + ": name lookup failed, left as is");
                    continue;
                }
                // A port an older agent accepted (e.g. lo) that would cut the host off is dropped, not re-attached.
                java.util.Optional<String> refusal = check.apply(name.get());
                if (refusal.isPresent()) {
                    LOG.log(System.Logger.Level.WARNING, "port " + name.get() + " of VNI "
                            + dp.ports().get(ifindex).map(p -> p.vni()).orElse(0) + " removed: " + refusal.get());
                    dp.ports().detach(ifindex);
                    continue;
                }
                try {
                    dp.ports().reattachProgram(ifindex);
                } catch (RuntimeException x) {
                    // Reported, not fatal: the other ports and the API must come up.
                    LOG.log(System.Logger.Level.WARNING, "port " + name.get() + ": attach failed at start, left in"
                            + " its VNI: " + x.getMessage());
                }
            }
            v.fdbCounts.unknown(); // detached ports' entries went with them
        }
    }
}
