/*
 * test_user_helpers - the macros and inline functions of
 * net/netmap_user.h, and the data path of its legacy library (nm_inject,
 * nm_dispatch, nm_nextpkt), on a region built in ordinary memory.
 */
#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>
#include <stdlib.h>

#include "../lib/tap.h"
#include "fake_region.h"

static void
check_pointer_macros(void)
{
	struct fake_geom g = { .ntx = 2, .nrx = 3, .nhtx = 1, .nhrx = 2,
	    .nslots = 8 };
	void *base = aligned_alloc(FAKE_PAGE, fake_region_size(&g));
	struct netmap_if *nifp;
	struct netmap_ring *r;
	struct netmap_slot *s;
	char *b;

	nifp = fake_region_init(base, &g);
	tap_ok(NETMAP_IF(base, 0) == nifp, "NETMAP_IF(base, offset)");
	tap_ok(NETMAP_IF((char *)base - 100, 100) == nifp,
	    "NETMAP_IF adds the offset in bytes");
	tap_ok((char *)NETMAP_TXRING(nifp, 0) == (char *)base + FAKE_PAGE,
	    "NETMAP_TXRING(nifp, 0) is the first ring");
	tap_ok((char *)NETMAP_TXRING(nifp, 2) == (char *)base + 3 * FAKE_PAGE,
	    "NETMAP_TXRING(nifp, ni_tx_rings) is the host tx ring");
	tap_ok((char *)NETMAP_RXRING(nifp, 0) == (char *)base + 4 * FAKE_PAGE,
	    "NETMAP_RXRING skips ni_tx_rings + ni_host_tx_rings entries");
	r = NETMAP_RXRING(nifp, 3);
	tap_ok(r->dir == 1 && r->ringid == 3,
	    "NETMAP_RXRING(nifp, ni_rx_rings) is the first host rx ring");

	r = NETMAP_TXRING(nifp, 1);
	b = NETMAP_BUF(r, 5);
	tap_ok(b == (char *)r + r->buf_ofs + 5 * FAKE_BUFSZ,
	    "NETMAP_BUF = ring + buf_ofs + idx * nr_buf_size");
	tap_ok(NETMAP_BUF(NETMAP_TXRING(nifp, 0), 5) == b,
	    "NETMAP_BUF gives the same address from any ring");
	TAP_EQ(NETMAP_BUF_IDX(r, b), 5, "NETMAP_BUF_IDX inverts NETMAP_BUF");
	TAP_EQ(NETMAP_BUF_IDX(r, b + 100), 5,
	    "NETMAP_BUF_IDX of an address inside the buffer");

	/* offsets live in the low bits of slot->ptr */
	FAKE_SET(r->offset_mask, (uint64_t)0xfff);
	s = &r->slot[0];
	s->ptr = 0xabc000 | 0x40;
	TAP_EQ(NETMAP_ROFFSET(r, s), 0x40, "NETMAP_ROFFSET masks ptr");
	NETMAP_WOFFSET(r, s, 0x123);
	TAP_EQ(NETMAP_ROFFSET(r, s), 0x123, "NETMAP_WOFFSET stores the offset");
	TAP_EQ(s->ptr & ~0xfffULL, 0xabc000,
	    "NETMAP_WOFFSET keeps the bits outside offset_mask");
	NETMAP_WOFFSET(r, s, 0x1005);
	TAP_EQ(NETMAP_ROFFSET(r, s), 0x5,
	    "NETMAP_WOFFSET truncates to offset_mask");
	tap_ok(NETMAP_BUF_OFFSET(r, s) == NETMAP_BUF(r, s->buf_idx) + 5,
	    "NETMAP_BUF_OFFSET adds the slot's offset");
	FAKE_SET(r->offset_mask, (uint64_t)0);
	tap_ok(NETMAP_BUF_OFFSET(r, s) == NETMAP_BUF(r, s->buf_idx),
	    "NETMAP_BUF_OFFSET without offsets is NETMAP_BUF");
	free(base);
}

static void
check_ring_arithmetic(void)
{
	struct fake_geom g = { .ntx = 1, .nrx = 1, .nslots = 5 };
	void *base = aligned_alloc(FAKE_PAGE, fake_region_size(&g));
	struct netmap_if *nifp = fake_region_init(base, &g);
	struct netmap_ring *r = NETMAP_TXRING(nifp, 0);

	TAP_EQ(nm_ring_next(r, 0), 1, "nm_ring_next(0) == 1");
	TAP_EQ(nm_ring_next(r, 4), 0,
	    "nm_ring_next wraps at num_slots (5, not a power of 2)");
	r->head = r->cur = 0;
	r->tail = 4;
	TAP_EQ(nm_ring_space(r), 4, "nm_ring_space, tail after head");
	r->head = 3;
	r->tail = 1;
	TAP_EQ(nm_ring_space(r), 3, "nm_ring_space wraps (3 -> 1 of 5)");
	r->head = r->tail = 2;
	TAP_EQ(nm_ring_space(r), 0, "nm_ring_space of an empty ring");
	tap_ok(nm_ring_empty(r), "nm_ring_empty when head == tail");
	r->cur = 4;	/* cur ahead does not count */
	tap_ok(nm_ring_empty(r), "nm_ring_empty looks at head, not cur");
	r->head = 3;
	r->tail = 2;
	tap_ok(!nm_tx_pending(r), "nm_tx_pending: nothing when head == tail+1");
	r->head = 0;
	r->tail = 4;
	tap_ok(!nm_tx_pending(r), "nm_tx_pending: nothing, wrapped (tail 4)");
	r->head = 1;
	tap_ok(nm_tx_pending(r), "nm_tx_pending: slots in flight");
	free(base);
}

static void
check_pkt_copy(void)
{
	unsigned char src[2100], dst[2200];
	int lens[] = { 0, 1, 60, 64, 128, 1024, 1500, 2048 };
	size_t i, j;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i * 7 + 1);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		int ok;

		memset(dst, 0xee, sizeof(dst));
		nm_pkt_copy(src, dst, lens[i]);
		ok = memcmp(src, dst, (size_t)lens[i]) == 0;
		for (j = (size_t)lens[i]; j < sizeof(dst); j++)
			ok &= dst[j] == 0xee;
		tap_ok(ok, "nm_pkt_copy copies exactly %d bytes", lens[i]);
	}
}

/* a legacy descriptor over a fake region */
static struct nm_desc *
fake_desc(void *base, const struct fake_geom *g)
{
	struct nm_desc *d = calloc(1, sizeof(*d));
	struct netmap_if *nifp = fake_region_init(base, g);

	d->self = d;
	d->fd = -1;
	d->mem = base;
	d->memsize = fake_region_size(g);
	*(struct netmap_if **)(uintptr_t)&d->nifp = nifp;
	d->first_tx_ring = 0;
	d->last_tx_ring = (uint16_t)(g->ntx - 1);
	d->first_rx_ring = 0;
	d->last_rx_ring = (uint16_t)(g->nrx - 1);
	return d;
}

static void
check_nm_inject(void)
{
	struct fake_geom g = { .ntx = 2, .nrx = 1, .nslots = 4 };
	void *base = aligned_alloc(FAKE_PAGE, fake_region_size(&g));
	struct nm_desc *d = fake_desc(base, &g);
	struct netmap_ring *r0 = NETMAP_TXRING(d->nifp, 0);
	struct netmap_ring *r1 = NETMAP_TXRING(d->nifp, 1);
	static char pkt[5000];
	size_t i;

	for (i = 0; i < sizeof(pkt); i++)
		pkt[i] = (char)i;
	TAP_EQ(nm_inject(d, pkt, 100), 100, "nm_inject returns the size");
	TAP_EQ(r0->slot[0].len, 100, "nm_inject: slot length");
	tap_ok(memcmp(NETMAP_BUF(r0, r0->slot[0].buf_idx), pkt, 100) == 0,
	    "nm_inject: data copied");
	tap_ok(r0->head == 1 && r0->cur == 1, "nm_inject: head and cur advance");

	TAP_EQ(nm_inject(d, pkt, 3000), 3000, "nm_inject of 3000 bytes");
	tap_ok(r0->slot[1].len == FAKE_BUFSZ && (r0->slot[1].flags & NS_MOREFRAG),
	    "nm_inject: a full first fragment with NS_MOREFRAG");
	tap_ok(r0->slot[2].len == 3000 - FAKE_BUFSZ && r0->slot[2].flags == 0,
	    "nm_inject: the last fragment without NS_MOREFRAG");
	tap_ok(memcmp(NETMAP_BUF(r0, r0->slot[2].buf_idx), pkt + FAKE_BUFSZ,
	    3000 - FAKE_BUFSZ) == 0, "nm_inject: second fragment's data");
	TAP_EQ(r0->head, 3, "nm_inject: head past both fragments");

	/* ring 0 is now full (tail 3): the next packet goes to ring 1 */
	TAP_EQ(nm_inject(d, pkt, 60), 60, "nm_inject moves to the next ring");
	tap_ok(r1->head == 1 && d->cur_tx_ring == 1,
	    "nm_inject: packet on ring 1, cur_tx_ring updated");
	TAP_EQ(nm_inject(d, pkt, 5000), 0,
	    "nm_inject: 0 when no ring has room for 3 fragments");
	TAP_EQ(r1->head, 1, "nm_inject: a refused packet leaves the ring alone");
	TAP_EQ(nm_inject(d, pkt, 60), 60, "nm_inject: ring 1 slot 1");
	TAP_EQ(nm_inject(d, pkt, 60), 60, "nm_inject: ring 1 slot 2");
	TAP_EQ(nm_inject(d, pkt, 60), 0, "nm_inject: 0 when every ring is full");
	free(d);
	free(base);
}

/* fills rx ring r with packets of the given lengths (0 ends) */
static void
fake_rx(struct netmap_ring *r, const int *lens, const uint16_t *flags)
{
	unsigned int i;

	for (i = 0; lens[i] != 0; i++) {
		struct netmap_slot *s = &r->slot[r->tail];

		s->len = (uint16_t)lens[i];
		s->flags = flags ? flags[i] : 0;
		memset(NETMAP_BUF(r, s->buf_idx), 'a' + (int)i, (size_t)lens[i]);
		r->tail = nm_ring_next(r, r->tail);
	}
}

struct seen {
	int n;
	unsigned int len[8], caplen[8];
	uint64_t flags[8];
	unsigned char first[8];
};

static void
collect(unsigned char *arg, const struct nm_pkthdr *h, const unsigned char *buf)
{
	struct seen *s = (struct seen *)arg;

	if (s->n < 8) {
		s->len[s->n] = h->len;
		s->caplen[s->n] = h->caplen;
		s->flags[s->n] = h->flags;
		s->first[s->n] = buf[0];
	}
	s->n++;
}

static void
check_nm_dispatch(void)
{
	struct fake_geom g = { .ntx = 1, .nrx = 2, .nslots = 8 };
	void *base = aligned_alloc(FAKE_PAGE, fake_region_size(&g));
	struct nm_desc *d = fake_desc(base, &g);
	struct netmap_ring *r0 = NETMAP_RXRING(d->nifp, 0);
	struct netmap_ring *r1 = NETMAP_RXRING(d->nifp, 1);
	int l0[] = { 60, 70, 80, 0 }, l1[] = { 90, 0 };
	struct seen s;

	fake_rx(r0, l0, NULL);
	fake_rx(r1, l1, NULL);
	memset(&s, 0, sizeof(s));
	TAP_EQ(nm_dispatch(d, 2, collect, (unsigned char *)&s), 2,
	    "nm_dispatch(cnt 2) returns 2");
	tap_ok(s.n == 2 && s.len[0] == 60 && s.len[1] == 70 &&
	    s.first[1] == 'b', "nm_dispatch: packets in ring order");
	tap_ok(s.flags[0] == NM_MORE_PKTS && s.flags[1] == 0,
	    "nm_dispatch: NM_MORE_PKTS on all but the last");
	tap_ok(r0->head == 2 && r0->cur == 2, "nm_dispatch releases the slots");

	memset(&s, 0, sizeof(s));
	TAP_EQ(nm_dispatch(d, 0, collect, (unsigned char *)&s), 2,
	    "nm_dispatch(cnt 0) takes everything");
	tap_ok(s.n == 2 && s.len[0] == 80 && s.len[1] == 90,
	    "nm_dispatch goes on to the next rx ring");
	TAP_EQ(d->cur_rx_ring, 1, "cur_rx_ring follows the last packet");
	memset(&s, 0, sizeof(s));
	TAP_EQ(nm_dispatch(d, -1, collect, (unsigned char *)&s), 0,
	    "nm_dispatch on empty rings returns 0");
	TAP_EQ(s.n, 0, "and calls nothing");

	/* one packet in three fragments, contiguous buffers */
	{
		int lf[] = { FAKE_BUFSZ, FAKE_BUFSZ, 100, 0 };
		uint16_t ff[] = { NS_MOREFRAG, NS_MOREFRAG, 0 };

		fake_rx(r1, lf, ff);
		memset(&s, 0, sizeof(s));
		TAP_EQ(nm_dispatch(d, 1, collect, (unsigned char *)&s), 1,
		    "nm_dispatch counts a 3-slot packet once");
		TAP_EQ(s.len[0], 2 * FAKE_BUFSZ + 100,
		    "nm_dispatch: len sums the fragments");
		TAP_EQ(s.caplen[0], 2 * FAKE_BUFSZ + 100,
		    "nm_dispatch: caplen covers contiguous fragments");
		tap_ok(r1->head == r1->tail, "nm_dispatch releases all fragments");
	}
	free(d);
	free(base);
}

static void
check_nm_nextpkt(void)
{
	struct fake_geom g = { .ntx = 1, .nrx = 2, .nslots = 8 };
	void *base = aligned_alloc(FAKE_PAGE, fake_region_size(&g));
	struct nm_desc *d = fake_desc(base, &g);
	int l0[] = { 61, 0 }, l1[] = { 62, 63, 0 };
	struct nm_pkthdr h;
	unsigned char *b;

	fake_rx(NETMAP_RXRING(d->nifp, 1), l1, NULL);
	memset(&h, 0, sizeof(h));
	b = nm_nextpkt(d, &h);
	tap_ok(b != NULL && h.len == 62 && h.caplen == 62 && b[0] == 'a',
	    "nm_nextpkt finds a packet on the second ring");
	TAP_EQ(d->cur_rx_ring, 1, "nm_nextpkt: cur_rx_ring moves there");
	fake_rx(NETMAP_RXRING(d->nifp, 0), l0, NULL);
	b = nm_nextpkt(d, &h);
	tap_ok(b != NULL && h.len == 63, "nm_nextpkt stays on the current ring");
	b = nm_nextpkt(d, &h);
	tap_ok(b != NULL && h.len == 61, "nm_nextpkt wraps to the first ring");
	tap_ok(nm_nextpkt(d, &h) == NULL, "nm_nextpkt: NULL when all are empty");
	free(d);
	free(base);
}

static void
check_nm_close(void)
{
	struct nm_desc *fp = calloc(1, sizeof(*fp));

	TAP_EQ(nm_close(NULL), EINVAL, "nm_close(NULL) is EINVAL");
	TAP_EQ(nm_close(fp), EINVAL, "nm_close of a non-descriptor is EINVAL");
	tap_ok(!IS_NETMAP_DESC(fp), "IS_NETMAP_DESC(non-descriptor) false");
	fp->self = fp;
	tap_ok(IS_NETMAP_DESC(fp), "IS_NETMAP_DESC when self points back");
	fp->fd = -1;
	TAP_EQ(NETMAP_FD(fp), -1, "NETMAP_FD");
	TAP_EQ(nm_close(fp), 0, "nm_close of a descriptor frees it");
}

int
main(void)
{
	check_pointer_macros();
	check_ring_arithmetic();
	check_pkt_copy();
	check_nm_inject();
	check_nm_dispatch();
	check_nm_nextpkt();
	check_nm_close();
	return tap_done();
}
