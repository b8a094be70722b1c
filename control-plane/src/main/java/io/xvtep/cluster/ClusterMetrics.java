package io.xvtep.cluster;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** The cluster's meters (names as documented in docs/cluster.md). */
final class ClusterMetrics {

    private final MeterRegistry registry;
    private final Timer.Builder opTimer;
    final Counter eventsApplied, conflicts, moves, resyncs, programFailures, claimWrites, claimTxns, learnsDropped;
    final AtomicInteger frozen = new AtomicInteger();
    final AtomicInteger remoteEndpoints = new AtomicInteger();
    private final MultiGauge remoteNodes;
    private final Map<Integer, Integer> remoteNodesByVni = new ConcurrentHashMap<>();

    ClusterMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.opTimer = Timer.builder("xvtep_cluster_store_op").description("Latency of etcd operations")
                .publishPercentiles(0.5, 0.99);
        this.eventsApplied = Counter.builder("xvtep_cluster_watch_events_applied")
                .description("Store events (watch, re-list diffs, own writes) applied to the maps").register(registry);
        this.conflicts = Counter.builder("xvtep_cluster_conflicts")
                .description("MACs claimed by two nodes at once (newest revision wins)").register(registry);
        this.moves = Counter.builder("xvtep_cluster_mac_moves")
                .description("MACs whose owning node changed").register(registry);
        this.resyncs = Counter.builder("xvtep_cluster_resyncs")
                .description("Full re-lists of the store (start, compaction, watch failure)").register(registry);
        this.claimWrites = Counter.builder("xvtep_cluster_claim_writes")
                .description("This node's claims put or deleted in the store").register(registry);
        this.claimTxns = Counter.builder("xvtep_cluster_claim_txns")
                .description("Transactions that carried them (at most 128 claims each)").register(registry);
        this.learnsDropped = Counter.builder("xvtep_cluster_learns_dropped")
                .description("Learn events not queued for publishing (queue full; the periodic scan publishes them)")
                .register(registry);
        this.programFailures = Counter.builder("xvtep_cluster_program_failures")
                .description("Cluster FDB writes that failed (a full FDB): left out, tried again later").register(registry);
        Gauge.builder("xvtep_cluster_frozen_macs", frozen, AtomicInteger::get)
                .description("MACs frozen by mobility detection").register(registry);
        Gauge.builder("xvtep_cluster_remote_endpoints", remoteEndpoints, AtomicInteger::get)
                .description("Cluster FDB entries programmed (remote endpoints)").register(registry);
        this.remoteNodes = MultiGauge.builder("xvtep_cluster_remote_nodes")
                .description("Remote nodes with ports in the VNI (its cluster flood list)").register(registry);
    }

    void synced(BooleanSupplier synced) {
        Gauge.builder("xvtep_cluster_initial_sync_complete", () -> synced.getAsBoolean() ? 1 : 0)
                .description("1 once the store was listed and applied").register(registry);
    }

    /** A claim refused by a receiving-side cap ({@code limit}: node_maxaddress or maxaddress). */
    void endpointRefused(String limit) {
        Counter.builder("xvtep_cluster_endpoints_refused").tag("limit", limit)
                .description("Other nodes' claims not programmed here: beyond --etcd-node-maxaddress or the VNI's maxaddress")
                .register(registry).increment();
    }

    void storeOp(String op, boolean ok, long nanos) {
        opTimer.tags("op", op, "result", ok ? "ok" : "error").register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The VNI's count of remote nodes; null: the VNI is gone. */
    void remoteNodes(int vni, Integer n) {
        if (n == null) {
            remoteNodesByVni.remove(vni);
        } else {
            remoteNodesByVni.put(vni, n);
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        remoteNodesByVni.forEach((v, c) -> rows.add(MultiGauge.Row.of(Tags.of("vni", String.valueOf(v)), c)));
        remoteNodes.register(rows, true);
    }
}
