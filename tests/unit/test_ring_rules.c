/*
 * test_ring_rules.c - netmap's ring rules as lib/core/sync.c and the pipe
 * data path apply them, on a pair of rings built in plain memory (no
 * daemon): which head/cur values are accepted, what a reset looks like,
 * tail restored, complete packets only published, buffers handed back
 * on release, rings whose size is not a power of two.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <net/netmap_user.h>

#include "core/core.h"
#include "../lib/tap.h"

extern const struct unm_sync_ops unm_pipe_sync;

struct fake {
	char *base;
	struct unm_layout L;
	struct unm_binding btx, brx;
	struct unm_kr tx, rx;	/* tx of one end feeds rx of the other */
};

static void
make_ring(struct fake *f, uint32_t idx, uint32_t n, int dir)
{
	struct netmap_ring *r = (struct netmap_ring *)(f->base + unm_ring_ofs(&f->L, idx));
	struct unm_kring *k = (struct unm_kring *)(f->base + f->L.kern_ofs + unm_kring_kofs(idx));
	uint32_t tail = dir == NR_TX ? n - 1 : 0;

	*(int64_t *)&r->buf_ofs = (int64_t)f->L.buf.ofs - (int64_t)unm_ring_ofs(&f->L, idx);
	*(uint32_t *)&r->num_slots = n;
	*(uint32_t *)&r->nr_buf_size = f->L.buf.objsize;
	*(uint16_t *)&r->dir = (uint16_t)dir;
	*(uint32_t *)&r->tail = tail;
	k->num_slots = n;
	k->nr_hwtail = k->rtail = k->pipe_tail = tail;
	for (uint32_t i = 0; i < n; i++)
		r->slot[i].buf_idx = 2 + i;	/* both rings of the pair name the same buffers */
}

static void
setup(struct fake *f, uint32_t n)
{
	struct unm_region_cfg cfg = { .if_num = 1, .if_size = 1024, .ring_num = 2,
		.ring_size = unm_ring_objsize(n), .buf_num = n + 2, .buf_size = 2048 };

	memset(f, 0, sizeof(*f));
	unm_layout_compute(&cfg, &f->L);
	f->base = mmap(NULL, f->L.total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	make_ring(f, 0, n, NR_TX);
	make_ring(f, 1, n, NR_RX);
	for (int i = 0; i < 2; i++) {
		struct unm_kr *kr = i ? &f->rx : &f->tx;
		uint32_t me = (uint32_t)i, peer = 1 - me;

		kr->ring = (struct netmap_ring *)(f->base + unm_ring_ofs(&f->L, me));
		kr->k = (struct unm_kring *)(f->base + f->L.kern_ofs + unm_kring_kofs(me));
		kr->lring = (struct netmap_ring *)(f->base + unm_ring_ofs(&f->L, peer));
		kr->lk = (struct unm_kring *)(f->base + f->L.kern_ofs + unm_kring_kofs(peer));
		kr->evfd = kr->link_evfd = -1;
		kr->n = n;
		kr->nbufs = f->L.buf.num;
		kr->buf_size = f->L.buf.objsize;
		kr->dir = (uint16_t)(i ? NR_RX : NR_TX);
		kr->ops = &unm_pipe_sync;
		kr->b = i ? &f->brx : &f->btx;
		strcpy(kr->name, i ? "test rx" : "test tx");
	}
}

static void
teardown(struct fake *f)
{
	munmap(f->base, f->L.total);
}

/* the application sends @len-byte slots, @more of them with NS_MOREFRAG */
static void
put(struct unm_kr *kr, int count, int more)
{
	struct netmap_ring *r = kr->ring;

	for (int i = 0; i < count; i++) {
		r->slot[r->head].len = 60;
		r->slot[r->head].flags = i < more ? NS_MOREFRAG : 0;
		r->head = r->cur = nm_ring_next(r, r->head);
	}
}

static void
test_prologue(void)
{
	struct fake f;
	struct netmap_ring *t;

	setup(&f, 8);
	t = f.tx.ring;
	TAP_EQ(t->tail, 7, "a fresh tx ring of 8 slots offers 7");
	t->head = t->cur = 3;
	tap_ok(unm_kr_txsync(&f.tx) == 0 && t->head == 3, "head may move forward within [head, tail]");
	t->head = t->cur = 1;
	tap_ok(unm_kr_txsync(&f.tx) < 0, "head moved backwards is refused");
	tap_ok(t->head == 3 && t->cur == 3, "and the ring is reset to hwcur");
	TAP_EQ(f.tx.k->sync_errors, 1, "and the reset counted");
	t->cur = 6;
	tap_ok(unm_kr_txsync(&f.tx) == 0, "cur may run ahead of head up to tail");
	t->cur = 7;
	tap_ok(unm_kr_txsync(&f.tx) == 0, "cur == tail is fine");
	t->cur = 2;
	tap_ok(unm_kr_txsync(&f.tx) < 0 && t->cur == 3, "cur behind head is refused");
	t->cur = 8;
	tap_ok(unm_kr_txsync(&f.tx) < 0, "cur >= num_slots is refused");
	t->head = t->cur = 7;
	unm_kr_txsync(&f.tx);
	unm_kr_rxsync(&f.rx);
	f.rx.ring->head = f.rx.ring->cur = f.rx.ring->tail;
	unm_kr_rxsync(&f.rx);
	unm_kr_txsync(&f.tx);
	TAP_EQ(t->tail, 6, "once all is released the tail goes round, one slot short of head");
	t->head = t->cur = 2;
	tap_ok(unm_kr_txsync(&f.tx) == 0, "so head may now wrap past the end");
	*(uint32_t *)&t->tail = 3;
	tap_ok(unm_kr_txsync(&f.tx) == 0 && t->tail == 6, "an overwritten tail is restored");
	f.tx.k->nr_hwcur = 99;
	tap_ok(unm_kr_txsync(&f.tx) < 0 && f.tx.k->nr_hwcur < 8,
	    "a corrupt kring is refused and brought back in range");
	teardown(&f);
}

static void
test_publish(void)
{
	struct fake f;
	struct netmap_ring *r;

	setup(&f, 7);	/* not a power of two */
	r = f.rx.ring;
	put(&f.tx, 3, 2);	/* one packet of 3 fragments */
	put(&f.tx, 2, 1);	/* and half of a second one */
	f.tx.ring->slot[f.tx.ring->head - 1].flags = NS_MOREFRAG;
	unm_kr_txsync(&f.tx);
	unm_kr_rxsync(&f.rx);
	TAP_EQ(nm_ring_space(r), 3, "only the complete packet is visible to the receiver");
	put(&f.tx, 1, 0);	/* the second packet's last fragment */
	unm_kr_txsync(&f.tx);
	unm_kr_rxsync(&f.rx);
	TAP_EQ(nm_ring_space(r), 6, "its last fragment publishes the second packet");
	TAP_EQ(f.tx.k->frames, 2, "the tx kring counts 2 frames");
	TAP_EQ(nm_ring_space(f.tx.ring), 0, "the sender's ring is full");
	/* the receiver swaps a buffer in one slot and releases everything */
	r->slot[1].buf_idx = 8;
	r->slot[1].flags |= NS_BUF_CHANGED;
	r->head = r->cur = r->tail;
	unm_kr_rxsync(&f.rx);
	TAP_EQ(f.tx.ring->slot[1].buf_idx, 8, "a swapped buffer is handed back to the sender's slot");
	tap_ok(!(r->slot[1].flags & NS_BUF_CHANGED), "and NS_BUF_CHANGED cleared");
	unm_kr_txsync(&f.tx);
	TAP_EQ(nm_ring_space(f.tx.ring), 6, "released slots are free again at the sender");
	TAP_EQ(f.rx.k->frames, 2, "the rx kring counts 2 frames");
	/* wrap around several times */
	for (int round = 0; round < 10; round++) {
		put(&f.tx, 6, 0);
		unm_kr_txsync(&f.tx);
		unm_kr_rxsync(&f.rx);
		r->head = r->cur = r->tail;
		unm_kr_rxsync(&f.rx);
		unm_kr_txsync(&f.tx);
	}
	TAP_EQ(f.rx.k->frames, 62, "62 frames after ten wraps of a 7-slot ring");
	TAP_EQ(nm_ring_space(f.tx.ring), 6, "and the sender has the whole ring again");
	teardown(&f);
}

static void
test_timestamp(void)
{
	struct fake f;

	setup(&f, 8);
	f.rx.ring->flags |= NR_TIMESTAMP;
	unm_kr_rxsync(&f.rx);
	tap_ok(f.rx.ring->ts.tv_sec > 0, "NR_TIMESTAMP: the sync stamps ring->ts");
	f.tx.ring->ts.tv_sec = 0;
	unm_kr_txsync(&f.tx);
	TAP_EQ(f.tx.ring->ts.tv_sec, 0, "without it, ts is left alone");
	teardown(&f);
}

int
main(void)
{
	unm_log_set_level(UNM_LOG_ERR);
	test_prologue();
	test_publish();
	test_timestamp();
	return tap_done();
}
