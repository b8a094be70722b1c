package io.xvtep.model;

import java.util.Locale;

/** An Ethernet MAC address, kept as the low 48 bits of a long so that it compares by value. */
public record Mac(long value) implements Comparable<Mac> {

    public static final Mac ZERO = new Mac(0);

    public Mac {
        if ((value & ~0xffff_ffff_ffffL) != 0) {
            throw new IllegalArgumentException("MAC value out of range: " + Long.toHexString(value));
        }
    }

    /**
     * Mixed, not the record's Long.hashCode: MACs that differ only in a few middle bytes (simulated or
     * sequential ones, 0a:nn:nn:mm:mm:01) fell into a few hundred HashMap buckets, which treeified (56-byte
     * nodes, slower lookups) in the cluster's per-endpoint maps.
     */
    @Override
    public int hashCode() {
        long h = value * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ (h >>> 32));
    }

    /** Parses the colon form "02:00:00:00:00:02" (either case); anything else is rejected. */
    public static Mac parse(String s) {
        if (s == null) {
            throw new IllegalArgumentException("MAC address missing");
        }
        // xx:xx:xx:xx:xx:xx exactly, scanned in place (a bulk request parses a million of these)
        if (s.length() != 17) {
            throw new IllegalArgumentException("malformed MAC address: " + s);
        }
        long v = 0;
        for (int i = 0; i < 17; i += 3) {
            int hi = Character.digit(s.charAt(i), 16);
            int lo = Character.digit(s.charAt(i + 1), 16);
            if (hi < 0 || lo < 0 || (i < 15 && s.charAt(i + 2) != ':')) {
                throw new IllegalArgumentException("malformed MAC address: " + s);
            }
            v = (v << 8) | (hi << 4) | lo;
        }
        return new Mac(v);
    }

    /** From the 6 bytes at {@code off} of {@code b}, first byte first (wire order). */
    public static Mac of(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return new Mac(v);
    }

    public static Mac of(byte[] b) {
        if (b == null || b.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes");
        }
        return of(b, 0);
    }

    public byte[] bytes() {
        byte[] b = new byte[6];
        writeTo(b, 0);
        return b;
    }

    public void writeTo(byte[] b, int off) {
        for (int i = 0; i < 6; i++) {
            b[off + i] = (byte) (value >>> (8 * (5 - i)));
        }
    }

    public boolean isZero() {
        return value == 0;
    }

    /** The I/G bit: the lowest bit of the first byte (broadcast is multicast too). */
    public boolean isMulticast() {
        return ((value >>> 40) & 1) != 0;
    }

    @Override
    public int compareTo(Mac o) {
        return Long.compare(value, o.value);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(17);
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(String.format(Locale.ROOT, "%02x", (value >>> (8 * (5 - i))) & 0xff));
        }
        return sb.toString();
    }
}
