# bench/lib.sh - what the benchmark scripts share; sourced, not run.
#
#   bench_init           what the build needs installed, everything built,
#                        private daemon on a temporary socket, cleanup on exit
#   bench_need PKG...    the Debian packages among PKG that are missing,
#                        installed (as root)
#   bench_mpps FILE      the rate of pkt-gen's "Speed:" line in FILE, in Mpps
#   bench_memif SIZE     DPDK memif between two dpdk-testpmd processes
#                        (txonly -> rxonly), best one-second Mpps, or nothing
#   bench_ratio A B      A / B with two decimals, or nothing
#   bench_result KEY VALUE   one "result KEY VALUE" line, what bench/all.sh
#                        collects (nothing when VALUE is empty)
#
# For the benchmarks on veth pairs between namespaces (nic.sh, vale_nic.sh):
#   bench_bg OUT CMD...  CMD in the background in a process group of its own,
#                        output to OUT; prints its pid
#   bench_stop PID...    SIGINT to their groups, up to 5 s each, then SIGKILL
#   bench_measure NS IF SECS   packets/s received by IF of namespace NS over
#                        SECS seconds, after a warm-up of 1.5 s
#   bench_median_pps FILE      the median of the "N pps" (Kpps, Mpps) lines a
#                        receiver printed, zeros left out
#   bench_daemon         unetmapd of $B on $tmp/d.sock (log, and its stderr, in
#                        $tmp/d.log), no autostart; its pid in bench_dpid
#   bench_veth_line G X S      namespaces G, X and S (IPv6 off) and the veth
#                        pairs g0 (in G) - x0 (in X) and x1 (in X) - s1 (in S), up

B=${BUILD:-build}
T=${T:-5}
# what "make all" needs (tests/run installs these and what the tests need)
BENCH_BUILD_PACKAGES="make gcc libc6-dev clang libbpf-dev libelf-dev zlib1g-dev libxdp-dev linux-libc-dev libpcap-dev"

bench_need() {
	local p missing=""
	command -v dpkg-query >/dev/null || return 0
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "== installing$missing"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		{ echo "$0: cannot install$missing (as root, with a Debian mirror?)" >&2; return 1; }
}

bench_init() {
	bench_need $BENCH_BUILD_PACKAGES || exit 1
	PMD_DIR=$(ls -d /usr/lib/*/dpdk/pmds-* 2>/dev/null | head -n1)
	if [ -n "${BENCH_DPDK:-}" ] && { ! command -v dpdk-testpmd >/dev/null || [ -z "$PMD_DIR" ]; }; then
		echo "== installing dpdk-dev (for the memif comparison)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			dpdk-dev librte-net-memif23 librte-mempool-ring23 >/dev/null 2>&1 ||
			echo "   (could not install DPDK: no memif column)"
		PMD_DIR=$(ls -d /usr/lib/*/dpdk/pmds-* 2>/dev/null | head -n1)
	fi
	make -s -j2 all >/dev/null || exit 1
	tmp=$(mktemp -d /tmp/unetmap-bench.XXXXXX)
	bench_pids=""
	trap bench_cleanup EXIT
	export UNETMAP_SOCKET=$tmp/d.sock UNETMAP_LOG=quiet
	$B/bin/unetmapd -f -s "$UNETMAP_SOCKET" -l "$tmp/d.log" &
	bench_pids="$bench_pids $!"
	for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done
}

bench_cleanup() {
	for p in $bench_pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}

# pkt-gen scales its units: "Speed: 14.205 Mpps", but "Speed: 812.345 Kpps"
bench_mpps() {
	awk '/^Speed:/ {
		f = $3 == "Gpps" ? 1000 : $3 == "Mpps" ? 1 : $3 == "Kpps" ? 1e-3 : $3 == "pps" ? 1e-6 : 0
		if (f) printf "%.3f\n", $2 * f
		exit
	}' "$1"
}

bench_memif() {
	local size=$1 srv
	[ -n "$PMD_DIR" ] && command -v dpdk-testpmd >/dev/null || return 0
	rm -f "$tmp/memif.sock"
	timeout $((T + 8)) dpdk-testpmd -l 1,0 --main-lcore 1 --no-huge -m 512 --no-pci \
		--file-prefix unm-srv$$ -d "$PMD_DIR" \
		--vdev=net_memif0,role=server,socket="$tmp/memif.sock" -- \
		--forward-mode=rxonly --auto-start --stats-period=1 --total-num-mbufs=32768 \
		>"$tmp/srv.log" 2>&1 &
	srv=$!
	sleep 1.5
	timeout $((T + 3)) dpdk-testpmd -l 0,1 --main-lcore 0 --no-huge -m 512 --no-pci \
		--file-prefix unm-cli$$ -d "$PMD_DIR" \
		--vdev=net_memif0,role=client,socket="$tmp/memif.sock" -- \
		--forward-mode=txonly --auto-start --stats-period=1 --txpkts="$size" \
		--total-num-mbufs=32768 >"$tmp/cli.log" 2>&1
	wait $srv 2>/dev/null
	# the best one-second rate the receiver reported (the first ones ramp up)
	grep -o 'Rx-pps: *[0-9]*' "$tmp/srv.log" | awk '{ if ($2 > m) m = $2 } END { if (m) printf "%.2f\n", m / 1e6 }'
}

bench_ratio() {
	[ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'
}

# a group each (setsid): some programs (trafgen) fork workers that outlive a
# signal to their parent
bench_bg() { local out=$1; shift; setsid "$@" >"$out" 2>&1 </dev/null & echo $!; }

bench_stop() {
	local q i
	for q in "$@"; do kill -INT -- "-$q" 2>/dev/null; done
	for q in "$@"; do
		for i in $(seq 50); do kill -0 "$q" 2>/dev/null || break; sleep 0.1; done
		kill -9 -- "-$q" 2>/dev/null; pkill -9 -s "$q" 2>/dev/null; wait "$q" 2>/dev/null
	done
	sleep 0.3
}

bench_measure() {
	local a b
	sleep 1.5
	a=$(ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_packets")
	sleep "$3"
	b=$(ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_packets")
	echo $(((b - a) / $3))
}

bench_median_pps() {
	grep -oE '^[0-9]+ pps|[0-9.]+ Kpps|[0-9.]+ Mpps' "$1" | awk '
	    / pps/ { print int($1) } / Kpps/ { print int($1 * 1000) } / Mpps/ { print int($1 * 1000000) }' |
	    grep -v '^0$' | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'
}

bench_daemon() {
	local i
	export UNETMAP_SOCKET=$tmp/d.sock UNETMAP_NO_AUTOSTART=1
	"$B/bin/unetmapd" -f -s "$UNETMAP_SOCKET" -l "$tmp/d.log" 2>>"$tmp/d.log" &
	bench_dpid=$!
	for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done
}

bench_veth_line() {
	local ns d
	for ns in "$@"; do
		ip netns add "$ns"
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	ip link add name g0 netns "$1" type veth peer name x0 netns "$2"
	ip link add name x1 netns "$2" type veth peer name s1 netns "$3"
	for d in "$1 g0" "$2 x0" "$2 x1" "$3 s1"; do set -- $d; ip -n "$1" link set dev "$2" up; done
}

bench_result() {
	[ -n "${2:-}" ] && [ "$2" != "-" ] && echo "result $1 $2"
	return 0
}
