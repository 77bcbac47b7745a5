/*
 * poll_wait.c - poll() and select() on netmap descriptors with netmap's
 * semantics, across processes: a reader blocks until the peer produces, a
 * writer blocks on a full ring until the peer releases, timeouts expire,
 * ordinary descriptors in the same call keep working, NR_NO_TX_POLL stops
 * poll() from pushing tx, and a thousand blocking round trips lose no
 * wake-up.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/wait.h>

#include "../lib/nmraw.h"
#include "../lib/tap.h"

static char mn[64], sn[64];

static void
names(const char *tag)
{
	snprintf(mn, sizeof(mn), "%s%d{4", tag, (int)getpid());
	snprintf(sn, sizeof(sn), "%s%d}4", tag, (int)getpid());
}

static void
test_block_rx(void)
{
	struct rawport m, s;
	struct pollfd p;
	int st, r;
	pid_t pid;

	names("pw");
	raw_open(&s, sn, NR_REG_ALL_NIC, 0, 0);
	pid = fork();
	if (pid == 0) {
		struct rawport c;

		if (raw_open(&c, mn, NR_REG_ALL_NIC, 0, 0))
			_exit(1);
		usleep(200000);	/* the reader is asleep by now */
		raw_put(NETMAP_TXRING(c.nifp, 0), 60, 0x42);
		ioctl(c.fd, NIOCTXSYNC, NULL);
		usleep(200000);
		_exit(0);
	}
	p = (struct pollfd){ .fd = s.fd, .events = POLLIN };
	r = poll(&p, 1, -1);
	tap_ok(r == 1 && (p.revents & POLLIN) && !nm_ring_empty(NETMAP_RXRING(s.nifp, 0)),
	    "poll(POLLIN, -1) sleeps until the other process sends, then returns the frame");
	waitpid(pid, &st, 0);
	{
		struct netmap_ring *rx = NETMAP_RXRING(s.nifp, 0);

		rx->head = rx->cur = rx->tail;
	}
	p.revents = 0;
	TAP_EQ(poll(&p, 1, 100), 0, "with nothing more to come, poll times out");
	(void)m;
	raw_close(&s);
}

static void
test_block_tx(void)
{
	struct rawport m;
	struct netmap_ring *tx;
	struct pollfd p;
	int st, r, sent = 0;
	pid_t pid;

	names("pt");
	raw_open(&m, mn, NR_REG_ALL_NIC, 0, 0);
	tx = NETMAP_TXRING(m.nifp, 0);
	while (raw_put(tx, 60, 1) == 0)
		sent++;
	ioctl(m.fd, NIOCTXSYNC, NULL);
	tx->cur = tx->tail;
	p = (struct pollfd){ .fd = m.fd, .events = POLLOUT };
	TAP_EQ(poll(&p, 1, 50), 0, "a full tx ring: poll(POLLOUT) waits");
	pid = fork();
	if (pid == 0) {
		struct rawport c;
		struct netmap_ring *rx;

		if (raw_open(&c, sn, NR_REG_ALL_NIC, 0, 0))
			_exit(1);
		usleep(200000);
		rx = NETMAP_RXRING(c.nifp, 0);
		ioctl(c.fd, NIOCRXSYNC, NULL);
		rx->head = rx->cur = rx->tail;	/* release everything */
		ioctl(c.fd, NIOCRXSYNC, NULL);
		usleep(200000);
		_exit(0);
	}
	r = poll(&p, 1, 5000);
	tap_ok(r == 1 && (p.revents & POLLOUT) && nm_ring_space(tx) > 0,
	    "and wakes when the other process releases the slots (%d sent)", sent);
	waitpid(pid, &st, 0);
	raw_close(&m);
}

static void
test_select_mixed(void)
{
	struct rawport m, s;
	int pfd[2];
	fd_set rd;
	struct timeval tv = { 1, 0 };
	int r;

	names("ps");
	raw_open(&m, mn, NR_REG_ALL_NIC, 0, 0);
	raw_open(&s, sn, NR_REG_ALL_NIC, 0, 0);
	if (pipe(pfd) < 0)
		return;
	if (write(pfd[1], "x", 1) != 1)
		return;
	FD_ZERO(&rd);
	FD_SET(s.fd, &rd);
	FD_SET(pfd[0], &rd);
	r = select((s.fd > pfd[0] ? s.fd : pfd[0]) + 1, &rd, NULL, NULL, &tv);
	tap_ok(r == 1 && FD_ISSET(pfd[0], &rd) && !FD_ISSET(s.fd, &rd),
	    "select(): an ordinary pipe is readable, the empty netmap ring is not");
	raw_put(NETMAP_TXRING(m.nifp, 0), 60, 3);
	ioctl(m.fd, NIOCTXSYNC, NULL);
	FD_ZERO(&rd);
	FD_SET(s.fd, &rd);
	tv = (struct timeval){ 1, 0 };
	r = select(s.fd + 1, &rd, NULL, NULL, &tv);
	tap_ok(r == 1 && FD_ISSET(s.fd, &rd), "select(): the netmap descriptor once a frame is there");
	{
		struct pollfd p[2] = { { .fd = s.fd, .events = POLLIN }, { .fd = pfd[0], .events = POLLIN } };

		r = poll(p, 2, 0);
		tap_ok(r == 2 && (p[0].revents & POLLIN) && (p[1].revents & POLLIN),
		    "poll(): both at once, each with its own revents");
	}
	close(pfd[0]);
	close(pfd[1]);
	raw_close(&m);
	raw_close(&s);
}

static void
test_no_tx_poll(void)
{
	struct rawport m, s;
	struct pollfd p;

	names("pn");
	raw_open(&m, mn, NR_REG_ALL_NIC, NR_NO_TX_POLL, 0);
	raw_open(&s, sn, NR_REG_ALL_NIC, 0, 0);
	raw_put(NETMAP_TXRING(m.nifp, 0), 60, 1);
	p = (struct pollfd){ .fd = m.fd, .events = POLLIN };
	poll(&p, 1, 0);
	ioctl(s.fd, NIOCRXSYNC, NULL);
	tap_ok(nm_ring_empty(NETMAP_RXRING(s.nifp, 0)), "NR_NO_TX_POLL: poll(POLLIN) does not push tx");
	raw_close(&m);
	raw_open(&m, mn, NR_REG_ALL_NIC, 0, 0);
	raw_put(NETMAP_TXRING(m.nifp, 0), 60, 1);
	poll(&p, 1, 0);
	ioctl(s.fd, NIOCRXSYNC, NULL);
	tap_ok(!nm_ring_empty(NETMAP_RXRING(s.nifp, 0)), "without it, any poll() pushes tx");
	raw_close(&m);
	raw_close(&s);
}

static int
wait_one(struct rawport *p, struct netmap_ring *rx)
{
	struct pollfd pf = { .fd = p->fd, .events = POLLIN };

	while (nm_ring_empty(rx))
		if (poll(&pf, 1, 5000) <= 0)
			return -1;
	rx->head = rx->cur = nm_ring_next(rx, rx->head);
	return 0;
}

/* one frame back and forth, each side blocking in poll() every time */
static int
pingpong(const char *name, int rounds, int first)
{
	struct rawport p;
	struct netmap_ring *tx, *rx;

	if (raw_open(&p, name, NR_REG_ALL_NIC, 0, 0))
		return 1;
	tx = NETMAP_TXRING(p.nifp, 0);
	rx = NETMAP_RXRING(p.nifp, 0);
	for (int i = 0; i < rounds; i++) {
		if (!first && wait_one(&p, rx) < 0)
			return 3;
		if (raw_put(tx, 60, i) < 0)
			return 2;
		ioctl(p.fd, NIOCTXSYNC, NULL);
		if (first && wait_one(&p, rx) < 0)
			return 4;
	}
	ioctl(p.fd, NIOCRXSYNC, NULL);
	return 0;
}

static void
test_pingpong(void)
{
	int sa, sb;
	pid_t a, b;

	names("pp");
	setenv("UNETMAP_SPIN_US", "0", 1);	/* always sleep: exercise the wake-ups */
	a = fork();
	if (a == 0)
		_exit(pingpong(mn, 1000, 1));
	b = fork();
	if (b == 0)
		_exit(pingpong(sn, 1000, 0));
	waitpid(a, &sa, 0);
	waitpid(b, &sb, 0);
	tap_ok(WIFEXITED(sa) && WEXITSTATUS(sa) == 0 && WIFEXITED(sb) && WEXITSTATUS(sb) == 0,
	    "1000 blocking round trips between two processes, no wake-up lost (%d %d)",
	    WEXITSTATUS(sa), WEXITSTATUS(sb));
}

int
main(void)
{
	alarm(60);
	test_block_rx();
	test_block_tx();
	test_select_mixed();
	test_no_tx_poll();
	test_pingpong();
	return tap_done();
}
