#!/usr/bin/env bash
# bench/all.sh - every benchmark in turn, ROUNDS times (3 by default), and
# one markdown table of every figure and ratio they report ("result KEY
# VALUE" lines, bench/lib.sh's bench_result) with min, median and max over
# the rounds, headed by the machine's description, so that two runs on two
# machines can be compared.  Benchmarks, not tests: nothing passes or fails.
#
#   bench/all.sh [ROUNDS] [OUT.md]      (default 3, bench-results-DATE.md)
#   ONLY="pipe vale" bench/all.sh 1     some of them (names of bench/*.sh)
#
# Each script installs what it needs; a script that fails or reports
# nothing is said so in the table, not left out silently.
set -u
cd "$(dirname "$0")/.." || exit 2
ROUNDS=${1:-3}
OUT=${2:-bench-results-$(date +%Y%m%d-%H%M).md}
case "$ROUNDS" in ''|*[!0-9]*|0) echo "bench/all.sh: ROUNDS is a positive number, not '$ROUNDS'" >&2; exit 2 ;; esac
SCRIPTS=${ONLY:-pipe vale vale_nic nic preload lb dump kloop}
tmp=$(mktemp -d /tmp/unm-benchall.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

for s in $SCRIPTS; do
	[ -x "bench/$s.sh" ] || { echo "== $s: no bench/$s.sh, skipped"; echo "$s missing" >>"$tmp/notes"; continue; }
	for r in $(seq "$ROUNDS"); do
		echo "== $s, round $r of $ROUNDS"
		"bench/$s.sh" >"$tmp/$s.$r.log" 2>&1
		rc=$?
		grep '^result ' "$tmp/$s.$r.log" | sed "s/^result //" >>"$tmp/$s.results"
		n=$(grep -c '^result ' "$tmp/$s.$r.log")
		echo "   exit $rc, $n results"
		[ $rc != 0 ] && echo "$s round $r exited $rc: $(tail -n 3 "$tmp/$s.$r.log" | tr '\n' ' ' | cut -c1-200)" >>"$tmp/notes"
		[ "$n" = 0 ] && echo "$s round $r reported no result" >>"$tmp/notes"
	done
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
	echo "# unetmap benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- machine: ${cpu:-unknown CPU}, $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "- kernel: $(uname -r); $(systemd-detect-virt 2>/dev/null || echo "virtualisation unknown")"
	echo "- tree: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
	echo "- $ROUNDS round(s) of each; min / median / max over the rounds"
	echo
	echo "| benchmark | figure | min | median | max | rounds |"
	echo "|---|---|---:|---:|---:|---:|"
	for s in $SCRIPTS; do
		[ -s "$tmp/$s.results" ] || continue
		awk '{ print $1 }' "$tmp/$s.results" | awk '!seen[$0]++' | while read -r key; do
			awk -v k="$key" '$1 == k { print $2 }' "$tmp/$s.results" | sort -g |
			    awk -v s="$s" -v k="$key" '{ v[NR] = $1 } END {
				med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
				printf "| %s | %s | %s | %s | %s | %d |\n", s, k, v[1], med, v[NR], NR }'
		done
	done
	if [ -s "$tmp/notes" ]; then
		echo
		echo "Notes:"
		sed 's/^/- /' "$tmp/notes"
	fi
} >"$OUT"
cat "$OUT"
echo
echo "written to $OUT"
