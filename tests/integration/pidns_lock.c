/*
 * pidns_lock.c - a sender killed inside another pid namespace never wedges
 * what it shared.  A VALE port is bound by this process and, again and
 * again, by a victim in a pid namespace of its own (pid 1 there: init's
 * pid here) that floods the switch with full batches and is killed with
 * SIGKILL, most likely in the middle of a sync (holding the tx ring's
 * sync) or of a delivery (holding the queue's lock).  After each kill the
 * survivor's frames must still cross the switch: a holder named by its
 * pid would look alive for ever (kill(1, 0) succeeds here), and every
 * later frame would be skipped or dropped as busy.
 * A netmap program (netmap's headers and libc only).
 */
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "../lib/nmraw.h"
#include "../lib/clock.h"
#include "../lib/tap.h"

#define ROUNDS 12

static char sname[64], rname[64];

/* frames in every rx ring of @p (released); @mark: was one of type 0x5a5a? */
static unsigned
drain(struct rawport *p, bool *mark)
{
	unsigned n = 0;

	ioctl(p->fd, NIOCRXSYNC, NULL);
	for (unsigned i = 0; i < p->nifp->ni_rx_rings; i++) {
		struct netmap_ring *r = NETMAP_RXRING(p->nifp, i);

		for (; !nm_ring_empty(r); r->head = r->cur = nm_ring_next(r, r->head), n++) {
			const unsigned char *f = (unsigned char *)NETMAP_BUF(r,
			    r->slot[r->head].buf_idx);

			if (mark && f[12] == 0x5a && f[13] == 0x5a)
				*mark = true;
		}
	}
	return n;
}

/* the victim: pid 1 of its namespace, flooding through the shared port */
static void __attribute__((noreturn))
victim(int ready)
{
	struct rawport s;
	struct netmap_ring *tx;
	bool told = false;

	if (raw_open(&s, sname, NR_REG_ALL_NIC, 0, 0))
		_exit(3);
	tx = NETMAP_TXRING(s.nifp, 0);
	for (;;) {
		while (raw_put(tx, 1514, 0xff) == 0)	/* broadcast, big: long syncs */
			;
		ioctl(s.fd, NIOCTXSYNC, NULL);
		if (!told) {
			told = write(ready, "v", 1) == 1;
			close(ready);
		}
	}
}

/*
 * Starts a victim in a new pid namespace; its pid here, or -1.  The
 * intermediate process stays to reap it and exits with it.
 */
static pid_t
start_victim(pid_t *mid)
{
	int p[2], r[2];
	pid_t v = -1;
	char c;

	if (pipe(p) || pipe(r))
		return -1;
	*mid = fork();
	if (*mid == 0) {
		pid_t k;

		close(p[0]);
		close(r[0]);
		if (unshare(CLONE_NEWPID))
			_exit(2);
		k = fork();
		if (k == 0) {
			close(p[1]);
			victim(r[1]);
		}
		if (write(p[1], &k, sizeof(k)) != sizeof(k))
			_exit(2);
		waitpid(k, NULL, 0);
		_exit(0);
	}
	close(p[1]);
	close(r[1]);
	if (read(p[0], &v, sizeof(v)) != sizeof(v) || v <= 0 || read(r[0], &c, 1) != 1)
		v = -1;
	close(p[0]);
	close(r[0]);
	return v;
}

int
main(void)
{
	struct rawport s, r;
	unsigned through = 0, started = 0, ns_pid1 = 0;

	alarm(240);
	srand((unsigned)getpid());
	snprintf(sname, sizeof(sname), "valepn%d:s", (int)getpid() % 100000);
	snprintf(rname, sizeof(rname), "valepn%d:r", (int)getpid() % 100000);
	if (raw_open(&s, sname, NR_REG_ALL_NIC, 0, 0) || raw_open(&r, rname, NR_REG_ALL_NIC, 0, 0)) {
		tap_ok(0, "open two ports of a switch");
		return tap_done();
	}
	for (int round = 0; round < ROUNDS; round++) {
		pid_t mid = -1, v = start_victim(&mid);
		struct netmap_ring *tx = NETMAP_TXRING(s.nifp, 0);
		bool mark = false;
		uint64_t end;

		if (v > 0) {
			started++;
			/* let it flood a while, then kill it wherever it is */
			for (end = now_ms() + 5 + (uint64_t)(rand() % 20); now_ms() < end;)
				drain(&r, NULL);
			kill(v, SIGKILL);
		}
		if (mid > 0) {
			int st = 0;

			waitpid(mid, &st, 0);
			ns_pid1 += WIFEXITED(st) && WEXITSTATUS(st) == 0;
		}
		drain(&r, NULL);
		/* the survivor: one marked frame, until it arrives or 3 s pass */
		for (end = now_ms() + 3000; !mark && now_ms() < end;) {
			/* the victim may have left the shared ring full: send that first */
			ioctl(s.fd, NIOCTXSYNC, NULL);
			if (nm_ring_space(tx) > 0) {
				unsigned char *f = (unsigned char *)NETMAP_BUF(tx,
				    tx->slot[tx->head].buf_idx);

				raw_put(tx, 60, 0xff);	/* broadcast, marked in its type */
				f[12] = f[13] = 0x5a;
				ioctl(s.fd, NIOCTXSYNC, NULL);
			}
			nap_us(2000);
			drain(&r, &mark);
		}
		through += mark;
		if (!mark)
			tap_diag("round %d: nothing crossed the switch after the kill", round);
	}
	TAP_EQ(started, ROUNDS, "victims started in pid namespaces of their own");
	TAP_EQ(ns_pid1, ROUNDS, "each was killed and reaped");
	TAP_EQ(through, ROUNDS, "after every kill the survivor's frames crossed the switch");
	raw_close(&s);
	raw_close(&r);
	return tap_done();
}
