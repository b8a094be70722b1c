package io.xvtep.datapath;

import static io.xvtep.testkit.Frames.*;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** Frames for hostile-input cases: what {@link Frames} builds, plus the malformed and unusual. */
final class HostileFrames {
    static final int ETH_P_8021Q = 0x8100, ETH_P_8021AD = 0x88A8;
    /** Offsets in an outer IPv4/UDP/VXLAN frame. */
    static final int OFF_IP_CSUM = 24, OFF_UDP_LEN = 38, OFF_UDP_CSUM = 40, OFF_INNER = 50;

    private HostileFrames() {}

    /** An ICMPv6 echo request over IPv6 in Ethernet (checksum not needed by the datapath, left 0). */
    static byte[] ping6(String dstMac, String srcMac, String src, String dst, int tc, int hopLimit, int pad) {
        byte[] icmp = new byte[8 + pad];
        icmp[0] = (byte) 128;
        for (int i = 8; i < icmp.length; i++) icmp[i] = (byte) i;
        return eth(dstMac, srcMac, ETH_P_IPV6, ipv6(src, dst, 58, tc, 0, hopLimit, icmp));
    }

    /** Ethernet with one 802.1Q (or 802.1ad) tag. */
    static byte[] tagged(byte[] frame, int tpid, int tci) {
        ByteBuffer b = ByteBuffer.allocate(frame.length + 4);
        b.put(frame, 0, 12).putShort((short) tpid).putShort((short) tci).put(frame, 12, frame.length - 12);
        return b.array();
    }

    /** UDP with a correct checksum over the IPv4 pseudo header. */
    static byte[] udpChecksummed(String src, String dst, int sport, int dport, byte[] payload) {
        byte[] u = udp(sport, dport, payload);
        ByteBuffer ps = ByteBuffer.allocate(12 + u.length);
        ps.put(ip(src)).put(ip(dst)).put((byte) 0).put((byte) 17).putShort((short) u.length).put(u);
        int c = csum16(ps.array());
        if (c == 0) c = 0xffff;
        u[6] = (byte) (c >> 8);
        u[7] = (byte) c;
        return u;
    }

    /** A VXLAN frame from `src` whose UDP checksum is set (and correct). */
    static byte[] vxlanChecksummed(String dstMac, String srcMac, String src, String dst, int vni, byte[] inner) {
        return eth(dstMac, srcMac, ETH_P_IP, ipv4(src, dst, 17, udpChecksummed(src, dst, 50000, 4789, vxlan(vni, inner))));
    }

    /** An IPv4 frame whose payload is `payload` with the IP header's flags/fragment-offset field set. */
    static byte[] fragment(String dstMac, String srcMac, String src, String dst, int fragField, byte[] payload) {
        return eth(dstMac, srcMac, ETH_P_IP, ipv4(src, dst, 17, 0, 64, 7, fragField, payload));
    }

    /** Recomputes the outer IPv4 header checksum at offset 14 after the test changed a header byte. */
    static byte[] reChecksum(byte[] frame) {
        byte[] f = frame.clone();
        int c = ipChecksum(f, 14);
        f[OFF_IP_CSUM] = (byte) (c >> 8);
        f[OFF_IP_CSUM + 1] = (byte) c;
        return f;
    }

    /** A tiny inner frame: Ethernet header plus `n` bytes of an experimental ethertype. */
    static byte[] tiny(String dstMac, String srcMac, int n) {
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) p[i] = (byte) (0xa0 + i);
        return eth(dstMac, srcMac, 0x88B5, p);
    }

    /**
     * The kernel's answer to an IPv4 frame too big for a tunnel of `mtu` (iptunnel_pmtud_build_icmp): MACs and
     * addresses swapped, tos 0, id 0, DF, the packet's ttl, ICMP 3/4 with the MTU, the packet quoted so the answer
     * stays within 576 bytes.
     */
    static byte[] fragNeeded(byte[] frame, int mtu) {
        byte[] quote = Arrays.copyOfRange(frame, 14, Math.min(frame.length, 14 + 548));
        byte[] icmp = cat(new byte[] {3, 4, 0, 0, 0, 0, (byte) (mtu >> 8), (byte) mtu}, quote);
        int c = csum16(icmp);
        icmp[2] = (byte) (c >> 8);
        icmp[3] = (byte) c;
        String src = ipText(Arrays.copyOfRange(frame, 26, 30)), dst = ipText(Arrays.copyOfRange(frame, 30, 34));
        return eth(macText(Arrays.copyOfRange(frame, 6, 12)), macText(Arrays.copyOfRange(frame, 0, 6)), ETH_P_IP,
                ipv4(dst, src, 1, 0, frame[22] & 0xff, 0, 0x4000, icmp));
    }

    /** The same for IPv6 (iptunnel_pmtud_build_icmpv6): ICMPv6 packet too big, the answer within 1280 bytes. */
    static byte[] packetTooBig(byte[] frame, int mtu) {
        byte[] quote = Arrays.copyOfRange(frame, 14, Math.min(frame.length, 14 + 1232));
        byte[] icmp = cat(new byte[] {2, 0, 0, 0, (byte) (mtu >> 24), (byte) (mtu >> 16), (byte) (mtu >> 8), (byte) mtu},
                quote);
        byte[] src = Arrays.copyOfRange(frame, 22, 38), dst = Arrays.copyOfRange(frame, 38, 54);
        byte[] pseudo = ByteBuffer.allocate(40 + icmp.length).put(dst).put(src).putInt(icmp.length).putInt(58).put(icmp)
                .array();
        int c = csum16(pseudo);
        icmp[2] = (byte) (c >> 8);
        icmp[3] = (byte) c;
        byte[] ip = ByteBuffer.allocate(40 + icmp.length).putInt(0x60000000).putShort((short) icmp.length)
                .put((byte) 58).put(frame[21]).put(dst).put(src).put(icmp).array();
        return eth(macText(Arrays.copyOfRange(frame, 6, 12)), macText(Arrays.copyOfRange(frame, 0, 6)), ETH_P_IPV6, ip);
    }

    static String ipText(byte[] a) {
        return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
    }

    static String macText(byte[] m) {
        return java.util.HexFormat.ofDelimiter(":").formatHex(m);
    }
}
