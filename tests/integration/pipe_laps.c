/*
 * pipe_laps.c - a pipe's sender going round its ring lap after lap, as
 * pkt-gen does: the pipe writes a slot into the peer's ring only where it
 * differs from what that slot holds, so the receiver must see exactly
 * what each lap sent - the same lengths for laps on end, then some
 * changed, then buffers swapped between slots, then back again.
 */
#include <stdbool.h>

#include "../lib/nmraw.h"
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

int
main(void)
{
	struct rawport m, s;
	struct netmap_ring *tx, *rx;
	char mn[64], sn[64];
	uint32_t n, sent_idx[4096];
	int bad_len = 0, bad_idx = 0, bad_data = 0, short_laps = 0;

	alarm(60);
	snprintf(mn, sizeof(mn), "pl%d{0", (int)getpid() % 100000);
	snprintf(sn, sizeof(sn), "pl%d}0", (int)getpid() % 100000);
	if (raw_open(&m, mn, NR_REG_ALL_NIC, 0, 0) || raw_open(&s, sn, NR_REG_ALL_NIC, 0, 0)) {
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
		rx->head = rx->cur = rx->tail;
		ioctl(s.fd, NIOCRXSYNC, NULL);
		ioctl(m.fd, NIOCTXSYNC, NULL);
	}
	TAP_EQ(short_laps, 0, "every lap arrives whole (8 laps of a ring's worth)");
	TAP_EQ(bad_len, 0, "with each slot's length as that lap sent it (same, changed, back)");
	TAP_EQ(bad_idx, 0, "in the buffer that lap sent it in (swapped between slots in lap 5)");
	TAP_EQ(bad_data, 0, "and that buffer holds that lap's bytes");
	raw_close(&s);
	raw_close(&m);
	return tap_done();
}
