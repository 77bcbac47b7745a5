#!/usr/bin/env bash
# bench/lb.sh - lb(8) throughput, side by side in one run with the plain
# netmap pipe it feeds from:
#
#   pipe       pkt-gen -f tx into netmap:X{0, pkt-gen -f rx out of X}0
#              (cpus 0 and 1): what one pipe carries here
#   lb 1x4     frames into in{0, lb -i in}0 -p out:4 (cpu 1, -W), the four
#              pipes drained by the process that sends (bench/lb_sink -t,
#              cpu 0: on two cores a sender and consumers of their own
#              would take turns on one core, and lb would drop what the
#              consumers were not scheduled to take)
#   lb 2x2     the same with -p a:2 -p b:2: every frame to two pipes
#
# Both senders spread frames over 256 flows (address and port ranges).  lb's rate is frames taken from its input per
# second (each delivered once per group); the last table gives it as a
# ratio of the plain pipe's rate.
#
#   bench/lb.sh [SECONDS [ROUNDS]]   (default 5 s per measurement, best of
#                                    3 interleaved rounds)
#
# Not a test: numbers vary with the machine and its load.  On two cores
# the sender and the consumers share one while lb has the other.
set -u
cd "$(dirname "$0")/.." || exit 2
T=${1:-5}
R=${2:-3}
. bench/lib.sh
bench_init

FLOWS=(-s 10.0.0.1:1000-10.0.0.16:1000 -d 10.1.0.1:2000-10.1.0.1:2015)

# plain pipe: the receiver's Mpps
plain_pipe() {
	local size=$1 name="lbp$$x$size" rx tx
	timeout $((T + 10)) taskset -c 1 $B/bin/pkt-gen -f rx -i "netmap:$name}0" -b 512 \
		>"$tmp/rx.out" 2>&1 &
	rx=$!
	sleep 0.5
	timeout $((T + 10)) taskset -c 0 $B/bin/pkt-gen -f tx -i "netmap:$name{0" -b 512 -l "$size" \
		"${FLOWS[@]}" >"$tmp/tx.out" 2>&1 &
	tx=$!
	sleep "$T"
	kill -INT $tx 2>/dev/null; wait $tx 2>/dev/null
	sleep 0.3
	kill -INT $rx 2>/dev/null; wait $rx 2>/dev/null
	bench_mpps "$tmp/rx.out"
}

# lb SIZE GROUPS PIPE...: lb's input rate in Mpps (frames delivered / groups)
lb_run() {
	local size=$1 groups=$2 in="lbi$BASHPID" lb i p
	shift 2
	local pargs=() ports=()
	# names of this run only: a pipe left by an earlier one would be reused
	for p in "$@"; do
		pargs+=(-p "${p%%:*}$BASHPID:${p#*:}")
		for i in $(seq 0 $((${p#*:} - 1))); do ports+=("netmap:${p%%:*}$BASHPID}$i"); done
	done
	timeout $((T + 20)) taskset -c 1 $B/bin/lb -i "netmap:$in}0" "${pargs[@]}" -w 0 -W \
		-B 4096 >"$tmp/lb.out" 2>"$tmp/lb.err" &
	lb=$!
	# the consumers must come after lb has made the pipes (else lb copies)
	for i in $(seq 600); do grep -q '^lb: forwarding' "$tmp/lb.err" && break; sleep 0.05; done
	timeout $((T + 15)) taskset -c 0 $B/bench/lb_sink "$T" -t "netmap:$in{0" "$size" "${ports[@]}" \
		>"$tmp/sink.out" 2>&1
	kill -INT $lb 2>/dev/null; wait $lb 2>/dev/null
	grep -q COPIED "$tmp/lb.err" && echo "(copy!)" >&2
	awk -v g="$groups" '/frames in/ { printf "%.3f\n", $7 / g; exit }' "$tmp/sink.out"
	tail -n 1 "$tmp/lb.out" | grep -v ' 0 packets dropped' | sed 's/^/   lb dropped: /' >&2
}

# the larger of two rates (a machine shared with other work only slows a run)
best() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { m = a > b ? a : b; if (m > 0) printf "%.3f\n", m }'; }

printf '\n%-8s %12s %12s %12s %10s %10s\n' "frame" "pipe" "lb 1x4" "lb 2x2" "1x4/pipe" "2x2/pipe"
for size in 60 1514; do
	p="" a="" b=""
	# interleaved, best of R rounds of each
	for _ in $(seq "$R"); do
		p=$(best "$p" "$(plain_pipe "$size")")
		a=$(best "$a" "$(lb_run "$size" 1 out:4)")
		b=$(best "$b" "$(lb_run "$size" 2 a:2 b:2)")
	done
	printf '%-8s %7s Mpps %7s Mpps %7s Mpps %10s %10s\n' "${size}B" "${p:--}" "${a:--}" "${b:--}" \
		"$(bench_ratio "$a" "$p")" "$(bench_ratio "$b" "$p")"
done
echo
echo "best of $R interleaved rounds of $T s each"
echo "pipe: pkt-gen tx (cpu 0) -> netmap pipe -> pkt-gen rx (cpu 1), burst 512, 256 flows"
echo "lb: bench/lb_sink -t (cpu 0) -> pipe -> lb -W -B 4096 (cpu 1) -> pipes -> the same lb_sink;"
echo "    Mpps = frames lb took from its input per second; zero copy (buffer swap)"
echo "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cpus"
