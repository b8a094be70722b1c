package io.xvtep.datapath;

import static io.xvtep.datapath.DatapathPacketTest.*;
import static io.xvtep.testkit.Frames.*;
import static io.xvtep.datapath.Harness.*;
import static io.xvtep.datapath.HostileFrames.*;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded generator of frames for the datapath fuzzer: well-formed frames of every kind the datapath
 * handles (VXLAN from VTEPs, martians and ourselves; inner IPv4, IPv6, ARP, ND, tagged, tiny, link-local,
 * random), then mutated (truncations, bit flips, header fields overwritten, tags inserted, bytes appended).
 * One seed gives one sequence, so a failure is replayed with -Dxvtep.fuzz.seed.
 */
final class FuzzFrames {
    /** One frame and where it enters: the underlay (both programs) or a local port. */
    record Sample(boolean underlay, String ingress, byte[] frame) {}

    static final String[] VTEPS = {V2, V3, "198.18.0.4", "198.18.0.5"};
    static final String[] MARTIANS = {"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.5", "239.1.1.1", "255.255.255.255"};
    static final int[] VNIS = {42, 43, 44, 77};
    static final String[] VTEPS6 = {"2001:db8::2", "2001:db8::3", "2001:db8::4", "2001:db8::5"};
    static final String[] MARTIANS6 = {"::", "::1", "ff02::1", "ff05::42", "::ffff:198.18.0.2"};
    /** The IPv6 VNIs of the fuzz topology (45, 46), an IPv4 one and one nobody serves. */
    static final int[] VNIS6 = {45, 46, 42, 77};
    /** IPv6 outer fields worth overwriting: version/class, class/label, payload length, next header, source,
     *  udp dport, udp length, udp checksum, vxlan flags and VNI. */
    static final int[] FIELDS6 = {14, 15, 18, 20, 22, 37, 56, 58, 60, 62, 66, 69};
    static final String[] MACS = {C1, C2, C3, R1, R2, "ff:ff:ff:ff:ff:ff", "33:33:00:00:00:01", "33:33:ff:00:00:21",
        "01:00:5e:00:00:05", "01:80:c2:00:00:00", "01:80:c2:00:00:02", "01:80:c2:00:00:0e", "00:00:00:00:00:00"};
    /** Outer header fields worth overwriting: ver/ihl, tos, tot_len, frag, proto, saddr, udp dport, udp len, csum, vxlan. */
    static final int[] FIELDS = {14, 15, 16, 20, 23, 26, 36, 38, 40, 42, 43, 46, 49};

    private final SplittableRandom rnd;

    FuzzFrames(long seed) {
        this.rnd = new SplittableRandom(seed);
    }

    Sample next() {
        if (rnd.nextInt(100) < 55) {
            return new Sample(true, "u0", mutate(underlayFrame(), true));
        }
        String port = new String[] {"p1", "p2", "p3"}[rnd.nextInt(3)];
        return new Sample(false, port, mutate(inner(), false));
    }

    private <T> T pick(T[] a) {
        return a[rnd.nextInt(a.length)];
    }

    private String mac() {
        if (rnd.nextInt(4) == 0) {
            byte[] m = new byte[6];
            rnd.nextBytes(m);
            if (rnd.nextBoolean()) m[0] = (byte) ((m[0] & 0xfe) | 0x02); // random locally administered unicast
            return HostileFrames.macText(m);
        }
        return pick(MACS);
    }

    private String ip4() {
        int r = rnd.nextInt(10);
        if (r < 6) return new String[] {IP_C1, IP_C2, IP_R1, "10.20.1.13"}[rnd.nextInt(4)];
        return "10.20." + rnd.nextInt(256) + "." + rnd.nextInt(256);
    }

    private byte[] payload(int max) {
        byte[] p = new byte[rnd.nextInt(max + 1)];
        rnd.nextBytes(p);
        return p;
    }

    /** An inner Ethernet frame, as a container would send it or a VTEP would carry it. */
    byte[] inner() {
        String dst = mac(), src = rnd.nextInt(5) == 0 ? mac() : pick(new String[] {C1, C2, C3, R1, R2});
        byte[] f = switch (rnd.nextInt(9)) {
            case 0, 1 -> ping(dst, src, ip4(), ip4(), rnd.nextInt(256), rnd.nextInt(10) == 0 ? rnd.nextInt(1500) : rnd.nextInt(120));
            case 2 -> rnd.nextBoolean() ? arpRequest(src, ip4(), ip4()) : arpReply(src, ip4(), dst, ip4());
            case 3 -> ndisc(rnd.nextBoolean() ? "33:33:ff:00:00:21" : dst, src, rnd.nextInt(4) == 0 ? "::" : "fd00::11",
                    "ff02::1:ff00:21", 135 + rnd.nextInt(2), rnd.nextInt(), rnd.nextBoolean() ? "fd00::21" : "fd00::99",
                    1 + rnd.nextInt(2), src);
            case 4 -> ping6(dst, src, "fd00::11", "fd00::21", rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(200));
            case 5 -> tiny(dst, src, rnd.nextInt(20));
            case 6 -> eth(dst, src, rnd.nextInt(0x10000), payload(300));
            default -> eth(dst, src, new int[] {0x0800, 0x86DD, 0x0806}[rnd.nextInt(3)], payload(120));
        };
        int tags = rnd.nextInt(8) == 0 ? 1 + rnd.nextInt(2) : 0;
        for (int i = 0; i < tags; i++) f = tagged(f, rnd.nextBoolean() ? ETH_P_8021Q : ETH_P_8021AD, rnd.nextInt(0x10000));
        return f;
    }

    /** A frame on the underlay: mostly VXLAN to one of our ports, from VTEPs, martians, or ourselves; a third over IPv6. */
    byte[] underlayFrame() {
        if (rnd.nextInt(3) == 0) {
            return underlayFrame6();
        }
        int r = rnd.nextInt(100);
        String src = r < 80 ? pick(VTEPS) : r < 88 ? pick(MARTIANS) : r < 92 ? LOCAL_IP
                : rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256);
        String dst = rnd.nextInt(10) < 8 ? LOCAL_IP : rnd.nextBoolean() ? "239.1.1.1" : "198.18.0.9";
        int dport = rnd.nextInt(10) < 5 ? 4789 : rnd.nextInt(10) < 7 ? 8472 : rnd.nextInt(0x10000);
        int vni = rnd.nextInt(10) < 8 ? VNIS[rnd.nextInt(VNIS.length)] : rnd.nextInt(1 << 24);
        int flags = rnd.nextInt(10) < 8 ? 0x08000000 : new int[] {0x88000000 | rnd.nextInt(0x10000), 0x0C000003, 0,
            rnd.nextInt()}[rnd.nextInt(4)];
        byte[] vx = vxlanRaw(flags, vni << 8 | (rnd.nextInt(20) == 0 ? 1 : 0), inner());
        byte[] udp = rnd.nextInt(8) == 0 ? udpChecksummed(src, dst, 1024 + rnd.nextInt(60000), dport, vx)
                : udp(1024 + rnd.nextInt(60000), dport, vx);
        int proto = rnd.nextInt(30) == 0 ? rnd.nextInt(256) : 17;
        int tos = rnd.nextInt(4) == 0 ? rnd.nextInt(256) : 0;
        int frag = rnd.nextInt(30) == 0 ? rnd.nextInt(0x10000) : 0;
        byte[] ip = ipv4(src, dst, proto, tos, 1 + rnd.nextInt(255), rnd.nextInt(0x10000), frag, udp);
        if (rnd.nextInt(20) == 0) ip = withOptions(ip, 1 + rnd.nextInt(3));
        int type = rnd.nextInt(40) == 0 ? new int[] {0x86DD, 0x0806, 0x8100}[rnd.nextInt(3)] : ETH_P_IP;
        return eth(UNDERLAY_MAC, remoteMac(pick(VTEPS)), type, ip);
    }

    /** VXLAN over IPv6: from IPv6 VTEPs, martians or ourselves, with or without (and sometimes a wrong) UDP checksum. */
    byte[] underlayFrame6() {
        int r = rnd.nextInt(100);
        String src = r < 80 ? pick(VTEPS6) : r < 90 ? pick(MARTIANS6) : r < 94 ? LOCAL_IP6 : "2001:db8:" + Integer.toHexString(rnd.nextInt(0x10000))
                + "::" + Integer.toHexString(1 + rnd.nextInt(0xffff));
        String dst = rnd.nextInt(10) < 8 ? LOCAL_IP6 : rnd.nextBoolean() ? "ff05::42" : "2001:db8::9";
        int dport = rnd.nextInt(10) < 7 ? 4789 : rnd.nextInt(10) < 7 ? 8472 : rnd.nextInt(0x10000);
        int vni = rnd.nextInt(10) < 8 ? VNIS6[rnd.nextInt(VNIS6.length)] : rnd.nextInt(1 << 24);
        int flags = rnd.nextInt(10) < 8 ? 0x08000000 : new int[] {0x88000000 | rnd.nextInt(0x10000), 0x0C000003, 0,
            rnd.nextInt()}[rnd.nextInt(4)];
        byte[] vx = vxlanRaw(flags, vni << 8 | (rnd.nextInt(20) == 0 ? 1 : 0), inner());
        byte[] udp = udp6(src, dst, 1024 + rnd.nextInt(60000), dport, rnd.nextInt(4) != 0, vx);
        int next = rnd.nextInt(30) == 0 ? new int[] {0, 43, 44, 60, 58, rnd.nextInt(256)}[rnd.nextInt(6)] : 17;
        int tc = rnd.nextInt(4) == 0 ? rnd.nextInt(256) : 0;
        byte[] ip = ipv6(src, dst, next, tc, rnd.nextInt(0x100000), rnd.nextInt(256), udp);
        int type = rnd.nextInt(40) == 0 ? new int[] {ETH_P_IP, 0x0806, 0x8100}[rnd.nextInt(3)] : ETH_P_IPV6;
        return eth(UNDERLAY_MAC, remoteMac(pick(VTEPS6)), type, ip);
    }

    /** The same IPv4 packet with `words` 32-bit words of NOP options (header checksum recomputed). */
    static byte[] withOptions(byte[] ip, int words) {
        ByteBuffer b = ByteBuffer.allocate(ip.length + 4 * words);
        b.put(ip, 0, 20);
        for (int i = 0; i < 4 * words; i++) b.put((byte) 1);
        b.put(ip, 20, ip.length - 20);
        byte[] a = b.array();
        a[0] = (byte) (0x40 | (5 + words));
        int tot = a.length;
        a[2] = (byte) (tot >> 8);
        a[3] = (byte) tot;
        a[10] = a[11] = 0;
        int c = csum16(Arrays.copyOf(a, 20 + 4 * words));
        a[10] = (byte) (c >> 8);
        a[11] = (byte) c;
        return a;
    }

    /** Half the frames unchanged, the rest with one to three mutations. */
    byte[] mutate(byte[] f, boolean underlay) {
        if (rnd.nextBoolean()) return f;
        int n = 1 + rnd.nextInt(3);
        for (int i = 0; i < n; i++) {
            switch (rnd.nextInt(7)) {
                case 0 -> f = Arrays.copyOf(f, 14 + rnd.nextInt(Math.max(1, f.length - 13)));
                case 1 -> {
                    int off = rnd.nextInt(4) == 0 ? rnd.nextInt(f.length) : rnd.nextInt(Math.min(f.length, 100));
                    f[off] ^= (byte) (1 << rnd.nextInt(8));
                }
                case 2 -> f[rnd.nextInt(f.length)] = (byte) rnd.nextInt(256);
                case 3 -> {
                    boolean six = f.length > 14 && u16(f, 12) == ETH_P_IPV6;
                    int off = underlay ? (six ? FIELDS6[rnd.nextInt(FIELDS6.length)] : FIELDS[rnd.nextInt(FIELDS.length)])
                            : 12 + 2 * rnd.nextInt(10);
                    if (off + 1 < f.length) {
                        f[off] = (byte) rnd.nextInt(256);
                        f[off + 1] = (byte) rnd.nextInt(256);
                    }
                }
                case 4 -> f = cat(f, payload(64));
                case 5 -> f = tagged(f, rnd.nextBoolean() ? ETH_P_8021Q : ETH_P_8021AD, rnd.nextInt(0x10000));
                default -> {
                    // a header field changed by a sender that then fixes the checksum, to reach the deeper checks
                    int off = 14 + rnd.nextInt(20);
                    if (underlay && f.length >= 34 && off != 24 && off != 25) {
                        f[off] = (byte) rnd.nextInt(256);
                        if ((f[14] & 0xff) == 0x45) f = reChecksum(f);
                    }
                }
            }
        }
        return f;
    }
}
