#!/usr/bin/env bash
# One entry point for a fresh Debian/Ubuntu machine, as root:
#   ./run.sh demo    install dependencies, build, run the multi-host lab demo
#   ./run.sh test    install dependencies, build, run every test
#   ./run.sh setup   only install dependencies and build
#   ./run.sh bench   install, build, run the benchmarks
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(clang llvm make libbpf-dev libbpf1 bpftool iproute2 iputils-ping ethtool curl jq etcd-server
	tcpdump tshark iperf3 iputils-arping netsniff-ng util-linux procps ruby openjdk-17-jdk-headless maven
	prometheus python3 openssl gnuplot-nox podman runc containernetworking-plugins busybox-static)

setup() {
	local missing=()
	for p in "${APT_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "setup: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		# tshark asks whether non-root users may capture; answer for it.
		echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
		# The tests run the prometheus binary themselves (own config, loopback of a namespace); the
		# packaged service would listen on :9090 of the host, so stop it if this install started it.
		if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
			systemctl disable --now prometheus >/dev/null 2>&1 || true
		fi
		# Likewise podman's API socket and restart units: the tests run podman themselves.
		if [[ " ${missing[*]} " == *" podman "* ]] && [ -d /run/systemd/system ]; then
			systemctl disable --now podman.socket podman.service podman-restart.service >/dev/null 2>&1 || true
		fi
	fi
	echo "setup: building (mvn package, CNI plugin)"
	mvn -B -q -DskipTests package
	make -s -C cni CC=clang
}

case "${1:-}" in
setup) setup ;;
demo)  setup; exec test-vm/lab demo ;;
test)
	setup
	echo "== unit, packet and API tests (mvn verify)"
	mvn -B verify # the datapath fuzzer runs its default million frames
	echo "== integration tests on namespace hosts"
	exec test-vm/itest
	;;
bench) setup; exec test-vm/bench ;;
*) echo "usage: $0 demo|test|setup|bench" >&2; exit 2 ;;
esac
