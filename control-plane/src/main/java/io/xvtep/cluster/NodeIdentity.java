package io.xvtep.cluster;

import io.micrometer.core.instrument.MeterRegistry;
import io.xvtep.cluster.StoreClient.Kv;
import io.xvtep.cluster.StoreRecords.NodeRecord;
import io.xvtep.service.Locals;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * This node's name in the store, held by one agent at a time (docs/cluster.md, "Node identity"):
 * the node key is written under the agent's lease by a transaction that only succeeds while the key
 * is absent or unchanged since it was read, and a key held under another lease is taken over only
 * when that lease is dead: its remaining TTL, watched for a third of its TTL plus 1.5 s (jetcd renews
 * every TTL/3), never goes up. A live holder is another agent with the same name: {@link NameTaken}.
 *
 * <p>At start this runs before the agent opens its maps, so a second agent with a taken name exits
 * having touched nothing. It owns the cluster's thread, meters and etcd client, which the
 * {@link ClusterCoordinator} then uses.
 */
public final class NodeIdentity implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("xvtep.cluster");
    private static final long POLL_MS = 250;
    /** How long the claim at start keeps trying while etcd does not answer (then: claimed later). */
    static final long START_CLAIM_MS = 20_000;

    /** The node key as written under {@code lease} at {@code rev}. */
    record Claimed(long lease, String key, String value, long rev) {
    }

    /** Another live agent holds this node's name. */
    public static final class NameTaken extends IllegalStateException {
        NameTaken(String m) {
            super(m);
        }
    }

    final ClusterOptions options;
    final Keys keys;
    /** This node's VTEPs, one per family it has (its --local addresses). */
    final Locals vteps;
    final ClusterThread thread = new ClusterThread();
    final ClusterMetrics metrics;
    final StoreClient store;
    /** The lease the name was claimed under at start (0: etcd did not answer; claimed later). */
    long lease;
    /**
     * Renews {@link #lease} from the claim until the {@link Registrar} keeps it alive itself: opening the
     * maps and attaching the programs in between takes seconds under load, longer than a short TTL.
     */
    private AutoCloseable keepAliveSinceClaim;

    private NodeIdentity(ClusterOptions o, Locals vteps, MeterRegistry registry) {
        this.options = o;
        this.keys = new Keys(o.root());
        this.vteps = vteps;
        this.metrics = new ClusterMetrics(registry);
        this.store = new StoreClient(o.endpoints(), o.security(), thread, metrics);
    }

    /**
     * Claims {@code o.node()} (blocking, a few seconds when a previous incarnation's lease is still
     * running). Throws {@link NameTaken} when another live agent holds it; when etcd does not
     * answer, the claim is made later by the {@link Registrar}, with the same rule.
     */
    public static NodeIdentity claim(ClusterOptions o, Locals vteps, MeterRegistry registry) {
        if (!Keys.validNode(o.node())) {
            throw new IllegalArgumentException("--node must be printable without '/' or spaces: " + o.node());
        }
        NodeIdentity id = new NodeIdentity(o, vteps, registry);
        try {
            id.lease = id.takeNameAtStart().lease();
            long lease = id.lease;
            id.keepAliveSinceClaim = id.store.keepAlive(lease, new StoreClient.KeepAlive() {
                @Override
                public void lost(String why) {
                    // the Registrar's own keep-alive finds it gone too, and claims the name again
                    LOG.log(System.Logger.Level.WARNING, "cluster: lease " + Long.toHexString(lease) + " lost before"
                            + " the cluster started (" + why + ")");
                }

                @Override
                public void ended() {
                    // retried by the Registrar's own stream once it starts
                }
            });
            return id;
        } catch (NameTaken e) {
            id.close();
            throw e;
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "cluster: could not claim node name " + o.node() + " within "
                    + START_CLAIM_MS / 1000 + " s of the start (" + why(e) + "): claimed when etcd answers; forwarding"
                    + " starts on the pinned maps");
            return id;
        }
    }

    /**
     * {@link #takeName}, tried again for up to {@link #START_CLAIM_MS} while etcd does not answer or answers
     * late: one timed-out operation (a cold JVM's first TLS and authentication round trip on a loaded
     * machine) must not send the agent on unclaimed, as a duplicate would then open its maps and attach
     * before it learns that its name is taken. Beyond the budget (etcd down) the agent starts anyway.
     */
    private Claimed takeNameAtStart() throws Exception {
        long end = System.nanoTime() + START_CLAIM_MS * 1_000_000;
        for (int attempt = 1;; attempt++) {
            try {
                return takeName();
            } catch (NameTaken e) {
                throw e;
            } catch (Exception e) {
                long left = (end - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw e;
                }
                LOG.log(System.Logger.Level.INFO, "cluster: claiming node name " + options.node() + ", attempt "
                        + attempt + " failed (" + why(e) + "); tried again");
                Thread.sleep(Math.min(left, 500L * attempt));
            }
        }
    }

    /** An exception as a log line says it: its message, or its type when it has none (a timeout). */
    static String why(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /**
     * Takes the node key under a new lease: absent → created; held under a dead lease (a previous
     * incarnation) → taken over, keeping its VNIs so that flood lists elsewhere do not flap; held
     * under a live lease → {@link NameTaken}. Blocking: never on the cluster thread.
     */
    Claimed takeName() throws Exception {
        String key = keys.node(options.node());
        for (int attempt = 0; attempt < 5; attempt++) {
            Kv cur = store.getNow(key);
            if (cur != null && cur.lease() != 0 && alive(cur.lease())) {
                throw new NameTaken("node name " + options.node() + " is held by another live agent (etcd lease "
                        + Long.toHexString(cur.lease()) + ", node key " + cur.value() + "): each agent needs its own"
                        + " --node; this agent stops without touching anything");
            }
            List<Integer> vnis = List.of();
            if (cur != null) {
                try {
                    vnis = NodeRecord.decode(cur.value()).vnis();
                } catch (RuntimeException e) {
                    // not a valid record: started afresh
                }
            }
            long lease = store.grantNow(options.leaseTtl());
            String value = NodeRecord.of(vteps.ipv4(), vteps.ipv6(), vnis).encode();
            long rev = store.putIfNow(key, value, lease, cur == null ? 0 : cur.modRev());
            if (rev > 0) {
                LOG.log(System.Logger.Level.INFO, "cluster: node name " + options.node() + " claimed under lease "
                        + Long.toHexString(lease) + (cur == null ? "" : " (taken over from lease "
                                + Long.toHexString(cur.lease()) + ", which is not renewed)"));
                return new Claimed(lease, key, value, rev);
            }
            store.revokeNow(lease); // the key changed meanwhile: read it again
        }
        throw new IllegalStateException("node key " + key + " keeps changing: another agent is starting with name "
                + options.node() + "?");
    }

    /** True when {@code lease} is renewed while watched (its remaining TTL goes up). */
    private boolean alive(long lease) throws Exception {
        long[] t = store.ttlNow(lease);
        if (t[0] < 0) {
            return false;
        }
        long window = t[1] * 1000 / 3 + 1500;
        long last = t[0];
        long end = System.nanoTime() + window * 1_000_000;
        while (System.nanoTime() < end) {
            Thread.sleep(POLL_MS);
            long now = store.ttlNow(lease)[0];
            if (now < 0) {
                return false;
            }
            if (now > last) {
                return true;
            }
            last = now;
        }
        return false;
    }

    /** {@link #takeName} off the cluster thread; the outcome is handed back to it. */
    void takeNameAsync(Consumer<Claimed> ok, Consumer<Throwable> failed) {
        CompletableFuture.supplyAsync(() -> {
            try {
                return takeName();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }).whenComplete((lease, e) -> thread.run(() -> {
            if (e == null) {
                ok.accept(lease);
            } else {
                failed.accept(e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e);
            }
        }));
    }

    /** The {@link Registrar} renews {@link #lease} now (its stream is open): the claim's own stream ends. */
    synchronized void keptAliveElsewhere() {
        closeKeepAliveSinceClaim();
    }

    private synchronized void closeKeepAliveSinceClaim() {
        if (keepAliveSinceClaim != null) {
            try {
                keepAliveSinceClaim.close();
            } catch (Exception e) {
                // the client closes it anyway
            }
            keepAliveSinceClaim = null;
        }
    }

    @Override
    public void close() {
        closeKeepAliveSinceClaim();
        thread.close();
        store.close();
    }
}
