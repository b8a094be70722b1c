/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Events to the control plane through the xvtep_events ring buffer; miss events rate-limited per key. */
#ifndef XVTEP_EVENTS_H
#define XVTEP_EVENTS_H

#include <linux/if_ether.h>
#include "stats.h"

static __always_inline void event_emit(__u32 type, __u32 vni, const __u8 *mac,
				       const union vtep_addr *remote, __u32 ifindex, __be32 ip, const __u8 *ip6)
{
	struct xvtep_event *ev = bpf_ringbuf_reserve(&xvtep_events, sizeof(*ev), 0);
	struct vni_stats *st = stats_by_vni(vni); /* a slow path: one VNI lookup */

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
	if (remote)
		ev->remote = *remote;
	else
		__builtin_memset(&ev->remote, 0, sizeof(ev->remote));
	ev->ifindex = ifindex;
	ev->ip = ip;
	ev->ts_ns = bpf_ktime_get_ns();
	if (ip6)
		__builtin_memcpy(ev->ip6, ip6, sizeof(ev->ip6));
	else
		__builtin_memset(ev->ip6, 0, sizeof(ev->ip6));
	bpf_ringbuf_submit(ev, 0);
}

/* Whether a miss event for this key may go out now: at most one per key per MISS_RATELIMIT_NS. */
static __always_inline int miss_allowed(struct miss_key *k)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 *last = bpf_map_lookup_elem(&xvtep_miss_rl, k);

	if (last && now - *last < MISS_RATELIMIT_NS)
		return 0;
	bpf_map_update_elem(&xvtep_miss_rl, k, &now, BPF_ANY);
	return 1;
}

/* 16 bytes folded into the miss key's 32-bit address slot. */
static __always_inline __be32 fold16(const void *a)
{
	__u32 w[4];

	__builtin_memcpy(w, a, sizeof(w));
	return w[0] ^ w[1] ^ w[2] ^ w[3];
}

/*
 * A miss event at most once per key per MISS_RATELIMIT_NS: a storm of misses must not flood the ring.
 * An IPv6 target (`ip6`, with `ip` 0) is keyed by its four words folded into the key's IPv4 slot.
 */
static __always_inline void miss_emit6(__u32 type, __u32 vni, const __u8 *mac, __be32 ip, const __u8 *ip6)
{
	struct miss_key k = { .type = type, .vni = vni, .ip = ip };

	if (mac)
		__builtin_memcpy(k.mac, mac, ETH_ALEN);
	if (ip6)
		k.ip = fold16(ip6);
	if (miss_allowed(&k))
		event_emit(type, vni, mac, 0, 0, ip, ip6);
}

static __always_inline void miss_emit(__u32 type, __u32 vni, const __u8 *mac, __be32 ip)
{
	miss_emit6(type, vni, mac, ip, 0);
}

/* XVTEP_EV_NEIGH_MISS: the underlay next hop `nh` of VNI `vni` is unresolved (rate-limited per next hop). */
static __always_inline void neigh_miss_emit(__u32 vni, const union vtep_addr *nh)
{
	struct miss_key k = { .type = XVTEP_EV_NEIGH_MISS, .vni = vni, .ip = fold16(nh) };

	if (miss_allowed(&k))
		event_emit(XVTEP_EV_NEIGH_MISS, vni, 0, nh, 0, 0, 0);
}

#endif /* XVTEP_EVENTS_H */
