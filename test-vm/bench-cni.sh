#!/usr/bin/env bash
# CNI plugin benchmark (prints numbers, asserts nothing):
#   - ADD and DEL latency (p50/p99/max over COUNT containers, in batches of 50) of the xvtep plugin
#     with its agent running, and of the reference `bridge` plugin on the same host, same run;
#     both called exactly as a runtime calls them (test-vm/cni-bench.py);
#   - time from `podman run` to the container's first successful ping: across hosts with xvtep
#     (cluster mode: nothing configured by hand), and on one host with podman's own bridge plugin.
#
#   test-vm/bench cni [--count N] [--runs N] [--no-doc]
# Writes its table into docs/benchmarks.md (between the bench-cni markers) unless --no-doc.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=cluster.sh
. "$HERE/cluster.sh"
# shellcheck source=cni.sh
. "$HERE/cni.sh"

COUNT=200 RUNS=10 DOC=1
while [ $# -gt 0 ]; do
	case $1 in
	--count) COUNT=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--no-doc) DOC=0; shift ;;
	*) echo "usage: test-vm/bench cni [--count N] [--runs N] [--no-doc]" >&2; exit 2 ;;
	esac
done
fail() { echo "bench cni: $*" >&2; return 1; }
now_us() { date +%s%6N; }

lab_init
trap 'lab_down' EXIT
START=$(date -u +%Y-%m-%dT%H:%MZ)
echo "== CNI: $COUNT ADD/DEL per plugin, $RUNS podman runs per network (prefix $LAB_P)"
lab_switch
etcd_single || exit 1
for n in 1 2; do lab_host "$n"; done
for n in 1 2; do cluster_agent "$n" "$(etcd_url 1)" || exit 1; done
api 1 POST /api/v1/vnis '{"vni":42,"learning":false,"proxy":true}' >/dev/null || exit 1
wait_for 10 has_vni 2 42 || { echo "VNI 42 did not reach host 2" >&2; exit 1; }

# ---------------------------------------------------------------- ADD/DEL latency
D="$LAB_STATE/latency"
mkdir -p "$D"
cat >"$D/xvtep.json" <<JSON
{"cniVersion":"1.0.0","name":"blue","type":"xvtep","vni":42,"agent":"http://127.0.0.1:$LAB_API_PORT","dataDir":"$D/xvtep",
 "ipam":{"type":"host-local","subnet":"10.20.0.0/16","dataDir":"$D/ipam"}}
JSON
cat >"$D/bridge.json" <<JSON
{"cniVersion":"1.0.0","name":"br","type":"bridge","bridge":"xvbr0","isGateway":false,"ipMasq":false,
 "ipam":{"type":"host-local","subnet":"10.30.0.0/16","dataDir":"$D/ipam"}}
JSON
latency() { # latency CONF COUNT [AGENT_PID] -> "add_p50=.. ..."
	in_host 1 python3 "$HERE/cni-bench.py" "$1" "$CNI_BIN_DIR:/usr/lib/cni" "$LAB_P-b" "$2" 50 ${3:+"$3"}
}
declare -A L
AGENT_PID=$(cat "$LAB_STATE/agent-h1.pid")
for p in xvtep bridge; do
	latency "$D/$p.json" 20 >/dev/null || exit 1 # warm-up (the agent's JIT, page cache)
	L[$p]=$(latency "$D/$p.json" "$COUNT" "$([ "$p" = xvtep ] && echo "$AGENT_PID")") || exit 1
	echo "  $p: ${L[$p]}"
done
lget() { grep -o "$2=[0-9.]*" <<<"${L[$1]}" | cut -d= -f2; }
STEPS=$(for s in vni veth port ipam agent container done; do printf '%s %s ms, ' "$s" "$(lget xvtep "step_$s")"; done)
STEPS=${STEPS%, }

# ---------------------------------------------------------------- podman run -> first ping
for n in 1 2; do cni_host "$n" || exit 1; cni_network "$n" blue 42; done
cat >"$(cni_dir 1)/net.d/br.conflist" <<JSON
{"cniVersion":"1.0.0","name":"br","plugins":[{"type":"bridge","bridge":"xvbr1","isGateway":false,"ipMasq":false,
 "ipam":{"type":"host-local","subnet":"10.30.0.0/16","dataDir":"$(cni_dir 1)/ipam"}}]}
JSON
cni_run 2 target blue || { echo "podman run on host 2 failed" >&2; exit 1; }
cni_run 1 target-br br || { echo "podman run (bridge) failed" >&2; exit 1; }
T_XV=$(cni_ip 2 target); T_BR=$(cni_ip 1 target-br)
# the container prints the microsecond at which its first ping got an answer
probe() { echo "until ping -c 1 -W 1 $1 >/dev/null 2>&1; do :; done; adjtimex | awk '/tv_sec/{s=\$2} /tv_usec/{u=\$2} END{printf \"%d%06d\\n\", s, u}'"; }
declare -A P R
for net in blue br; do
	target=$T_XV; [ "$net" = br ] && target=$T_BR
	pings=() totals=()
	for i in $(seq 1 "$RUNS"); do
		t0=$(now_us)
		out=$(pm 1 run --rm --network "$net" --cap-add NET_RAW localhost/bb:1 sh -c "$(probe "$target")" 2>>"$(cni_dir 1)/podman.log")
		t1=$(now_us)
		[[ $out =~ ^[0-9]+$ ]] || { echo "run $i on $net: '$out'" >&2; exit 1; }
		pings+=($(((out - t0) / 1000))); totals+=($(((t1 - t0) / 1000)))
	done
	P[$net]=$(printf '%s\n' "${pings[@]}" | sort -n | awk '{a[NR]=$1} END{printf "%d %d %d", a[int((NR+1)/2)], a[1], a[NR]}')
	R[$net]=$(printf '%s\n' "${totals[@]}" | sort -n | awk '{a[NR]=$1} END{printf "%d", a[int((NR+1)/2)]}')
	echo "  podman run -> first ping ($net): median/min/max ${P[$net]// //} ms; run -> exit median ${R[$net]} ms"
done
pf() { cut -d' ' -f"$2" <<<"${P[$1]}"; }

TABLE=$(
	echo "| | xvtep (agent running) | bridge (reference) |"
	echo "|---|---|---|"
	echo "| ADD p50 / p99 / max (ms) | $(lget xvtep add_p50) / $(lget xvtep add_p99) / $(lget xvtep add_max) | $(lget bridge add_p50) / $(lget bridge add_p99) / $(lget bridge add_max) |"
	echo "| DEL p50 / p99 / max (ms) | $(lget xvtep del_p50) / $(lget xvtep del_p99) / $(lget xvtep del_max) | $(lget bridge del_p50) / $(lget bridge del_p99) / $(lget bridge del_max) |"
	echo "| CPU per ADD / DEL, plugin + IPAM, median (ms) | $(lget xvtep add_cpu) / $(lget xvtep del_cpu) | $(lget bridge add_cpu) / $(lget bridge del_cpu) |"
	echo "| agent CPU per ADD + DEL (ms) | $(lget xvtep agent_cpu) | – |"
	echo "| \`podman run\` → first ping, median (min–max) ms | $(pf blue 1) ($(pf blue 2)–$(pf blue 3)), across hosts | $(pf br 1) ($(pf br 2)–$(pf br 3)), same host |"
	echo "| \`podman run\` → container exit, median ms | ${R[blue]} | ${R[br]} |"
)
echo
echo "$TABLE"
echo "xvtep ADD by step (medians): $STEPS"
if [ "$DOC" = 1 ]; then
	DOCF="$XVTEP_ROOT/docs/benchmarks.md"
	GEN=$(
		echo "<!-- bench-cni: generated by test-vm/bench-cni.sh; the text outside these markers is hand-written -->"
		echo "Command: \`test-vm/bench cni --count $COUNT --runs $RUNS\`  "
		echo "Date: $START  "
		echo "Kernel: $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs  "
		echo
		echo "$TABLE"
		echo
		echo "xvtep ADD by step (medians, in order; \`vni\` includes the plugin's start, \`port\` is port + FDB entry, \`ipam\` the wait for the IPAM plugin that ran meanwhile, \`agent\` the neighbours): $STEPS."
		echo "<!-- bench-cni: end -->"
	)
	if grep -q '^<!-- bench-cni: generated' "$DOCF"; then
		awk -v gen="$GEN" '
			/^<!-- bench-cni: generated/ { print gen; skip = 1; next }
			/^<!-- bench-cni: end -->/ { skip = 0; next }
			!skip { print }' "$DOCF" >"$DOCF.tmp" && mv "$DOCF.tmp" "$DOCF"
	else
		printf '\n## CNI plugin: ADD/DEL latency, podman run to first ping\n\n%s\n' "$GEN" >>"$DOCF"
	fi
	echo "bench cni: table written to docs/benchmarks.md"
fi
