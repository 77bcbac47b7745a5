#!/usr/bin/env bash
# bench/dump.sh - nm-dump and nmreplay against what a user would otherwise run.
#
#   capture   60-byte frames written to a pcap file for DUR seconds:
#             tcpdump -w on a veth (namespaces made here), pkt-gen sending
#             into its peer; nm-dump -w on the same veth taken by pkt-gen rx
#             (netmap:s1/r); nm-dump -w on a netmap pipe at the rate the veth
#             carried, at 1 and 2 Mpps and at pkt-gen's full speed.  Frames
#             captured per second, and the share of what was offered.
#   replay    nmreplay -B 0 (as fast as possible) of a 60-byte trace (the one
#             nm-dump captured) into a netmap pipe, against pkt-gen -f tx on
#             the same pipe; pkt-gen rx counts on the other end.  The same
#             two into the veth (AF_XDP), counted at its peer.
#
#   bench/dump.sh [SECONDS]     (default 5 per measurement; BUILD=... for another build)
#
# Installs what it needs (as root): the build's packages, tcpdump, iproute2.
# A benchmark, not a test: numbers vary +-15% on this kind of VM.
set -u
cd "$(dirname "$0")/.." || exit 2
. bench/lib.sh
DUR=${1:-5}
bench_need $BENCH_BUILD_PACKAGES tcpdump iproute2 || exit 1
B=${BUILD:-$PWD/build}
[ -n "${BUILD:-}" ] || make -s -j2 all >/dev/null || exit 1
TCPDUMP=$(command -v tcpdump)
id=$$
X=ndx$id S=nds$id
tmp=$(mktemp -d /tmp/unm-bench.XXXXXX)
pids="" running=""

cleanup() {
	for p in $running $pids; do kill -INT -- "-$p" "$p" 2>/dev/null; done
	sleep 0.3
	for p in $running $pids; do kill -9 -- "-$p" "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in $X $S; do ip netns del $ns 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
exec 9>/tmp/bench.lock
flock 9

export UNETMAP_SOCKET=$tmp/d.sock UNETMAP_NO_AUTOSTART=1 UNETMAP_LOG=quiet
"$B/bin/unetmapd" -f -s "$UNETMAP_SOCKET" -l "$tmp/d.log" 2>>"$tmp/d.log" &
pids="$pids $!"
for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done

for ns in $X $S; do
	ip netns add $ns
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add x1 netns $X type veth peer name s1 netns $S
ip -n $X link set x1 up; ip -n $S link set s1 up
DST=02:00:00:00:00:02	# nobody's: the stack drops them at once

# wait_for FILE WORD: 5 s at most
wait_for() { for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
rx_packets() { ip netns exec $S cat /sys/class/net/s1/statistics/rx_packets; }
num() { grep -m 1 -o "^[0-9]* $2" "$1" | grep -o '^[0-9]*'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * a / b; else print "-" }'; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.3f", n / t / 1e6 }'; }

# ------------------------------------------------------------ tcpdump on the veth
tdp=$(bench_bg "$tmp/td.err" ip netns exec $S "$TCPDUMP" -i s1 -n -w "$tmp/td.pcap"); running="$running $tdp"
wait_for "$tmp/td.err" "listening on" || echo "# tcpdump did not start" >&2
a=$(rx_packets)
g=$(bench_bg /dev/null ip netns exec $X "$B/bin/pkt-gen" -i netmap:x1 -f tx -l 60 -D $DST -w 0); running="$running $g"
sleep "$DUR"
bench_stop $g
b=$(rx_packets)
sleep 0.5
bench_stop $tdp
veth_offered=$((b - a))
td_cap=$(num "$tmp/td.err" "packets captured")
td_drop=$(num "$tmp/td.err" "packets dropped by kernel")
veth_rate=$((veth_offered / DUR))

# ------------------------------------------------------------ nm-dump on the same veth
rxp=$(bench_bg "$tmp/vrx.out" ip netns exec $S "$B/bin/pkt-gen" -i netmap:s1 -f rx -w 0); running="$running $rxp"
wait_for "$tmp/vrx.out" "^Receiving from\|^Working on" || echo "# pkt-gen rx on s1 did not start" >&2
ndp=$(bench_bg "$tmp/vnd.err" ip netns exec $S "$B/bin/nm-dump" -i netmap:s1 -r -w "$tmp/vnd.pcap"); running="$running $ndp"
wait_for "$tmp/vnd.err" "listening on" || { echo "# nm-dump on s1 did not start:" >&2; cat "$tmp/vnd.err" >&2; }
a=$(rx_packets)
g=$(bench_bg /dev/null ip netns exec $X "$B/bin/pkt-gen" -i netmap:x1 -f tx -l 60 -D $DST -w 0); running="$running $g"
sleep "$DUR"
bench_stop $g
sleep 0.5
bench_stop $ndp $rxp
vnd_rx=$(grep -o '^Received [0-9]*' "$tmp/vrx.out" | grep -o '[0-9]*$')
vnd_cap=$(num "$tmp/vnd.err" "frames captured")
vnd_drop=$(num "$tmp/vnd.err" "frames dropped by the monitor")

# ------------------------------------------------------------ nm-dump on a pipe
# pipe_dump TAG [pkt-gen tx args]: offered (what pkt-gen rx got), captured, dropped
pipe_dump() {
	local tag=$1 p="bd$id$1" rx nd tx
	shift
	rx=$(bench_bg "$tmp/$tag.rx" "$B/bin/pkt-gen" -f rx -i "netmap:$p}0" -a 1 -b 512); running="$running $rx"
	wait_for "$tmp/$tag.rx" "^Receiving from"
	nd=$(bench_bg "$tmp/$tag.nd" "$B/bin/nm-dump" -i "netmap:$p}0" -r -w "$tmp/$tag.pcap"); running="$running $nd"
	wait_for "$tmp/$tag.nd" "listening on"
	tx=$(bench_bg "$tmp/$tag.tx" "$B/bin/pkt-gen" -f tx -i "netmap:$p{0" -a 0 -b 512 -l 60 "$@"); running="$running $tx"
	sleep "$DUR"
	bench_stop $tx
	sleep 0.3
	bench_stop $nd $rx
	echo "$(grep -o '^Received [0-9]*' "$tmp/$tag.rx" | grep -o '[0-9]*$') $(num "$tmp/$tag.nd" "frames captured") $(num "$tmp/$tag.nd" "frames dropped by the monitor")"
}
read -r same_off same_cap same_drop <<<"$(pipe_dump same -R "$veth_rate")"
read -r m1_off m1_cap m1_drop <<<"$(pipe_dump m1 -R 1000000)"
read -r m2_off m2_cap m2_drop <<<"$(pipe_dump m2 -R 2000000)"
read -r full_off full_cap full_drop <<<"$(pipe_dump full)"

printf '\ncapture of 60-byte frames to a pcap file, %s s each\n' "$DUR"
printf '%-44s %12s %12s %9s %12s\n' "" "offered" "captured" "share" "dropped"
printf '%-44s %7s Mpps %7s Mpps %9s %12s\n' "tcpdump -w, veth (pkt-gen into its peer)" \
	"$(rate "$veth_offered" "$DUR")" "$(rate "${td_cap:-0}" "$DUR")" "$(pct "${td_cap:-0}" "$veth_offered")" "${td_drop:--}"
printf '%-44s %7s Mpps %7s Mpps %9s %12s\n' "nm-dump -w, the same veth (netmap:s1/r)" \
	"$(rate "${vnd_rx:-0}" "$DUR")" "$(rate "${vnd_cap:-0}" "$DUR")" "$(pct "${vnd_cap:-0}" "${vnd_rx:-0}")" "${vnd_drop:--}"
printf '%-44s %7s Mpps %7s Mpps %9s %12s\n' "nm-dump -w, netmap pipe at the veth's rate" \
	"$(rate "${same_off:-0}" "$DUR")" "$(rate "${same_cap:-0}" "$DUR")" "$(pct "${same_cap:-0}" "${same_off:-0}")" "${same_drop:--}"
printf '%-44s %7s Mpps %7s Mpps %9s %12s\n' "nm-dump -w, netmap pipe at 1 Mpps" \
	"$(rate "${m1_off:-0}" "$DUR")" "$(rate "${m1_cap:-0}" "$DUR")" "$(pct "${m1_cap:-0}" "${m1_off:-0}")" "${m1_drop:--}"
printf '%-44s %7s Mpps %7s Mpps %9s %12s\n' "nm-dump -w, netmap pipe at 2 Mpps" \
	"$(rate "${m2_off:-0}" "$DUR")" "$(rate "${m2_cap:-0}" "$DUR")" "$(pct "${m2_cap:-0}" "${m2_off:-0}")" "${m2_drop:--}"
printf '%-44s %7s Mpps %7s Mpps %9s %12s\n' "nm-dump -w, netmap pipe at full speed" \
	"$(rate "${full_off:-0}" "$DUR")" "$(rate "${full_cap:-0}" "$DUR")" "$(pct "${full_cap:-0}" "${full_off:-0}")" "${full_drop:--}"
best=$(printf '%s\n' "${same_cap:-0}" "${m1_cap:-0}" "${m2_cap:-0}" "${full_cap:-0}" | sort -n | tail -n 1)
echo "nm-dump/tcpdump: share captured at the veth's rate $(bench_ratio "${same_cap:-0}" "${same_off:-0}")/$(bench_ratio "${td_cap:-0}" "$veth_offered"); most captured per second $(bench_ratio "$best" "${td_cap:-0}"); on the same veth $(bench_ratio "${vnd_cap:-0}" "${td_cap:-0}")"

# ------------------------------------------------------------ nmreplay vs pkt-gen tx
# the trace: 10000 of the frames nm-dump captured on the pipe
"$TCPDUMP" -r "$tmp/full.pcap" -c 10000 -w "$tmp/trace.pcap" 2>/dev/null
# send TAG PROGRAM ARGS...: the receiver's Mpps
send() {
	local tag=$1 p="br$id$1" rx tx
	shift
	rx=$(bench_bg "$tmp/$tag.rx" "$B/bin/pkt-gen" -f rx -i "netmap:$p}0" -a 1 -b 512); running="$running $rx"
	wait_for "$tmp/$tag.rx" "^Receiving from"
	tx=$(bench_bg "$tmp/$tag.tx" "$@" "netmap:$p{0"); running="$running $tx"
	sleep "$DUR"
	bench_stop $tx
	sleep 0.3
	bench_stop $rx
	bench_mpps "$tmp/$tag.rx"
}
# alternating, twice each, the better of the two: others' load on a small VM
# comes and goes within seconds
pg1=$(send pg1 "$B/bin/pkt-gen" -f tx -a 0 -b 512 -l 60 -i)
nr1=$(send nr1 "$B/bin/nmreplay" -f "$tmp/trace.pcap" -B 0 -b 512 -C 0 -i)
pg2=$(send pg2 "$B/bin/pkt-gen" -f tx -a 0 -b 512 -l 60 -i)
nr2=$(send nr2 "$B/bin/nmreplay" -f "$tmp/trace.pcap" -B 0 -b 512 -C 0 -i)
pg=$(printf '%s\n' "${pg1:-0}" "${pg2:-0}" | sort -n | tail -n 1)
nr=$(printf '%s\n' "${nr1:-0}" "${nr2:-0}" | sort -n | tail -n 1)
echo "# runs: pkt-gen $pg1 $pg2, nmreplay $nr1 $nr2 Mpps"

# the same two into the veth (netmap:x1, AF_XDP), where a trace is usually
# replayed to: a network interface; frames counted at its peer s1.  pkt-gen
# sends its default frame (broadcast), the very frames the trace holds: the
# peer's stack costs the sender's core the same for both
veth_send() {
	local tag=$1 tx a b
	shift
	tx=$(bench_bg "$tmp/$tag.vtx" ip netns exec $X "$@" netmap:x1); running="$running $tx"
	sleep 1.5
	a=$(rx_packets)
	sleep "$DUR"
	b=$(rx_packets)
	bench_stop $tx
	sleep 0.3
	awk -v a="$a" -v b="$b" -v t="$DUR" 'BEGIN { printf "%.3f", (b - a) / t / 1e6 }'
}
vpg1=$(veth_send vpg1 "$B/bin/pkt-gen" -f tx -l 60 -w 0 -i)
vnr1=$(veth_send vnr1 "$B/bin/nmreplay" -f "$tmp/trace.pcap" -B 0 -b 512 -i)
vpg2=$(veth_send vpg2 "$B/bin/pkt-gen" -f tx -l 60 -w 0 -i)
vnr2=$(veth_send vnr2 "$B/bin/nmreplay" -f "$tmp/trace.pcap" -B 0 -b 512 -i)
vpg=$(printf '%s\n' "${vpg1:-0}" "${vpg2:-0}" | sort -n | tail -n 1)
vnr=$(printf '%s\n' "${vnr1:-0}" "${vnr2:-0}" | sort -n | tail -n 1)
echo "# veth runs: pkt-gen $vpg1 $vpg2, nmreplay $vnr1 $vnr2 Mpps"

printf '\n60-byte frames into a netmap pipe, %s s, received by pkt-gen rx (better of two runs)\n' "$DUR"
printf '%-44s %7s Mpps\n' "pkt-gen -f tx" "${pg:--}" "nmreplay -B 0 (10000-frame trace)" "${nr:--}"
echo "nmreplay/pkt-gen: $(bench_ratio "${nr:-0}" "${pg:-0}") (pkt-gen writes its frame into each buffer once and then only lengths; a replayer writes every frame)"
printf '\n60-byte frames into a veth (netmap:x1, AF_XDP), %s s, counted at its peer (better of two runs)\n' "$DUR"
printf '%-44s %7s Mpps\n' "pkt-gen -f tx" "${vpg:--}" "nmreplay -B 0 (10000-frame trace)" "${vnr:--}"
echo "nmreplay/pkt-gen on the veth: $(bench_ratio "${vnr:-0}" "${vpg:-0}")"
bench_result dump.replay.pipe.pktgen_Mpps "$pg"
bench_result dump.replay.pipe.nmreplay_Mpps "$nr"
bench_result dump.replay.pipe.ratio_nmreplay/pktgen "$(bench_ratio "${nr:-0}" "${pg:-0}")"
bench_result dump.replay.veth.pktgen_Mpps "$vpg"
bench_result dump.replay.veth.nmreplay_Mpps "$vnr"
bench_result dump.replay.veth.ratio_nmreplay/pktgen "$(bench_ratio "${vnr:-0}" "${vpg:-0}")"
echo
echo "machine: $(grep -m 1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, $(uname -r)"
