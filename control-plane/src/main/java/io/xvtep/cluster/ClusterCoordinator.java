package io.xvtep.cluster;

import io.micrometer.core.instrument.MeterRegistry;
import io.xvtep.cluster.Keys.Ep;
import io.xvtep.cluster.StoreView.Dirty;
import io.xvtep.model.Ipv4;
import io.xvtep.service.VtepEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Cluster mode (docs/cluster.md): registers this node and the endpoints behind its local ports in
 * etcd under a lease, mirrors the store, and programs the node from it. This class wires the parts
 * and decides in which order a change is applied; each part does one job:
 * {@link StoreClient} (etcd), {@link StoreMirror} (list + watch into the {@link StoreView}),
 * {@link VniReplicator}, {@link EndpointProgrammer}, {@link FloodProgrammer}, {@link Registrar}.
 * The node is reached through {@link NodeTables} only. Everything runs on one {@link ClusterThread}.
 */
public final class ClusterCoordinator implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("xvtep.cluster");

    private final ClusterOptions o;
    private final NodeTables tables;
    private final Keys keys;
    private final io.xvtep.service.Locals vtep;
    private final ClusterThread thread;
    private final ClusterMetrics metrics;
    private final Rejections rejections;
    private final StoreClient store;
    private final StoreMirror mirror;
    private final StoreView view;
    private final Mobility mobility;
    private final VniReplicator vnis;
    private final EndpointProgrammer endpoints;
    private final FloodProgrammer flood;
    private final Registrar registrar;
    private volatile boolean synced;
    static final int MAX_PENDING_LEARNS = 65_536;
    private final Set<Ep> pendingLearns = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicBoolean learnDrainQueued = new java.util.concurrent.atomic.AtomicBoolean();
    private long lastScan;

    /** The cluster on {@code tables}, under the name {@code id} holds (see {@link NodeIdentity#claim}). */
    public ClusterCoordinator(NodeIdentity id, NodeTables tables, MeterRegistry registry) {
        this.o = id.options;
        this.keys = id.keys;
        this.vtep = id.vteps;
        this.thread = id.thread;
        this.metrics = id.metrics;
        this.store = id.store;
        metrics.synced(() -> synced);
        this.rejections = new Rejections(registry);
        this.view = new StoreView(keys, o.node(), vtep.all(), rejections, o.leaseTtlMax());
        this.mirror = new StoreMirror(keys, store, thread, metrics, view);
        this.mobility = new Mobility(o.moveLimit(), TimeUnit.SECONDS.toNanos(o.moveWindowSeconds()));
        this.vnis = new VniReplicator(o, keys, store, mirror, tables, thread, rejections);
        this.registrar = new Registrar(id, mirror, tables, mobility, this::applyOwn);
        this.endpoints = new EndpointProgrammer(o, view, tables, mobility, metrics, thread, registrar::lostTo);
        this.flood = new FloodProgrammer(o.node(), view, tables, metrics);
        this.tables = tables;
        tables.onLocalChanges(registrar::scanSoon);
    }

    /** Starts syncing; returns at once (see {@link #synced()}). */
    public ClusterCoordinator start() {
        registrar.start();
        mirror.start(new StoreMirror.Sink() {
            @Override
            public void listed(Dirty d, boolean full, long revision, int changes) {
                ClusterCoordinator.this.listed(d, full, revision, changes);
            }

            @Override
            public void changed(Dirty d) {
                apply(d);
            }
        });
        thread.every(this::tick, 200);
        LOG.log(System.Logger.Level.INFO, "cluster: node " + o.node() + ", vtep " + vtep + ", store " + o.endpoints()
                + ", prefix " + keys.prefix() + ", lease ttl " + o.leaseTtl() + " s (others' at most " + o.leaseTtlMax() + " s)");
        return this;
    }

    /** True once the store has been listed and applied (the agent's /readyz waits for it). */
    public boolean synced() {
        return synced;
    }

    public String node() {
        return o.node();
    }

    /** A datapath event, from the ring-buffer thread: handed over, never handled there. */
    public void onEvent(VtepEvent ev) {
        switch (ev.type()) {
            case LEARN, MOVE -> {
                if (ev.ifindex() != 0) {
                    learned(new Ep(ev.vni(), ev.mac()));
                }
            }
            case L2MISS -> thread.run(() -> l2miss(new Ep(ev.vni(), ev.mac())));
            case L3MISS -> thread.run(() -> l3miss(ev.vni(), ev.ip().toIpv4()));
            default -> {
            }
        }
    }

    /**
     * A list was applied to the mirror. A full pass (the first, or the one after a failure) checks
     * everything the store holds against the maps (mark and sweep); an exception leaves the node
     * unsynced and the mirror lists again after a back-off.
     */
    /**
     * A local learn: queued (bounded: a MAC spray fills {@link #MAX_PENDING_LEARNS} and the rest waits for
     * the periodic scan, counted), drained on the cluster thread in one go and published in batches.
     */
    private void learned(Ep ep) {
        if (pendingLearns.size() >= MAX_PENDING_LEARNS) {
            metrics.learnsDropped.increment();
            return;
        }
        pendingLearns.add(ep);
        if (learnDrainQueued.compareAndSet(false, true)) {
            thread.run(() -> {
                learnDrainQueued.set(false);
                for (var it = pendingLearns.iterator(); it.hasNext();) {
                    registrar.learned(it.next());
                    it.remove();
                }
                registrar.publish();
            });
        }
    }

    private void listed(Dirty d, boolean full, long rev, int changes) {
        if (full) {
            d.eps.addAll(view.endpoints());
            d.vnisPut.addAll(view.vnis().keySet());
            d.floodVnis.addAll(tables.vnis());
        }
        long t0 = System.nanoTime();
        apply(d, full);
        if (full) {
            endpoints.sweep();
            vnis.activate();
            registrar.activate();
            lastScan = System.nanoTime();
            LOG.log(System.Logger.Level.INFO, "cluster: " + (synced ? "full pass" : "initial sync") + " at revision "
                    + rev + ": " + view.keys().size() + " keys, " + endpoints.programmed() + " remote endpoints, "
                    + "applied in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            synced = true;
        } else {
            LOG.log(System.Logger.Level.INFO, "cluster: re-listed at revision " + rev + ", " + changes + " changes");
        }
    }

    /** What this node's own acknowledged writes changed; a failure asks the mirror for a full pass. */
    private void applyOwn(Dirty d) {
        try {
            apply(d);
        } catch (RuntimeException e) {
            mirror.failed("applying this node's own writes", e);
        }
    }

    private void apply(Dirty d) {
        apply(d, false);
    }

    /** Applies what changed in the store, VNIs first (endpoints and flood lists need them). */
    private void apply(Dirty d, boolean bulk) {
        for (int vni : d.vnisDeleted) {
            if (vnis.storeDeleted(vni)) {
                endpoints.forgetVni(vni);
                flood.forget(vni);
            }
        }
        for (int vni : d.vnisPut) {
            if (vnis.storePut(vni)) {
                d.floodVnis.add(vni);
                view.endpoints().stream().filter(ep -> ep.vni() == vni).forEach(d.eps::add);
            }
        }
        endpoints.program(d.eps, bulk);
        registrar.touched(d.eps);
        d.floodVnis.forEach(flood::program);
        metrics.frozen.set(mobility.frozenCount(System.nanoTime()));
        registrar.publish();
        checkLeases();
    }

    /**
     * Looks up the granted TTL of each new lease other nodes' keys are under ({@link LeaseTtls}); a lease
     * too long makes its node not live. A failed lookup is asked again a second later.
     */
    private void checkLeases() {
        LeaseTtls leases = view.leases();
        for (long lease : leases.takeWanted()) {
            store.grantedTtl(lease, ttl -> {
                Dirty d = new Dirty();
                view.leaseChecked(lease, ttl, d);
                try {
                    apply(d);
                } catch (RuntimeException e) {
                    mirror.failed("applying the check of lease " + Long.toHexString(lease), e);
                }
            }, e -> {
                leases.failed(lease);
                LOG.log(System.Logger.Level.DEBUG, "cluster: lease " + Long.toHexString(lease) + ": " + e.getMessage());
            });
        }
    }

    private void l2miss(Ep ep) {
        if (!view.claims(ep).isEmpty()) {
            Dirty d = new Dirty();
            d.eps.add(ep);
            apply(d);
        } else {
            // the claim may be on its way through the watch; read it now from the nodes with ports in the VNI
            List<String> ks = new ArrayList<>();
            view.nodes().forEach((name, n) -> {
                if (!name.equals(o.node()) && n.vnis().contains(ep.vni())) {
                    ks.add(keys.endpoint(ep.vni(), ep.mac(), name));
                }
            });
            mirror.lookup(ks);
        }
    }

    private void l3miss(int vni, Ipv4 ip) {
        Set<Ep> eps = endpoints.claiming(vni, ip.toInet());
        if (!eps.isEmpty()) {
            Dirty d = new Dirty();
            d.eps.addAll(eps);
            apply(d);
        }
    }

    private long lastPrune = System.nanoTime();
    private long lastLeaseRetry = System.nanoTime();

    private void tick() {
        long now = System.nanoTime();
        if (now - lastLeaseRetry > TimeUnit.SECONDS.toNanos(1)) {
            lastLeaseRetry = now;
            view.leases().retryFailed();
        }
        if (now - lastPrune > TimeUnit.SECONDS.toNanos(10)) {
            lastPrune = now;
            mobility.prune(now);
        }
        if (synced && now - lastScan > TimeUnit.MILLISECONDS.toNanos(o.scanMs())) {
            lastScan = now;
            registrar.scan();
        }
        metrics.frozen.set(mobility.frozenCount(now));
        registrar.publish();
        checkLeases();
        vnis.tick();
    }

    /**
     * Stops syncing. The lease is not revoked: like the maps, the registrations outlive a restart
     * (they expire after the TTL if the agent does not come back).
     */
    @Override
    public void close() {
        thread.close();
        registrar.close();
        mirror.close();
        store.close();
    }
}
