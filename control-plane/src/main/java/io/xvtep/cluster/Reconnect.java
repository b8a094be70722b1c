package io.xvtep.cluster;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Reconnection after a long etcd outage (docs/cluster.md): gRPC grows its wait between connection attempts
 * x1.6 up to 120 s while etcd is down, so after a long outage a client found etcd 20-50 s after it was back,
 * and jetcd has no setting for it. While the last operation found etcd unreachable, the channel's back-off
 * is reset every {@link #EVERY_MS}: the agent reconnects within that of etcd coming back.
 */
final class Reconnect {

    private static final System.Logger LOG = System.getLogger("xvtep.cluster");
    static final long EVERY_MS = 2_000;

    private final Client client;
    /** The last operation found etcd unreachable (timed out, UNAVAILABLE, DEADLINE_EXCEEDED). */
    private volatile boolean unreachable;
    /** jetcd's gRPC channel, reached once (null: not yet; empty: not reachable, gRPC's own back-off kept). */
    private volatile Optional<ManagedChannel> channel;

    Reconnect(Client client, ClusterThread thread) {
        this.client = client;
        thread.every(this::resetWhileUnreachable, EVERY_MS);
    }

    /** Records how an operation ended: null for an answer (a refusal included), else its failure. */
    void answered(Throwable failure) {
        unreachable = failure != null && unreachable(failure);
    }

    boolean unreachable() {
        return unreachable;
    }

    /** Whether this jetcd's gRPC channel can be reached, so its back-off can be reset. */
    boolean resettable() {
        return grpcChannel(client) != null;
    }

    /** Whether {@code e} says etcd did not answer at all, as opposed to an answer that refused the request. */
    static boolean unreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException
                    || t instanceof StatusRuntimeException se && unreachable(se.getStatus().getCode())
                    || t instanceof StatusException se2 && unreachable(se2.getStatus().getCode())
                    || t instanceof EtcdException ee && (ee.getErrorCode() == ErrorCode.UNAVAILABLE
                            || ee.getErrorCode() == ErrorCode.DEADLINE_EXCEEDED)) {
                return true;
            }
        }
        return false;
    }

    private static boolean unreachable(Status.Code c) {
        return c == Status.Code.UNAVAILABLE || c == Status.Code.DEADLINE_EXCEEDED;
    }

    /**
     * Tells gRPC to try connecting now instead of after its grown back-off. The channel is jetcd's private
     * field: if a jetcd version hides it elsewhere, a warning says so once and gRPC's own back-off stays
     * (reconnection late, nothing else changes).
     */
    private void resetWhileUnreachable() {
        if (!unreachable) {
            return;
        }
        Optional<ManagedChannel> ch = channel;
        if (ch == null) {
            ch = Optional.ofNullable(grpcChannel(client));
            channel = ch;
            if (ch.isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, "cluster: jetcd's gRPC channel is not reachable here: after a long"
                        + " etcd outage reconnection waits for gRPC's back-off (up to 120 s)");
            }
        }
        ch.ifPresent(ManagedChannel::resetConnectBackoff);
    }

    /** jetcd 0.8's channel: ClientImpl.connectionManager.getChannel(); null when not found. */
    private static ManagedChannel grpcChannel(Client client) {
        try {
            Field f = client.getClass().getDeclaredField("connectionManager");
            f.setAccessible(true);
            Object manager = f.get(client);
            Method m = manager.getClass().getDeclaredMethod("getChannel");
            m.setAccessible(true);
            return m.invoke(manager) instanceof ManagedChannel mc ? mc : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
