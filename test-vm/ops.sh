# shellcheck shell=bash
# Operations cases for test-vm/itest (sourced after lib.sh): restart under traffic, cleanup,
# and a real Prometheus scraping an agent. Each case_* runs inside itest's per-case prefix,
# and lab_down removes everything it made (processes by the pid files in $LAB_STATE).

OPS_CASES=(restart_under_ping agent_cleanup prometheus_scrape second_agent_under_ping)

# FDB of a VNI on host N without the ages: what must survive a restart.
ops_fdb() {
	api "$1" GET "/api/v1/vnis/$2/fdb" | jq -cS 'map({mac, type, dst, ifname}) | sort_by(.mac, .dst)'
}

# Host 1's agent is killed with SIGKILL and started again while container 1 of host 1 pings
# container 1 of host 2 every 10 ms, from 2 s before the kill until 2 s after the new agent is
# ready (about 6 s on an idle machine): not one packet may be lost (the programs stay
# attached and the maps pinned; the new agent replaces the programs in place). Static,
# local and learned FDB entries are the same before and after.
case_restart_under_ping() {
	# native XDP on purpose: both XDP and TC must stay attached and be replaced in place
	two_hosts xvtep 4789 --xdp-mode native && pings_both_ways || return 1
	api 1 POST /api/v1/vnis/42/fdb "{\"mac\":\"02:00:00:00:99:01\",\"dst\":\"$(underlay_ip 2)\"}" >/dev/null ||
		fail "static FDB entry" || return 1
	local before; before=$(ops_fdb 1 42) || fail "GET fdb" || return 1
	jq -e 'map(.type) | (index("static") != null) and (index("learned") != null) and (index("local") != null)' \
		<<<"$before" >/dev/null || fail "want static, learned and local entries before the restart: $before" || return 1

	local out="$LAB_STATE/ping.out"
	# ip netns exec execs ping, so $! is ping's pid (SIGINT makes it print its summary)
	ip netns exec "$(ns_ctr 1 1)" ping -i 0.01 -W 1 "$(overlay_ip 2 1)" >"$out" 2>&1 &
	local pp=$!
	echo "$pp" >"$LAB_STATE/ping.pid"
	sleep 2
	local old; old=$(cat "$LAB_STATE/agent-h1.pid")
	local t0; t0=$(date +%s%N)
	lab_agent_kill 1 KILL
	! kill -0 "$old" 2>/dev/null || fail "agent $old still running after kill -9" || return 1
	in_host 1 ip link show dev eth0 | grep -q xdp || fail "XDP program gone after kill -9" || return 1
	in_host 1 tc filter show dev eth0 ingress | grep -q tc_underlay_ing || fail "TC program gone after kill -9" || return 1
	lab_agent 1 --xdp-mode native || return 1
	local restart_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$(in_host 1 ss -Hltnp "sport = :$LAB_API_PORT" | grep -o 'pid=[0-9]*')" = "pid=$(cat "$LAB_STATE/agent-h1.pid")" ] ||
		fail "the API is not served by the new agent: $(in_host 1 ss -Hltnp "sport = :$LAB_API_PORT")" || return 1
	sleep 2 # and some more traffic with the new agent in charge
	kill -INT "$pp"
	wait "$pp"
	rm -f "$LAB_STATE/ping.pid"
	local stats; stats=$(grep 'packets transmitted' "$out")
	echo "    restart (kill -9 to ready) took ${restart_ms} ms; ping: $stats" >&2
	# Loss by sequence number: every echo up to the last answered one must have been answered
	# (the one in flight when SIGINT came counts as transmitted but is no loss).
	local seen max
	seen=$(grep -o 'icmp_seq=[0-9]*' "$out" | sort -u | wc -l)
	max=$(grep -o 'icmp_seq=[0-9]*' "$out" | cut -d= -f2 | sort -n | tail -n 1)
	[ -n "$max" ] && [ "$max" -ge 200 ] || fail "ping did not run: $(tail -n 3 "$out")" || return 1
	[ "$seen" = "$max" ] || fail "lost $((max - seen)) of $max pings across the restart" || return 1

	local after; after=$(ops_fdb 1 42) || fail "GET fdb after restart" || return 1
	[ "$before" = "$after" ] || fail "FDB changed across the restart: before $before after $after" || return 1
	# the restarted agent serves metrics with the counters of before
	api 1 GET /metrics | grep -Eq '^xvtep_tx_packets_total\{vni="42"\} [1-9]' ||
		fail "metrics after restart lack the tx counter" || return 1
}

# `xvtep agent --cleanup` removes every program (underlay XDP and TC, port TC) and the pins.
case_agent_cleanup() {
	lab_switch; lab_host 1; lab_container 1 1
	# IPv6 forwarding on the underlay only when needed: an agent without an IPv6 local leaves it alone
	lab_agent 1 || return 1
	[ "$(in_host 1 sysctl -n net.ipv6.conf.eth0.forwarding)" = 0 ] || fail "IPv6 forwarding on without an IPv6 local" || return 1
	lab_agent_kill 1 TERM
	lab_agent 1 --xdp-mode native --local "$(underlay_ip 1)" --local "$(underlay_ip6 1)" || return 1 # native on purpose: cleanup must remove XDP too
	[ "$(in_host 1 sysctl -n net.ipv6.conf.eth0.forwarding)" = 1 ] || fail "IPv6 forwarding off with an IPv6 local" || return 1
	api 1 POST /api/v1/vnis '{"vni":42,"remote":"198.18.0.12"}' >/dev/null || fail "create VNI" || return 1
	api 1 POST /api/v1/vnis/42/ports '{"ifname":"c1","xdp":true}' >/dev/null || fail "attach c1" || return 1
	in_host 1 ip link show dev eth0 | grep -q 'prog/xdp' || fail "no XDP on eth0" || return 1
	[ -n "$(in_host 1 tc filter show dev eth0 ingress)" ] || fail "no TC filter on eth0" || return 1
	[ -n "$(in_host 1 tc filter show dev c1 ingress)" ] || fail "no TC filter on c1" || return 1
	[ -e "$(pin_root 1)/xvtep_fdb" ] || fail "no pinned maps" || return 1
	lab_agent_kill 1 TERM
	in_host 1 "$XVTEP_BIN" agent --cleanup --underlay eth0 --pin-root "$(pin_root 1)" >>"$LAB_STATE/agent-h1.log" 2>&1 ||
		fail "--cleanup failed" || return 1
	! in_host 1 ip link show dev eth0 | grep -q xdp || fail "XDP still on eth0: $(in_host 1 ip link show dev eth0)" || return 1
	[ -z "$(in_host 1 tc filter show dev eth0 ingress)" ] || fail "TC filter left on eth0" || return 1
	[ -z "$(in_host 1 tc filter show dev c1 ingress)" ] || fail "TC filter left on c1" || return 1
	[ ! -e "$(pin_root 1)" ] || fail "pin root $(pin_root 1) still there: $(ls "$(pin_root 1)")" || return 1
	[ "$(in_host 1 sysctl -n net.ipv4.conf.eth0.forwarding)" = 0 ] || fail "underlay forwarding not restored" || return 1
	[ "$(in_host 1 sysctl -n net.ipv6.conf.eth0.forwarding)" = 0 ] || fail "underlay IPv6 forwarding not restored" || return 1
}

# PromQL instant query against the Prometheus on host 1; prints the first result's value.
ops_promql() {
	in_host 1 curl -sf --max-time 5 "http://127.0.0.1:$OPS_PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty'
}

# A real Prometheus (Debian's, run as a plain process: never the packaged service) in host
# 1's namespace, listening on 127.0.0.1 only, scrapes the agent every second with a temporary
# storage dir; pings across the tunnel must show up in PromQL: the counter and its rate().
case_prometheus_scrape() {
	local prom; prom=$(command -v prometheus || echo /usr/bin/prometheus)
	[ -x "$prom" ] || fail "prometheus is not installed (./run.sh setup installs it)" || return 1
	two_hosts xvtep 4789 || return 1
	OPS_PROM_PORT=$((20000 + RANDOM % 20000))
	local dir="$LAB_STATE/prometheus"
	mkdir -p "$dir/data"
	cat >"$dir/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 1s
		  evaluation_interval: 1s
		scrape_configs:
		  - job_name: xvtep
		    static_configs:
		      - targets: ['127.0.0.1:$LAB_API_PORT']
	EOF
	in_host 1 "$prom" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$OPS_PROM_PORT" --log.level=warn >"$dir/prometheus.log" 2>&1 &
	echo $! >"$LAB_STATE/prometheus.pid"
	local ok=""
	for _ in $(seq 1 100); do
		in_host 1 curl -sf "http://127.0.0.1:$OPS_PROM_PORT/-/ready" >/dev/null 2>&1 && { ok=1; break; }
		sleep 0.2
	done
	[ -n "$ok" ] || fail "prometheus not ready: $(tail -n 5 "$dir/prometheus.log")" || return 1

	# traffic all along: 20 pings a second for up to 30 s
	in_ctr 1 1 ping -i 0.05 -c 600 -W 1 "$(overlay_ip 2 1)" >/dev/null 2>&1 &
	echo $! >"$LAB_STATE/ping.pid"

	local up="" first="" last="" rate="" i
	for i in $(seq 1 60); do
		sleep 0.5
		[ "$up" = 1 ] || up=$(ops_promql 'up{job="xvtep"}') # a first scrape may time out on a loaded machine
		last=$(ops_promql 'xvtep_tx_packets_total{vni="42"}')
		[ -n "$first" ] || first=$last
		rate=$(ops_promql 'rate(xvtep_rx_packets_total{vni="42"}[5s])')
		if [ "$up" = 1 ] && [ -n "$last" ] && [ -n "$first" ] &&
			awk -v a="$first" -v b="$last" -v r="${rate:-0}" 'BEGIN { exit !(b > a && r > 0) }'; then
			break
		fi
	done
	local lat; lat=$(ops_promql 'histogram_quantile(0.99, sum by (le) (rate(xvtep_event_latency_seconds_bucket[1m])))')
	local http; http=$(ops_promql 'sum(rate(vertx_http_server_requests_total[10s]))')
	echo "    after $((i / 2)) s: up=$up tx_packets $first -> $last, rx rate ${rate:-none}/s, HTTP req rate ${http:-none}/s, event p99 ${lat:-none} s" >&2
	[ "$up" = 1 ] || fail "prometheus does not see the agent up: $(tail -n 5 "$dir/prometheus.log")" || return 1
	[ -n "$last" ] && awk -v a="$first" -v b="$last" 'BEGIN { exit !(b > a) }' ||
		fail "xvtep_tx_packets_total{vni=\"42\"} did not move in PromQL ($first -> $last)" || return 1
	awk -v r="${rate:-0}" 'BEGIN { exit !(r > 0) }' || fail "rate(xvtep_rx_packets_total) is ${rate:-missing}" || return 1
	# every metric the Grafana dashboard queries exists in Prometheus
	local name missing=() names
	names=$(jq -r '.panels[].targets[].expr' "$XVTEP_ROOT/docs/grafana-xvtep.json" |
		grep -oE '(xvtep|vertx)_[a-z0-9_]+' | sort -u)
	[ -n "$names" ] || fail "no metric names in docs/grafana-xvtep.json" || return 1
	for name in $names; do
		[ -n "$(ops_promql "count($name)")" ] || missing+=("$name")
	done
	[ ${#missing[@]} = 0 ] || fail "not in Prometheus: ${missing[*]}" || return 1
}

# A second `xvtep agent` on host 1 (same pin root and underlay, another API port) while container 1 of
# host 1 pings container 1 of host 2 every 10 ms: it exits non-zero saying another agent holds the pin
# root, and changes nothing: not one ping is lost, the first agent still serves, its programs are the same.
case_second_agent_under_ping() {
	two_hosts xvtep 4789 && pings_both_ways || return 1
	local tc_before
	tc_before=$(in_host 1 tc filter show dev eth0 ingress)
	local out="$LAB_STATE/ping2.out"
	ip netns exec "$(ns_ctr 1 1)" ping -i 0.01 -W 1 "$(overlay_ip 2 1)" >"$out" 2>&1 &
	local pp=$!
	echo "$pp" >"$LAB_STATE/ping.pid"
	sleep 1
	local log="$LAB_STATE/agent-h1-second.log" rc=0
	timeout 60 nsenter --net="/run/netns/$(ns_host 1)" "$XVTEP_BIN" agent --underlay eth0 --api "127.0.0.1:$((LAB_API_PORT + 1))" \
		--pin-root "$(pin_root 1)" >"$log" 2>&1 || rc=$?
	sleep 1
	kill -INT "$pp"
	wait "$pp"
	rm -f "$LAB_STATE/ping.pid"
	[ "$rc" != 0 ] || fail "second agent exited 0: $(cat "$log")" || return 1
	grep -q "in use by another xvtep agent" "$log" || fail "second agent's message: $(cat "$log")" || return 1
	echo "    second agent: exit $rc: $(grep -o 'pin root.*first' "$log" | head -n 1)" >&2
	local seen max
	seen=$(grep -o 'icmp_seq=[0-9]*' "$out" | sort -u | wc -l)
	max=$(grep -o 'icmp_seq=[0-9]*' "$out" | cut -d= -f2 | sort -n | tail -n 1)
	[ -n "$max" ] && [ "$max" -ge 50 ] || fail "ping did not run: $(tail -n 3 "$out")" || return 1
	[ "$seen" = "$max" ] || fail "lost $((max - seen)) of $max pings while a second agent started" || return 1
	[ "$(in_host 1 tc filter show dev eth0 ingress)" = "$tc_before" ] || fail "underlay TC filter changed" || return 1
	api 1 GET /readyz >/dev/null || fail "first agent not ready any more" || return 1
	pings_both_ways
}
