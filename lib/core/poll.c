/*
 * poll.c - poll() on netmap descriptors with netmap's semantics.
 *
 * Readiness comes from the rings, not from the kernel: POLLIN runs rxsync
 * on the bound rx rings, every poll runs txsync unless NR_NO_TX_POLL, and
 * a descriptor is ready while some ring has cur != tail.  When nothing is
 * ready we first spin a little (waking a halted core costs ~45 us here;
 * not at all while threads wait for a CPU),
 * then sleep: each ring we wait on gets need_kick raised, and its
 * eventfd - which whoever fills or drains the ring writes, only if
 * need_kick is up - stands in for the netmap descriptor in a real ppoll()
 * together with the caller's other descriptors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/real.h"
#include "core/core.h"
#include "shared/pressure.h"

int
unm_poll_spin_ns(void)
{
	static int spin = -1;

	if (spin < 0) {
		const char *e = secure_getenv("UNETMAP_SPIN_US");
		long us = e ? strtol(e, NULL, 10) : 50;

		spin = (int)(us < 0 ? 0 : us > 100000 ? 100000 : us) * 1000;
	}
	return spin;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * How long a poll() that found nothing spins before it sleeps.  Spinning
 * saves the ~45 us it costs to wake a halted vCPU, and costs nothing while
 * the core would otherwise idle.  On a machine with more work than cores
 * (a generator, a switch worker and a filter on two), no core halts, so a
 * wake-up is cheap, and every microsecond spun is taken from a thread that
 * has work: then we do not spin.  The sign is the kernel's CPU pressure:
 * threads waited for a CPU during more than a tenth of the time since we
 * last looked.  (A thread's own waiting says little: one that sleeps
 * often is favoured by the scheduler and gets a CPU at once.)  Looked at
 * every 4 ms at most, an open and a read of about 6 us.
 */
static uint64_t
spin_now(uint64_t now)
{
	static uint64_t next_look, last_look, last_total;
	static bool crowded, no_psi;
	uint64_t total, look = __atomic_load_n(&next_look, __ATOMIC_RELAXED);

	/* one thread looks; the others go by what it saw */
	if (now >= look && !__atomic_load_n(&no_psi, __ATOMIC_RELAXED) &&
	    __atomic_compare_exchange_n(&next_look, &look, now + 4000000, false,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		if (!unm_cpu_pressure_us(&total)) {
			/* a kernel without it never gains it: stop asking */
			if (errno == ENOENT || errno == EOPNOTSUPP)
				__atomic_store_n(&no_psi, true, __ATOMIC_RELAXED);
		} else {
			uint64_t waited = total - last_total, span = (now - last_look) / 1000;

			__atomic_store_n(&crowded, last_look && waited * 10 > span, __ATOMIC_RELAXED);
			last_total = total;
			last_look = now;
		}
	}
	return __atomic_load_n(&crowded, __ATOMIC_RELAXED) ? 0 : (uint64_t)unm_poll_spin_ns();
}

/*
 * One binding's readiness, running the syncs netmap_poll() would:
 *
 *  - POLLOUT is ready without a sync while a tx ring shows space
 *    (cur != tail), unless its sync always fails (a monitor's tx ring); POLLIN without a sync only while *every* rx ring
 *    shows frames and none has slots to give back (head moved since the
 *    last sync) - netmap's lock-free first round;
 *  - unless NR_NO_TX_POLL, every poll runs txsync on the tx rings with
 *    frames to push (head != hwcur), POLLOUT on all until one has space;
 *  - POLLIN runs rxsync on every bound rx ring (NR_DO_RX_POLL changes
 *    nothing: netmap never reads it);
 *  - POLLERR when a sync of this call found a bad ring (reset) or failed.
 * Only the events asked for are reported.
 */
static short
scan(struct unm_binding *b, short events)
{
	short want_tx = events & (POLLOUT | POLLWRNORM);
	short want_rx = events & (POLLIN | POLLRDNORM);
	struct unm_kr *tx = b->kr, *rx = b->kr + b->ntx;
	short revents = 0;

	/* a tx ring whose sync always fails (a monitor's) is synced, for its POLLERR */
	for (unsigned i = 0; want_tx && i < b->ntx; i++)
		if (tx[i].ring->cur != tx[i].ring->tail && !tx[i].ops->txsync_fails) {
			revents |= want_tx;
			want_tx = 0;
		}
	if (want_rx && b->nrx) {
		bool need = false;

		for (unsigned i = 0; !need && i < b->nrx; i++)
			need = rx[i].ring->cur == rx[i].ring->tail ||
			    rx[i].ring->head != __atomic_load_n(&rx[i].k->rhead, __ATOMIC_RELAXED);
		if (!need) {
			revents |= want_rx;
			want_rx = 0;
		}
	}
	if (want_tx || !(b->flags & NR_NO_TX_POLL)) {
		for (unsigned i = 0; i < b->ntx; i++) {
			struct unm_kr *kr = &tx[i];

			if (!want_tx && kr->ring->head == kr->k->nr_hwcur)
				continue;	/* nothing to push */
			/* a failed sync still shows the room left, as netmap's poll does */
			if (unm_kr_txsync(kr) < 0)
				revents |= POLLERR;
			if (want_tx && kr->ring->cur != kr->ring->tail) {
				revents |= want_tx;
				want_tx = 0;
			}
		}
	}
	if (want_rx) {
		for (unsigned i = 0; i < b->nrx; i++) {
			struct unm_kr *kr = &rx[i];

			if (unm_kr_rxsync(kr) < 0)
				revents |= POLLERR;
			if (kr->ring->cur != kr->ring->tail)
				revents |= want_rx;
		}
	}
	return revents;
}

short
unm_dev_scan(struct unm_dev *d, short events)
{
	/* netmap answers POLLERR on a descriptor that is not bound, or in CSB mode */
	return d->bind && !unm_csb_mode(d->bind) ? scan(d->bind, events) : POLLERR;
}

/* the rings a sleeper on @events waits for */
void
unm_wait_range(struct unm_binding *b, short events, unsigned *from, unsigned *to)
{
	bool tx = events & (POLLOUT | POLLWRNORM), rx = events & (POLLIN | POLLRDNORM);

	*from = tx ? 0 : b->ntx;
	*to = rx ? (unsigned)b->ntx + b->nrx : b->ntx;
}

/*
 * About to sleep on @kr's eventfd: drain it first (a kick that comes later
 * stays visible), count ourselves in, raise need_kick.  Returns true when
 * someone else already sleeps on the ring (see "remaining" below).
 */
bool
unm_wait_arm(struct unm_kr *kr)
{
	uint64_t v;
	bool crowded;

	if (read(kr->evfd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was pending */
	}
	crowded = __atomic_add_fetch(&kr->k->waiters, 1, __ATOMIC_SEQ_CST) > 1;
	__atomic_store_n(&kr->k->need_kick, 1, __ATOMIC_SEQ_CST);
	return crowded;
}

void
unm_wait_disarm(struct unm_kring *k)
{
	__atomic_store_n(&k->need_kick, 0, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&k->waiters, 1, __ATOMIC_SEQ_CST);
}

struct waitset {
	struct pollfd *p;
	struct unm_kring **k;
	unsigned n, cap;
	bool crowded;	/* someone else sleeps on one of our rings too */
};

static int
ws_push(struct waitset *w, int fd, short events, struct unm_kring *k)
{
	if (w->n == w->cap) {
		unsigned cap = w->cap ? w->cap * 2 : 16;
		struct pollfd *p = realloc(w->p, cap * sizeof(*p));
		struct unm_kring **kk;

		if (!p)
			return -ENOMEM;
		w->p = p;
		kk = realloc(w->k, cap * sizeof(*kk));
		if (!kk)
			return -ENOMEM;
		w->k = kk;
		w->cap = cap;
	}
	w->p[w->n] = (struct pollfd){ .fd = fd, .events = events };
	w->k[w->n++] = k;
	return 0;
}

static int
arm(struct waitset *w, struct unm_binding *b, short events)
{
	unsigned from, to;

	unm_wait_range(b, events, &from, &to);
	for (unsigned i = from; i < to; i++) {
		struct unm_kr *kr = &b->kr[i];

		short ev = 0;
		int fd;

		if (ws_push(w, kr->evfd, POLLIN, kr->k) < 0)
			return -ENOMEM;
		w->crowded |= unm_wait_arm(kr);
		/* a ring the kernel feeds: its own descriptor wakes us too */
		fd = kr->ops->wait_fd ? kr->ops->wait_fd(kr, &ev) : -1;
		if (fd >= 0 && ws_push(w, fd, ev, NULL) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void
disarm(struct waitset *w, unsigned from)
{
	for (unsigned i = from; i < w->n; i++)
		if (w->k[i])
			unm_wait_disarm(w->k[i]);
	w->n = from;
	w->crowded = false;
}

/* the caller's other descriptors, polled now without waiting */
static int
poll_others(struct pollfd *fds, unsigned long nfds, struct unm_dev **devs, short *saved)
{
	int r;

	/*
	 * poll() ignores negative descriptors but zeroes their revents:
	 * hide ours for a moment, and put back what we found for them.
	 */
	for (unsigned long i = 0; i < nfds; i++)
		if (devs[i]) {
			saved[i] = fds[i].revents;
			fds[i].fd = ~fds[i].fd;
		}
	do
		r = REAL(poll)(fds, nfds, 0);
	while (r < 0 && errno == EINTR);
	for (unsigned long i = 0; i < nfds; i++)
		if (devs[i]) {
			fds[i].fd = ~fds[i].fd;
			fds[i].revents = saved[i];
		}
	return r;
}

static struct timespec *
remaining(uint64_t deadline, bool forever, struct timespec *ts, bool crowded)
{
	uint64_t now = now_ns(), left = deadline > now ? deadline - now : 0;

	/* several sleepers on one ring may steal each other's kick: nap briefly */
	if (crowded && (forever || left > 1000000))
		left = 1000000, forever = false;
	if (forever)
		return NULL;
	ts->tv_sec = (time_t)(left / 1000000000ull);
	ts->tv_nsec = (long)(left % 1000000000ull);
	return ts;
}

int
unm_poll(struct pollfd *fds, unsigned long nfds, const struct timespec *timeout,
    const void *sigmask)
{
	struct unm_dev *stack_devs[64], **devs = stack_devs;
	short stack_saved[64], *saved = stack_saved;
	struct waitset w = { 0 };
	unsigned long nm = 0, others = 0;
	bool forever = timeout == NULL, final = false;
	uint64_t start = now_ns(), deadline = 0, spin_until = 0;
	bool spin_known = false;
	int result = -1, err = 0;

	if (nfds > 64) {
		devs = calloc(nfds, sizeof(*devs));
		saved = calloc(nfds, sizeof(*saved));
		if (!devs || !saved) {
			free(devs);
			free(saved);
			errno = ENOMEM;
			return -1;
		}
	}
	for (unsigned long i = 0; i < nfds; i++) {
		devs[i] = fds[i].fd >= 0 ? unm_dev_peek(fds[i].fd) : NULL;
		nm += devs[i] != NULL;
		others += devs[i] == NULL && fds[i].fd >= 0;
	}
	if (nm == 0) {
		result = REAL(ppoll)(fds, nfds, timeout, sigmask);
		goto out;
	}
	if (!forever)
		deadline = start + (uint64_t)timeout->tv_sec * 1000000000ull +
		    (uint64_t)timeout->tv_nsec;

	for (;;) {
		int ready = 0, r;
		struct timespec ts;

		for (unsigned long i = 0; i < nfds; i++)
			if (devs[i]) {
				fds[i].revents = unm_dev_scan(devs[i], fds[i].events) &
				    (fds[i].events | POLLERR | POLLHUP | POLLNVAL);
				ready += fds[i].revents != 0;
			}
		if (ready || final || (!forever && now_ns() >= deadline)) {
			r = others ? poll_others(fds, nfds, devs, saved) : 0;
			if (r < 0) {
				err = errno;
				goto out;
			}
			result = ready + r;
			goto out;
		}
		if (!spin_known) {	/* decided only once there is nothing to do */
			spin_until = others ? start : start + spin_now(start);
			spin_known = true;
		}
		if (now_ns() < spin_until) {
			__builtin_ia32_pause();
			continue;
		}

		/* sleep: the caller's descriptors, then one eventfd per ring */
		w.n = 0;
		for (unsigned long i = 0; i < nfds; i++)
			if (!devs[i] && fds[i].fd >= 0 &&
			    ws_push(&w, fds[i].fd, fds[i].events, NULL) < 0) {
				err = ENOMEM;
				goto out;
			}
		for (unsigned long i = 0; i < nfds; i++)
			if (devs[i] && devs[i]->bind &&
			    arm(&w, devs[i]->bind, fds[i].events) < 0) {
				disarm(&w, (unsigned)others);
				err = ENOMEM;
				goto out;
			}
		/* a kick that came before need_kick went up is seen here */
		ready = 0;
		for (unsigned long i = 0; i < nfds; i++)
			if (devs[i] && unm_dev_scan(devs[i], fds[i].events) &
			    (fds[i].events | POLLERR))
				ready++;
		if (ready) {
			disarm(&w, (unsigned)others);
			continue;
		}
		r = REAL(ppoll)(w.p, w.n, remaining(deadline, forever, &ts, w.crowded), sigmask);
		err = errno;
		disarm(&w, (unsigned)others);
		if (r < 0 && err != EINTR)
			goto out;
		if (r < 0) {
			/* a signal: report it, as poll() does */
			goto out;
		}
		/* copy back what happened to the caller's descriptors */
		for (unsigned long i = 0, j = 0; i < nfds; i++)
			if (!devs[i] && fds[i].fd >= 0) {
				fds[i].revents = w.p[j++].revents;
				if (fds[i].revents)
					final = true;
			}
		err = 0;
	}
out:
	for (unsigned long i = 0; i < nfds; i++)
		if (devs[i])
			unm_dev_put(devs[i]);
	if (devs != stack_devs) {
		free(devs);
		free(saved);
	}
	free(w.p);
	free(w.k);
	if (result < 0 && err)
		errno = err;
	return result;
}
