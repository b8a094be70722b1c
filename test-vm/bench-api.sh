#!/usr/bin/env bash
# Control-plane benchmark (prints numbers; asserts nothing), run by `test-vm/bench api`:
#
#   bulk FDB   POST /api/v1/vnis/42/fdb/bulk with 100k static entries: as one request, as
#              10 x 10k and as 100 x 1k (the VNI is deleted and created again between runs,
#              which times the flush of 100k entries too); then GET of the 100k entries and
#              one /metrics scrape with them in the FDB
#   single     1000 POST /api/v1/vnis/42/fdb over one keep-alive connection
#   storm      learn-event -> agent latency from xvtep_event_latency_seconds (p50/p99 by
#              histogram_quantile of its buckets) during learning storms driven by
#              BPF_PROG_TEST_RUN (control-plane LearningStormIT): paced at 20k events/s, then
#              as fast as two injector threads go
#
# Usage: test-vm/bench-api.sh [--no-storm]
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench-api: needs root (network namespaces, BPF)" >&2; exit 2; }
[ -f "$XVTEP_ROOT/control-plane/target/xvtep.jar" ] || { echo "bench-api: build first (mvn -B package)" >&2; exit 2; }

N=100000

# entries FROM COUNT: a bulk body with COUNT static entries, MACs 02:b0:.. from index FROM
bulk_body() {
	awk -v from="$1" -v n="$2" 'BEGIN {
		printf "{\"entries\":["
		for (i = from; i < from + n; i++) {
			printf "%s{\"mac\":\"02:b0:%02x:%02x:%02x:%02x\",\"dst\":\"198.18.0.12\"}", (i > from ? "," : ""),
				int(i / 16777216) % 256, int(i / 65536) % 256, int(i / 256) % 256, i % 256
		}
		printf "]}"
	}'
}

post_file() { # PATH FILE: POST the file's JSON; prints the HTTP code
	in_host 1 curl -s -o /dev/null -w '%{http_code}' --max-time 300 -H 'Content-Type: application/json' \
		--data-binary "@$2" "http://127.0.0.1:$LAB_API_PORT$1"
}

fresh_vni() {
	api 1 DELETE /api/v1/vnis/42 >/dev/null 2>&1 || true
	api 1 POST /api/v1/vnis '{"vni":42}' >/dev/null
}

bulk_run() { # BATCHES SIZE
	local batches=$1 size=$2 b code t0 t1 files=()
	for ((b = 0; b < batches; b++)); do
		files+=("$LAB_STATE/bulk-$size-$b.json")
		bulk_body $((b * size)) "$size" >"${files[-1]}"
	done
	t0=$(now_ms)
	for f in "${files[@]}"; do
		code=$(post_file /api/v1/vnis/42/fdb/bulk "$f")
		[ "$code" = 200 ] || { echo "  bulk POST answered $code" >&2; return 1; }
	done
	t1=$(now_ms)
	rm -f "${files[@]}"
	local n; n=$(api 1 GET '/api/v1/vnis/42/fdb?type=static' | jq length)
	printf '| bulk POST, %d x %d entries (one curl process each) | %d ms | %d entries/s | %d in the FDB |\n' "$batches" "$size" \
		$((t1 - t0)) $(( batches * size * 1000 / (t1 - t0 > 0 ? t1 - t0 : 1) )) "$n"
}

bench_api() {
	lab_init
	trap 'lab_down' EXIT
	lab_switch; lab_host 1
	lab_agent 1 >/dev/null || return 1
	fresh_vni
	echo "== control plane: API ($N FDB entries; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg))"
	echo "| what | time | rate | check |"
	echo "|---|---|---|---|"
	bulk_run 1 $N
	local t0 t1 n
	t0=$(now_ms); n=$(api 1 GET /api/v1/vnis/42/fdb | jq length); t1=$(now_ms)
	printf '| GET /api/v1/vnis/42/fdb | %d ms | %d entries/s | %d entries |\n' $((t1 - t0)) $((n * 1000 / (t1 - t0 + 1))) "$n"
	t0=$(now_ms); api 1 GET /metrics >/dev/null; t1=$(now_ms)
	printf '| GET /metrics with %d FDB entries | %d ms | | |\n' "$n" $((t1 - t0))
	t0=$(now_ms); api 1 DELETE /api/v1/vnis/42 >/dev/null; t1=$(now_ms)
	printf '| DELETE /api/v1/vnis/42 (flushes %d entries) | %d ms | %d entries/s | |\n' "$n" $((t1 - t0)) $((n * 1000 / (t1 - t0 + 1)))
	api 1 POST /api/v1/vnis '{"vni":42}' >/dev/null
	bulk_run 10 $((N / 10))
	fresh_vni
	bulk_run 100 $((N / 100))
	fresh_vni

	# 1000 single POSTs on one connection (curl --next keeps it alive)
	local cfg="$LAB_STATE/single.curl" i
	for ((i = 0; i < 1000; i++)); do
		[ "$i" = 0 ] || echo next
		printf 'url = "http://127.0.0.1:%s/api/v1/vnis/42/fdb"\nrequest = "POST"\nheader = "Content-Type: application/json"\ndata = "{\\"mac\\":\\"02:c0:00:00:%02x:%02x\\",\\"dst\\":\\"198.18.0.12\\"}"\noutput = "/dev/null"\n' \
			"$LAB_API_PORT" $((i / 256)) $((i % 256))
	done >"$cfg"
	t0=$(now_ms); in_host 1 curl -s -K "$cfg"; t1=$(now_ms)
	n=$(api 1 GET '/api/v1/vnis/42/fdb?type=static' | jq length)
	printf '| 1000 single POST .../fdb, one connection | %d ms | %d entries/s | %d in the FDB |\n' $((t1 - t0)) \
		$((1000 * 1000 / (t1 - t0 + 1))) "$n"
	lab_down
	trap - EXIT
}

bench_storm() {
	echo
	echo "== learn events -> agent (LearningStormIT; STORM lines)"
	local args=(-B -o -q -pl control-plane verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
		-Dit.test=LearningStormIT -Dxvtep.storm.minrate=0)
	echo "-- paced: 1 injector thread, 20000 events/s, 100000 events"
	(cd "$XVTEP_ROOT" && mvn "${args[@]}" -Dxvtep.storm.n=100000 -Dxvtep.storm.threads=1 -Dxvtep.storm.pace=20000 2>&1) |
		grep '^STORM' | grep -v 'overflow\|deleting'
	echo "-- unpaced: 2 injector threads, 250000 events"
	(cd "$XVTEP_ROOT" && mvn "${args[@]}" -Dxvtep.storm.n=250000 -Dxvtep.storm.threads=2 2>&1) | grep '^STORM'
}

bench_api
[ "${1:-}" = --no-storm ] || bench_storm
