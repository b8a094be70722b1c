/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * ARP and IPv6 neighbour-solicitation proxy (the kernel vxlan device's `proxy`):
 * requests from a local port whose target is in the VNI's neigh table are answered
 * in place and sent back out of the same port; they never reach the underlay.
 */
#ifndef XVTEP_PROXY_H
#define XVTEP_PROXY_H

#include <linux/in6.h>
#include <linux/ipv6.h>
#include "parse.h"
#include "events.h"

enum proxy_result {
	PROXY_NOT_MINE = -1, /* not a request the proxy handles: forward as usual */
	PROXY_MISS     = -2, /* a request with no neigh entry: local ports only, never the underlay */
};

/* Ethernet + ARP as they sit in the frame; 42 bytes. */
struct arp_frame {
	struct ethhdr        eth;
	struct arp_eth_ipv4  arp;
} __attribute__((packed));

/* Answer an ARP request from the neigh table. Returns a TC verdict or a proxy_result. */
static __always_inline int arp_proxy(struct __sk_buff *skb, const struct vni_cfg *cfg, __u32 ifindex,
				     struct vni_stats *st)
{
	struct arp_frame f;
	struct neigh_key k = { .vni = cfg->vni };
	struct neigh_entry *n;
	__be32 sip, tip;

	if (bpf_skb_load_bytes(skb, 0, &f, sizeof(f)))
		return PROXY_NOT_MINE;
	if (f.arp.ar_hrd != bpf_htons(ARP_HRD_ETHER) || f.arp.ar_pro != bpf_htons(ETH_P_IP) ||
	    f.arp.ar_hln != ETH_ALEN || f.arp.ar_pln != IPV4_ALEN || f.arp.ar_op != bpf_htons(ARP_OP_REQUEST))
		return PROXY_NOT_MINE;
	sip = f.arp.ar_sip;
	tip = f.arp.ar_tip;
	/* as the kernel's arp_reduce: no answers for loopback or multicast targets; announcements pass */
	if (ipv4_is_loopback(tip) || ipv4_is_multicast(tip) || sip == tip)
		return PROXY_NOT_MINE;

	k.ip = tip;
	n = bpf_map_lookup_elem(&xvtep_neigh, &k);
	if (!n) {
		if (cfg->flags & VNI_F_L3MISS) {
			STAT_INC(st, l3miss);
			miss_emit(XVTEP_EV_L3MISS, cfg->vni, 0, tip);
		}
		return PROXY_MISS;
	}

	__builtin_memcpy(f.eth.h_dest, f.arp.ar_sha, ETH_ALEN);
	__builtin_memcpy(f.eth.h_source, n->mac, ETH_ALEN);
	f.arp.ar_op = bpf_htons(ARP_OP_REPLY);
	__builtin_memcpy(f.arp.ar_tha, f.arp.ar_sha, ETH_ALEN);
	__builtin_memcpy(f.arp.ar_sha, n->mac, ETH_ALEN);
	f.arp.ar_tip = sip;
	f.arp.ar_sip = tip;
	if (bpf_skb_store_bytes(skb, 0, &f, sizeof(f), 0))
		return drop(st, DROP_ADJUST);
	STAT_INC(st, proxied);
	return bpf_redirect(ifindex, 0); /* back out of the port it came from */
}

/*
 * IPv6 NS with a source link-layer option: 14 + 40 + 24 + 8 = 86 bytes on the wire,
 * read and written from &eth; the pad keeps the IPv6 header aligned on the stack.
 */
struct ns_frame {
	__u8           pad[2];
	struct ethhdr  eth;
	struct ipv6hdr ip6;
	__u8           type, code;
	__be16         csum;
	__be32         flags;     /* NS: reserved; NA: R|S|O */
	__u8           target[IPV6_ALEN];
	__u8           opt_type, opt_len;
	__u8           opt_mac[ETH_ALEN];
};
#define NS_FRAME_LEN   (sizeof(struct ns_frame) - 2)
#define NS_PAYLOAD_LEN (NS_FRAME_LEN - ETH_HLEN - sizeof(struct ipv6hdr)) /* ICMPv6 message: 32 bytes */
_Static_assert(sizeof(struct ns_frame) - 2 == 86, "NS/NA frame is 86 bytes");

/* Answer an IPv6 neighbour solicitation from the neigh6 table (RFC 4861 section 7.2.4). */
static __always_inline int nd_proxy(struct __sk_buff *skb, const struct vni_cfg *cfg, __u32 ifindex,
				    struct vni_stats *st)
{
	struct ns_frame f;
	struct neigh6_key k = { .vni = cfg->vni };
	struct neigh_entry *n;
	__u32 pseudo[2];
	__s64 sum;

	if (skb->len < NS_FRAME_LEN || bpf_skb_load_bytes(skb, 0, &f.eth, NS_FRAME_LEN))
		return PROXY_NOT_MINE;
	if (f.ip6.nexthdr != IPPROTO_ICMPV6 || f.ip6.hop_limit != ND_HOP_LIMIT || f.type != NDISC_NS ||
	    f.code != 0 || f.ip6.payload_len != bpf_htons(NS_PAYLOAD_LEN) || f.opt_type != ND_OPT_SLLA ||
	    f.opt_len != 1 /* units of 8 bytes */)
		return PROXY_NOT_MINE; /* DAD (no SLLA, source ::) and odd options go on as usual */
	if (!(f.ip6.saddr.in6_u.u6_addr32[0] | f.ip6.saddr.in6_u.u6_addr32[1] | f.ip6.saddr.in6_u.u6_addr32[2] |
	      f.ip6.saddr.in6_u.u6_addr32[3]))
		return PROXY_NOT_MINE; /* a DAD probe even with a (bogus) SLLA: the owner must answer it, not us */

	__builtin_memcpy(k.ip, f.target, IPV6_ALEN);
	n = bpf_map_lookup_elem(&xvtep_neigh6, &k);
	if (!n) {
		if (cfg->flags & VNI_F_L3MISS) {
			STAT_INC(st, l3miss);
			miss_emit6(XVTEP_EV_L3MISS, cfg->vni, 0, 0, f.target);
		}
		return PROXY_MISS;
	}

	__builtin_memcpy(f.eth.h_dest, f.eth.h_source, ETH_ALEN);
	__builtin_memcpy(f.eth.h_source, n->mac, ETH_ALEN);
	__builtin_memcpy(&f.ip6.daddr, &f.ip6.saddr, IPV6_ALEN);
	__builtin_memcpy(&f.ip6.saddr, f.target, IPV6_ALEN);
	f.type = NDISC_NA;
	/* without R for a router, hosts drop it from their default routers (RFC 4861 7.2.5) */
	f.flags = bpf_htonl(ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE | (n->flags & NEIGH_F_ROUTER ? ND_NA_F_ROUTER : 0));
	f.opt_type = ND_OPT_TLLA;
	__builtin_memcpy(f.opt_mac, n->mac, ETH_ALEN);
	f.csum = 0;
	/* ICMPv6 checksum: pseudo header (addresses, length, next header) + message */
	pseudo[0] = bpf_htonl(NS_PAYLOAD_LEN);
	pseudo[1] = bpf_htonl(IPPROTO_ICMPV6);
	sum = bpf_csum_diff(0, 0, (__be32 *)&f.ip6.saddr, 2 * IPV6_ALEN, 0);
	sum = bpf_csum_diff(0, 0, pseudo, sizeof(pseudo), sum);
	sum = bpf_csum_diff(0, 0, (__be32 *)&f.type, NS_PAYLOAD_LEN, sum);
	if (sum < 0)
		return PROXY_NOT_MINE;
	f.csum = csum_fold32(sum);
	if (bpf_skb_store_bytes(skb, 0, &f.eth, NS_FRAME_LEN, 0))
		return drop(st, DROP_ADJUST);
	STAT_INC(st, proxied);
	return bpf_redirect(ifindex, 0);
}

#endif /* XVTEP_PROXY_H */
