package io.xvtep.datapath;

import static io.xvtep.datapath.MapCodec.check;
import static io.xvtep.datapath.MapCodec.le;

/** struct port_cfg: value of xvtep_ports, key __u32 ifindex. */
public record PortCfg(int vni, int flags) {
    public static final int SIZE = 8;
    public static final int OFF_VNI = 0, OFF_FLAGS = 4;
    public static final int F_XDP = Abi.PORT_F_XDP, F_PEER = Abi.PORT_F_PEER, F_XDP_ENCAP = Abi.PORT_F_XDP_ENCAP;

    public byte[] encode() {
        byte[] b = new byte[SIZE];
        le(b).putInt(OFF_VNI, vni).putInt(OFF_FLAGS, flags);
        return b;
    }

    public static PortCfg decode(byte[] b) {
        check(b, SIZE, "port_cfg");
        return new PortCfg(le(b).getInt(OFF_VNI), le(b).getInt(OFF_FLAGS));
    }
}
