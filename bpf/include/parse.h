/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Header parsing for xvtep: every access is bounds-checked right where it happens. */
#ifndef XVTEP_PARSE_H
#define XVTEP_PARSE_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#define VXLAN_HLEN      8
#define VXLAN_FLAG_I    0x08000000u  /* host order of the first 32-bit word: I flag, reserved zero */
#define VXLAN_ENCAP_LEN (sizeof(struct iphdr) + sizeof(struct udphdr) + VXLAN_HLEN + ETH_HLEN) /* 50 */

#define IP_MF     0x2000
#define IP_OFFSET 0x1FFF
#define IP_DF     0x4000

struct vxlanhdr {
	__be32 vx_flags;
	__be32 vx_vni; /* VNI << 8, low byte reserved */
};

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

/* Result of looking at a frame that arrived on the underlay. */
enum vx_verdict {
	VX_OK = 0,           /* a VXLAN frame for a VNI we serve; fields below are valid */
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

static __always_inline int mac_is_multicast(const __u8 *mac)
{
	return mac[0] & 1;
}

static __always_inline int mac_is_zero(const __u8 *mac)
{
	return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
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

#endif /* XVTEP_PARSE_H */
