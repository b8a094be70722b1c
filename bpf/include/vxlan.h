/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* VXLAN (RFC 7348) on the underlay: the outer headers, and recognising frames that arrive. */
#ifndef XVTEP_VXLAN_H
#define XVTEP_VXLAN_H

#include <linux/in.h>
#include "parse.h"
#include "config.h"
#include "stats.h"

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
_Static_assert(VXLAN_ENCAP_LEN == XVTEP_ENCAP_LEN, "encapsulation adds XVTEP_ENCAP_LEN bytes");

/* Result of looking at a frame that arrived on the underlay. */
enum vx_verdict {
	VX_OK = 0,           /* a VXLAN frame for a VNI we serve; vx_info is valid */
	VX_NOT_VXLAN,        /* not IPv4/UDP to one of our dstports: leave it to the stack */
	VX_UNKNOWN_VNI,      /* VXLAN to our port, but a VNI we do not serve (or not to our address) */
	VX_TRUNCATED,        /* VXLAN to our port whose headers don't fit */
	VX_BAD_FLAGS,        /* I flag clear or reserved bits set */
	VX_OWN_SRC,          /* sent by this VTEP itself (looped multicast) */
	VX_SRC_DENIED,       /* from a VTEP the VNI does not accept */
};

struct vx_info {
	__u32  vni;
	__be32 saddr;       /* outer source = remote VTEP */
	__be32 daddr;
	__u8   outer_tos;
	__u8   pad[3];
	__u32  outer_len;   /* bytes from the outer Ethernet header to the inner one */
	__u32  inner_len;   /* inner frame bytes (Ethernet header included) */
};

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
	if (vxh->vx_flags != bpf_htonl(VXLAN_FLAG_I) || (vxh->vx_vni & bpf_htonl(VXLAN_VNI_RESERVED)))
		return VX_BAD_FLAGS;

	vx->vni = bpf_ntohl(vxh->vx_vni) >> VXLAN_VNI_SHIFT;
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
 * returns 1 when the frame must be dropped, 0 when it goes on to the stack.
 */
static __always_inline int vx_verdict_drops(enum vx_verdict v, const struct vx_info *vx)
{
	struct vni_stats *st = stats_get(v == VX_SRC_DENIED ? vx->vni : 0);

	switch (v) {
	case VX_NOT_VXLAN:
		stat_pass(st, PASS_NOT_VXLAN);
		return 0;
	case VX_UNKNOWN_VNI:
		stat_pass(st, PASS_UNKNOWN_VNI);
		return 0;
	case VX_TRUNCATED:
		stat_drop(st, DROP_TRUNCATED);
		return 1;
	case VX_BAD_FLAGS:
		stat_drop(st, DROP_BAD_FLAGS);
		return 1;
	case VX_OWN_SRC:
	case VX_SRC_DENIED:
		stat_drop(st, DROP_SRC);
		return 1;
	default:
		return 0;
	}
}

#endif /* XVTEP_VXLAN_H */
