#!/usr/bin/env bash
# bench/vale_nic.sh - interfaces attached to a VALE switch, side by side with
# what a Linux user would otherwise use, on veth pairs between namespaces
# made here (and removed on exit), 60- and 1514-byte frames:
#
#   G: g0 ---- x0 :X: x1 ---- s1 :S       pkt-gen sends on g0 to s1's address,
#                                          frames are counted at s1
#
#   switch      valectl -a vale0:x0, vale0:x1 (the daemon's workers forward)
#   switch, polled   the same, both interfaces polled (valectl -p), on CPU 0
#                    and CPU 1: threads of the switch's worker (issue 15:
#                    polled >= not polled on 2 cores)
#   Linux bridge     br0 with x0 and x1
#   testpmd io       dpdk-testpmd io forwarding, two af_xdp vdevs
#   switch + own interface     valectl -n vale0 as well (the baseline for:)
#   switch + interception      nm-filter -i netmap:vale0 passing everything
#   ceiling          what the generator can feed an AF_XDP consumer on x0 at
#                    all (bench/xsk_rx, a raw libxdp loop that only counts):
#                    no forwarder can exceed it here
#
# Goals (issue 6): switch >= 3x the Linux bridge; interception costs <= 30%.
# A benchmark, not a test: numbers vary +-15% on this kind of VM.
#   bench/vale_nic.sh [SECONDS]      (default 5 per measurement)
set -u
cd "$(dirname "$0")/.." || exit 2
. bench/lib.sh
B=${BUILD:-$PWD/build}
DUR=${1:-5}
PMDS=$(ls -d /usr/lib/*/dpdk/pmds-* 2>/dev/null | head -1)
id=$$
G=vbg$id X=vbx$id S=vbs$id
tmp=$(mktemp -d /tmp/unm-bench.XXXXXX)
pids="" running=""

cleanup() {
	for p in $running; do kill -INT "$p" 2>/dev/null; done
	sleep 0.3
	for p in $running; do kill -9 "$p" 2>/dev/null; done
	for p in $pids; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in $G $X $S; do ip netns del $ns 2>/dev/null; done
	cp "$tmp/d.log" /tmp/unm-bench-vale_nic.log 2>/dev/null	# the daemon's log, for a look
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# what it needs: the build, and testpmd's AF_XDP driver (its row stays empty,
# saying why, when it cannot be installed)
bench_need $BENCH_BUILD_PACKAGES iproute2 ethtool || exit 1
bench_need dpdk-dev librte-net-af-xdp23 librte-mempool-ring23 ||
	echo "# dpdk-testpmd could not be installed: its row stays empty" >&2
make -s -j2 all >/dev/null || { echo "bench/vale_nic.sh: build failed" >&2; exit 1; }
PMDS=$(ls -d /usr/lib/*/dpdk/pmds-* 2>/dev/null | head -1)
command -v dpdk-testpmd >/dev/null || echo "# dpdk-testpmd missing: its row stays empty" >&2
exec 9>/tmp/bench.lock
flock 9

bench_daemon
pids="$pids $bench_dpid"

bench_veth_line $G $X $S	# G: g0 - x0 :X: x1 - s1 :S
DST=$(ip netns exec $S cat /sys/class/net/s1/address)

measure() { bench_measure $S s1 "$DUR"; }	# pps at s1
vc() { ip netns exec $X "$B/bin/valectl" "$@"; }
# s1 speaks once, so that every switch learns where its address is
learn_s1() { ip netns exec $S "$B/tests/helpers/nicprobe" send s1 3 60 2>/dev/null; sleep 0.2; }
gen() { bench_bg /dev/null ip netns exec $G "$B/bin/pkt-gen" -i netmap:g0 -f tx -l $1 -D $DST -w 0; }
run() {	# $1 key, $2 size: the generator against whatever forwards now
	local g
	learn_s1
	g=$(gen $2); running="$running $g"
	R[$1,$2]=$(measure); bench_stop $g
}

declare -A R RESTS
for size in 60 1514; do
	p=$(bench_bg $tmp/xrx.log ip netns exec $X "$B/bench/xsk_rx" x0 $((DUR + 3))); running="$running $p"
	sleep 1
	g=$(gen $size); running="$running $g"
	sleep $((DUR + 1)); bench_stop $g $p
	R[ceiling,$size]=$(bench_median_pps $tmp/xrx.log)
	ip -n $X link set dev x0 xdp off 2>/dev/null

	vc -a vale0:x0 && vc -a vale0:x1
	run vale $size
	vc -p vale0:x0 -C 0,0 && vc -p vale0:x1 -C 0,1
	sleep 0.3	# the workers stopped by -p have said their counts by now
	nl=$(wc -l <"$tmp/d.log")
	run vale_poll $size
	vc -P vale0:x0; vc -P vale0:x1
	sleep 0.3
	# what the polled worker said as it stopped: its pollers' rests, and
	# how many of x0's frames its main thread moved while they rested
	RESTS[$size]=$(tail -n +$((nl + 1)) "$tmp/d.log" | awk '
	    / rests: / { for (i = 2; i <= NF; i++) if ($i == "rests:") r += $(i - 1) }
	    /: x0 -> vale0:x0: / { n = $5; m = 0
		for (i = 2; i <= NF; i++) if ($i == "while") m = $(i - 3)
		printf "%d rests, %d of %d frames from x0 moved while resting", r, m, n; exit }')
	vc -n vale0 && ip -n $X link set dev vale0 up
	run vale_if $size
	p=$(bench_bg $tmp/filter.log ip netns exec $X "$B/bin/nm-filter" -i netmap:vale0); running="$running $p"
	sleep 0.5
	run vale_icpt $size
	bench_stop $p
	vc -r vale0; vc -d vale0:x0; vc -d vale0:x1
	sleep 0.3

	ip -n $X link add br0 type bridge; ip -n $X link set x0 master br0
	ip -n $X link set x1 master br0; ip -n $X link set br0 up
	run linux $size
	ip -n $X link del br0

	if command -v dpdk-testpmd >/dev/null; then
		p=$(bench_bg $tmp/pmd.log ip netns exec $X dpdk-testpmd -l 1,0 --main-lcore 1 --no-huge -m 1024 \
		    --no-pci -d "$PMDS" --file-prefix "vio$id" --log-level=error \
		    --vdev net_af_xdp0,iface=x0 --vdev net_af_xdp1,iface=x1 -- \
		    --forward-mode=io --total-num-mbufs=16384 --stats-period 1); running="$running $p"
		sleep 1
		run pmd_xdp $size
		bench_stop $p
		ip -n $X link set dev x0 xdp off 2>/dev/null; ip -n $X link set dev x1 xdp off 2>/dev/null
	fi
done

ratio() { [ "${2:-0}" -gt 0 ] 2>/dev/null && awk "BEGIN { printf \"%.2f\", $1 / $2 }" || echo "-"; }
printf '%-48s %12s %12s\n' "veth -> veth (pps at the far end)" "60 B" "1514 B"
row() { printf '%-48s %12s %12s\n' "$1" "${R[$2,60]:--}" "${R[$2,1514]:--}"; }
row "VALE switch, interfaces attached" vale
row "VALE switch, polled (valectl -p, CPUs 0, 1)" vale_poll
row "Linux bridge" linux
row "dpdk-testpmd io, 2 af_xdp vdevs" pmd_xdp
row "VALE switch with its own interface" vale_if
row "  the same, intercepted (nm-filter passes all)" vale_icpt
row "ceiling: pkt-gen into an AF_XDP sink on x0" ceiling
for size in 60 1514; do
	echo "# polled row, $size B: ${RESTS[$size]:-no count from the worker} (pollers rest while threads wait for a CPU)"
done
for size in 60 1514; do
	echo "ratios $size B: switch/Linux bridge $(ratio ${R[vale,$size]:-0} ${R[linux,$size]:-0})," \
	    "polled/Linux bridge $(ratio ${R[vale_poll,$size]:-0} ${R[linux,$size]:-0})," \
	    "switch/testpmd $(ratio ${R[vale,$size]:-0} ${R[pmd_xdp,$size]:-0})," \
	    "intercepted/not $(ratio ${R[vale_icpt,$size]:-0} ${R[vale_if,$size]:-0})," \
	    "switch/ceiling $(ratio ${R[vale,$size]:-0} ${R[ceiling,$size]:-0})"
	for k in "${!R[@]}"; do
		[ "${k##*,}" = "$size" ] && bench_result "vale_nic.${size}B.${k%,*}_pps" "${R[$k]}"
	done
	bench_result "vale_nic.${size}B.ratio_switch/linux_bridge" "$(ratio ${R[vale,$size]:-0} ${R[linux,$size]:-0})"
	bench_result "vale_nic.${size}B.ratio_polled/linux_bridge" "$(ratio ${R[vale_poll,$size]:-0} ${R[linux,$size]:-0})"
	bench_result "vale_nic.${size}B.ratio_polled/switch" "$(ratio ${R[vale_poll,$size]:-0} ${R[vale,$size]:-0})"
	bench_result "vale_nic.${size}B.ratio_intercepted/not" "$(ratio ${R[vale_icpt,$size]:-0} ${R[vale_if,$size]:-0})"
	bench_result "vale_nic.${size}B.ratio_switch/testpmd" "$(ratio ${R[vale,$size]:-0} ${R[pmd_xdp,$size]:-0})"
done
