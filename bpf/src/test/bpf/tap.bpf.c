// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Test-only tap: attached to TC ingress of the far end of a veth (tap_ingress), or to TC egress
 * of the device itself (tap_egress), it hands every frame the datapath sent (clones included,
 * which BPF_PROG_TEST_RUN cannot return) to the test through a ring buffer, and ends it there. A VLAN tag the veth took
 * out of the data (skb->vlan_tci) is reported too, so the test sees the frame as it was on the wire.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TAP_MAX 2048

struct tap_frame {
	__u32 ifindex;
	__u32 len;
	__u8  data[TAP_MAX];
	__u32 vlan_present; /* a tag the receiving veth moved out of the data into skb metadata */
	__u16 vlan_proto;   /* network order, as on the wire */
	__u16 vlan_tci;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 23); /* room for a 1,024-port, 1,024-VTEP flood (FloodScaleTest) */
} tap_frames SEC(".maps");

/* Hands the frame to the test; returns 0, or -1 when it could not. */
static __always_inline int tap(struct __sk_buff *skb)
{
	struct tap_frame *f = bpf_ringbuf_reserve(&tap_frames, sizeof(*f), 0);
	__u32 len = skb->len;

	if (!f)
		return -1;
	if (len > TAP_MAX)
		len = TAP_MAX;
	f->ifindex = skb->ifindex;
	f->len = skb->len;
	f->vlan_present = skb->vlan_present;
	f->vlan_proto = skb->vlan_proto;
	f->vlan_tci = skb->vlan_tci;
	/* a length the verifier can see is within [1, TAP_MAX] */
	len = ((len - 1) & (TAP_MAX - 1)) + 1;
	if (skb->len == 0 || bpf_skb_load_bytes(skb, 0, f->data, len)) {
		bpf_ringbuf_discard(f, 0);
		return -1;
	}
	bpf_ringbuf_submit(f, 0);
	return 0;
}

/* On the far end of a veth: the frame arrived there; it goes no further. */
SEC("tc")
int tap_ingress(struct __sk_buff *skb)
{
	tap(skb);
	return TC_ACT_SHOT;
}

/*
 * On TC egress of a device the datapath sends to: the frame was handed to the device. STOLEN, so
 * the sender's bpf_clone_redirect/bpf_redirect sees a successful transmit (SHOT would be a drop).
 */
SEC("tc")
int tap_egress(struct __sk_buff *skb)
{
	tap(skb);
	return TC_ACT_STOLEN;
}

/* A sink on TC egress for benchmarks: consumes what the datapath sends there, as a fast NIC would. */
SEC("tc")
int sink_egress(struct __sk_buff *skb)
{
	return TC_ACT_STOLEN;
}
