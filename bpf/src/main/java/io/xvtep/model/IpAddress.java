package io.xvtep.model;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 address, parsed from a literal only (never a name: nothing is resolved).
 * Every layer above the map codecs takes this type for VTEPs, groups, neighbours and allowed
 * sources; the codecs take {@link Ipv4} (the maps' __be32) and callers convert with
 * {@link #toIpv4()} where the datapath is IPv4-only.
 */
public record IpAddress(InetAddress inet) implements Comparable<IpAddress> {

    public enum Family {
        IPV4, IPV6
    }

    public IpAddress {
        if (!(inet instanceof Inet4Address) && !(inet instanceof Inet6Address)) {
            throw new IllegalArgumentException("not an IP address: " + inet);
        }
    }

    /**
     * Dotted quad (as {@link Ipv4#parse}: no leading zeros or short forms) or an IPv6 literal
     * (anything with a ':').
     */
    public static IpAddress parse(String s) {
        if (s == null) {
            throw new IllegalArgumentException("IP address missing");
        }
        if (s.indexOf(':') < 0) {
            return of(Ipv4.parse(s));
        }
        if (!s.matches("[0-9A-Fa-f:.]+")) {
            throw new IllegalArgumentException("not an IP address: " + s);
        }
        try {
            return new IpAddress(InetAddress.getByName(s));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + s);
        }
    }

    public static IpAddress of(Ipv4 a) {
        return new IpAddress(a.toInet());
    }

    /** From 4 or 16 bytes in network order. */
    public static IpAddress of(byte[] b) {
        try {
            return new IpAddress(InetAddress.getByAddress(b));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + b.length);
        }
    }

    public Family family() {
        return inet instanceof Inet4Address ? Family.IPV4 : Family.IPV6;
    }

    public boolean isIpv4() {
        return family() == Family.IPV4;
    }

    /** This address as the codecs' IPv4 type; IllegalStateException for an IPv6 address. */
    public Ipv4 toIpv4() {
        if (!(inet instanceof Inet4Address a)) {
            throw new IllegalStateException("not an IPv4 address: " + this);
        }
        return Ipv4.of(a);
    }

    public byte[] bytes() {
        return inet.getAddress();
    }

    public boolean isMulticast() {
        return inet.isMulticastAddress();
    }

    public boolean isZero() {
        return inet.isAnyLocalAddress();
    }

    /** An address a VTEP can have: IPv4 as {@link Ipv4#isUsableUnicast}; IPv6 not ::, ::1 or multicast. */
    public boolean isUsableUnicast() {
        if (inet instanceof Inet4Address a) {
            return Ipv4.of(a).isUsableUnicast();
        }
        return !inet.isAnyLocalAddress() && !inet.isLoopbackAddress() && !inet.isMulticastAddress();
    }

    /** IPv4 first, then by bytes (unsigned). */
    @Override
    public int compareTo(IpAddress o) {
        byte[] a = bytes(), b = o.bytes();
        return a.length != b.length ? Integer.compare(a.length, b.length) : Arrays.compareUnsigned(a, b);
    }

    /** IPv4 dotted, IPv6 in the RFC 5952 short form (the longest run of two or more zero groups as ::). */
    @Override
    public String toString() {
        byte[] b = bytes();
        if (b.length == 4) {
            return Ipv4.of(b, 0).toString();
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8;) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen && j - i >= 2) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
