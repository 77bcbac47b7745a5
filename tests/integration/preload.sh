#!/usr/bin/env bash
# preload.sh - netmap programs as binaries built for netmap: linked with
# nothing of ours (libc, and libnetmap as the static archive netmap ships),
# run with LD_PRELOAD=libunetmap.so.  Each must pass all its own checks,
# exactly as its linked twin in tests/integration does.
set -u
B=${BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

lib=$B/lib/libunetmap.so
for p in "$B"/tests/preload/*; do
	[ -x "$p" ] || continue
	name=$(basename "$p")
	if nm "$p" 2>/dev/null | grep -q 'unm_dev_open' || ldd "$p" | grep -q unetmap; then
		ok 1 "$name: built without unetmap"
		continue
	fi
	pre=$lib
	# a sanitizer build needs its runtime first in the library list
	asan=$(ldd "$p" | awk '/libasan/ { print $3 }')
	[ -n "$asan" ] && pre="$asan:$lib"
	out=$(LD_PRELOAD=$pre timeout 120 "$p" 2>/dev/null)
	rc=$?
	good=$(echo "$out" | grep -c '^ok ')
	bad=$(echo "$out" | grep -c '^not ok ')
	echo "$out" | grep '^not ok' | sed "s/^/# $name: /"
	[ $rc = 0 ] && [ "$bad" = 0 ] && [ "$good" -gt 0 ] && echo "$out" | grep -q '^# done'
	ok $? "$name, unmodified, under LD_PRELOAD: $good checks passed, $bad failed"
done
echo "# done: $n checks, $failed failed"
