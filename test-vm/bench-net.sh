#!/usr/bin/env bash
# Network benchmark: the same two-host topology (lib.sh: one switch, two hosts, one
# container each, MTU 1450) built fresh for each datapath, and the same measurements:
#
#   underlay  no tunnel: container /32s routed by the hosts over the underlay (the ceiling)
#   kernel    the kernel's vxlan device + Linux bridge on each host (VNI 42, port 4789)
#   xvtep     xvtep agents as they start by default (--xdp-mode auto: on a veth underlay that
#             is TC only), ports attached with "xdp": true
#   xvtep-xdp xvtep agents with --xdp-mode native, ports attached with "xdp": true: the XDP
#             decapsulation fast path (xdp_underlay redirects straight to the port)
#   xvtep-xdpport  xvtep agents as they start by default, ports attached with "xdp_encap": true: the
#             container's frames are encapsulated in XDP on c1 (xdp_port) and redirected to the underlay
#             (the switch's veths get GRO on: NAPI, so XDP redirects into the hosts' eth0 are received);
#             not in the default list (--only ...,xvtep-xdpport)
#   kernel6   the kernel's vxlan device over the IPv6 underlay (2001:db8::N; containers at MTU 1430)
#   xvtep6    xvtep over the IPv6 underlay (--local per family, VNI remote 2001:db8::N; MTU 1430) as it runs
#             by default: outer UDP checksums, as kernel6; the agent turns the containers' segmentation
#             offloads off (BPF cannot checksum each segment of an IPv6 GSO frame)
#   xvtep-zc6 the same with udp6zerocsumtx/rx on both ends: no checksums, GSO frames kept (not by default)
#   Columns ending in 6 are compared with kernel6, the others with kernel.
#
#   small-frame pps  trafgen in container (1,1), 60-byte UDP frames (64 on the wire) over
#                    1001 flows, counted at container (2,1)'s eth0 rx_packets: delivered pps
#   TCP              iperf3 container (1,1) -> (2,1), 1 stream and 4 streams; per run also the CPU cost per
#                    KiB delivered (busy time of all CPUs over the run, minus the busy rate just before it, /
#                    KiB received by (2,1)'s eth0: what throughput hides when 2 CPUs are shared by both ends)
#                    and the mean frame size received (GSO super-frames kept end to end: ~50 KB)
#   latency          ping container (1,1) -> (2,1), p50/p99 of the per-packet RTTs
#   CPU/packet       busy time of all CPUs (/proc/stat) over the pps window, minus the busy rate
#                    measured just before it (other load on the machine), / delivered frames
#
# Usage: test-vm/bench-net.sh [--duration S] [--rounds N] [--only a,b] [--no-doc]
#   --duration S  seconds per pps window and per iperf3 run (default 5)
#   --rounds N    build and measure every datapath N times, interleaved; the table shows
#                 the best round of each figure (default 3)
#   --only LIST   datapaths to run (default underlay,kernel,xvtep,xvtep-xdp,kernel6,xvtep6,xvtep-zc6)
#   --perf DIR    profile both CPUs during each 4-stream TCP run (perf record -a -g): DIR/COLUMN.rN.txt holds
#                 the hottest kernel symbols (perf report --no-children --sort sym), to compare columns by
#   --no-doc      print only; do not rewrite the generated part of docs/benchmarks.md
# XVTEP_JAR=path picks the agent jar (default control-plane/target/xvtep.jar); it is copied
# once at start, so a rebuild during the run does not affect it.
# Prints a markdown table; asserts nothing.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=bench-lib.sh
. "$HERE/bench-lib.sh"

[ "$(id -u)" = 0 ] || { echo "bench-net: needs root (network namespaces, BPF)" >&2; exit 2; }

DUR=4
ROUNDS=3
ONLY=underlay,kernel,xvtep,xvtep-xdp,kernel6,xvtep6,xvtep-zc6
DOC=1
PERF_DIR=
CMDLINE="${XVTEP_JAR:+XVTEP_JAR=$XVTEP_JAR }test-vm/bench net $*"
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) DUR=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	--no-doc) DOC=0; shift ;;
	--perf) PERF_DIR=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
	*) echo "usage: $0 [--duration S] [--rounds N] [--only underlay,kernel,xvtep,xvtep-xdp,kernel6,xvtep6,xvtep-zc6] [--no-doc]" >&2; exit 2 ;;
	esac
done
for t in trafgen iperf3 ping jq; do
	command -v "$t" >/dev/null || { echo "bench-net: $t missing (./run.sh setup installs it)" >&2; exit 2; }
done

VNI=42
PORT=4789
RES=$(mktemp -d /tmp/xvtep-bench-net.XXXXXX)
trap 'rm -rf "$RES"; rmdir /run/xvtep-bench 2>/dev/null' EXIT
# This run's state lives outside /run/xvtep-lab, whose every prefix `test-vm/lab down` removes
# (a lab session next to the bench would tear the bench's topology down mid-run).
BENCH_RUN=/run/xvtep-bench

trap 'exit 130' INT TERM

# busy and total jiffies of all CPUs
cpu_jiffies() { awk '/^cpu /{b=$2+$3+$4+$7+$8+$9; print b, b+$5+$6}' /proc/stat; }

# cpu_probe: "busy_jiffies all_jiffies now_ns", a point of a CPU-cost window
cpu_probe() { echo "$(cpu_jiffies) $(now_ns)"; }

# cpu_cost_ns BASE0 BASE1 WIN0 WIN1 UNITS: busy ns of all CPUs per unit over the window WIN0..WIN1 (cpu_probe
# points), minus the busy rate measured over BASE0..BASE1 just before it (other work on the machine), scaled
# to the window; "n/a" when that baseline was 50 % busy or more (the difference would mean nothing) or no units.
cpu_cost_ns() {
	local bb0 ba0 bt0 bb1 ba1 bt1 wb0 wa0 wt0 wb1 wa1 wt1
	read -r bb0 ba0 bt0 <<<"$1"; read -r bb1 ba1 bt1 <<<"$2"
	read -r wb0 wa0 wt0 <<<"$3"; read -r wb1 wa1 wt1 <<<"$4"
	awk -v bb=$((bb1 - bb0)) -v ba=$((ba1 - ba0)) -v bt=$((bt1 - bt0)) -v wb=$((wb1 - wb0)) -v wt=$((wt1 - wt0)) \
		-v hz="$(getconf CLK_TCK)" -v n="$5" 'BEGIN {
			if (n <= 0 || ba <= 0 || 100 * bb / ba >= 50) { print "n/a"; exit }
			busy = wb - bb * wt / bt; if (busy < 0) busy = 0
			printf "%.0f", busy * 1e9 / hz / n
		}'
}

# cpu_util BASE0 BASE1: percent of all CPUs busy between two cpu_probe points
cpu_util() {
	local b0 a0 b1 a1
	read -r b0 a0 _ <<<"$1"; read -r b1 a1 _ <<<"$2"
	awk -v b=$((b1 - b0)) -v a=$((a1 - a0)) 'BEGIN{printf "%.0f", a ? 100*b/a : 0}'
}

# ---------------------------------------------------------------- datapaths

setup_underlay() {
	local n o h
	for n in 1 2; do
		o=$((3 - n)); h=$(ns_host "$n")
		ip netns exec "$h" sysctl -qw net.ipv4.ip_forward=1
		ip netns exec "$h" sysctl -qw net.ipv4.conf.c1.proxy_arp=1
		ip -n "$h" route add "$(overlay_ip "$n" 1)/32" dev c1
		ip -n "$h" route add "$(overlay_ip "$o" 1)/32" via "$(underlay_ip "$o")" dev eth0
		ip -n "$h" neigh replace "$(overlay_ip "$n" 1)" lladdr "$(ctr_mac "$n" 1)" dev c1 nud permanent
	done
}

setup_kernel() {
	local n o
	for n in 1 2; do
		o=$((3 - n))
		kernel_vtep "$n" "$VNI" "$PORT" remote "$(underlay_ip "$o")"
		ip -n "$(ns_host "$n")" link set c1 master br0
	done
}

setup_kernel6() {
	local n o
	for n in 1 2; do
		o=$((3 - n))
		kernel_vtep6 "$n" "$VNI" "$PORT" remote "$(underlay_ip6 "$o")"
		ip -n "$(ns_host "$n")" link set c1 master br0
	done
}

# setup_xvtep6 [extra VNI JSON]
setup_xvtep6() {
	local n o extra=${1:+,$1}
	for n in 1 2; do
		o=$((3 - n))
		lab_agent "$n" --local "$(underlay_ip "$n")" --local "$(underlay_ip6 "$n")" || return 1
		api "$n" POST /api/v1/vnis "{\"vni\":$VNI,\"dstport\":$PORT,\"remote\":\"$(underlay_ip6 "$o")\"$extra}" >/dev/null || return 1
		api "$n" POST "/api/v1/vnis/$VNI/ports" '{"ifname":"c1","xdp":true}' >/dev/null || return 1
	done
}

# setup_xvtep PORT_XDP [agent args...]
setup_xvtep() {
	local xdp=$1 n o; shift
	for n in 1 2; do
		o=$((3 - n))
		lab_agent "$n" "$@" || return 1
		api "$n" POST /api/v1/vnis "{\"vni\":$VNI,\"dstport\":$PORT,\"remote\":\"$(underlay_ip "$o")\"}" >/dev/null || return 1
		api "$n" POST "/api/v1/vnis/$VNI/ports" "{\"ifname\":\"c1\",\"xdp\":$xdp}" >/dev/null || return 1
	done
}

# xdp_encap on both hosts' ports (each host's container sends through XDP)
setup_xvtep_xdpport() {
	local n o
	for n in 1 2; do
		o=$((3 - n))
		in_sw ethtool -K "h$n" gro on >/dev/null || return 1
		lab_agent "$n" || return 1
		api "$n" POST /api/v1/vnis "{\"vni\":$VNI,\"dstport\":$PORT,\"remote\":\"$(underlay_ip "$o")\"}" >/dev/null || return 1
		api "$n" POST "/api/v1/vnis/$VNI/ports" '{"ifname":"c1","xdp":true,"xdp_encap":true}' >/dev/null || return 1
	done
}

# -------------------------------------------------------------- measurements

# Small frames: trafgen in (1,1) towards (2,1); per-second samples of (2,1)'s rx_packets.
measure_pps() {
	local out=$1 dmac c1 c2 h1 h2 cfg tpid
	c1=$(ns_ctr 1 1); c2=$(ns_ctr 2 1); h1=$(ns_host 1); h2=$(ns_host 2)
	if [ "$COL" = underlay ]; then
		dmac=$(ip -n "$h1" -j link show c1 | jq -r '.[0].address')  # the host is the gateway
	else
		dmac=$(ctr_mac 2 1)
	fi
	cfg="$LAB_STATE/trafgen.cfg"
	cat >"$cfg" <<-EOF
		{ eth(da=$dmac, sa=$(ctr_mac 1 1), type=0x0800),
		  ipv4(saddr=$(overlay_ip 1 1), daddr=$(overlay_ip 2 1), ttl=64, df),
		  udp(sp=dinc(1000, 2000), dp=9),
		  fill(0x41, 18) }
	EOF
	# the machine's busy rate without our traffic, to subtract from the CPU figure
	local base0 base1
	base0=$(cpu_probe); sleep 1; base1=$(cpu_probe)
	tpid=$(start_trafgen "$c1" eth0 "$cfg" "$LAB_STATE/trafgen.log") || return 1
	echo "$tpid" >"$LAB_STATE/trafgen.pid"
	sleep 1 # past the generator's start-up burst
	local rx0 tx0 t0 cpu0 rx tx t cpu i samples=() stat0=""
	[ "${COL#xvtep}" != "$COL" ] && stat0=$(api 2 GET "/api/v1/vnis/$VNI/stats" 2>/dev/null)
	local u1tx0 u2rx0 c2drop0
	u1tx0=$(ctr_pkts "$h1" eth0 tx); u2rx0=$(ctr_pkts "$h2" eth0 rx); c2drop0=$(ctr_drops "$c2" eth0 rx)
	xdp_counters "$h2" eth0 >"$LAB_STATE/xdp0"
	xdp_counters "$h1" c1 >"$LAB_STATE/xdpc0"
	rx0=$(ctr_pkts "$c2" eth0 rx); tx0=$(ctr_pkts "$c1" eth0 tx); t0=$(now_ns); cpu0=$(cpu_probe)
	local prx=$rx0 pt=$t0
	for i in $(seq 1 "$DUR"); do
		sleep 1
		rx=$(ctr_pkts "$c2" eth0 rx); t=$(now_ns)
		samples+=("$(( (rx - prx) * 1000000000 / (t - pt) ))")
		prx=$rx; pt=$t
	done
	tx=$(ctr_pkts "$c1" eth0 tx); cpu=$(cpu_probe)
	local u1tx u2rx c2drop
	u1tx=$(ctr_pkts "$h1" eth0 tx); u2rx=$(ctr_pkts "$h2" eth0 rx); c2drop=$(ctr_drops "$c2" eth0 rx)
	xdp_counters "$h2" eth0 >"$LAB_STATE/xdp1"
	xdp_counters "$h1" c1 >"$LAB_STATE/xdpc1"
	stop_group "$tpid"; rm -f "$LAB_STATE/trafgen.pid"
	local drx=$((rx - rx0)) dtx=$((tx - tx0)) dt=$((t - t0))
	{
		echo "cpu_base_util=$(cpu_util "$base0" "$base1")"
		echo "pps=$((drx * 1000000000 / dt))"
		echo "sent_pps=$((dtx * 1000000000 / dt))"
		echo "pps_samples=${samples[*]}"
		echo "cpu_util=$(cpu_util "$cpu0" "$cpu")"
		echo "cpu_ns=$(cpu_cost_ns "$base0" "$base1" "$cpu0" "$cpu" "$drx")"
		echo "xdp_h2_eth0_delta=$(xdp_delta "$LAB_STATE/xdp0" "$LAB_STATE/xdp1")"
		echo "xdp_h1_c1_delta=$(xdp_delta "$LAB_STATE/xdpc0" "$LAB_STATE/xdpc1")"
		echo "u1_tx=$((u1tx - u1tx0)) u2_rx=$((u2rx - u2rx0)) c2_rxdrop=$((c2drop - c2drop0)) c1_tx=$dtx c2_rx=$drx"
	} >>"$out"
	if [ -n "$stat0" ]; then
		local stat1; stat1=$(api 2 GET "/api/v1/vnis/$VNI/stats" 2>/dev/null)
		echo "xvtep_h2_stats_delta=$(jq -nc --argjson a "$stat0" --argjson b "$stat1" \
			'$b | to_entries | map(select(.value|type=="number") | {key, value: (.value - ($a[.key] // 0))}) | map(select(.value != 0)) | from_entries')" >>"$out"
	fi
}

# tcp_run STREAMS OUT: one iperf3 run (1,1) -> (2,1); writes tcpN (Gbit/s), tcpN_cpu_ns_per_kb (busy ns of all
# CPUs per KiB delivered, baseline subtracted: the datapaths' cost per byte, which throughput on 2 shared CPUs
# hides behind scheduling) and the mean frame size received by the container and the underlay (GSO or GRO
# super-frames show as a mean far above the MTU)
tcp_run() {
	local n=$1 out=$2 c2 h2 base0 base1 w0 w1 c2p0 c2b0 u2p0 u2b0 c2b bps p="" ppid=""
	c2=$(ns_ctr 2 1); h2=$(ns_host 2)
	[ "$n" -gt 1 ] && p="-P $n"
	base0=$(cpu_probe); sleep 1; base1=$(cpu_probe)
	c2p0=$(ctr_pkts "$c2" eth0 rx); c2b0=$(ctr_bytes "$c2" eth0 rx)
	u2p0=$(ctr_pkts "$h2" eth0 rx); u2b0=$(ctr_bytes "$h2" eth0 rx)
	w0=$(cpu_probe)
	if [ -n "$PERF_DIR" ] && [ "$n" -gt 1 ]; then
		command -v perf >/dev/null || { log "bench-net: --perf needs perf (apt install linux-perf)"; exit 2; }
		perf record -q -a -g -o "$LAB_STATE/perf.data" -- sleep $((DUR + 1)) >/dev/null 2>&1 &
		ppid=$!
	fi
	# shellcheck disable=SC2086 # $p: no option or "-P n"
	bps=$(in_ctr 1 1 timeout $((DUR + 15)) iperf3 -c "$(overlay_ip 2 1)" -p 5201 --connect-timeout 3000 -t "$DUR" -O 1 $p -J \
		2>>"$LAB_STATE/iperf3-c.err" | tee "$LAB_STATE/iperf3-c$n.json" | jq '.end.sum_received.bits_per_second // empty')
	w1=$(cpu_probe)
	if [ -n "${ppid:-}" ]; then
		wait "$ppid"
		perf report -q -i "$LAB_STATE/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null |
			grep -v '^$' | head -60 >"$PERF_DIR/$COL.r$ROUND.txt"
		rm -f "$LAB_STATE/perf.data"
	fi
	c2b=$(( $(ctr_bytes "$c2" eth0 rx) - c2b0 ))
	{
		echo "tcp$n=$(awk -v b="$bps" 'BEGIN{if (b == "") print "failed"; else printf "%.2f", b/1e9}')"
		echo "tcp${n}_cpu_base_util=$(cpu_util "$base0" "$base1")"
		echo "tcp${n}_cpu_ns_per_kb=$(cpu_cost_ns "$base0" "$base1" "$w0" "$w1" $((c2b / 1024)))"
		echo "tcp${n}_c2_rx_mean_bytes=$(( c2b / ($(ctr_pkts "$c2" eth0 rx) - c2p0 + 1) ))"
		echo "tcp${n}_h2_eth0_rx_mean_bytes=$(( ($(ctr_bytes "$h2" eth0 rx) - u2b0) / ($(ctr_pkts "$h2" eth0 rx) - u2p0 + 1) ))"
	} >>"$out"
	[ -n "$bps" ]
}

measure_tcp() {
	local out=$1 spid c2 ok=1; c2=$(ns_ctr 2 1)
	ip netns exec "$c2" iperf3 -s -p 5201 >"$LAB_STATE/iperf3-s.log" 2>&1 &
	spid=$!; echo "$spid" >"$LAB_STATE/iperf3.pid"
	for _ in $(seq 1 50); do
		ip netns exec "$c2" ss -Hltn 'sport = :5201' | grep -q . && break; sleep 0.1
	done
	tcp_run 1 "$out" || ok=0
	tcp_run 4 "$out" || ok=0
	kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; rm -f "$LAB_STATE/iperf3.pid"
	# receiver's TCP checksum failures (frames that arrived but were thrown away)
	# xvtep: GSO frames the sender refused (a checksumming IPv6 VNI whose container still sends them)
	[ "${COL#xvtep}" != "$COL" ] && echo "drop_gso_csum_h1=$(api 1 GET "/api/v1/vnis/$VNI/stats" 2>/dev/null | jq '.drop_gso_csum')" >>"$out"
	echo "tcp_in_csum_errors_c2=$(ip netns exec "$c2" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "InCsumErrors") f = i; h = 1 } else print $f }' /proc/net/snmp)" >>"$out"
	if [ "$ok" = 0 ]; then
		log "$COL: iperf3 failed:"; cat "$LAB_STATE/iperf3-c.err" "$LAB_STATE/iperf3-s.log" >&2
		jq -r '.error // empty' "$LAB_STATE"/iperf3-c*.json >&2
	fi
}

measure_latency() {
	local out=$1 f="$LAB_STATE/ping.txt"
	in_ctr 1 1 ping -c 400 -i 0.005 -W 1 "$(overlay_ip 2 1)" >"$f" 2>&1
	grep -o 'time=[0-9.]*' "$f" | cut -d= -f2 | sort -g | awk '
		{ v[NR] = $1 * 1000 }
		END {
			if (NR == 0) { print "p50=n/a"; print "p99=n/a"; print "ping_n=0"; exit }
			i50 = int(0.50 * NR + 0.5); if (i50 < 1) i50 = 1
			i99 = int(0.99 * NR + 0.5); if (i99 < 1) i99 = 1; if (i99 > NR) i99 = NR
			printf "p50=%.0f\np99=%.0f\nping_n=%d\n", v[i50], v[i99], NR
		}' >>"$out"
}

# One datapath, one round, in a subshell: fresh prefix, cleanup on any exit.
run_column() {
	COL=$1
	local out=$2
	(
		local p; p=xb$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')
		lab_init "$p"
		rmdir "$LAB_STATE" 2>/dev/null
		LAB_STATE=$BENCH_RUN/$p
		mkdir -p "$LAB_STATE"
		trap 'lab_down' EXIT
		trap 'exit 130' INT TERM
		lab_switch
		lab_host 1; lab_host 2
		local mtu=1450; [ "${COL%6}" != "$COL" ] && mtu=1430 # 70 bytes of IPv6 encapsulation
		lab_container 1 1 "$mtu"; lab_container 2 1 "$mtu"
		case "$COL" in
		underlay) setup_underlay ;;
		kernel) setup_kernel ;;
		xvtep) setup_xvtep true ;;
		xvtep-xdp) setup_xvtep true --xdp-mode native ;;
		xvtep-tc) setup_xvtep false --xdp-mode off ;;
		xvtep-xdpport) setup_xvtep_xdpport ;;
		kernel6) setup_kernel6 ;;
		xvtep6) setup_xvtep6 ;;
		xvtep-zc6) setup_xvtep6 '"udp6zerocsumtx":true,"udp6zerocsumrx":true' ;;
		*) false ;;
		esac || { log "$COL: setup failed"; echo "error=setup failed" >>"$out"; exit 1; }
		# warm up: both directions, so that ARP and FDB entries exist before measuring
		if ! ping_ok 1 1 "$(overlay_ip 2 1)" 3 || ! ping_ok 2 1 "$(overlay_ip 1 1)" 3; then
			log "$COL: containers cannot ping each other"; echo "error=no connectivity" >>"$out"; exit 1
		fi
		if [ "${COL#xvtep}" != "$COL" ]; then
			echo "xdp_prog_h2_eth0=$(ip -n "$(ns_host 2)" -d -j link show eth0 | jq -c '.[0].xdp.prog.name // "none"')" >>"$out"
			echo "tc_ingress_h2_eth0=$(tc -n "$(ns_host 2)" filter show dev eth0 ingress | grep -o 'name [a-z_]*' | cut -d' ' -f2 | tr '\n' ' ')" >>"$out"
		fi
		measure_latency "$out"
		measure_pps "$out" || echo "error=pps run failed" >>"$out"
		measure_tcp "$out"
	)
}

# best value of a key over the rounds of a column: max, or min with "min"
best() {
	local col=$1 key=$2 mode=${3:-max} v f vals=()
	for f in "$RES/$col".r*; do
		v=$(get "$f" "$key"); [[ "$v" =~ ^[0-9.]+$ ]] && vals+=("$v")
	done
	if [ ${#vals[@]} -eq 0 ]; then  # no figure in any round: say why (e.g. "failed")
		v=$(for f in "$RES/$col".r*; do get "$f" "$key"; done | grep -m1 .); echo "${v:-n/a}"; return
	fi
	printf '%s\n' "${vals[@]}" | sort -g | if [ "$mode" = min ]; then head -n 1; else tail -n 1; fi
}

# ------------------------------------------------------------------------ run

IFS=, read -r -a COLS <<<"$ONLY"
case ",$ONLY," in
*,xvtep*)
	snapshot_agent "$RES" || { echo "bench-net: no xvtep.jar (mvn -B package); drop the xvtep columns with --only" >&2; exit 2; } ;;
esac
START=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$ROUNDS"); do
	ROUND=$r
	for c in "${COLS[@]}"; do
		log "== round $r/$ROUNDS: $c"
		run_column "$c" "$RES/$c.r$r"
		sed 's/^/   /' "$RES/$c.r$r" >&2
	done
done


# the column a column is compared with: kernel6 for the IPv6 ones, kernel for the others ("" = none run)
base_of() {
	local want=kernel c; [ "${1%6}" != "$1" ] && want=kernel6
	for c in "${COLS[@]}"; do [ "$c" = "$want" ] && { echo "$want"; return; }; done
}

table() {
	local c hdr="| metric |" sep="|---|" rows=() b
	for c in "${COLS[@]}"; do hdr+=" $c |"; sep+="---:|"; done
	for c in "${COLS[@]}"; do
		b=$(base_of "$c"); [ -n "$b" ] && [ "$c" != "$b" ] && { hdr+=" $c/$b |"; sep+="---:|"; }
	done
	echo "$hdr"; echo "$sep"
	local m key mode fmt label
	for m in "pps|max|kpps|small-frame UDP, 64 B, pps delivered" \
		"sent_pps|max|kpps|  (generator sent, pps)" \
		"cpu_ns|min|num|CPU ns per delivered frame (all CPUs, baseline subtracted)" \
		"tcp1|max|num|TCP 1 stream, Gbit/s" \
		"tcp4|max|num|TCP 4 streams, Gbit/s" \
		"tcp1_cpu_ns_per_kb|min|num|TCP 1 stream, CPU ns per KiB delivered (all CPUs, baseline subtracted)" \
		"tcp4_cpu_ns_per_kb|min|num|TCP 4 streams, CPU ns per KiB delivered" \
		"p50|min|num|ping RTT p50, µs" \
		"p99|min|num|ping RTT p99, µs"; do
		IFS='|' read -r key mode fmt label <<<"$m"
		local line="| $label |" v vk
		for c in "${COLS[@]}"; do
			v=$(best "$c" "$key" "$mode")
			if [ "$fmt" = kpps ]; then line+=" $(kpps "$v") |"; else line+=" $v |"; fi
		done
		for c in "${COLS[@]}"; do
			b=$(base_of "$c"); [ -n "$b" ] && [ "$c" != "$b" ] || continue
			vk=$(best "$b" "$key" "$mode")
			line+=" $(ratio "$(best "$c" "$key" "$mode")" "$vk") |"
		done
		echo "$line"
	done
}

# chart PNG: every column's figures as a ratio to the kernel device (1.0 = the kernel), one group per metric
chart() {
	command -v gnuplot >/dev/null || { log "no gnuplot: no chart"; return 1; }
	local out=$1 dat="$RES/chart.dat" c m key mode label vk v
	{
		printf 'metric'; for c in "${COLS[@]}"; do [ "$c" = kernel ] || [ "$c" = kernel6 ] || printf '\t%s' "$c"; done; echo
		for m in "pps|max|64-byte pps" "tcp1|max|TCP 1 stream" "tcp4|max|TCP 4 streams" "p50|min|RTT p50" \
			"p99|min|RTT p99"; do
			IFS='|' read -r key mode label <<<"$m"
			printf '"%s"' "$label"
			for c in "${COLS[@]}"; do
				[ "$c" = kernel ] || [ "$c" = kernel6 ] && continue
				vk=$(best "$(base_of "$c")" "$key" "$mode")
				v=$(best "$c" "$key" "$mode")
				awk -v a="$v" -v b="$vk" 'BEGIN{ if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "\t%.3f", a/b; else printf "\t0" }'
			done
			echo
		done
	} >"$dat"
	local n; n=$(head -n 1 "$dat" | awk -F'\t' '{print NF}')
	gnuplot <<GP
set terminal pngcairo size 1000,520 noenhanced
set output "$out"
set title "xvtep benchmark ($START): ratio to the kernel vxlan device on the same underlay family (1.0 = kernel; RTT: lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right
set yrange [0:*]
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2
plot for [i=2:$n] "$dat" using i:xtic(1) title columnheader(i)
GP
}

TABLE=$(table)
echo
echo "$TABLE"
echo

DETAILS=$(for f in "$RES"/*.r*; do echo "${f##*/}:"; sed 's/^/    /' "$f"; done)
echo "$DETAILS" >&2

if [ "$DOC" = 1 ]; then
	DOCF="$XVTEP_ROOT/docs/benchmarks.md"
	GEN=$(
		echo "<!-- bench-net: generated by test-vm/bench-net.sh; the text outside these markers is hand-written -->"
		echo "Command: \`$CMDLINE\` (${DUR} s per window, best of $ROUNDS interleaved rounds)  "
		echo "Date: $START  "
		echo "Kernel: $(uname -r)  "
		echo "Machine: $(nproc) CPUs ($(awk -F: '/model name/{gsub(/^ +/,"",$2); print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; load average before: $LOAD0"
		echo
		echo "$TABLE"
		echo
		echo "<details><summary>raw figures per round</summary>"
		echo
		echo '```'
		echo "$DETAILS"
		echo '```'
		echo "</details>"
		echo "<!-- bench-net: end -->"
	)
	mkdir -p "$(dirname "$DOCF")"
	if [ -f "$DOCF" ] && grep -q '^<!-- bench-net: generated' "$DOCF"; then
		awk -v gen="$GEN" '
			/^<!-- bench-net: generated/ { print gen; skip = 1; next }
			/^<!-- bench-net: end -->/ { skip = 0; next }
			!skip { print }' "$DOCF" >"$DOCF.tmp" && mv "$DOCF.tmp" "$DOCF"
	else
		{ echo "# Benchmarks"; echo; echo "## Network: underlay vs kernel vxlan vs xvtep"; echo; echo "$GEN"; } >"$DOCF"
	fi
	log "wrote $DOCF"
	chart "$XVTEP_ROOT/docs/benchmarks.png" && log "wrote docs/benchmarks.png"
fi
