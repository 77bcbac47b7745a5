/*
 * move.c - the forwarding loop's inner part: rx rings of one port to tx
 * rings of the other, as many slots as both have, ring by ring.
 */
#include <string.h>

#include "bridge.h"
#include "unetmap.h"

/*
 * Swapping, we never care which buffer a tx slot holds: a switch may hand
 * ours on and leave a free one instead of copying (unetmap_tx_exchange).
 */
void
nb_allow_exchange(struct nmport_d *a, struct nmport_d *b)
{
	unetmap_tx_exchange(a->fd, 1);
	unetmap_tx_exchange(b->fd, 1);
}

uint32_t
nb_rx_pending(struct nmport_d *d)
{
	uint32_t n = 0;

	for (unsigned i = d->first_rx_ring; i <= d->last_rx_ring; i++)
		n += nm_ring_space(NETMAP_RXRING(d->nifp, i));
	return n;
}

static uint32_t
move_ring(struct netmap_ring *rx, struct netmap_ring *tx, uint32_t limit, bool zcopy,
    struct nb_stats *st)
{
	uint32_t j = rx->head, k = tx->head, m = nm_ring_space(rx), room = nm_ring_space(tx);

	if (m > room)
		m = room;
	if (m > limit)
		m = limit;
	for (uint32_t left = m; left > 0; left--) {
		struct netmap_slot *rs = &rx->slot[j], *ts = &tx->slot[k];

		if (zcopy) {
			uint32_t idx = ts->buf_idx;

			ts->buf_idx = rs->buf_idx;
			rs->buf_idx = idx;
			ts->flags = (uint16_t)((rs->flags & NS_MOREFRAG) | NS_BUF_CHANGED);
			rs->flags |= NS_BUF_CHANGED;
		} else {
			uint16_t len = rs->len > tx->nr_buf_size ? (uint16_t)tx->nr_buf_size : rs->len;

			memcpy(NETMAP_BUF(tx, ts->buf_idx), NETMAP_BUF(rx, rs->buf_idx), len);
			ts->flags = rs->flags & NS_MOREFRAG;
		}
		ts->len = rs->len;
		st->bytes += rs->len;
		st->frames += !(rs->flags & NS_MOREFRAG);
		j = nm_ring_next(rx, j);
		k = nm_ring_next(tx, k);
	}
	/* the slots before the heads are complete: another thread may sync them now */
	rx->cur = j;
	tx->cur = k;
	__atomic_store_n(&rx->head, j, __ATOMIC_RELEASE);
	__atomic_store_n(&tx->head, k, __ATOMIC_RELEASE);
	st->slots += m;
	return m;
}

uint32_t
nb_move(struct nmport_d *src, struct nmport_d *dst, uint32_t limit, bool zcopy,
    struct nb_stats *st)
{
	unsigned si = src->first_rx_ring, di = dst->first_tx_ring;
	uint32_t moved = 0;

	while (si <= src->last_rx_ring && di <= dst->last_tx_ring && moved < limit) {
		struct netmap_ring *rx = NETMAP_RXRING(src->nifp, si);
		struct netmap_ring *tx = NETMAP_TXRING(dst->nifp, di);

		if (nm_ring_empty(rx)) {
			si++;
			continue;
		}
		if (nm_ring_empty(tx)) {
			di++;
			continue;
		}
		moved += move_ring(rx, tx, limit - moved, zcopy, st);
	}
	return moved;
}
