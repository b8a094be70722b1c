/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Decapsulation (TC, underlay ingress): removing the outer headers, RFC 6040 ECN on the way out. */
#ifndef XVTEP_VXLAN_DECAP_H
#define XVTEP_VXLAN_DECAP_H

#include "udp_csum.h"

/* bpf_skb_adjust_room refuses to leave less than an IPv4 header after the MAC header. */
#define STRIP_MIN_INNER (ETH_HLEN + sizeof(struct iphdr))

/*
 * Strip the outer headers: copy the inner Ethernet header over the outer one, then
 * remove the `outer_len` bytes that follow it. The result is exactly the inner frame:
 * bytes past the UDP datagram (Ethernet padding, a short UDP length) are cut first, and
 * an inner frame too short for adjust_room is padded for the strip and cut back after.
 */
static __always_inline int vx_strip(struct __sk_buff *skb, const struct vx_info *vx, struct ethhdr *inner)
{
	__u32 want = vx->inner_len < STRIP_MIN_INNER ? STRIP_MIN_INNER : vx->inner_len;

	if (skb->len != vx->outer_len + want && bpf_skb_change_tail(skb, vx->outer_len + want, 0))
		return -1;
	if (bpf_skb_store_bytes(skb, 0, inner, ETH_HLEN, 0))
		return -1;
	if (bpf_skb_adjust_room(skb, -(__s32)vx->outer_len, BPF_ADJ_ROOM_MAC, 0))
		return -1;
	if (want != vx->inner_len && bpf_skb_change_tail(skb, vx->inner_len, 0))
		return -1;
	return 0;
}

/*
 * RFC 6040: outer CE on inner Not-ECT is dropped (returns 1); on inner ECT the inner
 * header becomes CE. Runs before the strip: the inner IPv4 header is at outer_len + ETH_HLEN.
 */
static __always_inline int vx_ecn(struct __sk_buff *skb, const struct vx_info *vx, const struct ethhdr *inner)
{
	__u32 off = vx->outer_len + ETH_HLEN;
	struct iphdr iph;
	__u16 old, new;

	if ((vx->outer_tos & IP_ECN_MASK) != IP_ECN_CE)
		return 0;
	if (inner->h_proto != bpf_htons(ETH_P_IP))
		return 0; /* only IPv4 inner ECN is rewritten; others pass unchanged */
	if (bpf_skb_load_bytes(skb, off, &iph, sizeof(iph)))
		return 0;
	if ((iph.tos & IP_ECN_MASK) == IP_ECN_NOT_ECT)
		return 1;
	if ((iph.tos & IP_ECN_MASK) == IP_ECN_CE)
		return 0;
	old = *(__u16 *)&iph; /* the 16-bit checksum word holding version/ihl and tos */
	iph.tos |= IP_ECN_CE;
	new = *(__u16 *)&iph;
	bpf_l3_csum_replace(skb, off + offsetof(struct iphdr, check), old, new, sizeof(__u16));
	bpf_skb_store_bytes(skb, off + offsetof(struct iphdr, tos), &iph.tos, sizeof(iph.tos), 0);
	return 0;
}

#endif /* XVTEP_VXLAN_DECAP_H */
