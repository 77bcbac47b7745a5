/* proto.c - see proto.h */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <time.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shared/proto.h"

void
unm_msg_init(struct unm_msg *m, enum unm_op op)
{
	memset(m, 0, sizeof(*m));
	m->magic = UNM_PROTO_MAGIC;
	m->version = UNM_PROTO_VERSION;
	m->op = (uint16_t)op;
}

void
unm_close_fds(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (fds[i] >= 0)
			syscall(SYS_close, fds[i]);	/* never the app's close() */
		fds[i] = -1;
	}
}

static int
send_one(int sock, struct unm_msg *m, const void *payload, size_t len,
    const int *fds, unsigned nfds, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * UNM_FDS_PER_MSG)];
		struct cmsghdr align;
	} u;
	struct iovec iov[2] = {
		{ .iov_base = m, .iov_len = sizeof(*m) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t r;

	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		r = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return 0;
}

int
unm_msg_send(int sock, struct unm_msg *m, const void *payload, size_t len,
    const int *fds, unsigned nfds, int flags)
{
	unsigned first = nfds < UNM_FDS_PER_MSG ? nfds : UNM_FDS_PER_MSG;
	int r;

	if (sizeof(*m) + len > UNM_MSG_MAX)
		return -EMSGSIZE;
	m->magic = UNM_PROTO_MAGIC;
	m->version = UNM_PROTO_VERSION;
	m->len = (uint32_t)len;
	m->nfds = first;
	m->more_fds = nfds - first;
	r = send_one(sock, m, payload, len, fds, first, flags);
	for (unsigned done = first; r == 0 && done < nfds;) {
		struct unm_msg f;
		unsigned n = nfds - done;

		if (n > UNM_FDS_PER_MSG)
			n = UNM_FDS_PER_MSG;
		unm_msg_init(&f, UNM_OP_FDS);
		f.nfds = n;
		f.more_fds = nfds - done - n;
		r = send_one(sock, &f, NULL, 0, fds + done, n, flags);
		done += n;
	}
	return r;
}

/* one datagram; its descriptors appended to fds[*nfds..] */
static int
recv_one(int sock, struct unm_msg *m, void *payload, size_t cap, size_t *len,
    int *fds, unsigned maxfds, unsigned *nfds, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * UNM_FDS_PER_MSG)];
		struct cmsghdr align;
	} u;
	struct iovec iov[2] = {
		{ .iov_base = m, .iov_len = sizeof(*m) },
		{ .iov_base = payload, .iov_len = cap },
	};
	struct msghdr mh = {
		.msg_iov = iov, .msg_iovlen = cap ? 2 : 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	ssize_t r;
	int err = 0;

	do
		r = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ECONNRESET;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		int *p = (int *)CMSG_DATA(c);
		unsigned n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (unsigned i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, p + i, sizeof(fd));
			if (*nfds < maxfds)
				fds[(*nfds)++] = fd;
			else {
				syscall(SYS_close, fd);
				err = -EMSGSIZE;
			}
		}
	}
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (size_t)r < sizeof(*m) || m->magic != UNM_PROTO_MAGIC ||
	    m->len != (size_t)r - sizeof(*m))
		err = -EPROTO;
	else if (m->version != UNM_PROTO_VERSION && !err)
		err = -EPROTONOSUPPORT;	/* a daemon or library of another release */
	if (len)
		*len = (size_t)r >= sizeof(*m) ? (size_t)r - sizeof(*m) : 0;
	return err;
}

/* waits up to @ms for @sock to be readable (the C library's poll, not ours) */
static bool
readable(int sock, int ms)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	long r;

	do
		r = syscall(SYS_ppoll, &p, 1, &ts, NULL, 0);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

int
unm_msg_recv(int sock, struct unm_msg *m, void *payload, size_t cap,
    size_t *len, int *fds, unsigned maxfds, unsigned *nfds, int flags, int follow_ms)
{
	unsigned got = 0, more;
	int r;

	r = recv_one(sock, m, payload, cap, len, fds, maxfds, &got, flags);
	more = r == 0 ? m->more_fds : 0;
	/*
	 * Follow-ups are sent right after, so they are waited for even in
	 * DONTWAIT, but not for ever and not without end: a peer that
	 * promises descriptors and sends none (or sends more than it may)
	 * gets EPROTO, and never holds the daemon's loop.
	 */
	for (unsigned n = 0; r == 0 && more; n++) {
		struct unm_msg f;

		if (n > maxfds || !readable(sock, follow_ms)) {
			r = -EPROTO;
			break;
		}
		r = recv_one(sock, &f, NULL, 0, NULL, fds, maxfds, &got, MSG_DONTWAIT);
		if (r == 0 && f.op != UNM_OP_FDS)
			r = -EPROTO;
		more = r == 0 ? f.more_fds : 0;
	}
	if (r < 0) {
		unm_close_fds(fds, got);
		got = 0;
	}
	*nfds = got;
	return r;
}
