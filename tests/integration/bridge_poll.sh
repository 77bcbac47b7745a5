#!/usr/bin/env bash
# bridge_poll.sh - netmap-bridge -p polls adaptively, as NAPI: idle, it
# sleeps (its state is S, not R, nearly every time it is looked at) instead
# of spinning on a core; frames wake it and cross, every one of them.
set -u
B=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
tmp=$(mktemp -d /tmp/unm-bpoll.XXXXXX)
dpid="" bp="" rp=""
cleanup() {
	for p in $bp $rp $dpid; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
export UNETMAP_SOCKET=$tmp/d.sock UNETMAP_NO_AUTOSTART=1
"$B/bin/unetmapd" -f -s "$UNETMAP_SOCKET" -l "$tmp/d.log" 2>>"$tmp/d.log" &
dpid=$!
for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done

id=$$
"$B/bin/netmap-bridge" -p -w 0 -i "netmap:bp$id}1" -i "netmap:bq$id{1" 2>$tmp/bridge.err &
bp=$!
for i in $(seq 100); do grep -q "busy-polling" $tmp/bridge.err 2>/dev/null && break; sleep 0.05; done
grep -q "busy-polling" $tmp/bridge.err; ok $? "netmap-bridge -p starts, busy-polling"
sleep 0.3
sleeping=0
for i in $(seq 40); do
	[ "$(cut -d' ' -f3 /proc/$bp/stat 2>/dev/null)" = S ] && sleeping=$((sleeping + 1))
	sleep 0.01
done
[ $sleeping -ge 30 ]; ok $? "idle, it sleeps instead of spinning (asleep in $sleeping of 40 looks)"
"$B/bin/pkt-gen" -i "netmap:bq$id}1" -f rx -n 100000 -w 0 >$tmp/rx.out 2>$tmp/rx.err &
rp=$!
for i in $(seq 100); do grep -q "^Receiving" $tmp/rx.out 2>/dev/null && break; sleep 0.05; done
timeout 30 "$B/bin/pkt-gen" -i "netmap:bp$id{1" -f tx -n 100000 -w 0 >$tmp/tx.out 2>$tmp/tx.err
timeout 30 tail --pid=$rp -f /dev/null
grep -q "^Received 100000 packets" $tmp/rx.out; ok $? "frames wake it: all 100000 crossed"
kill $bp; wait $bp 2>/dev/null; bp=""
grep -qE 'AddressSanitizer|runtime error' $tmp/d.log $tmp/bridge.err; [ $? != 0 ]; ok $? "no sanitizer report"
echo "# done: $n checks, $failed failed"
[ $failed = 0 ]
