package io.xvtep.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Reconnection after a long etcd outage, against a real etcd: gRPC's connection back-off grows x1.6 up
 * to 120 s while etcd is down, so without the client's reset (Reconnect.EVERY_MS) a client
 * asking once a second got its first answer 20-50 s after etcd was healthy again (docs/cluster.md). With
 * the reset it answers within a few seconds. The outage is 150 s, long enough for the back-off to reach
 * ~60 s; the bound asserted (12 s) has seconds of slack over the 2 s reset period and the 5 s op timeout.
 */
class EtcdReconnectIT {

    private static final long OUTAGE_MS = Long.getLong("xvtep.it.etcdOutageMs", 150_000);

    @Test
    void aClientFindsEtcdSoonAfterALongOutage() throws Exception {
        ClusterMetrics metrics = new ClusterMetrics(new SimpleMeterRegistry());
        try (LoopbackEtcd etcd = new LoopbackEtcd().startAndWait();
                ClusterThread thread = new ClusterThread();
                StoreClient store = new StoreClient(List.of(etcd.endpoint()), ClusterOptions.Security.NONE, thread, metrics)) {
            assertThat(get(store)).as("etcd answers before the outage").isTrue();
            assertThat(store.backoffResettable()).as("jetcd's gRPC channel is reachable here").isTrue();

            etcd.stop();
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(OUTAGE_MS);
            while (System.nanoTime() < end) {
                get(store); // the agent's pace: an operation about every second, each failing
                Thread.sleep(1_000);
            }
            assertThat(store.unreachable()).as("the failures were seen as etcd unreachable").isTrue();

            etcd.startAndWait();
            long healthy = System.nanoTime();
            while (!get(store)) {
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healthy))
                        .as("ms from etcd healthy again to the client's first answer").isLessThan(12_000);
                Thread.sleep(200);
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healthy);
            System.out.println("EtcdReconnectIT: first answer " + ms + " ms after etcd was healthy (outage "
                    + OUTAGE_MS / 1000 + " s)");
            assertThat(ms).isLessThan(12_000);
            assertThat(store.unreachable()).isFalse();
        }
    }

    /** One read, waited for: true when etcd answered. */
    private static boolean get(StoreClient store) throws Exception {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        store.read("get", "/xvtep-it/", l -> done.complete(true), e -> done.complete(false));
        return done.get(10, TimeUnit.SECONDS);
    }
}
