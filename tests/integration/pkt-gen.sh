#!/usr/bin/env bash
# pkt-gen.sh - pkt-gen end to end, over netmap pipes, in separate processes.
#
# Runs its own unetmapd on a private socket, bounds every wait with
# timeout, and kills everything it started on any exit.  Speaks the
# suite's TAP dialect: "ok N - ...", "not ok N - ...", "# done" at the end.
#
#   BUILD=build-san tests/integration/pkt-gen.sh
set -u

. "$(dirname "$0")/../lib/harness.sh"
harness_init pkt-gen
PKTGEN=$BUILD/bin/pkt-gen
needs_built "$PKTGEN" "$BUILD/bin/unetmapd"

private_daemon
ok $? "unetmapd listens on a private socket"

# ---------------------------------------------------------------- helpers
# (bg, ready, finish, show: tests/lib/harness.sh)

# start NAME ARGS...: pkt-gen in the background (bg)
start() { bg "$1" "$PKTGEN" "${@:2}"; }

# pair TAG "RX ARGS" "TX ARGS": receiver first, then the sender; both finish
pair() {
	local tag=$1 rxargs=$2 txargs=$3
	# shellcheck disable=SC2086
	start "${tag}_rx" $rxargs
	ready "${tag}_rx" out "^Receiving from\|^Working on"
	# shellcheck disable=SC2086
	start "${tag}_tx" $txargs
	finish "${tag}_tx"
	finish "${tag}_rx"
}

# field FILE REGEX: the first number after REGEX in FILE
field() {
	grep -m 1 -o "$2 *[0-9][0-9]*" "$1" | grep -o '[0-9]*$'
}

# ------------------------------------------------------------- tx and rx
N=1000000
pair a "-f rx -i netmap:pga}1 -n $N" "-f tx -i netmap:pga{1 -n $N -l 60"
[ "$RC_a_tx" = 0 ] && [ "$RC_a_rx" = 0 ]
ok $? "tx and rx over a pipe exit 0"
[ "$(field "$TMP/a_rx.out" '^Received')" = "$N" ]
ok $? "rx counts exactly $N packets"
[ "$(field "$TMP/a_tx.out" '^Sent')" = "$N" ]
ok $? "tx reports $N packets sent"
grep -q "^Received $N packets $((N * 60)) bytes [0-9]* events 60 bytes each in" "$TMP/a_rx.out"
ok $? "rx summary has netmap's format and 60-byte frames"
grep -Eq '^Speed: [0-9.]+ [KMG]?pps Bandwidth: [0-9.]+ [KMGT]?bps \(raw [0-9.]+ [KMGT]?bps\)\. Average batch: [0-9.]+ pkts$' "$TMP/a_tx.out"
ok $? "tx prints the Speed: line"
grep "^Speed:" "$TMP/a_tx.out" | sed 's/^/# tx 60 B: /'
[ "$RC_a_tx" = 0 ] && [ "$RC_a_rx" = 0 ] || show a_tx.out a_tx.err a_rx.out a_rx.err

pair b "-f rx -i netmap:pgb}1 -n 100000" "-f tx -i netmap:pgb{1 -n 100000 -l 1514"
grep -q "^Received 100000 packets $((100000 * 1514)) bytes" "$TMP/b_rx.out"
ok $? "1514-byte frames: every byte counted"

# --------------------------------------------------------- txseq / rxseq
pair c "-f rxseq -i netmap:pgc}1 -n 200000" "-f txseq -i netmap:pgc{1 -n 200000"
grep -q "^rxseq: 200000 packets (seq 0..199999), 0 gaps (0 missing), 0 out of order, 0 fragment errors, 0 malformed" "$TMP/c_rx.out"
ok $? "txseq/rxseq over a pipe: 200000 in sequence, no errors"
[ "$RC_c_tx" = 0 ] && [ "$RC_c_rx" = 0 ] || show c_tx.out c_tx.err c_rx.out c_rx.err

pair d "-f rxseq -i netmap:pgd}1 -n 20000" "-f txseq -i netmap:pgd{1 -n 20000 -F 3 -l 1000 -l 100 -z"
grep -q "^rxseq: 20000 packets (seq 0..19999), 0 gaps (0 missing), 0 out of order, 0 fragment errors, 0 malformed" "$TMP/d_rx.out"
ok $? "txseq -F 3 with random sizes and sources: rxseq sees no errors"

# ------------------------------------------------------------ JSON lines
pair j "-f rx -i netmap:pgj}1 -n 100000 -J" "-f tx -i netmap:pgj{1 -n 100000 -J"
python3 -c '
import json, sys
for f, d in ((sys.argv[1], "rx"), (sys.argv[2], "tx")):
    lines = [json.loads(l) for l in open(f) if l.startswith("{")]
    s = [l for l in lines if l["type"] == "summary"]
    assert len(s) == 1 and s[0]["direction"] == d and s[0]["packets"] == 100000, s
    assert s[0]["bytes"] == 100000 * 60 and s[0]["pps"] > 0
' "$TMP/j_rx.out" "$TMP/j_tx.out"
ok $? "-J: the summaries are JSON lines a parser reads (100000 packets each way)"
[ "$RC_j_tx" = 0 ] && [ "$RC_j_rx" = 0 ] || show j_tx.out j_tx.err j_rx.out j_rx.err

# ------------------------------------------------------------ ping / pong
pair e "-f pong -i netmap:pge}1 -n 500" "-f ping -i netmap:pge{1 -n 500"
grep -q "^ping: 500 sent, 500 replies, 0 lost" "$TMP/e_tx.out"
ok $? "ping over a pipe: 500 replies to 500 pings"
grep -Eq "^RTT over 500 packets: min [0-9]+ av [0-9]+ max [0-9]+ ns" "$TMP/e_tx.out"
ok $? "ping reports RTT min/avg/max"
grep "^RTT" "$TMP/e_tx.out" | sed 's/^/# /'
[ "$(field "$TMP/e_rx.out" '^Sent')" = 500 ]
ok $? "pong answered 500"

pair f "-f pong -i netmap:pgf2{1 -i netmap:pgf1}1 -n 100" "-f ping -i netmap:pgf1{1 -i netmap:pgf2}1 -n 100"
grep -q "^ping: 100 sent, 100 replies, 0 lost" "$TMP/f_tx.out"
ok $? "ping/pong with two ports (-i twice): every reply back"

# ------------------------------------------------------------- fragments
pair g "-f rx -i netmap:pgg}1 -n 10 -X" "-f tx -i netmap:pgg{1 -n 10 -F 4 -l 200"
slots=$(grep -c "^rx ring" "$TMP/g_rx.out")
more=$(grep -c "^rx ring.*flags 0x0020" "$TMP/g_rx.out")
[ "$(field "$TMP/g_rx.out" '^Received')" = 10 ] && [ "$slots" = 40 ] && [ "$more" = 30 ]
ok $? "-F 4: 10 packets arrive as 40 slots, 30 with NS_MOREFRAG (got $slots, $more)"
grep -q "^Received 10 packets 2000 bytes" "$TMP/g_rx.out"
ok $? "-F 4: fragments add up to the frame size"

pair h "-f rx -i netmap:pgh}1 -n 1000" "-f tx -i netmap:pgh{1 -n 1000 -l 9000"
grep -q "^Received 1000 packets 9000000 bytes" "$TMP/h_rx.out"
ok $? "frames larger than a buffer go out as NS_MOREFRAG chains"

# ------------------------------------------------------------ rate, sizes
pair i "-f rx -i netmap:pgi}1 -n 6000" "-f tx -i netmap:pgi{1 -n 6000 -R 20000"
[ "$(field "$TMP/i_rx.out" '^Received')" = 6000 ] && [ "$RC_i_tx" = 0 ]
ok $? "-R 20000: completes and every packet counts"
grep "^Sent" "$TMP/i_tx.out" | sed 's/^/# -R 20000: /'

pair j "-f rx -i netmap:pgj}1 -n 20000" "-f tx -i netmap:pgj{1 -n 20000 -l 1000 -l 100"
each=$(field "$TMP/j_rx.out" 'events')
[ "$(field "$TMP/j_rx.out" '^Received')" = 20000 ] && [ "${each:-0}" -ge 100 ] && [ "${each:-0}" -lt 1000 ]
ok $? "-l 1000 -l 100: random sizes, average $each bytes"

# ------------------------------------------------------------ threads
pair k "-f rx -i netmap:pgk}1@conf:rings=2 -p 2 -n 400000" "-f tx -i netmap:pgk{1@conf:rings=2 -p 2 -n 400000"
[ "$(field "$TMP/k_rx.out" '^Received')" = 400000 ] && [ "$(field "$TMP/k_tx.out" '^Sent')" = 400000 ]
ok $? "-p 2: one ring per thread, every packet counted"
grep -q "2 queues, 2 threads" "$TMP/k_tx.out"
ok $? "-p 2: two threads on two rings"

pair l "-f rx -i netmap:pgl}1 -C 256,256,3 -n 30000" "-f tx -i netmap:pgl{1 -C 256,256,3 -p 3 -n 30000"
[ "$(field "$TMP/l_rx.out" '^Received')" = 30000 ] && grep -q "@conf:tx-slots=256,rx-slots=256,tx-rings=3,rx-rings=3" "$TMP/l_tx.err"
ok $? "-C translates to @conf (3 rings used by 3 threads)"

start m -f txseq -i netmap:pgm{1 -i netmap:pgm}1 -n 50000
finish m
grep -q "^rxseq: 50000 packets (seq 0..49999), 0 gaps" "$TMP/m.out" && [ "$RC_m" = 0 ]
ok $? "txseq with two ports checks its own sequence"

start n -f tx -i null -n 1000000
finish n
[ "$RC_n" = 0 ] && grep -q "^Sent 1000000 packets" "$TMP/n.out"
ok $? "-i null discards a million packets"

# ------------------------------------------------------------ stopping
start o -f rx -i 'netmap:pgo}1'
ready o out "^Receiving from"
start p -f tx -i 'netmap:pgo{1' -R 100000
sleep 1
kill -INT "$PID_p"
finish p
kill -TERM "$PID_o"
finish o
[ "$RC_p" = 0 ] && [ "$RC_o" = 0 ] && grep -q "^Speed:" "$TMP/p.out" && grep -q "^Speed:" "$TMP/o.out"
ok $? "SIGINT / SIGTERM stop tx and rx with the summary, exit 0 (rc $RC_p $RC_o)"

start q -f rx -i 'netmap:pgq}1' -W
finish q
[ "$RC_q" = 0 ] && grep -q "^Received nothing" "$TMP/q.out"
ok $? "-W: rx gives up after a second of silence"

# ------------------------------------------------------------ bad input
bad() {	# bad "what" ARGS...: must exit 2 with a message naming the problem
	local what=$1
	shift
	timeout --foreground 10 "$PKTGEN" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err" </dev/null
	local rc=$?
	[ "$rc" = 2 ] && grep -q "pkt-gen: " "$TMP/bad.err"
	ok $? "bad input exits 2 with a message: $what (rc $rc: $(head -n 1 "$TMP/bad.err"))"
}
bad "unknown function" -f bogus -i netmap:x{1
bad "size too small" -i netmap:x{1 -l 5
bad "unknown flag" -i netmap:x{1 -Q
bad "not a number" -i netmap:x{1 -n 12abc
bad "no port" -f tx
bad "virtio header length" -i netmap:x{1 -H 7
bad "too many fragments" -i netmap:x{1 -F 64
bad "bad address" -f tx -i netmap:x{1 -s 10.0.0.300
bad "bad MAC" -f tx -i netmap:x{1 -D 00:11:22
bad "stray argument" -i netmap:x{1 extra
bad "missing argument" -i netmap:x{1 -b
timeout --foreground 10 "$PKTGEN" -f rx -i netmap:nosuch$$ >"$TMP/nosuch.out" 2>"$TMP/nosuch.err" </dev/null
grep -q "^pkt-gen: cannot open netmap:nosuch$$: .* \[ENXIO\]; next: no such port here" "$TMP/nosuch.err"
ok $? "a port that is not there: the errno by name and the next step ($(grep '^pkt-gen' "$TMP/nosuch.err" | head -c 160))"
"$PKTGEN" -h >"$TMP/help.out" 2>&1
[ $? = 0 ] && grep -q "^usage: pkt-gen" "$TMP/help.out" && grep -q -- "-f function" "$TMP/help.out"
ok $? "-h prints the usage and exits 0"

no_sanitizer_reports "$TMP"/*.err "$TMP/daemon.log"
tap_done
