/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* VLAN tags of a port's frame: they go inside the inner frame, never on the outer one. */
#ifndef XVTEP_ENCAP_TAGS_H
#define XVTEP_ENCAP_TAGS_H

#include "parse.h"

#define VLAN_TAG_LEN  4
#define VX_MAX_TAGS   2 /* 802.1ad over 802.1Q */

/*
 * A tag the port's veth took out of the frame (skb->vlan_tci) belongs inside the inner frame:
 * left in the metadata it would go out on the underlay's outer header (bpf_redirect keeps it),
 * letting a tenant pick the VLAN of its tunnel traffic. Pops up to VX_MAX_TAGS (popping one
 * moves the next in-band tag into the metadata) and returns them, outer first, as they go on
 * the wire (TPID, TCI); -1 if the kernel refused or more tags are stacked.
 */
static __always_inline int vx_take_tags(struct __sk_buff *skb, __be32 *tags)
{
	int n = 0;

	for (int i = 0; i < VX_MAX_TAGS; i++) {
		if (!skb->vlan_present)
			break;
		tags[i] = bpf_htonl(bpf_ntohs((__u16)skb->vlan_proto) << 16 | (skb->vlan_tci & 0xffff));
		if (bpf_skb_vlan_pop(skb))
			return -1;
		n++;
	}
	return skb->vlan_present ? -1 : n;
}

#endif /* XVTEP_ENCAP_TAGS_H */
