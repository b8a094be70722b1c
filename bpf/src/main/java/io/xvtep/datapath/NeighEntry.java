package io.xvtep.datapath;

import io.xvtep.model.Mac;

import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;

/** struct neigh_entry: value of xvtep_neigh and xvtep_neigh6. */
public record NeighEntry(Mac mac, int flags) {
    public static final int SIZE = 8;
    public static final int OFF_MAC = 0, OFF_FLAGS = 6;

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        mac.writeTo(b, OFF_MAC);
        le(b).putShort(OFF_FLAGS, (short) flags);
        return b;
    }

    public static NeighEntry decode(byte[] b) {
        check(b, SIZE, "neigh_entry");
        return new NeighEntry(Mac.of(b, OFF_MAC), le(b).getShort(OFF_FLAGS) & 0xffff);
    }
}
