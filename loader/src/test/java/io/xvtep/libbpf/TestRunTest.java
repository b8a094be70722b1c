package io.xvtep.libbpf;

import static io.xvtep.libbpf.TestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import io.xvtep.testkit.Netns;

class TestRunTest extends LoadedObjectTest {
    static final int XDP_ABORTED = 0, XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3;

    @Test
    void xdpRewriteReturnsTxAndExactBytes() {
        byte[] in = packet(64);
        TestRunResult r = obj.program("xdp_rewrite").testRun(in, 1);
        assertThat(r.retval()).isEqualTo(XDP_TX);
        byte[] expected = in.clone();
        expected[0] = (byte) 0xAA;
        assertThat(r.dataOut()).hasSize(64).isEqualTo(expected);
        assertThat(r.durationNs()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void repeatRunsTheProgramNTimes() {
        BpfMap percpu = obj.map("test_percpu");
        TestRunResult r = obj.program("xdp_rewrite").testRun(packet(64), 100);
        assertThat(r.retval()).isEqualTo(XDP_TX);
        long total = percpu.lookupPerCpu(u32(0)).stream().mapToLong(v -> readU64(v, 0)).sum();
        assertThat(total).isEqualTo(100);
    }

    @Test
    void grownFrameComesBackWhole() {
        byte[] in = packet(100);
        TestRunResult r = obj.program("xdp_grow").testRun(in, 1);
        assertThat(r.retval()).isEqualTo(XDP_TX);
        assertThat(r.dataOut()).hasSize(150);
        byte[] head = new byte[50];
        Arrays.fill(head, (byte) 0x50);
        assertThat(Arrays.copyOfRange(r.dataOut(), 0, 50)).isEqualTo(head);
        assertThat(Arrays.copyOfRange(r.dataOut(), 50, 150)).isEqualTo(in);
    }

    @Test
    void largeFrameGrowsBeyondInputSize() {
        byte[] in = packet(1500);
        TestRunResult r = obj.program("xdp_grow").testRun(in, 1);
        assertThat(r.dataOut()).hasSize(1550);
        assertThat(Arrays.copyOfRange(r.dataOut(), 50, 1550)).isEqualTo(in);
    }

    @Test
    void programSeesMapContents() {
        BpfMap hash = obj.map("test_hash");
        hash.update(u32(77), u64(0x1122334455667788L), UpdateFlag.ANY);
        byte[] in = packet(64);
        System.arraycopy(u32(77), 0, in, 0, 4);
        TestRunResult r = obj.program("xdp_lookup").testRun(in, 1);
        assertThat(r.retval()).isEqualTo(XDP_PASS);
        assertThat(readU64(r.dataOut(), 4)).isEqualTo(0x1122334455667788L);

        System.arraycopy(u32(78), 0, in, 0, 4);
        assertThat(obj.program("xdp_lookup").testRun(in, 1).retval()).isEqualTo(XDP_DROP);
    }

    @Test
    void minimumFrame() {
        // the smallest frame the kernel accepts (ETH_HLEN); its first 4 bytes are a key that is not in the map
        TestRunResult r = obj.program("xdp_lookup").testRun(packet(14), 1);
        assertThat(r.retval()).isEqualTo(XDP_DROP);
        assertThat(r.dataOut()).isEqualTo(packet(14));
    }

    @Test
    void xdpContextGivesIngressIfindex() throws Exception {
        try (Netns ns = Netns.create("xvtep-t")) {
            ns.veth("va", "vb");
            int[] seen = new int[2];
            try (RingBuffer rb = new RingBuffer(obj.map("events"), buf -> seen[0] = buf.getInt(0))) {
                ns.run(() -> {
                    int ifindex = Net.ifindex("va");
                    seen[1] = ifindex;
                    byte[] pkt = packet(64);
                    TestRunResult r = obj.program("xdp_rewrite")
                            .testRunCtx(pkt, BpfProgram.xdpContext(ifindex, 0, pkt.length), 1);
                    assertThat(r.retval()).isEqualTo(XDP_TX);
                    assertThat(r.dataOut()[0]).isEqualTo((byte) 0xAA);
                });
                assertThat(rb.consume()).isEqualTo(1);
            }
            assertThat(seen[1]).isGreaterThan(1);
            assertThat(seen[0]).isEqualTo(seen[1]);
        }
    }

    @Test
    void skbContextGivesIfindex() throws Exception {
        BpfMap seen = obj.map("tc_seen");
        try (Netns ns = Netns.create("xvtep-t")) {
            ns.veth("va", "vb");
            int ifindex = ns.call(() -> {
                int idx = Net.ifindex("vb");
                TestRunResult r = obj.program("tc_record")
                        .testRunCtx(packet(64), BpfProgram.skbContext(idx), 1);
                assertThat(r.retval()).isEqualTo(0); // TC_ACT_OK
                assertThat(r.dataOut()).isEqualTo(packet(64));
                return idx;
            });
            assertThat(readU32(seen.lookup(u32(0)).orElseThrow(), 0)).isEqualTo(ifindex);
        }
    }
}
