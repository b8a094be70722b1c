/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Looking up the global configuration and what a VNI derives from it. */
#ifndef XVTEP_CONFIG_H
#define XVTEP_CONFIG_H

#include "xvtep_maps.h"
#include "parse.h"

/* Never NULL for a loaded object (an ARRAY's entry 0 always exists); checked for the verifier. */
static __always_inline struct xvtep_config *config_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&xvtep_config, &zero);
}

/* The VNI's outer source address: its own, else the host's of the VNI's family (zero: none). */
static __always_inline const union vtep_addr *vni_local_ip(const struct vni_cfg *cfg, const struct xvtep_config *gc)
{
	if (!addr_is_zero(&cfg->local))
		return &cfg->local;
	return (cfg->flags & VNI_F_IPV6) ? &gc->local_ip6 : &gc->local_ip;
}

#endif /* XVTEP_CONFIG_H */
