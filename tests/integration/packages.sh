#!/usr/bin/env bash
# packages.sh - the Debian packages end to end: built from a copy of the
# tree (contrib/make-deb), checked by lintian, installed, installed again
# (an upgrade), used from the installed paths only (a netmap program built
# with pkg-config against /usr, pkt-gen over a pipe and valectl on a
# switch against the installed daemon on a private socket, the unit's
# ExecStart, systemd-analyze verify), then purged: nothing may be left.
#
# Needs root and the build dependencies (tests/run installs them); skips
# otherwise, and when unetmap's packages or files are already installed.
# Purges on every exit path and bounds every wait with timeout (it takes
# about 40 s on 2 cores; only several hangs at once would reach the
# suite's 600 s).  TAP: "ok N - ...", "not ok N - ...", "# done" at the end.
set -u

. "$(dirname "$0")/../lib/harness.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PKGS="libunetmap0 libunetmap-dev unetmapd unetmap-tools"
export DEBIAN_FRONTEND=noninteractive
APT="timeout 150 apt-get -o DPkg::Lock::Timeout=120 -y -q"

skip() { echo "# skipped: $*"; echo "# done"; exit 0; }

[ "$(id -u)" = 0 ] || skip "not root (the packages are installed and purged)"
case "${BUILD:-build}" in
*build-san*|*build-fuzz*) skip "the packages are tested once, with the plain build" ;;
esac
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$s" in ""|*not-installed) ;; *) skip "$p is installed already ($s): not ours to purge" ;; esac
done
command -v dpkg-buildpackage >/dev/null && (cd "$ROOT" && dpkg-checkbuilddeps) >/dev/null 2>&1 ||
	skip "the build dependencies are missing (tests/run installs them; or apt-get build-dep $ROOT)"

harness_tmp packages
SOCK=$TMP/d.sock
INSTALLED=0
group_before=$(getent group netmap >/dev/null && echo yes || echo no)
run_before=$([ -e /run/unetmap ] && echo yes || echo no)

purge() {	# apt, else dpkg (a half-installed state apt refuses to touch)
	$APT purge $PKGS >"$TMP/purge.log" 2>&1 ||
	    { timeout 120 dpkg --purge $PKGS >>"$TMP/purge.log" 2>&1; return 1; }
}
# the daemon (the installed one) stops before the packages go
cleanup_test() {
	private_daemon_stop
	[ "$INSTALLED" = 1 ] && purge
}
bail() { echo "# done"; exit 1; }

# ----------------------------------------------------------------- build
t0=$(date +%s)
DEB_OUT=$TMP/debs timeout 300 "$ROOT/contrib/make-deb" >"$TMP/make-deb.out" 2>"$TMP/make-deb.err"
rc=$?
DEBS=()
for p in $PKGS; do
	f=$(ls "$TMP"/debs/"${p}"_*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] && DEBS+=("$f")
done
[ "$rc" = 0 ] && [ "${#DEBS[@]}" = 4 ]
ok $? "make deb builds the four packages from a copy of the tree ($(($(date +%s) - t0)) s, rc $rc)"
[ "${#DEBS[@]}" = 4 ] || { diag "$TMP/make-deb.err" 40; bail; }
ls "$TMP"/debs | sed 's/^/# /'

# what the packages hold: every path, and which files
for d in "${DEBS[@]}"; do dpkg-deb --fsys-tarfile "$d" | tar -tf -; done | sed 's|^\./|/|; s|/$||' |
    grep -v '^$' | sort -u >"$TMP/paths"
for d in "${DEBS[@]}"; do dpkg-deb --fsys-tarfile "$d" | tar -tvf -; done |
    awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./|/|' | sort -u >"$TMP/files"
there=$(while read -r f; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done <"$TMP/files")
[ -z "$there" ] || skip "files of the packages exist already (installed by hand?): $(echo $there | head -c 200)"

for d in "${DEBS[@]}"; do dpkg-deb -f "$d" Package Version Depends | tr '\n' ' ' | sed 's/^/# /'; echo; done

# ----------------------------------------------------------------- lintian
if command -v lintian >/dev/null; then
	timeout 120 lintian --tag-display-limit 0 "${DEBS[@]}" >"$TMP/lintian.out" 2>&1
	grep -E '^E: ' "$TMP/lintian.out" >"$TMP/lintian.err"
	[ ! -s "$TMP/lintian.err" ]
	ok $? "lintian: no errors ($(grep -c '^W: ' "$TMP/lintian.out") warnings, $(grep -c '^I: ' "$TMP/lintian.out") info tags)"
	diag "$TMP/lintian.err"
	grep -E '^W: ' "$TMP/lintian.out" | head -n 10 | sed 's/^/# /'
else
	echo "# lintian is not installed: not run"
fi

# the SONAME, the links, the headers and pkg-config files where they belong
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
L=/usr/lib/$MA
for i in 0 1; do dpkg-deb -c "${DEBS[$i]}" >"$TMP/list$i"; done
grep -q " \./usr/lib/$MA/libunetmap.so.0$" "$TMP/list0"
ok $? "libunetmap0 holds $L/libunetmap.so.0"
for f in "$L/libunetmap.so" "$L/libnetmap.so" "$L/libunetmap.a" "$L/libnetmap.a" \
    "$L/pkgconfig/netmap.pc" "$L/pkgconfig/unetmap.pc" /usr/include/net/netmap.h \
    /usr/include/net/netmap_user.h /usr/include/libnetmap.h /usr/include/unetmap.h; do
	grep -q " \.$f\( ->.*\)\?$" "$TMP/list1" || echo "$f" >>"$TMP/devmissing"
done
[ ! -s "$TMP/devmissing" ]
ok $? "libunetmap-dev holds the links, archives, headers and pkg-config files ($(cat "$TMP/devmissing" 2>/dev/null | tr '\n' ' '))"

# ----------------------------------------------------------------- install
INSTALLED=1
$APT install --no-install-recommends "${DEBS[@]}" >"$TMP/install.log" 2>&1
rc=$?
st=$(for p in $PKGS; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null; done | grep -c "install ok installed")
[ "$rc" = 0 ] && [ "$st" = 4 ]
ok $? "apt-get install of the four .deb files (rc $rc, $st installed)"
[ "$st" = 4 ] || { diag "$TMP/install.log" 30; bail; }

readelf -d "$L/libunetmap.so.0" 2>/dev/null | grep -q 'SONAME.*\[libunetmap.so.0\]'
ok $? "the installed library's SONAME is libunetmap.so.0"
[ -L /etc/systemd/system/multi-user.target.wants/unetmapd.service ]
ok $? "the service is enabled (multi-user.target.wants)"
dpkg-query -W -f='${Conffiles}\n' unetmapd | grep -q '^ /etc/unetmap/unetmapd.conf '
ok $? "/etc/unetmap/unetmapd.conf is a conffile"

getent group netmap >/dev/null; ok $? "the daemon's package made group netmap (use without root)"

# every parameter in the default configuration, commented out
timeout 10 /usr/sbin/unetmapd -f -s "$SOCK" -l "$TMP/daemon.log" 2>>"$TMP/daemon.log" &
DAEMON_PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
export UNETMAP_SOCKET=$SOCK UNETMAP_NO_AUTOSTART=1
unset UNETMAP_DAEMON
timeout 10 /usr/bin/nm-sysctl -a >"$TMP/params" 2>&1
names=$(sed -n 's/^\([a-z_]*\) = .*/\1/p' "$TMP/params")
miss=""
for p in $names; do grep -q "^#$p = " /etc/unetmap/unetmapd.conf || miss="$miss $p"; done
[ -n "$names" ] && [ -z "$miss" ] && ! grep -qv '^\(#.*\)\?$' /etc/unetmap/unetmapd.conf
ok $? "the default unetmapd.conf lists every parameter ($(echo $names | wc -w)), all commented out (missing:${miss:- none})"
private_daemon_stop

# an upgrade: the same packages again, with the conffile changed by its user
echo "# changed by packages.sh" >>/etc/unetmap/unetmapd.conf
$APT install --reinstall --no-install-recommends -o Dpkg::Options::=--force-confold "${DEBS[@]}" \
    >"$TMP/reinstall.log" 2>&1
rc=$?
st=$(for p in $PKGS; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null; done | grep -c "install ok installed")
[ "$rc" = 0 ] && [ "$st" = 4 ] && grep -q "^# changed by packages.sh" /etc/unetmap/unetmapd.conf &&
    ! ls /etc/unetmap/*.dpkg-* >/dev/null 2>&1
ok $? "installed again (an upgrade): the changed conffile kept, no .dpkg-* beside it (rc $rc)"
[ "$rc" = 0 ] || diag "$TMP/reinstall.log" 30

# ----------------------------------------------------------------- smoke test
timeout 60 /usr/sbin/unetmapd -f -s "$SOCK" -l "$TMP/daemon.log" 2>>"$TMP/daemon.log" &
DAEMON_PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ]
ok $? "the installed unetmapd listens on a private socket"

# a netmap program as FreeBSD's are written (the legacy nm_open of
# netmap_user.h, and libnetmap), built in an empty directory
mkdir -p "$TMP/prog"
cat >"$TMP/prog/prog.c" <<'PROG'
#include <poll.h>
#include <stdio.h>
#include <string.h>
#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>
#ifdef WITH_LIBNETMAP
#include <libnetmap.h>
#endif
#ifdef WITH_UNETMAP
#include <unetmap.h>
#endif

int
main(int argc, char **argv)
{
	char tx[64], rx[64], frame[60];
	struct nm_desc *a, *b;
	struct nm_pkthdr h;
	struct pollfd pfd;
	const unsigned char *p;
	int got = 0;

	snprintf(tx, sizeof(tx), "netmap:%s{1", argv[1]);
	snprintf(rx, sizeof(rx), "netmap:%s}1", argv[1]);
	memset(frame, 0x5a, sizeof(frame));
	a = nm_open(tx, NULL, 0, NULL);
	b = nm_open(rx, NULL, 0, NULL);
	if (!a || !b) {
		perror("nm_open");
		return 1;
	}
	for (int i = 0; i < 10; i++)
		if (nm_inject(a, frame, sizeof(frame)) != sizeof(frame))
			return 2;
	ioctl(a->fd, NIOCTXSYNC, NULL);
	pfd.fd = b->fd;
	pfd.events = POLLIN;
	while (got < 10 && poll(&pfd, 1, 2000) > 0)
		while ((p = nm_nextpkt(b, &h)) != NULL)
			got += h.len == sizeof(frame) && p[59] == 0x5a;
	printf("received %d\n", got);
#ifdef WITH_LIBNETMAP
	{
		struct nmport_d *d = nmport_open("netmap:pkgl{3");

		printf("nmport_open %s\n", d ? "ok" : "failed");
		if (d)
			nmport_close(d);
	}
#endif
#ifdef WITH_UNETMAP
	{
		char buf[108];

		printf("socket %s\n", unetmap_socket_path(buf, sizeof(buf)));
	}
#endif
	nm_close(a);
	nm_close(b);
	return got == 10 ? 0 : 3;
}
PROG
cd "$TMP/prog" || bail
timeout 60 cc -o prog_netmap prog.c -DWITH_LIBNETMAP $(pkg-config --cflags --libs netmap) >"$TMP/cc1.log" 2>&1
ok $? "cc prog.c \$(pkg-config --cflags --libs netmap) builds ($(pkg-config --libs netmap))"
diag "$TMP/cc1.log"
so=$(ldd ./prog_netmap 2>/dev/null | sed -n 's/^[[:space:]]*libunetmap.so.0 => \([^ ]*\).*/\1/p')
[ -n "$so" ] && [ "$(readlink -f "$so")" = "$(readlink -f "$L/libunetmap.so.0")" ]
ok $? "it loads the installed libunetmap.so.0 ($so)"
timeout 20 ./prog_netmap pkga >"$TMP/run1.out" 2>&1
[ $? = 0 ] && grep -qx "received 10" "$TMP/run1.out" && grep -qx "nmport_open ok" "$TMP/run1.out"
ok $? "it moves 10 frames over a pipe (nm_open) and opens a port with nmport_open"
diag "$TMP/run1.out"

timeout 60 cc -o prog_unetmap prog.c -DWITH_UNETMAP $(pkg-config --cflags --libs unetmap) >"$TMP/cc2.log" 2>&1 &&
    timeout 20 ./prog_unetmap pkgb >"$TMP/run2.out" 2>&1 && grep -qx "socket $SOCK" "$TMP/run2.out"
ok $? "with pkg-config unetmap (-lunetmap, unetmap.h) too"
diag "$TMP/cc2.log"

timeout 60 cc -o prog_static prog.c -DWITH_LIBNETMAP $(pkg-config --cflags netmap) "$L/libnetmap.a" \
    $(pkg-config --static --libs netmap | sed 's/-L[^ ]*//g; s/-lnetmap//') >"$TMP/cc3.log" 2>&1 &&
    ! ldd ./prog_static | grep -q libunetmap && timeout 20 ./prog_static pkgc >"$TMP/run3.out" 2>&1
ok $? "linked with the static libnetmap.a, it runs too"
diag "$TMP/cc3.log"

# built as for netmap (its headers only: nm_open is in netmap_user.h),
# run with the library preloaded
timeout 60 cc -o prog_plain prog.c $(pkg-config --cflags netmap) >"$TMP/cc4.log" 2>&1 &&
    ! ldd ./prog_plain | grep -q netmap &&
    LD_PRELOAD=$L/libunetmap.so.0 timeout 20 ./prog_plain pkgd >"$TMP/run4.out" 2>&1 &&
    grep -qx "received 10" "$TMP/run4.out"
ok $? "a program built with the headers alone runs with LD_PRELOAD=$L/libunetmap.so.0"
diag "$TMP/run4.out"
cd "$TMP" || bail

# pkt-gen over a pipe
bg rx /usr/bin/pkt-gen -f rx -i 'netmap:pkgp}1' -n 100000
ready rx out "^Receiving from\|^Working on"
timeout --foreground -k 2 60 /usr/bin/pkt-gen -f tx -i 'netmap:pkgp{1' -n 100000 -l 60 >"$TMP/tx.out" 2>"$TMP/tx.err"
rctx=$?
finish rx
rcrx=$RC_rx
[ "$rctx" = 0 ] && [ "$rcrx" = 0 ] && grep -q "^Received 100000 packets 6000000 bytes" "$TMP/rx.out"
ok $? "/usr/bin/pkt-gen: 100000 frames over a pipe, every one received (rc $rctx $rcrx)"
grep "^Speed:" "$TMP/tx.out" | sed 's/^/# /'

# valectl on a switch: a persistent port, attached, listed, detached, removed
V=/usr/bin/valectl
timeout 10 $V -n pkgv0 >"$TMP/v1" 2>&1 &&
    timeout 10 $V -a valepkg:pkgv0 >>"$TMP/v1" 2>&1 &&
    timeout 10 $V -l valepkg >"$TMP/vl" 2>&1 && grep -q "valepkg:pkgv0" "$TMP/vl" &&
    timeout 10 $V -d valepkg:pkgv0 >>"$TMP/v1" 2>&1 &&
    timeout 10 $V -r pkgv0 >>"$TMP/v1" 2>&1
ok $? "/usr/bin/valectl: a port made, attached to valepkg, listed, detached, removed"
diag "$TMP/v1"; diag "$TMP/vl" 5

kill "$DAEMON_PID" 2>/dev/null
timeout 5 tail --pid="$DAEMON_PID" -f /dev/null
wait "$DAEMON_PID"
ok $? "the daemon stops on SIGTERM, exit 0"
DAEMON_PID=""

# the man pages: in the packages, and found by man (unless dpkg was told
# to leave /usr/share/man out, as minimal images do)
miss=""
for p in unetmapd:/usr/share/man/man8/unetmapd.8.gz unetmapd:/usr/share/man/man7/unetmap.7.gz \
    $(dpkg -L unetmap-tools | sed -n 's|^/usr/bin/\(.*\)|unetmap-tools:/usr/share/man/man8/\1.8.gz|p'); do
	dpkg -L "${p%%:*}" | grep -qx "${p#*:}" || { miss="$miss ${p#*:}"; continue; }
	if [ -e "${p#*:}" ] && command -v man >/dev/null; then
		pg=${p##*/}
		pg=${pg%.gz}
		man -w "${pg##*.}" "${pg%.*}" >/dev/null 2>&1 || miss="$miss man:$pg"
	fi
done
[ -z "$miss" ]
ok $? "unetmapd(8), unetmap(7) and every tool's page are installed where man finds them (missing:${miss:- none})"

# the unit: its ExecStart, on a private socket, and systemd-analyze verify
U=/lib/systemd/system/unetmapd.service
exec_start=$(sed -n 's/^ExecStart=//p' "$U")
bin=${exec_start%% *}
[ "$bin" = /usr/sbin/unetmapd ] && [ -x "$bin" ]
ok $? "the unit's ExecStart runs the installed daemon ($exec_start)"
# shellcheck disable=SC2086
set -- $exec_start
args=()
while [ $# -gt 0 ]; do
	case "$1" in --socket|-s) shift; args+=(--socket "$TMP/unit.sock") ;; *) args+=("$1") ;; esac
	shift
done
timeout 20 "${args[@]}" >"$TMP/unit.log" 2>&1 &
UP=$!
PIDS+=($UP)
for _ in $(seq 100); do [ -S "$TMP/unit.sock" ] && break; sleep 0.05; done
UNETMAP_SOCKET=$TMP/unit.sock timeout 10 /usr/bin/nm-sysctl buf_size >"$TMP/unit.q" 2>&1
q=$?
kill "$UP" 2>/dev/null
wait "$UP"
rcu=$?
[ "$q" = 0 ] && [ "$rcu" = 0 ]
ok $? "the unit's command line serves requests and stops on SIGTERM (${args[*]})"
diag "$TMP/unit.log" 5
if command -v systemd-analyze >/dev/null; then
	timeout 60 systemd-analyze verify "$U" >"$TMP/verify.log" 2>&1
	rc=$?
	[ "$rc" = 0 ] && ! grep -qi "unetmapd.service" "$TMP/verify.log"
	ok $? "systemd-analyze verify $U: no complaint about the unit (rc $rc)"
	diag "$TMP/verify.log" 10
else
	echo "# systemd-analyze is not installed: the unit's ExecStart above is the check"
fi

# ----------------------------------------------------------------- purge
# what a stopped service leaves (RuntimeDirectoryPreserve): the purge removes it
if [ "$run_before" = no ]; then
	mkdir -p /run/unetmap && : >/run/unetmap/unetmapd.sock.lock
fi
purge
rc=$?
INSTALLED=0
st=$(for p in $PKGS; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null; done | grep -vc "not-installed")
[ "$rc" = 0 ] && [ "$st" = 0 ]
ok $? "apt-get purge of the four packages (rc $rc)"
[ "$rc" = 0 ] || diag "$TMP/purge.log" 30

left=$(while read -r f; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done <"$TMP/files")
[ -z "$left" ]
ok $? "no file of the packages is left ($(echo $left | head -c 300))"
left=$(ls -d /etc/unetmap $(for p in $PKGS; do echo "/usr/share/doc/$p"; done) 2>/dev/null)
[ -z "$left" ]
ok $? "their directories are gone: /etc/unetmap, /usr/share/doc/<package> ($left)"
left=$(ls -d /etc/systemd/system/*/unetmapd.service /etc/systemd/system/unetmapd.service \
    /var/lib/systemd/deb-systemd-helper-enabled/unetmapd.service* \
    /var/lib/systemd/deb-systemd-helper-enabled/*/unetmapd.service \
    /var/lib/systemd/deb-systemd-helper-masked/unetmapd.service 2>/dev/null)
[ -z "$left" ]
ok $? "the service is gone: no enablement link or state left ($left)"
procs=""
for p in $(pgrep -x unetmapd); do
	case "$(readlink "/proc/$p/exe" 2>/dev/null)" in /usr/sbin/unetmapd*) procs="$procs $p" ;; esac
done
[ -z "$procs" ]
ok $? "no daemon of the packages runs (${procs:- none})"
if [ "$group_before" = no ]; then
	! getent group netmap >/dev/null
	ok $? "no group netmap left (the package made it, the purge removed it)"
fi
if [ "$run_before" = no ]; then
	[ ! -e /run/unetmap ]
	ok $? "no /run/unetmap left (the lock file a stopped service leaves there, removed)"
fi
! dpkg -S unetmap >/dev/null 2>&1
ok $? "dpkg knows no file named *unetmap* any more"

echo "# done"
[ "$failed" = 0 ]
