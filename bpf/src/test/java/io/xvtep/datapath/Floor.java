package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathPacketTest.*;
import static io.xvtep.datapath.Harness.*;
import static io.xvtep.testkit.Frames.*;

import io.xvtep.libbpf.BpfObject;
import io.xvtep.libbpf.BpfProgram;
import io.xvtep.libbpf.UpdateFlag;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The floor programs of src/test/bpf/floor.bpf.c loaded with the entries the bench frames need: what
 * any VTEP must do per frame on this kernel (issue 15), timed next to the real programs. Decap takes
 * DatapathBench's IPv4 frame to C1 (VNI 42), encap its ping from C1 to R1 behind VTEP V2. TC programs run
 * with a zeroed context: the skb's device is the namespace's loopback (ifindex 1), the port the encap
 * floor finds.
 */
final class Floor implements AutoCloseable {
    static final int VNI = 42, PORT_IFINDEX = 1, TARGET_IFINDEX = 7;
    final BpfObject obj;

    private Floor(BpfObject obj) {
        this.obj = obj;
    }

    /** Opens, loads and fills the floor object (in the caller's network namespace). */
    static Floor load() throws Exception {
        BpfObject o = BpfObject.open(Path.of(Floor.class.getResource("/bpf/floor.bpf.o").toURI()), null);
        o.load();
        o.map("floor_vni").update(le(VNI), new byte[80], UpdateFlag.ANY);
        o.map("floor_ports").update(le(PORT_IFINDEX), cat(le(VNI), le(0)), UpdateFlag.ANY);
        // the inner destination of the decap frame, behind a local port
        o.map("floor_fdb").update(fdbKey(C1), cat(new byte[16], le(TARGET_IFINDEX), le(0), new byte[8]), UpdateFlag.ANY);
        // the encap frame's destination, behind VTEP V2 (::ffff:198.18.0.2, as union vtep_addr holds IPv4)
        byte[] remote = cat(new byte[10], new byte[] {(byte) 0xff, (byte) 0xff}, ip(V2));
        o.map("floor_fdb").update(fdbKey(R1), cat(remote, le(0), le(0), new byte[8]), UpdateFlag.ANY);
        byte[] outer = Arrays.copyOf(vxlanFrame(remoteMac(V2), UNDERLAY_MAC, LOCAL_IP, V2, 0, 4789, VNI, new byte[0]), 50);
        o.map("floor_tmpl").update(remote, cat(outer, new byte[2], le(TARGET_IFINDEX)), UpdateFlag.ANY);
        return new Floor(o);
    }

    BpfProgram program(String name) {
        return obj.program(name);
    }

    /** The context a floor program runs with: none for XDP, a zeroed __sk_buff for TC. */
    static byte[] ctx(String program) {
        return program.startsWith("tc") ? new byte[192] : null;
    }

    private static byte[] fdbKey(String mac) {
        return cat(le(VNI), mac(mac), new byte[2]);
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    @Override
    public void close() {
        obj.close();
    }
}
