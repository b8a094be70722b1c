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

/* Slot 0 of xvtep_stats: frames of no VNI we serve. */
#define STATS_NO_VNI 0

/* The counters in `slot` for this CPU: an array entry, no hash (NULL only past the array's end). */
static __always_inline struct vni_stats *stats_slot(__u32 slot)
{
	return bpf_map_lookup_elem(&xvtep_stats, &slot);
}

/* The VNI's counters for this CPU: the slot the control plane gave it (vni_cfg.stats_slot). */
static __always_inline struct vni_stats *stats_of(const struct vni_cfg *cfg)
{
	return stats_slot(cfg->stats_slot);
}

/*
 * For paths that hold only a VNI number (events, per-copy encap): the VNI's lookup, then its slot;
 * a VNI no longer served counts in slot 0. Hot paths pass the counters they found instead.
 */
static __always_inline struct vni_stats *stats_by_vni(__u32 vni)
{
	struct vni_cfg *cfg = vni ? bpf_map_lookup_elem(&xvtep_vnis, &vni) : 0;

	vni = cfg ? cfg->stats_slot : STATS_NO_VNI; /* the same stack slot as the key: vx_send's frame is tight */
	return bpf_map_lookup_elem(&xvtep_stats, &vni);
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
