package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathPacketTest.*;
import static io.xvtep.datapath.Harness.*;
import static io.xvtep.datapath.Ipv6UnderlayPacketTest.TX0;
import static io.xvtep.datapath.Ipv6UnderlayPacketTest.W2;
import static io.xvtep.datapath.Ipv6UnderlayPacketTest.to6;
import static io.xvtep.datapath.Ipv6UnderlayPacketTest.vni6;
import static io.xvtep.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.libbpf.TestRunResult;
import io.xvtep.model.IpAddress;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * xdp_port (bpf/xvtep_port_xdp.bpf.c), the XDP encapsulation path of a port, under BPF_PROG_TEST_RUN:
 * what it encapsulates is byte for byte what tc_port_ingress sends for the same frame and maps; what it
 * does not handle it passes unchanged (tc_port_ingress runs next on the same device); what it refuses
 * is counted under tc_port_ingress's drop reasons.
 */
class XdpPortPacketTest {
    static final String LINK_LOCAL = "01:80:c2:00:00:0e";

    /** A frame the XDP program passes untouched, with nothing counted by it (tc_port_ingress does that). */
    static PacketCase passes(String name, String proves, java.util.function.Consumer<Harness> setup, String ingress,
            byte[] frame) {
        return PacketCase.of(name, proves).setup(setup).run("xdp_port", ingress, frame).expect(XDP_PASS, frame)
                .counter(42, "tx_packets", 0).counter(42, "flooded_packets", 0).counter(42, "switched_packets", 0)
                .counter(42, "drop_no_dest", 0).counter(42, "drop_fib", 0).counter(42, "drop_too_big", 0);
    }

    static Stream<PacketCase> cases() {
        byte[] big = ping(R1, C1, IP_C1, IP_R1, 0, 1500 - 50 - 28 + 1);
        return Stream.of(
            PacketCase.of("xdp_encap_unicast_to_remote",
                    "a frame to a MAC behind a remote VTEP is encapsulated in XDP and redirected to the underlay")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, FdbValue.F_STATIC))
                .run("xdp_port", "p1", PING_C1_TO_R1)
                .expectEncap(XDP_REDIRECT, toVtep(V2, 4789, 42, PING_C1_TO_R1))
                .counter(42, "tx_packets", 1).counter(42, "tx_bytes", PING_C1_TO_R1.length).counter(42, "learned", 1)
                .then(h -> assertThat(h.fdbGet(42, C1)).get().extracting(FdbValue::ifindex).isEqualTo(h.ifindex.get("p1"))),
            PacketCase.of("xdp_encap_uses_outer_header_cache",
                    "the XDP path fills and uses the outer-header cache the TC path uses (same key, same entry)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0)
                        .encapCacheEntry(LOCAL_IP, V2, System.nanoTime(), "02:cc:00:00:00:02"))
                .run("xdp_port", "p1", PING_C1_TO_R1)
                .expectEncap(XDP_REDIRECT, with(toVtep(V2, 4789, 42, PING_C1_TO_R1), 0, 0x02, 0xcc, 0, 0, 0, 0x02)),
            PacketCase.of("xdp_encap6_zero_csum",
                    "an IPv6 VNI sending zero UDP checksums (udp6zerocsumtx) is encapsulated in XDP: 70 bytes, checksum 0")
                .setup(h -> h.vni(vni6(L | TX0, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("xdp_port", "p1", PING_C1_TO_R1)
                .expectEncap(XDP_REDIRECT, to6(W2, 0, 0, 64, false, PING_C1_TO_R1))
                .counter(42, "tx_packets", 1),

            // ------------------------------------------------------------ left to tc_port_ingress
            passes("xdp_broadcast_passes", "BUM is flooded by TC (clones): XDP passes it",
                    h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2), "p1", ARP_FROM_C1),
            passes("xdp_unknown_unicast_passes", "a MAC the FDB does not know is TC's (flood, l2miss)",
                    h -> h.vni(42, L | VniCfg.F_L2MISS, 4789).port("p1", 42, 0).flood(42, V2), "p1", PING_C1_TO_R1),
            passes("xdp_local_port_passes", "a frame to another local port is TC's (bpf_redirect_peer)",
                    h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0).fdbPort(42, R1, "p2", 0), "p1", PING_C1_TO_R1),
            passes("xdp_proxy_arp_passes", "ARP in a proxy VNI is the proxy's (TC), even unicast",
                    h -> h.vni(42, L | PROXY, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0), "p1",
                    with(ARP_FROM_C1, 0, 0x02, 0, 0, 0, 0x02, 0x01)),
            passes("xdp_tagged_passes", "a VLAN-tagged frame is TC's (it keeps the tag inside the tunnel)",
                    h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0), "p1",
                    HostileFrames.tagged(PING_C1_TO_R1, 0x8100, 7)),
            passes("xdp_over_tunnel_mtu_passes", "a frame over the VNI's tunnel MTU is TC's (the ICMP answer)",
                    h -> h.vni(new VniCfg(42, L, null, null, 4789, 0, 0, 64, 0, 0, 0, 300, 60, 0, 0))
                            .port("p1", 42, 0).fdbRemote(42, R1, V2, 0), "p1", PING_C1_TO_R1),
            passes("xdp_ipv6_checksummed_vni_passes", "an IPv6 VNI that checksums its outer UDP is TC's",
                    h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0), "p1", PING_C1_TO_R1),
            passes("xdp_not_a_port_passes", "a frame on an interface that is no port is not touched",
                    h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0), "p3", PING_C1_TO_R1),
            passes("xdp_port_of_deleted_vni_passes", "a port whose VNI is gone: TC counts drop_no_dest",
                    h -> { h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0);
                           h.map("xvtep_vnis").delete(MapCodec.u32(42)); }, "p1", PING_C1_TO_R1),
            passes("xdp_unresolved_neighbour_passes",
                    "a VTEP whose neighbour is unresolved: TC's bpf_redirect_neigh resolves it (a neigh_miss event asks the agent too)",
                    h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, "198.18.0.9", 0), "p1", PING_C1_TO_R1)
                .then(h -> assertThat(h.events()).extracting(XvtepEvent::type, XvtepEvent::remote)
                        .contains(org.assertj.core.groups.Tuple.tuple(5, IpAddress.parse("198.18.0.9")))),

            // ------------------------------------------------------------ refused here, counted as TC counts
            PacketCase.of("xdp_multicast_source_drops", "a multicast source MAC is refused and counted (drop_src_mac)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("xdp_port", "p1", ping(R1, "03:00:00:00:01:01", IP_C1, IP_R1, 0, 56))
                .expect(XDP_DROP, null).counter(42, "drop_src_mac", 1).counter(42, "learned", 0),
            PacketCase.of("xdp_link_local_drops", "an IEEE link-local group is never forwarded (drop_link_local)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2))
                .run("xdp_port", "p1", ping(LINK_LOCAL, C1, IP_C1, IP_R1, 0, 56))
                .expect(XDP_DROP, null).counter(42, "drop_link_local", 1),
            PacketCase.of("xdp_hairpin_drops", "a frame to a MAC behind its own port is dropped (drop_hairpin)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, R1, "p1", 0))
                .run("xdp_port", "p1", PING_C1_TO_R1)
                .expect(XDP_DROP, null).counter(42, "drop_hairpin", 1),
            PacketCase.of("xdp_underlay_mtu_drops", "a frame too large for the underlay once encapsulated (drop_mtu)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("xdp_port", "p1", big)
                .expect(XDP_DROP, null).counter(42, "drop_mtu", 1).counter(42, "tx_packets", 0),
            PacketCase.of("xdp_no_route_drops", "a VTEP without a route is refused (drop_fib)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, "198.19.7.7", 0))
                .run("xdp_port", "p1", PING_C1_TO_R1)
                .expect(XDP_DROP, null).counter(42, "drop_fib", 1),
            PacketCase.of("xdp_family_mismatch_drops", "an IPv6 VTEP in an IPv4 VNI's FDB is refused (drop_family)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("xdp_port", "p1", PING_C1_TO_R1)
                .expect(XDP_DROP, null).counter(42, "drop_family", 1)
        );
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void packet(PacketCase c) {
        DatapathPacketTest.check(c);
    }

    /** Frames and maps both programs encapsulate: run through tc_port_ingress, then (fresh maps) xdp_port. */
    static Stream<PacketCase> sameAsTc() {
        byte[] ce = ping(R1, C1, IP_C1, IP_R1, 0x03, 56), tos = ping(R1, C1, IP_C1, IP_R1, 0xb8, 56);
        byte[] arp = with(ARP_FROM_C1, 0, 0x02, 0, 0, 0, 0x02, 0x01);
        byte[] largest = ping(R1, C1, IP_C1, IP_R1, 0, 1500 - 50 - 28);
        byte[] inner6 = Ipv6UnderlayPacketTest.ping6(R1, C1, 0x2e, 0x12345);
        return Stream.of(
            same("unicast", h -> h.vni(42, L, 4789), PING_C1_TO_R1),
            same("dstport_8472", h -> h.vni(42, L, 8472), PING_C1_TO_R1),
            same("arp_unicast", h -> h.vni(42, L, 4789), arp),
            same("ecn_ce", h -> h.vni(42, L, 4789), ce),
            same("ttl_and_tos", h -> h.vni(new VniCfg(42, L, null, null, 4789, 0, 0, 10, 0x20, 0, 0, 300, 0, 0, 0)),
                    PING_C1_TO_R1),
            same("df_set", h -> h.vni(cfg(42, L | VniCfg.F_DF_SET, 64, 0, 0, 0)), with(PING_C1_TO_R1, 20, 0, 0)),
            same("df_inherit", h -> h.vni(cfg(42, L | VniCfg.F_DF_INHERIT, 64, 0, 0, 0)), PING_C1_TO_R1),
            same("tos_ttl_inherit", h -> h.vni(cfg(42, L | VniCfg.F_TOS_INHERIT | VniCfg.F_TTL_INHERIT, 0, 0, 0, 0)), tos),
            same("inner_ipv6_inherit", h -> h.vni(cfg(42, L | VniCfg.F_TOS_INHERIT | VniCfg.F_TTL_INHERIT
                    | VniCfg.F_DF_INHERIT, 0, 0, 0, 0)), inner6),
            same("srcport_range", h -> h.vni(cfg(42, L, 64, 0, 5000, 5001)), PING_C1_TO_R1).srcports(5000, 5001),
            same("largest_frame", h -> h.vni(42, L, 4789), largest),
            same("ipv6_zero_csum", h -> h.vni(vni6(L | TX0, 0, 0, 0)), PING_C1_TO_R1),
            same("ipv6_tclass_label_inherit", h -> h.vni(vni6(L | TX0 | VniCfg.F_TOS_INHERIT | VniCfg.F_LABEL_INHERIT,
                    0, 0, 0)), inner6)
        );
    }

    /** One frame from p1 to R1, behind VTEP V2 (W2 for an IPv6 VNI), in the VNI `vni` sets up. */
    static PacketCase same(String name, java.util.function.Consumer<Harness> vni, byte[] frame) {
        return PacketCase.of("xdp_same_as_tc_" + name, "XDP sends the TC program's bytes: " + name)
                .setup(h -> {
                    vni.accept(h);
                    boolean v6 = (h.vniCfg(42).flags() & VniCfg.F_IPV6) != 0;
                    h.port("p1", 42, 0).fdbRemote(42, R1, v6 ? W2 : V2, 0);
                })
                .run("tc_port_ingress", "p1", frame);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sameAsTc")
    void sameBytesAsTc(PacketCase c) {
        byte[] tc, xdp;
        VniStats tcStats, xdpStats;
        try (Harness h = Harness.start()) {
            c.setup.accept(h);
            TestRunResult r = h.run("tc_port_ingress", c.in, "p1");
            assertThat(r.retval()).as("TC verdict; counters %s", nonZero(h)).isEqualTo(TC_ACT_REDIRECT);
            tc = normaliseEncap(r.dataOut(), c);
            tcStats = h.stats(42);
        }
        try (Harness h = Harness.start()) {
            c.setup.accept(h);
            TestRunResult r = h.run("xdp_port", c.in, "p1");
            assertThat(r.retval()).as("XDP verdict; counters %s", nonZero(h)).isEqualTo(XDP_REDIRECT);
            xdp = normaliseEncap(r.dataOut(), c);
            xdpStats = h.stats(42);
        }
        assertThat(hex(xdp)).as("XDP output = TC output (IP id and UDP source port normalised)").isEqualTo(hex(tc));
        for (String k : List.of("tx_packets", "tx_bytes", "learned")) {
            assertThat(xdpStats.get(k)).as("counter %s", k).isEqualTo(tcStats.get(k));
        }
    }
}
