/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Per-VNI per-CPU counters, and the one way to give up on a frame: every TC_ACT_SHOT /
 * XDP_DROP in xvtep comes from drop() / xdp_drop() with an enum drop_reason (or, for the
 * underlay's parse verdicts, after vx_verdict_drops() counted one), or from consumed() when
 * the frame's copies already were its delivery.
 */
#ifndef XVTEP_STATS_H
#define XVTEP_STATS_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include "xvtep_maps.h"

/* Zeroed template for new counter entries: a global, so it costs no stack. */
const volatile struct vni_stats xvtep_zero_stats;

/* The VNI's counters for this CPU, created on first use (vni 0 holds frames of no VNI). */
static __always_inline struct vni_stats *stats_get(__u32 vni)
{
	struct vni_stats *st = bpf_map_lookup_elem(&xvtep_stats, &vni);

	if (!st) {
		bpf_map_update_elem(&xvtep_stats, &vni, (void *)&xvtep_zero_stats, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&xvtep_stats, &vni);
	}
	return st;
}

#define STAT_ADD(st, field, n) do { if (st) (st)->field += (n); } while (0)
#define STAT_INC(st, field)    STAT_ADD(st, field, 1)

/* Counts a drop (of a frame, or of one copy of a flooded frame) without deciding the verdict. */
static __always_inline void stat_drop(struct vni_stats *st, enum drop_reason r)
{
	if (st && (__u32)r < DROP_REASON_MAX)
		st->drop[(__u32)r] += 1;
}

static __always_inline void stat_pass(struct vni_stats *st, enum pass_reason r)
{
	if (st && (__u32)r < PASS_REASON_MAX)
		st->pass[(__u32)r] += 1;
}

/* TC: count the drop under its reason and drop the frame. */
static __always_inline int drop(struct vni_stats *st, enum drop_reason r)
{
	stat_drop(st, r);
	return TC_ACT_SHOT;
}

/* XDP: count the drop under its reason and drop the frame. */
static __always_inline int xdp_drop(struct vni_stats *st, enum drop_reason r)
{
	stat_drop(st, r);
	return XDP_DROP;
}

/* TC: the original skb is no longer needed because clones of it were delivered (not a drop). */
static __always_inline int consumed(void)
{
	return TC_ACT_SHOT;
}

#endif /* XVTEP_STATS_H */
