package io.xvtep.datapath;

import io.xvtep.model.Ipv4;

import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;

/** struct neigh_key: key of xvtep_neigh. */
public record NeighKey(int vni, Ipv4 ip) {
    public static final int SIZE = 8;
    public static final int OFF_VNI = 0, OFF_IP = 4;

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        le(b).putInt(OFF_VNI, vni);
        (ip == null ? Ipv4.ANY : ip).writeTo(b, OFF_IP);
        return b;
    }

    public static NeighKey decode(byte[] b) {
        check(b, SIZE, "neigh_key");
        return new NeighKey(le(b).getInt(OFF_VNI), Ipv4.of(b, OFF_IP));
    }
}
