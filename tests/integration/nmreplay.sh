#!/usr/bin/env bash
# nmreplay.sh - nmreplay end to end over netmap pipes and a VALE port: pcap
# files made here (python3) replayed, captured by nm-dump and read back
# with tcpdump: every frame intact and in order (also with added delay),
# passes, a requested rate met within 5% (measured from the timestamps of
# the frames received), loss statistics as asked, bad files and bad
# arguments refused with a message naming the problem.
#
# Runs its own unetmapd on a private socket, bounds every wait with
# timeout, and kills everything it started on any exit.  TAP: "ok N - ...",
# "not ok N - ...", "# done" at the end.
#
#   BUILD=build-san tests/integration/nmreplay.sh
set -u

. "$(dirname "$0")/../lib/harness.sh"
harness_init nmreplay
PKTGEN=$BUILD/bin/pkt-gen
DUMP=$BUILD/bin/nm-dump
REPLAY=$BUILD/bin/nmreplay

needs_built "$PKTGEN" "$DUMP" "$REPLAY" "$BUILD/bin/unetmapd"
needs_commands tcpdump python3
TCPDUMP=$(command -v tcpdump)

private_daemon
ok $? "unetmapd listens on a private socket"

# ---------------------------------------------------------------- helpers

# mkpcap OUT FRAMES SIZE GAP_US [MAGIC [LINKTYPE]]: Ethernet/IPv4/UDP frames,
# frame i numbered i in its IP id and payload; SIZE 0: 60..1459 bytes, varying
mkpcap() {
	python3 - "$@" <<'PY'
import struct, sys
out, n, size, gap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
magic = int(sys.argv[5], 16) if len(sys.argv) > 5 else 0xa1b2c3d4
link = int(sys.argv[6]) if len(sys.argv) > 6 else 1
frac = 1000 if magic == 0xa1b23c4d else 1
with open(out, 'wb') as f:
    f.write(struct.pack('<IHHiIII', magic, 2, 4, 0, 0, 65535, link))
    for i in range(n):
        l = size if size > 0 else 60 + (i * 37) % 1400
        eth = bytes.fromhex('020000000002020000000001') + b'\x08\x00'
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, l - 14, i & 0xffff, 0, 64, 17, 0,
                         bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
        udp = struct.pack('!HHHH', 1000 + i % 7, 2000, l - 34, 0)
        pay = struct.pack('!I', i) + bytes((i + k) & 0xff for k in range(l - 46))
        frame = (eth + ip + udp + pay)[:l]
        t = i * gap
        f.write(struct.pack('<IIII', 1700000000 + t // 1000000, (t % 1000000) * frac, l, l))
        f.write(frame)
PY
}

# (bg, ready, finish, stop: tests/lib/harness.sh)

# replay TAG PIPE COUNT "REPLAY ARGS": nmreplay ARGS into PIPE{1, pkt-gen
# rx out of PIPE}1, and nm-dump capturing the COUNT frames it receives into
# $TMP/TAG.pcap.  COUNT 0: an unknown number (losses), no capture, and
# nmreplay starts first (the pipe holds what it sends until the receiver
# comes), so that the receiver's -W (a second of silence ends it) starts
# with traffic
replay() {
	local tag=$1 pipe=$2 cnt=$3 args=$4
	if [ "$cnt" != 0 ]; then
		bg "${tag}_rx" "$PKTGEN" -f rx -i "netmap:$pipe}1" -n "$cnt"
		ready "${tag}_rx" out "^Receiving from"
		bg "${tag}_dump" "$DUMP" -i "netmap:$pipe}1" -r -c "$cnt" -w "$TMP/$tag.pcap"
		ready "${tag}_dump" err "^nm-dump: listening on"
		# shellcheck disable=SC2086
		bg "${tag}_tx" "$REPLAY" -i "netmap:$pipe{1" $args
		finish "${tag}_tx"
		finish "${tag}_rx"
		# nm-dump ends on -c, or here if some never came
		stop "${tag}_dump"
	else
		# shellcheck disable=SC2086
		bg "${tag}_tx" "$REPLAY" -i "netmap:$pipe{1" $args
		ready "${tag}_tx" err "replaying into"
		bg "${tag}_rx" "$PKTGEN" -f rx -i "netmap:$pipe}1" -W
		finish "${tag}_tx"
		finish "${tag}_rx"
	fi
}

# hex of every frame of a pcap file, one line each
pcap_hex() {
	"$TCPDUMP" -r "$1" -nn -xx 2>/dev/null | awk '
		/^[^ \t]/ { if (started) print h; h = ""; started = 1; next }
		/^[ \t]+0x/ { for (i = 2; i <= NF; i++) h = h $i }
		END { if (started) print h }'
}

field() {	# field FILE REGEX: the first number after REGEX
	grep -m 1 -o "$2 *[0-9][0-9]*" "$1" | grep -o '[0-9]*$'
}

# rate PCAP BYTES_PER_FRAME: bits per second between the first and the last
# frame's timestamps (the first frame's bits are not counted: it starts the clock)
rate() {
	"$TCPDUMP" -r "$1" -nn -tt --time-stamp-precision=nano 2>/dev/null |
		awk -v b="$2" 'NR == 1 { t0 = $1 } { t = $1; n++ }
			END { if (n > 1 && t > t0) printf "%.0f\n", (n - 1) * b * 8 / (t - t0); else print 0 }'
}

# within X LOW HIGH: LOW <= X <= HIGH (decimals)
within() {
	awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'
}

mkpcap "$TMP/mix.pcap" 1000 0 100
mkpcap "$TMP/k1000.pcap" 1000 1000 100
mkpcap "$TMP/s100.pcap" 1000 100 100
mkpcap "$TMP/real.pcap" 500 200 1000
mkpcap "$TMP/ns.pcap" 300 0 100 a1b23c4d
mkpcap "$TMP/raw.pcap" 10 100 100 a1b2c3d4 101
pcap_hex "$TMP/mix.pcap" >"$TMP/mix.hex"
[ "$(wc -l <"$TMP/mix.hex")" = 1000 ]
ok $? "test traces made (tcpdump reads them back)"

# ------------------------------------------------ intact and in order
replay a nra 1000 "-f $TMP/mix.pcap -n 1 -B 0"
[ "$RC_a_tx" = 0 ] && grep -q "^Sent 1000 frames 753100 bytes" "$TMP/a_tx.out"
ok $? "-n 1 -B 0: 1000 frames of 60..1459 bytes sent as fast as possible, exit 0"
grep -q "^Received 1000 packets 753100 bytes" "$TMP/a_rx.out"
ok $? "the receiver gets all 1000, every byte counted"
pcap_hex "$TMP/a.pcap" >"$TMP/a.hex"
cmp -s "$TMP/a.hex" "$TMP/mix.hex"
ok $? "captured by nm-dump: every frame, byte for byte, in the trace's order"

replay b nrb 3000 "-f $TMP/mix.pcap -n 3 -B 100M -b 1"
pcap_hex "$TMP/b.pcap" >"$TMP/b.hex"
cat "$TMP/mix.hex" "$TMP/mix.hex" "$TMP/mix.hex" | cmp -s - "$TMP/b.hex"
ok $? "-n 3 -b 1: the trace three times over, in order"

replay c nrc 3000 "-f $TMP/s100.pcap -n 3 -B 20M -D uniform,1ms,20ms"
pcap_hex "$TMP/s100.pcap" >"$TMP/s100.hex"
pcap_hex "$TMP/c.pcap" >"$TMP/c.hex"
cat "$TMP/s100.hex" "$TMP/s100.hex" "$TMP/s100.hex" | cmp -s - "$TMP/c.hex"
ok $? "-D uniform,1ms,20ms: delayed, never reordered (3000 frames in order)"

replay d nrd 2000 "-f $TMP/s100.pcap -n 2 -B 20M -D exp,5ms,1ms"
pcap_hex "$TMP/d.pcap" >"$TMP/d.hex"
cat "$TMP/s100.hex" "$TMP/s100.hex" | cmp -s - "$TMP/d.hex"
ok $? "-D exp,5ms,1ms: delayed, never reordered (2000 frames in order)"

replay e nre 300 "-f $TMP/ns.pcap -n 1 -B 0"
[ "$(pcap_hex "$TMP/e.pcap" | wc -l)" = 300 ]
ok $? "a nanosecond pcap file is read and replayed (300 frames)"

# ------------------------------------------------ rates
replay r nrr 7000 "-f $TMP/k1000.pcap -n 7 -B 20M"
got=$(rate "$TMP/r.pcap" 1000)
echo "# -B 20M: $got bit/s received"
[ "$(pcap_hex "$TMP/r.pcap" | wc -l)" = 7000 ] && within "$got" 19000000 21000000
ok $? "-B 20M over 2.8 s: the receiver sees $got bit/s, within 5% of 20 Mbit/s"

replay s nrs 4000 "-f $TMP/k1000.pcap -n 4 -B ether,20M"
got=$(rate "$TMP/s.pcap" 1024)
echo "# -B ether,20M: $got bit/s with framing"
within "$got" 19000000 21000000
ok $? "-B ether,20M: 24 bytes of framing counted per frame ($got bit/s with them)"

replay t nrt 1000 "-f $TMP/real.pcap -n 2 -B real,0.5"
got=$(rate "$TMP/t.pcap" 200)
echo "# -B real,0.5: $got bit/s (the trace: 1600000 bit/s, so 800000)"
within "$got" 760000 840000
ok $? "-B real,0.5: the trace's timestamps, half as fast ($got bit/s for 800000)"

# ------------------------------------------------ loss
loss() {	# loss TAG PIPE "ARGS" P: the receiver's loss ratio is P within 5 sigma of 20000
	local tag=$1 pipe=$2 args=$3 p=$4 rx lost judged
	replay "$tag" "$pipe" 0 "$args"
	rx=$(field "$TMP/${tag}_rx.out" '^Received')
	lost=$(sed -n 's/^Lost: \([0-9]*\) of \([0-9]*\) .*/\1/p' "$TMP/${tag}_tx.out")
	judged=$(sed -n 's/^Lost: \([0-9]*\) of \([0-9]*\) .*/\2/p' "$TMP/${tag}_tx.out")
	echo "# $args: $rx received of 20000, nmreplay says $lost lost of $judged"
	[ -n "$rx" ] && [ "$judged" = 20000 ] && [ $((rx + lost)) = 20000 ]
	ok $? "$args: nmreplay's count of losses is what the receiver misses ($lost)"
	within "$(awk -v r="$rx" 'BEGIN { print 1 - r / 20000 }')" \
		"$(awk -v p="$p" 'BEGIN { print p - 5 * sqrt(p * (1 - p) / 20000) }')" \
		"$(awk -v p="$p" 'BEGIN { print p + 5 * sqrt(p * (1 - p) / 20000) }')"
	ok $? "$args: the loss ratio is $p within 5 sigma ($(awk -v r="$rx" 'BEGIN { print 1 - r / 20000 }'))"
}
loss l1 nrl "-f $TMP/s100.pcap -n 20 -B 50M -L plr,0.1" 0.1
# 100-byte frames: 1 - (1 - 1e-4)^800
loss l2 nrm "-f $TMP/s100.pcap -n 20 -B 50M -L ber,0.0001" 0.076887

# ------------------------------------------------ a VALE port, and stopping
bg v_rx "$PKTGEN" -f rx -i "vale$$:b" -n 2000
ready v_rx out "^Receiving from"
bg v_tx "$REPLAY" -i "vale$$:a" -f "$TMP/mix.pcap" -n 2 -B 100M
finish v_tx; finish v_rx
[ "$RC_v_tx" = 0 ] && grep -q "^Received 2000 packets $((2 * 753100)) bytes" "$TMP/v_rx.out"
ok $? "into a VALE port: the other port receives both passes, every byte"

bg f_rx "$PKTGEN" -f rx -i 'netmap:nrf}1' -n 5000
ready f_rx out "^Receiving from"
bg f_tx "$REPLAY" -i 'netmap:nrf{1' -f "$TMP/s100.pcap" -B 10M
finish f_rx
kill -INT "$PID_f_tx"
finish f_tx
[ "$RC_f_tx" = 0 ] && grep -q "^Sent [0-9]* frames" "$TMP/f_tx.out" && [ "$RC_f_rx" = 0 ]
ok $? "with no -n it replays until SIGINT, then says what it sent and exits 0 ($(head -n 1 "$TMP/f_tx.out"))"

# ------------------------------------------------ bad input
bad() {	# bad RC "what" WORD ARGS...: exits RC with a message containing WORD
	local want=$1 what=$2 word=$3
	shift 3
	timeout --foreground 10 "$REPLAY" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err" </dev/null
	local rc=$?
	[ "$rc" = "$want" ] && grep "^nmreplay: " "$TMP/bad.err" | grep -qF -- "$word"
	ok $? "$what: exit $rc, $(grep -m 1 '^nmreplay: ' "$TMP/bad.err")"
}
head -c 5000 "$TMP/mix.pcap" >"$TMP/trunc.pcap"
bad 1 "a truncated file: its name and the offset of the cut record" "trunc.pcap: offset 4455 (frame 15): truncated" \
	-i 'netmap:nrz{1' -f "$TMP/trunc.pcap"
python3 - "$TMP/mix.pcap" "$TMP/corrupt.pcap" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
off = 24 + (16 + 60) + (16 + 97)          # the third record
d[off + 8:off + 12] = struct.pack('<I', 0x7fffffff)
open(sys.argv[2], 'wb').write(d)
PY
bad 1 "a record with an impossible length: the offset of that record" "corrupt.pcap: offset 213 (frame 3)" \
	-i 'netmap:nrz{1' -f "$TMP/corrupt.pcap"
printf 'this is not a pcap file at all' >"$TMP/text.pcap"
bad 1 "not a pcap file" "text.pcap: offset 0: not a pcap file" -i 'netmap:nrz{1' -f "$TMP/text.pcap"
head -c 24 "$TMP/mix.pcap" >"$TMP/empty.pcap"
bad 1 "a pcap file with no frames" "no frames" -i 'netmap:nrz{1' -f "$TMP/empty.pcap"
bad 1 "a link type other than Ethernet" "not Ethernet" -i 'netmap:nrz{1' -f "$TMP/raw.pcap"
bad 1 "a file that does not exist" "cannot open" -i 'netmap:nrz{1' -f "$TMP/nosuch.pcap"
bad 1 "a port that cannot be" "cannot open netmap:nrz{1/q" -i 'netmap:nrz{1/q' -f "$TMP/mix.pcap"
bad 2 "-B in no known form" "-B fast,1" -i 'netmap:nrz{1' -f "$TMP/mix.pcap" -B fast,1
bad 2 "-B real with a speedup of 0" "speedup" -i 'netmap:nrz{1' -f "$TMP/mix.pcap" -B real,0
bad 2 "-D uniform with dmin > dmax" "dmin <= dmax" -i 'netmap:nrz{1' -f "$TMP/mix.pcap" -D uniform,5ms,1ms
bad 2 "-B avg (tlem's token bucket, not netmap's nmreplay's)" "-B avg,1M: a bandwidth is" -i 'netmap:nrz{1' -f "$TMP/mix.pcap" -B avg,1M
bad 2 "-D inter-packet (tlem's, not netmap's nmreplay's)" "-D inter-packet,1ms,2ms,5ms: a delay is" -i 'netmap:nrz{1' -f "$TMP/mix.pcap" -D inter-packet,1ms,2ms,5ms
bad 2 "-D with a unit it does not know" "-D 3h" -i 'netmap:nrz{1' -f "$TMP/mix.pcap" -D 3h
bad 2 "-L above 1" "-L plr,1.5" -i 'netmap:nrz{1' -f "$TMP/mix.pcap" -L plr,1.5
bad 2 "-L of an unknown kind" "-L burst" -i 'netmap:nrz{1' -f "$TMP/mix.pcap" -L burst,0.1
bad 2 "-b 0" "-b 0" -i 'netmap:nrz{1' -f "$TMP/mix.pcap" -b 0
bad 2 "-C with three CPUs" "1, 2 or 4" -i 'netmap:nrz{1' -f "$TMP/mix.pcap" -C 0,1,0
bad 2 "-C with a CPU that is not there" "is not a CPU" -i 'netmap:nrz{1' -f "$TMP/mix.pcap" -C 4096
bad 2 "no -f" "no pcap file" -i 'netmap:nrz{1'
bad 2 "no -i" "no port" -f "$TMP/mix.pcap"
"$REPLAY" -h >"$TMP/help.out" 2>&1
[ $? = 0 ] && grep -q "^usage: nmreplay" "$TMP/help.out"
ok $? "-h prints the usage and exits 0"

no_sanitizer_reports "$TMP"/*.err "$TMP/daemon.log"
tap_done
