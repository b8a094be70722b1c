package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathPacketTest.*;
import static io.xvtep.testkit.Frames.*;
import static io.xvtep.datapath.Harness.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.datapath.FuzzFrames.Sample;
import io.xvtep.datapath.Harness.Captured;
import io.xvtep.libbpf.BpfProgram;
import io.xvtep.libbpf.TestRunResult;
import io.xvtep.model.Mac;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of every datapath program with BPF_PROG_TEST_RUN (issue 10, item 8): random and mutated
 * frames, a million program runs by default (in mvn verify, so in CI; -Dxvtep.fuzz.frames=N runs more or fewer,
 * -Dxvtep.fuzz.seed=S replays a sequence), asserting:
 * <ul>
 * <li>a frame from the underlay never goes back to the underlay, and is either left unchanged to the stack or
 *     delivered as exactly its inner frame to a port of its own VNI;</li>
 * <li>a frame from a port leaves either unchanged (switched), as a proxy answer of the same size, or as a
 *     well-formed VXLAN frame of the port's VNI carrying exactly that frame;</li>
 * <li>no copy (seen by the taps) crosses VNIs, and every copy is byte-exact;</li>
 * <li>counters account for every frame: each drop is counted, each pass counted once (by TC, never by XDP),
 *     each delivery counted (checked frame by frame for the first -Dxvtep.fuzz.accounted frames).</li>
 * </ul>
 * Violations are grouped by invariant; {@link #KNOWN} lists those that reproduce open bugs of issue 10 (they
 * must occur until fixed, then be removed from the list).
 */
class DatapathFuzzTest {
    static final long FRAMES = Long.getLong("xvtep.fuzz.frames", 1_000_000);
    static final long SEED = Long.getLong("xvtep.fuzz.seed", 0x5eed_10L);
    static final long ACCOUNTED = Long.getLong("xvtep.fuzz.accounted", 100_000);
    /** Allowances kept (about three per frame): copies may reach the taps this long after their frame. */
    static final int WINDOW = Integer.getInteger("xvtep.fuzz.window", 200_000);
    static final int[] STAT_VNIS = {0, 42, 43, 44, 45, 46};
    static final Map<String, Integer> PORT_VNI = Map.of("p1", 42, "p2", 42, "p3", 43);
    static final Map<Integer, Integer> DSTPORT = Map.of(42, 4789, 43, 8472, 44, 4789);

    /** Invariants violated by open bugs of issue 10: reproduced here until their fix lands. */
    static final Map<String, String> KNOWN = Map.of();

    final Map<String, Long> violations = new TreeMap<>();
    final Map<String, String> examples = new TreeMap<>();
    /** Copies the recent frames may cause (see {@link #remember}), oldest first. */
    final Map<String, String> allowed = new java.util.LinkedHashMap<>(1 << 16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> e) {
            return size() > WINDOW;
        }
    };
    long runs, accounted, refused, tapNs, runNs, kernelNs, xdpPortRuns;

    @Test
    void fuzz() {
        try (Harness h = Harness.start()) {
            topology(h);
            FuzzFrames gen = new FuzzFrames(SEED);
            long t0 = System.nanoTime();
            long frames = h.inside(() -> {
                BpfProgram xdp = h.program("xdp_underlay"), tcU = h.program("tc_underlay_ingress"),
                        tcP = h.program("tc_port_ingress"), xdpP = h.program("xdp_port");
                Map<String, byte[]> ctx = Map.of("u0", BpfProgram.skbContext(h.ifindex.get("u0")),
                        "p1", BpfProgram.skbContext(h.ifindex.get("p1")), "p2", BpfProgram.skbContext(h.ifindex.get("p2")),
                        "p3", BpfProgram.skbContext(h.ifindex.get("p3")));
                Map<String, Integer> ifx = Map.of("p1", h.ifindex.get("p1"), "p2", h.ifindex.get("p2"), "p3", h.ifindex.get("p3"));
                long n = 0;
                VniStats[] before = accountedNow(h) ? snapshot(h) : null;
                while (runs < FRAMES) {
                    Sample s = gen.next();
                    remember(s);
                    if (s.underlay()) {
                        TestRunResult x = testRun(xdp, s, null);
                        if (x != null) before = check(h, s, "xdp_underlay", x, before);
                        TestRunResult t = testRun(tcU, s, ctx.get("u0"));
                        if (t != null) before = check(h, s, "tc_underlay_ingress", t, before);
                    } else {
                        if (!accountedNow(h)) { // its counters would blur the accounting of the TC run after it
                            TestRunResult x = testRun(xdpP, s,
                                    BpfProgram.xdpContext(ifx.get(s.ingress()), 0, s.frame().length));
                            if (x != null) checkXdpPort(s, x);
                        }
                        TestRunResult t = testRun(tcP, s, ctx.get(s.ingress()));
                        if (t != null) before = check(h, s, "tc_port_ingress", t, before);
                    }
                    if (++n % 32 == 0) takeCopies(h); // copies are checked by content, so in batches
                }
                takeCopies(h);
                for (int i = 0; i < 10; i++) {
                    Thread.sleep(10); // the last copies may still be in a veth backlog
                    takeCopies(h);
                }
                return n;
            });
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("fuzz: seed %#x, %d frames, %d program runs (%d with per-frame counter checks, %d refused by "
                    + "test_run) in %.1f s: %.0f runs/s, %.0f ns/run including checks%n", SEED, frames, runs, accounted,
                    refused, secs, runs / secs, secs * 1e9 / runs);
            System.out.printf("fuzz: %.0f ns/run in BPF_PROG_TEST_RUN calls (%.0f ns of it in the programs), %.0f ns/frame "
                    + "reading the taps%n", (double) runNs / runs, (double) kernelNs / runs, (double) tapNs / frames);
            System.out.printf("fuzz: %d port frames also through xdp_port (after the accounted window)%n", xdpPortRuns);
            if (FRAMES > 2 * ACCOUNTED) {
                assertThat(xdpPortRuns).as("xdp_port ran").isPositive();
            }
            violations.forEach((k, v) -> System.out.printf("fuzz: %-28s %8d  %s%n  e.g. %s%n", k, v,
                    KNOWN.getOrDefault(k, "NEW"), examples.get(k)));
            assertThat(runs).isGreaterThanOrEqualTo(FRAMES);
            assertThat(violations.keySet()).as("invariants violated (see the examples above)").allMatch(KNOWN::containsKey);
            if (FRAMES >= 250_000) {
                assertThat(KNOWN.keySet()).as("known violations that no longer occur: remove them from KNOWN")
                        .allMatch(violations::containsKey);
            }
        }
    }

    void takeCopies(Harness h) {
        long t = System.nanoTime();
        for (Captured c : h.takeCaptured()) checkCopy(c);
        tapNs += System.nanoTime() - t;
    }

    /** VNI 42's tunnel MTU: the generator's larger frames from p1/p2 get ICMP too-big answers (or are dropped). */
    static final int MTU_42 = 1000;

    /**
     * VNI 42: learning + l2miss, a 1000-byte tunnel MTU, ports p1 p2, VTEPs V2 V3. VNI 43 on 8472: proxy, port p3,
     * a group. VNI 44: no port, source filter. VNIs 45 and 46: IPv6 underlay, no port (46 on 8472 takes zero
     * checksums from 2001:db8::2 only).
     */
    static void topology(Harness h) {
        h.vni(new VniCfg(42, L | VniCfg.F_L2MISS, null, null, 4789, 0, 0,
                        64, 0, 0, 0, 300, MTU_42, 0))
                .port("p1", 42, 0).port("p2", 42, PortCfg.F_PEER)
                .flood(42, V2).flood(42, V3)
                .fdbRemote(42, R1, V2, FdbValue.F_STATIC).fdbPort(42, C1, "p1", 0).fdbPort(42, C2, "p2", FdbValue.F_STATIC);
        h.vni(43, L | PROXY | L3MISS, 8472).port("p3", 43, 0).flood(43, "239.1.1.1")
                .fdbRemote(43, R2, "198.18.0.4", 0).neigh(43, IP_R1, R1).neigh6(43, "fd00::21", R1);
        h.vni(44, VniCfg.F_SRC_FILTER, 4789).flood(44, "198.18.0.5").allowedSrc(44, V2);
        // IPv6 underlay, no local port (decapsulation is parsed, checked, learned, then has nowhere to go):
        // 45 learns and refuses zero checksums, 46 takes them (udp6zerocsumrx) from W2 only
        h.vni(new VniCfg(45, L | VniCfg.F_IPV6, null, null, 4789, 0, 0, 64, 0, 0, 0, 300, 0, 0))
                .flood(45, "2001:db8::2").flood(45, "ff05::42");
        h.vni(new VniCfg(46, VniCfg.F_IPV6 | VniCfg.F_UDP_ZERO_CSUM6_RX | VniCfg.F_SRC_FILTER, null, null, 8472, 0, 0,
                64, 0, 0, 0, 300, 0, 0)).allowedSrc(46, "2001:db8::2");
    }

    TestRunResult testRun(BpfProgram p, Sample s, byte[] ctx) {
        long t = System.nanoTime();
        try {
            TestRunResult r = p.testRunCtx(s.frame(), ctx, 1);
            kernelNs += r.durationNs();
            return r;
        } catch (io.xvtep.libbpf.BpfException e) {
            refused++; // e.g. IPv4 frames cut inside the IP header: test_run refuses them (XDP still ran them)
            return null;
        } finally {
            runNs += System.nanoTime() - t;
        }
    }

    boolean accountedNow(Harness h) {
        return runs < ACCOUNTED;
    }

    static VniStats[] snapshot(Harness h) {
        VniStats[] s = new VniStats[STAT_VNIS.length];
        for (int i = 0; i < s.length; i++) s[i] = h.stats(STAT_VNIS[i]);
        return s;
    }

    void violation(String what, Sample s, String program, TestRunResult r, String detail) {
        violations.merge(what, 1L, Long::sum);
        examples.computeIfAbsent(what, k -> program + " from " + s.ingress() + " verdict " + (r == null ? "-" : r.retval())
                + " " + detail + "\n    in  " + hex(s.frame()) + (r == null ? "" : "\n    out " + hex(r.dataOut())));
    }

    /**
     * xdp_port (xdp_encap ports) on a port frame: passed untouched (TC runs next), dropped, or encapsulated exactly
     * for the port's VNI (the redirect itself is not made by a test run, so no copy to check).
     */
    void checkXdpPort(Sample s, TestRunResult r) {
        xdpPortRuns++;
        byte[] in = s.frame(), out = r.dataOut();
        int v = r.retval();
        if (v == XDP_PASS) {
            if (!Arrays.equals(in, out)) violation("xdp-port-pass-changed-frame", s, "xdp_port", r, "");
        } else if (v == XDP_REDIRECT) {
            Outer e = Outer.parse(out);
            if (e == null || !e.wellFormedEncap(out, PORT_VNI.get(s.ingress())) || !Arrays.equals(e.inner(out), in)) {
                violation("xdp-port-output-malformed", s, "xdp_port", r, "");
            }
        } else if (v != XDP_DROP) {
            violation("bad-verdict", s, "xdp_port", r, "");
        }
    }

    /** Checks one run; returns the counters after it when counters are being accounted, else null. */
    VniStats[] check(Harness h, Sample s, String program, TestRunResult r, VniStats[] before) {
        runs++;
        byte[] in = s.frame(), out = r.dataOut();
        int v = r.retval();
        Outer o = Outer.parse(in);
        boolean xdp = program.startsWith("xdp");
        if (s.underlay()) {
            boolean pass = xdp ? v == XDP_PASS : v == TC_ACT_OK, drop = xdp ? v == XDP_DROP : v == TC_ACT_SHOT;
            boolean redirect = xdp ? v == XDP_REDIRECT : v == TC_ACT_REDIRECT;
            if (!pass && !drop && !redirect) violation("bad-verdict", s, program, r, "");
            if (pass && !Arrays.equals(in, out)) violation("pass-changed-frame", s, program, r, "");
            if (redirect) {
                if (o == null || !PORT_VNI.containsValue(o.vni())) {
                    violation("decap-not-ours-delivered", s, program, r, "");
                } else if (!Arrays.equals(out, xdp ? o.inner(in) : o.expectedInner(in))) {
                    boolean untrimmed = Arrays.equals(out, Arrays.copyOfRange(in, o.outerLen(), in.length));
                    violation(untrimmed ? "decap-not-trimmed" : "decap-not-exact-inner", s, program, r, "");
                } else {
                    deliveredWithinVni(h, s, program, r, o.vni(), out);
                    forwardedFrame(s, program, r, out);
                }
                if (o != null && !o.headerChecksumOk(in)) violation("delivered-bad-outer-csum", s, program, r, "");
                if (o != null && martian(in)) violation("delivered-martian-source", s, program, r, "");
            }
        } else {
            int vni = PORT_VNI.get(s.ingress());
            if (v == TC_ACT_OK) violation("port-frame-to-host-stack", s, program, r, "");
            else if (v == TC_ACT_REDIRECT && !Arrays.equals(in, out)) {
                Outer e = Outer.parse(out);
                if (e != null && e.wellFormedEncap(out, vni) && Arrays.equals(e.inner(out), in)) {
                    forwardedFrame(s, program, r, in); // encapsulated for this VNI
                } else if (tooBigAnswer(in, out, vni)) {
                    // the tunnel MTU's ICMP answer, byte-exact as the kernel builds it (checked in tooBigAnswer)
                } else if (out.length == in.length && Arrays.equals(Arrays.copyOfRange(in, 12, 14), Arrays.copyOfRange(out, 12, 14))) {
                    // a proxy answer, in place
                } else {
                    violation("port-output-malformed", s, program, r, "");
                }
            } else if (v != TC_ACT_SHOT && v != TC_ACT_REDIRECT) {
                violation("bad-verdict", s, program, r, "");
            }
            if (v == TC_ACT_REDIRECT && Arrays.equals(in, out) && in.length >= 14 && (in[0] & 1) == 0) {
                deliveredWithinVni(h, s, program, r, vni, in);
                forwardedFrame(s, program, r, in);
            }
        }
        if (before == null) return null;
        accounted++;
        VniStats[] after = snapshot(h);
        account(s, program, r, before, after);
        return runs < ACCOUNTED ? after : null;
    }

    /** `out` is exactly the ICMP frag-needed / ICMPv6 packet-too-big answer to an `in` over VNI 42's tunnel MTU. */
    static boolean tooBigAnswer(byte[] in, byte[] out, int vni) {
        if (vni != 42 || in.length <= 14 + MTU_42 || in.length < 54) return false;
        int type = Outer.u16(in, 12);
        return type == 0x0800 && Arrays.equals(out, HostileFrames.fragNeeded(in, MTU_42))
                || type == 0x86DD && MTU_42 >= 1280 && Arrays.equals(out, HostileFrames.packetTooBig(in, MTU_42));
    }

    /** What a bridge never forwards: frames from invalid source MACs, and to IEEE 802.1D link-local groups. */
    void forwardedFrame(Sample s, String program, TestRunResult r, byte[] frame) {
        if (frame.length < 14) return;
        if ((frame[6] & 1) != 0 || Arrays.equals(Arrays.copyOfRange(frame, 6, 12), new byte[6])) {
            violation("forwarded-invalid-source-mac", s, program, r, "");
        }
        if ((frame[0] & 0xff) == 0x01 && (frame[1] & 0xff) == 0x80 && (frame[2] & 0xff) == 0xc2 && frame[3] == 0
                && frame[4] == 0 && (frame[5] & 0xf0) == 0) {
            violation("forwarded-link-local", s, program, r, "");
        }
    }

    /** RFC 1122 / the kernel's martian sources: 0/8, 127/8, 224/4 and the limited broadcast. */
    static boolean martian(byte[] f) {
        int a = f[26] & 0xff;
        boolean bcast = (f[26] & f[27] & f[28] & f[29]) == (byte) 0xff;
        return a == 0 || a == 127 || (a & 0xf0) == 0xe0 || bcast;
    }

    /** A unicast delivered to one port: the FDB entry that sent it there points at a port of the same VNI. */
    void deliveredWithinVni(Harness h, Sample s, String program, TestRunResult r, int vni, byte[] frame) {
        if ((frame[0] & 1) != 0) return; // flooded: the copies are checked by the taps
        var e = h.map("xvtep_fdb").lookup(new FdbKey(vni, Mac.of(Arrays.copyOf(frame, 6))).encode())
                .map(FdbValue::decode);
        if (e.isEmpty() || e.get().ifindex() == 0) return; // flooded to the VNI's ports
        String port = h.ifindex.entrySet().stream().filter(x -> x.getValue() == e.get().ifindex())
                .map(Map.Entry::getKey).findFirst().orElse("?");
        if (!Integer.valueOf(vni).equals(PORT_VNI.get(port))) violation("crossed-vni", s, program, r, "to " + port);
    }

    void account(Sample s, String program, TestRunResult r, VniStats[] before, VniStats[] after) {
        long drops = 0, passes = 0, delivered = 0, flooded = 0;
        for (int i = 0; i < before.length; i++) {
            for (String f : VniStats.FIELDS) {
                long d = after[i].get(f) - before[i].get(f);
                if (f.startsWith("drop_")) drops += d;
                else if (f.startsWith("pass_")) passes += d;
                else if (Set.of("rx_packets", "tx_packets", "switched_packets", "proxied").contains(f)) delivered += d;
                else if (f.equals("flooded_packets")) flooded += d;
            }
        }
        int v = r.retval();
        boolean xdp = program.startsWith("xdp");
        if (xdp && v == XDP_PASS && drops + passes + delivered > 0) violation("xdp-pass-counted", s, program, r, "");
        if ((xdp ? v == XDP_DROP : v == TC_ACT_SHOT) && drops == 0 && flooded == 0) violation("drop-not-counted", s, program, r, "");
        if (!xdp && v == TC_ACT_OK && s.underlay() && passes != 1) violation("pass-not-counted-once", s, program, r, "passes " + passes);
        boolean answered = !s.underlay() && tooBigAnswer(s.frame(), r.dataOut(), PORT_VNI.get(s.ingress()));
        // the tunnel MTU's answer is counted as the frame's drop (drop_frag_needed), after any local flood copies
        if ((xdp ? v == XDP_REDIRECT : v == TC_ACT_REDIRECT) && delivered == 0 && !(answered && drops >= 1)) {
            violation("delivery-not-counted", s, program, r, "drops " + drops + " flooded " + flooded);
        }
    }

    /**
     * The copies each frame may legitimately cause, by where they may appear: a port frame at the other ports of
     * its VNI and, encapsulated with its VNI, on the underlay; an underlay frame as its inner frame at the ports
     * of its VNI. Copies go through the veths' backlog and may reach the taps a while after their frame, so the
     * allowances of the last WINDOW frames are kept.
     */
    final Map<Integer, String> everSeen = new java.util.HashMap<>();
    void remember(Sample s) {
        everSeen.put(Arrays.hashCode(s.frame()), runs + " " + s.ingress() + " " + hex(s.frame()));
        Outer oo = Outer.parse(s.frame());
        if (oo != null) everSeen.put(Arrays.hashCode(oo.inner(s.frame())), runs + " inner of " + s.ingress() + " vni " + oo.vni() + " " + hex(s.frame()));
        if (s.underlay()) {
            Outer o = Outer.parse(s.frame());
            if (o == null) return;
            for (var p : PORT_VNI.entrySet()) {
                if (p.getValue() != o.vni()) continue;
                allow(p.getKey(), o.expectedInner(s.frame()), "ok");
                allow(p.getKey(), Arrays.copyOfRange(s.frame(), o.outerLen(), s.frame().length), "decap-not-trimmed");
            }
        } else {
            int vni = PORT_VNI.get(s.ingress());
            for (var p : PORT_VNI.entrySet()) {
                if (p.getValue() == vni && !p.getKey().equals(s.ingress())) allow(p.getKey(), s.frame(), "ok");
            }
            allow("u0/" + vni, s.frame(), "ok");
        }
    }

    /** A legitimate copy wins over a violation with the same bytes (another frame's exact inner frame). */
    void allow(String where, byte[] frame, String verdict) {
        String key = where + "/" + frame.length + "/" + Arrays.hashCode(frame);
        if (verdict.equals("ok")) allowed.put(key, verdict);
        else allowed.putIfAbsent(key, verdict);
    }

    /** A copy seen by a tap must be allowed by a recent frame: exact bytes, never across VNIs, never underlay to underlay. */
    void checkCopy(Captured c) {
        byte[] f = c.frame();
        String verdict;
        if (c.ifname().equals("u0")) {
            Outer e = Outer.parse(f);
            verdict = e == null || !DSTPORT.containsKey(e.vni()) || !e.wellFormedEncap(f, e.vni()) ? null
                    : allowed.get("u0/" + e.vni() + "/" + (f.length - 50) + "/" + Arrays.hashCode(e.inner(f)));
        } else {
            verdict = allowed.get(c.ifname() + "/" + f.length + "/" + Arrays.hashCode(f));
        }
        Sample as = new Sample(false, c.ifname(), f);
        if (c.ifname().equals("u0")) {
            Outer e = Outer.parse(f);
            if (e != null) forwardedFrame(as, "tap u0", null, e.inner(f));
        } else {
            forwardedFrame(as, "tap " + c.ifname(), null, f);
        }
        if (verdict == null) violation("copy-not-from-own-vni", as, "tap " + c.ifname(), null, "now " + runs + " seen " + everSeen.get(Arrays.hashCode(f)));
        else if (!verdict.equals("ok")) violation(verdict, as, "tap " + c.ifname(), null, "");
    }

    /** The outer headers of a VXLAN frame as the datapath reads them; null if it is not IPv4/UDP/VXLAN. */
    record Outer(int vni, int outerLen, int innerLen, int dport) {
        static Outer parse(byte[] f) {
            if (f.length < 34 || u16(f, 12) != 0x0800 || (f[14] >> 4 & 0xf) != 4 || f[23] != 17) return null;
            int ihl = (f[14] & 0xf) * 4, tot = u16(f, 16);
            if (ihl < 20 || (u16(f, 20) & 0x3fff) != 0) return null;
            int outer = 14 + ihl + 16;
            if (f.length < outer + 14) return null;
            int ulen = u16(f, 14 + ihl + 4); // the inner frame ends with the UDP datagram (checked against tot by the datapath)
            return new Outer(u16(f, 14 + ihl + 12) << 8 | (f[14 + ihl + 14] & 0xff), outer, Math.min(ulen, tot - ihl) - 16,
                    u16(f, 14 + ihl + 2));
        }

        /** The inner frame as decapsulation must deliver it: RFC 6040 applied to an IPv4 or IPv6 inner packet. */
        byte[] expectedInner(byte[] f) {
            byte[] in = inner(f);
            int outer = f[15] & 3;
            if (in.length >= 34 && u16(in, 12) == 0x0800) {
                int ecn = ecnDecap(outer, in[15] & 3);
                if (ecn >= 0 && ecn != (in[15] & 3)) {
                    int old = u16(in, 14);
                    in[15] = (byte) ((in[15] & ~3) | ecn);
                    int sum = (~u16(in, 24) & 0xffff) + (~old & 0xffff) + u16(in, 14);
                    while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
                    sum = ~sum & 0xffff;
                    in[24] = (byte) (sum >> 8);
                    in[25] = (byte) sum;
                }
            } else if (in.length >= 18 && u16(in, 12) == 0x86DD) {
                int ecn = ecnDecap(outer, in[15] >> 4 & 3);
                if (ecn >= 0) in[15] = (byte) ((in[15] & ~0x30) | ecn << 4);
            }
            return in;
        }

        /** RFC 6040 section 4.2: -1 means drop. */
        static int ecnDecap(int outer, int inner) {
            if (outer == 3) return inner == 0 ? -1 : 3;
            if (outer == 1 && inner == 2) return 1;
            return inner;
        }

        boolean headerChecksumOk(byte[] f) {
            long sum = 0;
            for (int i = 14; i < outerLen - 16; i += 2) sum += u16(f, i);
            while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
            return sum == 0xffff;
        }

        byte[] inner(byte[] f) {
            return Arrays.copyOfRange(f, outerLen, Math.max(outerLen, Math.min(f.length, outerLen + innerLen)));
        }

        /** What the datapath sends: 20-byte header, valid checksum, our address, the VNI's port, I flag only. */
        boolean wellFormedEncap(byte[] f, int vni) {
            return outerLen == 50 && this.vni == vni && (f[14] & 0xff) == 0x45 && u16(f, 24) == ipChecksum(f, 14)
                    && Arrays.equals(Arrays.copyOfRange(f, 26, 30), ip(LOCAL_IP)) && dport == DSTPORT.get(vni)
                    && u16(f, 16) == f.length - 14 && u16(f, 38) == f.length - 34 && u16(f, 42) == 0x0800
                    && u16(f, 44) == 0 && (f[49] & 0xff) == 0;
        }

        static int u16(byte[] f, int off) {
            return (f[off] & 0xff) << 8 | (f[off + 1] & 0xff);
        }
    }
}
