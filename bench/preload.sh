#!/usr/bin/env bash
# bench/preload.sh - what interposition costs: pkt-gen over a netmap pipe,
# once linked with libunetmap (build/bin/pkt-gen) and once built as netmap
# builds it - static libnetmap, nothing of ours - and run with
# LD_PRELOAD=libunetmap.so (build/bench/pkt-gen-netmap).  The two are run
# in turn, ROUNDS times each, in the same run; prints the medians and the
# preload/linked ratio (goal: >= 0.98).
#
#   bench/preload.sh [SECONDS] [ROUNDS] [SIZE]     (default 3 5 60)
set -u
cd "$(dirname "$0")/.." || exit 2
T=${1:-3} R=${2:-5} SIZE=${3:-60}
B=${BUILD:-build}
make -s -j2 all >/dev/null || exit 1

tmp=$(mktemp -d /tmp/unetmap-bench.XXXXXX)
daemon=""
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export UNETMAP_SOCKET=$tmp/d.sock UNETMAP_LOG=quiet
$B/bin/unetmapd -f -s "$UNETMAP_SOCKET" -l "$tmp/d.log" &
daemon=$!
for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done

# one measurement: $1 = how to run pkt-gen (a command prefix)
run() {
	local name="pl$RANDOM" rx tx
	"$@" -f rx -i "netmap:$name}0" -a 1 >"$tmp/rx.out" 2>&1 &
	rx=$!
	sleep 0.4
	"$@" -f tx -i "netmap:$name{0" -a 0 -l "$SIZE" >/dev/null 2>&1 &
	tx=$!
	sleep "$T"
	kill -INT $tx; wait $tx 2>/dev/null
	sleep 0.2
	kill -INT $rx; wait $rx 2>/dev/null
	awk '/^Speed:/ { for (i = 1; i <= NF; i++) if ($(i) == "Mpps") { print $(i-1); exit } }' "$tmp/rx.out"
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

: >"$tmp/linked"; : >"$tmp/preload"
for r in $(seq "$R"); do
	run timeout $((T + 10)) $B/bin/pkt-gen >>"$tmp/linked"
	run timeout $((T + 10)) env LD_PRELOAD="$PWD/$B/lib/libunetmap.so" $B/bench/pkt-gen-netmap >>"$tmp/preload"
done
l=$(median <"$tmp/linked")
p=$(median <"$tmp/preload")
echo "pipe, ${SIZE}-byte frames, $R rounds of ${T}s each, medians:"
echo "  linked with libunetmap:   $l Mpps   (runs: $(tr '\n' ' ' <"$tmp/linked"))"
echo "  netmap binary + preload:  $p Mpps   (runs: $(tr '\n' ' ' <"$tmp/preload"))"
awk -v a="$p" -v b="$l" 'BEGIN { if (b > 0) printf "  preload / linked:         %.3f\n", a / b }'
