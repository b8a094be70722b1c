/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* The forwarding database: lookup, ageing and learning. */
#ifndef XVTEP_FDB_H
#define XVTEP_FDB_H

#include "parse.h"
#include "events.h"
#include "clock.h"

/* A learned entry older than the VNI's ageing time no longer forwards (the control plane reaps it). */
static __always_inline int fdb_is_stale(const struct fdb_entry *e, const struct vni_cfg *cfg, __u64 now)
{
	if (e->flags & (FDB_F_STATIC | FDB_F_CLUSTER) || !cfg->ageing)
		return 0;
	return (__s64)(now - e->updated_ns) > (__s64)(cfg->ageing * NSEC_PER_SEC);
}

static __always_inline struct fdb_entry *fdb_lookup(__u32 vni, const __u8 *mac)
{
	struct fdb_key k = { .vni = vni };

	__builtin_memcpy(k.mac, mac, ETH_ALEN);
	return bpf_map_lookup_elem(&xvtep_fdb, &k);
}

/*
 * Whether one more entry may be learned in scope (scope, id): its learned entries (count -
 * forgotten) are below its limit (the control plane's, else the default). Returns the count
 * to charge, or 0 when the scope is full.
 */
static __always_inline __u64 *learn_scope_room(__u32 scope, __u32 id, __u32 dflt)
{
	struct learn_key k = { .scope = scope, .id = id };
	struct learn_limit *l = bpf_map_lookup_elem(&xvtep_learn_limit, &k);
	__u32 max = l ? l->max : dflt;
	__u64 zero = 0, *c = bpf_map_lookup_elem(&xvtep_learn_count, &k);

	if (!c) {
		bpf_map_update_elem(&xvtep_learn_count, &k, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&xvtep_learn_count, &k);
		if (!c)
			return 0; /* the budget table is full: refuse rather than learn uncounted */
	}
	if (max && (__s64)(*c - (l ? l->forgotten : 0)) >= (__s64)max)
		return 0;
	return c;
}

/*
 * A new learned entry for `vni` (behind port `ifindex`, or a VTEP when 0) fits the host's, the
 * VNI's and the port's budgets: charged to each. Checked only when an entry is created, never
 * for refreshes, so a known MAC costs nothing here.
 */
static __always_inline int learn_budget_take(__u32 vni, __u32 ifindex)
{
	__u64 *host = learn_scope_room(LEARN_SCOPE_HOST, 0, LEARN_DEFAULT_MAX_HOST);
	__u64 *v = host ? learn_scope_room(LEARN_SCOPE_VNI, vni, LEARN_DEFAULT_MAX_VNI) : 0;
	__u64 *p = 0;

	if (!v)
		return 0;
	if (ifindex) {
		p = learn_scope_room(LEARN_SCOPE_PORT, ifindex, LEARN_DEFAULT_MAX_PORT);
		if (!p)
			return 0;
		__sync_fetch_and_add(p, 1);
	}
	__sync_fetch_and_add(host, 1);
	__sync_fetch_and_add(v, 1);
	return 1;
}

enum learn_result {
	LEARN_OK = 0,         /* learned, refreshed, or nothing to learn */
	LEARN_STATIC_CLAIM,   /* the MAC is static behind another VTEP or port: the frame claims it falsely */
};

/*
 * Learn that (vni, mac) sits behind `remote` (a VTEP) or `ifindex` (a local port, `remote` NULL).
 * Static entries are never overwritten, cluster ones only by a local port; a known entry only has its
 * timestamp refreshed (at most once a second, to keep map writes off the hot path).
 * A frame claiming a static MAC from elsewhere is reported (the kernel's vxlan_snoop drops it).
 */
static __always_inline enum learn_result fdb_learn_at(__u32 vni, const __u8 *mac, const union vtep_addr *remote,
						     __u32 ifindex, struct vni_stats *st, __u64 now)
{
	struct fdb_key k = { .vni = vni };
	struct fdb_entry *e, ne = {};
	__u32 ev = XVTEP_EV_LEARN;

	if (mac_is_multicast(mac) || mac_is_zero(mac))
		return LEARN_OK;
	if (!remote)
		remote = &ne.remote; /* behind a local port: no VTEP (all-zero) */
	__builtin_memcpy(k.mac, mac, ETH_ALEN);
	e = bpf_map_lookup_elem(&xvtep_fdb, &k);
	if (e) {
		/* Static entries never move. A cluster entry (a remote host's claim) gives way only to
		 * the MAC showing up behind a local port: it moved here, and the event lets the
		 * control plane claim it in the store. */
		if (addr_eq(&e->remote, remote) && e->ifindex == ifindex) {
			if (!(e->flags & FDB_F_STATIC) && !((e->flags & FDB_F_CLUSTER) && !ifindex) &&
			    (__s64)(now - e->updated_ns) > (__s64)FDB_REFRESH_NS)
				e->updated_ns = now;
			return LEARN_OK;
		}
		if (e->flags & FDB_F_STATIC)
			return LEARN_STATIC_CLAIM;
		if ((e->flags & FDB_F_CLUSTER) && !ifindex)
			return LEARN_OK;
		ev = XVTEP_EV_MOVE;
	}
	/* A new learned entry (or a cluster entry becoming a learned local one) needs room. */
	if ((!e || (e->flags & FDB_F_CLUSTER)) && !learn_budget_take(vni, ifindex)) {
		STAT_INC(st, learn_refused);
		miss_emit(XVTEP_EV_LEARN_REFUSED, vni, 0, 0); /* keyed by VNI only: 1/s per VNI */
		return LEARN_OK; /* the frame itself is forwarded, as the kernel does when its FDB is full */
	}
	if (remote != &ne.remote)
		ne.remote = *remote;
	ne.ifindex = ifindex;
	ne.updated_ns = now;
	/* Whole-value replace, so a reader never sees a half-moved entry. */
	if (bpf_map_update_elem(&xvtep_fdb, &k, &ne, BPF_ANY))
		return LEARN_OK;
	if (ev == XVTEP_EV_MOVE)
		STAT_INC(st, moved);
	else
		STAT_INC(st, learned);
	event_emit(ev, vni, mac, remote, ifindex, 0, 0);
	return LEARN_OK;
}

#endif /* XVTEP_FDB_H */
