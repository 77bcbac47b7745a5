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
 * A copy is read at the frame's data offset and written at the monitor
 * ring's initial offset (NETMAP_REQ_OPT_OFFSETS); a /z monitor takes no
 * offsets.  A monitor slot gets the frame's slot flags, NS_TXMON set for frames of a
 * tx ring and cleared for others; /z swaps the lengths with the buffers.
 * A monitor ring short of room takes the newest frames of a batch, as
 * netmap's does: the others are lost (counted in its kring's lost) and
 * the port is never held up.  Several processes may feed one monitor ring
 * (a port's tx and rx sides): they take the ring's lock, which records the
 * holder so that a dead holder's lock is taken over; a lock that stays
 * taken loses the batch too.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/core.h"
#include "shared/identity.h"
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

/*
 * The eventfds of the monitors listed now in kring @k of @kr's region,
 * kept in *@slot (asked once per change of the list)
 */
static struct mon_cache *
cache_of(struct unm_kr *kr, struct unm_kring *k, void **slot)
{
	struct unm_region_map *rm = kr->b->rm;
	struct mon_cache *c = *slot;
	uint32_t gen = __atomic_load_n(&k->mon_gen, __ATOMIC_ACQUIRE);
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
		*slot = c;
	}
	cache_drop(c);
	q.mem_id = kr->b->mem_id;
	/* the ring object's index from where its kring is, not from what it says */
	q.ring = (uint32_t)(((char *)k - rm->kbase - unm_kring_kofs(0)) / sizeof(*k));
	if (unm_query(kr->b, &q, which, sizeof(which), &len, fds, UNM_MAX_MONITORS, &nfds) == 0 &&
	    len == sizeof(which)) {
		for (unsigned j = 0; j < UNM_MAX_MONITORS && used < nfds; j++)
			if (which[j] != UINT32_MAX)
				c->evfd[j] = fds[used++];
	}
	unm_close_fds(fds + used, nfds - used);
	c->gen = gen;
	return c;
}

static struct mon_cache *
cache(struct unm_kr *kr)
{
	return cache_of(kr, kr->k, &kr->mon);
}

static void
cache_free(void **slot)
{
	if (*slot) {
		cache_drop(*slot);
		free(*slot);
		*slot = NULL;
	}
}

void
unm_mon_free(struct unm_kr *kr)
{
	cache_free(&kr->mon);
	cache_free(&kr->lmon);
}

static bool
lock(struct unm_kring *mk)
{
	uint32_t me = unm_id_self(), cur;

	for (int i = 0; i < 20000; i++) {
		cur = 0;
		if (__atomic_compare_exchange_n(&mk->lock, &cur, me, false, __ATOMIC_ACQUIRE,
		    __ATOMIC_RELAXED))
			return true;
		if (cur && cur != me && unm_id_dead(cur) &&
		    __atomic_compare_exchange_n(&mk->lock, &cur, me, false, __ATOMIC_ACQUIRE,
		    __ATOMIC_RELAXED))
			return true;
		__builtin_ia32_pause();
	}
	return false;
}

/* the monitored ring: its kring, its slots, and the region they live in */
struct mon_src {
	struct unm_region_map *rm;
	struct unm_kring *k;
	struct netmap_slot *slot;
	uint32_t n;
	uint16_t txmon;		/* NS_TXMON for frames of a tx ring */
};

/* a monitor ring we are adding to, locked */
struct mring {
	struct netmap_ring *ring;
	struct unm_kring *k;
	uint32_t n, prod, space;
};

/* is monitor ring @mi still entry @j of @k's list? (the daemon takes it out before freeing it) */
static bool
listed(struct unm_kring *k, unsigned j, uint32_t mi)
{
	return __atomic_load_n(&k->mon_ring[j], __ATOMIC_SEQ_CST) == mi;
}

enum mget { MR_OK, MR_BUSY, MR_GONE };

/*
 * Monitor ring object @mi, entry @j of @k's list, locked, with its free
 * room.  MR_BUSY when it is no sane ring or its lock is stuck: whatever
 * was for it is lost (and counted there).  MR_GONE when it left the list
 * meanwhile: the daemon takes the lock of a departing monitor's ring
 * after unlisting it and before freeing it, so a ring still listed once
 * locked is not freed under us.
 */
static enum mget
mring_get(struct unm_region_map *rm, struct unm_kring *k, unsigned j, uint32_t mi,
    struct mring *mr)
{
	uint32_t cons;

	mr->ring = unm_rm_ring(rm, mi);
	mr->k = unm_rm_kring(rm, mi);
	mr->n = mr->k->num_slots;
	if (mr->n < 2 || unm_ring_objsize(mr->n) > rm->L.ring.objsize || !lock(mr->k))
		return listed(k, j, mi) ? MR_BUSY : MR_GONE;
	if (!listed(k, j, mi)) {
		__atomic_store_n(&mr->k->lock, 0, __ATOMIC_RELEASE);
		return MR_GONE;
	}
	mr->prod = mr->k->pipe_tail;
	cons = __atomic_load_n(&mr->k->nr_hwcur, __ATOMIC_ACQUIRE);
	if (mr->prod >= mr->n || cons >= mr->n) {
		__atomic_store_n(&mr->k->lock, 0, __ATOMIC_RELEASE);
		return MR_BUSY;
	}
	mr->space = mr->n - 1 - unm_dist(cons, mr->prod, mr->n);
	return MR_OK;
}

/* publishes what was added, unlocks, counts the losses, wakes the reader */
static void
mring_put(struct mring *mr, uint32_t added, uint64_t lost, int evfd)
{
	__atomic_store_n(&mr->k->pipe_tail, mr->prod, __ATOMIC_RELEASE);
	__atomic_store_n(&mr->k->lock, 0, __ATOMIC_RELEASE);
	if (lost)
		__atomic_add_fetch(&mr->k->lost, lost, __ATOMIC_RELAXED);
	if (added && evfd >= 0)
		unm_notify(mr->k, evfd);
}

/*
 * A copy of frame @sv of @src into monitor slot @d: read at the frame's
 * data offset (as the monitored ring's offsets say), written at the
 * monitor ring's own offset, cut to what fits there (netmap truncates).
 * False when the frame's offset does not fit its buffer: nothing to copy.
 */
static bool
mon_copy(const struct mring *mr, const struct mon_src *src, const struct netmap_slot *sv,
    struct netmap_slot *d, uint32_t dbuf, char *bufs, uint32_t bsz)
{
	uint32_t soff, doff = unm_rx_off(mr->k, bsz), len;
	struct netmap_slot s = *sv;

	if (s.len > bsz)
		s.len = (uint16_t)bsz;
	if (!unm_slot_off(src->k, &s, bsz, &soff))
		return false;
	len = s.len < bsz - doff ? s.len : bsz - doff;
	/* dbuf: the index the caller read once and checked (the monitor may rewrite d) */
	memcpy(bufs + (uint64_t)dbuf * bsz + doff, bufs + (uint64_t)s.buf_idx * bsz + soff,
	    len);
	d->len = (uint16_t)len;
	unm_slot_set_off(d, __atomic_load_n(&mr->k->off_mask, __ATOMIC_RELAXED), doff);
	return true;
}

/*
 * Slots [from, to) of @src into @mr: copies, or the buffers themselves
 * (@zc, the slot getting the monitor's spare buffer and length, flagged
 * NS_BUF_CHANGED).  When the room is short the newest frames are kept, as
 * netmap does.  Returns how many were lost; *added how many went in.
 */
static uint64_t
mring_fill(struct mring *mr, const struct mon_src *src, uint32_t from, uint32_t to, bool zc,
    uint32_t *added)
{
	struct unm_region_map *rm = src->rm;
	char *bufs = rm->base + rm->L.buf.ofs;
	uint32_t bsz = rm->L.buf.objsize, nb = rm->L.buf.num;
	uint32_t count = unm_dist(from, to, src->n);
	uint64_t lost = 0;

	*added = 0;
	if (count > mr->space) {
		lost = count - mr->space;
		from = (uint32_t)((from + lost) % src->n);
	}
	for (uint32_t i = from; i != to; i = unm_next(i, src->n)) {
		struct netmap_slot *s = &src->slot[i], *d = &mr->ring->slot[mr->prod];
		struct netmap_slot sv = *s;
		uint32_t dbuf = __atomic_load_n(&d->buf_idx, __ATOMIC_RELAXED);

		if (sv.buf_idx < 2 || sv.buf_idx >= nb || dbuf < 2 || dbuf >= nb) {
			lost++;
			continue;
		}
		if (zc) {
			d->buf_idx = sv.buf_idx;
			s->buf_idx = dbuf;
			s->len = d->len;
			d->len = sv.len;
			d->ptr = sv.ptr;	/* the frame's data offset, in the watched ring's bits */
			s->flags = sv.flags | NS_BUF_CHANGED;
		} else if (!mon_copy(mr, src, &sv, d, dbuf, bufs, bsz)) {
			lost++;
			continue;
		}
		d->flags = (uint16_t)((sv.flags & ~NS_TXMON) | src->txmon);
		mr->prod = unm_next(mr->prod, mr->n);
		(*added)++;
	}
	return lost;
}

/* slots [from, to) of @src go to every monitor listed with @how in its kring */
static void
feed(const struct mon_src *src, struct mon_cache *c, uint32_t from, uint32_t to, uint16_t how)
{
	struct unm_kring *k = src->k;
	struct unm_region_map *rm = src->rm;

	if (!c || from >= src->n || to >= src->n)	/* read from shared memory by the callers */
		return;
	for (unsigned j = 0; j < UNM_MAX_MONITORS && j < k->nmon; j++) {
		uint32_t mi = k->mon_ring[j], added;
		struct mring mr;
		enum mget g;
		uint64_t lost;

		if (k->mon_flags[j] != how || mi >= rm->L.ring.num)
			continue;
		g = mring_get(rm, k, j, mi, &mr);
		if (g != MR_OK) {
			if (g == MR_BUSY)
				__atomic_add_fetch(&mr.k->lost, unm_dist(from, to, src->n),
				    __ATOMIC_RELAXED);
			continue;
		}
		lost = mring_fill(&mr, src, from, to, how == UNM_MON_ZCOPY, &added);
		mring_put(&mr, added, lost, c->evfd[j]);
	}
}

/*
 * Arrivals [from, to) of rx ring @src: for each copy monitor, what nobody
 * has copied yet.  Its mon_tail says where copies stopped: inside
 * [from, to] copying resumes there; between @to and what the producer has
 * published (*@end, read under the monitor's lock) the producer copied
 * ahead of us and there is nothing to do; anywhere else (a new monitor,
 * frames lost to a stuck lock, garbage) the copy starts at @from.
 */
static void
arrivals(const struct mon_src *src, struct mon_cache *c, uint32_t from, uint32_t to,
    const uint32_t *end)
{
	struct unm_kring *k = src->k;
	struct unm_region_map *rm = src->rm;
	uint32_t n = src->n;

	if (!c || from >= n || to >= n)
		return;
	for (unsigned j = 0; j < UNM_MAX_MONITORS && j < k->nmon; j++) {
		uint32_t mi = k->mon_ring[j], added, t, e, start = from;
		struct mring mr;
		enum mget g;
		uint64_t lost;

		if (k->mon_flags[j] != UNM_MON_COPY || mi >= rm->L.ring.num)
			continue;
		g = mring_get(rm, k, j, mi, &mr);
		if (g != MR_OK) {
			if (g == MR_BUSY)
				__atomic_add_fetch(&mr.k->lost, unm_dist(from, to, n), __ATOMIC_RELAXED);
			continue;
		}
		t = __atomic_load_n(&k->mon_tail[j], __ATOMIC_RELAXED);
		e = end ? __atomic_load_n(end, __ATOMIC_ACQUIRE) : to;
		if (e >= n)
			e = to;
		if (t < n && unm_between(from, t, to, n))
			start = t;
		else if (t < n && unm_between(to, t, e, n))
			start = to;
		lost = mring_fill(&mr, src, start, to, false, &added);
		if (start != to)
			__atomic_store_n(&k->mon_tail[j], to, __ATOMIC_RELAXED);
		mring_put(&mr, added, lost, c->evfd[j]);
	}
}

/* @kr's own ring as a monitored ring */
static struct mon_src
own(struct unm_kr *kr)
{
	return (struct mon_src){ .rm = kr->b->rm, .k = kr->k, .slot = kr->ring->slot, .n = kr->n,
	    .txmon = kr->dir == NR_TX ? NS_TXMON : 0 };
}

void
unm_mon_copy(struct unm_kr *kr, uint32_t from, uint32_t to)
{
	struct mon_src src = own(kr);

	if (from != to)
		feed(&src, cache(kr), from, to, UNM_MON_COPY);
}

void
unm_mon_zcopy(struct unm_kr *kr, uint32_t from, uint32_t to)
{
	struct mon_src src = own(kr);

	if (from != to)
		feed(&src, cache(kr), from, to, UNM_MON_ZCOPY);
}

void
unm_mon_arrived(struct unm_kr *kr, uint32_t from, uint32_t to)
{
	struct mon_src src = own(kr);

	if (from != to)
		arrivals(&src, cache(kr), from, to, kr->ops->rx_fed_by_peer ? &kr->k->pipe_tail : NULL);
}

void
unm_mon_peer_arrived(struct unm_kr *kr, uint32_t from, uint32_t to)
{
	struct mon_src src;

	if (from == to || !kr->lk)
		return;
	src = (struct mon_src){ .rm = kr->b->rm, .k = kr->lk, .slot = kr->lring->slot, .n = kr->n };
	arrivals(&src, cache_of(kr, kr->lk, &kr->lmon), from, to, NULL);
}
