#!/usr/bin/env bash
# bridge_poll.sh - netmap-bridge -p polls adaptively, as NAPI: idle, it
# sleeps (its state is S, not R, nearly every time it is looked at) instead
# of spinning on a core; frames wake it and cross, every one of them.
set -u
B=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
tmp=$(mktemp -d /tmp/unm-bpoll.XXXXXX)
dpid="" bp="" bp2="" rp="" hogs=""
cleanup() {
	rm -f "$tmp/hogs"
	for p in $hogs $bp $bp2 $rp $dpid; do kill -9 "$p" 2>/dev/null; done
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

# -A 0 on a machine with more busy threads than CPUs: the poller rests
# (asleep in usleep(): wchan hrtimer_nanosleep), the main thread forwards
poller_wchan() { cat /proc/$bp/task/$ptid/wchan 2>/dev/null; echo; }
stop_bridge() {	# $1: it stops on SIGTERM within 5 s (else it is killed: false)
	kill "$1"
	for i in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$1" 2>/dev/null; then kill -9 "$1"; wait "$1" 2>/dev/null; return 1; fi
	wait "$1" 2>/dev/null
	return 0
}
cross() {	# $1 frames from port $2{1 through the bridge of $2}1 and $3{1 to $3}1: all came?
	"$B/bin/pkt-gen" -i "netmap:$3}1" -f rx -n $1 -w 0 >$tmp/crx.out 2>/dev/null &
	rp=$!
	for i in $(seq 100); do grep -q "^Receiving" $tmp/crx.out 2>/dev/null && break; sleep 0.05; done
	timeout 60 "$B/bin/pkt-gen" -i "netmap:$2{1" -f tx -n $1 -w 0 >/dev/null 2>&1
	timeout 60 tail --pid=$rp -f /dev/null
	kill -9 $rp 2>/dev/null; wait $rp 2>/dev/null; rp=""
	grep -q "^Received $1 packets" $tmp/crx.out
}
if [ -r /proc/pressure/cpu ] && [ "$(nproc)" -ge 2 ]; then
	"$B/bin/netmap-bridge" -A 0 -w 0 -i "netmap:ca$id}1" -i "netmap:cb$id{1" 2>$tmp/c.err &
	bp=$!
	ptid=""
	for i in $(seq 100); do	# the poller: the thread pinned to CPU 0 (the main one is not)
		ptid=$(for t in /proc/$bp/task/*; do
			grep -qx 'Cpus_allowed_list:[[:space:]]*0' $t/status 2>/dev/null && basename $t; done)
		[ -n "$ptid" ] && break
		sleep 0.05
	done
	[ -n "$ptid" ]; ok $? "netmap-bridge -A 0: its poller is thread $ptid"
	# the hogs spin until the file goes (cleanup removes it too), 300 s at most
	touch $tmp/hogs
	for i in $(seq $(($(nproc) * 2))); do
		bash -c "while [ -e $tmp/hogs ] && [ \$SECONDS -lt 300 ]; do :; done" & hogs="$hogs $!"
	done
	cross 200000 ca$id cb$id; ok $? "with $(($(nproc) * 2)) CPU hogs running: all 200000 frames crossed"
	# the two-port bridge polls the same way
	"$B/bin/netmap-bridge" -p -w 0 -i "netmap:da$id}1" -i "netmap:db$id{1" 2>$tmp/d2.err &
	bp2=$!
	cross 100000 da$id db$id; ok $? "and all 100000 through netmap-bridge -p with two ports"
	stop_bridge $bp2; ok $? "it stops on SIGTERM"; bp2=""
	grep -q "threads wait for a CPU here: forwarding asleep while they do" $tmp/d2.err &&
	    grep -qE "^netmap-bridge: [1-9][0-9]* rests" $tmp/d2.err &&
	    grep -q "100000 frames (6000000 bytes) forward" $tmp/d2.err
	ok $? "which rested too: $(grep -E "rests|forward" $tmp/d2.err | tr '\n' ' ')"
	for i in $(seq 100); do grep -q "threads wait for a CPU here" $tmp/c.err && break; sleep 0.05; done
	grep -q "threads wait for a CPU here: the pairs of CPU 0 are forwarded asleep" $tmp/c.err
	ok $? "the poller said it rests: $(grep "wait for a CPU" $tmp/c.err)"
	resting=0
	for i in $(seq 40); do [ "$(poller_wchan)" = hrtimer_nanosleep ] && resting=$((resting + 1)); sleep 0.05; done
	[ $resting -ge 10 ]; ok $? "with the hogs, the poller rests (in usleep in $resting of 40 looks)"
	rm -f $tmp/hogs; kill -9 $hogs 2>/dev/null; wait $hogs 2>/dev/null; hogs=""
	# a rest lasts 1.6 s at most; then the poller, idle, sleeps in poll()
	polling=0
	for i in $(seq 400); do
		case "$(poller_wchan)" in hrtimer_nanosleep|"") polling=0 ;; *) polling=$((polling + 1)) ;; esac
		[ $polling -ge 20 ] && break
		sleep 0.05
	done
	[ $polling -ge 20 ]; ok $? "the hogs gone, it polls again (out of usleep in 20 looks in a row: $(poller_wchan))"
	cross 100000 ca$id cb$id; ok $? "and all 100000 frames more crossed"
	stop_bridge $bp; ok $? "it stops on SIGTERM"; bp=""
	# all 300000 counted; some rested, and not all: the poller took its pair back
	rested=$(sed -n "s/^netmap-bridge: ca$id}1 -> cb$id{1: 300000 frames ([0-9]* bytes), \([0-9]*\) of them while its poller rested$/\1/p" $tmp/c.err)
	[ -n "$rested" ] && [ "$rested" -gt 0 ] && [ "$rested" -lt 300000 ]
	ok $? "its count: $(grep "ca$id}1 -> cb$id{1" $tmp/c.err)"
	grep -qE "the poller of CPU 0: [1-9][0-9]* rests" $tmp/c.err
	ok $? "$(grep " rests" $tmp/c.err)"
else
	echo "# /proc/pressure/cpu cannot be read here: a poller always polls, nothing to check"
fi
grep -qE 'AddressSanitizer|runtime error' $tmp/d.log $tmp/bridge.err $tmp/a.err $tmp/c.err $tmp/d2.err 2>/dev/null; [ $? != 0 ]
ok $? "no sanitizer report"
echo "# done: $n checks, $failed failed"
[ $failed = 0 ]
