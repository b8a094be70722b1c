package io.xvtep.datapath;

import io.xvtep.model.Mac;

import java.nio.ByteBuffer;

import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;

/**
 * struct encap_cache_entry: value of xvtep_encap_cache, the outer-header template of a (source, remote VTEP)
 * pair: the outer Ethernet header as bpf_fib_lookup answered it (next-hop MAC, source MAC, EtherType), the
 * device, the default TTL and the addresses' share of the checksums (bpf/include/encap_cache.h). Written by
 * the datapath only; the agent reads it for `xvtep check` and the tests, and empties the map.
 */
public record EncapCacheEntry(long builtNs, int ifindex, Mac dmac, Mac smac, int etherType, int ttl, long addrSum) {
    public static final int SIZE = 32;
    public static final int OFF_BUILT_NS = 0, OFF_IFINDEX = 8, OFF_DMAC = 12, OFF_SMAC = 18, OFF_H_PROTO = 24,
            OFF_TTL = 26, OFF_ADDR_SUM = 28;
    /** DEFAULT_TTL: the outer TTL / hop limit of a unicast VTEP when the VNI sets none. */
    public static final int DEFAULT_TTL = 64;
    public static final int ETH_P_IP = 0x0800, ETH_P_IPV6 = 0x86dd;

    /** The entry the datapath writes for {@code key} from a FIB answer (device, MACs) at {@code builtNs}. */
    public static EncapCacheEntry of(EncapCacheKey key, long builtNs, int ifindex, Mac dmac, Mac smac) {
        return new EncapCacheEntry(builtNs, ifindex, dmac, smac, etherTypeOf(key), DEFAULT_TTL, addrSumOf(key));
    }

    /** Whether the template's derived fields (EtherType, TTL, address sum) are those of {@code key}. */
    public boolean matches(EncapCacheKey key) {
        return etherType == etherTypeOf(key) && ttl == DEFAULT_TTL && addrSum == addrSumOf(key);
    }

    static int etherTypeOf(EncapCacheKey key) {
        return key.dst() != null && key.dst().isIpv4() ? ETH_P_IP : ETH_P_IPV6;
    }

    /**
     * The datapath's vx_addr_sum: the addresses' 16-bit words as they lie in the outer IP header, loaded in
     * the BPF machine's (little-endian) order and summed unfolded; IPv4 addresses are the last 4 bytes.
     */
    static long addrSumOf(EncapCacheKey key) {
        byte[] k = key.encode();
        int from = etherTypeOf(key) == ETH_P_IP ? 12 : 0;
        long sum = 0;
        for (int base : new int[] {EncapCacheKey.OFF_SRC, EncapCacheKey.OFF_DST}) {
            for (int i = base + from; i < base + MapCodec.ADDR_LEN; i += 2) {
                sum += (k[i] & 0xff) | (k[i + 1] & 0xff) << 8;
            }
        }
        return sum;
    }

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        ByteBuffer bb = le(b);
        bb.putLong(OFF_BUILT_NS, builtNs);
        bb.putInt(OFF_IFINDEX, ifindex);
        dmac.writeTo(b, OFF_DMAC);
        smac.writeTo(b, OFF_SMAC);
        b[OFF_H_PROTO] = (byte) (etherType >> 8); // network order
        b[OFF_H_PROTO + 1] = (byte) etherType;
        b[OFF_TTL] = (byte) ttl;
        bb.putInt(OFF_ADDR_SUM, (int) addrSum);
        return b;
    }

    public static EncapCacheEntry decode(byte[] b) {
        check(b, SIZE, "encap_cache_entry");
        ByteBuffer bb = le(b);
        return new EncapCacheEntry(bb.getLong(OFF_BUILT_NS), bb.getInt(OFF_IFINDEX), Mac.of(b, OFF_DMAC),
                Mac.of(b, OFF_SMAC), (b[OFF_H_PROTO] & 0xff) << 8 | (b[OFF_H_PROTO + 1] & 0xff), b[OFF_TTL] & 0xff,
                Integer.toUnsignedLong(bb.getInt(OFF_ADDR_SUM)));
    }
}
