package io.xvtep.cluster;

import io.xvtep.cluster.Keys.Ep;
import io.xvtep.cluster.NodeTables.Fdb;
import io.xvtep.cluster.StoreView.Claim;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Endpoints: the winning claim of each (vni, mac) on another node becomes a cluster FDB entry
 * pointing at that node's VTEP, and its {@code ips} neighbour entries; MAC moves are counted and
 * fed to mobility detection, lasting double claims reported as conflicts. Remembers what it
 * programmed, so that it only ever removes its own entries. Runs on the {@link ClusterThread}.
 */
final class EndpointProgrammer {

    private static final System.Logger LOG = System.getLogger("xvtep.cluster");
    private static final long CONFLICT_GRACE_MS = 3_000;

    private final String self;
    private final ClusterOptions o;
    private final StoreView view;
    private final NodeTables tables;
    private final Mobility mobility;
    private final ClusterMetrics metrics;
    private final ClusterThread thread;
    /** Told when another node's newer claim wins a MAC this node claims (the MAC left). */
    private final Consumer<Ep> lostToOther;

    /** What this node programmed from a claim: the claiming node and the VTEP the entry points at. */
    private record Prog(String node, IpAddress to) {
    }

    private final ProgramCaps caps;
    private final Map<Ep, Prog> fdbProg = new HashMap<>();
    private final Map<Ep, Set<InetAddress>> neighProg = new HashMap<>();
    private final Map<String, Ep> ipOwner = new HashMap<>();
    private final Map<Ep, String> lastWinner = new HashMap<>();
    private final Set<Ep> conflictPending = new HashSet<>();
    private long lastFailureLog = System.nanoTime() - 20_000_000_000L;
    private long lastRefusalLog = System.nanoTime() - 20_000_000_000L;
    /** VNI -> its maxaddress, read once per {@link #program} call. */
    private final Map<Integer, Long> vniMax = new HashMap<>();

    EndpointProgrammer(ClusterOptions o, StoreView view, NodeTables tables, Mobility mobility, ClusterMetrics metrics,
            ClusterThread thread, Consumer<Ep> lostToOther) {
        this.self = o.node();
        this.o = o;
        this.view = view;
        this.tables = tables;
        this.mobility = mobility;
        this.metrics = metrics;
        this.thread = thread;
        this.lostToOther = lostToOther;
        this.caps = new ProgramCaps(o.nodeMaxaddress());
    }

    int programmed() {
        return fdbProg.size();
    }

    /** Re-resolves {@code eps}; {@code bulk}: read the FDB once instead of per key (a list). */
    void program(Collection<Ep> eps, boolean bulk) {
        vniMax.clear();
        Set<Integer> localVnis = eps.isEmpty() ? Set.of() : tables.vnis();
        Map<Ep, Fdb> snapshot = bulk && !eps.isEmpty() ? tables.fdbAll() : null;
        // then the claims refused by a cap that the entries gone meanwhile make room for (each pass
        // takes at most as many as went: it ends)
        for (Collection<Ep> todo = eps; !todo.isEmpty(); todo = caps.retry()) {
            Map<Ep, IpAddress> puts = new HashMap<>();
            List<Ep> dels = new ArrayList<>();
            long now = System.nanoTime();
            for (Ep ep : todo) {
                Fdb cur = snapshot != null && todo == eps ? snapshot.get(ep) : tables.fdb(ep).orElse(null);
                resolve(ep, cur, localVnis, now, puts, dels);
            }
            write(puts, dels);
        }
        metrics.remoteEndpoints.set(fdbProg.size());
    }

    /** Forgets what was programmed at {@code ep} (its cap slot freed); true when there was something. */
    private boolean unprogram(Ep ep) {
        Prog p = fdbProg.remove(ep);
        if (p != null) {
            caps.release(ep, p.node());
        }
        return p != null;
    }

    private long maxaddress(int vni) {
        return vniMax.computeIfAbsent(vni, tables::maxaddress);
    }

    private void refused(Ep ep, String node, ProgramCaps.Limit limit, boolean again) {
        if (again) {
            return; // counted when first refused
        }
        metrics.endpointRefused(limit.label);
        long now = System.nanoTime();
        if (now - lastRefusalLog > 10_000_000_000L) {
            lastRefusalLog = now;
            LOG.log(System.Logger.Level.WARNING, "cluster: event endpoint-refused vni " + ep.vni() + " mac " + ep.mac()
                    + " claimed by " + node + ": " + (limit == ProgramCaps.Limit.NODE
                            ? "node " + node + " has " + o.nodeMaxaddress() + " entries in the VNI here (--etcd-node-maxaddress)"
                            : "the VNI holds its maxaddress " + maxaddress(ep.vni()) + " entries from other nodes")
                    + "; refused (counted in xvtep_cluster_endpoints_refused_total; logged at most every 10 s)");
        }
    }

    /**
     * Writes the batch; when it fails (a full FDB: E2BIG), entry by entry, so that what fits is
     * programmed and what does not is counted and left out (tried again when its claim changes or
     * at the next full pass), never stopping the sync.
     */
    private void write(Map<Ep, IpAddress> puts, List<Ep> dels) {
        try {
            tables.writeFdb(puts, dels);
            return;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "cluster: FDB batch failed (" + e.getMessage() + "): one by one");
        }
        for (Ep ep : dels) {
            try {
                tables.writeFdb(Map.of(), List.of(ep));
            } catch (RuntimeException e) {
                failed(ep, "deleting", e);
            }
        }
        for (Map.Entry<Ep, IpAddress> p : puts.entrySet()) {
            try {
                tables.writeFdb(Map.of(p.getKey(), p.getValue()), List.of());
            } catch (RuntimeException e) {
                unprogram(p.getKey());
                failed(p.getKey(), "programming", e);
            }
        }
    }

    private void failed(Ep ep, String what, RuntimeException e) {
        metrics.programFailures.increment();
        long now = System.nanoTime();
        if (now - lastFailureLog > 10_000_000_000L) {
            lastFailureLog = now;
            LOG.log(System.Logger.Level.WARNING, "cluster: " + what + " vni " + ep.vni() + " mac " + ep.mac()
                    + " failed: " + e.getMessage() + " (counted in xvtep_cluster_program_failures_total; logged "
                    + "at most every 10 s)");
        }
    }

    private void resolve(Ep ep, Fdb cur, Set<Integer> localVnis, long now, Map<Ep, IpAddress> puts, List<Ep> dels) {
        boolean wasRefused = caps.resolving(ep);
        if (!localVnis.contains(ep.vni())) {
            unprogram(ep);
            neighProg.remove(ep);
            return;
        }
        Claim w = view.winner(ep, mobility.frozenOn(ep, now));
        // the winner's VTEP of the VNI's family (a node without one: nothing to point at)
        IpAddress.Family family = tables.family(ep.vni()).orElse(IpAddress.Family.IPV4);
        if (w != null && !w.node().equals(self) && view.vtepOf(w, family) == null) {
            w = null; // a node without an address: nothing to point at
        }
        if (w == null) {
            lastWinner.remove(ep);
            if (unprogram(ep) && cur != null && cur.isCluster()) {
                dels.add(ep);
            }
            programNeigh(ep, Set.of());
            return;
        }
        Claim win = w;
        String prev = lastWinner.put(ep, w.node());
        if (prev != null && !prev.equals(w.node())) {
            metrics.moves.increment();
            LOG.log(System.Logger.Level.INFO, () -> "cluster: vni " + ep.vni() + " mac " + ep.mac() + " moved "
                    + prev + " -> " + win.node());
            if (mobility.moved(ep, w.node(), now)) {
                LOG.log(System.Logger.Level.WARNING, "cluster: event mac-frozen vni " + ep.vni() + " mac "
                        + ep.mac() + ": more than " + o.moveLimit() + " moves in " + o.moveWindowSeconds()
                        + " s, frozen on " + w.node());
            }
        }
        if (view.claims(ep).size() > 1 && conflictPending.add(ep)) {
            thread.schedule(() -> checkConflict(ep), CONFLICT_GRACE_MS);
        }
        if (w.node().equals(self)) {
            if (unprogram(ep) && cur != null && cur.isCluster()) {
                dels.add(ep);
            }
            // the IP -> MAC entries stay valid (same MAC, now local): no longer ours to manage
            Set<InetAddress> had = neighProg.remove(ep);
            if (had != null) {
                had.forEach(ip -> ipOwner.remove(ep.vni() + "|" + ip.getHostAddress(), ep));
            }
            return;
        }
        IpAddress to = view.vtepOf(w, family);
        if (to == null || (cur != null && cur.isStatic())) {
            return; // no address to point at, or an operator's entry: it wins on this host
        }
        Prog old = fdbProg.get(ep);
        if (old == null || !old.node().equals(w.node())) {
            boolean had = unprogram(ep);
            ProgramCaps.Limit refuse = caps.admit(ep, w.node(), maxaddress(ep.vni()));
            if (refuse != null) {
                // beyond a cap: no entry (the one of the node that lost the claim goes); this node keeps its own
                refused(ep, w.node(), refuse, wasRefused);
                if (had && cur != null && cur.isCluster()) {
                    dels.add(ep);
                }
                programNeigh(ep, Set.of());
                return;
            }
        }
        lostToOther.accept(ep);
        if (cur == null || !cur.isCluster() || cur.ifindex() != 0 || !to.equals(cur.remote())) {
            puts.put(ep, to);
        }
        fdbProg.put(ep, new Prog(w.node(), to));
        programNeigh(ep, new HashSet<>(w.ips()));
    }

    private void programNeigh(Ep ep, Set<InetAddress> want) {
        Set<InetAddress> had = neighProg.getOrDefault(ep, Set.of());
        for (InetAddress ip : want) {
            String k = ep.vni() + "|" + ip.getHostAddress();
            if (!had.contains(ip) || !ep.equals(ipOwner.get(k))) {
                tables.putNeigh(ep.vni(), ip, ep.mac());
                ipOwner.put(k, ep);
            }
        }
        for (InetAddress ip : had) {
            String k = ep.vni() + "|" + ip.getHostAddress();
            if (!want.contains(ip) && ep.equals(ipOwner.get(k))) {
                tables.deleteNeigh(ep.vni(), ip, ep.mac());
                ipOwner.remove(k);
            }
        }
        if (want.isEmpty()) {
            neighProg.remove(ep);
        } else {
            neighProg.put(ep, want);
        }
    }

    /** The VNI is gone here: forget what was programmed in it (its entries went with it). */
    void forgetVni(int vni) {
        fdbProg.keySet().removeIf(ep -> ep.vni() == vni);
        caps.forgetVni(vni);
        neighProg.keySet().removeIf(ep -> ep.vni() == vni);
        ipOwner.values().removeIf(ep -> ep.vni() == vni);
    }

    /** The endpoints in {@code vni} whose claims carry {@code ip} (an l3miss). */
    Set<Ep> claiming(int vni, InetAddress ip) {
        Set<Ep> s = new HashSet<>();
        for (Ep ep : view.endpoints()) {
            if (ep.vni() == vni && view.claims(ep).values().stream().anyMatch(c -> c.ips().contains(ip))) {
                s.add(ep);
            }
        }
        return s;
    }

    /** First sync: cluster entries in the maps that the store no longer backs go (and only those). */
    void sweep() {
        Set<Ep> clusterMacs = new HashSet<>();
        List<Ep> stale = new ArrayList<>();
        tables.fdbAll().forEach((ep, f) -> {
            if (f.isCluster()) {
                clusterMacs.add(ep);
                Prog p = fdbProg.get(ep);
                if (p == null || !f.remote().equals(p.to())) {
                    stale.add(ep);
                }
            }
        });
        tables.writeFdb(Map.of(), stale);
        int neighGone = 0;
        for (int vni : tables.vnis()) {
            for (Map.Entry<InetAddress, Mac> n : tables.neigh(vni).entrySet()) {
                Ep ep = new Ep(vni, n.getValue());
                if (clusterMacs.contains(ep) && !neighProg.getOrDefault(ep, Set.of()).contains(n.getKey())) {
                    tables.deleteNeigh(vni, n.getKey(), n.getValue());
                    neighGone++;
                }
            }
        }
        if (stale.size() + neighGone > 0) {
            LOG.log(System.Logger.Level.INFO, "cluster: swept " + stale.size() + " FDB and " + neighGone
                    + " neighbour entries the store no longer backs");
        }
    }

    private void checkConflict(Ep ep) {
        conflictPending.remove(ep);
        Map<String, Claim> c = view.claims(ep);
        if (c.size() > 1) {
            metrics.conflicts.increment();
            Claim w = view.winner(ep, mobility.frozenOn(ep, System.nanoTime()));
            LOG.log(System.Logger.Level.WARNING, "cluster: event conflict vni " + ep.vni() + " mac " + ep.mac()
                    + " claimed by " + new TreeSet<>(c.keySet()) + "; newest revision wins: " + w.node());
        }
    }
}
