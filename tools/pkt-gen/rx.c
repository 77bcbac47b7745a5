/*
 * rx.c - the receiver (rx and rxseq): poll(), then release what arrived.
 *
 * By default a packet costs reading its slot (len, flags): the data is
 * never touched.  A packet is a run of slots ending with one without
 * NS_MOREFRAG; bytes are the sum of the slots' lengths.  -X, -o 2 (read
 * the data), -o 16 (one-way latency from the sender's timestamp) and
 * rxseq look at every slot's data instead.
 *
 * With -n, the threads stop once together they have received that many
 * packets (exactly that many with one thread).  With -W, a thread stops
 * after a second without traffic.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "pktgen.h"

#define IDLE_NS		1000000000ull

struct rxctx {
	struct pg_thread	*t;
	struct pg_port		*p;
	bool			slow;		/* look at every slot's data */
	bool			seq, ts, dump, access;
	struct pg_seqstate	*seqs;		/* per rx ring: the packet being read */
	uint64_t		now;		/* ns, this round */
	volatile uint8_t	sink;
};

static void
slot_slow(struct rxctx *c, struct netmap_ring *ring, unsigned ri, uint32_t h)
{
	struct netmap_slot *s = &ring->slot[h];
	const uint8_t *p = (const uint8_t *)NETMAP_BUF_OFFSET(ring, s);
	unsigned len = s->len, vh = c->p->vhdr;
	bool more = s->flags & NS_MOREFRAG;

	if (len > ring->nr_buf_size)
		len = ring->nr_buf_size;
	if (c->dump)
		pg_hexdump("rx", ring, h, p, len);
	if (c->access) {
		uint8_t x = 0;

		for (unsigned i = 0; i < len; i++)
			x ^= p[i];
		c->sink = x;
	}
	if ((c->seq || c->ts) && pg_prefix_add(&c->seqs[ri], p, len, more)) {
		if (c->seq)
			pg_seq_check(c->t, &c->seqs[ri], vh);
		if (c->ts) {
			uint64_t sent = pg_ts_read(&c->seqs[ri], vh);

			if (sent && sent <= c->now)
				pg_rtt_add(c->t, c->now - sent);
		}
		pg_prefix_reset(&c->seqs[ri]);
	}
}

/* release up to @burst slots of @ring, at most @left whole packets */
static uint64_t
rx_ring(struct rxctx *c, struct netmap_ring *ring, unsigned ri, unsigned burst,
    uint64_t left, uint64_t *bytes)
{
	uint32_t h = ring->head, n = ring->num_slots;
	unsigned space = nm_ring_space(ring), m = burst < space ? burst : space;
	uint64_t pk = 0, b = 0;

	if (!c->slow) {
		for (unsigned i = 0; i < m; i++) {
			const struct netmap_slot *s = &ring->slot[h];

			b += s->len;
			if (__builtin_expect(++h == n, 0))
				h = 0;
			if (!(s->flags & NS_MOREFRAG) && ++pk == left)
				break;
		}
	} else {
		for (unsigned i = 0; i < m; i++) {
			const struct netmap_slot *s = &ring->slot[h];
			bool end = !(s->flags & NS_MOREFRAG);

			b += s->len;
			slot_slow(c, ring, ri, h);
			h = nm_ring_next(ring, h);
			if (end && ++pk == left)
				break;
		}
	}
	ring->head = ring->cur = h;
	*bytes = b;
	return pk;
}

void *
pg_rx_body(void *arg)
{
	struct pg_thread *t = arg;
	struct pg_port *p = t->rxp;
	struct rxctx c;
	uint64_t last_rx = pg_now_ns(), quota = t->quota;
	unsigned nrings = p->last_rx + 1;
	bool ok = true;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.p = p;
	c.seq = t->role == ROLE_RXSEQ;
	c.ts = pg.options & OPT_TS;
	c.dump = pg.options & OPT_DUMP;
	c.access = pg.options & OPT_ACCESS;
	c.slow = c.seq || c.ts || c.dump || c.access;
	c.seqs = calloc(nrings, sizeof(*c.seqs));
	if (!c.seqs || pg_set_affinity(t) < 0) {
		ok = false;
		goto out;
	}
	while (!pg_stopping()) {
		uint64_t got = 0, left = UINT64_MAX;
		int rv;

		if (quota) {
			uint64_t total = __atomic_load_n(&pg_rx_total, __ATOMIC_RELAXED);

			if (total >= quota)
				break;
			left = quota - total;
		}
		rv = pg_port_wait(p, POLLIN, 100);
		if (rv < 0) {
			fprintf(stderr, "pkt-gen: %s: poll: %s\n", p->name, strerror(errno));
			ok = false;
			break;
		}
		if (rv & POLLERR) {
			fprintf(stderr, "pkt-gen: %s: poll reports an error on rx rings %u..%u\n",
			    p->name, p->first_rx, p->last_rx);
			ok = false;
			break;
		}
		if (c.slow)
			c.now = pg_now_ns();
		for (unsigned i = p->first_rx; i <= p->last_rx && left; i++) {
			struct netmap_ring *ring = pg_rxring(p, i);
			uint64_t m, bytes;

			if (nm_ring_empty(ring))
				continue;
			m = rx_ring(&c, ring, i, t->burst, left, &bytes);
			if (m || bytes)
				pg_stats_add(t, m, bytes, 1);
			got += m;
			left -= m;
		}
		if (got) {
			if (!t->have_tic) {
				pg_gettime(&t->tic);
				t->have_tic = true;
			}
			__atomic_add_fetch(&pg_rx_total, got, __ATOMIC_RELAXED);
			last_rx = pg_now_ns();
			pg_gettime(&t->toc);
		} else if (pg.exit_idle && pg_now_ns() - last_rx >= IDLE_NS) {
			break;
		}
	}
	/* hand back the slots released by the last round (netmap does it at the next sync) */
	if (ok)
		ioctl(p->fd, NIOCRXSYNC, NULL);
out:
	free(c.seqs);
	pg_thread_finish(t, ok);
	return NULL;
}
