/*
 * pingpong.c - round trips.
 *
 * ping sends a burst (1 by default) of frames carrying a sequence number
 * and the time they left, pushes them out at once, and waits up to a
 * second for the replies; the round-trip time of each reply is the clock
 * now minus the time in it.  Replies from an earlier burst that come late
 * are counted as lost, not timed.
 *
 * pong copies every frame it receives to its tx ring with the Ethernet
 * and IP addresses and the UDP ports swapped (checksums stay valid: the
 * sums do not depend on the order), keeping NS_MOREFRAG runs together.
 *
 * With two ports, both send on the first and receive on the second.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "pktgen.h"

#define REPLY_WAIT_NS	1000000000ull

static void
swap(uint8_t *a, uint8_t *b, unsigned n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/* make @p (the first slot of a frame, len bytes) go back where it came from */
static void
turn_around(uint8_t *p, unsigned len, unsigned vh)
{
	int pay = pg_payload_offset(p, len, vh);

	if (len < vh + PG_ETH_LEN)
		return;
	swap(p + vh, p + vh + 6, 6);
	if (pay < 0)
		return;
	if (p[vh + 12] == 0x08)
		swap(p + vh + PG_ETH_LEN + 12, p + vh + PG_ETH_LEN + 16, 4);
	else
		swap(p + vh + PG_ETH_LEN + 8, p + vh + PG_ETH_LEN + 24, 16);
	if ((unsigned)pay <= len)
		swap(p + pay - PG_UDP_LEN, p + pay - PG_UDP_LEN + 2, 2);
}

static bool
wait_error(struct pg_port *p, int rv, const char *dir)
{
	if (rv < 0) {
		fprintf(stderr, "pkt-gen: %s: poll: %s\n", p->name, strerror(errno));
		return true;
	}
	if (rv & POLLERR) {
		fprintf(stderr, "pkt-gen: %s: poll reports an error on the %s rings\n", p->name,
		    dir);
		return true;
	}
	return false;
}

/* replies waiting in the rx rings: time those of burst [base, base + n) */
static unsigned
collect(struct pg_thread *t, uint32_t base, unsigned n)
{
	struct pg_port *p = t->rxp;
	uint64_t now = pg_now_ns();
	unsigned got = 0;

	for (unsigned i = p->first_rx; i <= p->last_rx; i++) {
		struct netmap_ring *ring = pg_rxring(p, i);
		bool first = true;

		while (!nm_ring_empty(ring)) {
			struct netmap_slot *s = &ring->slot[ring->head];
			const uint8_t *b = (const uint8_t *)NETMAP_BUF_OFFSET(ring, s);
			unsigned len = s->len < ring->nr_buf_size ? s->len : ring->nr_buf_size;
			int off = first ? pg_payload_offset(b, len, p->vhdr) : -1;

			if (pg.options & OPT_DUMP)
				pg_hexdump("rx", ring, ring->head, b, len);
			if (off >= 0 && (unsigned)off + PG_TS_OFF + PG_TS_LEN <= len) {
				uint32_t seq = (uint32_t)b[off] << 24 | (uint32_t)b[off + 1] << 16 |
				    (uint32_t)b[off + 2] << 8 | b[off + 3];
				uint64_t sent;

				memcpy(&sent, b + off + PG_TS_OFF, sizeof(sent));
				if (seq - base < n && sent <= now) {
					pg_rtt_add(t, now - sent);
					got++;
				}
			}
			first = !(s->flags & NS_MOREFRAG);
			ring->head = ring->cur = nm_ring_next(ring, ring->head);
		}
	}
	return got;
}

void *
pg_ping_body(void *arg)
{
	struct pg_thread *t = arg;
	struct pg_port *tx = t->txp, *rx = t->rxp;
	const struct pg_frame *f = t->frame;
	struct pg_pacer pacer;
	uint64_t quota = t->quota;
	uint32_t seq = 0;
	bool ok = true;

	if (pg_set_affinity(t) < 0) {
		pg_thread_finish(t, false);
		return NULL;
	}
	pg_pacer_init(&pacer, t->rate, t->burst);
	pg_gettime(&t->tic);
	t->have_tic = true;
	while (ok && !pg_stopping() && (quota == 0 || t->rtt.sent < quota)) {
		struct netmap_ring *ring = pg_txring(tx, tx->first_tx);
		uint64_t want = pg_pacer_allow(&pacer), deadline;
		unsigned n = 0, got = 0;
		uint32_t base = seq;
		int rv;

		if (want > t->burst)
			want = t->burst;
		if (quota && quota - t->rtt.sent < want)
			want = quota - t->rtt.sent;
		while (nm_ring_empty(ring) && !pg_stopping()) {
			ring->cur = ring->tail;
			rv = pg_port_wait(tx, POLLOUT, 100);
			if (wait_error(tx, rv, "tx")) {
				ok = false;
				break;
			}
		}
		if (!ok || pg_stopping())
			break;
		while (n < want && !nm_ring_empty(ring)) {
			struct netmap_slot *s = &ring->slot[ring->head];
			uint8_t *b = (uint8_t *)NETMAP_BUF_OFFSET(ring, s);
			uint8_t sb[4] = { (uint8_t)(seq >> 24), (uint8_t)(seq >> 16),
					  (uint8_t)(seq >> 8), (uint8_t)seq };
			uint64_t now;

			nm_pkt_copy(f->data, b, (int)f->len);
			pg_csum_patch(b, f, 0, sb, 4);
			now = pg_now_ns();
			pg_csum_patch(b, f, PG_TS_OFF, &now, PG_TS_LEN);
			s->len = (uint16_t)f->len;
			s->flags = 0;
			if (pg.options & OPT_DUMP)
				pg_hexdump("tx", ring, ring->head, b, f->len);
			ring->head = ring->cur = nm_ring_next(ring, ring->head);
			seq++;
			n++;
		}
		pg_port_txsync(tx);
		t->rtt.sent += n;
		pg_pacer_used(&pacer, n);
		pg_stats_add(t, n, (uint64_t)n * f->len, 1);

		deadline = pg_now_ns() + REPLY_WAIT_NS;
		while (got < n && !pg_stopping()) {
			uint64_t now = pg_now_ns();
			int ms;

			if (now >= deadline)
				break;
			ms = (int)((deadline - now) / 1000000ull) + 1;
			rv = pg_port_wait(rx, POLLIN, ms > 100 ? 100 : ms);
			if (wait_error(rx, rv, "rx")) {
				ok = false;
				break;
			}
			got += collect(t, base, n);
		}
		t->rtt.received += got;
		t->rtt.lost += n - got;
	}
	pg_gettime(&t->toc);
	if (ok)
		ioctl(rx->fd, NIOCRXSYNC, NULL);	/* give back the last replies' slots */
	pg_thread_finish(t, ok);
	return NULL;
}

/* slots of the packet starting at ring->slot[h], 0 if not all there yet */
static unsigned
packet_slots(struct netmap_ring *ring, uint32_t h)
{
	unsigned avail = nm_ring_space(ring), k = 0;

	while (k < avail) {
		struct netmap_slot *s = &ring->slot[h];

		k++;
		if (!(s->flags & NS_MOREFRAG))
			return k;
		h = nm_ring_next(ring, h);
	}
	return 0;
}

void *
pg_pong_body(void *arg)
{
	struct pg_thread *t = arg;
	struct pg_port *tx = t->txp, *rx = t->rxp;
	uint64_t quota = t->quota, replied = 0;
	bool ok = true, tx_full = false;

	if (pg_set_affinity(t) < 0) {
		pg_thread_finish(t, false);
		return NULL;
	}
	while (!pg_stopping() && (quota == 0 || replied < quota)) {
		struct netmap_ring *txr = pg_txring(tx, tx->first_tx);
		uint64_t pkts = 0, bytes = 0;
		int rv;

		if (tx_full) {
			txr->cur = txr->tail;
			rv = pg_port_wait(tx, POLLOUT, 100);
		} else {
			rv = pg_port_wait(rx, POLLIN, 100);
		}
		if (wait_error(tx_full ? tx : rx, rv, tx_full ? "tx" : "rx")) {
			ok = false;
			break;
		}
		tx_full = false;
		for (unsigned i = rx->first_rx; i <= rx->last_rx; i++) {
			struct netmap_ring *rxr = pg_rxring(rx, i);

			while (!nm_ring_empty(rxr) && (quota == 0 || replied + pkts < quota)) {
				unsigned k = packet_slots(rxr, rxr->head);

				if (k == 0)
					break;	/* the rest of it is not there yet */
				if (nm_ring_space(txr) < k) {
					tx_full = true;
					break;
				}
				for (unsigned j = 0; j < k; j++) {
					struct netmap_slot *rs = &rxr->slot[rxr->head];
					struct netmap_slot *ts = &txr->slot[txr->head];
					uint8_t *dst = (uint8_t *)NETMAP_BUF_OFFSET(txr, ts);
					unsigned len = rs->len;

					if (len > txr->nr_buf_size)
						len = txr->nr_buf_size;
					nm_pkt_copy(NETMAP_BUF_OFFSET(rxr, rs), dst, (int)len);
					if (j == 0)
						turn_around(dst, len, rx->vhdr);
					ts->len = (uint16_t)len;
					ts->flags = rs->flags & NS_MOREFRAG;
					if (pg.options & OPT_DUMP)
						pg_hexdump("tx", txr, txr->head, dst, len);
					bytes += len;
					rxr->head = rxr->cur = nm_ring_next(rxr, rxr->head);
					txr->head = txr->cur = nm_ring_next(txr, txr->head);
				}
				pkts++;
			}
		}
		if (pkts) {
			if (!t->have_tic) {
				pg_gettime(&t->tic);
				t->have_tic = true;
			}
			pg_port_txsync(tx);
			replied += pkts;
			pg_stats_add(t, pkts, bytes, 1);
			pg_gettime(&t->toc);
		}
	}
	if (ok) {
		struct timespec end;

		pg_port_drain(tx, &end);
	}
	pg_thread_finish(t, ok);
	return NULL;
}
