// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xvtep on the underlay interface: VXLAN decapsulation.
 *
 *   xdp_underlay        (XDP)        fast path: known unicast to a port that accepts
 *                                    XDP redirects; everything else goes on to TC.
 *   tc_underlay_ingress (TC ingress) the rest: flooding to local ports, ports without
 *                                    XDP-redirect support, ECN, counters of what passes.
 */
#include "vxlan_decap.h"
#include "fdb.h"
#include "flood.h"
#include "deliver.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";


/*
 * Bench-only switches: `test-vm/bench datapath --decap-profile` builds variants of this object with
 * one of these defined (bpf/Makefile, bench-variants), each leaving one piece of decapsulation out, so
 * the per-piece costs in docs/benchmarks.md are measured. The shipped object defines none.
 */
#ifdef XVTEP_BENCH_NO_STATS
#define stats_of(cfg) ((struct vni_stats *)0)
#endif
#ifdef XVTEP_BENCH_NO_AGEING
#define fdb_is_stale(e, cfg, now) 0
#endif
#ifdef XVTEP_BENCH_PRECISE_CLOCK
#define fdb_clock() bpf_ktime_get_ns()
#endif
#ifdef XVTEP_BENCH_NO_VALIDATION
#define vx_inner_refused(inner) 0
#endif

/* ---------------------------------------------------------------- XDP */

/*
 * Frags-aware: a non-frags XDP program on a veth turns GSO/TSO off for its peer.
 * Only the headers are read, from the linear part; the length check uses the whole buffer.
 */
SEC("xdp.frags")
int xdp_underlay(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 target, len = bpf_xdp_get_buff_len(ctx);
	struct vni_cfg *cfg = 0;
	struct vx_info vx = {};
	struct xvtep_config *gc;
	struct fdb_entry *e;
	struct port_cfg *port;
	struct ethhdr *inner;
	struct vni_stats *st;
	enum vx_verdict v;
	__u64 now;

	v = vx_parse(data, data_end, len, &vx, &cfg);
	/* Passes are counted by TC, where every frame XDP passes goes next: never twice. */
	if (v != VX_OK)
		return vx_verdict_drops(v, &vx, 0) ? XDP_DROP : XDP_PASS;
#ifdef XVTEP_BENCH_PARSE_ONLY
	return XDP_PASS;
#endif
	if (vx_ecn_needs_work(vx.outer_tos))
		return XDP_PASS; /* RFC 6040 rewriting (outer CE or ECT(1)) is done on the skb path */
	gc = config_get(); /* an array entry: no hash lookup */
	if (!gc || (gc->flags & XVTEP_CFG_F_NO_XDP_REDIRECT))
		return XDP_PASS; /* a veth underlay: everything goes to TC (skb->pkt_type), so look nothing up */
	if (vx_otherhost(data, gc))
		return xdp_drop(stats_of(cfg), DROP_OTHERHOST);

	inner = data + vx.outer_len;
	if ((void *)(inner + 1) > data_end)
		return XDP_PASS;
	if (mac_is_multicast(inner->h_dest))
		return XDP_PASS; /* BUM: TC replicates to every local port */
	e = fdb_lookup(vx.vni, inner->h_dest);
	if (!e || !e->ifindex)
		return XDP_PASS;
	now = fdb_clock(); /* read once: ageing and learning share it */
	if (fdb_is_stale(e, cfg, now))
		return XDP_PASS;
	target = e->ifindex;
#ifndef XVTEP_BENCH_NO_PORT
	port = bpf_map_lookup_elem(&xvtep_ports, &target);
	if (!port || port->vni != vx.vni || !(port->flags & PORT_F_XDP))
		return XDP_PASS;
#endif

	/* The fast path's frame is ours to judge now (frames passed on are judged once, by TC). */
	if (!vx_udp_csum_verified(ctx, 1, &vx))
		return XDP_PASS; /* TC decides, knowing what the device vouched for (and counts it) */
	st = stats_of(cfg); /* once, an array entry: every counter of the frame goes through st */
#ifndef XVTEP_BENCH_NO_VALIDATION
	if (mac_is_multicast(inner->h_source) || mac_is_zero(inner->h_source))
		return xdp_drop(st, DROP_SRC_MAC);
#endif
	if ((cfg->flags & VNI_F_LEARNING) && fdb_learn_at(vx.vni, inner->h_source, &vx.saddr, 0, st, now))
		return xdp_drop(st, DROP_STATIC_MAC);
#ifndef XVTEP_BENCH_NO_STRIP
	if (len > vx.outer_len + vx.inner_len && bpf_xdp_adjust_tail(ctx, -(int)(len - vx.outer_len - vx.inner_len)))
		return xdp_drop(st, DROP_ADJUST); /* bytes past the UDP datagram are not the inner frame's */
	if (bpf_xdp_adjust_head(ctx, vx.outer_len))
		return xdp_drop(st, DROP_ADJUST);
#endif
	STAT_INC(st, rx_packets);
	STAT_ADD(st, rx_bytes, vx.inner_len);
	return bpf_redirect(target, 0);
}

/* ---------------------------------------------------------------- TC */

SEC("tc")
int tc_underlay_ingress(struct __sk_buff *skb)
{
	struct port_cfg *port = 0;
	struct vni_cfg *cfg = 0;
	struct vx_info vx = {};
	struct ethhdr inner;
	struct fdb_entry *e;
	struct vni_stats *st;
	enum vx_verdict v;
	enum drop_reason why;
	__u32 target = 0, n, last, vni, off;
	void *data, *data_end;
	__u64 now;

	if (skb->vlan_present) {
		/* Tagged on the underlay: the VLAN device's traffic (if there is one), not the underlay's. */
		stat_pass(stats_slot(STATS_NO_VNI), PASS_NOT_VXLAN);
		return TC_ACT_OK;
	}
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	off = skb->len < VX_PULL_LEN ? skb->len : VX_PULL_LEN;
	if (data + off > data_end) { /* a helper call only when the headers are not linear yet */
		bpf_skb_pull_data(skb, off);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	v = vx_parse(data, data_end, skb->len, &vx, &cfg);
	if (v != VX_OK)
		return vx_verdict_drops(v, &vx, 1) ? TC_ACT_SHOT : TC_ACT_OK;
#ifdef XVTEP_BENCH_PARSE_ONLY
	return TC_ACT_OK;
#endif
	/* Addressed to another host's MAC (a flooding switch, a promiscuous device): the stack would drop it. */
	if (skb->pkt_type == PACKET_OTHERHOST)
		return drop(stats_of(cfg), DROP_OTHERHOST);
	/* vx_parse found the inner Ethernet header in the linear part: copied from there, no helper. */
	vni = vx.vni;
	off = vx.outer_len;
	if (off > VX_PULL_LEN - ETH_HLEN || data + off + ETH_HLEN > data_end)
		return drop(stats_of(cfg), DROP_TRUNCATED);
	__builtin_memcpy(&inner, data + off, ETH_HLEN);
	if (!vx_udp_csum_ok_skb(skb, &vx))
		return drop(stats_slot(STATS_NO_VNI), DROP_UDP_CSUM);

	st = stats_of(cfg); /* once, an array entry: every counter of the frame goes through st */
	why = vx_inner_refused(&inner);
	if (why)
		return drop(st, why);
	if (vx_ecn(skb, &vx, &inner))
		return drop(st, DROP_ECN);
	now = fdb_clock(); /* read once: learning and ageing share it */
	if ((cfg->flags & VNI_F_LEARNING) && fdb_learn_at(vni, inner.h_source, &vx.saddr, 0, st, now))
		return drop(st, DROP_STATIC_MAC);

	if (!mac_is_multicast(inner.h_dest)) {
		e = fdb_lookup(vni, inner.h_dest);
		/* An entry that points at a VTEP is stale here (the MAC came to us): flood locally. */
		if (e && e->ifindex && !fdb_is_stale(e, cfg, now))
			target = e->ifindex;
	}
	n = cfg->n_ports;
	/* The port must still be this VNI's before the frame counts as received: looked up once, here. */
#ifndef XVTEP_BENCH_NO_PORT
	if (target) {
		port = bpf_map_lookup_elem(&xvtep_ports, &target);
		if (!port || port->vni != vni)
			return drop(st, DROP_NO_DEST);
	} else if (!n) {
		return drop(st, DROP_NO_DEST);
	}
#endif
#ifndef XVTEP_BENCH_NO_STRIP
	if (vx_strip(skb, &vx, &inner))
		return drop(st, DROP_ADJUST);
#endif
	STAT_INC(st, rx_packets);
	STAT_ADD(st, rx_bytes, vx.inner_len);
#ifdef XVTEP_BENCH_NO_PORT
	if (target)
		return bpf_redirect_peer(target, 0);
#endif
	if (port) /* the inner frame's fields as copied before the strip: nothing is parsed again */
		return port_redirect(skb, port, target, inner.h_proto == skb->protocol);

	/* BUM or unknown unicast: one copy to every local port of the VNI. */
	STAT_INC(st, flooded_packets);
	last = flood_ports_but_last(skb, vni, n, st);
	if (!last)
		return drop(st, DROP_NO_DEST);
	return bpf_redirect(last, 0);
}
