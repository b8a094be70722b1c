package io.xvtep.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.xvtep.cluster.Keys.Ep;
import io.xvtep.cluster.StoreRecords.VniRecord;
import io.xvtep.cluster.StoreView.Dirty;
import io.xvtep.model.IpAddress;
import io.xvtep.model.IpAddress.Family;
import io.xvtep.model.Mac;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The endpoint and flood programmers against the {@link NodeTables} contract, on tables held in
 * memory: what they write for a store state, and that they never touch what is not theirs.
 */
class ProgrammersTest {

    /** NodeTables over plain maps (the contract only: no datapath behind it). */
    static final class MemoryTables implements NodeTables {
        final Set<Integer> vnis = new java.util.HashSet<>(Set.of(42));
        final Map<Ep, Fdb> fdb = new HashMap<>();
        final Map<Integer, Map<InetAddress, Mac>> neigh = new HashMap<>();
        final Map<Integer, List<Flood>> flood = new HashMap<>();

        @Override public Set<Integer> vnis() { return vnis; }
        @Override public Optional<Family> family(int vni) { return vnis.contains(vni) ? Optional.of(Family.IPV4) : Optional.empty(); }
        @Override public Optional<VniRecord> vni(int vni) { return Optional.empty(); }
        @Override public void createVni(VniRecord r) { vnis.add(r.vni()); }
        @Override public void updateVni(VniRecord r) { }
        @Override public void deleteVni(int vni) { vnis.remove(vni); }
        long maxaddress;
        @Override public long maxaddress(int vni) { return maxaddress; }
        @Override public void onVniChanges(VniChanges l) { }
        @Override public void onLocalChanges(Runnable changed) { }
        @Override public Set<Integer> vnisWithPorts() { return vnis; }
        @Override public Optional<Fdb> fdb(Ep ep) { return Optional.ofNullable(fdb.get(ep)); }
        @Override public Map<Ep, Fdb> fdbAll() { return Map.copyOf(fdb); }

        /** Entries the FDB holds at most: a batch that does not fit fails as a whole (E2BIG), as the map's does. */
        int capacity = Integer.MAX_VALUE;

        @Override
        public void writeFdb(Map<Ep, IpAddress> puts, Collection<Ep> deletes) {
            deletes.forEach(fdb::remove);
            if (puts.keySet().stream().filter(ep -> !fdb.containsKey(ep)).count() + fdb.size() > capacity) {
                throw new IllegalStateException("bpf_map_update_batch: E2BIG");
            }
            puts.forEach((ep, to) -> fdb.put(ep, new Fdb(to, 0, false, true)));
        }

        @Override public Map<InetAddress, Mac> neigh(int vni) { return neigh.getOrDefault(vni, Map.of()); }
        @Override public void putNeigh(int vni, InetAddress ip, Mac mac) { neigh.computeIfAbsent(vni, v -> new HashMap<>()).put(ip, mac); }
        @Override public void deleteNeigh(int vni, InetAddress ip, Mac mac) { neigh.getOrDefault(vni, new HashMap<>()).remove(ip, mac); }
        @Override public List<Flood> flood(int vni) { return flood.getOrDefault(vni, List.of()); }

        @Override
        public boolean addClusterFlood(int vni, IpAddress dst) {
            flood.computeIfAbsent(vni, v -> new ArrayList<>()).add(new Flood(dst, true));
            return true;
        }

        @Override
        public void removeClusterFlood(int vni, IpAddress dst) {
            flood.getOrDefault(vni, new ArrayList<>()).removeIf(f -> f.dst().equals(dst) && f.isCluster());
        }

        @Override public int maxFlood() { return 64; }
    }

    private static final IpAddress H2 = IpAddress.parse("198.18.0.12"), H3 = IpAddress.parse("198.18.0.13");
    private final Keys keys = new Keys("/t");
    private final StoreView view = new StoreView(keys);
    private final MemoryTables tables = new MemoryTables();
    private final ClusterOptions o = new ClusterOptions(List.of(), "h1", "/t", 5, 60, 5, 180, 1000, 2, 60, null);
    private final SimpleMeterRegistry metricsRegistry = new SimpleMeterRegistry();
    private final ClusterMetrics metrics = new ClusterMetrics(metricsRegistry);
    private final ClusterThread thread = new ClusterThread();
    private final List<Ep> lost = new ArrayList<>();
    private final EndpointProgrammer eps = new EndpointProgrammer(o, view, tables,
            new Mobility(5, TimeUnit.SECONDS.toNanos(180)), metrics, thread, lost::add);
    private final FloodProgrammer flood = new FloodProgrammer("h1", view, tables, metrics);
    private final Ep ep = new Ep(42, Mac.parse("02:00:00:00:03:01"));
    private long rev;

    @AfterEach
    void stop() {
        thread.close();
    }

    private Dirty put(String key, String value) {
        Dirty d = new Dirty();
        view.put(key, value, ++rev, 1, d);
        return d;
    }

    private Dirty claim(String node, IpAddress vtep, String ip) {
        if (!view.nodes().containsKey(node)) {
            put(keys.node(node), "{\"v\":1,\"vtep\":\"" + vtep + "\",\"vnis\":[42]}");
        }
        return put(keys.endpoint(42, ep.mac(), node), "{\"v\":1,\"node\":\"" + node + "\",\"vtep\":\"" + vtep
                + "\",\"ips\":[\"" + ip + "\"]}");
    }

    @Test
    void aRemoteClaimIsProgrammedAndItsWithdrawalRemovesOnlyClusterEntries() throws Exception {
        eps.program(claim("h3", H3, "10.20.1.31").eps, false);
        assertThat(tables.fdb.get(ep)).isEqualTo(new NodeTables.Fdb(H3, 0, false, true));
        assertThat(tables.neigh(42)).containsEntry(InetAddress.getByName("10.20.1.31"), ep.mac());
        // the claim moves to h2 (newer revision): re-pointed
        eps.program(claim("h2", H2, "10.20.1.31").eps, false);
        assertThat(tables.fdb.get(ep).remote()).isEqualTo(H2);
        // both withdrawn: the cluster entry and the neighbour entry go
        Dirty d = new Dirty();
        view.delete(keys.endpoint(42, ep.mac(), "h3"), ++rev, d);
        view.delete(keys.endpoint(42, ep.mac(), "h2"), ++rev, d);
        eps.program(d.eps, false);
        assertThat(tables.fdb).doesNotContainKey(ep);
        assertThat(tables.neigh(42)).isEmpty();
        assertThat(eps.programmed()).isZero();
    }

    @Test
    void anOperatorsStaticEntryAndALearnedOneAreNotTheProgrammersToDelete() {
        tables.fdb.put(ep, new NodeTables.Fdb(IpAddress.parse("198.18.0.99"), 0, true, false));
        eps.program(claim("h3", H3, "10.20.1.31").eps, false);
        assertThat(tables.fdb.get(ep).isStatic()).isTrue(); // the operator's entry wins on this host
        Ep learned = new Ep(42, Mac.parse("02:00:00:00:03:02"));
        tables.fdb.put(learned, new NodeTables.Fdb(H3, 0, false, false));
        eps.program(Set.of(learned), true);
        assertThat(tables.fdb).containsKey(learned);
        eps.sweep(); // first sync: only cluster entries the store does not back go
        assertThat(tables.fdb).containsKeys(ep, learned);
    }

    @Test
    void aClaimOfThisNodeWonByAnotherIsYielded() {
        eps.program(claim("h1", IpAddress.parse("198.18.0.11"), "10.20.1.11").eps, false);
        assertThat(tables.fdb).doesNotContainKey(ep);
        eps.program(claim("h3", H3, "10.20.1.11").eps, false);
        assertThat(lost).containsExactly(ep);
        assertThat(tables.fdb.get(ep).remote()).isEqualTo(H3);
    }

    @Test
    void floodListsFollowTheNodesAndKeepOperatorEntries() {
        IpAddress operator = IpAddress.parse("198.18.0.50");
        tables.flood.put(42, new ArrayList<>(List.of(new NodeTables.Flood(operator, false))));
        put(keys.node("h2"), "{\"v\":1,\"vtep\":\"198.18.0.12\",\"vnis\":[42]}");
        put(keys.node("h3"), "{\"vtep\":\"198.18.0.13\",\"vnis\":[42]}"); // a value written before the schema
        flood.program(42);
        assertThat(tables.flood(42)).extracting(NodeTables.Flood::dst).containsExactly(operator, H2, H3);
        Dirty d = new Dirty();
        view.delete(keys.node("h3"), ++rev, d);
        d.floodVnis.forEach(flood::program);
        assertThat(tables.flood(42)).extracting(NodeTables.Flood::dst).containsExactly(operator, H2);
    }

    @Test
    void aClaimOfANodeWithoutANodeKeyPointsNowhere() {
        put(keys.endpoint(42, ep.mac(), "ghost"), "{\"v\":1,\"node\":\"ghost\",\"vtep\":\"198.18.0.77\",\"ips\":[]}");
        eps.program(Set.of(ep), false);
        assertThat(tables.fdb).doesNotContainKey(ep);
        // its node appears: programmed; the node key goes (lease expired): removed
        Dirty d = put(keys.node("ghost"), "{\"v\":1,\"vtep\":\"198.18.0.77\",\"vnis\":[42]}");
        eps.program(d.eps, false);
        assertThat(tables.fdb.get(ep).remote()).isEqualTo(IpAddress.parse("198.18.0.77"));
        Dirty gone = new Dirty();
        view.delete(keys.node("ghost"), ++rev, gone);
        eps.program(gone.eps, false);
        assertThat(tables.fdb).doesNotContainKey(ep);
    }

    @Test
    void aFullFdbLeavesOutWhatDoesNotFitAndCountsIt() {
        tables.capacity = 1;
        Ep other = new Ep(42, Mac.parse("02:00:00:00:03:09"));
        claim("h3", H3, "10.20.1.31");
        put(keys.endpoint(42, other.mac(), "h3"), "{\"v\":1,\"node\":\"h3\",\"vtep\":\"" + H3 + "\",\"ips\":[]}");
        eps.program(Set.of(ep, other), false); // no exception: what fits is programmed
        assertThat(tables.fdb).hasSize(1);
        assertThat(eps.programmed()).isEqualTo(1);
        assertThat(metrics.programFailures.count()).isEqualTo(1.0);
    }

    private Dirty claimMac(String node, IpAddress vtep, int vni, String mac) {
        if (!view.nodes().containsKey(node)) {
            put(keys.node(node), "{\"v\":1,\"vtep\":\"" + vtep + "\",\"vnis\":[" + vni + "]}");
        }
        return put(keys.endpoint(vni, Mac.parse(mac), node), "{\"v\":1,\"node\":\"" + node + "\",\"vtep\":\"" + vtep
                + "\",\"ips\":[]}");
    }

    /** One node's claims beyond --etcd-node-maxaddress (2 here) are refused and counted; others' unaffected. */
    @Test
    void aNodeSprayingClaimsFillsItsOwnShareOnly() {
        eps.program(claimMac("h2", H2, 42, "02:00:00:00:02:01").eps, false);
        for (int i = 1; i <= 5; i++) {
            eps.program(claimMac("h3", H3, 42, "02:00:00:00:03:0" + i).eps, false);
        }
        assertThat(tables.fdb.values().stream().filter(f -> f.remote().equals(H3))).hasSize(2);
        assertThat(tables.fdb.get(new Ep(42, Mac.parse("02:00:00:00:02:01"))).remote()).isEqualTo(H2);
        assertThat(refused("node_maxaddress")).isEqualTo(3.0);
        // h2 still gets its entries in; re-resolving a refused claim does not count it again
        eps.program(claimMac("h2", H2, 42, "02:00:00:00:02:02").eps, false);
        assertThat(tables.fdb).containsKey(new Ep(42, Mac.parse("02:00:00:00:02:02")));
        eps.program(view.endpoints(), true);
        assertThat(refused("node_maxaddress")).isEqualTo(3.0);
        // one of h3's programmed claims withdrawn: a refused one takes its place
        Ep first = new Ep(42, Mac.parse("02:00:00:00:03:01"));
        Dirty d = new Dirty();
        view.delete(keys.endpoint(42, first.mac(), "h3"), ++rev, d);
        eps.program(d.eps, false);
        assertThat(tables.fdb).doesNotContainKey(first);
        assertThat(tables.fdb.values().stream().filter(f -> f.remote().equals(H3))).hasSize(2);
        assertThat(eps.programmed()).isEqualTo(4);
    }

    /** The VNI's maxaddress caps all other nodes' entries in it together. */
    @Test
    void theVnisMaxaddressCapsAllOtherNodesTogether() {
        tables.maxaddress = 3;
        eps.program(claimMac("h2", H2, 42, "02:00:00:00:02:01").eps, false);
        eps.program(claimMac("h2", H2, 42, "02:00:00:00:02:02").eps, false);
        eps.program(claimMac("h3", H3, 42, "02:00:00:00:03:01").eps, false);
        eps.program(claimMac("h3", H3, 42, "02:00:00:00:03:02").eps, false);
        assertThat(eps.programmed()).isEqualTo(3);
        assertThat(refused("maxaddress")).isEqualTo(1.0);
        // a move within the VNI keeps its slot: the entry follows the newer claim
        eps.program(claimMac("h3", H3, 42, "02:00:00:00:02:01").eps, false);
        assertThat(tables.fdb.get(new Ep(42, Mac.parse("02:00:00:00:02:01"))).remote()).isEqualTo(H3);
        assertThat(eps.programmed()).isEqualTo(3);
    }

    private double refused(String limit) {
        var c = metricsRegistry.find("xvtep_cluster_endpoints_refused").tag("limit", limit).counter();
        return c == null ? 0 : c.count();
    }
}
