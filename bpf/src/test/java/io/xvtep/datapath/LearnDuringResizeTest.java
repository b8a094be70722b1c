package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathPacketTest.ARP_FROM_R1;
import static io.xvtep.datapath.DatapathPacketTest.C1;
import static io.xvtep.datapath.DatapathPacketTest.L;
import static io.xvtep.datapath.DatapathPacketTest.PING_C1_TO_R1;
import static io.xvtep.datapath.DatapathPacketTest.R1;
import static io.xvtep.datapath.DatapathPacketTest.R2;
import static io.xvtep.datapath.DatapathPacketTest.V2;
import static io.xvtep.datapath.DatapathPacketTest.V3;
import static io.xvtep.testkit.Frames.arpRequest;
import static io.xvtep.datapath.DatapathPacketTest.fromVtep;
import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.model.IpAddress;
import io.xvtep.model.Mac;

import java.nio.file.Files;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * A capacity change while the previous programs still run: between the copy into the new maps and the
 * re-attachment of every program, the old programs learn, move and count into the old maps. Those are
 * carried over by {@link Datapath#finishResize} (without it they were lost): the old programs here are the
 * harness's, run with BPF_PROG_TEST_RUN after {@link Datapath#open} has copied their maps.
 */
class LearnDuringResizeTest {

    static final Capacities OTHER = new Capacities(200_000, 4_096, 256, 128);
    static final String IP_R2 = "10.20.1.99";

    @Test
    void learnsOfTheOldProgramsDuringTheMigrationAreKept() throws Exception {
        try (Harness h = Harness.start()) {
            h.vni(42, L, 4789).port("p1", 42, 0).fdbRemote(42, R1, V2, 0);
            h.run("tc_underlay_ingress", fromVtep(V2, 4789, 42, arpRequest(R2, IP_R2, "10.20.1.11")), "u0");
            try (Datapath dp = h.ns.call(() -> Datapath.open(h.pinRoot(), OTHER))) {
                assertThat(dp.map(MapNames.FDB).maxEntries()).isEqualTo(OTHER.fdb());
                // the window: the old programs learn C1 behind p1 and see R1 move to V3
                assertThat(h.run("tc_port_ingress", PING_C1_TO_R1, "p1").retval()).isEqualTo(Harness.TC_ACT_REDIRECT);
                h.run("tc_underlay_ingress", fromVtep(V3, 4789, 42, ARP_FROM_R1), "u0");
                // and R2 moves to V3 in the old maps, but the new ones hold a newer learn of it (behind V2 again)
                h.run("tc_underlay_ingress", fromVtep(V3, 4789, 42, arpRequest(R2, IP_R2, "10.20.1.11")), "u0");
                dp.fdb().put(key(R2), new FdbValue(IpAddress.parse(V2), 0, 0, System.nanoTime()));

                assertThat(dp.fdb().get(key(C1))).as("not in the new maps before the catch-up").isEmpty();
                assertThat(dp.fdb().get(key(R1)).orElseThrow().remote()).isEqualTo(IpAddress.parse(V2));
                long learned = dp.stats().get(42).orElseThrow().get("learned");

                Map<String, Integer> carried = dp.finishResize();
                System.out.println("carried over after the re-attachment: " + carried);
                assertThat(carried).containsEntry(MapNames.FDB, 2);
                assertThat(dp.fdb().get(key(C1)).orElseThrow().ifindex()).isEqualTo(h.ifindex.get("p1"));
                assertThat(dp.fdb().get(key(R1)).orElseThrow().remote()).as("the move").isEqualTo(IpAddress.parse(V3));
                assertThat(dp.fdb().get(key(R2)).orElseThrow().remote()).as("the newer learn wins").isEqualTo(IpAddress.parse(V2));
                assertThat(dp.stats().get(42).orElseThrow().get("learned")).as("the window's learn counted")
                        .isEqualTo(learned + 1);
                assertThat(dp.stats().get(42).orElseThrow().get("moved")).isEqualTo(2);
                assertThat(dp.finishResize()).as("once").isEmpty();
                try (var pins = Files.list(h.pinRoot())) {
                    assertThat(pins.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(PinnedResize.SUFFIX));
                }
            }
        }
    }

    private static FdbKey key(String mac) {
        return new FdbKey(42, Mac.parse(mac));
    }
}
