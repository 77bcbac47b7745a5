#!/usr/bin/env bash
# daemon.sh - unetmapd's life: started by the library on first use, it
# lets go of the caller's output and leaves once idle; SIGTERM stops it
# cleanly (socket removed) with bindings open; a second daemon on the
# same socket is refused; a user other than root and the daemon's own is
# refused with a clear error; a client refuses a daemon run by another
# user; a setuid program cannot be made to run anything as root.
set -u
B=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

tmp=$(mktemp -d /tmp/unm-daemon.XXXXXX)
chmod 755 "$tmp"
pids=""
cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	pkill -f "unetmapd --autostart --socket $tmp" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- autostart: a netmap program alone starts it; its output is not held
export UNETMAP_SOCKET=$tmp/auto.sock UNETMAP_DAEMON=$B/bin/unetmapd
unset UNETMAP_NO_AUTOSTART
out=$(timeout 30 "$B/tests/integration/pipe_raw" 2>&1 | cat)
echo "$out" | grep -q '^# done: 4 checks, 0 failed' ; ok $? "a netmap program runs with no daemon around (the library starts one)"
[ -S "$UNETMAP_SOCKET" ]; ok $? "the started daemon serves the socket"
# the pipe to 'cat' above was closed, or we would still be waiting: proof
# enough that the daemon dropped the program's stdout; and it goes away
gone=1
for i in $(seq 100); do
	pgrep -f "unetmapd --autostart --socket $UNETMAP_SOCKET" >/dev/null || { gone=0; break; }
	sleep 0.1
done
ok $gone "once idle, the autostarted daemon exits by itself"
[ ! -e "$UNETMAP_SOCKET" ]; ok $? "and removes its socket"

# --- SIGTERM with a binding open
export UNETMAP_SOCKET=$tmp/term.sock UNETMAP_NO_AUTOSTART=1
"$B/bin/unetmapd" -f -s "$UNETMAP_SOCKET" -l "$tmp/term.log" &
d=$!; pids="$pids $d"
for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done
"$B/bin/unetmapd" -f -s "$UNETMAP_SOCKET" 2>"$tmp/second.err"
[ $? != 0 ] && grep -q "another unetmapd serves" "$tmp/second.err"; ok $? "a second daemon on the same socket is refused"
timeout 20 "$B/tests/integration/poll_wait" >/dev/null 2>&1 &
w=$!; pids="$pids $w"
sleep 0.2
kill -TERM $d
st=1
for i in $(seq 100); do kill -0 $d 2>/dev/null || { wait $d; st=$?; break; }; sleep 0.05; done
ok $st "SIGTERM stops the daemon cleanly while clients are bound"
[ ! -e "$UNETMAP_SOCKET" ]; ok $? "its socket is gone"
grep -q "stopped" "$tmp/term.log"; ok $? "and it says so in its log"
kill -9 $w 2>/dev/null; wait $w 2>/dev/null

# --- a stop is no worse than a crash: traffic on a switch goes on after SIGTERM
export UNETMAP_SOCKET=$tmp/vt.sock UNETMAP_NO_AUTOSTART=1
"$B/bin/unetmapd" -f -s "$UNETMAP_SOCKET" -l "$tmp/vt.log" 2>>"$tmp/vt.log" &
d=$!; pids="$pids $d"
for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done
timeout --foreground 30 "$B/bin/pkt-gen" -f rx -i "vale$$:b" -n 20000 >"$tmp/vt.rx" 2>&1 &
rx=$!; pids="$pids $rx"
for i in $(seq 100); do grep -q "^Receiving from\|^Working on" "$tmp/vt.rx" && break; sleep 0.05; done
timeout --foreground 30 "$B/bin/pkt-gen" -f tx -i "vale$$:a" -n 20000 -R 10000 >"$tmp/vt.tx" 2>&1 &
tx=$!; pids="$pids $tx"
sleep 0.7
kill -TERM $d; wait $d; st=$?
ok $st "SIGTERM stops the daemon while two programs forward through a switch"
wait $tx; txst=$?
wait $rx; rxst=$?
got=$(grep -o '[0-9]* packets' "$tmp/vt.rx" | tail -1 | cut -d' ' -f1)
[ $txst = 0 ] && [ $rxst = 0 ] && [ "${got:-0}" = 20000 ]; ok $? "and the switch carried on, as after a crash: $got of 20000 frames arrived (exit $txst, $rxst)"

# --- out of descriptors: said once, and served again once a client leaves
export UNETMAP_SOCKET=$tmp/fd.sock UNETMAP_NO_AUTOSTART=1
( ulimit -n 40; exec "$B/bin/unetmapd" -f -s "$UNETMAP_SOCKET" -l "$tmp/fd.log" 2>>"$tmp/fd.log" ) &
d=$!; pids="$pids $d"
for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done
timeout 20 python3 - "$UNETMAP_SOCKET" <<'PY' &
import socket, sys, time
held = []
for i in range(60):	# more connections than the daemon has descriptors
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    held.append(s)
time.sleep(1.5)
PY
py=$!; pids="$pids $py"
for i in $(seq 100); do grep -q "out of descriptors" "$tmp/fd.log" && break; sleep 0.05; done
[ "$(grep -c 'out of descriptors' "$tmp/fd.log")" = 1 ]; ok $? "at its descriptor limit the daemon says so, once: $(grep -o 'out of descriptors.*leaves' "$tmp/fd.log")"
wait $py
out=$(timeout 20 "$B/tests/integration/pipe_raw" 2>&1)
echo "$out" | grep -q '^# done: 4 checks, 0 failed'; ok $? "once the clients left, it serves again"
grep -q "accepting clients" "$tmp/fd.log"; ok $? "and says so"
kill $d; wait $d 2>/dev/null

# --- credentials
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	"$B/bin/unetmapd" -f -s "$UNETMAP_SOCKET" -l "$tmp/cred.log" &
	d=$!; pids="$pids $d"
	for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done
	err=$(timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups \
		env UNETMAP_SOCKET="$UNETMAP_SOCKET" UNETMAP_NO_AUTOSTART=1 "$B/tests/integration/pipe_raw" 2>&1)
	echo "$err" | grep -q "refuses uid 65534"; ok $? "another user is refused, and told why"
	echo "$err" | grep -q "^ok " ; [ $? != 0 ]; ok $? "and gets nothing done"
	grep -q "refused pid" "$tmp/cred.log"; ok $? "the daemon logs the refusal"
	kill $d; wait $d 2>/dev/null

	# the client checks the daemon too: one run by another user is not ours to trust
	mkdir -m 777 "$tmp/other"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$B/bin/unetmapd" -f --no-nic \
		-s "$tmp/other/d.sock" -l "$tmp/other/d.log" 2>/dev/null &
	d=$!; pids="$pids $d"
	for i in $(seq 100); do [ -S "$tmp/other/d.sock" ] && break; sleep 0.05; done
	err=$(UNETMAP_SOCKET="$tmp/other/d.sock" timeout 20 "$B/tests/integration/pipe_raw" 2>&1)
	echo "$err" | grep -q "runs as uid 65534: refused"; ok $? "root does not use a daemon run by another user ($(echo "$err" | grep -o 'the unetmapd at.*refused' | head -1))"
	echo "$err" | grep -q "^ok " ; [ $? != 0 ]; ok $? "and gets nothing done through it"
	kill $d; wait $d 2>/dev/null

	# a setuid-root program's environment is its caller's: it chooses nothing run as root
	cp "$B/tests/helpers/setuid_probe" "$tmp/suid" && chown root:root "$tmp/suid" && chmod 4755 "$tmp/suid"
	printf '#!/bin/sh\ntouch %s/pwned\n' "$tmp" >"$tmp/evil.sh"; chmod 755 "$tmp/evil.sh"
	out=$(timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups env UNETMAP_DAEMON="$tmp/evil.sh" \
		UNETMAP_SOCKET="$tmp/nobody.sock" "$tmp/suid" 2>&1)
	echo "$out" | grep -q "euid 0, uid 65534"; ok $? "a setuid-root program linked with libunetmap ran as another user: $(echo "$out" | grep euid)"
	sleep 0.3
	[ ! -e "$tmp/pwned" ]; ok $? "and UNETMAP_DAEMON did not make it start that user's program as root"
	pkill -f "unetmapd --autostart --socket /run/unetmap" 2>/dev/null
else
	echo "# not root or no setpriv: credential checks skipped"
fi

echo "# done: $n checks, $failed failed"
