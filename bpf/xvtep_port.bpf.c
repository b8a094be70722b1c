// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xvtep on a local port (the host side of a container's veth), TC ingress:
 * frames the container sends. Learns the source MAC behind the port, switches
 * to other local ports, encapsulates to remote VTEPs, floods BUM traffic.
 */
#include "vxlan_encap.h"
#include "fdb.h"
#include "flood.h"
#include "deliver.h"
#include "proxy.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * BUM and unknown unicast: a copy to every other local port, then (with `remote`) one to
 * every remote of the flood list. With no remote to send to, the local copies were the
 * whole delivery.
 */
static __always_inline int flood(struct __sk_buff *skb, struct vni_cfg *cfg, struct xvtep_config *gc,
				 __u32 in_ifindex, struct vni_stats *st, int remote, const struct ethhdr *eth)
{
	__u32 n_ports = cfg->n_ports, n_flood = remote ? cfg->n_flood : 0;

	if (n_flood > XVTEP_MAX_FLOOD)
		n_flood = XVTEP_MAX_FLOOD;
	if (n_ports <= 1 && !n_flood)
		return drop(st, DROP_NO_DEST); /* nobody else in this segment */
	STAT_INC(st, flooded_packets);
	flood_ports(skb, cfg->vni, n_ports, in_ifindex, st);
	if (!n_flood)
		return consumed();
	return vx_flood(skb, cfg, gc, n_flood, st, eth);
}

SEC("tc")
int tc_port_ingress(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	struct xvtep_config *gc;
	struct port_cfg *port;
	struct vni_cfg *cfg;
	struct vni_stats *st;
	struct fdb_entry *e;
	struct ethhdr eth;
	__u32 vni;
	__u64 now;

	PROF_STOP(1, TC_ACT_OK);
	port = bpf_map_lookup_elem(&xvtep_ports, &ifindex);
	if (!port)
		return TC_ACT_OK; /* not (or no longer) an xvtep port */
	vni = port->vni;
	cfg = bpf_map_lookup_elem(&xvtep_vnis, &vni);
	if (!cfg)
		return drop(stats_slot(STATS_NO_VNI), DROP_NO_DEST); /* a port of a VNI being deleted */
	st = stats_of(cfg); /* the VNI's counter slot: an array entry */
	gc = config_get();
	if (!gc)
		return drop(st, DROP_INTERNAL);
	if ((void *)(long)skb->data + ETH_HLEN <= (void *)(long)skb->data_end) /* linear: no helper call */
		__builtin_memcpy(&eth, (void *)(long)skb->data, ETH_HLEN);
	else if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return drop(st, DROP_TRUNCATED);
	now = fdb_clock(); /* read once: learning, ageing and the outer-header cache share it */

	/* As a bridge port: invalid sources are refused, the MACs behind the port learned,
	 * and IEEE link-local groups (PAUSE, STP, LACP, 802.1X, LLDP) never forwarded. */
	PROF_STOP(2, TC_ACT_OK);
	if (!PROF_SKIPS(PROF_SKIP_VALIDATE) && (mac_is_multicast(eth.h_source) || mac_is_zero(eth.h_source)))
		return drop(st, DROP_SRC_MAC);
	if (!PROF_SKIPS(PROF_SKIP_LEARN))
		fdb_learn_at(vni, eth.h_source, 0, ifindex, st, now);
	if (!PROF_SKIPS(PROF_SKIP_VALIDATE) && mac_is_link_local(eth.h_dest))
		return drop(st, DROP_LINK_LOCAL);
	PROF_STOP(3, TC_ACT_OK);

	if (cfg->flags & VNI_F_PROXY) {
		int r = PROXY_NOT_MINE;

		if (eth.h_proto == bpf_htons(ETH_P_ARP))
			r = arp_proxy(skb, cfg, ifindex, st);
		else if (eth.h_proto == bpf_htons(ETH_P_IPV6) && eth.h_dest[0] == IPV6_MCAST_MAC0)
			r = nd_proxy(skb, cfg, ifindex, st);
		if (r == PROXY_MISS)
			return flood(skb, cfg, gc, ifindex, st, 0, &eth); /* like the kernel: never on the wire */
		if (r != PROXY_NOT_MINE)
			return r;
	}

	if (!mac_is_multicast(eth.h_dest)) {
		e = fdb_lookup(vni, eth.h_dest);
		PROF_STOP(4, TC_ACT_OK);
		if (e && !fdb_is_stale(e, cfg, now)) {
			if (e->ifindex) {
				if (e->ifindex == ifindex)
					return drop(st, DROP_HAIRPIN);
				STAT_INC(st, switched_packets);
				STAT_ADD(st, switched_bytes, skb->len);
				return port_deliver(skb, e->ifindex, vni, 1, st);
			}
			if (!addr_is_zero(&e->remote))
				return vx_unicast(skb, cfg, gc, &e->remote, st, now, &eth);
		}
		if (!cfg->n_flood && (cfg->flags & VNI_F_L2MISS)) {
			/* the kernel's l2miss: no entry and no default destination */
			STAT_INC(st, l2miss);
			miss_emit(XVTEP_EV_L2MISS, vni, eth.h_dest, 0);
		}
	}
	return flood(skb, cfg, gc, ifindex, st, 1, &eth);
}
