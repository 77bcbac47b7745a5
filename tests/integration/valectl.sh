#!/usr/bin/env bash
# valectl.sh - valectl and nm-ctl against a running daemon: persistent
# ports made, attached, listed with their bridge and port numbers, counters
# moved by pkt-gen over the switch, detached, deleted; the daemon's refusals
# (EEXIST, EBUSY, ENXIO, ephemeral ports) exit 1 with its explanation; bad
# command lines exit 2 before asking anything; nm-ctl's syntax doing the
# same, -N destroying what it can.
#
# Uses the suite's daemon when tests/run provides one ($UNETMAP_SOCKET
# live), else starts its own on a private socket.  Every command is bounded
# by timeout; whatever it starts is killed on any exit, and what it made
# on a shared daemon is removed.  TAP: "ok N - ...", "# done: N checks, M failed".
#
#   BUILD=build-san tests/integration/valectl.sh
set -u

. "$(dirname "$0")/../lib/harness.sh"
harness_init valectl
V=$BUILD/bin/valectl
N=$BUILD/bin/nm-ctl
PG=$BUILD/bin/pkt-gen
MAN=$(dirname "$0")/../../docs/man
MADE=()		# persistent ports to remove on exit (shared daemon)
SWITCHES=""	# and the switches they may be on

# the suite's daemon lives on: leave nothing of ours in it
cleanup_test() {
	local p sw
	[ -z "$DAEMON_PID" ] && [ -S "${UNETMAP_SOCKET:-}" ] || return 0
	for p in "${MADE[@]}"; do
		for sw in $SWITCHES; do
			timeout --foreground 5 "$V" -d "$sw:$p" >/dev/null 2>&1
		done
		timeout --foreground 5 "$V" -r "$p" >/dev/null 2>&1
	done
}

needs_built "$V" "$N" "$PG" "$BUILD/bin/unetmapd"

if [ -n "${UNETMAP_SOCKET:-}" ] && [ -S "$UNETMAP_SOCKET" ]; then
	echo "# using the daemon at $UNETMAP_SOCKET"
else
	private_daemon "$TMP/daemon.log"
fi

# names of our own, so that a shared daemon's other ports never clash
t=t$(($$ % 100000))
SW=vale${t}a		# switches
SW2=vale${t}b
SW3=vale${t}c
SWITCHES="$SW $SW2 $SW3"
P0=${t}p0		# persistent ports
P1=${t}p1
P2=${t}p2

# ---------------------------------------------------------------- helpers

# run NAME TOOL ARGS...: the tool bounded by timeout; output in
# $TMP/NAME.{out,err}, exit status in RC
run() {
	local name=$1
	shift
	timeout --foreground -k 2 20 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	RC=$?
}

# fails NAME RC WORDS "what": exit status RC and WORDS (a grep -E pattern) on stderr
fails() {
	local name=$1 rc=$2 words=$3 what=$4
	[ "$RC" = "$rc" ] && grep -Eq -- "$words" "$TMP/$name.err"
	ok $? "$what (rc $RC: $(grep -v 'lists the options' "$TMP/$name.err" | tr '\n' ' ' | cut -c1-150))"
}

# row NAME PORT: the listing's line for PORT in $TMP/NAME.out
row() { awk -v p="$2" '$1 == p' "$TMP/$1.out"; }

# col NAME PORT COLUMN: one field of that line, by the header's column name
col() {
	awk -v p="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i }
	    $1 == p && k { print $k }' "$TMP/$1.out"
}

# start NAME ARGS...: pkt-gen in the background (bg, 30 s at most)
start() { BG_TIMEOUT=30 bg "$1" "$PG" "${@:2}"; }
# (ready, finish, diag: tests/lib/harness.sh)

# ------------------------------------------------------- the daemon is there
run list0 "$V"
ok $RC "valectl with no argument lists (exit 0) (rc $RC: $(head -c 150 "$TMP/list0.err"))"
if [ "$RC" != 0 ]; then
	diag "$TMP/list0.err"
	echo "# done: $n checks, $failed failed"
	exit 1
fi

# ------------------------------------------------------- persistent ports
MADE+=("$P0" "$P1" "$P2")	# before they exist: an interruption may come any time
run mk0 "$V" -n "$P0"
[ "$RC" = 0 ] && [ ! -s "$TMP/mk0.out" ]
ok $? "-n $P0 creates a persistent port, silently"
run mk1 "$V" -v -n "$P1" -C 512,256,2,3
[ "$RC" = 0 ] && grep -q "^$P1: created, 2 tx rings of 512 slots, 3 rx rings of 256 slots, memory region [0-9]" "$TMP/mk1.out"
ok $? "-v -n $P1 -C 512,256,2,3: tx slots, rx slots, tx rings, rx rings as asked ($(head -c 120 "$TMP/mk1.out"))"
run mk0again "$V" -n "$P0"
fails mk0again 1 "$P0.*exists" "creating $P0 twice fails (EEXIST), the daemon saying why"
grep -q "valectl: cannot create $P0: File exists" "$TMP/mk0again.err"
ok $? "and valectl sums it up in one line"

run g1 "$V" -g "$P1"
[ "$RC" = 0 ] && grep -qx "$P1: 3 queues." "$TMP/g1.out"
ok $? "-g $P1 prints its 3 rx rings, as netmap's valectl does"

# ------------------------------------------------------- attach and list
run at0 "$V" -a "$SW:$P0"
[ "$RC" = 0 ] && [ ! -s "$TMP/at0.out" ]
ok $? "-a $SW:$P0 attaches (exit 0, silent)"
run at1 "$V" -v -a "$SW:$P1"
[ "$RC" = 0 ] && grep -qx "$SW:$P1: attached as port 1" "$TMP/at1.out"
ok $? "-v -a $SW:$P1 says it is port 1"

run loc0 "$V" -l "$SW:$P0"
B=$(sed -n "s/^$SW:$P0 at bridge:\([0-9]*\) port:0\$/\1/p" "$TMP/loc0.out")
[ "$RC" = 0 ] && [ -n "$B" ]
ok $? "-l $SW:$P0 gives its bridge and port numbers ($(cat "$TMP/loc0.out"))"
run loc1 "$V" -l "$SW:$P1"
grep -qx "$SW:$P1 at bridge:$B port:1" "$TMP/loc1.out"
ok $? "-l $SW:$P1: same bridge, port 1"

run list1 "$V"
[ "$RC" = 0 ] && head -n 1 "$TMP/list1.out" | grep -Eq '^name +bridge +port +rx-frames +rx-bytes +tx-frames +tx-bytes +drop-full +drop-bad +drop-nodst +drop-busy$'
ok $? "the listing's header names every counter"
[ "$(row list1 "$SW:$P0" | awk '{ print $2, $3 }')" = "$B 0" ] &&
    [ "$(row list1 "$SW:$P1" | awk '{ print $2, $3 }')" = "$B 1" ]
ok $? "the listing shows both ports with the bridge and port numbers of -l"
[ "$(row list1 "$SW:$P0" | awk '{ s = 0; for (i = 4; i <= NF; i++) s += $i; print NF, s }')" = "11 0" ]
ok $? "a new port's counters are all 0"
[ "$(grep -c "^$SW:" "$TMP/list1.out")" = 2 ]
ok $? "and nothing else on $SW"
run listsw "$V" -l "$SW"
[ "$RC" = 0 ] && [ "$(tail -n +2 "$TMP/listsw.out" | awk '{ print $1 }' | tr '\n' ' ')" = "$SW:$P0 $SW:$P1 " ]
ok $? "-l $SW lists that switch's ports only"
run listv "$V" -v
[ "$(col listv "$SW:$P1" tx-rings) $(col listv "$SW:$P1" rx-rings)" = "2 3" ]
ok $? "-v adds the ring counts (2 tx, 3 rx for $P1)"

# ------------------------------------------------------- refusals
run at0again "$V" -a "$SW:$P0"
fails at0again 1 "$P0.*(already|$SW)" "attaching $P0 to $SW twice fails (EBUSY)"
run rmbusy "$V" -r "$P0"
fails rmbusy 1 "$P0.*attached" "deleting an attached port fails (EBUSY), the daemon saying where it is"
grep -q "^valectl: .*Device or resource busy \[EBUSY\]; next: someone holds it" "$TMP/rmbusy.err"
ok $? "the summary says EBUSY by name, and the next step"
run dtnone "$V" -d "$SW:${t}zz"
fails dtnone 1 "${t}zz" "detaching what is not attached fails"
run dtnosw "$V" -d "$SW2:$P0"
fails dtnosw 1 "$SW2:$P0" "detaching from a switch the port is not on fails"
run atnone "$V" -a "$SW:${t}zz"
fails atnone 1 "${t}zz" "attaching a port that does not exist fails"
run rmnone "$V" -r "${t}zz"
fails rmnone 1 "${t}zz" "deleting a port that does not exist fails"
run locnone "$V" -l "$SW:${t}zz"
fails locnone 1 "${t}zz.*no such port on $SW" "-l of a port not on the switch fails"
run lsnone "$V" -l "$SW2"
fails lsnone 1 "$SW2: no such switch" "-l of a switch that does not exist fails"
run poll "$V" -p "$SW:$P0"
fails poll 1 "$SW:$P0" "-p on a VALE port fails, the daemon saying why"
run unpoll "$V" -P "$SW:$P0"
fails unpoll 1 "$SW:$P0" "-P as well"

# ------------------------------------------------------- counters move
start rx1 -f rx -i "$P1" -n 300
ready rx1 out "^Receiving from"
start tx0 -f tx -i "$P0" -n 300 -l 100
finish tx0
finish rx1
[ "$RC_tx0" = 0 ] && [ "$RC_rx1" = 0 ] && grep -q "^Received 300 packets 30000 bytes" "$TMP/rx1.out"
ok $? "pkt-gen sends 300 frames from $P0 to $P1 across $SW (rc $RC_tx0 $RC_rx1)"
run list2 "$V"
[ "$(col list2 "$SW:$P0" tx-frames) $(col list2 "$SW:$P0" tx-bytes)" = "300 30000" ]
ok $? "the listing counts them as sent by $P0: $(row list2 "$SW:$P0")"
[ "$(col list2 "$SW:$P1" rx-frames) $(col list2 "$SW:$P1" rx-bytes)" = "300 30000" ]
ok $? "and received by $P1: $(row list2 "$SW:$P1")"

# an ephemeral port appears while a program holds it, and goes with it
start eph -f rx -i "$SW:eph" -n 200
ready eph out "^Receiving from"
run list3 "$V" -l "$SW"
[ "$(row list3 "$SW:eph" | awk '{ print $2, $3 }')" = "$B 2" ]
ok $? "an ephemeral port opened by pkt-gen is listed as port 2 of bridge $B"
run dteph "$V" -d "$SW:eph"
fails dteph 1 "ephemeral" "an ephemeral port cannot be detached"
start etx -f tx -i "$SW:etx" -n 200
finish etx
finish eph
grep -q "^Received 200 packets" "$TMP/eph.out"
ok $? "a broadcast from another ephemeral port reaches it (rc $RC_etx $RC_eph)"
run list4 "$V" -l "$SW"
[ -z "$(row list4 "$SW:eph")" ] && [ -z "$(row list4 "$SW:etx")" ]
ok $? "both ephemeral ports are gone once their programs ended"

# nobody reads $P0: a flood fills its queue, the rest is counted as dropped
start flood -f tx -i "$SW:flood" -n 3000
finish flood
run list5 "$V" -l "$SW"
full=$(col list5 "$SW:$P0" drop-full)
[ "$RC_flood" = 0 ] && [ "${full:-0}" -gt 0 ]
ok $? "3000 frames to a port nobody reads: drop-full counts what did not fit ($full)"

# the listing as JSON: the same numbers, read by a JSON parser
run jlist "$V" -j -l "$SW"
python3 -c '
import json, sys
ports = {p["name"]: p for p in json.load(open(sys.argv[1]))}
p0 = ports[sys.argv[2] + ":" + sys.argv[3]]
assert p0["switch"] == sys.argv[2] and p0["counters"] is True
assert p0["drop_full"] == int(sys.argv[4]), (p0["drop_full"], sys.argv[4])
assert all(k in p0 for k in ("rx_frames", "tx_frames", "drop_bad", "drop_nodst", "drop_busy"))
' "$TMP/jlist.out" "$SW" "$P0" "${full:-0}"
ok $? "valectl -j -l $SW: a JSON array with the table's numbers"
run jloc "$V" -j -l "$SW:$P0"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert len(d) == 1 and d[0]["name"] == sys.argv[2]' "$TMP/jloc.out" "$SW:$P0"
ok $? "valectl -j -l $SW:$P0: that port alone"
run jbad "$V" -j -a "$SW:x"
fails jbad 2 "-j goes with the listings" "-j with a command that lists nothing: exit 2"

# ------------------------------------------------------- nm-ctl
run mk2 "$V" -n "$P2"
run nat "$N" -i "$P2" -p "$SW3:$P2"
[ "$RC" = 0 ] && [ ! -s "$TMP/nat.out" ]
ok $? "nm-ctl -i $P2 -p $SW3:$P2 attaches (exit 0, silent)"
run nl "$N" -l
[ "$RC" = 0 ] && [ "$(row nl "$SW3:$P2" | awk '{ print $3 }')" = 0 ] && [ -n "$(row nl "$SW:$P1")" ]
ok $? "nm-ctl -l lists every switch, with the same table"
run nat2 "$N" -i "$P2" -p "$SW3:$P2"
fails nat2 1 "cannot attach $P2 to $SW3" "nm-ctl: attaching it again fails"
run nd "$N" -d "$SW3:$P2"
[ "$RC" = 0 ] && run nl2 "$N" -l && [ -z "$(row nl2 "$SW3:$P2")" ]
ok $? "nm-ctl -d $SW3:$P2 detaches"
run nd2 "$N" -d "$SW3:$P2"
fails nd2 1 "cannot detach $SW3:$P2" "nm-ctl -d again fails"

# -N: detaches what it can, says what it could not
run nat3 "$N" -i "$P2" -p "$SW3:$P2"
start heph -f rx -i "$SW3:held" -n 1
ready heph out "^Receiving from"
run nN "$N" -N "$SW3"
[ "$RC" = 1 ] && grep -qx "$SW3:$P2: detached" "$TMP/nN.out" && grep -q "$SW3 not destroyed: 1 port detached, 1 left" "$TMP/nN.err" &&
    grep -q "^  $SW3:held$" "$TMP/nN.err"
ok $? "nm-ctl -N $SW3 detaches $P2, names the port a program holds, exits 1"
kill -TERM "$PID_heph" 2>/dev/null
finish heph
run nN2 "$N" -N "$SW3"
fails nN2 1 "$SW3: no such switch" "once the program left, $SW3 is gone"
run nat4 "$N" -i "$P2" -p "$SW3:$P2"
run nN3 "$N" -N "$SW3"
[ "$RC" = 0 ] && grep -qx "$SW3: destroyed" "$TMP/nN3.out"
ok $? "nm-ctl -N on a switch of persistent ports destroys it (exit 0)"
run ng3 "$V" -g "$P2"
[ "$RC" = 0 ]
ok $? "its ports stay, on no switch"

# ------------------------------------------------------- virtio-net headers
run h0 "$V" -H "$SW:$P0"
[ "$RC" = 0 ] && [ "$(cat "$TMP/h0.out")" = 0 ]
ok $? "-H $SW:$P0 prints its virtio-net header length: 0"
run h1 "$V" -v -H "$SW:$P0" -L 12
[ "$RC" = 0 ] && grep -qx "$SW:$P0: virtio-net header of 12 bytes" "$TMP/h1.out"
ok $? "-v -H $SW:$P0 -L 12 sets it and says so"
run h2 "$N" -H "$SW:$P0"
[ "$RC" = 0 ] && [ "$(cat "$TMP/h2.out")" = 12 ]
ok $? "nm-ctl -H $SW:$P0 reads 12"
run h3 "$N" -H "$P1" -L 10
run h4 "$V" -H "$SW:$P1"
[ "$RC" = 0 ] && [ "$(cat "$TMP/h4.out")" = 10 ]
ok $? "nm-ctl -H $P1 -L 10 (the persistent port's own name), seen on $SW:$P1"
run h5 "$V" -H "$SW:nosuch$t" -L 12
fails h5 1 "cannot set the virtio-net header length of $SW:nosuch$t: No such device" \
    "-H of a port that does not exist: exit 1, ENXIO"
run h6 "$V" -H "$SW:$P0" -L 0
run h7 "$N" -H "$P1" -L 0
run h8 "$V" -H "$SW:$P0"
[ "$(cat "$TMP/h8.out")" = 0 ]
ok $? "-L 0 takes the header away again"

# ------------------------------------------------------- detach, delete
run dt0 "$V" -d "$SW:$P0"
[ "$RC" = 0 ] && [ ! -s "$TMP/dt0.out" ]
ok $? "-d $SW:$P0 detaches"
run list6 "$V" -l "$SW"
[ -z "$(row list6 "$SW:$P0")" ] && [ "$(row list6 "$SW:$P1" | awk '{ print $3 }')" = 1 ]
ok $? "$P0 left the listing, $P1 keeps its port number"
run dt0again "$V" -d "$SW:$P0"
fails dt0again 1 "$P0" "detaching it again fails"
run dt1 "$V" -v -d "$SW:$P1"
[ "$RC" = 0 ] && grep -qx "$SW:$P1: detached (it was port 1)" "$TMP/dt1.out"
ok $? "-v -d says which port it was"
run list7 "$V" -l "$SW"
fails list7 1 "$SW: no such switch" "the switch went with its last port"
for p in "$P0" "$P1" "$P2"; do
	run rm "$V" -v -r "$p"
	[ "$RC" = 0 ] && grep -qx "$p: deleted" "$TMP/rm.out"
	ok $? "-r $p deletes it"
done
run rmagain "$V" -r "$P0"
fails rmagain 1 "$P0" "deleting it again fails"
run g0 "$V" -g "$P0"
fails g0 1 "$P0" "-g of a deleted port fails"

# ------------------------------------------------------- bad command lines
# must exit 2 with a message naming the problem, asking nothing of the
# daemon (a socket that does not exist proves it: the open would fail)
bad() {	# bad TOOL "what" WORDS ARGS...
	local tool=$1 what=$2 words=$3
	shift 3
	UNETMAP_SOCKET=$TMP/none.sock timeout --foreground 10 "$tool" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err" </dev/null
	local rc=$?
	[ "$rc" = 2 ] && grep -q "^$(basename "$tool"): " "$TMP/bad.err" && grep -Eq -- "$words" "$TMP/bad.err" &&
	    [ ! -s "$TMP/bad.out" ]
	ok $? "$(basename "$tool") $*: exit 2, $what (rc $rc: $(head -n 1 "$TMP/bad.err"))"
}
bad "$V" "unknown option" "unknown option -Z" -Z
bad "$V" "a header length netmap refuses" "0 \\(none\\), 10 or 12 bytes" -H vale0:a -L 11
bad "$V" "-L alone" "-L goes with -H" -L 12
bad "$N" "-L alone" "say which port with -H" -L 12
bad "$N" "a header length netmap refuses" "0 \\(none\\), 10 or 12 bytes" -H vale0:a -L 8
bad "$V" "unknown long option" "unknown option '--verbose'" --verbose
bad "$V" "missing argument" "-a needs an argument" -a
bad "$V" "a flag is not an argument" "-d needs an argument.*'-v'" -d -v
bad "$V" "stray argument" "unexpected argument 'extra'" -l vale0:a extra
bad "$V" "two commands" "-a and -d are two commands" -a vale0:a -d vale0:a
bad "$V" "no switch in the name" "named valeX:Y" -a vale0
bad "$V" "switch not named vale" "starts with \"vale\"" -a foo:a
bad "$V" "bad switch characters" "letters, digits or _" -a vale-0:a
bad "$V" "empty port name" "empty" -d vale0:
bad "$V" "port name too long" "at most 15" -a vale0:abcdefghijklmnop
bad "$V" "slash in a port name" "/ : @" -n a/b
bad "$V" "-n of a switch port" "plain name" -n vale0:a
bad "$V" "-r of a switch port" "-d vale0:a detaches" -r vale0:a
bad "$V" "-C with too many numbers" "at most 4 numbers" -n x -C 1,2,3,4,5
bad "$V" "-C with an empty number" "'' is not a number" -n x -C 1,,2
bad "$V" "-C not a number" "'abc' is not a number" -n x -C abc
bad "$V" "-C negative" "'-1' is not a number" -n x -C -1
bad "$V" "-C rings out of range" "'70000' is not a number in \[0, 65535\]" -n x -C 1,2,70000
bad "$V" "-C twice" "-C given twice" -n x -C 1 -C 2
bad "$V" "-C without -n or -p" "-C goes with -n" -a vale0:x -C 4
bad "$V" "-m without -n" "-m goes with -n" -r x -m 2
bad "$V" "-m 0" "\[1, 65535\]" -n x -m 0
bad "$V" "-m too big" "\[1, 65535\]" -n x -m 65536
bad "$V" "polling mode not 0 or 1" "not a number in \[0, 1\]" -p vale0:x -C 2
bad "$V" "one thread polling several cpus" "third number can only be 1" -p vale0:x -C 0,0,2
bad "$V" "polling with no threads" "no threads" -p vale0:x -C 1,0,0
bad "$V" "polling cpus the machine lacks" "this machine has" -p vale0:x -C 1,0,100000
bad "$V" "-l of a bad switch" "starts with \"vale\"" -l foo
bad "$N" "nothing to do" "nothing to do" 
bad "$N" "-i without -p" "say where with -p" -i em0
bad "$N" "-p without -i" "say which interface" -p vale0:em0
bad "$N" "a port renamed" "keeps its name: -p vale0:em0" -i em0 -p vale0:x
bad "$N" "-N of a port" "-N takes a switch" -N vale0:a
bad "$N" "-d of a switch" "named valeX:Y" -d vale0
bad "$N" "-l with an argument" "unexpected argument 'x'" -l x
bad "$N" "two commands" "-l and -d: give one at a time" -l -d vale0:a
bad "$N" "unknown option" "unknown option -x" -x
bad "$N" "-N twice" "-N given twice" -N vale0 -N vale1

UNETMAP_SOCKET=$TMP/none.sock timeout --foreground 10 "$V" -n "${t}x" >"$TMP/nod.out" 2>"$TMP/nod.err"
rc=$?
[ "$rc" = 1 ] && grep -q "^valectl: cannot open /dev/netmap" "$TMP/nod.err"
ok $? "no daemon: exit 1, saying /dev/netmap cannot be opened"

# ------------------------------------------------------- help and man pages
for tool in "$V" "$N"; do
	name=$(basename "$tool")
	timeout --foreground 10 "$tool" --help >"$TMP/help.out" 2>"$TMP/help.err"
	rc=$?
	[ "$rc" = 0 ] && grep -q "^usage: $name" "$TMP/help.out" && [ ! -s "$TMP/help.err" ]
	ok $? "$name --help prints the usage on stdout, exit 0"
	missing=""
	for f in $(grep -oE '^ +-[A-Za-z]' "$TMP/help.out" | tr -d ' -'); do
		grep -q "\\\\-$f\\b" "$MAN/$name.8" 2>/dev/null || missing="$missing -$f"
	done
	[ -f "$MAN/$name.8" ] && [ -z "$missing" ]
	ok $? "$name(8) documents every flag of --help${missing:+ (missing:$missing)}"
done
"$N" -h >"$TMP/h.out" 2>&1
cmp -s "$TMP/h.out" "$TMP/help.out"
ok $? "nm-ctl -h is --help"

no_sanitizer_reports "$TMP"/*.err "$TMP/daemon.log"
tap_done
