/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The shared maps: definitions only (layouts in xvtep_structs.h, limits in xvtep_consts.h).
 *
 * Every map here is pinned by name (LIBBPF_PIN_BY_NAME) under the agent's pin root, and
 * every xvtep object defines all of them: whichever object loads first creates the full
 * set, the other reuses it, and an agent restart re-opens them with their contents intact.
 *
 * The sizes written here are defaults: the agent sizes the tables at start (io.xvtep.datapath.
 * Capacities, bpf_map__set_max_entries). The large tables are not preallocated
 * (BPF_F_NO_PREALLOC): a million-entry FDB costs kernel memory per entry held, not up front.
 */
#ifndef XVTEP_MAPS_H
#define XVTEP_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "xvtep_consts.h"
#include "xvtep_structs.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xvtep_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_VNIS);
	__type(key, __u32);
	__type(value, struct vni_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_vnis SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct port_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_PORTS);
	__type(key, struct vni_idx_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_vni_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_FLOOD_ENTRIES);
	__type(key, struct vni_idx_key);
	__type(value, struct flood_dst);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_flood SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_FDB);
	__type(key, struct fdb_key);
	__type(value, struct fdb_entry);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_fdb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_NEIGH);
	__type(key, struct neigh_key);
	__type(value, struct neigh_entry);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_neigh SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_NEIGH);
	__type(key, struct neigh6_key);
	__type(value, struct neigh_entry);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_neigh6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_DSTPORTS);
	__type(key, __u16);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_dstports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_NEIGH);
	__type(key, struct vni_src_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_allowed_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XVTEP_MAX_VNIS + 1); /* slot 0 + one per VNI */
	__type(key, __u32);
	__type(value, struct vni_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XVTEP_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XVTEP_MAX_MISS_KEYS);
	__type(key, struct miss_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_miss_rl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_LEARN_SCOPES);
	__type(key, struct learn_key);
	__type(value, struct learn_limit);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_learn_limit SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_LEARN_SCOPES);
	__type(key, struct learn_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_learn_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XVTEP_MAX_ENCAP_CACHE);
	__type(key, struct encap_cache_key);
	__type(value, struct encap_cache_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_encap_cache SEC(".maps");

#endif /* XVTEP_MAPS_H */
