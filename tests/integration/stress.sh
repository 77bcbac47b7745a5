#!/usr/bin/env bash
# stress.sh - the fault campaigns of tests/stress/, short passes: the kill -9
# campaign (tests/stress/kill9.c) against a daemon of its own, whose
# descriptors it counts, then the interface give-back campaign
# (tests/stress/giveback.sh).  The long pass is tests/stress/run.sh.
#
#   STRESS_ITERATIONS (40)  kill -9 iterations (1 to 3 victims each)
#   GIVEBACK_ROUNDS (15)    interface rounds
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$HERE/../../build}
BUILD=$(cd "$BUILD" && pwd) || { echo "not ok 1 - no build directory"; exit 1; }
ITER=${STRESS_ITERATIONS:-40}
tmp=$(mktemp -d /tmp/unm-stress.XXXXXX)
dpid=""
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && { timeout 5 tail --pid="$dpid" -f /dev/null; kill -9 "$dpid" 2>/dev/null; }
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export UNETMAP_SOCKET=$tmp/d.sock UNETMAP_NO_AUTOSTART=1 UNETMAP_LOG=quiet
"$BUILD/bin/unetmapd" -f -s "$UNETMAP_SOCKET" -l "$tmp/d.log" 2>>"$tmp/d.log" &
dpid=$!
for i in $(seq 100); do [ -S "$UNETMAP_SOCKET" ] && break; sleep 0.05; done
timeout $((120 + ITER)) "$BUILD/tests/stress/kill9" -n "$ITER" -d "$dpid"
rc=$?
if ! kill -0 "$dpid" 2>/dev/null; then
	echo "not ok - the daemon died during the campaign"
fi
if grep -qE 'AddressSanitizer|runtime error' "$tmp/d.log"; then
	echo "not ok - the daemon reported a sanitizer error"
	grep -E 'AddressSanitizer|runtime error' -A10 "$tmp/d.log" | head -20 | sed 's/^/# /'
fi
kill "$dpid" 2>/dev/null; timeout 5 tail --pid="$dpid" -f /dev/null; dpid=""
[ $rc = 0 ] || exit $rc
# the give-back campaign numbers its checks after ours
"$HERE/../stress/giveback.sh" "${GIVEBACK_ROUNDS:-15}" | sed -E "s/^(not )?ok [0-9]+ - /\1ok - /"
exit "${PIPESTATUS[0]}"
