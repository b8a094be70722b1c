package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathPacketTest.*;
import static io.xvtep.testkit.Frames.*;
import static io.xvtep.datapath.Harness.*;
import static io.xvtep.datapath.HostileFrames.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.xvtep.model.IpAddress;
import io.xvtep.model.Ipv4;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The datapath under hostile input (issue 10): one case per malformed or unusual frame, byte-exact as in
 * {@link DatapathPacketTest}. Outer-header refusals are counted on VNI 0 (the sender is not trusted yet),
 * refusals of the inner frame on its VNI. Cases marked {@code pending} reproduce a bug whose fix has not
 * landed: they must fail today (reported as skipped with the reason) and make the build fail once they pass.
 */
class HostileInputTest {
    static final String V4 = "198.18.0.4";
    static final byte[] FROM_V2 = fromVtep(V2, 4789, 42, PING_R1_TO_C1);
    /** DF-set pings of 1128 bytes of IPv4 and 1448 bytes of IPv6: over a 1000 / 1300-byte tunnel MTU. */
    static final byte[] BIG4 = ping(R1, C1, IP_C1, IP_R1, 0, 1100), BIG6 = ping6(R1, C1, "fd00::11", "fd00::21", 0, 61, 1400);

    /** VNI 42 with learning and a tunnel MTU. */
    static VniCfg mtuVni(int mtu) {
        return new VniCfg(42, L, null, null, 4789, 0, 0, 64, 0, 0, 0, 300, mtu, 0);
    }
    static final String LLDP = "01:80:c2:00:00:0e", LACP = "01:80:c2:00:00:02", PAUSE = "01:80:c2:00:00:01",
            STP = "01:80:c2:00:00:00", EAPOL = "01:80:c2:00:00:03";

    /** `frame` with the outer IPv4 source replaced (header checksum recomputed). */
    static byte[] fromSource(String src, byte[] frame) {
        byte[] f = frame.clone();
        System.arraycopy(ip(src), 0, f, 26, 4);
        return reChecksum(f);
    }

    static Stream<PacketCase> cases() {
        return Stream.of(
            // ---------------------------------------------------------------- outer headers, as the kernel checks them
            PacketCase.of("outer_ip_bad_checksum_drops",
                    "an outer IPv4 header with a wrong checksum is dropped and counted, never decapsulated")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", with(FROM_V2, OFF_IP_CSUM, FROM_V2[OFF_IP_CSUM] ^ 0x01))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_ip_csum", 1).counter(42, "rx_packets", 0).counter(42, "learned", 0),
            PacketCase.of("xdp_outer_ip_bad_checksum_drops",
                    "XDP drops the same frame itself")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", with(FROM_V2, OFF_IP_CSUM, FROM_V2[OFF_IP_CSUM] ^ 0x01))
                .expect(XDP_DROP, null)
                .counter(0, "drop_ip_csum", 1).counter(42, "rx_packets", 0),
            PacketCase.of("outer_ethernet_padding_trimmed",
                    "bytes after the outer IP total length (Ethernet padding) are not part of the inner frame")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", cat(FROM_V2, new byte[] {1, 2, 3, 4, 5, 6}))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "rx_packets", 1).counter(42, "rx_bytes", PING_R1_TO_C1.length),
            PacketCase.of("udp_shorter_than_ip_trimmed",
                    "bytes between the end of the UDP datagram and the end of the IP packet are trimmed, as udp_rcv does")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP,
                        ipv4(V2, LOCAL_IP, 17, cat(udp(50000, 4789, vxlan(42, PING_R1_TO_C1)), new byte[] {9, 9, 9, 9}))))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "rx_bytes", PING_R1_TO_C1.length),
            PacketCase.of("udp_longer_than_ip_drops",
                    "a UDP length beyond the IP packet is a malformed datagram: dropped and counted")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", with(FROM_V2, OFF_UDP_LEN, 0, FROM_V2.length - 34 + 8))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_udp_len", 1).counter(42, "rx_packets", 0),
            PacketCase.of("udp_length_below_header_drops",
                    "a UDP length below the VXLAN headers is malformed")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", with(FROM_V2, OFF_UDP_LEN, 0, 8))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_udp_len", 1),
            PacketCase.of("udp_good_checksum_accepted",
                    "a correct non-zero UDP checksum (udpcsum senders) is accepted")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", vxlanChecksummed(UNDERLAY_MAC, remoteMac(V2), V2, LOCAL_IP, 42, PING_R1_TO_C1))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1),
            PacketCase.of("udp_bad_checksum_drops",
                    "a wrong non-zero UDP checksum is dropped and counted (0 means none, RFC 768)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", flip(vxlanChecksummed(UNDERLAY_MAC, remoteMac(V2), V2, LOCAL_IP, 42, PING_R1_TO_C1), 60))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_udp_csum", 1).counter(42, "rx_packets", 0).counter(42, "learned", 0),
            PacketCase.of("xdp_udp_bad_checksum_left_to_tc",
                    "XDP verifies the UDP checksum over the whole datagram and leaves a wrong one to TC, untouched")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", flip(vxlanChecksummed(UNDERLAY_MAC, remoteMac(V2), V2, LOCAL_IP, 42, PING_R1_TO_C1), 90))
                .expect(XDP_PASS, flip(vxlanChecksummed(UNDERLAY_MAC, remoteMac(V2), V2, LOCAL_IP, 42, PING_R1_TO_C1), 90))
                .counter(42, "rx_packets", 0),
            PacketCase.of("xdp_udp_good_checksum_redirects",
                    "a right one takes the fast path")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", vxlanChecksummed(UNDERLAY_MAC, remoteMac(V2), V2, LOCAL_IP, 42, PING_R1_TO_C1))
                .expect(XDP_REDIRECT, PING_R1_TO_C1),
            PacketCase.of("udp_bad_checksum_trusted_on_veth_underlay",
                    "on a veth underlay TC trusts the sender (a CHECKSUM_PARTIAL placeholder from this kernel looks wrong)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0)
                        .configFlags(XvtepConfig.F_NO_XDP_REDIRECT))
                .run("tc_underlay_ingress", "u0", flip(vxlanChecksummed(UNDERLAY_MAC, remoteMac(V2), V2, LOCAL_IP, 42, PING_R1_TO_C1), 60))
                .expect(TC_ACT_REDIRECT, with(PING_R1_TO_C1, 60 - 50, PING_R1_TO_C1[60 - 50] ^ 0x40)),
            martian("0.1.2.3"), martian("127.0.0.1"), martian("224.0.0.5"), martian("239.1.1.1"), martian("255.255.255.255"),
            PacketCase.of("xdp_martian_source_drops",
                    "XDP drops a martian source itself")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", fromSource("127.0.0.1", FROM_V2))
                .expect(XDP_DROP, null)
                .counter(0, "drop_martian", 1),

            // ---------------------------------------------------------------- learning limits
            PacketCase.of("vni_learning_limit_refuses_and_forwards",
                    "a VNI at its learning limit learns no new MAC (counted, one learn_refused event) but still delivers the frame")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0)
                        .learnBudget(LearnBudgets.Key.vni(42), 2, 0, 2))
                .run("tc_underlay_ingress", "u0", FROM_V2)
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "learned", 0).counter(42, "learn_refused", 1).counter(42, "rx_packets", 1)
                .then(h -> {
                    assertThat(h.fdbGet(42, R1)).isEmpty();
                    assertThat(h.events()).extracting(XvtepEvent::type).contains(Abi.EV_LEARN_REFUSED);
                }),
            PacketCase.of("vni_learning_limit_counts_what_was_forgotten",
                    "entries the control plane removed (forgotten) free room: 2 counted - 1 forgotten < 2 learns")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0)
                        .learnBudget(LearnBudgets.Key.vni(42), 2, 1, 2))
                .run("tc_underlay_ingress", "u0", FROM_V2)
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "learned", 1).counter(42, "learn_refused", 0)
                .then(h -> assertThat(h.learnBudgets().budgets().get(LearnBudgets.Key.vni(42)))
                        .isEqualTo(new LearnBudgets.Budget(2, 2))),
            PacketCase.of("port_learning_limit_refuses",
                    "a port at its limit (one container flooding source MACs) learns nothing more; its frames still go out")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2)
                        .learnBudget(LearnBudgets.Key.port(h.ifindex.get("p1")), 1, 0, 1))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, ARP_FROM_C1))
                .counter(42, "learned", 0).counter(42, "learn_refused", 1)
                .then(h -> assertThat(h.fdbGet(42, C1)).isEmpty()),
            PacketCase.of("host_learning_limit_refuses",
                    "at the host-wide limit nothing is learned: the rest of the FDB stays for static, cluster and agent-written entries")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0)
                        .learnBudget(LearnBudgets.Key.HOST, 5, 0, 5))
                .run("tc_underlay_ingress", "u0", FROM_V2)
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "learn_refused", 1),
            PacketCase.of("learning_limit_spares_known_macs",
                    "a MAC already learned is refreshed, not refused, at the limit")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0).fdbRemote(42, R1, V2, 0)
                        .learnBudget(LearnBudgets.Key.vni(42), 1, 0, 1))
                .run("tc_underlay_ingress", "u0", FROM_V2)
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "learn_refused", 0).counter(42, "moved", 0),
            PacketCase.of("learning_charges_every_scope",
                    "a learn from a port is charged to the host, the VNI and the port")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, ARP_FROM_C1))
                .counter(42, "learned", 1)
                .then(h -> assertThat(h.learnBudgets().budgets()).containsEntry(LearnBudgets.Key.HOST,
                        new LearnBudgets.Budget(1, Abi.LEARN_DEFAULT_MAX_HOST))
                        .containsEntry(LearnBudgets.Key.vni(42), new LearnBudgets.Budget(1, Abi.LEARN_DEFAULT_MAX_VNI))
                        .containsEntry(LearnBudgets.Key.port(h.ifindex.get("p1")), new LearnBudgets.Budget(1, Abi.LEARN_DEFAULT_MAX_PORT))),

            // ---------------------------------------------------------------- the VXLAN header
            PacketCase.of("gbp_for_unserved_vni_passes",
                    "a VXLAN-GBP frame (G flag) for a VNI xvtep does not serve is left to the stack unchanged: not ours")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", gbp(77))
                .expect(TC_ACT_OK, gbp(77))
                .counter(0, "pass_unknown_vni", 1).counter(0, "drop_bad_flags", 0),
            PacketCase.of("gpe_for_unserved_vni_passes",
                    "a VXLAN-GPE frame (P flag, next protocol) for a VNI xvtep does not serve passes too")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", gpe(77))
                .expect(TC_ACT_OK, gpe(77))
                .counter(0, "pass_unknown_vni", 1),
            PacketCase.of("xdp_gbp_for_unserved_vni_passes",
                    "XDP lets it pass as well")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("xdp_underlay", "u0", gbp(77))
                .expect(XDP_PASS, gbp(77)),
            PacketCase.of("gbp_for_served_vni_drops",
                    "a GBP frame for a VNI we serve is still refused (we do not speak GBP)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", gbp(42))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_bad_flags", 1),
            PacketCase.of("xdp_passes_not_counted",
                    "frames XDP leaves to TC are counted once, by TC: XDP counts no pass")
                .setup(h -> h.vni(42, L, 4789))
                .run("xdp_underlay", "u0", fromVtep(V2, 4789, 77, PING_R1_TO_C1))
                .expect(XDP_PASS, fromVtep(V2, 4789, 77, PING_R1_TO_C1))
                .counter(0, "pass_unknown_vni", 0),
            PacketCase.of("xdp_not_vxlan_not_counted",
                    "neither does it count other UDP")
                .setup(h -> h.vni(42, L, 4789))
                .run("xdp_underlay", "u0", eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP, ipv4(V2, LOCAL_IP, 17, udp(5353, 53, new byte[20]))))
                .expect(XDP_PASS, eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP, ipv4(V2, LOCAL_IP, 17, udp(5353, 53, new byte[20]))))
                .counter(0, "pass_not_vxlan", 0),
            PacketCase.of("outer_vlan_tag_in_band_passes",
                    "VXLAN carried in an 802.1Q-tagged outer frame is not the underlay device's: left to the stack")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", tagged(FROM_V2, ETH_P_8021Q, 100))
                .expect(TC_ACT_OK, tagged(FROM_V2, ETH_P_8021Q, 100))
                .counter(42, "rx_packets", 0),

            // ---------------------------------------------------------------- fragments
            PacketCase.of("first_fragment_counted",
                    "the first fragment of a VXLAN datagram for a served VNI cannot be decapsulated (no reassembly here) and the stack has no socket for it: dropped under its own reason")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", fragment(UNDERLAY_MAC, remoteMac(V2), V2, LOCAL_IP, 0x2000,
                        udp(50000, 4789, vxlan(42, PING_R1_TO_C1))))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_fragment", 1).counter(0, "pass_not_vxlan", 0),
            PacketCase.of("later_fragment_passes",
                    "a later fragment carries no UDP header: nothing says it is VXLAN, it is left to the stack")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", fragment(UNDERLAY_MAC, remoteMac(V2), V2, LOCAL_IP, 0x0010, new byte[64]))
                .expect(TC_ACT_OK, fragment(UNDERLAY_MAC, remoteMac(V2), V2, LOCAL_IP, 0x0010, new byte[64]))
                .counter(0, "pass_not_vxlan", 1),

            // ---------------------------------------------------------------- inner frames, as the bridge checks them
            PacketCase.of("decap_multicast_inner_source_drops",
                    "an inner frame with a multicast source MAC is invalid (is_valid_ether_addr): dropped and counted on the VNI")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, arpRequest("01:00:5e:00:00:01", IP_R1, IP_C1)))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_src_mac", 1).counter(42, "rx_packets", 0),
            PacketCase.of("decap_zero_inner_source_drops",
                    "an all-zero inner source MAC is invalid too")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, ping(C1, "00:00:00:00:00:00", IP_R1, IP_C1, 0, 8)))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_src_mac", 1),
            PacketCase.of("port_multicast_source_drops",
                    "a container sending with a multicast source MAC is refused at its port, flooded nowhere")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0).flood(42, V2))
                .run("tc_port_ingress", "p1", arpRequest("01:00:5e:00:00:01", IP_C1, IP_R1))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_src_mac", 1).counter(42, "tx_packets", 0),
            PacketCase.of("port_zero_source_drops",
                    "and with an all-zero source MAC")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", ping(R1, "00:00:00:00:00:00", IP_C1, IP_R1, 0, 8))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_src_mac", 1).counter(42, "tx_packets", 0),
            PacketCase.of("decap_claims_static_remote_mac_drops",
                    "a remote frame whose source MAC is static behind another VTEP is dropped (vxlan_snoop: static entries never migrate)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V3, FdbValue.F_STATIC))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, ARP_FROM_R1))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_static_mac", 1).counter(42, "rx_packets", 0)
                .then(h -> assertThat(h.fdbGet(42, R1)).get().extracting(FdbValue::remote).isEqualTo(IpAddress.parse(V3))),
            PacketCase.of("decap_claims_static_local_mac_drops",
                    "a remote frame whose source MAC is static behind a local port is dropped")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0).fdbPort(42, C1, "p1", FdbValue.F_STATIC))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, arpRequest(C1, IP_C1, IP_C2)))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_static_mac", 1)
                .then(h -> assertThat(h.fdbGet(42, C1)).get().extracting(FdbValue::ifindex).isEqualTo(h.ifindex.get("p1"))),
            PacketCase.of("decap_static_mac_from_its_own_vtep_accepted",
                    "the static entry's own VTEP is of course accepted")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, FdbValue.F_STATIC))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, ARP_FROM_R1))
                .expect(TC_ACT_REDIRECT, ARP_FROM_R1)
                .counter(42, "rx_packets", 1),
            PacketCase.of("decap_learned_local_mac_moves",
                    "a learned local MAC seen behind a VTEP moved there (mac-move): accepted and re-pointed")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, arpRequest(C1, IP_C1, IP_C2)))
                .expect(TC_ACT_REDIRECT, arpRequest(C1, IP_C1, IP_C2))
                .copy("p1", arpRequest(C1, IP_C1, IP_C2))
                .counter(42, "moved", 1),
            linkLocal("decap", STP), linkLocal("decap", PAUSE), linkLocal("decap", LLDP),
            linkLocal("port", LACP), linkLocal("port", EAPOL), linkLocal("port", LLDP),
            PacketCase.of("port_group_outside_link_local_floods",
                    "01:80:c2:00:00:10 is outside the reserved block: flooded like any multicast")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2))
                .run("tc_port_ingress", "p1", eth("01:80:c2:00:00:10", C1, 0x88B5, new byte[46]))
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, eth("01:80:c2:00:00:10", C1, 0x88B5, new byte[46]))),
            PacketCase.of("decap_tiny_inner_frame_delivered",
                    "an inner frame with fewer than 20 bytes after its Ethernet header is delivered exactly")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, tiny(C1, R1, 6)))
                .expect(TC_ACT_REDIRECT, tiny(C1, R1, 6))
                .counter(42, "rx_packets", 1),
            PacketCase.of("decap_ecn_short_inner_ipv4_untouched",
                    "outer CE over an inner 'IPv4' frame too short for an IP header: RFC 6040 reads nothing past the inner frame "
                    + "(found by the fuzzer: it rewrote a tos and a checksum in the Ethernet padding), delivered exactly")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", cat(eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP, ipv4(V2, LOCAL_IP, 17, 0x03, 64, 1, 0,
                        udp(50000, 4789, vxlan(42, eth(C1, R1, ETH_P_IP, new byte[] {0x45, 0x02, 0, 0, 0, 0}))))), new byte[20]))
                .expect(TC_ACT_REDIRECT, eth(C1, R1, ETH_P_IP, new byte[] {0x45, 0x02, 0, 0, 0, 0}))
                .counter(42, "rx_packets", 1),
            PacketCase.of("decap_ecn_short_inner_ipv6_untouched",
                    "the same for an inner 'IPv6' frame shorter than the word holding the traffic class")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", cat(eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP, ipv4(V2, LOCAL_IP, 17, 0x03, 64, 1, 0,
                        udp(50000, 4789, vxlan(42, eth(C1, R1, 0x86DD, new byte[] {0x60, 0x20}))))), new byte[20]))
                .expect(TC_ACT_REDIRECT, eth(C1, R1, 0x86DD, new byte[] {0x60, 0x20}))
                .counter(42, "rx_packets", 1),
            PacketCase.of("decap_header_only_inner_frame_delivered",
                    "even a bare inner Ethernet header")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, tiny("ff:ff:ff:ff:ff:ff", R1, 0)))
                .expect(TC_ACT_REDIRECT, tiny("ff:ff:ff:ff:ff:ff", R1, 0))
                .copy("p1", tiny("ff:ff:ff:ff:ff:ff", R1, 0)),

            // ---------------------------------------------------------------- the VNI's tunnel MTU
            PacketCase.of("encap_ipv4_df_over_mtu_answers_frag_needed",
                    "a DF-set IPv4 packet over the VNI's mtu never enters the tunnel: ICMP frag-needed with the mtu goes "
                    + "back out of the port, as the kernel's iptunnel_pmtud_build_icmp builds it (quote within 576 bytes)")
                .setup(h -> h.vni(mtuVni(1000)).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", BIG4)
                .expect(TC_ACT_REDIRECT, fragNeeded(BIG4, 1000))
                .counter(42, "drop_frag_needed", 1).counter(42, "tx_packets", 0),
            PacketCase.of("encap_flood_df_over_mtu_answers_frag_needed",
                    "the same for a frame that would be flooded (unknown unicast): the local copies went out, the "
                    + "tunnel's are answered")
                .setup(h -> h.vni(mtuVni(1000)).port("p1", 42, 0).flood(42, V2))
                .run("tc_port_ingress", "p1", BIG4)
                .expect(TC_ACT_REDIRECT, fragNeeded(BIG4, 1000))
                .counter(42, "drop_frag_needed", 1).counter(42, "tx_packets", 0),
            PacketCase.of("encap_ipv4_at_mtu_encapsulated",
                    "a packet of exactly the mtu goes through")
                .setup(h -> h.vni(mtuVni(1000)).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", ping(R1, C1, IP_C1, IP_R1, 0, 1000 - 28))
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, ping(R1, C1, IP_C1, IP_R1, 0, 1000 - 28)))
                .counter(42, "drop_frag_needed", 0).counter(42, "tx_packets", 1),
            PacketCase.of("encap_ipv4_no_df_over_mtu_dropped",
                    "without DF the kernel sends no ICMP either: dropped and counted")
                .setup(h -> h.vni(mtuVni(1000)).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", reChecksum(with(BIG4, 20, 0)))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_too_big", 1).counter(42, "drop_frag_needed", 0),
            PacketCase.of("encap_ipv4_mtu_below_576_not_answered",
                    "a tunnel MTU below 576 gets no ICMP (the kernel's rule): dropped and counted")
                .setup(h -> h.vni(mtuVni(500)).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", BIG4)
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_too_big", 1),
            PacketCase.of("encap_icmp_error_over_mtu_not_answered",
                    "an ICMP error is never answered with another one")
                .setup(h -> h.vni(mtuVni(1000)).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", reChecksum(with(BIG4, 34, 3, 1)))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_too_big", 1).counter(42, "drop_frag_needed", 0),
            PacketCase.of("encap_non_ip_over_mtu_dropped",
                    "a non-IP frame over the mtu is dropped and counted")
                .setup(h -> h.vni(mtuVni(1000)).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", eth(R1, C1, 0x88B5, new byte[1100]))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_too_big", 1),
            PacketCase.of("encap_ipv6_over_mtu_answers_packet_too_big",
                    "an IPv6 packet over the mtu is answered with ICMPv6 packet too big (quote within 1280 bytes), "
                    + "as iptunnel_pmtud_build_icmpv6 builds it")
                .setup(h -> h.vni(mtuVni(1300)).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", BIG6)
                .expect(TC_ACT_REDIRECT, packetTooBig(BIG6, 1300))
                .counter(42, "drop_frag_needed", 1).counter(42, "tx_packets", 0),

            // ---------------------------------------------------------------- tags inside the inner frame
            PacketCase.of("encap_inner_8021q_tag_kept",
                    "a frame whose 802.1Q tag is in the data is carried with the tag inside the inner frame")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", tagged(PING_C1_TO_R1, ETH_P_8021Q, 100))
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, tagged(PING_C1_TO_R1, ETH_P_8021Q, 100))),
            PacketCase.of("encap_inner_qinq_tags_kept",
                    "802.1ad over 802.1Q: both tags inside, in order")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", tagged(tagged(PING_C1_TO_R1, ETH_P_8021Q, 100), ETH_P_8021AD, 200))
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, tagged(tagged(PING_C1_TO_R1, ETH_P_8021Q, 100), ETH_P_8021AD, 200))),
            PacketCase.of("decap_inner_tag_delivered",
                    "a tagged inner frame is delivered with its tag exactly as sent")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, tagged(PING_R1_TO_C1, ETH_P_8021Q, 100)))
                .expect(TC_ACT_REDIRECT, tagged(PING_R1_TO_C1, ETH_P_8021Q, 100)),

            // ---------------------------------------------------------------- IPv6 inner parity
            PacketCase.of("decap_ecn_ce_on_ipv6_not_ect_drops",
                    "RFC 6040 for IPv6 inner packets: outer CE over Not-ECT is dropped and counted")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP, ipv4(V2, LOCAL_IP, 17, 0x03, 64, 1, 0,
                        udp(50000, 4789, vxlan(42, ping6(C1, R1, "fd00::21", "fd00::11", 0, 64, 16))))))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_ecn", 1),
            PacketCase.of("decap_ecn_ce_marks_ipv6_inner",
                    "outer CE over an IPv6 ECT(0) packet marks the inner traffic class CE")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP, ipv4(V2, LOCAL_IP, 17, 0x03, 64, 1, 0,
                        udp(50000, 4789, vxlan(42, ping6(C1, R1, "fd00::21", "fd00::11", 0xb8 | 2, 64, 16))))))
                .expect(TC_ACT_REDIRECT, ping6(C1, R1, "fd00::21", "fd00::11", 0xb8 | 3, 64, 16)),
            PacketCase.of("decap_ect1_propagates",
                    "RFC 6040: outer ECT(1) over inner ECT(0) makes the inner ECT(1), checksum fixed")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP,
                        ipv4(V2, LOCAL_IP, 17, 0x01, 64, 1, 0, udp(50000, 4789, vxlan(42, ping(C1, R1, IP_R1, IP_C1, 0x02, 56))))))
                .expect(TC_ACT_REDIRECT, ping(C1, R1, IP_R1, IP_C1, 0x01, 56)),
            PacketCase.of("encap_ipv6_inner_inherits_tos_ttl_df",
                    "tos/ttl/df inherit read an IPv6 inner packet: traffic class, hop limit, and DF (IPv6 never fragments in flight)")
                .setup(h -> h.vni(cfg(42, L | VniCfg.F_TOS_INHERIT | VniCfg.F_TTL_INHERIT
                        | VniCfg.F_DF_INHERIT, 64, 0, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", ping6(R1, C1, "fd00::11", "fd00::21", 0xb8, 33, 16))
                .expectEncap(TC_ACT_REDIRECT, toVtepHdr(V2, 42, 0xb8, 33, 0x4000, ping6(R1, C1, "fd00::11", "fd00::21", 0xb8, 33, 16))),
            PacketCase.of("encap_ipv6_inner_ce_becomes_ect0",
                    "RFC 6040 encapsulation of an IPv6 CE packet: outer ECT(0)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", ping6(R1, C1, "fd00::11", "fd00::21", 3, 64, 16))
                .expectEncap(TC_ACT_REDIRECT, toVtepTos(V2, 42, 0x02, 64, ping6(R1, C1, "fd00::11", "fd00::21", 3, 64, 16))),
            PacketCase.of("nd_proxy_router_flag",
                    "an NA for a neighbour marked router carries R|S|O (RFC 4861 7.2.5: else hosts drop their default route)")
                .setup(h -> h.vni(42, L | PROXY, 4789).port("p1", 42, 0).flood(42, V2)
                        .neigh6(42, "fd00::21", R1, Abi.NEIGH_F_ROUTER))
                .run("tc_port_ingress", "p1", NS_FROM_C1)
                .expect(TC_ACT_REDIRECT, ndisc(C1, R1, "fd00::21", "fd00::11", 136, 0xe0000000, "fd00::21", 2, R1))
                .counter(42, "proxied", 1),
            PacketCase.of("nd_proxy_miss_event_carries_target",
                    "an IPv6 l3miss event names the solicited target (as the kernel's vxlan l3miss does for IPv6)")
                .setup(h -> h.vni(42, L | PROXY | L3MISS, 4789).port("p1", 42, 0).port("p2", 42, 0).flood(42, V2))
                .run("tc_port_ingress", "p1", NS_FROM_C1)
                .expect(TC_ACT_SHOT, null)
                .copy("p2", NS_FROM_C1)
                .counter(42, "l3miss", 1).counter(42, "tx_packets", 0)
                .then(h -> assertThat(h.events()).extracting(XvtepEvent::type, XvtepEvent::ip6)
                        .contains(org.assertj.core.groups.Tuple.tuple(4, io.xvtep.model.IpAddress.parse("fd00::21")))),
            PacketCase.of("nd_proxy_dad_not_answered",
                    "a DAD probe (source ::) is never answered by the proxy, even with a (bogus) source LLA option")
                .setup(h -> h.vni(42, L | PROXY, 4789).port("p1", 42, 0).flood(42, V2).neigh6(42, "fd00::21", R1))
                .run("tc_port_ingress", "p1", ndisc("33:33:ff:00:00:21", C1, "::", "ff02::1:ff00:21", 135, 0, "fd00::21", 1, C1))
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42,
                        ndisc("33:33:ff:00:00:21", C1, "::", "ff02::1:ff00:21", 135, 0, "fd00::21", 1, C1)))
                .counter(42, "proxied", 0)
        );
    }

    static byte[] flip(byte[] f, int off) {
        return with(f, off, f[off] ^ 0x40);
    }

    static byte[] gbp(int vni) {
        return eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP, ipv4(V2, LOCAL_IP, 17,
                udp(50000, 4789, vxlanRaw(0x88000000 | 0x1234, vni << 8, PING_R1_TO_C1))));
    }

    static byte[] gpe(int vni) {
        return eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP, ipv4(V2, LOCAL_IP, 17,
                udp(50000, 4789, vxlanRaw(0x0C000003, vni << 8, PING_R1_TO_C1))));
    }

    static PacketCase martian(String src) {
        return PacketCase.of("martian_source_" + src + "_drops",
                    "an outer source " + src + " is martian: dropped, counted, and never learned")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0))
                .run("tc_underlay_ingress", "u0", fromSource(src, fromVtep(V2, 4789, 42, ARP_FROM_R1)))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_martian", 1).counter(42, "learned", 0).counter(42, "rx_packets", 0)
                .then(h -> assertThat(h.fdbGet(42, R1)).isEmpty());
    }

    static PacketCase linkLocal(String where, String group) {
        byte[] frame = eth(group, where.equals("port") ? C1 : R1, 0x8809, new byte[46]);
        PacketCase c = PacketCase.of(where + "_link_local_" + group.substring(15) + "_not_forwarded",
                "IEEE 802.1D reserved group " + group + " is never forwarded (the bridge's default group_fwd_mask)");
        if (where.equals("port")) {
            c.setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0).flood(42, V2))
                .run("tc_port_ingress", "p1", frame);
        } else {
            c.setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, frame));
        }
        return c.expect(TC_ACT_SHOT, null)
                .counter(42, "drop_link_local", 1).counter(42, "tx_packets", 0).counter(42, "rx_packets", 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void hostile(PacketCase c) {
        run(c);
    }

    /** Runs a case; a pending one must fail today (then it is skipped with its reason). */
    static void run(PacketCase c) {
        if (c.pending == null) {
            new DatapathPacketTest().packet(c);
            return;
        }
        try {
            new DatapathPacketTest().packet(c);
        } catch (AssertionError | IllegalArgumentException expected) {
            Assumptions.abort("pending (" + c.pending + "): " + firstLine(expected.getMessage()));
        }
        fail("case %s passes now: remove its pending(\"%s\")", c.name, c.pending);
    }

    static String firstLine(String s) {
        return s == null ? "" : s.strip().lines().findFirst().orElse("");
    }
}
