// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The ceiling for the datapath benchmark: an XDP program that does nothing. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdp_empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* The same for TC: what BPF_PROG_TEST_RUN of an skb program costs around the program itself. */
SEC("tc")
int tc_empty(struct __sk_buff *skb)
{
	return 0; /* TC_ACT_OK */
}
