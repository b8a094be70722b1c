/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Counters, FDB learning and events shared by every xvtep program. */
#ifndef XVTEP_COMMON_H
#define XVTEP_COMMON_H

#include "xvtep_maps.h"
#include "parse.h"
#include <linux/pkt_cls.h>

#define NSEC_PER_SEC       1000000000ull
#define FDB_REFRESH_NS     NSEC_PER_SEC      /* write a seen entry's timestamp at most once a second */
#define MISS_RATELIMIT_NS  NSEC_PER_SEC      /* one miss event per key per second */
#define DEFAULT_TTL        64

/* Per-key time of the last miss event: keeps a storm of misses from flooding the ring buffer. */
struct miss_key {
	__u32 type;
	__u32 vni;
	__u8  mac[6];
	__u16 pad;
	__be32 ip;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct miss_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_miss_rl SEC(".maps");

static __always_inline struct xvtep_config *config_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&xvtep_config, &zero);
}

/* Zeroed template for new counter entries: global, so it costs no stack. */
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

/* A miss event at most once per key per MISS_RATELIMIT_NS. */
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

/* A learned entry older than the VNI's ageing time no longer forwards (the control plane reaps it). */
static __always_inline int fdb_is_stale(const struct fdb_entry *e, const struct vni_cfg *cfg, __u64 now)
{
	if (e->flags & (FDB_F_STATIC | FDB_F_CLUSTER) || !cfg->ageing)
		return 0;
	return now - e->updated_ns > (__u64)cfg->ageing * NSEC_PER_SEC;
}

static __always_inline struct fdb_entry *fdb_lookup(__u32 vni, const __u8 *mac)
{
	struct fdb_key k = { .vni = vni };

	__builtin_memcpy(k.mac, mac, ETH_ALEN);
	return bpf_map_lookup_elem(&xvtep_fdb, &k);
}

/*
 * Learn that (vni, mac) sits behind `remote` (a VTEP) or `ifindex` (a local port).
 * Static entries are never overwritten, cluster ones only by a local port; a known entry only has its
 * timestamp refreshed (at most once a second, to keep map writes off the hot path).
 */
static __always_inline void fdb_learn(__u32 vni, const __u8 *mac, __be32 remote, __u32 ifindex,
				      struct vni_stats *st)
{
	struct fdb_key k = { .vni = vni };
	struct fdb_entry *e, ne = {};
	__u64 now = bpf_ktime_get_ns();
	__u32 ev = XVTEP_EV_LEARN;

	if (mac_is_multicast(mac) || mac_is_zero(mac))
		return;
	__builtin_memcpy(k.mac, mac, ETH_ALEN);
	e = bpf_map_lookup_elem(&xvtep_fdb, &k);
	if (e) {
		/* Static entries never move. A cluster entry (a remote host's claim) gives way only to
		 * the MAC showing up behind a local port: it moved here, and the event lets the
		 * control plane claim it in the store. */
		if ((e->flags & FDB_F_STATIC) || ((e->flags & FDB_F_CLUSTER) && !ifindex))
			return;
		if (e->remote == remote && e->ifindex == ifindex) {
			if (now - e->updated_ns > FDB_REFRESH_NS)
				e->updated_ns = now;
			return;
		}
		ev = XVTEP_EV_MOVE;
	}
	ne.remote = remote;
	ne.ifindex = ifindex;
	ne.updated_ns = now;
	/* Whole-value replace, so a reader never sees a half-moved entry. */
	if (bpf_map_update_elem(&xvtep_fdb, &k, &ne, BPF_ANY))
		return;
	if (ev == XVTEP_EV_MOVE)
		STAT_INC(st, moved);
	else
		STAT_INC(st, learned);
	event_emit(ev, vni, mac, remote, ifindex, 0);
}

/*
 * Deliver a unicast frame to local port `ifindex` from a TC ingress hook. The port
 * must belong to `vni`: entries are per VNI, but a port can move to another VNI, and
 * a frame must never cross VNIs.
 *
 * A veth port (PORT_F_PEER) gets the frame straight into its peer, skipping a pass
 * through the backlog. bpf_redirect_peer re-injects the skb as it is, without
 * eth_type_trans: so only when skb->protocol already matches the frame
 * (`proto_ok`), and with pkt_type set to PACKET_HOST (the frame is for the
 * container's MAC; a switched frame was OTHERHOST on the host side).
 */
static __always_inline int port_deliver(struct __sk_buff *skb, __u32 ifindex, __u32 vni, int proto_ok,
					struct vni_stats *st)
{
	struct port_cfg *port = bpf_map_lookup_elem(&xvtep_ports, &ifindex);

	if (!port || port->vni != vni) {
		STAT_INC(st, drop_no_dest);
		return TC_ACT_SHOT;
	}
	if ((port->flags & PORT_F_PEER) && proto_ok && !bpf_skb_change_type(skb, 0 /* PACKET_HOST */))
		return bpf_redirect_peer(ifindex, 0);
	return bpf_redirect(ifindex, 0);
}

#endif /* XVTEP_COMMON_H */
