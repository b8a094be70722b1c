package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathPacketTest.*;
import static io.xvtep.testkit.Frames.*;
import static io.xvtep.datapath.HostileFrames.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.datapath.Harness.Captured;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * VLAN tags from a port, on real veths (BPF_PROG_TEST_RUN cannot carry skb->vlan_tci): tc_port_ingress
 * attached to p1, tagged frames sent into p1t with an AF_PACKET socket, so the veth moves the outer tag
 * into the skb's metadata as any NIC does. The tag must go inside the inner frame and never on the
 * outer one; local ports get the frame with its tags as sent.
 */
class VlanNamespaceTest {
    static final byte[] RAW = eth("ff:ff:ff:ff:ff:ff", C1, 0x88B5, new byte[46]);

    List<Captured> send(Harness h, byte[] frame) {
        String py = "import socket,sys\n"
                + "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
                + "s.bind(('p1t',0))\n"
                + "s.send(bytes.fromhex(sys.argv[1]))\n";
        h.ns.exec("python3", "-c", py, hex(frame));
        return h.inside(() -> {
            List<Captured> got = new ArrayList<>();
            for (int i = 0; i < 20 && got.size() < 2; i++) {
                Thread.sleep(20);
                got.addAll(h.takeCaptured());
            }
            return got;
        });
    }

    void checkTagsInside(byte[] tagged) {
        try (Harness h = Harness.start()) {
            h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0).flood(42, V2).attachPort("p1");
            List<Captured> got = send(h, tagged);
            PacketCase c = PacketCase.of("vlan", "tags inside");
            assertThat(got).extracting(Captured::ifname).containsExactlyInAnyOrder("u0", "p2");
            for (Captured k : got) {
                if (k.ifname().equals("u0")) {
                    assertThat(hex(normaliseEncap(k.frame(), c))).as("the underlay frame: no outer tag, the tags inside")
                            .isEqualTo(hex(toVtep(V2, 4789, 42, tagged)));
                } else {
                    assertThat(hex(k.frame())).as("the local port gets the frame with its tags").isEqualTo(hex(tagged));
                }
            }
            assertThat(h.stats(42).get("tx_packets")).isEqualTo(1);
        }
    }

    @Test
    void dot1qTagGoesInsideTheInnerFrame() {
        checkTagsInside(tagged(RAW, ETH_P_8021Q, 100));
    }

    @Test
    void qinqTagsGoInsideInOrder() {
        checkTagsInside(tagged(tagged(RAW, ETH_P_8021Q, 100), ETH_P_8021AD, 200));
    }

    @Test
    void taggedIpUnicastGoesInsideToo() {
        byte[] tagged = tagged(PING_C1_TO_R1, ETH_P_8021Q, 0x2064); // PCP 1, VID 100
        try (Harness h = Harness.start()) {
            h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0).attachPort("p1");
            List<Captured> got = send(h, tagged);
            assertThat(got).extracting(Captured::ifname).containsExactly("u0");
            assertThat(hex(normaliseEncap(got.get(0).frame(), PacketCase.of("vlan", "unicast"))))
                    .isEqualTo(hex(toVtep(V2, 4789, 42, tagged)));
        }
    }
}
