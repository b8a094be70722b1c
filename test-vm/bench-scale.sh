#!/usr/bin/env bash
# Cost curves (print numbers; assert nothing), run by `test-vm/bench scale`, written into docs/benchmarks.md
# (between the bench-scale markers) with a chart, docs/benchmarks-scale.png:
#
#   datapath    ScaleBench (BPF_PROG_TEST_RUN): encap/decap ns per frame with 1k, 100k and 1M FDB entries
#               (frames to 512 MACs spread over the table); flood ns per frame for 1, 64, 256 and 1,024 VTEPs
#   agent       for 100k and 1M static FDB entries, each into a fresh agent (default capacities and heap):
#     bulk load   POST /api/v1/vnis/42/fdb/bulk in requests of 100k entries, first request to last answer
#                 (bodies prepared beforehand; curl reads them from files)
#     RSS         the agent's VmRSS before and after the load, and its heap in use after a full GC (jcmd)
#     /metrics    the median of 10 scrapes (curl's time_total)
#   each curve is printed with the shape it should have and whether it has it
#
# Usage: test-vm/bench-scale.sh [--no-doc] [SIZES...]   (default sizes: 100000 1000000)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench-scale: needs root (network namespaces, BPF)" >&2; exit 2; }
[ -f "$XVTEP_ROOT/control-plane/target/xvtep.jar" ] || { echo "bench-scale: build first (mvn -B package)" >&2; exit 2; }

DOC=1
[ "${1:-}" = --no-doc ] && { DOC=0; shift; }
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100000 1000000)
RES=$(mktemp -d)
CHUNK=100000

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

# ScaleBench from bpf's test classes: the reactor resolves the loader from loader/target/classes, so this
# works right after `./run.sh setup` without anything installed in the local Maven repository.
datapath_curves() {
	local cp; cp=$(mktemp)
	(cd "$XVTEP_ROOT" && mvn -B -q -pl loader,bpf -am test-compile dependency:build-classpath -DskipTests \
		-Dmdep.includeScope=test -Dmdep.outputFile="$cp" >/dev/null)
	java -cp "$XVTEP_ROOT/bpf/target/test-classes:$XVTEP_ROOT/bpf/target/classes:$(cat "$cp")" io.xvtep.datapath.ScaleBench
	rm -f "$cp"
}

START=$(date -u +%Y-%m-%dT%H:%MZ)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== datapath cost curves"
datapath_curves | tee "$RES/datapath.md"
echo
echo "== control plane at scale: bulk load, agent memory, /metrics ($(nproc) CPUs; load average $LOAD0)"
{
	echo "| FDB entries | bulk load (requests of $CHUNK) | rate | in the FDB | agent RSS before | RSS after | heap used after | /metrics (median of 10) |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
	for n in "${SIZES[@]}"; do one_size "$n"; done
} | tee "$RES/agent.md"

# the shapes: each curve against what it should look like
col() { # FILE ROW-KEY COLUMN: a table cell as a number (thousands separators and units dropped)
	awk -F'|' -v k="$2" -v c="$3" '{ key = $2; gsub(/[ ,]/, "", key) } key == k { v = $(c + 2); gsub(/[^0-9.]/, "", v); print v; exit }' "$1"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v r="$1" -v lim="$2" 'BEGIN { print (r != "n/a" && r + 0 <= lim + 0) ? "yes" : "no" }'; }
shapes() {
	local d="$RES/datapath.md" a="$RES/agent.md" e1 e2 d1 d2 f64 f1024 big small r
	e1=$(col "$d" 1000 1); e2=$(col "$d" 1000000 1); d1=$(col "$d" 1000 2); d2=$(col "$d" 1000000 2)
	r=$(ratio "$e2" "$e1"); echo "- encap ns/frame, flat in the FDB size (target: 1M within 1.5x of 1k): 1M/1k = ${r}x: $(verdict "$r" 1.5)"
	r=$(ratio "$d2" "$d1"); echo "- decap (TC) ns/frame, flat in the FDB size: 1M/1k = ${r}x: $(verdict "$r" 1.5)"
	f64=$(col "$d" 64 2); f1024=$(col "$d" 1024 2)
	r=$(ratio "$f1024" "$f64"); echo "- flood ns per copy, flat (the frame's cost linear in the VTEPs): 1024/64 = ${r}x: $(verdict "$r" 1.5)"
	small=${SIZES[0]}; big=${SIZES[-1]}
	if [ "$small" != "$big" ]; then
		local ts tb ms mb
		ts=$(col "$a" "$small" 1); tb=$(col "$a" "$big" 1); ms=$(col "$a" "$small" 7); mb=$(col "$a" "$big" 7)
		r=$(ratio "$(awk -v t="$tb" -v n="$big" 'BEGIN{print t / n}')" "$(awk -v t="$ts" -v n="$small" 'BEGIN{print t / n}')")
		echo "- bulk load, linear in the entries: seconds per entry at $big / at $small = ${r}x: $(verdict "$r" 1.5); $big entries in $tb s (target < 20 s for 1M): $(verdict "$tb" 20)"
		r=$(ratio "$mb" "$ms"); echo "- /metrics, flat in the FDB size: $big/$small = ${r}x ($mb ms; target < 50 ms at 1M): $(verdict "$mb" 50)"
		echo "- agent RSS and heap, flat in the FDB size (the entries live in the kernel's maps): $(col "$a" "$small" 5) -> $(col "$a" "$big" 5) MiB RSS, $(col "$a" "$small" 6) -> $(col "$a" "$big" 6) MiB heap"
	fi
}
echo
shapes | tee "$RES/shapes.md"

chart() { # two panels: ns/frame against the FDB size, flood ns/frame against the VTEPs
	command -v gnuplot >/dev/null || { echo "no gnuplot: no chart" >&2; return 1; }
	awk -F'|' '/^\| [0-9]/ && NF == 6 { n = $2; gsub(/[ ,]/, "", n); print n, $3 + 0, $4 + 0, $5 + 0 }' "$RES/datapath.md" >"$RES/fdb.dat"
	awk -F'|' '/^\| [0-9]/ && NF == 5 { n = $2; gsub(/[ ,]/, "", n); print n, $3 + 0, $4 + 0 }' "$RES/datapath.md" >"$RES/flood.dat"
	gnuplot <<GP
set terminal pngcairo size 1000,420 noenhanced
set output "$1"
set multiplot layout 1,2 title "xvtep cost curves ($START, BPF_PROG_TEST_RUN)"
set logscale x
set grid
set key top left
set xlabel "FDB entries"
set ylabel "ns per frame"
set yrange [0:*]
plot "$RES/fdb.dat" using 1:2 with linespoints title "encap (TC)", "" using 1:3 with linespoints title "decap (TC)", "" using 1:4 with linespoints title "decap (XDP)"
unset logscale x
set logscale xy
set xlabel "flood destinations (VTEPs)"
set ylabel "ns per flooded frame"
set yrange [*:*]
plot "$RES/flood.dat" using 1:2 with linespoints title "flood", "" using 1:(\$1 * 200) with lines dt 2 title "linear (200 ns per copy)"
unset multiplot
GP
}

if [ "$DOC" = 1 ]; then
	DOCF="$XVTEP_ROOT/docs/benchmarks.md"
	GEN=$(
		echo "<!-- bench-scale: generated by test-vm/bench-scale.sh; the text outside these markers is hand-written -->"
		echo "Command: \`test-vm/bench scale\`  "
		echo "Date: $START  "
		echo "Kernel: $(uname -r); load average before: $LOAD0, at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs  "
		echo
		cat "$RES/datapath.md"
		echo
		cat "$RES/agent.md"
		echo
		echo "Shapes (expected, and whether the run has it):"
		echo
		cat "$RES/shapes.md"
		echo
		echo "![cost curves](benchmarks-scale.png)"
		echo "<!-- bench-scale: end -->"
	)
	if grep -q '^<!-- bench-scale: generated' "$DOCF"; then
		awk -v gen="$GEN" '
			/^<!-- bench-scale: generated/ { print gen; skip = 1; next }
			/^<!-- bench-scale: end -->/ { skip = 0; next }
			!skip { print }' "$DOCF" >"$DOCF.tmp" && mv "$DOCF.tmp" "$DOCF"
	else
		{ echo; echo "## Scale: cost curves"; echo; echo "$GEN"; } >>"$DOCF"
	fi
	chart "$XVTEP_ROOT/docs/benchmarks-scale.png" && echo "wrote docs/benchmarks-scale.png"
	echo "wrote $DOCF"
fi
rm -rf "$RES"
