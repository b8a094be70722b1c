package io.xvtep.datapath;

import io.xvtep.model.IpAddress;

import static io.xvtep.datapath.MapCodec.addr;
import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.putAddr;

/** struct encap_cache_key: key of xvtep_encap_cache (outer source, unicast remote VTEP). */
public record EncapCacheKey(IpAddress src, IpAddress dst) {
    public static final int SIZE = 32;
    public static final int OFF_SRC = 0, OFF_DST = 16;

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        putAddr(b, OFF_SRC, src);
        putAddr(b, OFF_DST, dst);
        return b;
    }

    public static EncapCacheKey decode(byte[] b) {
        check(b, SIZE, "encap_cache_key");
        return new EncapCacheKey(addr(b, OFF_SRC), addr(b, OFF_DST));
    }
}
