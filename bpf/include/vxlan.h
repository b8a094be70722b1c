/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* VXLAN (RFC 7348) on the underlay: recognising frames and building outer headers. */
#ifndef XVTEP_VXLAN_H
#define XVTEP_VXLAN_H

#include "common.h"
#include <linux/in.h>

/*
 * The outer headers in front of the inner Ethernet header (14 + 20 + 8 + 8 = 50 bytes on
 * the wire). Two leading pad bytes keep the IP header 4-byte aligned on the stack;
 * write it to the packet from &o.eth, VXLAN_OUTER_LEN bytes.
 */
struct vxlan_outer {
	__u8            pad[2];
	struct ethhdr   eth;
	struct iphdr    ip;
	struct udphdr   udp;
	struct vxlanhdr vx;
};
#define VXLAN_OUTER_LEN (sizeof(struct vxlan_outer) - 2)

_Static_assert(sizeof(struct vxlan_outer) - 2 == 50, "outer headers are 50 bytes");
_Static_assert(VXLAN_ENCAP_LEN == 50, "encapsulation adds 50 bytes");

static __always_inline __be32 vni_local_ip(const struct vni_cfg *cfg, const struct xvtep_config *gc)
{
	return cfg->local ? cfg->local : gc->local_ip;
}

/*
 * Classify a frame that arrived on the underlay. `pkt_len` is the whole frame's
 * length (data_end may stop at the linear part). On VX_OK, *cfgp and *vx describe it.
 */
static __always_inline enum vx_verdict vx_parse(void *data, void *data_end, __u32 pkt_len,
						struct vx_info *vx, struct vni_cfg **cfgp)
{
	struct xvtep_config *gc;
	struct ethhdr *eth = data;
	struct vxlanhdr *vxh;
	struct ethhdr *inner;
	struct udphdr *udp;
	struct iphdr *ip;
	struct vni_cfg *cfg;
	__u32 ihl, tot;
	__be32 local;
	__u16 dport;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return VX_NOT_VXLAN;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return VX_NOT_VXLAN;
	if (ip->version != 4 || ip->ihl < 5 || ip->protocol != IPPROTO_UDP ||
	    ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return VX_NOT_VXLAN; /* fragments are reassembled by the stack, not here */
	ihl = ip->ihl * 4;
	udp = (void *)ip + ihl;
	if ((void *)(udp + 1) > data_end)
		return VX_NOT_VXLAN;
	dport = bpf_ntohs(udp->dest);
	if (!bpf_map_lookup_elem(&xvtep_dstports, &dport))
		return VX_NOT_VXLAN;

	/* From here on the frame is addressed to a VXLAN port of ours. */
	vxh = (void *)(udp + 1);
	inner = (void *)(vxh + 1);
	if ((void *)(inner + 1) > data_end)
		return VX_TRUNCATED;
	tot = bpf_ntohs(ip->tot_len);
	if (tot < ihl + sizeof(*udp) + VXLAN_HLEN + ETH_HLEN || tot + ETH_HLEN > pkt_len)
		return VX_TRUNCATED;
	if (vxh->vx_flags != bpf_htonl(VXLAN_FLAG_I) || (vxh->vx_vni & bpf_htonl(0xff)))
		return VX_BAD_FLAGS;

	vx->vni = bpf_ntohl(vxh->vx_vni) >> 8;
	cfg = bpf_map_lookup_elem(&xvtep_vnis, &vx->vni);
	gc = config_get();
	if (!cfg || !gc || cfg->dstport != dport)
		return VX_UNKNOWN_VNI;
	local = vni_local_ip(cfg, gc);
	if (local && ip->daddr != local && !(cfg->group && ip->daddr == cfg->group))
		return VX_UNKNOWN_VNI; /* VXLAN to another address of this host: not this VNI's */
	if (local && ip->saddr == local)
		return VX_OWN_SRC;     /* our own multicast copy looped back */
	if (cfg->flags & VNI_F_SRC_FILTER) {
		struct vni_src_key sk = { .vni = vx->vni, .src = ip->saddr };

		if (!bpf_map_lookup_elem(&xvtep_allowed_src, &sk))
			return VX_SRC_DENIED;
	}

	vx->saddr = ip->saddr;
	vx->daddr = ip->daddr;
	vx->outer_tos = ip->tos;
	vx->outer_len = ETH_HLEN + ihl + sizeof(*udp) + VXLAN_HLEN;
	vx->inner_len = tot - ihl - sizeof(*udp) - VXLAN_HLEN;
	*cfgp = cfg;
	return VX_OK;
}

/*
 * Count a non-OK verdict where it belongs (VNI 0 unless the frame's VNI is one we serve);
 * returns 1 when the frame must be dropped.
 */
static __always_inline int vx_verdict_account(enum vx_verdict v, const struct vx_info *vx)
{
	struct vni_stats *st = stats_get(v == VX_SRC_DENIED ? vx->vni : 0);

	switch (v) {
	case VX_NOT_VXLAN:
		STAT_INC(st, pass_not_vxlan);
		return 0;
	case VX_UNKNOWN_VNI:
		STAT_INC(st, pass_unknown_vni);
		return 0;
	case VX_TRUNCATED:
		STAT_INC(st, drop_truncated);
		return 1;
	case VX_BAD_FLAGS:
		STAT_INC(st, drop_bad_flags);
		return 1;
	case VX_OWN_SRC:
		STAT_INC(st, drop_src);
		return 1;
	case VX_SRC_DENIED:
		STAT_INC(st, drop_src);
		return 1;
	default:
		return 0;
	}
}

/* UDP source port from the inner flow hash, within the VNI's range (RFC 7348 section 5). */
static __always_inline __be16 vx_srcport(const struct vni_cfg *cfg, __u32 hash)
{
	__u32 lo = cfg->srcport_min, hi = cfg->srcport_max;

	if (!lo || hi < lo) {
		lo = 32768; /* the kernel's default: ip_local_port_range */
		hi = 60999;
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
						 __be32 src, __be32 dst, struct vxlan_outer *o,
						 __u32 *ifindex, __be32 *nh_ip)
{
	struct bpf_fib_lookup fib = {};
	__u8 *d = (__u8 *)&dst;
	int rc;

	if ((bpf_ntohl(dst) & 0xf0000000) == 0xe0000000) {
		/* RFC 1112: 01:00:5e + low 23 bits of the group */
		o->eth.h_dest[0] = 0x01;
		o->eth.h_dest[1] = 0x00;
		o->eth.h_dest[2] = 0x5e;
		o->eth.h_dest[3] = d[1] & 0x7f;
		o->eth.h_dest[4] = d[2];
		o->eth.h_dest[5] = d[3];
		__builtin_memcpy(o->eth.h_source, gc->underlay_mac, ETH_ALEN);
		*ifindex = gc->underlay_ifindex;
		return NH_OK;
	}
	fib.family = 2; /* AF_INET */
	fib.l4_protocol = IPPROTO_UDP;
	/*
	 * tot_len stays 0: given a length, the FIB lookup checks it against the route MTU and
	 * refuses GSO super-frames (FRAG_NEEDED). bpf_check_mtu already judged the frame,
	 * segment by segment for GSO.
	 */
	fib.ipv4_src = src;
	fib.ipv4_dst = dst;
	fib.ifindex = gc->underlay_ifindex;
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_OUTPUT);
	*ifindex = fib.ifindex;
	*nh_ip = fib.ipv4_dst; /* the gateway when there is one */
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		__builtin_memcpy(o->eth.h_dest, fib.dmac, ETH_ALEN);
		__builtin_memcpy(o->eth.h_source, fib.smac, ETH_ALEN);
		return NH_OK;
	}
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		return NH_NO_NEIGH;
	return NH_FAIL;
}

#endif /* XVTEP_VXLAN_H */
