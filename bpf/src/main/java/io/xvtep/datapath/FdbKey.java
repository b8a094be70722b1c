package io.xvtep.datapath;

import io.xvtep.model.Mac;

import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;

/** struct fdb_key: key of xvtep_fdb. */
public record FdbKey(int vni, Mac mac) {
    public static final int SIZE = 12;
    public static final int OFF_VNI = 0, OFF_MAC = 4, OFF_PAD = 10;

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        le(b).putInt(OFF_VNI, vni);
        mac.writeTo(b, OFF_MAC);
        return b;
    }

    public static FdbKey decode(byte[] b) {
        check(b, SIZE, "fdb_key");
        return new FdbKey(le(b).getInt(OFF_VNI), Mac.of(b, OFF_MAC));
    }
}
