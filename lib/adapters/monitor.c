/*
 * monitor.c - a monitor's own rings: rx rings that the monitored port's
 * syncs fill (lib/core/monitor.c) and whose released slots go back to
 * them, like the rx end of a pipe.  Its one tx ring sends nothing: its
 * txsync fails, as netmap's netmap_monitor_txsync() does with EIO.
 */
#include "core/core.h"

static int
monitor_txsync(struct unm_kr *kr)
{
	return UNM_SYNC_EIO;
}

static int
monitor_rxsync(struct unm_kr *kr)
{
	struct unm_kring *k = kr->k;
	struct netmap_slot *rs = kr->ring->slot;
	uint32_t n = kr->n, head = k->rhead, avail;
	uint64_t frames = 0, bytes = 0;

	for (uint32_t j = k->nr_hwcur; j != head; j = unm_next(j, n)) {
		if ((rs[j].flags & NS_BUF_CHANGED) &&
		    (rs[j].buf_idx < 2 || rs[j].buf_idx >= kr->nbufs)) {
			unm_ratelimited(5, "%s: slot %u refused: invalid buffer index %u",
			    kr->name, j, rs[j].buf_idx);
			__atomic_store_n(&k->nr_hwcur, j, __ATOMIC_RELEASE);
			return -1;
		}
		rs[j].flags &= ~NS_BUF_CHANGED;
		bytes += rs[j].len;
		frames += !(rs[j].flags & NS_MOREFRAG);
	}
	k->frames += frames;
	k->bytes += bytes;
	__atomic_store_n(&k->nr_hwcur, head, __ATOMIC_RELEASE);	/* room for the producers */
	avail = __atomic_load_n(&k->pipe_tail, __ATOMIC_ACQUIRE);
	if (avail < n)
		k->nr_hwtail = avail;
	return 0;
}

const struct unm_sync_ops unm_monitor_sync = {
	.name = "monitor",
	.txsync = monitor_txsync,
	.rxsync = monitor_rxsync,
	.txsync_fails = true,
};
