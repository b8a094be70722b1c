/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * xvtep map layouts: the keys and values of every map, the contract between the BPF
 * programs and the Java control plane (io.xvtep.datapath.MapCodec mirrors each struct
 * byte for byte; MapCodecTest compiles this header and checks every size and offset).
 *
 * Every struct is naturally aligned with explicit padding so that the Java codecs need
 * no compiler knowledge. Underlay (VTEP) addresses are a union vtep_addr: 16 bytes in
 * network order, IPv6, or IPv4 as ::ffff:a.b.c.d (RFC 4291 2.5.5.2), all-zero for none, so the
 * family is read from the address itself and keys of both families never collide. Overlay
 * IPv4 addresses are __be32; ports and VNIs are in host byte order.
 *
 * Plain C with <linux/types.h> only: it compiles for BPF and for the host.
 */
#ifndef XVTEP_STRUCTS_H
#define XVTEP_STRUCTS_H

#include <linux/types.h>
#include "xvtep_consts.h"

/* An underlay address: IPv6, or IPv4-mapped (::ffff:a.b.c.d); all-zero = none. */
union vtep_addr {
	__be32 a32[4];
	__u8   a8[16];
};

/* ---- global configuration: xvtep_config (ARRAY, one entry, key 0) ---- */
struct xvtep_config {
	__u32  underlay_ifindex;    /* where VXLAN frames leave and arrive */
	__u8   underlay_mac[6];     /* outer source MAC for multicast copies (unicast ones take the FIB's) */
	__u16  pad;
	__u32  flags;               /* XVTEP_CFG_F_* */
	union vtep_addr local_ip;   /* default outer source of IPv4 VNIs (IPv4-mapped); zero = none */
	union vtep_addr local_ip6;  /* default outer source of IPv6 VNIs; zero = none */
};

/* ---- VNIs: xvtep_vnis (HASH, key __u32 vni) ---- */
struct vni_cfg {
	__u32  vni;
	__u32  flags;        /* VNI_F_*; VNI_F_IPV6 gives the family (a VNI is one family, as the kernel's device) */
	union vtep_addr local; /* outer source; zero = xvtep_config.local_ip / local_ip6 by family */
	union vtep_addr group; /* underlay multicast group for BUM; zero = none */
	__u16  dstport;      /* UDP destination port, host order (4789, 8472, ...) */
	__u16  srcport_min;  /* outer UDP source port range, host order */
	__u16  srcport_max;
	__u8   ttl;          /* outer TTL; 0 = DEFAULT_TTL */
	__u8   tos;          /* outer TOS */
	__u32  n_ports;      /* valid entries in vni_ports for this VNI: idx 0..n_ports-1 */
	__u32  n_flood;      /* valid entries in flood for this VNI: idx 0..n_flood-1 */
	__u32  ageing;       /* seconds; learned entries older than this are stale; 0 = never */
	__u32  mtu;          /* largest inner frame (L2 payload, without Ethernet header) that fits; 0 = unchecked */
	__u32  dev_ifindex;  /* host-side VNI device, 0 = none */
	__u32  label;        /* IPv6 outer flow label, low 20 bits (the kernel's `flowlabel`); ignored with VNI_F_LABEL_INHERIT */
	__u32  stats_slot;   /* the VNI's entry of xvtep_stats (1..max VNIs), given by the control plane at creation */
	__u32  pad;
};

/* ---- local ports: xvtep_ports (HASH, key __u32 ifindex) ---- */
struct port_cfg {
	__u32 vni;
	__u32 flags; /* PORT_F_* */
};

/* ---- per-VNI index lists: key of xvtep_vni_ports (value __u32 ifindex) and xvtep_flood ---- */
struct vni_idx_key {
	__u32 vni;
	__u32 idx;
};

/* value of xvtep_flood */
struct flood_dst {
	union vtep_addr dst; /* remote VTEP or multicast group */
	__u32  flags;        /* FLOOD_F_*: control-plane bookkeeping only */
};

/* ---- FDB: xvtep_fdb (HASH; all-zero MAC entries live in xvtep_flood, not here) ---- */
struct fdb_key {
	__u32 vni;
	__u8  mac[6];
	__u16 pad;
};

struct fdb_entry {
	union vtep_addr remote; /* remote VTEP, or zero when the MAC is behind a local port */
	__u32  ifindex;    /* local port, or 0 when the MAC is behind a remote VTEP */
	__u32  flags;      /* FDB_F_* */
	__u64  updated_ns; /* bpf_ktime_get_ns() when last seen (learned) or written (static) */
};

/* ---- neighbour tables of the ARP/ND proxy: xvtep_neigh, xvtep_neigh6 (HASH) ---- */
struct neigh_key {
	__u32  vni;
	__be32 ip;
};
struct neigh6_key {
	__u32 vni;
	__u8  ip[16];
};
struct neigh_entry {
	__u8  mac[6];
	__u16 flags; /* NEIGH_F_* */
};

/* ---- allowed source VTEPs: xvtep_allowed_src (HASH, value __u32 reserved 0);
 *      consulted only for VNIs with VNI_F_SRC_FILTER ---- */
struct vni_src_key {
	__u32  vni;
	union vtep_addr src;
};

/* ---- underlay UDP ports in use: xvtep_dstports (HASH, key __u16 dstport host order, value __u32 refcount) ---- */

/* ---- per-VNI counters: xvtep_stats (PERCPU_ARRAY, key __u32 slot = vni_cfg.stats_slot; slot 0 = frames of
 *      no VNI we serve). An array entry is found without hashing (the verifier inlines the lookup); the
 *      control plane zeroes a slot before it gives it to a new VNI. ---- */
struct vni_stats {
	__u64 rx_packets;                 /* decapsulated and delivered */
	__u64 rx_bytes;                   /* inner frame bytes */
	__u64 tx_packets;                 /* encapsulated and sent, one per outer copy */
	__u64 tx_bytes;                   /* inner frame bytes */
	__u64 switched_packets;           /* local port to local port */
	__u64 switched_bytes;
	__u64 flooded_packets;            /* BUM/unknown frames replicated (counted once per frame) */
	__u64 proxied;                    /* ARP/ND requests answered by the proxy */
	__u64 learned;                    /* new FDB entries learned */
	__u64 moved;                      /* learned MACs that moved port or VTEP */
	__u64 l2miss;
	__u64 l3miss;
	__u64 learn_refused;              /* new MACs not learned: a learning limit is reached */
	__u64 pass[PASS_REASON_MAX];      /* by enum pass_reason: left to the stack */
	__u64 drop[DROP_REASON_MAX];      /* by enum drop_reason */
	__u64 events_emitted;             /* events written to xvtep_events */
	__u64 events_lost;                /* events not written: ring buffer full (control plane too slow) */
};

/* ---- events to the control plane: xvtep_events (RINGBUF of struct xvtep_event) ---- */
struct xvtep_event {
	__u32  type;    /* enum xvtep_event_type */
	__u32  vni;
	__u8   mac[6];
	__u16  pad;
	union vtep_addr remote; /* learn/move: outer source VTEP, zero for local; neigh_miss: the next hop */
	__u32  ifindex; /* learn/move: local port; 0 for remote */
	__be32 ip;      /* l3miss: target IPv4 */
	__u64  ts_ns;
	__u8   ip6[16]; /* l3miss for an IPv6 neighbour solicitation: the target; zero otherwise */
};

/*
 * ---- learning budgets: xvtep_learn_limit (HASH, written by the control plane only) and
 *      xvtep_learn_count (HASH of __u64, written by the datapath only), both keyed by scope ----
 * Entries learned in a scope = count - forgotten. The datapath adds to `count` for every entry it
 * learns; the control plane, which removes learned entries (ageing, flushes, deletes), sets
 * `forgotten` after each walk of the FDB so that the difference is the number it found.
 */
struct learn_key {
	__u32 scope; /* enum learn_scope */
	__u32 id;
};
struct learn_limit {
	__s64 forgotten; /* learned entries of this scope gone since counting began */
	__u32 max;       /* most learned entries of the scope; 0 = no limit at this scope */
	__u32 pad;
};

/* ---- miss-event rate limit: xvtep_miss_rl (LRU_HASH, value __u64 time of the last event);
 *      datapath-internal, the control plane never reads it ---- */
struct miss_key {
	__u32  type;
	__u32  vni;
	__u8   mac[6];
	__u16  pad;
	__be32 ip;
};

/*
 * ---- outer-header cache: xvtep_encap_cache (LRU_HASH), written by the datapath only ----
 * The outer-header template of a (source, unicast remote VTEP) pair: the outer Ethernet header as sent
 * (what bpf_fib_lookup answered), the device, and the addresses' share of the IPv4 header checksum /
 * IPv6 UDP pseudo-header sum. What the VNI's config and the frame decide (VNI, dstport, TTL, TOS, DF,
 * flow label, lengths, source port) is patched per frame (bpf/include/encap_cache.h).
 * An entry older than ENCAP_CACHE_MAX_AGE_NS is asked again; the agent empties the map when an
 * underlay route or neighbour changes (io.xvtep.host.UnderlayWatch), so a new next-hop MAC is used
 * from the next frame after the kernel's notification.
 */
struct encap_cache_key {
	union vtep_addr src; /* outer source */
	union vtep_addr dst; /* remote VTEP (never a group: groups need no FIB) */
};
struct encap_cache_entry {
	__u64  built_ns; /* bpf_ktime_get_ns() of the FIB lookup */
	__u32  ifindex;  /* where frames to dst leave */
	__u8   dmac[6];  /* the next hop's MAC: dmac, smac, h_proto are the outer Ethernet header as sent */
	__u8   smac[6];  /* the egress device's MAC */
	__be16 h_proto;  /* ETH_P_IP or ETH_P_IPV6 (network order) */
	__u8   ttl;      /* outer TTL / hop limit when the VNI sets none: DEFAULT_TTL (1 for a group, never cached) */
	__u8   pad;
	__u32  addr_sum; /* the outer addresses' one's-complement sum: 16-bit words as they lie in the header, unfolded */
};

#endif /* XVTEP_STRUCTS_H */
