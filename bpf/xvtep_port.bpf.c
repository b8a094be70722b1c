// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xvtep on a local port (the host side of a container's veth), TC ingress:
 * frames the container sends. Learns the source MAC behind the port, switches
 * to other local ports, encapsulates to remote VTEPs, floods BUM traffic.
 */
#include <linux/pkt_cls.h>
#include "vxlan.h"
#include "proxy.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PULL_LEN 64

struct encap_ctx {
	struct vxlan_outer o;
	__u32 inner_len;
	__be32 src;
};

/*
 * The outer headers being sent, per CPU: lets vx_send be a global function that the
 * verifier checks once, instead of once per flood-loop iteration.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct encap_ctx);
} xvtep_encap_scratch SEC(".maps");

static __always_inline struct encap_ctx *encap_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&xvtep_encap_scratch, &zero);
}

/* RFC 6040 / kernel ip_tunnel_ecn_encap: outer ECN copies inner, inner CE becomes ECT(0). */
static __always_inline __u8 ecn_encap(__u8 outer_tos, __u8 inner_tos)
{
	__u8 ecn = inner_tos & 3;

	if (ecn == 3)
		ecn = 2;
	return (outer_tos & ~3) | ecn;
}

/*
 * Grow the frame by 50 bytes in front of the inner Ethernet header and fill the
 * outer headers except the destination (set per copy by vx_send). IP frames use
 * adjust_room with the encap flags so GSO keeps working; the helper refuses
 * other protocols (ARP), which are not GSO anyway and take change_head.
 */
static __always_inline int vx_encap(struct __sk_buff *skb, const struct vni_cfg *cfg,
				    struct xvtep_config *gc)
{
	struct encap_ctx *c = encap_scratch();
	__u64 flags = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_UDP |
		      BPF_F_ADJ_ROOM_ENCAP_L2_ETH | BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN);
	__u32 hash = bpf_get_hash_recalc(skb);
	struct ethhdr eth;
	struct iphdr in_ip = {};
	__u8 tos = cfg->tos;
	__u16 frag = 0;

	if (!c || bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return -1;
	if (eth.h_proto == bpf_htons(ETH_P_IP))
		bpf_skb_load_bytes(skb, ETH_HLEN, &in_ip, sizeof(in_ip));
	if (cfg->flags & VNI_F_TOS_INHERIT)
		tos = in_ip.tos;
	tos = ecn_encap(tos, in_ip.tos);
	if (cfg->flags & VNI_F_DF_SET)
		frag = bpf_htons(IP_DF);
	else if (cfg->flags & VNI_F_DF_INHERIT)
		frag = in_ip.frag_off & bpf_htons(IP_DF);

	c->inner_len = skb->len;
	c->src = vni_local_ip(cfg, gc);
	if (skb->protocol == bpf_htons(ETH_P_IP) || skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_adjust_room(skb, VXLAN_ENCAP_LEN, BPF_ADJ_ROOM_MAC, flags))
			return -1;
		/* room sits after the old Ethernet header: move that header to the inner slot */
		if (bpf_skb_store_bytes(skb, VXLAN_OUTER_LEN, &eth, ETH_HLEN, 0))
			return -1;
	} else if (bpf_skb_change_head(skb, VXLAN_ENCAP_LEN, 0)) {
		return -1;
	}

	__builtin_memset(&c->o, 0, sizeof(c->o));
	c->o.eth.h_proto = bpf_htons(ETH_P_IP);
	c->o.ip.version = 4;
	c->o.ip.ihl = 5;
	c->o.ip.tos = tos;
	c->o.ip.tot_len = bpf_htons(c->inner_len + sizeof(struct iphdr) + sizeof(struct udphdr) + VXLAN_HLEN);
	c->o.ip.id = bpf_htons((__u16)bpf_get_prandom_u32());
	c->o.ip.frag_off = frag;
	c->o.ip.ttl = (cfg->flags & VNI_F_TTL_INHERIT) && in_ip.ttl ? in_ip.ttl : (cfg->ttl ? cfg->ttl : DEFAULT_TTL);
	c->o.ip.protocol = IPPROTO_UDP;
	c->o.ip.saddr = c->src;
	c->o.udp.source = vx_srcport(cfg, hash);
	c->o.udp.dest = bpf_htons(cfg->dstport);
	c->o.udp.len = bpf_htons(c->inner_len + sizeof(struct udphdr) + VXLAN_HLEN);
	c->o.udp.check = 0; /* allowed for IPv4 (RFC 7348), as the kernel sends it */
	c->o.vx.vx_flags = bpf_htonl(VXLAN_FLAG_I);
	c->o.vx.vx_vni = bpf_htonl(cfg->vni << 8);
	return 0;
}

/*
 * Address the encapsulated frame (outer headers in the scratch map) to `dst` and
 * send it: cloned when `clone`, else redirected. Returns TC_ACT_OK for a sent
 * clone, the redirect verdict for the frame itself, TC_ACT_SHOT when dropped.
 */
__attribute__((noinline)) int vx_send(struct __sk_buff *skb, __be32 dst, __u32 clone, __u32 vni)
{
	struct encap_ctx *c = encap_scratch();
	struct xvtep_config *gc = config_get();
	struct vni_stats *st = stats_get(vni);
	struct bpf_redir_neigh nh = { .nh_family = 2 /* AF_INET */ };
	struct iphdr ip;
	__u32 ifindex = 0;
	__be32 nh_ip = 0;
	enum nh_result r;

	if (!c || !gc || !skb)
		return TC_ACT_SHOT;
	c->o.ip.daddr = dst;
	ip = c->o.ip;
	c->o.ip.check = ipv4_csum(&ip);
	r = vx_nexthop(skb, gc, c->src, dst, &c->o, &ifindex, &nh_ip);
	if (r == NH_FAIL) {
		STAT_INC(st, drop_fib);
		return TC_ACT_SHOT;
	}
	if (r == NH_NO_NEIGH) {
		/* Only a redirect may wait for neighbour resolution, and only for IP (helper limit). */
		miss_emit(XVTEP_EV_NEIGH_MISS, vni, 0, nh_ip);
		if (clone || skb->protocol != bpf_htons(ETH_P_IP)) {
			STAT_INC(st, drop_fib);
			return TC_ACT_SHOT;
		}
	}
	if (bpf_skb_store_bytes(skb, 0, &c->o.eth, VXLAN_OUTER_LEN, 0)) {
		STAT_INC(st, drop_adjust);
		return TC_ACT_SHOT;
	}
	STAT_INC(st, tx_packets);
	STAT_ADD(st, tx_bytes, c->inner_len);
	if (r == NH_NO_NEIGH) {
		nh.ipv4_nh = nh_ip;
		return bpf_redirect_neigh(ifindex, &nh, sizeof(nh), 0);
	}
	if (clone) {
		if (bpf_clone_redirect(skb, ifindex, 0)) {
			STAT_INC(st, drop_redirect);
			return TC_ACT_SHOT;
		}
		return TC_ACT_OK;
	}
	return bpf_redirect(ifindex, 0);
}

static __always_inline int mtu_ok(struct __sk_buff *skb, struct xvtep_config *gc)
{
	__u32 mtu = 0;

	/* The kernel judges GSO frames by their segments. */
	return bpf_check_mtu(skb, gc->underlay_ifindex, &mtu, VXLAN_ENCAP_LEN, 0) != BPF_MTU_CHK_RET_FRAG_NEEDED;
}

/*
 * BUM and unknown unicast: a copy to every other local port, then one to every
 * remote of the flood list (the last remote gets the frame itself). The loops carry
 * no state from one iteration to the next so the verifier can prune them.
 */
static __always_inline int flood(struct __sk_buff *skb, struct vni_cfg *cfg, struct xvtep_config *gc,
				 __u32 in_ifindex, struct vni_stats *st, int remote)
{
	__u32 vni = cfg->vni, n_ports = cfg->n_ports, n_flood = remote ? cfg->n_flood : 0;
	struct vni_idx_key k = { .vni = vni };
	struct flood_dst *fd;

	if (n_flood > XVTEP_MAX_FLOOD)
		n_flood = XVTEP_MAX_FLOOD;
	if (n_ports <= 1 && !n_flood) {
		STAT_INC(st, drop_no_dest); /* nobody else in this segment */
		return TC_ACT_SHOT;
	}
	STAT_INC(st, flooded_packets);
	for (__u32 i = 0; i < XVTEP_MAX_PORTS_PER_VNI; i++) {
		struct vni_idx_key pk = { .vni = vni, .idx = i };
		__u32 *ifx;

		if (i >= n_ports)
			break;
		ifx = bpf_map_lookup_elem(&xvtep_vni_ports, &pk);
		if (!ifx || *ifx == in_ifindex)
			continue;
		if (bpf_clone_redirect(skb, *ifx, 0))
			STAT_INC(st, drop_redirect);
	}
	if (!n_flood)
		return TC_ACT_SHOT; /* the local copies were the whole job */
	if (!mtu_ok(skb, gc)) {
		STAT_INC(st, drop_mtu);
		return TC_ACT_SHOT;
	}
	if (vx_encap(skb, cfg, gc)) {
		STAT_INC(st, drop_adjust);
		return TC_ACT_SHOT;
	}
	for (__u32 i = 0; i < XVTEP_MAX_FLOOD - 1; i++) {
		struct vni_idx_key fk = { .vni = vni, .idx = i };

		if (i + 1 >= n_flood)
			break;
		fd = bpf_map_lookup_elem(&xvtep_flood, &fk);
		if (fd && fd->dst)
			vx_send(skb, fd->dst, 1, vni);
	}
	k.idx = n_flood - 1;
	fd = bpf_map_lookup_elem(&xvtep_flood, &k);
	if (!fd || !fd->dst)
		return TC_ACT_SHOT;
	return vx_send(skb, fd->dst, 0, vni);
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

	port = bpf_map_lookup_elem(&xvtep_ports, &ifindex);
	if (!port)
		return TC_ACT_OK; /* not (or no longer) an xvtep port */
	vni = port->vni;
	st = stats_get(vni);
	cfg = bpf_map_lookup_elem(&xvtep_vnis, &vni);
	gc = config_get();
	if (!cfg || !gc) {
		STAT_INC(st, drop_no_dest);
		return TC_ACT_SHOT;
	}
	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth))) {
		STAT_INC(st, drop_truncated);
		return TC_ACT_SHOT;
	}

	/* A port learns the MACs behind it, as a bridge port does. */
	fdb_learn(vni, eth.h_source, 0, ifindex, st);

	if (cfg->flags & VNI_F_PROXY) {
		int r = PROXY_NOT_MINE;

		if (eth.h_proto == bpf_htons(ETH_P_ARP))
			r = arp_proxy(skb, cfg, ifindex, st);
		else if (eth.h_proto == ETH_P_IPV6_BE && eth.h_dest[0] == 0x33)
			r = nd_proxy(skb, cfg, ifindex, st);
		if (r == PROXY_MISS)
			return flood(skb, cfg, gc, ifindex, st, 0); /* like the kernel: never on the wire */
		if (r != PROXY_NOT_MINE)
			return r;
	}

	if (!mac_is_multicast(eth.h_dest)) {
		e = fdb_lookup(vni, eth.h_dest);
		if (e && !fdb_is_stale(e, cfg, bpf_ktime_get_ns())) {
			if (e->ifindex) {
				if (e->ifindex == ifindex) {
					STAT_INC(st, drop_hairpin);
					return TC_ACT_SHOT;
				}
				STAT_INC(st, switched_packets);
				STAT_ADD(st, switched_bytes, skb->len);
				return port_deliver(skb, e->ifindex, vni, 1, st);
			}
			if (e->remote) {
				if (!mtu_ok(skb, gc)) {
					STAT_INC(st, drop_mtu);
					return TC_ACT_SHOT;
				}
				if (vx_encap(skb, cfg, gc)) {
					STAT_INC(st, drop_adjust);
					return TC_ACT_SHOT;
				}
				return vx_send(skb, e->remote, 0, vni);
			}
		}
		if (!cfg->n_flood && (cfg->flags & VNI_F_L2MISS)) {
			/* the kernel's l2miss: no entry and no default destination */
			STAT_INC(st, l2miss);
			miss_emit(XVTEP_EV_L2MISS, vni, eth.h_dest, 0);
		}
	}
	return flood(skb, cfg, gc, ifindex, st, 1);
}
