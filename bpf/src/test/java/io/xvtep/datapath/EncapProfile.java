package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathPacketTest.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Benchmark, not a test: where the encapsulation's nanoseconds go. Times each variant of the port
 * object that `test-vm/bench profile` built (bpf/include/prof.h: stop at a point, or leave a piece
 * out) on the encap rows of {@link DatapathBench}; a piece's cost is the difference of two variants.
 * Arguments: the variants' directory (NAME.o each, run in name order as listed in `order.txt` if present).
 */
public final class EncapProfile {
    record Row(String name, byte[] frame, Consumer<Harness> setup) {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        List<String> variants;
        Path order = dir.resolve("order.txt");
        if (Files.exists(order)) {
            variants = Files.readAllLines(order).stream().filter(l -> !l.isBlank()).toList();
        } else {
            try (Stream<Path> s = Files.list(dir)) {
                variants = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".o"))
                        .map(n -> n.substring(0, n.length() - 2)).sorted().toList();
            }
        }
        int v6 = VniCfg.F_IPV6, zeroTx = VniCfg.F_UDP_ZERO_CSUM6_TX;
        List<Row> rows = List.of(
                new Row("encap v4", PING_C1_TO_R1,
                        h -> h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0)),
                new Row("encap v6 csum", PING_C1_TO_R1,
                        h -> h.vni(42, L | v6, 4789).port("p1", 42, 0).fdbRemote(42, R1, Ipv6UnderlayPacketTest.W2, 0)),
                new Row("encap v6 zero", PING_C1_TO_R1,
                        h -> h.vni(42, L | v6 | zeroTx, 4789).port("p1", 42, 0)
                                .fdbRemote(42, R1, Ipv6UnderlayPacketTest.W2, 0)),
                new Row("flood 1", ARP_FROM_C1, h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2)),
                new Row("flood 2", ARP_FROM_C1, h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2).flood(42, V3)),
                new Row("flood 4", ARP_FROM_C1, h -> h.vni(42, L, 4789).port("p1", 42, 0).flood(42, V2).flood(42, V3)
                        .flood(42, "198.18.0.4").flood(42, "198.18.0.5")));
        System.out.printf("empty XDP program: %.1f ns/packet%n", DatapathBench.emptyNs(fromVtep(V2, 4789, 42, PING_R1_TO_C1)));
        List<Row> only = System.getProperty("profile.rows") == null ? rows : rows.stream()
                .filter(r -> System.getProperty("profile.rows").contains(r.name())).toList();
        rows = only;
        StringBuilder head = new StringBuilder(String.format("| %-22s |", "variant"));
        for (Row r : rows) head.append(String.format(" %13s |", r.name()));
        System.out.println(head);
        for (String v : variants) {
            StringBuilder line = new StringBuilder(String.format("| %-22s |", v));
            for (Row r : rows) {
                try (Harness h = Harness.start(dir.resolve(v + ".o"))) {
                    r.setup().accept(h);
                    double ns = DatapathBench.best(() -> h.meanNs("tc_port_ingress", r.frame(), "p1",
                            DatapathBench.ITERATIONS));
                    line.append(String.format(" %13.1f |", ns));
                }
            }
            System.out.println(line);
        }
    }
}
