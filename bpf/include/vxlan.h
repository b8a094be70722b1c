/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* VXLAN (RFC 7348) on the underlay: the outer headers, and recognising frames that arrive. */
#ifndef XVTEP_VXLAN_H
#define XVTEP_VXLAN_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
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

/* The same over an IPv6 underlay: 14 + 40 + 8 + 8 = 70 bytes on the wire. */
struct vxlan_outer6 {
	__u8            pad[2];
	struct ethhdr   eth;
	struct ipv6hdr  ip6;
	struct udphdr   udp;
	struct vxlanhdr vx;
};
#define VXLAN_OUTER6_LEN (sizeof(struct vxlan_outer6) - 2)
#define VXLAN_ENCAP6_LEN (sizeof(struct ipv6hdr) + sizeof(struct udphdr) + VXLAN_HLEN + ETH_HLEN)

_Static_assert(sizeof(struct vxlan_outer) - 2 == 50, "outer headers are 50 bytes");
_Static_assert(VXLAN_ENCAP_LEN == XVTEP_ENCAP_LEN, "encapsulation adds XVTEP_ENCAP_LEN bytes");
_Static_assert(VXLAN_OUTER6_LEN == XVTEP_ENCAP6_LEN && VXLAN_ENCAP6_LEN == XVTEP_ENCAP6_LEN,
	       "IPv6 encapsulation adds XVTEP_ENCAP6_LEN bytes");

/* Result of looking at a frame that arrived on the underlay. */
enum vx_verdict {
	VX_OK = 0,           /* a VXLAN frame for a VNI we serve; vx_info is valid */
	VX_NOT_VXLAN,        /* not IPv4/IPv6 UDP to one of our dstports: leave it to the stack */
	VX_UNKNOWN_VNI,      /* VXLAN to our port, but a VNI we do not serve (or not to our address) */
	VX_TRUNCATED,        /* VXLAN to our port whose headers don't fit */
	VX_BAD_FLAGS,        /* I flag clear or reserved bits set */
	VX_OWN_SRC,          /* sent by this VTEP itself (looped multicast) */
	VX_SRC_DENIED,       /* from a VTEP the VNI does not accept */
	VX_IP_CSUM,          /* outer IPv4 header checksum wrong */
	VX_UDP_LEN,          /* UDP length below the VXLAN headers or beyond the IP packet */
	VX_MARTIAN,          /* outer source is martian */
	VX_FRAGMENT,         /* first fragment of a datagram for a VNI we serve */
	VX_UDP6_ZERO_CSUM,   /* IPv6 outer UDP checksum 0 for a VNI without udp6zerocsumrx (RFC 6936) */
	VX_IPV6_EXT,         /* IPv6 extension headers only the stack may judge (see ipv6_ext_walk) */
};

/* Linear bytes the TC program needs for vx_parse: outer headers, extension headers, inner Ethernet. */
#define VX_PULL_LEN (VXLAN_OUTER6_LEN + IPV6_EXT_MAX_BYTES + ETH_HLEN)

struct vx_info {
	__u32  vni;
	union vtep_addr saddr; /* outer source = remote VTEP */
	union vtep_addr daddr;
	__u8   outer_tos;   /* IPv4 TOS or IPv6 traffic class */
	__u8   ipv6;        /* the outer header is IPv6 */
	__be16 udp_check;   /* the outer UDP checksum, 0 when the sender sent none */
	__u32  outer_len;   /* bytes from the outer Ethernet header to the inner one */
	__u32  inner_len;   /* inner frame bytes (Ethernet header included), from the UDP length */
	__u32  udp_len;     /* the UDP datagram's length */
};

/*
 * The VNI `vxh` names, if we serve it on `dport` at the frame's destination address; else 0.
 * Looked up before the VXLAN flags are judged: a GBP/GPE frame for a VNI we do not serve is
 * someone else's, not a malformed one of ours.
 */
static __always_inline struct vni_cfg *vx_served(const struct vxlanhdr *vxh, const union vtep_addr *daddr,
						 int ipv6, __u16 dport, __u32 *vni, union vtep_addr *local)
{
	struct xvtep_config *gc = config_get();
	struct vni_cfg *cfg;

	*vni = bpf_ntohl(vxh->vx_vni) >> VXLAN_VNI_SHIFT;
	cfg = bpf_map_lookup_elem(&xvtep_vnis, vni);
	if (!cfg || !gc || cfg->dstport != dport)
		return 0;
	if (!!(cfg->flags & VNI_F_IPV6) != ipv6)
		return 0; /* the VNI's device listens on the other family */
	*local = *vni_local_ip(cfg, gc);
	if (!addr_is_zero(local) && !addr_eq(daddr, local) && !(!addr_is_zero(&cfg->group) && addr_eq(daddr, &cfg->group)))
		return 0; /* VXLAN to another address of this host: not this VNI's */
	return cfg;
}

/*
 * Classify a frame that arrived on the underlay, checking the outer headers as the kernel's
 * ip_rcv/udp_rcv/vxlan_rcv would. `pkt_len` is the whole frame's length (data_end may stop
 * at the linear part). On VX_OK, *cfgp and *vx describe it; the UDP checksum, if any, is the
 * caller's to verify over the whole datagram (vx->udp_check).
 */
static __always_inline enum vx_verdict vx_parse(void *data, void *data_end, __u32 pkt_len,
						struct vx_info *vx, struct vni_cfg **cfgp)
{
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = 0;
	struct iphdr *ip = 0;
	struct vxlanhdr *vxh;
	struct ethhdr *inner;
	struct udphdr *udp;
	struct vni_cfg *cfg;
	__u32 l3len, tot, ulen;
	union vtep_addr local = {}, saddr, daddr;
	struct ipv6_ext ext = { .nexthdr = IPPROTO_UDP };
	__u16 dport;
	__u8 tos;

	if ((void *)(eth + 1) > data_end)
		return VX_NOT_VXLAN;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end)
			return VX_NOT_VXLAN;
		if (ip->version != 4 || ip->ihl < 5 || ip->protocol != IPPROTO_UDP ||
		    (ip->frag_off & bpf_htons(IP_OFFSET)))
			return VX_NOT_VXLAN; /* a later fragment: no UDP header says whose it is */
		l3len = ip->ihl * 4;
		tot = bpf_ntohs(ip->tot_len);
		addr_set_v4(&saddr, ip->saddr);
		addr_set_v4(&daddr, ip->daddr);
		tos = ip->tos;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
			return VX_NOT_VXLAN;
		/* Extension headers in front of UDP are skipped as the stack would before its UDP socket
		 * (the kernel's vxlan device gets such frames); fragments are treated as IPv4's below. */
		if (ip6->nexthdr != IPPROTO_UDP && ipv6_ext_walk(ip6, data_end, &ext))
			return VX_IPV6_EXT;
		if (ext.later_frag || ext.nexthdr != IPPROTO_UDP)
			return VX_NOT_VXLAN; /* a later fragment: no UDP header says whose it is */
		l3len = sizeof(*ip6) + ext.len;
		tot = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		__builtin_memcpy(&saddr, &ip6->saddr, sizeof(saddr));
		__builtin_memcpy(&daddr, &ip6->daddr, sizeof(daddr));
		tos = ipv6_tclass(ip6);
	} else {
		return VX_NOT_VXLAN;
	}
	udp = (void *)(eth + 1) + l3len;
	if ((void *)(udp + 1) > data_end)
		return VX_NOT_VXLAN;
	dport = bpf_ntohs(udp->dest);
	vxh = (void *)(udp + 1);
	inner = (void *)(vxh + 1);
	/* A VNI we serve on this very dstport proves the port ours: xvtep_dstports (which holds the
	 * dstports of the VNIs) is looked up only when the frame names none, to tell VXLAN for someone
	 * else from other UDP. One hash lookup less per VXLAN frame (docs/benchmarks.md, decap profile). */
	cfg = (void *)(inner + 1) > data_end ? 0 : vx_served(vxh, &daddr, !!ip6, dport, &vx->vni, &local);
	if (!cfg) {
		if (!bpf_map_lookup_elem(&xvtep_dstports, &dport))
			return VX_NOT_VXLAN;
		/* addressed to a VXLAN port of ours */
		return (void *)(inner + 1) > data_end ? VX_TRUNCATED : VX_UNKNOWN_VNI;
	}
	ulen = bpf_ntohs(udp->len);
#ifndef XVTEP_BENCH_NO_VALIDATION /* the bench's profile measures what these checks cost */
	if (ip ? !!(ip->frag_off & bpf_htons(IP_MF)) : ext.first_frag)
		return VX_FRAGMENT; /* the first fragment: ours, but never reassembled here */
	if (tot < l3len + sizeof(*udp) + VXLAN_HLEN + ETH_HLEN || tot + ETH_HLEN > pkt_len)
		return VX_TRUNCATED;
	if (vxh->vx_flags != bpf_htonl(VXLAN_FLAG_I) || (vxh->vx_vni & bpf_htonl(VXLAN_VNI_RESERVED)))
		return VX_BAD_FLAGS;
	if (ip && !ipv4_hdr_csum_ok(ip, data_end))
		return VX_IP_CSUM;
	if (ulen < sizeof(*udp) + VXLAN_HLEN + ETH_HLEN || ulen > tot - l3len)
		return VX_UDP_LEN;
	if (ip ? ipv4_is_martian_src(ip->saddr) : addr6_is_martian_src(&saddr))
		return VX_MARTIAN;
	if (ip6 && !udp->check && !(cfg->flags & VNI_F_UDP_ZERO_CSUM6_RX))
		return VX_UDP6_ZERO_CSUM; /* udp6_csum_zero_error: the kernel's socket refuses it too */
	if (!addr_is_zero(&local) && addr_eq(&saddr, &local))
		return VX_OWN_SRC; /* our own multicast copy looped back */
	if (cfg->flags & VNI_F_SRC_FILTER) {
		struct vni_src_key sk = { .vni = vx->vni, .src = saddr };

		if (!bpf_map_lookup_elem(&xvtep_allowed_src, &sk))
			return VX_SRC_DENIED;
	}
#endif

	vx->saddr = saddr;
	vx->daddr = daddr;
	vx->outer_tos = tos;
	vx->ipv6 = !!ip6;
	vx->udp_check = udp->check;
	vx->udp_len = ulen;
	vx->outer_len = ETH_HLEN + l3len + sizeof(*udp) + VXLAN_HLEN;
	vx->inner_len = ulen - sizeof(*udp) - VXLAN_HLEN;
	*cfgp = cfg;
	return VX_OK;
}

/*
 * Count a non-OK verdict where it belongs (VNI 0 unless the frame's VNI is one we serve and
 * the refusal is the VNI's own policy); returns 1 when the frame must be dropped, 0 when it
 * goes on to the stack. Passes are counted only when `count_pass` (by TC: a frame XDP passes
 * reaches TC, which must not count it a second time).
 */
static __always_inline int vx_verdict_drops(enum vx_verdict v, const struct vx_info *vx, int count_pass)
{
	struct vni_stats *st;

	if (v == VX_NOT_VXLAN || v == VX_UNKNOWN_VNI || v == VX_IPV6_EXT) {
		if (count_pass)
			stat_pass(stats_slot(STATS_NO_VNI), v == VX_NOT_VXLAN ? PASS_NOT_VXLAN :
						v == VX_UNKNOWN_VNI ? PASS_UNKNOWN_VNI : PASS_IPV6_EXT);
		return 0;
	}
	st = stats_by_vni(v == VX_SRC_DENIED || v == VX_FRAGMENT || v == VX_UDP6_ZERO_CSUM ? vx->vni : STATS_NO_VNI);
	switch (v) {
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
	case VX_IP_CSUM:
		stat_drop(st, DROP_IP_CSUM);
		return 1;
	case VX_UDP_LEN:
		stat_drop(st, DROP_UDP_LEN);
		return 1;
	case VX_MARTIAN:
		stat_drop(st, DROP_MARTIAN);
		return 1;
	case VX_FRAGMENT:
		stat_drop(st, DROP_FRAGMENT);
		return 1;
	case VX_UDP6_ZERO_CSUM:
		stat_drop(st, DROP_UDP6_ZERO_CSUM);
		return 1;
	default:
		return 0;
	}
}

/*
 * XDP's PACKET_OTHERHOST (XDP has no pkt_type): the outer destination MAC is unicast and not the
 * underlay device's, as xvtep_config.underlay_mac says (the agent rewrites it when the device's MAC
 * changes). The kernel's stack drops such a frame (ip_rcv, ipv6_rcv), so decapsulation must too: the
 * frame was switched to us by flooding, or by a promiscuous device, for another host. Multicast and
 * broadcast destinations (a VNI's underlay group) stay accepted; an all-zero underlay_mac checks nothing.
 */
static __always_inline int vx_otherhost(const struct ethhdr *eth, const struct xvtep_config *gc)
{
	if (mac_is_multicast(eth->h_dest) || mac_is_zero(gc->underlay_mac))
		return 0;
	const __u8 *d = eth->h_dest, *m = gc->underlay_mac;

	return (d[0] ^ m[0]) | (d[1] ^ m[1]) | (d[2] ^ m[2]) | (d[3] ^ m[3]) | (d[4] ^ m[4]) | (d[5] ^ m[5]);
}

/*
 * The inner frame of a decapsulated VXLAN frame, as the bridge judges a frame: an invalid
 * source MAC, or an IEEE link-local destination, is never forwarded. Returns 0 or the reason.
 */
static __always_inline enum drop_reason vx_inner_refused(const struct ethhdr *inner)
{
	if (mac_is_multicast(inner->h_source) || mac_is_zero(inner->h_source))
		return DROP_SRC_MAC;
	if (mac_is_link_local(inner->h_dest))
		return DROP_LINK_LOCAL;
	return 0;
}

#endif /* XVTEP_VXLAN_H */
