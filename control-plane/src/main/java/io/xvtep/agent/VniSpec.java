package io.xvtep.agent;

import java.util.List;

/**
 * A VNI as a client asked for it: every field optional except {@code vni}; strings are not
 * yet parsed so that the service can name the offending field. {@code ttl} and {@code tos}
 * are a number or the string "inherit". {@code device} is the name of a host-side device
 * (a veth whose peer becomes a port of the VNI); {@code allowedSrc} the VTEPs VXLAN is
 * accepted from (null: not given, empty: no filter).
 */
public record VniSpec(Long vni, Long dstport, String local, String remote, String group, Object ttl, Object tos,
        String df, Boolean learning, Boolean proxy, Boolean l2miss, Boolean l3miss, Long ageing, Long srcportMin,
        Long srcportMax, Long mtu, String device, List<String> allowedSrc) {

    /** The original option set, without device and allowed sources. */
    public VniSpec(Long vni, Long dstport, String local, String remote, String group, Object ttl, Object tos,
            String df, Boolean learning, Boolean proxy, Boolean l2miss, Boolean l3miss, Long ageing, Long srcportMin,
            Long srcportMax, Long mtu) {
        this(vni, dstport, local, remote, group, ttl, tos, df, learning, proxy, l2miss, l3miss, ageing, srcportMin,
                srcportMax, mtu, null, null);
    }
}
