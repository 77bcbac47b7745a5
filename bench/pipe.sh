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
# both rates jump between levels (a pipe 210 or 400 Mpps, the raw ring 210
# or 800 here) as the host places the two vCPUs, so the ratio is taken
# within each round (the raw ring before and after the pipe, a round whose
# level changed left out) and the median of those is the figure.  memif is
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

# A round measures the raw ring before and after the pipe: this VM moves
# between speed levels (the raw ring at ~210 or ~800 Mpps here), and a round
# whose two raw figures differ by more than a quarter changed level in the
# middle; its ratio says nothing and is left out of the median (all rounds
# count when every round is mixed, and the output says so).
declare -A U RAW RATIO MIXED
for r in $(seq "$ROUNDS"); do
	for size in 60 1514; do
		raw1=$($B/bench/raw_ring desc "$T" | awk '{ print $4 }')
		u=$(unetmap_pipe "$size")
		raw2=$($B/bench/raw_ring desc "$T" | awk '{ print $4 }')
		raw=$(awk -v a="${raw1:-0}" -v b="${raw2:-0}" 'BEGIN { printf "%.2f", (a + b) / 2 }')
		same=$(awk -v a="${raw1:-0}" -v b="${raw2:-0}" \
		    'BEGIN { print (a > 0 && b > 0 && a / b < 1.25 && b / a < 1.25) ? 1 : 0 }')
		RAW[$size]="${RAW[$size]:-} $raw"
		U[$size]="${U[$size]:-} $u"
		if [ "$same" = 1 ]; then
			RATIO[$size]="${RATIO[$size]:-} $(bench_ratio "$u" "$raw")"
		else
			MIXED[$size]="${MIXED[$size]:-} $(bench_ratio "$u" "$raw")"
		fi
		echo "# round $r, ${size}B: raw ring $raw1, pipe $u, raw ring $raw2 Mpps:" \
		    "$(bench_ratio "$u" "$raw")$([ "$same" = 1 ] || echo ", the level changed: left out")" >&2
	done
done
for size in 60 1514; do
	if [ -z "${RATIO[$size]:-}" ]; then
		echo "# ${size}B: every round changed level: the median takes them all" >&2
		RATIO[$size]=${MIXED[$size]:-}
	fi
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
echo "Mpps: medians of $ROUNDS rounds; /raw: the median of the rounds' own ratios (the raw ring"
echo "measured before and after the pipe; rounds where it changed speed level left out)"
