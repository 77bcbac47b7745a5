/*
 * pipe_laps.c - a pipe's sender going round its ring lap after lap, as
 * pkt-gen does: the pipe writes a slot into the peer's ring only where it
 * differs from what that slot holds, so the receiver must see exactly
 * what each lap sent - the same lengths for laps on end, then some
 * changed, then buffers swapped between slots, then back again.  Then
 * the same in small batches on a ring whose size is no multiple of four,
 * with two-slot packets (NS_MOREFRAG) among unchanged slots in some laps:
 * the pipe takes unchanged laps four slots at a time, and must still see
 * every fragment and the ring's end, and still refuse a packet of too
 * many fragments whose slots are the same as the peer's.
 */
#include <stdbool.h>

#include "../lib/nmraw.h"
#include "unetmap.h"
#include "../lib/tap.h"

#define LAPS 8

/* the length slot @j is sent with in lap @lap */
static uint16_t
len_of(int lap, uint32_t j)
{
	if (lap >= 3 && lap < 5 && j % 3 == 0)
		return (uint16_t)(100 + j % 7);	/* some change, for two laps */
	return 60;
}

/* the receiver releases all it got, and the sender learns of it */
static void
give_back(struct rawport *m, struct rawport *s, struct netmap_ring *rx)
{
	rx->head = rx->cur = rx->tail;
	ioctl(s->fd, NIOCRXSYNC, NULL);
	ioctl(m->fd, NIOCTXSYNC, NULL);
}

/* lap @lap sends a two-slot packet starting at slot @j (1021 slots: j + 1 exists) */
static bool
frag_at(int lap, uint32_t j)
{
	return (lap == 2 || lap == 3 || lap == 6) && j % 9 == 4;
}

/*
 * A 1021-slot pipe, 12 laps sent in batches of 7 slots (a packet is never
 * split between batches), each lap's slots checked by the receiver after
 * every batch: what is published ends a packet, flags and lengths as sent.
 */
static void
batches_and_fragments(void)
{
	struct rawport m, s;
	struct netmap_ring *tx, *rx;
	char mn[64], sn[64];
	uint32_t n, cut = 0, bad_flags = 0, bad_len = 0, frames = 0, packets = 0, lost = 0;

	if (!raw_open_pipe("pb", 1021, &m, &s, mn, sn)) {
		tap_ok(0, "a pipe of 1021 slots");
		return;
	}
	tx = NETMAP_TXRING(m.nifp, 0);
	rx = NETMAP_RXRING(s.nifp, 0);
	n = tx->num_slots;
	tap_ok(n == 1021 && rx->num_slots == n, "a pipe of %u slots (asked 1021)", n);
	for (int lap = 0; lap < 12 && n == 1021; lap++) {
		for (uint32_t done = 0; done < n;) {
			uint32_t k = 7 < n - done ? 7 : n - done, j = tx->head;

			if (frag_at(lap, (j + k - 1) % n))
				k++;	/* the packet's second slot goes in this batch too */
			for (uint32_t i = 0; i < k; i++, j = nm_ring_next(tx, j)) {
				tx->slot[j].flags = frag_at(lap, j) ? NS_MOREFRAG : 0;
				tx->slot[j].len = (uint16_t)(frag_at(lap, j) ? 100 : 60);
				packets += !frag_at(lap, j);
			}
			done += k;
			tx->head = tx->cur = j;
			ioctl(m.fd, NIOCTXSYNC, NULL);
			ioctl(s.fd, NIOCRXSYNC, NULL);
			lost += nm_ring_space(rx) != k;
			if (rx->tail != rx->head)
				cut += !!(rx->slot[rx->tail ? rx->tail - 1 : n - 1].flags & NS_MOREFRAG);
			for (j = rx->head; j != rx->tail; j = nm_ring_next(rx, j)) {
				bool f = frag_at(lap, j);

				bad_flags += !!(rx->slot[j].flags & NS_MOREFRAG) != f;
				bad_len += rx->slot[j].len != (f ? 100 : 60);
				frames += !(rx->slot[j].flags & NS_MOREFRAG);
			}
			give_back(&m, &s, rx);
		}
	}
	TAP_EQ(lost, 0, "every batch of 7 arrives whole, across the ring's end, lap after lap");
	TAP_EQ(cut, 0, "what is published never ends inside a packet");
	TAP_EQ(bad_flags, 0, "NS_MOREFRAG exactly where sent, amid unchanged slots");
	TAP_EQ(bad_len, 0, "each slot's length as sent");
	TAP_EQ(frames, packets, "the receiver counts the packets sent");
	{
		struct nmreq_unetmap_ring_stats ts = { .nr_dir = 0 }, rs = { .nr_dir = 1 };
		bool asked = raw_ctrl(m.fd, NETMAP_REQ_UNETMAP_RING_STATS, mn, &ts, NULL) == 0 &&
		    raw_ctrl(s.fd, NETMAP_REQ_UNETMAP_RING_STATS, sn, &rs, NULL) == 0;

		tap_ok(asked && ts.frames == packets && rs.frames == packets,
		    "and so do the pipe's counters (tx %llu, rx %llu of %u)",
		    (unsigned long long)ts.frames, (unsigned long long)rs.frames, packets);
	}
	raw_close(&s);
	raw_close(&m);
}

/*
 * A packet of 70 fragments is refused, and the ring restarts at its first
 * slot; sent again unchanged it is refused again, although its first 64
 * slots are by then the same as the peer's (the first try wrote them).
 */
static void
refused_twice(void)
{
	struct rawport m, s;
	struct netmap_ring *tx, *rx;
	char mn[64], sn[64];

	if (!raw_open_pipe("pr", 0, &m, &s, mn, sn)) {
		tap_ok(0, "a pipe's two ends");
		return;
	}
	tx = NETMAP_TXRING(m.nifp, 0);
	rx = NETMAP_RXRING(s.nifp, 0);
	for (uint32_t j = 0; j < 70; j++) {
		tx->slot[j].len = 10;
		tx->slot[j].flags = j < 69 ? NS_MOREFRAG : 0;
	}
	for (int attempt = 1; attempt <= 2; attempt++) {
		tx->head = tx->cur = 70;
		ioctl(m.fd, NIOCTXSYNC, NULL);
		ioctl(s.fd, NIOCRXSYNC, NULL);
		tap_ok(nm_ring_space(rx) == 0 && tx->head == 0,
		    "a packet of 70 fragments is refused, try %d (%u slots arrived, restart at %u)",
		    attempt, nm_ring_space(rx), tx->head);
	}
	raw_close(&s);
	raw_close(&m);
}

int
main(void)
{
	struct rawport m, s;
	struct netmap_ring *tx, *rx;
	char mn[64], sn[64];
	uint32_t n, sent_idx[4096];
	int bad_len = 0, bad_idx = 0, bad_data = 0, short_laps = 0;

	alarm(60);
	if (!raw_open_pipe("pl", 0, &m, &s, mn, sn)) {
		tap_ok(0, "a pipe's two ends");
		return tap_done();
	}
	tx = NETMAP_TXRING(m.nifp, 0);
	rx = NETMAP_RXRING(s.nifp, 0);
	n = tx->num_slots;
	tap_ok(n <= 4096 && rx->num_slots == n, "a pipe of %u slots", n);
	if (n > 4096)
		return tap_done();
	for (int lap = 0; lap < LAPS; lap++) {
		uint32_t k = nm_ring_space(tx), got;

		/* lap 5: the sender swaps the buffers of each pair of slots */
		for (uint32_t i = 0, j = tx->head; i < k; i++, j = nm_ring_next(tx, j)) {
			struct netmap_slot *sl = &tx->slot[j];

			if (lap == 5 && i % 2 == 0 && i + 1 < k) {
				struct netmap_slot *o = &tx->slot[nm_ring_next(tx, j)];
				uint32_t t = sl->buf_idx;

				sl->buf_idx = o->buf_idx;
				o->buf_idx = t;
				sl->flags = o->flags = NS_BUF_CHANGED;
			} else if (lap != 5 || i % 2 == 0) {
				sl->flags = 0;
			}
			sl->len = len_of(lap, j);
			memset(NETMAP_BUF(tx, sl->buf_idx), lap + (int)(j & 0x3f), sl->len);
			sent_idx[j] = sl->buf_idx;
		}
		tx->head = tx->cur = (tx->head + k) % n;
		ioctl(m.fd, NIOCTXSYNC, NULL);
		ioctl(s.fd, NIOCRXSYNC, NULL);
		got = nm_ring_space(rx);
		short_laps += got != k;
		for (uint32_t j = rx->head; j != rx->tail; j = nm_ring_next(rx, j)) {
			const struct netmap_slot *sl = &rx->slot[j];
			const unsigned char *b = (const unsigned char *)NETMAP_BUF(rx, sl->buf_idx);

			bad_len += sl->len != len_of(lap, j);
			bad_idx += sl->buf_idx != sent_idx[j];
			bad_data += b[0] != (unsigned char)(lap + (int)(j & 0x3f)) ||
			    b[sl->len - 1] != b[0];
		}
		give_back(&m, &s, rx);
	}
	TAP_EQ(short_laps, 0, "every lap arrives whole (8 laps of a ring's worth)");
	TAP_EQ(bad_len, 0, "with each slot's length as that lap sent it (same, changed, back)");
	TAP_EQ(bad_idx, 0, "in the buffer that lap sent it in (swapped between slots in lap 5)");
	TAP_EQ(bad_data, 0, "and that buffer holds that lap's bytes");
	raw_close(&s);
	raw_close(&m);
	batches_and_fragments();
	refused_twice();
	return tap_done();
}
