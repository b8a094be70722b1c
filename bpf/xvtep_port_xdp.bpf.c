// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xvtep on a local port, XDP (native, on the host side of a container's veth; issue 15 item 4):
 * the fast path of tc_port_ingress for the frames that are only "encapsulate and send": unicast
 * to a MAC the FDB places behind a remote VTEP of an IPv4 VNI (or an IPv6 one sending zero UDP
 * checksums), whose next hop the outer-header cache or the FIB knows. Such a frame is learned,
 * checked, encapsulated in place (bpf_xdp_adjust_head: the inner frame does not move) and
 * redirected into the underlay device, never becoming an skb on the host side.
 *
 * Everything else is XDP_PASS to tc_port_ingress on the same device, which handles it as if this
 * program were not there (and counts it): BUM and unknown unicast (flooding needs clones), the
 * ARP/ND proxy, frames to local ports (bpf_redirect_peer), VLAN-tagged frames, frames over the
 * VNI's tunnel MTU (the ICMP answer), an unresolved next hop (bpf_redirect_neigh), IPv6 VNIs that
 * checksum (the whole payload is summed). Refusals this program can judge alone are dropped here
 * under tc_port_ingress's reasons (DROP_SRC_MAC, DROP_LINK_LOCAL, DROP_HAIRPIN, DROP_MTU, DROP_FIB,
 * DROP_FAMILY, DROP_ADJUST, DROP_INTERNAL).
 *
 * Checksums: a frame the container sent with CHECKSUM_PARTIAL arrives here with its L4 checksum
 * incomplete, and XDP can neither see that nor pass it along a redirect. The agent therefore turns
 * the container side's tx checksum offload off before attaching this program (docs/benchmarks.md,
 * "xvtep-xdpport"), so every frame arrives with its checksum complete.
 */
#include "vxlan_encap.h"
#include "fdb.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The outer headers being built (on the stack: one frame, one copy). */
struct xdp_encap {
	union {
		struct vxlan_outer o;
		struct vxlan_outer6 o6;
	};
	struct encap_cache_key key;
	union vtep_addr nh_ip;
	struct bpf_fib_lookup fib;
};

/*
 * Fill the outer headers of an IPv4 or (zero-checksum) IPv6 VNI's frame to `key.dst`, as vx_encap
 * and vx_send fill them for the TC program: tos/ttl/DF/flow label by the VNI's rules, ECN by
 * RFC 6040, the source port from the flow hash. `inner_len` is the whole inner frame.
 */
static __always_inline void outer_fill(struct xdp_encap *x, const struct vni_cfg *cfg, const struct inner_info *in,
				       __u32 inner_len)
{
	int hop_default = !((cfg->flags & VNI_F_TTL_INHERIT) && in->ttl) && !cfg->ttl;
	__u8 tos = (cfg->flags & VNI_F_TOS_INHERIT) ? in->tos : cfg->tos;
	__u8 ttl = !hop_default ? ((cfg->flags & VNI_F_TTL_INHERIT) && in->ttl ? in->ttl : cfg->ttl) : DEFAULT_TTL;
	__u16 udp_len = inner_len + sizeof(struct udphdr) + VXLAN_HLEN;

	tos = ecn_encap(tos, in->tos);
	if (cfg->flags & VNI_F_IPV6) {
		struct vxlan_outer6 *o = &x->o6;

		if (hop_default)
			ttl = x->key.dst.a8[0] == 0xff ? 1 : DEFAULT_TTL;
		o->eth.h_proto = bpf_htons(ETH_P_IPV6);
		*(__be32 *)&o->ip6 = ip6_flow_word(tos, (cfg->flags & VNI_F_LABEL_INHERIT) ? in->label : cfg->label);
		o->ip6.payload_len = bpf_htons(udp_len);
		o->ip6.nexthdr = IPPROTO_UDP;
		o->ip6.hop_limit = ttl;
		__builtin_memcpy(&o->ip6.saddr, x->key.src.a8, sizeof(x->key.src));
		__builtin_memcpy(&o->ip6.daddr, x->key.dst.a8, sizeof(x->key.dst));
		o->udp.source = vx_srcport(cfg, in->hash);
		o->udp.dest = bpf_htons(cfg->dstport);
		o->udp.len = o->ip6.payload_len;
		o->udp.check = 0; /* udp6zerocsumtx (a checksumming VNI is left to TC) */
		o->vx.vx_flags = bpf_htonl(VXLAN_FLAG_I);
		o->vx.vx_vni = bpf_htonl(cfg->vni << VXLAN_VNI_SHIFT);
		return;
	}
	if (hop_default) /* TTL 1 to a 224/4 group (the kernel's vxlan_xmit_one), else 64 */
		ttl = ipv4_is_multicast(addr_v4(&x->key.dst)) ? 1 : DEFAULT_TTL;
	x->o.eth.h_proto = bpf_htons(ETH_P_IP);
	x->o.ip.version = IPVERSION;
	x->o.ip.ihl = sizeof(struct iphdr) / 4;
	x->o.ip.tos = tos;
	x->o.ip.tot_len = bpf_htons(udp_len + sizeof(struct iphdr));
	x->o.ip.id = bpf_htons((__u16)bpf_get_prandom_u32());
	if (cfg->flags & VNI_F_DF_SET)
		x->o.ip.frag_off = bpf_htons(IP_DF);
	else if (cfg->flags & VNI_F_DF_INHERIT)
		x->o.ip.frag_off = in->frag_off & bpf_htons(IP_DF);
	x->o.ip.ttl = ttl;
	x->o.ip.protocol = IPPROTO_UDP;
	x->o.ip.saddr = addr_v4(&x->key.src);
	x->o.ip.daddr = addr_v4(&x->key.dst);
	x->o.ip.check = ipv4_csum(&x->o.ip);
	x->o.udp.source = vx_srcport(cfg, in->hash);
	x->o.udp.dest = bpf_htons(cfg->dstport);
	x->o.udp.len = bpf_htons(udp_len);
	x->o.vx.vx_flags = bpf_htonl(VXLAN_FLAG_I);
	x->o.vx.vx_vni = bpf_htonl(cfg->vni << VXLAN_VNI_SHIFT);
}

SEC("xdp")
int xdp_port(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 ifindex = ctx->ingress_ifindex, len = data_end - data, out_ifindex = 0, elen;
	struct xdp_encap x = {};
	struct inner_info in = {};
	struct xvtep_config *gc;
	struct port_cfg *port;
	struct vni_cfg *cfg;
	struct vni_stats *st;
	struct fdb_entry *e;
	enum nh_result r;
	__u32 vni, mtu = 0;
	__u64 now;
	int ipv6;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS; /* TC counts it (DROP_TRUNCATED) */
	port = bpf_map_lookup_elem(&xvtep_ports, &ifindex);
	if (!port)
		return XDP_PASS; /* not (or no longer) an xvtep port */
	vni = port->vni;
	cfg = bpf_map_lookup_elem(&xvtep_vnis, &vni);
	if (!cfg)
		return XDP_PASS; /* a port of a VNI being deleted: TC counts it */
	st = stats_of(cfg); /* the VNI's counter slot: an array entry */
	gc = config_get();
	if (!gc)
		return xdp_drop(st, DROP_INTERNAL);

	/* As a bridge port, in tc_port_ingress's order. */
	if (mac_is_multicast(eth->h_source) || mac_is_zero(eth->h_source))
		return xdp_drop(st, DROP_SRC_MAC);
	now = fdb_clock(); /* read once: learning, ageing and the outer-header cache share it */
	fdb_learn_at(vni, eth->h_source, 0, ifindex, st, now);
	if (mac_is_link_local(eth->h_dest))
		return xdp_drop(st, DROP_LINK_LOCAL);
	if (mac_is_multicast(eth->h_dest))
		return XDP_PASS; /* BUM: flooded by TC */
	if (eth->h_proto == bpf_htons(ETH_P_8021Q) || eth->h_proto == bpf_htons(ETH_P_8021AD))
		return XDP_PASS; /* tagged: TC keeps the tags inside */
	if ((cfg->flags & VNI_F_PROXY) && eth->h_proto == bpf_htons(ETH_P_ARP))
		return XDP_PASS; /* the ARP proxy's */
	ipv6 = !!(cfg->flags & VNI_F_IPV6);
	if (ipv6 && !(cfg->flags & VNI_F_UDP_ZERO_CSUM6_TX))
		return XDP_PASS; /* the outer UDP checksum sums the whole frame: TC's */

	e = fdb_lookup(vni, eth->h_dest);
	if (!e || fdb_is_stale(e, cfg, now))
		return XDP_PASS; /* unknown unicast: TC floods it (and raises l2miss) */
	if (e->ifindex) {
		if (e->ifindex == ifindex)
			return xdp_drop(st, DROP_HAIRPIN);
		return XDP_PASS; /* local delivery: TC's bpf_redirect_peer */
	}
	if (addr_is_zero(&e->remote))
		return XDP_PASS;
	if (addr_is_v4(&e->remote) == ipv6)
		return xdp_drop(st, DROP_FAMILY);
	if (cfg->mtu && len > ETH_HLEN + cfg->mtu)
		return XDP_PASS; /* over the tunnel MTU: TC answers with ICMP */
	elen = vx_encap_len(cfg);
	if (bpf_check_mtu(ctx, gc->underlay_ifindex, &mtu, elen, 0) == BPF_MTU_CHK_RET_FRAG_NEEDED)
		return xdp_drop(st, DROP_MTU);

	x.key.src = *vni_local_ip(cfg, gc);
	x.key.dst = e->remote;
	r = vx_nexthop_cached(ctx, gc, &x.key, ipv6 ? &x.o6.eth : &x.o.eth, &out_ifindex, &x.nh_ip, &x.fib, now);
	if (r == NH_FAIL)
		return xdp_drop(st, DROP_FIB);
	if (r == NH_NO_NEIGH) {
		neigh_miss_emit(vni, &x.nh_ip);
		return XDP_PASS; /* TC's bpf_redirect_neigh resolves it */
	}
	inner_read(eth, data_end, &in);
	outer_fill(&x, cfg, &in, len);

	/* From here the frame is changed: no XDP_PASS any more. */
	if (bpf_xdp_adjust_head(ctx, -(int)elen))
		return xdp_drop(st, DROP_ADJUST);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (ipv6) {
		if (data + VXLAN_OUTER6_LEN > data_end)
			return xdp_drop(st, DROP_ADJUST);
		__builtin_memcpy(data, &x.o6.eth, VXLAN_OUTER6_LEN);
	} else {
		if (data + VXLAN_OUTER_LEN > data_end)
			return xdp_drop(st, DROP_ADJUST);
		__builtin_memcpy(data, &x.o.eth, VXLAN_OUTER_LEN);
	}
	STAT_INC(st, tx_packets);
	STAT_ADD(st, tx_bytes, len);
	return bpf_redirect(out_ifindex, 0);
}
