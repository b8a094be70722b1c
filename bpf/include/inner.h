/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* What encapsulation reads from the inner frame: TOS/TTL/DF/flow label for the outer headers, a flow hash. */
#ifndef XVTEP_INNER_H
#define XVTEP_INNER_H

#include "parse.h"

/* What inner_read may read: Ethernet, the longest IPv4 header (options), the L4 ports. */
#define VX_INNER_PULL_LEN (ETH_HLEN + 60 + 4)

/*
 * A flow hash of the inner frame for the outer UDP source port (RFC 7348 section 5): addresses, protocol
 * and ports of IPv4/IPv6 TCP and UDP, addresses and protocol of other IP, MACs and type of the rest.
 * XDP has no skb hash; TC takes the socket's (skb->hash) when the sender set one and this one otherwise,
 * instead of bpf_get_hash_recalc's flow dissector (~150 ns a frame, docs/benchmarks.md "encap diet").
 */
static __always_inline __u32 hash_mix(__u32 h, __u32 v)
{
	v *= 0xcc9e2d51u;
	v = (v << 15) | (v >> 17);
	v *= 0x1b873593u;
	h ^= v;
	h = (h << 13) | (h >> 19);
	return h * 5 + 0xe6546b64u;
}

static __always_inline __u32 hash_final(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

/* What the outer headers take from the inner packet (the TC program's vx_encap reads the same). */
struct inner_info {
	__u8  tos;
	__u8  ttl;
	__be16 frag_off; /* IP_DF for IPv6 (never fragmented on the way) */
	__u32 label;     /* IPv6 flow label */
	__u8  l4;        /* IPv4 protocol, IPv6 next header; 0 when not IP */
	__u32 hash;
};

/* Reads the inner IPv4/IPv6 header (if any) behind `eth`; never fails (a short header reads as none). */
static __always_inline void inner_read(struct ethhdr *eth, void *data_end, struct inner_info *in)
{
	__u32 h = 0x9747b28cu;
	__u16 *ports;

	h = hash_mix(h, *(__u32 *)&eth->h_dest[0] ^ *(__u32 *)&eth->h_source[2]);
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			goto out;
		in->tos = ip->tos;
		in->ttl = ip->ttl;
		in->frag_off = ip->frag_off;
		in->l4 = ip->protocol;
		h = hash_mix(hash_mix(hash_mix(0x9747b28cu, ip->saddr), ip->daddr), ip->protocol);
		ports = (void *)ip + ip->ihl * 4;
		if ((ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) &&
		    !(ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)) && (void *)(ports + 2) <= data_end)
			h = hash_mix(h, *(__u32 *)ports);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			goto out;
		in->tos = ipv6_tclass(ip6);
		in->ttl = ip6->hop_limit;
		in->frag_off = bpf_htons(IP_DF);
		in->label = bpf_ntohl(*(__be32 *)ip6) & IPV6_FLOWLABEL_MASK;
		in->l4 = ip6->nexthdr;
		h = 0x9747b28cu;
#pragma unroll
		for (int i = 0; i < 4; i++)
			h = hash_mix(h, ip6->saddr.s6_addr32[i] ^ ip6->daddr.s6_addr32[i]);
		h = hash_mix(h, ip6->nexthdr);
		ports = (void *)(ip6 + 1);
		if ((ip6->nexthdr == IPPROTO_TCP || ip6->nexthdr == IPPROTO_UDP) && (void *)(ports + 2) <= data_end)
			h = hash_mix(h, *(__u32 *)ports);
	} else {
		h = hash_mix(h, eth->h_proto);
	}
out:
	in->hash = hash_final(h);
}

#endif /* XVTEP_INNER_H */
