package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathPacketTest.*;
import static io.xvtep.datapath.Harness.*;
import static io.xvtep.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.datapath.Harness.Captured;
import io.xvtep.libbpf.TestRunResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A VNI at its list limits: 1,024 local ports and 1,024 flood destinations (Abi.MAX_PORTS_PER_VNI,
 * Abi.MAX_FLOOD), walked by bpf_loop. BPF_PROG_TEST_RUN does not carry out the frame's own verdict,
 * so the broadcast really crosses a veth: sent with an AF_PACKET socket into p1t, tc_port_ingress on
 * p1. Every copy is counted on the device the datapath handed it to (a tap on TC egress of u0 and of
 * each port), so "exactly once per destination" is observed, not inferred from counters.
 *
 * Why egress and not the far ends: a veth queues each frame on the sending CPU's backlog, 1,000
 * frames by default (net.core.netdev_max_backlog, host-wide); one broadcast here makes 2,047 frames
 * in one go, and the backlog drops what exceeds it (a Linux bridge with 1,024 veth ports does the
 * same). On such hosts raise netdev_max_backlog or give the ports' peers NAPI (GRO or XDP on them).
 *
 * The 1,024 VTEPs sit in 198.18.16.0/22 behind gateway 198.18.0.2: each copy carries its own outer
 * destination IP and the gateway's MAC.
 */
class FloodScaleTest {
    static final int N = 1024;
    static final int VNI = 42;
    static final byte[] BCAST = eth("ff:ff:ff:ff:ff:ff", C1, 0x88B5, new byte[46]);

    static String vtep(int i) {
        return "198.18." + (16 + i / 256) + "." + (i % 256);
    }

    /** The frame VTEP `dst` must get (IP id and UDP source port normalised to 0), via the gateway V2. */
    static String expectedCopy(String dst, byte[] inner) {
        return hex(eth(remoteMac(V2), UNDERLAY_MAC, ETH_P_IP,
                ipv4(LOCAL_IP, dst, 17, 0, 64, 0, 0, udp(0, 4789, vxlan(VNI, inner)))));
    }

    /** p1 plus q0..q{N-2}: N ports on the VNI. */
    static Harness fullVni(boolean withFlood) {
        Harness h = Harness.start();
        try {
            System.out.printf("flood-scale: both datapath objects loaded in %d ms; verifier processed %d insns "
                    + "(tc_port_ingress) and %d (tc_underlay_ingress)%n", h.loadMs(),
                    h.inside(() -> h.program("tc_port_ingress").verifiedInsns()),
                    h.inside(() -> h.program("tc_underlay_ingress").verifiedInsns()));
            h.morePorts(N - 1).tapEgress("u0");
            h.ns.ip("route", "add", "198.18.16.0/22", "via", V2, "dev", "u0");
            h.vni(VNI, L, 4789).port("p1", VNI, 0);
            for (int i = 0; i < N - 1; i++) {
                h.port("q" + i, VNI, 0);
            }
            if (withFlood) {
                for (int i = 0; i < N; i++) {
                    h.flood(VNI, vtep(i));
                }
            }
            return h;
        } catch (RuntimeException | Error e) {
            h.close();
            throw e;
        }
    }

    /** Polls the taps until `want` frames arrived, then a little longer so that a duplicate would show. */
    static List<Captured> collect(Harness h, int want) {
        return h.inside(() -> {
            List<Captured> got = new ArrayList<>();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (got.size() < want && System.nanoTime() < deadline) {
                Thread.sleep(20);
                got.addAll(h.takeCaptured());
            }
            long settle = System.nanoTime() + 300_000_000L;
            while (System.nanoTime() < settle) {
                Thread.sleep(20);
                got.addAll(h.takeCaptured());
            }
            return got;
        });
    }

    @Test
    void broadcastFromAPortReachesEachOf1024VtepsAnd1023PortsExactlyOnce() {
        try (Harness h = fullVni(true)) {
            h.attachPort("p1");
            long t0 = System.nanoTime();
            h.ns.exec("python3", "-c", "import socket,sys\n"
                    + "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
                    + "s.bind(('p1t',0))\n"
                    + "s.send(bytes.fromhex(sys.argv[1]))\n", hex(BCAST));
            List<Captured> got = collect(h, N + N - 1);
            System.out.printf("flood-scale: %d copies collected %d ms after the send%n", got.size(),
                    (System.nanoTime() - t0) / 1_000_000);

            List<String> underlay = new ArrayList<>(), local = new ArrayList<>();
            PacketCase c = PacketCase.of("flood_scale", "1024 VTEPs");
            for (Captured k : got) {
                if (k.ifname().equals("u0")) {
                    underlay.add(hex(normaliseEncap(k.frame(), c)));
                } else {
                    assertThat(hex(k.frame())).as("local copy on " + k.ifname()).isEqualTo(hex(BCAST));
                    local.add(k.ifname());
                }
            }
            List<String> wantUnderlay = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                wantUnderlay.add(expectedCopy(vtep(i), BCAST));
            }
            List<String> wantLocal = new ArrayList<>();
            for (int i = 0; i < N - 1; i++) {
                wantLocal.add("q" + i);
            }
            assertThat(underlay).as("one VXLAN frame per VTEP, none twice").hasSize(N)
                    .containsExactlyInAnyOrderElementsOf(wantUnderlay);
            assertThat(local).as("one copy per other port, none back to the sender").hasSize(N - 1)
                    .containsExactlyInAnyOrderElementsOf(wantLocal);
            var st = h.stats(VNI);
            assertThat(st.get("flooded_packets")).isEqualTo(1);
            assertThat(st.get("tx_packets")).isEqualTo(N);
            for (DropReason r : DropReason.values()) {
                assertThat(st.drop(r)).as("drop_" + r.name()).isZero();
            }
        }
    }

    @Test
    void broadcastFromAVtepReachesEachOf1024PortsExactlyOnce() {
        try (Harness h = fullVni(false)) {
            TestRunResult r = h.run("tc_underlay_ingress", fromVtep(V2, 4789, VNI, BCAST), "u0");
            // the last port listed gets the frame itself: the redirect verdict, which a test run does not carry out
            assertThat(r.retval()).isEqualTo(TC_ACT_REDIRECT);
            List<Captured> got = new ArrayList<>(h.captured());
            List<String> local = new ArrayList<>();
            for (Captured k : got) {
                assertThat(hex(k.frame())).as("copy on " + k.ifname()).isEqualTo(hex(BCAST));
                local.add(k.ifname());
            }
            List<String> want = new ArrayList<>(List.of("p1"));
            for (int i = 0; i < N - 2; i++) {
                want.add("q" + i);
            }
            assertThat(local).as("a clone to every port but the last (q1022), none twice").hasSize(N - 1)
                    .containsExactlyInAnyOrderElementsOf(want);
            assertThat(h.stats(VNI).get("rx_packets")).isEqualTo(1);
        }
    }
}
