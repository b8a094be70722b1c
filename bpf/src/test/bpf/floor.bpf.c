// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The floor of the datapath benchmark (issue 15): what any VTEP must do per frame on this kernel, and
 * nothing else. No validation beyond the bounds the verifier demands, no counters, no learning, no
 * ageing, no port check, no ECN, no MTU: the lookups and helpers a VTEP cannot do without. Its ns/frame
 * under BPF_PROG_TEST_RUN say how far below the real programs a design could go on this machine, so a
 * target below the floor is known to be out of reach before anything is built for it.
 *
 *   xdp_floor_lookup  one hash lookup (the frame's VNI) and XDP_PASS: the price of one map
 *   xdp_floor_decap   VNI lookup, FDB lookup of the inner destination, strip, redirect
 *   tc_floor_decap    the same on an skb: inner Ethernet header stored over the outer one, adjust_room
 *   tc_floor_encap    the issue's own ideal path: port -> VNI, FDB lookup -> VTEP, template lookup,
 *                     adjust_room, one store of the finished outer headers, lengths, redirect
 *
 * The maps mirror the real ones' key and value sizes (xvtep_structs.h) so a lookup hashes and compares
 * what the real one does.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xvtep_structs.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define FLOOR_OUTER_LEN (sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr) + 8)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct vni_cfg);
} floor_vni SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct fdb_key);
	__type(value, struct fdb_entry);
} floor_fdb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct port_cfg);
} floor_ports SEC(".maps");

/* A finished outer header per remote VTEP (IPv4 only here): what an outer-header cache would hold. */
struct floor_tmpl {
	__u8 hdr[FLOOR_OUTER_LEN];
	__u16 pad;
	__u32 ifindex;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, union vtep_addr);
	__type(value, struct floor_tmpl);
} floor_tmpl SEC(".maps");

struct floor_outer {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	__be32 flags;
	__be32 vni;
} __attribute__((packed));

SEC("xdp")
int xdp_floor_lookup(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct floor_outer *o = data;
	__u32 vni;

	if ((void *)(o + 1) > data_end)
		return XDP_PASS;
	vni = bpf_ntohl(o->vni) >> 8;
	return bpf_map_lookup_elem(&floor_vni, &vni) ? XDP_PASS : XDP_DROP;
}

/* The inner destination's FDB entry of a VXLAN frame, or NULL. */
static __always_inline struct fdb_entry *floor_dest(void *data, void *data_end)
{
	struct floor_outer *o = data;
	struct fdb_key k = {};
	struct ethhdr *inner;

	if ((void *)(o + 1) > data_end || o->udp.dest != bpf_htons(4789))
		return 0;
	k.vni = bpf_ntohl(o->vni) >> 8;
	if (!bpf_map_lookup_elem(&floor_vni, &k.vni))
		return 0;
	inner = (void *)(o + 1);
	if ((void *)(inner + 1) > data_end)
		return 0;
	__builtin_memcpy(k.mac, inner->h_dest, ETH_ALEN);
	return bpf_map_lookup_elem(&floor_fdb, &k);
}

SEC("xdp")
int xdp_floor_decap(struct xdp_md *ctx)
{
	struct fdb_entry *e = floor_dest((void *)(long)ctx->data, (void *)(long)ctx->data_end);
	__u32 target;

	if (!e)
		return XDP_PASS;
	target = e->ifindex;
	if (bpf_xdp_adjust_head(ctx, FLOOR_OUTER_LEN))
		return XDP_DROP;
	return bpf_redirect(target, 0);
}

SEC("tc")
int tc_floor_decap(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct fdb_entry *e = floor_dest(data, data_end);
	struct ethhdr inner;
	__u32 target;

	if (!e)
		return 0; /* TC_ACT_OK */
	target = e->ifindex;
	if (data + FLOOR_OUTER_LEN + sizeof(inner) > data_end)
		return 0;
	__builtin_memcpy(&inner, data + FLOOR_OUTER_LEN, sizeof(inner));
	if (bpf_skb_store_bytes(skb, 0, &inner, sizeof(inner), 0) ||
	    bpf_skb_adjust_room(skb, -(__s32)FLOOR_OUTER_LEN, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_FIXED_GSO))
		return 2; /* TC_ACT_SHOT */
	return bpf_redirect(target, 0);
}

SEC("tc")
int tc_floor_encap(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct {
		struct floor_outer o;
		struct ethhdr inner;
	} __attribute__((packed)) h;
	struct floor_outer *o = &h.o;
	struct floor_tmpl *t;
	struct port_cfg *port;
	struct fdb_entry *e;
	struct fdb_key k = {};
	__u32 ifindex = skb->ifindex, len = skb->len;
	__u16 tot;
	__u32 csum;

	if ((void *)(eth + 1) > data_end)
		return 0;
	port = bpf_map_lookup_elem(&floor_ports, &ifindex);
	if (!port)
		return 0;
	k.vni = port->vni;
	__builtin_memcpy(k.mac, eth->h_dest, ETH_ALEN);
	e = bpf_map_lookup_elem(&floor_fdb, &k);
	if (!e)
		return 0;
	t = bpf_map_lookup_elem(&floor_tmpl, &e->remote);
	if (!t)
		return 0;
	__builtin_memcpy(o, t->hdr, sizeof(*o));
	__builtin_memcpy(&h.inner, eth, sizeof(h.inner));
	/* The per-frame fields: lengths, VNI, the IPv4 header checksum (the template's, patched). */
	tot = sizeof(struct iphdr) + sizeof(struct udphdr) + 8 + len;
	csum = (__u16)~o->ip.check + (__u16)~o->ip.tot_len + (__u32)bpf_htons(tot); /* RFC 1624 */
	o->ip.tot_len = bpf_htons(tot);
	o->udp.len = bpf_htons(tot - sizeof(struct iphdr));
	o->vni = bpf_htonl(k.vni << 8);
	csum = (csum & 0xffff) + (csum >> 16);
	o->ip.check = ~(__u16)((csum & 0xffff) + (csum >> 16));
	o->udp.source = bpf_htons(49152 | (skb->hash & 0x3fff));
	if (bpf_skb_adjust_room(skb, FLOOR_OUTER_LEN, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_UDP |
				BPF_F_ADJ_ROOM_ENCAP_L2_ETH | BPF_F_ADJ_ROOM_ENCAP_L2(14)))
		return 2;
	/* adjust_room at the MAC layer opened room after the Ethernet header: one store writes the outer
	 * headers and the inner Ethernet header after them. */
	if (bpf_skb_store_bytes(skb, 0, &h, sizeof(h), 0))
		return 2;
	return bpf_redirect(t->ifindex, 0);
}
