/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Replicating BUM and unknown-unicast frames to the local ports of a VNI (xvtep_vni_ports,
 * indexes 0..n_ports-1). Remote copies are the encapsulation's job (vxlan_encap.h).
 *
 * A missing entry below n_ports (the control plane keeps the list dense, so only a direct
 * map write makes one) loses that copy: DROP_LIST_GAP.
 */
#ifndef XVTEP_FLOOD_H
#define XVTEP_FLOOD_H

#include "stats.h"

/*
 * The walk is a bpf_loop over idx 0..n_ports-1 (up to XVTEP_MAX_PORTS_PER_VNI): the
 * verifier checks the callback once, whatever the list length, instead of once per
 * unrolled iteration. The callback's state lives on the caller's stack.
 */
struct flood_ports_ctx {
	struct __sk_buff *skb;
	struct vni_stats *st;
	__u32 vni;
	__u32 skip; /* ingress port: no copy back to it (0 = none) */
	__u32 last; /* keep_last: the port held back for the frame itself */
	__u32 keep_last;
};

static long flood_port_copy(__u32 i, void *data)
{
	struct flood_ports_ctx *c = data;
	struct vni_idx_key k = { .vni = c->vni, .idx = i };
	__u32 *ifx = bpf_map_lookup_elem(&xvtep_vni_ports, &k);
	__u32 to;

	if (!ifx) {
		stat_drop(c->st, DROP_LIST_GAP);
		return 0;
	}
	to = *ifx;
	if (to == c->skip)
		return 0;
	if (c->keep_last) {
		/* hold each port back until the next one is found: the last found gets the frame */
		__u32 prev = c->last;

		c->last = to;
		if (!prev)
			return 0;
		to = prev;
	}
	if (bpf_clone_redirect(c->skb, to, 0))
		stat_drop(c->st, DROP_REDIRECT);
	return 0;
}

static __always_inline __u32 flood_ports_walk(struct __sk_buff *skb, __u32 vni, __u32 n_ports, __u32 skip,
					      int keep_last, struct vni_stats *st)
{
	struct flood_ports_ctx c = { .skb = skb, .st = st, .vni = vni, .skip = skip, .keep_last = keep_last };

	if (n_ports > XVTEP_MAX_PORTS_PER_VNI)
		n_ports = XVTEP_MAX_PORTS_PER_VNI;
	if (n_ports)
		bpf_loop(n_ports, flood_port_copy, &c, 0);
	return c.last;
}

/* A clone to every port of the VNI but `in_ifindex` (the ingress port); the frame itself stays. */
static __always_inline void flood_ports(struct __sk_buff *skb, __u32 vni, __u32 n_ports, __u32 in_ifindex,
					struct vni_stats *st)
{
	flood_ports_walk(skb, vni, n_ports, in_ifindex, 0, st);
}

/*
 * A clone to every port of the VNI but the last one listed, which the caller redirects
 * the frame itself to. Returns that port, 0 when there is none.
 */
static __always_inline __u32 flood_ports_but_last(struct __sk_buff *skb, __u32 vni, __u32 n_ports,
						  struct vni_stats *st)
{
	return flood_ports_walk(skb, vni, n_ports, 0, 1, st);
}

#endif /* XVTEP_FLOOD_H */
