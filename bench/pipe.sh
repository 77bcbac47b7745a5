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
#   bench/pipe.sh [SECONDS [ROUNDS]]   (default 5 s per measurement, 3 rounds)
#
# The raw ring and the pipe are measured in turn, ROUNDS times: on a VM
# both rates jump between levels (a pipe 90 or 160 Mpps, the raw ring 200
# or 800 here) as the host places the two vCPUs, so the ratio is taken
# within each round and the median of those is the figure.  memif is
# measured once per size (dpdk-testpmd starts slowly).  Prints Mpps per
# frame size and the ratios.  Installs dpdk-dev if missing (as root).  Not
# a test: numbers vary with the machine and its load.
set -u
cd "$(dirname "$0")/.." || exit 2
T=${1:-5}
ROUNDS=${2:-3}
BENCH_DPDK=1
. bench/lib.sh
bench_init

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
	bench_mpps "$tmp/rx.out"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

declare -A U RAW RATIO
for r in $(seq "$ROUNDS"); do
	for size in 60 1514; do
		raw=$($B/bench/raw_ring desc "$T" | awk '{ print $4 }')
		u=$(unetmap_pipe "$size")
		RAW[$size]="${RAW[$size]:-} $raw"
		U[$size]="${U[$size]:-} $u"
		RATIO[$size]="${RATIO[$size]:-} $(bench_ratio "$u" "$raw")"
		echo "# round $r, ${size}B: pipe $u Mpps, raw ring $raw Mpps, $(bench_ratio "$u" "$raw")" >&2
	done
done
results=""
printf '\n%-8s %12s %12s %12s %10s %10s\n' "frame" "unetmap" "raw ring" "memif" "/raw" "/memif"
for size in 60 1514; do
	u=$(echo ${U[$size]} | median)
	raw=$(echo ${RAW[$size]} | median)
	ratio=$(echo ${RATIO[$size]} | median)
	m=$(bench_memif "$size")
	printf '%-8s %9s Mpps %7s Mpps %7s Mpps %10s %10s\n' "${size}B" "${u:--}" "$raw" "${m:--}" \
		"$ratio" "$(bench_ratio "$u" "$m")"
	results="$results
$(bench_result "pipe.${size}B.unetmap_Mpps" "$u")
$(bench_result "pipe.${size}B.raw_ring_Mpps" "$raw")
$(bench_result "pipe.${size}B.memif_Mpps" "$m")
$(bench_result "pipe.${size}B.ratio_unetmap/raw_ring" "$ratio")
$(bench_result "pipe.${size}B.ratio_unetmap/memif" "$(bench_ratio "$u" "$m")")"
done
echo "$results" | grep '^result'
echo
echo "unetmap: pkt-gen tx -> netmap pipe -> pkt-gen rx, burst 512, cpus 0 and 1"
echo "raw ring: bench/raw_ring desc (8-byte descriptors, batches of 256)"
echo "memif: dpdk-testpmd txonly -> memif -> dpdk-testpmd rxonly (best 1 s rate)"
echo "Mpps: medians of $ROUNDS rounds; /raw: the median of the rounds' own ratios"
