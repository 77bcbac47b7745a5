#!/usr/bin/env bash
# vale_intercept.sh - bridge interception (FreeBSD's if_bridge in netmap
# mode) on a VALE switch with an interface of its own, in namespaces this
# test makes and removes:
#
#   namespace A (ea, 10.79.0.1) ---- sa \
#   namespace B (eb, 10.79.0.2) ---- sb  >  namespace S: switch vale0, its own
#   namespace C (ec, 10.79.0.3) ---- sc /   interface vale0 (10.79.0.100)
#
# With nm-filter on netmap:vale0 passing everything, ping and TCP work as
# before and every frame is seen once; with a rule, only that flow stops;
# BPDUs never reach the application; re-injected frames of unknown source
# are dropped and counted; killing the application restores forwarding.
set -u
B=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
P=$B/tests/helpers/nicprobe
F=$B/bin/nm-filter
. "$(dirname "$0")/../lib/netns.sh"
needs_root_veth_nc

id=$$
NA=ina$id NB=inb$id NC=inc$id NS=ins$id
tmp=$(mktemp -d /tmp/unm-icpt.XXXXXX)
pids="" dpid="" fp=""
cleanup() {
	for p in $fp $pids $dpid; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in $NA $NB $NC $NS; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

daemon_start

inS() { ip netns exec $NS "$@"; }
vc() { inS timeout --foreground 20 "$B/bin/valectl" "$@"; }
netns_make $NA $NB $NC $NS
member() {
	ip link add name "e$1" netns "$2" type veth peer name "s$1" netns $NS
	ip -n "$2" link set dev "e$1" up; ip -n $NS link set dev "s$1" up
	ip -n "$2" addr add "$3/24" dev "e$1"
	ip netns exec "$2" ethtool -K "e$1" tx off >/dev/null 2>&1
	vc -a "vale0:s$1"
}
member a $NA 10.79.0.1; member b $NB 10.79.0.2; member c $NC 10.79.0.3
vc -n vale0
ip -n $NS addr add 10.79.0.100/24 dev vale0

# nm-filter on netmap:vale0 with rules "$@"; its report goes to $tmp/f.log
filter_start() {
	rm -f $tmp/f.log
	# not through inS: $! must be nm-filter itself (ip netns exec execs it), not a subshell
	ip netns exec $NS "$F" -i netmap:vale0 "$@" 2>$tmp/f.log &
	fp=$!
	for i in $(seq 100); do grep -q "rule" $tmp/f.log 2>/dev/null && break; sleep 0.05; done
}
filter_stop() {
	kill "$fp" 2>/dev/null
	for i in $(seq 100); do kill -0 "$fp" 2>/dev/null || break; sleep 0.05; done
	wait "$fp" 2>/dev/null
	fp=""
}
# a count from the filter's final report: $1 in|out, $2 seen|passed|dropped
fcount() {
	sed -n "s/.*$1 ([^)]*): seen \([0-9]*\) passed \([0-9]*\) dropped \([0-9]*\).*/\1 \2 \3/p" \
	    $tmp/f.log | tail -1 | awk -v w="$2" '{ print (w == "seen") ? $1 : (w == "passed") ? $2 : $3 }'
}
rxp() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }
mac() { ip netns exec "$1" cat "/sys/class/net/$2/address"; }

pings $NA 10.79.0.2; ok $? "without interception, A pings B"
pings $NA 10.79.0.100; ok $? "and A pings the switch's own interface"

# ---------------------------------------------------------------- pass everything
filter_start
grep -q "netmap:vale0 <-> netmap:vale0^" $tmp/f.log; ok $? "nm-filter opens netmap:vale0 and its host rings"
vc 2>&1 | grep -q '^vale0:\* '; ok $? "the listing shows the interceptor as vale0:*"
out=$(ping_out $NA 10.79.0.2 10)
echo "$out" | grep -q " 0% packet loss"; ok $? "intercepted, A pings B, no loss"
echo "$out" | grep -q "duplicates"; [ $? != 0 ]; ok $? "and no reply comes twice"
pings $NA 10.79.0.3; ok $? "A pings C"
pings $NA 10.79.0.100; ok $? "A pings the switch's interface (host rx, host tx through the application)"
pings $NS 10.79.0.3; ok $? "the host pings C"
tcp_ok $NA $NB 10.79.0.2; ok $? "1 MB of TCP from A to B"
tcp_ok $NC $NS 10.79.0.100; ok $? "1 MB of TCP from C to the host"
filter_stop
[ "$(fcount in seen)" -gt 100 ] && [ "$(fcount in seen)" = "$(fcount in passed)" ]; ok $? "it saw and passed every frame entering ($(fcount in seen))"
[ "$(fcount out seen)" -gt 50 ]; ok $? "and what the host sent ($(fcount out seen))"

# every frame seen once: ten echo requests and their replies, known neighbours
ip -n $NA neigh replace 10.79.0.2 lladdr "$(mac $NB eb)" dev ea nud permanent
ip -n $NB neigh replace 10.79.0.1 lladdr "$(mac $NA ea)" dev eb nud permanent
filter_start -c icmp
b0=$(rxp $NB eb)
pings $NA 10.79.0.2 10
filter_stop
hits() { sed -n "s/.*rule -$1 $2: \([0-9]*\) frames.*/\1/p" $tmp/f.log; }
[ "$(hits c icmp)" = 20 ]; ok $? "ten pings: the application saw 20 ICMP frames, each once ($(hits c icmp))"
[ $(( $(rxp $NB eb) - b0 )) = 10 ]; ok $? "and B received 10, each once ($(( $(rxp $NB eb) - b0 )))"

# BPDUs stay with the switch; other frames of A's go to the application
# (the application drops the other frames, so what B gets are the BPDUs)
filter_start -d ether:0x88b5 -c stp
b0=$(rxp $NB eb)
ip netns exec $NA "$P" bpdu ea 5
ip netns exec $NA "$P" send ea 5 60
sleep 0.5
filter_stop
[ "$(hits c stp)" = 0 ] && [ "$(hits d ether:0x88b5)" = 5 ]; ok $? "5 BPDUs and 5 other frames: the application saw the 5, no BPDU ($(hits c stp))"
[ $(( $(rxp $NB eb) - b0 )) -ge 5 ]; ok $? "and B got the 5 BPDUs: the switch forwarded them itself ($(( $(rxp $NB eb) - b0 )))"

# ---------------------------------------------------------------- a rule
filter_start -d tcp:5001
tcp_ok $NA $NB 10.79.0.2 5001; [ $? != 0 ]; ok $? "with -d tcp:5001, TCP to port 5001 stops"
tcp_ok $NA $NB 10.79.0.2 5002; ok $? "TCP to port 5002 still gets through"
pings $NA 10.79.0.3; ok $? "and so do pings"
filter_stop
[ "$(hits d tcp:5001)" -gt 0 ]; ok $? "the rule counts what it dropped: $(grep -o 'rule -d tcp:5001.*' $tmp/f.log)"

# ---------------------------------------------------------------- re-injection of an unknown source
filter_start -d ether:0x9999
inS "$P" inject netmap:vale0^ 02:aa:bb:cc:dd:ee
sleep 0.2
vc 2>&1 | awk '$1 == "vale0:*" { exit !($10 >= 1) }'; ok $? "a re-injected frame of unknown source is dropped and counted (vale0:* drop-nodst)"
# ---------------------------------------------------------------- errors, end of interception
err=$(vc -r vale0 2>&1); [ $? != 0 ] && echo "$err" | grep -q "intercepts"; ok $? "the switch's interface is not removed while intercepted"
err=$(inS timeout --foreground 10 "$B/bin/pkt-gen" -i netmap:vale7 -f rx -n 1 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "no switch of that name has an interface"; ok $? "netmap:vale7 (no such switch interface) is refused, saying why"
kill -9 "$fp"; wait "$fp" 2>/dev/null; fp=""
for i in $(seq 50); do vc 2>&1 | grep -q '^vale0:\* ' || break; sleep 0.05; done
vc 2>&1 | grep -q '^vale0:\* '; [ $? != 0 ]; ok $? "kill -9 of the application ends interception"
pings $NA 10.79.0.2; ok $? "and the switch forwards by itself again"
tcp_ok $NA $NB 10.79.0.2 5001; ok $? "TCP to port 5001 too"
grep -q "interception ended" $tmp/d.log; ok $? "the daemon log says so"

# ---------------------------------------------------------------- a crashed daemon's pair
# kill -9 of the daemon (and of its workers) leaves the switch's own veth
# pair; the next daemon on the same socket removes it when it starts
vc -n vale5; ip -n $NS link show vp_vale5 >/dev/null 2>&1; ok $? "valectl -n vale5 makes its pair"
grep -qE 'AddressSanitizer|runtime error' $tmp/d.log; [ $? != 0 ]; ok $? "the daemon reported no sanitizer error"
ws=$(pgrep -P "$dpid")
kill -9 $dpid $ws 2>/dev/null; wait "$dpid" 2>/dev/null; dpid=""
ip -n $NS link show vp_vale5 >/dev/null 2>&1 && ip -n $NS link show vale5 >/dev/null 2>&1
ok $? "the pair outlives a kill -9 of the daemon"
daemon_start
for i in $(seq 100); do ip -n $NS link show vp_vale5 >/dev/null 2>&1 || break; sleep 0.05; done
! ip -n $NS link show vp_vale5 >/dev/null 2>&1 && ! ip -n $NS link show vale5 >/dev/null 2>&1
ok $? "the next daemon on that socket removes it, no valectl needed"
grep -q "vale5: removing vale5 and vp_vale5, left by an unetmapd that did not stop" $tmp/d.log
ok $? "and says so"
echo "# done: $n checks, $failed failed"
[ $failed = 0 ]
