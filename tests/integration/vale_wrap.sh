#!/usr/bin/env bash
# vale_wrap.sh - a persistent VALE port on two switches, as netmap's bwrap:
#
#   valeA: s, r, w ... --- P (valeA:P) === worker === valeB:P --- valeB: s, r ...
#
# The second attach of P joins the two switches like a patch cable (a
# netmap-bridge worker of the daemon forwards between P and valeB:P):
# frames cross both ways, each switch learns the other's senders on its
# port of P; a third attach, opening P by any name, detaching P's first
# attach or deleting P are refused (EBUSY) while the wrap exists; the wrap
# is polled as an interface is; detaching valeB:P undoes it and stops the
# worker; so does the daemon's stop.
#
# Needs no namespace: runs its own daemon (for its workers' pids), which it
# stops on every exit path, with whatever else it started.
set -u
B=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
tmp=$(mktemp -d /tmp/unm-valewrap.XXXXXX)
. "$(dirname "$0")/../lib/netns.sh"

pids="" dpid=""
cleanup() {
	for p in $pids $dpid; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

id=$(($$ % 100000))
SA=valewa$id SB=valewb$id SC=valewc$id	# switches
P=w$id					# the persistent port
MA=02:00:00:00:0a:01 MB=02:00:00:00:0b:01

vc() { timeout --foreground 20 "$B/bin/valectl" "$@"; }
# pg NAME ARGS...: pkt-gen in the background, output in $tmp/NAME.{out,err}
pg() {
	local name=$1
	shift
	timeout --foreground -k 2 20 "$B/bin/pkt-gen" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null &
	pids="$pids $!"
	eval "PID_$name=$!"
}
# ready NAME: wait (5 s at most) until receiver NAME runs
ready() {
	for _ in $(seq 100); do
		grep -q "^Receiving from" "$tmp/$1.out" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# done_ NAME: wait for it (bounded by its timeout); its exit status
done_() { local p; eval "p=\$PID_$1"; wait "$p"; }
# got NAME N: receiver NAME counted N frames
got() { grep -q "^Received $2 packets" "$tmp/$1.out"; }
# col SWITCH:PORT COLUMN: one counter of the listing
col() {
	vc | awk -v p="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i }
	    $1 == p && k { print $k }'
}
# refused NAME RC WORDS: a command's exit status and stderr (in $tmp/NAME.err)
refused() { [ "$2" = 1 ] && grep -q "$3" "$tmp/$1.err"; }
# crosses FROM TO "what": 300 frames from FROM's sender to a receiver on TO
crosses() {
	pg rx$1 -f rx -i "$2:r" -n 300
	ready rx$1 || sed 's/^/# /' "$tmp/rx$1.err"
	pg tx$1 -f tx -i "$1:s" -n 300 -l 100
	done_ tx$1; done_ rx$1
	got rx$1 300; ok $? "$3 ($(grep -m1 "^Received" "$tmp/rx$1.out"))"
}
gone_workers() {
	for _ in $(seq 50); do [ -z "$(workers)" ] && return 0; sleep 0.1; done
	return 1
}
# the pids of the daemon's workers once there is one (a loaded machine starts them late)
some_workers() {
	for _ in $(seq 50); do [ -n "$(workers)" ] && break; sleep 0.1; done
	workers
}

daemon_start

# ---------------------------------------------------------------- two switches
vc -n $P; ok $? "valectl -n $P"
vc -a $SA:$P; ok $? "valectl -a $SA:$P: on its first switch"
out=$(vc -v -a $SB:$P 2>&1); rc=$?
[ $rc = 0 ] && [ "$out" = "$SB:$P: attached as port 0" ]; ok $? "valectl -a $SB:$P: on a second switch too, as netmap does ($out)"
list=$(vc 2>&1)
echo "$list" | grep -q "^$SA:$P "; ok $? "the listing shows $SA:$P"
echo "$list" | grep -q "^$SB:$P "; ok $? "and $SB:$P"
[ "$(echo "$list" | awk -v p=$SA:$P '$1 == p { print $2 }')" != \
    "$(echo "$list" | awk -v p=$SB:$P '$1 == p { print $2 }')" ]; ok $? "on two bridges"
w=$(some_workers)
[ "$(echo $w | wc -w)" = 1 ] && [ "$(tr '\0' '\n' </proc/$w/cmdline | grep -c '^fd:')" = 2 ]
ok $? "one worker forwards between $P and $SB:$P ($w)"

# ---------------------------------------------------------------- refusals
vc -a $SC:$P 2>"$tmp/third.err"; refused third $? "on two switches"; ok $? "a third attach is refused (EBUSY): $(head -1 "$tmp/third.err")"
grep -q "Device or resource busy" "$tmp/third.err"; ok $? "the summary says EBUSY"
vc 2>&1 | grep -q "^$SC:"; [ $? != 0 ]; ok $? "and $SC is not left behind"
for name in $P $SA:$P $SB:$P; do
	timeout --foreground 10 "$B/bin/pkt-gen" -f rx -i $name -n 1 >/dev/null 2>"$tmp/open.err"
	refused open $? "Device or resource busy"; ok $? "opening $name is refused (EBUSY): $(grep -m1 'two switches' "$tmp/open.err")"
done
vc -d $SA:$P 2>"$tmp/dta.err"; refused dta $? "Device or resource busy"; ok $? "detaching $SA:$P while it is wrapped is refused (EBUSY)"
vc -r $P 2>"$tmp/rm.err"; refused rm $? "Device or resource busy"; ok $? "deleting $P is refused (EBUSY)"
vc -a $SA:$P 2>"$tmp/again.err"; refused again $? "Device or resource busy"; ok $? "attaching it to $SA again is refused (EBUSY)"
vc -h $SC:$P 2>"$tmp/h.err"; refused h $? "Device or resource busy"; ok $? "and -h to a third switch (EBUSY)"

# ---------------------------------------------------------------- frames
crosses $SA $SB "300 frames from $SA cross to a receiver on $SB"
crosses $SB $SA "300 frames from $SB cross to a receiver on $SA"
[ "$(col $SA:$P rx-frames) $(col $SB:$P tx-frames)" = "300 300" ]
ok $? "what $SA delivered to $P, $SB:$P sent into $SB"
[ "$(col $SB:$P rx-frames) $(col $SA:$P tx-frames)" = "300 300" ]
ok $? "what $SB delivered to $SB:$P, $P sent into $SA"
# learning: a sender on B with address MB; then to MB from A, only P gets it on A
pg bs -f tx -i $SB:b -n 5 -S $MB
done_ bs
pg aw -f rx -i $SA:watch -n 1000
ready aw
pg br -f rx -i $SB:r2 -n 50
ready br
pg as -f tx -i $SA:a -n 50 -S $MA -D $MB
done_ as; done_ br
got br 50; ok $? "50 frames from $SA to $MB reach $SB"
sleep 0.3
[ "$(col $SA:watch rx-frames) $(col $SA:watch drop-full)" = "0 0" ]
ok $? "and no other port of $SA: it learned $MB on $P"
kill "$PID_aw" 2>/dev/null; wait "$PID_aw" 2>/dev/null

# ---------------------------------------------------------------- polled
vc -p $SB:$P -C 0,0; ok $? "valectl -p $SB:$P: the wrap is polled as an interface is (netmap polls any bwrap)"
pw=$(pgrep -P "$dpid" -f 'netmap-bridge.* -p ' | head -1)
[ -n "$pw" ]; ok $? "by a busy-polling worker ($pw)"
crosses $SA $SB "300 frames from $SA cross to $SB while it is polled"
vc -d $SB:$P 2>"$tmp/dtp.err"; refused dtp $? "Device or resource busy"; ok $? "and it is not detached while polled (EBUSY)"
vc -P $SB:$P; ok $? "valectl -P $SB:$P"
vc -p $SA:$P 2>"$tmp/pa.err"; refused pa $? "Operation not supported"; ok $? "its first attach wraps nothing: not polled (EOPNOTSUPP)"

# ---------------------------------------------------------------- undone
out=$(vc -v -d $SB:$P 2>&1); ok $? "valectl -d $SB:$P undoes the wrap: $out"
gone_workers; ok $? "its worker is gone"
vc 2>&1 | grep -q "^$SB:"; [ $? != 0 ]; ok $? "$SB went with its last port"
vc 2>&1 | grep -q "^$SA:$P "; ok $? "$P is still on $SA"
pg own -f rx -i $P -n 5
ready own
pg as2 -f tx -i $SA:a -n 5
done_ as2; done_ own
got own 5; ok $? "$P opens again, and receives from $SA"
vc -r $P 2>"$tmp/rm2.err"; refused rm2 $? "attached to $SA"; ok $? "deleting it while it is on $SA is refused (EBUSY)"
vc -d $SA:$P && vc -r $P; ok $? "detached from $SA too, it is deleted"

# a name of 15 characters: no room needed for a host port's "^"
L=$(printf 'x%014d' $id)
vc -n $L && vc -a $SA:$L && vc -a $SB:$L; ok $? "a port named with 15 characters is wrapped too"
vc -d $SB:$L && vc -d $SA:$L && vc -r $L; ok $? "and undone"

# ---------------------------------------------------------------- daemon stop
vc -n $P && vc -a $SA:$P && vc -a $SB:$P; ok $? "$P on two switches again"
w=$(some_workers)
[ -n "$w" ]; ok $? "with its worker ($w)"
daemon_stop; ok $? "the daemon stops on SIGTERM with the wrap in place"
left=0; for x in $w; do alive "$x" && left=1; done
[ $left = 0 ]; ok $? "and the worker is gone with it"
grep -q "$P: also on $SB" "$tmp/d.log" && grep -q "$SB:$P: detached (daemon stopping)" "$tmp/d.log"
ok $? "the log says what was joined and undone"

grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$tmp/d.log" "$tmp"/*.err; [ $? != 0 ]
ok $? "no sanitizer report"
echo "# done: $n checks, $failed failed"
[ $failed = 0 ]
