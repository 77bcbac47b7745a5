#!/usr/bin/env bash
# bench/tlem.sh - tlem(8) forwarding with no delay and no bandwidth limit,
# side by side in one run with netmap-bridge between the same kind of
# ports:
#
#   pkt-gen -f tx into netmap:A{0  ->  FORWARDER between A}0 and B}0  ->
#   pkt-gen -f rx out of netmap:B{0
#
# FORWARDER is tlem -i A}0 -i B}0 (its threads placed as netmap's default
# places them), or netmap-bridge -i A}0 -i B}0.  The rate is what the
# receiver counts (Mpps), for 60 and 1514-byte frames; tlem copies every
# frame twice (into its delay line, then into the output ring), the bridge
# swaps buffers when the ports share a region and copies otherwise.
#
#   bench/tlem.sh [SECONDS [ROUNDS]]   (default 5 s per measurement, best of
#                                      3 interleaved rounds)
#
# Not a test: numbers vary with the machine and its load.  On two cores
# the sender, the forwarder and the receiver share them.
set -u
cd "$(dirname "$0")/.." || exit 2
T=${1:-5}
R=${2:-3}
. bench/lib.sh
bench_init

# fwd_run SIZE tlem|bridge: the receiver's Mpps
fwd_run() {
	local size=$1 what=$2 a b fw rx tx
	a="tba$BASHPID$what$size" b="tbb$BASHPID$what$size"
	if [ "$what" = tlem ]; then
		timeout $((T + 20)) $B/bin/tlem -i "netmap:$a}0" -i "netmap:$b}0" \
			>"$tmp/fw.out" 2>"$tmp/fw.err" &
		fw=$!
		for _ in $(seq 200); do grep -q '^tlem: forwarding' "$tmp/fw.err" && break; sleep 0.05; done
	else
		timeout $((T + 20)) $B/bin/netmap-bridge -i "netmap:$a}0" -i "netmap:$b}0" \
			>"$tmp/fw.out" 2>"$tmp/fw.err" &
		fw=$!
		sleep 1
	fi
	timeout $((T + 10)) $B/bin/pkt-gen -f rx -i "netmap:$b{0" -b 512 >"$tmp/rx.out" 2>&1 &
	rx=$!
	sleep 0.5
	timeout $((T + 10)) $B/bin/pkt-gen -f tx -i "netmap:$a{0" -b 512 -l "$size" \
		>"$tmp/tx.out" 2>&1 &
	tx=$!
	sleep "$T"
	kill -INT $tx 2>/dev/null; wait $tx 2>/dev/null
	sleep 0.5
	kill -INT $rx 2>/dev/null; wait $rx 2>/dev/null
	kill -INT $fw 2>/dev/null; wait $fw 2>/dev/null
	bench_mpps "$tmp/rx.out"
}

# the larger of two rates (a machine shared with other work only slows a run)
best() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { m = a > b ? a : b; if (m > 0) printf "%.3f\n", m }'; }

printf '\n%-8s %14s %14s %12s\n' "frame" "tlem" "netmap-bridge" "tlem/bridge"
results=()
for size in 60 1514; do
	t="" g=""
	for _ in $(seq "$R"); do
		t=$(best "$t" "$(fwd_run "$size" tlem)")
		g=$(best "$g" "$(fwd_run "$size" bridge)")
	done
	r=$(bench_ratio "$t" "$g")
	printf '%-8s %9s Mpps %9s Mpps %12s\n' "${size}B" "${t:--}" "${g:--}" "${r:--}"
	results+=("tlem_${size}_mpps ${t:--}" "bridge_${size}_mpps ${g:--}" "tlem_bridge_${size}_ratio ${r:--}")
done
echo
echo "best of $R interleaved rounds of $T s each; pkt-gen tx -> pipe -> forwarder -> pipe -> pkt-gen rx"
echo "tlem: no -B, -D, -L (copies into its delay line and out); netmap-bridge: its defaults"
echo "$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cpus"
for x in "${results[@]}"; do
	# shellcheck disable=SC2086
	bench_result $x
done
