#!/usr/bin/env bash
# vale_nic.sh - network interfaces on a VALE switch (valectl -a / -h / -d /
# -p / -P), in network namespaces this test makes and removes:
#
#   namespace A (ea, 10.78.0.1) ---- sa \
#   namespace B (eb, 10.78.0.2) ---- sb  >  namespace S: switch vale0, its
#   namespace C (ec, 10.78.0.3) ---- sc /   valectl runs there
#                                   sh (10.78.0.100 on S's own stack, -h)
#                                   vale0 (later: the switch's own interface)
#
# Ping and TCP across the switch, counters in the listing, errors for bad
# attaches and detaches, nobody else may open an attached port, a killed
# worker is replaced, polling on and off, detach and daemon stop (clean or
# SIGKILL) give the interfaces back to the kernel.
set -u
B=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
. "$(dirname "$0")/../lib/netns.sh"
needs_root_veth_nc

id=$$
NA=vna$id NB=vnb$id NC=vnc$id NS=vns$id NH=vnh$id
tmp=$(mktemp -d /tmp/unm-valenic.XXXXXX)
pids="" dpid=""
cleanup() {
	for p in $pids $dpid; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in $NA $NB $NC $NS $NH; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

daemon_start

inS() { ip netns exec $NS "$@"; }
vc() { inS timeout --foreground 20 "$B/bin/valectl" "$@"; }
netns_make $NA $NB $NC $NS $NH
# e$1 in namespace $2 with address $3, its peer s$1 in S
member() {
	ip link add name "e$1" netns "$2" type veth peer name "s$1" netns $NS
	ip -n "$2" link set dev "e$1" up; ip -n $NS link set dev "s$1" up
	ip -n "$2" addr add "$3/24" dev "e$1"
	# the senders finish their checksums: nothing offloaded crosses the switch
	ip netns exec "$2" ethtool -K "e$1" tx off >/dev/null 2>&1
	ip netns exec $NS ethtool -K "s$1" tx off >/dev/null 2>&1
}
member a $NA 10.78.0.1; member b $NB 10.78.0.2; member c $NC 10.78.0.3
# h: S's own stack reaches the switch through sh's host stack (valectl -h)
ip link add name eh netns $NH type veth peer name sh netns $NS
ip -n $NH link set dev eh up; ip -n $NS link set dev sh up
ip -n $NS addr add 10.78.0.100/24 dev sh
ip netns exec $NS ethtool -K sh tx off gro off >/dev/null 2>&1
ip netns exec $NH ethtool -K eh tx off >/dev/null 2>&1

# is $1 (in S) back with the kernel: no XDP program, no host-ring TAP of ours for it?
given_back() {
	local ix
	ix=$(ip netns exec $NS cat /sys/class/net/$1/ifindex)
	for i in $(seq 100); do
		! ip -n $NS -d link show "$1" | grep -q 'xdp' && ! ip -n $NS link show | grep -q "unmh$ix-" &&
		    return 0
		sleep 0.05
	done
	return 1
}

# ---------------------------------------------------------------- attach
for x in a b c; do
	out=$(vc -v -a vale0:s$x 2>&1); rc=$?
	[ $rc = 0 ] && echo "$out" | grep -q "vale0:s$x: attached as port"; ok $? "valectl -a vale0:s$x: $out"
done
out=$(vc -h vale0:sh 2>&1); ok $? "valectl -h vale0:sh (with its host stack): $out"
sleep 0.3
pings $NA 10.78.0.2; ok $? "A pings B through the switch"
pings $NA 10.78.0.3; ok $? "A pings C through the switch"
pings $NC 10.78.0.2; ok $? "C pings B through the switch"
tcp_ok $NA $NB 10.78.0.2; ok $? "1 MB of TCP from A to B arrives intact"
tcp_ok $NC $NA 10.78.0.1; ok $? "1 MB of TCP from C to A arrives intact"
pings $NA 10.78.0.100; ok $? "A pings S's own address on sh, through sh's host stack (-h)"
err=$(vc -H vale0:sa -L 12 2>&1); [ $? = 1 ] && echo "$err" | grep -q "Operation not supported"
ok $? "an interface's switch port takes no virtio-net header (EOPNOTSUPP): $(echo "$err" | tail -n 1)"
out=$(vc -H vale0:sa 2>&1); [ "$out" = 0 ]; ok $? "and reports 0"
out=$(inS "$B/tests/helpers/nicprobe" detach 'vale0:sh^' 2>/dev/null)
[ "$out" = "errno=16" ]; ok $? "the host stack's port alone is not detached (EBUSY, as netmap): $out"
pings $NS 10.78.0.2; ok $? "S's stack pings B through sh^ and the switch"
tcp_ok $NS $NB 10.78.0.2; ok $? "1 MB of TCP from S's stack to B"

list=$(vc 2>&1)
for p in sa sb sc sh 'sh^'; do
	echo "$list" | grep -q "^vale0:$p "; ok $? "the listing names vale0:$p"
done
rxa=$(echo "$list" | awk '$1 == "vale0:sa" { print $4 }')
[ "${rxa:-0}" -gt 10 ]; ok $? "and counts what came in from sa ($rxa frames)"
echo "$list" | awk '$1 == "vale0:sa" { exit !($6 > 10) }'; ok $? "and what went out to sa"
[ "$(workers | wc -l)" = 1 ]; ok $? "one worker forwards for the whole switch"
[ "$(tr '\0' '\n' </proc/$(workers)/cmdline | grep -c '^fd:')" = 10 ]; ok $? "five descriptor pairs: four interfaces and one host stack"

# ---------------------------------------------------------------- nobody else
err=$(inS timeout --foreground 10 "$B/bin/pkt-gen" -i netmap:sa -f rx -n 1 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "sa: attached to vale0"; ok $? "opening an attached interface is refused, saying where it is attached"
err=$(inS timeout --foreground 10 "$B/bin/pkt-gen" -i vale0:sa -f rx -n 1 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "attached to vale0"; ok $? "and so is opening its switch port"
err=$(vc -a vale0:sa 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "sa is on vale0 already"; ok $? "attaching it twice is refused: $(echo "$err" | tail -1)"
err=$(vc -a vale1:sa 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "attached to vale0 already"; ok $? "attaching it to a second switch is refused: $(echo "$err" | grep -o 'sa is attached.*' | head -1)"
err=$(vc -a vale0:nosuch$id 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "no network interface nosuch$id"; ok $? "attaching a missing interface is refused, naming it"
err=$(vc -d vale0:nosuch 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "nothing called nosuch is attached"; ok $? "detaching what is not attached is refused"
err=$(vc -n sb 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "sb: a port of that name exists"; ok $? "a persistent port named like an attached interface is refused"
# an interface some program holds cannot be attached, and stays the program's
ip link add name t$id netns $NS type veth peer name tp$id netns $NA
ip -n $NS link set dev t$id up; ip -n $NA link set dev tp$id up
ip netns exec $NS "$B/tests/helpers/nicprobe" hold netmap:t$id >$tmp/holder 2>&1 &
hp=$!; pids="$pids $hp"
for i in $(seq 100); do grep -q ready $tmp/holder 2>/dev/null && break; sleep 0.05; done
err=$(vc -a vale0:t$id 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "open in netmap mode"; ok $? "an interface open in netmap mode is not attached: $(echo "$err" | grep -o 'is open in netmap mode.*' | head -1)"
kill -0 $hp 2>/dev/null; ok $? "and its holder keeps it"
kill $hp; wait $hp 2>/dev/null
vc 2>&1 | grep -q "^vale0:t$id "; [ $? != 0 ]; ok $? "nothing of the refused attach is left on the switch"

# nm-ctl's syntax does the same
nmctl() { inS timeout --foreground 20 "$B/bin/nm-ctl" "$@"; }
nmctl -d vale0:sc >/dev/null 2>&1 && ! vc 2>&1 | grep -q "^vale0:sc "; ok $? "nm-ctl -d vale0:sc detaches it"
nmctl -i sc -p vale0:sc >/dev/null 2>&1 && vc 2>&1 | grep -q "^vale0:sc "; ok $? "nm-ctl -i sc -p vale0:sc attaches it again"
nmctl -l 2>&1 | grep -q "vale0:sc"; ok $? "and nm-ctl -l lists it"
sleep 0.3
pings $NC 10.78.0.2; ok $? "C pings B through it again"
# a switch's own interface may not take the name of an existing interface
ip link add name vale5 netns $NS type veth peer name v5p netns $NS
err=$(vc -n vale5 2>&1); [ $? != 0 ] && echo "$err" | grep -q "an interface called vale5 exists"; ok $? "valectl -n vale5 is refused when an interface vale5 exists"
vc 2>&1 | grep -q "^vale5:"; [ $? != 0 ]; ok $? "and no switch vale5 is left behind"
ip -n $NS link del vale5

# ---------------------------------------------------------------- workers
w=$(workers | head -1)
kill -9 "$w"
sleep 0.1
replaced() { [ "$(workers | wc -l)" = 1 ] && ! workers | grep -qx "$w"; }
for i in $(seq 60); do replaced && break; sleep 0.1; done
replaced; ok $? "a worker killed with SIGKILL is replaced"
grep -q "worker pid $w killed by signal 9" $tmp/d.log; ok $? "and the log says so"
pings $NA 10.78.0.2 && pings $NB 10.78.0.3; ok $? "forwarding goes on after it"
# the attachments and their worker as JSON: python3 checks the shape and the facts
att_json() {	# $1: a python3 expression on d (port name -> its "attached" object)
	vc -j 2>/dev/null | python3 -c '
import json, sys
d = {p["name"]: p.get("attached") for p in json.load(sys.stdin)}
sys.exit(0 if ('"$1"') else 1)' 2>/dev/null
}
nw=$(workers | head -1)
att_json "d['vale0:sa']['kind'] == 'interface' and d['vale0:sa']['interface'] == 'sa' and d['vale0:sa']['mode'] in ('native', 'generic', 'zero-copy', 'emulated') and d['vale0:sa']['workers'] == [{'pid': $nw, 'cpu': None}] and d['vale0:sa']['worker_restarts'] == 1"
ok $? "valectl -j: vale0:sa is interface sa, its mode, worker pid $nw (the replacement), 1 restart"
att_json "d['vale0:sh']['kind'] == 'interface' and d['vale0:sh^']['kind'] == 'host stack' and d['vale0:sh^']['interface'] == 'sh' and d['vale0:sh^']['workers'][0]['pid'] == $nw"
ok $? "and vale0:sh's host stack as a port of its own, forwarded by the same worker"
vc -v 2>/dev/null | grep -q "^vale0:sa: interface sa, .* mode; worker pid $nw (1 restart)$"
ok $? "valectl -v says the same in words ($(vc -v 2>/dev/null | grep '^vale0:sa:'))"

# a switch whose worker keeps dying gives its interfaces back; other switches go on
ip link add name ek netns $NA type veth peer name sk netns $NS
ip -n $NA link set dev ek up; ip -n $NS link set dev sk up
vc -a vale1:sk >/dev/null 2>&1; ok $? "sk attached to a second switch, vale1"
nfd() { tr '\0' '\n' 2>/dev/null </proc/$1/cmdline | grep -c '^fd:'; }
vale1_worker() { for x in $(workers); do [ "$(nfd $x)" = 2 ] && echo $x; done; }
kills=0
for k in $(seq 5); do
	x=""
	for i in $(seq 50); do x=$(vale1_worker | head -1); [ -n "$x" ] && break; sleep 0.1; done
	[ -n "$x" ] && kill -9 "$x" && kills=$((kills + 1))
done
[ $kills = 5 ]; ok $? "its worker killed five times in a row ($kills)"
for i in $(seq 60); do grep -q "vale1: its worker keeps dying" $tmp/d.log && break; sleep 0.1; done
grep -q "vale1: its worker keeps dying" $tmp/d.log; ok $? "the daemon gives up on it, saying why"
given_back sk; ok $? "and sk is given back to the kernel"
vc 2>&1 | grep -q "^vale1:"; [ $? != 0 ]; ok $? "vale1 is gone"
pings $NA 10.78.0.2; ok $? "vale0 forwards as before"
ip -n $NA link del ek

# ---------------------------------------------------------------- polling
# the CPUs the threads of worker $1 are pinned to (one each), in order
pinned() { for t in /proc/$1/task/*; do sed -n 's/^Cpus_allowed_list:[[:space:]]*\([0-9]*\)$/\1/p' $t/status; done 2>/dev/null | sort -n | tr '\n' ' '; }
# how often, of 40 looks, the thread of worker $1 pinned to CPU $2 is asleep
asleep() {
	local t s=0
	for t in /proc/$1/task/*; do grep -q "^Cpus_allowed_list:[[:space:]]*$2$" $t/status && break; done
	for i in $(seq 40); do [ "$(cut -d' ' -f3 $t/stat 2>/dev/null)" = S ] && s=$((s + 1)); sleep 0.01; done
	echo $s
}
ncpu=$(getconf _NPROCESSORS_ONLN)
w0=$(workers)
out=$(vc -p vale0:sa -C 0,0 2>&1); ok $? "valectl -p vale0:sa (one CPU, CPU 0): $out"
sleep 0.3
pw=$(pgrep -P "$dpid" -f 'netmap-bridge.* -p ' | head -1)
[ "$(pinned "$pw")" = "0 " ]; ok $? "its worker busy-polls with a thread pinned to CPU 0 ($(pinned "$pw"))"
[ "$(workers | wc -l)" = 1 ] && [ "$(workers)" = "$pw" ] && [ "$pw" != "$w0" ]
ok $? "the switch's one worker, started again, forwards the polled lane too"
alist=$(tr '\0' '\n' </proc/$pw/cmdline | grep -A1 -x -- -A | tail -1)
[ "$(echo "$alist" | tr ',' '\n' | sort | tr '\n' ' ')" = "- - - - 0 " ]; ok $? "of its five pairs one is polled on CPU 0, four are not (-A $alist)"
pings $NA 10.78.0.2; ok $? "A pings B while sa is polled"
att_json "d['vale0:sa']['workers'] == [{'pid': $pw, 'cpu': 0}]"; ok $? "valectl -j: sa's worker is pid $pw, polling on CPU 0"
att_json "d['vale0:sb']['workers'] == [{'pid': $pw, 'cpu': None}]"; ok $? "and sb's the same process, not polling"
sleep 1	# whatever the pings left in flight is gone
s=$(asleep $pw 0); [ "$s" -ge 20 ]; ok $? "idle, the polling thread sleeps (asleep in $s of 40 looks; a spinning one: none)"
if [ "$ncpu" -ge 2 ]; then
	out=$(vc -p vale0:sb -C 0,1 2>&1); ok $? "valectl -p vale0:sb -C 0,1 (one CPU, CPU 1): $out"
	sleep 0.3
	pw=$(pgrep -P "$dpid" -f 'netmap-bridge.* -p ' | head -1)
	[ "$(workers | wc -l)" = 1 ] && [ "$(pinned "$pw")" = "0 1 " ]; ok $? "still one worker, a polling thread on CPU 0 and one on CPU 1 ($(pinned "$pw"))"
	pings $NA 10.78.0.2; ok $? "A pings B, both polled, on two CPUs"
	pings $NC 10.78.0.2; ok $? "C (not polled) pings B (polled)"
	tcp_ok $NA $NB 10.78.0.2; ok $? "1 MB of TCP from polled sa to polled sb arrives intact"
	tcp_ok $NC $NA 10.78.0.1; ok $? "1 MB of TCP from sc (not polled) to sa (polled) arrives intact"
	att_json "d['vale0:sb']['workers'] == [{'pid': $pw, 'cpu': 1}] and d['vale0:sa']['workers'] == [{'pid': $pw, 'cpu': 0}]"
	ok $? "valectl -j: sa polled on CPU 0 and sb on CPU 1, by the same worker $pw"
	sleep 1
	s=$(asleep $pw 1); [ "$s" -ge 20 ]; ok $? "idle, CPU 1's polling thread sleeps too (asleep in $s of 40 looks)"
	vc -P vale0:sb >/dev/null 2>&1; ok $? "sb's polling stopped"
	sleep 0.3
	pw=$(pgrep -P "$dpid" -f 'netmap-bridge.* -p ' | head -1)
fi
err=$(vc -p vale0:sa -C 0,0 2>&1); [ $? != 0 ] && echo "$err" | grep -q "polling already" &&
    echo "$err" | grep -q "Bad address"; ok $? "polling twice is refused (EFAULT, as netmap)"
err=$(vc -d vale0:sa 2>&1); [ $? != 0 ] && echo "$err" | grep -q "Device or resource busy"; ok $? "a polled interface is not detached (EBUSY, as netmap)"
err=$(vc -p vale0:sb -C 1,1,1 2>&1); [ $? != 0 ] && echo "$err" | grep -q "one polling CPU per ring pair"; ok $? "polling a ring the interface has not is refused"
err=$(vc -p vale0:sb -C 1,0,$ncpu 2>&1); [ $? != 0 ] && echo "$err" | grep -q "fewer than the $ncpu" &&
    echo "$err" | grep -q "Invalid argument"; ok $? "polling with all $ncpu CPUs is refused (EINVAL, as netmap)"
err=$(vc -p vale0:nosuch -C 0,0 2>&1); [ $? != 0 ] && echo "$err" | grep -q "polling is for network interfaces attached"; ok $? "polling what is not an attached interface is refused"
out=$(vc -P vale0:sa 2>&1); ok $? "valectl -P vale0:sa: $out"
[ -z "$(pgrep -P "$dpid" -f 'netmap-bridge.* -p ')" ]; ok $? "no worker busy-polls any more"
pings $NA 10.78.0.2; ok $? "A pings B after polling stopped"
err=$(vc -P vale0:sa 2>&1); [ $? != 0 ] && echo "$err" | grep -q "not polling" &&
    echo "$err" | grep -q "Bad address"; ok $? "stopping polling that is not on is refused (EFAULT, as netmap)"
# multi-CPU polling: an interface with two queues, one polling worker per ring pair
ip link add name eq netns $NA numtxqueues 2 numrxqueues 2 type veth peer name sq netns $NS \
    numtxqueues 2 numrxqueues 2
ip -n $NA link set dev eq up; ip -n $NS link set dev sq up
ip -n $NA addr add 10.78.1.1/24 dev eq; ip -n $NB addr add 10.78.1.2/24 dev eb
ip netns exec $NA ethtool -K eq tx off >/dev/null 2>&1
vc -a vale0:sq >/dev/null 2>&1; ok $? "a two-queue interface attaches"
pcpus() { for w in $(pgrep -P "$dpid" -f 'netmap-bridge.* -p '); do pinned $w; done; }
if [ "$ncpu" -gt 2 ]; then
	out=$(vc -p vale0:sq -C 1,0,2 2>&1); ok $? "valectl -p vale0:sq -C 1,0,2 (multi-CPU, CPUs 0 and 1): $out"
	sleep 0.3
	[ "$(pcpus)" = "0 1 " ]; ok $? "two busy-polling threads, on CPU 0 and CPU 1 ($(pcpus))"
	pings $NA 10.78.1.2; ok $? "A pings B through the two-queue interface while it is polled"
else
	# two CPUs: netmap polls with one at most; ring 0 is then not polled at all
	out=$(vc -p vale0:sq -C 1,1,1 2>&1); ok $? "valectl -p vale0:sq -C 1,1,1 (multi-CPU, ring 1 on CPU 1): $out"
	sleep 0.3
	[ "$(pcpus)" = "1 " ]; ok $? "one busy-polling thread, on CPU 1 ($(pcpus))"
	vc -P vale0:sq >/dev/null 2>&1 && vc -p vale0:sa -C 1,0,1 >/dev/null 2>&1; ok $? "multi-CPU polling of one-queue sa, ring 0 on CPU 0"
	sleep 0.3
	pings $NA 10.78.0.2; ok $? "A pings B through sa while it is polled so"
	vc -P vale0:sa >/dev/null 2>&1; ok $? "and sa's polling stopped"
fi
vc -P vale0:sq >/dev/null 2>&1; vc -d vale0:sq >/dev/null 2>&1; ok $? "polling stopped, the interface detached"
ip -n $NB addr del 10.78.1.2/24 dev eb

# ---------------------------------------------------------------- detach
out=$(vc -d vale0:sa 2>&1); ok $? "valectl -d vale0:sa: $out"
given_back sa; ok $? "sa is given back to the kernel (no XDP program, no TAP of ours)"
vc 2>&1 | grep -q "^vale0:sa "; [ $? != 0 ]; ok $? "the listing no longer names it"
pings $NA 10.78.0.2 1; [ $? != 0 ]; ok $? "A is cut off from the switch"
pings $NB 10.78.0.3; ok $? "B and C still talk through it"
out=$(vc -a vale0:sa 2>&1); ok $? "sa attaches again at once: $out"
sleep 0.3
pings $NA 10.78.0.2; ok $? "and A pings B again"

# ---------------------------------------------------------------- the switch's own interface
ip -n $NS addr flush dev sh
vc -d vale0:sh >/dev/null 2>&1; ok $? "sh detached (its host stack with it)"
out=$(vc -v -n vale0 2>&1); ok $? "valectl -n vale0 gives the switch an interface of its own: $out"
ip -n $NS link show vale0 >/dev/null 2>&1; ok $? "and the host sees an interface vale0"
vc 2>&1 | grep -q "^vale0:vale0 "; ok $? "which the listing shows as port vale0:vale0"
ip -n $NS addr add 10.78.0.100/24 dev vale0
for ns in $NA $NB $NC; do ip -n $ns neigh flush all; done	# .100 was sh's address
pings $NA 10.78.0.100; ok $? "A pings S's address on vale0, through the switch"
pings $NS 10.78.0.3; ok $? "S pings C through vale0 and the switch"
tcp_ok $NB $NS 10.78.0.100; ok $? "1 MB of TCP from B to S's address on vale0"
err=$(vc -n vale0 2>&1); [ $? != 0 ] && echo "$err" | grep -q "has its interface already"; ok $? "a second one is refused"
err=$(vc -d vale0:vale0 2>&1); [ $? != 0 ] && echo "$err" | grep -q "valectl -r vale0 removes it"; ok $? "it is not detached like an interface, as the error says"
err=$(inS timeout --foreground 10 "$B/bin/pkt-gen" -i netmap:vp_vale0 -f rx -n 1 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "own interface"; ok $? "its switch end cannot be opened"
out=$(vc -v -r vale0 2>&1); ok $? "valectl -r vale0 removes it: $out"
ip -n $NS link show vale0 >/dev/null 2>&1; [ $? != 0 ]; ok $? "and the interface is gone, both ends"
vc 2>&1 | grep -q "^vale0:vale0 "; [ $? != 0 ]; ok $? "and so is its port"
pings $NA 10.78.0.2; ok $? "the switch forwards between its members still"

# ---------------------------------------------------------------- daemon stop
ws=$(workers)
daemon_stop; ok $? "the daemon stops on SIGTERM with interfaces attached"
for x in sa sb sc; do
	given_back $x; ok $? "$x is given back when the daemon stops"
done
left=0; for w in $ws; do alive "$w" && left=1; done
[ $left = 0 ]; ok $? "and none of its workers is left"
daemon_start
vc -a vale0:sa >/dev/null 2>&1 && vc -a vale0:sb >/dev/null 2>&1; ok $? "a new daemon attaches them again"
sleep 0.3
pings $NA 10.78.0.2; ok $? "and forwards"
vc -n vale0 >/dev/null 2>&1; ok $? "and gives vale0 its own interface again"
ws=$(workers)
kill -9 "$dpid"; wait "$dpid" 2>/dev/null; dpid=""
for x in sa sb; do
	given_back $x; ok $? "$x is given back when the daemon is killed with SIGKILL"
done
sleep 0.3
left=0; for w in $ws; do alive "$w" && left=1; done
[ $left = 0 ]; ok $? "and its workers die with it"
# a veth pair outlives a daemon killed with SIGKILL: the next one cleans it up
ip -n $NS link show vale0 >/dev/null 2>&1; ok $? "the switch's interface (a veth pair) outlived the SIGKILL"
daemon_start
out=$(vc -v -n vale0 2>&1); ok $? "a new daemon makes it again: $out"
grep -q "vale0: removing vale0 and vp_vale0, left by an unetmapd that did not stop" $tmp/d.log
ok $? "the stale pair was removed when the new daemon started, saying so"
vc -r vale0 >/dev/null 2>&1 && ! ip -n $NS link show vale0 >/dev/null 2>&1; ok $? "and removes it on request"
daemon_stop; ok $? "that daemon stops cleanly too"

grep -qE 'AddressSanitizer|runtime error' $tmp/d.log; [ $? != 0 ]; ok $? "the daemon reported no sanitizer error"
echo "# done: $n checks, $failed failed"
[ $failed = 0 ]
