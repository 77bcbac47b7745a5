/*
 * poll_rules.c - which syncs a wait on a netmap descriptor runs, as
 * netmap_poll() runs them (sys/dev/netmap/netmap.c), through each of
 * poll, ppoll, select, pselect and epoll:
 *
 *  - an rx ring that still shows frames the application has not seen is
 *    synced anyway when the application moved head (slots to give back);
 *  - unless NR_NO_TX_POLL, a wait for input alone pushes queued tx frames;
 *  - NR_DO_RX_POLL changes nothing (netmap never reads it): a wait for
 *    output alone does not run rxsync;
 *  - only the events asked for come back; a ring found bad is POLLERR
 *    (for select: readable and writable).
 * A netmap program (netmap's headers and libc only).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "../lib/nmraw.h"
#include "../lib/tap.h"

enum how { POLL, PPOLL, SELECT, PSELECT, EPOLL, NHOW };
static const char *const how_name[NHOW] = { "poll", "ppoll", "select", "pselect", "epoll" };

/* one wait of @how on @fd for @events, not blocking; returns the events it reports */
static short
wait_once(enum how how, int fd, short events)
{
	short rev = 0;

	switch (how) {
	case POLL:
	case PPOLL: {
		struct pollfd p = { .fd = fd, .events = events };
		struct timespec zero = { 0, 0 };
		int r = how == POLL ? poll(&p, 1, 0) : ppoll(&p, 1, &zero, NULL);

		return r == 1 ? p.revents : 0;
	}
	case SELECT:
	case PSELECT: {
		fd_set rd, wr;
		struct timeval tv = { 0, 0 };
		struct timespec ts = { 0, 0 };
		int r;

		FD_ZERO(&rd);
		FD_ZERO(&wr);
		if (events & (POLLIN | POLLRDNORM))
			FD_SET(fd, &rd);
		if (events & (POLLOUT | POLLWRNORM))
			FD_SET(fd, &wr);
		r = how == SELECT ? select(fd + 1, &rd, &wr, NULL, &tv) :
		    pselect(fd + 1, &rd, &wr, NULL, &ts, NULL);
		if (r > 0 && FD_ISSET(fd, &rd))
			rev |= POLLIN;
		if (r > 0 && FD_ISSET(fd, &wr))
			rev |= POLLOUT;
		return rev;
	}
	default: {
		int ep = epoll_create1(0);
		struct epoll_event ev = { .events = (uint32_t)events, .data.fd = fd }, out;

		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			if (ep >= 0)
				close(ep);
			return -1;
		}
		if (epoll_wait(ep, &out, 1, 0) == 1)
			rev = (short)out.events;
		close(ep);
		return rev;
	}
	}
}

struct pair {
	struct rawport m, s;
	struct netmap_ring *mtx, *srx;
};

static int
pair_open(struct pair *p, enum how how, const char *tag, uint64_t sflags)
{
	char mn[64], sn[64];

	snprintf(mn, sizeof(mn), "%s%s%d{3", tag, how_name[how], (int)getpid());
	snprintf(sn, sizeof(sn), "%s%s%d}3", tag, how_name[how], (int)getpid());
	if (raw_open(&p->m, mn, NR_REG_ALL_NIC, NR_NO_TX_POLL, 0) ||
	    raw_open(&p->s, sn, NR_REG_ALL_NIC, sflags, 0))
		return -1;
	p->mtx = NETMAP_TXRING(p->m.nifp, 0);
	p->srx = NETMAP_RXRING(p->s.nifp, 0);
	return 0;
}

static void
pair_close(struct pair *p)
{
	raw_close(&p->m);
	raw_close(&p->s);
}

static void
send_n(struct pair *p, int n)
{
	for (int i = 0; i < n; i++)
		raw_put(p->mtx, 60, i);
	ioctl(p->m.fd, NIOCTXSYNC, NULL);
}

/* frames unseen, head moved: the wait still syncs the rx ring */
static void
test_head_moved(enum how how)
{
	struct pair p;
	uint32_t before;

	if (pair_open(&p, how, "hm", 0)) {
		tap_ok(0, "%s: open a pipe", how_name[how]);
		return;
	}
	send_n(&p, 4);
	wait_once(how, p.s.fd, POLLIN);
	TAP_EQ(nm_ring_space(p.srx), 4, "four frames arrive");
	p.srx->head = p.srx->cur = nm_ring_next(p.srx, nm_ring_next(p.srx, p.srx->head));
	send_n(&p, 3);
	before = p.srx->tail;
	tap_ok(wait_once(how, p.s.fd, POLLIN) & POLLIN, "%s: readable", how_name[how]);
	tap_ok(p.srx->tail != before && nm_ring_space(p.srx) == 5,
	    "%s: two of four frames read, head moved: rxsync ran anyway (5 unseen now, %u)",
	    how_name[how], nm_ring_space(p.srx));
	ioctl(p.m.fd, NIOCTXSYNC, NULL);
	TAP_EQ(nm_ring_space(p.mtx), p.mtx->num_slots - 1 - 5,
	    "and the two slots given back reached the sender");
	pair_close(&p);
}

/* a wait for input alone pushes tx, unless NR_NO_TX_POLL */
static void
test_tx_push(enum how how)
{
	struct pair p;

	if (pair_open(&p, how, "tp", 0)) {
		tap_ok(0, "%s: open a pipe", how_name[how]);
		return;
	}
	raw_put(NETMAP_TXRING(p.s.nifp, 0), 60, 7);
	wait_once(how, p.s.fd, POLLIN);
	ioctl(p.m.fd, NIOCRXSYNC, NULL);
	tap_ok(!nm_ring_empty(NETMAP_RXRING(p.m.nifp, 0)),
	    "%s: waiting for input pushed the queued tx frame", how_name[how]);
	raw_put(p.mtx, 60, 7);	/* the master has NR_NO_TX_POLL */
	wait_once(how, p.m.fd, POLLIN);
	ioctl(p.s.fd, NIOCRXSYNC, NULL);
	TAP_EQ(nm_ring_space(p.srx), 0, "with NR_NO_TX_POLL it did not");
	pair_close(&p);
}

/* NR_DO_RX_POLL: netmap reads it nowhere */
static void
test_do_rx_poll(enum how how)
{
	struct pair p;
	short r;

	if (pair_open(&p, how, "dr", NR_DO_RX_POLL)) {
		tap_ok(0, "%s: open a pipe", how_name[how]);
		return;
	}
	send_n(&p, 2);
	r = wait_once(how, p.s.fd, POLLOUT);
	tap_ok((r & POLLOUT) && !(r & POLLIN), "%s: a wait for output reports output only",
	    how_name[how]);
	TAP_EQ(nm_ring_space(p.srx), 0, "and NR_DO_RX_POLL did not make it run rxsync");
	tap_ok(wait_once(how, p.s.fd, POLLIN) & POLLIN, "%s: a wait for input does",
	    how_name[how]);
	TAP_EQ(nm_ring_space(p.srx), 2, "the frames are there");
	pair_close(&p);
}

/* a ring found bad: POLLERR (select: readable and writable) */
static void
test_err(enum how how)
{
	struct pair p;
	short r;

	if (pair_open(&p, how, "er", 0)) {
		tap_ok(0, "%s: open a pipe", how_name[how]);
		return;
	}
	send_n(&p, 2);
	p.srx->head = p.srx->cur = p.srx->num_slots + 3;
	r = wait_once(how, p.s.fd, POLLIN);
	if (how == SELECT || how == PSELECT)
		tap_ok(r & POLLIN, "%s: a bad rx ring makes the descriptor readable", how_name[how]);
	else
		tap_ok(r & POLLERR, "%s: a bad rx ring is POLLERR", how_name[how]);
	tap_ok(p.srx->head < p.srx->num_slots, "and the ring was reset");
	TAP_EQ(nm_ring_space(p.srx), 2, "and synced all the same: the frames waiting are there");
	pair_close(&p);
}

int
main(void)
{
	alarm(60);
	for (enum how h = 0; h < NHOW; h++) {
		test_head_moved(h);
		test_tx_push(h);
		test_do_rx_poll(h);
		test_err(h);
	}
	{
		struct pair p;
		struct pollfd pf;

		if (pair_open(&p, POLL, "ev", 0) == 0) {
			pf = (struct pollfd){ .fd = p.s.fd, .events = POLLRDNORM | POLLWRNORM };
			send_n(&p, 1);
			TAP_EQ(poll(&pf, 1, 0), 1, "poll for POLLRDNORM|POLLWRNORM");
			TAP_EQ(pf.revents, POLLRDNORM | POLLWRNORM, "reports exactly those");
			pair_close(&p);
		}
	}
	return tap_done();
}
