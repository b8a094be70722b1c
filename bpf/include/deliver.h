/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Handing a frame to a local port from a TC hook. */
#ifndef XVTEP_DELIVER_H
#define XVTEP_DELIVER_H

#include <linux/if_packet.h>
#include "stats.h"

/*
 * Hand a unicast frame to local port `ifindex` (`port`: its entry, already found to belong to
 * the frame's VNI) from a TC ingress hook.
 *
 * A veth port (PORT_F_PEER) gets the frame straight into its peer, skipping a pass
 * through the backlog. bpf_redirect_peer re-injects the skb as it is, without
 * eth_type_trans: so only when skb->protocol already matches the frame
 * (`proto_ok`), and with pkt_type set to PACKET_HOST (the frame is for the
 * container's MAC; a switched frame was OTHERHOST on the host side).
 */
static __always_inline int port_redirect(struct __sk_buff *skb, const struct port_cfg *port, __u32 ifindex,
					 int proto_ok)
{
	if ((port->flags & PORT_F_PEER) && proto_ok && !bpf_skb_change_type(skb, PACKET_HOST))
		return bpf_redirect_peer(ifindex, 0);
	return bpf_redirect(ifindex, 0);
}

/*
 * Deliver a unicast frame to local port `ifindex`, which must belong to `vni`: entries are
 * per VNI, but a port can move to another VNI, and a frame must never cross VNIs.
 */
static __always_inline int port_deliver(struct __sk_buff *skb, __u32 ifindex, __u32 vni, int proto_ok,
					struct vni_stats *st)
{
	struct port_cfg *port = bpf_map_lookup_elem(&xvtep_ports, &ifindex);

	if (!port || port->vni != vni)
		return drop(st, DROP_NO_DEST);
	return port_redirect(skb, port, ifindex, proto_ok);
}

#endif /* XVTEP_DELIVER_H */
