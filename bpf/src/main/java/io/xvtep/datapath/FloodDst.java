package io.xvtep.datapath;

import io.xvtep.model.IpAddress;

import static io.xvtep.datapath.MapCodec.addr;
import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;
import static io.xvtep.datapath.MapCodec.putAddr;

/** struct flood_dst: value of xvtep_flood (a remote VTEP or multicast group). */
public record FloodDst(IpAddress dst, int flags) {
    public static final int F_CLUSTER = Abi.FLOOD_F_CLUSTER;
    public static final int SIZE = 20;
    public static final int OFF_DST = 0, OFF_FLAGS = 16;

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        putAddr(b, OFF_DST, dst);
        le(b).putInt(OFF_FLAGS, flags);
        return b;
    }

    public static FloodDst decode(byte[] b) {
        check(b, SIZE, "flood_dst");
        return new FloodDst(addr(b, OFF_DST), le(b).getInt(OFF_FLAGS));
    }
}
