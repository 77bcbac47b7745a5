#!/usr/bin/env bash
# doctor.sh - nm-doctor on veth pairs in a namespace this test makes: an
# interface with GRO on under a daemon that takes interfaces in generic
# XDP mode is not fit (exit 1, the ethtool command that fixes it), and is
# fit once that command has run; the default route and a holder are
# reported; -j is JSON that python3 reads; bad names and missing
# interfaces exit 2 with a reason.
set -u
B=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
D=$B/bin/nm-doctor
. "$(dirname "$0")/../lib/netns.sh"
needs_root_veth_nc

id=$$
NS=dct$id
tmp=$(mktemp -d /tmp/unm-doctor.XXXXXX)
dpid="" hp=""
cleanup() {
	for p in $hp $dpid; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del $NS 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

export UNETMAP_SOCKET=$tmp/d.sock UNETMAP_NO_AUTOSTART=1
"$B/bin/unetmapd" -f --admode generic -s "$UNETMAP_SOCKET" -l "$tmp/d.log" 2>>"$tmp/d.log" &
dpid=$!
for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done
inS() { ip netns exec $NS "$@"; }
ip netns add $NS
ip -n $NS link set lo up
ip -n $NS link add xa0 type veth peer name xb0
ip -n $NS link set xa0 up; ip -n $NS link set xb0 up

# ---------------------------------------------------------------- an offload
inS ethtool -K xa0 gro on >/dev/null 2>&1
out=$(inS timeout 10 "$D" xa0); rc=$?
[ $rc = 1 ]; ok $? "GRO on, generic XDP: not fit (exit $rc)"
echo "$out" | grep -q "offload gro: gro is on"; ok $? "the problem is named"
fix=$(echo "$out" | sed -n 's/^ *fix: \(ethtool -K xa0 gro off\)$/\1/p')
[ -n "$fix" ]; ok $? "with the command that fixes it: ${fix:-none}"
echo "$out" | grep -q "a port would get: generic XDP"; ok $? "and the mode a port would get"
echo "$out" | grep -q "^xa0: driver veth, 1 queue, MTU 1500"; ok $? "driver, queues and MTU told"
inS $fix
out=$(inS timeout 10 "$D" xa0); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "xa0 is fit for netmap"; ok $? "after that command: fit (exit $rc)"

# ---------------------------------------------------------------- JSON
js=$(inS timeout 10 "$D" -j xa0)
echo "$js" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["interface"] == "xa0" and d["fit"] is True and d["driver"] == "veth"
assert d["mode"] == "generic XDP" and d["mtu"] == 1500 and d["queues"] == 1
assert isinstance(d["problems"], list) and isinstance(d["notes"], list)
assert "basic" in d["xdp_features"]
'
ok $? "-j: one JSON object with the same facts"
inS ethtool -K xa0 gro on >/dev/null 2>&1
inS timeout 10 "$D" --json xa0 | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = [x for x in d["problems"] if x["what"] == "offload gro"]
assert d["fit"] is False and p and p[0]["fix"] == "ethtool -K xa0 gro off"
'
ok $? "-j: a problem carries what, why and fix"
inS ethtool -K xa0 gro off >/dev/null 2>&1

# ---------------------------------------------------------------- lock-out, holder
ip -n $NS addr add 10.74.0.1/24 dev xa0
ip -n $NS route add default via 10.74.0.2
out=$(inS timeout 10 "$D" xa0); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "lock-out: .*default route"; ok $? "the default route's interface: not fit, saying why"
echo "$out" | grep -q "open netmap:xa0@force"; ok $? "and how to take it anyway"
ip -n $NS route del default
# (ip netns exec itself: a function put in the background would make $! a subshell,
# and killing that would leave the holder running)
ip netns exec $NS "$B/tests/helpers/nicprobe" hold netmap:xb0 >$tmp/hold 2>&1 &
hp=$!
for i in $(seq 100); do grep -q ready $tmp/hold 2>/dev/null && break; sleep 0.05; done
out=$(inS timeout 10 "$D" xb0)
echo "$out" | grep -q "held: taken now by this daemon: xb0 (generic XDP.*by pid [0-9]"; ok $? "a holder is named, with its pid"
inS timeout 10 "$D" -j xb0 | python3 -c 'import json, sys; assert json.load(sys.stdin)["held"] is True'
ok $? "-j: held is true"
# a buffer smaller than the frames of an interface taken now is refused
out=$(timeout 10 "$B/bin/nm-sysctl" buf_size=1024 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "frames of up to 1518 bytes"; ok $? "nm-sysctl buf_size=1024 while a 1500-MTU interface is taken: refused, saying why"
kill $hp; wait $hp 2>/dev/null; hp=""

# ---------------------------------------------------------------- bad input
out=$(inS timeout 10 "$D" nosuch0 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "no such interface"; ok $? "a missing interface: exit 2, saying so"
out=$(timeout 10 "$D" 'a{b' 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "no interface name"; ok $? "a bad name: exit 2, saying so"
out=$(timeout 10 "$D" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "which interface"; ok $? "no name: exit 2"
out=$(timeout 10 "$D" -x xa0 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "unknown option '-x'"; ok $? "an unknown option: exit 2"

grep -qE 'AddressSanitizer|runtime error' $tmp/d.log; [ $? != 0 ]; ok $? "the daemon reported no sanitizer error"
echo "# done: $n checks, $failed failed"
[ $failed = 0 ]
