/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The underlay next hop of an outer destination: the outer Ethernet addresses and the device, derived
 * for multicast groups, from bpf_fib_lookup otherwise (encap_cache.h keeps the FIB's answers).
 */
#ifndef XVTEP_NEXTHOP_H
#define XVTEP_NEXTHOP_H

#include "vxlan.h"
#include "prof.h"

enum nh_result {
	NH_OK,         /* outer->eth filled, *ifindex set */
	NH_NO_NEIGH,   /* route found but neighbour unresolved: nh_ip/ifindex set */
	NH_FAIL,       /* no route */
};

/*
 * Outer Ethernet addresses for `dst`: derived for multicast groups, from the FIB otherwise. `ctx` is the
 * program's context (struct __sk_buff or struct xdp_md: bpf_fib_lookup takes either), so the TC port
 * program and the XDP one (xvtep_port_xdp.bpf.c) share it.
 */
static __always_inline enum nh_result vx_nexthop(void *ctx, struct xvtep_config *gc,
						 const union vtep_addr *src, const union vtep_addr *dst,
						 struct ethhdr *eth, __u32 *ifindex, union vtep_addr *nh,
						 struct bpf_fib_lookup *fibp)
{
	struct bpf_fib_lookup *f = fibp;
	const __u8 *d = &dst->a8[12];
	int v4 = addr_is_v4(dst);
	int rc;

	if (PROF_SKIPS(PROF_SKIP_FIB)) {
		__builtin_memcpy(eth->h_dest, gc->underlay_mac, ETH_ALEN);
		__builtin_memcpy(eth->h_source, gc->underlay_mac, ETH_ALEN);
		*ifindex = gc->underlay_ifindex;
		return NH_OK;
	}
	if (v4 && ipv4_is_multicast(addr_v4(dst))) {
		eth->h_dest[0] = IPV4_MCAST_MAC0;
		eth->h_dest[1] = IPV4_MCAST_MAC1;
		eth->h_dest[2] = IPV4_MCAST_MAC2;
		eth->h_dest[3] = d[1] & IPV4_MCAST_MAC_LOW;
		eth->h_dest[4] = d[2];
		eth->h_dest[5] = d[3];
		__builtin_memcpy(eth->h_source, gc->underlay_mac, ETH_ALEN);
		*ifindex = gc->underlay_ifindex;
		return NH_OK;
	}
	if (!v4 && dst->a8[0] == 0xff) {
		/* RFC 2464: 33:33 and the group's last 32 bits */
		eth->h_dest[0] = IPV6_MCAST_MAC0;
		eth->h_dest[1] = IPV6_MCAST_MAC0;
		__builtin_memcpy(&eth->h_dest[2], d, 4);
		__builtin_memcpy(eth->h_source, gc->underlay_mac, ETH_ALEN);
		*ifindex = gc->underlay_ifindex;
		return NH_OK;
	}
	__builtin_memset(f, 0, sizeof(*f));
	f->l4_protocol = IPPROTO_UDP;
	/*
	 * tot_len stays 0: given a length, the FIB lookup checks it against the route MTU and
	 * refuses GSO super-frames (FRAG_NEEDED). bpf_check_mtu already judged the frame,
	 * segment by segment for GSO.
	 */
	if (v4) {
		f->family = AF_INET;
		f->ipv4_src = addr_v4(src);
		f->ipv4_dst = addr_v4(dst);
	} else {
		f->family = AF_INET6;
		__builtin_memcpy(f->ipv6_src, src->a32, sizeof(f->ipv6_src));
		__builtin_memcpy(f->ipv6_dst, dst->a32, sizeof(f->ipv6_dst));
	}
	f->ifindex = gc->underlay_ifindex;
	rc = bpf_fib_lookup(ctx, f, sizeof(*f), BPF_FIB_LOOKUP_OUTPUT);
	*ifindex = f->ifindex;
	/* the next hop (the gateway when there is one) */
	if (v4)
		addr_set_v4(nh, f->ipv4_dst);
	else
		__builtin_memcpy(nh->a32, f->ipv6_dst, sizeof(nh->a32));
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		__builtin_memcpy(eth->h_dest, f->dmac, ETH_ALEN);
		__builtin_memcpy(eth->h_source, f->smac, ETH_ALEN);
		return NH_OK;
	}
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		return NH_NO_NEIGH;
	return NH_FAIL;
}

#endif /* XVTEP_NEXTHOP_H */
