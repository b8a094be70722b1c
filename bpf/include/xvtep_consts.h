/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * xvtep constants: map limits, flag bits, event types and counter reasons (the
 * contract with the control plane: io.xvtep.datapath.Abi, DropReason and PassReason
 * mirror them and AbiTest checks every value against this file), then the
 * datapath's own defaults and the protocol numbers it uses by name.
 *
 * Plain C with <linux/types.h> only: it compiles for BPF and for the host.
 */
#ifndef XVTEP_CONSTS_H
#define XVTEP_CONSTS_H

#include <linux/types.h>

/* ---- map limits (the tables' defaults: the agent sizes them at start, io.xvtep.datapath.Capacities) ---- */
#define XVTEP_MAX_VNIS          4096
#define XVTEP_MAX_PORTS         1024
#define XVTEP_MAX_PORTS_PER_VNI 1024   /* local ports flooded per VNI (a bpf_loop: no verifier cost per port) */
#define XVTEP_MAX_FLOOD         1024   /* all-zero FDB entries (remote VTEPs) per VNI (a bpf_loop, too) */
#define XVTEP_MAX_FLOOD_ENTRIES 65536  /* flood-list entries of all VNIs together */
#define XVTEP_MAX_FDB           1048576
#define XVTEP_MAX_NEIGH         262144 /* per family; also the allowed-source table */
#define XVTEP_MAX_DSTPORTS      64     /* distinct underlay UDP ports */
#define XVTEP_MAX_MISS_KEYS     16384  /* miss events rate-limited per key */
#define XVTEP_EVENTS_BYTES      (1 << 22)
#define XVTEP_MAX_LEARN_SCOPES  (1 + XVTEP_MAX_VNIS + XVTEP_MAX_PORTS) /* learning budgets: host, VNIs, ports */
#define XVTEP_MAX_ENCAP_CACHE   16384  /* (source, remote VTEP) pairs whose outer Ethernet header is cached */

/* ---- learning limits (the kernel's maxaddress, the bridge's fdb_max_learned) ---- */
/* FDB entries learning never takes: static, cluster and agent-written local entries always fit. */
#define LEARN_RESERVE          16384
#define LEARN_DEFAULT_MAX_HOST (XVTEP_MAX_FDB - LEARN_RESERVE)
#define LEARN_DEFAULT_MAX_VNI  32768 /* without an entry in xvtep_learn_limit */
#define LEARN_DEFAULT_MAX_PORT 4096

/* learn_key.scope: whose budget */
enum learn_scope {
	LEARN_SCOPE_HOST = 0, /* id 0: every learned entry */
	LEARN_SCOPE_VNI  = 1, /* id: the VNI */
	LEARN_SCOPE_PORT = 2, /* id: the local port's ifindex (entries learned behind it) */
};

/* Bytes encapsulation adds in front of the inner frame: outer Ethernet + IPv4 (IPv6) + UDP + VXLAN. */
#define XVTEP_ENCAP_LEN         50
#define XVTEP_ENCAP6_LEN        70

/* ---- xvtep_config.flags ---- */
/*
 * The underlay is a veth: XDP must not redirect. veth hands XDP a converted copy of
 * each skb, and a redirected frame loses its checksum state (CHECKSUM_PARTIAL from a
 * container's TCP arrives as CHECKSUM_NONE and fails verification); XDP_PASS keeps it.
 */
#define XVTEP_CFG_F_NO_XDP_REDIRECT (1u << 0)

/* ---- vni_cfg.flags ---- */
#define VNI_F_LEARNING     (1u << 0) /* learn remote MACs from decapsulated frames */
#define VNI_F_PROXY        (1u << 1) /* answer ARP/ND from the neigh table */
#define VNI_F_L2MISS       (1u << 2) /* event on unicast with no FDB entry */
#define VNI_F_L3MISS       (1u << 3) /* event on ARP the proxy cannot answer */
#define VNI_F_TTL_INHERIT  (1u << 4)
#define VNI_F_TOS_INHERIT  (1u << 5)
#define VNI_F_DF_SET       (1u << 6)
#define VNI_F_DF_INHERIT   (1u << 7)
#define VNI_F_SRC_FILTER   (1u << 8) /* accept VXLAN only from VTEPs listed in xvtep_allowed_src */
#define VNI_F_IPV6         (1u << 9) /* IPv6 underlay (the kernel's VXLAN_F_IPV6): outer IPv6, 70 bytes */
#define VNI_F_UDP_ZERO_CSUM6_TX (1u << 10) /* udp6zerocsumtx: send IPv6 outer UDP checksum 0 (RFC 6935) */
#define VNI_F_UDP_ZERO_CSUM6_RX (1u << 11) /* udp6zerocsumrx: accept IPv6 outer UDP checksum 0 (RFC 6936) */
#define VNI_F_LABEL_INHERIT (1u << 12) /* flowlabel inherit: outer flow label copied from an inner IPv6 one */

/* ---- port_cfg.flags ---- */
#define PORT_F_XDP  (1u << 0) /* XDP_REDIRECT into this port works (its veth peer has NAPI/XDP) */
#define PORT_F_PEER (1u << 1) /* a veth: TC may deliver straight into its peer (bpf_redirect_peer) */
#define PORT_F_XDP_ENCAP (1u << 2) /* xdp_port (XDP) is attached to it: unicast to remote VTEPs encapsulated in XDP */

/* ---- flood_dst.flags ---- */
#define FLOOD_F_CLUSTER (1u << 0) /* added from the cluster store (ignored by the datapath) */

/* ---- neigh_entry.flags ---- */
#define NEIGH_F_ROUTER (1u << 0) /* the neighbour is a router: proxied NAs carry the R flag (RFC 4861 7.2.5) */

/* ---- fdb_entry.flags (neither STATIC nor CLUSTER means learned) ---- */
#define FDB_F_STATIC  (1u << 0) /* added by an operator: never aged, never moved by learning */
#define FDB_F_CLUSTER (1u << 1) /* programmed from the cluster store: never aged, replaced only by a local port */

/* ---- xvtep_event.type ---- */
enum xvtep_event_type {
	XVTEP_EV_LEARN      = 1, /* new (vni, mac) -> remote/ifindex */
	XVTEP_EV_MOVE       = 2, /* (vni, mac) changed remote/ifindex */
	XVTEP_EV_L2MISS     = 3, /* unicast to (vni, mac) with no entry */
	XVTEP_EV_L3MISS     = 4, /* ARP for (vni, ip) the proxy could not answer */
	XVTEP_EV_NEIGH_MISS = 5, /* underlay neighbour of VTEP `remote` unresolved: copy dropped, please resolve */
	XVTEP_EV_LEARN_REFUSED = 6, /* (vni, mac) not learned: a learning limit is reached; at most 1/s per VNI */
};

/*
 * Why a frame (or one copy of a flooded frame) was dropped: the index into
 * vni_stats.drop[]. The control plane shows DROP_X as "drop_x" in the stats JSON and
 * as xvtep_drops_total{reason="x"}; new reasons go at the end (before DROP_REASON_MAX).
 */
enum drop_reason {
	DROP_TRUNCATED = 0, /* frame shorter than its headers claim */
	DROP_BAD_FLAGS,     /* VXLAN I flag clear or reserved bits set */
	DROP_NO_DEST,       /* no local port, no FDB entry and nothing to flood to */
	DROP_HAIRPIN,       /* destination sits behind the ingress port */
	DROP_FIB,           /* no route/neighbour to the remote VTEP */
	DROP_MTU,           /* too large for the underlay after encapsulation */
	DROP_ECN,           /* outer CE on an inner Not-ECT packet (RFC 6040) */
	DROP_ADJUST,        /* the kernel refused to grow/shrink/rewrite the frame */
	DROP_SRC,           /* outer source not allowed, or our own address looped back */
	DROP_REDIRECT,      /* redirect/clone to a port or the underlay failed */
	DROP_LIST_GAP,      /* a port/flood list entry below n_ports/n_flood is missing: that copy is lost */
	DROP_INTERNAL,      /* a lookup that cannot fail on a loaded object failed (verifier-required check) */
	DROP_IP_CSUM,       /* outer IPv4 header checksum wrong */
	DROP_UDP_LEN,       /* outer UDP length below the VXLAN headers or beyond the IP packet */
	DROP_UDP_CSUM,      /* outer UDP checksum non-zero and wrong */
	DROP_MARTIAN,       /* outer source 0/8, 127/8, 224/4 or 255.255.255.255 */
	DROP_SRC_MAC,       /* inner source MAC multicast or all-zero */
	DROP_STATIC_MAC,    /* remote frame from a MAC that is static behind another VTEP or a local port */
	DROP_LINK_LOCAL,    /* inner destination 01:80:c2:00:00:0X: IEEE 802.1D link-local, never forwarded */
	DROP_FRAGMENT,      /* first fragment of a VXLAN datagram for a served VNI: not reassembled here */
	DROP_TOO_BIG,       /* larger than the VNI's mtu, not answered (no DF, not IP, or the kernel's rules for ICMP) */
	DROP_FRAG_NEEDED,   /* larger than the VNI's mtu, answered with ICMP frag-needed / ICMPv6 packet-too-big */
	DROP_UDP6_ZERO_CSUM, /* IPv6 outer UDP checksum 0 to a VNI without udp6zerocsumrx (RFC 6936) */
	DROP_FAMILY,        /* an FDB/flood destination of the other address family than the VNI's: copy lost */
	DROP_GSO_CSUM,      /* a GSO frame to an IPv6 VNI that must checksum (no udp6zerocsumtx): BPF can't checksum segments */
	DROP_OTHERHOST,     /* VXLAN whose outer destination MAC is unicast and not the underlay's (the kernel's PACKET_OTHERHOST) */
	DROP_REASON_MAX,
};

/*
 * Why an underlay frame was left to the kernel stack (XDP_PASS/TC_ACT_OK), counted on
 * VNI 0: vni_stats.pass[]; shown as "pass_x" and xvtep_passed_total{reason="x"}.
 */
enum pass_reason {
	PASS_NOT_VXLAN = 0, /* UDP to no xvtep dstport, or not UDP */
	PASS_UNKNOWN_VNI,   /* VXLAN for a VNI xvtep does not serve (or to another address of the host) */
	PASS_IPV6_EXT,      /* IPv6 extension headers xvtep does not skip: more than 4 or 128 bytes, a Routing header
	                     * with segments left (or MIPv6/RPL/SRv6), an option to discard if unknown, Hop-by-Hop not first */
	PASS_REASON_MAX,
};

/* ---- datapath defaults and timing ---- */
#define NSEC_PER_SEC       1000000000ull
#define FDB_REFRESH_NS     NSEC_PER_SEC  /* write a seen entry's timestamp at most once a second */
#define MISS_RATELIMIT_NS  NSEC_PER_SEC  /* one miss event per key per second */
#define ENCAP_CACHE_MAX_AGE_NS NSEC_PER_SEC /* a cached next hop is asked of the FIB again after 1 s */
#define DEFAULT_TTL        64            /* outer TTL when the VNI sets none */
#define SRCPORT_DEFAULT_MIN 32768        /* outer UDP source ports: the kernel's ip_local_port_range */
#define SRCPORT_DEFAULT_MAX 60999

/* ---- protocol numbers (host order; the uapi headers that carry some of them pull in libc) ---- */
#ifndef AF_INET
#define AF_INET            2             /* bpf_fib_lookup.family, bpf_redir_neigh.nh_family */
#endif
#ifndef AF_INET6
#define AF_INET6           10
#endif
#define IPV6_FLOWLABEL_MASK 0xfffffu     /* the 20-bit flow label, host order */
#define ARP_HRD_ETHER      1             /* ARP hardware type Ethernet (ARPHRD_ETHER) */
#define ARP_OP_REQUEST     1
#define ARP_OP_REPLY       2
#define IPV4_ALEN          4
#define IPV6_ALEN          16
#define IPV4_LOOPBACK_NET  127           /* 127.0.0.0/8 */
#define IPV4_MCAST_MASK    0xf0000000u   /* 224.0.0.0/4 */
#define IPV4_MCAST_NET     0xe0000000u
#define IPV4_MCAST_MAC0    0x01          /* RFC 1112: 01:00:5e + the group's low 23 bits */
#define IPV4_MCAST_MAC1    0x00
#define IPV4_MCAST_MAC2    0x5e
#define IPV4_MCAST_MAC_LOW 0x7f          /* mask of the group's second byte */
#define IP_MF              0x2000        /* frag_off bits, host order */
#define IP_OFFSET          0x1FFF
#define IP_DF              0x4000
#define IP_ECN_MASK        0x03          /* RFC 3168 ECN field of the TOS byte */
#define IP_ECN_NOT_ECT     0x00
#define IP_ECN_ECT_1       0x01
#define IP_ECN_ECT_0       0x02
#define IP_ECN_CE          0x03
#define IPV6_MCAST_MAC0    0x33          /* 33:33:xx:xx:xx:xx, RFC 2464 */
#define NDISC_NS           135           /* ICMPv6 neighbour solicitation / advertisement */
#define NDISC_NA           136
#define ND_OPT_SLLA        1             /* source / target link-layer address option */
#define ND_OPT_TLLA        2
#define ND_HOP_LIMIT       255           /* RFC 4861: ND messages must carry 255 */
#define ND_NA_F_ROUTER     0x80000000u
#define ND_NA_F_SOLICITED  0x40000000u
#define ND_NA_F_OVERRIDE   0x20000000u

#endif /* XVTEP_CONSTS_H */
