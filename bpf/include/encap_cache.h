/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The outer-header cache (xvtep_encap_cache, issue 15 item 2): what bpf_fib_lookup answered for a
 * (source, unicast remote VTEP) pair, the outer Ethernet header and the egress device, so that a
 * frame to a known VTEP costs one LRU lookup instead of a FIB walk and a neighbour lookup (~340 ns
 * of 1,230 under BPF_PROG_TEST_RUN, docs/benchmarks.md).
 *
 * Invalidation (the decision, docs/benchmarks.md "Outer-header cache"):
 * - the agent empties the map whenever the kernel announces an underlay neighbour whose MAC changed
 *   or went away, or any route change (io.xvtep.host.UnderlayWatch, rtnetlink through `ip monitor`):
 *   the frames after the notification was handled take the FIB's new answer;
 * - an entry is used for at most ENCAP_CACHE_MAX_AGE_NS (1 s) after its FIB lookup, then looked up
 *   again: the bound when no agent runs (a restart) or a notification was lost;
 * - a FIB that no longer answers (no route, neighbour unresolved) deletes the entry on the spot.
 * The FIB lookup runs before the entry is written, within one program run (microseconds), so an entry
 * built from an answer older than a change is always written before the agent's flush for that change.
 * Groups are never cached: their MACs are derived from the address (nexthop.h).
 */
#ifndef XVTEP_ENCAP_CACHE_H
#define XVTEP_ENCAP_CACHE_H

#include "nexthop.h"

/*
 * vx_nexthop through the cache: `key` holds the outer source and destination (`src`/`dst` point into
 * it). Fills eth's addresses and *ifindex from a fresh entry, else from the FIB (caching an answer).
 * `ctx`: the program's context, TC or XDP (see vx_nexthop).
 */
static __always_inline enum nh_result vx_nexthop_cached(void *ctx, struct xvtep_config *gc,
							const struct encap_cache_key *key, struct ethhdr *eth,
							__u32 *ifindex, union vtep_addr *nh, struct bpf_fib_lookup *fib)
{
	const union vtep_addr *dst = &key->dst;
	struct encap_cache_entry *e, ne;
	enum nh_result r;
	__u64 now;

	if (addr_is_v4(dst) ? ipv4_is_multicast(addr_v4(dst)) : dst->a8[0] == 0xff)
		return vx_nexthop(ctx, gc, &key->src, dst, eth, ifindex, nh, fib);
	now = bpf_ktime_get_ns();
	e = bpf_map_lookup_elem(&xvtep_encap_cache, key);
	if (e && now - e->built_ns < ENCAP_CACHE_MAX_AGE_NS) {
		__builtin_memcpy(eth->h_dest, e->dmac, ETH_ALEN);
		__builtin_memcpy(eth->h_source, e->smac, ETH_ALEN);
		*ifindex = e->ifindex;
		return NH_OK;
	}
	r = vx_nexthop(ctx, gc, &key->src, dst, eth, ifindex, nh, fib);
	if (r == NH_OK) {
		ne.built_ns = now;
		ne.ifindex = *ifindex;
		__builtin_memcpy(ne.dmac, eth->h_dest, ETH_ALEN);
		__builtin_memcpy(ne.smac, eth->h_source, ETH_ALEN);
		bpf_map_update_elem(&xvtep_encap_cache, key, &ne, BPF_ANY);
	} else if (e) {
		bpf_map_delete_elem(&xvtep_encap_cache, key); /* the FIB no longer answers: the entry goes */
	}
	return r;
}

#endif /* XVTEP_ENCAP_CACHE_H */
