#!/usr/bin/env bash
# nm-dump.sh - nm-dump end to end: captures of pkt-gen traffic over a netmap
# pipe, a VALE port and a switch's interception point, read back with tcpdump -r and compared with what
# pkt-gen sent (count, lengths, every byte); filters, -c, -C rotation, the
# drop count, the text lines, bad input.
#
# Runs its own unetmapd on a private socket, bounds every wait with
# timeout, and kills everything it started on any exit.  TAP: "ok N - ...",
# "not ok N - ...", "# done" at the end.
#
#   BUILD=build-san tests/integration/nm-dump.sh
set -u

. "$(dirname "$0")/../lib/harness.sh"
harness_init nm-dump
PKTGEN=$BUILD/bin/pkt-gen
DUMP=$BUILD/bin/nm-dump
MADE_SW=""
cleanup_test() { [ -z "$MADE_SW" ] || "$BUILD/bin/valectl" -r "$MADE_SW" 2>/dev/null; }

needs_built "$PKTGEN" "$DUMP" "$BUILD/bin/unetmapd"
needs_commands tcpdump python3
TCPDUMP=$(command -v tcpdump)

private_daemon
ok $? "unetmapd listens on a private socket"

# ---------------------------------------------------------------- helpers
# (bg, ready, finish: tests/lib/harness.sh)

# capture TAG PORT-RX PORT-TX "DUMP ARGS" "TX ARGS": receiver, nm-dump,
# then pkt-gen tx; the receiver takes what is sent (-n in TX ARGS)
capture() {
	local tag=$1 rxp=$2 txp=$3 dargs=$4 txargs=$5 cnt
	cnt=$(echo "$txargs" | grep -o -- '-n [0-9]*' | grep -o '[0-9]*')
	bg "${tag}_rx" "$PKTGEN" -f rx -i "$rxp" -n "$cnt"
	ready "${tag}_rx" out "^Receiving from"
	# shellcheck disable=SC2086
	bg "${tag}_dump" "$DUMP" $dargs
	ready "${tag}_dump" err "^nm-dump: listening on"
	# shellcheck disable=SC2086
	bg "${tag}_tx" "$PKTGEN" -i "$txp" $txargs
	finish "${tag}_tx"
	finish "${tag}_rx"
}

# summary NAME WHAT: the number of "N frames WHAT" nm-dump printed at its end
summary() {
	grep -m 1 -o "^[0-9]* frames\? $2" "$TMP/$1.err" | grep -o '^[0-9]*'
}

# hex of every frame of a pcap file, one line each, as tcpdump -r prints them
pcap_hex() {
	"$TCPDUMP" -r "$1" -nn -xx 2>/dev/null | awk '
		/^[^ \t]/ { if (started) print h; h = ""; started = 1; next }
		/^[ \t]+0x/ { for (i = 2; i <= NF; i++) h = h $i }
		END { if (started) print h }'
}

# hex of every frame pkt-gen -X printed as sent
pktgen_hex() {
	awk '
		/^tx ring/ { if (started) print h; h = ""; started = 1; next }
		started && /^ *[0-9]+: / {
			for (i = 2; i <= 17 && $i ~ /^[0-9a-f][0-9a-f]$/; i++) h = h $i
		}
		/^Sent/ { if (started) print h; started = 0 }' "$1"
}

# ------------------------------------------------ a capture, read back by tcpdump
N=3000
capture a 'netmap:nda}1' 'netmap:nda{1' "-i netmap:nda}1 -r -c $N -w $TMP/a.pcap" \
	"-f txseq -n $N -l 100 -R 20000 -X"
finish a_dump
[ "$RC_a_dump" = 0 ] && [ "$RC_a_tx" = 0 ]
ok $? "-c $N -w: nm-dump stops by itself after $N frames, exit 0 (rc $RC_a_dump)"
[ "$(summary a_dump captured)" = "$N" ] && [ "$(summary a_dump 'dropped by the monitor')" = 0 ]
ok $? "it says $N frames captured, 0 dropped by the monitor"
"$TCPDUMP" -r "$TMP/a.pcap" -nn >"$TMP/a.txt" 2>"$TMP/a.tcpdump.err"
[ $? = 0 ] && [ "$(wc -l <"$TMP/a.txt")" = "$N" ]
ok $? "tcpdump -r reads the file: $N frames ($(wc -l <"$TMP/a.txt"))"
grep -q "link-type EN10MB (Ethernet), snapshot length 262144" "$TMP/a.tcpdump.err"
ok $? "an Ethernet pcap file with tcpdump's snapshot length"
pcap_hex "$TMP/a.pcap" >"$TMP/a.cap.hex"
pktgen_hex "$TMP/a_tx.out" >"$TMP/a.sent.hex"
[ "$(wc -l <"$TMP/a.sent.hex")" = "$N" ] && [ "$(awk '{ print length($0) / 2 }' "$TMP/a.cap.hex" | sort -u)" = 100 ]
ok $? "every frame captured is 100 bytes long, as sent"
cmp -s "$TMP/a.cap.hex" "$TMP/a.sent.hex"
ok $? "every byte of every frame, in order, is what pkt-gen sent"
[ "$(sed -n 1p "$TMP/a.cap.hex" | cut -c 85-92)" = 00000000 ] &&
	[ "$(sed -n "${N}p" "$TMP/a.cap.hex" | cut -c 85-92)" = "$(printf %08x $((N - 1)))" ]
ok $? "first and last frames carry txseq's numbers 0 and $((N - 1))"

# ------------------------------------------------ a VALE port, both sides, text lines
# pong answers what ping sends: its port receives 50 frames and sends 50
bg b_pong "$PKTGEN" -f pong -i "vale$$:b2" -n 50
ready b_pong out "^Receiving from\|^Working on"
bg b_dump "$DUMP" -i "vale$$:b2" -c 100
ready b_dump err "^nm-dump: listening on vale$$:b2/rt"
bg b_ping "$PKTGEN" -f ping -i "vale$$:b1" -n 50
finish b_ping; finish b_pong; finish b_dump
[ "$RC_b_dump" = 0 ] && [ "$(grep -c '^[0-9:.]* rx ' "$TMP/b_dump.out")" = 50 ] &&
	[ "$(grep -c '^[0-9:.]* tx ' "$TMP/b_dump.out")" = 50 ]
ok $? "a VALE port, /rt: the 50 frames it received and the 50 it sent ($(wc -l <"$TMP/b_dump.out") lines)"
grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} tx [0-9]+: ([0-9a-f]{2}:){5}[0-9a-f]{2} > ([0-9a-f]{2}:){5}[0-9a-f]{2}, IPv4 [0-9.]+\.[0-9]+ > [0-9.]+\.[0-9]+ UDP, length [0-9]+$' "$TMP/b_dump.out"
ok $? "a line: time, tx, length, MACs, IPv4 addresses and ports, UDP"
head -n 1 "$TMP/b_dump.out" | sed 's/^/# /'

bg c6_rx "$PKTGEN" -f rx -i 'netmap:ndc}1' -n 20
ready c6_rx out "^Receiving from"
bg c6_dump "$DUMP" -i 'netmap:ndc}1' -c 20
ready c6_dump err "^nm-dump: listening on"
bg c6_tx "$PKTGEN" -f tx -i 'netmap:ndc{1' -n 20 -6 -s '[fd00::1]:5000' -d '[fd00::2]:53' -l 80
finish c6_tx; finish c6_rx; finish c6_dump
grep -Eq ' rx 80: .*, IPv6 fd00::1\.5000 > fd00::2\.53 UDP, length 18$' "$TMP/c6_dump.out" &&
	[ "$(wc -l <"$TMP/c6_dump.out")" = 20 ]
ok $? "IPv6 frames decoded: addresses and ports"

# ------------------------------------------------ a switch's interception point
# valectl -n gives switch SW an interface; netmap:SW (held by nm-filter)
# sees every frame entering the switch; nm-dump watches it
SW="valend$$"
if "$BUILD/bin/valectl" -n "$SW" 2>"$TMP/sw.err"; then
	MADE_SW=$SW
	bg i_filter "$BUILD/bin/nm-filter" -i "netmap:$SW"
	ready i_filter err "^nm-filter: netmap:$SW"
	bg i_rx "$PKTGEN" -f rx -i "$SW:b" -n 20
	ready i_rx out "^Receiving from"
	bg i_dump "$DUMP" -i "netmap:$SW" -r -c 20 udp
	ready i_dump err "^nm-dump: listening on netmap:$SW/r"
	bg i_tx "$PKTGEN" -f tx -i "$SW:a" -n 20 -R 1000
	finish i_tx; finish i_rx; finish i_dump
	stop i_filter
	[ "$RC_i_dump" = 0 ] && [ "$(grep -c ' rx 60: .* UDP, length 18$' "$TMP/i_dump.out")" = 20 ]
	ok $? "the interception point netmap:$SW: the 20 UDP frames entering the switch"
	"$BUILD/bin/valectl" -r "$SW" 2>/dev/null && MADE_SW=""
else
	sed 's/^/# /' "$TMP/sw.err"
	ok 1 "valectl -n $SW (a switch's interface, for its interception point)"
fi

# ------------------------------------------------ filters
capture d 'netmap:ndd}1' 'netmap:ndd{1' "-i netmap:ndd}1 -w $TMP/d.pcap udp src port 1237" \
	"-f tx -n 1000 -R 20000 -s 10.0.0.1:1234-10.0.0.1:1243"
sleep 0.3
stop d_dump
[ "$RC_d_dump" = 0 ] && [ "$(summary d_dump captured)" = 100 ] &&
	[ "$(summary d_dump 'received by filter')" = 1000 ]
ok $? "'udp src port 1237' over ten source ports: 100 of 1000 frames (SIGINT: exit 0, rc $RC_d_dump)"
"$TCPDUMP" -r "$TMP/d.pcap" -nn 2>/dev/null >"$TMP/d.txt"
[ "$(wc -l <"$TMP/d.txt")" = 100 ] && [ "$(grep -c '10\.0\.0\.1\.1237 > ' "$TMP/d.txt")" = 100 ]
ok $? "the file has those 100, all from port 1237"
"$TCPDUMP" -r "$TMP/d.pcap" -nn 'not udp src port 1237' 2>/dev/null | grep -q .
[ $? = 1 ]
ok $? "tcpdump's own filter finds nothing else in it"

capture e 'netmap:nde}1' 'netmap:nde{1' "-i netmap:nde}1 ip6 or arp" "-f tx -n 300 -R 20000"
sleep 0.3
kill -TERM "$PID_e_dump"
finish e_dump
[ "$RC_e_dump" = 0 ] && [ "$(summary e_dump captured)" = 0 ] && [ "$(summary e_dump 'received by filter')" = 300 ] &&
	[ ! -s "$TMP/e_dump.out" ]
ok $? "'ip6 or arp' over IPv4 traffic: nothing captured of 300 (SIGTERM: exit 0)"

# ------------------------------------------------ -c
capture f 'netmap:ndf}1' 'netmap:ndf{1' "-i netmap:ndf}1 -c 100" "-f tx -n 5000 -R 20000"
finish f_dump
[ "$RC_f_dump" = 0 ] && [ "$(wc -l <"$TMP/f_dump.out")" = 100 ] && [ "$(summary f_dump captured)" = 100 ]
ok $? "-c 100 while 5000 are sent: 100 lines, exit 0"

# ------------------------------------------------ -C rotation
R=40000
capture g 'netmap:ndg}1' 'netmap:ndg{1' "-i netmap:ndg}1 -c $R -w $TMP/rot.pcap -C 1" \
	"-f tx -n $R -l 60 -R 50000"
finish g_dump
files=$(ls "$TMP"/rot.pcap* | wc -l)
[ "$RC_g_dump" = 0 ] && [ -f "$TMP/rot.pcap" ] && [ -f "$TMP/rot.pcap1" ] && [ -f "$TMP/rot.pcap2" ] &&
	[ -f "$TMP/rot.pcap3" ] && [ "$files" = 4 ]
ok $? "-C 1 with $R frames of 60 bytes (3 MB): rot.pcap, rot.pcap1, rot.pcap2, rot.pcap3 ($files files)"
total=0 sizes_ok=0
for f in "$TMP/rot.pcap" "$TMP/rot.pcap1" "$TMP/rot.pcap2" "$TMP/rot.pcap3"; do
	c=$("$TCPDUMP" -r "$f" -nn 2>/dev/null | wc -l)
	total=$((total + c))
	s=$(stat -c %s "$f" 2>/dev/null || echo 0)
	# all but the last: just past 1000000 bytes (the record that crossed it)
	if [ "$f" != "$TMP/rot.pcap3" ] && { [ "$s" -le 1000000 ] || [ "$s" -gt $((1000000 + 76)) ]; }; then
		sizes_ok=1
	fi
done
[ "$total" = "$R" ] && [ "$(summary g_dump 'dropped by the monitor')" = 0 ]
ok $? "tcpdump reads every file; together they hold all $R frames ($total)"
[ "$sizes_ok" = 0 ]
ok $? "each file but the last ends on the frame that took it past 10^6 bytes"

# ------------------------------------------------ drops
capture h 'netmap:ndh}1' 'netmap:ndh{1' "-i netmap:ndh}1 -w /dev/null" "-f tx -n 1000000 -l 60"
sleep 0.5
stop h_dump
cap=$(summary h_dump captured) drop=$(summary h_dump 'dropped by the monitor')
[ "$RC_h_dump" = 0 ] && [ -n "$cap" ] && [ -n "$drop" ] && [ $((cap + drop)) = 1000000 ]
ok $? "a million frames at full speed: captured + dropped by the monitor = 1000000 ($cap + $drop)"

# ------------------------------------------------ bad input
bad() {	# bad RC "what" ARGS...: exits RC with a message naming the problem
	local want=$1 what=$2
	shift 2
	timeout --foreground 10 "$DUMP" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err" </dev/null
	local rc=$?
	[ "$rc" = "$want" ] && grep -q "^nm-dump: " "$TMP/bad.err"
	ok $? "$what: exit $rc, $(grep -m 1 '^nm-dump: ' "$TMP/bad.err")"
}
bg z_rx "$PKTGEN" -f rx -i 'netmap:ndz}1'
ready z_rx out "^Receiving from"
bad 2 "a bad filter expression" -i 'netmap:ndz}1' udp port
grep -q 'bad filter expression "udp port"' "$TMP/bad.err"
ok $? "the message quotes the expression and libpcap's reason"
bad 2 "a filter of another link type's words" -i 'netmap:ndz}1' 'wlan type mgt'
bad 1 "a port nobody has open" -i 'netmap:nosuch}1'
bad 1 "a malformed port name" -i 'netmap:ndz}1/q'
bad 1 "a VALE switch name that cannot be" -i 'vale:x'
bad 2 "-r with a name that has its flags" -i 'netmap:ndz}1/t' -r
bad 2 "-C without -w" -i 'netmap:ndz}1' -C 1
bad 2 "-c 0" -i 'netmap:ndz}1' -c 0
bad 2 "-s not a number" -i 'netmap:ndz}1' -s 12x
bad 2 "-C not a size" -i 'netmap:ndz}1' -w "$TMP/x.pcap" -C -3
bad 2 "no port" udp
bad 1 "-w into a directory that does not exist" -i 'netmap:ndz}1' -w "$TMP/no/such/x.pcap"
stop z_rx
"$DUMP" -h >"$TMP/help.out" 2>&1
[ $? = 0 ] && grep -q "^usage: nm-dump" "$TMP/help.out"
ok $? "-h prints the usage and exits 0"

no_sanitizer_reports "$TMP"/*.err "$TMP/daemon.log"
tap_done
