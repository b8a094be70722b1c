package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathPacketTest.*;

import io.xvtep.libbpf.BpfObject;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Benchmark, not a test: ns per packet of each datapath program under
 * BPF_PROG_TEST_RUN with repeat, next to an empty XDP program on the same frame.
 * Run with `test-vm/bench datapath` (or mvn -pl bpf exec:java, see test-vm/bench); -Dbench.only=encap,decap (Java
 * option, JAVA_TOOL_OPTIONS) runs only the rows whose names contain one of the parts.
 */
public final class DatapathBench {
    static final int ITERATIONS = Integer.getInteger("bench.iterations", 20_000);
    static final int ROUNDS = Integer.getInteger("bench.rounds", 5);

    record Row(String name, String program, String ingress, byte[] frame, Consumer<Harness> setup) {}

    public static void main(String[] args) throws Exception {
        String profile = System.getProperty("bench.decapProfile");
        if (profile != null) {
            DecapProfile.run(Path.of(profile));
            return;
        }
        byte[] decapFrame = fromVtep(V2, 4789, 42, PING_R1_TO_C1);
        byte[] decap6Frame = Ipv6UnderlayPacketTest.from6(Ipv6UnderlayPacketTest.W2, PING_R1_TO_C1);
        byte[] decap6Zero = Ipv6UnderlayPacketTest.from6(Ipv6UnderlayPacketTest.W2, 42, 0, false, PING_R1_TO_C1);
        int v6 = VniCfg.F_IPV6, zeroRx = VniCfg.F_UDP_ZERO_CSUM6_RX, zeroTx = VniCfg.F_UDP_ZERO_CSUM6_TX;
        Row[] rows = {
            new Row("decap (XDP, unicast to port)", "xdp_underlay", "u0", decapFrame,
                    h -> h.vni(42, L, 4789).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0)),
            new Row("decap (TC, unicast to port)", "tc_underlay_ingress", "u0", decapFrame,
                    h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0)),
            new Row("decap IPv6 (XDP, csum checked)", "xdp_underlay", "u0", decap6Frame,
                    h -> h.vni(42, L | v6, 4789).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0)),
            new Row("decap IPv6 (XDP, zero csum)", "xdp_underlay", "u0", decap6Zero,
                    h -> h.vni(42, L | v6 | zeroRx, 4789).port("p1", 42, PortCfg.F_XDP).fdbPort(42, C1, "p1", 0)),
            new Row("decap IPv6 (TC, csum checked)", "tc_underlay_ingress", "u0", decap6Frame,
                    h -> h.vni(42, L | v6, 4789).port("p1", 42, 0).fdbPort(42, C1, "p1", 0)),
            new Row("encap (TC, unicast to VTEP)", "tc_port_ingress", "p1", PING_C1_TO_R1,
                    h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0)),
            new Row("encap (XDP xdp_port, to VTEP)", "xdp_port", "p1", PING_C1_TO_R1,
                    h -> h.vni(42, L, 4789).port("p1", 42, PortCfg.F_XDP_ENCAP).fdbRemote(42, R1, V2, 0)),
            new Row("encap IPv6 (TC, csum computed)", "tc_port_ingress", "p1", PING_C1_TO_R1,
                    h -> h.vni(42, L | v6, 4789).port("p1", 42, 0).fdbRemote(42, R1, Ipv6UnderlayPacketTest.W2, 0)),
            new Row("encap IPv6 (TC, udp6zerocsumtx)", "tc_port_ingress", "p1", PING_C1_TO_R1,
                    h -> h.vni(42, L | v6 | zeroTx, 4789).port("p1", 42, 0)
                            .fdbRemote(42, R1, Ipv6UnderlayPacketTest.W2, 0)),
            new Row("flood to 1 VTEP (TC)", "tc_port_ingress", "p1", ARP_FROM_C1,
                    h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2)),
            new Row("flood to 2 VTEPs (TC)", "tc_port_ingress", "p1", ARP_FROM_C1,
                    h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2).flood(42, V3)),
            new Row("flood to 4 VTEPs (TC)", "tc_port_ingress", "p1", ARP_FROM_C1,
                    h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2).flood(42, V3)
                            .flood(42, "198.18.0.4").flood(42, "198.18.0.5")),
            new Row("flood to 4 IPv6 VTEPs (TC)", "tc_port_ingress", "p1", ARP_FROM_C1,
                    h -> h.vni(42, L | v6, 4789).port("p1", 42, 0).flood(42, "2001:db8::2").flood(42, "2001:db8::3")
                            .flood(42, "2001:db8::4").flood(42, "2001:db8::5")),
            new Row("ARP proxy (TC)", "tc_port_ingress", "p1", ARP_FROM_C1,
                    h -> h.vni(42, L | PROXY, 4789).port("p1", 42, 0).neigh(42, IP_R1, R1)),
        };
        System.out.printf("BPF_PROG_TEST_RUN: mean kernel-measured time of %d single runs, best of %d rounds%n",
                ITERATIONS, ROUNDS);
        System.out.printf("| %-32s | %10s | %12s |%n", "program", "ns/packet", "vs empty XDP");
        System.out.printf("|%s|%s|%s|%n", "-".repeat(34), "-".repeat(12), "-".repeat(14));
        double ceiling = emptyNs("xdp_empty", decapFrame);
        System.out.printf("| %-32s | %10.1f | %12s |%n", "empty XDP program (ceiling)", ceiling, "1.00x");
        String only = System.getProperty("bench.only"); // comma-separated name parts: run only those rows
        for (Row r : rows) {
            if (only != null && java.util.Arrays.stream(only.split(",")).noneMatch(r.name()::contains)) {
                continue;
            }
            try (Harness h = Harness.start()) {
                r.setup().accept(h);
                double ns = best(() -> h.meanNs(r.program(), r.frame(), r.ingress(), ITERATIONS));
                System.out.printf("| %-32s | %10.1f | %11.2fx |%n", r.name(), ns, ns / ceiling);
            }
        }
        if (only == null || only.contains("floor")) {
            floorRows(decapFrame, PING_C1_TO_R1, ceiling);
        }
    }

    /**
     * The floor rows (src/test/bpf/floor.bpf.c): a VTEP's unavoidable lookups and helpers and nothing else,
     * timed like the rows above, so a per-frame target can be set against what this kernel allows.
     */
    static void floorRows(byte[] decapFrame, byte[] encapFrame, double ceiling) throws Exception {
        String[][] rows = {
            {"floor: one hash lookup (XDP)", "xdp_floor_lookup", "d"},
            {"floor: minimal decap (XDP)", "xdp_floor_decap", "d"},
            {"floor: minimal decap (TC)", "tc_floor_decap", "d"},
            {"floor: minimal encap (TC)", "tc_floor_encap", "e"},
        };
        try (Harness h = Harness.start()) {
            h.ns.call(() -> {
                try (Floor f = Floor.load()) {
                    for (String[] r : rows) {
                        var prog = f.program(r[1]);
                        byte[] frame = r[2].equals("d") ? decapFrame : encapFrame, ctx = Floor.ctx(r[1]);
                        double ns = best(() -> {
                            long total = 0;
                            for (int i = 0; i < ITERATIONS; i++) total += prog.testRunCtx(frame, ctx, 1).durationNs();
                            return (double) total / ITERATIONS;
                        });
                        System.out.printf("| %-32s | %10.1f | %11.2fx |%n", r[0], ns, ns / ceiling);
                    }
                }
                return null;
            });
        }
    }

    /** ns/packet of the empty XDP program on `frame`: the ceiling every row is compared with. */
    static double emptyNs(byte[] frame) throws Exception {
        return emptyNs("xdp_empty", frame);
    }

    /** Mean ns of the empty XDP (`xdp_empty`) or TC (`tc_empty`) program on `frame`: the test run's own cost. */
    static double emptyNs(String program, byte[] frame) throws Exception {
        try (Harness h = Harness.start()) {
            return h.ns.call(() -> {
                var url = DatapathBench.class.getResource("/bpf/empty.bpf.o");
                try (BpfObject empty = BpfObject.open(Path.of(url.toURI()), null)) {
                    empty.load();
                    var prog = empty.program(program);
                    byte[] ctx = program.startsWith("tc") ? new byte[192] : null;
                    return best(() -> {
                        long total = 0;
                        for (int i = 0; i < ITERATIONS; i++) total += prog.testRunCtx(frame, ctx, 1).durationNs();
                        return (double) total / ITERATIONS;
                    });
                }
            });
        }
    }

    interface Run {
        double run() throws Exception;
    }

    /** Best of ROUNDS: the least disturbed by the rest of the machine. */
    static double best(Run run) throws Exception {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < ROUNDS; i++) best = Math.min(best, run.run());
        return best;
    }
}
