/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* The datapath's clock: one reading per frame, shared by learning, ageing and the outer-header cache. */
#ifndef XVTEP_CLOCK_H
#define XVTEP_CLOCK_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/*
 * CLOCK_MONOTONIC at tick resolution (the timekeeper's last tick, where bpf_ktime_get_ns reads the
 * clock source: 40-80 ns per call in a VM, docs/benchmarks.md "Decap profile"). What it times is
 * compared in seconds (ageing, the 1 s learning refresh, the 1 s outer-header cache age), so a tick is
 * plenty; comparisons are signed, as a coarse reading may lag a precise one written elsewhere (the agent,
 * the tests: CLOCK_MONOTONIC at full resolution).
 */
static __always_inline __u64 fdb_clock(void)
{
	return bpf_ktime_get_coarse_ns();
}

#endif /* XVTEP_CLOCK_H */
