package io.xvtep.datapath;

import io.xvtep.model.IpAddress;
import io.xvtep.model.Ipv4;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * What the per-table codecs of bpf/include/xvtep_structs.h share (flag bits: {@link Abi}); each
 * struct's codec is a record next to the table that holds it ({@link VniCfg}, {@link FdbValue}, ...).
 *
 * Integers are host order (little-endian on every machine xvtep runs on), overlay IPv4 addresses
 * (__be32) network order, MACs wire order, underlay addresses a union vtep_addr: 16 bytes, IPv6
 * or IPv4-mapped (::ffff:a.b.c.d), all-zero for none. The OFF_* constants are the C offsets;
 * MapCodecTest compiles the header and compares them with offsetof(), so a change on either side
 * fails the build instead of corrupting maps.
 */
public final class MapCodec {

    /** sizeof(union vtep_addr). */
    public static final int ADDR_LEN = 16;

    private static final byte[] V4_MAPPED_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};

    private MapCodec() {
    }

    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    static void check(byte[] b, int size, String what) {
        if (b == null || b.length < size) {
            throw new IllegalArgumentException(what + " needs " + size + " bytes, got " + (b == null ? 0 : b.length));
        }
    }

    /** A __u32 key or value (vni, ifindex, refcount). */
    public static byte[] u32(int v) {
        byte[] b = new byte[4];
        le(b).putInt(0, v);
        return b;
    }

    public static int u32(byte[] b) {
        check(b, 4, "__u32");
        return le(b).getInt(0);
    }

    /** A __u16 key (dstport, host order). */
    public static byte[] u16(int v) {
        byte[] b = new byte[2];
        le(b).putShort(0, (short) v);
        return b;
    }

    public static int u16(byte[] b) {
        check(b, 2, "__u16");
        return le(b).getShort(0) & 0xffff;
    }

    /** The union vtep_addr of {@code a}: IPv6 as is, IPv4 mapped; null and 0.0.0.0 / :: are all-zero (none). */
    public static byte[] addr(IpAddress a) {
        byte[] out = new byte[ADDR_LEN];
        putAddr(out, 0, a);
        return out;
    }

    /** Writes {@code a} as a union vtep_addr at {@code off}. */
    public static void putAddr(byte[] b, int off, IpAddress a) {
        if (a == null || a.isZero()) {
            Arrays.fill(b, off, off + ADDR_LEN, (byte) 0);
            return;
        }
        byte[] raw = a.bytes();
        if (raw.length == 4) {
            System.arraycopy(V4_MAPPED_PREFIX, 0, b, off, V4_MAPPED_PREFIX.length);
            System.arraycopy(raw, 0, b, off + 12, 4);
        } else {
            System.arraycopy(raw, 0, b, off, ADDR_LEN);
        }
    }

    /** The union vtep_addr at {@code off}: an IPv4 address for a mapped one, null for all-zero. */
    public static IpAddress addr(byte[] b, int off) {
        byte[] raw = Arrays.copyOfRange(b, off, off + ADDR_LEN);
        if (Arrays.equals(raw, new byte[ADDR_LEN])) {
            return null;
        }
        if (Arrays.equals(raw, 0, 12, V4_MAPPED_PREFIX, 0, 12)) {
            return IpAddress.of(Ipv4.of(raw, 12)); // InetAddress would map it too; explicit is clearer
        }
        return IpAddress.of(raw);
    }
}
