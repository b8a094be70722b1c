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
 * --etcd-lease-ttl is bounded (2 s to 1 h, docs/cluster.md "Lease TTL"): an agent given a value outside
 * refuses to start with a message naming the option, before it opens anything or talks to etcd.
 */
class LeaseTtlOptionTest {

    static ClusterOptions withTtl(int ttl) {
        return new ClusterOptions(List.of("http://198.18.0.100:2379"), "h1", "/xvtep", ttl, 3600, 5, 180, 1000,
                ClusterOptions.DEFAULT_NODE_MAXADDRESS, ClusterOptions.DEFAULT_TOMBSTONE_TTL, null);
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
        Path root = Path.of("/sys/fs/bpf", Unique.name("xvtep-ttl"));
        for (String bad : new String[] {"1", "0", "3601"}) {
            PrintStream saved = System.err;
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status;
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            try {
                // etcd on the discard port: a start that got as far as the store would fail differently
                status = Main.run("agent", "--underlay", "xvtep-nodev0", "--local", "198.18.0.1", "--xdp-mode", "off",
                        "--pin-root", root.toString(), "--etcd", "http://127.0.0.1:9", "--node", "h1",
                        "--etcd-lease-ttl", bad);
            } finally {
                System.setErr(saved);
            }
            assertThat(status).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8))
                    .contains("xvtep: --etcd-lease-ttl must be 2 to 3600 seconds: " + bad);
            assertThat(Files.exists(root)).isFalse();
        }
    }
}
