/*
 * daemon_wire.c - the daemon's socket as a hostile local process sees it:
 * a message that promises descriptors and sends none gets an error reply
 * at once, and the daemon's one loop is never held by it (another client
 * is served meanwhile).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "../lib/nmraw.h"
#include "../lib/tap.h"
#include "shared/proto.h"
#include "unetmap.h"

static int
connect_daemon(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	unetmap_socket_path(sa.sun_path, sizeof(sa.sun_path));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

static void
test_promised_fds(void)
{
	struct unm_msg m, rm;
	struct rawport p;
	struct pollfd pf;
	char name[32];
	int fd = connect_daemon();
	ssize_t n;

	tap_ok(fd >= 0, "a raw connection to the daemon");
	if (fd < 0)
		return;
	unm_msg_init(&m, UNM_OP_HELLO);
	m.more_fds = 1;	/* and none will come */
	tap_ok(send(fd, &m, sizeof(m), 0) == (ssize_t)sizeof(m), "a HELLO promising descriptors");
	snprintf(name, sizeof(name), "dw%d{1", (int)getpid());
	TAP_EQ(raw_open(&p, name, NR_REG_ALL_NIC, 0, 0), 0,
	    "another client is served meanwhile (the daemon does not wait for them)");
	raw_close(&p);
	pf = (struct pollfd){ .fd = fd, .events = POLLIN };
	tap_ok(poll(&pf, 1, 3000) == 1, "the promise gets an answer");
	n = recv(fd, &rm, sizeof(rm), 0);
	tap_ok(n == (ssize_t)sizeof(rm) && rm.error == EPROTO, "EPROTO (%zd bytes, error %d: %.60s)",
	    n, n == (ssize_t)sizeof(rm) ? rm.error : 0, n == (ssize_t)sizeof(rm) ? rm.errmsg : "");
	close(fd);
}

int
main(void)
{
	alarm(20);	/* a wedged daemon fails the test instead of hanging it */
	test_promised_fds();
	return tap_done();
}
