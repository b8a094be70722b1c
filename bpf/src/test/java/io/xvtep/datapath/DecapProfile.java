package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathBench.ITERATIONS;
import static io.xvtep.datapath.DatapathBench.ROUNDS;
import static io.xvtep.datapath.DatapathPacketTest.*;

import io.xvtep.libbpf.BpfObject;
import io.xvtep.libbpf.BpfProgram;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Benchmark, not a test: where decapsulation's nanoseconds go. The IPv4 unicast-to-port frame of
 * DatapathBench through builds of the underlay object that each leave one piece out (bpf/Makefile
 * bench-variants, XVTEP_BENCH_* in xvtep_underlay.bpf.c), XDP and TC, next to the shipped object:
 * the difference is that piece's cost. Run with `test-vm/bench datapath --decap-profile`
 * (`-Dbench.decapBaseline=OBJ` adds a row for another build, e.g. main's, measured alongside).
 *
 * A piece costs tens of ns while a busy 2-CPU machine moves a mean by a hundred: so every variant is
 * loaded at once and measured in interleaved rounds, and each figure is the median of single runs
 * (best round), which a preempted or interrupted run does not move.
 */
final class DecapProfile {
    record Variant(String piece, Path object, boolean learning) {}

    private DecapProfile() {}

    static List<Variant> variants(Path dir) {
        List<Variant> v = new ArrayList<>();
        v.add(new Variant("(nothing: as built)", null, true));
        String base = System.getProperty("bench.decapBaseline");
        if (base != null) v.add(new Variant("(another build: " + Path.of(base).getFileName() + ")", Path.of(base), true));
        v.add(new Variant("learning (FDB lookup of the source MAC)", null, false));
        v.add(new Variant("validation (hostile-input checks)", dir.resolve("xvtep_underlay.no_validation.bpf.o"), true));
        v.add(new Variant("per-CPU stats (lookup, counters)", dir.resolve("xvtep_underlay.no_stats.bpf.o"), true));
        v.add(new Variant("ageing check of the destination", dir.resolve("xvtep_underlay.no_ageing.bpf.o"), true));
        v.add(new Variant("port lookup (VNI, XDP flag)", dir.resolve("xvtep_underlay.no_port.bpf.o"), true));
        v.add(new Variant("strip (adjust_head / adjust_room)", dir.resolve("xvtep_underlay.no_strip.bpf.o"), true));
        v.add(new Variant("all after the parse (parse only)", dir.resolve("xvtep_underlay.parse_only.bpf.o"), true));
        v.add(new Variant("+ bpf_ktime_get_ns as FDB clock", dir.resolve("xvtep_underlay.precise_clock.bpf.o"), true));
        return v;
    }

    static void run(Path dir) throws Exception {
        byte[] frame = fromVtep(V2, 4789, 42, PING_R1_TO_C1);
        List<Variant> vs = variants(dir);
        List<Harness> hs = new ArrayList<>();
        double[][] best = new double[vs.size()][2];
        double[] empty = {Double.MAX_VALUE, Double.MAX_VALUE};
        double[] floorNs = {Double.MAX_VALUE, Double.MAX_VALUE}; // floor.bpf.c: VNI + FDB lookup, strip, redirect
        for (double[] b : best) Arrays.fill(b, Double.MAX_VALUE);
        try {
            for (Variant v : vs) {
                if (v.object() != null && !Files.isRegularFile(v.object())) throw new IllegalStateException("missing " + v.object());
                // a baseline build brings its own port object when it has one (xvtep_port.bpf.o next to it): an older
                // build may define the shared maps with another layout
                Path port = v.object() == null ? null : v.object().resolveSibling("xvtep_port.bpf.o");
                Harness h = v.object() == null ? Harness.start()
                        : Files.isRegularFile(port) ? Harness.withObjects(port, v.object()) : Harness.withUnderlay(v.object());
                hs.add(h);
                h.vni(42, v.learning() ? L : 0, 4789).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0);
            }
            BpfObject emptyObj = hs.get(0).ns.call(() -> {
                BpfObject o = BpfObject.open(Path.of(DecapProfile.class.getResource("/bpf/empty.bpf.o").toURI()), null);
                o.load();
                return o;
            });
            Floor floor = hs.get(0).ns.call(Floor::load);
            try (emptyObj; floor) {
                for (int r = 0; r < ROUNDS; r++) {
                    empty[0] = Math.min(empty[0], median(emptyObj.program("xdp_empty"), frame, null));
                    empty[1] = Math.min(empty[1], median(emptyObj.program("tc_empty"), frame, new byte[192]));
                    floorNs[0] = Math.min(floorNs[0], median(floor.program("xdp_floor_decap"), frame, null));
                    floorNs[1] = Math.min(floorNs[1], median(floor.program("tc_floor_decap"), frame, new byte[192]));
                    for (int i = 0; i < vs.size(); i++) {
                        Harness h = hs.get(i);
                        best[i][0] = Math.min(best[i][0], median(h.durationsNs("xdp_underlay", frame, "u0", ITERATIONS)));
                        best[i][1] = Math.min(best[i][1], median(h.durationsNs("tc_underlay_ingress", frame, "u0", ITERATIONS)));
                    }
                }
            }
        } finally {
            for (Harness h : hs) h.close();
        }
        System.out.printf("Decap profile: BPF_PROG_TEST_RUN, IPv4 unicast to a port, median of %d single runs, best of %d"
                + " interleaved rounds%n", ITERATIONS, ROUNDS);
        System.out.printf("| %-40s | %7s | %7s | %7s | %7s |%n", "left out", "XDP ns", "saves", "TC ns", "saves");
        System.out.printf("|%s|%s|%s|%s|%s|%n", "-".repeat(42), "-".repeat(8) + ":", "-".repeat(8) + ":",
                "-".repeat(8) + ":", "-".repeat(8) + ":");
        for (int i = 0; i < vs.size(); i++) {
            String xs = i == 0 ? "" : String.format("%.0f", best[0][0] - best[i][0]);
            String ts = i == 0 ? "" : String.format("%.0f", best[0][1] - best[i][1]);
            System.out.printf("| %-40s | %7.0f | %7s | %7.0f | %7s |%n", vs.get(i).piece(), best[i][0], xs, best[i][1], ts);
        }
        System.out.printf("| %-40s | %7.0f | %7.0f | %7.0f | %7.0f |%n", "everything (empty program)", empty[0],
                best[0][0] - empty[0], empty[1], best[0][1] - empty[1]);
        System.out.printf("| %-40s | %7.0f | %7.0f | %7.0f | %7.0f |%n", "floor (VNI + FDB lookup, strip, redirect)",
                floorNs[0], best[0][0] - floorNs[0], floorNs[1], best[0][1] - floorNs[1]);
        System.out.printf("as built vs empty: XDP %.2fx, TC %.2fx the empty XDP program; floor: XDP %.2fx, TC %.2fx%n",
                best[0][0] / empty[0], best[0][1] / empty[0], floorNs[0] / empty[0], floorNs[1] / empty[0]);
    }

    private static double median(BpfProgram prog, byte[] frame, byte[] ctx) {
        long[] ns = new long[ITERATIONS];
        for (int i = 0; i < ITERATIONS; i++) ns[i] = prog.testRunCtx(frame, ctx, 1).durationNs();
        return median(ns);
    }

    static double median(long[] ns) {
        long[] s = ns.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
