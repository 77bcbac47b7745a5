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

# -A: pairs polled by threads pinned to a CPU each, or by the main thread
# asleep ('-'); the poller that feeds a pair's second port also drains the
# second ports of the others (pairs.c)
err=$("$B/bin/netmap-bridge" -A 0 -w 0 -i "netmap:ba$id}1" -i "netmap:bb$id{1" -i "netmap:bc$id}1" -i "netmap:bd$id{1" 2>&1)
[ $? = 2 ] && echo "$err" | grep -q "for each of the 2 pairs"; ok $? "-A with a CPU short of the pairs is refused: $err"
err=$("$B/bin/netmap-bridge" -A 0,x -w 0 -i "netmap:ba$id}1" -i "netmap:bb$id{1" -i "netmap:bc$id}1" -i "netmap:bd$id{1" 2>&1)
[ $? = 2 ]; ok $? "-A 0,x is refused"
"$B/bin/netmap-bridge" -A 0,- -w 0 -i "netmap:ba$id}1" -i "netmap:bb$id{1" -i "netmap:bc$id}1" \
    -i "netmap:bd$id{1" 2>$tmp/a.err &
bp=$!
for i in $(seq 100); do grep -q "busy-polling on CPU 0" $tmp/a.err 2>/dev/null && break; sleep 0.05; done
grep -q "busy-polling on CPU 0" $tmp/a.err; ok $? "netmap-bridge -A 0,- starts: the first pair polled on CPU 0"
pinned=$(for t in /proc/$bp/task/*; do sed -n 's/^Cpus_allowed_list:[[:space:]]*\([0-9]*\)$/\1/p' $t/status; done | tr '\n' ' ')
[ "$pinned" = "0 " ]; ok $? "one of its threads is pinned to CPU 0 ($pinned)"
sleep 0.3
sleeping=0
for i in $(seq 40); do
	st=$(for t in /proc/$bp/task/*; do cut -d' ' -f3 $t/stat; done | sort -u | tr -d '\n')
	[ "$st" = S ] && sleeping=$((sleeping + 1))
	sleep 0.01
done
[ $sleeping -ge 20 ]; ok $? "idle, all its threads sleep (all asleep in $sleeping of 40 looks)"
# pair 1 forward (ba{1 -> bb}1) and pair 2 backward (bd}1 -> bc{1) at once
"$B/bin/pkt-gen" -i "netmap:bb$id}1" -f rx -n 100000 -w 0 >$tmp/rx1.out 2>/dev/null &
r1=$!
"$B/bin/pkt-gen" -i "netmap:bc$id{1" -f rx -n 100000 -w 0 >$tmp/rx2.out 2>/dev/null &
r2=$!
rp="$r1 $r2"
for i in $(seq 100); do grep -q "^Receiving" $tmp/rx1.out $tmp/rx2.out 2>/dev/null &&
    [ "$(grep -l "^Receiving" $tmp/rx1.out $tmp/rx2.out | wc -l)" = 2 ] && break; sleep 0.05; done
timeout 30 "$B/bin/pkt-gen" -i "netmap:ba$id{1" -f tx -n 100000 -w 0 >/dev/null 2>&1 &
t1=$!
timeout 30 "$B/bin/pkt-gen" -i "netmap:bd$id}1" -f tx -n 100000 -w 0 >/dev/null 2>&1
wait $t1
timeout 30 tail --pid=$r1 -f /dev/null; timeout 30 tail --pid=$r2 -f /dev/null
grep -q "^Received 100000 packets" $tmp/rx1.out; ok $? "all 100000 crossed the polled pair"
grep -q "^Received 100000 packets" $tmp/rx2.out; ok $? "and all 100000 the other way through the pair nobody polls"
kill $bp; wait $bp 2>/dev/null; bp="" rp=""
grep -q "bd$id{1 -> bc$id}1: 100000 frames" $tmp/a.err; ok $? "it counted them on the way out"
grep -qE 'AddressSanitizer|runtime error' $tmp/d.log $tmp/bridge.err $tmp/a.err; [ $? != 0 ]; ok $? "no sanitizer report"
echo "# done: $n checks, $failed failed"
[ $failed = 0 ]
