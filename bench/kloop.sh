#!/usr/bin/env bash
# bench/kloop.sh - a netmap pipe driven through the sync loop (CSB mode:
# the application only writes head/cur and reads hwcur/hwtail, a
# SYNC_KLOOP_START thread per end runs every sync) against the same pipe
# driven by NIOCTXSYNC/NIOCRXSYNC, 60-byte frames, in one run
# (bench/kloop_pipe.c: sender on cpu 0, receiver on cpu 1, each end's loop
# on its side's cpu).
#
#   bench/kloop.sh [SECONDS] [ROUNDS]     (default 3 s, 5 rounds)
#
# The two modes alternate ROUNDS times; the median of each is reported,
# with the ratio kloop/ioctl (the goal: 0.8 or more).  Not a test: numbers
# vary with the machine and its load.
set -u
cd "$(dirname "$0")/.." || exit 2
T=${1:-3}
ROUNDS=${2:-5}
. bench/lib.sh
bench_init

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$tmp/ioctl" && : >"$tmp/kloop"
for r in $(seq "$ROUNDS"); do
	for m in ioctl kloop; do
		line=$(timeout $((T + 20)) $B/bench/kloop_pipe "$m" "$T")
		echo "   round $r: $line"
		echo "$line" | awk '{ print $3 }' >>"$tmp/$m"
	done
done
i=$(median <"$tmp/ioctl")
k=$(median <"$tmp/kloop")
printf '\n%-8s %14s %14s %10s\n' "frame" "ioctl" "sync loop" "ratio"
printf '%-8s %9s Mpps %9s Mpps %10s\n' "60B" "${i:--}" "${k:--}" "$(bench_ratio "$k" "$i")"
bench_result "kloop.60B.ioctl_Mpps" "$i"
bench_result "kloop.60B.kloop_Mpps" "$k"
bench_result "kloop.60B.ratio_kloop/ioctl" "$(bench_ratio "$k" "$i")"
echo
echo "median of $ROUNDS rounds of ${T} s each; pipe ends TX_RINGS_ONLY / RX_RINGS_ONLY, NR_EXCLUSIVE;"
echo "sync loops with sleep_us 0 (idle rounds yield the cpu); $(nproc) cpus, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
