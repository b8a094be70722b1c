/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Encapsulation (TC, local port ingress): growing the frame by the outer headers, addressing
 * each copy through the FIB, unicast to one VTEP and head-end replication to a flood list.
 */
#ifndef XVTEP_VXLAN_ENCAP_H
#define XVTEP_VXLAN_ENCAP_H

#include "vxlan.h"
#include "events.h"
#include "tunnel_mtu.h"

struct encap_ctx {
	struct vxlan_outer o;
	__u32 inner_len;
	union vtep_addr src; /* the outer source */
	union vtep_addr dst; /* the copy being sent's outer destination (set by vx_send_to) */
};

/*
 * The outer headers being sent, per CPU: lets vx_send be a global function that the
 * verifier checks once, instead of once per flood-loop iteration. Private to the object
 * that encapsulates (not pinned), so it lives with the code that uses it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct encap_ctx);
} xvtep_encap_scratch SEC(".maps");

static __always_inline struct encap_ctx *encap_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&xvtep_encap_scratch, &zero);
}

/* RFC 6040 / kernel ip_tunnel_ecn_encap: outer ECN copies inner, inner CE becomes ECT(0). */
static __always_inline __u8 ecn_encap(__u8 outer_tos, __u8 inner_tos)
{
	__u8 ecn = inner_tos & IP_ECN_MASK;

	if (ecn == IP_ECN_CE)
		ecn = IP_ECN_ECT_0;
	return (outer_tos & ~IP_ECN_MASK) | ecn;
}

/* UDP source port from the inner flow hash, within the VNI's range (RFC 7348 section 5). */
static __always_inline __be16 vx_srcport(const struct vni_cfg *cfg, __u32 hash)
{
	__u32 lo = cfg->srcport_min, hi = cfg->srcport_max;

	if (!lo || hi < lo) {
		lo = SRCPORT_DEFAULT_MIN;
		hi = SRCPORT_DEFAULT_MAX;
	}
	return bpf_htons(lo + (__u16)(((__u64)hash * (hi - lo + 1)) >> 32));
}

/* Outer Ethernet addresses for `dst`: derived for multicast groups, from the FIB otherwise. */
enum nh_result {
	NH_OK,         /* outer->eth filled, *ifindex set */
	NH_NO_NEIGH,   /* route found but neighbour unresolved: nh_ip/ifindex set */
	NH_FAIL,       /* no route */
};

static __always_inline enum nh_result vx_nexthop(struct __sk_buff *skb, struct xvtep_config *gc,
						 const union vtep_addr *src, const union vtep_addr *dst,
						 struct vxlan_outer *o, __u32 *ifindex, union vtep_addr *nh)
{
	struct bpf_fib_lookup fib = {};
	const __u8 *d = &dst->a8[12];
	int rc;

	if (ipv4_is_multicast(addr_v4(dst))) {
		o->eth.h_dest[0] = IPV4_MCAST_MAC0;
		o->eth.h_dest[1] = IPV4_MCAST_MAC1;
		o->eth.h_dest[2] = IPV4_MCAST_MAC2;
		o->eth.h_dest[3] = d[1] & IPV4_MCAST_MAC_LOW;
		o->eth.h_dest[4] = d[2];
		o->eth.h_dest[5] = d[3];
		__builtin_memcpy(o->eth.h_source, gc->underlay_mac, ETH_ALEN);
		*ifindex = gc->underlay_ifindex;
		return NH_OK;
	}
	fib.family = AF_INET;
	fib.l4_protocol = IPPROTO_UDP;
	/*
	 * tot_len stays 0: given a length, the FIB lookup checks it against the route MTU and
	 * refuses GSO super-frames (FRAG_NEEDED). bpf_check_mtu already judged the frame,
	 * segment by segment for GSO.
	 */
	fib.ipv4_src = addr_v4(src);
	fib.ipv4_dst = addr_v4(dst);
	fib.ifindex = gc->underlay_ifindex;
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_OUTPUT);
	*ifindex = fib.ifindex;
	addr_set_v4(nh, fib.ipv4_dst); /* the gateway when there is one */
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		__builtin_memcpy(o->eth.h_dest, fib.dmac, ETH_ALEN);
		__builtin_memcpy(o->eth.h_source, fib.smac, ETH_ALEN);
		return NH_OK;
	}
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		return NH_NO_NEIGH;
	return NH_FAIL;
}

/* Whether the frame still fits the underlay once encapsulated (GSO frames judged by their segments). */
static __always_inline int mtu_ok(struct __sk_buff *skb, struct xvtep_config *gc)
{
	__u32 mtu = 0;

	return bpf_check_mtu(skb, gc->underlay_ifindex, &mtu, VXLAN_ENCAP_LEN, 0) != BPF_MTU_CHK_RET_FRAG_NEEDED;
}

_Static_assert(DROP_TRUNCATED == 0, "vx_encap returns 0 for success and never DROP_TRUNCATED");

#define VLAN_TAG_LEN  4
#define VX_MAX_TAGS   2 /* 802.1ad over 802.1Q */

/*
 * A tag the port's veth took out of the frame (skb->vlan_tci) belongs inside the inner frame:
 * left in the metadata it would go out on the underlay's outer header (bpf_redirect keeps it),
 * letting a tenant pick the VLAN of its tunnel traffic. Pops up to VX_MAX_TAGS (popping one
 * moves the next in-band tag into the metadata) and returns them, outer first, as they go on
 * the wire (TPID, TCI); -1 if the kernel refused or more tags are stacked.
 */
static __always_inline int vx_take_tags(struct __sk_buff *skb, __be32 *tags)
{
	int n = 0;

	for (int i = 0; i < VX_MAX_TAGS; i++) {
		if (!skb->vlan_present)
			break;
		tags[i] = bpf_htonl(bpf_ntohs((__u16)skb->vlan_proto) << 16 | (skb->vlan_tci & 0xffff));
		if (bpf_skb_vlan_pop(skb))
			return -1;
		n++;
	}
	return skb->vlan_present ? -1 : n;
}

/*
 * Grow the frame by 50 bytes in front of the inner Ethernet header and fill the
 * outer headers except the destination (set per copy by vx_send). IP frames use
 * adjust_room with the encap flags so GSO keeps working; the helper refuses
 * other protocols (ARP), which are not GSO anyway and take change_head.
 * A UDP GSO frame (UDP_SEGMENT senders, QUIC) keeps its gso_size (FIXED_GSO: the size
 * delimits the sender's datagrams, and the kernel refuses to change it); a TCP one has its
 * MSS lowered by the 50 bytes so each segment still fits the underlay.
 * Returns 0, or why the frame must be dropped.
 */
static __always_inline enum drop_reason vx_encap(struct __sk_buff *skb, const struct vni_cfg *cfg,
						 struct xvtep_config *gc)
{
	struct encap_ctx *c = encap_scratch();
	__u64 flags = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_UDP |
		      BPF_F_ADJ_ROOM_ENCAP_L2_ETH | BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN);
	__u32 hash = bpf_get_hash_recalc(skb);
	struct ethhdr eth;
	struct iphdr in_ip = {};
	__be32 tags[VX_MAX_TAGS] = {};
	__u32 tag_len;
	__u8 l4 = 0, tos = cfg->tos;
	__u16 frag = 0;
	int n;

	if (!c)
		return DROP_INTERNAL;
	n = vx_take_tags(skb, tags);
	if (n < 0)
		return DROP_ADJUST;
	tag_len = n * VLAN_TAG_LEN;
	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return DROP_ADJUST;
	if (eth.h_proto == bpf_htons(ETH_P_IP)) {
		if (!bpf_skb_load_bytes(skb, ETH_HLEN, &in_ip, sizeof(in_ip)))
			l4 = in_ip.protocol;
	} else if (eth.h_proto == bpf_htons(ETH_P_IPV6)) {
		/* the IPv6 header's traffic class and hop limit stand in for tos and ttl; IPv6 is never
		 * fragmented on the way, so df inherit sets DF (as the kernel's vxlan does) */
		__be32 w[2];

		if (!bpf_skb_load_bytes(skb, ETH_HLEN, w, sizeof(w))) {
			in_ip.tos = bpf_ntohl(w[0]) >> 20;
			in_ip.ttl = bpf_ntohl(w[1]) & 0xff;
			in_ip.frag_off = bpf_htons(IP_DF);
			l4 = bpf_ntohl(w[1]) >> 8; /* next header */
		}
	}
	if (skb->gso_size && l4 == IPPROTO_UDP)
		flags |= BPF_F_ADJ_ROOM_FIXED_GSO;
	if (cfg->flags & VNI_F_TOS_INHERIT)
		tos = in_ip.tos;
	tos = ecn_encap(tos, in_ip.tos);
	if (cfg->flags & VNI_F_DF_SET)
		frag = bpf_htons(IP_DF);
	else if (cfg->flags & VNI_F_DF_INHERIT)
		frag = in_ip.frag_off & bpf_htons(IP_DF);

	c->inner_len = skb->len + tag_len;
	c->src = *vni_local_ip(cfg, gc);
	if (skb->protocol == bpf_htons(ETH_P_IP) || skb->protocol == bpf_htons(ETH_P_IPV6)) {
		/* the inner MAC header is 14 bytes, or 18/22 with the tags: GSO finds the inner L3 right */
		if (n == 0) {
			if (bpf_skb_adjust_room(skb, VXLAN_ENCAP_LEN, BPF_ADJ_ROOM_MAC, flags))
				return DROP_ADJUST;
		} else if (bpf_skb_adjust_room(skb, VXLAN_ENCAP_LEN + tag_len, BPF_ADJ_ROOM_MAC,
					       (flags & ~BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN)) |
					       BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN + tag_len))) {
			return DROP_ADJUST;
		}
		/* room sits after the old Ethernet header: move that header to the inner slot (around the tags) */
		if (n == 0 ? bpf_skb_store_bytes(skb, VXLAN_OUTER_LEN, &eth, ETH_HLEN, 0) :
		    bpf_skb_store_bytes(skb, VXLAN_OUTER_LEN, &eth, 2 * ETH_ALEN, 0) ||
		    bpf_skb_store_bytes(skb, VXLAN_OUTER_LEN + 2 * ETH_ALEN + tag_len, &eth.h_proto, sizeof(eth.h_proto), 0))
			return DROP_ADJUST;
	} else if (bpf_skb_change_head(skb, VXLAN_ENCAP_LEN + tag_len, 0) ||
		   (n && bpf_skb_store_bytes(skb, VXLAN_OUTER_LEN, &eth, 2 * ETH_ALEN, 0))) {
		return DROP_ADJUST; /* change_head: the MACs move in front of the tags, the type already sits after them */
	}
	if (n > 0 && bpf_skb_store_bytes(skb, VXLAN_OUTER_LEN + 2 * ETH_ALEN, &tags[0], VLAN_TAG_LEN, 0))
		return DROP_ADJUST;
	if (n > 1 && bpf_skb_store_bytes(skb, VXLAN_OUTER_LEN + 2 * ETH_ALEN + VLAN_TAG_LEN, &tags[1], VLAN_TAG_LEN, 0))
		return DROP_ADJUST;

	__builtin_memset(&c->o, 0, sizeof(c->o));
	c->o.eth.h_proto = bpf_htons(ETH_P_IP);
	c->o.ip.version = IPVERSION;
	c->o.ip.ihl = sizeof(struct iphdr) / 4;
	c->o.ip.tos = tos;
	c->o.ip.tot_len = bpf_htons(c->inner_len + sizeof(struct iphdr) + sizeof(struct udphdr) + VXLAN_HLEN);
	c->o.ip.id = bpf_htons((__u16)bpf_get_prandom_u32());
	c->o.ip.frag_off = frag;
	c->o.ip.ttl = (cfg->flags & VNI_F_TTL_INHERIT) && in_ip.ttl ? in_ip.ttl : (cfg->ttl ? cfg->ttl : DEFAULT_TTL);
	c->o.ip.protocol = IPPROTO_UDP;
	c->o.ip.saddr = addr_v4(&c->src);
	c->o.udp.source = vx_srcport(cfg, hash);
	c->o.udp.dest = bpf_htons(cfg->dstport);
	c->o.udp.len = bpf_htons(c->inner_len + sizeof(struct udphdr) + VXLAN_HLEN);
	c->o.udp.check = 0; /* allowed for IPv4 (RFC 7348), as the kernel sends it */
	c->o.vx.vx_flags = bpf_htonl(VXLAN_FLAG_I);
	c->o.vx.vx_vni = bpf_htonl(cfg->vni << VXLAN_VNI_SHIFT);
	return 0;
}

/*
 * Address the encapsulated frame (outer headers in the scratch map) to the scratch's `dst`
 * and send it: cloned when `clone`, else redirected. Returns TC_ACT_OK for a sent
 * clone, the redirect verdict for the frame itself, TC_ACT_SHOT when dropped.
 * A global function: the verifier checks it once, not once per flood copy.
 */
__attribute__((noinline)) int vx_send(struct __sk_buff *skb, __u32 clone, __u32 vni)
{
	struct encap_ctx *c = encap_scratch();
	struct xvtep_config *gc = config_get();
	struct vni_stats *st = stats_get(vni);
	struct bpf_redir_neigh nh = { .nh_family = AF_INET };
	union vtep_addr nh_ip = {};
	struct iphdr ip;
	__u32 ifindex = 0;
	enum nh_result r;

	if (!c || !gc || !skb)
		return drop(st, DROP_INTERNAL);
	c->o.ip.daddr = addr_v4(&c->dst);
	ip = c->o.ip;
	c->o.ip.check = ipv4_csum(&ip);
	r = vx_nexthop(skb, gc, &c->src, &c->dst, &c->o, &ifindex, &nh_ip);
	if (r == NH_FAIL)
		return drop(st, DROP_FIB);
	if (r == NH_NO_NEIGH) {
		/* Only a redirect may wait for neighbour resolution, and only for IP (helper limit). */
		neigh_miss_emit(vni, &nh_ip);
		if (clone || skb->protocol != bpf_htons(ETH_P_IP))
			return drop(st, DROP_FIB);
	}
	if (bpf_skb_store_bytes(skb, 0, &c->o.eth, VXLAN_OUTER_LEN, 0))
		return drop(st, DROP_ADJUST);
	STAT_INC(st, tx_packets);
	STAT_ADD(st, tx_bytes, c->inner_len);
	if (r == NH_NO_NEIGH) {
		nh.ipv4_nh = addr_v4(&nh_ip);
		return bpf_redirect_neigh(ifindex, &nh, sizeof(nh), 0);
	}
	if (clone) {
		if (bpf_clone_redirect(skb, ifindex, 0))
			return drop(st, DROP_REDIRECT);
		return TC_ACT_OK;
	}
	return bpf_redirect(ifindex, 0);
}

/* Send the encapsulated frame to `dst` (see vx_send). */
static __always_inline int vx_send_to(struct __sk_buff *skb, const union vtep_addr *dst, __u32 clone, __u32 vni)
{
	struct encap_ctx *c = encap_scratch();

	if (!c)
		return drop(stats_get(vni), DROP_INTERNAL);
	c->dst = *dst;
	return vx_send(skb, clone, vni);
}

/* Unicast to one remote VTEP. */
static __always_inline int vx_unicast(struct __sk_buff *skb, const struct vni_cfg *cfg, struct xvtep_config *gc,
				      const union vtep_addr *remote, struct vni_stats *st)
{
	enum drop_reason why;
	int r = vx_tunnel_mtu(skb, cfg, skb->ifindex, st);

	if (r)
		return r;
	if (!mtu_ok(skb, gc))
		return drop(st, DROP_MTU);
	why = vx_encap(skb, cfg, gc);
	if (why)
		return drop(st, why);
	return vx_send_to(skb, remote, 0, cfg->vni);
}

/* bpf_loop state of vx_flood: the encapsulated frame and where its copies are counted. */
struct vx_flood_ctx {
	struct __sk_buff *skb;
	struct vni_stats *st;
	__u32 vni;
	__u32 pad;
};

/* One clone to flood-list entry `i` (a bpf_loop callback: checked once, whatever n_flood is). */
static long vx_flood_copy(__u32 i, void *data)
{
	struct vx_flood_ctx *c = data;
	struct vni_idx_key k = { .vni = c->vni, .idx = i };
	struct flood_dst *fd = bpf_map_lookup_elem(&xvtep_flood, &k);

	if (!fd || addr_is_zero(&fd->dst)) {
		stat_drop(c->st, DROP_LIST_GAP);
		return 0;
	}
	vx_send_to(c->skb, &fd->dst, 1, c->vni);
	return 0;
}

/*
 * Head-end replication: one copy to every remote of the VNI's flood list (xvtep_flood,
 * indexes 0..n_flood-1, n_flood <= XVTEP_MAX_FLOOD), the last remote getting the frame itself.
 */
static __always_inline int vx_flood(struct __sk_buff *skb, const struct vni_cfg *cfg, struct xvtep_config *gc,
				    __u32 n_flood, struct vni_stats *st)
{
	struct vx_flood_ctx fc = { .skb = skb, .st = st, .vni = cfg->vni };
	struct vni_idx_key k = { .vni = cfg->vni };
	struct flood_dst *fd;
	enum drop_reason why;

	int r;

	if (!n_flood || n_flood > XVTEP_MAX_FLOOD)
		return drop(st, DROP_INTERNAL);
	r = vx_tunnel_mtu(skb, cfg, skb->ifindex, st); /* the local copies went out already */
	if (r)
		return r;
	if (!mtu_ok(skb, gc))
		return drop(st, DROP_MTU);
	why = vx_encap(skb, cfg, gc);
	if (why)
		return drop(st, why);
	if (n_flood > 1)
		bpf_loop(n_flood - 1, vx_flood_copy, &fc, 0);
	k.idx = n_flood - 1;
	fd = bpf_map_lookup_elem(&xvtep_flood, &k);
	if (!fd || addr_is_zero(&fd->dst))
		return drop(st, DROP_LIST_GAP);
	return vx_send_to(skb, &fd->dst, 0, cfg->vni);
}

#endif /* XVTEP_VXLAN_ENCAP_H */
