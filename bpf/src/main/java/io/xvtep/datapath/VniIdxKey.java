package io.xvtep.datapath;

import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;

/** struct vni_idx_key: key of xvtep_vni_ports (value __u32 ifindex) and xvtep_flood. */
public record VniIdxKey(int vni, int idx) {
    public static final int SIZE = 8;
    public static final int OFF_VNI = 0, OFF_IDX = 4;

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        le(b).putInt(OFF_VNI, vni).putInt(OFF_IDX, idx);
        return b;
    }

    public static VniIdxKey decode(byte[] b) {
        check(b, SIZE, "vni_idx_key");
        return new VniIdxKey(le(b).getInt(OFF_VNI), le(b).getInt(OFF_IDX));
    }
}
