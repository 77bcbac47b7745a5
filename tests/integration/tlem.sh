#!/usr/bin/env bash
# tlem.sh - tlem between netmap pipes with real traffic: a delay (-D, both
# directions, then each its own) shows in pkt-gen ping/pong round trips;
# a bandwidth cap (-B) in the rate pkt-gen rx measures, with the queue's
# drops counted; netmap's inter-packet delay (-D inter-packet: the idle
# delay in round trips, the gaps as the rate a backlog reaches the
# receiver at) and average bandwidth (-B avg: a token bucket, its rate at
# the receiver and its depth as a burst that passes while the rest is
# dropped); a loss (-L) and a reordering hold (-R) in the counts,
# within binomial bounds for the sample; a running tlem takes new
# parameters from another one through its session file (-s) and stops on
# -a; bad flags are refused with a message and status 1; netmap's own
# example (apps/tlem/README) runs; and, as root with veth, route mode (-r)
# between two namespaces' subnets answers ARP and routes a ping.
#
# Runs its own unetmapd on a private socket, bounds every wait with
# timeout, and kills everything it started on any exit.  TAP: "ok N - ...",
# "not ok N - ...", "# done" at the end.
#
#   BUILD=build-san tests/integration/tlem.sh
set -u

. "$(dirname "$0")/../lib/netns.sh"	# harness.sh, and namespaces for route mode
harness_init tlem
PKTGEN=$BUILD/bin/pkt-gen
TLEM=$BUILD/bin/tlem
NSS=()
id=$$
cleanup_test() { local ns; for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null; done; }

needs_built "$PKTGEN" "$TLEM" "$BUILD/bin/unetmapd"

private_daemon
ok $? "unetmapd listens on a private socket"

# ---------------------------------------------------------------- helpers

# (bg, ready, finish, stop: tests/lib/harness.sh)

# within X LOW HIGH: LOW <= X <= HIGH (decimals)
within() {
	awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'
}

# tlem_on NAME PIPE_A PIPE_B ARGS...: tlem between PIPE_A}1 and PIPE_B}1
tlem_on() {
	local name=$1 a=$2 b=$3
	shift 3
	bg "$name" "$TLEM" -i "netmap:$a}1" -i "netmap:$b}1" "$@"
	ready "$name" err "^tlem: forwarding between"
}

# rtt NAME: "min avg" of pkt-gen ping's RTT line, ns
rtt() {
	sed -n 's/^RTT over [0-9]* packets: min \([0-9]*\) av \([0-9]*\) max.*/\1 \2/p' "$TMP/$1.out"
}

# ping_through TAG PIPE_A PIPE_B COUNT: pong on PIPE_B{1, ping on PIPE_A{1
ping_through() {
	bg "$1_pong" "$PKTGEN" -f pong -i "netmap:$3{1"
	ready "$1_pong" out "^Receiving from\|^Working on\|pong" || sleep 0.5
	bg "$1_ping" "$PKTGEN" -f ping -i "netmap:$2{1" -n "$4"
	finish "$1_ping"
	stop "$1_pong"
}

# tlem's summary: the counter WORD of direction DIR (1: first port -> second)
count() {	# count NAME DIR WORD
	sed -n "$2p" "$TMP/$1.out" | grep -o "[0-9]* $3" | grep -o '^[0-9]*'
}

# through TAG PIPE_A PIPE_B PRE SETTLE "TX ARGS" TLEM ARGS...: tlem tTAG
# between the pipes, pkt-gen rx rTAG on PIPE_B{1, PRE seconds later pkt-gen
# tx sTAG (TX ARGS) on PIPE_A{1; SETTLE seconds after the sender is done,
# all stopped.  The receiver's "packets bytes seconds" in RX (empty: none)
through() {
	local tag=$1 a=$2 b=$3 pre=$4 settle=$5 tx=$6
	shift 6
	tlem_on "t$tag" "$a" "$b" "$@"
	bg "r$tag" "$PKTGEN" -f rx -i "netmap:$b{1"
	ready "r$tag" out "^Receiving from"
	sleep "$pre"
	# shellcheck disable=SC2086
	bg "s$tag" "$PKTGEN" -f tx -i "netmap:$a{1" $tx
	finish "s$tag"
	sleep "$settle"
	stop "r$tag"
	stop "t$tag"
	RX=$(sed -n 's/^Received \([0-9]*\) packets \([0-9]*\) bytes .* in \([0-9.]*\) seconds.*/\1 \2 \3/p' "$TMP/r$tag.out")
}

# link_rate TAG BPS FRAMING WHAT: the receiver's rate (RX) is BPS less
# FRAMING bytes a frame (within 0.5..1.1), and tTAG dropped more than 5000
# of the 15000 frames offered
link_rate() {
	local ratio q
	ratio=$(echo "$RX" | awk -v bps="$2" -v x="$3" '{ if ($3 > 0)
		printf "%.3f", $2 * 8 / $3 / (bps * ($2 / $1) / ($2 / $1 + x)); else print 0 }')
	within "$ratio" 0.5 1.1
	ok $? "$4: the receiver's rate is the link's (ratio to $2 bit/s, less $3 bytes a frame: $ratio, bounds 0.5..1.1)"
	q=$(count "t$1" 1 dropped)
	[ "${q:-0}" -gt 5000 ]
	ok $? "$4: what exceeds it is dropped (${q:-?} of 15000)"
}

# ---------------------------------------------------------------- delay
tlem_on t1 d1a$id d1b$id -D 10ms
ping_through p1 d1a$id d1b$id 50
stop t1
read -r mn av <<<"$(rtt p1_ping)"
grep -q "^ping: 50 sent, 50 replies, 0 lost" "$TMP/p1_ping.out"
ok $? "-D 10ms: 50 pings through tlem, 50 replies"
[ -n "${mn:-}" ] && [ "$mn" -ge 20000000 ] && [ "$av" -le 250000000 ]
ok $? "-D 10ms: round trips of at least 2 x 10 ms, on average under 250 ms (min ${mn:-?} avg ${av:-?} ns)"
[ "$RC_t1" = 0 ] && [ "$(count t1 1 'frames in')" -ge 50 ] && [ "$(count t1 2 out)" -ge 50 ]
ok $? "SIGINT stops tlem with status 0 and its counts: both directions forwarded 50"

tlem_on t2 d2a$id d2b$id -D 5ms -D 30ms
ping_through p2 d2a$id d2b$id 20
stop t2
read -r mn av <<<"$(rtt p2_ping)"
[ -n "${mn:-}" ] && [ "$mn" -ge 35000000 ] && [ "$av" -le 300000000 ]
ok $? "-D 5ms -D 30ms: a delay for each direction, round trips of at least 35 ms (min ${mn:-?} ns)"

tlem_on t3 d3a$id d3b$id
ping_through p3 d3a$id d3b$id 20
stop t3
read -r mn av <<<"$(rtt p3_ping)"
grep -q "^ping: 20 sent, 20 replies, 0 lost" "$TMP/p3_ping.out" && [ -n "${mn:-}" ] && [ "$mn" -lt 20000000 ]
ok $? "no -D: every reply back, round trips well under 20 ms (min ${mn:-?} ns)"

# ---------------------------------------------------------------- bandwidth
# 1000-byte frames at 40 Mbit/s offered to a 10 Mbit/s link for 3 s: the
# receiver sees about 10 Mbit/s, the rest is dropped by the 50000-byte queue
through 4 b1a$id b1b$id 0 0.5 "-l 1000 -n 15000 -R 5000" -B 10M
link_rate 4 10e6 0 "-B 10M (the queue drops)"

# ---------------------------------------------------------------- inter-packet delay
# -D inter-packet,0.5ms,1.5ms,20ms: a frame that finds the line idle
# leaves 20 ms after it came (ping waits for each reply: round trips of
# at least 2 x 20 ms); frames that come faster leave a 0.5..1.5 ms gap
# (1 ms on average) after the one before: 2000 frames offered at 20000/s
# reach the receiver at about 1000/s (1999 gaps: 2 s, 5 sigma = 65 ms)
tlem_on t10 i1a$id i1b$id -D inter-packet,0.5ms,1.5ms,20ms
ping_through p10 i1a$id i1b$id 20
stop t10
read -r mn av <<<"$(rtt p10_ping)"
grep -q "^ping: 20 sent, 20 replies, 0 lost" "$TMP/p10_ping.out" && [ -n "${mn:-}" ] &&
	[ "$mn" -ge 40000000 ] && [ "$av" -le 300000000 ]
ok $? "-D inter-packet,0.5ms,1.5ms,20ms: a frame on an idle line waits 20 ms each way (min RTT ${mn:-?} ns)"
through 10b i2a$id i2b$id 0 3.5 "-l 60 -n 2000 -R 20000" -D inter-packet,0.5ms,1.5ms,20ms
read -r got _ secs <<<"$RX"
ratio=$(awk -v n="${got:-0}" -v t="${secs:-0}" 'BEGIN { if (t > 0) printf "%.3f", (n - 1) / t / 1000; else print 0 }')
[ "${got:-0}" = 2000 ] && within "$ratio" 0.5 1.1
ok $? "-D inter-packet: a backlog leaves 1 ms apart on average: all ${got:-?} at $ratio x 1000/s (bounds 0.5..1.1)"

# ---------------------------------------------------------------- average bandwidth
# -B avg,10M is a token bucket: a frame costs its length + 24 bytes and
# goes at once if the bucket holds that much, else it is dropped (no
# queue).  1000-byte frames offered at 40 Mbit/s for 3 s: the receiver
# sees 10 Mbit/s x 1000/1024, the rest dropped
through 11 a1a$id a1b$id 0 0.5 "-l 1000 -n 15000 -R 5000" -B avg,10M
link_rate 11 10e6 24 "-B avg,10M (the bucket drops)"

# the bucket's depth lets a burst through: at 300 kbit/s it is 18400 bytes
# (two 9200-byte frames; 4 x 2^20 ns of the rate is less), full 0.5 s
# after tlem starts.  60 frames of 1000 bytes sent at 20000/s: the first
# 17 (17 x 1024 bytes) pass, a few more as it refills (37500 bytes/s), and
# the rest is dropped at once.  A constant -B 300k would queue 50000
# bytes (about 48 frames) and drop about 12.
through 12 a2a$id a2b$id 1 0.5 "-l 1000 -n 60 -R 20000" -B avg,300k
read -r got _ <<<"$RX"
q=$(count t12 1 dropped)
[ -n "${got:-}" ] && [ "$got" -ge 17 ] && [ "$got" -le 25 ] && [ "$((got + ${q:-0}))" = 60 ]
ok $? "-B avg,300k: a burst of the bucket's depth passes, the rest is dropped (${got:-?} of 60 received, bounds 17..25; ${q:-?} dropped)"

# ---------------------------------------------------------------- loss
# lost / frames within 5 sigma of the asked probability (20000 frames)
loss_check() {	# loss_check TAG P "TLEM ARGS"
	local tag=$1 p=$2 args=$3 in lost got lo hi
	# shellcheck disable=SC2086
	through "$tag" "l${tag}a$id" "l${tag}b$id" 0 0.5 "-l 60 -n 20000 -R 100000" $args
	in=$(count "t$tag" 1 "frames in")
	lost=$(count "t$tag" 1 lost)
	read -r got _ <<<"$RX"
	read -r lo hi <<<"$(awk -v p="$p" 'BEGIN { s = 5 * sqrt(p * (1 - p) / 20000);
		printf "%.5f %.5f", p - s, p + s }')"
	[ "${in:-0}" = 20000 ] && within "$(awk -v l="${lost:-0}" 'BEGIN { print l / 20000 }')" "$lo" "$hi"
	ok $? "$args: ${lost:-?} of ${in:-?} frames lost, within $lo..$hi"
	[ -n "${got:-}" ] && [ "$got" = $((in - lost)) ]
	ok $? "$args: the receiver got every other frame (${got:-?} = ${in:-?} - ${lost:-?})"
}
loss_check 5 0.1 "-L 0.1"
# ber: a 60-byte frame is lost with 1 - (1 - 1e-4)^480
loss_check 6 "$(awk 'BEGIN { printf "%.6f", 1 - (1 - 1e-4) ^ 480 }')" "-L ber,1e-4"

# ---------------------------------------------------------------- reordering
through 7 r7a$id r7b$id 0 0.5 "-l 60 -n 10000 -R 20000" -R const,0.2,2ms
held=$(count t7 1 held)
read -r got _ <<<"$RX"
within "$(awk -v h="${held:-0}" 'BEGIN { print h / 10000 }')" 0.18 0.22 && [ "${got:-0}" = 10000 ]
ok $? "-R const,0.2,2ms: ${held:-?} of 10000 frames held back (0.2 within 5 sigma), all ${got:-?} delivered"

# ---------------------------------------------------------------- live change
S=$TMP/session
tlem_on t8 s8a$id s8b$id -s "$S" -M 100ms -D 5ms
ping_through p8 s8a$id s8b$id 10
read -r mn1 _ <<<"$(rtt p8_ping)"
"$TLEM" -s "$S" -D 30ms >"$TMP/c8.out" 2>&1
rc1=$?
ping_through p9 s8a$id s8b$id 10
read -r mn2 _ <<<"$(rtt p9_ping)"
[ -n "${mn1:-}" ] && [ "$mn1" -ge 10000000 ] && [ "$mn1" -lt 60000000 ]
ok $? "-s: the server's own -D 5ms first (min RTT ${mn1:-?} ns)"
[ "$rc1" = 0 ] && [ -n "${mn2:-}" ] && [ "$mn2" -ge 60000000 ]
ok $? "-s: a client's -D 30ms takes effect in the running tlem (min RTT ${mn2:-?} ns)"
timeout 10 "$TLEM" -s "$S" -D 300ms >"$TMP/c9.out" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "above the running tlem's limit" "$TMP/c9.out"
ok $? "-s: a delay above the server's -M limit is refused, status 1 ($(head -1 "$TMP/c9.out"))"
# inter-packet's limit is its idle delay, as netmap's
timeout 10 "$TLEM" -s "$S" -D inter-packet,1ms,2ms,300ms >"$TMP/c10.out" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "inter-packet,1ms,2ms,300ms: the delay may reach 300000 us, above the running tlem's limit" "$TMP/c10.out"
ok $? "-s: -D inter-packet with an idle delay above -M is refused, status 1 ($(head -1 "$TMP/c10.out"))"
timeout 10 "$TLEM" -s "$S" -a >"$TMP/a8.out" 2>&1
rc=$?
for _ in $(seq 50); do kill -0 "$PID_t8" 2>/dev/null || break; sleep 0.1; done
finish t8
[ "$rc" = 0 ] && [ "$RC_t8" = 0 ] && grep -q "frames in" "$TMP/t8.out"
ok $? "-s FILE -a: the running tlem stops (status 0, its counts printed) and the client returns after it"

# ---------------------------------------------------------------- bad flags
bad() {	# bad "WHAT" "EXPECTED MESSAGE" ARGS...
	local what=$1 msg=$2
	shift 2
	timeout 10 "$TLEM" "$@" >"$TMP/bad.out" 2>&1
	local rc=$?
	[ "$rc" = 1 ] && grep -q -- "$msg" "$TMP/bad.out"
	ok $? "$what: status 1 and \"$msg\" (status $rc: $(head -1 "$TMP/bad.out"))"
}
bad "one port" "two ports are needed" -i "netmap:x1$id}1"
bad "the same port twice" "the two ports must differ" -i "netmap:x1$id}1" -i "netmap:x1$id}1"
bad "-B abc" "-B abc: a bandwidth is" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -B abc
bad "-B real (nmreplay's only)" "-B real: a bandwidth is" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -B real
bad "-D uniform,5ms,1ms" "wants dmin <= dmax" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -D uniform,5ms,1ms
bad "-D inter-packet,2ms,1ms,5ms" "wants min-gap <= max-gap" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -D inter-packet,2ms,1ms,5ms
bad "-D inter-packet,1ms,2ms (no idle delay)" "-D inter-packet,1ms,2ms: inter-packet,min-gap,max-gap,delay wants three times" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -D inter-packet,1ms,2ms
bad "-B avg,0" "-B avg,0: avg,bps is a token bucket" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -B avg,0
bad "-B avg,10x" "-B avg,10x: avg,bps is a token bucket" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -B avg,10x
bad "-L 2" "-L 2: a loss is" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -L 2
bad "-D three times" "given a third time" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -D 1ms -D 2ms -D 3ms
bad "-R 0.5" "-R 0.5: reordering is" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -R 0.5
bad "-Q 10x" "-Q 10x: a queue size" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -Q 10x
bad "-b 0" "-b 0: the batch is a whole number" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -b 0
bad "-C 1,2,3" "-C 1,2,3: 1, 2 or 4 cores" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -C 1,2,3
bad "-M x" "-M x: the limits are" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -M x
bad "-a without -s" "-a asks a running tlem to stop" -a
bad "-G without -r" "-G is the gateway of route mode" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -G 10.0.0.1
bad "-r on pipes" "route mode needs interfaces" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -r
bad "an unknown flag" "usage: tlem" -i "netmap:x1$id}1" -i "netmap:x2$id}1" -Z
bad "a port that cannot open" "bad\[: cannot open" -i "netmap:x1$id}1" -i "bad["

# ---------------------------------------------------------------- netmap's example
# apps/tlem/README: pkt-gen -i vale0{1 -f tx -l 1500; pkt-gen -i vale0}2;
# tlem -i vale0}1 -i vale0{2 -D 20ms -C 2,3,4,5.  Today's libnetmap (ours
# too) refuses "vale0{1" ("missing ':' after 'vale'"): the names carry the
# netmap: prefix, the rest as written (cores 2-5 need not exist: tlem says
# so and goes on, as netmap's)
V=vale$id
bg ex_rx "$PKTGEN" -i "netmap:$V}2"
bg ex_tx "$PKTGEN" -i "netmap:$V{1" -f tx -l 1500
bg ex_tl "$TLEM" -i "netmap:$V}1" -i "netmap:$V{2" -D 20ms -C 2,3,4,5
ready ex_tl err "^tlem: forwarding between"
sleep 2
stop ex_tx
stop ex_tl
stop ex_rx
got=$(sed -n 's/^Received \([0-9]*\) packets.*/\1/p' "$TMP/ex_rx.out")
[ "$RC_ex_tl" = 0 ] && [ "${got:-0}" -gt 1000 ]
ok $? "netmap's example (README, -D 20ms -C 2,3,4,5): 1500-byte frames cross tlem (${got:-?} received)"

# ---------------------------------------------------------------- route mode
# namespaces A (10.79.1.1) - T (tlem -r between 10.79.1.254 and 10.79.2.254)
# - B (10.79.2.1): A's ping reaches B through tlem, which answers ARP for
# its addresses, learns A's and B's MACs and puts them in what it routes
if [ "$(id -u)" = 0 ] && ip link add tlchk$id type veth peer name tlchk${id}b 2>/dev/null; then
	ip link del tlchk$id 2>/dev/null
	NA=tla$id NT=tlt$id NB=tlb$id
	NSS=($NA $NT $NB)
	netns_make $NA $NT $NB
	veth_pair tA$id tTa$id $NA $NT
	veth_pair tB$id tTb$id $NB $NT
	for x in "$NA tA$id 10.79.1.1/24" "$NT tTa$id 10.79.1.254/24" "$NT tTb$id 10.79.2.254/24" \
		"$NB tB$id 10.79.2.1/24"; do
		set -- $x
		ip -n "$1" addr add "$3" dev "$2"
	done
	ip -n $NA route add 10.79.2.0/24 via 10.79.1.254
	ip -n $NB route add 10.79.1.0/24 via 10.79.2.254
	timeout --foreground -k 2 60 ip netns exec $NT "$TLEM" -r -D 5ms -i "netmap:tTa$id" \
		-i "netmap:tTb$id" >"$TMP/rt.out" 2>"$TMP/rt.err" </dev/null &
	PIDS+=($!)
	PID_rt=$!
	ready rt err "^tlem: forwarding between"
	ip netns exec $NA ping -c 5 -i 0.2 -W 2 10.79.2.1 >"$TMP/ping.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] && grep -q " 0% packet loss" "$TMP/ping.out"
	ok $? "-r: a ping from one subnet to the other crosses tlem ($(grep -o '[0-9]*% packet loss' "$TMP/ping.out"))"
	mn=$(sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/.*|\1|p' "$TMP/ping.out")
	within "${mn:-0}" 10 1000
	ok $? "-r -D 5ms: its round trips take at least 10 ms (min ${mn:-?} ms)"
	mac=$(ip -n $NA neigh show 10.79.1.254 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2)
	[ -n "$mac" ] && [ "$mac" = "$(ip -n $NT -o link show tTa$id | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)" ]
	ok $? "-r: tlem answered A's ARP request with its port's MAC (${mac:-none})"
	# the program under timeout (ip netns exec execs it), not timeout: see nic.sh
	kill -INT "$(pgrep -P "$PID_rt" | head -1)" 2>/dev/null || kill -INT "$PID_rt"
	finish rt
	for ns in $NA $NT $NB; do ip netns del $ns; done
	NSS=()
else
	echo "# route mode (-r): needs root and veth, skipped"
fi

tap_done
