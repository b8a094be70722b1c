package io.xvtep.service;

import io.xvtep.model.IpAddress;
import io.xvtep.model.Vni;
import io.xvtep.model.VniConfig.Df;

import java.util.List;
import java.util.Map;

/**
 * A VNI as a client asked for it, parsed but not yet validated: every field optional (null:
 * not given, the default applies) except {@code vni} on create. Numbers stay wide so the
 * service's range checks name the field. {@code device} is the name of a host-side device (a
 * veth whose peer becomes a port of the VNI); {@code allowedSrc} the VTEPs VXLAN is accepted
 * from (null: not given, empty: no filter); {@code maxaddress} the VNI's learning limit.
 */
public record VniSpec(Vni vni, Long dstport, IpAddress local, IpAddress remote, IpAddress group, Inheritable ttl,
        Inheritable tos, Df df, Boolean learning, Boolean proxy, Boolean l2miss, Boolean l3miss, Long ageing,
        Long srcportMin, Long srcportMax, Long mtu, String device, List<IpAddress> allowedSrc, Long maxaddress,
        Boolean udp6zerocsumtx, Boolean udp6zerocsumrx, Inheritable flowlabel) {

    /** Without the IPv6 options. */
    public VniSpec(Vni vni, Long dstport, IpAddress local, IpAddress remote, IpAddress group, Inheritable ttl,
            Inheritable tos, Df df, Boolean learning, Boolean proxy, Boolean l2miss, Boolean l3miss, Long ageing,
            Long srcportMin, Long srcportMax, Long mtu, String device, List<IpAddress> allowedSrc, Long maxaddress) {
        this(vni, dstport, local, remote, group, ttl, tos, df, learning, proxy, l2miss, l3miss, ageing, srcportMin,
                srcportMax, mtu, device, allowedSrc, maxaddress, null, null, null);
    }

    /** Without a learning limit (the default, or the current one on a patch). */
    public VniSpec(Vni vni, Long dstport, IpAddress local, IpAddress remote, IpAddress group, Inheritable ttl,
            Inheritable tos, Df df, Boolean learning, Boolean proxy, Boolean l2miss, Boolean l3miss, Long ageing,
            Long srcportMin, Long srcportMax, Long mtu, String device, List<IpAddress> allowedSrc) {
        this(vni, dstport, local, remote, group, ttl, tos, df, learning, proxy, l2miss, l3miss, ageing, srcportMin,
                srcportMax, mtu, device, allowedSrc, null, null, null, null);
    }

    /** From typed values by option (as {@link VniOption#parse} makes them); absent options are null. */
    @SuppressWarnings("unchecked")
    public static VniSpec of(Map<VniOption, Object> v) {
        return new VniSpec((Vni) v.get(VniOption.VNI), (Long) v.get(VniOption.DSTPORT), (IpAddress) v.get(VniOption.LOCAL),
                (IpAddress) v.get(VniOption.REMOTE), (IpAddress) v.get(VniOption.GROUP), (Inheritable) v.get(VniOption.TTL),
                (Inheritable) v.get(VniOption.TOS), (Df) v.get(VniOption.DF), (Boolean) v.get(VniOption.LEARNING),
                (Boolean) v.get(VniOption.PROXY), (Boolean) v.get(VniOption.L2MISS), (Boolean) v.get(VniOption.L3MISS),
                (Long) v.get(VniOption.AGEING), (Long) v.get(VniOption.SRCPORT_MIN), (Long) v.get(VniOption.SRCPORT_MAX),
                (Long) v.get(VniOption.MTU), (String) v.get(VniOption.DEVICE), (List<IpAddress>) v.get(VniOption.ALLOWED_SRC),
                (Long) v.get(VniOption.MAXADDRESS), (Boolean) v.get(VniOption.UDP6ZEROCSUMTX),
                (Boolean) v.get(VniOption.UDP6ZEROCSUMRX), (Inheritable) v.get(VniOption.FLOWLABEL));
    }

    /** A number, or "inherit" from the inner packet (ttl, tos, flowlabel); a ttl of 0 is "auto". */
    public record Inheritable(boolean inherit, long value) {

        public static final Inheritable INHERIT = new Inheritable(true, 0);
        /** ttl "auto" (stored as 0): 1 to a multicast destination, 64 to a unicast one, as the kernel. */
        public static final Inheritable AUTO = new Inheritable(false, -1);

        public static Inheritable of(long value) {
            return new Inheritable(false, value);
        }

        @Override
        public String toString() {
            return inherit ? "inherit" : value < 0 ? "auto" : Long.toString(value);
        }
    }
}
