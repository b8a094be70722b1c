// SPDX-License-Identifier: GPL-2.0
/* Test object for the xvtep loader tests: every program and map kind the loader must handle. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct event {
	__u32 ingress_ifindex;
	__u32 len;
	__u8 first[8];
};

/* plain hash: CRUD and batch tests (10k entries) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} test_hash SEC(".maps");

/* per-CPU array: xdp_rewrite counts packets in slot 0 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} test_percpu SEC(".maps");

/* pinned by name under the object's pin_root_path */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} test_pinned SEC(".maps");

/* tc_seen[0] = skb->ifindex seen by tc_record */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tc_seen SEC(".maps");

/* LPM trie: no batch ops in the kernel, so BpfMap.entries() must fall back to get_next_key + lookup */
struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} test_lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

/* Rewrites byte 0 to 0xAA, counts, emits an event, returns XDP_TX. */
SEC("xdp")
int xdp_rewrite(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 zero = 0;
	__u64 *cnt;
	struct event *e;

	if (data + 8 > end)
		return XDP_ABORTED;
	p[0] = 0xAA;

	cnt = bpf_map_lookup_elem(&test_percpu, &zero);
	if (cnt)
		(*cnt)++;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->ingress_ifindex = ctx->ingress_ifindex;
		e->len = (__u32)(end - data);
		__builtin_memcpy(e->first, p, 8);
		bpf_ringbuf_submit(e, 0);
	}
	return XDP_TX;
}

/* Grows the frame by 50 bytes at the head (like a VXLAN encap) and fills them with 0x50. */
SEC("xdp")
int xdp_grow(struct xdp_md *ctx)
{
	void *data, *end;
	__u8 *p;

	if (bpf_xdp_adjust_head(ctx, -50))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + 50 > end)
		return XDP_ABORTED;
	p = data;
#pragma unroll
	for (int i = 0; i < 50; i++)
		p[i] = 0x50;
	return XDP_TX;
}

/* Looks up test_hash[u32 at offset 0] and writes the u64 value at offset 4; XDP_DROP if absent. */
SEC("xdp")
int xdp_lookup(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 key;
	__u64 *val;

	if (data + 12 > end)
		return XDP_ABORTED;
	key = *(__u32 *)data;
	val = bpf_map_lookup_elem(&test_hash, &key);
	if (!val)
		return XDP_DROP;
	__builtin_memcpy(data + 4, val, 8);
	return XDP_PASS;
}

/* Trivial pass program for attach tests. */
SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* Records skb->ifindex in tc_seen[0]; TC_ACT_OK. */
SEC("tc")
int tc_record(struct __sk_buff *skb)
{
	__u32 zero = 0;
	__u32 ifindex = skb->ifindex;

	bpf_map_update_elem(&tc_seen, &zero, &ifindex, BPF_ANY);
	return TC_ACT_OK;
}
