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
#include "encap_cache.h"
#include "encap_csum.h"
#include "encap_tags.h"
#include "prof.h"

struct encap_ctx {
	struct vxlan_outer o;    /* the outer headers of an IPv4 VNI's frame */
	struct vxlan_outer6 o6;  /* those of an IPv6 VNI's frame */
	__u32 inner_len;
	__u8  ipv6;              /* o6, not o, is being sent */
	__u8  hop_default;       /* the hop limit is the default one: 1 to a multicast group (the kernel's rule) */
	__u8  csum;              /* compute the IPv6 outer UDP checksum (else 0: udp6zerocsumtx) */
	__u8  pad;
	__u32 inner_sum;         /* one's-complement sum of the VXLAN header and inner frame (same for every copy) */
	union {
		struct encap_cache_key key; /* src and dst as one: the key of xvtep_encap_cache */
		struct {
			union vtep_addr src; /* the outer source */
			union vtep_addr dst; /* the copy being sent's outer destination (set by vx_send_to) */
		};
	};
	/* vx_send's working space, here rather than on its stack (a flood loop's three frames share 512 bytes) */
	union vtep_addr nh_ip;
	struct bpf_redir_neigh nh;
	struct bpf_fib_lookup fib;
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


/* Bytes encapsulation adds for the VNI's underlay family. */
static __always_inline __u32 vx_encap_len(const struct vni_cfg *cfg)
{
	return (cfg->flags & VNI_F_IPV6) ? VXLAN_ENCAP6_LEN : VXLAN_ENCAP_LEN;
}

/* Whether the frame still fits the underlay once encapsulated (GSO frames judged by their segments). */
static __always_inline int mtu_ok(struct __sk_buff *skb, const struct vni_cfg *cfg, struct xvtep_config *gc)
{
	__u32 mtu = 0;

	if (PROF_SKIPS(PROF_SKIP_MTU))
		return 1;
	return bpf_check_mtu(skb, gc->underlay_ifindex, &mtu, vx_encap_len(cfg), 0) != BPF_MTU_CHK_RET_FRAG_NEEDED;
}


_Static_assert(DROP_TRUNCATED == 0, "vx_encap returns 0 for success and never DROP_TRUNCATED");


/* The IPv6 header's first word: version, traffic class, flow label (RFC 8200). */
static __always_inline __be32 ip6_flow_word(__u8 tclass, __u32 label)
{
	return bpf_htonl(6u << 28 | (__u32)tclass << 20 | (label & IPV6_FLOWLABEL_MASK));
}

/*
 * Grow the frame by the outer headers (50 bytes, 70 over IPv6) in front of the inner Ethernet
 * header and fill them except the destination (set per copy by vx_send). IP frames use
 * adjust_room with the encap flags so GSO keeps working; the helper refuses
 * other protocols (ARP), which are not GSO anyway and take change_head.
 * A UDP GSO frame (UDP_SEGMENT senders, QUIC) keeps its gso_size (FIXED_GSO: the size
 * delimits the sender's datagrams, and the kernel refuses to change it); a TCP one has its
 * MSS lowered by the outer headers so each segment still fits the underlay.
 * Over IPv6 the outer UDP checksum is computed (RFC 8200; the kernel's default) unless the VNI
 * sends zero checksums (udp6zerocsumtx): the VXLAN payload is summed once here, each copy adds its
 * pseudo-header. A GSO frame cannot be checksummed per segment from BPF (adjust_room sets no
 * UDP_TUNNEL_CSUM GSO type) and is refused.
 * Returns 0, or why the frame must be dropped.
 */
static __always_inline enum drop_reason vx_encap(struct __sk_buff *skb, const struct vni_cfg *cfg,
						 struct xvtep_config *gc)
{
	struct encap_ctx *c = encap_scratch();
	int ipv6 = !!(cfg->flags & VNI_F_IPV6);
	__u32 elen = ipv6 ? VXLAN_ENCAP6_LEN : VXLAN_ENCAP_LEN; /* == the outer headers' length on the wire */
	__u64 flags = (ipv6 ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 : BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) |
		      BPF_F_ADJ_ROOM_ENCAP_L4_UDP | BPF_F_ADJ_ROOM_ENCAP_L2_ETH | BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN);
	__u32 hash = PROF_SKIPS(PROF_SKIP_HASH) ? skb->hash : bpf_get_hash_recalc(skb);
	struct ethhdr eth;
	struct iphdr in_ip = {};
	__be32 tags[VX_MAX_TAGS] = {};
	__u32 tag_len, in_label = 0, label;
	__u8 l4 = 0, tos = cfg->tos, ttl;
	__u16 frag = 0;
	__s64 sum;
	int n;

	if (!c)
		return DROP_INTERNAL;
	c->csum = ipv6 && !(cfg->flags & VNI_F_UDP_ZERO_CSUM6_TX);
	if (c->csum && skb->gso_size)
		return DROP_GSO_CSUM;
	n = PROF_SKIPS(PROF_SKIP_VALIDATE) ? 0 : vx_take_tags(skb, tags);
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
			in_label = bpf_ntohl(w[0]) & IPV6_FLOWLABEL_MASK;
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
	c->hop_default = !((cfg->flags & VNI_F_TTL_INHERIT) && in_ip.ttl) && !cfg->ttl;
	ttl = !c->hop_default ? ((cfg->flags & VNI_F_TTL_INHERIT) && in_ip.ttl ? in_ip.ttl : cfg->ttl) : DEFAULT_TTL;
	/* the kernel's flowlabel: a fixed value (0 by default), or the inner IPv6 packet's with inherit */
	label = (cfg->flags & VNI_F_LABEL_INHERIT) ? in_label : cfg->label;

	c->inner_len = skb->len + tag_len;
	c->src = *vni_local_ip(cfg, gc);
	c->ipv6 = ipv6;
	PROF_STOP(6, 0);
	if (skb->protocol == bpf_htons(ETH_P_IP) || skb->protocol == bpf_htons(ETH_P_IPV6)) {
		/* the inner MAC header is 14 bytes, or 18/22 with the tags: GSO finds the inner L3 right */
		if (n == 0) {
			if (bpf_skb_adjust_room(skb, elen, BPF_ADJ_ROOM_MAC, flags))
				return DROP_ADJUST;
		} else if (bpf_skb_adjust_room(skb, elen + tag_len, BPF_ADJ_ROOM_MAC,
					       (flags & ~BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN)) |
					       BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN + tag_len))) {
			return DROP_ADJUST;
		}
		/* room sits after the old Ethernet header: move that header to the inner slot (around the tags) */
		if (n == 0 ? bpf_skb_store_bytes(skb, elen, &eth, ETH_HLEN, 0) :
		    bpf_skb_store_bytes(skb, elen, &eth, 2 * ETH_ALEN, 0) ||
		    bpf_skb_store_bytes(skb, elen + 2 * ETH_ALEN + tag_len, &eth.h_proto, sizeof(eth.h_proto), 0))
			return DROP_ADJUST;
	} else if (bpf_skb_change_head(skb, elen + tag_len, 0) ||
		   (n && bpf_skb_store_bytes(skb, elen, &eth, 2 * ETH_ALEN, 0))) {
		return DROP_ADJUST; /* change_head: the MACs move in front of the tags, the type already sits after them */
	}
	if (n > 0 && bpf_skb_store_bytes(skb, elen + 2 * ETH_ALEN, &tags[0], VLAN_TAG_LEN, 0))
		return DROP_ADJUST;
	if (n > 1 && bpf_skb_store_bytes(skb, elen + 2 * ETH_ALEN + VLAN_TAG_LEN, &tags[1], VLAN_TAG_LEN, 0))
		return DROP_ADJUST;
	PROF_STOP(7, 0);

	if (ipv6) {
		__builtin_memset(&c->o6, 0, sizeof(c->o6));
		c->o6.eth.h_proto = bpf_htons(ETH_P_IPV6);
		*(__be32 *)&c->o6.ip6 = ip6_flow_word(tos, label);
		c->o6.ip6.payload_len = bpf_htons(c->inner_len + sizeof(struct udphdr) + VXLAN_HLEN);
		c->o6.ip6.nexthdr = IPPROTO_UDP;
		c->o6.ip6.hop_limit = ttl;
		__builtin_memcpy(&c->o6.ip6.saddr, c->src.a8, sizeof(c->src));
		c->o6.udp.source = vx_srcport(cfg, hash);
		c->o6.udp.dest = bpf_htons(cfg->dstport);
		c->o6.udp.len = c->o6.ip6.payload_len;
		c->o6.vx.vx_flags = bpf_htonl(VXLAN_FLAG_I);
		c->o6.vx.vx_vni = bpf_htonl(cfg->vni << VXLAN_VNI_SHIFT);
		if (c->csum) {
			sum = vx_sum_inner(skb, elen, c->inner_len, elen + ETH_HLEN + tag_len);
			if (sum < 0)
				return DROP_ADJUST;
			sum = bpf_csum_diff(0, 0, (__be32 *)&c->o6.vx, sizeof(c->o6.vx), (__wsum)sum);
			if (sum < 0)
				return DROP_ADJUST;
			c->inner_sum = sum;
		}
		return 0;
	}
	__builtin_memset(&c->o, 0, sizeof(c->o));
	c->o.eth.h_proto = bpf_htons(ETH_P_IP);
	c->o.ip.version = IPVERSION;
	c->o.ip.ihl = sizeof(struct iphdr) / 4;
	c->o.ip.tos = tos;
	c->o.ip.tot_len = bpf_htons(c->inner_len + sizeof(struct iphdr) + sizeof(struct udphdr) + VXLAN_HLEN);
	c->o.ip.id = bpf_htons((__u16)bpf_get_prandom_u32());
	c->o.ip.frag_off = frag;
	c->o.ip.ttl = ttl;
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

/* The outer headers of an IPv6 copy to c->dst: destination, hop limit, UDP checksum. */
static __always_inline int vx_address6(struct encap_ctx *c)
{
	__s64 sum;

	__builtin_memcpy(&c->o6.ip6.daddr, c->dst.a8, sizeof(c->dst));
	if (c->hop_default) /* the kernel's default: 1 to a multicast group (set per copy: a flood list mixes both) */
		c->o6.ip6.hop_limit = c->dst.a8[0] == 0xff ? 1 : DEFAULT_TTL;
	c->o6.udp.check = 0;
	if (!c->csum)
		return 0;
	sum = udp_pseudo_sum(&c->src, &c->dst, 1, bpf_ntohs(c->o6.udp.len));
	if (sum < 0)
		return -1;
	sum = bpf_csum_diff(0, 0, (__be32 *)&c->o6.udp, sizeof(c->o6.udp), (__wsum)sum);
	if (sum < 0)
		return -1;
	c->o6.udp.check = csum_fold32((__u64)sum + c->inner_sum); /* both 32-bit partial sums: no carry lost */
	if (!c->o6.udp.check)
		c->o6.udp.check = 0xffff; /* RFC 8200 8.1: a computed 0 goes out as all ones */
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
	struct ethhdr *eth;
	__u32 ifindex = 0;
	enum nh_result r;

	if (!c || !gc || !skb)
		return drop(st, DROP_INTERNAL);
	if (!PROF_SKIPS(PROF_SKIP_VALIDATE) && addr_is_v4(&c->dst) == c->ipv6)
		return drop(st, DROP_FAMILY); /* a VNI is one family (the control plane refuses mixing) */
	if (c->ipv6) {
		if (vx_address6(c))
			return drop(st, DROP_ADJUST);
		eth = &c->o6.eth;
	} else {
		c->o.ip.daddr = addr_v4(&c->dst);
		if (c->hop_default) /* as for IPv6: TTL 1 to a 224/4 group (the kernel's vxlan_xmit_one), else 64 */
			c->o.ip.ttl = ipv4_is_multicast(c->o.ip.daddr) ? 1 : DEFAULT_TTL;
		c->o.ip.check = ipv4_csum(&c->o.ip);
		eth = &c->o.eth;
	}
	__builtin_memset(&c->nh_ip, 0, sizeof(c->nh_ip));
	r = vx_nexthop_cached(skb, gc, &c->key, eth, &ifindex, &c->nh_ip, &c->fib);

	if (r == NH_FAIL)
		return drop(st, DROP_FIB);
	if (r == NH_NO_NEIGH) {
		/* Only a redirect may wait for neighbour resolution, and only for the outer IP (helper limit). */
		neigh_miss_emit(vni, &c->nh_ip);
		if (clone || skb->protocol != bpf_htons(c->ipv6 ? ETH_P_IPV6 : ETH_P_IP))
			return drop(st, DROP_FIB);
	}
	if (c->ipv6 ? bpf_skb_store_bytes(skb, 0, &c->o6.eth, VXLAN_OUTER6_LEN, 0) :
	    bpf_skb_store_bytes(skb, 0, &c->o.eth, VXLAN_OUTER_LEN, 0))
		return drop(st, DROP_ADJUST);
	STAT_INC(st, tx_packets);
	STAT_ADD(st, tx_bytes, c->inner_len);
	if (r == NH_NO_NEIGH) {
		__builtin_memset(&c->nh, 0, sizeof(c->nh));
		if (c->ipv6) {
			c->nh.nh_family = AF_INET6;
			__builtin_memcpy(c->nh.ipv6_nh, c->nh_ip.a32, sizeof(c->nh.ipv6_nh));
		} else {
			c->nh.nh_family = AF_INET;
			c->nh.ipv4_nh = addr_v4(&c->nh_ip);
		}
		return bpf_redirect_neigh(ifindex, &c->nh, sizeof(c->nh), 0);
	}
	if (clone) {
		if (PROF_SKIPS(PROF_SKIP_CLONE))
			return TC_ACT_OK;
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
	int r = PROF_SKIPS(PROF_SKIP_VALIDATE) ? 0 : vx_tunnel_mtu(skb, cfg, skb->ifindex, st);

	if (r)
		return r;
	if (!mtu_ok(skb, cfg, gc))
		return drop(st, DROP_MTU);
	PROF_STOP(5, TC_ACT_OK);
	why = vx_encap(skb, cfg, gc);
	if (why)
		return drop(st, why);
	if (XVTEP_PROF_STAGE >= 6 && XVTEP_PROF_STAGE <= 8)
		return TC_ACT_OK; /* profile points inside vx_encap */
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
	if (!mtu_ok(skb, cfg, gc))
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
