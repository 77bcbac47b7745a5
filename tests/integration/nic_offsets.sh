#!/usr/bin/env bash
# nic_offsets.sh - data offsets (NETMAP_REQ_OPT_OFFSETS) on network
# interfaces, on a veth pair between two network namespaces this test makes
# (and removes, whatever happens): in native XDP, generic XDP and emulated
# (AF_PACKET) modes, frames a plain socket sends land whole at the rx ring's
# initial offset, and frames sent from slots at several offsets leave whole;
# on the host rings, what the stack sends lands at the offset too.
set -u
B=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
P=$B/tests/helpers/nicprobe
O=$B/tests/helpers/offprobe
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

if [ "$(id -u)" != 0 ] || ! ip link add nmoff$$ type veth peer name nmoff$$b 2>/dev/null; then
	echo "# needs root and veth: skipped"; echo "# done: 0 checks, 0 failed"; exit 0
fi
ip link del nmoff$$ 2>/dev/null

id=$$
NA=noa$id NB=nob$id
tmp=$(mktemp -d /tmp/unm-noff.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in $NA $NB; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

export UNETMAP_SOCKET=$tmp/d.sock UNETMAP_NO_AUTOSTART=1 UNETMAP_SPIN_US=0
"$B/bin/unetmapd" -f -v -s "$UNETMAP_SOCKET" -l "$tmp/d.log" 2>>"$tmp/d.log" &
pids="$pids $!"
for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done

inA() { ip netns exec $NA "$@"; }
inB() { ip netns exec $NB "$@"; }
for ns in $NA $NB; do
	ip netns add $ns; ip -n $ns link set lo up
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
VA=voa$id VB=vob$id
ip link add $VA type veth peer name $VB
ip link set $VA netns $NA; ip link set $VB netns $NB
ip -n $NA link set $VA up; ip -n $NB link set $VB up
inA ethtool -K $VA tx off >/dev/null 2>&1
inB ethtool -K $VB tx off >/dev/null 2>&1
ip -n $NA addr add 10.78.1.1/24 dev $VA
ip -n $NB addr add 10.78.1.2/24 dev $VB

# waits (bounded) until file $1 has a line matching $2
await() { for i in $(seq 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
# waits (bounded) until $VA is given back (its TAP gone)
released() { for i in $(seq 100); do ip -n $NA link show | grep -q unmh || return 0; sleep 0.05; done; return 1; }

for mode in native generic emulated; do
	spec=netmap:$VA
	[ $mode = native ] || spec=netmap:$VA@admode=$mode
	released
	ip netns exec $NA timeout --foreground 20 "$O" rx $spec 100 200 10 >$tmp/rx 2>&1 & pids="$pids $!"
	await $tmp/rx '^ready'
	inB "$P" send $VB 100 1000
	inB "$P" send $VB 100 1514
	await $tmp/rx '^good='
	grep -q "^good=200 bad=0" $tmp/rx; ok $? "$mode: 200 frames land whole at the rx ring's offset 100 ($(grep good= $tmp/rx))"

	released
	ip netns exec $NB timeout --foreground 20 "$O" check $VB 200 10 >$tmp/chk 2>&1 & pids="$pids $!"
	await $tmp/chk '^ready'
	inA timeout 20 "$O" tx $spec 200 1200 >$tmp/tx 2>&1
	await $tmp/chk '^good='
	grep -q "^good=200 bad=0" $tmp/chk; ok $? "$mode: 200 frames sent from offsets 0, 1, 77 and 300 leave whole ($(grep good= $tmp/chk), $(cat $tmp/tx))"
done

# the host rx ring: what the stack sends (ARP, ping) lands at the offset
released
ip netns exec $NA timeout --foreground 20 "$O" rx-host "netmap:$VA^" 60 2 10 >$tmp/host 2>&1 & pids="$pids $!"
await $tmp/host '^ready'
inA ping -c 4 -i 0.3 -W 1 10.78.1.2 >/dev/null 2>&1
await $tmp/host '^good='
grep -q "^good=[2-9][0-9]* bad=0" $tmp/host; ok $? "host rx ring: the stack's frames land at offset 60 ($(grep good= $tmp/host))"

# a largest offset beyond the buffer is refused on an interface too
released
out=$(inA timeout 20 "$O" rx netmap:$VA 3000 1 1 2>&1)
echo "$out" | grep -q "cannot open"; ok $? "an initial offset of 3000 (beyond the 2048-byte buffer) is refused"

echo "# done: $n checks, $failed failed"
exit $((failed > 0))
