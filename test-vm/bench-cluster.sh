#!/usr/bin/env bash
# Cluster-mode benchmark (prints numbers, asserts nothing; docs/cluster.md records them):
#   1. MAC-move convergence: etcd put of a newer claim -> entry re-pointed in all three hosts' maps
#   2. scale: NODES simulated nodes x PER_NODE endpoints written straight to etcd; time until host 1
#      programmed them all, and the agent's memory before/after
#   test-vm/bench-cluster.sh [MOVES [NODES [PER_NODE]]]   (defaults 50 1000 50)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/cluster.sh"
[ "$(id -u)" = 0 ] || { echo "bench-cluster: needs root" >&2; exit 2; }
fail() { echo "bench-cluster: $*" >&2; return 1; }
MOVES=${1:-50} NODES=${2:-1000} PER_NODE=${3:-50}

lab_init
trap 'lab_down; rm -rf "$LAB_STATE"' EXIT
cluster_three_hosts >/dev/null || exit 1
in_etcd_root() { nsenter --net="/run/netns/$(etcd_ns 1)" "$@"; }
echo "== cluster: MAC-move convergence"
in_etcd_root python3 "$HERE/cluster-bench.py" moves "$(cluster_prefix)" "$(pin_root 1),$(pin_root 2),$(pin_root 3)" "$MOVES"

echo "== cluster: $((NODES * PER_NODE)) simulated endpoints on $NODES nodes"
jvm=$(for p in $(ip netns pids "$(ns_host 1)"); do [ "$(cat /proc/"$p"/comm 2>/dev/null)" = java ] && echo "$p"; done | head -1)
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$jvm/status"; }
metric() { api 1 GET /metrics | awk -v m="$1" '$1 == m {print int($2)}'; }
base=$(metric xvtep_cluster_remote_endpoints)
echo "  host 1 agent RSS before: $(rss) MiB (remote endpoints: $base)"
t0=$(date +%s%N)
in_etcd_root python3 "$HERE/cluster-bench.py" scale "$(cluster_prefix)" "$NODES" "$PER_NODE" 20
t1=$(date +%s%N)
want=$((base + NODES * PER_NODE))
while [ "$(metric xvtep_cluster_remote_endpoints)" -lt "$want" ] && [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt 300 ]; do sleep 0.1; done
t2=$(date +%s%N)
echo "  host 1 programmed $(metric xvtep_cluster_remote_endpoints) remote endpoints: $(( (t2 - t0) / 1000000 )) ms from the first write ($(( (t2 - t1) / 1000000 )) ms after the last)"
echo "  host 1 agent RSS after: $(rss) MiB"
echo "  flood list of VNI 1000 on host 1: $(api 1 GET /api/v1/vnis/1000 | python3 -c 'import sys,json;print(len(json.load(sys.stdin)["flood"]))') VTEPs"
# a restart re-lists everything at once (the initial-sync path, mark-and-sweep)
cluster_agent_kill 1 TERM
ts=$(date +%s%N)
cluster_agent 1 >/dev/null || exit 1
echo "  host 1 restarted: ready (initial sync of $(metric xvtep_cluster_remote_endpoints) endpoints) $(( ($(date +%s%N) - ts) / 1000000 )) ms after start"
grep -h "initial sync" "$LAB_STATE/agent-h1.log" | tail -1 | sed 's/^.* INFO [^:]*: /  agent log: /'
