/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Sums of the frame being encapsulated over IPv6, for the outer UDP checksum (RFC 8200 8.1): the VXLAN
 * payload is summed once per frame; each copy adds its own pseudo-header (vxlan_encap.h).
 */
#ifndef XVTEP_ENCAP_CSUM_H
#define XVTEP_ENCAP_CSUM_H

#include "udp_csum.h"

/*
 * The one's-complement sum of `len` bytes of the frame from `off` (the VXLAN payload of an IPv6 VNI's
 * frame, for its outer UDP checksum), or -1. A global function: checked once, its loop of chunks
 * never multiplies the caller's states.
 */
__attribute__((noinline)) __s64 vx_sum_bytes(struct __sk_buff *skb, __u32 off, __u32 len)
{
	if (!skb)
		return -1;
	return csum_add_range(skb, 0, off, len, 0, CSUM_MAX_CHUNKS);
}

/*
 * The one's-complement sum of the inner frame (`len` bytes from `off`, its L3 header at `l3`) as the outer
 * UDP checksum must count it. An inner TCP or UDP segment counts as the complement of its pseudo-header
 * sum: what it sums to once its own checksum is right (the kernel's local checksum offload, lco_csum).
 * That is exact whether the inner checksum is complete or still a CHECKSUM_PARTIAL seed that a NIC or the
 * stack fills in after us (a container's offloaded TCP). Anything else is summed as it stands; -1 on failure.
 */
__attribute__((noinline)) __s64 vx_sum_inner(struct __sk_buff *skb, __u32 off, __u32 len, __u32 l3)
{
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} ip;
	__be32 p4[3], p6[2];
	__u32 l4 = 0, l4len = 0, proto = 0, end = off + len;
	__be16 type, check;
	__s64 sum, p;

	if (!skb || bpf_skb_load_bytes(skb, l3 - 2, &type, sizeof(type)))
		return -1;
	if (type == bpf_htons(ETH_P_IP) && !bpf_skb_load_bytes(skb, l3, &ip.v4, sizeof(ip.v4)) &&
	    ip.v4.version == 4 && ip.v4.ihl >= 5 && !(ip.v4.frag_off & bpf_htons(IP_MF | IP_OFFSET))) {
		__u32 ihl = ip.v4.ihl * 4, tot = bpf_ntohs(ip.v4.tot_len);

		if (tot >= ihl && l3 + tot == end) {
			l4 = l3 + ihl;
			l4len = tot - ihl;
			proto = ip.v4.protocol;
			p4[0] = ip.v4.saddr;
			p4[1] = ip.v4.daddr;
			p4[2] = bpf_htonl(proto << 16 | l4len);
		}
	} else if (type == bpf_htons(ETH_P_IPV6) && !bpf_skb_load_bytes(skb, l3, &ip.v6, sizeof(ip.v6)) &&
		   ip.v6.version == 6 && l3 + sizeof(ip.v6) + bpf_ntohs(ip.v6.payload_len) == end) {
		l4 = l3 + sizeof(ip.v6);
		l4len = bpf_ntohs(ip.v6.payload_len);
		proto = ip.v6.nexthdr;
		p6[0] = bpf_htonl(l4len);
		p6[1] = bpf_htonl(proto);
	}
	if (!((proto == IPPROTO_TCP && l4len >= 20) || (proto == IPPROTO_UDP && l4len >= 8)) ||
	    bpf_skb_load_bytes(skb, l4 + (proto == IPPROTO_TCP ? 16 : 6), &check, sizeof(check)) ||
	    (type == bpf_htons(ETH_P_IP) && proto == IPPROTO_UDP && !check))
		return vx_sum_bytes(skb, off, len); /* not a checksummed TCP/UDP segment: the bytes as they are */
	if (type == bpf_htons(ETH_P_IP)) {
		p = bpf_csum_diff(0, 0, p4, sizeof(p4), 0);
	} else {
		p = bpf_csum_diff(0, 0, (__be32 *)&ip.v6.saddr, 2 * sizeof(struct in6_addr), 0);
		p = bpf_csum_diff(0, 0, p6, sizeof(p6), p);
	}
	sum = vx_sum_bytes(skb, off, l4 - off); /* an even length: Ethernet, tags, IP header */
	if (sum < 0 || p < 0)
		return -1;
	sum += csum_fold32(p); /* + ~pseudo: the segment's sum once its checksum is right */
	sum = (sum & 0xffffffff) + (sum >> 32);
	return (sum & 0xffffffff) + (sum >> 32); /* a 32-bit partial sum, as bpf_csum_diff's */
}

#endif /* XVTEP_ENCAP_CSUM_H */
