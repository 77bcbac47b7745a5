# tests/lib/netns.sh - what the shell tests of network interfaces and
# switches in network namespaces share (nic.sh, nic_offsets.sh, vale_nic.sh,
# vale_intercept.sh, doctor.sh; vale_wrap.sh, which needs no namespace, its
# daemon; tlem.sh's route mode).  Source it; daemon_start, tcp_ok and
# netns_cleanup want B (the build) and tmp (the test's own directory) set.
# It sources tests/lib/harness.sh (ok, diag and the rest):
#
#   ok STATUS TEXT           one TAP line; n and failed count them
#   needs_root_veth          exits with a skip unless root and veth are there
#   needs_root_veth_nc       the same, and nc
#   netns_test NAME NS...    tmp a new /tmp/unm-NAME.XXXXXX, pids and dpid
#                            empty; on any exit the test's cleanup_test (if
#                            it defines one), then netns_cleanup NS...
#   netns_cleanup NS...      kills (SIGKILL) what pids and dpid hold, reaps
#                            them, removes the namespaces NS and tmp
#   daemon_start             unetmapd on $tmp/d.sock, log $tmp/d.log; pid in dpid
#   daemon_stop              SIGTERM, bounded wait (SIGKILL after 5 s); 0 if it
#                            stopped by itself
#   alive PID                the process is there (and not a zombie)
#   workers                  the daemon's live netmap-bridge workers
#   netns_make NS...         namespaces with lo up and IPv6 off (no chatter)
#   veth_pair A B NSA NSB    a veth pair, A in NSA and B in NSB, both up, their
#                            checksums done by the sender (tx offload off)
#   await FILE WORD [N]      waits (N times 50 ms, 100) until FILE has a line
#                            matching WORD
#   released NS              waits (5 s at most) until netmap gave NS's
#                            interfaces back (no unmh TAP left in NS)
#   ping_out NS ADDR [N]     ping's output (N echoes, 3 by default)
#   pings NS ADDR [N]        every echo answered
#   tcp_ok FROM TO ADDR [P]  1 MB over TCP from namespace FROM to TO's ADDR,
#                            port P (5001), compared at the far end
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

needs_root_veth() {
	if [ "$(id -u)" != 0 ] || ! ip link add nmchk$$ type veth peer name nmchk$$b 2>/dev/null; then
		echo "# needs root and veth: skipped"; echo "# done: 0 checks, 0 failed"; exit 0
	fi
	ip link del nmchk$$ 2>/dev/null
}
needs_root_veth_nc() {
	needs_root_veth
	command -v nc >/dev/null || { echo "# needs nc: skipped"; echo "# done: 0 checks, 0 failed"; exit 0; }
}

netns_test() {
	tmp=$(mktemp -d "/tmp/unm-$1.XXXXXX") || { echo "not ok 1 - no temporary directory"; exit 1; }
	shift
	pids="" dpid="" NETNS_MADE="$*"
	trap 'if declare -F cleanup_test >/dev/null; then cleanup_test; fi; netns_cleanup $NETNS_MADE' EXIT
	trap 'exit 1' INT TERM
}
netns_cleanup() {
	local p ns
	for p in $pids $dpid; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in "$@"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$tmp"
}

daemon_start() {
	export UNETMAP_SOCKET=$tmp/d.sock UNETMAP_NO_AUTOSTART=1
	"$B/bin/unetmapd" -f -v -s "$UNETMAP_SOCKET" -l "$tmp/d.log" 2>>"$tmp/d.log" &
	dpid=$!
	await_socket "$UNETMAP_SOCKET"
}

daemon_stop() {
	kill "$dpid" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$dpid" 2>/dev/null || { wait "$dpid" 2>/dev/null; dpid=""; return 0; }
		sleep 0.05
	done
	kill -9 "$dpid"; wait "$dpid" 2>/dev/null; dpid=""; return 1
}

alive() { [ -e /proc/$1/stat ] && [ "$(cut -d' ' -f3 /proc/$1/stat 2>/dev/null)" != Z ]; }
workers() { for w in $(pgrep -P "$dpid" -x netmap-bridge); do alive "$w" && echo "$w"; done; }

netns_make() {
	for ns in "$@"; do
		ip netns add "$ns"; ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		    net.ipv6.conf.default.disable_ipv6=1
	done
}

veth_pair() {
	ip link add "$1" type veth peer name "$2"
	ip link set "$1" netns "$3"; ip link set "$2" netns "$4"
	ip -n "$3" link set "$1" up; ip -n "$4" link set "$2" up
	ip netns exec "$3" ethtool -K "$1" tx off >/dev/null 2>&1
	ip netns exec "$4" ethtool -K "$2" tx off >/dev/null 2>&1
}

await() {
	local i
	for i in $(seq "${3:-100}"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
released() {
	local i
	for i in $(seq 100); do ip -n "$1" link show | grep -q unmh || return 0; sleep 0.05; done
	return 1
}

ping_out() { ip netns exec "$1" ping -c "${3:-3}" -i 0.2 -W 2 "$2" 2>&1; }
pings() { ping_out "$@" | grep -q " 0% packet loss"; }

tcp_ok() {
	local l i
	head -c 1048576 /dev/urandom >"$tmp/blob"
	rm -f "$tmp/got"
	ip netns exec "$2" timeout --foreground 15 nc -l -p "${4:-5001}" >"$tmp/got" 2>/dev/null &
	l=$!
	sleep 0.3
	ip netns exec "$1" timeout --foreground 8 nc -N -w 3 "$3" "${4:-5001}" <"$tmp/blob" \
	    >/dev/null 2>&1
	# the listener ends with the connection; one that does not is stopped
	for i in $(seq 30); do kill -0 $l 2>/dev/null || break; sleep 0.1; done
	kill $l 2>/dev/null; wait $l 2>/dev/null
	cmp -s "$tmp/blob" "$tmp/got"
}
