/*
 * tx.c - the thread that sends: takes the schedule a period at a time,
 * copies each frame into the port's tx rings when its time has come
 * (nmport_inject, as netmap's nmreplay), and hands the rings to the port
 * (NIOCTXSYNC) every -b frames and whenever it is about to wait.
 *
 * It sleeps until shortly before a frame is due and spins the rest of
 * the way, so that a low rate costs little CPU and a high one loses no
 * time; frames already due go out back to back, -b at a time.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>

#include "replay.h"

#define RP_SPIN_NS	60000u	/* the last stretch of a wait is spun, not slept */

static void
wait_until(uint64_t due, volatile int *stop)
{
	for (;;) {
		uint64_t now = lm_now();

		if (now >= due || *stop)
			return;
		if (due - now > 2 * RP_SPIN_NS) {
			uint64_t wake = due - RP_SPIN_NS;
			struct timespec ts = { .tv_sec = (time_t)(wake / 1000000000ull),
				.tv_nsec = (long)(wake % 1000000000ull) };

			/* a signal cuts it short; the loop comes back */
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		} else {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
		}
	}
}

/* hands what was queued to the port; false (and x->error) if it refuses */
static bool
txsync(struct rp_tx *x)
{
	if (ioctl(x->d->fd, NIOCTXSYNC, NULL) < 0) {
		x->error = errno;
		*x->stop = 1;
		return false;
	}
	return true;
}

/* are frames still waiting in a tx ring? */
static bool
tx_pending(const struct nmport_d *d)
{
	for (unsigned i = d->first_tx_ring; i <= d->last_tx_ring; i++)
		if (nm_tx_pending(NETMAP_TXRING(d->nifp, i)))
			return true;
	return false;
}

/*
 * The frames of entries *@k... due by @limit (ns after base + shift) into
 * @ring, as many as fit and at most @max; returns how many went in, their
 * bytes added to *@bytes.  Each frame is copied into the slots' own buffers
 * (several slots with NS_MOREFRAG when larger than one).
 */
static unsigned
fill(const struct rp_tx *x, struct netmap_ring *ring, size_t *k, uint64_t limit, unsigned max,
    uint64_t *bytes)
{
	const struct rp_sched *s = x->s;
	const uint8_t *data = x->tr->data;
	uint32_t cur = ring->head, room = nm_ring_space(ring), bufsz = ring->nr_buf_size;
	unsigned n = 0;
	size_t i = *k;

	if (bufsz == 0 || cur >= ring->num_slots)
		return 0;
	while (n < max && i < s->ne && s->e[i].t <= limit) {
		const struct rp_entry *e = &s->e[i];
		const uint8_t *src = data + e->off;
		uint32_t left = e->len, need = left <= bufsz ? 1 : (left + bufsz - 1) / bufsz;

		if (need > room)
			break;
		room -= need;
		for (;;) {
			struct netmap_slot *sl = &ring->slot[cur];
			uint32_t chunk = left > bufsz ? bufsz : left;

			memcpy(NETMAP_BUF(ring, sl->buf_idx), src, chunk);
			sl->len = (uint16_t)chunk;
			left -= chunk;
			src += chunk;
			sl->flags = left ? NS_MOREFRAG : 0;
			cur = nm_ring_next(ring, cur);
			if (!left)
				break;
		}
		*bytes += e->len;
		n++;
		i++;
	}
	ring->head = ring->cur = cur;
	*k = i;
	return n;
}

void *
rp_tx_main(void *arg)
{
	struct rp_tx *x = arg;
	struct rp_sched *s = x->s;
	struct nmport_d *d = x->d;
	uint64_t base, known_now, shift, sent = 0, bytes = 0;
	unsigned pending = 0, ri = d->first_tx_ring, full = 0;
	unsigned nrings = (unsigned)(d->last_tx_ring - d->first_tx_ring + 1);

	if (x->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(x->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
			fprintf(stderr, "nmreplay: warning: cannot pin the tx thread to cpu %d\n",
			    x->cpu);
	}
	base = known_now = lm_now();
	while (!*x->stop && rp_sched_next(s)) {
		shift = (uint64_t)s->shift;
		for (size_t k = 0; k < s->ne && !*x->stop;) {
			uint64_t due = base + shift + s->e[k].t;
			unsigned n;

			if (due > known_now) {
				known_now = lm_now();
				if (due > known_now) {
					/* nothing is due yet: what is queued goes now */
					if (pending && !txsync(x))
						break;
					pending = 0;
					wait_until(due, x->stop);
					known_now = lm_now();
					continue;
				}
			}
			/* what is due, a batch at a time (pending < burst here) */
			n = fill(x, NETMAP_TXRING(d->nifp, ri), &k, known_now - base - shift,
			    x->burst - pending, &bytes);
			if (n) {
				if (sent == 0)
					x->t_first = lm_now();
				sent += n;
				pending += n;
				full = 0;
				__atomic_store_n(&x->sent, sent, __ATOMIC_RELAXED);
				__atomic_store_n(&x->bytes, bytes, __ATOMIC_RELAXED);
			}
			if (pending >= x->burst || n == 0) {
				if (!txsync(x))
					break;
				pending = 0;
			}
			if (n == 0 && ++full >= nrings) {
				/* every ring full (after handing them over): wait for room */
				struct pollfd pfd = { .fd = d->fd, .events = POLLOUT };

				if (poll(&pfd, 1, 100) > 0 && (pfd.revents & POLLERR)) {
					x->error = EIO;
					*x->stop = 1;
				}
				full = 0;
			}
			if (n == 0 && nrings > 1)
				ri = ri == d->last_tx_ring ? d->first_tx_ring : ri + 1u;
		}
	}
	x->t_last = lm_now();
	/*
	 * the last frames: handed over and, unless told to stop, given two
	 * seconds to leave the rings
	 */
	if (!x->error && txsync(x) && !*x->stop) {
		uint64_t give_up = lm_now() + 2000000000ull;

		while (tx_pending(x->d) && lm_now() < give_up) {
			struct timespec ts = { 0, 200000 };

			if (!txsync(x))
				break;
			nanosleep(&ts, NULL);
		}
	}
	__atomic_store_n(&x->done, true, __ATOMIC_RELEASE);
	return NULL;
}
