#!/usr/bin/env bash
# bench/pipe.sh - netmap pipe throughput, side by side in one run with
# what a user would otherwise pick or compare with:
#
#   unetmap   pkt-gen -f tx into netmap:X{0, pkt-gen -f rx out of X}0,
#             burst 512, the two processes on the two cores
#   raw ring  a bare SPSC ring of 8-byte descriptors between two processes
#             (bench/raw_ring.c): the limit for passing buffers by index
#   memif     DPDK memif between two dpdk-testpmd processes (txonly ->
#             rxonly), Debian's dpdk-dev
#
#   bench/pipe.sh [SECONDS]        (default 5 per measurement)
#
# Prints Mpps per frame size and the ratios.  Installs dpdk-dev if missing
# (as root).  Not a test: numbers vary with the machine and its load.
set -u
cd "$(dirname "$0")/.." || exit 2
T=${1:-5}
B=${BUILD:-build}
PMD_DIR=$(ls -d /usr/lib/*/dpdk/pmds-* 2>/dev/null | head -n1)

if ! command -v dpdk-testpmd >/dev/null || [ -z "$PMD_DIR" ]; then
	echo "== installing dpdk-dev (for the memif comparison)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		dpdk-dev librte-net-memif23 librte-mempool-ring23 >/dev/null 2>&1 ||
		echo "   (could not install DPDK: memif column will be empty)"
	PMD_DIR=$(ls -d /usr/lib/*/dpdk/pmds-* 2>/dev/null | head -n1)
fi
make -s -j2 all >/dev/null || exit 1

tmp=$(mktemp -d /tmp/unetmap-bench.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export UNETMAP_SOCKET=$tmp/d.sock UNETMAP_LOG=quiet
$B/bin/unetmapd -f -s "$UNETMAP_SOCKET" -l "$tmp/d.log" &
pids="$pids $!"
for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done

# pkt-gen over a pipe; prints the receiver's Mpps
unetmap_pipe() {
	local size=$1 name="bp$$x$size" rx
	timeout $((T + 10)) $B/bin/pkt-gen -f rx -i "netmap:$name}0" -a 1 -b 512 >"$tmp/rx.out" 2>&1 &
	rx=$!
	sleep 0.5
	timeout $((T + 10)) $B/bin/pkt-gen -f tx -i "netmap:$name{0" -a 0 -b 512 -l "$size" \
		>"$tmp/tx.out" 2>&1 &
	local tx=$!
	sleep "$T"
	kill -INT $tx 2>/dev/null; wait $tx 2>/dev/null
	sleep 0.3
	kill -INT $rx 2>/dev/null; wait $rx 2>/dev/null
	awk '/^Speed:/ { for (i = 1; i <= NF; i++) if ($(i) == "Mpps") { print $(i-1); exit } }' "$tmp/rx.out"
}

memif() {
	local size=$1
	[ -n "$PMD_DIR" ] || { echo ""; return; }
	rm -f "$tmp/memif.sock"
	timeout $((T + 8)) dpdk-testpmd -l 1,0 --main-lcore 1 --no-huge -m 512 --no-pci \
		--file-prefix unm-srv$$ -d "$PMD_DIR" \
		--vdev=net_memif0,role=server,socket="$tmp/memif.sock" -- \
		--forward-mode=rxonly --auto-start --stats-period=1 --total-num-mbufs=32768 \
		>"$tmp/srv.log" 2>&1 &
	local srv=$!
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

raw=$($B/bench/raw_ring desc "$T" | awk '{ print $4 }')
printf '\n%-8s %12s %12s %12s %10s %10s\n' "frame" "unetmap" "raw ring" "memif" "/raw" "/memif"
for size in 60 1514; do
	u=$(unetmap_pipe "$size")
	m=$(memif "$size")
	ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
	printf '%-8s %9s Mpps %7s Mpps %7s Mpps %10s %10s\n' "${size}B" "${u:--}" "$raw" "${m:--}" \
		"$(ratio "$u" "$raw")" "$(ratio "$u" "$m")"
done
echo
echo "unetmap: pkt-gen tx -> netmap pipe -> pkt-gen rx, burst 512, cpus 0 and 1"
echo "raw ring: bench/raw_ring desc (8-byte descriptors, batches of 256)"
echo "memif: dpdk-testpmd txonly -> memif -> dpdk-testpmd rxonly (best 1 s rate)"
