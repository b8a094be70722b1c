#!/usr/bin/env bash
# What the traffic benchmarks (bench-net.sh, bench-decap.sh, bench-hostile.sh) share, sourced after lib.sh:
# the agent jar snapshot, link and veth-XDP counters, the traffic generator's lifetime, and the
# generated-table plumbing. Each bench keeps only its topology, its columns and its measurement.

log() { printf '%s\n' "$*" >&2; }

# snapshot_agent DIR: copy the agent jar into DIR once for the whole run and point XVTEP_BIN at it, so a
# rebuild in the work tree meanwhile (mvn package replaces control-plane/target/xvtep.jar) cannot break
# or change the agents mid-run. Fails when no jar is built or installed.
snapshot_agent() {
	local dir=$1 jar
	for jar in ${XVTEP_JAR:-} "$XVTEP_ROOT/control-plane/target/xvtep.jar" /usr/local/lib/xvtep/xvtep.jar; do
		[ -f "$jar" ] || continue
		cp "$jar" "$dir/xvtep.jar"
		printf '#!/bin/sh\nexec java ${XVTEP_JAVA_OPTS:-} -jar "%s" "$@"\n' "$dir/xvtep.jar" >"$dir/xvtep"
		chmod +x "$dir/xvtep"
		XVTEP_BIN=$dir/xvtep
		return 0
	done
	return 1
}

# link counters read with `ip -n` (netlink, so per namespace without remounting /sys): NS DEV rx|tx
ctr_pkts() { ip -n "$1" -j -s link show "$2" | jq ".[0].stats64.$3.packets"; }
ctr_bytes() { ip -n "$1" -j -s link show "$2" | jq ".[0].stats64.$3.bytes"; }
ctr_drops() { ip -n "$1" -j -s link show "$2" | jq ".[0].stats64.$3.dropped"; }

# xdp_counters NS DEV: the veth's XDP counters ("name value" lines, summed over queues, sorted)
xdp_counters() {
	ip netns exec "$1" ethtool -S "$2" 2>/dev/null |
		awk -F: '/xdp/ { k = $1; sub(/^ *rx_queue_[0-9]+_/, "", k); sub(/^ +/, "", k); s[k] += $2 } END { for (k in s) print k, s[k] }' |
		sort
}
# xdp_delta BEFORE AFTER: the non-zero differences of two xdp_counters outputs, on one line
xdp_delta() { awk 'NR == FNR { a[$1] = $2; next } { d = $2 - a[$1]; if (d) { printf "%s%s=%d", sep, $1, d; sep = " " } } END { print "" }' "$1" "$2"; }

# start_trafgen NS DEV CONF LOG: trafgen in its own process group (it forks a worker, and both must be
# stoppable by one pid), from one CPU. Prints the group's pid once the device's tx counter moves
# (polled: a loaded machine starts it slowly); fails, with trafgen's last words, if it exits.
start_trafgen() {
	local ns=$1 dev=$2 conf=$3 out=$4 pid tx0 i
	tx0=$(ctr_pkts "$ns" "$dev" tx)
	setsid ip netns exec "$ns" trafgen --dev "$dev" --conf "$conf" --no-sock-mem -P 1 -C >"$out" 2>&1 &
	pid=$!
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || { log "trafgen exited:"; tail -n 5 "$out" >&2; return 1; }
		[ "$(ctr_pkts "$ns" "$dev" tx)" -gt $((tx0 + 1000)) ] && { echo "$pid"; return 0; }
		sleep 0.1
	done
	echo "$pid"
}

# stop_group PID: stop a process group this script started (its leader's pid), INT first, KILL after 3 s
stop_group() {
	local pid=$1
	kill -INT -- "-$pid" 2>/dev/null || true
	for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# A round's results are "key=value" lines in one file per column and round.
get() { sed -n "s/^$2=//p" "$1" 2>/dev/null | tail -n 1; }
# kpps N: "123k" (n/a for a missing figure)
kpps() { awk -v a="$1" 'BEGIN{ if (a ~ /^[0-9.]+$/) printf "%.0fk", a/1000; else printf "n/a" }'; }

# doc_replace DOC NAME FILE: put FILE between the markers "<!-- NAME: generated ..." and "<!-- NAME: end -->"
# of DOC; the text outside the markers is hand-written and kept.
doc_replace() {
	python3 - "$1" "$2" "$3" <<-'PY'
		import sys
		doc, name, table = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
		s = open(doc).read()
		a = '<!-- %s: generated' % name
		i = s.index(a); i = s.index('-->', i) + 3
		j = s.index('<!-- %s: end -->' % name)
		open(doc, 'w').write(s[:i] + '\n' + table + s[j:])
	PY
}
# ratio A B [SUFFIX]: A/B with two decimals and SUFFIX (default "×"); n/a when either is not a figure
ratio() { awk -v a="$1" -v b="$2" -v s="${3-×}" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f%s", a/b, s; else printf "n/a" }'; }
