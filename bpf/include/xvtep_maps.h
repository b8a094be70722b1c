/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * xvtep map layout: the contract between the BPF programs and the Java
 * control plane (io.xvtep.datapath.MapCodec mirrors every struct here byte for byte;
 * MapCodecTest compiles this header and checks every size and offset).
 *
 * Every struct is naturally aligned with explicit padding so that the Java
 * codecs need no compiler knowledge. Multi-byte IPv4 addresses are kept in
 * network byte order (__be32), ports and VNIs in host byte order.
 *
 * All maps are pinned by name (LIBBPF_PIN_BY_NAME) under the agent's pin root,
 * so every xvtep object loaded with the same root shares them, and an agent
 * restart re-opens them with their contents intact.
 */
#ifndef XVTEP_MAPS_H
#define XVTEP_MAPS_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define XVTEP_MAX_VNIS          4096
#define XVTEP_MAX_PORTS         1024
#define XVTEP_MAX_PORTS_PER_VNI 64   /* local ports flooded per VNI */
#define XVTEP_MAX_FLOOD         64   /* all-zero FDB entries (remote VTEPs) per VNI */
#define XVTEP_MAX_FDB           262144
#define XVTEP_MAX_NEIGH         65536

/* ---- global configuration: ARRAY, one entry, key 0 ---- */
struct xvtep_config {
	__u32  underlay_ifindex; /* where VXLAN frames leave and arrive */
	__be32 local_ip;         /* default outer source address */
	__u8   underlay_mac[6];  /* outer source MAC for multicast copies (unicast ones take the FIB's) */
	__u16  pad;
	__u32  flags;            /* XVTEP_CFG_F_* */
};

/*
 * The underlay is a veth: XDP must not redirect. veth hands XDP a converted copy of
 * each skb, and a redirected frame loses its checksum state (CHECKSUM_PARTIAL from a
 * container's TCP arrives as CHECKSUM_NONE and fails verification); XDP_PASS keeps it.
 */
#define XVTEP_CFG_F_NO_XDP_REDIRECT (1u << 0)

/* ---- VNIs: HASH, key __u32 vni ---- */
#define VNI_F_LEARNING     (1u << 0) /* learn remote MACs from decapsulated frames */
#define VNI_F_PROXY        (1u << 1) /* answer ARP/ND from the neigh table */
#define VNI_F_L2MISS       (1u << 2) /* event on unicast with no FDB entry */
#define VNI_F_L3MISS       (1u << 3) /* event on ARP the proxy cannot answer */
#define VNI_F_TTL_INHERIT  (1u << 4)
#define VNI_F_TOS_INHERIT  (1u << 5)
#define VNI_F_DF_SET       (1u << 6)
#define VNI_F_DF_INHERIT   (1u << 7)
#define VNI_F_SRC_FILTER   (1u << 8) /* accept VXLAN only from VTEPs listed in xvtep_allowed_src */

struct vni_cfg {
	__u32  vni;
	__u32  flags;        /* VNI_F_* */
	__be32 local;        /* outer source; 0 = xvtep_config.local_ip */
	__be32 group;        /* underlay multicast group for BUM; 0 = none */
	__u16  dstport;      /* UDP destination port, host order (4789, 8472, ...) */
	__u16  srcport_min;  /* outer UDP source port range, host order */
	__u16  srcport_max;
	__u8   ttl;          /* outer TTL; 0 = 64 */
	__u8   tos;          /* outer TOS */
	__u32  n_ports;      /* valid entries in vni_ports for this VNI: idx 0..n_ports-1 */
	__u32  n_flood;      /* valid entries in flood for this VNI: idx 0..n_flood-1 */
	__u32  ageing;       /* seconds; learned entries older than this are stale; 0 = never */
	__u32  mtu;          /* largest inner frame (L2 payload, without Ethernet header) that fits; 0 = unchecked */
	__u32  dev_ifindex;  /* host-side VNI device, 0 = none */
	__u32  pad;
};

/* ---- local ports: HASH, key __u32 ifindex ---- */
#define PORT_F_XDP  (1u << 0) /* XDP_REDIRECT into this port works (its veth peer has NAPI/XDP) */
#define PORT_F_PEER (1u << 1) /* a veth: TC may deliver straight into its peer (bpf_redirect_peer) */

struct port_cfg {
	__u32 vni;
	__u32 flags; /* PORT_F_* */
};

/* ---- per-VNI index lists: HASH, key struct vni_idx_key ---- */
struct vni_idx_key {
	__u32 vni;
	__u32 idx;
};
/* vni_ports value: __u32 ifindex. flood value: struct flood_dst. */
#define FLOOD_F_CLUSTER (1u << 0) /* added from the cluster store (ignored by the datapath) */
struct flood_dst {
	__be32 dst;    /* remote VTEP or multicast group */
	__u32  flags;  /* FLOOD_F_*: control-plane bookkeeping only */
};

/* ---- FDB: HASH, key struct fdb_key (all-zero MAC entries live in `flood`, not here) ---- */
#define FDB_F_STATIC  (1u << 0) /* added by an operator: never aged, never moved by learning */
#define FDB_F_CLUSTER (1u << 1) /* programmed from the cluster store: never aged, replaced only by a local port */

struct fdb_key {
	__u32 vni;
	__u8  mac[6];
	__u16 pad;
};

struct fdb_entry {
	__be32 remote;     /* remote VTEP, or 0 when the MAC is behind a local port */
	__u32  ifindex;    /* local port, or 0 when the MAC is behind a remote VTEP */
	__u32  flags;      /* FDB_F_* ; neither STATIC nor CLUSTER means learned */
	__u32  pad;
	__u64  updated_ns; /* bpf_ktime_get_ns() when last seen (learned) or written (static) */
};

/* ---- neighbour table for the ARP proxy: HASH ---- */
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
	__u16 flags; /* reserved, 0 */
};

/* ---- allowed source VTEPs: HASH, key struct vni_src_key, value __u32 (reserved, 0);
 *      consulted only for VNIs with VNI_F_SRC_FILTER ---- */
struct vni_src_key {
	__u32  vni;
	__be32 src;
};

/* ---- underlay UDP ports in use: HASH, key __u16 dstport (host order), value __u32 refcount ---- */

/* ---- per-VNI counters: PERCPU_HASH, key __u32 vni (0 = frames whose VNI is unknown) ---- */
struct vni_stats {
	__u64 rx_packets;          /* decapsulated and delivered */
	__u64 rx_bytes;            /* inner frame bytes */
	__u64 tx_packets;          /* encapsulated and sent, one per outer copy */
	__u64 tx_bytes;            /* inner frame bytes */
	__u64 switched_packets;    /* local port to local port */
	__u64 switched_bytes;
	__u64 flooded_packets;     /* BUM/unknown frames replicated (counted once per frame) */
	__u64 proxied;             /* ARP/ND requests answered by the proxy */
	__u64 learned;             /* new FDB entries learned */
	__u64 moved;               /* learned MACs that moved port or VTEP */
	__u64 l2miss;
	__u64 l3miss;
	__u64 pass_not_vxlan;      /* vni 0: UDP to no xvtep dstport, or not UDP: left to the stack */
	__u64 pass_unknown_vni;    /* vni 0: VXLAN for a VNI xvtep does not serve: left to the stack */
	__u64 drop_truncated;      /* frame shorter than its headers claim */
	__u64 drop_bad_flags;      /* VXLAN I flag clear or reserved bits set */
	__u64 drop_no_dest;        /* no local port, no FDB entry and nothing to flood to */
	__u64 drop_hairpin;        /* destination sits behind the ingress port */
	__u64 drop_fib;            /* no route/neighbour to the remote VTEP */
	__u64 drop_mtu;            /* too large for the underlay after encapsulation */
	__u64 drop_ecn;            /* outer CE on an inner Not-ECT packet (RFC 6040) */
	__u64 drop_adjust;         /* the kernel refused to grow/shrink the frame */
	__u64 drop_src;            /* outer source not allowed, or our own address looped back */
	__u64 drop_redirect;       /* redirect/clone to a port or the underlay failed */
	__u64 events_emitted;      /* events written to xvtep_events */
	__u64 events_lost;         /* events not written: ring buffer full (control plane too slow) */
};

/* ---- events to the control plane: RINGBUF of struct xvtep_event ---- */
enum xvtep_event_type {
	XVTEP_EV_LEARN  = 1, /* new (vni, mac) -> remote/ifindex */
	XVTEP_EV_MOVE   = 2, /* (vni, mac) changed remote/ifindex */
	XVTEP_EV_L2MISS = 3, /* unicast to (vni, mac) with no entry */
	XVTEP_EV_L3MISS = 4, /* ARP for (vni, ip) the proxy could not answer */
	XVTEP_EV_NEIGH_MISS = 5, /* underlay neighbour of VTEP `remote` unresolved: copy dropped, please resolve */
};

struct xvtep_event {
	__u32  type;    /* enum xvtep_event_type */
	__u32  vni;
	__u8   mac[6];
	__u16  pad;
	__be32 remote;  /* learn/move: outer source VTEP; 0 for local */
	__u32  ifindex; /* learn/move: local port; 0 for remote */
	__be32 ip;      /* l3miss: target IPv4 */
	__u32  pad2;
	__u64  ts_ns;
};

#ifdef __BPF__
/* Map definitions; included once per BPF object, shared through pinning. */
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
	__uint(max_entries, XVTEP_MAX_VNIS * 4);
	__type(key, struct vni_idx_key);
	__type(value, struct flood_dst);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_flood SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_FDB);
	__type(key, struct fdb_key);
	__type(value, struct fdb_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_fdb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_NEIGH);
	__type(key, struct neigh_key);
	__type(value, struct neigh_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_neigh SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_NEIGH);
	__type(key, struct neigh6_key);
	__type(value, struct neigh_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_neigh6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_dstports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVTEP_MAX_NEIGH);
	__type(key, struct vni_src_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_allowed_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, XVTEP_MAX_VNIS + 1);
	__type(key, __u32);
	__type(value, struct vni_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvtep_events SEC(".maps");
#endif /* __BPF__ */

#endif /* XVTEP_MAPS_H */
