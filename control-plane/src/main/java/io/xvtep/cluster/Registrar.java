package io.xvtep.cluster;

import io.xvtep.cluster.Keys.Ep;
import io.xvtep.cluster.StoreClient.Write;
import io.xvtep.cluster.StoreRecords.EndpointRecord;
import io.xvtep.cluster.StoreRecords.NodeRecord;
import io.xvtep.cluster.StoreView.Claim;
import io.xvtep.cluster.StoreView.Dirty;
import io.xvtep.cluster.StoreView.Node;
import io.xvtep.model.IpAddress;
import io.xvtep.service.Locals;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * This node's registrations: its lease (kept alive by jetcd's keep-alive stream, granted anew when
 * etcd says it is gone), its node key and one claim per local MAC, all under that lease. What
 * should be stored comes from the local tables (a periodic scan) and from learn events; what is
 * stored comes from the mirror, so a key deleted behind this node's back, or still under a former
 * lease, is put again. Runs on the {@link ClusterThread}.
 */
final class Registrar {

    private static final System.Logger LOG = System.getLogger("xvtep.cluster");

    private final String self;
    private final Locals vteps;
    private final ClusterOptions o;
    private final Keys keys;
    private final StoreClient store;
    private final NodeIdentity identity;
    private final StoreMirror mirror;
    private final NodeTables tables;
    private final Mobility mobility;
    private final ClusterThread thread;
    private final ClusterMetrics metrics;
    /** Gets what this node's acknowledged writes changed in the mirror. */
    private final Consumer<Dirty> changed;

    private boolean active;
    /** Another live agent holds this node's name: nothing is written any more. */
    private boolean nameTaken;
    private long leaseId;
    private boolean granting;
    private long grantRetryAt;
    private AutoCloseable keepAlive;
    private NodeRecord node;
    private final Map<Ep, EndpointRecord> desired = new HashMap<>();
    private final Set<String> inflight = new HashSet<>();
    /** Claims to put again although stored: another node's newer claim must be outranked. */
    private final Set<Ep> forced = new HashSet<>();
    /** Local MACs another node's newer claim took over: claimed again only when seen here again. */
    private final Set<Ep> yielded = new HashSet<>();
    private Map<Ep, List<InetAddress>> localIps = new HashMap<>();
    private final AtomicBoolean scanQueued = new AtomicBoolean();
    /** Own claims to check against the mirror at the next publish (what changed since the last one). */
    private final Set<Ep> dirty = new LinkedHashSet<>();
    /** Check every claim (a new lease, the periodic scan). */
    private boolean allDirty = true;
    private int batchesInFlight;
    /** Claim transactions in flight at most: a burst of learns queues here, not in etcd's request queue. */
    static final int MAX_BATCHES_IN_FLIGHT = 4;

    Registrar(NodeIdentity id, StoreMirror mirror, NodeTables tables, Mobility mobility, Consumer<Dirty> changed) {
        this.identity = id;
        this.o = id.options;
        this.self = o.node();
        this.vteps = id.vteps;
        this.keys = id.keys;
        this.store = id.store;
        this.mirror = mirror;
        this.tables = tables;
        this.mobility = mobility;
        this.thread = id.thread;
        this.metrics = id.metrics;
        this.changed = changed;
    }

    /** Keeps the lease the name was claimed under at start alive (none: claimed at the first publish). */
    void start() {
        thread.run(() -> {
            if (identity.lease != 0 && leaseId == 0) {
                leaseId = identity.lease;
                allDirty = true;
                keepAlive(leaseId);
            }
            identity.keptAliveElsewhere(); // after ours is open: no gap in renewals
        });
    }

    /** Writes start once the store was listed (what is stored is known). */
    void activate() {
        active = true;
        scan();
    }

    /**
     * From any thread: the API changed what is local here (e.g. a CNI ADD: port, FDB, neighbours);
     * one scan for the whole burst publishes it, rather than the next periodic scan.
     */
    void scanSoon() {
        if (scanQueued.compareAndSet(false, true)) {
            thread.run(() -> {
                scanQueued.set(false);
                if (active) {
                    scan();
                }
            });
        }
    }

    /** The node's ports, local MACs and their addresses -> the keys this node should hold. */
    void scan() {
        Set<Ep> local = new HashSet<>();
        tables.fdbAll().forEach((ep, f) -> {
            if (f.isLocal()) {
                local.add(ep);
            }
        });
        Map<Ep, List<InetAddress>> ips = new HashMap<>();
        Set<Integer> epVnis = new HashSet<>();
        local.forEach(ep -> epVnis.add(ep.vni()));
        for (int vni : epVnis) {
            tables.neigh(vni).forEach((ip, mac) -> {
                Ep ep = new Ep(vni, mac);
                if (local.contains(ep)) {
                    ips.computeIfAbsent(ep, k -> new ArrayList<>()).add(ip);
                }
            });
        }
        localIps = ips;
        node = NodeRecord.of(vteps.ipv4(), vteps.ipv6(), new ArrayList<>(tables.vnisWithPorts()));
        yielded.retainAll(local);
        allDirty = true; // the periodic reconcile: every claim checked against the mirror once
        long now = System.nanoTime();
        desired.keySet().retainAll(local);
        for (Ep ep : local) {
            String frozenOn = mobility.frozenOn(ep, now);
            if (yielded.contains(ep) || (frozenOn != null && !frozenOn.equals(self))) {
                desired.remove(ep);
            } else {
                desired.put(ep, claim(ep));
            }
        }
        publish();
    }

    private EndpointRecord claim(Ep ep) {
        // the VTEP of the VNI's family (informative: others point at the node key's address)
        IpAddress vtep = vteps.of(tables.family(ep.vni()).orElse(vteps.defaultFamily()));
        return new EndpointRecord(self, vtep, localIps.getOrDefault(ep, List.of()));
    }

    /** A MAC learned (or moved) behind a local port: claimed at once. */
    void learned(Ep ep) {
        yielded.remove(ep);
        String frozenOn = mobility.frozenOn(ep, System.nanoTime());
        if (frozenOn != null && !frozenOn.equals(self)) {
            LOG.log(System.Logger.Level.WARNING, "cluster: vni " + ep.vni() + " mac " + ep.mac()
                    + " seen locally but frozen on " + frozenOn + ": not claimed");
            return;
        }
        desired.put(ep, claim(ep));
        dirty.add(ep);
        Claim w = view().winner(ep, frozenOn);
        if (w != null && !w.node().equals(self)) {
            forced.add(ep); // re-put: a newer revision makes this node the owner everywhere
        }
    }

    /** Another node's newer claim won {@code ep}: the MAC left this node. */
    void lostTo(Ep ep) {
        if (desired.remove(ep) != null) {
            yielded.add(ep);
            dirty.add(ep);
        }
    }

    /** The mirror changed these endpoints: this node's claims among them are checked again. */
    void touched(Set<Ep> eps) {
        for (Ep ep : eps) {
            if (desired.containsKey(ep) || view().claims(ep).containsKey(self)) {
                dirty.add(ep);
            }
        }
    }

    private StoreView view() {
        return mirror.view();
    }

    /** Puts what is desired and not stored under the current lease; deletes own claims no longer desired. */
    void publish() {
        if (!active || nameTaken || thread.closed()) {
            return;
        }
        if (leaseId == 0) {
            grant();
            return;
        }
        long lease = leaseId;
        String nk = keys.node(self);
        Node n = view().nodes().get(self);
        if (n != null && n.lease() != lease && n.lease() != 0) {
            // the node key is under a lease not ours: our lease expired and another agent may hold the name
            leaseLost(lease, "node key " + nk + " is under lease " + Long.toHexString(n.lease()));
            return;
        }
        if (node != null && !inflight.contains(nk) && (n == null || n.lease() != lease || !n.record().equals(node))) {
            putNode(nk, node.encode(), lease, n == null ? 0 : view().rev(nk));
        }
        if (allDirty) {
            dirty.addAll(desired.keySet());
            dirty.addAll(view().claimedBy(self));
            allDirty = false;
        }
        // O(changes): only the endpoints marked since; in transactions of MAX_TXN_OPS, a bounded number in flight
        List<Write> batch = new ArrayList<>();
        List<Ep> batchEps = new ArrayList<>();
        for (var it = dirty.iterator(); it.hasNext() && batchesInFlight < MAX_BATCHES_IN_FLIGHT;) {
            Ep ep = it.next();
            String k = keys.endpoint(ep.vni(), ep.mac(), self);
            if (inflight.contains(k)) {
                continue; // checked again when its write is acknowledged
            }
            it.remove();
            EndpointRecord want = desired.get(ep);
            Claim c = view().claims(ep).get(self);
            if (want != null) {
                boolean stored = c != null && c.lease() == lease && c.record().equals(want);
                if (!stored || forced.remove(ep)) {
                    batch.add(Write.put(k, want.encode(), lease));
                    batchEps.add(ep);
                }
            } else if (c != null) {
                batch.add(Write.delete(k));
                batchEps.add(ep);
            }
            if (batch.size() == StoreClient.MAX_TXN_OPS) {
                send(batch, batchEps, lease);
                batch = new ArrayList<>();
                batchEps = new ArrayList<>();
            }
        }
        if (!batch.isEmpty()) {
            send(batch, batchEps, lease);
        }
    }

    /** One transaction of claims (puts under {@code lease}, deletes); what fails is marked to be tried again. */
    private void send(List<Write> batch, List<Ep> eps, long lease) {
        batch.forEach(w -> inflight.add(w.key()));
        batchesInFlight++;
        metrics.claimWrites.increment(batch.size());
        metrics.claimTxns.increment();
        store.txn("publish", batch, rev -> {
            batchesInFlight--;
            batch.forEach(w -> inflight.remove(w.key()));
            Dirty d = mirror.wrote(batch, rev);
            if (d != null) {
                changed.accept(d);
            }
            publish(); // the rest of what is marked
        }, err -> {
            batchesInFlight--;
            batch.forEach(w -> inflight.remove(w.key()));
            dirty.addAll(eps);
            if (StoreClient.notFound(err) && leaseId == lease) {
                leaseLost(lease, err.getMessage());
            }
        });
    }

    /** The node key, only over what the mirror holds (a changed key is read again through the watch). */
    private void putNode(String k, String v, long lease, long expectMod) {
        inflight.add(k);
        store.putIf(k, v, lease, expectMod, rev -> {
            if (rev < 0) {
                inflight.remove(k); // changed since: the watch brings the new value, the next publish decides
            } else {
                written(k, Write.put(k, v, lease), rev);
            }
        }, err -> {
            inflight.remove(k);
            if (StoreClient.notFound(err) && leaseId == lease) {
                leaseLost(lease, err.getMessage());
            }
        });
    }

    private void written(String k, Write w, long rev) {
        inflight.remove(k);
        Dirty d = mirror.wrote(List.of(w), rev);
        if (d != null) {
            changed.accept(d);
        }
    }

    /** A new lease and the node's name under it, by {@link NodeIdentity#takeName} (off this thread). */
    private void grant() {
        if (granting || System.nanoTime() - grantRetryAt < 0) {
            return;
        }
        granting = true;
        identity.takeNameAsync(c -> {
            granting = false;
            leaseId = c.lease();
            allDirty = true;
            keepAlive(c.lease());
            written(c.key(), Write.put(c.key(), c.value(), c.lease()), c.rev());
            publish();
        }, e -> {
            granting = false;
            if (e instanceof NodeIdentity.NameTaken) {
                nameTaken = true;
                LOG.log(System.Logger.Level.ERROR, "cluster: " + e.getMessage().replace("this agent stops without "
                        + "touching anything", "this agent stops writing to the store"));
            } else {
                grantRetryAt = System.nanoTime() + 1_000_000_000L;
                LOG.log(System.Logger.Level.WARNING, "cluster: claiming node name " + self + " failed ("
                        + NodeIdentity.why(e) + "); retried");
            }
        });
    }

    private void keepAlive(long id) {
        keepAlive = store.keepAlive(id, new StoreClient.KeepAlive() {
            @Override
            public void lost(String why) {
                if (leaseId == id) {
                    leaseLost(id, why);
                }
            }

            @Override
            public void ended() {
                if (leaseId == id) { // no answer within the TTL: etcd unreachable; keep trying the same lease
                    thread.schedule(() -> {
                        if (leaseId == id) {
                            stopKeepAlive();
                            keepAlive(id);
                        }
                    }, 500);
                }
            }
        });
    }

    private void leaseLost(long id, String why) {
        LOG.log(System.Logger.Level.WARNING, "cluster: lease " + Long.toHexString(id) + " lost (" + why
                + "): registering again under a new one");
        stopKeepAlive();
        leaseId = 0;
        publish();
    }

    private void stopKeepAlive() {
        if (keepAlive != null) {
            try {
                keepAlive.close();
            } catch (Exception e) {
                // nothing to do: the stream is gone either way
            }
            keepAlive = null;
        }
    }

    /** Stops renewing; the lease itself is kept (registrations outlive a restart, as the maps do). */
    void close() {
        stopKeepAlive();
    }
}
