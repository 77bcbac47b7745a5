#!/usr/bin/env bash
# bench/vale.sh - the VALE switch, side by side in one run with the limit
# and with what a user would otherwise pick:
#
#   vale       pkt-gen tx on valeX:a -> switch -> pkt-gen rx on valeX:b,
#              60 and 1514-byte frames; two senders to one receiver; one
#              sender's broadcasts to four receivers
#   copy ring  bench/raw_ring copy SIZE: one memcpy per frame between two
#              processes, nothing else - the ceiling for a copying switch
#   memif      dpdk-testpmd txonly -> memif (copy mode) -> dpdk-testpmd rxonly
#
#   bench/vale.sh [SECONDS]     (default 5)
#
# Prints Mpps, Gbit/s and ratios.  Installs dpdk-dev if missing.  Not a
# test: figures vary with the machine and its load.
set -u
cd "$(dirname "$0")/.." || exit 2
T=${1:-5}
BENCH_DPDK=1
. bench/lib.sh
bench_init

sum() { awk '{ s += $1 } END { printf "%.3f", s }'; }

# run NRX receivers and NTX senders on switch $1; frames of $2 bytes; prints total rx Mpps
vale_run() {
	local sw=$1 size=$2 ntx=$3 nrx=$4 rx="" tx=""
	for r in $(seq "$nrx"); do
		timeout $((T + 10)) $B/bin/pkt-gen -f rx -i "$sw:r$r" -a $(( r % 2 )) >"$tmp/rx$r.out" 2>&1 &
		rx="$rx $!"
	done
	sleep 0.5
	for s in $(seq "$ntx"); do
		# unicast to the first receiver unless there are several (then broadcast)
		timeout $((T + 10)) $B/bin/pkt-gen -f tx -i "$sw:s$s" -a $(( (s + 1) % 2 )) -l "$size" \
			>"$tmp/tx$s.out" 2>&1 &
		tx="$tx $!"
	done
	sleep "$T"
	for p in $tx; do kill -INT "$p" 2>/dev/null; done
	for p in $tx; do wait "$p" 2>/dev/null; done
	sleep 0.3
	for p in $rx; do kill -INT "$p" 2>/dev/null; done
	for p in $rx; do wait "$p" 2>/dev/null; done
	for r in $(seq "$nrx"); do bench_mpps "$tmp/rx$r.out"; done | sum
}

gbps() { awk -v m="$1" -v s="$2" 'BEGIN { printf "%.1f", m * s * 8 / 1000 }'; }

results=""
printf '\n%-28s %10s %8s %12s %8s %12s %8s\n' "case" "vale Mpps" "Gbit/s" "copy ring" "/ring" "memif" "/memif"
for size in 60 1514; do
	v=$(vale_run "vale1vb$$" "$size" 1 1)
	c=$($B/bench/raw_ring copy "$size" "$T" | awk '{ print $4 }')
	m=$(bench_memif "$size")
	printf '%-28s %10s %8s %12s %8s %12s %8s\n' "1 -> 1, ${size} B" "$v" "$(gbps "$v" "$size")" \
		"$c" "$(bench_ratio "$v" "$c")" "${m:--}" "$(bench_ratio "$v" "$m")"
	results="$results
$(bench_result "vale.1to1.${size}B.vale_Mpps" "$v")
$(bench_result "vale.1to1.${size}B.copy_ring_Mpps" "$c")
$(bench_result "vale.1to1.${size}B.memif_Mpps" "$m")
$(bench_result "vale.1to1.${size}B.ratio_vale/copy_ring" "$(bench_ratio "$v" "$c")")
$(bench_result "vale.1to1.${size}B.ratio_vale/memif" "$(bench_ratio "$v" "$m")")"
done
v=$(vale_run "vale2vb$$" 60 2 1)
printf '%-28s %10s %8s\n' "2 -> 1, 60 B" "$v" "$(gbps "$v" 60)"
v=$(vale_run "vale3vb$$" 60 1 4)
printf '%-28s %10s %8s   (sum over the 4 receivers)\n' "1 -> broadcast to 4, 60 B" "$v" "$(gbps "$v" 60)"
echo "$results" | grep '^result'
bench_result vale.1to4.60B.vale_Mpps "$v"
echo
echo "pkt-gen sends broadcast frames (its default destination), so 1 -> 4 floods;"
echo "processes share 2 cores: with 5 of them the broadcast case is CPU bound."
