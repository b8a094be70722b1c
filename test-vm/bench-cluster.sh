#!/usr/bin/env bash
# Cluster-mode benchmark (prints numbers, asserts nothing; docs/cluster.md records them):
#   1. MAC-move convergence: etcd put of a newer claim -> entry re-pointed in all three hosts' maps
#   2. scale: NODES simulated nodes x PER_NODE endpoints written straight to etcd; time until host 1
#      programmed them all, and the agent's memory before/after
#   3. MAC-move convergence again with TLS (client certificates) and authentication on (etcd-secure)
#   4. a MAC spray of SPRAY source MACs in one container on that cluster: claims, etcd writes and
#      transactions, writes/s from the first frame until the claims in etcd stop changing
#   test-vm/bench-cluster.sh [MOVES [NODES [PER_NODE [SPRAY]]]]   (defaults 50 1000 50 300000)
#   BENCH_CLUSTER_PARTS="moves scale secure" (default: all four; secure includes the spray)
#   BENCH_CLUSTER_VNIS=N: the simulated endpoints spread over N VNIs (default 20; 1: one flood list of NODES VTEPs)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/cluster.sh"
. "$HERE/cluster-secure.sh"
. "$HERE/hostile.sh"
[ "$(id -u)" = 0 ] || { echo "bench-cluster: needs root" >&2; exit 2; }
fail() { echo "bench-cluster: $*" >&2; return 1; }
MOVES=${1:-50} NODES=${2:-1000} PER_NODE=${3:-50} SPRAY=${4:-300000}
PARTS=${BENCH_CLUSTER_PARTS:-moves scale secure}
VNIS=${BENCH_CLUSTER_VNIS:-20} # the simulated endpoints' VNIs: a VNI's flood list holds NODES/VNIS VTEPs
part() { [[ " $PARTS " == *" $1 "* ]]; }

lab_init
trap 'lab_down; rm -rf "$LAB_STATE"' EXIT
cluster_three_hosts >/dev/null || exit 1
in_etcd_root() { nsenter --net="/run/netns/$(etcd_ns 1)" "$@"; }
if part moves; then
echo "== cluster: MAC-move convergence"
in_etcd_root python3 "$HERE/cluster-bench.py" moves "$(cluster_prefix)" "$(pin_root 1),$(pin_root 2),$(pin_root 3)" "$MOVES"
fi

if part scale; then
echo "== cluster: $((NODES * PER_NODE)) simulated endpoints on $NODES nodes"
jvm=$(for p in $(ip netns pids "$(ns_host 1)"); do [ "$(cat /proc/"$p"/comm 2>/dev/null)" = java ] && echo "$p"; done | head -1)
rss() { rss_mib "$jvm"; }
heap() { heap_mib "$jvm"; } # after a full GC: what the agent keeps
metric() { api 1 GET /metrics | awk -v m="$1" '$1 == m {print int($2)}'; }
base=$(metric xvtep_cluster_remote_endpoints)
rss0=$(rss) heap0=$(heap)
echo "  host 1 agent RSS before: $rss0 MiB, heap in use $heap0 MiB (remote endpoints: $base)"
# host 1 takes every endpoint: its VNIs without a learning limit of their own (maxaddress also caps the
# entries programmed from other nodes in a VNI: docs/cluster.md, "Receiving caps")
for v in $(seq 1000 $((1000 + VNIS - 1))); do api 1 POST /api/v1/vnis "{\"vni\":$v,\"maxaddress\":0}" >/dev/null; done
t0=$(date +%s%N)
in_etcd_root python3 "$HERE/cluster-bench.py" scale "$(cluster_prefix)" "$NODES" "$PER_NODE" "$VNIS"
t1=$(date +%s%N)
want=$((base + NODES * PER_NODE))
while [ "$(metric xvtep_cluster_remote_endpoints)" -lt "$want" ] && [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt 300 ]; do sleep 0.1; done
t2=$(date +%s%N)
echo "  host 1 programmed $(metric xvtep_cluster_remote_endpoints) remote endpoints: $(( (t2 - t0) / 1000000 )) ms from the first write ($(( (t2 - t1) / 1000000 )) ms after the last)"
rss1=$(rss) heap1=$(heap)
echo "  host 1 agent RSS after: $rss1 MiB, heap in use $heap1 MiB: per remote endpoint $(( (rss1 - rss0) * 1048576 / (NODES * PER_NODE) )) B of RSS, $(( (heap1 - heap0) * 1048576 / (NODES * PER_NODE) )) B of heap"
echo "  flood list of VNI 1000 on host 1: $(api 1 GET /api/v1/vnis/1000 | python3 -c 'import sys,json;print(len(json.load(sys.stdin)["flood"]))') VTEPs"
# a restart re-lists everything at once (the initial-sync path, mark-and-sweep)
cluster_agent_kill 1 TERM
ts=$(date +%s%N)
cluster_agent 1 >/dev/null || exit 1
echo "  host 1 restarted: ready (initial sync of $(metric xvtep_cluster_remote_endpoints) endpoints) $(( ($(date +%s%N) - ts) / 1000000 )) ms after start"
grep -h "initial sync" "$LAB_STATE/agent-h1.log" | tail -1 | sed 's/^.* INFO [^:]*: /  agent log: /'
fi

if part secure; then
lab_down
lab_init
cluster_secure_setup 1 >/dev/null || exit 1
cluster_three_hosts "$(etcd_url 1)" >/dev/null || exit 1
echo "== cluster: MAC-move convergence with TLS (client certificates) and authentication on"
in_etcd_root env ETCD="$(etcd_url 1)" ETCD_CACERT="$ETCD_TLS/ca.pem" ETCD_CERT="$ETCD_TLS/gateway.pem" \
	ETCD_KEY="$ETCD_TLS/gateway-key.pem" ETCD_TOKEN="$(etcd_token 1 root)" \
	python3 "$HERE/cluster-bench.py" moves "$(cluster_prefix)" "$(pin_root 1),$(pin_root 2),$(pin_root 3)" "$MOVES"
echo "== cluster: MAC spray, $SPRAY source MACs from one container (TLS and authentication on)"
m() { api 1 GET /metrics | awk -v n="$1" '$1 == n {print int($2)}'; }
claims() { etcd_count_prefix "$(cluster_prefix)/v2/endpoints/h1/42/02:ee:"; }
w0=$(m xvtep_cluster_claim_writes_total); x0=$(m xvtep_cluster_claim_txns_total)
# host 1's claim writes and transactions sampled every second during the spray: the peak rate etcd sees
( while :; do echo "$(date +%s%N) $(m xvtep_cluster_claim_writes_total) $(m xvtep_cluster_claim_txns_total)"; sleep 1; done ) \
	>"$LAB_STATE/spray-rate" 2>/dev/null &
sampler=$!
t0=$(date +%s%N)
send_raw 1 1 "$SPRAY" "    f = b'\xff' * 6 + bytes([2, 0xee, (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255]) + b'\x88\xb5' + bytes(46)"
t1=$(date +%s%N)
prev=-1; tl=$t1
while :; do c=$(claims); [ "$c" = "$prev" ] && break; prev=$c; tl=$(date +%s%N); sleep 1; done
w1=$(m xvtep_cluster_claim_writes_total); x1=$(m xvtep_cluster_claim_txns_total)
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
ms=$(( (tl - t0) / 1000000 ))
echo "  frames sent in $(( (t1 - t0) / 1000000 )) ms; host 1 learned $(api 1 GET /api/v1/vnis/42/stats | jq .learned)" \
	"(refused $(api 1 GET /api/v1/vnis/42/stats | jq .learn_refused)); $prev claims in etcd"
awk -v w=$((w1 - w0)) -v x=$((x1 - x0)) -v ms="$ms" 'BEGIN {s = (ms > 0 ? ms : 1) / 1000;
	printf "  host 1 wrote %d claims in %d transactions (%.0f per transaction) within %.1f s of the first frame: " \
		"%.1f claim writes/s, %.2f etcd transactions/s\n", w, x, (x ? w / x : 0), s, w / s, x / s}'
awk 'NR > 1 && $1 > t {d = ($1 - t) / 1e9; w = ($2 - pw) / d; x = ($3 - px) / d; if (w > mw) {mw = w; mx = x}}
	{t = $1; pw = $2; px = $3} END {printf "  peak over one sampling interval (~1 s): %.0f claim writes/s in %.1f etcd transactions/s" \
		" (bounded: at most 4 transactions of <= 128 writes in flight)\n", mw, mx}' "$LAB_STATE/spray-rate"
for n in 2 3; do echo "  host $n: $(cluster_fdb "$n" 42 | grep -c '^02:ee:.* cluster$') cluster entries, $(cluster_fdb "$n" 42 | grep -c '^02:ee:') entries in all for the sprayed MACs"; done
fi
