# tests/lib/harness.sh - what the shell tests share: TAP lines (every
# one; tests/lib/netns.sh sources this file) and, for the tests of the
# programs (pkt-gen.sh, nm-dump.sh, nmreplay.sh, tlem.sh, lb.sh,
# valectl.sh, packages.sh), the build, a private daemon, programs in the
# background under timeout with bounded waits, and one cleanup on every
# exit path.  Source it first:
#
#   ok STATUS TEXT           one TAP line; n and failed count them
#   diag FILE [LINES]        FILE's first LINES lines (20) as TAP comments
#   show NAME...             each $TMP/NAME's first 30 lines, under a title
#   tap_done                 "# done: N checks, M failed"; exit 1 if any failed
#   harness_init NAME        harness_build and harness_tmp NAME
#   harness_build            BUILD made absolute ($BUILD, else the tree's build/)
#   harness_tmp NAME         TMP a new /tmp/NAME-test.XXXXXX, PIDS and
#                            DAEMON_PID empty, no daemon autostart;
#                            harness_cleanup on any exit
#   needs_built FILE...      "not ok" and exit 1 unless every FILE is executable
#   needs_commands CMD...    the same unless every CMD is installed
#   private_daemon [ERR]     BUILD's unetmapd on $TMP/d.sock (log $TMP/daemon.log,
#                            its stderr to ERR, /dev/null), pid in DAEMON_PID;
#                            0 once its socket is there (5 s at most)
#   private_daemon_stop      SIGTERM to DAEMON_PID, 5 s, then SIGKILL
#   await_socket PATH        waits (5 s at most) until PATH is a socket
#   bg NAME PROG ARGS...     PROG under timeout (BG_TIMEOUT s, 60), output in
#                            $TMP/NAME.out and .err; pid in PID_NAME and PIDS
#   ready NAME FILE WORD [N] waits (N times 50 ms, 100) until $TMP/NAME.FILE
#                            shows WORD; if not, shows NAME's stderr, returns 1
#   finish NAME              waits for NAME (bg's timeout bounds it); its
#                            exit status in RC_NAME
#   stop NAME                SIGINT, then finish
#   no_sanitizer_reports FILE...  the check that no FILE holds a sanitizer's report
#
# harness_cleanup kills what PIDS holds (and their children), runs the test's own cleanup_test
# if it defines one (what it made in the daemon, namespaces, packages),
# stops DAEMON_PID and removes TMP (KEEP=1 keeps it).
#
# Every program of ours runs under "timeout --foreground": a signal sent to
# timeout, or its expiry, reaches the program alone; without it timeout
# adds a SIGCONT, which can hang the sanitizer build's exit-time leak
# check (see nic.sh).

n=0 failed=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
diag() { head -n "${2:-20}" "$1" 2>/dev/null | sed 's/^/# /'; }
show() { local f; for f in "$@"; do echo "# --- $f"; head -n 30 "$TMP/$f" 2>/dev/null | sed 's/^/# /'; done; }
tap_done() { echo "# done: $n checks, $failed failed"; exit $((failed > 0)); }

# a test that cannot run at all: one failure, and the end
harness_fail() { echo "not ok 1 - $1"; echo "# done: 1 checks, 1 failed"; exit 1; }

harness_init() { harness_build; harness_tmp "$1"; }
harness_build() {
	BUILD=${BUILD:-$(dirname "${BASH_SOURCE[0]}")/../../build}
	BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || harness_fail "no build directory"
}
harness_tmp() {
	TMP=$(mktemp -d "/tmp/$1-test.XXXXXX") || harness_fail "no temporary directory"
	PIDS=()
	DAEMON_PID=""
	export UNETMAP_NO_AUTOSTART=1
	trap harness_cleanup EXIT
	trap 'exit 130' INT TERM
}

harness_cleanup() {
	local p
	# the program under a timeout first: a timeout killed leaves it running
	for p in "${PIDS[@]}"; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = timeout ] && pkill -KILL -P "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	[ "${#PIDS[@]}" = 0 ] || wait "${PIDS[@]}" 2>/dev/null
	if declare -F cleanup_test >/dev/null; then cleanup_test; fi
	private_daemon_stop
	if [ -n "${KEEP:-}" ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}

needs_built() {
	local f
	for f in "$@"; do [ -x "$f" ] || harness_fail "$f is not built"; done
}
needs_commands() {
	local c
	for c in "$@"; do command -v "$c" >/dev/null || harness_fail "$* are needed (tests/run installs them)"; done
}

private_daemon() {
	export UNETMAP_SOCKET=$TMP/d.sock
	"$BUILD/bin/unetmapd" -f -s "$UNETMAP_SOCKET" -l "$TMP/daemon.log" 2>>"${1:-/dev/null}" &
	DAEMON_PID=$!
	await_socket "$UNETMAP_SOCKET"
}
await_socket() {
	local i
	for i in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done
	return 1
}
private_daemon_stop() {
	[ -n "$DAEMON_PID" ] || return 0
	kill "$DAEMON_PID" 2>/dev/null
	timeout 5 tail --pid="$DAEMON_PID" -f /dev/null 2>/dev/null
	kill -KILL "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=""
}

bg() {
	local name=$1
	shift
	timeout --foreground -k 2 "${BG_TIMEOUT:-60}" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null &
	PIDS+=($!)
	eval "PID_$name=$!"
}
ready() {
	local i
	for i in $(seq "${4:-100}"); do
		grep -q "$3" "$TMP/$1.$2" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "# $1 not ready:"; diag "$TMP/$1.err" 5
	return 1
}
finish() {
	local pid
	eval "pid=\$PID_$1"
	wait "$pid"
	eval "RC_$1=$?"
}
stop() {
	eval "kill -INT \$PID_$1" 2>/dev/null
	finish "$1"
}

no_sanitizer_reports() {
	if grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$@" 2>/dev/null; then
		grep -lE 'AddressSanitizer|runtime error|LeakSanitizer' "$@" 2>/dev/null |
		    head -3 | sed 's/^/# sanitizer report in /'
		ok 1 "no sanitizer reports"
	else
		ok 0 "no sanitizer reports"
	fi
}
