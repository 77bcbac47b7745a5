/*
 * sockdiag.c - the inode of the other end of an accepted UNIX socket,
 * asked of the kernel (NETLINK_SOCK_DIAG, UDIAG_SHOW_PEER).
 *
 * A netmap descriptor is the client's end of a connection.  When a process
 * hands us a copy of it (SCM_RIGHTS) with a request, fstat() of that copy
 * gives the client end's inode; this tells us which accepted connection
 * (which binding) has that inode at its other end.  The kernel says so,
 * not the client: nobody can claim a binding it holds no descriptor of.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unetmapd.h"

static int nlfd = -1;

static int ask(int nls, int fd, uint64_t *peer);

int
unix_peer_inode(int fd, uint64_t *peer)
{
	if (nlfd < 0) {
		nlfd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
		if (nlfd < 0)
			return -errno;
	}
	return ask(nlfd, fd, peer);
}

/*
 * A client in another network namespace: the daemon's end of its
 * connection was made in the client's namespace (unix connect() does
 * that), and sock_diag answers only about sockets of its own namespace.
 */
int
unix_peer_inode_ns(int fd, pid_t pid, uint64_t *peer)
{
	char path[64];
	int ns, home, nl, r;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns < 0 || home < 0 || setns(ns, CLONE_NEWNET) < 0) {
		r = -errno;
		goto out;
	}
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	r = nl < 0 ? -errno : 0;
	if (setns(home, CLONE_NEWNET) < 0)
		unm_err("cannot return to the daemon's network namespace: %s", strerror(errno));
	if (!r) {
		r = ask(nl, fd, peer);
		close(nl);
	}
out:
	if (ns >= 0)
		close(ns);
	if (home >= 0)
		close(home);
	return r;
}

static int
ask(int nls, int fd, uint64_t *peer)
{
	struct {
		struct nlmsghdr nh;
		struct unix_diag_req r;
	} req;
	union {
		char buf[8192];
		struct nlmsghdr align;
	} u;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return -errno;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0u;
	req.r.udiag_ino = (uint32_t)st.st_ino;
	req.r.udiag_show = UDIAG_SHOW_PEER;
	req.r.udiag_cookie[0] = req.r.udiag_cookie[1] = ~0u;	/* no cookie */
	if (sendto(nls, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		return -errno;
	n = recv(nls, u.buf, sizeof(u.buf), 0);
	if (n < 0)
		return -errno;
	for (struct nlmsghdr *h = &u.align; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		struct unix_diag_msg *m;
		struct rtattr *a;
		int len;

		if (h->nlmsg_type == NLMSG_ERROR)
			return -EPROTO;
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		m = NLMSG_DATA(h);
		if (m->udiag_ino != (uint32_t)st.st_ino)
			continue;
		len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
		for (a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len))
			if (a->rta_type == UNIX_DIAG_PEER) {
				uint32_t v;

				memcpy(&v, RTA_DATA(a), sizeof(v));
				*peer = v;
				return 0;
			}
	}
	return -ENOENT;
}
