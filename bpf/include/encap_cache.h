/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The outer-header cache (xvtep_encap_cache, issue 15 item 2): per (outer source, unicast remote VTEP)
 * the outer-header template: the outer Ethernet header as the FIB answered it, the egress device and
 * the addresses' share of the checksums. A frame to a known VTEP costs one LRU lookup and a fill of the
 * outer headers on the stack from the entry, the VNI's config and the frame (vx_outer4 / vx_outer6),
 * stored into the frame in one write: no FIB walk, no neighbour lookup, no per-CPU scratch.
 *
 * What the key is and what is patched per frame (the decision, docs/benchmarks.md "Outer-header cache"):
 * - the key stays (source, VTEP): what the FIB answers depends on nothing else, and one entry serves
 *   every VNI to that VTEP;
 * - the VNI's config (VNI, dstport, TTL, TOS, DF, flow label, source-port range, checksum mode) is read
 *   per frame from the vni_cfg the frame already holds, so a config change applies from the next frame
 *   with no cache invalidation of its own;
 * - per frame: lengths, the ECN bits (always copied from the inner header, RFC 6040), inherited TOS/TTL/
 *   DF/flow label, the source port (inner flow hash), the IPv4 id, the IPv4 header checksum (from the
 *   entry's address sum plus five header words) and the IPv6 UDP checksum (address sum + the frame's sum).
 *
 * Invalidation:
 * - the agent empties the map whenever the kernel announces an underlay neighbour whose MAC changed
 *   or went away, or any route change (io.xvtep.host.UnderlayWatch, rtnetlink through `ip monitor`):
 *   the frames after the notification was handled take the FIB's new answer;
 * - an entry is used for at most ENCAP_CACHE_MAX_AGE_NS (1 s) after its FIB lookup, then looked up
 *   again: the bound when no agent runs (a restart) or a notification was lost;
 * - a FIB that no longer answers (no route, neighbour unresolved) deletes the entry on the spot.
 * The FIB lookup runs before the entry is written, within one program run (microseconds), so an entry
 * built from an answer older than a change is always written before the agent's flush for that change.
 * Groups are never cached: their template is derived from the address each time (nexthop.h).
 *
 * The fill functions take pointers only (no __sk_buff): an XDP program can fill a packet's headers in
 * place once it has checked the bounds.
 */
#ifndef XVTEP_ENCAP_CACHE_H
#define XVTEP_ENCAP_CACHE_H

#include "nexthop.h"
#include "clock.h"

/* What one frame's copies share (vx_encap fills it once per frame; each copy sets key.dst). */
struct vx_frame {
	struct encap_cache_key key; /* outer source, and the destination of the copy being sent */
	__u64  now;        /* fdb_clock() once per frame: every copy's cache age is judged by it */
	__u32  inner_len;  /* bytes after the outer headers: inner frame with its tags */
	__u32  vni;        /* host order */
	__be32 vx_vni;     /* the VXLAN header's second word */
	__be32 flow;       /* IPv6: version, traffic class (with ECN), flow label */
	__u32  inner_sum;  /* IPv6 with checksum: VXLAN header + inner frame, a 32-bit partial sum */
	__be16 sport;      /* UDP source port (inner flow hash) */
	__be16 dport;      /* UDP destination port */
	__be16 id;         /* IPv4 id */
	__be16 frag;       /* IPv4 DF, or 0 */
	__u8   tos;        /* IPv4 TOS with ECN */
	__u8   ttl;        /* TTL / hop limit; 0 = the entry's default (1 to a group) */
	__u8   ipv6;       /* the VNI's underlay is IPv6 */
	__u8   csum;       /* IPv6: compute the UDP checksum (else 0: udp6zerocsumtx) */
};

static __always_inline int vtep_is_group(const union vtep_addr *a)
{
	return addr_is_v4(a) ? ipv4_is_multicast(addr_v4(a)) : a->a8[0] == 0xff;
}

/* The addresses' 16-bit words as they lie in the outer IP header, summed (unfolded). */
static __always_inline __u32 vx_addr_sum(const struct encap_cache_key *k, int v4)
{
	const __u16 *s = (const __u16 *)k->src.a8, *d = (const __u16 *)k->dst.a8;
	__u32 sum = 0;

	if (v4)
		return (__u32)s[6] + s[7] + d[6] + d[7];
#pragma unroll
	for (int i = 0; i < 8; i++)
		sum += (__u32)s[i] + d[i];
	return sum;
}

/*
 * Build the template for `key` into *t: the FIB's answer for a unicast VTEP, derived for a group.
 * NH_NO_NEIGH leaves the MACs zero (bpf_redirect_neigh fills them) and *nh the next hop.
 * `ctx`: the program's context, TC or XDP (see vx_nexthop).
 */
static __always_inline enum nh_result vx_template(void *ctx, struct xvtep_config *gc,
						  const struct encap_cache_key *key, struct encap_cache_entry *t,
						  union vtep_addr *nh, struct bpf_fib_lookup *fib)
{
	int v4 = addr_is_v4(&key->dst);

	__builtin_memset(t, 0, sizeof(*t));
	t->h_proto = bpf_htons(v4 ? ETH_P_IP : ETH_P_IPV6);
	t->ttl = vtep_is_group(&key->dst) ? 1 : DEFAULT_TTL; /* the kernel's vxlan_xmit_one: 1 to a group */
	t->addr_sum = vx_addr_sum(key, v4);
	return vx_nexthop(ctx, gc, &key->src, &key->dst, (struct ethhdr *)t->dmac, &t->ifindex, nh, fib);
}

/* A cached template for `key` fresh at `now` (fdb_clock(): a coarse reading may lag built_ns a little), or NULL. */
static __always_inline struct encap_cache_entry *vx_cache_hit(const struct encap_cache_key *key, __u64 now)
{
	struct encap_cache_entry *e;

	e = bpf_map_lookup_elem(&xvtep_encap_cache, key);
	/* fresh: built within the last second, or up to a second "ahead" (a tick-old reading) */
	if (e && now - e->built_ns + ENCAP_CACHE_MAX_AGE_NS < 2 * ENCAP_CACHE_MAX_AGE_NS)
		return e;
	return NULL;
}

/* After a miss: cache the FIB's answer, or forget a VTEP the FIB no longer answers for. */
static __always_inline void vx_cache_put(const struct encap_cache_key *key, struct encap_cache_entry *t,
					 enum nh_result r, __u64 now)
{
	if (r == NH_OK) {
		t->built_ns = now;
		bpf_map_update_elem(&xvtep_encap_cache, key, t, BPF_ANY);
	} else {
		bpf_map_delete_elem(&xvtep_encap_cache, key); /* the FIB no longer answers: the entry goes */
	}
}

/*
 * The template's next hop only (for a program that builds its own outer headers, e.g. the XDP port
 * program): fills eth's addresses and *ifindex from a fresh entry, else from the FIB (caching the answer).
 * `key` holds the outer source and destination; `ctx` is TC's or XDP's.
 */
static __always_inline enum nh_result vx_nexthop_cached(void *ctx, struct xvtep_config *gc,
							const struct encap_cache_key *key, struct ethhdr *eth,
							__u32 *ifindex, union vtep_addr *nh, struct bpf_fib_lookup *fib,
							__u64 now)
{
	struct encap_cache_entry *e = NULL, ne;
	enum nh_result r;
	int group = vtep_is_group(&key->dst);

	if (!group)
		e = vx_cache_hit(key, now);
	if (e) {
		r = NH_OK;
	} else {
		r = vx_template(ctx, gc, key, &ne, nh, fib);
		if (!group)
			vx_cache_put(key, &ne, r, now);
		e = &ne;
	}
	__builtin_memcpy(eth->h_dest, e->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, e->smac, ETH_ALEN);
	*ifindex = e->ifindex;
	return r;
}

/* One's-complement sum of the 16-bit words of a 32-bit value as it lies in memory. */
static __always_inline __u32 csum_word32(__be32 w)
{
	return ((__u32)w & 0xffff) + ((__u32)w >> 16);
}

/* The IPv4 outer headers of frame `f` to f->key.dst through template `t`, written to `o` (o->pad untouched). */
static __always_inline void vx_outer4(struct vxlan_outer *o, const struct encap_cache_entry *t,
				      const struct vx_frame *f)
{
	const __u16 *w = (const __u16 *)&o->ip;
	__u32 sum;

	__builtin_memcpy(o->eth.h_dest, t->dmac, ETH_ALEN);
	__builtin_memcpy(o->eth.h_source, t->smac, ETH_ALEN);
	o->eth.h_proto = t->h_proto;
	o->ip.version = IPVERSION;
	o->ip.ihl = sizeof(struct iphdr) / 4;
	o->ip.tos = f->tos;
	o->ip.tot_len = bpf_htons(f->inner_len + sizeof(struct iphdr) + sizeof(struct udphdr) + VXLAN_HLEN);
	o->ip.id = f->id;
	o->ip.frag_off = f->frag;
	o->ip.ttl = f->ttl ? f->ttl : t->ttl;
	o->ip.protocol = IPPROTO_UDP;
	o->ip.check = 0;
	o->ip.saddr = addr_v4(&f->key.src);
	o->ip.daddr = addr_v4(&f->key.dst);
	/* the addresses' share comes from the entry: five header words are all that is added per frame */
	sum = t->addr_sum + w[0] + w[1] + w[2] + w[3] + w[4];
	o->ip.check = csum_fold32(sum);
	o->udp.source = f->sport;
	o->udp.dest = f->dport;
	o->udp.len = bpf_htons(f->inner_len + sizeof(struct udphdr) + VXLAN_HLEN);
	o->udp.check = 0; /* allowed for IPv4 (RFC 7348), as the kernel sends it */
	o->vx.vx_flags = bpf_htonl(VXLAN_FLAG_I);
	o->vx.vx_vni = f->vx_vni;
}

/* The IPv6 outer headers of frame `f` to f->key.dst through template `t`, written to `o` (o->pad untouched). */
static __always_inline void vx_outer6(struct vxlan_outer6 *o, const struct encap_cache_entry *t,
				      const struct vx_frame *f)
{
	__be16 len = bpf_htons(f->inner_len + sizeof(struct udphdr) + VXLAN_HLEN);
	__u64 sum;

	__builtin_memcpy(o->eth.h_dest, t->dmac, ETH_ALEN);
	__builtin_memcpy(o->eth.h_source, t->smac, ETH_ALEN);
	o->eth.h_proto = t->h_proto;
	*(__be32 *)&o->ip6 = f->flow;
	o->ip6.payload_len = len;
	o->ip6.nexthdr = IPPROTO_UDP;
	o->ip6.hop_limit = f->ttl ? f->ttl : t->ttl;
	__builtin_memcpy(&o->ip6.saddr, f->key.src.a8, sizeof(f->key.src));
	__builtin_memcpy(&o->ip6.daddr, f->key.dst.a8, sizeof(f->key.dst));
	o->udp.source = f->sport;
	o->udp.dest = f->dport;
	o->udp.len = len;
	o->udp.check = 0;
	o->vx.vx_flags = bpf_htonl(VXLAN_FLAG_I);
	o->vx.vx_vni = f->vx_vni;
	if (!f->csum)
		return;
	/* pseudo-header (addresses from the entry, length, next header) + UDP header + VXLAN and inner frame */
	sum = (__u64)t->addr_sum + len + bpf_htons(IPPROTO_UDP) + f->sport + f->dport + len + f->inner_sum;
	o->udp.check = csum_fold32(sum);
	if (!o->udp.check)
		o->udp.check = 0xffff; /* RFC 8200 8.1: a computed 0 goes out as all ones */
}

#endif /* XVTEP_ENCAP_CACHE_H */
