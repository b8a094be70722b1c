package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathPacketTest.*;
import static io.xvtep.datapath.Harness.*;
import static io.xvtep.testkit.Frames.*;

import io.xvtep.libbpf.BpfProgram;
import io.xvtep.libbpf.UpdateFlag;
import io.xvtep.model.IpAddress;
import io.xvtep.model.Ipv4;
import io.xvtep.model.Mac;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Benchmark, not a test: how the datapath's per-frame cost grows with its tables (`test-vm/bench scale`).
 *
 * - encap/decap ns per frame with 1k, 100k and 1M FDB entries. The frames go to 512 different MACs
 *   drawn from the whole FDB (seeded), round-robin, so lookups touch the table as traffic to many
 *   hosts would, not one hot bucket. Expected shape: flat (a hash lookup), the 1M run paying some
 *   cache misses; target encap(1M) within 1.5x of encap(1k).
 * - flood ns per frame for 1, 64, 256 and 1,024 flood destinations (one ARP broadcast from a port;
 *   copies consumed at the underlay's TC egress, the cost of a fast NIC's queue not included).
 *   Expected shape: linear in the destinations (one clone + FIB lookup each).
 *
 * Prints markdown rows; best of ROUNDS runs of ITERATIONS frames, as DatapathBench.
 */
public final class ScaleBench {
    static final int ITERATIONS = Integer.getInteger("bench.iterations", 5_000);
    static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    static final int DISTINCT = 512;
    static final int[] FDB_SIZES = {1_000, 100_000, 1_000_000};
    static final int[] FLOOD_SIZES = {1, 64, 256, 1024};

    static Mac mac(int i) {
        return Mac.parse(String.format("02:%02x:%02x:%02x:%02x:01", (i >> 24) & 0xff, (i >> 16) & 0xff, (i >> 8) & 0xff,
                i & 0xff));
    }

    /** n FDB entries of VNI 42, each behind VTEP V2 (remote) or port p1 (local). */
    static void fillFdb(Harness h, int n, boolean remote) {
        h.inside(() -> {
            List<byte[]> keys = new ArrayList<>(), values = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                keys.add(new FdbKey(42, mac(i)).encode());
                values.add((remote ? new FdbValue(IpAddress.parse(V2), 0, FdbValue.F_STATIC, 1)
                        : new FdbValue(null, h.ifindex.get("p1"), FdbValue.F_STATIC, 1)).encode());
                if (keys.size() == 65536 || i == n - 1) {
                    h.map("xvtep_fdb").updateBatch(keys, values, UpdateFlag.ANY);
                    keys.clear();
                    values.clear();
                }
            }
            return null;
        });
    }

    /** Mean kernel ns per frame over `frames` round-robin, best of ROUNDS. */
    static double meanNs(Harness h, String program, List<byte[]> frames, String ingress) {
        return h.inside(() -> {
            BpfProgram prog = h.program(program);
            byte[] ctx = new byte[192];
            ByteBuffer.wrap(ctx).order(ByteOrder.LITTLE_ENDIAN).putInt(40, h.ifindex.get(ingress));
            double best = Double.MAX_VALUE;
            for (int r = 0; r < ROUNDS; r++) {
                long total = 0;
                for (int i = 0; i < ITERATIONS; i++) {
                    byte[] f = frames.get(i % frames.size());
                    total += (program.startsWith("xdp") ? prog.testRun(f, 1) : prog.testRunCtx(f, ctx, 1)).durationNs();
                }
                best = Math.min(best, (double) total / ITERATIONS);
            }
            return best;
        });
    }

    static List<Integer> picks(int n) {
        Random rnd = new Random(14);
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < DISTINCT; i++) {
            l.add(rnd.nextInt(n));
        }
        return l;
    }

    public static void main(String[] args) {
        System.out.printf("ScaleBench: BPF_PROG_TEST_RUN, mean kernel ns of %d frames (%d distinct), best of %d rounds%n",
                ITERATIONS, DISTINCT, ROUNDS);
        System.out.println("| FDB entries | encap TC ns/frame | decap TC ns/frame | decap XDP ns/frame |");
        System.out.println("|---:|---:|---:|---:|");
        for (int n : FDB_SIZES) {
            double encap, decapTc, decapXdp;
            try (Harness h = Harness.start()) {
                h.vni(42, L, 4789).port("p1", 42, 0);
                fillFdb(h, n, true);
                List<byte[]> frames = new ArrayList<>();
                for (int i : picks(n)) {
                    frames.add(ping(mac(i).toString(), C1, IP_C1, IP_R1, 0, 56));
                }
                encap = meanNs(h, "tc_port_ingress", frames, "p1");
            }
            try (Harness h = Harness.start()) {
                h.vni(42, L, 4789).port("p1", 42, PortCfg.F_XDP);
                fillFdb(h, n, false);
                List<byte[]> frames = new ArrayList<>();
                for (int i : picks(n)) {
                    frames.add(fromVtep(V2, 4789, 42, ping(mac(i).toString(), R1, IP_R1, IP_C1, 0, 56)));
                }
                decapTc = meanNs(h, "tc_underlay_ingress", frames, "u0");
                decapXdp = meanNs(h, "xdp_underlay", frames, "u0");
            }
            System.out.printf("| %,d | %.1f | %.1f | %.1f |%n", n, encap, decapTc, decapXdp);
        }
        System.out.println();
        System.out.println("| flood destinations | flood ns/frame | ns per copy |");
        System.out.println("|---:|---:|---:|");
        for (int n : FLOOD_SIZES) {
            try (Harness h = Harness.start()) {
                h.ns.ip("route", "add", "198.18.16.0/22", "via", V2, "dev", "u0");
                h.sinkEgress("u0");
                h.vni(42, L, 4789).port("p1", 42, 0);
                for (int i = 0; i < n; i++) {
                    h.flood(42, FloodScaleTest.vtep(i));
                }
                double ns = meanNs(h, "tc_port_ingress", List.of(ARP_FROM_C1), "p1");
                System.out.printf("| %,d | %.1f | %.1f |%n", n, ns, ns / n);
            }
        }
    }
}
