/*
 * sync.c - txsync and rxsync as netmap's core runs them around a ring's
 * own sync: check what the application wrote (head, cur, tail), run the
 * adapter, publish the new tail, stamp the time.
 *
 * A head or cur outside what the application owns re-initialises the
 * ring: head and cur go back to where the "kernel" side stands and a
 * message names the port, the ring and the field.  A poll() that finds
 * it so reports POLLERR; NIOC*SYNC itself still succeeds, as in netmap.
 */
#include <errno.h>
#include <signal.h>
#include <sys/time.h>

#include "core/core.h"
#include "shared/identity.h"

/* head and cur back to the kernel side's position */
static void
reset_ring(struct unm_kr *kr)
{
	struct unm_kring *k = kr->k;
	struct netmap_ring *ring = kr->ring;
	uint32_t hwcur = k->nr_hwcur < kr->n ? k->nr_hwcur : 0;
	uint32_t hwtail = k->nr_hwtail < kr->n ? k->nr_hwtail : hwcur;

	k->nr_hwcur = hwcur;
	k->nr_hwtail = hwtail;
	ring->head = ring->cur = k->rhead = k->rcur = hwcur;
	*(uint32_t *)&ring->tail = k->rtail = hwtail;
	k->sync_errors++;
}

static void
reinit(struct unm_kr *kr, const char *why, uint32_t got, uint32_t lo, uint32_t hi)
{
	unm_ratelimited(5, "%s: %s %u is outside [%u, %u]; ring reset to head %u",
	    kr->name, why, got, lo, hi, kr->k->nr_hwcur < kr->n ? kr->k->nr_hwcur : 0);
	reset_ring(kr);
}

/*
 * netmap's prologue: the application may move head from where it was up
 * to tail, and cur from head up to tail.  Returns 0 when they are sane.
 */
static int
prologue(struct unm_kr *kr)
{
	struct unm_kring *k = kr->k;
	struct netmap_ring *ring = kr->ring;
	/*
	 * head before cur, with acquire: a thread that writes cur and then
	 * publishes head (netmap-bridge's nb_move) while another thread syncs
	 * the ring is never seen with cur behind its new head
	 */
	uint32_t n = kr->n, head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
	uint32_t cur = __atomic_load_n(&ring->cur, __ATOMIC_RELAXED);
	uint32_t rhead = k->rhead, rtail = k->rtail;

	if (rhead >= n || rtail >= n || k->nr_hwcur >= n || k->nr_hwtail >= n) {
		/* the shared kring itself was overwritten */
		reinit(kr, "kernel state", rhead, 0, n - 1);
		return -1;
	}
	if (ring->tail != rtail) {
		unm_ratelimited(5, "%s: tail overwritten (%u, should be %u); restored",
		    kr->name, ring->tail, rtail);
		*(uint32_t *)&ring->tail = rtail;
	}
	if (head >= n || !unm_between(rhead, head, rtail, n)) {
		reinit(kr, "head", head, rhead, rtail);
		return -1;
	}
	if (cur >= n || !unm_between(head, cur, rtail, n)) {
		reinit(kr, "cur", cur, head, rtail);
		return -1;
	}
	k->rhead = head;
	k->rcur = cur;
	return 0;
}

static void
finalize(struct unm_kr *kr)
{
	struct unm_kring *k = kr->k;
	struct netmap_ring *ring = kr->ring;
	uint32_t t = k->nr_hwtail < kr->n ? k->nr_hwtail : k->rtail;

	k->rtail = t;
	*(uint32_t *)&ring->tail = t;
	if (__builtin_expect(ring->flags & NR_TIMESTAMP, 0))
		gettimeofday(&ring->ts, NULL);
}

/*
 * One sync of a ring at a time, whichever process or thread runs it, as
 * netmap's nm_kr_tryget: a ring another live process (or another thread
 * of ours) is syncing is skipped (the call succeeds and the ring does not
 * move); one whose syncer died mid-sync is taken over (what it did not
 * publish never happened).  Holders are named as shared/identity.h says.
 *
 * A skipped call is not lost, though: it raises sync_again, and the owner
 * runs one more sync of the ring as it lets go (sync_done), which sees
 * the head the skipped caller had set.  Without it, frames a thread put on
 * a ring while another thread's poll() was running txsync there waited
 * for the next sync, which may never come (netmap-bridge's polled lanes,
 * two threads on one descriptor).  The flag and the owner word are a
 * Dekker pair: the skipper raises the flag and then tries the ring again,
 * the owner lets go and then reads the flag, both sequentially consistent,
 * so one of the two always sees the other.
 */
static bool
sync_take(struct unm_kring *k, bool or_dead)
{
	uint32_t me = unm_id_self(), cur = 0;

	if (__atomic_compare_exchange_n(&k->sync_owner, &cur, me, false, __ATOMIC_SEQ_CST,
	    __ATOMIC_SEQ_CST))
		return true;
	return or_dead && cur != me && unm_id_dead(cur) &&
	    __atomic_compare_exchange_n(&k->sync_owner, &cur, me, false, __ATOMIC_SEQ_CST,
	    __ATOMIC_SEQ_CST);
}

/*
 * The ring, ours to sync (@or_dead: taken over from a syncer that died).
 * Skipped syncs flagged before are covered by the sync we are about to
 * run (it reads the head after this), so the flag goes down; with an
 * exchange, which acquires what every skipper wrote before raising it
 * (each raise is an exchange too, so they all belong to one release
 * sequence).
 */
static bool
sync_enter(struct unm_kring *k, bool or_dead)
{
	if (!sync_take(k, or_dead))
		return false;
	if (__atomic_load_n(&k->sync_again, __ATOMIC_RELAXED))
		__atomic_exchange_n(&k->sync_again, 0, __ATOMIC_SEQ_CST);
	return true;
}

static void
sync_leave(struct unm_kring *k)
{
	__atomic_store_n(&k->sync_owner, 0, __ATOMIC_SEQ_CST);
}

/*
 * A sync of @k was skipped: flagged for its owner; true if the ring is
 * ours after all (the owner let go meanwhile).  Whether that owner is
 * dead was asked already.
 */
static bool
sync_skipped(struct unm_kring *k)
{
	__atomic_exchange_n(&k->sync_again, 1, __ATOMIC_SEQ_CST);
	return sync_enter(k, false);
}

/*
 * We let go of the ring; syncs others skipped meanwhile are run by us
 * (they set the head we sync to).  Bounded: under a flood of skipped
 * syncs the flag stays up for the next owner, and a thread never ends up
 * syncing for another one forever.
 */
static void
sync_done(struct unm_kr *kr, int (*sync)(struct unm_kr *))
{
	struct unm_kring *k = kr->k;

	sync_leave(k);
	for (int i = 0; i < 4 && __atomic_load_n(&k->sync_again, __ATOMIC_SEQ_CST); i++) {
		if (!sync_enter(k, false))
			return;		/* its new owner sees the flag as it goes */
		/* an error is logged, and the ring reset, as if the skipped caller had synced */
		sync(kr);
		sync_leave(k);
	}
}

/* after an adapter refused a slot (and said why): restart at its nr_hwcur */
static void
refused(struct unm_kr *kr)
{
	reset_ring(kr);
}

/*
 * Monitors (lib/core/monitor.c) see a tx frame as it is handed over (copy)
 * or once completed (zero-copy), and an rx frame as it arrives (copy: here
 * at the latest; a pipe's peer copies them as it sends) or once released
 * (zero-copy).
 */
static int
txsync(struct unm_kr *kr)
{
	struct unm_kring *k = kr->k;
	bool mon = __atomic_load_n(&k->nmon, __ATOMIC_RELAXED) != 0;
	uint32_t done;
	int r;

	if (prologue(kr) < 0)
		return -1;
	if (mon)
		unm_mon_copy(kr, k->nr_hwcur, k->rhead);
	done = k->nr_hwtail;
	if ((r = kr->ops->txsync(kr)) < 0) {
		if (r != UNM_SYNC_EIO)
			refused(kr);
		return -1;
	}
	/* completed: [old hwtail + 1, new hwtail + 1), hwtail being the reserved slot */
	if (mon && k->nr_hwtail < kr->n && done < kr->n)
		unm_mon_zcopy(kr, unm_next(done, kr->n), unm_next(k->nr_hwtail, kr->n));
	finalize(kr);
	return 0;
}

static int
rxsync(struct unm_kr *kr)
{
	struct unm_kring *k = kr->k;
	bool mon = __atomic_load_n(&k->nmon, __ATOMIC_RELAXED) != 0;
	uint32_t arrived;
	/* a ring reset by the prologue is still synced, as netmap's rxsync is (not tx) */
	bool bad = prologue(kr) < 0;
	int r;

	if (mon)	/* before the adapter, which hands NS_BUF_CHANGED slots on */
		unm_mon_zcopy(kr, k->nr_hwcur, k->rhead);
	arrived = k->nr_hwtail;
	if ((r = kr->ops->rxsync(kr)) < 0) {
		if (r != UNM_SYNC_EIO)
			refused(kr);
		return -1;
	}
	if (mon && k->nr_hwtail < kr->n)
		unm_mon_arrived(kr, arrived, k->nr_hwtail);
	finalize(kr);
	return bad ? -1 : 0;
}

int
unm_kr_txsync(struct unm_kr *kr)
{
	int r;

	if (!sync_enter(kr->k, true) && !sync_skipped(kr->k))
		return 0;	/* busy: skipped, as netmap does (its owner syncs once more) */
	r = txsync(kr);
	sync_done(kr, txsync);
	return r;
}

int
unm_kr_rxsync(struct unm_kr *kr)
{
	int r;

	if (!sync_enter(kr->k, true) && !sync_skipped(kr->k))
		return 0;
	r = rxsync(kr);
	sync_done(kr, rxsync);
	return r;
}

void
unm_txsync(struct unm_binding *b)
{
	for (unsigned i = 0; i < b->ntx; i++)
		unm_kr_txsync(&b->kr[i]);
}

void
unm_rxsync(struct unm_binding *b)
{
	for (unsigned i = b->ntx; i < (unsigned)b->ntx + b->nrx; i++)
		unm_kr_rxsync(&b->kr[i]);
}
