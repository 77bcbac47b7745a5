#!/usr/bin/env bash
# bench/vale_vnethdr.sh - what virtio-net headers cost on a VALE switch,
# side by side in one run: pkt-gen tx on valeX:s -> switch -> pkt-gen rx on
# valeX:r, 60 and 1514-byte frames, with the two ports' header lengths
#
#   0 -> 0     no headers: the plain copy (the reference)
#   12 -> 12   equal lengths: the plain copy, 12 more bytes a frame
#   12 -> 0    header stripped (lib/adapters/vale_offload.c; the header
#              pkt-gen writes is zeroed, so no offload is asked)
#   0 -> 12    header added (vale_offload.c)
#
#   bench/vale_vnethdr.sh [SECONDS]     (default 5)
#
# Prints Mpps and the ratio to 0 -> 0.  Not a test: figures vary with the
# machine and its load.
set -u
cd "$(dirname "$0")/.." || exit 2
T=${1:-5}
. bench/lib.sh
bench_init

# run SWITCH SIZE TXHDR RXHDR: rx Mpps
run() {
	local sw=$1 size=$2 th=$3 rh=$4 rx tx
	timeout $((T + 10)) $B/bin/pkt-gen -f rx -i "$sw:r" -H "$rh" -a 0 >"$tmp/rx.out" 2>&1 &
	rx=$!
	sleep 0.5
	timeout $((T + 10)) $B/bin/pkt-gen -f tx -i "$sw:s" -H "$th" -a 1 -l "$size" >"$tmp/tx.out" 2>&1 &
	tx=$!
	sleep "$T"
	kill -INT "$tx" 2>/dev/null
	wait "$tx" 2>/dev/null
	sleep 0.3
	kill -INT "$rx" 2>/dev/null
	wait "$rx" 2>/dev/null
	bench_mpps "$tmp/rx.out"
}

printf '\n%-16s %10s %10s\n' "case" "Mpps" "/0->0"
for size in 60 1514; do
	ref=""
	i=0
	for c in "0 0" "12 12" "12 0" "0 12"; do
		set -- $c
		i=$((i + 1))
		v=$(run "valevh$i$$" "$size" "$1" "$2")
		[ -n "$ref" ] || ref=$v
		printf '%-16s %10s %10s\n' "$1 -> $2, $size B" "${v:--}" "$(bench_ratio "$v" "$ref")"
		bench_result "vale_vnethdr.$1to$2.${size}B.Mpps" "$v" >>"$tmp/results"
		bench_result "vale_vnethdr.$1to$2.${size}B.ratio_to_plain" "$(bench_ratio "$v" "$ref")" \
		    >>"$tmp/results"
	done
done
cat "$tmp/results"
