package io.xvtep.agent;

/**
 * A VNI as a client asked for it: every field optional except {@code vni}; strings are not
 * yet parsed so that the service can name the offending field. {@code ttl} and {@code tos}
 * are a number or the string "inherit".
 */
public record VniSpec(Long vni, Long dstport, String local, String remote, String group, Object ttl, Object tos,
        String df, Boolean learning, Boolean proxy, Boolean l2miss, Boolean l3miss, Long ageing, Long srcportMin,
        Long srcportMax, Long mtu) {
}
