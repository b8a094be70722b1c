/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The VNI's tunnel MTU on encapsulation, as the kernel's vxlan enforces its device MTU: a frame
 * whose L2 payload exceeds the VNI's `mtu` never enters the tunnel. A DF-set IPv4 packet is
 * answered with ICMP "fragmentation needed" and an IPv6 packet with ICMPv6 "packet too big",
 * built in place and sent back out of the port it came from, with the checks and layout of the
 * kernel's iptunnel_pmtud_build_icmp{,v6} (net/ipv4/ip_tunnel_core.c): no answer for a tunnel MTU
 * below 576 / 1280, for broadcast/multicast/unspecified/loopback addresses or to an ICMP error,
 * the offending packet quoted up to what keeps the answer within 576 / 1280 bytes.
 */
#ifndef XVTEP_TUNNEL_MTU_H
#define XVTEP_TUNNEL_MTU_H

#include <linux/icmpv6.h>
#include <linux/ipv6.h>
#include "udp_csum.h"

/* ICMP for IPv4 (RFC 792; <linux/icmp.h> pulls in libc headers through <linux/if.h>) */
#define ICMP_DEST_UNREACH   3
#define ICMP_FRAG_NEEDED    4 /* code of DEST_UNREACH */
#define ICMP_SOURCE_QUENCH  4
#define ICMP_REDIRECT       5
#define ICMP_TIME_EXCEEDED  11
#define ICMP_PARAMETERPROB  12

struct icmphdr {
	__u8   type;
	__u8   code;
	__sum16 checksum;
	__be16 unused;
	__be16 mtu; /* next-hop MTU of a FRAG_NEEDED (RFC 1191) */
};

#define IPV4_MIN_MTU      576
#define IPV6_MIN_MTU      1280
#define ICMP4_MAX_QUOTE   (IPV4_MIN_MTU - sizeof(struct iphdr) - sizeof(struct icmphdr))   /* 548 */
#define ICMP6_MAX_QUOTE   (IPV6_MIN_MTU - sizeof(struct ipv6hdr) - sizeof(struct icmp6hdr)) /* 1232 */
#define ICMP_QUOTE_CHUNKS 3 /* CSUM_CHUNK-byte chunks that cover the longest quote */
#define NDISC_REDIRECT    137

_Static_assert(ICMP_QUOTE_CHUNKS * CSUM_CHUNK >= ICMP6_MAX_QUOTE, "the quote is summed in chunks");

/* The answer's headers in front of the quote (written from &eth); pads keep the IP headers aligned. */
struct too_big4 {
	__u8            pad[2];
	struct ethhdr   eth;
	struct iphdr    ip;
	struct icmphdr  icmp;
};

struct too_big6 {
	__u8             pad[2];
	struct ethhdr    eth;
	struct ipv6hdr   ip6;
	struct icmp6hdr  icmp6;
};

#define TOO_BIG4_LEN (sizeof(struct too_big4) - 2)
#define TOO_BIG6_LEN (sizeof(struct too_big6) - 2)

/* ICMP types the kernel never answers with an error (icmp_is_err). */
static __always_inline int icmp4_is_err(__u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT ||
	       type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
}

/*
 * Cut the frame to the quote and open room for the answer's headers after the Ethernet header.
 * Returns 0 or -1.
 */
static __always_inline int too_big_make_room(struct __sk_buff *skb, __u32 quote, __u32 hdrs)
{
	if (bpf_skb_change_tail(skb, ETH_HLEN + quote, 0))
		return -1;
	return bpf_skb_adjust_room(skb, hdrs, BPF_ADJ_ROOM_MAC, 0) ? -1 : 0;
}

/* IPv6 addresses the kernel never answers: unspecified, multicast, loopback (ipv6_addr_type). */
static __always_inline int ipv6_no_answer(const struct in6_addr *a)
{
	__u32 w0 = a->in6_u.u6_addr32[0], w1 = a->in6_u.u6_addr32[1], w2 = a->in6_u.u6_addr32[2];
	__u32 w3 = a->in6_u.u6_addr32[3];

	if (a->in6_u.u6_addr8[0] == 0xff)
		return 1;
	return !(w0 | w1 | w2) && (!w3 || w3 == bpf_htonl(1));
}

/*
 * The answer to a packet too big for the tunnel, built in place: ICMP fragmentation needed for IPv4 or
 * ICMPv6 packet too big for IPv6 (`ipv6`), redirected back out of port `ifindex`; 0 when the kernel would
 * not answer (the frame is then dropped). One flow for both families, as iptunnel_pmtud_build_icmp{,v6}:
 * which packets get an answer, the quote that keeps it within the family's minimum MTU, room for the
 * headers, swapped MACs and addresses, the checksum over headers and quote. A global function: its
 * stack is its own, not added to the port program's deepest chain (the flood loop's).
 */
__attribute__((noinline)) int too_big_answer(struct __sk_buff *skb, __u32 mtu, __u32 ifindex, __u32 ipv6)
{
	union {
		struct too_big4 v4;
		struct too_big6 v6;
	} a;
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} ip;
	struct ethhdr in, *eth = &a.v4.eth; /* at the same place in both answers */
	__u32 quote = skb->len - ETH_HLEN, max_quote = ipv6 ? ICMP6_MAX_QUOTE : ICMP4_MAX_QUOTE;
	__u32 l3len = ipv6 ? sizeof(ip.v6) : sizeof(ip.v4);
	__be32 pseudo[2];
	__u8 icmp_type;
	__s64 sum;

	_Static_assert(__builtin_offsetof(struct too_big4, eth) == __builtin_offsetof(struct too_big6, eth),
		       "both answers start with the Ethernet header");
	__builtin_memset(&a, 0, sizeof(a)); /* all of it: `= {}` would zero only the first (shorter) member */
	if (!skb)
		return 0;
	if (mtu < (ipv6 ? IPV6_MIN_MTU : IPV4_MIN_MTU) || bpf_skb_load_bytes(skb, 0, &in, ETH_HLEN) ||
	    bpf_skb_load_bytes(skb, ETH_HLEN, &ip, l3len))
		return 0;
	if (ipv6) {
		if (ip.v6.version != 6 || ipv6_no_answer(&ip.v6.saddr))
			return 0;
		if (ip.v6.nexthdr == IPPROTO_ICMPV6 &&
		    (bpf_skb_load_bytes(skb, ETH_HLEN + sizeof(ip.v6), &icmp_type, 1) ||
		     icmp_type < ICMPV6_INFOMSG_MASK || icmp_type == NDISC_REDIRECT))
			return 0; /* never an error about an error (or a redirect) */
	} else {
		if (ip.v4.version != 4 || ip.v4.frag_off != bpf_htons(IP_DF))
			return 0;
		if (ip.v4.daddr == 0xffffffffu || ipv4_is_multicast(ip.v4.daddr) || ipv4_is_martian_src(ip.v4.saddr))
			return 0;
		if (ip.v4.protocol == IPPROTO_ICMP &&
		    (bpf_skb_load_bytes(skb, ETH_HLEN + ip.v4.ihl * 4, &icmp_type, 1) || icmp4_is_err(icmp_type)))
			return 0;
	}
	if (quote > max_quote)
		quote = max_quote;
	if (too_big_make_room(skb, quote, ipv6 ? sizeof(a.v6.ip6) + sizeof(a.v6.icmp6) : sizeof(a.v4.ip) + sizeof(a.v4.icmp)))
		return 0;

	__builtin_memcpy(eth->h_dest, in.h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, in.h_dest, ETH_ALEN);
	if (ipv6) {
		eth->h_proto = bpf_htons(ETH_P_IPV6);
		a.v6.icmp6.icmp6_type = ICMPV6_PKT_TOOBIG;
		a.v6.icmp6.icmp6_dataun.un_data32[0] = bpf_htonl(mtu);
		a.v6.ip6.version = 6;
		a.v6.ip6.payload_len = bpf_htons(sizeof(a.v6.icmp6) + quote);
		a.v6.ip6.nexthdr = IPPROTO_ICMPV6;
		a.v6.ip6.hop_limit = ip.v6.hop_limit;
		a.v6.ip6.saddr = ip.v6.daddr;
		a.v6.ip6.daddr = ip.v6.saddr;
		/* pseudo-header (RFC 8200 8.1): addresses, upper-layer length, next header */
		pseudo[0] = bpf_htonl(sizeof(a.v6.icmp6) + quote);
		pseudo[1] = bpf_htonl(IPPROTO_ICMPV6);
		sum = bpf_csum_diff(0, 0, (__be32 *)&a.v6.ip6.saddr, 2 * sizeof(struct in6_addr), 0);
		sum = bpf_csum_diff(0, 0, pseudo, sizeof(pseudo), sum);
		sum = bpf_csum_diff(0, 0, (__be32 *)&a.v6.icmp6, sizeof(a.v6.icmp6), sum);
		sum = csum_add_range(skb, 0, TOO_BIG6_LEN, quote, sum, ICMP_QUOTE_CHUNKS);
		if (sum < 0)
			return 0;
		a.v6.icmp6.icmp6_cksum = csum_fold32(sum);
	} else {
		eth->h_proto = bpf_htons(ETH_P_IP);
		a.v4.icmp.type = ICMP_DEST_UNREACH;
		a.v4.icmp.code = ICMP_FRAG_NEEDED;
		a.v4.icmp.mtu = bpf_htons(mtu);
		sum = bpf_csum_diff(0, 0, (__be32 *)&a.v4.icmp, sizeof(a.v4.icmp), 0);
		sum = csum_add_range(skb, 0, TOO_BIG4_LEN, quote, sum, ICMP_QUOTE_CHUNKS);
		if (sum < 0)
			return 0;
		a.v4.icmp.checksum = csum_fold32(sum);
		a.v4.ip.version = 4;
		a.v4.ip.ihl = sizeof(a.v4.ip) / 4;
		a.v4.ip.tot_len = bpf_htons(sizeof(a.v4.ip) + sizeof(a.v4.icmp) + quote);
		a.v4.ip.frag_off = bpf_htons(IP_DF);
		a.v4.ip.ttl = ip.v4.ttl;
		a.v4.ip.protocol = IPPROTO_ICMP;
		a.v4.ip.saddr = ip.v4.daddr;
		a.v4.ip.daddr = ip.v4.saddr;
		a.v4.ip.check = ipv4_csum(&a.v4.ip);
	}
	if (bpf_skb_store_bytes(skb, 0, eth, ipv6 ? TOO_BIG6_LEN : TOO_BIG4_LEN, 0))
		return 0;
	return bpf_redirect(ifindex, 0);
}

/*
 * Whether the frame fits the VNI's tunnel MTU; 0 when it does (or the MTU is unset), else the
 * verdict: the ICMP/ICMPv6 answer redirected back out of port `ifindex` (DROP_FRAG_NEEDED counts
 * it) or a drop (DROP_TOO_BIG). A GSO frame is judged by its sender's segments (the port's MTU
 * made them), a tagged one is left to the underlay's MTU check.
 */
static __always_inline int vx_tunnel_mtu(struct __sk_buff *skb, const struct vni_cfg *cfg, __u32 ifindex,
					 struct vni_stats *st)
{
	int r = 0;

	if (!cfg->mtu || skb->len <= ETH_HLEN + cfg->mtu || skb->gso_size || skb->vlan_present)
		return 0;
	if (skb->protocol == bpf_htons(ETH_P_IP) || skb->protocol == bpf_htons(ETH_P_IPV6))
		r = too_big_answer(skb, cfg->mtu, ifindex, skb->protocol == bpf_htons(ETH_P_IPV6));
	if (!r)
		return drop(st, DROP_TOO_BIG);
	stat_drop(st, DROP_FRAG_NEEDED);
	return r;
}

#endif /* XVTEP_TUNNEL_MTU_H */
