package io.xvtep.model;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 address as an int whose most significant byte is the first octet, so that
 * {@link #writeTo} produces network byte order (the maps' __be32).
 */
public record Ipv4(int value) implements Comparable<Ipv4> {

    public static final Ipv4 ANY = new Ipv4(0);

    /** Dotted quad only ("198.18.0.2"): never resolves names, rejects leading zeros and short forms. */
    public static Ipv4 parse(String s) {
        if (s == null) {
            throw new IllegalArgumentException("IPv4 address missing");
        }
        // a scan, not split + streams: a million-entry bulk request parses a million of these
        int v = 0;
        int octets = 0;
        int i = 0;
        int n = s.length();
        while (true) {
            int start = i;
            int o = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                o = o * 10 + (s.charAt(i) - '0');
                i++;
            }
            int len = i - start;
            if (len == 0 || len > 3 || (len > 1 && s.charAt(start) == '0') || o > 255) {
                throw new IllegalArgumentException("malformed IPv4 address: " + s);
            }
            v = (v << 8) | o;
            octets++;
            if (i == n && octets == 4) {
                break;
            }
            if (i == n || octets == 4 || s.charAt(i) != '.') {
                throw new IllegalArgumentException("malformed IPv4 address: " + s);
            }
            i++;
        }
        return new Ipv4(v);
    }

    /** From 4 bytes in network order at {@code off}. */
    public static Ipv4 of(byte[] b, int off) {
        return new Ipv4(((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8)
                | (b[off + 3] & 0xff));
    }

    public static Ipv4 of(Inet4Address a) {
        return of(a.getAddress(), 0);
    }

    public void writeTo(byte[] b, int off) {
        b[off] = (byte) (value >>> 24);
        b[off + 1] = (byte) (value >>> 16);
        b[off + 2] = (byte) (value >>> 8);
        b[off + 3] = (byte) value;
    }

    public byte[] bytes() {
        byte[] b = new byte[4];
        writeTo(b, 0);
        return b;
    }

    public Inet4Address toInet() {
        try {
            return (Inet4Address) InetAddress.getByAddress(bytes());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean isZero() {
        return value == 0;
    }

    /** 224.0.0.0/4 */
    public boolean isMulticast() {
        return (value & 0xf000_0000) == 0xe000_0000;
    }

    /** 255.255.255.255, 0.0.0.0/8, 127.0.0.0/8 and 240.0.0.0/4 cannot be a VTEP. */
    public boolean isUsableUnicast() {
        int first = value >>> 24;
        return first != 0 && first != 127 && first < 224;
    }

    @Override
    public int compareTo(Ipv4 o) {
        return Integer.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return (value >>> 24) + "." + ((value >>> 16) & 0xff) + "." + ((value >>> 8) & 0xff) + "." + (value & 0xff);
    }
}
