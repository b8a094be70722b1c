/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Wire formats and small header helpers; every packet access is bounds-checked where it happens. */
#ifndef XVTEP_PARSE_H
#define XVTEP_PARSE_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include "xvtep_structs.h"

/* ---- VXLAN (RFC 7348) ---- */
#define VXLAN_HLEN          8
#define VXLAN_FLAG_I        0x08000000u  /* host order of the first 32-bit word: I flag, the rest reserved zero */
#define VXLAN_VNI_SHIFT     8            /* second word: VNI << 8, low byte reserved */
#define VXLAN_VNI_RESERVED  0xffu
#define VXLAN_ENCAP_LEN     (sizeof(struct iphdr) + sizeof(struct udphdr) + VXLAN_HLEN + ETH_HLEN) /* 50 */

struct vxlanhdr {
	__be32 vx_flags;
	__be32 vx_vni; /* VNI << 8, low byte reserved */
};

/* ---- ARP for IPv4 over Ethernet ---- */
struct arp_eth_ipv4 {
	__be16 ar_hrd;
	__be16 ar_pro;
	__u8   ar_hln;
	__u8   ar_pln;
	__be16 ar_op;
	__u8   ar_sha[ETH_ALEN];
	__be32 ar_sip;
	__u8   ar_tha[ETH_ALEN];
	__be32 ar_tip;
} __attribute__((packed));

static __always_inline int mac_is_multicast(const __u8 *mac)
{
	return mac[0] & 1;
}

static __always_inline int mac_is_zero(const __u8 *mac)
{
	return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

static __always_inline int ipv4_is_multicast(__be32 a)
{
	return (bpf_ntohl(a) & IPV4_MCAST_MASK) == IPV4_MCAST_NET;
}

static __always_inline int ipv4_is_loopback(__be32 a)
{
	return (bpf_ntohl(a) >> 24) == IPV4_LOOPBACK_NET;
}

/* What the kernel calls a martian source (ip_route_input_slow): 0/8, 127/8, 224/4, 255.255.255.255. */
static __always_inline int ipv4_is_martian_src(__be32 a)
{
	__u32 h = bpf_ntohl(a);

	return (h >> 24) == 0 || ipv4_is_loopback(a) || ipv4_is_multicast(a) || h == 0xffffffffu;
}

/* ---- underlay addresses (union vtep_addr: IPv6, or IPv4-mapped ::ffff:a.b.c.d) ---- */
#define VTEP_ADDR_V4MAPPED 0x0000ffffu /* third word of an IPv4-mapped address, host order */

static __always_inline int addr_is_zero(const union vtep_addr *a)
{
	return !(a->a32[0] | a->a32[1] | a->a32[2] | a->a32[3]);
}

static __always_inline int addr_eq(const union vtep_addr *a, const union vtep_addr *b)
{
	return !((a->a32[0] ^ b->a32[0]) | (a->a32[1] ^ b->a32[1]) | (a->a32[2] ^ b->a32[2]) |
		 (a->a32[3] ^ b->a32[3]));
}

static __always_inline int addr_is_v4(const union vtep_addr *a)
{
	return !(a->a32[0] | a->a32[1]) && a->a32[2] == bpf_htonl(VTEP_ADDR_V4MAPPED);
}

/* The IPv4 address of an IPv4-mapped one. */
static __always_inline __be32 addr_v4(const union vtep_addr *a)
{
	return a->a32[3];
}

static __always_inline void addr_set_v4(union vtep_addr *a, __be32 v4)
{
	a->a32[0] = 0;
	a->a32[1] = 0;
	a->a32[2] = bpf_htonl(VTEP_ADDR_V4MAPPED);
	a->a32[3] = v4;
}

/*
 * An IPv6 outer source the kernel would never accept from a VTEP: unspecified, loopback, multicast;
 * and IPv4-mapped ::ffff:0:0/96, which on the wire is no VTEP's and in the maps would read as IPv4.
 */
static __always_inline int addr6_is_martian_src(const union vtep_addr *a)
{
	if (a->a8[0] == 0xff)
		return 1;
	if (a->a32[0] | a->a32[1])
		return 0;
	if (a->a32[2] == bpf_htonl(VTEP_ADDR_V4MAPPED))
		return 1;
	return !a->a32[2] && (!a->a32[3] || a->a32[3] == bpf_htonl(1));
}

/* Whether an underlay address is multicast (IPv4 224/4 mapped, or IPv6 ff00::/8). */
static __always_inline int addr_is_multicast(const union vtep_addr *a)
{
	return addr_is_v4(a) ? ipv4_is_multicast(addr_v4(a)) : a->a8[0] == 0xff;
}

/* The traffic class of an IPv6 header (the IPv4 TOS byte's counterpart). */
static __always_inline __u8 ipv6_tclass(const struct ipv6hdr *ip6)
{
	return (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
}

/* ---- IPv6 extension headers in front of an outer UDP header (RFC 8200 section 4) ---- */
#define IPV6_EXT_MAX       4   /* extension headers walked; a longer chain is the stack's */
#define IPV6_EXT_MAX_BYTES 128 /* their total length (what the TC program pulls beyond the fixed headers) */
#define IPV6_OPT_MAX       8   /* TLV options judged in one Hop-by-Hop or Destination Options header */
#define IPV6_OPT_PAD1      0
#define IPV6_OPT_ACTION    0xc0 /* the type's top bits: 00 = skip the option if unknown, else discard it */
#define IPV6_FRAG_OFFSET   0xfff8 /* Fragment header offset (host order), and the M flag */
#define IPV6_FRAG_MF       0x0001
#define IPV6_RT_TYPE_MIP6  2    /* Routing header types the stack judges by its own settings (MIPv6, */
#define IPV6_RT_TYPE_RPL   3    /* rpl_seg_enabled, seg6_enabled): never skipped here */
#define IPV6_RT_TYPE_SRH   4

/* What ipv6_ext_walk found after the fixed IPv6 header. */
struct ipv6_ext {
	__u32 len;        /* bytes of extension headers */
	__u8  nexthdr;    /* the header after them */
	__u8  first_frag; /* a Fragment header with offset 0 and M set: the datagram is not whole */
	__u8  later_frag; /* a Fragment header with an offset: no upper-layer header follows */
};

/*
 * Options of a Hop-by-Hop or Destination Options header of `hlen` bytes (in the packet up to h + hlen)
 * that the kernel's ip6_parse_tlv would skip: Pad1, PadN and any type whose action bits are 00. A type
 * that says "discard if unknown" (Jumbo, Home Address, ...) is for the stack to judge: 0 then.
 * Branch-free over Pad1 vs other so the verifier walks one path per option.
 */
static __always_inline int ipv6_opts_skippable(const __u8 *h, __u32 hlen, const void *data_end)
{
	__u32 o = 2;

	for (int i = 0; i < IPV6_OPT_MAX; i++) {
		const __u8 *opt;
		__u32 type;

		if (o >= hlen)
			return 1;
		if (o > IPV6_EXT_MAX_BYTES)
			return 0;
		opt = h + o;
		if ((const void *)(opt + 2) > data_end)
			return 0;
		type = opt[0];
		if (type & IPV6_OPT_ACTION)
			return 0;
		o += 1 + ((type + 0xff) >> 8) * (1 + (__u32)opt[1]); /* Pad1: 1 byte; else 2 + length */
	}
	return o >= hlen; /* more options than IPV6_OPT_MAX: the stack's */
}

/*
 * Walks Hop-by-Hop (first only), Destination Options, Routing (segments left 0) and Fragment headers
 * after the fixed header `ip6`, as ipv6_rcv / ip6_protocol_deliver_rcu would before handing the packet
 * to UDP, up to IPV6_EXT_MAX headers and IPV6_EXT_MAX_BYTES bytes. Returns 0 with *x filled, or -1 when
 * the chain is one only the stack may judge (longer, cut short, a Routing header with segments left or of
 * a type with its own sysctl, Hop-by-Hop not first, an option not to skip).
 */
static __always_inline int ipv6_ext_walk(const struct ipv6hdr *ip6, const void *data_end, struct ipv6_ext *x)
{
	const __u8 *base = (const __u8 *)(ip6 + 1);
	__u8 next = ip6->nexthdr;
	__u32 off = 0;

	x->first_frag = 0;
	x->later_frag = 0;
	for (int i = 0; i < IPV6_EXT_MAX + 1; i++) {
		const __u8 *h;
		__u32 hlen;

		if (next != IPPROTO_HOPOPTS && next != IPPROTO_DSTOPTS && next != IPPROTO_ROUTING &&
		    next != IPPROTO_FRAGMENT)
			break;
		if (i == IPV6_EXT_MAX || (next == IPPROTO_HOPOPTS && i))
			return -1; /* too many, or Hop-by-Hop after another header (the stack answers with ICMPv6) */
		if (off > IPV6_EXT_MAX_BYTES - 8)
			return -1;
		h = base + off;
		if ((const void *)(h + 8) > data_end) /* every extension header is at least 8 bytes */
			return -1;
		hlen = next == IPPROTO_FRAGMENT ? 8 : ((__u32)h[1] + 1) * 8;
		if (off + hlen > IPV6_EXT_MAX_BYTES)
			return -1;
		if ((const void *)(h + hlen) > data_end)
			return -1;
		if (next == IPPROTO_FRAGMENT) {
			__u16 fo = ((__u16)h[2] << 8) | h[3];

			if (fo & IPV6_FRAG_OFFSET) {
				x->later_frag = 1;
				x->len = off + hlen;
				x->nexthdr = h[0];
				return 0;
			}
			x->first_frag = !!(fo & IPV6_FRAG_MF); /* neither: an atomic fragment, whole (RFC 6946) */
		} else if (next == IPPROTO_ROUTING) {
			if (h[3] || h[2] == IPV6_RT_TYPE_MIP6 || h[2] == IPV6_RT_TYPE_RPL || h[2] == IPV6_RT_TYPE_SRH)
				return -1; /* segments left: not for us yet; or a type with its own rules */
		} else if (!ipv6_opts_skippable(h, hlen, data_end)) {
			return -1;
		}
		next = h[0];
		off += hlen;
	}
	x->len = off;
	x->nexthdr = next;
	return 0;
}

/* IEEE 802.1D reserved group 01:80:c2:00:00:00-0f: a bridge never forwards these (PAUSE, STP, LACP, LLDP). */
static __always_inline int mac_is_link_local(const __u8 *mac)
{
	return mac[0] == 0x01 && mac[1] == 0x80 && mac[2] == 0xc2 && mac[3] == 0 && mac[4] == 0 && !(mac[5] & 0xf0);
}

/* The header checksum of an IPv4 header (options included) in the packet verifies. */
static __always_inline int ipv4_hdr_csum_ok(const struct iphdr *ip, const void *data_end)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 words = ip->ihl * 2, sum = 0;

	for (__u32 i = 0; i < 30; i++) { /* at most 60 bytes */
		if (i >= words)
			break;
		if ((const void *)(w + i + 1) > data_end)
			return 0;
		sum += w[i];
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* RFC 1071 checksum over a 20-byte IPv4 header (no options: we only build those). */
static __always_inline __u16 ipv4_csum(struct iphdr *ip)
{
	__u16 *w = (__u16 *)ip;
	__u32 sum = 0;

	ip->check = 0;
#pragma unroll
	for (int i = 0; i < (int)(sizeof(struct iphdr) / 2); i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Folds a bpf_csum_diff() sum into a 16-bit Internet checksum. */
static __always_inline __u16 csum_fold32(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

#endif /* XVTEP_PARSE_H */
