#!/usr/bin/env bash
# tests/fuzz/long.sh - every fuzz target for a given time each, one after
# the other, and a table of executions, speed and crashes at the end.
#
#   tests/fuzz/long.sh [SECONDS]        600 by default (make fuzz-long FUZZ_TIME=...)
#
# Each target starts from its corpus in tests/fuzz/corpus/<target> (copied:
# the tree is not written) with its dictionary when there is one.  A crash
# leaves its input in $OUT/<target>/ (OUT=/tmp/unetmap-fuzz by default) and
# the log beside it; the script exits 1 when any target crashed.
set -u
cd "$(dirname "$0")/../.." || exit 2
T=${1:-600}
case "$T" in ''|*[!0-9]*) echo "long.sh: SECONDS must be a number, not '$T'" >&2; exit 2 ;; esac
OUT=${OUT:-/tmp/unetmap-fuzz}
[ -d build-fuzz ] || { echo "long.sh: no build-fuzz/ (run make fuzz first)" >&2; exit 2; }
mkdir -p "$OUT"

rows="" bad=0
for f in build-fuzz/*; do
	[ -x "$f" ] && [ -f "$f" ] || continue
	name=$(basename "$f")
	dir="$OUT/$name"
	rm -rf "$dir"; mkdir -p "$dir/corpus"
	cp tests/fuzz/corpus/"$name"/* "$dir/corpus/" 2>/dev/null
	dict=()
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	echo "== $name for $T s"
	timeout -k 10 $((T + 120)) "$f" -max_total_time="$T" -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$dir/" "${dict[@]}" "$dir/corpus" >"$dir/log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
	crashes=$(find "$dir" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'leak-*' -o \
	    -maxdepth 1 -name 'timeout-*' -o -maxdepth 1 -name 'oom-*' | wc -l)
	if [ $rc != 0 ] || [ "$crashes" -gt 0 ]; then
		bad=1
		echo "   FAILED (exit $rc): see $dir/log"
		grep -E 'ERROR|SUMMARY|Test unit written' "$dir/log" | head -5 | sed 's/^/   | /'
	fi
	rows="$rows$(printf '| %-22s | %12s | %10s | %7s | %4s |' "$name" "${runs:-?}" "${speed:-?}" "$crashes" "$rc")
"
done
echo
echo "| target                 |   executions | exec/s     | crashes | exit |"
echo "|------------------------|--------------|------------|---------|------|"
printf '%s' "$rows"
exit $bad
