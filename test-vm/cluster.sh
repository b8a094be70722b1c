# shellcheck shell=bash
# Cluster mode on namespace hosts (docs/cluster.md): etcd (Debian etcd-server) runs in
# namespaces of the run's own, attached to the lab switch; the agents find each other only
# through it. Sourced by test-vm/itest and test-vm/bench after lib.sh.
#
#   etcd member M: namespace "$LAB_P-etcdM", 198.18.0.(99+M) on the lab switch, data dir under $LAB_STATE
#   keys: /xvtep-$LAB_P/v2/... (a prefix of the run's own)

#   ETCD_TLS=DIR (set by cluster_secure_setup): clients reach etcd over https with certificates from DIR
#   (test-vm/etcd-secure); ETCD_AUTH=1: authentication is on (the helpers below act as root).
#   ETCD_MEMBERS: how many members the run's etcd has (etcd_single, etcd_three).
#   CLUSTER_ETCD_SECURITY=plain|secure, CLUSTER_ETCD_MEMBERS=1|3: run the cases on another etcd than their
#   own default (cluster_etcd), e.g. every chaos case on one plain member, or every case over TLS+auth.
etcd_ns() { echo "$LAB_P-etcd$1"; }
etcd_ip() { echo "198.18.0.$((99 + $1))"; }
etcd_url() { local s=http; [ -n "${ETCD_TLS:-}" ] && s=https; echo "$s://$(etcd_ip "$1"):2379"; }
cluster_prefix() { echo "/xvtep-$LAB_P"; }
in_etcd() { local m=$1; shift; ip netns exec "$(etcd_ns "$m")" "$@"; }

# etcd_member M CLUSTER_SPEC: namespace + veth to the switch + a started etcd (waits for health when alone).
etcd_member() {
	local m=$1 spec=$2 ns sw; ns=$(etcd_ns "$m"); sw=$(ns_sw)
	if ! ip netns list | grep "^$ns\b" >/dev/null; then
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		ip -n "$sw" link add "e$m" type veth peer name eth0 netns "$ns"
		ip -n "$sw" link set "e$m" master br0 up
		ip -n "$ns" addr add "$(etcd_ip "$m")/24" dev eth0
		ip -n "$ns" link set eth0 up
	fi
	etcd_start "$m" "$spec"
}

etcd_start() {
	local m=$1 spec=$2 ip; ip=$(etcd_ip "$m")
	local dir="$LAB_STATE/etcd$m.data" state=new
	[ -d "$dir" ] && state=existing
	mkdir -p "$dir"
	# not through a function: $! must be etcd itself (ip netns exec execs it)
	local tls=()
	[ -n "${ETCD_TLS:-}" ] && tls=(--cert-file "$ETCD_TLS/server.pem" --key-file "$ETCD_TLS/server-key.pem"
		--client-cert-auth --trusted-ca-file "$ETCD_TLS/ca.pem")
	ip netns exec "$(etcd_ns "$m")" etcd --name "e$m" --data-dir "$dir" "${tls[@]}" \
		--listen-client-urls "$(etcd_url "$m")" --advertise-client-urls "$(etcd_url "$m")" \
		--listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
		--initial-cluster "$spec" --initial-cluster-state "$state" --initial-cluster-token "$LAB_P" \
		>>"$LAB_STATE/etcd$m.log" 2>&1 &
	echo $! >"$LAB_STATE/etcd$m.pid"
}

# etcd_wait M: the member answers /health.
etcd_wait() {
	local m=$1
	for _ in $(seq 1 100); do
		etcd_curl "$m" /health 2>/dev/null | grep -q '"health":"true"' && return 0
		sleep 0.2
	done
	lab_log "etcd member $m not healthy; log:"; tail -n 20 "$LAB_STATE/etcd$m.log" >&2
	return 1
}

etcd_stop() {
	local m=$1 sig=${2:-TERM} pidf="$LAB_STATE/etcd$1.pid"
	[ -f "$pidf" ] || return 0
	local pid; pid=$(cat "$pidf")
	local p
	for p in $(descendants "$pid") "$pid"; do kill "-$sig" "$p" 2>/dev/null || true; done
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$pidf"
}

# etcd_single: one member at 198.18.0.100.
etcd_single() {
	export ETCD_MEMBERS=1
	etcd_member 1 "e1=http://$(etcd_ip 1):2380" && etcd_wait 1
}

# etcd_three: three members at 198.18.0.100-102.
etcd_three() {
	local spec="e1=http://$(etcd_ip 1):2380,e2=http://$(etcd_ip 2):2380,e3=http://$(etcd_ip 3):2380"
	export ETCD_MEMBERS=3
	etcd_member 1 "$spec" && etcd_member 2 "$spec" && etcd_member 3 "$spec" &&
		etcd_wait 1 && etcd_wait 2 && etcd_wait 3
}

# cluster_etcd SECURITY MEMBERS [MIN]: the run's etcd on the lab switch, as the case asks unless
# CLUSTER_ETCD_SECURITY / CLUSTER_ETCD_MEMBERS say otherwise (MIN: the fewest members the case can run on,
# e.g. 3 to kill one). plain: http, anonymous; secure: TLS with client certificates and authentication,
# each node confined to its own keys by its role, the operator role (VNI definitions) to every host
# (cluster-secure.sh; cluster_secure checks a node without it).
cluster_etcd() {
	local sec=${CLUSTER_ETCD_SECURITY:-$1} members=${CLUSTER_ETCD_MEMBERS:-$2} min=${3:-1}
	[ "$members" -lt "$min" ] && members=$min
	case "$sec/$members" in
	plain/1) lab_switch; etcd_single ;;
	plain/3) lab_switch; etcd_three ;;
	secure/1 | secure/3) cluster_secure_setup "$members" h1,h2,h3,h4 ;;
	*) fail "etcd '$sec' with $members members: plain or secure, 1 or 3" ;;
	esac || return 1
	echo "    etcd: $sec, $members member(s)"
}
# cluster_etcd_urls: every member's client URL, comma-separated (what agents get).
cluster_etcd_urls() {
	local m u=()
	for m in $(seq 1 "${ETCD_MEMBERS:-1}"); do u+=("$(etcd_url "$m")"); done
	(IFS=,; echo "${u[*]}")
}

# etcd_curl M PATH [JSON]: etcd's JSON gateway on member M (no etcdctl in etcd-server); with TLS the
# gateway client certificate (no common name), with authentication root's token.
etcd_curl() {
	local m=$1 path=$2 args=(-sf --max-time 30)
	[ -n "${ETCD_TLS:-}" ] && args+=(--cacert "$ETCD_TLS/ca.pem" --cert "$ETCD_TLS/gateway.pem" --key "$ETCD_TLS/gateway-key.pem")
	[ -n "${ETCD_AUTH:-}" ] && args+=(-H "Authorization: $(etcd_token "$m" root)")
	[ $# -ge 3 ] && args+=(-d "$3")
	in_etcd "$m" curl "${args[@]}" "$(etcd_url "$m")$path"
}
# etcd_token M USER: a token for USER (password from $ETCD_TLS/USER.password).
etcd_token() {
	in_etcd "$1" curl -sf --max-time 10 --cacert "$ETCD_TLS/ca.pem" --cert "$ETCD_TLS/gateway.pem" --key "$ETCD_TLS/gateway-key.pem" \
		"$(etcd_url "$1")/v3/auth/authenticate" -d "{\"name\":\"$2\",\"password\":\"$(cat "$ETCD_TLS/$2.password")\"}" |
		python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])'
}
b64() { printf '%s' "$1" | base64 -w0; }
etcd_put() {
	etcd_curl "${ETCD_VIA:-1}" /v3/kv/put "{\"key\":\"$(b64 "$1")\",\"value\":\"$(b64 "$2")\"}" >/dev/null
}
etcd_count_prefix() {
	local end; end=$(printf '%s' "$1" | python3 -c 'import sys,base64;p=sys.stdin.buffer.read();print(base64.b64encode(p[:-1]+bytes([p[-1]+1])).decode())')
	etcd_curl "${ETCD_VIA:-1}" /v3/kv/range "{\"key\":\"$(b64 "$1")\",\"range_end\":\"$end\",\"count_only\":true}" |
		python3 -c 'import sys,json;print(json.load(sys.stdin).get("count","0"))'
}

# cluster_sim_claims NODE VTEP VNI N MACPREFIX TTL: a node without an agent (cluster-bench.py claims): a lease
# of TTL s, its node key and N claims MACPREFIX:xx:xx:xx in VNI, written through member ${ETCD_VIA:-1} (as
# root when authentication is on, or as $CLUSTER_SIM_USER).
cluster_sim_claims() {
	local m=${ETCD_VIA:-1} env=(ETCD="$(etcd_url "${ETCD_VIA:-1}")")
	[ -n "${ETCD_TLS:-}" ] && env+=(ETCD_CACERT="$ETCD_TLS/ca.pem" ETCD_CERT="$ETCD_TLS/gateway.pem" ETCD_KEY="$ETCD_TLS/gateway-key.pem")
	[ -n "${ETCD_AUTH:-}" ] && env+=(ETCD_TOKEN="$(etcd_token "$m" "${CLUSTER_SIM_USER:-root}")")
	in_etcd "$m" env "${env[@]}" python3 "$XVTEP_ROOT/test-vm/cluster-bench.py" claims "$(cluster_prefix)" "$@"
}
# etcd_revoke_lease_of KEY: revokes the lease KEY is under (its keys go with it).
etcd_revoke_lease_of() {
	local id; id=$(etcd_curl "${ETCD_VIA:-1}" /v3/kv/range "{\"key\":\"$(b64 "$1")\"}" |
		python3 -c 'import sys,json;k=json.load(sys.stdin).get("kvs");print(k[0].get("lease","0") if k else "0")')
	[ "$id" != 0 ] && etcd_curl "${ETCD_VIA:-1}" /v3/lease/revoke "{\"ID\":\"$id\"}" >/dev/null
}

# cluster_agent N [ETCD_URLS]: agent on host N in cluster mode (short lease for the tests: $CLUSTER_TTL, 5 s;
# $CLUSTER_AGENT_ARGS: more options). Ready within 120 s: the claim at start may watch a previous lease for
# TTL/3 + 1.5 s and keeps trying for 20 s while etcd answers late (NodeIdentity).
cluster_agent() {
	local n=$1 urls=${2:-$(cluster_etcd_urls)}; shift 2 2>/dev/null || shift 1
	# shellcheck disable=SC2046 # options without spaces (the run's state directory has none)
	LAB_AGENT_READY_S=${LAB_AGENT_READY_S:-120} lab_agent "$n" --etcd "$urls" --node "h$n" --etcd-prefix "$(cluster_prefix)" --etcd-lease-ttl "${CLUSTER_TTL:-5}" \
		$(cluster_etcd_credentials "h$n") ${CLUSTER_AGENT_ARGS:-} "$@"
}
# cluster_etcd_credentials NODE: the agent options that make it NODE to a secure etcd (none for a plain one).
cluster_etcd_credentials() {
	[ -n "${ETCD_TLS:-}" ] && echo "--etcd-cacert $ETCD_TLS/ca.pem --etcd-cert $ETCD_TLS/$1.pem --etcd-key $ETCD_TLS/$1-key.pem"
	[ -n "${ETCD_AUTH:-}" ] && echo "--etcd-user $1 --etcd-password-file $ETCD_TLS/$1.password"
	return 0
}

# cluster_agent_kill N [SIG]: the agent process itself (lab_agent records the pid of the subshell
# around nsenter, whose child the JVM is), then the recorded pid.
descendants() { local p; for p in $(pgrep -P "$1"); do descendants "$p"; echo "$p"; done; }
cluster_agent_kill() {
	local n=$1 sig=${2:-TERM} pidf="$LAB_STATE/agent-h$1.pid"
	[ -f "$pidf" ] || return 0
	local pid p; pid=$(cat "$pidf")
	for p in $(descendants "$pid") "$pid"; do kill "-$sig" "$p" 2>/dev/null || true; done
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$pidf"
}

# cluster_fdb N VNI: "mac dst type" lines of host N's FDB for VNI.
cluster_fdb() {
	api "$1" GET "/api/v1/vnis/$2/fdb" | python3 -c '
import sys, json
d = json.load(sys.stdin)
for e in (d if isinstance(d, list) else d.get("entries", d.get("fdb", []))):
    print(e.get("mac"), e.get("dst") or e.get("ifname"), e.get("type"))'
}

# wait_for SECONDS CMD...: CMD succeeds within SECONDS.
wait_for() {
	local t=$1; shift
	local end=$((SECONDS + t))
	while [ $SECONDS -le "$end" ]; do "$@" && return 0; sleep 0.2; done
	return 1
}

# (grep reads all of the listing, never -q: with pipefail, a grep that stops at the first match of a
# long listing fails the pipeline through the lister's broken pipe)
has_fdb() { cluster_fdb "$1" "$2" 2>/dev/null | grep "^$3 $4 cluster$" >/dev/null; }
no_fdb() { ! cluster_fdb "$1" "$2" 2>/dev/null | grep "^$3 " >/dev/null; }
# no_cluster_fdb N VNI MAC: host N has no entry for MAC programmed from the store (a learned one may
# exist: a dead agent's datapath keeps forwarding, see case_cluster_kill).
no_cluster_fdb() { ! cluster_fdb "$1" "$2" 2>/dev/null | grep "^$3 .* cluster$" >/dev/null; }
fdb_line() { cluster_fdb "$1" "$2" 2>/dev/null | grep "^$3 "; }
has_neigh() {
	api "$1" GET "/api/v1/vnis/$2/neigh" | python3 -c '
import sys, json
sys.exit(0 if any(e.get("ip") == sys.argv[1] and e.get("mac") == sys.argv[2] for e in json.load(sys.stdin)) else 1)' "$3" "$4"
}
has_vni() { api "$1" GET "/api/v1/vnis/$2" >/dev/null 2>&1; }
flood_of() { api "$1" GET "/api/v1/vnis/$2" | python3 -c 'import sys,json;print(" ".join(sorted(json.load(sys.stdin)["flood"])))'; }
flood_is() { [ "$(flood_of "$1" "$2" 2>/dev/null)" = "$3" ]; }

# Three hosts, one container each, etcd; VNI 42 created once through host 1's API; ports attached
# locally on each host; nothing else configured.
cluster_three_hosts() {
	local etcd_urls=${1:-}
	if [ -z "$etcd_urls" ]; then cluster_etcd plain 1 || return 1; etcd_urls=$(cluster_etcd_urls); fi
	for n in 1 2 3; do lab_host "$n"; lab_container "$n" 1; done
	for n in 1 2 3; do cluster_agent "$n" "$etcd_urls" || return 1; done
	api 1 POST /api/v1/vnis '{"vni":42}' >/dev/null || fail "create VNI 42 on host 1" || return 1
	for n in 2 3; do wait_for 10 has_vni "$n" 42 || fail "VNI 42 did not reach host $n" || return 1; done
	for n in 1 2 3; do api "$n" POST /api/v1/vnis/42/ports '{"ifname":"c1"}' >/dev/null || fail "port c1 on host $n" || return 1; done
	wait_for 10 flood_is 1 42 "$(underlay_ip 2) $(underlay_ip 3)" || fail "flood list of host 1: '$(flood_of 1 42)'" || return 1
}

cluster_pings() {
	ping_ok 1 1 "$(overlay_ip 2 1)" 3 || fail "h1c1 -> h2c1" || return 1
	ping_ok 2 1 "$(overlay_ip 3 1)" 3 || fail "h2c1 -> h3c1" || return 1
	ping_ok 3 1 "$(overlay_ip 1 1)" 3 || fail "h3c1 -> h1c1" || return 1
}

# Hosts converge from the store alone: VNI everywhere, flood lists, cluster FDB entries, pings.
case_cluster_converge() {
	cluster_three_hosts || return 1
	cluster_pings || return 1
	for n in 1 2 3; do
		for o in 1 2 3; do
			[ "$n" = "$o" ] && continue
			wait_for 5 has_fdb "$n" 42 "$(ctr_mac "$o" 1)" "$(underlay_ip "$o")" ||
				fail "host $n has no cluster entry for $(ctr_mac "$o" 1) -> $(underlay_ip "$o")" || return 1
		done
	done
	# an address registered on the owning host reaches the others' ARP-proxy tables
	api 2 POST /api/v1/vnis/42/neigh "{\"ip\":\"$(overlay_ip 2 1)\",\"mac\":\"$(ctr_mac 2 1)\"}" >/dev/null ||
		fail "neigh on host 2" || return 1
	wait_for 5 has_neigh 1 42 "$(overlay_ip 2 1)" "$(ctr_mac 2 1)" || fail "host 1 has no neigh entry for h2c1" || return 1
	wait_for 5 has_neigh 3 42 "$(overlay_ip 2 1)" "$(ctr_mac 2 1)" || fail "host 3 has no neigh entry for h2c1" || return 1
	# a VNI deleted through host 2 goes everywhere; one created through host 3 appears everywhere
	api 3 POST /api/v1/vnis '{"vni":43}' >/dev/null || fail "create VNI 43 on host 3" || return 1
	wait_for 10 has_vni 1 43 || fail "VNI 43 did not reach host 1" || return 1
	api 2 DELETE /api/v1/vnis/43 >/dev/null || fail "delete VNI 43 on host 2" || return 1
	wait_for 10 eval '! has_vni 1 43 && ! has_vni 3 43' || fail "VNI 43 still on host 1 or 3" || return 1
	curl_metric 1 'xvtep_cluster_initial_sync_complete 1' || fail "initial sync metric" || return 1
}

curl_metric() { api "$1" GET /metrics | grep "^$2" >/dev/null; }

# Container h1c1 (MAC+IP) moves to host 2; h3c1 keeps reaching it.
case_cluster_move() {
	cluster_three_hosts || return 1
	cluster_pings || return 1
	local mac ip; mac=$(ctr_mac 1 1); ip=$(overlay_ip 1 1)
	ip netns del "$(ns_ctr 1 1)"
	local c; c="$LAB_P-h2c9"
	ip netns add "$c"
	ip -n "$c" link set lo up
	ip -n "$(ns_host 2)" link add c9 mtu 1450 type veth peer name eth0 netns "$c"
	ip -n "$c" link set eth0 address "$mac" mtu 1450
	ip -n "$c" addr add "$ip/24" dev eth0
	ip -n "$c" link set eth0 up
	ip -n "$(ns_host 2)" link set c9 up
	api 2 POST /api/v1/vnis/42/ports '{"ifname":"c9"}' >/dev/null || fail "port c9 on host 2" || return 1
	# what a migrated VM/container does: announce itself (gratuitous ARP)
	ip netns exec "$c" arping -c 2 -U -I eth0 "$ip" >/dev/null 2>&1 || true
	wait_for 5 has_fdb 3 42 "$mac" "$(underlay_ip 2)" || fail "host 3 still points $mac elsewhere: $(cluster_fdb 3 42 | grep "$mac")" || return 1
	wait_for 5 has_fdb 1 42 "$mac" "$(underlay_ip 2)" || fail "host 1 not re-pointed: $(cluster_fdb 1 42 | grep "$mac")" || return 1
	ping_ok 3 1 "$ip" 5 || fail "h3c1 cannot reach the moved container" || return 1
	ip netns exec "$c" ping -c 3 -i 0.2 -W 2 "$(overlay_ip 3 1)" >/dev/null 2>&1 || fail "moved container cannot reach h3c1" || return 1
}

# A host's agent dies (kill -9): its endpoints and flood entries vanish elsewhere after the lease TTL.
# What vanishes is what the store programmed (type cluster). Host 3's datapath outlives its agent
# by design (restart without loss) and its container keeps talking: IPv6 router solicitations
# (4/8/16 s back-off after link-up) and ARP probes reach the other hosts through host 3's flood list
# and FDB, and a host with learning on learns the MAC from them once the cluster entry is gone, as the
# kernel's vxlan device would ("learned", aged by the VNI's ageing). Such an entry is not a lost event.
case_cluster_kill() {
	cluster_three_hosts || return 1
	cluster_pings || return 1
	wait_for 5 has_fdb 1 42 "$(ctr_mac 3 1)" "$(underlay_ip 3)" || fail "no entry for h3c1 on host 1" || return 1
	cluster_agent_kill 3 KILL
	local t0=$SECONDS
	local m3; m3=$(ctr_mac 3 1)
	wait_for 15 no_cluster_fdb 1 42 "$m3" || fail "h3c1's cluster entry still on host 1 after 15 s: $(fdb_line 1 42 "$m3")" || return 1
	wait_for 5 no_cluster_fdb 2 42 "$m3" || fail "h3c1's cluster entry still on host 2: $(fdb_line 2 42 "$m3")" || return 1
	wait_for 5 flood_is 1 42 "$(underlay_ip 2)" || fail "host 1 flood list: '$(flood_of 1 42)'" || return 1
	echo "    host 3's entries gone from host 1 after $((SECONDS - t0)) s (lease TTL 5 s)"
	ping_ok 1 1 "$(overlay_ip 2 1)" 3 || fail "h1c1 -> h2c1 after host 3 died" || return 1
	# host 3 comes back: it re-registers and is reachable again
	cluster_agent 3 || return 1
	wait_for 10 has_fdb 1 42 "$(ctr_mac 3 1)" "$(underlay_ip 3)" || ping_ok 3 1 "$(overlay_ip 1 1)" 2
	wait_for 10 has_fdb 1 42 "$(ctr_mac 3 1)" "$(underlay_ip 3)" || fail "host 3 did not come back on host 1" || return 1
}

# etcd stopped and restarted under a continuous ping: no loss; the store works again afterwards.
case_cluster_etcd_restart() {
	cluster_three_hosts || return 1
	cluster_pings || return 1
	local out="$LAB_STATE/ping.out"
	in_ctr 1 1 ping -i 0.05 -c 300 -W 1 "$(overlay_ip 2 1)" >"$out" 2>&1 &
	local pp=$!
	sleep 2
	etcd_stop 1
	sleep 5
	etcd_start 1 "e1=http://$(etcd_ip 1):2380"
	etcd_wait 1 || return 1
	wait "$pp"
	local loss; loss=$(grep -o '[0-9.]*% packet loss' "$out")
	echo "    ping through an etcd restart: $loss"
	[ "$loss" = "0% packet loss" ] || fail "loss: $loss" || return 1
	# the watches resumed: a new VNI still propagates, and a new container's MAC too
	api 2 POST /api/v1/vnis '{"vni":44}' >/dev/null || fail "create VNI 44" || return 1
	wait_for 10 has_vni 1 44 || fail "VNI 44 did not reach host 1 after the restart" || return 1
	wait_for 10 has_fdb 3 42 "$(ctr_mac 1 1)" "$(underlay_ip 1)" || fail "entries lost on host 3" || return 1
}

# Three etcd members; one is killed: the agents keep syncing through the others.
case_cluster_etcd_member_killed() {
	cluster_etcd plain 3 3 || return 1
	cluster_three_hosts "$(cluster_etcd_urls)" || return 1
	cluster_pings || return 1
	etcd_stop 1 KILL
	api 3 POST /api/v1/vnis '{"vni":45}' >/dev/null || fail "create VNI 45" || return 1
	wait_for 15 has_vni 1 45 || fail "VNI 45 did not reach host 1 with member 1 dead" || return 1
	cluster_agent_kill 2 KILL
	wait_for 15 no_cluster_fdb 1 42 "$(ctr_mac 2 1)" ||
		fail "host 2's entries still on host 1 (lease expiry through members 2,3): $(fdb_line 1 42 "$(ctr_mac 2 1)")" || return 1
	cluster_pings_13() { ping_ok 1 1 "$(overlay_ip 3 1)" 3; }
	cluster_pings_13 || fail "h1c1 -> h3c1" || return 1
}

# vni_has N VNI FIELD VALUE: GET /api/v1/vnis/VNI on host N shows FIELD = VALUE (JSON literal).
vni_has() {
	api "$1" GET "/api/v1/vnis/$2" 2>/dev/null | python3 -c '
import sys, json
sys.exit(0 if json.load(sys.stdin).get(sys.argv[1]) == json.loads(sys.argv[2]) else 1)' "$3" "$4"
}
etcd_has() { [ "$(etcd_count_prefix "$1")" != "0" ]; }

# A PATCH on one host reaches every host through the VNI key; nothing loops.
case_cluster_vni_update() {
	cluster_three_hosts || return 1
	api 1 PATCH /api/v1/vnis/42 '{"proxy":true,"ageing":120}' >/dev/null || fail "PATCH VNI 42 on host 1" || return 1
	local t0=$SECONDS n
	for n in 2 3; do
		wait_for 5 eval "vni_has $n 42 proxy true && vni_has $n 42 ageing 120" ||
			fail "host $n: VNI 42 not updated: $(api "$n" GET /api/v1/vnis/42)" || return 1
	done
	echo "    PATCH on host 1 applied on hosts 2 and 3 within $((SECONDS - t0)) s"
	# the store holds the new definition without per-node fields
	etcd_curl 1 /v3/kv/range "{\"key\":\"$(b64 "$(cluster_prefix)/v2/vnis/42")\"}" |
		python3 -c '
import sys, json, base64
v = json.loads(base64.b64decode(json.load(sys.stdin)["kvs"][0]["value"]))
assert v["proxy"] is True and v["ageing"] == 120 and "local" not in v and "remote" not in v, v' ||
		fail "VNI 42 in etcd" || return 1
	# a second change from another host wins the same way, and no agent writes the key back (no loop)
	api 3 PATCH /api/v1/vnis/42 '{"proxy":false,"learning":false}' >/dev/null || fail "PATCH VNI 42 on host 3" || return 1
	for n in 1 2; do
		wait_for 5 eval "vni_has $n 42 proxy false && vni_has $n 42 learning false && vni_has $n 42 ageing 120" ||
			fail "host $n: second update missing: $(api "$n" GET /api/v1/vnis/42)" || return 1
	done
	local w1 w2
	w1=$(cat "$LAB_STATE"/agent-h*.log | grep -c "VNI 42 written to the store")
	sleep 2
	w2=$(cat "$LAB_STATE"/agent-h*.log | grep -c "VNI 42 written to the store")
	[ "$w1" = "$w2" ] || fail "VNI 42 keeps being written ($w1 -> $w2 writes)" || return 1
	# a PATCH the service refuses is refused before anything reaches the store
	if api 2 PATCH /api/v1/vnis/42 '{"ageing":-1}' >/dev/null 2>&1; then fail "invalid PATCH accepted"; return 1; fi
	vni_has 1 42 ageing 120 || fail "host 1 ageing changed by a refused PATCH" || return 1
	cluster_pings || return 1
}

# A VNI deleted while a host's agent is down stays deleted when that agent comes back with the
# VNI still in its (pinned) maps: the deletion left a tombstone in the store.
case_cluster_vni_delete_while_down() {
	cluster_three_hosts || return 1
	cluster_agent_kill 3 KILL
	api 1 DELETE /api/v1/vnis/42 >/dev/null || fail "delete VNI 42 on host 1" || return 1
	wait_for 10 eval '! has_vni 2 42' || fail "VNI 42 still on host 2" || return 1
	etcd_has "$(cluster_prefix)/v2/vni-tombstones/42" || fail "no tombstone for VNI 42 in etcd" || return 1
	if etcd_has "$(cluster_prefix)/v2/vnis/42"; then fail "VNI 42 still in etcd"; return 1; fi
	cluster_agent 3 || return 1
	wait_for 10 eval '! has_vni 3 42' || fail "VNI 42 came back on host 3" || return 1
	sleep 3 # and stays gone everywhere
	local n
	for n in 1 2 3; do ! has_vni "$n" 42 || fail "VNI 42 is back on host $n" || return 1; done
	if etcd_has "$(cluster_prefix)/v2/vnis/42"; then fail "VNI 42 is back in etcd"; return 1; fi
	grep -q "VNI 42 was deleted from the cluster while this node was away" "$LAB_STATE/agent-h3.log" ||
		fail "host 3 did not log the tombstone" || return 1
	# re-creating the VNI removes the tombstone and works everywhere again
	api 2 POST /api/v1/vnis '{"vni":42}' >/dev/null || fail "re-create VNI 42 on host 2" || return 1
	for n in 1 3; do wait_for 10 has_vni "$n" 42 || fail "re-created VNI 42 did not reach host $n" || return 1; done
	wait_for 5 eval '! etcd_has "$(cluster_prefix)/v2/vni-tombstones/42"' || fail "tombstone left after re-creation" || return 1
}

# A dual-stack cluster (issue 13): every node has an IPv4 and an IPv6 VTEP (--local per family, node keys with
# vtep and vtep6); VNI 42 over IPv4 and VNI 43 over IPv6, each created once through host 1's API: every node
# gets both, the flood lists and cluster FDB entries hold the VTEPs of each VNI's family, pings cross both.
case_cluster_dual_stack() {
	cluster_etcd plain 1 || return 1
	local n o
	for n in 1 2 3; do lab_host "$n"; lab_container "$n" 1; lab_container "$n" 2 1430; done
	for n in 1 2 3; do cluster_agent "$n" "$(cluster_etcd_urls)" --local "$(underlay_ip "$n")" --local "$(underlay_ip6 "$n")" || return 1; done
	api 1 POST /api/v1/vnis '{"vni":42}' >/dev/null || fail "create VNI 42 on host 1" || return 1
	api 1 POST /api/v1/vnis "{\"vni\":43,\"local\":\"$(underlay_ip6 1)\"}" >/dev/null || fail "create VNI 43 (IPv6) on host 1" || return 1
	for n in 2 3; do
		wait_for 10 has_vni "$n" 43 || fail "VNI 43 did not reach host $n" || return 1
		[ "$(api "$n" GET /api/v1/vnis/43 | jq -r .local)" = "$(underlay_ip6 "$n")" ] ||
			fail "VNI 43 on host $n is not IPv6: $(api "$n" GET /api/v1/vnis/43)" || return 1
	done
	for n in 1 2 3; do
		api "$n" POST /api/v1/vnis/42/ports '{"ifname":"c1"}' >/dev/null || fail "port c1 on host $n" || return 1
		api "$n" POST /api/v1/vnis/43/ports '{"ifname":"c2"}' >/dev/null || fail "port c2 on host $n" || return 1
	done
	wait_for 10 flood_is 1 42 "$(underlay_ip 2) $(underlay_ip 3)" || fail "IPv4 flood list of host 1: '$(flood_of 1 42)'" || return 1
	wait_for 10 flood_is 1 43 "$(underlay_ip6 2) $(underlay_ip6 3)" || fail "IPv6 flood list of host 1: '$(flood_of 1 43)'" || return 1
	ping_ok 1 1 "$(overlay_ip 2 1)" 3 && ping_ok 3 1 "$(overlay_ip 1 1)" 3 || fail "pings over the IPv4 VNI" || return 1
	ping_ok 1 2 "$(overlay_ip 2 2)" 3 && ping_ok 2 2 "$(overlay_ip 3 2)" 3 && ping_ok 3 2 "$(overlay_ip 1 2)" 3 ||
		fail "pings over the IPv6 VNI" || return 1
	for o in 2 3; do
		wait_for 5 has_fdb 1 42 "$(ctr_mac "$o" 1)" "$(underlay_ip "$o")" ||
			fail "host 1: no IPv4 cluster entry for $(ctr_mac "$o" 1): $(fdb_line 1 42 "$(ctr_mac "$o" 1)")" || return 1
		wait_for 5 has_fdb 1 43 "$(ctr_mac "$o" 2)" "$(underlay_ip6 "$o")" ||
			fail "host 1: no IPv6 cluster entry for $(ctr_mac "$o" 2): $(fdb_line 1 43 "$(ctr_mac "$o" 2)")" || return 1
	done
	curl_metric 1 'xvtep_cluster_initial_sync_complete 1' || fail "initial sync metric" || return 1
}

CLUSTER_CASES=(cluster_converge cluster_dual_stack cluster_move cluster_kill cluster_etcd_restart cluster_etcd_member_killed
	cluster_vni_update cluster_vni_delete_while_down)
