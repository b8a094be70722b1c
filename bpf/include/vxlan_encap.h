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
#include "inner.h"
#include "prof.h"

/*
 * What a miss needs besides the template (the FIB's arguments, the next hop for bpf_redirect_neigh),
 * per CPU rather than on vx_send's stack (a flood loop's three frames share 512 bytes). A hit never
 * touches it. Private to the object that encapsulates (not pinned), so it lives with the code that uses it.
 */
struct encap_miss {
	struct bpf_fib_lookup fib;
	struct bpf_redir_neigh nh;
	union vtep_addr nh_ip;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct encap_miss);
} xvtep_encap_scratch SEC(".maps");

static __always_inline struct encap_miss *encap_scratch(void)
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
 * header and fill *f, what every copy's outer headers share (vx_send fills them per destination). IP frames use
 * adjust_room with the encap flags so GSO keeps working; the helper refuses
 * other protocols (ARP), which are not GSO anyway and take change_head.
 * A UDP GSO frame (UDP_SEGMENT senders, QUIC) keeps its gso_size (FIXED_GSO: the size
 * delimits the sender's datagrams, and the kernel refuses to change it); a TCP one has its
 * MSS lowered by the outer headers so each segment still fits the underlay.
 * Over IPv6 the outer UDP checksum is computed (RFC 8200; the kernel's default) unless the VNI
 * sends zero checksums (udp6zerocsumtx): the VXLAN payload is summed once here, each copy adds the
 * cached address sum and its lengths. A GSO frame cannot be checksummed per segment from BPF (adjust_room sets no
 * UDP_TUNNEL_CSUM GSO type) and is refused.
 * The inner headers are read in place (a port's frames arrive with them linear; pulled once if not); `eth`
 * is the caller's copy of the frame's Ethernet header, read before the tags were taken (their MACs are the
 * frame's). f->now, the frame's one clock reading (fdb_clock), is the caller's: it dates the cache entries.
 * Returns 0, or why the frame must be dropped.
 */
static __always_inline enum drop_reason vx_encap(struct __sk_buff *skb, const struct vni_cfg *cfg,
						 struct xvtep_config *gc, struct vx_frame *f, const struct ethhdr *eth)
{
	int ipv6 = !!(cfg->flags & VNI_F_IPV6);
	__u32 elen = ipv6 ? VXLAN_ENCAP6_LEN : VXLAN_ENCAP_LEN; /* == the outer headers' length on the wire */
	__u64 flags = (ipv6 ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 : BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) |
		      BPF_F_ADJ_ROOM_ENCAP_L4_UDP | BPF_F_ADJ_ROOM_ENCAP_L2_ETH | BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN);
	struct inner_info in = {};
	__be32 tags[VX_MAX_TAGS] = {};
	__u32 tag_len, label, hash;
	__u8 tos = cfg->tos;
	void *data, *data_end;
	__be16 h_proto;
	__s64 sum;
	int n;

	f->ipv6 = ipv6;
	f->csum = ipv6 && !(cfg->flags & VNI_F_UDP_ZERO_CSUM6_TX);
	if (f->csum && skb->gso_size)
		return DROP_GSO_CSUM;
	n = PROF_SKIPS(PROF_SKIP_VALIDATE) ? 0 : vx_take_tags(skb, tags);
	if (n < 0)
		return DROP_ADJUST;
	tag_len = n * VLAN_TAG_LEN;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + VX_INNER_PULL_LEN > data_end && skb->len > data_end - data) {
		/* a helper call only when the inner headers are not linear yet (rare for a port's frames) */
		bpf_skb_pull_data(skb, skb->len < VX_INNER_PULL_LEN ? skb->len : VX_INNER_PULL_LEN);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	if (data + ETH_HLEN > data_end)
		return DROP_ADJUST;
	h_proto = ((struct ethhdr *)data)->h_proto; /* after the tags: the inner frame's type */
	/* the IPv6 header's traffic class and hop limit stand in for tos and ttl; IPv6 is never fragmented
	 * on the way, so df inherit sets DF (as the kernel's vxlan does) */
	inner_read(data, data_end, &in);
	/* the sender's socket hash when it set one (what the kernel's vxlan uses), else ours of the inner flow */
	hash = skb->hash;
	if (!hash && !PROF_SKIPS(PROF_SKIP_HASH))
		hash = in.hash;
	if (skb->gso_size && in.l4 == IPPROTO_UDP)
		flags |= BPF_F_ADJ_ROOM_FIXED_GSO;
	if (cfg->flags & VNI_F_TOS_INHERIT)
		tos = in.tos;
	f->tos = ecn_encap(tos, in.tos);
	f->frag = 0;
	if (cfg->flags & VNI_F_DF_SET)
		f->frag = bpf_htons(IP_DF);
	else if (cfg->flags & VNI_F_DF_INHERIT)
		f->frag = in.frag_off & bpf_htons(IP_DF);
	/* 0: the template's default (1 to a group, else DEFAULT_TTL), as the kernel's when no TTL is set */
	f->ttl = (cfg->flags & VNI_F_TTL_INHERIT) && in.ttl ? in.ttl : cfg->ttl;
	/* the kernel's flowlabel: a fixed value (0 by default), or the inner IPv6 packet's with inherit */
	label = (cfg->flags & VNI_F_LABEL_INHERIT) ? in.label : cfg->label;
	f->flow = ip6_flow_word(f->tos, label);

	f->inner_len = skb->len + tag_len;
	f->key.src = *vni_local_ip(cfg, gc);
	f->vni = cfg->vni;
	f->vx_vni = bpf_htonl(cfg->vni << VXLAN_VNI_SHIFT);
	f->sport = vx_srcport(cfg, hash);
	f->dport = bpf_htons(cfg->dstport);
	f->id = ipv6 ? 0 : bpf_htons((__u16)bpf_get_prandom_u32());
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
		if (n == 0 ? bpf_skb_store_bytes(skb, elen, eth, ETH_HLEN, 0) :
		    bpf_skb_store_bytes(skb, elen, eth, 2 * ETH_ALEN, 0) ||
		    bpf_skb_store_bytes(skb, elen + 2 * ETH_ALEN + tag_len, &h_proto, sizeof(h_proto), 0))
			return DROP_ADJUST;
	} else if (bpf_skb_change_head(skb, elen + tag_len, 0) ||
		   (n && bpf_skb_store_bytes(skb, elen, eth, 2 * ETH_ALEN, 0))) {
		return DROP_ADJUST; /* change_head: the MACs move in front of the tags, the type already sits after them */
	}
	if (n > 0 && bpf_skb_store_bytes(skb, elen + 2 * ETH_ALEN, &tags[0], VLAN_TAG_LEN, 0))
		return DROP_ADJUST;
	if (n > 1 && bpf_skb_store_bytes(skb, elen + 2 * ETH_ALEN + VLAN_TAG_LEN, &tags[1], VLAN_TAG_LEN, 0))
		return DROP_ADJUST;
	PROF_STOP(7, 0);

	f->inner_sum = 0;
	if (f->csum) {
		__be32 vxh[2] = { bpf_htonl(VXLAN_FLAG_I), f->vx_vni };

		sum = vx_sum_inner(skb, elen, f->inner_len, elen + ETH_HLEN + tag_len);
		if (sum < 0)
			return DROP_ADJUST;
		sum = bpf_csum_diff(0, 0, vxh, sizeof(vxh), (__wsum)sum);
		if (sum < 0)
			return DROP_ADJUST;
		f->inner_sum = sum;
	}
	return 0;
}

/*
 * Send the encapsulated frame `f` to f->key.dst: its outer headers filled on the stack from the cached
 * template (or, on a miss, from the FIB's answer, then cached) and stored in one write; cloned when
 * `clone`, else redirected. Counts into `st` (looked up once per frame by the caller). Returns TC_ACT_OK
 * for a sent clone, the redirect verdict for the frame itself, TC_ACT_SHOT when dropped.
 * A global function: the verifier checks it once, not once per flood copy.
 */
__attribute__((noinline)) int vx_send(struct __sk_buff *skb, const struct vx_frame *f, struct vni_stats *st,
				      __u32 clone)
{
	union {
		struct vxlan_outer v4;
		struct vxlan_outer6 v6;
	} o;
	struct encap_cache_entry ne;
	const struct encap_cache_entry *t = NULL;
	struct encap_miss *m = NULL;
	struct xvtep_config *gc;
	enum nh_result r = NH_OK;
	__u32 ifindex;
	int group;

	if (!skb || !f)
		return drop(st, DROP_INTERNAL);
	if (!PROF_SKIPS(PROF_SKIP_VALIDATE) && addr_is_v4(&f->key.dst) == f->ipv6)
		return drop(st, DROP_FAMILY); /* a VNI is one family (the control plane refuses mixing) */
	group = vtep_is_group(&f->key.dst);
	if (!group)
		t = vx_cache_hit(&f->key, f->now);
	if (!t) {
		gc = config_get();
		m = encap_scratch();
		if (!gc || !m)
			return drop(st, DROP_INTERNAL);
		__builtin_memset(&m->nh_ip, 0, sizeof(m->nh_ip));
		r = vx_template(skb, gc, &f->key, &ne, &m->nh_ip, &m->fib);
		if (!group)
			vx_cache_put(&f->key, &ne, r, f->now);
		if (r == NH_FAIL)
			return drop(st, DROP_FIB);
		if (r == NH_NO_NEIGH) {
			/* Only a redirect may wait for neighbour resolution, and only for the outer IP (helper limit). */
			neigh_miss_emit(f->vni, &m->nh_ip);
			if (clone || skb->protocol != bpf_htons(f->ipv6 ? ETH_P_IPV6 : ETH_P_IP))
				return drop(st, DROP_FIB);
		}
		t = &ne;
	}
	ifindex = t->ifindex;
	if (f->ipv6) {
		vx_outer6(&o.v6, t, f);
		if (bpf_skb_store_bytes(skb, 0, &o.v6.eth, VXLAN_OUTER6_LEN, 0))
			return drop(st, DROP_ADJUST);
	} else {
		vx_outer4(&o.v4, t, f);
		if (bpf_skb_store_bytes(skb, 0, &o.v4.eth, VXLAN_OUTER_LEN, 0))
			return drop(st, DROP_ADJUST);
	}
	STAT_INC(st, tx_packets);
	STAT_ADD(st, tx_bytes, f->inner_len);
	if (r == NH_NO_NEIGH && m) {
		__builtin_memset(&m->nh, 0, sizeof(m->nh));
		if (f->ipv6) {
			m->nh.nh_family = AF_INET6;
			__builtin_memcpy(m->nh.ipv6_nh, m->nh_ip.a32, sizeof(m->nh.ipv6_nh));
		} else {
			m->nh.nh_family = AF_INET;
			m->nh.ipv4_nh = addr_v4(&m->nh_ip);
		}
		return bpf_redirect_neigh(ifindex, &m->nh, sizeof(m->nh), 0);
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

/* Unicast to one remote VTEP. */
static __always_inline int vx_unicast(struct __sk_buff *skb, const struct vni_cfg *cfg, struct xvtep_config *gc,
				      const union vtep_addr *remote, struct vni_stats *st, __u64 now,
				      const struct ethhdr *eth)
{
	struct vx_frame f = { .now = now }; /* held in the frame, not across the helper calls below */
	enum drop_reason why;
	int r = PROF_SKIPS(PROF_SKIP_VALIDATE) ? 0 : vx_tunnel_mtu(skb, cfg, skb->ifindex, st);

	if (r)
		return r;
	if (!mtu_ok(skb, cfg, gc))
		return drop(st, DROP_MTU);
	PROF_STOP(5, TC_ACT_OK);
	why = vx_encap(skb, cfg, gc, &f, eth);
	if (why)
		return drop(st, why);
	if (XVTEP_PROF_STAGE >= 6 && XVTEP_PROF_STAGE <= 8)
		return TC_ACT_OK; /* profile points inside vx_encap */
	f.key.dst = *remote;
	return vx_send(skb, &f, st, 0);
}

/* bpf_loop state of vx_flood: the encapsulated frame, its per-frame outer fields, its counters. */
struct vx_flood_ctx {
	struct __sk_buff *skb;
	struct vni_stats *st;
	struct vx_frame f; /* each copy sets f.key.dst */
};

/* One clone to flood-list entry `i` (a bpf_loop callback: checked once, whatever n_flood is). */
static long vx_flood_copy(__u32 i, void *data)
{
	struct vx_flood_ctx *c = data;
	struct vni_idx_key k = { .vni = c->f.vni, .idx = i };
	struct flood_dst *fd = bpf_map_lookup_elem(&xvtep_flood, &k);

	if (!fd || addr_is_zero(&fd->dst)) {
		stat_drop(c->st, DROP_LIST_GAP);
		return 0;
	}
	c->f.key.dst = fd->dst;
	vx_send(c->skb, &c->f, c->st, 1);
	return 0;
}

/*
 * Head-end replication: one copy to every remote of the VNI's flood list (xvtep_flood,
 * indexes 0..n_flood-1, n_flood <= XVTEP_MAX_FLOOD), the last remote getting the frame itself.
 * The frame is encapsulated once (payload, per-frame fields, IPv6 payload sum, counters): a copy
 * costs its template lookup, a 50/70-byte header store and the clone.
 */
static __always_inline int vx_flood(struct __sk_buff *skb, const struct vni_cfg *cfg, struct xvtep_config *gc,
				    __u32 n_flood, struct vni_stats *st, const struct ethhdr *eth)
{
	struct vx_flood_ctx fc = { .skb = skb, .st = st };
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
	fc.f.now = fdb_clock();
	why = vx_encap(skb, cfg, gc, &fc.f, eth);
	if (why)
		return drop(st, why);
	if (n_flood > 1)
		bpf_loop(n_flood - 1, vx_flood_copy, &fc, 0);
	k.idx = n_flood - 1;
	fd = bpf_map_lookup_elem(&xvtep_flood, &k);
	if (!fd || addr_is_zero(&fd->dst))
		return drop(st, DROP_LIST_GAP);
	fc.f.key.dst = fd->dst;
	return vx_send(skb, &fc.f, st, 0);
}

#endif /* XVTEP_VXLAN_ENCAP_H */
