#!/usr/bin/env bash
# Hostile-traffic benchmark (issue 10): how much spoofed VXLAN a host absorbs, and what is left of a
# legitimate flow while it does. Two hosts and one container each as in bench-net.sh (VNI 42, port
# 4789), plus an attacker namespace on the underlay switch (198.18.0.13) that sends 64-byte-inner
# VXLAN frames to host 2 with trafgen, one sending CPU:
#
#   bad_flags    VNI 42, I flag clear: malformed
#   unknown_vni  VNI 77, served by nobody (xvtep leaves it to the stack, which has no socket)
#   denied_src   VNI 42 from a VTEP the VNI does not accept (xvtep: allowed_src = host 1; the
#                kernel device has no such filter: it decapsulates and floods these)
#
# Datapaths: kernel (vxlan device + bridge), xvtep (agent default: TC on a veth underlay),
# xvtep-xdp (--xdp-mode native: XDP drops the attack on the underlay veth).
# For each attack: the attack frames host 2 took in per second (its eth0 rx_packets: what it had to
# absorb; with xvtep all of them were dropped and counted), and the legitimate flow (trafgen 64-byte
# UDP from container (1,1) to (2,1), delivered pps at (2,1)) before and during the attack.
#
# Usage: test-vm/bench-hostile.sh [--duration S] [--only kernel,xvtep,xvtep-xdp]
# Prints a table; asserts nothing (speed is printed, never asserted).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=bench-lib.sh
. "$HERE/bench-lib.sh"

[ "$(id -u)" = 0 ] || { echo "bench-hostile: needs root (network namespaces, BPF)" >&2; exit 2; }
DUR=3
ONLY=kernel,xvtep,xvtep-xdp
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) DUR=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--only kernel,xvtep,xvtep-xdp]" >&2; exit 2 ;;
	esac
done
for t in trafgen jq; do
	command -v "$t" >/dev/null || { echo "bench-hostile: $t missing (./run.sh setup installs it)" >&2; exit 2; }
done
VNI=42
PORT=4789
ATTACKS=(bad_flags unknown_vni denied_src)
RES=$(mktemp -d /tmp/xvtep-bench-hostile.XXXXXX)
trap 'rm -rf "$RES"' EXIT
rx_pkts() { ctr_pkts "$1" "$2" rx; }

# trafgen_on NS DEV CONF NAME: bench-lib's start_trafgen, its pid kept in $LAB_STATE/NAME.pid
trafgen_on() {
	local pid
	pid=$(start_trafgen "$1" "$2" "$3" "$LAB_STATE/$4.log") || return 1
	echo "$pid" >"$LAB_STATE/$4.pid"
}
trafgen_off() {
	[ -f "$LAB_STATE/$1.pid" ] || return 0
	stop_group "$(cat "$LAB_STATE/$1.pid")"
	rm -f "$LAB_STATE/$1.pid"
}

# rate NS DEV: packets per second received on DEV over $DUR seconds
rate() {
	local r0 t0 r1 t1
	r0=$(rx_pkts "$1" "$2"); t0=$(now_ns); sleep "$DUR"; r1=$(rx_pkts "$1" "$2"); t1=$(now_ns)
	echo $(( (r1 - r0) * 1000000000 / (t1 - t0) ))
}

# the attack's trafgen config: outer from the attacker to host 2, VXLAN to 4789, a 64-byte inner frame
attack_conf() {
	local kind=$1 h2mac flags=0x08 vni=$VNI
	h2mac=$(ip -n "$(ns_host 2)" -j link show eth0 | jq -r '.[0].address')
	case "$kind" in
	bad_flags) flags=0x00 ;;
	unknown_vni) vni=77 ;;
	esac
	cat <<-EOF
		{ eth(da=$h2mac, sa=02:00:00:00:ee:01, type=0x0800),
		  ipv4(saddr=198.18.0.13, daddr=$(underlay_ip 2), ttl=64),
		  udp(sp=dinc(1000, 2000), dp=$PORT, csum=0),
		  $flags, 0, 0, 0, $(( vni >> 16 & 255 )), $(( vni >> 8 & 255 )), $(( vni & 255 )), 0,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0xee, drnd(), drnd(), drnd(), drnd(), 0x88, 0xb5,
		  fill(0x41, 50) }
	EOF
}

setup() {
	local col=$1 n o
	lab_switch
	lab_host 1; lab_host 2; lab_host 3
	lab_container 1 1; lab_container 2 1
	for n in 1 2; do
		o=$((3 - n))
		case "$col" in
		kernel)
			kernel_vtep "$n" "$VNI" "$PORT" remote "$(underlay_ip "$o")"
			ip -n "$(ns_host "$n")" link set c1 master br0 ;;
		xvtep | xvtep-xdp)
			if [ "$col" = xvtep-xdp ]; then lab_agent "$n" --xdp-mode native || return 1; else lab_agent "$n" || return 1; fi
			api "$n" POST /api/v1/vnis "{\"vni\":$VNI,\"dstport\":$PORT,\"remote\":\"$(underlay_ip "$o")\",\"allowed_src\":[\"$(underlay_ip "$o")\"]}" >/dev/null || return 1
			api "$n" POST "/api/v1/vnis/$VNI/ports" "{\"ifname\":\"c1\",\"xdp\":true}" >/dev/null || return 1 ;;
		esac
	done
}

run_column() {
	local col=$1 out=$2
	(
		lab_init "xh$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')"
		trap 'lab_down' EXIT
		trap 'exit 130' INT TERM
		setup "$col" || { echo "error=setup failed" >>"$out"; exit 1; }
		ping_ok 1 1 "$(overlay_ip 2 1)" 3 && ping_ok 2 1 "$(overlay_ip 1 1)" 3 || { echo "error=no connectivity" >>"$out"; exit 1; }
		cat >"$LAB_STATE/legit.cfg" <<-EOF
			{ eth(da=$(ctr_mac 2 1), sa=$(ctr_mac 1 1), type=0x0800),
			  ipv4(saddr=$(overlay_ip 1 1), daddr=$(overlay_ip 2 1), ttl=64, df),
			  udp(sp=dinc(1000, 2000), dp=9), fill(0x41, 18) }
		EOF
		local a c2 h2; c2=$(ns_ctr 2 1); h2=$(ns_host 2)
		for a in "${ATTACKS[@]}"; do
			trafgen_on "$(ns_ctr 1 1)" eth0 "$LAB_STATE/legit.cfg" legit || { echo "error=legit trafgen" >>"$out"; exit 1; }
			echo "$a.legit_before=$(rate "$c2" eth0)" >>"$out"
			attack_conf "$a" >"$LAB_STATE/attack.cfg"
			trafgen_on "$(ns_host 3)" eth0 "$LAB_STATE/attack.cfg" attack || { echo "error=attack trafgen" >>"$out"; exit 1; }
			local r0 t0 l0 r1 t1 l1
			r0=$(rx_pkts "$h2" eth0); l0=$(rx_pkts "$c2" eth0); t0=$(now_ns)
			sleep "$DUR"
			r1=$(rx_pkts "$h2" eth0); l1=$(rx_pkts "$c2" eth0); t1=$(now_ns)
			echo "$a.absorbed=$(( (r1 - r0) * 1000000000 / (t1 - t0) ))" >>"$out"
			echo "$a.legit_during=$(( (l1 - l0) * 1000000000 / (t1 - t0) ))" >>"$out"
			trafgen_off attack
			trafgen_off legit
		done
		if [ "$col" != kernel ]; then
			echo "drops_h2=$(api 2 GET /api/v1/stats | jq -c '.total | with_entries(select((.key | startswith("drop_") or startswith("pass_")) and .value != 0))')" >>"$out"
		fi
	)
}


IFS=, read -r -a COLS <<<"$ONLY"
log "bench-hostile: $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg), ${DUR}s windows"
for c in "${COLS[@]}"; do
	log "== $c"
	run_column "$c" "$RES/$c"
	sed 's/^/   /' "$RES/$c" >&2
done

hdr="| attack | measure |"; sep="|---|---|"
for c in "${COLS[@]}"; do hdr+=" $c |"; sep+="---:|"; done
for c in "${COLS[@]}"; do [ "$c" = kernel ] || { hdr+=" $c/kernel |"; sep+="---:|"; }; done
echo "$hdr"; echo "$sep"
for a in "${ATTACKS[@]}"; do
	for m in "absorbed|attack frames taken in by host 2, pps" "legit_before|legit flow delivered before, pps" \
		"legit_during|legit flow delivered during, pps" "kept|legit flow kept (during/before)"; do
		key=${m%%|*}; label=${m#*|}
		line="| $a | $label |"
		for c in "${COLS[@]}"; do
			if [ "$key" = kept ]; then line+=" $(ratio "$(get "$RES/$c" "$a.legit_during")" "$(get "$RES/$c" "$a.legit_before")" "") |"
			else line+=" $(kpps "$(get "$RES/$c" "$a.$key")") |"; fi
		done
		for c in "${COLS[@]}"; do
			[ "$c" = kernel ] && continue
			if [ "$key" = kept ]; then line+=" |"; else line+=" $(ratio "$(get "$RES/$c" "$a.$key")" "$(get "$RES/kernel" "$a.$key")" "") |"; fi
		done
		echo "$line"
	done
done
