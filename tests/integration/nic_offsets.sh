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
. "$(dirname "$0")/../lib/netns.sh"
needs_root_veth

id=$$
NA=noa$id NB=nob$id
netns_test noff $NA $NB

export UNETMAP_SPIN_US=0
daemon_start

inA() { ip netns exec $NA "$@"; }
inB() { ip netns exec $NB "$@"; }
netns_make $NA $NB
VA=voa$id VB=vob$id
veth_pair $VA $VB $NA $NB
ip -n $NA addr add 10.78.1.1/24 dev $VA
ip -n $NB addr add 10.78.1.2/24 dev $VB

for mode in native generic emulated; do
	spec=netmap:$VA
	[ $mode = native ] || spec=netmap:$VA@admode=$mode
	released $NA
	ip netns exec $NA timeout --foreground 20 "$O" rx $spec 100 200 10 >$tmp/rx 2>&1 & pids="$pids $!"
	await $tmp/rx '^ready' 300
	inB "$P" send $VB 100 1000
	inB "$P" send $VB 100 1514
	await $tmp/rx '^good=' 300
	grep -q "^good=200 bad=0" $tmp/rx; ok $? "$mode: 200 frames land whole at the rx ring's offset 100 ($(grep good= $tmp/rx))"

	released $NA
	ip netns exec $NB timeout --foreground 20 "$O" check $VB 200 10 >$tmp/chk 2>&1 & pids="$pids $!"
	await $tmp/chk '^ready' 300
	inA timeout 20 "$O" tx $spec 200 1200 >$tmp/tx 2>&1
	await $tmp/chk '^good=' 300
	grep -q "^good=200 bad=0" $tmp/chk; ok $? "$mode: 200 frames sent from offsets 0, 1, 77 and 300 leave whole ($(grep good= $tmp/chk), $(cat $tmp/tx))"
done

# the host rx ring: what the stack sends (ARP, ping) lands at the offset
released $NA
ip netns exec $NA timeout --foreground 20 "$O" rx-host "netmap:$VA^" 60 2 10 >$tmp/host 2>&1 & pids="$pids $!"
await $tmp/host '^ready' 300
inA ping -c 4 -i 0.3 -W 1 10.78.1.2 >/dev/null 2>&1
await $tmp/host '^good=' 300
grep -q "^good=[2-9][0-9]* bad=0" $tmp/host; ok $? "host rx ring: the stack's frames land at offset 60 ($(grep good= $tmp/host))"

# a largest offset beyond the buffer is refused on an interface too
released $NA
out=$(inA timeout 20 "$O" rx netmap:$VA 3000 1 1 2>&1)
echo "$out" | grep -q "cannot open"; ok $? "an initial offset of 3000 (beyond the 2048-byte buffer) is refused"

echo "# done: $n checks, $failed failed"
exit $((failed > 0))
