#!/usr/bin/env bash
# bench/preload.sh - what interposition costs an unmodified netmap program.
# Side by side in one run, on a netmap pipe (X{0 -> X}0) and on a VALE
# port pair (valeX:a -> valeX:b):
#
#   (a) linked     build/bin/pkt-gen, linked with libunetmap
#   (b) preload    build/bench/pkt-gen-netmap: the same pkt-gen built as
#                  netmap builds it (static libnetmap, nothing of ours),
#                  run with LD_PRELOAD=libunetmap.so
#   (c) pattern    build/bench/nm_pattern: netmap pkt-gen's loop from
#                  netmap's headers alone (legacy nm_open), with the preload
#
# Each round runs every case once, in turn; prints the medians over the
# rounds, then (b)/(a) and (c)/(a) (goal: >= 0.95).  Senders on cpu 0,
# receivers on cpu 1: pkt-gen with -a, nm_pattern with taskset.
#
#   bench/preload.sh [SECONDS] [ROUNDS] [SIZE]     (default 3 5 60)
#
# Builds what it needs and installs the build's Debian packages if missing
# (as root).  Not a test: figures vary with the machine and its load.
set -u
cd "$(dirname "$0")/.." || exit 2
T=${1:-3} R=${2:-5} SIZE=${3:-60}
GOAL=0.95
. bench/lib.sh
bench_init

# a run still going when the script is stopped: ended by cleanup
run_pids=""
preload_cleanup() {
	local p
	for p in $run_pids; do kill -TERM "$p" 2>/dev/null; done
	bench_cleanup
}
trap preload_cleanup EXIT
trap 'exit 130' INT TERM HUP

PRELOAD=$PWD/$B/lib/libunetmap.so
cases="a b c"
ports="pipe vale"
declare -A label=(
	[a]="(a) pkt-gen, linked"
	[b]="(b) pkt-gen-netmap + preload"
	[c]="(c) nm_pattern + preload"
)
# what each case needs; a case without it gives an empty row, and says why
declare -A why=()
[ -x $B/bin/pkt-gen ] || why[a]="$B/bin/pkt-gen was not built"
[ -x $B/bench/pkt-gen-netmap ] || why[b]="$B/bench/pkt-gen-netmap was not built"
[ -x $B/bench/nm_pattern ] || why[c]="$B/bench/nm_pattern was not built"
if [ ! -f "$PRELOAD" ]; then
	why[b]="$PRELOAD was not built"
	why[c]=${why[b]}
fi
if ! command -v taskset >/dev/null; then
	why[c]="taskset is missing (util-linux): nm_pattern could not be pinned as pkt-gen is"
fi
for c in $cases; do
	[ -n "${why[$c]:-}" ] && echo "!! ${label[$c]}: not run: ${why[$c]}" >&2
done

# one measurement: case $1 on port kind $2, round $3; prints the receiver's
# Mpps, or nothing and the reason on stderr.  Names are short (the legacy
# nm_open() takes 15 characters) and new each run; the daemon is ours alone
n=0
run() {
	local c=$1 kind=$2 name="pl$n" txp rxp rx tx mpps
	local tmo="timeout $((T + 10))"

	case $kind in
	pipe) txp="netmap:$name{0" rxp="netmap:$name}0" ;;
	vale) txp="vale$name:a" rxp="vale$name:b" ;;
	esac
	case $c in
	a)
		$tmo $B/bin/pkt-gen -f rx -i "$rxp" -a 1 >"$tmp/rx.out" 2>&1 &
		rx=$!
		sleep 0.4
		$tmo $B/bin/pkt-gen -f tx -i "$txp" -a 0 -l "$SIZE" >"$tmp/tx.out" 2>&1 &
		tx=$! ;;
	b)
		$tmo env LD_PRELOAD="$PRELOAD" $B/bench/pkt-gen-netmap -f rx -i "$rxp" -a 1 \
			>"$tmp/rx.out" 2>&1 &
		rx=$!
		sleep 0.4
		$tmo env LD_PRELOAD="$PRELOAD" $B/bench/pkt-gen-netmap -f tx -i "$txp" -a 0 -l "$SIZE" \
			>"$tmp/tx.out" 2>&1 &
		tx=$! ;;
	c)
		# taskset and env exec: the signals below reach nm_pattern itself
		$tmo taskset -c 1 env LD_PRELOAD="$PRELOAD" $B/bench/nm_pattern rx "$rxp" $((T + 10)) \
			>"$tmp/rx.out" 2>&1 &
		rx=$!
		sleep 0.4
		$tmo taskset -c 0 env LD_PRELOAD="$PRELOAD" $B/bench/nm_pattern tx "$txp" "$SIZE" "$T" \
			>"$tmp/tx.out" 2>&1 &
		tx=$! ;;
	esac
	run_pids="$rx $tx"
	sleep "$T"
	# all three alike: the sender stopped after T s, then the receiver
	kill -INT "$tx" 2>/dev/null; wait "$tx" 2>/dev/null
	sleep 0.2
	kill -INT "$rx" 2>/dev/null; wait "$rx" 2>/dev/null
	run_pids=""
	mpps=$(bench_mpps "$tmp/rx.out")
	if [ -n "$mpps" ]; then
		echo "$mpps"
	else
		{
			echo "!! ${label[$c]}, $kind, round $3: the receiver printed no rate"
			echo "   receiver ($rxp):"; tail -n 3 "$tmp/rx.out" | sed 's/^/     /'
			echo "   sender ($txp):"; tail -n 3 "$tmp/tx.out" | sed 's/^/     /'
		} >&2
	fi
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b }'; }

for c in $cases; do for k in $ports; do : >"$tmp/$c.$k"; done; done
for r in $(seq "$R"); do
	for k in $ports; do
		for c in $cases; do
			[ -n "${why[$c]:-}" ] && continue
			n=$((n + 1))
			run "$c" "$k" "$r" >>"$tmp/$c.$k"
		done
	done
done

declare -A med=()
echo
echo "${SIZE}-byte frames, $R rounds of ${T}s each, medians; tx on cpu 0, rx on cpu 1"
printf '%-32s %14s %14s\n' "" "pipe" "vale"
for c in $cases; do
	row=""
	for k in $ports; do
		med[$c.$k]=$(median <"$tmp/$c.$k")
		row="$row$(printf ' %9s Mpps' "${med[$c.$k]:--}")"
	done
	printf '%-32s%s\n' "${label[$c]}" "$row"
done
echo "runs (Mpps):"
for c in $cases; do
	for k in $ports; do
		printf '  %-30s %-5s %s\n' "${label[$c]}" "$k" "$(tr '\n' ' ' <"$tmp/$c.$k")"
	done
done
# empty rows, loudly: why, once more where it will be read
for c in $cases; do
	for k in $ports; do
		[ -n "${med[$c.$k]}" ] && continue
		echo "!! ${label[$c]}, $k: no rate: ${why[$c]:-every run failed (see the messages above)}"
	done
done
echo "ratios (goal >= $GOAL):"
for c in b c; do
	row=""
	for k in $ports; do
		q=$(ratio "${med[$c.$k]}" "${med[a.$k]}")
		v=$(awk -v q="${q:-}" -v g=$GOAL 'BEGIN { print (q == "" ? "" : q >= g ? "ok" : "below") }')
		row="$row$(printf '   %-5s %6s %-6s' "$k" "${q:--}" "$v")"
	done
	printf '  (%s) / (a)%s\n' "$c" "$row"
done
for c in $cases; do
	for k in $ports; do
		bench_result "preload.$c.${k}_Mpps" "${med[$c.$k]}"
		[ "$c" != a ] && bench_result "preload.ratio_$c/a.$k" "$(ratio "${med[$c.$k]}" "${med[a.$k]}")"
	done
done
