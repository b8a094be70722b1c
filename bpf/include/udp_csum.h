/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Verifying a non-zero outer UDP checksum over the whole datagram (udp_rcv does it before
 * vxlan_rcv ever sees the frame). VTEPs send 0 over IPv4 by default, so this costs only for
 * senders with `udpcsum`: the datagram is summed in 512-byte chunks (bpf_csum_diff's limit)
 * copied into a per-CPU buffer, which works the same from XDP and TC and across fragments.
 *
 * Like the kernel, the check trusts what the device already vouched for: a NIC's verdict
 * (CHECKSUM_UNNECESSARY, bpf_csum_level), and frames that crossed a veth from this kernel, whose
 * checksum may still be a CHECKSUM_PARTIAL placeholder BPF cannot tell apart (so on a veth
 * underlay TC trusts the sender, as udp_rcv does for such skbs; XDP never decides there).
 */
#ifndef XVTEP_UDP_CSUM_H
#define XVTEP_UDP_CSUM_H

#include "vxlan.h"

#define CSUM_CHUNK      512
#define CSUM_MAX_CHUNKS 128 /* 64 KiB: the largest datagram */

struct csum_chunk {
	__u8 b[CSUM_CHUNK];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct csum_chunk);
} xvtep_csum_scratch SEC(".maps");

/*
 * The UDP pseudo-header's sum: IPv4 (RFC 768) or IPv6 (RFC 8200 8.1: both addresses, the
 * upper-layer length and next header as 32-bit words).
 */
static __always_inline __s64 udp_pseudo_sum(const union vtep_addr *s, const union vtep_addr *d, int ipv6, __u32 len)
{
	__be32 p6[2] = { bpf_htonl(len), bpf_htonl(IPPROTO_UDP) };
	__be32 p4[3] = { addr_v4(s), addr_v4(d), bpf_htonl(IPPROTO_UDP << 16 | len) };
	__s64 sum;

	if (!ipv6)
		return bpf_csum_diff(0, 0, p4, sizeof(p4), 0);
	sum = bpf_csum_diff(0, 0, (__be32 *)s->a32, sizeof(*s), 0);
	sum = bpf_csum_diff(0, 0, (__be32 *)d->a32, sizeof(*d), sum);
	return bpf_csum_diff(0, 0, p6, sizeof(p6), sum);
}

/* Adds `n` (1..CSUM_CHUNK) bytes from `off` to `sum` through the chunk buffer; -1 on failure. */
static __always_inline __s64 csum_chunk_add(void *ctx, int xdp, struct csum_chunk *c, __u32 off, __u64 n, __s64 sum)
{
	__u64 sz;

	/* bounds the verifier can see (the compiler would drop a plain mask as redundant) */
	asm volatile("%0 &= 0x3ff" : "+r"(n));
	if (n == 0 || n > CSUM_CHUNK || sum < 0)
		return -1;
	*(__u32 *)&c->b[(n - 1) & (CSUM_CHUNK - 4)] = 0; /* zero padding up to the 32-bit word */
	if (xdp ? bpf_xdp_load_bytes(ctx, off, c->b, n) : bpf_skb_load_bytes(ctx, off, c->b, n))
		return -1;
	sz = (n + 3) & ~3ull;
	if (sz > CSUM_CHUNK)
		sz = CSUM_CHUNK;
	return bpf_csum_diff(0, 0, (__be32 *)c->b, sz, (__wsum)sum);
}

/*
 * Adds the one's-complement sum of `len` bytes from `off` to `sum` (-1 on failure): whole chunks in a
 * loop of at most `max_chunks` (a constant at each call site: the bound the verifier walks), the tail
 * after it, so no path forks inside the loop but its exit. The one summing loop of the datapath: the
 * outer UDP checksum verified on decap and computed on encap, and the quote of an ICMP too-big answer.
 */
static __always_inline __s64 csum_add_range(void *ctx, int xdp, __u32 off, __u32 len, __s64 sum, __u32 max_chunks)
{
	__u32 zero = 0;
	struct csum_chunk *c = bpf_map_lookup_elem(&xvtep_csum_scratch, &zero);

	if (!c)
		return -1;
	for (__u32 i = 0; i < max_chunks; i++) {
		if (len < CSUM_CHUNK)
			break;
		sum = csum_chunk_add(ctx, xdp, c, off, CSUM_CHUNK, sum);
		off += CSUM_CHUNK;
		len -= CSUM_CHUNK;
	}
	if (len)
		sum = csum_chunk_add(ctx, xdp, c, off, len, sum);
	return sum;
}

/*
 * The frame's UDP checksum is absent or right. `ctx` is the program's context: an xdp_md
 * when `xdp`, else an __sk_buff (a constant at every call site, so one branch is compiled).
 */
static __always_inline int vx_udp_csum_verified(void *ctx, int xdp, const struct vx_info *vx)
{
	__u32 off = vx->outer_len - VXLAN_HLEN - sizeof(struct udphdr);
	__s64 sum;

	if (!vx->udp_check)
		return 1; /* over IPv6 vx_parse let it through only with udp6zerocsumrx */
	sum = udp_pseudo_sum(&vx->saddr, &vx->daddr, vx->ipv6, vx->udp_len);
	sum = csum_add_range(ctx, xdp, off, vx->udp_len, sum, CSUM_MAX_CHUNKS);
	return sum >= 0 && csum_fold32(sum) == 0;
}

/* TC: the frame's UDP checksum is absent, vouched for by the device, or right. */
static __always_inline int vx_udp_csum_ok_skb(struct __sk_buff *skb, const struct vx_info *vx)
{
	struct xvtep_config *gc;

	if (!vx->udp_check || bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY) >= 0)
		return 1;
	gc = config_get();
	if (gc && (gc->flags & XVTEP_CFG_F_NO_XDP_REDIRECT)) /* set exactly when the underlay is a veth */
		return 1;
	return vx_udp_csum_verified(skb, 0, vx);
}

#endif /* XVTEP_UDP_CSUM_H */
