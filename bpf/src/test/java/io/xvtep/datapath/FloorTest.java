package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathPacketTest.*;
import static io.xvtep.datapath.Harness.*;
import static io.xvtep.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.xvtep.libbpf.TestRunResult;
import org.junit.jupiter.api.Test;

/**
 * The floor programs of the datapath benchmark (src/test/bpf/floor.bpf.c) do the work they are timed for:
 * a floor that returned early would make every target look reachable. Byte for byte, like the packet cases.
 */
class FloorTest {

    private static TestRunResult run(String program, byte[] frame) throws Exception {
        try (Harness h = Harness.start()) {
            return h.ns.call(() -> {
                try (Floor f = Floor.load()) {
                    return f.program(program).testRunCtx(frame, Floor.ctx(program), 1);
                }
            });
        }
    }

    @Test
    void xdpDecapFloorStripsTheOuterHeadersAndRedirects() throws Exception {
        TestRunResult r = run("xdp_floor_decap", fromVtep(V2, 4789, 42, PING_R1_TO_C1));
        assertThat(r.retval()).isEqualTo(XDP_REDIRECT);
        assertThat(hex(r.dataOut())).isEqualTo(hex(PING_R1_TO_C1));
    }

    @Test
    void tcDecapFloorStripsTheOuterHeadersAndRedirects() throws Exception {
        TestRunResult r = run("tc_floor_decap", fromVtep(V2, 4789, 42, PING_R1_TO_C1));
        assertThat(r.retval()).isEqualTo(TC_ACT_REDIRECT);
        assertThat(hex(r.dataOut())).isEqualTo(hex(PING_R1_TO_C1));
    }

    @Test
    void tcEncapFloorWritesTheWholeOuterFrameAndRedirects() throws Exception {
        TestRunResult r = run("tc_floor_encap", PING_C1_TO_R1);
        assertThat(r.retval()).isEqualTo(TC_ACT_REDIRECT);
        // skb->hash is 0 under BPF_PROG_TEST_RUN: source port 49152
        assertThat(hex(r.dataOut()))
                .isEqualTo(hex(vxlanFrame(remoteMac(V2), UNDERLAY_MAC, LOCAL_IP, V2, 49152, 4789, 42, PING_C1_TO_R1)));
    }

    @Test
    void lookupFloorFindsTheVni() throws Exception {
        assertThat(run("xdp_floor_lookup", fromVtep(V2, 4789, 42, PING_R1_TO_C1)).retval()).isEqualTo(XDP_PASS);
        assertThat(run("xdp_floor_lookup", fromVtep(V2, 4789, 43, PING_R1_TO_C1)).retval()).isEqualTo(XDP_DROP);
    }
}
