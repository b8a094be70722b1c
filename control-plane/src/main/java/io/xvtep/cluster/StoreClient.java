package io.xvtep.cluster;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The etcd client (jetcd) as the cluster uses it: strings in and out, every operation timed and
 * bounded, every completion handed to the {@link ClusterThread}. Nothing else in the package
 * talks to jetcd ({@link Reconnect}, which it owns, only resets the client's connection back-off).
 */
final class StoreClient implements AutoCloseable {

    private static final long OP_TIMEOUT_MS = 5_000;
    /** etcd's default limit of operations in one transaction (--max-txn-ops). */
    static final int MAX_TXN_OPS = 128;

    /** A key as read: its value, mod revision and lease (0: none). */
    record Kv(String key, String value, long modRev, long lease) {
    }

    /** A read: the keys and the store revision it was taken at. */
    record Listing(long revision, List<Kv> kvs) {
    }

    /** One watch event; {@code kv.value} is empty on a delete. */
    record Event(boolean put, Kv kv) {
    }

    /** One write of a transaction: a put under {@code lease} (0: none), or a delete when value is null. */
    record Write(String key, String value, long lease) {
        static Write put(String key, String value, long lease) {
            return new Write(key, value, lease);
        }

        static Write delete(String key) {
            return new Write(key, null, 0);
        }
    }

    /** What a keep-alive stream reports (on the cluster thread). */
    interface KeepAlive {
        /** The lease no longer exists (expired or revoked): grant a new one. */
        void lost(String why);

        /** The stream ended without an answer within the TTL (etcd unreachable): keep it alive again. */
        void ended();
    }

    private final Client client;
    private final ClusterThread thread;
    private final ClusterMetrics metrics;
    private final Reconnect reconnect;

    StoreClient(List<String> endpoints, ClusterOptions.Security sec, ClusterThread thread, ClusterMetrics metrics) {
        // A re-list reads the whole prefix in one response: 100k endpoints are ~15 MB, beyond gRPC's default
        // 4 MiB, and a restarted agent could not sync; 256 MiB covers ~1.7M endpoints.
        ClientBuilder b = Client.builder().endpoints(endpoints.toArray(String[]::new))
                .connectTimeout(Duration.ofSeconds(3)).maxInboundMessageSize(256 << 20);
        try {
            if (sec.tls()) {
                // mutual TLS: etcd's certificate checked against the CA, ours presented when given
                b.sslContext(ssl -> {
                    if (sec.cacert() != null) {
                        ssl.trustManager(sec.cacert().toFile());
                    }
                    if (sec.cert() != null) {
                        ssl.keyManager(sec.cert().toFile(), sec.key().toFile());
                    }
                });
            }
            if (sec.user() != null) {
                String pw = Files.readString(sec.passwordFile()).strip();
                if (pw.isEmpty()) {
                    throw new IllegalArgumentException("--etcd-password-file " + sec.passwordFile() + " is empty");
                }
                b.user(bs(sec.user())).password(bs(pw));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("etcd credentials: " + e.getMessage(), e);
        }
        this.client = b.build();
        this.thread = thread;
        this.metrics = metrics;
        this.reconnect = new Reconnect(client, thread);
    }

    /** Whether the last operation found etcd unreachable (tests). */
    boolean unreachable() {
        return reconnect.unreachable();
    }

    /** Whether jetcd's gRPC channel can be reached, so its back-off can be reset (tests). */
    boolean backoffResettable() {
        return reconnect.resettable();
    }

    /** True when {@code e} says the thing asked for (a lease) does not exist. */
    static boolean notFound(Throwable e) {
        return e instanceof EtcdException ee && ee.getErrorCode() == ErrorCode.NOT_FOUND;
    }

    /** True when etcd's access control refused the request (the user's roles do not cover the keys). */
    static boolean permissionDenied(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof EtcdException ee && ee.getErrorCode() == ErrorCode.PERMISSION_DENIED
                    || t instanceof StatusRuntimeException se
                            && se.getStatus().getCode() == Status.Code.PERMISSION_DENIED) {
                return true;
            }
        }
        return false;
    }

    /** Reads every key under {@code prefix} ({@code op} names it in the latency meter: list, get). */
    void read(String op, String prefix, Consumer<Listing> ok, Consumer<Throwable> failed) {
        op(op, client.getKVClient().get(bs(prefix), GetOption.builder().isPrefix(true).build()),
                r -> ok.accept(new Listing(r.getHeader().getRevision(), r.getKvs().stream().map(StoreClient::kv).toList())),
                failed);
    }

    /** Reads {@code keys} in one transaction (at most {@link #MAX_TXN_OPS}): the ones present, at one revision. */
    void readKeys(String op, List<String> keys, Consumer<Listing> ok, Consumer<Throwable> failed) {
        Op[] gets = keys.stream().limit(MAX_TXN_OPS).map(k -> Op.get(bs(k), GetOption.DEFAULT)).toArray(Op[]::new);
        op(op, client.getKVClient().txn().Then(gets).commit(), (TxnResponse r) -> {
            List<Kv> kvs = new ArrayList<>();
            r.getGetResponses().forEach(g -> g.getKvs().forEach(kv -> kvs.add(kv(kv))));
            ok.accept(new Listing(r.getHeader().getRevision(), kvs));
        }, failed);
    }

    /** Puts {@code key}; {@code ok} gets the revision of the write. */
    void put(String key, String value, long lease, LongConsumer ok, Consumer<Throwable> failed) {
        PutOption opt = lease == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(lease).build();
        op("put", client.getKVClient().put(bs(key), bs(value), opt), r -> ok.accept(r.getHeader().getRevision()),
                failed);
    }

    void delete(String key, LongConsumer ok, Consumer<Throwable> failed) {
        op("delete", client.getKVClient().delete(bs(key), DeleteOption.DEFAULT),
                r -> ok.accept(r.getHeader().getRevision()), failed);
    }

    /** The writes in one transaction (all or none); {@code ok} gets its revision. */
    void txn(String name, List<Write> writes, LongConsumer ok, Consumer<Throwable> failed) {
        List<Op> ops = new ArrayList<>();
        for (Write w : writes) {
            ops.add(w.value() == null ? Op.delete(bs(w.key()), DeleteOption.DEFAULT)
                    : Op.put(bs(w.key()), bs(w.value()),
                            w.lease() == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(w.lease()).build()));
        }
        op(name, client.getKVClient().txn().Then(ops.toArray(Op[]::new)).commit(),
                (TxnResponse r) -> ok.accept(r.getHeader().getRevision()), failed);
    }

    /**
     * Puts {@code key} under {@code lease} if its mod revision is still {@code expectMod} (0: the key
     * is absent); {@code ok} gets the revision of the write, or -1 when the key had changed.
     */
    void putIf(String key, String value, long lease, long expectMod, LongConsumer ok, Consumer<Throwable> failed) {
        op("put", putIfTxn(key, value, lease, expectMod), r -> ok.accept(r.isSucceeded() ? r.getHeader().getRevision()
                : -1), failed);
    }

    private CompletableFuture<TxnResponse> putIfTxn(String key, String value, long lease, long expectMod) {
        return client.getKVClient().txn()
                .If(new Cmp(bs(key), Cmp.Op.EQUAL, CmpTarget.modRevision(expectMod)))
                .Then(Op.put(bs(key), bs(value), PutOption.builder().withLeaseId(lease).build())).commit();
    }

    // ---- blocking calls, for claiming the node's name before the agent touches anything (NodeIdentity)

    /** The key now, or null when absent. */
    Kv getNow(String key) throws Exception {
        var r = timed("get", client.getKVClient().get(bs(key)));
        return r.getKvs().isEmpty() ? null : kv(r.getKvs().get(0));
    }

    long grantNow(long ttl) throws Exception {
        return timed("grant", client.getLeaseClient().grant(ttl)).getID();
    }

    void revokeNow(long lease) throws Exception {
        timed("revoke", client.getLeaseClient().revoke(lease));
    }

    /** {remaining TTL, granted TTL} of {@code lease} in seconds; remaining is -1 when the lease is gone. */
    long[] ttlNow(long lease) throws Exception {
        var r = timed("ttl", client.getLeaseClient().timeToLive(lease, LeaseOption.DEFAULT));
        return new long[] {r.getTTL(), r.getGrantedTTL()};
    }

    /** The granted TTL of {@code lease} in seconds ({@code ok} gets -1 when the lease is gone). */
    void grantedTtl(long lease, LongConsumer ok, Consumer<Throwable> failed) {
        op("ttl", client.getLeaseClient().timeToLive(lease, LeaseOption.DEFAULT),
                r -> ok.accept(r.getTTL() < 0 ? -1 : r.getGrantedTTL()), failed);
    }

    /** {@link #putIf}, waiting: the revision of the write, or -1 when the key had changed. */
    long putIfNow(String key, String value, long lease, long expectMod) throws Exception {
        TxnResponse r = timed("put", putIfTxn(key, value, lease, expectMod));
        return r.isSucceeded() ? r.getHeader().getRevision() : -1;
    }

    private <T> T timed(String name, CompletableFuture<T> f) throws Exception {
        long t0 = System.nanoTime();
        boolean ok = false;
        try {
            T r = f.get(OP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            ok = true;
            reconnect.answered(null);
            return r;
        } catch (java.util.concurrent.ExecutionException e) {
            reconnect.answered(e.getCause());
            throw e.getCause() instanceof Exception c ? c : e;
        } catch (TimeoutException e) {
            reconnect.answered(e);
            throw e;
        } finally {
            metrics.storeOp(name, ok, System.nanoTime() - t0);
        }
    }

    /** A new lease of {@code ttl} seconds; {@code ok} gets its id. */
    void grant(long ttl, LongConsumer ok, Consumer<Throwable> failed) {
        op("grant", client.getLeaseClient().grant(ttl), r -> ok.accept(r.getID()), failed);
    }

    /**
     * Keeps {@code lease} alive with jetcd's keep-alive stream (a renewal every TTL/3). Transient
     * stream errors are retried by jetcd itself; only a missing lease ({@link ErrorCode#NOT_FOUND})
     * reports {@link KeepAlive#lost}.
     */
    AutoCloseable keepAlive(long lease, KeepAlive k) {
        var c = client.getLeaseClient().keepAlive(lease, new StreamObserver<LeaseKeepAliveResponse>() {
            @Override
            public void onNext(LeaseKeepAliveResponse r) {
                // renewed
            }

            @Override
            public void onError(Throwable e) {
                if (notFound(e)) {
                    thread.run(() -> k.lost(e.getMessage()));
                }
            }

            @Override
            public void onCompleted() {
                thread.run(k::ended);
            }
        });
        return c::close;
    }

    /** Watches {@code prefix} from {@code fromRev}; responses and the error that ends it go to the cluster thread. */
    AutoCloseable watch(String prefix, long fromRev, Consumer<List<Event>> events, Consumer<Throwable> ended) {
        WatchOption opt = WatchOption.builder().isPrefix(true).withRevision(fromRev).build();
        Watch.Watcher w = client.getWatchClient().watch(bs(prefix), opt, Watch.listener(resp -> {
            List<Event> l = new ArrayList<>(resp.getEvents().size());
            for (WatchEvent ev : resp.getEvents()) {
                if (ev.getEventType() != WatchEvent.EventType.UNRECOGNIZED) {
                    l.add(new Event(ev.getEventType() == WatchEvent.EventType.PUT, kv(ev.getKeyValue())));
                }
            }
            thread.run(() -> events.accept(l));
        }, err -> thread.run(() -> ended.accept(err))));
        return w::close;
    }

    private static Kv kv(KeyValue kv) {
        return new Kv(str(kv.getKey()), str(kv.getValue()), kv.getModRevision(), kv.getLease());
    }

    /** Times a store operation and hands its completion to the cluster thread. */
    private <T> void op(String name, CompletableFuture<T> f, Consumer<T> ok, Consumer<Throwable> failed) {
        long t0 = System.nanoTime();
        f.orTimeout(OP_TIMEOUT_MS, TimeUnit.MILLISECONDS).whenComplete((r, e) -> {
            metrics.storeOp(name, e == null, System.nanoTime() - t0);
            reconnect.answered(e);
            thread.run(() -> {
                if (e == null) {
                    ok.accept(r);
                } else {
                    failed.accept(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
                }
            });
        });
    }

    private static ByteSequence bs(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static String str(ByteSequence b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        client.close();
    }
}
