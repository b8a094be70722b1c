package io.xvtep.datapath;

import java.util.Arrays;

import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;

/** struct neigh6_key: key of xvtep_neigh6 (ip in network order). */
public record Neigh6Key(int vni, byte[] ip) {
    public static final int SIZE = 20;
    public static final int OFF_VNI = 0, OFF_IP = 4;

    public Neigh6Key {
        if (ip == null || ip.length != 16) {
            throw new IllegalArgumentException("an IPv6 address has 16 bytes");
        }
        ip = ip.clone();
    }

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        le(b).putInt(OFF_VNI, vni);
        System.arraycopy(ip, 0, b, OFF_IP, 16);
        return b;
    }

    public static Neigh6Key decode(byte[] b) {
        check(b, SIZE, "neigh6_key");
        return new Neigh6Key(le(b).getInt(OFF_VNI), Arrays.copyOfRange(b, OFF_IP, OFF_IP + 16));
    }

    @Override
    public byte[] ip() {
        return ip.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Neigh6Key k && k.vni == vni && Arrays.equals(k.ip, ip);
    }

    @Override
    public int hashCode() {
        return 31 * vni + Arrays.hashCode(ip);
    }
}
