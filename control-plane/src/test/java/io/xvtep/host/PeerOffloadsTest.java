package io.xvtep.host;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which features of `ethtool -k` output the agent turns off at a port's peer (PeerOffloads). */
class PeerOffloadsTest {

    /** A veth's `ethtool -k` (kernel 6.18), abridged. */
    static final String VETH = """
            Features for eth0:
            rx-checksumming: on
            tx-checksumming: on
            \ttx-checksum-ip-generic: on
            scatter-gather: on
            tcp-segmentation-offload: on
            \ttx-tcp-segmentation: on
            \ttx-tcp-ecn-segmentation: on
            \ttx-tcp-mangleid-segmentation: on
            \ttx-tcp6-segmentation: on
            generic-segmentation-offload: on
            generic-receive-offload: off
            tx-fcoe-segmentation: off [fixed]
            tx-gre-segmentation: on
            tx-udp_tnl-csum-segmentation: on
            tx-tunnel-remcsum-segmentation: off [fixed]
            tx-esp-segmentation: off [fixed]
            tx-udp-segmentation: on
            tx-gso-list: on
            tx-generic-segmentation: on
            tx-vlan-hw-insert: on
            """;

    @Test
    void everySegmentationOffloadThatIsOnAndChangeableButSoftwareGso() {
        assertThat(PeerOffloads.segmentationOn(VETH)).containsExactly("tx-tcp-segmentation", "tx-tcp-ecn-segmentation",
                "tx-tcp-mangleid-segmentation", "tx-tcp6-segmentation", "tx-gre-segmentation",
                "tx-udp_tnl-csum-segmentation", "tx-udp-segmentation", "tx-gso-list");
    }

    /** xdp_encap: the tx checksum offloads on and changeable (tx-checksumming itself is their summary line). */
    @Test
    void txChecksumOffloadsForXdpEncap() {
        assertThat(PeerOffloads.checksumOn(VETH)).containsExactly("tx-checksum-ip-generic");
        assertThat(PeerOffloads.checksumOn(VETH + "\ttx-checksum-sctp: on\n\ttx-checksum-ipv4: off [fixed]\n"))
                .containsExactly("tx-checksum-ip-generic", "tx-checksum-sctp");
        assertThat(PeerOffloads.checksumOn(VETH.replace(": on\n", ": off\n"))).isEmpty();
    }

    @Test
    void nothingWhenAllAreOff() {
        assertThat(PeerOffloads.segmentationOn(VETH.replace(": on\n", ": off\n"))).isEmpty();
    }
}
