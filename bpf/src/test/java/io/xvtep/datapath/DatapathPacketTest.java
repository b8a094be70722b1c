package io.xvtep.datapath;

import static io.xvtep.testkit.Frames.*;
import static io.xvtep.datapath.Harness.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.libbpf.TestRunResult;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;
import io.xvtep.testkit.Frames;
import io.xvtep.testkit.Command;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * BPF_PROG_TEST_RUN on the real objects, verified by the real kernel verifier,
 * with crafted frames checked byte by byte (see {@link PacketCase}).
 *
 * Outer headers that the datapath must vary are normalised before comparing, after
 * checking them: the IP id (random, as the kernel's for DF-unset tunnels) and the UDP
 * source port (the inner flow hash, seeded per boot) must be in the VNI's range; the
 * IP header checksum must be valid. Every other byte must match exactly.
 */
class DatapathPacketTest {
    static final String C1 = "02:00:00:00:01:01", C2 = "02:00:00:00:01:02", C3 = "02:00:00:00:01:03";
    static final String R1 = "02:00:00:00:02:01", R2 = "02:00:00:00:03:01";
    static final String IP_C1 = "10.20.1.11", IP_C2 = "10.20.1.12", IP_R1 = "10.20.1.21";
    static final String V2 = "198.18.0.2", V3 = "198.18.0.3";
    /** Another host's MAC on the underlay segment: what a flooding switch hands us. */
    static final String OTHER_HOST_MAC = "02:cc:00:00:00:09";
    static final int L = VniCfg.F_LEARNING, PROXY = VniCfg.F_PROXY, L3MISS = VniCfg.F_L3MISS;
    static final byte[] NS_FROM_C1 = ndisc("33:33:ff:00:00:21", C1, "fd00::11", "ff02::1:ff00:21", 135, 0,
            "fd00::21", 1, C1);
    static final byte[] NA_FOR_C1 = ndisc(C1, R1, "fd00::21", "fd00::11", 136, 0x60000000, "fd00::21", 2, R1);

    static final byte[] PING_R1_TO_C1 = ping(C1, R1, IP_R1, IP_C1, 0, 56);
    static final byte[] PING_C1_TO_R1 = ping(R1, C1, IP_C1, IP_R1, 0, 56);
    static final byte[] ARP_FROM_R1 = arpRequest(R1, IP_R1, IP_C1);
    static final byte[] ARP_FROM_C1 = arpRequest(C1, IP_C1, IP_R1);

    /** What a remote VTEP at `src` sends us for `inner`. */
    static byte[] fromVtep(String src, int dport, int vni, byte[] inner) {
        return vxlanFrame(UNDERLAY_MAC, remoteMac(src), src, LOCAL_IP, 50000, dport, vni, inner);
    }

    /** What we must send to VTEP `dst`, with IP id and UDP source port zero (normalised). */
    static byte[] toVtep(String dst, int dport, int vni, byte[] inner) {
        String dmac = dst.startsWith("239.") ? "01:00:5e:" + groupMacTail(dst) : remoteMac(dst);
        return eth(dmac, UNDERLAY_MAC, ETH_P_IP, ipv4(LOCAL_IP, dst, 17, 0, 64, 0, 0, udp(0, dport, vxlan(vni, inner))));
    }

    static byte[] toVtepTos(String dst, int vni, int tos, int ttl, byte[] inner) {
        return toVtepHdr(dst, vni, tos, ttl, 0, inner);
    }

    static byte[] toVtepHdr(String dst, int vni, int tos, int ttl, int frag, byte[] inner) {
        return eth(remoteMac(dst), UNDERLAY_MAC, ETH_P_IP, ipv4(LOCAL_IP, dst, 17, tos, ttl, 0, frag, udp(0, 4789, vxlan(vni, inner))));
    }

    static VniCfg cfg(int vni, int flags, int ttl, int tos, int srcMin, int srcMax) {
        return new VniCfg(vni, flags, null, null, 4789, srcMin, srcMax, ttl, tos, 0, 0, 300, 0, 0);
    }

    static String groupMacTail(String group) {
        byte[] g = ip(group);
        return String.format("%02x:%02x:%02x", g[1] & 0x7f, g[2] & 0xff, g[3] & 0xff);
    }

    /**
     * Raises a VNI's n_ports/n_flood past the entries written, as a list rewritten behind the
     * datapath's back would: the indexes beyond the real entries are gaps.
     */
    static void listCounts(Harness h, int vni, int nPorts, int nFlood) {
        byte[] key = MapCodec.u32(vni);
        VniCfg c = VniCfg.decode(h.map("xvtep_vnis").lookup(key).orElseThrow());
        h.map("xvtep_vnis").update(key, c.withCounts(nPorts, nFlood).encode(), UpdateFlag.ANY);
    }

    /** The timestamp a case wrote into a learned entry at its setup (cases run one at a time). */
    static final java.util.concurrent.atomic.AtomicLong STAMPED = new java.util.concurrent.atomic.AtomicLong();

    /** The outer UDP source port of an IPv4-encapsulated frame the program sent. */
    static int outerSport(TestRunResult r) {
        byte[] f = r.dataOut();
        return (f[34] & 0xff) << 8 | (f[35] & 0xff);
    }

    static byte[] with(byte[] frame, int off, int... bytes) {
        byte[] f = frame.clone();
        for (int i = 0; i < bytes.length; i++) f[off + i] = (byte) bytes[i];
        return f;
    }

    static Stream<PacketCase> cases() {
        return Stream.of(
            // ---------------------------------------------------------------- decapsulation
            PacketCase.of("decap_unicast_to_port",
                    "a VXLAN frame for a MAC behind a local port is stripped to exactly the inner frame and redirected there")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "rx_packets", 1).counter(42, "rx_bytes", PING_R1_TO_C1.length),
            PacketCase.of("xdp_decap_unicast_to_xdp_port",
                    "XDP strips the same frame to exactly the inner frame when the port accepts XDP redirects")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(XDP_REDIRECT, PING_R1_TO_C1)
                .counter(42, "rx_packets", 1),
            PacketCase.of("decap_otherhost_dropped",
                    "VXLAN whose outer destination MAC is another host's (PACKET_OTHERHOST: a flooding switch) is dropped"
                            + " and counted, never delivered nor learned from, as the kernel's stack drops it")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", vxlanFrame(OTHER_HOST_MAC, remoteMac(V2), V2, LOCAL_IP, 50000, 4789, 42,
                        PING_R1_TO_C1))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_otherhost", 1).counter(42, "rx_packets", 0).counter(42, "learned", 0),
            PacketCase.of("xdp_decap_otherhost_dropped",
                    "XDP drops and counts the same frame for an XDP port: its outer destination MAC is not the underlay's")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", vxlanFrame(OTHER_HOST_MAC, remoteMac(V2), V2, LOCAL_IP, 50000, 4789, 42,
                        PING_R1_TO_C1))
                .expect(XDP_DROP, null)
                .counter(42, "drop_otherhost", 1).counter(42, "rx_packets", 0).counter(42, "learned", 0),
            PacketCase.of("decap_to_group_mac_accepted",
                    "VXLAN to the VNI's underlay group, outer destination the group's multicast MAC, is the VNI's: flooded")
                .setup(h -> h.vni(new VniCfg(42, L, null, IpAddress.parse("239.1.1.1"), 4789, 0, 0, 64, 0, 0, 0, 300, 0, 0))
                        .port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", vxlanFrame("01:00:5e:01:01:01", remoteMac(V2), V2, "239.1.1.1", 50000,
                        4789, 42, ARP_FROM_R1))
                .expect(TC_ACT_REDIRECT, ARP_FROM_R1)
                .counter(42, "rx_packets", 1).counter(42, "drop_otherhost", 0),
            PacketCase.of("xdp_decap_to_group_mac_accepted",
                    "XDP decapsulates unicast inner traffic that came to the VNI's group (multicast outer MAC) to an XDP port")
                .setup(h -> h.vni(new VniCfg(42, L, null, IpAddress.parse("239.1.1.1"), 4789, 0, 0, 64, 0, 0, 0, 300, 0, 0))
                        .port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", vxlanFrame("01:00:5e:01:01:01", remoteMac(V2), V2, "239.1.1.1", 50000,
                        4789, 42, PING_R1_TO_C1))
                .expect(XDP_REDIRECT, PING_R1_TO_C1)
                .counter(42, "rx_packets", 1).counter(42, "drop_otherhost", 0),
            PacketCase.of("xdp_never_redirects_on_veth_underlay",
                    "with XVTEP_CFG_F_NO_XDP_REDIRECT (veth underlay) XDP leaves even an XDP port's frame to TC, untouched")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0)
                        .configFlags(XvtepConfig.F_NO_XDP_REDIRECT))
                .run("xdp_underlay", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(XDP_PASS, fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .counter(42, "rx_packets", 0),
            PacketCase.of("xdp_defers_port_without_xdp",
                    "XDP leaves a frame for a port without XDP-redirect support untouched to TC, counting nothing")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("xdp_underlay", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(XDP_PASS, fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .counter(42, "rx_packets", 0).counter(0, "pass_not_vxlan", 0),
            PacketCase.of("decap_stale_learned_entry_floods",
                    "a learned entry older than the VNI's ageing (300 s) forwards nothing: the frame floods the VNI's ports")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0)
                        .fdb(42, C1, new FdbValue(null, h.ifindex.get("p1"), 0, System.nanoTime() - 301_000_000_000L)))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .copy("p1", PING_R1_TO_C1)
                .counter(42, "flooded_packets", 1),
            PacketCase.of("xdp_stale_learned_entry_passes",
                    "XDP leaves a frame whose learned entry has aged out to TC, untouched")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, PortCfg.F_XDP)
                        .fdb(42, C1, new FdbValue(null, h.ifindex.get("p1"), 0, System.nanoTime() - 301_000_000_000L)))
                .run("xdp_underlay", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(XDP_PASS, fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .counter(42, "rx_packets", 0),
            PacketCase.of("decap_entry_stamped_ahead_of_fdb_clock_delivers",
                    "an entry stamped ahead of the datapath's tick-resolution FDB clock (a finer clock's stamp lags by up to a"
                            + " tick; 60 s here to be sure) is fresh, not aged out by an unsigned wrap: unicast, no flood")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0)
                        .fdb(42, C1, new FdbValue(null, h.ifindex.get("p1"), 0, System.nanoTime() + 60_000_000_000L)))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "flooded_packets", 0).counter(42, "rx_packets", 1),
            PacketCase.of("decap_learning_leaves_fresh_entry_unwritten",
                    "a remote MAC seen again within a second of its timestamp is not written (no map write per frame)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0)
                        .fdb(42, R1, new FdbValue(IpAddress.parse(V2), 0, 0, STAMPED.updateAndGet(x -> System.nanoTime()))))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "learned", 0)
                .then(h -> assertThat(h.fdbGet(42, R1).orElseThrow().updatedNs()).isEqualTo(STAMPED.get())),
            PacketCase.of("decap_learning_refreshes_entry_after_a_second",
                    "the same MAC seen again 2 s after its timestamp gets a new one (ageing restarts), still no new entry")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0)
                        .fdb(42, R1, new FdbValue(IpAddress.parse(V2), 0, 0, System.nanoTime() - 2_000_000_000L)))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(42, "learned", 0)
                .then(h -> assertThat(h.fdbGet(42, R1).orElseThrow().updatedNs())
                        .isGreaterThan(System.nanoTime() - 1_000_000_000L)),
            PacketCase.of("decap_broadcast_floods_local_ports",
                    "a decapsulated broadcast reaches every local port of its VNI exactly once, as the inner frame")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, ARP_FROM_R1))
                .expect(TC_ACT_REDIRECT, ARP_FROM_R1) // last port gets the frame itself
                .copy("p1", ARP_FROM_R1)
                .counter(42, "rx_packets", 1).counter(42, "flooded_packets", 1),
            PacketCase.of("decap_unknown_unicast_floods_local_ports",
                    "a decapsulated unicast to an unknown MAC is flooded to the VNI's local ports, as a bridge does")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, ping(C3, R1, IP_R1, "10.20.1.13", 0, 8)))
                .expect(TC_ACT_REDIRECT, ping(C3, R1, IP_R1, "10.20.1.13", 0, 8))
                .copy("p1", ping(C3, R1, IP_R1, "10.20.1.13", 0, 8))
                .counter(42, "flooded_packets", 1),
            PacketCase.of("decap_unknown_vni_passes",
                    "VXLAN for a VNI xvtep does not serve is left to the stack unchanged and counted on VNI 0")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 77, PING_R1_TO_C1))
                .expect(TC_ACT_OK, fromVtep(V2, 4789, 77, PING_R1_TO_C1))
                .counter(0, "pass_unknown_vni", 1).counter(42, "rx_packets", 0),
            PacketCase.of("decap_truncated_drops",
                    "a VXLAN frame cut inside its inner Ethernet header is dropped and counted as truncated")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", Arrays.copyOf(fromVtep(V2, 4789, 42, PING_R1_TO_C1), 14 + 20 + 8 + 8 + 10))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_truncated", 1),
            PacketCase.of("stats_map_pretty_prints",
                    "bpftool map dump shows the per-CPU counters by name through BTF, drop[] and pass[] as arrays indexed by reason")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", Arrays.copyOf(fromVtep(V2, 4789, 42, PING_R1_TO_C1), 14 + 20 + 8 + 8 + 10))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_truncated", 1)
                .then(h -> {
                    String dump = Command.of("bpftool", "-j", "map", "dump", "pinned",
                            "/sys/fs/bpf/" + h.ns.name() + "/xvtep_stats").check();
                    assertThat(dump).contains("\"formatted\"", "\"rx_packets\"", "\"events_lost\"");
                    var drops = java.util.regex.Pattern.compile("\"drop\":\\[([0-9,]+)\\]").matcher(dump).results()
                            .map(m -> m.group(1).split(",")).toList();
                    assertThat(drops).isNotEmpty().allSatisfy(d -> assertThat(d).hasSize(DropReason.values().length));
                    assertThat(drops.stream().mapToLong(d -> Long.parseLong(d[DropReason.TRUNCATED.ordinal()])).sum())
                            .isEqualTo(1);
                    var passes = java.util.regex.Pattern.compile("\"pass\":\\[([0-9,]+)\\]").matcher(dump).results()
                            .map(m -> m.group(1).split(",")).toList();
                    assertThat(passes).isNotEmpty().allSatisfy(p -> assertThat(p).hasSize(PassReason.values().length));
                }),
            PacketCase.of("xdp_truncated_drops",
                    "XDP drops the same truncated frame itself and counts it")
                .setup(h -> h.vni(42, L, 4789))
                .run("xdp_underlay", "u0", Arrays.copyOf(fromVtep(V2, 4789, 42, PING_R1_TO_C1), 14 + 20 + 8 + 8 + 10))
                .expect(XDP_DROP, null)
                .counter(0, "drop_truncated", 1),
            PacketCase.of("decap_ip_length_beyond_frame_drops",
                    "an outer IP total length larger than the frame is truncation, not trusted")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", Arrays.copyOf(fromVtep(V2, 4789, 42, PING_R1_TO_C1), 14 + 20 + 8 + 8 + 14 + 20))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_truncated", 1),
            PacketCase.of("non_vxlan_udp_passes",
                    "UDP to a port that is no VNI's dstport is left to the stack unchanged")
                .setup(h -> h.vni(42, L, 4789))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP, ipv4(V2, LOCAL_IP, 17, udp(5353, 53, new byte[20]))))
                .expect(TC_ACT_OK, eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP, ipv4(V2, LOCAL_IP, 17, udp(5353, 53, new byte[20]))))
                .counter(0, "pass_not_vxlan", 1),
            PacketCase.of("udp_to_other_port_naming_served_vni_passes",
                    "UDP to a port no VNI uses, whose payload reads as VXLAN for served VNI 42, is not taken: a VNI counts"
                            + " only on its own dstport (the VNI is looked up before xvtep_dstports)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP,
                        ipv4(V2, LOCAL_IP, 17, udp(50000, 53, vxlanRaw(0x08000000, 42 << 8, PING_R1_TO_C1)))))
                .expect(TC_ACT_OK, eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP,
                        ipv4(V2, LOCAL_IP, 17, udp(50000, 53, vxlanRaw(0x08000000, 42 << 8, PING_R1_TO_C1)))))
                .counter(0, "pass_not_vxlan", 1).counter(42, "rx_packets", 0),
            PacketCase.of("decap_vni_on_other_of_our_dstports_passes_unknown",
                    "VXLAN to 4789 (VNI 43's port) naming VNI 42 (served on 8472) is VXLAN for someone else: unknown VNI")
                .setup(h -> h.vni(42, L, 8472).vni(43, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(TC_ACT_OK, fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .counter(0, "pass_unknown_vni", 1).counter(42, "rx_packets", 0),
            PacketCase.of("vxlan_without_i_flag_drops",
                    "a VXLAN header without the I flag is dropped (RFC 7348: receivers must check it)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP,
                        ipv4(V2, LOCAL_IP, 17, udp(50000, 4789, vxlanRaw(0, 42 << 8, PING_R1_TO_C1)))))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_bad_flags", 1),
            PacketCase.of("vxlan_reserved_bits_drop",
                    "reserved bits in either VXLAN word are dropped, as the kernel's vxlan_reserved.sh expects")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP,
                        ipv4(V2, LOCAL_IP, 17, udp(50000, 4789, vxlanRaw(0x08000000, (42 << 8) | 1, PING_R1_TO_C1)))))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_bad_flags", 1),
            PacketCase.of("vxlan_reserved_flag_bits_drop",
                    "a reserved bit in the flags byte is dropped too")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP,
                        ipv4(V2, LOCAL_IP, 17, udp(50000, 4789, vxlanRaw(0x0C000000, 42 << 8, PING_R1_TO_C1)))))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_bad_flags", 1),
            PacketCase.of("decap_dstport_8472",
                    "a VNI on the kernel's historical port 8472 decapsulates there, and 4789 is not its port")
                .setup(h -> h.vni(42, L, 8472).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 8472, 42, PING_R1_TO_C1))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1),
            PacketCase.of("decap_other_dstport_not_ours",
                    "VXLAN to 4789 for a VNI configured on 8472 is not taken")
                .setup(h -> h.vni(42, L, 8472).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(TC_ACT_OK, fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .counter(0, "pass_not_vxlan", 1),
            PacketCase.of("decap_to_other_address_passes",
                    "VXLAN addressed to another IP of the host is not this VTEP's")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", vxlanFrame(UNDERLAY_MAC, remoteMac(V2), V2, "198.18.0.9", 50000, 4789, 42, PING_R1_TO_C1))
                .expect(TC_ACT_OK, vxlanFrame(UNDERLAY_MAC, remoteMac(V2), V2, "198.18.0.9", 50000, 4789, 42, PING_R1_TO_C1))
                .counter(0, "pass_unknown_vni", 1),
            PacketCase.of("decap_own_source_drops",
                    "a frame from our own VTEP address (looped multicast) is dropped")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", vxlanFrame(UNDERLAY_MAC, remoteMac(V2), LOCAL_IP, LOCAL_IP, 50000, 4789, 42, ARP_FROM_R1))
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_src", 1),
            PacketCase.of("decap_learns_remote",
                    "decapsulation teaches (VNI, inner source MAC) -> outer source IP and reports a learn event")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, ARP_FROM_R1))
                .expect(TC_ACT_REDIRECT, ARP_FROM_R1)
                .counter(42, "learned", 1)
                .then(h -> {
                    assertThat(h.fdbGet(42, R1)).get().extracting(FdbValue::remote).isEqualTo(IpAddress.parse(V2));
                    assertThat(h.events()).extracting(XvtepEvent::type, XvtepEvent::vni, XvtepEvent::mac, XvtepEvent::remote)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 42, Mac.parse(R1), IpAddress.parse(V2)));
                }),
            PacketCase.of("decap_nolearning",
                    "with learning off nothing is learned from the underlay")
                .setup(h -> h.vni(42, 0, 4789).port("p1", 42, 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, ARP_FROM_R1))
                .expect(TC_ACT_REDIRECT, ARP_FROM_R1)
                .counter(42, "learned", 0)
                .then(h -> assertThat(h.fdbGet(42, R1)).isEmpty()),
            PacketCase.of("decap_mac_move",
                    "a learned MAC seen behind another VTEP is re-pointed at once and reported as a move")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V3, 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, ARP_FROM_R1))
                .expect(TC_ACT_REDIRECT, ARP_FROM_R1)
                .counter(42, "moved", 1)
                .then(h -> {
                    assertThat(h.fdbGet(42, R1)).get().extracting(FdbValue::remote).isEqualTo(IpAddress.parse(V2));
                    assertThat(h.events()).extracting(XvtepEvent::type).containsExactly(2);
                }),
            PacketCase.of("decap_static_entry_kept",
                    "learning never overwrites a static entry, and drops the frame that claims it from elsewhere (vxlan_snoop)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V3, FdbValue.F_STATIC))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, ARP_FROM_R1))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "moved", 0).counter(42, "drop_static_mac", 1)
                .then(h -> assertThat(h.fdbGet(42, R1)).get().extracting(FdbValue::remote).isEqualTo(IpAddress.parse(V3))),
            PacketCase.of("decap_ecn_ce_on_not_ect_drops",
                    "RFC 6040: outer CE over an inner Not-ECT packet is dropped and counted")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP,
                        ipv4(V2, LOCAL_IP, 17, 0x03, 64, 1, 0, udp(50000, 4789, vxlan(42, PING_R1_TO_C1)))))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_ecn", 1),
            PacketCase.of("decap_ecn_ce_marks_inner",
                    "RFC 6040: outer CE over an inner ECT(0) packet marks the inner header CE, checksum fixed")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", eth(UNDERLAY_MAC, remoteMac(V2), ETH_P_IP,
                        ipv4(V2, LOCAL_IP, 17, 0x03, 64, 1, 0, udp(50000, 4789, vxlan(42, ping(C1, R1, IP_R1, IP_C1, 0x02, 56))))))
                .expect(TC_ACT_REDIRECT, ping(C1, R1, IP_R1, IP_C1, 0x03, 56)),
            PacketCase.of("decap_vnis_isolated",
                    "the same MAC in two VNIs: a frame of VNI 43 is delivered by VNI 43's entry, never VNI 42's")
                .setup(h -> h.vni(42, L, 4789).vni(43, L, 4789).port("p1", 42, 0).port("p2", 43, 0)
                        .fdbPort(42, C1, "p1", 0).fdbPort(43, C1, "p2", 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 43, PING_R1_TO_C1))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1)
                .counter(43, "rx_packets", 1).counter(42, "rx_packets", 0)
                .then(h -> assertThat(h.fdbGet(42, R1)).isEmpty()),
            PacketCase.of("decap_port_in_other_vni_drops",
                    "an entry of VNI 42 pointing at a port that now belongs to VNI 43 never delivers across VNIs")
                .setup(h -> h.vni(42, L, 4789).vni(43, L, 4789).port("p1", 43, 0).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_no_dest", 1).counter(42, "rx_packets", 0),
            PacketCase.of("decap_veth_port_peer_delivery",
                    "a veth port (PORT_F_PEER) still gets exactly the inner frame")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, PortCfg.F_PEER).fdbPort(42, C1, "p1", 0))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, PING_R1_TO_C1))
                .expect(TC_ACT_REDIRECT, PING_R1_TO_C1),
            PacketCase.of("decap_no_ports_drops",
                    "a BUM frame for a VNI with no local port has nowhere to go and is counted")
                .setup(h -> h.vni(42, L, 4789))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, ARP_FROM_R1))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_no_dest", 1),

            // ---------------------------------------------------------------- encapsulation
            PacketCase.of("encap_unicast_to_remote",
                    "a frame to a MAC behind a remote VTEP gets exactly the outer headers the kernel's vxlan device sends")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, FdbValue.F_STATIC))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, PING_C1_TO_R1))
                .counter(42, "tx_packets", 1).counter(42, "tx_bytes", PING_C1_TO_R1.length),
            // ---------------------------------------------------------------- outer-header cache (encap_cache.h)
            PacketCase.of("encap_cache_hit_same_bytes_as_miss",
                    "the second frame to a VTEP takes its outer Ethernet header from the cache, byte for byte what the FIB gave the first")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, FdbValue.F_STATIC)
                        .run("tc_port_ingress", PING_C1_TO_R1, "p1"))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, PING_C1_TO_R1))
                .counter(42, "tx_packets", 2)
                .then(h -> assertThat(h.encapCache()).containsOnlyKeys(new EncapCacheKey(IpAddress.parse(LOCAL_IP),
                        IpAddress.parse(V2))).allSatisfy((k, e) -> {
                            assertThat(e.dmac()).isEqualTo(Mac.parse(remoteMac(V2)));
                            assertThat(e.smac()).isEqualTo(Mac.parse(UNDERLAY_MAC));
                            assertThat(e.ifindex()).isEqualTo(h.ifindex.get("u0"));
                        })),
            PacketCase.of("encap_cache_fresh_entry_is_used",
                    "a fresh cache entry is what the frame gets (no FIB lookup): a MAC only the cache knows goes out")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0)
                        .encapCacheEntry(LOCAL_IP, V2, System.nanoTime(), "02:cc:00:00:00:02"))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, with(toVtep(V2, 4789, 42, PING_C1_TO_R1), 0, 0x02, 0xcc, 0, 0, 0, 0x02)),
            PacketCase.of("encap_cache_expired_entry_asks_fib",
                    "an entry older than 1 s is looked up again: the FIB's MAC goes out and replaces the cached one")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0)
                        .encapCacheEntry(LOCAL_IP, V2, System.nanoTime() - 2_000_000_000L, "02:cc:00:00:00:02"))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, PING_C1_TO_R1))
                .then(h -> assertThat(h.encapCache().values()).singleElement()
                        .satisfies(e -> assertThat(e.dmac()).isEqualTo(Mac.parse(remoteMac(V2))))),
            PacketCase.of("encap_cache_new_neighbour_mac_after_flush",
                    "the next hop's MAC changes (ip neigh replace) and the agent empties the cache: the next frame carries the new MAC")
                .setup(h -> {
                    h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0).run("tc_port_ingress", PING_C1_TO_R1, "p1");
                    h.ns.ip("neigh", "replace", V2, "lladdr", "02:dd:00:00:00:02", "dev", "u0", "nud", "permanent");
                    assertThat(new EncapCacheTable(h.map(MapNames.ENCAP_CACHE)).flush()).isEqualTo(1);
                })
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, with(toVtep(V2, 4789, 42, PING_C1_TO_R1), 0, 0x02, 0xdd, 0, 0, 0, 0x02)),
            PacketCase.of("encap_cache_no_route_deletes_entry",
                    "an expired entry whose VTEP the FIB no longer reaches is deleted and the frame dropped as drop_fib")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, "198.19.7.7", 0)
                        .encapCacheEntry(LOCAL_IP, "198.19.7.7", System.nanoTime() - 2_000_000_000L, "02:cc:00:00:00:02"))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_fib", 1)
                .then(h -> assertThat(h.encapCache()).isEmpty()),
            PacketCase.of("encap_cache_flood_hit_same_copies",
                    "a second broadcast to four VTEPs, every next hop now cached, sends exactly the copies of the first")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0)
                        .flood(42, V2).flood(42, V3).flood(42, "198.18.0.4").flood(42, "198.18.0.5")
                        .run("tc_port_ingress", ARP_FROM_C1, "p1"))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, toVtep("198.18.0.5", 4789, 42, ARP_FROM_C1))
                .copyEncap("u0", toVtep(V2, 4789, 42, ARP_FROM_C1))
                .copyEncap("u0", toVtep(V3, 4789, 42, ARP_FROM_C1))
                .copyEncap("u0", toVtep("198.18.0.4", 4789, 42, ARP_FROM_C1))
                .counter(42, "tx_packets", 8)
                .then(h -> assertThat(h.encapCache()).hasSize(4)),
            PacketCase.of("encap_cache_hit_tos_ttl_inherit",
                    "on a hit the outer TOS and TTL are still the frame's own (tos and ttl inherit), not the first frame's")
                .setup(h -> h.vni(cfg(42, L | VniCfg.F_TOS_INHERIT | VniCfg.F_TTL_INHERIT, 64, 0, 0, 0))
                        .port("p1", 42, 0).fdbRemote(42, R1, V2, 0).run("tc_port_ingress", PING_C1_TO_R1, "p1"))
                .run("tc_port_ingress", "p1", with(ping(R1, C1, IP_C1, IP_R1, 0xb8, 56), 22, 7))
                .expectEncap(TC_ACT_REDIRECT, toVtepTos(V2, 42, 0xb8, 7, with(ping(R1, C1, IP_C1, IP_R1, 0xb8, 56), 22, 7)))
                .then(h -> assertThat(h.encapCache()).hasSize(1)),
            PacketCase.of("encap_cache_hit_ecn_per_frame",
                    "on a hit the outer ECN follows the frame (inner CE goes out as ECT(0)) next to the VNI's tos")
                .setup(h -> h.vni(cfg(42, L, 10, 0x20, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, V2, 0)
                        .run("tc_port_ingress", PING_C1_TO_R1, "p1"))
                .run("tc_port_ingress", "p1", ping(R1, C1, IP_C1, IP_R1, 0x03, 56))
                .expectEncap(TC_ACT_REDIRECT, toVtepTos(V2, 42, 0x22, 10, ping(R1, C1, IP_C1, IP_R1, 0x03, 56))),
            PacketCase.of("encap_cache_hit_df_inherit",
                    "on a hit the outer DF copies this frame's DF (the first frame had DF, this one has not)")
                .setup(h -> h.vni(cfg(42, L | VniCfg.F_DF_INHERIT, 64, 0, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, V2, 0)
                        .run("tc_port_ingress", PING_C1_TO_R1, "p1"))
                .run("tc_port_ingress", "p1", with(PING_C1_TO_R1, 20, 0, 0))
                .expectEncap(TC_ACT_REDIRECT, toVtepHdr(V2, 42, 0, 64, 0, with(PING_C1_TO_R1, 20, 0, 0))),
            PacketCase.of("encap_cache_hit_length_and_checksum",
                    "on a hit the lengths and the IPv4 header checksum (incremental from the entry's address sum) are this frame's")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0)
                        .run("tc_port_ingress", PING_C1_TO_R1, "p1"))
                .run("tc_port_ingress", "p1", ping(R1, C1, IP_C1, IP_R1, 0, 301))
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, ping(R1, C1, IP_C1, IP_R1, 0, 301))),
            PacketCase.of("encap_cache_hit_vni_and_dstport_of_the_frame",
                    "one entry serves two VNIs to the same VTEP: each frame carries its own VNI and dstport")
                .setup(h -> h.vni(42, L, 4789).vni(43, L, 8472).port("p1", 42, 0).port("p2", 43, 0)
                        .fdbRemote(42, R1, V2, 0).fdbRemote(43, R1, V2, 0).run("tc_port_ingress", PING_C1_TO_R1, "p1"))
                .run("tc_port_ingress", "p2", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 8472, 43, PING_C1_TO_R1))
                .then(h -> assertThat(h.encapCache()).hasSize(1)),
            PacketCase.of("encap_cache_hit_srcport_per_flow",
                    "on a hit the source port is the frame's flow hash: a hit sends a flow's miss port, another flow another port")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0)
                        .run("tc_port_ingress", PING_C1_TO_R1, "p1"))
                .run("tc_port_ingress", "p1", ping(R1, C1, IP_C1, "10.0.0.99", 0, 56))
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, ping(R1, C1, IP_C1, "10.0.0.99", 0, 56)))
                .then(h -> {
                    byte[] other = ping(R1, C1, IP_C1, "10.0.0.99", 0, 56);
                    assertThat(new EncapCacheTable(h.map(MapNames.ENCAP_CACHE)).flush()).isEqualTo(1);
                    int miss = outerSport(h.run("tc_port_ingress", PING_C1_TO_R1, "p1"));
                    int hit = outerSport(h.run("tc_port_ingress", PING_C1_TO_R1, "p1"));
                    int otherHit = outerSport(h.run("tc_port_ingress", other, "p1"));
                    assertThat(hit).as("a flow's port on a hit = on a miss").isEqualTo(miss);
                    // two flows share a port with probability 1/28232 (the hash is seeded at boot)
                    assertThat(otherHit).as("another flow's port on a hit").isNotEqualTo(hit);
                }),
            PacketCase.of("encap_dstport_8472",
                    "the outer UDP destination is the VNI's dstport")
                .setup(h -> h.vni(42, L, 8472).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 8472, 42, PING_C1_TO_R1)),
            PacketCase.of("encap_arp_unicast",
                    "a non-IP frame (ARP reply) is encapsulated to the same wire format")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", with(ARP_FROM_C1, 0, 0x02, 0, 0, 0, 0x02, 0x01))
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, with(ARP_FROM_C1, 0, 0x02, 0, 0, 0, 0x02, 0x01))),
            PacketCase.of("encap_flood_ports_and_vteps",
                    "a broadcast goes once to every other local port and once to every VTEP of the flood list, each copy with its own outer destination")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0).flood(42, V2).flood(42, V3))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V3, 4789, 42, ARP_FROM_C1))
                .copy("p2", ARP_FROM_C1)
                .copyEncap("u0", toVtep(V2, 4789, 42, ARP_FROM_C1))
                .counter(42, "flooded_packets", 1).counter(42, "tx_packets", 2),
            PacketCase.of("encap_flood_four_vteps",
                    "head-end replication to four VTEPs sends four copies, none twice")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0)
                        .flood(42, V2).flood(42, V3).flood(42, "198.18.0.4").flood(42, "198.18.0.5"))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, toVtep("198.18.0.5", 4789, 42, ARP_FROM_C1))
                .copyEncap("u0", toVtep(V2, 4789, 42, ARP_FROM_C1))
                .copyEncap("u0", toVtep(V3, 4789, 42, ARP_FROM_C1))
                .copyEncap("u0", toVtep("198.18.0.4", 4789, 42, ARP_FROM_C1))
                .counter(42, "tx_packets", 4),
            PacketCase.of("encap_flood_multicast_group",
                    "BUM to a multicast group: outer destination MAC derived from the group, source MAC the underlay's")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, "239.1.1.1"))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, toVtep("239.1.1.1", 4789, 42, ARP_FROM_C1)),
            PacketCase.of("encap_flood_group_ttl_auto",
                    "ttl auto (0) sends TTL 1 to a 224/4 group, as the kernel's vxlan_xmit_one, and 64 to a unicast VTEP of the same flood list")
                .setup(h -> h.vni(cfg(42, L, 0, 0, 0, 0)).port("p1", 42, 0).flood(42, V2).flood(42, "239.1.1.1"))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, eth("01:00:5e:" + groupMacTail("239.1.1.1"), UNDERLAY_MAC, ETH_P_IP,
                        ipv4(LOCAL_IP, "239.1.1.1", 17, 0, 1, 0, 0, udp(0, 4789, vxlan(42, ARP_FROM_C1)))))
                .copyEncap("u0", toVtep(V2, 4789, 42, ARP_FROM_C1)),
            PacketCase.of("encap_unknown_unicast_floods",
                    "a unicast to an unknown MAC goes to the flood list (the kernel's all-zero default)")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, PING_C1_TO_R1))
                .counter(42, "flooded_packets", 1).counter(42, "l2miss", 0),
            PacketCase.of("local_switching",
                    "a frame to a MAC behind another local port goes straight there, unchanged, never to the underlay")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0).flood(42, V2).fdbPort(42, C2, "p2", 0))
                .run("tc_port_ingress", "p1", ping(C2, C1, IP_C1, IP_C2, 0, 56))
                .expect(TC_ACT_REDIRECT, ping(C2, C1, IP_C1, IP_C2, 0, 56))
                .counter(42, "switched_packets", 1).counter(42, "tx_packets", 0),
            PacketCase.of("hairpin_drops",
                    "a frame to a MAC behind its own ingress port is dropped, as a bridge does")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C2, "p1", 0))
                .run("tc_port_ingress", "p1", ping(C2, C1, IP_C1, IP_C2, 0, 56))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_hairpin", 1),
            PacketCase.of("port_learns_source",
                    "a local port learns the source MAC behind it and reports it")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, PING_C1_TO_R1))
                .counter(42, "learned", 1)
                .then(h -> assertThat(h.fdbGet(42, C1)).get().extracting(FdbValue::ifindex).isEqualTo(h.ifindex.get("p1"))),
            PacketCase.of("encap_too_big_drops",
                    "a frame that would exceed the underlay MTU (1500) once encapsulated is dropped and counted")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", ping(R1, C1, IP_C1, IP_R1, 0, 1500 - 50 - 28 + 1))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_mtu", 1),
            PacketCase.of("encap_largest_frame_fits",
                    "an inner packet of underlay MTU - 50 bytes still goes out")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", ping(R1, C1, IP_C1, IP_R1, 0, 1500 - 50 - 28))
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, ping(R1, C1, IP_C1, IP_R1, 0, 1500 - 50 - 28))),
            PacketCase.of("port_of_deleted_vni_drops",
                    "a frame from a port whose VNI is gone (a delete racing the port's removal) is dropped and counted as no_dest in slot 0"
                            + " (frames of no VNI: the VNI's counter slot went with it)")
                .setup(h -> { h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2);
                        h.map("xvtep_vnis").delete(MapCodec.u32(42)); })
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expect(TC_ACT_SHOT, null)
                .counter(0, "drop_no_dest", 1).counter(42, "tx_packets", 0).counter(42, "learned", 0),
            PacketCase.of("not_a_port_passes",
                    "a frame on an interface that is no xvtep port is not touched")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0))
                .run("tc_port_ingress", "p3", PING_C1_TO_R1)
                .expect(TC_ACT_OK, PING_C1_TO_R1),
            PacketCase.of("encap_vnis_isolated",
                    "two VNIs with the same MAC: a frame of VNI 43 follows VNI 43's entry and carries VNI 43; VNI 42's port sees nothing")
                .setup(h -> h.vni(42, L, 4789).vni(43, L, 4789).port("p1", 42, 0).port("p2", 43, 0)
                        .fdbPort(42, R1, "p1", 0).fdbRemote(43, R1, V3, 0))
                .run("tc_port_ingress", "p2", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V3, 4789, 43, PING_C1_TO_R1))
                .counter(42, "switched_packets", 0),
            PacketCase.of("flood_stays_in_vni",
                    "a broadcast floods only its own VNI's ports and VTEPs")
                .setup(h -> h.vni(42, L, 4789).vni(43, L, 4789).port("p1", 42, 0).port("p2", 43, 0).port("p3", 43, 0)
                        .flood(42, V2).flood(43, V3))
                .run("tc_port_ingress", "p2", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V3, 4789, 43, ARP_FROM_C1))
                .copy("p3", ARP_FROM_C1),
            PacketCase.of("encap_ecn_ce_becomes_ect0",
                    "RFC 6040 encapsulation: inner CE is sent as outer ECT(0), other ECN values copied")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", ping(R1, C1, IP_C1, IP_R1, 0x03, 56))
                .expectEncap(TC_ACT_REDIRECT, toVtepTos(V2, 42, 0x02, 64, ping(R1, C1, IP_C1, IP_R1, 0x03, 56))),
            PacketCase.of("encap_ttl_and_tos",
                    "a VNI's ttl and tos are the outer header's")
                .setup(h -> h.vni(new VniCfg(42, L, null, null, 4789, 0, 0, 10, 0x20, 0, 0, 300, 0, 0))
                        .port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, toVtepTos(V2, 42, 0x20, 10, PING_C1_TO_R1)),
            PacketCase.of("encap_df_set",
                    "df set: the outer header carries DF whatever the inner one says")
                .setup(h -> h.vni(cfg(42, L | VniCfg.F_DF_SET, 64, 0, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", with(PING_C1_TO_R1, 20, 0, 0))
                .expectEncap(TC_ACT_REDIRECT, toVtepHdr(V2, 42, 0, 64, 0x4000, with(PING_C1_TO_R1, 20, 0, 0))),
            PacketCase.of("encap_df_inherit",
                    "df inherit: the outer DF copies the inner IPv4 DF bit")
                .setup(h -> h.vni(cfg(42, L | VniCfg.F_DF_INHERIT, 64, 0, 0, 0)).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expectEncap(TC_ACT_REDIRECT, toVtepHdr(V2, 42, 0, 64, 0x4000, PING_C1_TO_R1)),
            PacketCase.of("encap_tos_and_ttl_inherit",
                    "tos inherit and ttl inherit copy the inner IPv4 header's")
                .setup(h -> h.vni(cfg(42, L | VniCfg.F_TOS_INHERIT | VniCfg.F_TTL_INHERIT, 64, 0, 0, 0))
                        .port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", ping(R1, C1, IP_C1, IP_R1, 0xb8, 56))
                .expectEncap(TC_ACT_REDIRECT, toVtepTos(V2, 42, 0xb8, 64, ping(R1, C1, IP_C1, IP_R1, 0xb8, 56))),
            PacketCase.of("encap_srcport_range",
                    "srcport MIN MAX bounds the outer UDP source port")
                .setup(h -> h.vni(cfg(42, L, 64, 0, 5000, 5001)).port("p1", 42, 0).fdbRemote(42, R1, V2, 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .srcports(5000, 5001)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, PING_C1_TO_R1)),
            PacketCase.of("decap_src_filter_denies",
                    "a VNI that accepts only listed VTEPs drops VXLAN from any other and counts it on the VNI")
                .setup(h -> h.vni(42, L | VniCfg.F_SRC_FILTER, 4789).port("p1", 42, 0).allowedSrc(42, V3))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, ARP_FROM_R1))
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_src", 1).counter(42, "learned", 0),
            PacketCase.of("decap_src_filter_allows",
                    "a listed VTEP is accepted")
                .setup(h -> h.vni(42, L | VniCfg.F_SRC_FILTER, 4789).port("p1", 42, 0).allowedSrc(42, V2))
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, ARP_FROM_R1))
                .expect(TC_ACT_REDIRECT, ARP_FROM_R1),
            PacketCase.of("l2miss_event",
                    "with l2miss and no default destination, an unknown unicast raises one l2miss event")
                .setup(h -> h.vni(42, L | VniCfg.F_L2MISS, 4789).port("p1", 42, 0).port("p2", 42, 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expect(TC_ACT_SHOT, null)
                .copy("p2", PING_C1_TO_R1)
                .counter(42, "l2miss", 1)
                .then(h -> assertThat(h.events()).extracting(XvtepEvent::type, XvtepEvent::mac)
                        .contains(org.assertj.core.groups.Tuple.tuple(3, Mac.parse(R1)))),
            // ---------------------------------------------------------------- proxy
            PacketCase.of("arp_proxy_answers",
                    "with proxy, an ARP request for an address in the neigh table is answered with exactly the reply a host would send, back out of its port")
                .setup(h -> h.vni(42, L | PROXY, 4789).port("p1", 42, 0).flood(42, V2).neigh(42, IP_R1, R1))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expect(TC_ACT_REDIRECT, arpReply(R1, IP_R1, C1, IP_C1))
                .counter(42, "proxied", 1).counter(42, "tx_packets", 0),
            PacketCase.of("arp_proxy_miss_stays_local",
                    "with proxy and no neigh entry the request reaches local ports only, never the underlay, and raises one l3miss")
                .setup(h -> h.vni(42, L | PROXY | L3MISS, 4789).port("p1", 42, 0).port("p2", 42, 0).flood(42, V2))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expect(TC_ACT_SHOT, null)
                .copy("p2", ARP_FROM_C1)
                .counter(42, "l3miss", 1).counter(42, "tx_packets", 0)
                .then(h -> assertThat(h.events()).extracting(XvtepEvent::type, XvtepEvent::ip)
                        .contains(org.assertj.core.groups.Tuple.tuple(4, Ipv4.parse(IP_R1)))),
            PacketCase.of("arp_proxy_per_vni",
                    "a neigh entry of VNI 43 does not answer for VNI 42")
                .setup(h -> h.vni(42, L | PROXY, 4789).vni(43, L | PROXY, 4789).port("p1", 42, 0).neigh(43, IP_R1, R1))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expect(TC_ACT_SHOT, null)
                .counter(42, "proxied", 0),
            PacketCase.of("arp_without_proxy_goes_out",
                    "without proxy an ARP request is flooded to the VTEPs as any broadcast")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2).neigh(42, IP_R1, R1))
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, ARP_FROM_C1))
                .counter(42, "proxied", 0),
            PacketCase.of("nd_proxy_answers",
                    "with proxy, an IPv6 neighbour solicitation is answered with an exact NA (S|O flags, target LLA, ICMPv6 checksum)")
                .setup(h -> h.vni(42, L | PROXY, 4789).port("p1", 42, 0).flood(42, V2).neigh6(42, "fd00::21", R1))
                .run("tc_port_ingress", "p1", NS_FROM_C1)
                .expect(TC_ACT_REDIRECT, NA_FOR_C1)
                .counter(42, "proxied", 1),
            // ---------------------------------------------------------------- list gaps (DROP_LIST_GAP)
            PacketCase.of("flood_last_remote_missing_drops",
                    "a flood list whose last entry is missing (n_flood beyond the entries) drops the frame, counted as list_gap, sending nothing")
                .setup(h -> { h.vni(42, L, 4789).port("p1", 42, 0); listCounts(h, 42, 1, 1); })
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expect(TC_ACT_SHOT, null)
                .counter(42, "drop_list_gap", 1).counter(42, "tx_packets", 0),
            PacketCase.of("flood_remote_gap_loses_one_copy",
                    "a missing flood entry loses only its own copy: the remote after it still gets the frame, and the gap is counted")
                .setup(h -> { h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V3); listCounts(h, 42, 1, 2);
                        h.map("xvtep_flood").update(new VniIdxKey(42, 1).encode(),
                                new FloodDst(IpAddress.parse(V3), 0).encode(), UpdateFlag.ANY);
                        h.map("xvtep_flood").delete(new VniIdxKey(42, 0).encode()); })
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V3, 4789, 42, ARP_FROM_C1))
                .counter(42, "drop_list_gap", 1).counter(42, "tx_packets", 1),
            PacketCase.of("flood_port_gap_loses_one_copy",
                    "a missing local-port entry loses that copy only: the other port and the VTEP still get theirs")
                .setup(h -> { h.vni(42, L, 4789).port("p1", 42, 0).port("p2", 42, 0).flood(42, V2); listCounts(h, 42, 3, 1); })
                .run("tc_port_ingress", "p1", ARP_FROM_C1)
                .expectEncap(TC_ACT_REDIRECT, toVtep(V2, 4789, 42, ARP_FROM_C1))
                .copy("p2", ARP_FROM_C1)
                .counter(42, "drop_list_gap", 1).counter(42, "flooded_packets", 1),
            PacketCase.of("decap_flood_port_gap_loses_one_copy",
                    "decapsulated BUM: a missing local-port entry loses that copy only, the listed port still gets the inner frame")
                .setup(h -> { h.vni(42, L, 4789).port("p1", 42, 0); listCounts(h, 42, 2, 0); })
                .run("tc_underlay_ingress", "u0", fromVtep(V2, 4789, 42, ARP_FROM_R1))
                .expect(TC_ACT_REDIRECT, ARP_FROM_R1)
                .counter(42, "drop_list_gap", 1).counter(42, "rx_packets", 1),
            PacketCase.of("unresolved_vtep_neighbour",
                    "an unresolved underlay neighbour: the IP frame is handed to the kernel to resolve, and the control plane is told")
                .setup(h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, "198.18.0.9", 0))
                .run("tc_port_ingress", "p1", PING_C1_TO_R1)
                .expect(TC_ACT_REDIRECT, null)
                .then(h -> assertThat(h.events()).extracting(XvtepEvent::type, XvtepEvent::remote)
                        .contains(org.assertj.core.groups.Tuple.tuple(5, IpAddress.parse("198.18.0.9"))))
        );
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void packet(PacketCase c) {
        check(c);
    }

    /** Runs one case on a fresh harness and checks verdict, output, copies and counters. */
    static void check(PacketCase c) {
        try (Harness h = Harness.start()) {
            c.setup.accept(h);
            TestRunResult r = h.run(c.program, c.in, c.ingress, c.gsoSize);
            assertThat(r.retval()).as("verdict: %s; non-zero counters %s", c.proves, nonZero(h)).isEqualTo(c.verdict);
            if (c.out != null) {
                byte[] got = c.outEncap ? normaliseEncap(r.dataOut(), c) : r.dataOut();
                assertThat(hex(got)).as("output frame: %s", c.proves).isEqualTo(hex(c.out));
            }
            List<String> got = h.captured().stream()
                    .map(k -> k.ifname() + " " + hex(isEncap(k.frame()) ? normaliseEncap(k.frame(), c) : k.frame()))
                    .toList();
            List<String> want = c.copies.stream().map(k -> k.ifname() + " " + hex(k.frame())).toList();
            assertThat(got).as("copies seen by the taps: %s", c.proves).containsExactlyInAnyOrderElementsOf(want);
            c.counters.forEach((k, v) -> {
                String[] p = k.split("/");
                assertThat(h.stats(Integer.parseInt(p[0])).get(p[1])).as("counter %s: %s", k, c.proves).isEqualTo(v);
            });
            c.then.accept(h);
        }
    }

    static String nonZero(Harness h) {
        StringBuilder sb = new StringBuilder();
        for (int vni : new int[] {0, 42, 43, 62}) {
            h.stats(vni).asMap().forEach((k, v) -> {
                if (v != 0) sb.append(vni).append('/').append(k).append('=').append(v).append(' ');
            });
        }
        return sb.toString();
    }

    static boolean isEncap(byte[] f) {
        return f.length > 50 && f[12] == 0x08 && f[13] == 0 && f[23] == 17
                && (u16(f, 36) == 4789 || u16(f, 36) == 8472) || isEncap6(f);
    }

    /** An IPv6-underlay VXLAN frame (outer IPv6 + UDP to 4789 or 8472). */
    static boolean isEncap6(byte[] f) {
        return f.length > 70 && u16(f, 12) == ETH_P_IPV6 && f[20] == 17 && (u16(f, 56) == 4789 || u16(f, 56) == 8472);
    }

    /**
     * Checks the varying outer fields, then zeroes them (and re-checksums) for an exact compare. Over IPv6
     * the UDP checksum, when sent, must be right; it is then recomputed for source port 0, so the compare
     * stays byte-exact against a frame built with {@link Frames#udp6}; a zero checksum must stay zero.
     */
    static byte[] normaliseEncap(byte[] f, PacketCase c) {
        if (isEncap6(f)) {
            return normaliseEncap6(f, c);
        }
        assertThat(f.length).as("encapsulated frame length").isGreaterThan(50);
        int csum = u16(f, 24);
        assertThat(csum).as("outer IPv4 header checksum").isEqualTo(Frames.ipChecksum(f, 14));
        int sport = u16(f, 34);
        assertThat(sport).as("outer UDP source port in the VNI's range").isBetween(c.srcportMin, c.srcportMax);
        byte[] n = f.clone();
        n[18] = n[19] = 0;  // IP id
        n[34] = n[35] = 0;  // UDP source port
        int sum = Frames.ipChecksum(n, 14);
        n[24] = (byte) (sum >> 8);
        n[25] = (byte) sum;
        return n;
    }

    static byte[] normaliseEncap6(byte[] f, PacketCase c) {
        int sport = u16(f, 54);
        assertThat(sport).as("outer UDP source port in the VNI's range").isBetween(c.srcportMin, c.srcportMax);
        int len = u16(f, 58);
        assertThat(len).as("outer UDP length = IPv6 payload length").isEqualTo(u16(f, 18));
        if (c.innerFinal != null) { // the inner checksum as it will be once filled in
            f = cat(Arrays.copyOf(f, 70), c.innerFinal);
            assertThat(len).as("inner frame length").isEqualTo(16 + c.innerFinal.length);
        }
        byte[] n = Arrays.copyOf(f, 54 + len);
        boolean sent = u16(f, 60) != 0;
        if (sent) {
            assertThat(udp6Sum(n)).as("outer UDP checksum over the IPv6 pseudo-header").isEqualTo(0xffff);
        }
        n[54] = n[55] = 0; // UDP source port
        n[60] = n[61] = 0;
        if (sent) {
            int s = csum16(cat(Arrays.copyOfRange(n, 22, 54), java.nio.ByteBuffer.allocate(8).putInt(len).putInt(17).array(),
                    Arrays.copyOfRange(n, 54, 54 + len)));
            s = s == 0 ? 0xffff : s;
            n[60] = (byte) (s >> 8);
            n[61] = (byte) s;
        }
        return cat(n, Arrays.copyOfRange(f, 54 + len, f.length));
    }

    /** The one's-complement sum (not complemented) of an IPv6 frame's UDP datagram with its pseudo-header: 0xffff when right. */
    static int udp6Sum(byte[] f) {
        int len = u16(f, 58);
        return ~csum16(cat(Arrays.copyOfRange(f, 22, 54), java.nio.ByteBuffer.allocate(8).putInt(len).putInt(17).array(),
                Arrays.copyOfRange(f, 54, 54 + len))) & 0xffff;
    }

}
