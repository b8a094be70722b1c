// SPDX-License-Identifier: GPL-2.0
/* Deliberately unverifiable: reads packet data without a bounds check. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_ok(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_unbounded(struct xdp_md *ctx)
{
	__u8 *data = (__u8 *)(long)ctx->data;

	return data[100] == 0x42 ? XDP_DROP : XDP_PASS;
}
