/* The container side's segmentation offloads (SIOCETHTOOL), for VNIs whose datapath cannot take GSO frames. */
#ifndef XVTEP_CNI_OFFLOAD_H
#define XVTEP_CNI_OFFLOAD_H

/*
 * Whether VNI JSON `vni` (the agent's GET /api/v1/vnis/N) needs its ports to send no GSO frames:
 * an IPv6 underlay with outer UDP checksums (no udp6zerocsumtx). xvtep's encap can give a GSO frame
 * only one outer checksum for all its segments (bpf_skb_adjust_room sets SKB_GSO_UDP_TUNNEL, never
 * _CSUM), so it refuses them (drop_gso_csum); segments made by the container's own stack go through.
 */
struct jv;
#define ETH_GSTRING_LEN_CNI 33 /* a feature name (ETH_GSTRING_LEN) and its NUL */
int vni_refuses_gso(const struct jv *vni);

/*
 * Turns off every tx segmentation offload of `ifname` in the calling thread's namespace (tx-*-segmentation
 * but tx-generic-segmentation, and tx-gso-list): its stack then segments before the frame leaves (software
 * GSO at the device), as for a NIC without TSO. Returns 0 or -errno; *left names a feature still on, if any.
 */
int segmentation_off(const char *ifname, char *left, int left_len);

/*
 * Turns off every tx checksum offload of `ifname` (tx-checksum-*; the kernel then drops TSO as well), for a
 * port encapsulated in XDP ("xdpEncap"): a frame sent with CHECKSUM_PARTIAL reaches the host side's XDP
 * program with its L4 checksum incomplete, and a frame redirected from XDP loses that state, so the
 * receiver would see a bad checksum. With the offload off the container's stack completes every checksum.
 * Returns 0 or -errno; *left names a feature still on, if any.
 */
int tx_checksum_off(const char *ifname, char *left, int left_len);

#endif
