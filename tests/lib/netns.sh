# tests/lib/netns.sh - what the shell tests of switches in network
# namespaces share (vale_nic.sh, vale_intercept.sh; vale_wrap.sh, which
# needs no namespace, its daemon).  Source it after setting B (the build)
# and tmp (the test's own directory):
#
#   ok STATUS TEXT           one TAP line; n and failed count them
#   needs_root_veth_nc       exits with a skip unless root, veth and nc are there
#   daemon_start             unetmapd on $tmp/d.sock, log $tmp/d.log; pid in dpid
#   daemon_stop              SIGTERM, bounded wait (SIGKILL after 5 s); 0 if it
#                            stopped by itself
#   alive PID                the process is there (and not a zombie)
#   workers                  the daemon's live netmap-bridge workers
#   netns_make NS...         namespaces with lo up and IPv6 off (no chatter)
#   ping_out NS ADDR [N]     ping's output (N echoes, 3 by default)
#   pings NS ADDR [N]        every echo answered
#   tcp_ok FROM TO ADDR [P]  1 MB over TCP from namespace FROM to TO's ADDR,
#                            port P (5001), compared at the far end
n=0 failed=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

needs_root_veth_nc() {
	if [ "$(id -u)" != 0 ] || ! ip link add nmchk$$ type veth peer name nmchk$$b 2>/dev/null; then
		echo "# needs root and veth: skipped"; echo "# done: 0 checks, 0 failed"; exit 0
	fi
	ip link del nmchk$$ 2>/dev/null
	command -v nc >/dev/null || { echo "# needs nc: skipped"; echo "# done: 0 checks, 0 failed"; exit 0; }
}

daemon_start() {
	export UNETMAP_SOCKET=$tmp/d.sock UNETMAP_NO_AUTOSTART=1
	"$B/bin/unetmapd" -f -v -s "$UNETMAP_SOCKET" -l "$tmp/d.log" 2>>"$tmp/d.log" &
	dpid=$!
	for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done
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
