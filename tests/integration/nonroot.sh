#!/usr/bin/env bash
# nonroot.sh - use without root, as /dev/netmap's group permissions allow in
# netmap: throwaway users made (and removed) by this test, one in group
# netmap (made for the test if the machine has none) and one not.  The
# member moves frames over a pipe and a VALE switch of its own; the other
# is refused, saying why; the member is refused an interface (no
# capabilities), a pipe in the interfaces' memory region, and root's port.
set -u
B=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
B=$(cd "$B" && pwd)
PG=$B/bin/pkt-gen
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
skip() { echo "# skipped: $1"; echo "# done: 0 checks, 0 failed"; exit 0; }

[ "$(id -u)" = 0 ] || skip "needs root (to make users)"
command -v useradd >/dev/null && command -v runuser >/dev/null || skip "needs useradd and runuser"
id=$$
M=unmm$id U=unmo$id NS=unmns$id
tmp=$(mktemp -d /tmp/unm-nonroot.XXXXXX)
chmod 755 "$tmp"
made_group=0 dpid="" hp=""
cleanup() {
	for p in $hp $dpid; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	userdel "$M" 2>/dev/null; userdel "$U" 2>/dev/null
	[ $made_group = 1 ] && groupdel netmap 2>/dev/null
	ip netns del $NS 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! getent group netmap >/dev/null; then
	groupadd --system netmap || skip "cannot make group netmap"
	made_group=1
fi
useradd -M -N -s /usr/sbin/nologin -G netmap "$M" || skip "cannot make user $M"
useradd -M -N -s /usr/sbin/nologin "$U" || skip "cannot make user $U"
runuser -u "$M" -- test -x "$PG" || skip "the build is not readable by other users"

export UNETMAP_SOCKET=$tmp/d.sock UNETMAP_NO_AUTOSTART=1
"$B/bin/unetmapd" -f -s "$UNETMAP_SOCKET" -l "$tmp/d.log" 2>>"$tmp/d.log" &
dpid=$!
for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done
# as user $1, with the test's daemon
as() { local u=$1; shift; runuser -u "$u" -- env UNETMAP_SOCKET="$UNETMAP_SOCKET" UNETMAP_NO_AUTOSTART=1 "$@"; }

# ---------------------------------------------------------------- a member
as "$M" timeout 20 "$PG" -i "netmap:nr$id}1" -f rx -n 20000 -w 0 >$tmp/rx.out 2>$tmp/rx.err &
rp=$!
for i in $(seq 100); do grep -q "^Receiving" $tmp/rx.out 2>/dev/null && break; sleep 0.05; done
as "$M" timeout 20 "$PG" -i "netmap:nr$id{1" -f tx -n 20000 -w 0 >$tmp/tx.out 2>$tmp/tx.err
wait $rp
grep -q "^Received 20000 packets" $tmp/rx.out; ok $? "a member of group netmap: 20000 frames over a pipe"
as "$M" timeout 20 "$PG" -i "vale$id:b" -f rx -n 5000 -w 0 >$tmp/vrx.out 2>$tmp/vrx.err &
rp=$!
for i in $(seq 100); do grep -q "^Receiving" $tmp/vrx.out 2>/dev/null && break; sleep 0.05; done
as "$M" timeout 20 "$PG" -i "vale$id:a" -f tx -n 5000 -R 50000 -w 0 >$tmp/vtx.out 2>$tmp/vtx.err
wait $rp
grep -q "^Received 5000 packets" $tmp/vrx.out; ok $? "and 5000 frames across a VALE switch of its own"

# ---------------------------------------------------------------- not a member
out=$(as "$U" timeout 20 "$PG" -i "netmap:nq$id{1" -f tx -n 1 -w 0 2>&1); rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "refuses uid $(id -u "$U"): only root, its own user and members of group netmap"
ok $? "a user outside group netmap is refused, saying who may (rc $rc)"

# ---------------------------------------------------------------- what a member may not do
ip netns add $NS
ip -n $NS link add nx0 type veth peer name ny0
ip -n $NS link set nx0 up; ip -n $NS link set ny0 up
out=$(ip netns exec $NS runuser -u "$M" -- env UNETMAP_SOCKET="$UNETMAP_SOCKET" UNETMAP_NO_AUTOSTART=1 \
    timeout 20 "$PG" -i netmap:nx0 -f rx -n 1 -w 0 2>&1); rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "nx0: taking a network interface needs CAP_NET_ADMIN"
ok $? "a member without capabilities cannot take an interface (rc $rc)"
ip -n $NS -d link show nx0 | grep -q xdp; [ $? != 0 ]; ok $? "and the interface was never touched (no XDP program)"
# root of a user namespace of its own has every capability there, none over the host's interfaces
if ip netns exec $NS runuser -u "$M" -- unshare -U -r true 2>/dev/null; then
	out=$(ip netns exec $NS runuser -u "$M" -- env UNETMAP_SOCKET="$UNETMAP_SOCKET" UNETMAP_NO_AUTOSTART=1 \
	    unshare -U -r timeout 20 "$PG" -i netmap:nx0 -f rx -n 1 -w 0 2>&1); rc=$?
	# (the library there refuses a daemon whose uid it cannot see; a raw client meets the daemon's refusal)
	[ $rc != 0 ] && echo "$out" | grep -Eq "nx0: taking a network interface needs CAP_NET_ADMIN|runs as uid 65534: refused" &&
	    ! ip -n $NS -d link show nx0 | grep -q xdp
	ok $? "nor as root of a user namespace of its own (unshare -U -r), the interface untouched (rc $rc)"
else
	echo "# unprivileged user namespaces are off here: the unshare -U -r check skipped"
fi
out=$(as "$M" timeout 20 "$PG" -i "netmap:lo{3" -f tx -n 1 -w 0 2>&1); rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "lives in memory region 1, where the network interfaces' frames are"
ok $? "nor open a pipe in the interfaces' memory region (rc $rc)"
"$B/tests/helpers/nicprobe" hold "vale$id:r" >$tmp/hold 2>&1 &
hp=$!
for i in $(seq 100); do grep -q ready $tmp/hold 2>/dev/null && break; sleep 0.05; done
out=$(as "$M" timeout 20 "$PG" -i "vale$id:r" -f rx -n 1 -w 0 2>&1); rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "belongs to uid 0"
ok $? "nor bind root's VALE port (rc $rc)"
kill $hp; wait $hp 2>/dev/null; hp=""

out=$(as "$M" timeout 20 "$B/bin/valectl" -a "vale$id:ny0" 2>&1); rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "changing switches .* needs CAP_NET_ADMIN"
ok $? "nor attach an interface to a switch (rc $rc)"
as "$M" timeout 20 "$B/bin/valectl" -l >/dev/null 2>&1; ok $? "but may list the switches"
out=$(as "$M" timeout 20 "$B/bin/nm-sysctl" buf_num=200000 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "parameters are set by root"
ok $? "and may read parameters but not set them (rc $rc)"
as "$M" timeout 20 "$B/bin/nm-sysctl" buf_size >/dev/null 2>&1; ok $? "(reading works)"

grep -qE 'AddressSanitizer|runtime error' $tmp/d.log; [ $? != 0 ]; ok $? "the daemon reported no sanitizer error"
echo "# done: $n checks, $failed failed"
[ $failed = 0 ]
