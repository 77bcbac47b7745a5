/*
 * line.c - one direction of the link: the producer reads the input port
 * and copies each frame into the delay line with the time it must leave;
 * the consumer sends each into the output port when its time has come.
 *
 * The delay line is a ring of bytes, one writer and one reader: entries
 * (a 16-byte header and the frame, rounded to 16 bytes) never straddle its
 * end: an entry that would is preceded by a wrap mark.  Positions only
 * grow; the producer publishes its tail after each batch (release), the
 * consumer its head after each frame.
 *
 * The model (netmap's tlem prod_procpkt), frame after frame:
 *   loss (-L) -> the queue: dropped if the link's backlog, in bytes at its
 *   rate, exceeds -Q -> link time tt at -B: the queue releases the frame
 *   at qout = max(qout, now) + tt (-B avg: no link time, but dropped if
 *   its token bucket is short of the frame) -> delay (-D, less -O;
 *   inter-packet: a gap after the previous departure, or its delay if
 *   the line is idle) -> it leaves at max(qout + delay, previous
 *   departure + tt), never before a frame that came in earlier (-P 1:
 *   dropped instead, and the drawn delay kept for the next frame, as
 *   netmap's).  The time stored is the start of its transmission
 *   (departure - tt), as netmap's.
 * -R holds a frame, with its probability, for its time in a second FIFO
 * before all of that: it re-enters the stream later, behind newer frames.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>

#include <libnetmap.h>

#include "tlem.h"

#define TL_INF_BPS	10e9	/* "no limit" when sizing the line: faster than we forward */
#define TL_SLEEP_MAX	250000u	/* ns: an idle consumer sleeps at most this long */
#define TL_PUBLISH	64u	/* frames between two publications of the tail */

struct ent {
	uint32_t len;		/* 0: a wrap mark */
	uint32_t pad;
	uint64_t t;		/* ns (CLOCK_MONOTONIC): when it leaves; -R: when released */
};

static inline uint64_t
ent_size(uint32_t len)
{
	return (sizeof(struct ent) + len + 15) & ~(uint64_t)15;
}

void
tl_pin(int cpu, const char *who)
{
	cpu_set_t set;
	int e;

	/* sleeps end when asked, not 50 us later */
	prctl(PR_SET_TIMERSLACK, 1000ul, 0, 0, 0);
	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	e = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (e && tl_verbose > 0)	/* netmap's tlem goes on too */
		fprintf(stderr, "tlem: %s: cannot run on cpu %d (%s), left to the scheduler\n", who,
		    cpu, strerror(e));
}

/* ------------------------------------------------------------ memory */

static uint64_t
line_size(double bps, double delay, uint64_t qsize)
{
	double need = (bps > 0 ? bps : TL_INF_BPS) * (delay + 1e6) / 8e9;	/* 1 ms more */

	need += (double)qsize + 3.0 * TL_MAX_PKT;
	need *= 1.5;			/* headers and rounding of small frames */
	need = need < 4e6 ? 4e6 : need;
	return ((uint64_t)need + (2u << 20) - 1) & ~(uint64_t)((2u << 20) - 1);
}

static uint8_t *
line_map(uint64_t len, bool huge)
{
	void *p = MAP_FAILED;

	if (huge)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int
tl_dir_alloc(struct tl_dir *d)
{
	const struct tl_dir_sess *ds = d->sess;
	const struct tl_params *p = &ds->inst[atomic_load(&ds->active) % TL_NINST];

	d->buflen = line_size(ds->max_bps, ds->max_delay, p->qsize);
	d->buf = line_map(d->buflen, d->hugepages);
	if (!d->buf)
		return -1;
	if (ds->max_hold > 0) {
		d->holdlen = line_size(ds->max_bps, ds->max_hold, 0);
		d->hold = line_map(d->holdlen, d->hugepages);
		if (!d->hold)
			return -1;
	}
	return 0;
}

void
tl_dir_free(struct tl_dir *d)
{
	if (d->buf)
		munmap(d->buf, d->buflen);
	if (d->hold)
		munmap(d->hold, d->holdlen);
	d->buf = d->hold = NULL;
}

/*
 * room for an entry of @len bytes at @tail, the reader at @head: its
 * position (after a wrap mark if one is needed), or -1
 */
static int64_t
ring_room(uint8_t *buf, uint64_t size, uint64_t *tail, uint64_t head, uint32_t len)
{
	uint64_t need = ent_size(len), pos = *tail % size, rem = size - pos;
	uint64_t skip = rem < need ? rem : 0;

	if (*tail + skip + need - head > size)
		return -1;
	if (skip) {
		((struct ent *)(buf + pos))->len = 0;	/* wrap mark */
		*tail += skip;
		pos = 0;
	}
	return (int64_t)pos;
}

/* ------------------------------------------------------------ the producer */

struct prod {
	struct tl_dir *d;
	const struct tl_params *p;
	uint32_t active;
	uint64_t rng;
	double qout, qtx;	/* ns: the queue's and the delay line's last exits */
	double delay;		/* the last drawn delay */
	bool reuse_delay;
	struct lm_bucket tb;	/* -B avg */
	uint64_t tail, head;	/* the line's: ours, and the last seen of the consumer */
	uint64_t htail, hhead;	/* the hold FIFO's */
	double hold_last;	/* release time of the last held frame */
	uint8_t frag[TL_MAX_PKT];	/* a frame of several slots, gathered */
};

/* a new parameter set from a client? false: asked to stop */
static bool
prod_params(struct prod *pr)
{
	uint32_t a = atomic_load_explicit(&pr->d->sess->active, memory_order_acquire);

	if (a >= TL_NINST) {
		tl_stop = 1;
		return false;
	}
	if (a != pr->active || !pr->p) {
		bool first = !pr->p;

		pr->active = a;
		pr->p = &pr->d->sess->inst[a];
		pr->reuse_delay = false;
		/* -B avg: empty when the line starts, full with a client's new set (netmap's) */
		lm_bucket_start(&pr->tb, &pr->p->link, lm_now(), !first);
		/* a client may now fill the other set */
		atomic_store_explicit(&pr->d->sess->in_use, a, memory_order_release);
		if (tl_verbose > 1 && !first)
			fprintf(stderr, "tlem: %s -> %s: new parameters (set %u)\n", pr->d->in_name,
			    pr->d->out_name, a);
	}
	return true;
}

static void
publish(struct prod *pr)
{
	atomic_store_explicit(&pr->d->tail, pr->tail, memory_order_release);
}

/* the model, then into the delay line */
static void
prod_frame(struct prod *pr, const uint8_t *f, uint32_t len, uint64_t now)
{
	struct tl_dir *d = pr->d;
	const struct tl_params *p = pr->p;
	const struct lm_cfg *c = &p->link;
	double tt, t_tx;
	int64_t pos;
	struct ent *e;

	if (pr->qout < (double)now)
		pr->qout = (double)now;
	if (c->loss != LM_L_NONE && lm_rnd01(&pr->rng) < lm_loss_prob(c, len)) {
		atomic_fetch_add_explicit(&d->st->lost, 1, memory_order_relaxed);
		return;
	}
	/* the queue: what the link has not sent yet, in bytes at its rate */
	if (p->qsize && c->bps > 0 && (pr->qout - (double)now) * c->bps / 8e9 > (double)p->qsize) {
		atomic_fetch_add_explicit(&d->st->qdrop, 1, memory_order_relaxed);
		return;
	}
	pos = ring_room(d->buf, d->buflen, &pr->tail, pr->head, len);
	if (pos < 0) {
		/* give the consumer a chance, once, as netmap's */
		publish(pr);
		sched_yield();
		pr->head = atomic_load_explicit(&d->head, memory_order_acquire);
		pos = ring_room(d->buf, d->buflen, &pr->tail, pr->head, len);
		if (pos < 0) {
			atomic_fetch_add_explicit(&d->st->qdrop, 1, memory_order_relaxed);
			return;
		}
	}
	if (c->bw == LM_BW_AVG && !lm_bucket_take(c, &pr->tb, len, now)) {
		atomic_fetch_add_explicit(&d->st->qdrop, 1, memory_order_relaxed);
		return;
	}
	tt = lm_link_time(c, len);
	pr->qout += tt;
	if (!pr->reuse_delay) {
		if (c->delay == LM_D_IPD)
			pr->delay = lm_ipd_delay(c, &pr->rng, pr->qtx, (double)now);
		else
			pr->delay = lm_delay_draw(c, &pr->rng);
		pr->delay -= p->delay_offset;
		if (pr->delay < 0)
			pr->delay = 0;
	}
	t_tx = pr->qout + pr->delay;
	if (t_tx < pr->qtx + tt) {
		pr->reuse_delay = true;
		if (p->allow_drop) {
			pr->qout -= tt;
			atomic_fetch_add_explicit(&d->st->other, 1, memory_order_relaxed);
			return;
		}
		t_tx = pr->qtx + tt;
	} else {
		pr->reuse_delay = false;
	}
	pr->qtx = t_tx;
	e = (struct ent *)(d->buf + pos);
	e->len = len;
	e->t = (uint64_t)(t_tx - tt);
	memcpy(e + 1, f, len);
	pr->tail += ent_size(len);
}

/* -R: hold @f back? (copied into the hold FIFO if so) */
static bool
prod_hold(struct prod *pr, const uint8_t *f, uint32_t len, uint64_t now)
{
	const struct tl_params *p = pr->p;
	struct tl_dir *d = pr->d;
	double rel;
	int64_t pos;
	struct ent *e;

	if (!(p->hold_p > 0) || !d->hold || lm_rnd01(&pr->rng) >= p->hold_p)
		return false;
	/* in the FIFO nothing overtakes: a release never before the one before it */
	rel = (double)now + p->hold_t;
	if (pr->htail != pr->hhead && rel < pr->hold_last)
		rel = pr->hold_last;
	pos = ring_room(d->hold, d->holdlen, &pr->htail, pr->hhead, len);
	if (pos < 0) {
		atomic_fetch_add_explicit(&d->st->qdrop, 1, memory_order_relaxed);
		return true;
	}
	pr->hold_last = rel;
	e = (struct ent *)(d->hold + pos);
	e->len = len;
	e->t = (uint64_t)rel;
	memcpy(e + 1, f, len);
	pr->htail += ent_size(len);
	atomic_fetch_add_explicit(&d->st->held, 1, memory_order_relaxed);
	return true;
}

/* the next held frame due by @now, or NULL (wrap marks skipped) */
static struct ent *
hold_due(struct prod *pr, uint64_t now)
{
	while (pr->hhead != pr->htail) {
		struct ent *e = (struct ent *)(pr->d->hold + pr->hhead % pr->d->holdlen);

		if (e->len == 0) {
			pr->hhead += pr->d->holdlen - pr->hhead % pr->d->holdlen;
			continue;
		}
		return e->t <= now ? e : NULL;
	}
	return NULL;
}

/* ns until the first held frame is due (UINT64_MAX: none) */
static uint64_t
hold_next(struct prod *pr, uint64_t now)
{
	struct ent *e;

	if (pr->hhead == pr->htail)
		return UINT64_MAX;
	e = (struct ent *)(pr->d->hold + pr->hhead % pr->d->holdlen);
	if (e->len == 0)
		return 0;
	return e->t > now ? e->t - now : 0;
}

/* the frame at the ring's head (its slots gathered if several); NULL: not all there */
static const uint8_t *
rx_frame(struct prod *pr, struct netmap_ring *r, uint32_t *lenp, unsigned *slotsp)
{
	uint32_t i = r->head, len = 0;
	unsigned n = 0, avail = nm_ring_space(r);
	const uint8_t *first = NULL;
	bool over = false;

	for (;;) {
		struct netmap_slot *s = &r->slot[i];
		const uint8_t *b = (const uint8_t *)NETMAP_BUF_OFFSET(r, s);

		if (n == avail)
			return NULL;
		n++;
		if (n == 1)
			first = b;
		if (!over && len + s->len <= TL_MAX_PKT) {
			if (n > 1 || (s->flags & NS_MOREFRAG)) {
				memcpy(pr->frag + len, b, s->len);
			}
		} else {
			over = true;
		}
		len += s->len;
		if (!(s->flags & NS_MOREFRAG))
			break;
		i = nm_ring_next(r, i);
	}
	*slotsp = n;
	*lenp = over ? UINT32_MAX : len;
	return n > 1 ? pr->frag : first;
}

void *
tl_producer(void *arg)
{
	struct tl_dir *d = arg;
	struct nmport_d *in = d->in;
	struct prod *pr = calloc(1, sizeof(*pr));

	if (!pr) {
		d->error = ENOMEM;
		tl_stop = 1;
		return NULL;
	}
	pr->d = d;
	pr->rng = lm_seed() ^ ((uint64_t)d->idx << 56);
	tl_pin(d->prod_cpu, "producer");
	while (!tl_stop && prod_params(pr)) {
		uint64_t now;
		unsigned count = 0;
		struct ent *e;

		if (ioctl(in->fd, NIOCRXSYNC, NULL) < 0) {
			d->error = errno;
			tl_stop = 1;
			break;
		}
		now = lm_now();
		pr->head = atomic_load_explicit(&d->head, memory_order_acquire);
		while (count < d->burst && (e = hold_due(pr, now)) != NULL) {
			prod_frame(pr, (const uint8_t *)(e + 1), e->len, now);
			pr->hhead += ent_size(e->len);
			count++;
		}
		for (unsigned ri = in->first_rx_ring; ri <= in->last_rx_ring; ri++) {
			struct netmap_ring *r = NETMAP_RXRING(in->nifp, ri);

			while (count < d->burst && !nm_ring_empty(r)) {
				uint32_t len;
				unsigned slots;
				const uint8_t *f = rx_frame(pr, r, &len, &slots);

				if (!f)
					break;
				count++;
				atomic_fetch_add_explicit(&d->st->in, 1, memory_order_relaxed);
				if (len == UINT32_MAX || len < 14) {
					atomic_fetch_add_explicit(&d->st->other, 1, memory_order_relaxed);
				} else {
					atomic_fetch_add_explicit(&d->st->in_bytes, len, memory_order_relaxed);
					if (d->route && f[12] == 0x08 && f[13] == 0x06)
						tl_route_arp_in(d->in_if, d->arp_in, f, len);
					else if (!prod_hold(pr, f, len, now))
						prod_frame(pr, f, len, now);
				}
				for (unsigned k = 0; k < slots; k++)
					r->head = nm_ring_next(r, r->head);
				r->cur = r->head;
				/* the consumer starts on a batch before its end */
				if ((count & (TL_PUBLISH - 1)) == 0)
					publish(pr);
			}
		}
		publish(pr);
		if (count == 0) {
			/* nothing: wait for frames, a held frame's time, or 10 ms */
			uint64_t wait = hold_next(pr, now);
			struct pollfd pfd = { .fd = in->fd, .events = POLLIN };
			struct timespec ts;

			if (wait > 10000000u)
				wait = 10000000u;
			ts.tv_sec = 0;
			ts.tv_nsec = (long)wait;
			if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR) {
				d->error = errno;
				tl_stop = 1;
			}
		}
	}
	free(pr);
	return NULL;
}

/* ------------------------------------------------------------ the consumer */

bool
tl_inject(struct tl_dir *d, const uint8_t *f, uint32_t len)
{
	struct nmport_d *out = d->out;
	unsigned nr = out->last_tx_ring - out->first_tx_ring + 1;

	for (unsigned k = 0; k < nr; k++) {
		unsigned ri = out->first_tx_ring + (d->cur_tx + k) % nr;
		struct netmap_ring *r = NETMAP_TXRING(out->nifp, ri);
		uint32_t bs = r->nr_buf_size, need = (len + bs - 1) / bs, off = 0;

		if (nm_ring_space(r) < need)
			continue;
		while (off < len) {
			struct netmap_slot *s = &r->slot[r->head];
			uint32_t l = len - off > bs ? bs : len - off;

			memcpy(NETMAP_BUF_OFFSET(r, s), f + off, l);
			s->len = (uint16_t)l;
			off += l;
			s->flags = off < len ? NS_MOREFRAG : 0;
			r->head = r->cur = nm_ring_next(r, r->head);
		}
		d->cur_tx = (d->cur_tx + k) % nr;
		return true;
	}
	return false;
}

static void
sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000ull),
		.tv_nsec = (long)(t % 1000000000ull) };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static bool
txsync(struct tl_dir *d)
{
	if (ioctl(d->out->fd, NIOCTXSYNC, NULL) < 0) {
		d->error = errno;
		tl_stop = 1;
		return false;
	}
	return true;
}

void *
tl_consumer(void *arg)
{
	struct tl_dir *d = arg;
	uint64_t head = atomic_load(&d->head), idle = 10000;
	unsigned pending = 0;
	bool routed = false;	/* the frame at head has its MACs already (a retry) */

	tl_pin(d->cons_cpu, "consumer");
	while (!tl_stop) {
		uint64_t now = lm_now(), tail = atomic_load_explicit(&d->tail, memory_order_acquire);
		struct ent *e;

		if (d->route)
			pending += tl_route_arp_out(d, now);
		if (head == tail) {
			if (pending && !txsync(d))
				break;
			pending = 0;
			sleep_until(now + idle);
			idle = idle * 2 > TL_SLEEP_MAX ? TL_SLEEP_MAX : idle * 2;
			continue;
		}
		idle = 10000;
		e = (struct ent *)(d->buf + head % d->buflen);
		if (e->len == 0) {
			head += d->buflen - head % d->buflen;
			atomic_store_explicit(&d->head, head, memory_order_release);
			continue;
		}
		if (e->t > now) {
			if (pending && !txsync(d))
				break;
			pending = 0;
			sleep_until(e->t - now > 1000000u ? now + 1000000u : e->t);
			continue;
		}
		if (d->max_lag > 0 && (double)(now - e->t) > d->max_lag) {
			atomic_fetch_add_explicit(&d->st->other, 1, memory_order_relaxed);
			goto next;
		}
		if (d->route && !routed) {
			bool counted = false;

			if (!tl_route_frame(d, (uint8_t *)(e + 1), e->len, now, &counted)) {
				if (counted)
					atomic_fetch_add_explicit(&d->st->other, 1, memory_order_relaxed);
				goto next;
			}
			routed = true;
		}
		if (!tl_inject(d, (const uint8_t *)(e + 1), e->len)) {
			/* the rings are full: hand them over, wait a little for room */
			struct pollfd pfd = { .fd = d->out->fd, .events = POLLOUT };
			struct timespec ts = { 0, 1000000 };

			if (!txsync(d))
				break;
			pending = 0;
			if (!tl_inject(d, (const uint8_t *)(e + 1), e->len)) {
				ppoll(&pfd, 1, &ts, NULL);
				continue;
			}
		}
		atomic_fetch_add_explicit(&d->st->out, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&d->st->out_bytes, e->len, memory_order_relaxed);
		if (++pending >= d->burst) {
			if (!txsync(d))
				break;
			pending = 0;
		}
next:
		routed = false;
		head += ent_size(e->len);
		atomic_store_explicit(&d->head, head, memory_order_release);
	}
	if (!d->error)
		ioctl(d->out->fd, NIOCTXSYNC, NULL);
	return NULL;
}
