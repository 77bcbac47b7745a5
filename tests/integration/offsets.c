/*
 * offsets.c - per-slot data offsets (NETMAP_REQ_OPT_OFFSETS, libnetmap's
 * @offset:) as netmap has them: the refusals at REGISTER with netmap's
 * errnos, what a registration gets back, frames across a pipe (the offset
 * travels with the slot), across a VALE switch between ports with
 * different offsets and one without, into a copy monitor at its own
 * offset, and slots whose offset does not fit refused as bad slots.
 */
#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>
#include <libnetmap.h>

#include <stdbool.h>
#include <stdlib.h>

#include "../lib/nmraw.h"
#include "../lib/tap.h"
#include "shared/unetmap_kern.h"

static int uniq;

/* REGISTER of @name with the offsets option @o (NULL: none); 0 or -errno */
static int
open_off(struct rawport *p, const char *name, uint64_t flags, struct nmreq_opt_offsets *o)
{
	struct nmreq_register req = { .nr_mode = NR_REG_ALL_NIC, .nr_flags = flags };

	if (o) {
		o->nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
		o->nro_opt.nro_next = 0;
		o->nro_opt.nro_status = 0;
	}
	return raw_open_opts(p, name, &req, o ? &o->nro_opt : NULL);
}

static struct nmreq_opt_offsets
offs(uint64_t max, uint64_t initial, uint32_t bits)
{
	struct nmreq_opt_offsets o;

	memset(&o, 0, sizeof(o));
	o.nro_max_offset = max;
	o.nro_initial_offset = initial;
	o.nro_offset_bits = bits;
	return o;
}

static unsigned char
pat(unsigned seq, size_t i)
{
	return (unsigned char)(seq * 13 + i * 7 + 1);
}

/* one frame of @len bytes of pattern @seq at offset @off in the next tx slot; 0 or -1 */
static int
put_at(struct netmap_ring *tx, unsigned seq, size_t len, uint64_t off)
{
	struct netmap_slot *s;
	unsigned char *b;

	if (nm_ring_empty(tx))
		return -1;
	s = &tx->slot[tx->head];
	NETMAP_WOFFSET(tx, s, off);
	b = (unsigned char *)NETMAP_BUF_OFFSET(tx, s);
	for (size_t i = 0; i < len; i++)
		b[i] = pat(seq, i);
	s->len = (uint16_t)len;
	s->flags = 0;
	tx->head = tx->cur = nm_ring_next(tx, tx->head);
	return 0;
}

/* does rx slot @s hold frame @seq of @len bytes at offset @off? */
static bool
frame_is(struct netmap_ring *rx, struct netmap_slot *s, unsigned seq, size_t len, uint64_t off)
{
	const unsigned char *b = (const unsigned char *)NETMAP_BUF_OFFSET(rx, s);

	if (s->len != len || NETMAP_ROFFSET(rx, s) != off)
		return false;
	for (size_t i = 0; i < len; i++)
		if (b[i] != pat(seq, i))
			return false;
	return true;
}

/* ------------------------------------------------------------ refusals */

static void
test_refusals(void)
{
	char m[64], sl[64];
	struct rawport a, b, c;
	struct nmreq_opt_offsets o;

	snprintf(m, sizeof(m), "of%d{1", uniq);
	snprintf(sl, sizeof(sl), "of%d}1", uniq);
	o = offs(256, 0, 65);
	TAP_EQ(open_off(&a, m, 0, &o), -EINVAL, "65 offset bits: EINVAL");
	TAP_EQ(o.nro_opt.nro_status, EINVAL, "  and the option's status says so");
	o = offs(2049, 0, 0);
	TAP_EQ(open_off(&a, m, 0, &o), -EINVAL, "a largest offset beyond the buffer size: EINVAL");
	o = offs(100, 0, 4);
	TAP_EQ(open_off(&a, m, 0, &o), -EINVAL, "a largest offset the bits cannot hold: EINVAL");
	o = offs(100, 101, 0);
	TAP_EQ(open_off(&a, m, 0, &o), -EINVAL, "an initial offset above the largest: EINVAL");

	/* netmap checks neither tx_align nor min_gap at REGISTER */
	o = offs(256, 64, 12);
	o.nro_tx_align = 3;
	o.nro_min_gap = 100;
	TAP_EQ(open_off(&a, m, 0, &o), 0, "tx_align 3 and min_gap 100 are taken, as netmap takes them");
	TAP_EQ(o.nro_opt.nro_status, 0, "  the option is consumed (status 0)");
	TAP_EQ(o.nro_max_offset, 256, "  nro_max_offset is written back");
	if (a.fd < 0)
		return;
	{
		struct netmap_ring *tx = NETMAP_TXRING(a.nifp, 0), *rx = NETMAP_RXRING(a.nifp, 0);
		bool all = true;

		TAP_EQ(tx->offset_mask, 0xfff, "the ring's offset_mask has the 12 bits");
		TAP_EQ(rx->offset_mask, 0xfff, "  on the rx ring too");
		for (uint32_t j = 0; j < tx->num_slots; j++)
			all &= NETMAP_ROFFSET(tx, &tx->slot[j]) == 64;
		tap_ok(all, "every tx slot holds the initial offset 64");
	}

	/* a second registration of the same rings: no more than the first */
	o = offs(512, 0, 12);
	TAP_EQ(open_off(&b, m, 0, &o), -EBUSY, "a second registration asking a larger largest "
	    "offset: EBUSY");
	TAP_EQ(o.nro_opt.nro_status, EBUSY, "  and the option's status says so");
	o = offs(256, 0, 16);
	TAP_EQ(open_off(&b, m, 0, &o), -EBUSY, "  asking more bits: EBUSY");
	o = offs(100, 0, 8);
	TAP_EQ(open_off(&b, m, 0, &o), 0, "asking less is fine");
	TAP_EQ(o.nro_max_offset, 256, "  and gets the ring's largest offset back");
	if (b.fd >= 0) {
		TAP_EQ(NETMAP_TXRING(b.nifp, 0)->offset_mask, 0xfff, "  and the ring's 12 bits");
		raw_close(&b);
	}
	TAP_EQ(open_off(&b, m, 0, NULL), 0, "a registration without the option shares the rings");
	raw_close(&b);

	/* the other end is a port of its own */
	o = offs(2048, 0, 0);
	TAP_EQ(open_off(&b, sl, 0, &o), 0, "the pipe's other end takes offsets of its own");
	if (b.fd >= 0) {
		TAP_EQ(NETMAP_RXRING(b.nifp, 0)->offset_mask, ~0ull, "  bits 0: the whole ptr");
		raw_close(&b);
	}

	o = offs(64, 0, 0);
	TAP_EQ(open_off(&c, m, NR_ZCOPY_MON, &o), -EOPNOTSUPP,
	    "a zero-copy monitor takes no offsets: EOPNOTSUPP");
	TAP_EQ(o.nro_opt.nro_status, EOPNOTSUPP, "  and the option's status says so");
	raw_close(&a);

	/* the last descriptor gone, the rings forget their offsets (netmap's krings go) */
	o = offs(512, 0, 16);
	TAP_EQ(open_off(&a, m, 0, &o), 0, "once closed, the port takes other offsets");
	raw_close(&a);
}

/* ------------------------------------------------------------ a hostile kring */

/*
 * The kring of @port's @dir ring @ringid in region @mem_id, found through
 * our own mapping of the region (the kernel part lies at nr_memsize); NULL
 * when it cannot be found.
 */
static struct unm_kring *
find_kring(uint16_t mem_id, uint64_t memsize, const char *port, uint16_t dir, uint16_t ringid)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	struct unm_kring *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		const struct unm_region_hdr *h;

		if (!strstr(line, "unetmap-mem") || sscanf(line, "%llx-%llx", &s, &e) != 2 ||
		    e - s < memsize + UNM_PAGE)
			continue;
		h = (const struct unm_region_hdr *)(uintptr_t)(s + memsize);
		if (h->magic != UNM_REGION_MAGIC || h->mem_id != mem_id ||
		    h->layout.kern_ofs != memsize)
			continue;
		for (uint32_t i = 0; i < h->layout.ring.num; i++) {
			struct unm_kring *k = (struct unm_kring *)(uintptr_t)(s + memsize +
			    unm_kring_kofs(i));

			if ((uintptr_t)(k + 1) > e)
				break;
			if (k->dir == dir && k->ringid == ringid && strcmp(k->port, port) == 0) {
				found = k;
				break;
			}
		}
	}
	fclose(f);
	return found;
}

/*
 * A client of the region rewrites the num_slots of a ring's kring that
 * nobody holds; a registration of that ring with an initial offset must
 * not make the daemon write slots past the ring (it used to loop over the
 * kring's num_slots and crash).
 */
static void
test_hostile_kring(void)
{
	char port[64];
	struct nmreq_register req;
	struct nmreq_opt_offsets o;
	struct rawport a, b;
	struct unm_kring *k;
	uint32_t saved;

	snprintf(port, sizeof(port), "vale%d:hk", uniq);
	memset(&req, 0, sizeof(req));
	req.nr_mode = NR_REG_ONE_NIC;
	req.nr_ringid = 0;
	req.nr_tx_rings = req.nr_rx_rings = 2;
	if (raw_open_opts(&a, port, &req, NULL) != 0) {
		tap_ok(false, "a VALE port of two ring pairs, ring 0 bound");
		return;
	}
	k = find_kring(a.reg.nr_mem_id, a.reg.nr_memsize, port, 0, 1);
	tap_ok(k != NULL, "the kring of tx ring 1 is found in our mapping of the region");
	if (!k) {
		raw_close(&a);
		return;
	}
	saved = k->num_slots;
	k->num_slots = 0xfffffff0u;	/* hostile */
	memset(&req, 0, sizeof(req));
	req.nr_mode = NR_REG_ONE_NIC;
	req.nr_ringid = 1;
	o = offs(256, 64, 12);
	o.nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	TAP_EQ(raw_open_opts(&b, port, &req, &o.nro_opt), 0,
	    "ring 1 registered with an initial offset despite its kring's num_slots 0xfffffff0");
	k->num_slots = saved;
	if (b.fd >= 0) {
		struct netmap_ring *tx = NETMAP_TXRING(b.nifp, 1);
		bool all = true;

		for (uint32_t j = 0; j < tx->num_slots; j++)
			all &= NETMAP_ROFFSET(tx, &tx->slot[j]) == 64;
		tap_ok(all, "  every slot of the ring holds the initial offset");
		raw_close(&b);
	}
	raw_close(&a);
	TAP_EQ(open_off(&b, port, 0, NULL), 0, "the daemon still answers");
	raw_close(&b);
}

/* ------------------------------------------------------------ pipes */

static const uint64_t pipe_offs[] = { 0, 1, 63, 200, 511, 10 };
static const size_t pipe_lens[] = { 60, 1514, 1985, 300, 1537, 2038 };

static void
test_pipe(void)
{
	char m[64], sl[64];
	struct rawport a, b;
	struct nmreq_opt_offsets oa = offs(512, 64, 10), ob = offs(512, 0, 10);
	struct netmap_ring *tx, *rx;
	int good = 0;

	snprintf(m, sizeof(m), "op%d{1", uniq);
	snprintf(sl, sizeof(sl), "op%d}1", uniq);
	if (!tap_ok(open_off(&a, m, 0, &oa) == 0 && open_off(&b, sl, 0, &ob) == 0,
	    "a pipe, both ends with 10 bits of offsets"))
		return;
	tx = NETMAP_TXRING(a.nifp, 0);
	rx = NETMAP_RXRING(b.nifp, 0);
	for (unsigned i = 0; i < 6; i++)
		put_at(tx, i, pipe_lens[i], pipe_offs[i]);
	ioctl(a.fd, NIOCTXSYNC, NULL);
	ioctl(b.fd, NIOCRXSYNC, NULL);
	TAP_EQ(nm_ring_space(rx), 6, "six frames at six offsets cross the pipe");
	for (unsigned i = 0; i < 6 && !nm_ring_empty(rx); i++) {
		good += frame_is(rx, &rx->slot[rx->head], i, pipe_lens[i], pipe_offs[i]);
		rx->head = rx->cur = nm_ring_next(rx, rx->head);
	}
	TAP_EQ(good, 6, "each arrives whole, at the offset it was sent at");
	ioctl(b.fd, NIOCRXSYNC, NULL);

	/* bad slots: offset above the largest; offset + length past the buffer */
	{
		uint32_t h0 = tx->head;

		put_at(tx, 7, 60, 20);
		tx->slot[tx->head].len = 60;
		NETMAP_WOFFSET(tx, &tx->slot[tx->head], 600);
		tx->head = tx->cur = nm_ring_next(tx, tx->head);
		ioctl(a.fd, NIOCTXSYNC, NULL);
		ioctl(b.fd, NIOCRXSYNC, NULL);
		TAP_EQ(nm_ring_space(rx), 1, "an offset above the largest is a bad slot; the frame "
		    "before it passes");
		TAP_EQ(tx->head, nm_ring_next(tx, h0), "  the sender restarts at the refused slot");
		tap_ok(frame_is(rx, &rx->slot[rx->head], 7, 60, 20), "  the good frame is whole");
		rx->head = rx->cur = nm_ring_next(rx, rx->head);
		ioctl(b.fd, NIOCRXSYNC, NULL);

		NETMAP_WOFFSET(tx, &tx->slot[tx->head], 500);
		tx->slot[tx->head].len = 1600;
		tx->head = tx->cur = nm_ring_next(tx, tx->head);
		ioctl(a.fd, NIOCTXSYNC, NULL);
		ioctl(b.fd, NIOCRXSYNC, NULL);
		TAP_EQ(nm_ring_space(rx), 0, "offset 500 + length 1600 past a 2048-byte buffer: "
		    "refused");
		TAP_EQ(tx->head, nm_ring_next(tx, h0), "  the ring is reset to the refused slot");
		put_at(tx, 8, 1548, 500);
		ioctl(a.fd, NIOCTXSYNC, NULL);
		ioctl(b.fd, NIOCRXSYNC, NULL);
		tap_ok(nm_ring_space(rx) == 1 && frame_is(rx, &rx->slot[rx->head], 8, 1548, 500),
		    "offset 500 + 1548 bytes (the buffer exactly) passes, whole");
		rx->head = rx->cur = nm_ring_next(rx, rx->head);
		ioctl(b.fd, NIOCRXSYNC, NULL);
	}
	raw_close(&b);
	raw_close(&a);
}

/* ------------------------------------------------------------ VALE */

/* a broadcast frame from @mac_last: 14 bytes of header, then the pattern */
static int
put_eth(struct netmap_ring *tx, unsigned seq, size_t len, uint64_t off, unsigned char mac_last)
{
	uint32_t j = tx->head;
	unsigned char *b;

	if (put_at(tx, seq, len, off) < 0)
		return -1;
	b = (unsigned char *)NETMAP_BUF_OFFSET(tx, &tx->slot[j]);
	memset(b, 0xff, 6);
	memcpy(b + 6, (unsigned char[]){ 0x02, 0, 0, 0, 0, mac_last }, 6);
	return 0;
}

/* does rx slot @s hold what put_eth sent? */
static bool
eth_is(struct netmap_ring *rx, struct netmap_slot *s, unsigned seq, size_t len, uint64_t off,
    unsigned char mac_last)
{
	const unsigned char *b = (const unsigned char *)NETMAP_BUF_OFFSET(rx, s);

	if (s->len != len || NETMAP_ROFFSET(rx, s) != off || b[0] != 0xff || b[11] != mac_last)
		return false;
	for (size_t i = 14; i < len; i++)
		if (b[i] != pat(seq, i))
			return false;
	return true;
}

/* up to 100 rounds (of 1 ms) for @want frames in @p's rx ring 0 */
static unsigned
wait_rx(struct rawport *p, unsigned want)
{
	struct netmap_ring *rx = NETMAP_RXRING(p->nifp, 0);

	for (int i = 0; i < 100; i++) {
		ioctl(p->fd, NIOCRXSYNC, NULL);
		if (nm_ring_space(rx) >= want)
			break;
		usleep(1000);
	}
	return nm_ring_space(rx);
}

static void
test_vale(void)
{
	char na[64], nb[64], nc[64];
	struct rawport a, b, c;
	struct nmreq_opt_offsets oa = offs(256, 100, 16), oc = offs(64, 30, 8);
	struct netmap_ring *ta, *rb, *rc, *tb, *ra;
	int good;

	snprintf(na, sizeof(na), "vale%d:a", uniq);
	snprintf(nb, sizeof(nb), "vale%d:b", uniq);
	snprintf(nc, sizeof(nc), "vale%d:c", uniq);
	if (!tap_ok(open_off(&a, na, 0, &oa) == 0 && open_off(&b, nb, 0, NULL) == 0 &&
	    open_off(&c, nc, 0, &oc) == 0, "a switch: a (initial offset 100), b (none), c (30)"))
		return;
	ta = NETMAP_TXRING(a.nifp, 0);
	ra = NETMAP_RXRING(a.nifp, 0);
	tb = NETMAP_TXRING(b.nifp, 0);
	rb = NETMAP_RXRING(b.nifp, 0);
	rc = NETMAP_RXRING(c.nifp, 0);

	/* from a, at several offsets of its own, to everyone */
	put_eth(ta, 1, 60, 0, 0xa);
	put_eth(ta, 2, 1514, 200, 0xa);
	put_eth(ta, 3, 900, 17, 0xa);
	ioctl(a.fd, NIOCTXSYNC, NULL);
	TAP_EQ(wait_rx(&b, 3), 3, "a's three frames reach b");
	good = 0;
	for (unsigned i = 0; i < 3 && !nm_ring_empty(rb); i++) {
		static const size_t lens[] = { 60, 1514, 900 };

		good += eth_is(rb, &rb->slot[rb->head], i + 1, lens[i], 0, 0xa);
		rb->head = rb->cur = nm_ring_next(rb, rb->head);
	}
	TAP_EQ(good, 3, "  whole, at offset 0 (b has no offsets)");
	TAP_EQ(wait_rx(&c, 3), 3, "and reach c");
	good = 0;
	for (unsigned i = 0; i < 3 && !nm_ring_empty(rc); i++) {
		static const size_t lens[] = { 60, 1514, 900 };

		good += eth_is(rc, &rc->slot[rc->head], i + 1, lens[i], 30, 0xa);
		rc->head = rc->cur = nm_ring_next(rc, rc->head);
	}
	TAP_EQ(good, 3, "  whole, at c's initial offset 30");
	ioctl(b.fd, NIOCRXSYNC, NULL);
	ioctl(c.fd, NIOCRXSYNC, NULL);

	/* from b (no offsets) to a and c */
	put_eth(tb, 4, 1000, 0, 0xb);
	ioctl(b.fd, NIOCTXSYNC, NULL);
	TAP_EQ(wait_rx(&a, 1), 1, "b's frame reaches a");
	tap_ok(!nm_ring_empty(ra) && eth_is(ra, &ra->slot[ra->head], 4, 1000, 100, 0xb),
	    "  whole, at a's initial offset 100");
	ra->head = ra->cur = nm_ring_next(ra, ra->head);
	ioctl(a.fd, NIOCRXSYNC, NULL);
	TAP_EQ(wait_rx(&c, 1), 1, "and reaches c");
	tap_ok(!nm_ring_empty(rc) && eth_is(rc, &rc->slot[rc->head], 4, 1000, 30, 0xb),
	    "  at c's offset 30");
	rc->head = rc->cur = nm_ring_next(rc, rc->head);
	ioctl(c.fd, NIOCRXSYNC, NULL);

	/* a frame that does not fit after the receiver's offset is cut, as netmap cuts */
	put_eth(ta, 5, 2040, 0, 0xa);
	ioctl(a.fd, NIOCTXSYNC, NULL);
	TAP_EQ(wait_rx(&c, 1), 1, "a frame of 2040 bytes reaches c");
	tap_ok(!nm_ring_empty(rc) && rc->slot[rc->head].len == 2048 - 30 &&
	    NETMAP_ROFFSET(rc, &rc->slot[rc->head]) == 30,
	    "  cut to the 2018 bytes that fit after offset 30");
	rc->head = rc->cur = nm_ring_next(rc, rc->head);
	ioctl(c.fd, NIOCRXSYNC, NULL);
	wait_rx(&b, 1);
	rb->head = rb->cur = rb->tail;
	ioctl(b.fd, NIOCRXSYNC, NULL);

	/* a bad slot: the switch drops it (as it drops any bad slot), the next passes */
	{
		uint32_t j = ta->head;

		put_eth(ta, 6, 60, 0, 0xa);
		ta->slot[j].len = 1990;
		NETMAP_WOFFSET(ta, &ta->slot[j], 100);
	}
	put_eth(ta, 7, 70, 250, 0xa);
	ioctl(a.fd, NIOCTXSYNC, NULL);
	TAP_EQ(wait_rx(&b, 1), 1, "offset + length past the buffer: dropped, the next frame passes");
	tap_ok(!nm_ring_empty(rb) && eth_is(rb, &rb->slot[rb->head], 7, 70, 0, 0xa),
	    "  and it is the good one, whole");
	raw_close(&c);
	raw_close(&b);
	raw_close(&a);
}

/* ------------------------------------------------------------ monitors */

static void
test_monitor(void)
{
	char m[64], sl[64];
	struct rawport a, b, mo, mp;
	struct nmreq_opt_offsets oa = offs(512, 0, 10), om = offs(100, 40, 8);
	struct netmap_ring *tx, *mr, *pr;
	int good = 0;

	snprintf(m, sizeof(m), "om%d{1", uniq);
	snprintf(sl, sizeof(sl), "om%d}1", uniq);
	if (!tap_ok(open_off(&a, m, 0, &oa) == 0 && open_off(&b, sl, 0, NULL) == 0 &&
	    open_off(&mo, m, NR_MONITOR_TX, &om) == 0 && open_off(&mp, m, NR_MONITOR_TX, NULL) == 0,
	    "a pipe end with offsets, a /t monitor with initial offset 40 and one without"))
		return;
	tx = NETMAP_TXRING(a.nifp, 0);
	mr = NETMAP_RXRING(mo.nifp, 0);
	pr = NETMAP_RXRING(mp.nifp, 0);
	put_at(tx, 1, 60, 0);
	put_at(tx, 2, 1500, 300);
	put_at(tx, 3, 1900, 148);
	ioctl(a.fd, NIOCTXSYNC, NULL);
	ioctl(mo.fd, NIOCRXSYNC, NULL);
	ioctl(mp.fd, NIOCRXSYNC, NULL);
	TAP_EQ(nm_ring_space(mr), 3, "the monitor with offsets sees the three frames");
	for (unsigned i = 0; i < 3 && !nm_ring_empty(mr); i++) {
		static const size_t lens[] = { 60, 1500, 1900 };

		good += frame_is(mr, &mr->slot[mr->head], i + 1, lens[i], 40);
		mr->head = mr->cur = nm_ring_next(mr, mr->head);
	}
	TAP_EQ(good, 3, "  copied from the sender's offsets to its own, 40");
	TAP_EQ(nm_ring_space(pr), 3, "the monitor without offsets sees them too");
	good = 0;
	for (unsigned i = 0; i < 3 && !nm_ring_empty(pr); i++) {
		static const size_t lens[] = { 60, 1500, 1900 };

		good += frame_is(pr, &pr->slot[pr->head], i + 1, lens[i], 0);
		pr->head = pr->cur = nm_ring_next(pr, pr->head);
	}
	TAP_EQ(good, 3, "  at offset 0");
	raw_close(&mp);
	raw_close(&mo);
	raw_close(&b);
	raw_close(&a);
}

/* ------------------------------------------------------------ libnetmap */

static void
test_libnetmap(void)
{
	char spec[128];
	struct nmport_d *m, *s;
	struct netmap_ring *tx, *rx;
	bool all = true;

	/* off by default in libnetmap, as in netmap's */
	snprintf(spec, sizeof(spec), "netmap:ol%d{1@offset:initial=64,bits=12", uniq);
	m = nmport_open(spec);
	tap_ok(m == NULL, "@offset is refused until the program enables it");
	if (m)
		nmport_close(m);
	TAP_EQ(nmport_enable_option("offset"), 0, "nmport_enable_option(\"offset\")");
	m = nmport_open(spec);
	if (!tap_ok(m != NULL, "nmport_open with @offset:initial=64,bits=12"))
		return;
	tx = NETMAP_TXRING(m->nifp, 0);
	TAP_EQ(tx->offset_mask, 0xfff, "  the ring has 12 bits of offsets");
	for (uint32_t j = 0; j < tx->num_slots; j++)
		all &= NETMAP_ROFFSET(tx, &tx->slot[j]) == 64;
	tap_ok(all, "  every slot starts at offset 64");
	snprintf(spec, sizeof(spec), "netmap:ol%d}1@offset=32", uniq);
	s = nmport_open(spec);
	if (tap_ok(s != NULL, "the other end with @offset=32 (initial, the default key)")) {
		rx = NETMAP_RXRING(s->nifp, 0);
		put_at(tx, 9, 200, 64);
		ioctl(m->fd, NIOCTXSYNC, NULL);
		ioctl(s->fd, NIOCRXSYNC, NULL);
		tap_ok(!nm_ring_empty(rx) && frame_is(rx, &rx->slot[rx->head], 9, 200, 64),
		    "a frame at offset 64 crosses, whole, its offset with it");
		nmport_close(s);
	}
	snprintf(spec, sizeof(spec), "netmap:ol%d{2@offset:initial=3000", uniq);
	errno = 0;
	s = nmport_open(spec);
	tap_ok(s == NULL && errno == EINVAL, "@offset:initial=3000 (beyond the buffer): EINVAL");
	if (s)
		nmport_close(s);
	nmport_close(m);
}

int
main(void)
{
	uniq = (int)getpid() % 100000;
	test_refusals();
	test_hostile_kring();
	test_pipe();
	test_vale();
	test_monitor();
	test_libnetmap();
	return tap_done();
}
