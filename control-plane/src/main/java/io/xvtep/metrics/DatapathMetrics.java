package io.xvtep.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.xvtep.agent.VtepService;
import io.xvtep.datapath.MapCodec.VniStats;
import io.xvtep.datapath.MapCodec.XvtepEvent;
import io.micrometer.core.instrument.Counter;
import io.xvtep.model.FdbType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Datapath counters as Micrometer meters. Per-VNI counters are FunctionCounters over the
 * summed per-CPU stats, so the maps stay the only place that counts; one scrape reads the
 * stats map once (a short-lived snapshot) rather than once per meter.
 *
 * Names are chosen so the Prometheus output reads xvtep_rx_packets_total{vni="42"},
 * xvtep_drops_total{vni="42",reason="truncated"}, xvtep_passed_total{vni="0",reason="not_vxlan"}.
 */
public final class DatapathMetrics implements VtepService.Listener {

    private static final long SNAPSHOT_NS = 500_000_000L;

    /** Counter field -> meter name and description; drop_ and pass_ fields become reason tags. */
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
            new Plain("l2miss", "xvtep.l2miss", "Unicast frames with no FDB entry and no default destination"),
            new Plain("l3miss", "xvtep.l3miss", "ARP requests the proxy could not answer"));

    private final MeterRegistry registry;
    private final VtepService service;
    private final Map<Integer, List<Meter>> perVni = new ConcurrentHashMap<>();
    private final Map<String, Counter> events = new ConcurrentHashMap<>();
    private volatile Map<Integer, VniStats> snapshot = Map.of();
    private volatile long snapshotAt;
    private volatile Map<FdbType, Long> fdbCounts = Map.of();
    private volatile long fdbAt;

    public DatapathMetrics(MeterRegistry registry, VtepService service) {
        this.registry = registry;
        this.service = service;
        for (FdbType t : FdbType.values()) {
            Gauge.builder("xvtep.fdb.entries", this, m -> m.fdbCount(t)).tag("type", t.label())
                    .description("FDB entries by type (all-zero flood entries count as static)").register(registry);
        }
        Gauge.builder("xvtep.vnis", this, m -> m.stats().keySet().stream().filter(v -> v != 0).count())
                .description("VNIs served").register(registry);
        vniCreated(0);
        service.addListener(this);
    }

    /** Registers the meters of every VNI that exists (after a restart). */
    public void registerExisting(Iterable<Integer> vnis) {
        vnis.forEach(this::vniCreated);
    }

    @Override
    public void vniCreated(int vni) {
        perVni.computeIfAbsent(vni, v -> {
            String tag = Integer.toString(v);
            List<Meter> meters = new ArrayList<>();
            for (Plain p : PLAIN) {
                meters.add(FunctionCounter.builder(p.name(), this, m -> m.read(v, p.field())).tag("vni", tag)
                        .description(p.description()).register(registry));
            }
            for (String f : VniStats.FIELDS) {
                if (f.startsWith("drop_")) {
                    meters.add(FunctionCounter.builder("xvtep.drops", this, m -> m.read(v, f)).tag("vni", tag)
                            .tag("reason", f.substring(5)).description("Frames dropped by the datapath, by reason")
                            .register(registry));
                } else if (f.startsWith("pass_")) {
                    meters.add(FunctionCounter.builder("xvtep.passed", this, m -> m.read(v, f)).tag("vni", tag)
                            .tag("reason", f.substring(5))
                            .description("Underlay frames left to the kernel stack, by reason").register(registry));
                }
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
        snapshotAt = 0;
    }

    /** Counts a ring-buffer event (learn, move, l2miss, l3miss, neigh_miss). */
    public void event(XvtepEvent e) {
        events.computeIfAbsent(e.typeName(), t -> Counter.builder("xvtep.events").tag("type", t)
                .description("Datapath events read from the ring buffer").register(registry)).increment();
    }

    private double read(int vni, String field) {
        VniStats s = stats().get(vni);
        return s == null ? 0 : s.get(field);
    }

    private Map<Integer, VniStats> stats() {
        long now = System.nanoTime();
        if (now - snapshotAt > SNAPSHOT_NS) {
            snapshot = service.allStats();
            snapshotAt = now;
        }
        return snapshot;
    }

    private double fdbCount(FdbType t) {
        long now = System.nanoTime();
        if (now - fdbAt > SNAPSHOT_NS) {
            fdbCounts = service.countFdb();
            fdbAt = now;
        }
        return fdbCounts.getOrDefault(t, 0L);
    }
}
