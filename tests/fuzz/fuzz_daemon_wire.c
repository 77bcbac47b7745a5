/*
 * fuzz_daemon_wire.c - arbitrary bytes as whole messages on a real
 * connection to the daemon's real event loop: headers, lengths, promised
 * and attached descriptors (the connection's own netmap descriptor, a
 * memfd, several), follow-ups that come or do not, as a hostile local
 * process could send them.  Whatever the input: no crash, no sanitizer
 * report, no hang (a promised follow-up is not waited for), and once the
 * connection is gone every port and private region it made is gone too.
 *
 * Input: byte 0 says what to attach (bits 0-1: nothing, the connection
 * itself, a memfd, both) and whether to cut the rest in two messages (bit
 * 2, at the offset byte 1 gives); the rest is sent as it is.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/event.h"
#include "daemon/unetmapd.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ev_loop *loop;
static int lfd = -1, memfd = -1;
static char path[108];

static void
stop_tick(struct ev_loop *l, void *arg)
{
	ev_stop(l);
}

/* one pass of the daemon's loop: whatever is ready is served */
static void
pass(void)
{
	ev_run(loop);
}

static void
cleanup(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	dcfg.nic = false;	/* never touch the machine's interfaces */
	unm_log_set_level(UNM_LOG_ERR);
	/* small pools (as fuzz_daemon_request): regions come and go on every input */
	region_cfg_global.if_num = 16;
	region_cfg_global.ring_num = 64;
	region_cfg_global.buf_num = 16384;
	region_cfg_private.if_num = 8;
	region_cfg_private.ring_num = 32;
	region_cfg_private.buf_num = 8192;
	snprintf(path, sizeof(path), "/tmp/fuzz-wire-%d.sock", (int)getpid());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	dcfg.socket_path = path;
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0) {
		perror("fuzz_daemon_wire: listening socket");
		exit(1);
	}
	atexit(cleanup);
	loop = ev_loop_new();
	memfd = memfd_create("fuzz", MFD_CLOEXEC);
	if (!loop || memfd < 0 || ftruncate(memfd, 4096) < 0 ||
	    ev_add(loop, lfd, EPOLLIN, client_accept, NULL) < 0) {
		perror("fuzz_daemon_wire: event loop");
		exit(1);
	}
	clients_init(loop, lfd);
	ev_set_tick(loop, 0, stop_tick, NULL);
	return 0;
}

static void
send_part(int s, const uint8_t *p, size_t n, const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)p, n };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(s, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EPIPE &&
	    errno != ECONNRESET && errno != EAGAIN && errno != EMSGSIZE) {
		perror("fuzz_daemon_wire: sendmsg");
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int base = clients_count(), s, fds[2];
	unsigned nfds = 0;
	size_t cut;

	if (size < 2 || size > UNM_MSG_MAX)
		return 0;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("fuzz_daemon_wire: connect");
		abort();
	}
	pass();		/* accepted */
	if (data[0] & 1)
		fds[nfds++] = s;
	if (data[0] & 2)
		fds[nfds++] = memfd;
	cut = (data[0] & 4) ? 2 + (size_t)data[1] * (size - 2) / 256 : size;
	send_part(s, data + 2, cut - 2, fds, nfds);
	if (cut < size)
		send_part(s, data + cut, size - cut, fds, nfds);
	pass();		/* served (a promised follow-up is not waited for) */
	pass();
	close(s);
	for (int i = 0; i < 8 && clients_count() > base; i++)
		pass();	/* the hang-up seen, the binding released */
	if (clients_count() > base)
		__builtin_trap();	/* a connection the daemon never let go */
	/* a port or private region left behind would be a leak: make it loud */
	if (port_list())
		__builtin_trap();
	for (struct region *r = region_list(); r; r = r->next)
		if (r->id != 1)	/* the global region lives on, as netmap's does */
			__builtin_trap();
	return 0;
}
