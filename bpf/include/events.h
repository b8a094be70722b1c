/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Events to the control plane through the xvtep_events ring buffer; miss events rate-limited per key. */
#ifndef XVTEP_EVENTS_H
#define XVTEP_EVENTS_H

#include <linux/if_ether.h>
#include "stats.h"

static __always_inline void event_emit(__u32 type, __u32 vni, const __u8 *mac,
				       __be32 remote, __u32 ifindex, __be32 ip)
{
	struct xvtep_event *ev = bpf_ringbuf_reserve(&xvtep_events, sizeof(*ev), 0);
	struct vni_stats *st = stats_get(vni);

	if (!ev) {
		STAT_INC(st, events_lost); /* ring full: the control plane is behind */
		return;
	}
	STAT_INC(st, events_emitted);
	ev->type = type;
	ev->vni = vni;
	if (mac)
		__builtin_memcpy(ev->mac, mac, ETH_ALEN);
	else
		__builtin_memset(ev->mac, 0, ETH_ALEN);
	ev->pad = 0;
	ev->remote = remote;
	ev->ifindex = ifindex;
	ev->ip = ip;
	ev->pad2 = 0;
	ev->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(ev, 0);
}

/* A miss event at most once per key per MISS_RATELIMIT_NS: a storm of misses must not flood the ring. */
static __always_inline void miss_emit(__u32 type, __u32 vni, const __u8 *mac, __be32 ip)
{
	struct miss_key k = { .type = type, .vni = vni, .ip = ip };
	__u64 now = bpf_ktime_get_ns();
	__u64 *last;

	if (mac)
		__builtin_memcpy(k.mac, mac, ETH_ALEN);
	last = bpf_map_lookup_elem(&xvtep_miss_rl, &k);
	if (last && now - *last < MISS_RATELIMIT_NS)
		return;
	bpf_map_update_elem(&xvtep_miss_rl, &k, &now, BPF_ANY);
	event_emit(type, vni, mac, type == XVTEP_EV_NEIGH_MISS ? ip : 0, 0,
		   type == XVTEP_EV_NEIGH_MISS ? 0 : ip);
}

#endif /* XVTEP_EVENTS_H */
