/*
 * monitor.c - the monitored side of netmap monitors: whenever a ring that
 * has monitors is synced (in whatever process syncs it), the frames go to
 * the monitors' rx rings too (daemon/adapters/monitor.c made them; the
 * monitor reads them through lib/adapters/monitor.c).
 *
 *   copy (/t, /r)  the frame is copied, before its consumer sees it: tx
 *                  frames as the application hands them over, rx frames as
 *                  they arrive;
 *   zero-copy (/z) the buffer itself moves to the monitor, after the
 *                  consumer: tx slots once completed, rx slots once
 *                  released; the slot gets the monitor's spare buffer and
 *                  NS_BUF_CHANGED.
 *
 * Frames from a tx ring carry NS_TXMON.  A monitor ring that is full loses
 * frames (counted in its kring's lost) and never holds the port up.
 * Several processes may feed one monitor ring (a port's tx and rx sides):
 * they take the ring's lock, which records the holder so that a dead
 * holder's lock is taken over.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/core.h"
#include "shared/proto.h"

struct mon_cache {
	uint32_t gen;
	int evfd[UNM_MAX_MONITORS];
};

static void
cache_drop(struct mon_cache *c)
{
	for (unsigned j = 0; j < UNM_MAX_MONITORS; j++) {
		if (c->evfd[j] >= 0)
			syscall(SYS_close, c->evfd[j]);
		c->evfd[j] = -1;
	}
}

/* the eventfds of the monitors listed now (asked once per change of the list) */
static struct mon_cache *
cache(struct unm_kr *kr)
{
	struct mon_cache *c = kr->mon;
	uint32_t gen = __atomic_load_n(&kr->k->mon_gen, __ATOMIC_ACQUIRE);
	uint32_t which[UNM_MAX_MONITORS];
	int fds[UNM_MAX_MONITORS];
	unsigned nfds = 0, used = 0;
	size_t len = 0;
	struct unm_query q = { .type = UNM_Q_MONITORS };

	if (c && c->gen == gen)
		return c;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		for (unsigned j = 0; j < UNM_MAX_MONITORS; j++)
			c->evfd[j] = -1;
		kr->mon = c;
	}
	cache_drop(c);
	q.mem_id = kr->b->mem_id;
	q.ring = (uint32_t)((kr->k->ring_ofs - kr->b->rm->L.ring.ofs) / kr->b->rm->L.ring.objsize);
	if (unm_query(&q, which, sizeof(which), &len, fds, UNM_MAX_MONITORS, &nfds) == 0 &&
	    len == sizeof(which)) {
		for (unsigned j = 0; j < UNM_MAX_MONITORS && used < nfds; j++)
			if (which[j] != UINT32_MAX)
				c->evfd[j] = fds[used++];
	}
	unm_close_fds(fds + used, nfds - used);
	c->gen = gen;
	return c;
}

void
unm_mon_free(struct unm_kr *kr)
{
	if (kr->mon) {
		cache_drop(kr->mon);
		free(kr->mon);
		kr->mon = NULL;
	}
}

static bool
lock(struct unm_kring *mk)
{
	uint32_t me = (uint32_t)getpid(), cur;

	for (int i = 0; i < 20000; i++) {
		cur = 0;
		if (__atomic_compare_exchange_n(&mk->lock, &cur, me, false, __ATOMIC_ACQUIRE,
		    __ATOMIC_RELAXED))
			return true;
		if (cur && cur != me && kill((pid_t)cur, 0) < 0 && errno == ESRCH &&
		    __atomic_compare_exchange_n(&mk->lock, &cur, me, false, __ATOMIC_ACQUIRE,
		    __ATOMIC_RELAXED))
			return true;
		__builtin_ia32_pause();
	}
	return false;
}

/* slots [from, to) of @kr go to every monitor that wants @how of them */
static void
feed(struct unm_kr *kr, uint32_t from, uint32_t to, uint16_t how)
{
	struct unm_region_map *rm = kr->b->rm;
	struct unm_kring *k = kr->k;
	struct netmap_slot *src = kr->ring->slot;
	char *bufs = rm->base + rm->L.buf.ofs;
	uint32_t bsz = rm->L.buf.objsize, nb = rm->L.buf.num;
	uint16_t txmon = kr->dir == NR_TX ? NS_TXMON : 0;
	struct mon_cache *c;

	if (from == to || !(c = cache(kr)))
		return;
	for (unsigned j = 0; j < UNM_MAX_MONITORS && j < k->nmon; j++) {
		uint32_t mi = k->mon_ring[j];
		struct netmap_ring *m;
		struct unm_kring *mk;
		uint32_t n, prod, cons, space;
		uint64_t lost = 0;
		bool zc = how == UNM_MON_ZCOPY;

		if (k->mon_flags[j] != how || mi >= rm->L.ring.num)
			continue;
		m = (struct netmap_ring *)(rm->base + unm_ring_ofs(&rm->L, mi));
		mk = (struct unm_kring *)(rm->base + unm_kring_ofs(&rm->L, mi));
		n = mk->num_slots;
		if (n < 2 || unm_ring_objsize(n) > rm->L.ring.objsize || !lock(mk))
			continue;
		prod = mk->pipe_tail;
		cons = __atomic_load_n(&mk->nr_hwcur, __ATOMIC_ACQUIRE);
		if (prod >= n || cons >= n) {
			__atomic_store_n(&mk->lock, 0, __ATOMIC_RELEASE);
			continue;
		}
		space = n - 1 - unm_dist(cons, prod, n);
		for (uint32_t i = from; i != to; i = unm_next(i, kr->n)) {
			struct netmap_slot *s = &src[i], *d = &m->slot[prod];

			if (!space) {
				lost++;
				continue;
			}
			if (s->buf_idx < 2 || s->buf_idx >= nb || d->buf_idx < 2 || d->buf_idx >= nb ||
			    s->len > bsz) {
				lost++;
				continue;
			}
			if (zc) {
				uint32_t t = d->buf_idx;

				d->buf_idx = s->buf_idx;
				s->buf_idx = t;
				s->flags |= NS_BUF_CHANGED;
			} else {
				memcpy(bufs + (uint64_t)d->buf_idx * bsz, bufs + (uint64_t)s->buf_idx * bsz,
				    s->len);
			}
			d->len = s->len;
			d->flags = (uint16_t)((s->flags & NS_MOREFRAG) | txmon);
			prod = unm_next(prod, n);
			space--;
		}
		__atomic_store_n(&mk->pipe_tail, prod, __ATOMIC_RELEASE);
		__atomic_store_n(&mk->lock, 0, __ATOMIC_RELEASE);
		if (lost)
			__atomic_add_fetch(&mk->lost, lost, __ATOMIC_RELAXED);
		if (c->evfd[j] >= 0)
			unm_notify(mk, c->evfd[j]);
	}
}

void
unm_mon_copy(struct unm_kr *kr, uint32_t from, uint32_t to)
{
	feed(kr, from, to, UNM_MON_COPY);
}

void
unm_mon_zcopy(struct unm_kr *kr, uint32_t from, uint32_t to)
{
	feed(kr, from, to, UNM_MON_ZCOPY);
}
