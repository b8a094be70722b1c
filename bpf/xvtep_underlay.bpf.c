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
	struct vni_cfg *cfg = 0;
	struct vx_info vx = {};
	struct xvtep_config *gc;
	struct fdb_entry *e;
	struct port_cfg *port;
	struct ethhdr *inner;
	struct vni_stats *st;
	enum vx_verdict v;
	__u32 target, len;

	v = vx_parse(data, data_end, bpf_xdp_get_buff_len(ctx), &vx, &cfg);
	/* Passes are counted by TC, where every frame XDP passes goes next: never twice. */
	if (v != VX_OK)
		return vx_verdict_drops(v, &vx, 0) ? XDP_DROP : XDP_PASS;
	if (vx_ecn_needs_work(vx.outer_tos))
		return XDP_PASS; /* RFC 6040 rewriting (outer CE or ECT(1)) is done on the skb path */

	inner = data + vx.outer_len;
	if ((void *)(inner + 1) > data_end)
		return XDP_PASS;
	if (mac_is_multicast(inner->h_dest))
		return XDP_PASS; /* BUM: TC replicates to every local port */
	e = fdb_lookup(vx.vni, inner->h_dest);
	if (!e || !e->ifindex || fdb_is_stale(e, cfg, bpf_ktime_get_ns()))
		return XDP_PASS;
	target = e->ifindex;
	gc = config_get();
	if (!gc || (gc->flags & XVTEP_CFG_F_NO_XDP_REDIRECT))
		return XDP_PASS;
	port = bpf_map_lookup_elem(&xvtep_ports, &target);
	if (!port || port->vni != vx.vni || !(port->flags & PORT_F_XDP))
		return XDP_PASS;

	/* The fast path's frame is ours to judge now (frames passed on are judged once, by TC). */
	if (!vx_udp_csum_verified(ctx, 1, &vx))
		return XDP_PASS; /* TC decides, knowing what the device vouched for (and counts it) */
	st = stats_get(vx.vni);
	if (mac_is_multicast(inner->h_source) || mac_is_zero(inner->h_source))
		return xdp_drop(st, DROP_SRC_MAC);
	if ((cfg->flags & VNI_F_LEARNING) && fdb_learn(vx.vni, inner->h_source, &vx.saddr, 0, st))
		return xdp_drop(st, DROP_STATIC_MAC);
	len = bpf_xdp_get_buff_len(ctx);
	if (len > vx.outer_len + vx.inner_len && bpf_xdp_adjust_tail(ctx, -(int)(len - vx.outer_len - vx.inner_len)))
		return xdp_drop(st, DROP_ADJUST); /* bytes past the UDP datagram are not the inner frame's */
	if (bpf_xdp_adjust_head(ctx, vx.outer_len))
		return xdp_drop(st, DROP_ADJUST);
	STAT_INC(st, rx_packets);
	STAT_ADD(st, rx_bytes, vx.inner_len);
	return bpf_redirect(target, 0);
}

/* ---------------------------------------------------------------- TC */

SEC("tc")
int tc_underlay_ingress(struct __sk_buff *skb)
{
	struct vni_cfg *cfg = 0;
	struct vx_info vx = {};
	struct ethhdr inner;
	struct fdb_entry *e;
	struct vni_stats *st;
	enum vx_verdict v;
	enum drop_reason why;
	__u32 target = 0, n, last, vni;
	void *data, *data_end;

	if (skb->vlan_present) {
		/* Tagged on the underlay: the VLAN device's traffic (if there is one), not the underlay's. */
		stat_pass(stats_get(0), PASS_NOT_VXLAN);
		return TC_ACT_OK;
	}
	bpf_skb_pull_data(skb, skb->len < VX_PULL_LEN ? skb->len : VX_PULL_LEN);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	v = vx_parse(data, data_end, skb->len, &vx, &cfg);
	if (v != VX_OK)
		return vx_verdict_drops(v, &vx, 1) ? TC_ACT_SHOT : TC_ACT_OK;
	if (!vx_udp_csum_ok_skb(skb, &vx))
		return drop(stats_get(0), DROP_UDP_CSUM);

	vni = vx.vni;
	st = stats_get(vni);
	if (bpf_skb_load_bytes(skb, vx.outer_len, &inner, sizeof(inner)))
		return drop(st, DROP_TRUNCATED);
	why = vx_inner_refused(&inner);
	if (why)
		return drop(st, why);
	if (vx_ecn(skb, &vx, &inner))
		return drop(st, DROP_ECN);
	if ((cfg->flags & VNI_F_LEARNING) && fdb_learn(vni, inner.h_source, &vx.saddr, 0, st))
		return drop(st, DROP_STATIC_MAC);

	if (!mac_is_multicast(inner.h_dest)) {
		e = fdb_lookup(vni, inner.h_dest);
		/* An entry that points at a VTEP is stale here (the MAC came to us): flood locally. */
		if (e && e->ifindex && !fdb_is_stale(e, cfg, bpf_ktime_get_ns()))
			target = e->ifindex;
	}
	n = cfg->n_ports;
	/* the port must still be this VNI's before the frame counts as received */
	if (target ? !port_in_vni(target, vni) : !n)
		return drop(st, DROP_NO_DEST);
	if (vx_strip(skb, &vx, &inner))
		return drop(st, DROP_ADJUST);
	STAT_INC(st, rx_packets);
	STAT_ADD(st, rx_bytes, vx.inner_len);
	if (target)
		return port_deliver(skb, target, vni, inner.h_proto == skb->protocol, st);

	/* BUM or unknown unicast: one copy to every local port of the VNI. */
	STAT_INC(st, flooded_packets);
	last = flood_ports_but_last(skb, vni, n, st);
	if (!last)
		return drop(st, DROP_NO_DEST);
	return bpf_redirect(last, 0);
}
