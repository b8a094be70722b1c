package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathPacketTest.*;
import static io.xvtep.datapath.Harness.*;
import static io.xvtep.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.model.IpAddress;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * VXLAN over an IPv6 underlay, byte for byte through BPF_PROG_TEST_RUN on the real objects (the runner and
 * normalisation of {@link DatapathPacketTest}: the outer UDP source port is checked and zeroed, a sent UDP
 * checksum verified over the pseudo-header and recomputed for it). The kernel's wire format: a 40-byte IPv6
 * header, 70 bytes of overhead, the UDP checksum computed unless udp6zerocsumtx, a zero one accepted only
 * with udp6zerocsumrx, the flow label fixed (0 by default) or inherited, hop limit 1 to a group by default.
 */
class Ipv6UnderlayPacketTest {
    static final String W2 = "2001:db8::2", W3 = "2001:db8::3", W4 = "2001:db8::4", GROUP6 = "ff05::42";
    static final int V6 = VniCfg.F_IPV6, RX0 = VniCfg.F_UDP_ZERO_CSUM6_RX, TX0 = VniCfg.F_UDP_ZERO_CSUM6_TX;

    /** An IPv6 VNI 42 on 4789: flags, outer hop limit (0: the default), traffic class, flow label. */
    static VniCfg vni6(int flags, int ttl, int tos, int label) {
        return new VniCfg(42, V6 | flags, null, null, 4789, 0, 0, ttl, tos, 0, 0, 300, 0, 0, label);
    }

    /** What VTEP `src` sends us over IPv6 (traffic class `tc`), with or without a UDP checksum. */
    static byte[] from6(String src, int vni, int tc, boolean csum, byte[] inner) {
        return eth(UNDERLAY_MAC, remoteMac(src), ETH_P_IPV6,
                ipv6(src, LOCAL_IP6, 17, tc, 0, 64, udp6(src, LOCAL_IP6, 50000, 4789, csum, vxlan(vni, inner))));
    }

    static byte[] from6(String src, byte[] inner) {
        return from6(src, 42, 0, true, inner);
    }

    /** What we must send to `dst` (UDP source port 0: normalised), over IPv6. */
    static byte[] to6(String dst, int tc, int label, int hop, boolean csum, byte[] inner) {
        byte[] d = ip6(dst);
        String dmac = dst.startsWith("ff")
                ? String.format("33:33:%02x:%02x:%02x:%02x", d[12], d[13], d[14], d[15])
                : remoteMac(dst);
        return eth(dmac, UNDERLAY_MAC, ETH_P_IPV6,
                ipv6(LOCAL_IP6, dst, 17, tc, label, hop, udp6(LOCAL_IP6, dst, 0, 4789, csum, vxlan(42, inner))));
    }

    static byte[] to6(String dst, byte[] inner) {
        return to6(dst, 0, 0, 64, true, inner);
    }

    /** An ICMPv6 echo between two overlay addresses with the given traffic class and flow label. */
    static byte[] ping6(String dstMac, String srcMac, int tc, int label) {
        byte[] icmp = new byte[8 + 40];
        icmp[0] = (byte) 128;
        for (int i = 8; i < icmp.length; i++) icmp[i] = (byte) i;
        return eth(dstMac, srcMac, ETH_P_IPV6, ipv6("fd00::11", "fd00::21", 58, tc, label, 61, icmp));
    }

    static final byte[] FROM_W2 = from6(W2, PING_R1_TO_C1);

    /**
     * An inner UDP/IPv4 frame from C1 to R1 (odd length) whose checksum is final, or the CHECKSUM_PARTIAL seed
     * (the pseudo-header sum) that a sender's checksum offload leaves for later.
     */
    static byte[] udpInner(boolean seed) {
        byte[] u = udp(40000, 5000, "xvtep lco".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        byte[] pseudo = cat(ip(IP_C1), ip(IP_R1), new byte[] {0, 17, 0, (byte) u.length});
        int c = seed ? ~csum16(pseudo) & 0xffff : csum16(cat(pseudo, u));
        c = c == 0 ? 0xffff : c;
        u[6] = (byte) (c >> 8);
        u[7] = (byte) c;
        return eth(R1, C1, ETH_P_IP, ipv4(IP_C1, IP_R1, 17, u));
    }

    static Stream<PacketCase> cases() {
        return Stream.of(decap(), extensionHeaders(), truncations(), encap()).flatMap(c -> c);
    }

    static Stream<PacketCase> decap() {
        return Stream.of(
            PacketCase.of("decap6_unicast_to_port",
                    "an IPv6-underlay frame with a right UDP checksum is stripped of its 70 bytes to exactly the inner frame")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", FROM_W2)
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "rx_packets", 1).counter(42, "rx_bytes", PING_R1_TO_C1.length),
            PacketCase.of("xdp_decap6_unicast_to_xdp_port",
                    "the XDP fast path verifies the IPv6 UDP checksum itself and strips the same frame")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", FROM_W2)
                .expect(XDP_REDIRECT, PING_R1_TO_C1)
                .counter(42, "rx_packets", 1),
            PacketCase.of("decap6_wrong_udp_csum_drops",
                    "a wrong IPv6 outer UDP checksum is a counted drop on VNI 0")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", with(FROM_W2, 60, FROM_W2[60] ^ 0x01))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_udp_csum", 1).counter(42, "rx_packets", 0),
            PacketCase.of("decap6_zero_csum_refused",
                    "checksum 0 over IPv6 is refused without udp6zerocsumrx (RFC 6936), counted on the VNI")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", from6(W2, 42, 0, false, PING_R1_TO_C1))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_udp6_zero_csum", 1).counter(42, "rx_packets", 0),
            PacketCase.of("xdp_decap6_zero_csum_refused",
                    "XDP refuses it the same way, before any redirect")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", from6(W2, 42, 0, false, PING_R1_TO_C1))
                .expect(XDP_DROP, null)
                .counter(42, "drop_udp6_zero_csum", 1),
            PacketCase.of("decap6_zero_csum_accepted_with_udp6zerocsumrx",
                    "with udp6zerocsumrx a zero checksum is accepted, as the kernel's device does")
                .setup(h -> h.vni(vni6(L | RX0, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", from6(W2, 42, 0, false, PING_R1_TO_C1))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "rx_packets", 1).counter(42, "drop_udp6_zero_csum", 0),
            PacketCase.of("decap6_learns_ipv6_vtep",
                    "learning records the outer IPv6 source as the MAC's VTEP and reports it in the learn event")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", FROM_W2)
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "learned", 1)
                .then(h -> {
                    assertThat(h.fdbGet(42, R1)).get().extracting(FdbValue::remote).isEqualTo(IpAddress.parse(W2));
                    assertThat(h.events()).extracting(XvtepEvent::type, XvtepEvent::remote)
                            .containsExactly(org.assertj.core.groups.Tuple.tuple(1, IpAddress.parse(W2)));
                }),
            PacketCase.of("decap6_moves_mac_between_ipv6_vteps",
                    "a learned MAC seen behind another IPv6 VTEP moves there")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0)
                        .fdbRemote(42, R1, W3, 0))
                .run("tc_underlay_ingress", "u0", FROM_W2)
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "moved", 1)
                .then(h -> assertThat(h.fdbGet(42, R1)).get().extracting(FdbValue::remote)
                        .isEqualTo(IpAddress.parse(W2))),
            PacketCase.of("decap6_to_ipv4_vni_passes",
                    "IPv6 VXLAN for a VNI whose underlay is IPv4 is not that VNI's: left to the stack as the kernel's v4 socket would")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", FROM_W2)
                .expect(TC_ACT_OK, FROM_W2)
                .counter(0, "pass_unknown_vni", 1).counter(42, "rx_packets", 0),
            PacketCase.of("decap4_to_ipv6_vni_passes",
                    "and IPv4 VXLAN for an IPv6 VNI likewise")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(TC_ACT_OK, fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .counter(0, "pass_unknown_vni", 1),
            PacketCase.of("decap6_v4mapped_source_is_martian",
                    "an outer source ::ffff:a.b.c.d is no VTEP's (and would read as the IPv4 VTEP in the maps): martian")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, "02:bb:00:00:00:09", ETH_P_IPV6,
                        ipv6("::ffff:198.18.0.2", LOCAL_IP6, 17, 0, 0, 64,
                                udp6("::ffff:198.18.0.2", LOCAL_IP6, 50000, 4789, true, vxlan(42, PING_R1_TO_C1)))))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_martian", 1).counter(42, "learned", 0),
            PacketCase.of("decap6_multicast_source_is_martian",
                    "an outer multicast source is never decapsulated")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, "02:bb:00:00:00:09", ETH_P_IPV6,
                        ipv6("ff02::1", LOCAL_IP6, 17, 0, 0, 64,
                                udp6("ff02::1", LOCAL_IP6, 50000, 4789, true, vxlan(42, PING_R1_TO_C1)))))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_martian", 1),
            PacketCase.of("decap6_own_source_drops",
                    "our own IPv6 address as the outer source (a looped multicast copy) is dropped")
                .setup(h -> h.vni(new VniCfg(42, V6 | L, null, IpAddress.parse(GROUP6), 4789, 0, 0, 0, 0, 0, 0, 300, 0, 0))
                        .port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, "02:bb:00:00:00:09", ETH_P_IPV6,
                        ipv6(LOCAL_IP6, GROUP6, 17, 0, 0, 1,
                                udp6(LOCAL_IP6, GROUP6, 50000, 4789, true, vxlan(42, ARP_FROM_R1)))))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_src", 1),
            PacketCase.of("decap6_to_group_accepted",
                    "VXLAN to the VNI's IPv6 group is the VNI's: flooded to its ports")
                .setup(h -> h.vni(new VniCfg(42, V6 | L, null, IpAddress.parse(GROUP6), 4789, 0, 0, 0, 0, 0, 0, 300, 0, 0))
                        .port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", eth("33:33:00:00:00:42", remoteMac(W2), ETH_P_IPV6,
                        ipv6(W2, GROUP6, 17, 0, 0, 1, udp6(W2, GROUP6, 50000, 4789, true, vxlan(42, ARP_FROM_R1)))))
                .expect(TC_ACT_REDIRECT, ARP_FROM_R1)
                .counter(42, "rx_packets", 1).counter(42, "flooded_packets", 1),
            PacketCase.of("decap6_otherhost_dropped",
                    "IPv6 VXLAN whose outer destination MAC is another host's (PACKET_OTHERHOST) is dropped and counted")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", with(from6(W2, PING_R1_TO_C1), 0, 0x02, 0xcc, 0, 0, 0, 0x09))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_otherhost", 1).counter(42, "rx_packets", 0).counter(42, "learned", 0),
            PacketCase.of("xdp_decap6_otherhost_dropped",
                    "XDP drops and counts the same IPv6 frame for an XDP port")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", with(from6(W2, PING_R1_TO_C1), 0, 0x02, 0xcc, 0, 0, 0, 0x09))
                .expect(XDP_DROP, null)
                .counter(42, "drop_otherhost", 1).counter(42, "rx_packets", 0),
            PacketCase.of("decap6_source_filter_refuses",
                    "with a source filter only listed IPv6 VTEPs are accepted")
                .setup(h -> h.vni(vni6(L | VniCfg.F_SRC_FILTER, 64, 0, 0)).port("p1", 42, 0).allowedSrc(42, W3))
                .run("tc_underlay_ingress", "u0", FROM_W2)
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_src", 1).counter(42, "learned", 0),
            PacketCase.of("decap6_source_filter_accepts",
                    "and the listed one passes")
                .setup(h -> h.vni(vni6(L | VniCfg.F_SRC_FILTER, 64, 0, 0)).port("p1", 42, 0).allowedSrc(42, W2))
                .run("tc_underlay_ingress", "u0", FROM_W2)
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "rx_packets", 1),
            PacketCase.of("decap6_reserved_bits_drop",
                    "a VXLAN header with reserved bits set over IPv6 is malformed: counted drop")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, remoteMac(W2), ETH_P_IPV6, ipv6(W2, LOCAL_IP6, 17, 0, 0, 64,
                        udp6(W2, LOCAL_IP6, 50000, 4789, true, vxlanRaw(0x08000001, 42 << 8, PING_R1_TO_C1)))))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_bad_flags", 1),
            PacketCase.of("decap6_ecn_ce_marks_inner",
                    "RFC 6040 over IPv6: outer traffic class CE marks an ECT(0) inner IPv4 packet CE (its checksum fixed)")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", from6(W2, 42, 0x03, true, ping(C1, R1, IP_R1, IP_C1, 0x02, 56)))
                .expect(TC_ACT_REDIRECT, ping(C1, R1, IP_R1, IP_C1, 0x03, 56)),
            PacketCase.of("decap6_ecn_ce_over_not_ect_drops",
                    "outer CE over a Not-ECT inner packet is dropped (RFC 6040 4.2)")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", from6(W2, 42, 0x03, true, PING_R1_TO_C1))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_ecn", 1)
        );
    }

    /** An IPv6 extension header: next header, length in 8-byte units past the first 8, then `rest` (6 + 8n bytes). */
    static byte[] ext(int next, int... rest) {
        byte[] h = new byte[2 + rest.length];
        if (h.length % 8 != 0) throw new IllegalArgumentException("extension header of " + h.length + " bytes");
        h[0] = (byte) next;
        h[1] = (byte) (h.length / 8 - 1);
        for (int i = 0; i < rest.length; i++) h[2 + i] = (byte) rest[i];
        return h;
    }

    /** A PadN option of `n` zero bytes, as the int[] `ext` takes. */
    static int[] padN(int n) {
        int[] o = new int[2 + n];
        o[0] = 1;
        o[1] = n;
        return o;
    }

    /** What VTEP W2 sends us with extension headers `exts` (the first of type `first`) between IPv6 and UDP. */
    static byte[] from6Ext(int first, byte[] exts, byte[] inner) {
        return eth(UNDERLAY_MAC, remoteMac(W2), ETH_P_IPV6, ipv6(W2, LOCAL_IP6, first, 0, 0, 64,
                cat(exts, udp6(W2, LOCAL_IP6, 50000, 4789, true, vxlan(42, inner)))));
    }

    static final int HOP = 0, ROUTING = 43, FRAGMENT = 44, DEST = 60, UDP = 17;
    /** Hop-by-Hop with a Router Alert (type 5, action 00: skipped) and a 2-byte PadN. */
    static final byte[] HBH_RA = ext(UDP, 5, 2, 0, 0, 1, 0);
    /** Hop-by-Hop, Destination Options (PadN), Routing type 0 with one address and segments left 0, Destination Options. */
    static final byte[] FOUR_EXTS = cat(ext(DEST, 5, 2, 0, 0, 1, 0), ext(ROUTING, 1, 4, 0, 0, 0, 0),
            ext(DEST, 0, 0, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
            ext(UDP, 0, 0, 1, 2, 0, 0));
    static final byte[] HBH_FROM_W2 = from6Ext(HOP, HBH_RA, PING_R1_TO_C1);

    /** A frame left to the stack unchanged, counted pass_ipv6_ext (the stack judges what xvtep does not skip). */
    static PacketCase extPasses(String name, String why, byte[] frame) {
        return PacketCase.of(name, why)
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", frame)
                .expect(TC_ACT_OK, frame)
                .counter(0, "pass_ipv6_ext", 1).counter(42, "rx_packets", 0);
    }

    /**
     * Outer IPv6 extension headers before UDP, as the kernel's stack walks them for its vxlan socket: Hop-by-Hop
     * (first), Destination Options and Routing with segments left 0 are skipped (up to 4 headers, 128 bytes,
     * options whose type says skip-if-unknown); fragments as over IPv4 (the first is a counted drop, later ones
     * pass, an atomic one is whole); everything else is left to the stack, counted.
     */
    static Stream<PacketCase> extensionHeaders() {
        return Stream.of(
            PacketCase.of("decap6_hop_by_hop_skipped",
                    "a Hop-by-Hop header (Router Alert, PadN) before UDP: decapsulated to exactly the inner frame, the UDP checksum verified past it")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", HBH_FROM_W2)
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "rx_packets", 1).counter(42, "rx_bytes", PING_R1_TO_C1.length).counter(0, "pass_ipv6_ext", 0),
            PacketCase.of("xdp_decap6_hop_by_hop_skipped",
                    "the XDP fast path skips it too and strips 78 bytes")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", HBH_FROM_W2)
                .expect(XDP_REDIRECT, PING_R1_TO_C1)
                .counter(42, "rx_packets", 1),
            PacketCase.of("decap6_four_extension_headers_skipped",
                    "Hop-by-Hop, Destination Options, Routing (type 0, segments left 0), Destination Options: 64 bytes skipped")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", from6Ext(HOP, FOUR_EXTS, PING_R1_TO_C1))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "rx_packets", 1),
            PacketCase.of("xdp_decap6_four_extension_headers_skipped",
                    "and in XDP")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", from6Ext(HOP, FOUR_EXTS, PING_R1_TO_C1))
                .expect(XDP_REDIRECT, PING_R1_TO_C1),
            PacketCase.of("decap6_extension_header_wrong_udp_csum_drops",
                    "the UDP checksum behind extension headers is verified where UDP starts: a wrong one is a counted drop")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", with(HBH_FROM_W2, 14 + 40 + 8 + 6, HBH_FROM_W2[14 + 40 + 8 + 6] ^ 0x01))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_udp_csum", 1).counter(42, "rx_packets", 0),
            PacketCase.of("decap6_extension_header_learns_vtep",
                    "the outer source behind a Hop-by-Hop header is learned as the MAC's VTEP")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", HBH_FROM_W2)
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "learned", 1)
                .then(h -> assertThat(h.fdbGet(42, R1)).get().extracting(FdbValue::remote).isEqualTo(IpAddress.parse(W2))),
            extPasses("decap6_five_extension_headers_pass", "a fifth extension header is beyond the walk: the stack's",
                    from6Ext(DEST, cat(ext(DEST, 1, 4, 0, 0, 0, 0), ext(DEST, 1, 4, 0, 0, 0, 0), ext(DEST, 1, 4, 0, 0, 0, 0),
                            ext(DEST, 1, 4, 0, 0, 0, 0), ext(UDP, 1, 4, 0, 0, 0, 0)), PING_R1_TO_C1)),
            extPasses("decap6_extension_headers_over_128_bytes_pass", "a 136-byte Destination Options header is beyond the walk",
                    from6Ext(DEST, ext(UDP, padN(132)), PING_R1_TO_C1)),
            extPasses("decap6_routing_segments_left_passes", "a Routing header with segments left: the packet is not at its destination yet",
                    from6Ext(ROUTING, ext(UDP, 0, 1, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9), PING_R1_TO_C1)),
            extPasses("decap6_srh_passes", "an SRv6 header (type 4), even with segments left 0: the stack's seg6_enabled decides",
                    from6Ext(ROUTING, ext(UDP, 4, 0, 0, 0, 0, 0), PING_R1_TO_C1)),
            extPasses("decap6_option_to_discard_passes", "an option whose type says discard-if-unknown (0x9e): the stack judges it",
                    from6Ext(DEST, ext(UDP, 0x9e, 2, 0, 0, 1, 0), PING_R1_TO_C1)),
            extPasses("decap6_hop_by_hop_not_first_passes", "Hop-by-Hop after another header is an error for the stack to answer",
                    from6Ext(DEST, cat(ext(HOP, 1, 4, 0, 0, 0, 0), ext(UDP, 1, 4, 0, 0, 0, 0)), PING_R1_TO_C1)),
            extPasses("decap6_extension_header_cut_passes", "a frame cut inside its Hop-by-Hop header",
                    Arrays.copyOf(HBH_FROM_W2, 14 + 40 + 5)),
            PacketCase.of("decap6_first_fragment_drops",
                    "a first fragment (offset 0, M set) of VXLAN for a served VNI: not reassembled here, counted on the VNI as over IPv4")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", from6Ext(FRAGMENT, new byte[] {17, 0, 0, 1, 0, 0, 0, 7}, PING_R1_TO_C1))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_fragment", 1).counter(42, "rx_packets", 0),
            PacketCase.of("decap6_later_fragment_passes",
                    "a later fragment carries no UDP header: not VXLAN, the stack's (as over IPv4)")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", from6Ext(FRAGMENT, new byte[] {17, 0, 0x05, (byte) 0xa8, 0, 0, 0, 7}, PING_R1_TO_C1))
                .expect(TC_ACT_OK, from6Ext(FRAGMENT, new byte[] {17, 0, 0x05, (byte) 0xa8, 0, 0, 0, 7}, PING_R1_TO_C1))
                .counter(0, "pass_not_vxlan", 1),
            PacketCase.of("decap6_atomic_fragment_decapsulated",
                    "an atomic fragment (offset 0, M clear) is a whole datagram (RFC 6946): decapsulated")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", from6Ext(FRAGMENT, new byte[] {17, 0, 0, 0, 0, 0, 0, 7}, PING_R1_TO_C1))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "rx_packets", 1),
            PacketCase.of("decap6_extension_header_to_other_protocol_passes",
                    "Hop-by-Hop before ICMPv6 (an MLD report's shape): walked, not UDP, not VXLAN")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, remoteMac(W2), ETH_P_IPV6, ipv6(W2, LOCAL_IP6, HOP, 0, 0, 1,
                        cat(ext(58, 5, 2, 0, 0, 1, 0), new byte[] {(byte) 143, 0, 0, 0, 0, 0, 0, 0}))))
                .expect(TC_ACT_OK, eth(UNDERLAY_MAC, remoteMac(W2), ETH_P_IPV6, ipv6(W2, LOCAL_IP6, HOP, 0, 0, 1,
                        cat(ext(58, 5, 2, 0, 0, 1, 0), new byte[] {(byte) 143, 0, 0, 0, 0, 0, 0, 0}))))
                .counter(0, "pass_not_vxlan", 1).counter(0, "pass_ipv6_ext", 0)
        );
    }

    /**
     * The frame cut inside each header in turn: what the stack may see passes, a cut VXLAN frame is a counted
     * drop. Cuts inside the IPv6 header go through XDP (test runs of TC refuse an IPv6 skb without its header).
     */
    static Stream<PacketCase> truncations() {
        Stream<PacketCase> inIp6 = Stream.of(14 + 1, 14 + 20, 14 + 39).map(n -> PacketCase.of("xdp_decap6_cut_at_" + n,
                        "a frame cut to " + n + " bytes, inside the IPv6 header: not VXLAN, left to the stack untouched")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", Arrays.copyOf(FROM_W2, n))
                .expect(XDP_PASS, Arrays.copyOf(FROM_W2, n))
                .counter(0, "drop_truncated", 0).counter(42, "rx_packets", 0));
        int[][] cuts = { // length, 1 = dropped as truncated / 0 = passed as not VXLAN
            {14 + 40 + 4, 0}, {14 + 40 + 8 + 4, 1}, {14 + 40 + 8 + 8 + 10, 1},
            {14 + 40 + 8 + 8 + 14 + 10, 1}, {FROM_W2.length - 1, 1}};
        return Stream.concat(inIp6, Arrays.stream(cuts).map(c -> PacketCase.of("decap6_cut_at_" + c[0],
                        "a frame cut to " + c[0] + " bytes: " + (c[1] == 1 ? "dropped as truncated" : "left to the stack"))
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", Arrays.copyOf(FROM_W2, c[0]))
                .expect(c[1] == 1 ? TC_ACT_SHOT : TC_ACT_OK, c[1] == 1 ? null : Arrays.copyOf(FROM_W2, c[0]))
                .counter(0, c[1] == 1 ? "drop_truncated" : "pass_not_vxlan", 1).counter(42, "rx_packets", 0)));
    }

    static Stream<PacketCase> encap() {
        return Stream.of(
            PacketCase.of("encap6_unicast_to_remote",
                    "a frame to a MAC behind an IPv6 VTEP gets the 70-byte outer headers with a right UDP checksum")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, to6(W2, PING_C1_TO_R1))
                .counter(42, "tx_packets", 1).counter(42, "tx_bytes", PING_C1_TO_R1.length),
            PacketCase.of("encap6_cache_hit_same_bytes_as_miss",
                    "the second frame to an IPv6 VTEP takes its next hop from the cache: the same 70 bytes and checksum as the first")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0)
                        .run("tc_port_ingress", PING_C1_TO_R1, "p1"))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, to6(W2, PING_C1_TO_R1))
                .counter(42, "tx_packets", 2)
                .then(h -> assertThat(h.encapCache()).containsOnlyKeys(
                        new EncapCacheKey(IpAddress.parse(LOCAL_IP6), IpAddress.parse(W2)))),
            PacketCase.of("encap6_cache_hit_inherits_per_frame",
                    "on an IPv6 hit the traffic class, flow label and hop limit are this frame's (inherit), with a right checksum")
                .setup(h -> h.vni(vni6(L | VniCfg.F_TOS_INHERIT | VniCfg.F_LABEL_INHERIT | VniCfg.F_TTL_INHERIT, 0, 0, 0))
                        .port("p1", 42, 0).fdbRemote(42, R1, W2, 0).run("tc_port_ingress", PING_C1_TO_R1, "p1"))
                .run("tc_port_ingress", "p1", ping6(R1, C1, 0xb9, 0xabcde))
                .expectEncap(TC_ACT_REDIRECT, to6(W2, 0xb9, 0xabcde, 61, true, ping6(R1, C1, 0xb9, 0xabcde)))
                .then(h -> assertThat(h.encapCache()).hasSize(1)),
            PacketCase.of("encap6_cache_hit_odd_length_checksum",
                    "on an IPv6 hit the UDP checksum (entry's address sum + this frame's) is right for another, odd length")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0)
                        .run("tc_port_ingress", PING_C1_TO_R1, "p1"))
                .run("tc_port_ingress", "p1", ping(R1, C1, IP_C1, IP_R1, 0, 57))
                .expectEncap(TC_ACT_REDIRECT, to6(W2, ping(R1, C1, IP_C1, IP_R1, 0, 57)))
                .then(h -> assertThat(h.encapCache()).hasSize(1)),
            PacketCase.of("encap6_odd_length_checksum",
                    "the checksum is right for an odd-length datagram too (a padded last byte)")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", ping(R1, C1, IP_C1, IP_R1, 0, 57))
                .expectEncap(TC_ACT_REDIRECT, to6(W2, ping(R1, C1, IP_C1, IP_R1, 0, 57))),
            PacketCase.of("encap6_arp_unicast",
                    "a non-IP frame (change_head path) is encapsulated to the same IPv6 wire format")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", arpReply(C1, IP_C1, R1, IP_R1))
                .expectEncap(TC_ACT_REDIRECT, to6(W2, arpReply(C1, IP_C1, R1, IP_R1))),
            PacketCase.of("encap6_inner_udp_checksummed",
                    "an inner UDP datagram with its checksum complete: the outer checksum covers it exactly")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", udpInner(false))
                .expectEncap(TC_ACT_REDIRECT, to6(W2, udpInner(false))),
            PacketCase.of("encap6_inner_checksum_offloaded",
                    "an inner UDP datagram still carrying its offload seed (CHECKSUM_PARTIAL): the outer checksum is the "
                            + "one for the datagram once its checksum is filled in (the kernel's LCO)")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", udpInner(true))
                .expectEncap(TC_ACT_REDIRECT, to6(W2, udpInner(false)))
                .innerFinal(udpInner(false)),
            PacketCase.of("encap6_zero_csum_with_udp6zerocsumtx",
                    "with udp6zerocsumtx the outer UDP checksum is 0 (RFC 6935)")
                .setup(h -> h.vni(vni6(L | TX0, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, to6(W2, 0, 0, 64, false, PING_C1_TO_R1)),
            PacketCase.of("encap6_fixed_flowlabel",
                    "a fixed flowlabel goes in every outer header (the kernel's `flowlabel N`)")
                .setup(h -> h.vni(vni6(L, 64, 0, 0x12345)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, to6(W2, 0, 0x12345, 64, true, PING_C1_TO_R1)),
            PacketCase.of("encap6_flowlabel_inherit",
                    "`flowlabel inherit` copies an inner IPv6 packet's label (and its hop limit with ttl inherit)")
                .setup(h -> h.vni(vni6(L | VniCfg.F_LABEL_INHERIT | VniCfg.F_TTL_INHERIT, 0, 0, 0)).port("p1", 42, 0)
                        .fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", ping6(R1, C1, 0, 0xabcde))
                .expectEncap(TC_ACT_REDIRECT, to6(W2, 0, 0xabcde, 61, true, ping6(R1, C1, 0, 0xabcde))),
            PacketCase.of("encap6_flowlabel_inherit_from_ipv4",
                    "an inner IPv4 packet has no label to inherit: 0, as ip_tunnel_get_flowlabel")
                .setup(h -> h.vni(vni6(L | VniCfg.F_LABEL_INHERIT, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, to6(W2, PING_C1_TO_R1)),
            PacketCase.of("encap6_ecn_and_tclass",
                    "RFC 6040 over IPv6: inner CE goes out as ECT(0) in the traffic class next to the VNI's tos")
                .setup(h -> h.vni(vni6(L, 10, 0x20, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", ping(R1, C1, IP_C1, IP_R1, 0x03, 56))
                .expectEncap(TC_ACT_REDIRECT, to6(W2, 0x22, 0, 10, true, ping(R1, C1, IP_C1, IP_R1, 0x03, 56))),
            PacketCase.of("encap6_tclass_inherit",
                    "tos inherit copies an inner IPv6 traffic class, ECN included")
                .setup(h -> h.vni(vni6(L | VniCfg.F_TOS_INHERIT, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", ping6(R1, C1, 0xb9, 0))
                .expectEncap(TC_ACT_REDIRECT, to6(W2, 0xb9, 0, 64, true, ping6(R1, C1, 0xb9, 0))),
            PacketCase.of("encap6_flood_group_hop_limit_1",
                    "BUM to an IPv6 group: 33:33 MAC, the host's underlay MAC, hop limit 1 by default (the kernel's)")
                .setup(h -> h.vni(vni6(L, 0, 0, 0)).port("p1", 42, 0).flood(42, GROUP6))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, to6(GROUP6, 0, 0, 1, true, ARP_FROM_C1))
                .counter(42, "tx_packets", 1),
            PacketCase.of("encap6_flood_group_then_unicast_hop_limits",
                    "default hop limit per copy: 1 to the group, 64 to a unicast VTEP listed after it (not the group's 1)")
                .setup(h -> h.vni(vni6(L, 0, 0, 0)).port("p1", 42, 0).flood(42, GROUP6).flood(42, W2))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, to6(W2, ARP_FROM_C1))
                .copyEncap("u0", to6(GROUP6, 0, 0, 1, true, ARP_FROM_C1)),
            PacketCase.of("encap6_unicast_default_hop_limit",
                    "without a ttl a unicast copy gets the default hop limit 64")
                .setup(h -> h.vni(vni6(L, 0, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, to6(W2, PING_C1_TO_R1)),
            PacketCase.of("encap6_flood_replicates",
                    "head-end replication to three IPv6 VTEPs: two clones and the frame itself, each checksummed for its own destination")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).flood(42, W2).flood(42, W3).flood(42, W4))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, to6(W4, ARP_FROM_C1))
                .copyEncap("u0", to6(W2, ARP_FROM_C1)).copyEncap("u0", to6(W3, ARP_FROM_C1))
                .counter(42, "tx_packets", 3),
            PacketCase.of("encap6_gso_refused_when_checksumming",
                    "a GSO frame to a checksumming IPv6 VNI is refused and counted: BPF can give no segment its own checksum")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1).gso(1000)
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_gso_csum", 1).counter(42, "tx_packets", 0),
            PacketCase.of("encap6_flood_mixed_list",
                    "an IPv4 VTEP in an IPv6 VNI's flood list (the API refuses that) loses only its own copy, counted")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).flood(42, W2).flood(42, V3).flood(42, W4))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, to6(W4, ARP_FROM_C1))
                .copyEncap("u0", to6(W2, ARP_FROM_C1))
                .counter(42, "tx_packets", 2).counter(42, "drop_family", 1),
            PacketCase.of("encap4_to_ipv6_remote_drops",
                    "an IPv4 VNI's FDB entry pointing at an IPv6 VTEP is a counted drop, never a malformed frame")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_family", 1).counter(42, "tx_packets", 0),
            PacketCase.of("encap6_too_big_for_underlay_drops",
                    "the IPv6 overhead is 70 bytes: an inner IP packet of 1431 bytes fits IPv4's 50 but not 70 on a 1500 underlay")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", ping(R1, C1, IP_C1, IP_R1, 0, 1500 - 70 - 20 - 8 + 1))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_mtu", 1),
            PacketCase.of("encap6_largest_frame_fits",
                    "the largest inner frame for a 1500-byte IPv6 underlay (1430 bytes) goes out")
                .setup(h -> h.vni(vni6(L, 64, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, W2, 0))
                .run("tc_port_ingress", "p1", ping(R1, C1, IP_C1, IP_R1, 0, 1500 - 70 - 20 - 8))
                .expectEncap(TC_ACT_REDIRECT, to6(W2, ping(R1, C1, IP_C1, IP_R1, 0, 1500 - 70 - 20 - 8)))
        );
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void packet(PacketCase c) {
        check(c);
    }
}
