# shellcheck shell=bash
# Namespace-host topology shared by the lab (test-vm/lab), the integration tests
# (test-vm/itest) and the benchmark (test-vm/bench). Source it; do not run it.
#
# Every object this file creates carries the run's prefix ($LAB_P): namespaces
# "$LAB_P-sw", "$LAB_P-h1", "$LAB_P-h1c1", bpffs pin roots /sys/fs/bpf/$LAB_P-*.
# Nothing is created in the root network namespace: veth pairs are created inside
# the switch or host namespace with their peer placed straight into the other one.
#
#   underlay: switch namespace with bridge br0; host N is 198.18.0.(10+N)/24 and 2001:db8::N/64 on eth0
#   overlay : container M of host N is 10.20.1.(10*N+M)/24, MAC 02:00:00:00:0N:0M,
#             its host-side veth is cM in host N

XVTEP_ROOT=${XVTEP_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
XVTEP_BIN=${XVTEP_BIN:-$XVTEP_ROOT/xvtep}
LAB_API_PORT=${LAB_API_PORT:-8470}
LAB_PIDS=()

lab_log() { printf '%s\n' "$*" >&2; }

# The agents pin their maps on the host's bpffs. systemd mounts it at boot; a machine booted without
# systemd (a container's init, as on some CI machines) has none, and the agent does not mount one where it
# cannot tell that its mounts are the host's (host.PinRootCheck: it would be lost with the agent). So the
# lab mounts it, as systemd would, in the root mount namespace; it stays after the run, as systemd's does.
lab_bpffs() {
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && return 0
	lab_log "lab: /sys/fs/bpf is not a bpffs: mounting the host's (mount -t bpf bpf /sys/fs/bpf)"
	mount -t bpf -o mode=0700 bpf /sys/fs/bpf
}

# A fresh prefix per run, so that two runs cannot collide.
lab_init() {
	lab_bpffs
	LAB_P=${1:-xv$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')}
	LAB_STATE=/run/xvtep-lab/$LAB_P
	mkdir -p "$LAB_STATE"
	export LAB_P LAB_STATE
}

ns_sw()   { echo "$LAB_P-sw"; }
ns_host() { echo "$LAB_P-h$1"; }
ns_ctr()  { echo "$LAB_P-h$1c$2"; }
underlay_ip() { echo "198.18.0.$((10 + $1))"; }
underlay_ip6() { echo "2001:db8::$1"; } # documentation prefix, inside the lab's namespaces only
overlay_ip()  { echo "10.20.1.$((10 * $1 + $2))"; }
ctr_mac()     { printf '02:00:00:00:%02x:%02x\n' "$1" "$2"; }
pin_root()    { echo "/sys/fs/bpf/$LAB_P-h$1"; }

# Run a command inside host N's network namespace but in the root mount namespace,
# so that /sys/fs/bpf stays visible (`ip netns exec` remounts /sys and hides it).
in_host() { local n=$1; shift; nsenter --net="/run/netns/$(ns_host "$n")" "$@"; }
in_ctr()  { local n=$1 m=$2; shift 2; ip netns exec "$(ns_ctr "$n" "$m")" "$@"; }
in_sw()   { ip netns exec "$(ns_sw)" "$@"; }

# wait_listening FILE: tcpdump wrote "listening on" to its stderr FILE (10 s deadline).
wait_listening() {
	local i
	for i in $(seq 100); do
		grep -q 'listening on' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# capture_start N PCAP FILTER: tcpdump on host N's underlay eth0 into PCAP, returning once it listens; its pid
# (for capture_stop) in CAPTURE_PID. Started with nsenter itself, not in_host in the background: $! of a
# backgrounded function is a subshell's, whose kill leaves tcpdump running. --immediate-mode -U: each frame
# is in the file as it arrives (without it, libpcap holds frames in a ring block for up to a second, and a
# count read right after the traffic missed the last ones: the cni_two_hosts flake).
capture_start() {
	local n=$1 pcap=$2 filter=$3
	nsenter --net="/run/netns/$(ns_host "$n")" timeout 60 tcpdump --immediate-mode -i eth0 -U -w "$pcap" "$filter" \
		>/dev/null 2>"$pcap.err" &
	CAPTURE_PID=$!
	wait_listening "$pcap.err" || { capture_stop "$CAPTURE_PID"; lab_log "tcpdump on host $n did not start"; return 1; }
}

# capture_stop PID: tcpdump ends (SIGINT: it writes what it holds), waited for.
capture_stop() { kill -INT "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; }

lab_switch() {
	local sw; sw=$(ns_sw)
	ip netns add "$sw"
	ip -n "$sw" link set lo up
	# No IGMP querier in the lab: without snooping the bridge floods multicast like a hub.
	ip -n "$sw" link add br0 type bridge mcast_snooping 0
	ip -n "$sw" link set br0 up
}

lab_host() {
	local n=$1 sw h; sw=$(ns_sw); h=$(ns_host "$n")
	ip netns add "$h"
	ip -n "$h" link set lo up
	ip -n "$sw" link add "h$n" type veth peer name eth0 netns "$h"
	ip -n "$sw" link set "h$n" master br0 up
	ip -n "$h" addr add "$(underlay_ip "$n")/24" dev eth0
	# nodad: usable at once (no duplicate address detection wait); the IPv6 underlay of the ipv6 cases
	ip -n "$h" addr add "$(underlay_ip6 "$n")/64" dev eth0 nodad
	ip -n "$h" link set eth0 up
	# Multicast underlay: route the group range out of eth0 (IPv6: ff00::/8 is routed per device already).
	ip -n "$h" route add 224.0.0.0/4 dev eth0
}

# lab_container N M [MTU]: container M on host N, host-side veth cM.
lab_container() {
	local n=$1 m=$2 mtu=${3:-1450} h c; h=$(ns_host "$n"); c=$(ns_ctr "$n" "$m")
	ip netns add "$c"
	ip -n "$c" link set lo up
	ip -n "$h" link add "c$m" mtu "$mtu" type veth peer name eth0 netns "$c"
	ip -n "$c" link set eth0 address "$(ctr_mac "$n" "$m")" mtu "$mtu"
	ip -n "$c" addr add "$(overlay_ip "$n" "$m")/24" dev eth0
	ip -n "$c" link set eth0 up
	# NAPI on the container end lets the XDP fast path redirect frames into it.
	ip netns exec "$c" ethtool -K eth0 gro on >/dev/null 2>&1 || true
	ip -n "$h" link set "c$m" up
}

# lab_agent N [extra agent args...]: start `xvtep agent` on host N, wait for /readyz.
lab_agent() {
	local n=$1; shift
	local log="$LAB_STATE/agent-h$n.log"
	# nsenter directly, not the in_host function: a backgrounded function runs in a subshell whose
	# pid is not the agent's (lab_agent_kill would kill the subshell and leave the agent running);
	# nsenter and the launcher exec, so $! is the agent's JVM.
	nsenter --net="/run/netns/$(ns_host "$n")" "$XVTEP_BIN" agent --underlay eth0 --api "127.0.0.1:$LAB_API_PORT" \
		--pin-root "$(pin_root "$n")" "$@" >>"$log" 2>&1 &
	local pid=$!
	LAB_PIDS+=("$pid")
	echo "$pid" >"$LAB_STATE/agent-h$n.pid"
	# $LAB_AGENT_READY_S (60 s): by the clock, not a count of polls, whose length grows with the load
	local end=$((SECONDS + ${LAB_AGENT_READY_S:-60}))
	while [ $SECONDS -lt $end ]; do
		if api "$n" GET /readyz >/dev/null 2>&1; then return 0; fi
		if ! kill -0 "$pid" 2>/dev/null; then
			lab_log "agent on host $n exited; log:"; tail -n 30 "$log" >&2; return 1
		fi
		sleep 0.2
	done
	lab_log "agent on host $n not ready after ${LAB_AGENT_READY_S:-60} s; log:"; tail -n 30 "$log" >&2
	return 1
}

# Stop host N's agent (by the pid this run recorded), leaving its programs and pins.
lab_agent_kill() {
	local n=$1 sig=${2:-TERM} pidf="$LAB_STATE/agent-h$1.pid"
	[ -f "$pidf" ] || return 0
	local pid; pid=$(cat "$pidf")
	kill "-$sig" "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$pidf"
}

# api N METHOD PATH [JSON]: the agent's HTTP API on host N; prints the body, fails on >= 400.
api() {
	local n=$1 method=$2 path=$3 body=${4:-}
	local args=(-sS -f --max-time 60 -X "$method" "http://127.0.0.1:$LAB_API_PORT$path")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
	in_host "$n" curl "${args[@]}"
}

# The kernel's own VTEP on host N, as in the seed articles: vxlan0 + bridge br0 + ports.
kernel_vtep() {
	local n=$1 vni=$2 dstport=$3; shift 3
	local h; h=$(ns_host "$n")
	ip -n "$h" link add vxlan0 type vxlan id "$vni" dstport "$dstport" local "$(underlay_ip "$n")" dev eth0 "$@"
	ip -n "$h" link set vxlan0 mtu 1450
	ip -n "$h" link add br0 type bridge
	ip -n "$h" link set vxlan0 master br0
	ip -n "$h" link set vxlan0 up
	ip -n "$h" link set br0 up
}

# kernel_vtep6 N VNI DSTPORT [ip link options...]: kernel_vtep over the IPv6 underlay (local 2001:db8::N).
kernel_vtep6() {
	local n=$1 vni=$2 dstport=$3; shift 3
	local h; h=$(ns_host "$n")
	ip -n "$h" link add vxlan0 type vxlan id "$vni" dstport "$dstport" local "$(underlay_ip6 "$n")" dev eth0 "$@"
	# no mtu set: with `dev eth0` the kernel gives it eth0's less 70 (outer Ethernet + IPv6 + UDP + VXLAN): 1430
	ip -n "$h" link add br0 type bridge
	ip -n "$h" link set vxlan0 master br0
	ip -n "$h" link set vxlan0 up
	ip -n "$h" link set br0 up
}

# Remove everything of this run's prefix: processes (by recorded pid), namespaces, pins.
lab_down() {
	local pidf pid ns
	declare -F cni_down >/dev/null && cni_down # containers of the CNI cases (test-vm/cni.sh)
	for pidf in "$LAB_STATE"/*.pid; do # agents and helpers this run started
		[ -f "$pidf" ] || continue
		pid=$(cat "$pidf")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$pidf"
	done
	for ns in $(ip netns list | awk '{print $1}' | grep "^$LAB_P-" || true); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		# the agents' underlay lock files are named after the namespace's inode
		rm -f "/run/xvtep/underlay-netns$(stat -L -c %i "/run/netns/$ns" 2>/dev/null)-if"*.lock
		ip netns del "$ns" 2>/dev/null || true
	done
	for pin in /sys/fs/bpf/"$LAB_P"-*; do
		[ -e "$pin" ] && rm -rf "$pin"
	done
	rm -f /run/xvtep/_sys_fs_bpf_"$LAB_P"-* # the agents' saved sysctl values and pin root lock files
	for ns in "$LAB_STATE"/netns/*; do # namespaces bind-mounted outside /run/netns (unnamed for ip netns)
		[ -e "$ns" ] && umount "$ns" 2>/dev/null && rm -f "$ns"
	done
	[ -n "${LAB_KEEP_STATE:-}" ] || rm -rf "$LAB_STATE"
}

# ping_ok N M IP [COUNT]: container (N,M) reaches IP.
ping_ok() {
	local n=$1 m=$2 ip=$3 count=${4:-3}
	in_ctr "$n" "$m" ping -c "$count" -i 0.2 -W 2 "$ip" >/dev/null 2>&1
}

# ---- benchmark helpers (test-vm/bench-*.sh)
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
now_ns() { date +%s%N; }
rss_mib() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; } # PID: resident set in MiB

heap_mib() { # PID: MiB of heap in use after a full GC (jcmd), i.e. what the JVM keeps, not garbage
	jcmd "$1" GC.run >/dev/null 2>&1
	jcmd "$1" GC.heap_info 2>/dev/null | awk '/used/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i + 1); sub(/K.*/, "", v); printf "%d", v / 1024; exit}}'
}
