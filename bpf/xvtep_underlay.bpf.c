// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xvtep on the underlay interface: VXLAN decapsulation.
 *
 *   xdp_underlay        (XDP)        fast path: known unicast to a port that accepts
 *                                    XDP redirects; everything else goes on to TC.
 *   tc_underlay_ingress (TC ingress) the rest: flooding to local ports, ports without
 *                                    XDP-redirect support, ECN, counters of what passes.
 */
#include <linux/pkt_cls.h>
#include "vxlan.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PULL_LEN 128

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
	__u32 target;

	v = vx_parse(data, data_end, bpf_xdp_get_buff_len(ctx), &vx, &cfg);
	if (v != VX_OK)
		return vx_verdict_account(v, &vx) ? XDP_DROP : XDP_PASS;
	/* Counting of passes is left to TC so that no frame is counted twice. */
	if ((vx.outer_tos & 3) == 3)
		return XDP_PASS; /* ECN CE handling needs the skb path */

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

	st = stats_get(vx.vni);
	if (cfg->flags & VNI_F_LEARNING)
		fdb_learn(vx.vni, inner->h_source, vx.saddr, 0, st);
	if (bpf_xdp_adjust_head(ctx, vx.outer_len)) {
		STAT_INC(st, drop_adjust);
		return XDP_DROP;
	}
	STAT_INC(st, rx_packets);
	STAT_ADD(st, rx_bytes, vx.inner_len);
	return bpf_redirect(target, 0);
}

/* ---------------------------------------------------------------- TC */

/*
 * Strip the outer headers: copy the inner Ethernet header over the outer one,
 * then remove the `outer_len` bytes that follow it.
 */
static __always_inline int vx_strip(struct __sk_buff *skb, const struct vx_info *vx, struct ethhdr *inner)
{
	if (bpf_skb_store_bytes(skb, 0, inner, ETH_HLEN, 0))
		return -1;
	return bpf_skb_adjust_room(skb, -(__s32)vx->outer_len, BPF_ADJ_ROOM_MAC, 0);
}

/* RFC 6040: outer CE on inner Not-ECT is dropped; on inner ECT the inner header becomes CE. */
static __always_inline int vx_ecn(struct __sk_buff *skb, const struct vx_info *vx, const struct ethhdr *inner)
{
	__u32 off = vx->outer_len; /* inner L3 after strip is at ETH_HLEN; before it at outer_len + ETH_HLEN */
	struct iphdr iph;
	__u16 old, new;

	if ((vx->outer_tos & 3) != 3)
		return 0;
	if (inner->h_proto != bpf_htons(ETH_P_IP))
		return 0; /* only IPv4 inner ECN is rewritten; others pass unchanged */
	if (bpf_skb_load_bytes(skb, off + ETH_HLEN, &iph, sizeof(iph)))
		return 0;
	if ((iph.tos & 3) == 0)
		return 1;
	if ((iph.tos & 3) == 3)
		return 0;
	old = *(__u16 *)&iph;
	iph.tos |= 3;
	new = *(__u16 *)&iph;
	bpf_l3_csum_replace(skb, off + ETH_HLEN + 10, old, new, 2);
	bpf_skb_store_bytes(skb, off + ETH_HLEN + 1, &iph.tos, 1, 0);
	return 0;
}

SEC("tc")
int tc_underlay_ingress(struct __sk_buff *skb)
{
	struct vni_cfg *cfg = 0;
	struct vx_info vx = {};
	struct ethhdr inner;
	struct fdb_entry *e;
	struct vni_stats *st;
	enum vx_verdict v;
	__u32 target = 0, n, last = 0, vni;
	void *data, *data_end;

	bpf_skb_pull_data(skb, skb->len < PULL_LEN ? skb->len : PULL_LEN);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	v = vx_parse(data, data_end, skb->len, &vx, &cfg);
	if (v != VX_OK)
		return vx_verdict_account(v, &vx) ? TC_ACT_SHOT : TC_ACT_OK;

	vni = vx.vni;
	st = stats_get(vni);
	if (bpf_skb_load_bytes(skb, vx.outer_len, &inner, sizeof(inner)))
		return TC_ACT_SHOT;
	if (vx_ecn(skb, &vx, &inner)) {
		STAT_INC(st, drop_ecn);
		return TC_ACT_SHOT;
	}
	if (cfg->flags & VNI_F_LEARNING)
		fdb_learn(vni, inner.h_source, vx.saddr, 0, st);

	if (!mac_is_multicast(inner.h_dest)) {
		e = fdb_lookup(vni, inner.h_dest);
		/* An entry that points at a VTEP is stale here (the MAC came to us): flood locally. */
		if (e && e->ifindex && !fdb_is_stale(e, cfg, bpf_ktime_get_ns()))
			target = e->ifindex;
	}
	n = cfg->n_ports;
	if (target) {
		/* the port must still be this VNI's before the frame counts as received */
		struct port_cfg *port = bpf_map_lookup_elem(&xvtep_ports, &target);

		if (!port || port->vni != vni) {
			STAT_INC(st, drop_no_dest);
			return TC_ACT_SHOT;
		}
	} else if (!n) {
		STAT_INC(st, drop_no_dest);
		return TC_ACT_SHOT;
	}
	if (vx_strip(skb, &vx, &inner)) {
		STAT_INC(st, drop_adjust);
		return TC_ACT_SHOT;
	}
	STAT_INC(st, rx_packets);
	STAT_ADD(st, rx_bytes, vx.inner_len);
	if (target)
		return port_deliver(skb, target, vni, inner.h_proto == skb->protocol, st);

	/* BUM or unknown unicast: one copy to every local port of the VNI. */
	STAT_INC(st, flooded_packets);
	for (__u32 i = 0; i < XVTEP_MAX_PORTS_PER_VNI; i++) {
		struct vni_idx_key k = { .vni = vni, .idx = i };
		__u32 *ifx;

		if (i >= n)
			break;
		ifx = bpf_map_lookup_elem(&xvtep_vni_ports, &k);
		if (!ifx)
			continue;
		if (last && bpf_clone_redirect(skb, last, 0))
			STAT_INC(st, drop_redirect);
		last = *ifx;
	}
	if (!last) {
		STAT_INC(st, drop_no_dest);
		return TC_ACT_SHOT;
	}
	return bpf_redirect(last, 0);
}
