#!/usr/bin/env bash
# lb.sh - lb(8) end to end: known flows into its input, read back from its
# pipes (tests/helpers/lb_flows), its counters compared with what arrived.
#
# Runs its own unetmapd on a private socket, bounds every wait with
# timeout, and kills everything it started on any exit.  Speaks the
# suite's TAP dialect: "ok N - ...", "not ok N - ...", "# done" at the end.
# No check depends on timing: the consumers that must not lose frames are
# either backed by enough extra buffers (-B) or kept in step with the
# sender (lb_flows run), and a consumer that is meant to fall behind is
# simply not there until everything was sent.
#
#   BUILD=build-san tests/integration/lb.sh
set -u

. "$(dirname "$0")/../lib/harness.sh"
harness_init lb
LB=$BUILD/bin/lb
FLOWS=$BUILD/tests/helpers/lb_flows
PKTGEN=$BUILD/bin/pkt-gen
VETH=""
cleanup_test() { [ -z "$VETH" ] || ip link del "$VETH" 2>/dev/null; }

needs_built "$LB" "$FLOWS" "$PKTGEN" "$BUILD/bin/unetmapd"

private_daemon
ok $? "unetmapd listens on a private socket"

# ---------------------------------------------------------------- helpers
# (bg, ready, finish, stop, show: tests/lib/harness.sh)

# lb_start NAME ARGS...: lb in the background (bg, 120 s at most), output in
# $TMP/NAME.{out,err}; waits (30 s at most) until it says it forwards
lb_start() { BG_TIMEOUT=120 bg "$1" "$LB" "${@:2}"; ready "$1" err '^lb: forwarding' 600; }

# recv_bg NAME ARGS...: "lb_flows recv ARGS" in the background, output in
# $TMP/NAME.{out,err}; waits (30 s at most) until it is ready
recv_bg() { bg "$1" "$FLOWS" recv "${@:2}"; ready "$1" out '^ready' 600; }

# stat NAME RING KEY: KEY of output ring RING ("null": the whole) in lb's last report
stat() {
	grep "\"output_ring\":$2," "$TMP/$1.out" | tail -n 1 |
		grep -o "\"$3\":[0-9]*" | grep -o '[0-9]*$'
}

# field FILE PATTERN N: the Nth word of the line of FILE matching PATTERN
field() {
	grep -m 1 -- "$2" "$TMP/$1" | awk -v n="$3" '{ print $n }'
}

# oks FILE: the helper's own ok / not ok lines, numbered as ours
oks() {
	local line st
	while IFS= read -r line; do
		case "$line" in
		"ok "*) st=0 ;;
		"not ok "*) st=1 ;;
		*) continue ;;
		esac
		ok $st "${line#*ok }"
	done <"$TMP/$1"
}

# ---------------------------------------------------------------- bad input

# bad TEXT ARGS...: lb refuses with a message on stderr and exit status 1
bad() {
	local what=$1 rc
	shift
	timeout --foreground -k 2 20 "$LB" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err" </dev/null
	rc=$?
	[ "$rc" = 1 ] && grep -q . "$TMP/bad.err"
	ok $? "bad input refused with a message, exit 1: $what (exit $rc: $(grep -m1 . "$TMP/bad.err"))"
}
bad "no -i"                  -p 2
bad "-i twice"               -i netmap:in}0 -i netmap:in}1 -p x:1
bad "-p 0"                   -i netmap:in}0 -p 0
bad "-p :3"                  -i netmap:in}0 -p :3
bad "-p x:two"               -i netmap:in}0 -p x:two
bad "-p x{y:2"               -i netmap:in}0 -p 'x{y:2'
bad "-p 5000 (too many)"     -i netmap:in}0 -p 5000
bad "-B -1"                  -i netmap:in}0 -B -1
bad "-b 0"                   -i netmap:in}0 -b 0
bad "-w x"                   -i netmap:in}0 -w x
bad "unknown option -Z"      -i netmap:in}0 -Z
bad "stray argument"         -i netmap:in}0 -p x:1 extra
bad "bad port name"          -i 'netmap:in}0/q' -p x:1 -w 0
bad "a pipe input, pipes unnamed" -i netmap:in}0 -w 0
bad "too long a group name"  -i netmap:in}0 -p "$(printf 'n%.0s' $(seq 60)):2" -w 0
# more pipes than a private region has rings for (the daemon's ENOMEM)
bad "more pipes than the region holds" -i netmap:in}0 -p many:200 -w 0
timeout 10 "$LB" -h >"$TMP/help.out" 2>&1
[ $? = 0 ] && grep -q -- '-p \[name:\]npipes' "$TMP/help.out"
ok $? "-h prints the usage and exits 0"

# ---------------------------------------------------------------- exactly once

# two groups, consumers in a process of their own, enough extra buffers
# that nothing can be dropped whatever the scheduling: 65 flows of 13 kinds
# (IPv4/IPv6 TCP and UDP, 802.1Q, IP-in-IP, 6in4, IPv6 in IPv6, GRE, GRE
# bridging Ethernet, ICMP, a fragment, ARP), 50 rounds, both directions
if lb_start two -i netmap:in}0 -p a:4 -p b:2 -B 20000 -w 0 -o 3600; then
	recv_bg two_rx 6500 40 a:4 b:2
	timeout --foreground -k 2 60 "$FLOWS" send 'netmap:in{0' 65 50 >"$TMP/two_tx.out" 2>&1
	ok $? "6500 frames sent into lb's input"
	finish two_rx
	ok "$RC_two_rx" "the consumers of both groups checked what they got"
	oks two_rx.out
	grep '^#' "$TMP/two_rx.out"
	stop two
	[ "$RC_two" = 0 ]
	ok $? "lb exits 0 on SIGINT (exit $RC_two)"
	[ "$(stat two null packets_received)" = 6500 ] &&
		[ "$(stat two null packets_forwarded)" = 13000 ] &&
		[ "$(stat two null packets_dropped)" = 0 ]
	ok $? "lb counted 6500 received, 13000 forwarded (two groups), 0 dropped"
	[ "$(stat two null non_ip_packets)" = 500 ]
	ok $? "lb counted the 500 ARP frames as not IP ($(stat two null non_ip_packets))"
	! grep -q COPIED "$TMP/two.err"
	ok $? "every pipe in the input's memory region: zero copy"
	grep -q '^13000 packets forwarded.  0 packets dropped. Total 13000$' "$TMP/two.out"
	ok $? "the summary line at exit, as netmap's"
else
	ok 1 "lb starts with two groups"
fi

# ---------------------------------------------------------------- drops

# one consumer falls behind (absent until everything was sent): its pipe
# alone drops, and lb's counters say how many
if lb_start late -i netmap:in}0 -p s:2 -p t:3 -w 0 -o 3600; then
	timeout --foreground -k 2 90 "$FLOWS" run 'netmap:in{0' 65 50 400 s:2:1 t:3 >"$TMP/late_rx.out" 2>"$TMP/late_rx.err"
	ok $? "flows sent, the present consumers in step (lb_flows run)"
	oks late_rx.out
	stop late
	got0=$(field late_rx.out '^pipe s 0 ' 5)
	got1=$(field late_rx.out '^pipe s 1 ' 5)
	want1=$(field late_rx.out '^late s 1 ' 7)
	[ "$(stat late 0 packets_forwarded)" = "$got0" ] && [ "$(stat late 0 packets_dropped)" = 0 ]
	ok $? "the consumer in step lost nothing: lb forwarded $got0 to it, dropped 0"
	[ "$(stat late 1 packets_forwarded)" = "$got1" ] &&
		[ "$(( $(stat late 1 packets_forwarded) + $(stat late 1 packets_dropped) ))" = "$want1" ] &&
		[ "$(stat late 1 packets_dropped)" -gt 0 ]
	ok $? "the late consumer's pipe dropped, counted: forwarded $got1 + dropped $(stat late 1 packets_dropped) = $want1 sent its way"
	for k in 0 1 2; do
		[ "$(stat late $((k + 2)) packets_dropped)" = 0 ] || break
	done
	ok $? "the other group lost nothing"
	[ "$(stat late null packets_dropped)" = "$(stat late 1 packets_dropped)" ]
	ok $? "the drops are the late pipe's alone"
else
	ok 1 "lb starts for the late consumer"
fi

# the same with extra buffers: the late pipe's backlog waits in its
# overflow queue, the newest frames kept when it overflows
if lb_start over -i netmap:in}0 -p s:2 -B 1500 -w 0 -o 3600; then
	timeout --foreground -k 2 90 "$FLOWS" run 'netmap:in{0' 65 50 400 s:2:1 >"$TMP/over_rx.out" 2>"$TMP/over_rx.err"
	ok $? "flows sent through -B 1500"
	oks over_rx.out
	stop over
	late=$(grep '^late ' "$TMP/over_rx.out")
	echo "# $late"
	set -- $late
	# late s 1 got N of M first S oldest S last S newest S
	[ "$5" -gt 1023 ] && [ "${13}" = "${15}" ]
	ok $? "the late consumer got more than its ring holds ($5), the newest frame last (${13} = ${15})"
	[ "$(stat over 1 packets_forwarded)" = "$5" ] &&
		[ "$(( $(stat over 1 packets_forwarded) + $(stat over 1 packets_dropped) ))" = "$7" ] &&
		[ "$(stat over 1 packets_dropped)" -gt 0 ]
	ok $? "lb's counters: forwarded $(stat over 1 packets_forwarded) + dropped $(stat over 1 packets_dropped) = $7 sent its way"
	[ "$(stat over 0 packets_dropped)" = 0 ]
	ok $? "the consumer in step lost nothing"
	grep -q '"free_buffer_slots":[0-9]' "$TMP/over.out"
	ok $? "the report shows the free extra buffers"
else
	ok 1 "lb starts with -B"
fi

# ---------------------------------------------------------------- a consumer that swaps

# one group, its consumer a bridge that swaps the buffers of its slots
# (NS_BUF_CHANGED) with those of a pipe in the same region: lb takes the
# buffers it gets back in exchange, and nothing is lost or doubled
if lb_start swap -i netmap:in}0 -p s:1 -B 20000 -w 0 -o 3600; then
	SWAP_MEMID=$(grep -o 'memory region [0-9]*' "$TMP/swap.err" | grep -o '[0-9]*$')
	timeout --foreground -k 2 60 "$BUILD/bin/netmap-bridge" -v -w 0 -i 'netmap:s}0' \
		-i "netmap:zz{0@$SWAP_MEMID" >"$TMP/swap_br.out" 2>&1 &
	br=$!
	PIDS+=($br)
	# the bridge makes zz{0 in lb's region before the consumer opens zz}0
	for _ in $(seq 600); do grep -q 'zz' "$TMP/swap_br.out" 2>/dev/null && break; sleep 0.05; done
	sleep 0.5
	recv_bg swap_rx 2600 40 zz:1
	timeout --foreground -k 2 60 "$FLOWS" send 'netmap:in{0' 26 50 >/dev/null 2>&1
	ok $? "2600 frames sent"
	finish swap_rx
	ok "$RC_swap_rx" "read back through the bridge"
	oks swap_rx.out
	kill -INT $br 2>/dev/null
	wait $br 2>/dev/null
	stop swap
	[ "$RC_swap" = 0 ] && ! grep -q 'anomal' "$TMP/swap.err" && [ "$(stat swap 0 packets_forwarded)" = 2600 ]
	ok $? "lb forwarded 2600, no buffer out of place, clean exit"
else
	ok 1 "lb starts for a swapping consumer"
fi

# ---------------------------------------------------------------- copy

# the consumer opens its pipe first, so the pipe has a region of its own:
# lb says loudly it copies, and the frames still arrive exactly once
recv_bg copy_rx 2600 40 c:1
if lb_start copy -i netmap:in}0 -p c:1 -B 5000 -w 0 -o 3600; then
	grep -q 'COPIED' "$TMP/copy.err"
	ok $? "lb warns that a pipe made by its consumer is fed by copying"
	timeout --foreground -k 2 60 "$FLOWS" send 'netmap:in{0' 26 50 >/dev/null 2>&1
	ok $? "2600 frames sent"
	finish copy_rx
	ok "$RC_copy_rx" "the consumer checked them"
	oks copy_rx.out
	stop copy
	[ "$(stat copy 0 packets_forwarded)" = 2600 ]
	ok $? "lb forwarded 2600 by copy"
else
	ok 1 "lb starts with a pipe made by its consumer"
fi

# ---------------------------------------------------------------- as netmap's man page

# no -p: one group of two pipes named after the input port, here a VALE
# port, and the default wait of 2 s; 468 frames, fewer than the switch
# queues, flooded to lb's port (NS_NO_LEARN)
if lb_start vale -i vale0:in; then
	recv_bg vale_rx 468 40 vale0:in:2
	LB_FLOWS_NO_LEARN=1 timeout --foreground -k 2 60 "$FLOWS" send vale0:src 26 9 >/dev/null 2>&1
	ok $? "468 frames sent to the switch"
	finish vale_rx
	ok "$RC_vale_rx" "read back from vale0:in}0 and vale0:in}1"
	oks vale_rx.out
	stop vale
	[ "$RC_vale" = 0 ] && ! grep -q COPIED "$TMP/vale.err"
	ok $? "pipes of a VALE port, zero copy, clean exit"
else
	show vale.err
	ok 1 "lb -i vale0:in starts"
fi

# ---------------------------------------------------------------- an interface

# lb on a network interface (one end of a veth pair; IPv6 off, so the
# kernel sends nothing of its own), the frames sent from the other end:
# the pipes live in the global region with the interface's buffers
if [ "$(id -u)" = 0 ] && ip link add "lbv$$" type veth peer name "lbw$$" 2>/dev/null; then
	VETH=lbv$$
	for i in "lbv$$" "lbw$$"; do
		sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1" 2>/dev/null
		ip link set "$i" up
	done
	if lb_start nic -i "lbv$$" -w 0 -o 3600; then
		recv_bg nic_rx 468 40 "lbv$$:2"
		timeout --foreground -k 2 60 "$FLOWS" send "netmap:lbw$$" 26 9 >/dev/null 2>&1
		ok $? "468 frames sent from the veth's other end"
		finish nic_rx
		ok "$RC_nic_rx" "read back from lbv$$}0 and lbv$$}1"
		oks nic_rx.out
		stop nic
		[ "$RC_nic" = 0 ] && ! grep -q COPIED "$TMP/nic.err" &&
			grep -q '"interface":"netmap:lbv[0-9]*{0/xT@1"' "$TMP/nic.out"
		ok $? "pipes of an interface, in the global region (@1), zero copy, clean exit"
	else
		show nic.err
		ok 1 "lb -i lbv$$ starts"
	fi
	ip link del "lbv$$" 2>/dev/null
	VETH=""
else
	echo "# not root or no veth: lb on an interface not checked"
fi

# ---------------------------------------------------------------- multi-slot frames

# pkt-gen -F 3: frames of three slots (NS_MOREFRAG) stay whole and together
if lb_start frag -i netmap:in}0 -p f:2 -B 20000 -w 0 -o 3600; then
	for k in 0 1; do
		bg "frag_rx$k" "$PKTGEN" -f rx -i "netmap:f}$k" -W
	done
	for k in 0 1; do
		for _ in $(seq 600); do grep -q 'Receiving from\|Working on' "$TMP/frag_rx$k.out" "$TMP/frag_rx$k.err" 2>/dev/null && break; sleep 0.05; done
	done
	timeout --foreground -k 2 60 "$PKTGEN" -f tx -i 'netmap:in{0' -n 3000 -F 3 -l 1000 -z -Z >"$TMP/frag_tx.out" 2>&1
	ok $? "3000 three-slot frames sent"
	finish frag_rx0; finish frag_rx1
	stop frag
	r0=$(grep -o 'Received [0-9]*' "$TMP/frag_rx0.out" | grep -o '[0-9]*')
	r1=$(grep -o 'Received [0-9]*' "$TMP/frag_rx1.out" | grep -o '[0-9]*')
	[ "$(( ${r0:-0} + ${r1:-0} ))" = 3000 ] && [ "$(stat frag null packets_forwarded)" = 3000 ]
	ok $? "every frame reached one pipe whole (${r0:-?} + ${r1:-?})"
	b0=$(grep -o 'Received [0-9]* packets [0-9]* bytes' "$TMP/frag_rx0.out" | awk '{ print $4 }')
	[ "${b0:-0}" = "$(( ${r0:-0} * 1000 ))" ]
	ok $? "of 1000 bytes each ($b0 bytes in ${r0:-?} frames)"
else
	ok 1 "lb starts for multi-slot frames"
fi

# ---------------------------------------------------------------- statistics

if lb_start stats -i netmap:in}0 -p s:2 -p s:1 -w 0 -o 1; then
	for _ in $(seq 600); do [ "$(grep -c '"output_ring":null' "$TMP/stats.out")" -ge 2 ] && break; sleep 0.05; done
	stop stats
	[ "$(grep -c '"output_ring":null' "$TMP/stats.out")" -ge 2 ] &&
		! grep -v '^{"ts":[0-9.]*,"interface":"[^"]*","output_ring":[0-9null]*,"packets_' "$TMP/stats.out" | grep -v 'packets forwarded' | grep -q .
	ok $? "-o 1: a JSON line per pipe and one for the whole, every second"
	grep -q '"interface":"netmap:s{1/xT@[0-9]*","output_ring":1,' "$TMP/stats.out"
	ok $? "the pipes opened as netmap's lb opens them (name{N/xT@memid)"
	grep -q '"interface":"netmap:s{2/xT@[0-9]*","output_ring":2,' "$TMP/stats.out"
	ok $? "a second group of the same name numbers on (-p s:2 -p s:1: s{2)"
else
	ok 1 "lb starts with -o 1"
fi

if grep -q 'anomal' "$TMP"/*.err 2>/dev/null; then
	grep -h 'anomal' "$TMP"/*.err | sed 's/^/# /'
	ok 1 "lb kept its buffer accounts straight"
else
	ok 0 "lb kept its buffer accounts straight"
fi
no_sanitizer_reports "$TMP"/*.err
tap_done
