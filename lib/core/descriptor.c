/*
 * descriptor.c - where netmap descriptors come from: open("/dev/netmap")
 * makes one (a new connection to unetmapd), and one that arrived from
 * elsewhere (fork, SCM_RIGHTS, a dup we did not see) is recognised and
 * adopted on first use.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "core/core.h"
#include "core/real.h"
#include "shared/proto.h"
#include "unetmap.h"

int
unm_dev_open(int flags)
{
	struct unm_dev *d;
	int fd = unm_daemon_connect(flags);

	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	d = unm_dev_new();
	if (!d || unm_fd_install(fd, d) < 0) {
		if (d)
			unm_dev_put(d);
		REAL(close)(fd);
		errno = ENOMEM;
		return -1;
	}
	return fd;
}

struct unm_dev *
unm_dev_get(int fd)
{
	struct unm_dev *d = unm_dev_peek(fd);

	return d ? d : unm_adopt(fd);
}

/* a socket connected to our daemon's path? */
static bool
is_ours(int fd)
{
	struct sockaddr_un sa;
	socklen_t sl = sizeof(sa);
	char path[108];
	struct stat st;
	int type;
	socklen_t tl = sizeof(type);

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_SEQPACKET)
		return false;
	if (getpeername(fd, (struct sockaddr *)&sa, &sl) < 0 || sa.sun_family != AF_UNIX)
		return false;
	unetmap_socket_path(path, sizeof(path));
	return sl > offsetof(struct sockaddr_un, sun_path) &&
	    strncmp(sa.sun_path, path, sizeof(sa.sun_path)) == 0;
}

static pthread_mutex_t adopt_lock = PTHREAD_MUTEX_INITIALIZER;

void
unm_adopt_atfork(enum unm_fork_phase ph)
{
	if (ph == UNM_FORK_PREPARE)
		pthread_mutex_lock(&adopt_lock);
	else
		pthread_mutex_unlock(&adopt_lock);
}

struct unm_dev *
unm_adopt(int fd)
{
	static uint8_t buf[UNM_MSG_MAX];
	int fds[UNM_MAX_BIND_FDS];
	struct unm_msg m, rm;
	struct unm_dev *d;
	unsigned nfds = 0;
	size_t len = 0;
	int r, err;

	if (fd < 0 || !is_ours(fd))
		return NULL;
	pthread_mutex_lock(&adopt_lock);
	d = unm_dev_peek(fd);	/* another thread may have been quicker */
	if (d)
		goto out;
	d = unm_dev_new();
	if (!d)
		goto out;
	unm_msg_init(&m, UNM_OP_ADOPT);
	r = unm_request(fd, -1, d, &m, NULL, 0, &rm, buf, sizeof(buf), &len, fds,
	    sizeof(fds) / sizeof(fds[0]), &nfds);
	if (r == 0 && rm.error)
		r = -rm.error;
	if (r == 0 && len) {
		d->bind = unm_binding_new((struct unm_bind *)buf, len, fds, nfds, NULL, &err);
		nfds = 0;
		if (!d->bind)
			r = -err;
	}
	unm_close_fds(fds, nfds);
	if (r < 0) {
		unm_warn("descriptor %d: cannot take over a netmap descriptor: %s", fd,
		    strerror(-r));
		unm_dev_put(d);
		d = NULL;
		goto out;
	}
	__atomic_add_fetch(&d->refs, 1, __ATOMIC_ACQ_REL);	/* the caller's */
	unm_fd_install(fd, d);
	unm_id_ensure();
out:
	pthread_mutex_unlock(&adopt_lock);
	return d;
}
