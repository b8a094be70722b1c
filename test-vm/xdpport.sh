# shellcheck shell=bash
# The XDP encapsulation path of a port (xdp_encap: bpf/xvtep_port_xdp.bpf.c on the host side of a
# container's veth), against the kernel's vxlan device as the far end. Sourced by test-vm/itest after lib.sh.

# Frames the XDP program of host N's port cM redirected (the veth's per-queue XDP counters).
xdpport_redirects() {
	in_host "$1" ethtool -S "c$2" 2>/dev/null | awk '/xdp_redirect:/ {s += $2} END {print s + 0}'
}

# TCP segments container (N,M)'s stack found with a bad checksum (/proc/net/snmp, Tcp InCsumErrors).
tcp_csum_errors() {
	in_ctr "$1" "$2" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["InCsumErrors"] }' /proc/net/snmp
}

# Host 1: xvtep with port c1 "xdp_encap"; host 2: the kernel's vxlan device. Pings and 20 MB of TCP from
# container (1,1) go out through XDP (the veth's xdp_redirect counter moves by at least the frames sent) and
# arrive with right checksums (TcpInCsumErrors stays 0 at the receiver); the agent turned the container's tx
# checksum offload off (the control: with it back on the receiver counts bad checksums); deleting the port
# removes the XDP program. Refusals: a non-veth interface and an IPv6
# VNI that checksums its outer UDP are refused (409 / 400) and nothing is attached.
case_xdp_encap_port() {
	lab_switch
	lab_host 1; lab_host 2
	lab_container 1 1; lab_container 2 1
	# XDP_REDIRECT into host 1's underlay veth needs NAPI at its peer, the switch's h1 (as a NIC needs ndo_xdp_xmit)
	in_sw ethtool -K h1 gro on >/dev/null
	lab_agent 1 || return 1
	api 1 POST /api/v1/vnis "{\"vni\":42,\"dstport\":4789,\"remote\":\"$(underlay_ip 2)\"}" >/dev/null || fail "create VNI on host 1" || return 1
	local p; p=$(api 1 POST /api/v1/vnis/42/ports '{"ifname":"c1","xdp_encap":true}') || fail "attach c1 with xdp_encap" || return 1
	[ "$(jq '.xdp_encap' <<<"$p")" = true ] || fail "port answer: $p" || return 1
	kernel_vtep 2 42 4789 remote "$(underlay_ip 1)"
	ip -n "$(ns_host 2)" link set c1 master br0
	in_host 1 ip -d link show c1 | grep -q "prog/xdp id" || fail "no XDP program on c1" || return 1
	local csum; csum=$(in_ctr 1 1 ethtool -k eth0 | awk '/^tx-checksumming:/ {print $2}')
	[ "$csum" = off ] || fail "container (1,1) still has tx-checksumming $csum" || return 1

	local r0 e0; r0=$(xdpport_redirects 1 1); e0=$(tcp_csum_errors 2 1)
	pings_both_ways || return 1
	local r1; r1=$(xdpport_redirects 1 1)
	[ "$r1" -gt "$r0" ] || fail "no frame was redirected by XDP on c1 ($r0 -> $r1)" || return 1
	local gbps; gbps=$(cni_iperf 2 "/run/netns/$(ns_ctr 1 1)" "$(overlay_ip 2 1)") || fail "iperf3 through the XDP port" || return 1
	local r2 e1; r2=$(xdpport_redirects 1 1); e1=$(tcp_csum_errors 2 1)
	echo "    20 MB TCP through xdp_encap c1 to the kernel's device: $gbps Gbit/s; XDP redirects $r0 -> $r2; receiver TcpInCsumErrors $e0 -> $e1"
	[ "$((r2 - r1))" -gt 7000 ] || fail "TCP did not go through XDP ($r1 -> $r2 redirects for 20 MB, ~15,000 segments of 1,398 bytes)" || return 1
	[ "$e1" = "$e0" ] || fail "receiver saw bad TCP checksums: $e0 -> $e1" || return 1

	# The control: with the container's tx checksum offload back on, its TCP checksums arrive incomplete
	# (CHECKSUM_PARTIAL lost in the XDP redirect) and the receiver counts them bad: why the agent turns it off.
	in_ctr 1 1 ethtool -K eth0 tx on >/dev/null 2>&1
	in_ctr 2 1 timeout 20 iperf3 -s -1 -p 5203 >/dev/null 2>&1 &
	local spid=$!
	for _ in $(seq 50); do in_ctr 2 1 ss -Hltn "sport = :5203" | grep -q 5203 && break; sleep 0.2; done
	in_ctr 1 1 timeout 4 iperf3 -c "$(overlay_ip 2 1)" -p 5203 -t 1 --connect-timeout 2000 >/dev/null 2>&1
	kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
	local e2; e2=$(tcp_csum_errors 2 1)
	echo "    control, tx checksum offload back on in (1,1): receiver TcpInCsumErrors $e1 -> $e2"
	[ "$e2" -gt "$e1" ] || fail "with tx checksum offload on, no bad checksum arrived: the control shows nothing" || return 1

	api 1 DELETE /api/v1/vnis/42/ports/c1 >/dev/null || fail "delete port c1" || return 1
	in_host 1 ip -d link show c1 | grep -q "prog/xdp" && { fail "XDP program left on c1 after the port went"; return 1; }

	# refusals change nothing
	in_host 1 ip link add d0 type bridge # not a veth (no dummy module on the lab kernel)
	local code
	code=$(in_host 1 curl -s -o "$LAB_STATE/refusal.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-d '{"ifname":"d0","xdp_encap":true}' "http://127.0.0.1:$LAB_API_PORT/api/v1/vnis/42/ports")
	[ "$code" = 409 ] || fail "xdp_encap on a bridge: HTTP $code $(cat "$LAB_STATE/refusal.json")" || return 1
	echo "    refused: $(jq -r '.message // .error // .' "$LAB_STATE/refusal.json" | head -c 200)"
	api 1 POST /api/v1/vnis "{\"vni\":43,\"dstport\":4789,\"local\":\"$(underlay_ip6 1)\",\"remote\":\"$(underlay_ip6 2)\"}" >/dev/null || fail "create IPv6 VNI 43" || return 1
	code=$(in_host 1 curl -s -o "$LAB_STATE/refusal6.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-d '{"ifname":"c1","xdp_encap":true}' "http://127.0.0.1:$LAB_API_PORT/api/v1/vnis/43/ports")
	[ "$code" = 400 ] || fail "xdp_encap in a checksumming IPv6 VNI: HTTP $code $(cat "$LAB_STATE/refusal6.json")" || return 1
	local left; left=$( (api 1 GET /api/v1/vnis/42/ports; api 1 GET /api/v1/vnis/43/ports) | jq -s 'map(length) | add')
	[ "$left" = 0 ] || fail "a refused port was added ($left ports)" || return 1
	in_host 1 ip -d link show c1 | grep -q "prog/xdp" && { fail "a refused port got an XDP program"; return 1; }

	# The CNI plugin with "xdpEncap": true turns the container's tx checksum offload off and adds the port with xdp_encap
	local d="$LAB_STATE/direct" pod="$LAB_P-xpod" out host
	mkdir -p "$d"; ip netns add "$pod"
	cni_conf "$d/xdp.json" 42 '"xdpEncap":true'
	out=$(cni_call 1 ADD x1 "/run/netns/$pod" "$d/xdp.json") || fail "CNI ADD with xdpEncap: $out" || return 1
	host=$(api 1 GET /api/v1/vnis/42/ports | jq -r '.[] | select(.xdp_encap) | .ifname')
	[ -n "$host" ] || fail "the CNI port is not xdp_encap: $(api 1 GET /api/v1/vnis/42/ports)" || return 1
	in_host 1 ip -d link show "$host" | grep -q "prog/xdp" || fail "no XDP program on the CNI port $host" || return 1
	csum=$(ip netns exec "$pod" ethtool -k eth0 | awk '/^tx-checksumming:/ {print $2}')
	[ "$csum" = off ] || fail "the CNI container still has tx-checksumming $csum" || return 1
	echo "    CNI xdpEncap: port $host xdp_encap, container tx-checksumming $csum"
	cni_call 1 DEL x1 "/run/netns/$pod" "$d/xdp.json" >/dev/null || fail "CNI DEL" || return 1
	ip netns del "$pod"
	return 0
}

XDPPORT_CASES=(xdp_encap_port)
