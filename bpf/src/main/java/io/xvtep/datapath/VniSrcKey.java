package io.xvtep.datapath;

import io.xvtep.model.IpAddress;

import static io.xvtep.datapath.MapCodec.addr;
import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;
import static io.xvtep.datapath.MapCodec.putAddr;

/** struct vni_src_key: key of xvtep_allowed_src (value __u32, reserved 0). */
public record VniSrcKey(int vni, IpAddress src) {
    public static final int SIZE = 20;
    public static final int OFF_VNI = 0, OFF_SRC = 4;

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        le(b).putInt(OFF_VNI, vni);
        putAddr(b, OFF_SRC, src);
        return b;
    }

    public static VniSrcKey decode(byte[] b) {
        check(b, SIZE, "vni_src_key");
        return new VniSrcKey(le(b).getInt(OFF_VNI), addr(b, OFF_SRC));
    }
}
