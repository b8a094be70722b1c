package io.xvtep.datapath;

import io.xvtep.model.IpAddress;

import java.nio.ByteBuffer;

import static io.xvtep.datapath.MapCodec.addr;
import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;
import static io.xvtep.datapath.MapCodec.putAddr;

/** struct fdb_entry: value of xvtep_fdb. */
public record FdbValue(IpAddress remote, int ifindex, int flags, long updatedNs) {
    public static final int SIZE = 32;
    public static final int OFF_REMOTE = 0, OFF_IFINDEX = 16, OFF_FLAGS = 20, OFF_UPDATED_NS = 24;
    public static final int F_STATIC = Abi.FDB_F_STATIC, F_CLUSTER = Abi.FDB_F_CLUSTER;

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        putAddr(b, OFF_REMOTE, remote);
        le(b).putInt(OFF_IFINDEX, ifindex).putInt(OFF_FLAGS, flags).putLong(OFF_UPDATED_NS, updatedNs);
        return b;
    }

    public static FdbValue decode(byte[] b) {
        check(b, SIZE, "fdb_entry");
        ByteBuffer bb = le(b);
        return new FdbValue(addr(b, OFF_REMOTE), bb.getInt(OFF_IFINDEX), bb.getInt(OFF_FLAGS),
                bb.getLong(OFF_UPDATED_NS));
    }
}
