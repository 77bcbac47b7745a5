/*
 * nm_errno.h - what the tools print after a failed netmap request: the
 * system's words for the errno, its name (the one docs/troubleshooting.md
 * and netmap programs' logs use), and the next step for a netmap port.
 *
 *	fprintf(stderr, "pkt-gen: cannot open %s: %s\n", name, nm_errstr(errno));
 *	-> "pkt-gen: cannot open netmap:eth9: No such device [ENXIO]; next: ..."
 *
 * Header only (static inline), like valectl/vale.h: each tools/<name>/
 * directory is a program of its own.  The string lives in a per-thread
 * buffer, good until the next call in that thread.
 */
#ifndef TOOLS_NM_ERRNO_H
#define TOOLS_NM_ERRNO_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* the next step for a netmap port that failed with @err; NULL when there is nothing to add */
static inline const char *
nm_err_next(int err)
{
	switch (err) {
	case ENXIO:
		return "no such port here: check the name and the network namespace (ip link, "
		    "valectl), and that unetmapd runs";
	case ENOENT:
		return "no such thing here: check the name (nm-sysctl -a lists parameters, valectl "
		    "the switch ports)";
	case EBUSY:
		return "someone holds it: nm-doctor IF (for an interface) or valectl says who; "
		    "close that program or detach the port first";
	case EINVAL:
		return "a malformed request or port name: the unetmap line above names the field";
	case ENOMEM:
		return "a memory region or a switch is full: close ports, ask for fewer or "
		    "smaller rings, or raise buf_num/ring_num (nm-sysctl)";
	case EOPNOTSUPP:
		return "not supported by this port or build: nm-doctor IF for an interface's "
		    "modes; the unetmap line above says what";
	case EACCES:
		return "run as root or as a member of group netmap (usermod -aG netmap USER)";
	case EPERM:
		return "interfaces, switches and parameters need CAP_NET_ADMIN, CAP_NET_RAW and "
		    "CAP_BPF (or root)";
	case ENOBUFS:
	case EHOSTDOWN:
	case EHOSTUNREACH:
	case ENETDOWN:
		return "netmap ports do not fail this way: the host stack does when a netmap "
		    "program takes its frames; forward them (host rings, NS_FORWARD) or check the "
		    "link with nm-doctor IF";
	case EIO:
		return "the daemon's log says what failed (journalctl -u unetmapd)";
	case EPROTO:
		return "the library and unetmapd come from different builds: restart unetmapd";
	case ECONNREFUSED:
		return "unetmapd does not run there: start it (systemctl start unetmapd) or check "
		    "UNETMAP_SOCKET";
	default:
		return NULL;
	}
}

/* "strerror [ENAME]; next: ..." for @err */
static inline const char *
nm_errstr(int err)
{
	static __thread char buf[400];
	const char *name = strerrorname_np(err), *next = nm_err_next(err);

	snprintf(buf, sizeof(buf), "%s [%s]%s%s", strerror(err), name ? name : "?",
	    next ? "; next: " : "", next ? next : "");
	return buf;
}

#endif
