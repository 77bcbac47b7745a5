#!/usr/bin/env bash
# giveback.sh [ROUNDS] - the interface give-back campaign: an interface is
# taken under every port-name variant (netmap:X, X-0, X^, X^0, X*), in
# turn in every mode the daemon can pick (best, generic, emulated), and
# the client holding it - or every third round the daemon itself, then the
# client - is killed with SIGKILL.  After each round the interface must be
# back: it answers ping, carries no XDP program, no tc filter, no TAP of
# ours is left in its namespace, and the machine has no more BPF programs
# or links than before the first round.  Namespaces, veths and daemons
# are its own and removed on every exit path.  TAP on stdout.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
B=${BUILD:-$HERE/../../build}
B=$(cd "$B" && pwd) || { echo "not ok 1 - no build directory"; exit 1; }
P=$B/tests/helpers/nicprobe
ROUNDS=${1:-15}
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

if [ "$(id -u)" != 0 ] || ! ip link add gbchk$$ type veth peer name gbchk$$b 2>/dev/null; then
	echo "# needs root and veth: skipped"; echo "# done: 0 checks, 0 failed"; exit 0
fi
ip link del gbchk$$ 2>/dev/null
command -v bpftool >/dev/null || { echo "not ok 1 - bpftool is missing (tests/run installs it)"; exit 1; }

id=$$
NA=gba$id NB=gbb$id VA=ga$id VB=gb$id
tmp=$(mktemp -d /tmp/unm-giveback.XXXXXX)
dpid="" hp=""
cleanup() {
	for p in $hp $dpid; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del $NA 2>/dev/null; ip netns del $NB 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

export UNETMAP_SOCKET=$tmp/d.sock UNETMAP_NO_AUTOSTART=1 UNETMAP_SPIN_US=0
modes=(best generic emulated)
mi=0
daemon_start() {
	rm -f "$UNETMAP_SOCKET"
	"$B/bin/unetmapd" -f --admode "${modes[$((mi % 3))]}" -s "$UNETMAP_SOCKET" \
	    -l "$tmp/d.log" 2>>"$tmp/d.log" &
	dpid=$!
	mi=$((mi + 1))
	for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done
}

for ns in $NA $NB; do
	ip netns add $ns; ip -n $ns link set lo up
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add $VA type veth peer name $VB
ip link set $VA netns $NA; ip link set $VB netns $NB
ip -n $NA link set $VA up; ip -n $NB link set $VB up
ip -n $NA addr add 10.76.1.1/24 dev $VA; ip -n $NB addr add 10.76.1.2/24 dev $VB

bpf_count() { echo "$(bpftool prog list 2>/dev/null | grep -c '^[0-9]') $(bpftool link list 2>/dev/null | grep -c '^[0-9]')"; }
back() {	# the interface is back: a ping answered within 2 s, nothing of ours on it
	ip netns exec $NB ping -c 1 -i 0.1 -w 2 10.76.1.1 >/dev/null 2>&1 || { echo "# no answer to ping"; return 1; }
	for i in $(seq 100); do
		! ip -n $NA -d link show $VA | grep -q xdp &&
		    [ -z "$(ip netns exec $NA tc filter show dev $VA ingress 2>/dev/null)" ] &&
		    [ -z "$(ip netns exec $NA tc filter show dev $VA egress 2>/dev/null)" ] &&
		    ! ip -n $NA link show | grep -q unmh && return 0
		sleep 0.05
	done
	echo "# left on $VA: $(ip -n $NA -d link show $VA | grep -o 'xdp[^ ]*') $(ip -n $NA link show | grep -o 'unmh[^:]*')"
	return 1
}

bpf0=$(bpf_count)
daemon_start
names=("netmap:$VA" "netmap:$VA-0" "netmap:$VA^" "netmap:$VA^0" "netmap:$VA*")
good=0 held=0 dkills=0
for r in $(seq "$ROUNDS"); do
	name=${names[$((r % 5))]}
	rm -f $tmp/hold
	ip netns exec $NA "$P" hold "$name" >$tmp/hold 2>&1 &
	hp=$!
	for i in $(seq 100); do grep -q ready $tmp/hold 2>/dev/null && break; sleep 0.05; done
	grep -q ready $tmp/hold && held=$((held + 1))
	sleep 0.$((RANDOM % 3))
	if [ $((r % 3)) = 0 ]; then
		kill -9 $dpid; wait $dpid 2>/dev/null; dkills=$((dkills + 1))
		kill -9 $hp; wait $hp 2>/dev/null
		daemon_start
	else
		kill -9 $hp; wait $hp 2>/dev/null
	fi
	hp=""
	if back; then good=$((good + 1)); else echo "# round $r ($name, mode ${modes[$(((mi - 1) % 3))]}): not given back"; fi
done
[ "$held" = "$ROUNDS" ]; ok $? "the interface was taken in every round ($held of $ROUNDS; every name variant, modes best, generic, emulated)"
[ "$good" = "$ROUNDS" ]; ok $? "and given back after every kill -9 ($good of $ROUNDS, $dkills of them the daemon's)"
kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; dpid=""
# no more programs or links than before (others' may come and go meanwhile: fewer is no leak)
no_more() { set -- $(bpf_count) $bpf0; [ "$1" -le "$3" ] && [ "$2" -le "$4" ]; }
for i in $(seq 40); do no_more && break; sleep 0.05; done
no_more; ok $? "no BPF program or link left on the machine (programs, links: $(bpf_count), before: $bpf0)"
grep -qE 'AddressSanitizer|runtime error' $tmp/d.log; [ $? != 0 ]; ok $? "the daemons reported no sanitizer error"
echo "# done: $n checks, $failed failed"
[ $failed = 0 ]
