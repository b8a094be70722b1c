package io.xvtep.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.xvtep.model.FdbType;
import io.xvtep.service.Counters;
import io.xvtep.service.Services;
import io.xvtep.service.StatsService.Learning;
import io.xvtep.service.StatsService.Occupancy;
import io.xvtep.service.VtepEvent;
import io.xvtep.service.VtepListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Datapath counters as Micrometer meters. Per-VNI counters are FunctionCounters over the
 * summed per-CPU stats, so the maps stay the only place that counts; one scrape reads the
 * stats map once (a short-lived snapshot) rather than once per meter.
 *
 * Names are chosen so the Prometheus output reads xvtep_rx_packets_total{vni="42"},
 * xvtep_drops_total{vni="42",reason="truncated"}, xvtep_passed_total{vni="0",reason="not_vxlan"}.
 *
 * Events: xvtep_events_emitted_total / xvtep_events_lost_total come from the datapath's
 * per-VNI counters; xvtep_events_total{type} counts what this agent consumed;
 * xvtep_events_lag is emitted minus consumed (events still in the ring buffer or not yet
 * handled) since this agent started; xvtep_event_latency_seconds is the time from the
 * datapath's bpf_ktime_get_ns() to the agent's handling (both CLOCK_MONOTONIC).
 * docs/metrics.md lists every metric.
 */
public final class DatapathMetrics implements VtepListener {

    private static final long SNAPSHOT_NS = 500_000_000L;

    /** Event latency histogram buckets: 10 us to 10 s. */
    static final Duration[] LATENCY_BUCKETS = java.util.stream.LongStream.of(10_000, 25_000, 50_000, 100_000,
            250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000,
            250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000L, 5_000_000_000L, 10_000_000_000L)
            .mapToObj(Duration::ofNanos).toArray(Duration[]::new);

    /** Counter field -> meter name and description; drop and pass reasons become reason tags. */
    private record Plain(String field, String name, String description) {
    }

    private static final List<Plain> PLAIN = List.of(
            new Plain("rx_packets", "xvtep.rx.packets", "Frames decapsulated and delivered to local ports"),
            new Plain("rx_bytes", "xvtep.rx.bytes", "Inner frame bytes decapsulated and delivered"),
            new Plain("tx_packets", "xvtep.tx.packets", "Frames encapsulated and sent, one per outer copy"),
            new Plain("tx_bytes", "xvtep.tx.bytes", "Inner frame bytes encapsulated and sent"),
            new Plain("switched_packets", "xvtep.switched.packets", "Frames switched between local ports"),
            new Plain("switched_bytes", "xvtep.switched.bytes", "Bytes switched between local ports"),
            new Plain("flooded_packets", "xvtep.flooded.packets", "BUM/unknown frames replicated (once per frame)"),
            new Plain("proxied", "xvtep.proxied", "ARP/ND requests answered by the proxy"),
            new Plain("learned", "xvtep.fdb.learned", "FDB entries learned"),
            new Plain("moved", "xvtep.fdb.moved", "Learned MACs that moved to another port or VTEP"),
            new Plain("learn_refused", "xvtep.fdb.learn.refused",
                    "New MACs not learned because a learning limit (host, VNI maxaddress, port fdb_max_learned) was reached"),
            new Plain("l2miss", "xvtep.l2miss", "Unicast frames with no FDB entry and no default destination"),
            new Plain("l3miss", "xvtep.l3miss", "ARP requests the proxy could not answer"),
            new Plain("events_emitted", "xvtep.events.emitted",
                    "Events the datapath wrote to the xvtep_events ring buffer"),
            new Plain("events_lost", "xvtep.events.lost",
                    "Events the datapath could not write because the ring buffer was full"));

    private final MeterRegistry registry;
    private final Services services;
    private final Map<Integer, List<Meter>> perVni = new ConcurrentHashMap<>();
    private final Map<String, Counter> events = new ConcurrentHashMap<>();
    private volatile Map<Integer, Counters> snapshot = Map.of();
    private volatile long snapshotAt;
    private volatile Occupancy occupancy = new Occupancy(Map.of(), 0, 0);
    private volatile long occupancyAt;
    private volatile Map<Integer, Learning> learning = Map.of();
    private volatile long learningAt;
    /** Events consumed per VNI since this agent started (or since the VNI was created). */
    private final Map<Integer, AtomicLong> consumed = new ConcurrentHashMap<>();
    /** events_emitted of each VNI when this agent first saw it (events of earlier agents). */
    private final Map<Integer, Long> emittedBaseline = new ConcurrentHashMap<>();
    private final Timer latency;

    public DatapathMetrics(MeterRegistry registry, Services services) {
        this.registry = registry;
        this.services = services;
        for (FdbType t : FdbType.values()) {
            Gauge.builder("xvtep.fdb.entries", this, m -> m.fdbCount(t)).tag("type", t.label())
                    .description("FDB entries by type (all-zero flood entries count as static)").register(registry);
        }
        Gauge.builder("xvtep.neigh.entries", this, m -> m.occupancy().neighIpv4()).tag("family", "ipv4")
                .description("ARP/ND proxy neighbour entries by address family").register(registry);
        Gauge.builder("xvtep.neigh.entries", this, m -> m.occupancy().neighIpv6()).tag("family", "ipv6")
                .description("ARP/ND proxy neighbour entries by address family").register(registry);
        Gauge.builder("xvtep.events.lag", this, DatapathMetrics::lag)
                .description("Events emitted by the datapath and not yet handled by this agent (since it started)")
                .register(registry);
        // Fixed buckets (the Prometheus registry drops client-side percentiles when a histogram is
        // published): PromQL's histogram_quantile() gives p50/p99 from them.
        latency = Timer.builder("xvtep.event.latency")
                .description("Time from the datapath writing an event to the agent handling it")
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        Gauge.builder("xvtep.vnis", this, m -> m.stats().keySet().stream().filter(v -> v != 0).count())
                .description("VNIs served").register(registry);
        // Events emitted before this agent started were handled (or not) by an earlier one.
        services.stats().all().forEach((vni, st) -> emittedBaseline.put(vni, st.get("events_emitted")));
        vniCreated(0);
        services.addListener(this);
    }

    /** Registers the meters of every VNI that exists (after a restart). */
    public void registerExisting(Iterable<Integer> vnis) {
        vnis.forEach(this::vniCreated);
    }

    @Override
    public void vniCreated(int vni) {
        emittedBaseline.putIfAbsent(vni, 0L); // a new VNI's counters start at zero
        perVni.computeIfAbsent(vni, v -> {
            String tag = Integer.toString(v);
            List<Meter> meters = new ArrayList<>();
            for (Plain p : PLAIN) {
                meters.add(FunctionCounter.builder(p.name(), this, m -> m.read(v, p.field())).tag("vni", tag)
                        .description(p.description()).register(registry));
            }
            if (v != 0) { // VNI 0 counts frames of no VNI: it learns nothing
                meters.add(Gauge.builder("xvtep.fdb.learned.entries", this, m -> m.learning(v).learned()).tag("vni", tag)
                        .description("Learned FDB entries charged to the VNI's learning budget").register(registry));
                meters.add(Gauge.builder("xvtep.fdb.learned.entries.limit", this, m -> m.learning(v).limit())
                        .tag("vni", tag).description("The VNI's learning limit (maxaddress; 0: none of its own)")
                        .register(registry));
            }
            for (Counters.Reason r : Counters.DROPS) {
                meters.add(FunctionCounter.builder("xvtep.drops", this, m -> m.read(v, r.counter())).tag("vni", tag)
                        .tag("reason", r.label()).description("Frames dropped by the datapath, by reason")
                        .register(registry));
            }
            for (Counters.Reason r : Counters.PASSES) {
                meters.add(FunctionCounter.builder("xvtep.passed", this, m -> m.read(v, r.counter())).tag("vni", tag)
                        .tag("reason", r.label())
                        .description("Underlay frames left to the kernel stack, by reason").register(registry));
            }
            return meters;
        });
    }

    @Override
    public void vniDeleted(int vni) {
        List<Meter> meters = perVni.remove(vni);
        if (meters != null) {
            meters.forEach(registry::remove);
        }
        consumed.remove(vni);
        // A VNI created again starts with zeroed counters.
        emittedBaseline.put(vni, 0L);
        snapshotAt = 0;
    }

    /**
     * Counts a ring-buffer event (learn, move, l2miss, l3miss, neigh_miss) and its latency.
     * Runs on the polling thread for every event: lock-free, no I/O.
     */
    public void event(VtepEvent e) {
        long now = System.nanoTime(); // CLOCK_MONOTONIC, as bpf_ktime_get_ns()
        events.computeIfAbsent(e.type().label(), t -> Counter.builder("xvtep.events").tag("type", t)
                .description("Datapath events read from the ring buffer").register(registry)).increment();
        consumed.computeIfAbsent(e.vni(), v -> new AtomicLong()).incrementAndGet();
        long age = now - e.tsNs();
        if (e.tsNs() > 0 && age >= 0) {
            latency.record(age, TimeUnit.NANOSECONDS);
        }
    }

    /** Events emitted minus events consumed, per VNI, since this agent first saw the VNI; never negative. */
    private double lag() {
        long lag = 0;
        for (Map.Entry<Integer, Counters> e : stats().entrySet()) {
            int vni = e.getKey();
            long emitted = e.getValue().get("events_emitted");
            long base = emittedBaseline.computeIfAbsent(vni, v -> emitted);
            AtomicLong c = consumed.get(vni);
            lag += Math.max(0, emitted - base - (c == null ? 0 : c.get()));
        }
        return lag;
    }

    private double read(int vni, String field) {
        Counters s = stats().get(vni);
        return s == null ? 0 : s.get(field);
    }

    private Map<Integer, Counters> stats() {
        long now = System.nanoTime();
        if (now - snapshotAt > SNAPSHOT_NS) {
            snapshot = services.stats().all();
            snapshotAt = now;
        }
        return snapshot;
    }

    /** Table occupancy, at most once per snapshot period (the neighbour counts walk the tables' keys). */
    private Occupancy occupancy() {
        long now = System.nanoTime();
        if (now - occupancyAt > SNAPSHOT_NS) {
            occupancy = services.stats().occupancy();
            occupancyAt = now;
        }
        return occupancy;
    }

    /** Learning budgets, at most once per snapshot period (one walk of the budget tables for every VNI). */
    private Learning learning(int vni) {
        long now = System.nanoTime();
        if (now - learningAt > SNAPSHOT_NS) {
            learning = services.stats().learning();
            learningAt = now;
        }
        return learning.getOrDefault(vni, new Learning(0, 0));
    }

    private double fdbCount(FdbType t) {
        return occupancy().fdb().getOrDefault(t, 0L);
    }
}
