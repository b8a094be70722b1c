package io.xvtep.datapath;

/**
 * The datapath's limits and flag bits, as bpf/include/xvtep_consts.h defines them: the one
 * place the Java side learns them from. AbiTest compiles that header and checks every
 * constant here against it (the C name is the Java name, with XVTEP_ in front for the
 * MAX_, CFG_F_, EV_ and ENCAP_ ones).
 *
 * Event types are named by {@link io.xvtep.model.EventType}; counter reasons are
 * {@link DropReason} and {@link PassReason}.
 */
public final class Abi {

    private Abi() {
    }

    // ---- map limits: the defaults of the table sizes an agent chooses at start (Capacities)
    public static final int MAX_VNIS = 4096;
    public static final int MAX_PORTS = 1024;
    /** Local ports flooded per VNI (xvtep_vni_ports indexes; the datapath walks them with bpf_loop). */
    public static final int MAX_PORTS_PER_VNI = 1024;
    /** Remote VTEPs per VNI flood list (xvtep_flood indexes; a bpf_loop too). */
    public static final int MAX_FLOOD = 1024;
    /** Flood-list entries of all VNIs together (xvtep_flood's size). */
    public static final int MAX_FLOOD_ENTRIES = 65536;
    public static final int MAX_FDB = 1048576;
    /** Per address family; also the allowed-source table. */
    public static final int MAX_NEIGH = 262144;
    /** Distinct underlay UDP destination ports. */
    public static final int MAX_DSTPORTS = 64;
    /** (source, remote VTEP) pairs of the outer-header cache (xvtep_encap_cache, an LRU). */
    public static final int MAX_ENCAP_CACHE = 16384;

    /** Bytes encapsulation adds in front of the inner frame (outer Ethernet + IPv4 + UDP + VXLAN). */
    public static final int ENCAP_LEN = 50;
    /** The same over an IPv6 underlay (40-byte IPv6 header). */
    public static final int ENCAP6_LEN = 70;

    // ---- xvtep_config.flags
    /** A veth underlay, where XDP_REDIRECT loses checksum state: XDP leaves every frame to TC. */
    public static final int CFG_F_NO_XDP_REDIRECT = 1;

    // ---- vni_cfg.flags
    public static final int VNI_F_LEARNING = 1;
    public static final int VNI_F_PROXY = 1 << 1;
    public static final int VNI_F_L2MISS = 1 << 2;
    public static final int VNI_F_L3MISS = 1 << 3;
    public static final int VNI_F_TTL_INHERIT = 1 << 4;
    public static final int VNI_F_TOS_INHERIT = 1 << 5;
    public static final int VNI_F_DF_SET = 1 << 6;
    public static final int VNI_F_DF_INHERIT = 1 << 7;
    public static final int VNI_F_SRC_FILTER = 1 << 8;
    /** IPv6 underlay (the kernel's VXLAN_F_IPV6): outer IPv6, ENCAP6_LEN bytes. */
    public static final int VNI_F_IPV6 = 1 << 9;
    /** udp6zerocsumtx: IPv6 outer UDP checksum sent as 0 (RFC 6935). */
    public static final int VNI_F_UDP_ZERO_CSUM6_TX = 1 << 10;
    /** udp6zerocsumrx: IPv6 outer UDP checksum 0 accepted (RFC 6936). */
    public static final int VNI_F_UDP_ZERO_CSUM6_RX = 1 << 11;
    /** flowlabel inherit: the outer flow label is an inner IPv6 packet's. */
    public static final int VNI_F_LABEL_INHERIT = 1 << 12;

    // ---- port_cfg.flags
    /** XDP_REDIRECT into this port works (its veth peer has NAPI/XDP). */
    public static final int PORT_F_XDP = 1;
    /** A veth whose peer is in another namespace: TC delivers with bpf_redirect_peer. */
    public static final int PORT_F_PEER = 1 << 1;
    /** xdp_port is attached to the port (xdp_encap): unicast to remote VTEPs is encapsulated in XDP. */
    public static final int PORT_F_XDP_ENCAP = 1 << 2;

    // ---- flood_dst.flags
    /** Added from the cluster store (control-plane bookkeeping; the datapath ignores it). */
    public static final int FLOOD_F_CLUSTER = 1;

    // ---- neigh_entry.flags
    /** The neighbour is a router: the ND proxy's answers carry the R flag. */
    public static final int NEIGH_F_ROUTER = 1;

    // ---- fdb_entry.flags (neither: learned)
    public static final int FDB_F_STATIC = 1;
    public static final int FDB_F_CLUSTER = 1 << 1;

    // ---- xvtep_event.type (enum xvtep_event_type; names and labels: io.xvtep.model.EventType)
    public static final int EV_LEARN = 1;
    public static final int EV_MOVE = 2;
    public static final int EV_L2MISS = 3;
    public static final int EV_L3MISS = 4;
    public static final int EV_NEIGH_MISS = 5;
    public static final int EV_LEARN_REFUSED = 6;

    // ---- learning limits (xvtep_learn_limit / xvtep_learn_count; see LearnBudgets)
    public static final int MAX_LEARN_SCOPES = 1 + MAX_VNIS + MAX_PORTS;
    /** FDB entries learning never takes: static, cluster and agent-written entries always fit. */
    public static final int LEARN_RESERVE = 16384;
    public static final int LEARN_DEFAULT_MAX_HOST = MAX_FDB - LEARN_RESERVE;
    public static final int LEARN_DEFAULT_MAX_VNI = 32768;
    public static final int LEARN_DEFAULT_MAX_PORT = 4096;
    public static final int LEARN_SCOPE_HOST = 0;
    public static final int LEARN_SCOPE_VNI = 1;
    public static final int LEARN_SCOPE_PORT = 2;
}
