package io.xvtep.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xvtep.cluster.ClusterOptions;
import io.xvtep.testkit.Unique;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * --etcd-lease-ttl is bounded (2 s to 1 h, docs/cluster.md "Lease TTL"), --etcd-lease-ttl-max from it to 1 h: an agent given a value outside
 * refuses to start with a message naming the option, before it opens anything or talks to etcd.
 */
class LeaseTtlOptionTest {

    static ClusterOptions withTtl(int ttl) {
        return withTtls(ttl, 3600);
    }

    static ClusterOptions withTtls(int ttl, int max) {
        return new ClusterOptions(List.of("http://198.18.0.100:2379"), "h1", "/xvtep", ttl, max, 5, 180, 1000,
                ClusterOptions.DEFAULT_NODE_MAXADDRESS, ClusterOptions.DEFAULT_TOMBSTONE_TTL, null);
    }

    /** --etcd-lease-ttl-max (other nodes' leases) is at least this node's own TTL and at most an hour. */
    @Test
    void maximumOfOtherNodesLeasesIsBounded() {
        assertThat(withTtls(10, 10).leaseTtlMax()).isEqualTo(10);
        assertThat(withTtls(10, 3600).leaseTtlMax()).isEqualTo(3600);
        for (int bad : new int[] {Integer.MIN_VALUE, 0, 9, 3601, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> withTtls(10, bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("--etcd-lease-ttl-max must be --etcd-lease-ttl (10) to 3600 seconds: " + bad);
        }
    }

    @Test
    void boundsAreInclusive() {
        assertThat(withTtl(2).leaseTtl()).isEqualTo(2);
        assertThat(withTtl(10).leaseTtl()).isEqualTo(10);
        assertThat(withTtl(3600).leaseTtl()).isEqualTo(3600);
        for (int bad : new int[] {Integer.MIN_VALUE, -1, 0, 1, 3601, 86_400, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> withTtl(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("--etcd-lease-ttl must be 2 to 3600 seconds: " + bad);
        }
    }

    @Test
    void agentRefusesToStartAndTouchesNothing() {
        refusesToStart("--etcd-lease-ttl", "1", "xvtep: --etcd-lease-ttl must be 2 to 3600 seconds: 1");
        refusesToStart("--etcd-lease-ttl", "0", "xvtep: --etcd-lease-ttl must be 2 to 3600 seconds: 0");
        refusesToStart("--etcd-lease-ttl", "3601", "xvtep: --etcd-lease-ttl must be 2 to 3600 seconds: 3601");
        refusesToStart("--etcd-lease-ttl-max", "5",
                "xvtep: --etcd-lease-ttl-max must be --etcd-lease-ttl (10) to 3600 seconds: 5");
    }

    private static void refusesToStart(String option, String bad, String message) {
        Path root = Path.of("/sys/fs/bpf", Unique.name("xvtep-ttl"));
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            // etcd on the discard port: a start that got as far as the store would fail differently
            status = Main.run("agent", "--underlay", "xvtep-nodev0", "--local", "198.18.0.1", "--xdp-mode", "off",
                    "--pin-root", root.toString(), "--etcd", "http://127.0.0.1:9", "--node", "h1",
                    option, bad);
        } finally {
            System.setErr(saved);
        }
        assertThat(status).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(message);
        assertThat(Files.exists(root)).isFalse();
    }
}
