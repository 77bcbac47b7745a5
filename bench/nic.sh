#!/usr/bin/env bash
# bench/nic.sh - network interfaces side by side, on veth pairs between
# namespaces made here (and removed on exit), 60- and 1514-byte frames:
#
#   tx      pkt-gen (netmap:x1) | trafgen | dpdk-testpmd txonly, af_xdp vdev |
#           dpdk-testpmd txonly, af_packet vdev      -- frames counted at the peer
#   rx      pkt-gen rx (netmap:x1) | a raw AF_XDP loop (bench/xsk_rx, libxdp)
#                                                    -- the generator sends from the peer
#   bridge  netmap-bridge x0<->x1 | the Linux bridge | dpdk-testpmd io, two af_xdp
#           vdevs                                    -- the generator in, counted out
#
# The generator for rx and bridge is pkt-gen on the far veth (the fastest
# sender here); GEN=trafgen uses trafgen instead.
#
# PIN=1: the program measured runs on CPU 0 (where testpmd forwards, lcore 0)
# and the generator on CPU 1, as in the reference measurements; by default the
# scheduler places them.
# A benchmark, not a test: numbers vary +-15% on this kind of VM.
#   bench/nic.sh [SECONDS]      (default 5 per measurement; BUILD=... for another build)
set -u
cd "$(dirname "$0")/.." || exit 2
. bench/lib.sh
B=${BUILD:-$PWD/build}
DUR=${1:-5}
T0="" T1=""
[ "${PIN:-0}" = 1 ] && T0="taskset -c 0" T1="taskset -c 1"
PMDS=$(ls -d /usr/lib/*/dpdk/pmds-* 2>/dev/null | head -1)
id=$$
G=nbg$id X=nbx$id S=nbs$id
tmp=$(mktemp -d /tmp/unm-bench.XXXXXX)
pids="" running=""

cleanup() {
	for p in $pids $running; do kill -INT -- "-$p" "$p" 2>/dev/null; done
	sleep 0.3
	for p in $pids $running; do kill -9 -- "-$p" "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in $G $X $S; do ip netns del $ns 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# what it needs: the build, and the peers (trafgen: netsniff-ng; testpmd's
# AF_XDP and AF_PACKET drivers); a peer that cannot be installed leaves its
# rows empty, and the table says why
bench_need $BENCH_BUILD_PACKAGES || exit 1
bench_need netsniff-ng || echo "# trafgen could not be installed: its tx row stays empty" >&2
bench_need dpdk-dev librte-net-af-xdp23 librte-net-af-packet23 librte-mempool-ring23 ||
	echo "# dpdk-testpmd could not be installed: its rows stay empty" >&2
make -s -j2 all >/dev/null || { echo "bench/nic.sh: build failed" >&2; exit 1; }
PMDS=$(ls -d /usr/lib/*/dpdk/pmds-* 2>/dev/null | head -1)
[ "${GEN:-pktgen}" = trafgen ] && ! command -v trafgen >/dev/null &&
	{ echo "bench/nic.sh: GEN=trafgen, but trafgen is missing" >&2; exit 1; }
declare -A WHY	# why a row is empty
command -v trafgen >/dev/null || WHY[tx,trafgen]="trafgen is not installed"
if ! command -v dpdk-testpmd >/dev/null; then
	for k in tx,pmd_xdp tx,pmd_pkt br,pmd_xdp; do WHY[$k]="dpdk-testpmd is not installed"; done
fi
exec 9>/tmp/bench.lock
flock 9

bench_daemon
pids="$pids $bench_dpid"

bench_veth_line $G $X $S	# G: g0 - x0 :X: x1 - s1 :S

measure() { bench_measure "$1" "$2" "$DUR"; }
# Every sender sends frames the receiving stack throws away at once (a unicast
# address nobody has, an unknown ethertype), so the peer's work - which runs
# on the sender's CPU with veth - is the same for all of them.
DST=02:00:00:00:00:02
trafgen_cfg() {	# $1 size, $2 file
	printf '{ 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5, fill(0x41, %d) }\n' \
	    $(($1 - 14)) >"$2"
}
testpmd() {	# $1 namespace, $2 prefix, rest: vdevs and testpmd args
	local ns=$1 pfx=$2
	shift 2
	bench_bg "$tmp/pmd-$pfx.log" ip netns exec $ns dpdk-testpmd -l 1,0 --main-lcore 1 --no-huge -m 1024 \
	    --no-pci -d "$PMDS" --file-prefix "$pfx$id" --log-level=error "$@"
}

# the generator: on namespace $1, interface $2, frames of $3 bytes
gen() {
	if [ "${GEN:-pktgen}" = trafgen ]; then
		bench_bg /dev/null ip netns exec $1 $T1 trafgen -o $2 -i $tmp/tg.cfg -P 1 -q
	else
		bench_bg /dev/null ip netns exec $1 $T1 "$B/bin/pkt-gen" -i netmap:$2 -f tx -l $3 -D $DST -w 0
	fi
}

declare -A R
for size in 60 1514; do
	trafgen_cfg $size $tmp/tg.cfg
	# ------------------------------------------------------------ tx
	p=$(bench_bg /dev/null ip netns exec $X $T0 "$B/bin/pkt-gen" -i netmap:x1 -f tx -l $size -D $DST -w 0); running="$running $p"
	R[tx,pktgen,$size]=$(measure $S s1); bench_stop $p
	if command -v trafgen >/dev/null; then
		p=$(bench_bg /dev/null ip netns exec $X $T0 trafgen -o x1 -i $tmp/tg.cfg -P 1 -q); running="$running $p"
		R[tx,trafgen,$size]=$(measure $S s1); bench_stop $p
	fi
	if command -v dpdk-testpmd >/dev/null; then
		p=$(testpmd $X tx --vdev net_af_xdp0,iface=x1 -- --forward-mode=txonly --eth-peer=0,$DST \
		    --txpkts=$size --total-num-mbufs=16384 --stats-period 1); running="$running $p"
		R[tx,pmd_xdp,$size]=$(measure $S s1); bench_stop $p
		p=$(testpmd $X tp --vdev net_af_packet0,iface=x1 -- --forward-mode=txonly --eth-peer=0,$DST \
		    --txpkts=$size --total-num-mbufs=16384 --stats-period 1); running="$running $p"
		R[tx,pmd_pkt,$size]=$(measure $S s1); bench_stop $p
		ip -n $X link set x1 xdp off 2>/dev/null
	fi
	# ------------------------------------------------------------ rx (pkt-gen generates, unless GEN=trafgen)
	{
		p=$(bench_bg $tmp/rx.log ip netns exec $X $T0 "$B/bin/pkt-gen" -i netmap:x1 -f rx -w 0); running="$running $p"
		sleep 1
		g=$(gen $S s1 $size); running="$running $g"
		sleep $((DUR + 2)); bench_stop $g $p
		R[rx,pktgen,$size]=$(bench_median_pps $tmp/rx.log)
		p=$(bench_bg $tmp/xrx.log ip netns exec $X $T0 "$B/bench/xsk_rx" x1 $((DUR + 3))); running="$running $p"
		sleep 1
		g=$(gen $S s1 $size); running="$running $g"
		sleep $((DUR + 1)); bench_stop $g $p
		R[rx,raw_xdp,$size]=$(bench_median_pps $tmp/xrx.log)
		ip -n $X link set x1 xdp off 2>/dev/null	# in case the loop left libxdp's program
	}
	# ------------------------------------------------------------ bridge
	{
		p=$(bench_bg /dev/null ip netns exec $X $T0 "$B/bin/netmap-bridge" -w 0 -i netmap:x0 -i netmap:x1); running="$running $p"
		sleep 0.5
		g=$(gen $G g0 $size); running="$running $g"
		R[br,netmap,$size]=$(measure $S s1); bench_stop $g $p
		ip -n $X link add br0 type bridge; ip -n $X link set x0 master br0
		ip -n $X link set x1 master br0; ip -n $X link set br0 up
		g=$(gen $G g0 $size); running="$running $g"
		R[br,linux,$size]=$(measure $S s1); bench_stop $g
		ip -n $X link del br0
		if command -v dpdk-testpmd >/dev/null; then
			p=$(testpmd $X io --vdev net_af_xdp0,iface=x0 --vdev net_af_xdp1,iface=x1 -- \
			    --forward-mode=io --total-num-mbufs=16384 --stats-period 1); running="$running $p"
			sleep 1
			g=$(gen $G g0 $size); running="$running $g"
			R[br,pmd_xdp,$size]=$(measure $S s1); bench_stop $g $p
			ip -n $X link set x0 xdp off 2>/dev/null; ip -n $X link set x1 xdp off 2>/dev/null
		fi
	}
done

ratio() { [ "${2:-0}" -gt 0 ] 2>/dev/null && awk "BEGIN { printf \"%.2f\", $1 / $2 }" || echo "-"; }
printf '%-44s %12s %12s\n' "measurement (pps)" "60 B" "1514 B"
row() {
	printf '%-44s %12s %12s%s\n' "$1" "${R[$2,60]:--}" "${R[$2,1514]:--}" \
	    "${WHY[$2]:+   (empty: ${WHY[$2]})}"
	[ -z "${R[$2,60]:-}${WHY[$2]:-}" ] && echo "   ^ no figure: the measurement gave nothing (see above)"
}
row "tx: pkt-gen netmap:x1" tx,pktgen
row "tx: trafgen" tx,trafgen
row "tx: dpdk-testpmd txonly af_xdp" tx,pmd_xdp
row "tx: dpdk-testpmd txonly af_packet" tx,pmd_pkt
row "rx: pkt-gen netmap:x1" rx,pktgen
row "rx: raw AF_XDP loop" rx,raw_xdp
row "bridge: netmap-bridge x0<->x1" br,netmap
row "bridge: Linux bridge" br,linux
row "bridge: dpdk-testpmd io, 2 af_xdp" br,pmd_xdp
for size in 60 1514; do
	best=0
	for k in trafgen pmd_xdp pmd_pkt; do v=${R[tx,$k,$size]:-0}; [ "$v" -gt "$best" ] && best=$v; done
	echo "ratios $size B: tx pkt-gen/best peer $(ratio ${R[tx,pktgen,$size]:-0} $best)," \
	    "rx pkt-gen/raw AF_XDP $(ratio ${R[rx,pktgen,$size]:-0} ${R[rx,raw_xdp,$size]:-0})," \
	    "bridge netmap/testpmd $(ratio ${R[br,netmap,$size]:-0} ${R[br,pmd_xdp,$size]:-0})," \
	    "netmap/Linux bridge $(ratio ${R[br,netmap,$size]:-0} ${R[br,linux,$size]:-0})"
	for k in "${!R[@]}"; do
		[ "${k##*,}" = "$size" ] && bench_result "nic.${size}B.$(echo "${k%,*}" | tr , .)_pps" "${R[$k]}"
	done
	bench_result "nic.${size}B.ratio_tx_pktgen/best_peer" "$(ratio ${R[tx,pktgen,$size]:-0} $best)"
	bench_result "nic.${size}B.ratio_rx_pktgen/raw_af_xdp" "$(ratio ${R[rx,pktgen,$size]:-0} ${R[rx,raw_xdp,$size]:-0})"
	bench_result "nic.${size}B.ratio_bridge_netmap/linux" "$(ratio ${R[br,netmap,$size]:-0} ${R[br,linux,$size]:-0})"
	bench_result "nic.${size}B.ratio_bridge_netmap/testpmd" "$(ratio ${R[br,netmap,$size]:-0} ${R[br,pmd_xdp,$size]:-0})"
done
