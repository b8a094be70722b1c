#!/usr/bin/env bash
# Control-plane cost curves (prints numbers; asserts nothing), run by `test-vm/bench scale`:
#
#   for 100k and 1M static FDB entries, each into a fresh agent (default capacities, default heap):
#     bulk load   POST /api/v1/vnis/42/fdb/bulk in requests of 100k entries, first request to last answer
#                 (bodies prepared beforehand; curl reads them from files)
#     RSS         the agent's VmRSS before and after the load, and its heap in use after a full GC (jcmd)
#     /metrics    the median of 10 scrapes (curl's time_total)
#   expected shapes: load time linear in the entries (< 20 s for 1M is the target), /metrics flat (< 50 ms at 1M),
#   RSS flat in the FDB size (entries live in the kernel's maps, not in the agent's heap)
#
# Usage: test-vm/bench-scale.sh [SIZES...]   (default: 100000 1000000)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench-scale: needs root (network namespaces, BPF)" >&2; exit 2; }
[ -f "$XVTEP_ROOT/control-plane/target/xvtep.jar" ] || { echo "bench-scale: build first (mvn -B package)" >&2; exit 2; }

SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100000 1000000)
CHUNK=100000
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# bulk_body FROM COUNT: a bulk body with COUNT static entries, MACs 02:b1:.. from index FROM
bulk_body() {
	awk -v from="$1" -v n="$2" 'BEGIN {
		printf "{\"entries\":["
		for (i = from; i < from + n; i++) {
			printf "%s{\"mac\":\"02:b1:%02x:%02x:%02x:%02x\",\"dst\":\"198.18.0.%d\"}", (i > from ? "," : ""),
				int(i / 16777216) % 256, int(i / 65536) % 256, int(i / 256) % 256, i % 256, 12 + i % 200
		}
		printf "]}"
	}'
}

post_file() { # PATH FILE: POST the file's JSON; prints the HTTP code
	in_host 1 curl -s -o /dev/null -w '%{http_code}' --max-time 600 -H 'Content-Type: application/json' \
		--data-binary "@$2" "http://127.0.0.1:$LAB_API_PORT$1"
}

metrics_ms() { # one /metrics scrape, in ms as curl measures it (its own start-up left out)
	in_host 1 curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$LAB_API_PORT/metrics" |
		awk '{printf "%d", $1 * 1000}'
}

rss_mib() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }

heap_mib() { # heap in use after a full GC (jcmd), i.e. what the agent keeps, not garbage
	jcmd "$1" GC.run >/dev/null 2>&1
	jcmd "$1" GC.heap_info 2>/dev/null | awk '/used/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i + 1); sub(/K.*/, "", v); printf "%d", v / 1024; exit}}'
}

one_size() {
	local n=$1 files=() b code t0 t1 pid
	lab_init
	trap 'lab_down' EXIT
	lab_switch; lab_host 1
	lab_agent 1 >/dev/null || return 1
	pid=$(cat "$LAB_STATE/agent-h1.pid")
	api 1 POST /api/v1/vnis '{"vni":42}' >/dev/null
	local rss0; rss0=$(rss_mib "$pid")
	for ((b = 0; b * CHUNK < n; b++)); do
		files+=("$LAB_STATE/bulk-$b.json")
		bulk_body $((b * CHUNK)) $((n - b * CHUNK < CHUNK ? n - b * CHUNK : CHUNK)) >"${files[-1]}"
	done
	t0=$(now_ms)
	for f in "${files[@]}"; do
		code=$(post_file /api/v1/vnis/42/fdb/bulk "$f")
		[ "$code" = 200 ] || { echo "  bulk POST answered $code" >&2; return 1; }
	done
	t1=$(now_ms)
	rm -f "${files[@]}"
	metrics_ms >/dev/null
	local ms=() i
	for i in $(seq 1 10); do ms+=("$(metrics_ms)"); done
	local med; med=$(printf '%s\n' "${ms[@]}" | sort -n | sed -n 5p)
	sleep 6 # one reaper pass over the full FDB (every 5 s): it counts the entries by type
	local have; have=$(api 1 GET /metrics | awk '/^xvtep_fdb_entries\{type="static"\}/ {printf "%d", $2}')
	printf '| %d | %.1f s | %d entries/s | %d | %d MiB | %d MiB | %d MiB | %d ms |\n' "$n" \
		"$(echo "($t1 - $t0) / 1000" | bc -l)" $(( n * 1000 / (t1 - t0 > 0 ? t1 - t0 : 1) )) "$have" \
		"$rss0" "$(rss_mib "$pid")" "$(heap_mib "$pid")" "$med"
	lab_down
	trap - EXIT
}

echo "== control plane at scale: bulk load, agent memory, /metrics ($(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "| FDB entries | bulk load (requests of $CHUNK) | rate | in the FDB | agent RSS before | RSS after | heap used after | /metrics (median of 10) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${SIZES[@]}"; do one_size "$n"; done
