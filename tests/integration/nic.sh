#!/usr/bin/env bash
# nic.sh - network interfaces as netmap ports, on veth pairs between
# network namespaces this test makes (and removes, whatever happens):
# pkt-gen and plain-socket traffic in both directions, the mode a port
# got, netmap-bridge between two interfaces and between an interface and
# its host stack (ping and TCP keep working), host rings seeing what the
# stack sends, VLAN tags and 9000-byte frames in native and emulated
# modes, the offload check and its undone fix, the lock-out guard, kill -9
# giving the interface back, and bad names.
set -u
B=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
P=$B/tests/helpers/nicprobe
. "$(dirname "$0")/../lib/netns.sh"
needs_root_veth

id=$$
NA=nma$id NB=nmb$id NC=nmc$id
cleanup_test() { ip link del dum$id 2>/dev/null; }
netns_test nic $NA $NB $NC

export UNETMAP_SPIN_US=0
daemon_start

# (not for commands put in the background: $! would be the subshell, not the program)
inA() { ip netns exec $NA "$@"; }
inB() { ip netns exec $NB "$@"; }
inC() { ip netns exec $NC "$@"; }

netns_make $NA $NB $NC
VA=va$id VB=vb$id
veth_pair $VA $VB $NA $NB
ip -n $NA addr add 10.77.1.1/24 dev $VA
ip -n $NB addr add 10.77.1.2/24 dev $VB

# the program that "ip netns exec NS timeout ..." (pid $1) runs; $1 itself if $1 is no timeout.
# Signals go to the program, not to timeout: timeout follows a SIGTERM it forwards with a
# SIGCONT to the program and its process group, and a SIGCONT that arrives while the
# sanitizer build's exit-time leak check attaches with ptrace discards the attach's SIGSTOP:
# the check then waits for it forever (tracer in waitpid, program spinning in sched_yield)
prog_of() {
	local c=""
	[ "$(cat /proc/$1/comm 2>/dev/null)" = timeout ] && c=$(pgrep -P "$1" | head -1)
	echo "${c:-$1}"
}
# stops a program started with "ip netns exec NS timeout ..." (pid $1): TERM, then,
# if it is still there 5 s later, says where it was stuck and kills it
stop_bg() {
	local p=$1 c
	c=$(prog_of "$p")
	kill "$c" 2>/dev/null
	for i in $(seq 50); do kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }; sleep 0.1; done
	echo "# pid ${c:-$p} did not stop on SIGTERM: state $(cat /proc/${c:-$p}/stat 2>/dev/null | cut -d' ' -f3), wchan $(cat /proc/${c:-$p}/wchan 2>/dev/null)"
	cat /proc/${c:-$p}/stack 2>/dev/null | head -8 | sed 's/^/#   /'
	kill -9 ${c:-} "$p" 2>/dev/null; wait "$p" 2>/dev/null
	return 1
}
stat_of() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }
# starts "nicprobe count" in namespace $1 on port $2; the output goes to $3
# (its pid: $cb)
count_bg() { released $NA; rm -f "$3"; ip netns exec "$1" timeout --foreground 20 "$P" count "$2" "$4" 10 >"$3" 2>&1 & cb=$!; pids="$pids $cb"; await "$3" '^ready' ; }

# ---------------------------------------------------------------- traffic
before=$(stat_of $NB $VB rx_packets)
out=$(inA timeout 20 "$B/bin/pkt-gen" -i netmap:$VA -f tx -n 3000 -R 20000 -w 1 2>&1)
after=$(stat_of $NB $VB rx_packets)
[ $((after - before)) = 3000 ]; ok $? "pkt-gen tx on $VA: the peer counts every frame (got $((after - before)) of 3000)"
echo "$out" | grep -q "$VA: native mode"; ok $? "pkt-gen's banner says the port got native XDP"
grep -q "$VA (netns [0-9]*) taken by pid [0-9]*: native XDP (copy)" "$tmp/d.log"; ok $? "the daemon's log says which mode it got"

count_bg $NA netmap:$VA $tmp/rx1 2000
grep -q "ready mode=native" $tmp/rx1; ok $? "the registration reply says native"
inB "$P" send $VB 2000 60
wait_for() { await "$1" '^frames=' 200; }
wait_for $tmp/rx1; grep -q "^frames=2000 " $tmp/rx1; ok $? "2000 frames from a plain socket arrive on netmap:$VA ($(grep frames= $tmp/rx1))"

# the same both ways in the other modes, and with epoll for a waiter
for mode in generic emulated; do
	released $NA
	before=$(stat_of $NB $VB rx_packets)
	inA timeout 20 "$B/bin/pkt-gen" -i netmap:$VA@admode=$mode -f tx -n 3000 -R 20000 -w 1 >$tmp/tx 2>&1
	after=$(stat_of $NB $VB rx_packets)
	grep -q "$VA: $mode mode" $tmp/tx && [ $((after - before)) = 3000 ]; ok $? "pkt-gen tx in $mode mode: the peer counts every frame (got $((after - before)))"
	count_bg $NA netmap:$VA@admode=$mode $tmp/rx2 2000
	inB "$P" send $VB 2000 60
	wait_for $tmp/rx2; grep -q "^frames=2000 " $tmp/rx2; ok $? "2000 plain-socket frames arrive in $mode mode ($(grep frames= $tmp/rx2))"
done
# generic_ringsize: the rings of an interface taken from then on (every mode)
"$B/bin/nm-sysctl" generic_ringsize=2048 >/dev/null 2>&1; ok $? "nm-sysctl generic_ringsize=2048 is taken"
"$B/bin/nm-sysctl" -j -a 2>/dev/null | python3 -c '
import json, sys
p = {x["name"]: x for x in json.load(sys.stdin)}
g = p["generic_ringsize"]
sys.exit(0 if (g["value"], g["default"], g["min"], g["max"]) == (2048, 1024, 64, 16384) and "admode" in p else 1)'
ok $? "nm-sysctl -j -a: JSON with generic_ringsize 2048 (default 1024, 64 to 16384)"
for mode in native emulated; do
	count_bg $NA netmap:$VA@admode=$mode $tmp/rs 3000
	inA "$P" info $VA >$tmp/rsi 2>&1
	grep -q "slots=2048/2048" $tmp/rsi; ok $? "$mode mode: an interface taken after it has rings of 2048 slots ($(grep -o "slots=.*" $tmp/rsi || head -c 200 $tmp/rsi))"
	inB "$P" send $VB 3000 60
	wait_for $tmp/rs; grep -q "^frames=3000 " $tmp/rs; ok $? "$mode mode: 3000 frames arrive through 2048-slot rings ($(grep frames= $tmp/rs))"
done
"$B/bin/nm-sysctl" generic_ringsize=1024 >/dev/null 2>&1
released $NA; inA "$P" info $VA >$tmp/rsi 2>&1
grep -q "slots=1024/1024" $tmp/rsi; ok $? "and 1024 slots again once set back ($(grep -o "slots=.*" $tmp/rsi || head -c 200 $tmp/rsi))"

released $NA; rm -f $tmp/rx3
ip netns exec $NA timeout --foreground 20 "$P" count-epoll netmap:$VA 500 10 >$tmp/rx3 2>&1 & pids="$pids $!"
await $tmp/rx3 '^ready'
inB "$P" send $VB 500 60
wait_for $tmp/rx3; grep -q "^frames=500 .*timeouts=0" $tmp/rx3; ok $? "a receiver sleeping in epoll_wait is woken by the AF_XDP socket ($(grep frames= $tmp/rx3))"

# ---------------------------------------------------------------- VLAN, jumbo
count_bg $NA netmap:$VA $tmp/vl 100
inB "$P" send $VB 100 200 42
wait_for $tmp/vl; grep -q "^frames=100 .*tagged=100 vid=42" $tmp/vl; ok $? "VLAN-tagged frames keep their tag (native XDP)"
count_bg $NA netmap:$VA@admode=emulated $tmp/vle 100
grep -q "ready mode=emulated" $tmp/vle; ok $? "@admode=emulated gets the emulated (AF_PACKET) mode"
inB "$P" send $VB 100 200 42
wait_for $tmp/vle; grep -q "^frames=100 .*tagged=100 vid=42" $tmp/vle; ok $? "VLAN tags the kernel took out are put back (emulated)"
# a tag the sender left in the frame's metadata (as a VLAN device with transmit
# offload does, or a NIC that strips tags; here a tc program of ours) reaches
# the ring inside the frame
if ip netns exec $NB tc qdisc add dev $VB clsact 2>/dev/null &&
    ip netns exec $NB tc filter add dev $VB egress bpf da obj "$B/tests/helpers/vlan_push.bpf.o" \
    sec tc 2>/dev/null; then
	count_bg $NA netmap:$VA $tmp/vm 100
	inB "$P" send $VB 100 200
	wait_for $tmp/vm; grep -q "^frames=100 .*tagged=100 vid=77" $tmp/vm; ok $? "a VLAN tag in metadata is put back into the frame (native XDP: $(grep frames= $tmp/vm))"
	# (not in generic XDP mode: it takes no device-bound program; docs/nic.md)
	count_bg $NA netmap:$VA@admode=emulated $tmp/vme 100
	inB "$P" send $VB 100 200
	wait_for $tmp/vme; grep -q "^frames=100 .*tagged=100 vid=77" $tmp/vme; ok $? "and in emulated mode ($(grep -o 'tagged=.*' $tmp/vme))"
	ip netns exec $NB tc qdisc del dev $VB clsact
else
	echo "# no tc BPF classifier here: the metadata VLAN tag checks are skipped"
fi

ip -n $NA link set $VA mtu 9000; ip -n $NB link set $VB mtu 9000
count_bg $NA netmap:$VA $tmp/j 50
inB "$P" send $VB 50 9000
wait_for $tmp/j; grep -q "^frames=50 len=9000-9000" $tmp/j; ok $? "9000-byte frames arrive whole (native XDP, NS_MOREFRAG)"
count_bg $NA netmap:$VA@admode=emulated $tmp/je 50
inB "$P" send $VB 50 9000
wait_for $tmp/je; grep -q "^frames=50 len=9000-9000" $tmp/je; ok $? "9000-byte frames arrive whole (emulated)"
ip -n $NA link set $VA mtu 1500; ip -n $NB link set $VB mtu 1500

# ---------------------------------------------------------------- host rings
ip -n $NA neigh flush dev $VA
ip -n $NA neigh replace 10.77.1.9 lladdr 02:00:00:00:00:09 dev $VA
count_bg $NA netmap:$VA^ $tmp/h 1000
inA ping -c 2 -i 0.2 -W 1 10.77.1.2 >/dev/null 2>&1
inA ping -c 2 -i 0.2 -W 1 10.77.1.9 >/dev/null 2>&1
sleep 0.3; kill -TERM "$(prog_of $cb)"; wait_for $tmp/h
grep -q "arp=[1-9]" $tmp/h; ok $? "the host RX ring sees the ARP requests the stack sends ($(grep -o 'arp=[0-9]*' $tmp/h))"
grep -q "icmp=[1-9]" $tmp/h; ok $? "and its ICMP echo requests ($(grep -o 'icmp=[0-9]*' $tmp/h))"

# as many host rings as asked: 5 tx and 4 rx, granted, echoed, and all working
count_bg $NA "netmap:$VA^@conf:host-tx-rings=5,host-rx-rings=4" $tmp/h4 1000
grep -q "host=5/4" $tmp/h4; ok $? "5 tx and 4 rx host rings asked: granted and echoed ($(head -1 $tmp/h4))"
for i in $(seq 40); do ip -n $NA neigh replace 10.77.2.$i lladdr 02:00:00:00:02:$(printf %02x $i) dev $VA; done
ip -n $NA route add 10.77.2.0/24 dev $VA 2>/dev/null
for i in $(seq 40); do inA bash -c "echo x >/dev/udp/10.77.2.$i/$((4000 + i))" 2>/dev/null; done
sleep 0.3; kill -TERM "$(prog_of $cb)"; wait_for $tmp/h4
rings=$(grep -o 'rings=[0-9,]*' $tmp/h4 | cut -d= -f2)
busy=$(echo "$rings" | tr , '\n' | grep -vc '^0$')
[ "$(echo "$rings" | tr , '\n' | wc -l)" = 4 ] && [ "$busy" -ge 2 ]; ok $? "what the stack sends is spread over the 4 host rx rings (frames by ring: $rings)"
wait $cb 2>/dev/null
for r in 0 3 4; do
	released $NA; rm -f $tmp/sn
	ip netns exec $NA timeout --foreground 20 "$P" sniff $VA 5 >$tmp/sn 2>&1 & sn=$!; pids="$pids $sn"
	await $tmp/sn ready
	inA timeout 20 "$P" inject "netmap:$VA^$r@conf:host-tx-rings=5,host-rx-rings=4" 02:00:00:00:00:$((40 + r)) 2>&1
	sleep 0.2; stop_bg $sn
	grep -q "^frames=1$" $tmp/sn; ok $? "a frame written to host tx ring $r of 5 reaches the stack, as received on $VA ($(tail -1 $tmp/sn))"
done
released $NA
out=$(inA timeout 20 "$P" mode "netmap:$VA^1@conf:host-rings=2" 2>&1); ok $? "NR_REG_ONE_SW ring 1 of 2 and 2: $out"
err=$(inA timeout 20 "$P" mode "netmap:$VA^2@conf:host-rings=2" 2>&1); [ $? != 0 ]; ok $? "host ring 2 of 2: refused ($(echo $err | head -c 120))"
err=$(inA timeout 20 "$P" mode "netmap:$VA^@conf:host-rings=65" 2>&1); [ $? != 0 ] && echo "$err" | grep -q "at most 64"; ok $? "65 host rings: refused, saying how many may be ($(echo $err | grep -o 'at most [0-9]*'))"
released $NA

# the system as without netmap: NIC <-> host stack through netmap-bridge
tcp_ok() {	# $1 $2: namespaces of client and server, $3 server address
	head -c 2000000 /dev/urandom >$tmp/tx.bin
	ip netns exec "$2" timeout --foreground 20 nc -l -p 5555 >$tmp/rx.bin 2>/dev/null &
	local srv=$!
	sleep 0.3
	ip netns exec "$1" timeout 20 nc -q 1 -w 5 "$3" 5555 <$tmp/tx.bin >/dev/null 2>&1
	wait $srv
	cmp -s $tmp/tx.bin $tmp/rx.bin
}
for mode in native generic emulated; do
	released $NA; rm -f $tmp/br
	ip netns exec $NA timeout --foreground 60 "$B/bin/netmap-bridge" -w 0 -i netmap:$VA@admode=$mode >$tmp/br 2>&1 &
	br=$!; pids="$pids $br"
	await $tmp/br "<->"
	inB ping -c 3 -i 0.2 -W 2 10.77.1.1 >/dev/null 2>&1; ok $? "netmap-bridge -i netmap:$VA ($mode): ping still works"
	tcp_ok $NB $NA 10.77.1.1; ok $? "netmap-bridge -i netmap:$VA ($mode): a 2 MB TCP transfer arrives intact"
	stop_bg $br
	grep -q "frames" $tmp/br && ! grep -q " 0 frames (0 bytes) forward" $tmp/br; ok $? "and the frames went through the bridge ($mode)"
	sed 's/^/# /' $tmp/br
done

# before Linux 6.6 (no tcx) the tc programs go in a clsact qdisc: forced here
UNETMAP_NO_TCX=1 "$B/bin/unetmapd" -f -s $tmp/d5.sock -l $tmp/d5.log 2>>$tmp/d5.log &
d5=$!; pids="$pids $d5"
await_socket $tmp/d5.sock
released $NA; rm -f $tmp/br
UNETMAP_SOCKET=$tmp/d5.sock ip netns exec $NA timeout --foreground 60 "$B/bin/netmap-bridge" -w 0 -i netmap:$VA >$tmp/br 2>&1 &
br=$!; pids="$pids $br"
await $tmp/br "<->"
inB ping -c 3 -i 0.2 -W 2 10.77.1.1 >/dev/null 2>&1; ok $? "with the tc programs in a clsact qdisc (kernels before 6.6), host rings still work"
inA tc filter show dev $VA egress 2>/dev/null | grep -q unm_steal; ok $? "(our filter is in the interface's clsact egress)"
stop_bg $br
released $NA
inA tc filter show dev $VA egress 2>/dev/null | grep -q unm_steal; [ $? != 0 ]; ok $? "and removed when the port goes"
stop_bg $d5

# transparent mode: NIC and host rings, every frame released with NS_FORWARD
released $NA; rm -f $tmp/fw
ip netns exec $NA timeout --foreground 30 "$P" forward "netmap:$VA*" 20 >$tmp/fw 2>&1 &
fw=$!; pids="$pids $fw"
await $tmp/fw ready
inB ping -c 3 -i 0.2 -W 2 10.77.1.1 >/dev/null 2>&1; ok $? "NR_FORWARD/NS_FORWARD (netmap:$VA*): the kernel passes frames both ways, ping works"
stop_bg $fw

# ---------------------------------------------------------------- two interfaces
# NB ($VB) - [$VA / $VC2 in NA, bridged] - $VC in NC
VC=vc$id VC2=vd$id
veth_pair $VC2 $VC $NA $NC
ip -n $NA addr flush dev $VA
ip -n $NC addr add 10.77.1.3/24 dev $VC
released $NA
ip netns exec $NA timeout --foreground 60 "$B/bin/netmap-bridge" -w 0 -i netmap:$VA -i netmap:$VC2 >$tmp/br2 2>&1 &
br=$!; pids="$pids $br"
await $tmp/br2 "<->"
grep -q "zero-copy" $tmp/br2; ok $? "netmap-bridge swaps buffers between two interfaces (same memory region)"
inB ping -c 3 -i 0.2 -W 2 10.77.1.3 >/dev/null 2>&1; ok $? "netmap-bridge between two veths carries a ping between two namespaces"
tcp_ok $NB $NC 10.77.1.3; ok $? "and a 2 MB TCP transfer"
for d in "$NA $VA" "$NA $VC2" "$NB $VB" "$NC $VC"; do set -- $d; ip -n $1 link set $2 mtu 9000; done
inB ping -c 2 -i 0.2 -W 2 -M do -s 8000 10.77.1.3 >/dev/null 2>&1; ok $? "and 8 KB pings, as multi-slot frames (NS_MOREFRAG) both ways"
for d in "$NA $VA" "$NA $VC2" "$NB $VB" "$NC $VC"; do set -- $d; ip -n $1 link set $2 mtu 1500; done
stop_bg $br
ip -n $NA addr add 10.77.1.1/24 dev $VA
released $NA

# ---------------------------------------------------------------- offloads
inA ethtool -K $VA gro on >/dev/null 2>&1
err=$(inA timeout 20 "$P" mode netmap:$VA@admode=emulated 2>&1)
echo "$err" | sed 's/^/# /'
echo "$err" | grep -q "gro is on" && echo "$err" | grep -q "ethtool -K $VA.* gro off"; ok $? "the offload check names GRO and the command that turns it off"
ip netns exec $NA "$P" hold netmap:$VA@admode=emulated@fix-offloads >$tmp/fix 2>&1 &
hp=$!; pids="$pids $hp"
await $tmp/fix ready
inA ethtool -k $VA | grep -q "generic-receive-offload: off"; ok $? "@fix-offloads turns GRO off while the port is open"
kill -9 $hp; wait $hp 2>/dev/null
released $NA
back=1; for i in $(seq 100); do inA ethtool -k $VA | grep -q "generic-receive-offload: on" && { back=0; break; }; sleep 0.05; done
ok $back "and back on once the port is closed (here: its holder killed)"
inA ethtool -K $VA gro off >/dev/null 2>&1

# ---------------------------------------------------------------- lock-out guard
released $NA
ip -n $NA route add default via 10.77.1.2 dev $VA
err=$(inA timeout 20 "$P" mode netmap:$VA 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "default route"; ok $? "the interface of the default route is refused, saying why"
inA timeout 20 "$P" mode netmap:$VA@force 2>&1 | grep -q "mode=native"; ok $? "and taken with @force"
UNETMAP_FORCE=1 inA timeout 20 "$P" mode netmap:$VA 2>&1 | grep -q "mode=native"; ok $? "or UNETMAP_FORCE=1"
ip -n $NA route del default
released $NA

# ---------------------------------------------------------------- kill -9
allgood=0
# fixed neighbour entries: what is measured is the interface coming back, not
# the ARP retry timers (an ARP that failed while taken delays the next a second)
mac_of() { ip -n "$1" -o link show "$2" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
ip -n $NB neigh replace 10.77.1.1 lladdr "$(mac_of $NA $VA)" dev $VB nud permanent
ip -n $NA neigh replace 10.77.1.2 lladdr "$(mac_of $NB $VB)" dev $VA nud permanent
for round in 1 2 3 4 5; do
	rm -f $tmp/hold
	ip netns exec $NA "$P" hold netmap:$VA >$tmp/hold 2>&1 &
	hp=$!; pids="$pids $hp"
	await $tmp/hold ready || { allgood=1; echo "# round $round: the holder did not start"; }
	# taken: the stack is cut off
	inB ping -c 1 -W 1 10.77.1.1 >/dev/null 2>&1 && { allgood=1; echo "# round $round: ping answered while taken"; }
	kill -9 $hp; wait $hp 2>/dev/null
	# one echo every 0.1 s, success at the first answer, within a 1 s deadline
	inB ping -c 1 -i 0.1 -w 1 10.77.1.1 >/dev/null 2>&1 || { allgood=1; echo "# round $round: no answer after kill -9"; }
	released $NA
done
ok $allgood "kill -9 of the holder: the interface is back in the stack, pingable within a second (5 rounds)"
ip -n $NB neigh del 10.77.1.1 dev $VB; ip -n $NA neigh del 10.77.1.2 dev $VA
ip -n $NA link show $VA | grep -q xdp; [ $? != 0 ]; ok $? "no XDP program left on it"
ip -n $NA link show | grep -q unmh; [ $? != 0 ]; ok $? "no TAP left in its namespace"

# ---------------------------------------------------------------- queues
VM=vm$id VN=vn$id
ip link add $VM numrxqueues 2 numtxqueues 2 type veth peer name $VN numrxqueues 2 numtxqueues 2
ip link set $VM netns $NA; ip link set $VN netns $NB
ip -n $NA link set $VM up; ip -n $NB link set $VN up
out=$(inA timeout 20 "$B/bin/pkt-gen" -i netmap:$VM -f tx -n 100 -w 0 2>&1)
echo "$out" | grep -q "2 queues"; ok $? "an interface of 2 queues has 2 ring pairs"
before=$(stat_of $NB $VN rx_packets)
out=$(inA timeout 20 "$B/bin/pkt-gen" -i netmap:$VM-1 -f tx -n 500 -R 20000 -w 0 2>&1)
after=$(stat_of $NB $VN rx_packets)
echo "$out" | grep -q "Sending on netmap:$VM-1: 1 queues" && [ $((after - before)) = 500 ]; ok $? "-1 binds ring pair 1 alone, and sends through it"

# ---------------------------------------------------------------- the daemon killed
released $NA
rm -f $tmp/hold
ip netns exec $NA "$P" hold netmap:$VA >$tmp/hold 2>&1 &
hp=$!; pids="$pids $hp"
await $tmp/hold ready
"$B/bin/unetmapd" -f -s $tmp/d3.sock -l $tmp/d3.log 2>>$tmp/d3.log &
d3=$!; pids="$pids $d3"
await_socket $tmp/d3.sock
rm -f $tmp/hold3
UNETMAP_SOCKET=$tmp/d3.sock ip netns exec $NB "$P" hold netmap:$VB >$tmp/hold3 2>&1 &
hp3=$!; pids="$pids $hp3"
await $tmp/hold3 ready
kill -9 $d3; wait $d3 2>/dev/null
ip -n $NB link show $VB | grep -q xdp; [ $? != 0 ]; ok $? "a daemon killed with SIGKILL still gives its interface back (BPF links die with it)"
kill -9 $hp $hp3; wait $hp $hp3 2>/dev/null
released $NA
"$B/bin/unetmapd" -f --admode emulated -s $tmp/d4.sock -l $tmp/d4.log 2>>$tmp/d4.log &
d4=$!; pids="$pids $d4"
await_socket $tmp/d4.sock
UNETMAP_SOCKET=$tmp/d4.sock inA timeout 20 "$P" mode netmap:$VA 2>&1 | grep -q "mode=emulated"; ok $? "unetmapd --admode emulated: the default for requests that do not say"
UNETMAP_SOCKET=$tmp/d4.sock UNETMAP_ADMODE=native inA timeout 20 "$P" mode netmap:$VA 2>&1 | grep -q "mode=native"; ok $? "UNETMAP_ADMODE=native overrides it for one program"
stop_bg $d4
released $NA

# ---------------------------------------------------------------- interfaces that are down
# netmap registers an interface whatever its link: the port carries nothing
# until the link is up, then carries traffic without being reopened
L=$B/tests/helpers/legacyprobe
down() { ip -n $NA link set $VA down; }
up() { ip -n $NA link set $VA up; sleep 0.3; }
for mode in native generic emulated; do
	released $NA; down
	count_bg $NA netmap:$VA@admode=$mode $tmp/rxd 1000
	grep -q "ready mode=$mode" $tmp/rxd; ok $? "REGISTER of a down interface in $mode mode: $(head -1 $tmp/rxd)"
	up
	inB "$P" send $VB 1000 60
	wait_for $tmp/rxd; grep -q "^frames=1000 " $tmp/rxd; ok $? "once it is up, frames arrive without reopening ($mode: $(grep frames= $tmp/rxd))"
	wait $cb 2>/dev/null
done
released $NA; down
out=$(inA timeout 20 "$P" info $VA 2>&1); ok $? "PORT_INFO_GET and POOLS_INFO_GET of a down interface: $out"
rm -f $tmp/rxl
ip netns exec $NA timeout --foreground 20 "$L" count netmap:$VA 500 10 >$tmp/rxl 2>&1 & cb=$!; pids="$pids $cb"
await $tmp/rxl '^ready'; ok $? "legacy NIOCREGIF (nm_open) of a down interface: $(head -1 $tmp/rxl)"
out=$(inA timeout 20 "$L" info $VA 2>&1); ok $? "legacy NIOCGINFO of a down interface: $out"
up
inB "$P" send $VB 500 60
wait $cb 2>/dev/null; grep -q "^frames=500$" $tmp/rxl; ok $? "and after the link came up the legacy program got the frames ($(tail -1 $tmp/rxl))"
# a link that goes down and up while the port is open keeps working
count_bg $NA netmap:$VA $tmp/rxc 1000
down; up
inB "$P" send $VB 1000 60
wait_for $tmp/rxc; grep -q "^frames=1000 " $tmp/rxc; ok $? "down and up while open: frames still arrive ($(grep frames= $tmp/rxc))"
wait $cb 2>/dev/null
released $NA
before=$(stat_of $NB $VB rx_packets)
rm -f $tmp/hd; ip netns exec $NA timeout --foreground 20 "$P" hold netmap:$VA >$tmp/hd 2>&1 & hp=$!; pids="$pids $hp"
await $tmp/hd ready; down; up
inA timeout 20 "$B/bin/pkt-gen" -i netmap:$VA -f tx -n 1000 -R 20000 -w 1 >/dev/null 2>&1
after=$(stat_of $NB $VB rx_packets)
[ $((after - before)) = 1000 ]; ok $? "and sending works after down and up (the peer got $((after - before)) of 1000)"
stop_bg $hp
released $NA
# on a switch: attached while down, with and without its host stack, polled
vc() { inA timeout --foreground 20 "$B/bin/valectl" "$@"; }
down
out=$(vc -a vale$id:$VA 2>&1); ok $? "valectl -a of a down interface: $out"
rm -f $tmp/rxv
ip netns exec $NA timeout --foreground 20 "$P" count vale$id:r 500 10 >$tmp/rxv 2>&1 & cb=$!; pids="$pids $cb"
await $tmp/rxv ready
up
inB "$P" send $VB 500 60
wait $cb 2>/dev/null; grep -q "^frames=500 " $tmp/rxv; ok $? "once it is up, its frames cross the switch ($(grep frames= $tmp/rxv))"
out=$(vc -p vale$id:$VA -C 0,0 2>&1); down
ok $? "polling on an attached interface that then goes down: $out"
out=$(vc -P vale$id:$VA 2>&1); ok $? "and stopped: $out"
out=$(vc -d vale$id:$VA 2>&1); ok $? "detached: $out"
released $NA
out=$(vc -h vale$id:$VA 2>&1); ok $? "valectl -h (with its host stack) of a down interface: $out"
out=$(vc -d vale$id:$VA 2>&1); ok $? "detached: $out"
up; released $NA

# ---------------------------------------------------------------- bad input
err=$(inA timeout 20 "$P" mode netmap:nosuch$id 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "nosuch$id"; ok $? "a missing interface is refused, named"
ip link add dum$id type dummy 2>/dev/null || ip link add dum$id type veth peer name dun$id
err=$(inA timeout 20 "$P" mode netmap:dum$id 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "dum$id: no interface of that name in the network namespace"; ok $? "an interface of another namespace is refused, saying so"
rm -f $tmp/hold
ip netns exec $NA "$P" hold netmap:$VA >$tmp/hold 2>&1 &
hp=$!; pids="$pids $hp"
await $tmp/hold ready
"$B/bin/unetmapd" -f -s $tmp/d2.sock -l $tmp/d2.log 2>>$tmp/d2.log &
d2=$!; pids="$pids $d2"
await_socket $tmp/d2.sock
err=$(UNETMAP_SOCKET=$tmp/d2.sock inA timeout 20 "$P" mode netmap:$VA 2>&1)
[ $? != 0 ] && echo "$err" | grep -q "$VA: the interface is already taken"; ok $? "an interface taken by someone else is refused, saying so"
ip -n $NA link show | grep -c unmh | grep -qx 1; ok $? "and nothing of it was left half-taken (one TAP: the holder's)"
kill -9 $hp $d2; wait $hp $d2 2>/dev/null

grep -qE 'AddressSanitizer|runtime error' $tmp/d.log; [ $? != 0 ]; ok $? "the daemon reported no sanitizer error"
echo "# done: $n checks, $failed failed"
