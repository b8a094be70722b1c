package io.xvtep.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.xvtep.model.IpAddress;
import io.xvtep.service.Locals;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node name's lease against a real etcd (Debian's etcd-server, on loopback, started here): it stays
 * alive from the claim on, also while the agent takes longer than the TTL to open its maps and start
 * the cluster (a loaded machine), and through the hand-over to the Registrar's keep-alive.
 */
class NodeIdentityIT {

    private static final int TTL = 3;
    /**
     * etcd reports a lease's remaining TTL in whole seconds and -1 once it is gone: 0 is a live lease with
     * under a second left (a renewal every TTL/3 that came late on a loaded machine: seen in CI).
     */
    private static final String ALIVE = " (-1: expired; 0: alive, under a second left)";

    private LoopbackEtcd etcd;
    private String endpoint;

    @BeforeEach
    void startEtcd() throws Exception {
        etcd = new LoopbackEtcd().startAndWait();
        endpoint = etcd.endpoint();
    }

    @AfterEach
    void stopEtcd() throws Exception {
        etcd.close();
    }

    @Test
    void theClaimedLeaseOutlivesASlowStartAndTheHandOver() throws Exception {
        ClusterOptions o = new ClusterOptions(List.of(endpoint), "n1", "/xvtep-it", TTL, 60, 0, 10, 1000,
                ClusterOptions.DEFAULT_NODE_MAXADDRESS, 60, ClusterOptions.Security.NONE);
        try (NodeIdentity id = NodeIdentity.claim(o, new Locals(IpAddress.parse("198.18.0.1"), null),
                new SimpleMeterRegistry())) {
            assertThat(id.lease).as("claimed at start").isNotZero();
            Thread.sleep(TTL * 2500L); // the maps and programs take longer than the TTL to open
            assertThat(id.store.ttlNow(id.lease)[0]).as("lease remaining TTL after a slow start" + ALIVE).isNotNegative();

            // what Registrar.start does: its own stream first, then the claim's ends
            AutoCloseable registrars = id.store.keepAlive(id.lease, new StoreClient.KeepAlive() {
                @Override
                public void lost(String why) {
                }

                @Override
                public void ended() {
                }
            });
            id.keptAliveElsewhere();
            Thread.sleep(TTL * 2500L);
            assertThat(id.store.ttlNow(id.lease)[0]).as("lease remaining TTL after the hand-over" + ALIVE).isNotNegative();
            registrars.close();
        }
    }

    /**
     * etcd slow to answer at the agent's start (a loaded machine: the first TLS and authentication round
     * trip of a cold JVM took over the 5 s operation timeout at load 17, and the restarted agent went on
     * unclaimed, so a duplicate would have opened its maps before learning its name was taken): the claim
     * is tried again within its start budget, not given up after one timed-out operation. Here etcd is
     * down for the first 7 s of the claim.
     */
    @Test
    void theClaimAtStartIsTriedAgainWhileEtcdIsSlowToAnswer() throws Exception {
        etcd.stop();
        Thread later = new Thread(() -> {
            try {
                Thread.sleep(7_000);
                etcd.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        later.start();
        ClusterOptions o = new ClusterOptions(List.of(endpoint), "n2", "/xvtep-it", 10, 60, 0, 10, 1000,
                ClusterOptions.DEFAULT_NODE_MAXADDRESS, 60, ClusterOptions.Security.NONE);
        try (NodeIdentity id = NodeIdentity.claim(o, new Locals(IpAddress.parse("198.18.0.2"), null),
                new SimpleMeterRegistry())) {
            later.join();
            assertThat(id.lease).as("claimed at start, once etcd answered").isNotZero();
            assertThat(id.store.ttlNow(id.lease)[0]).as("the claimed lease's remaining TTL" + ALIVE).isNotNegative();
        }
    }
}
