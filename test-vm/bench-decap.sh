#!/usr/bin/env bash
# Decap-only pps: a remote VTEP replays one pre-encapsulated VXLAN frame onto host 2's underlay as
# fast as one CPU can (trafgen, a fixed frame: no encapsulation anywhere in the loop), and the
# figure is what container (2,1) receives per second. Same frame and generator for every column,
# so the columns differ only in how host 2 decapsulates and delivers:
#
#   kernel     the kernel's vxlan device + Linux bridge (c1 enslaved)
#   xvtep      xvtep agent as it starts on a veth underlay: tc_underlay_ingress decapsulates
#   xvtep-xdp  --xdp-mode native, port c1 with "xdp": true: xdp_underlay decapsulates and redirects into
#              c1 (its peer has GRO, so NAPI). On a veth underlay the agent forbids XDP redirects
#              (XVTEP_CFG_F_NO_XDP_REDIRECT: a frame from a local sender may carry CHECKSUM_PARTIAL, lost
#              by the redirect); the generator's frames are complete (inner UDP checksum 0, IP checksum
#              right), as from a remote host through a NIC, so this column clears the flag in the pinned
#              config after the agent started: it measures what XDP decap costs where it is allowed.
#
# Topology (lib.sh names, fresh prefix, removed on exit): the generator namespace (host 1) is joined
# to host 2's eth0 by one veth, no switch; container (2,1) behind host 2's c1 (MTU 1450).
#
#   test-vm/bench decap [--duration S] [--rounds N] [--only kernel,xvtep,xvtep-xdp] [--no-doc]
#
# Writes the table between the bench-decap markers of docs/benchmarks.md (unless --no-doc).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=bench-lib.sh
. "$HERE/bench-lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench-decap: needs root" >&2; exit 2; }

DUR=4
ROUNDS=2
ONLY=kernel,xvtep,xvtep-xdp
DOC=1
CMDLINE="test-vm/bench decap $*"
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) DUR=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	--no-doc) DOC=0; shift ;;
	*) echo "usage: $0 [--duration S] [--rounds N] [--only kernel,xvtep,xvtep-xdp] [--no-doc]" >&2; exit 2 ;;
	esac
done
for t in trafgen jq bpftool python3 ethtool; do
	command -v "$t" >/dev/null || { echo "bench-decap: $t missing (./run.sh setup installs it)" >&2; exit 2; }
done

VNI=42
PORT=4789
RES=$(mktemp -d /tmp/xvtep-bench-decap.XXXXXX)
TPID=""
cleanup() {
	[ -n "$TPID" ] && stop_group "$TPID"
	[ -n "${LAB_P:-}" ] && lab_down >/dev/null 2>&1
	rm -rf "$RES"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
snapshot_agent "$RES" || { echo "bench-decap: no xvtep.jar (mvn -B package)" >&2; exit 2; }

# The generator (host 1's namespace, 198.18.0.11) and host 2 (198.18.0.12) on one veth; container (2,1).
topology() {
	local h1 h2; h1=$(ns_host 1); h2=$(ns_host 2)
	ip netns add "$h1"; ip netns add "$h2"
	ip -n "$h1" link set lo up; ip -n "$h2" link set lo up
	ip -n "$h1" link add eth0 type veth peer name eth0 netns "$h2"
	ip -n "$h1" addr add "$(underlay_ip 1)/24" dev eth0
	ip -n "$h2" addr add "$(underlay_ip 2)/24" dev eth0
	ip -n "$h1" link set eth0 up; ip -n "$h2" link set eth0 up
	lab_container 2 1
}

# The frame a remote VTEP (198.18.0.11) sends for container (1,1) -> (2,1): 64-byte inner UDP frame
# (60 + FCS), inner UDP checksum 0, outer UDP checksum 0 (as the kernel and xvtep send over IPv4).
trafgen_conf() {
	local dmac smac; dmac=$(ip -n "$(ns_host 2)" -j link show eth0 | jq -r '.[0].address')
	smac=$(ip -n "$(ns_host 1)" -j link show eth0 | jq -r '.[0].address')
	python3 - "$dmac" "$smac" "$(underlay_ip 1)" "$(underlay_ip 2)" "$(ctr_mac 2 1)" "$(ctr_mac 1 1)" \
		"$(overlay_ip 1 1)" "$(overlay_ip 2 1)" "$VNI" "$PORT" <<-'EOF'
		import socket, struct, sys
		dmac, smac, us, ud, idm, ism, isrc, idst, vni, port = sys.argv[1:]
		mac = lambda m: bytes.fromhex(m.replace(':', ''))
		def csum(b):
		    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
		    s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
		    return ~s & 0xffff
		def ip4(src, dst, payload):
		    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0, 0x4000, 64, 17, 0,
		                    socket.inet_aton(src), socket.inet_aton(dst))
		    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload
		udp = lambda sp, dp, p: struct.pack('!HHHH', sp, dp, 8 + len(p), 0) + p
		inner = mac(idm) + mac(ism) + b'\x08\x00' + ip4(isrc, idst, udp(1000, 9, b'A' * 18))
		vx = struct.pack('!II', 0x08000000, int(vni) << 8) + inner
		frame = mac(dmac) + mac(smac) + b'\x08\x00' + ip4(us, ud, udp(49152, int(port), vx))
		print('{ ' + ', '.join('0x%02x' % b for b in frame) + ' }')
	EOF
}

setup_kernel() {
	kernel_vtep 2 "$VNI" "$PORT" remote "$(underlay_ip 1)"
	ip -n "$(ns_host 2)" link set c1 master br0
}

setup_xvtep() { # setup_xvtep [agent args...]
	lab_agent 2 "$@" || return 1
	api 2 POST /api/v1/vnis "{\"vni\":$VNI,\"dstport\":$PORT,\"remote\":\"$(underlay_ip 1)\"}" >/dev/null
	api 2 POST "/api/v1/vnis/$VNI/ports" '{"ifname":"c1","xdp":true}' >/dev/null
	# the container's MAC behind c1: learned from one frame it sends (an ARP for its neighbour)
	in_ctr 2 1 ping -c 1 -W 1 "$(overlay_ip 1 1)" >/dev/null 2>&1 || true
}

# Clears XVTEP_CFG_F_NO_XDP_REDIRECT (bit 0 of the u32 at offset 12 of struct xvtep_config) in host 2's pins.
allow_xdp_redirect() {
	local map; map="$(pin_root 2)/xvtep_config"
	local hex; hex=$(bpftool -j map lookup pinned "$map" key 0 0 0 0 | jq -r '.value | map(ltrimstr("0x")) | join(" ")')
	local -a b; read -r -a b <<<"$hex"
	b[12]=$(printf '%02x' $(( 0x${b[12]} & ~1 )))
	bpftool map update pinned "$map" key 0 0 0 0 value hex "${b[@]}"
}

# run_column COL ROUND: build, measure DUR seconds of the generator, tear down
run_column() {
	local col=$1 r=$2 out="$RES/$1.r$2"
	lab_init
	topology
	case "$col" in
	kernel) setup_kernel ;;
	xvtep) setup_xvtep ;;
	xvtep-xdp) setup_xvtep --xdp-mode native && allow_xdp_redirect ;;
	esac
	local h1 h2 c2; h1=$(ns_host 1); h2=$(ns_host 2); c2=$(ns_ctr 2 1)
	trafgen_conf >"$RES/trafgen.cfg"
	TPID=$(start_trafgen "$h1" eth0 "$RES/trafgen.cfg" "$RES/trafgen.log") || return 1
	sleep 1 # past the generator's start-up burst
	local stat0="" tx0 rx0 in0 t0 tx rx in t
	[ "$col" != kernel ] && stat0=$(api 2 GET "/api/v1/vnis/$VNI/stats")
	xdp_counters "$h2" eth0 >"$RES/xdp0"
	tx0=$(ctr_pkts "$h1" eth0 tx); in0=$(ctr_pkts "$h2" eth0 rx); rx0=$(ctr_pkts "$c2" eth0 rx); t0=$(now_ns)
	sleep "$DUR"
	tx=$(ctr_pkts "$h1" eth0 tx); in=$(ctr_pkts "$h2" eth0 rx); rx=$(ctr_pkts "$c2" eth0 rx); t=$(now_ns)
	xdp_counters "$h2" eth0 >"$RES/xdp1"
	stop_group "$TPID"; TPID=""
	{
		echo "pps=$(( (rx - rx0) * 1000000000 / (t - t0) ))"
		echo "sent_pps=$(( (tx - tx0) * 1000000000 / (t - t0) ))"
		echo "taken_in_pps=$(( (in - in0) * 1000000000 / (t - t0) ))"
		echo "xdp_prog_h2_eth0=$(ip -n "$h2" -j link show eth0 | jq -c '.[0].xdp.prog.name // "none"')"
		# evidence of the path: the veth's XDP verdict counters over the window (xdp_redirect = XDP decapsulated)
		echo "xdp_h2_eth0_delta=$(xdp_delta "$RES/xdp0" "$RES/xdp1")"
		if [ -n "$stat0" ]; then
			local stat1; stat1=$(api 2 GET "/api/v1/vnis/$VNI/stats")
			echo "xvtep_h2_stats_delta=$(jq -nc --argjson a "$stat0" --argjson b "$stat1" \
				'$b | to_entries | map(select(.value|type=="number") | {key, value: (.value - ($a[.key] // 0))}) | map(select(.value != 0)) | from_entries')"
		fi
	} >"$out"
	lab_down >/dev/null 2>&1
	LAB_P=""
	log "$col round $r: $(tr '\n' ' ' <"$out")"
}

IFS=, read -r -a COLS <<<"$ONLY"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$ROUNDS"); do
	for c in "${COLS[@]}"; do run_column "$c" "$r"; done
done

best() { local c=$1 k=$2 b=0 v r; for r in $(seq 1 "$ROUNDS"); do v=$(get "$RES/$c.r$r" "$k"); [ -n "$v" ] && [ "$v" -gt "$b" ] && b=$v; done; echo "$b"; }

table() {
	echo "Command: \`$CMDLINE\` ($DUR s per window, best of $ROUNDS interleaved rounds)  "
	echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')  "
	echo "Kernel: $(uname -r); $(nproc) CPUs; load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	printf '| metric |'; for c in "${COLS[@]}"; do printf ' %s |' "$c"; done
	for c in "${COLS[@]}"; do [ "$c" != kernel ] && printf ' %s/kernel |' "$c"; done; echo
	printf '|---|'; for c in "${COLS[@]}"; do printf -- '---:|'; done
	for c in "${COLS[@]}"; do [ "$c" != kernel ] && printf -- '---:|'; done; echo
	local k name
	for k in pps taken_in_pps sent_pps; do
		case $k in
		pps) name="decapsulated and delivered to the container, pps" ;;
		taken_in_pps) name="  (taken in by host 2's eth0, pps)" ;;
		sent_pps) name="  (generator sent, pps)" ;;
		esac
		printf '| %s |' "$name"
		for c in "${COLS[@]}"; do printf ' %s |' "$(kpps "$(best "$c" "$k")")"; done
		for c in "${COLS[@]}"; do [ "$c" != kernel ] && printf ' %s |' "$(ratio "$(best "$c" "$k")" "$(best kernel "$k")")"; done
		echo
	done
	echo
	echo '<details><summary>raw figures per round</summary>'
	echo
	echo '```'
	for f in "$RES"/*.r*; do echo "$(basename "$f"):"; sed 's/^/    /' "$f"; done
	echo '```'
	echo '</details>'
}

table | tee "$RES/table.md"
if [ "$DOC" = 1 ]; then
	doc_replace "$XVTEP_ROOT/docs/benchmarks.md" bench-decap "$RES/table.md"
fi
