/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Profile points of the encapsulation path, for `test-vm/bench profile` only: it builds variants of
 * the port object with -DXVTEP_PROF_STAGE=N (return at point N) or -DXVTEP_PROF_SKIP=bits (leave a
 * piece out) and times each under BPF_PROG_TEST_RUN, so each piece's cost is a difference of two
 * runs (docs/benchmarks.md, "Where the encap nanoseconds go"). Both are 0 in the real objects, where
 * every point compiles to nothing.
 */
#ifndef XVTEP_PROF_H
#define XVTEP_PROF_H

#ifndef XVTEP_PROF_STAGE
#define XVTEP_PROF_STAGE 0
#endif
#ifndef XVTEP_PROF_SKIP
#define XVTEP_PROF_SKIP 0
#endif

#define PROF_SKIP_LEARN    (1 << 0) /* no fdb_learn of the source MAC */
#define PROF_SKIP_VALIDATE (1 << 1) /* no hostile-input checks: source MAC, link-local, tags, tunnel MTU, family */
#define PROF_SKIP_FIB      (1 << 2) /* no bpf_fib_lookup: the underlay's own MAC both ways */
#define PROF_SKIP_MTU      (1 << 3) /* no bpf_check_mtu */
#define PROF_SKIP_HASH     (1 << 4) /* no flow hash of our own (skb->hash only) */
#define PROF_SKIP_CLONE    (1 << 5) /* flood copies built and addressed but not cloned out (bpf_clone_redirect) */

/* Return `ret` at profile point `n` (0: never). */
#define PROF_STOP(n, ret) do { if (XVTEP_PROF_STAGE == (n)) return (ret); } while (0)
#define PROF_SKIPS(what)  (XVTEP_PROF_SKIP & (what))

#endif /* XVTEP_PROF_H */
