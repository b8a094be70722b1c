package io.xvtep.datapath;

import io.xvtep.model.Mac;

import java.nio.ByteBuffer;

import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;

/**
 * struct encap_cache_entry: value of xvtep_encap_cache, what bpf_fib_lookup answered for a remote VTEP
 * (written by the datapath only; the agent reads it for `xvtep check` and the tests, and empties the map).
 */
public record EncapCacheEntry(long builtNs, int ifindex, Mac dmac, Mac smac) {
    public static final int SIZE = 24;
    public static final int OFF_BUILT_NS = 0, OFF_IFINDEX = 8, OFF_DMAC = 12, OFF_SMAC = 18;

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        ByteBuffer bb = le(b);
        bb.putLong(OFF_BUILT_NS, builtNs);
        bb.putInt(OFF_IFINDEX, ifindex);
        dmac.writeTo(b, OFF_DMAC);
        smac.writeTo(b, OFF_SMAC);
        return b;
    }

    public static EncapCacheEntry decode(byte[] b) {
        check(b, SIZE, "encap_cache_entry");
        ByteBuffer bb = le(b);
        return new EncapCacheEntry(bb.getLong(OFF_BUILT_NS), bb.getInt(OFF_IFINDEX), Mac.of(b, OFF_DMAC),
                Mac.of(b, OFF_SMAC));
    }
}
