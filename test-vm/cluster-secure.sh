# shellcheck shell=bash
# Cluster mode on an etcd with TLS (client certificates) and authentication on, nodes confined by
# roles to their own keys (docs/cluster.md, "Security"; test-vm/etcd-secure). Sourced by
# test-vm/itest after cluster.sh.

# cluster_secure_setup MEMBERS [OPERATORS]: lab CA and certificates, etcd (1 or 3 members) over TLS requiring
# client certificates, users h1-h4 with their node roles, the operator role for OPERATORS (comma-separated,
# default h1), authentication on.
cluster_secure_setup() {
	local members=$1 operators=${2:-h1} ips
	export ETCD_TLS="$LAB_STATE/pki"
	ips=$(for m in $(seq 1 "$members"); do etcd_ip "$m"; done | paste -sd,)
	"$HERE/etcd-secure" certs "$ETCD_TLS" "$ips" h1 h2 h3 h4 || fail "certificates" || return 1
	lab_switch
	if [ "$members" = 1 ]; then etcd_single || return 1; else etcd_three || return 1; fi
	in_etcd 1 "$HERE/etcd-secure" roles "$ETCD_TLS" "$(etcd_url 1)" "$(cluster_prefix)" "$operators" h1 h2 h3 h4 ||
		fail "etcd users and roles" || return 1
	export ETCD_AUTH=1
}

# etcd_as USER PATH JSON: the JSON gateway (member $ETCD_VIA, default 1) with USER's certificate and
# token; prints the answer.
etcd_as() {
	local m=${ETCD_VIA:-1}
	in_etcd "$m" curl -s --max-time 10 --cacert "$ETCD_TLS/ca.pem" --cert "$ETCD_TLS/gateway.pem" --key "$ETCD_TLS/gateway-key.pem" \
		-H "Authorization: $(etcd_token "$m" "$1")" "$(etcd_url "$m")$2" -d "$3"
}
denied() { echo "$1" | grep -q "permission denied"; }

# Three hosts on a TLS+auth etcd: they converge; each node's credentials write its own keys only; VNI
# definitions need the operator role; no certificate or a wrong password gets nothing.
case_cluster_secure() {
	cluster_secure_setup 1 || return 1
	cluster_three_hosts "$(etcd_url 1)" || return 1
	cluster_pings || return 1
	wait_for 5 has_fdb 1 42 "$(ctr_mac 2 1)" "$(underlay_ip 2)" || fail "no entry for h2c1 on host 1" || return 1
	local p out claim; p="$(cluster_prefix)/v2"
	claim='{"v":1,"node":"h2","vtep":"198.18.0.12","ips":[]}'
	out=$(etcd_as h2 /v3/kv/put "{\"key\":\"$(b64 "$p/endpoints/h2/42/02:77:00:00:00:01")\",\"value\":\"$(b64 "$claim")\"}")
	denied "$out" && { fail "h2 may not write under its own prefix: $out"; return 1; }
	etcd_as h2 /v3/kv/deleterange "{\"key\":\"$(b64 "$p/endpoints/h2/42/02:77:00:00:00:01")\"}" >/dev/null
	local k
	for k in "$p/endpoints/h1/42/02:77:00:00:00:02" "$p/nodes/h1" "$p/vnis/42" "$p/vni-tombstones/42" "$p/nodes/h2x"; do
		out=$(etcd_as h2 /v3/kv/put "{\"key\":\"$(b64 "$k")\",\"value\":\"$(b64 '{"vni":42,"allowed_src":[]}')\"}")
		denied "$out" || fail "h2 wrote $k: $out" || return 1
	done
	out=$(etcd_as h2 /v3/kv/deleterange "{\"key\":\"$(b64 "$p/vnis/42")\"}")
	denied "$out" || fail "h2 deleted VNI 42: $out" || return 1
	echo "    h2's credentials: own prefix written; h1's keys, VNI definitions and tombstones refused by etcd"
	# the other nodes' lease TTLs are looked up under authentication too (docs/cluster.md "Lease TTL")
	ttl_ops() { api 1 GET /metrics | awk -v r="$1" 'index($0, "xvtep_cluster_store_op_seconds_count{op=\"ttl\",result=\"" r "\"") == 1 {s += $2} END {print int(s)}'; }
	wait_for 10 eval '[ $(ttl_ops ok) -ge 2 ]' || fail "host 1 looked up $(ttl_ops ok) leases (errors: $(ttl_ops error)): $(api 1 GET /metrics | grep store_op_seconds_count)" || return 1
	[ "$(ttl_ops error)" = 0 ] || fail "host 1's lease lookups failed $(ttl_ops error) times under auth" || return 1
	# no client certificate: the TLS handshake fails; a wrong password: no token
	if in_etcd 1 curl -sf --max-time 5 --cacert "$ETCD_TLS/ca.pem" "$(etcd_url 1)/v3/kv/range" -d '{"key":"eA=="}' >/dev/null 2>&1; then
		fail "etcd answered a client without a certificate"; return 1
	fi
	out=$(in_etcd 1 curl -s --cacert "$ETCD_TLS/ca.pem" --cert "$ETCD_TLS/gateway.pem" --key "$ETCD_TLS/gateway-key.pem" \
		"$(etcd_url 1)/v3/auth/authenticate" -d '{"name":"h2","password":"wrong"}')
	echo "$out" | grep -q '"token"' && { fail "a wrong password got a token"; return 1; }
	# a PATCH through host 2 (no operator role) stays on host 2; through host 1 (operator) it reaches all
	api 2 PATCH /api/v1/vnis/42 '{"ageing":111}' >/dev/null || fail "PATCH on host 2" || return 1
	wait_for 10 grep -q "VNI 42 in the store refused by etcd (permission denied)" "$LAB_STATE/agent-h2.log" ||
		fail "host 2 did not log the refusal" || return 1
	vni_has 1 42 ageing 111 && { fail "host 2's PATCH reached host 1"; return 1; }
	api 1 PATCH /api/v1/vnis/42 '{"ageing":222}' >/dev/null || fail "PATCH on host 1" || return 1
	for n in 2 3; do wait_for 10 vni_has "$n" 42 ageing 222 || fail "host 1's PATCH did not reach host $n" || return 1; done
	# a killed agent's lease still expires (no permission needed to let it lapse); it comes back
	cluster_agent_kill 3 KILL
	wait_for 15 no_cluster_fdb 1 42 "$(ctr_mac 3 1)" || fail "h3's entry stayed on host 1" || return 1
	cluster_agent 3 || return 1
	wait_for 10 has_fdb 1 42 "$(ctr_mac 3 1)" "$(underlay_ip 3)" || ping_ok 3 1 "$(overlay_ip 1 1)" 2
	wait_for 10 has_fdb 1 42 "$(ctr_mac 3 1)" "$(underlay_ip 3)" || fail "h3 did not come back" || return 1
	cluster_pings || return 1
}

# etcd_leader: the member number of the current leader (1-3).
etcd_leader() {
	local m id leader
	for m in 1 2 3; do
		out=$(etcd_curl "$m" /v3/maintenance/status '{}' 2>/dev/null) || continue
		id=$(echo "$out" | python3 -c 'import sys,json;d=json.load(sys.stdin);print(d["header"]["member_id"], d["leader"])') || continue
		set -- $id
		[ "$1" = "$2" ] && { echo "$m"; return 0; }
	done
	return 1
}

# Three TLS+auth members; the leader is killed while the agents sync $CLUSTER_LEADER_SYNC (50,000)
# endpoints of a node h4 (no agent; its own credentials, under its lease): they go on through the
# others, every host ends with all the endpoints etcd holds, and a VNI created afterwards propagates.
case_cluster_secure_leader_killed() {
	cluster_secure_setup 3 || return 1
	local urls; urls="$(etcd_url 1),$(etcd_url 2),$(etcd_url 3)"
	# one node's 50,000 endpoints in one VNI: beyond the receiving caps' defaults, lifted for this case
	CLUSTER_AGENT_ARGS="--etcd-node-maxaddress 0" cluster_three_hosts "$urls" || return 1
	local n
	for n in 1 2 3; do api "$n" PATCH /api/v1/vnis/42 '{"maxaddress":0}' >/dev/null || fail "maxaddress 0 on host $n" || return 1; done
	cluster_pings || return 1
	local leader; leader=$(etcd_leader) || fail "no etcd leader" || return 1
	export ETCD_VIA=$((leader % 3 + 1)) # the test's own writes and reads go through a member that lives
	local total=${CLUSTER_LEADER_SYNC:-50000} p; p="$(cluster_prefix)/v2"
	# h4's node key and endpoints under its lease, in transactions of 128, written with h4's credentials
	CLUSTER_SIM_USER=h4 cluster_sim_claims h4 198.18.0.14 42 "$total" 02:78:00 600 >"$LAB_STATE/h4-writer.log" 2>&1 &
	local writer=$!
	remote() { api "$1" GET /metrics | awk '$1 == "xvtep_cluster_remote_endpoints" {print int($2); f=1} END {if (!f) print 0}'; }
	# kill the leader once the sync is under way (a few thousand endpoints in)
	wait_for 60 eval '[ $(remote 1) -ge 3000 ]' || fail "h4's endpoints do not arrive: $(remote 1)" || return 1
	etcd_stop "$leader" KILL
	echo "    killed etcd leader e$leader with $(remote 1) endpoints synced on host 1"
	wait "$writer"
	cat "$LAB_STATE/h4-writer.log"
	local want; want=$(etcd_count_prefix "$p/endpoints/h4/42/02:78:")
	[ "$want" -gt $((total / 2)) ] || fail "only $want endpoints written" || return 1
	for n in 1 2 3; do # h4's and the two other hosts' containers
		wait_for 120 eval "[ \$(remote $n) = $((want + 2)) ]" || fail "host $n has $(remote "$n") of $((want + 2)) remote endpoints" || return 1
	done
	echo "    $want endpoints written around the leader's death: all on hosts 1, 2 and 3"
	api 1 POST /api/v1/vnis '{"vni":47}' >/dev/null || fail "create VNI 47" || return 1
	for n in 2 3; do wait_for 15 has_vni "$n" 47 || fail "VNI 47 did not reach host $n" || return 1; done
}

CLUSTER_CASES+=(cluster_secure cluster_secure_leader_killed)
