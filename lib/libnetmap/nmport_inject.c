/*
 * nmport_inject.c - copy a packet into a port's tx rings.
 */
#include <string.h>

#include "libnetmap_int.h"

/*
 * Queues buf at the ring's cur over as many slots as needed (all but the
 * last with NS_MOREFRAG) and advances head and cur past them; -1 if the
 * ring's free part is too small.
 */
static int
nmport_ring_put(struct netmap_ring *ring, const void *buf, size_t size)
{
	size_t bufsz = ring->nr_buf_size, need, room;
	uint32_t i = ring->cur;
	const char *src = buf;

	if (bufsz == 0 || i >= ring->num_slots || ring->tail >= ring->num_slots)
		return -1;
	need = size > bufsz ? (size + bufsz - 1) / bufsz : 1;
	room = ring->tail >= i ? ring->tail - i :
	    ring->tail + ring->num_slots - i;
	if (need > room)
		return -1;
	for (;;) {
		struct netmap_slot *s = &ring->slot[i];
		size_t chunk = size > bufsz ? bufsz : size;

		memcpy(NETMAP_BUF(ring, s->buf_idx), src, chunk);
		s->len = (uint16_t)chunk;
		size -= chunk;
		src += chunk;
		s->flags = size > 0 ? NS_MOREFRAG : 0;
		i = nm_ring_next(ring, i);
		if (size == 0)
			break;
	}
	ring->head = ring->cur = i;
	return 0;
}

int
nmport_inject(struct nmport_d *d, const void *buf, size_t size)
{
	unsigned int n, c, ri;

	if (d->nifp == NULL || d->last_tx_ring < d->first_tx_ring)
		return 0;
	n = d->last_tx_ring - d->first_tx_ring + 1;
	ri = d->cur_tx_ring;
	for (c = 0; c < n; c++, ri++) {
		if (ri > d->last_tx_ring || ri < d->first_tx_ring)
			ri = d->first_tx_ring;
		if (nmport_ring_put(NETMAP_TXRING(d->nifp, ri), buf, size) == 0) {
			d->cur_tx_ring = (uint16_t)ri;
			return (int)size;
		}
	}
	return 0;
}
