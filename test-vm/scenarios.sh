# shellcheck shell=bash
# The seed articles' scenarios with xvtep in place of the kernel's vxlan device.
# Each scenario_NAME builds its topology on the current prefix (lab_init), checks the
# outcome with real pings and captures, prints what it checked, and returns 0 or 1.
# Used by `test-vm/lab` (demo, one scenario at a time) and `test-vm/itest`.
# Requires lib.sh.

SCENARIOS=(p2p bridge multicast vtep-group static-fdb arp-proxy miss multi-vni interop interop-multicast mac-move containers)

declare -A SCENARIO_DOC=(
	[p2p]="point to point: 'remote', the host-side vxlan0 device with an overlay address, no containers"
	[bridge]="containers on two hosts behind one VNI (seed: vxlan + bridge + veth)"
	[multicast]="three hosts, BUM to group 239.1.1.1 on the underlay"
	[vtep-group]="three hosts, head-end replication to all-zero FDB entries (bridge fdb append 00:00:00:00:00:00)"
	[static-fdb]="nolearning: every MAC programmed by hand, nothing learned"
	[arp-proxy]="proxy: ARP answered from the neigh table, no ARP on the underlay"
	[miss]="l2miss/l3miss events answered by a responder that fills fdb and neigh through the API"
	[multi-vni]="VNIs 42 and 43 side by side with the same container addresses, isolated"
	[interop]="one host on the kernel's vxlan device, two on xvtep, mixed group"
	[interop-multicast]="one host on the kernel's vxlan device, two on xvtep, all in group 239.1.1.1"
	[mac-move]="a container moves from host 2 to host 3 (same MAC and IP); host 1 follows it"
	[containers]="the bridge scenario with podman containers wired by the xvtep CNI plugin instead of hand-made veths"
)

say() { printf '    %s\n' "$*"; }
check() { # check DESCRIPTION CMD...: run CMD, print the outcome
	local what=$1; shift
	if "$@"; then say "ok: $what"; return 0; fi
	say "FAILED: $what"; return 1
}

# api_ok N METHOD PATH JSON: an API call that must succeed (prints the error otherwise)
api_ok() {
	local out
	if ! out=$(api "$@" 2>&1); then say "API $2 $3 on host $1 failed: $out"; return 1; fi
}

# hosts N: switch + N hosts with an agent each
hosts() {
	local n=$1; shift
	lab_switch
	for h in $(seq 1 "$n"); do lab_host "$h"; done
	for h in $(seq 1 "$n"); do lab_agent "$h" "$@" || return 1; done
}

vni_json() { # vni_json VNI [key=json ...]
	local vni=$1; shift
	local j="{\"vni\":$vni,\"dstport\":4789"
	for kv in "$@"; do j+=",\"${kv%%=*}\":${kv#*=}"; done
	echo "$j}"
}

# capture_count N FILTER SECONDS CMD...: frames matching FILTER on host N's eth0 while CMD runs
capture_count() {
	local n=$1 filter=$2; shift 2
	local pcap="$LAB_STATE/cap-$RANDOM.pcap"
	capture_start "$n" "$pcap" "$filter" || { echo 0; return 1; }
	local tp=$CAPTURE_PID
	"$@" >/dev/null 2>&1
	sleep 0.2
	capture_stop "$tp"
	tshark -r "$pcap" 2>/dev/null | wc -l
}

scenario_p2p() {
	hosts 2 || return 1
	api_ok 1 POST /api/v1/vnis "$(vni_json 42 remote="\"$(underlay_ip 2)\"" device='"vxlan0"')" || return 1
	api_ok 2 POST /api/v1/vnis "$(vni_json 42 remote="\"$(underlay_ip 1)\"" device='"vxlan0"')" || return 1
	ip -n "$(ns_host 1)" addr add 10.20.1.2/24 dev vxlan0
	ip -n "$(ns_host 2)" addr add 10.20.1.3/24 dev vxlan0
	check "host 1 (10.20.1.2 on vxlan0) pings host 2's 10.20.1.3 over the tunnel" \
		in_host 1 ping -c 3 -i 0.2 -W 2 10.20.1.3 >/dev/null
}

scenario_bridge() {
	hosts 2 || return 1
	for h in 1 2; do
		lab_container "$h" 1; lab_container "$h" 2
		local other=$((3 - h))
		api_ok "$h" POST /api/v1/vnis "$(vni_json 42 remote="\"$(underlay_ip $other)\"")" || return 1
		api_ok "$h" POST /api/v1/vnis/42/ports '{"ifname":"c1"}' || return 1
		api_ok "$h" POST /api/v1/vnis/42/ports '{"ifname":"c2"}' || return 1
	done
	check "container 1/1 pings 2/1 across hosts" ping_ok 1 1 "$(overlay_ip 2 1)" 3 &&
		check "container 2/2 pings 1/2 across hosts" ping_ok 2 2 "$(overlay_ip 1 2)" 3 &&
		check "containers 1/1 and 1/2 on one host reach each other locally" ping_ok 1 1 "$(overlay_ip 1 2)" 3
}

scenario_multicast() {
	hosts 3 || return 1
	for h in 1 2 3; do
		lab_container "$h" 1
		api_ok "$h" POST /api/v1/vnis "$(vni_json 42 group='"239.1.1.1"')" || return 1
		api_ok "$h" POST /api/v1/vnis/42/ports '{"ifname":"c1"}' || return 1
	done
	local n; n=$(capture_count 2 "udp port 4789 and dst host 239.1.1.1" ping_ok 1 1 "$(overlay_ip 3 1)" 2)
	check "container on host 1 pings host 3's" ping_ok 1 1 "$(overlay_ip 3 1)" 3 &&
		check "container on host 2 pings host 1's" ping_ok 2 1 "$(overlay_ip 1 1)" 3 &&
		check "BUM went to group 239.1.1.1 on the underlay ($n frames seen by host 2)" test "$n" -gt 0
}

scenario_vtep-group() {
	hosts 3 || return 1
	for h in 1 2 3; do
		lab_container "$h" 1
		api_ok "$h" POST /api/v1/vnis "$(vni_json 42)" || return 1
		api_ok "$h" POST /api/v1/vnis/42/ports '{"ifname":"c1"}' || return 1
		for o in 1 2 3; do
			[ "$o" = "$h" ] && continue
			api_ok "$h" POST /api/v1/vnis/42/fdb "{\"mac\":\"00:00:00:00:00:00\",\"dst\":\"$(underlay_ip $o)\"}" || return 1
		done
	done
	check "host 1 reaches host 2" ping_ok 1 1 "$(overlay_ip 2 1)" 3 &&
		check "host 1 reaches host 3" ping_ok 1 1 "$(overlay_ip 3 1)" 3 &&
		check "host 3 reaches host 2" ping_ok 3 1 "$(overlay_ip 2 1)" 3
}

scenario_static-fdb() {
	hosts 2 || return 1
	for h in 1 2; do
		local o=$((3 - h))
		lab_container "$h" 1
		api_ok "$h" POST /api/v1/vnis "$(vni_json 42 learning=false)" || return 1
		api_ok "$h" POST /api/v1/vnis/42/ports '{"ifname":"c1"}' || return 1
		api_ok "$h" POST /api/v1/vnis/42/fdb "{\"mac\":\"00:00:00:00:00:00\",\"dst\":\"$(underlay_ip $o)\"}" || return 1
		api_ok "$h" POST /api/v1/vnis/42/fdb "{\"mac\":\"$(ctr_mac $o 1)\",\"dst\":\"$(underlay_ip $o)\"}" || return 1
	done
	check "containers ping with hand-made FDB entries" ping_ok 1 1 "$(overlay_ip 2 1)" 3 || return 1
	local learned; learned=$(api 1 GET '/api/v1/vnis/42/fdb?type=learned' | jq 'length')
	check "nothing was learned from the underlay (learned entries: $learned)" test "$learned" = 0
}

scenario_arp-proxy() {
	hosts 2 || return 1
	for h in 1 2; do
		local o=$((3 - h))
		lab_container "$h" 1
		api_ok "$h" POST /api/v1/vnis "$(vni_json 42 learning=false proxy=true)" || return 1
		api_ok "$h" POST /api/v1/vnis/42/ports '{"ifname":"c1"}' || return 1
		api_ok "$h" POST /api/v1/vnis/42/fdb "{\"mac\":\"$(ctr_mac $o 1)\",\"dst\":\"$(underlay_ip $o)\"}" || return 1
		api_ok "$h" POST /api/v1/vnis/42/neigh "{\"ip\":\"$(overlay_ip $o 1)\",\"mac\":\"$(ctr_mac $o 1)\"}" || return 1
	done
	local arps
	arps=$(capture_count 1 "udp port 4789" in_ctr 1 1 arping -c 2 -w 3 -I eth0 "$(overlay_ip 2 1)")
	local answered; answered=$(api 1 GET /api/v1/vnis/42/stats | jq '.proxied')
	check "ARP answered by host 1's proxy (proxied=$answered)" test "$answered" -ge 1 &&
		check "no VXLAN frame on the underlay while ARPing ($arps seen)" test "$arps" = 0 &&
		check "containers ping" ping_ok 1 1 "$(overlay_ip 2 1)" 3
}

scenario_miss() {
	hosts 2 || return 1
	for h in 1 2; do
		lab_container "$h" 1
		api_ok "$h" POST /api/v1/vnis "$(vni_json 42 learning=false proxy=true l2miss=true l3miss=true)" || return 1
		api_ok "$h" POST /api/v1/vnis/42/ports '{"ifname":"c1"}' || return 1
	done
	# The responder: a tiny control plane that answers misses from a table of "known" endpoints.
	for h in 1 2; do
		"$XVTEP_ROOT/test-vm/miss-responder" "$h" >>"$LAB_STATE/responder-h$h.log" 2>&1 &
		echo $! >"$LAB_STATE/responder-h$h.pid"
	done
	sleep 1
	# Each side's first ARP waits for the kernel's 1 s retry after its l3miss was answered, and
	# the first frames to a MAC wait for their l2miss answer: converge first, then demand a clean ping.
	local i
	for i in $(seq 1 10); do ping_ok 1 1 "$(overlay_ip 2 1)" 1 && break; done
	check "container on host 1 pings host 2's once the responders filled neigh and fdb" \
		ping_ok 1 1 "$(overlay_ip 2 1)" 3 || return 1
	local l3 l2
	l3=$(api 1 GET /api/v1/vnis/42/stats | jq '.l3miss')
	l2=$(api 1 GET /api/v1/vnis/42/stats | jq '.l2miss')
	check "l3miss ($l3) and l2miss ($l2) events were raised" test "$l3" -ge 1 -a "$l2" -ge 1
}

scenario_multi-vni() {
	hosts 2 || return 1
	for h in 1 2; do
		local o=$((3 - h))
		lab_container "$h" 1; lab_container "$h" 2
		# both containers of a host get the same overlay address, in different VNIs
		ip -n "$(ns_ctr "$h" 2)" addr flush dev eth0
		ip -n "$(ns_ctr "$h" 2)" addr add "$(overlay_ip "$h" 1)/24" dev eth0
		api_ok "$h" POST /api/v1/vnis "$(vni_json 42 remote="\"$(underlay_ip $o)\"")" || return 1
		api_ok "$h" POST /api/v1/vnis "$(vni_json 43 remote="\"$(underlay_ip $o)\"")" || return 1
		api_ok "$h" POST /api/v1/vnis/42/ports '{"ifname":"c1"}' || return 1
		api_ok "$h" POST /api/v1/vnis/43/ports '{"ifname":"c2"}' || return 1
	done
	check "VNI 42: 1/1 pings 2/1" ping_ok 1 1 "$(overlay_ip 2 1)" 3 &&
		check "VNI 43: 1/2 pings the same address, answered by 2/2" ping_ok 1 2 "$(overlay_ip 2 1)" 3 || return 1
	local mac; mac=$(in_ctr 1 2 ip neigh show "$(overlay_ip 2 1)" | awk '{print $5}')
	check "VNI 43 resolved to 2/2's MAC ($mac), not 2/1's" test "$mac" = "$(ctr_mac 2 2)" &&
		check "no VNI 42 frame reached a VNI 43 container (2/2 saw only VNI 43 peers)" \
			sh -c "! ip netns exec $(ns_ctr 2 2) ip neigh | grep -q '$(ctr_mac 1 1)'"
}

scenario_interop() {
	lab_switch
	for h in 1 2 3; do lab_host "$h"; lab_container "$h" 1; done
	lab_agent 1 || return 1
	lab_agent 2 || return 1
	for h in 1 2; do
		api_ok "$h" POST /api/v1/vnis "$(vni_json 42)" || return 1
		api_ok "$h" POST /api/v1/vnis/42/ports '{"ifname":"c1"}' || return 1
		for o in 1 2 3; do
			[ "$o" = "$h" ] && continue
			api_ok "$h" POST /api/v1/vnis/42/fdb "{\"mac\":\"00:00:00:00:00:00\",\"dst\":\"$(underlay_ip $o)\"}" || return 1
		done
	done
	kernel_vtep 3 42 4789 nolearning
	ip -n "$(ns_host 3)" link set c1 master br0
	for o in 1 2; do
		in_host 3 bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst "$(underlay_ip $o)"
	done
	# the kernel host learns nothing by itself (nolearning): give it the xvtep containers
	for o in 1 2; do
		in_host 3 bridge fdb append "$(ctr_mac $o 1)" dev vxlan0 dst "$(underlay_ip $o)"
	done
	check "xvtep host 1 pings the kernel host's container" ping_ok 1 1 "$(overlay_ip 3 1)" 3 &&
		check "the kernel host's container pings xvtep host 2's" ping_ok 3 1 "$(overlay_ip 2 1)" 3 &&
		check "xvtep hosts reach each other in the mixed group" ping_ok 2 1 "$(overlay_ip 1 1)" 3
}

scenario_interop-multicast() {
	lab_switch
	for h in 1 2 3; do lab_host "$h"; lab_container "$h" 1; done
	for h in 1 2; do
		lab_agent "$h" || return 1
		api_ok "$h" POST /api/v1/vnis "$(vni_json 42 group='"239.1.1.1"')" || return 1
		api_ok "$h" POST /api/v1/vnis/42/ports '{"ifname":"c1"}' || return 1
	done
	kernel_vtep 3 42 4789 group 239.1.1.1
	ip -n "$(ns_host 3)" link set c1 master br0
	check "the kernel host's container pings xvtep host 1's (ARP over the group)" ping_ok 3 1 "$(overlay_ip 1 1)" 3 &&
		check "xvtep host 2's container pings the kernel host's" ping_ok 2 1 "$(overlay_ip 3 1)" 3 &&
		check "xvtep hosts reach each other over the group" ping_ok 1 1 "$(overlay_ip 2 1)" 3
}

scenario_mac-move() {
	hosts 3 || return 1
	for h in 1 2 3; do
		api_ok "$h" POST /api/v1/vnis "$(vni_json 42)" || return 1
		for o in 1 2 3; do
			[ "$o" = "$h" ] && continue
			api_ok "$h" POST /api/v1/vnis/42/fdb "{\"mac\":\"00:00:00:00:00:00\",\"dst\":\"$(underlay_ip $o)\"}" || return 1
		done
	done
	lab_container 1 1; lab_container 2 1
	api_ok 1 POST /api/v1/vnis/42/ports '{"ifname":"c1"}' || return 1
	api_ok 2 POST /api/v1/vnis/42/ports '{"ifname":"c1"}' || return 1
	check "before the move: 1/1 pings the container on host 2" ping_ok 1 1 "$(overlay_ip 2 1)" 3 || return 1
	local where; where=$(api 1 GET /api/v1/vnis/42/fdb | jq -r ".[] | select(.mac==\"$(ctr_mac 2 1)\") | .dst")
	check "host 1 learned the container behind host 2 ($where)" test "$where" = "$(underlay_ip 2)" || return 1
	# the move: the container leaves host 2 and comes up on host 3 with the same MAC and IP
	ip netns del "$(ns_ctr 2 1)"
	ip netns add "$(ns_ctr 3 1)"
	ip -n "$(ns_ctr 3 1)" link set lo up
	ip -n "$(ns_host 3)" link add c1 mtu 1450 type veth peer name eth0 netns "$(ns_ctr 3 1)"
	ip -n "$(ns_ctr 3 1)" link set eth0 address "$(ctr_mac 2 1)" mtu 1450
	ip -n "$(ns_ctr 3 1)" addr add "$(overlay_ip 2 1)/24" dev eth0
	ip -n "$(ns_ctr 3 1)" link set eth0 up
	ip -n "$(ns_host 3)" link set c1 up
	api_ok 3 POST /api/v1/vnis/42/ports '{"ifname":"c1"}' || return 1
	# as a migrated VM does, it announces itself (gratuitous ARP)
	in_ctr 3 1 arping -U -c 2 -I eth0 "$(overlay_ip 2 1)" >/dev/null 2>&1
	where=$(api 1 GET /api/v1/vnis/42/fdb | jq -r ".[] | select(.mac==\"$(ctr_mac 2 1)\") | .dst")
	check "host 1 re-pointed the MAC to host 3 at once ($where)" test "$where" = "$(underlay_ip 3)" &&
		check "after the move: 1/1 still pings it" ping_ok 1 1 "$(overlay_ip 2 1)" 3
}

# Requires cni.sh (podman per host, the plugin's network "blue").
scenario_containers() {
	hosts 2 || return 1
	local h c
	for h in 1 2; do
		local o=$((3 - h))
		api_ok "$h" POST /api/v1/vnis "$(vni_json 42 remote="\"$(underlay_ip $o)\"")" || return 1
		cni_host "$h" || return 1
		cni_network "$h" blue 42
		for c in 1 2; do
			cni_run "$h" "c$c" blue || { say "podman run c$c on host $h failed: $(tail -n 2 "$(cni_dir "$h")/podman.log")"; return 1; }
		done
	done
	say "podman containers: host 1 c1 $(cni_ip 1 c1) c2 $(cni_ip 1 c2); host 2 c1 $(cni_ip 2 c1) c2 $(cni_ip 2 c2)"
	pm_ping() { pm "$1" exec "$2" ping -c 3 -i 0.2 -W 2 "$3" >/dev/null 2>&1; }
	check "container c1 on host 1 pings c1 on host 2" pm_ping 1 c1 "$(cni_ip 2 c1)" &&
		check "container c2 on host 2 pings c2 on host 1" pm_ping 2 c2 "$(cni_ip 1 c2)" &&
		check "containers c1 and c2 on host 1 reach each other locally" pm_ping 1 c1 "$(cni_ip 1 c2)" || return 1
	pm 1 rm -f -t 0 c2 >/dev/null 2>&1
	check "podman rm took c2's port off host 1" \
		test "$(api 1 GET /api/v1/vnis/42/ports | jq length)" = 1
}

# shellcheck source=scenarios-ipv6.sh
. "$(dirname "${BASH_SOURCE[0]}")/scenarios-ipv6.sh"
