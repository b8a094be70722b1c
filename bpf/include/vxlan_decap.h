/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Decapsulation (TC, underlay ingress): removing the outer headers, RFC 6040 ECN on the way out. */
#ifndef XVTEP_VXLAN_DECAP_H
#define XVTEP_VXLAN_DECAP_H

#include "udp_csum.h"

/* bpf_skb_adjust_room refuses to leave less than an IPv4 (IPv6 for an IPv6 skb) header after the MAC header. */
#define STRIP_MIN_INNER  (ETH_HLEN + sizeof(struct iphdr))
#define STRIP_MIN_INNER6 (ETH_HLEN + sizeof(struct ipv6hdr))

/* Kernel 6.3+ (the installed UAPI header may predate them): the strip also sets skb->protocol. */
#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif

/*
 * Strip the outer headers: copy the inner Ethernet header over the outer one, then
 * remove the `outer_len` bytes that follow it. The result is exactly the inner frame:
 * bytes past the UDP datagram (Ethernet padding, a short UDP length) are cut first, and
 * an inner frame too short for adjust_room is padded for the strip and cut back after.
 * A GSO aggregate (GRO on the underlay, or a GSO frame from a VTEP on this machine) keeps its
 * gso_size (FIXED_GSO): it is the inner segments' size, which the outer headers never counted
 * (the kernel refuses to change it for UDP GSO and would grow a TCP MSS by 50 bytes). This kernel
 * has no flag to clear SKB_GSO_UDP_TUNNEL on decap: the aggregate keeps that bit, harmless for
 * delivery to a container (its stack takes GSO frames as GRO ones).
 */
static __always_inline int vx_strip(struct __sk_buff *skb, const struct vx_info *vx, struct ethhdr *inner)
{
	__u32 min = vx->ipv6 ? STRIP_MIN_INNER6 : STRIP_MIN_INNER;
	__u32 want = vx->inner_len < min ? min : vx->inner_len;
	__u64 decap = 0;

	/* An inner packet of the other family than the outer one: skb->protocol must become the inner's.
	 * A veth crossing would set it again, but a GSO aggregate is segmented before that by skb->protocol
	 * (an IPv4 TCP aggregate taken for IPv6 lost all but one segment: TCP over IPv6 VTEPs crawled). */
	if (vx->ipv6 && inner->h_proto == bpf_htons(ETH_P_IP))
		decap = BPF_F_ADJ_ROOM_DECAP_L3_IPV4;
	else if (!vx->ipv6 && inner->h_proto == bpf_htons(ETH_P_IPV6))
		decap = BPF_F_ADJ_ROOM_DECAP_L3_IPV6;

	if (skb->len != vx->outer_len + want && bpf_skb_change_tail(skb, vx->outer_len + want, 0))
		return -1;
	if (bpf_skb_store_bytes(skb, 0, inner, ETH_HLEN, 0))
		return -1;
	if (bpf_skb_adjust_room(skb, -(__s32)vx->outer_len, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_FIXED_GSO | decap) &&
	    (!decap || bpf_skb_adjust_room(skb, -(__s32)vx->outer_len, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_FIXED_GSO)))
		return -1; /* retried without the flag: a kernel before 6.3 refuses it */
	if (want != vx->inner_len && bpf_skb_change_tail(skb, vx->inner_len, 0))
		return -1;
	return 0;
}

/* Whether decapsulation may have to rewrite the inner ECN field (RFC 6040 section 4.2): outer CE or ECT(1). */
static __always_inline int vx_ecn_needs_work(__u8 outer_tos)
{
	__u8 o = outer_tos & IP_ECN_MASK;

	return o == IP_ECN_CE || o == IP_ECN_ECT_1;
}

/*
 * The inner ECN field after decapsulation (RFC 6040 section 4.2, the kernel's INET_ECN_decapsulate):
 * outer CE marks an ECT inner packet CE, outer ECT(1) turns inner ECT(0) into ECT(1); -1 when the
 * packet must be dropped (outer CE over an inner Not-ECT packet).
 */
static __always_inline int ecn_decap(__u8 outer, __u8 inner)
{
	outer &= IP_ECN_MASK;
	inner &= IP_ECN_MASK;
	if (outer == IP_ECN_CE)
		return inner == IP_ECN_NOT_ECT ? -1 : IP_ECN_CE;
	if (outer == IP_ECN_ECT_1 && inner == IP_ECN_ECT_0)
		return IP_ECN_ECT_1;
	return inner;
}

/*
 * RFC 6040 for IPv4 and IPv6 inner packets: returns 1 when the frame must be dropped, else rewrites
 * the inner ECN field where needed. Runs before the strip: the inner L3 header is at outer_len + ETH_HLEN,
 * and counts only when it lies inside the inner frame (bytes past the UDP datagram are not the packet's).
 */
static __always_inline int vx_ecn(struct __sk_buff *skb, const struct vx_info *vx, const struct ethhdr *inner)
{
	__u32 off = vx->outer_len + ETH_HLEN;
	int ecn;

	if (!vx_ecn_needs_work(vx->outer_tos))
		return 0;
	if (inner->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr iph;
		__u16 old, new;

		if (ETH_HLEN + sizeof(iph) > vx->inner_len || bpf_skb_load_bytes(skb, off, &iph, sizeof(iph)))
			return 0;
		ecn = ecn_decap(vx->outer_tos, iph.tos);
		if (ecn < 0)
			return 1;
		if (ecn == (iph.tos & IP_ECN_MASK))
			return 0;
		old = *(__u16 *)&iph; /* the 16-bit checksum word holding version/ihl and tos */
		iph.tos = (iph.tos & ~IP_ECN_MASK) | ecn;
		new = *(__u16 *)&iph;
		bpf_l3_csum_replace(skb, off + offsetof(struct iphdr, check), old, new, sizeof(__u16));
		bpf_skb_store_bytes(skb, off + offsetof(struct iphdr, tos), &iph.tos, sizeof(iph.tos), 0);
	} else if (inner->h_proto == bpf_htons(ETH_P_IPV6)) {
		__be32 w; /* version 4 bits, traffic class 8, flow label 20: ECN is bits 20-21 */
		__u8 tc;

		if (ETH_HLEN + sizeof(w) > vx->inner_len || bpf_skb_load_bytes(skb, off, &w, sizeof(w)))
			return 0;
		tc = bpf_ntohl(w) >> 20;
		ecn = ecn_decap(vx->outer_tos, tc);
		if (ecn < 0)
			return 1;
		if (ecn == (tc & IP_ECN_MASK))
			return 0;
		w = bpf_htonl((bpf_ntohl(w) & ~(IP_ECN_MASK << 20)) | (__u32)ecn << 20);
		bpf_skb_store_bytes(skb, off, &w, sizeof(w), 0); /* no header checksum in IPv6 */
	}
	return 0;
}

#endif /* XVTEP_VXLAN_DECAP_H */
