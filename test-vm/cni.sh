# shellcheck shell=bash
# The CNI plugin (cni/) under a real container runtime: Debian's podman 4.3 (CNI backend) runs
# inside a lab host's network namespace, so the container's host-side veth lands in that host
# and the plugin talks to that host's agent. Sourced by test-vm/itest, test-vm/lab and
# test-vm/bench after lib.sh.
#
# Each host's podman is the run's own: CONTAINERS_CONF, --root, --runroot, tmp_dir, CNI configs,
# host-local and plugin state all under $LAB_STATE/podman-hN; the image is imported from the
# busybox-static binary. Nothing is written to the machine's global configuration; what podman
# and runc insist on creating themselves (/var/lib/containers/cache, /var/lib/cni, /run/runc) is
# removed again when this run created it.

CNI_BIN_DIR=${CNI_BIN_DIR:-$XVTEP_ROOT/cni/build}
CNI_GLOBAL_DIRS=(/var/lib/containers /var/lib/cni /run/runc)

cni_dir() { echo "$LAB_STATE/podman-h$1"; }

# pm N ARGS...: podman of host N, in host N's network namespace
pm() {
	local n=$1; shift
	local d; d=$(cni_dir "$n")
	CONTAINERS_CONF="$d/containers.conf" nsenter --net="/run/netns/$(ns_host "$n")" \
		podman --root "$d/root" --runroot "$d/runroot" "$@"
}

# cni_host N: podman configuration + the busybox image for host N (remembers which global
# directories existed, so that cni_down removes only what this run made)
cni_host() {
	local n=$1 d; d=$(cni_dir "$n")
	[ -x "$CNI_BIN_DIR/xvtep" ] || { lab_log "cni: build the plugin first (make -C cni)"; return 1; }
	if [ ! -f "$LAB_STATE/cni-globals" ]; then
		local g
		for g in "${CNI_GLOBAL_DIRS[@]}"; do [ -e "$g" ] && echo "$g"; done >"$LAB_STATE/cni-globals"
	fi
	mkdir -p "$d/net.d" "$d/tmp"
	cat >"$d/containers.conf" <<-CONF
		[containers]
		default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
		[network]
		network_backend = "cni"
		cni_plugin_dirs = ["$CNI_BIN_DIR", "/usr/lib/cni"]
		network_config_dir = "$d/net.d"
		[engine]
		runtime = "runc"
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$d/events.log"
		tmp_dir = "$d/tmp"
	CONF
	local rootfs="$LAB_STATE/rootfs"
	if [ ! -f "$LAB_STATE/rootfs.tar" ]; then
		mkdir -p "$rootfs/bin"
		cp /bin/busybox "$rootfs/bin/busybox"
		local a
		for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$rootfs/bin/$a"; done
		tar -C "$rootfs" -cf "$LAB_STATE/rootfs.tar" .
	fi
	pm "$n" import --change "ENV PATH=/bin" "$LAB_STATE/rootfs.tar" localhost/bb:1 >/dev/null 2>>"$d/podman.log" ||
		{ lab_log "cni: podman import on host $n failed: $(tail -n 3 "$d/podman.log")"; return 1; }
}

# cni_network N NAME VNI [EXTRA_JSON]: a network of the plugin on host N; host N hands out
# 10.20.N.2-10.20.N.254 of 10.20.0.0/16 (hosts never overlap).
cni_network() {
	local n=$1 name=$2 vni=$3 extra=${4:-} d; d=$(cni_dir "$n")
	cat >"$d/net.d/$name.conflist" <<-JSON
		{"cniVersion":"1.0.0","name":"$name","plugins":[{"type":"xvtep","vni":$vni,
		 "agent":"http://127.0.0.1:$LAB_API_PORT","dataDir":"$d/xvtep"${extra:+,$extra},
		 "ipam":{"type":"host-local","dataDir":"$d/ipam",
		  "ranges":[[{"subnet":"10.20.0.0/16","rangeStart":"10.20.$n.2","rangeEnd":"10.20.$n.254"}]]}}]}
	JSON
}

# cni_run N NAME NETWORK: a container that sleeps, on host N (NET_RAW for ping and arping)
cni_run() {
	pm "$1" run -d --name "$2" --network "$3" --cap-add NET_RAW localhost/bb:1 sleep 100000 >/dev/null 2>>"$(cni_dir "$1")/podman.log"
}
cni_ip() { pm "$1" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$2"; }
cni_mac() { pm "$1" inspect -f '{{range .NetworkSettings.Networks}}{{.MacAddress}}{{end}}' "$2"; }
cni_stat() { api "$1" GET "/api/v1/vnis/$2/stats" | jq ".$3"; }

# Removes every container and what podman/runc made outside $LAB_STATE (called by lab_down).
cni_down() {
	local d n pid g m ns
	for d in "$LAB_STATE"/podman-h*; do
		[ -f "$d/containers.conf" ] || continue
		n=${d##*podman-h}
		if ip netns list | grep -q "^$(ns_host "$n")\b"; then
			# the containers' namespaces, in case rm cannot remove them itself
			pm "$n" ps -aq 2>/dev/null | while read -r c; do
				pm "$n" inspect -f '{{.NetworkSettings.SandboxKey}}' "$c" 2>/dev/null
			done >"$d/sandboxes"
			CONTAINERS_CONF="$d/containers.conf" timeout 120 nsenter --net="/run/netns/$(ns_host "$n")" \
				podman --root "$d/root" --runroot "$d/runroot" rm -af -t 0 >/dev/null 2>>"$d/podman.log"
		fi
		# a podman that died mid-way leaves conmon and containers behind: they name our paths
		for pid in $(pgrep -f -- "$d/" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		for ns in $(cat "$d/sandboxes" 2>/dev/null); do
			[ -e "$ns" ] && ip netns del "$(basename "$ns")" 2>/dev/null
		done
		for m in $(awk '{print $2}' /proc/mounts | grep "^$d/" | sort -r); do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		done
		rm -rf --one-file-system "$d" 2>/dev/null
	done
	if [ -f "$LAB_STATE/cni-globals" ]; then
		for g in "${CNI_GLOBAL_DIRS[@]}"; do
			grep -qx "$g" "$LAB_STATE/cni-globals" || rm -rf "$g"
		done
	fi
}

# ------------------------------------------------------------------ cases

# No entry of a container is left on host N: no xv* veth, port, FDB or neighbour entry, lease.
cni_nothing_left() {
	local n=$1 vni=$2 d; d=$(cni_dir "$1")
	local links; links=$(in_host "$n" ip -o link show | awk -F': ' '{print $2}' | grep '^xv' || true)
	[ -z "$links" ] || fail "host $n: veths left: $links" || return 1
	[ "$(api "$n" GET "/api/v1/vnis/$vni/ports" | jq length)" = 0 ] || fail "host $n: ports left: $(api "$n" GET "/api/v1/vnis/$vni/ports")" || return 1
	[ "$(api "$n" GET "/api/v1/vnis/$vni/fdb?type=static" | jq length)" = 0 ] || fail "host $n: FDB entries left" || return 1
	[ "$(api "$n" GET "/api/v1/vnis/$vni/neigh" | jq length)" = 0 ] || fail "host $n: neighbour entries left" || return 1
	local leases; leases=$(find "$d/ipam" -type f ! -name lock ! -name 'last_reserved_ip*' 2>/dev/null)
	[ -z "$leases" ] || fail "host $n: IPAM leases left: $leases" || return 1
	[ -z "$(ls -A "$d/xvtep" 2>/dev/null)" ] || fail "host $n: plugin state left: $(ls "$d/xvtep")" || return 1
}

# Two hosts, VNI 42 without learning, ARP proxy on; a podman container on each. The test plays
# the orchestrator of standalone mode: it gives each host the other's container (FDB + neigh) from
# the CNI result. Then host 1's container pings host 2's by IP: no ARP frame crosses the underlay,
# nothing is learned, flooded or missed.
case_cni_cross_host() {
	lab_switch
	local n o
	for n in 1 2; do
		lab_host "$n"
		lab_agent "$n" || return 1
		api "$n" POST /api/v1/vnis '{"vni":42,"learning":false,"proxy":true}' >/dev/null || fail "VNI on host $n" || return 1
		cni_host "$n" || return 1
		cni_network "$n" blue 42
		cni_run "$n" c1 blue || fail "podman run on host $n: $(tail -n 5 "$(cni_dir "$n")/podman.log")" || return 1
	done
	local ip1 ip2 mac1 mac2
	ip1=$(cni_ip 1 c1); ip2=$(cni_ip 2 c1); mac1=$(cni_mac 1 c1); mac2=$(cni_mac 2 c1)
	echo "    host 1: c1 $ip1 $mac1; host 2: c1 $ip2 $mac2"
	[[ $ip1 == 10.20.1.* && $ip2 == 10.20.2.* ]] || fail "addresses from host-local: '$ip1' '$ip2'" || return 1
	# the container's side is what the plugin says: MTU of the VNI, the MAC the agent knows
	pm 1 exec c1 ip -o link show eth0 | grep -q "mtu 1450 " || fail "container MTU: $(pm 1 exec c1 ip -o link show eth0)" || return 1
	api 1 GET '/api/v1/vnis/42/fdb?type=static' | jq -e --arg m "$mac1" 'map(select(.mac==$m and (.ifname|startswith("xv")))) | length == 1' >/dev/null ||
		fail "host 1 has no FDB entry $mac1 -> its port" || return 1
	api 1 GET /api/v1/vnis/42/neigh | jq -e --arg m "$mac1" --arg i "$ip1" 'map(select(.mac==$m and .ip==$i)) | length == 1' >/dev/null ||
		fail "host 1 has no neighbour entry $ip1 -> $mac1" || return 1
	for n in 1 2; do
		o=$((3 - n))
		local ipo maco
		ipo=$(cni_ip "$o" c1); maco=$(cni_mac "$o" c1)
		api "$n" POST /api/v1/vnis/42/fdb "{\"mac\":\"$maco\",\"dst\":\"$(underlay_ip "$o")\"}" >/dev/null || fail "FDB on host $n" || return 1
		api "$n" POST /api/v1/vnis/42/neigh "{\"ip\":\"$ipo\",\"mac\":\"$maco\"}" >/dev/null || fail "neigh on host $n" || return 1
	done
	local pcap="$LAB_STATE/underlay.pcap"
	in_host 1 timeout 20 tcpdump -i eth0 -U -w "$pcap" udp port 4789 >/dev/null 2>&1 &
	local tp=$!
	sleep 1
	pm 1 exec c1 ping -c 3 -i 0.2 -W 2 "$ip2" >/dev/null || fail "host 1's container cannot ping $ip2" || return 1
	pm 2 exec c1 ping -c 3 -i 0.2 -W 2 "$ip1" >/dev/null || fail "host 2's container cannot ping $ip1" || return 1
	sleep 0.5
	kill "$tp" 2>/dev/null; wait "$tp" 2>/dev/null
	local icmp arp
	icmp=$(tshark -r "$pcap" -d udp.port==4789,vxlan -Y 'vxlan && icmp' 2>/dev/null | wc -l)
	arp=$(tshark -r "$pcap" -d udp.port==4789,vxlan -Y 'vxlan && arp' 2>/dev/null | wc -l)
	echo "    underlay of host 1: $icmp ICMP and $arp ARP frames in VXLAN"
	[ "$icmp" -ge 12 ] || fail "the pings did not cross the underlay ($icmp ICMP frames)" || return 1
	[ "$arp" = 0 ] || fail "$arp ARP frames crossed the underlay" || return 1
	for n in 1 2; do
		local s; s=$(api "$n" GET /api/v1/vnis/42/stats)
		echo "    host $n: $(jq -c '{proxied, learned, flooded_packets, l2miss, l3miss}' <<<"$s")"
		jq -e '.learned == 0 and .flooded_packets == 0 and .l2miss == 0 and .l3miss == 0 and .proxied >= 1' <<<"$s" >/dev/null ||
			fail "host $n learned, flooded or missed" || return 1
		[ "$(api "$n" GET '/api/v1/vnis/42/fdb?type=learned' | jq length)" = 0 ] || fail "learned entries on host $n" || return 1
	done
}

CNI_CASES=(cni_cross_host)
