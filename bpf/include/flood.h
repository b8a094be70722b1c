/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Replicating BUM and unknown-unicast frames to the local ports of a VNI (xvtep_vni_ports,
 * indexes 0..n_ports-1). Remote copies are the encapsulation's job (vxlan_encap.h).
 *
 * The loops carry no state from one iteration to the next but the last port seen, so
 * the verifier can prune them. A missing entry below n_ports (the control plane keeps
 * the list dense, so only a direct map write makes one) loses that copy: DROP_LIST_GAP.
 */
#ifndef XVTEP_FLOOD_H
#define XVTEP_FLOOD_H

#include "stats.h"

/* A clone to every port of the VNI but `in_ifindex` (the ingress port); the frame itself stays. */
static __always_inline void flood_ports(struct __sk_buff *skb, __u32 vni, __u32 n_ports, __u32 in_ifindex,
					struct vni_stats *st)
{
	for (__u32 i = 0; i < XVTEP_MAX_PORTS_PER_VNI; i++) {
		struct vni_idx_key k = { .vni = vni, .idx = i };
		__u32 *ifx;

		if (i >= n_ports)
			break;
		ifx = bpf_map_lookup_elem(&xvtep_vni_ports, &k);
		if (!ifx) {
			stat_drop(st, DROP_LIST_GAP);
			continue;
		}
		if (*ifx == in_ifindex)
			continue;
		if (bpf_clone_redirect(skb, *ifx, 0))
			stat_drop(st, DROP_REDIRECT);
	}
}

/*
 * A clone to every port of the VNI but the last one listed, which the caller redirects
 * the frame itself to. Returns that port, 0 when there is none.
 */
static __always_inline __u32 flood_ports_but_last(struct __sk_buff *skb, __u32 vni, __u32 n_ports,
						  struct vni_stats *st)
{
	__u32 last = 0;

	for (__u32 i = 0; i < XVTEP_MAX_PORTS_PER_VNI; i++) {
		struct vni_idx_key k = { .vni = vni, .idx = i };
		__u32 *ifx;

		if (i >= n_ports)
			break;
		ifx = bpf_map_lookup_elem(&xvtep_vni_ports, &k);
		if (!ifx) {
			stat_drop(st, DROP_LIST_GAP);
			continue;
		}
		if (last && bpf_clone_redirect(skb, last, 0))
			stat_drop(st, DROP_REDIRECT);
		last = *ifx;
	}
	return last;
}

#endif /* XVTEP_FLOOD_H */
