package io.xvtep.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;

/** Builds and reads wire-format frames for packet tests, scapy style: each layer wraps its payload. */
public final class Frames {
    public static final int ETH_P_IP = 0x0800, ETH_P_ARP = 0x0806, ETH_P_IPV6 = 0x86DD;

    private Frames() {}

    public static byte[] mac(String s) {
        return HexFormat.ofDelimiter(":").parseHex(s);
    }

    public static byte[] ip(String s) {
        String[] p = s.split("\\.");
        return new byte[] {(byte) Integer.parseInt(p[0]), (byte) Integer.parseInt(p[1]),
                (byte) Integer.parseInt(p[2]), (byte) Integer.parseInt(p[3])};
    }

    public static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    public static byte[] eth(String dst, String src, int type, byte[] payload) {
        return cat(mac(dst), mac(src), new byte[] {(byte) (type >> 8), (byte) type}, payload);
    }

    /** IPv4 without options; the checksum is computed. */
    public static byte[] ipv4(String src, String dst, int proto, int tos, int ttl, int id, int fragField, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte) 0x45).put((byte) tos).putShort((short) (20 + payload.length)).putShort((short) id)
                .putShort((short) fragField).put((byte) ttl).put((byte) proto).putShort((short) 0)
                .put(ip(src)).put(ip(dst)).put(payload);
        byte[] a = b.array();
        int c = ipChecksum(a, 0);
        a[10] = (byte) (c >> 8);
        a[11] = (byte) c;
        return a;
    }

    public static byte[] ipv4(String src, String dst, int proto, byte[] payload) {
        return ipv4(src, dst, proto, 0, 64, 1, 0, payload);
    }

    public static int ipChecksum(byte[] f, int off) {
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            if (i == 10) continue;
            sum += ((f[off + i] & 0xff) << 8) | (f[off + i + 1] & 0xff);
        }
        while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
        return ~sum & 0xffff;
    }

    /** UDP with a zero checksum (what RFC 7348 VTEPs send over IPv4). */
    public static byte[] udp(int sport, int dport, byte[] payload) {
        return ByteBuffer.allocate(8 + payload.length).putShort((short) sport).putShort((short) dport)
                .putShort((short) (8 + payload.length)).putShort((short) 0).put(payload).array();
    }

    public static byte[] vxlan(int vni, byte[] inner) {
        return vxlanRaw(0x08000000, vni << 8, inner);
    }

    /** VXLAN header from its two raw 32-bit words (flags word, VNI word) for malformed cases. */
    public static byte[] vxlanRaw(int flagsWord, int vniWord, byte[] inner) {
        return ByteBuffer.allocate(8 + inner.length).putInt(flagsWord).putInt(vniWord).put(inner).array();
    }

    /** A full underlay frame carrying `inner` in VXLAN. */
    public static byte[] vxlanFrame(String dstMac, String srcMac, String srcIp, String dstIp, int sport, int dport,
                             int vni, byte[] inner) {
        return eth(dstMac, srcMac, ETH_P_IP, ipv4(srcIp, dstIp, 17, udp(sport, dport, vxlan(vni, inner))));
    }

    public static byte[] arpRequest(String senderMac, String senderIp, String targetIp) {
        ByteBuffer b = ByteBuffer.allocate(28);
        b.putShort((short) 1).putShort((short) ETH_P_IP).put((byte) 6).put((byte) 4).putShort((short) 1)
                .put(mac(senderMac)).put(ip(senderIp)).put(new byte[6]).put(ip(targetIp));
        return eth("ff:ff:ff:ff:ff:ff", senderMac, ETH_P_ARP, b.array());
    }

    /** An ICMP echo request between two overlay addresses, `pad` bytes of payload. */
    public static byte[] ping(String dstMac, String srcMac, String srcIp, String dstIp, int tos, int pad) {
        byte[] icmp = new byte[8 + pad];
        icmp[0] = 8;
        for (int i = 8; i < icmp.length; i++) icmp[i] = (byte) i;
        return eth(dstMac, srcMac, ETH_P_IP, ipv4(srcIp, dstIp, 1, tos, 64, 0x1234, 0x4000, icmp));
    }

    /** 16 bytes of an IPv6 literal; an IPv4-mapped one (::ffff:a.b.c.d) stays 16 bytes. */
    public static byte[] ip6(String s) {
        try {
            byte[] a = InetAddress.getByName(s).getAddress();
            if (a.length == 4) { // Java reads ::ffff:a.b.c.d as IPv4: put the mapped prefix back
                byte[] m = new byte[16];
                m[10] = m[11] = (byte) 0xff;
                System.arraycopy(a, 0, m, 12, 4);
                return m;
            }
            return a;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    /** IPv6 without extension headers: version, traffic class, flow label, then the fixed header (RFC 8200). */
    public static byte[] ipv6(String src, String dst, int nextHeader, int tclass, int flowLabel, int hopLimit,
            byte[] payload) {
        return ByteBuffer.allocate(40 + payload.length).putInt(6 << 28 | (tclass & 0xff) << 20 | (flowLabel & 0xfffff))
                .putShort((short) payload.length).put((byte) nextHeader).put((byte) hopLimit).put(ip6(src))
                .put(ip6(dst)).put(payload).array();
    }

    /** UDP over IPv6 with its checksum computed over the pseudo-header (a computed 0 is sent as 0xffff), or 0 when {@code !csum}. */
    public static byte[] udp6(String src, String dst, int sport, int dport, boolean csum, byte[] payload) {
        byte[] u = udp(sport, dport, payload);
        if (csum) {
            int c = csum16(cat(ip6(src), ip6(dst), ByteBuffer.allocate(8).putInt(u.length).putInt(17).array(), u));
            c = c == 0 ? 0xffff : c;
            u[6] = (byte) (c >> 8);
            u[7] = (byte) c;
        }
        return u;
    }

    /** A full IPv6-underlay frame carrying `inner` in VXLAN (hop limit 64, traffic class and flow label 0). */
    public static byte[] vxlan6Frame(String dstMac, String srcMac, String srcIp, String dstIp, int sport, int dport,
            int vni, boolean csum, byte[] inner) {
        return eth(dstMac, srcMac, ETH_P_IPV6,
                ipv6(srcIp, dstIp, 17, 0, 0, 64, udp6(srcIp, dstIp, sport, dport, csum, vxlan(vni, inner))));
    }

    public static byte[] arpReply(String senderMac, String senderIp, String targetMac, String targetIp) {
        ByteBuffer b = ByteBuffer.allocate(28);
        b.putShort((short) 1).putShort((short) ETH_P_IP).put((byte) 6).put((byte) 4).putShort((short) 2)
                .put(mac(senderMac)).put(ip(senderIp)).put(mac(targetMac)).put(ip(targetIp));
        return eth(targetMac, senderMac, ETH_P_ARP, b.array());
    }

    /** IPv6 + ICMPv6 neighbour message (NS 135 / NA 136) with one link-layer address option. */
    public static byte[] ndisc(String dstMac, String srcMac, String src, String dst, int type, int flags,
                        String target, int optType, String optMac) {
        ByteBuffer m = ByteBuffer.allocate(32);
        m.put((byte) type).put((byte) 0).putShort((short) 0).putInt(flags).put(ip6(target))
                .put((byte) optType).put((byte) 1).put(mac(optMac));
        byte[] msg = m.array();
        ByteBuffer ps = ByteBuffer.allocate(40 + 32);
        ps.put(ip6(src)).put(ip6(dst)).putInt(32).putInt(58).put(msg);
        int c = csum16(ps.array());
        msg[2] = (byte) (c >> 8);
        msg[3] = (byte) c;
        ByteBuffer ip = ByteBuffer.allocate(40 + 32);
        ip.putInt(0x60000000).putShort((short) 32).put((byte) 58).put((byte) 255).put(ip6(src)).put(ip6(dst)).put(msg);
        return eth(dstMac, srcMac, 0x86DD, ip.array());
    }

    /** RFC 1071 over {@code d}; an odd last byte counts as the high byte of a zero-padded word. */
    public static int csum16(byte[] d) {
        long sum = 0;
        for (int i = 0; i < d.length; i += 2) sum += ((d[i] & 0xff) << 8) | (i + 1 < d.length ? d[i + 1] & 0xff : 0);
        while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (int) (~sum & 0xffff);
    }

    public static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** The big-endian 16-bit field at {@code off} (ports, checksums, EtherTypes). */
    public static int u16(byte[] f, int off) {
        return ((f[off] & 0xff) << 8) | (f[off + 1] & 0xff);
    }
}
