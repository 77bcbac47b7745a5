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

int
unix_peer_inode(int fd, uint64_t *peer)
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
	if (nlfd < 0) {
		nlfd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
		if (nlfd < 0)
			return -errno;
	}
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0u;
	req.r.udiag_ino = (uint32_t)st.st_ino;
	req.r.udiag_show = UDIAG_SHOW_PEER;
	req.r.udiag_cookie[0] = req.r.udiag_cookie[1] = ~0u;	/* no cookie */
	if (sendto(nlfd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		return -errno;
	n = recv(nlfd, u.buf, sizeof(u.buf), 0);
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
