#!/usr/bin/env bash
# manpages.sh - every page in docs/man renders with groff without a
# warning, and every tool has its page (the packages take them along).
# TAP: "ok N - ...", "not ok N - ...", "# done" at the end.
set -u
cd "$(dirname "$0")/../.." || exit 1

n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

if ! command -v groff >/dev/null; then
	echo "# skipped: groff is not installed (groff-base)"
	echo "# done"
	exit 0
fi
for f in docs/man/*.[0-9]; do
	out=$(timeout 30 groff -man -wall -z "$f" 2>&1)
	[ $? = 0 ] && [ -z "$out" ]
	ok $? "groff -man -wall -z $f: no warning"
	[ -z "$out" ] || echo "$out" | head -n 5 | sed 's/^/# /'
done
for t in tools/*/; do
	t=${t%/}
	t=${t#tools/}
	ls tools/"$t"/*.c >/dev/null 2>&1 || continue
	[ "$t" = common ] && continue	# code tools share, not a tool
	[ -f "docs/man/$t.8" ]
	ok $? "tool $t has its page, docs/man/$t.8"
done
for p in unetmapd.8 unetmap.7; do
	[ -f "docs/man/$p" ]
	ok $? "docs/man/$p exists"
done
echo "# done"
[ "$failed" = 0 ]
