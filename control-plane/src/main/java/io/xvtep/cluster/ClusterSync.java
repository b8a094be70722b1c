package io.xvtep.cluster;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.xvtep.agent.VtepService;
import io.xvtep.api.JsonCodec;
import io.xvtep.cluster.Keys.Ep;
import io.xvtep.cluster.StoreView.Claim;
import io.xvtep.cluster.StoreView.Dirty;
import io.xvtep.datapath.Datapath;
import io.xvtep.datapath.MapCodec.FdbKey;
import io.xvtep.datapath.MapCodec.FdbValue;
import io.xvtep.datapath.MapCodec.FloodDst;
import io.xvtep.datapath.MapCodec.PortCfg;
import io.xvtep.datapath.MapCodec.VniCfg;
import io.xvtep.datapath.MapCodec.XvtepEvent;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Cluster mode: registers this node and the endpoints behind its local ports in etcd under a
 * lease, mirrors the store, and programs the maps from it (cluster FDB entries, neighbour
 * entries, flood lists, VNIs).
 *
 * Threading: every piece of state lives on one thread ("xvtep-cluster"). jetcd completions
 * and watch callbacks (which may run on Vert.x event loops) only hand work to that thread,
 * datapath events are handed over the same way; nothing here ever blocks an event loop.
 */
public final class ClusterSync implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("xvtep.cluster");
    private static final long OP_TIMEOUT_MS = 5_000;
    private static final long CONFLICT_GRACE_MS = 3_000;
    private static final String DELETE = "\0delete";
    /** How long a VNI tombstone lives (seconds): a node down longer than this brings the VNI back. */
    static final long TOMBSTONE_TTL_S = Long.getLong("xvtep.cluster.tombstoneTtl", 86_400L);
    /** VNI options a PATCH changes, i.e. what an update from the store is compared on. */
    private static final Set<String> VNI_MUTABLE = mutableFields();

    private static Set<String> mutableFields() {
        Set<String> s = new HashSet<>(JsonCodec.VNI_PATCH_FIELDS);
        VtepService.IMMUTABLE.forEach(s::remove);
        return Set.copyOf(s);
    }

    /** Settings; {@code root} is the key prefix root (default /xvtep). */
    public record Options(List<String> endpoints, String node, String root, int leaseTtl, int moveLimit,
            int moveWindowSeconds, long scanMs) {
    }

    private final Options o;
    private final Keys keys;
    private final String self;
    private final VtepService service;
    private final Datapath dp;
    private final Ipv4 vtep;
    private final Client client;
    private final ScheduledExecutorService ex;
    private volatile Thread exThread;
    private final StoreView view;
    private final Mobility mobility;

    // what this agent programmed from the store
    private final Map<Ep, Ipv4> fdbProg = new HashMap<>();
    private final Map<Ep, Set<InetAddress>> neighProg = new HashMap<>();
    private final Map<String, Ep> ipOwner = new HashMap<>();
    private final Map<Integer, Set<Ipv4>> floodProg = new HashMap<>();
    private final Map<Ep, String> lastWinner = new HashMap<>();
    private final Set<Ep> conflictPending = new HashSet<>();

    // this node's registrations
    private final Map<String, String> desired = new HashMap<>();
    private final Map<String, String> ownValues = new HashMap<>();
    private final Map<String, String> inflight = new HashMap<>();
    private final Set<String> forced = new HashSet<>();
    private final Set<Ep> yielded = new HashSet<>();
    private Map<Ep, List<InetAddress>> localIps = new HashMap<>();
    private long leaseId;
    private boolean granting;
    private long lastKeepAlive;
    private long lastScan;
    private final AtomicBoolean scanQueued = new AtomicBoolean();

    // store sync
    private volatile boolean synced;
    private boolean syncing;
    private Watch.Watcher watcher;
    private int watchGen;
    private boolean applyingVni;
    // VNIs changed through this node's API, to be written to the store
    private final Map<Integer, String> vniPuts = new HashMap<>(); // created/patched: definition at that moment
    private final Set<Integer> vniDels = new HashSet<>(); // deleted: key deleted + tombstone written
    private final Set<Integer> vniInflight = new HashSet<>();
    private final Set<Integer> createdHere = new HashSet<>(); // created through the API during this run
    private long vniRetryAt;
    private volatile boolean closed;

    // metrics
    private final Timer.Builder opTimer;
    private final MeterRegistry registry;
    private final Counter eventsApplied, conflicts, moves, resyncs;
    private final AtomicInteger frozenGauge = new AtomicInteger();
    private final AtomicInteger remoteEndpoints = new AtomicInteger();
    private final MultiGauge remoteNodes;
    private final Map<Integer, Integer> remoteNodesByVni = new ConcurrentHashMap<>();

    public ClusterSync(Options o, VtepService service, Ipv4 vtep, MeterRegistry registry) {
        this.o = o;
        this.keys = new Keys(o.root());
        this.self = o.node();
        if (!Keys.validNode(self)) {
            throw new IllegalArgumentException("--node must be printable without '/' or spaces: " + self);
        }
        this.service = service;
        this.dp = service.datapath();
        this.vtep = vtep;
        this.view = new StoreView(keys);
        this.mobility = new Mobility(o.moveLimit(), TimeUnit.SECONDS.toNanos(o.moveWindowSeconds()));
        this.client = Client.builder().endpoints(o.endpoints().toArray(String[]::new))
                .connectTimeout(java.time.Duration.ofSeconds(3)).build();
        this.ex = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "xvtep-cluster");
            t.setDaemon(true);
            exThread = t;
            return t;
        });
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
        Gauge.builder("xvtep_cluster_initial_sync_complete", () -> synced ? 1 : 0)
                .description("1 once the store was listed and applied").register(registry);
        Gauge.builder("xvtep_cluster_frozen_macs", frozenGauge, AtomicInteger::get)
                .description("MACs frozen by mobility detection").register(registry);
        Gauge.builder("xvtep_cluster_remote_endpoints", remoteEndpoints, AtomicInteger::get)
                .description("Cluster FDB entries programmed (remote endpoints)").register(registry);
        this.remoteNodes = MultiGauge.builder("xvtep_cluster_remote_nodes")
                .description("Remote nodes with ports in the VNI (its cluster flood list)").register(registry);
    }

    /** Starts syncing; returns at once (see {@link #synced()}). */
    public ClusterSync start() {
        service.addListener(new VtepService.Listener() {
            @Override
            public void vniCreated(int vni) {
                if (!(Thread.currentThread() == exThread && applyingVni)) {
                    String def = vniDefinition(vni).encode(); // as it is now (the service's lock is held)
                    run(() -> {
                        createdHere.add(vni);
                        vniDels.remove(vni);
                        vniPuts.put(vni, def);
                        flushVnis();
                    });
                }
            }

            @Override
            public void vniUpdated(int vni) {
                // An update applied from the store (applyingVni, on this thread) is never published back.
                if (!(Thread.currentThread() == exThread && applyingVni)) {
                    String def = vniDefinition(vni).encode();
                    run(() -> {
                        vniPuts.put(vni, def);
                        flushVnis();
                    });
                }
            }

            @Override
            public void localChanged(int vni) {
                // one scan per burst of API writes (e.g. a CNI ADD: port, FDB, neighbours)
                if (scanQueued.compareAndSet(false, true)) {
                    run(() -> {
                        scanQueued.set(false);
                        if (synced) {
                            scanLocal();
                        }
                    });
                }
            }

            @Override
            public void vniDeleted(int vni) {
                if (!(Thread.currentThread() == exThread && applyingVni)) {
                    run(() -> {
                        vniPuts.remove(vni);
                        createdHere.remove(vni);
                        vniDels.add(vni);
                        flushVnis();
                    });
                }
            }
        });
        run(this::resync);
        ex.scheduleWithFixedDelay(() -> guard(this::tick), 200, 200, TimeUnit.MILLISECONDS);
        LOG.log(System.Logger.Level.INFO, "cluster: node " + self + ", vtep " + vtep + ", store " + o.endpoints()
                + ", prefix " + keys.prefix() + ", lease ttl " + o.leaseTtl() + " s");
        return this;
    }

    /** True once the store has been listed and applied (the agent's /readyz waits for it). */
    public boolean synced() {
        return synced;
    }

    public String node() {
        return self;
    }

    /** A datapath event, from the ring-buffer thread: handed over, never handled there. */
    public void onEvent(XvtepEvent ev) {
        switch (ev.type()) {
            case XvtepEvent.LEARN, XvtepEvent.MOVE -> {
                if (ev.ifindex() != 0) {
                    run(() -> localLearned(new Ep(ev.vni(), ev.mac()), ev.ifindex()));
                }
            }
            case XvtepEvent.L2MISS -> run(() -> l2miss(new Ep(ev.vni(), ev.mac())));
            case XvtepEvent.L3MISS -> run(() -> l3miss(ev.vni(), ev.ip()));
            default -> {
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private void run(Runnable r) {
        if (!closed) {
            try {
                ex.execute(() -> guard(r));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    private void guard(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cluster: " + e, e);
        }
    }

    private static ByteSequence bs(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static String str(ByteSequence b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    /** Times a store operation and hands its completion to the cluster thread. */
    private <T> void op(String name, CompletableFuture<T> f, Consumer<T> ok, Consumer<Throwable> failed) {
        long t0 = System.nanoTime();
        f.orTimeout(OP_TIMEOUT_MS, TimeUnit.MILLISECONDS).whenComplete((r, e) -> {
            opTimer.tags("op", name, "result", e == null ? "ok" : "error").register(registry)
                    .record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            run(() -> {
                if (e == null) {
                    ok.accept(r);
                } else {
                    failed.accept(e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                            ? e.getCause() : e);
                }
            });
        });
    }

    // ------------------------------------------------------------------ list + watch

    private void resync() {
        if (syncing || closed) {
            return;
        }
        syncing = true;
        resyncs.increment();
        op("list", client.getKVClient().get(bs(keys.prefix()), GetOption.builder().isPrefix(true).build()),
                this::listed, e -> {
                    syncing = false;
                    LOG.log(System.Logger.Level.WARNING, "cluster: listing the store failed (" + e.getMessage()
                            + "); retrying, forwarding continues on the current maps");
                    ex.schedule(() -> guard(this::resync), 1, TimeUnit.SECONDS);
                });
    }

    private void listed(GetResponse r) {
        syncing = false;
        long rev = r.getHeader().getRevision();
        Dirty d = new Dirty();
        Set<String> seen = new HashSet<>();
        int n = 0;
        for (KeyValue kv : r.getKvs()) {
            String k = str(kv.getKey());
            seen.add(k);
            String v = str(kv.getValue());
            if (view.put(k, v, kv.getModRevision(), kv.getLease(), d)) {
                n++;
            }
            own(k, v);
        }
        // Keys the list no longer holds are gone, unless we learned of them after the list was taken.
        for (String k : new ArrayList<>(view.keys())) {
            if (!seen.contains(k) && view.rev(k) <= rev && view.delete(k, 0, d)) {
                n++;
                ownValues.remove(k);
            }
        }
        view.streamedTo(rev);
        eventsApplied.increment(n);
        boolean first = !synced;
        if (first) {
            // Everything in the store is (re)checked against the maps once: mark and sweep.
            d.eps.addAll(view.endpoints());
            d.vnisPut.addAll(view.vnis().keySet());
            dp.vnis().forEach(c -> d.floodVnis.add(c.vni()));
        }
        long t0 = System.nanoTime();
        apply(d, true);
        if (first) {
            sweep();
            reconcileLocalVnis();
            scanLocal();
            synced = true;
            flushVnis();
            LOG.log(System.Logger.Level.INFO, "cluster: initial sync at revision " + rev + ": " + view.keys().size()
                    + " keys, " + fdbProg.size() + " remote endpoints, applied in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } else {
            LOG.log(System.Logger.Level.INFO, "cluster: re-listed at revision " + rev + ", " + n + " changes");
        }
        watch(rev + 1);
    }

    private void watch(long fromRev) {
        if (watcher != null) {
            watcher.close();
        }
        int gen = ++watchGen;
        WatchOption opt = WatchOption.builder().isPrefix(true).withRevision(fromRev).build();
        watcher = client.getWatchClient().watch(bs(keys.prefix()), opt, Watch.listener(
                resp -> run(() -> watched(gen, resp)),
                err -> run(() -> watchFailed(gen, err))));
    }

    private void watched(int gen, WatchResponse resp) {
        if (gen != watchGen) {
            return;
        }
        Dirty d = new Dirty();
        int n = 0;
        long upTo = 0;
        for (WatchEvent ev : resp.getEvents()) {
            KeyValue kv = ev.getKeyValue();
            upTo = Math.max(upTo, kv.getModRevision());
            String k = str(kv.getKey());
            if (ev.getEventType() == WatchEvent.EventType.PUT) {
                String v = str(kv.getValue());
                if (view.put(k, v, kv.getModRevision(), kv.getLease(), d)) {
                    n++;
                    own(k, v);
                }
            } else if (ev.getEventType() == WatchEvent.EventType.DELETE) {
                if (view.delete(k, kv.getModRevision(), d)) {
                    n++;
                    ownValues.remove(k);
                }
            }
        }
        view.streamedTo(upTo);
        eventsApplied.increment(n);
        // per-key lookups: a whole-map snapshot per watch response would make a burst quadratic
        apply(d, false);
    }

    private void watchFailed(int gen, Throwable err) {
        if (gen != watchGen || closed) {
            return;
        }
        // A compacted revision (or any error that ends the watch): list again, watch from the list's revision.
        LOG.log(System.Logger.Level.WARNING, "cluster: watch ended (" + err + "): re-listing");
        watchGen++;
        if (watcher != null) {
            watcher.close();
            watcher = null;
        }
        ex.schedule(() -> guard(this::resync), 200, TimeUnit.MILLISECONDS);
    }

    /** Remembers the stored value of this node's own keys. */
    private void own(String k, String v) {
        keys.parse(k).ifPresent(p -> {
            if ((p instanceof Keys.NodeKey nk && nk.node().equals(self))
                    || (p instanceof Keys.EndpointKey ek && ek.node().equals(self))) {
                ownValues.put(k, v);
            }
        });
    }

    // ------------------------------------------------------------------ store -> maps

    /** A batch of FDB writes, read against one snapshot when large. */
    private final class Batch {
        final Map<FdbKey, FdbValue> snapshot;
        final Map<FdbKey, FdbValue> puts = new HashMap<>();
        final List<FdbKey> dels = new ArrayList<>();

        Batch(boolean bulk) {
            snapshot = bulk ? dp.fdbOf(0) : null;
        }

        FdbValue current(FdbKey k) {
            return snapshot != null ? snapshot.get(k) : dp.fdb(k).orElse(null);
        }

        void deleteIfCluster(FdbKey k) {
            FdbValue cur = current(k);
            if (cur != null && (cur.flags() & FdbValue.F_CLUSTER) != 0) {
                dels.add(k);
            }
        }

        void flush() {
            if (puts.size() > 8) {
                dp.putFdbBatch(puts);
            } else {
                puts.forEach(dp::putFdb);
            }
            if (dels.size() > 8) {
                dp.deleteFdbBatch(dels);
            } else {
                dels.forEach(dp::deleteFdb);
            }
        }
    }

    private void apply(Dirty d, boolean bulk) {
        long now = System.nanoTime();
        for (int vni : d.vnisDeleted) {
            if (!view.vnis().containsKey(vni)) {
                vniPuts.remove(vni); // a delete in the store outranks an update of ours not yet written
            }
            if (!view.vnis().containsKey(vni) && dp.vni(vni).isPresent()) {
                applyingVni = true;
                try {
                    service.deleteVni(String.valueOf(vni));
                    LOG.log(System.Logger.Level.INFO, "cluster: VNI " + vni + " deleted from the store: removed");
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "cluster: deleting VNI " + vni + ": " + e.getMessage());
                } finally {
                    applyingVni = false;
                }
                fdbProg.keySet().removeIf(ep -> ep.vni() == vni);
                neighProg.keySet().removeIf(ep -> ep.vni() == vni);
                ipOwner.values().removeIf(ep -> ep.vni() == vni);
                floodProg.remove(vni);
                remoteNodesByVni.remove(vni);
            }
        }
        for (int vni : d.vnisPut) {
            if (dp.vni(vni).isPresent()) {
                updateFromStore(vni);
                continue;
            }
            if (vniDels.contains(vni)) {
                continue; // deleted here; the store's key is about to go
            }
            JsonObject def = view.vnis().get(vni);
            if (def == null) {
                continue;
            }
            applyingVni = true;
            try {
                service.createVni(JsonCodec.vniSpec(def));
                LOG.log(System.Logger.Level.INFO, "cluster: VNI " + vni + " created from the store");
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cluster: creating VNI " + vni + " from " + def + ": "
                        + e.getMessage());
                continue;
            } finally {
                applyingVni = false;
            }
            d.floodVnis.add(vni);
            for (Ep ep : view.endpoints()) {
                if (ep.vni() == vni) {
                    d.eps.add(ep);
                }
            }
        }
        if (!d.eps.isEmpty()) {
            Set<Integer> localVnis = new HashSet<>();
            dp.vnis().forEach(c -> localVnis.add(c.vni()));
            Batch b = new Batch(bulk);
            for (Ep ep : d.eps) {
                resolve(ep, b, localVnis, now);
            }
            b.flush();
        }
        for (int vni : d.floodVnis) {
            applyFlood(vni);
        }
        remoteEndpoints.set(fdbProg.size());
        frozenGauge.set(mobility.frozenCount(now));
        publishOwn();
    }

    private void resolve(Ep ep, Batch b, Set<Integer> localVnis, long now) {
        FdbKey fk = new FdbKey(ep.vni(), ep.mac());
        if (!localVnis.contains(ep.vni())) {
            fdbProg.remove(ep);
            neighProg.remove(ep);
            return;
        }
        String frozenOn = mobility.frozenOn(ep, now);
        Claim w = view.winner(ep, frozenOn);
        if (w == null) {
            lastWinner.remove(ep);
            if (fdbProg.remove(ep) != null) {
                b.deleteIfCluster(fk);
            }
            programNeigh(ep, Set.of());
            return;
        }
        String prev = lastWinner.put(ep, w.node());
        if (prev != null && !prev.equals(w.node())) {
            moves.increment();
            LOG.log(System.Logger.Level.INFO, () -> "cluster: vni " + ep.vni() + " mac " + ep.mac() + " moved "
                    + prev + " -> " + w.node());
            if (mobility.moved(ep, w.node(), now)) {
                LOG.log(System.Logger.Level.WARNING, "cluster: event mac-frozen vni " + ep.vni() + " mac "
                        + ep.mac() + ": more than " + o.moveLimit() + " moves in " + o.moveWindowSeconds()
                        + " s, frozen on " + w.node());
            }
        }
        if (view.claims(ep).size() > 1 && conflictPending.add(ep)) {
            ex.schedule(() -> guard(() -> checkConflict(ep)), CONFLICT_GRACE_MS, TimeUnit.MILLISECONDS);
        }
        if (w.node().equals(self)) {
            if (fdbProg.remove(ep) != null) {
                b.deleteIfCluster(fk);
            }
            // the IP -> MAC entries stay valid (same MAC, now local): no longer ours to manage
            Set<InetAddress> had = neighProg.remove(ep);
            if (had != null) {
                had.forEach(ip -> ipOwner.remove(ep.vni() + "|" + ip.getHostAddress(), ep));
            }
            return;
        }
        Ipv4 to = view.vtepOf(w);
        if (to == null) {
            return;
        }
        FdbValue cur = b.current(fk);
        if (cur != null && (cur.flags() & FdbValue.F_STATIC) != 0) {
            return; // an operator's entry wins on this host
        }
        String mine = keys.endpoint(ep.vni(), ep.mac(), self);
        if (desired.remove(mine) != null) {
            yielded.add(ep); // a newer claim elsewhere: the MAC left us; we claim again only if it shows up here again
        }
        if (cur == null || (cur.flags() & FdbValue.F_CLUSTER) == 0 || cur.ifindex() != 0 || !to.equals(cur.remote())) {
            b.puts.put(fk, new FdbValue(to, 0, FdbValue.F_CLUSTER, System.nanoTime()));
        }
        fdbProg.put(ep, to);
        programNeigh(ep, new HashSet<>(w.ips()));
    }

    private void programNeigh(Ep ep, Set<InetAddress> want) {
        Set<InetAddress> had = neighProg.getOrDefault(ep, Set.of());
        for (InetAddress ip : want) {
            String k = ep.vni() + "|" + ip.getHostAddress();
            if (!had.contains(ip) || !ep.equals(ipOwner.get(k))) {
                dp.putNeigh(ep.vni(), ip, ep.mac());
                ipOwner.put(k, ep);
            }
        }
        for (InetAddress ip : had) {
            String k = ep.vni() + "|" + ip.getHostAddress();
            if (!want.contains(ip) && ep.equals(ipOwner.get(k))) {
                dp.deleteNeigh(ep.vni(), ip);
                ipOwner.remove(k);
            }
        }
        if (want.isEmpty()) {
            neighProg.remove(ep);
        } else {
            neighProg.put(ep, want);
        }
    }

    private void applyFlood(int vni) {
        if (dp.vni(vni).isEmpty()) {
            floodProg.remove(vni);
            remoteNodesByVni.remove(vni);
            return;
        }
        List<Ipv4> want = view.floodOf(vni, self);
        Set<Ipv4> have = new HashSet<>();
        Set<Ipv4> mine = new HashSet<>(floodProg.getOrDefault(vni, Set.of()));
        for (FloodDst f : ClusterMaps.floodEntries(dp, vni)) {
            have.add(f.dst());
            if ((f.flags() & ClusterMaps.FLOOD_F_CLUSTER) != 0) {
                mine.add(f.dst());
            }
        }
        for (Ipv4 w : want) {
            if (!have.contains(w) && !ClusterMaps.addFlood(dp, vni, w)) {
                LOG.log(System.Logger.Level.WARNING, "cluster: flood list of VNI " + vni + " is full ("
                        + Datapath.MAX_FLOOD + "): " + w + " left out");
            }
        }
        for (Ipv4 m : mine) {
            if (!want.contains(m)) {
                ClusterMaps.removeFlood(dp, vni, m);
            }
        }
        floodProg.put(vni, new HashSet<>(want));
        remoteNodesByVni.put(vni, want.size());
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        remoteNodesByVni.forEach((v, n) -> rows.add(MultiGauge.Row.of(Tags.of("vni", String.valueOf(v)), n)));
        remoteNodes.register(rows, true);
    }

    /** First sync: cluster entries in the maps that the store no longer backs go (and only those). */
    private void sweep() {
        int fdbGone = 0, neighGone = 0;
        Set<Ep> clusterMacs = new HashSet<>();
        List<FdbKey> stale = new ArrayList<>();
        for (Map.Entry<FdbKey, FdbValue> e : dp.fdbOf(0).entrySet()) {
            if ((e.getValue().flags() & FdbValue.F_CLUSTER) != 0) {
                Ep ep = new Ep(e.getKey().vni(), e.getKey().mac());
                clusterMacs.add(ep);
                if (!e.getValue().remote().equals(fdbProg.get(ep))) {
                    stale.add(e.getKey());
                }
            }
        }
        stale.forEach(dp::deleteFdb);
        fdbGone = stale.size();
        for (VniCfg c : dp.vnis()) {
            for (Map.Entry<InetAddress, Mac> n : dp.neighOf(c.vni()).entrySet()) {
                Ep ep = new Ep(c.vni(), n.getValue());
                if (clusterMacs.contains(ep) && !neighProg.getOrDefault(ep, Set.of()).contains(n.getKey())) {
                    dp.deleteNeigh(c.vni(), n.getKey());
                    neighGone++;
                }
            }
        }
        if (fdbGone + neighGone > 0) {
            LOG.log(System.Logger.Level.INFO, "cluster: swept " + fdbGone + " FDB and " + neighGone
                    + " neighbour entries the store no longer backs");
        }
    }

    private void checkConflict(Ep ep) {
        conflictPending.remove(ep);
        Map<String, Claim> c = view.claims(ep);
        if (c.size() > 1) {
            conflicts.increment();
            Claim w = view.winner(ep, mobility.frozenOn(ep, System.nanoTime()));
            LOG.log(System.Logger.Level.WARNING, "cluster: event conflict vni " + ep.vni() + " mac " + ep.mac()
                    + " claimed by " + new TreeSet<>(c.keySet()) + "; newest revision wins: " + w.node());
        }
    }

    // ------------------------------------------------------------------ datapath events

    private void localLearned(Ep ep, int ifindex) {
        yielded.remove(ep);
        long now = System.nanoTime();
        String frozenOn = mobility.frozenOn(ep, now);
        if (frozenOn != null && !frozenOn.equals(self)) {
            LOG.log(System.Logger.Level.WARNING, "cluster: vni " + ep.vni() + " mac " + ep.mac()
                    + " seen locally but frozen on " + frozenOn + ": not claimed");
            return;
        }
        String k = keys.endpoint(ep.vni(), ep.mac(), self);
        desired.put(k, endpointValue(ep, localIps.getOrDefault(ep, List.of())));
        Claim w = view.winner(ep, frozenOn);
        if (w != null && !w.node().equals(self)) {
            forced.add(k); // re-put: a newer revision makes this node the owner everywhere
        }
        publishOwn();
    }

    private void l2miss(Ep ep) {
        if (!view.claims(ep).isEmpty()) {
            Dirty d = new Dirty();
            d.eps.add(ep);
            apply(d, false);
            return;
        }
        op("get", client.getKVClient().get(bs(keys.endpointPrefix(ep.vni(), ep.mac())),
                GetOption.builder().isPrefix(true).build()), r -> {
                    if (view.behind(r.getHeader().getRevision())) {
                        return; // the watch has delivered all of it already, maybe a deletion since
                    }
                    Dirty d = new Dirty();
                    for (KeyValue kv : r.getKvs()) {
                        view.put(str(kv.getKey()), str(kv.getValue()), kv.getModRevision(), kv.getLease(), d);
                    }
                    apply(d, false);
                }, e -> LOG.log(System.Logger.Level.DEBUG, "cluster: l2miss lookup: " + e.getMessage()));
    }

    private void l3miss(int vni, Ipv4 ip) {
        InetAddress a = ip.toInet();
        Dirty d = new Dirty();
        for (Ep ep : view.endpoints()) {
            if (ep.vni() == vni) {
                for (Claim c : view.claims(ep).values()) {
                    if (c.ips().contains(a)) {
                        d.eps.add(ep);
                    }
                }
            }
        }
        if (!d.eps.isEmpty()) {
            apply(d, false);
        }
    }

    // ------------------------------------------------------------------ own registrations

    private void tick() {
        long now = System.nanoTime();
        if (leaseId != 0 && now - lastKeepAlive > TimeUnit.MILLISECONDS.toNanos(Math.max(500, o.leaseTtl() * 1000L / 3))) {
            lastKeepAlive = now;
            long id = leaseId;
            op("keepalive", client.getLeaseClient().keepAliveOnce(id), r -> {
                if (r.getTTL() <= 0 && leaseId == id) {
                    leaseLost(id, "expired");
                }
            }, e -> {
                if (leaseId == id && String.valueOf(e.getMessage()).toLowerCase().contains("not found")) {
                    leaseLost(id, e.getMessage());
                }
            });
        }
        if (synced && now - lastScan > TimeUnit.MILLISECONDS.toNanos(o.scanMs())) {
            scanLocal();
        }
        frozenGauge.set(mobility.frozenCount(now));
        publishOwn();
        if ((!vniPuts.isEmpty() || !vniDels.isEmpty()) && now - vniRetryAt >= 0) {
            flushVnis();
        }
    }

    private void leaseLost(long id, String why) {
        LOG.log(System.Logger.Level.WARNING, "cluster: lease " + Long.toHexString(id) + " lost (" + why
                + "): registering again under a new one");
        leaseId = 0;
        publishOwn();
    }

    /** The node's ports, local MACs and their addresses -> the keys this node should hold. */
    private void scanLocal() {
        lastScan = System.nanoTime();
        TreeSet<Integer> myVnis = new TreeSet<>();
        for (PortCfg p : dp.ports().values()) {
            myVnis.add(p.vni());
        }
        Set<Ep> local = new HashSet<>();
        for (Map.Entry<FdbKey, FdbValue> e : dp.fdbOf(0).entrySet()) {
            FdbValue v = e.getValue();
            if (v.ifindex() != 0 && (v.flags() & FdbValue.F_CLUSTER) == 0) {
                local.add(new Ep(e.getKey().vni(), e.getKey().mac()));
            }
        }
        Map<Ep, List<InetAddress>> ips = new HashMap<>();
        Set<Integer> epVnis = new HashSet<>();
        local.forEach(ep -> epVnis.add(ep.vni()));
        for (int vni : epVnis) {
            dp.neighOf(vni).forEach((ip, mac) -> {
                Ep ep = new Ep(vni, mac);
                if (local.contains(ep)) {
                    ips.computeIfAbsent(ep, k -> new ArrayList<>()).add(ip);
                }
            });
        }
        localIps = ips;
        desired.put(keys.node(self), new JsonObject().put("vtep", vtep.toString())
                .put("vnis", new JsonArray(new ArrayList<>(myVnis))).encode());
        yielded.retainAll(local);
        long now = System.nanoTime();
        Set<String> want = new HashSet<>();
        for (Ep ep : local) {
            String frozenOn = mobility.frozenOn(ep, now);
            if (yielded.contains(ep) || (frozenOn != null && !frozenOn.equals(self))) {
                continue;
            }
            String k = keys.endpoint(ep.vni(), ep.mac(), self);
            want.add(k);
            desired.put(k, endpointValue(ep, ips.getOrDefault(ep, List.of())));
        }
        desired.keySet().removeIf(k -> !k.equals(keys.node(self)) && !want.contains(k));
        publishOwn();
    }

    private String endpointValue(Ep ep, List<InetAddress> ips) {
        JsonArray a = new JsonArray();
        ips.stream().map(InetAddress::getHostAddress).sorted().forEach(a::add);
        return new JsonObject().put("node", self).put("vtep", vtep.toString()).put("ips", a).encode();
    }

    /** Puts what is desired and not stored under the current lease; deletes own keys no longer desired. */
    private void publishOwn() {
        if (!synced || closed) {
            return;
        }
        if (leaseId == 0) {
            if (!granting) {
                granting = true;
                op("grant", client.getLeaseClient().grant(o.leaseTtl()), r -> {
                    granting = false;
                    leaseId = r.getID();
                    lastKeepAlive = System.nanoTime();
                    LOG.log(System.Logger.Level.INFO, "cluster: lease " + Long.toHexString(leaseId) + " granted ("
                            + r.getTTL() + " s)");
                    publishOwn();
                }, e -> granting = false);
            }
            return;
        }
        long lease = leaseId;
        for (Map.Entry<String, String> e : desired.entrySet()) {
            String k = e.getKey(), v = e.getValue();
            if (inflight.containsKey(k)) {
                continue;
            }
            boolean stored = v.equals(ownValues.get(k)) && view.lease(k) == lease && view.rev(k) != 0;
            if (stored && !forced.contains(k)) {
                continue;
            }
            forced.remove(k);
            inflight.put(k, v);
            op("put", client.getKVClient().put(bs(k), bs(v), PutOption.builder().withLeaseId(lease).build()), r -> {
                inflight.remove(k);
                Dirty d = new Dirty();
                long rev = r.getHeader().getRevision();
                if (!view.behind(rev) && view.put(k, v, rev, lease, d)) {
                    ownValues.put(k, v);
                    eventsApplied.increment();
                    apply(d, false);
                }
            }, err -> {
                inflight.remove(k);
                if (String.valueOf(err.getMessage()).toLowerCase().contains("lease not found") && leaseId == lease) {
                    leaseLost(lease, err.getMessage());
                }
            });
        }
        for (String k : new ArrayList<>(ownValues.keySet())) {
            if (desired.containsKey(k) || inflight.containsKey(k)) {
                continue;
            }
            inflight.put(k, DELETE);
            op("delete", client.getKVClient().delete(bs(k), DeleteOption.DEFAULT), r -> {
                inflight.remove(k);
                Dirty d = new Dirty();
                long rev = r.getHeader().getRevision();
                if (!view.behind(rev) && view.delete(k, rev, d)) {
                    ownValues.remove(k);
                    eventsApplied.increment();
                    apply(d, false);
                }
            }, err -> inflight.remove(k));
        }
    }

    // ------------------------------------------------------------------ VNIs

    /** The VNI's definition as the API takes it, without what is per node (local address, remote, ports). */
    private JsonObject vniDefinition(int vni) {
        JsonObject full = JsonCodec.vni(service.getVni(String.valueOf(vni)));
        JsonObject def = new JsonObject();
        for (String f : JsonCodec.VNI_FIELDS) {
            if (full.containsKey(f) && full.getValue(f) != null && !f.equals("local") && !f.equals("remote")
                    && !f.equals("device")) {
                def.put(f, full.getValue(f));
            }
        }
        return def;
    }

    /** The stored definition compared on what a PATCH changes: true when this node's VNI differs. */
    private boolean differs(int vni, JsonObject stored) {
        JsonObject local = new JsonObject(vniDefinition(vni).encode());
        for (String f : VNI_MUTABLE) {
            Object a = stored.getValue(f), b = local.getValue(f);
            if (a instanceof JsonArray x && b instanceof JsonArray y) { // allowed_src: order does not matter
                a = new TreeSet<>(x.getList().stream().map(String::valueOf).toList());
                b = new TreeSet<>(y.getList().stream().map(String::valueOf).toList());
            }
            if (stored.containsKey(f) && !java.util.Objects.equals(a, b)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A VNI key put by some agent while this node has the VNI: its options are applied through
     * {@link VtepService#patchVni} (the API's validation), unless this node has an update of its
     * own still to write (that one is newer and comes back through the watch).
     */
    private void updateFromStore(int vni) {
        JsonObject stored = view.vnis().get(vni);
        if (stored == null || vniPuts.containsKey(vni) || !differs(vni, stored)) {
            return;
        }
        JsonObject patch = new JsonObject();
        VNI_MUTABLE.forEach(f -> {
            if (stored.containsKey(f)) {
                patch.put(f, stored.getValue(f));
            }
        });
        applyingVni = true;
        try {
            service.patchVni(String.valueOf(vni), JsonCodec.vniSpec(patch));
            LOG.log(System.Logger.Level.INFO, "cluster: VNI " + vni + " updated from the store: " + patch.encode());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cluster: updating VNI " + vni + " from " + stored + ": "
                    + e.getMessage());
        } finally {
            applyingVni = false;
        }
    }

    /**
     * First sync: the VNIs this node has and the store lacks. One with a tombstone was deleted in the
     * cluster while this node was away: it is deleted here (unless this agent's API created it since
     * it started). The others are published (a node joining with VNIs of its own shares them).
     */
    private void reconcileLocalVnis() {
        for (VniCfg c : dp.vnis()) {
            int vni = c.vni();
            if (view.vnis().containsKey(vni) || vniPuts.containsKey(vni)) {
                continue;
            }
            Long tomb = view.tombstones().get(vni);
            if (tomb != null && !createdHere.contains(vni)) {
                applyingVni = true;
                try {
                    service.deleteVni(String.valueOf(vni));
                    LOG.log(System.Logger.Level.INFO, "cluster: VNI " + vni + " was deleted from the cluster while "
                            + "this node was away (tombstone at revision " + tomb + "): removed here");
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "cluster: deleting VNI " + vni + ": " + e.getMessage());
                } finally {
                    applyingVni = false;
                }
                continue;
            }
            vniPuts.put(vni, vniDefinition(vni).encode());
        }
    }

    /**
     * Writes the VNI changes made through this node's API: a created/updated VNI's key (and its
     * tombstone removed, in one transaction); a deleted VNI's key removed and its tombstone written
     * under a lease of its own of {@link #TOMBSTONE_TTL_S}. Failures are retried every second.
     */
    private void flushVnis() {
        if (!synced || closed) {
            return;
        }
        for (Map.Entry<Integer, String> e : new ArrayList<>(vniPuts.entrySet())) {
            int vni = e.getKey();
            String v = e.getValue();
            if (vniInflight.contains(vni)) {
                continue;
            }
            JsonObject stored = view.vnis().get(vni);
            if (stored != null && stored.equals(new JsonObject(v))) {
                vniPuts.remove(vni);
                continue;
            }
            vniInflight.add(vni);
            String k = keys.vni(vni), t = keys.tombstone(vni);
            op("put", client.getKVClient().txn().Then(Op.put(bs(k), bs(v), PutOption.DEFAULT),
                    Op.delete(bs(t), DeleteOption.DEFAULT)).commit(), (TxnResponse r) -> {
                        vniInflight.remove(vni);
                        long rev = r.getHeader().getRevision();
                        Dirty d = new Dirty();
                        if (!view.behind(rev)) {
                            view.put(k, v, rev, 0, d);
                            view.delete(t, rev, d);
                        }
                        vniPuts.remove(vni, v);
                        LOG.log(System.Logger.Level.INFO, "cluster: VNI " + vni + " written to the store: " + v);
                        flushVnis();
                    }, err -> {
                        vniInflight.remove(vni);
                        vniRetryAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                        LOG.log(System.Logger.Level.WARNING, "cluster: writing VNI " + vni + " to the store failed: "
                                + err.getMessage() + " (retried)");
                    });
        }
        for (int vni : new ArrayList<>(vniDels)) {
            if (vniInflight.contains(vni)) {
                continue;
            }
            vniInflight.add(vni);
            Consumer<Throwable> failed = err -> {
                vniInflight.remove(vni);
                vniRetryAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                LOG.log(System.Logger.Level.WARNING, "cluster: deleting VNI " + vni + " from the store failed: "
                        + err.getMessage() + " (retried)");
            };
            op("grant", client.getLeaseClient().grant(TOMBSTONE_TTL_S), g -> {
                if (!vniDels.contains(vni)) { // re-created meanwhile
                    vniInflight.remove(vni);
                    flushVnis();
                    return;
                }
                String k = keys.vni(vni), t = keys.tombstone(vni);
                String tv = new JsonObject().put("vni", vni).put("node", self)
                        .put("deleted", java.time.Instant.now().toString()).encode();
                op("delete", client.getKVClient().txn().Then(Op.delete(bs(k), DeleteOption.DEFAULT),
                        Op.put(bs(t), bs(tv), PutOption.builder().withLeaseId(g.getID()).build())).commit(),
                        (TxnResponse r) -> {
                            vniInflight.remove(vni);
                            long rev = r.getHeader().getRevision();
                            Dirty d = new Dirty();
                            if (!view.behind(rev)) {
                                view.delete(k, rev, d);
                                view.put(t, tv, rev, g.getID(), d);
                            }
                            vniDels.remove(vni);
                            LOG.log(System.Logger.Level.INFO, "cluster: VNI " + vni + " deleted from the store "
                                    + "(tombstone kept " + TOMBSTONE_TTL_S + " s)");
                            flushVnis();
                        }, failed);
            }, failed);
        }
    }

    // ------------------------------------------------------------------ teardown

    /**
     * Stops syncing. The lease is not revoked: like the maps, the registrations outlive a restart
     * (they expire after the TTL if the agent does not come back).
     */
    @Override
    public void close() {
        closed = true;
        ex.shutdownNow();
        try {
            ex.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (watcher != null) {
            watcher.close();
        }
        client.close();
    }
}
