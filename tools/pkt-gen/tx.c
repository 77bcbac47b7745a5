/*
 * tx.c - the sender (tx and txseq): fill tx rings, sync with poll().
 *
 * The frame is written into a slot's buffer the first time the slot is
 * used, and again only when the buffer under the slot changes (a new
 * buf_idx, or NS_BUF_CHANGED from the other side).  On the fast path (one
 * fixed frame, one slot per packet) a packet therefore costs two stores:
 * slot->len and slot->flags.  Everything that varies per packet - address
 * ranges, random addresses or sizes, sequence numbers, timestamps - lives
 * in a short prefix of the frame (headers and the first payload bytes),
 * rebuilt per packet and written over the cached payload.
 *
 * netmap's rule for waiting: when a ring has no room for what we want to
 * send, set ring->cur = ring->tail, and poll() sleeps until the other
 * side frees slots.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pktgen.h"

/* what each slot's buffer holds: a piece of the template */
struct slot_cache {
	uint32_t	*buf;	/* the buf_idx we wrote; 0 = nothing yet */
	uint32_t	*off;	/* from this template offset */
	uint32_t	*len;	/* this many bytes */
};

struct txctx {
	struct pg_thread	*t;
	struct pg_port		*p;
	const struct pg_frame	*f;
	unsigned		opts;
	bool			fast;		/* len/flags only */
	bool			dyn;		/* prefix rebuilt or patched per packet */
	bool			vary_hdr;	/* headers change per packet */
	bool			seq, ts;
	unsigned		cap;		/* bytes per slot at most */
	unsigned		pre_len;	/* prefix bytes written per packet */
	uint8_t			pre[PG_MAX_VHDR + PG_ETH_LEN + PG_IP6_LEN + PG_UDP_LEN + 16];
	struct pg_flow		flow;
	uint32_t		seqno;
	uint64_t		stamp;		/* ns, for OPT_TS: time of the batch */
	uint64_t		size_rng;
	struct slot_cache	*cache;		/* per tx ring of the port */
	unsigned		ncache;
};

/* how many slots a packet of L bytes takes, and piece k's length */
static inline unsigned
nfrags(const struct txctx *c, unsigned L)
{
	unsigned n = pg.frags, need = (L + c->cap - 1) / c->cap;

	if (need > n)
		n = need;
	if (n > L)
		n = L ? L : 1;
	return n;
}

static inline unsigned
piece_len(unsigned L, unsigned n, unsigned k)
{
	return L / n + (k < L % n ? 1 : 0);
}

static void
cache_fill(struct txctx *c, struct netmap_ring *ring, struct slot_cache *sc, uint32_t h,
    unsigned off, unsigned len)
{
	struct netmap_slot *s = &ring->slot[h];

	nm_pkt_copy(c->f->data + off, NETMAP_BUF_OFFSET(ring, s), (int)len);
	sc->buf[h] = s->buf_idx;
	sc->off[h] = off;
	sc->len[h] = len;
}

/* the per-packet prefix: headers (and payload start) for this packet */
static void
make_prefix(struct txctx *c, unsigned size)
{
	const struct pg_frame *f = c->f;

	if (c->vary_hdr) {
		pg_frame_headers(f, &c->flow, size, c->pre);
		memcpy(c->pre + f->pay, f->data + f->pay, c->pre_len - f->pay);
		pg_flow_next(&c->flow, &c->t->rng);
	}
	if (c->seq) {
		uint8_t b[4] = { (uint8_t)(c->seqno >> 24), (uint8_t)(c->seqno >> 16),
				 (uint8_t)(c->seqno >> 8), (uint8_t)c->seqno };

		pg_csum_patch(c->pre, f, 0, b, 4);
		c->seqno++;
	}
	if (c->ts)
		pg_csum_patch(c->pre, f, PG_TS_OFF, &c->stamp, PG_TS_LEN);
}

/* one packet of @size bytes at ring->slot[*h...]; the room is there */
static unsigned
put_packet(struct txctx *c, struct netmap_ring *ring, struct slot_cache *sc, uint32_t *h,
    unsigned size)
{
	unsigned L = c->f->vhdr + size, n = nfrags(c, L), off = 0;
	unsigned opts = c->opts;

	if (c->dyn)
		make_prefix(c, size);
	for (unsigned k = 0; k < n; k++) {
		struct netmap_slot *s = &ring->slot[*h];
		unsigned len = piece_len(L, n, k);
		uint16_t flags = k + 1 < n ? NS_MOREFRAG : 0;

		if (opts & OPT_RUBBISH) {
			/* the buffer goes as it is */
		} else if (opts & OPT_INDIRECT) {
			s->ptr = (uint64_t)(uintptr_t)c->f->data;
			flags |= NS_INDIRECT;
		} else {
			char *p = NETMAP_BUF_OFFSET(ring, s);

			if ((opts & (OPT_COPY | OPT_MEMCPY)) || (s->flags & NS_BUF_CHANGED) ||
			    s->buf_idx != sc->buf[*h] || sc->off[*h] != off || sc->len[*h] < len)
				cache_fill(c, ring, sc, *h, off, len);
			if (c->dyn && off < c->pre_len)
				memcpy(p, c->pre + off, len < c->pre_len - off ? len : c->pre_len - off);
			if (opts & OPT_PREFETCH)
				__builtin_prefetch(NETMAP_BUF_OFFSET(ring,
				    &ring->slot[nm_ring_next(ring, *h)]));
		}
		s->len = (uint16_t)len;
		s->flags = flags;
		if (opts & OPT_DUMP)
			pg_hexdump("tx", ring, *h, (const uint8_t *)NETMAP_BUF_OFFSET(ring, s), len);
		off += len;
		*h = nm_ring_next(ring, *h);
	}
	return n;
}

static inline unsigned
pick_size(struct txctx *c)
{
	if (!pg.min_size)
		return pg.size;
	c->size_rng = c->size_rng * 6364136223846793005ull + 1442695040888963407ull;
	return pg.min_size + (unsigned)(c->size_rng >> 33) % (pg.size - pg.min_size);
}

/* up to @limit packets into @ring; returns how many, *bytes what they weigh */
static unsigned
fill_ring(struct txctx *c, struct netmap_ring *ring, struct slot_cache *sc, unsigned limit,
    uint64_t *bytes)
{
	uint32_t h = ring->head, last = h;
	unsigned space = nm_ring_space(ring), sent = 0;

	if (c->fast) {
		uint32_t n = ring->num_slots;
		uint16_t len = (uint16_t)c->f->len;
		unsigned m = limit < space ? limit : space;
		const uint32_t *cached = sc->buf;	/* not reloaded after each slot's stores */

		for (unsigned i = 0; i < m; i++) {
			struct netmap_slot *s = &ring->slot[h];

			if (__builtin_expect(s->buf_idx != cached[h] ||
			    (s->flags & NS_BUF_CHANGED), 0))
				cache_fill(c, ring, sc, h, 0, len);
			s->len = len;
			s->flags = 0;
			last = h;
			if (__builtin_expect(++h == n, 0))
				h = 0;
		}
		sent = m;
		*bytes = (uint64_t)m * len;
	} else {
		uint64_t b = 0;

		if (c->ts)
			c->stamp = pg_now_ns();
		while (sent < limit) {
			unsigned size = pick_size(c);

			if (nfrags(c, c->f->vhdr + size) > space)
				break;
			space -= put_packet(c, ring, sc, &h, size);
			/* the last slot of the packet */
			last = h ? h - 1 : ring->num_slots - 1;
			b += c->f->vhdr + size;
			sent++;
		}
		*bytes = b;
	}
	if (sent) {
		ring->slot[last].flags |= NS_REPORT;
		ring->head = ring->cur = h;
	}
	if (sent < limit)
		ring->cur = ring->tail;	/* wake me when there is more room */
	return sent;
}

static int
ctx_init(struct txctx *c, struct pg_thread *t)
{
	const struct pg_frame *f = t->frame;
	struct pg_port *p = t->txp;
	bool ranges = memcmp(pg.src.start, pg.src.end, 16) || pg.src.port0 != pg.src.port1 ||
	    memcmp(pg.dst.start, pg.dst.end, 16) || pg.dst.port0 != pg.dst.port1;
	unsigned bufsz = pg_txring(p, p->first_tx)->nr_buf_size;

	memset(c, 0, sizeof(*c));
	c->t = t;
	c->p = p;
	c->f = f;
	c->opts = pg.options;
	c->seq = t->role == ROLE_TXSEQ;
	c->ts = (pg.options & OPT_TS) && !f->raw;
	c->vary_hdr = !f->raw && (ranges || (pg.options & (OPT_RANDOM_SRC | OPT_RANDOM_DST)) ||
	    pg.min_size);
	c->dyn = c->vary_hdr || c->seq || c->ts;
	c->cap = pg.frag_size && pg.frag_size < bufsz ? pg.frag_size : bufsz;
	c->fast = !c->dyn && !pg.min_size && nfrags(c, f->len) == 1 &&
	    !(c->opts & (OPT_RUBBISH | OPT_INDIRECT | OPT_COPY | OPT_MEMCPY | OPT_DUMP |
	    OPT_PREFETCH));
	c->pre_len = f->pay + (c->ts ? PG_TS_OFF + PG_TS_LEN : c->seq ? 4 : 0);
	memcpy(c->pre, f->data, c->pre_len);
	pg_flow_init(&c->flow);
	c->size_rng = t->rng ^ 0x9e3779b97f4a7c15ull;
	c->ncache = p->last_tx + 1;
	c->cache = calloc(c->ncache, sizeof(*c->cache));
	if (!c->cache)
		return -1;
	for (unsigned i = p->first_tx; i <= p->last_tx; i++) {
		unsigned n = pg_txring(p, i)->num_slots;

		c->cache[i].buf = calloc(n, sizeof(uint32_t));
		c->cache[i].off = calloc(n, sizeof(uint32_t));
		c->cache[i].len = calloc(n, sizeof(uint32_t));
		if (!c->cache[i].buf || !c->cache[i].off || !c->cache[i].len)
			return -1;
	}
	return 0;
}

static void
ctx_free(struct txctx *c)
{
	for (unsigned i = 0; c->cache && i < c->ncache; i++) {
		free(c->cache[i].buf);
		free(c->cache[i].off);
		free(c->cache[i].len);
	}
	free(c->cache);
}

void *
pg_tx_body(void *arg)
{
	struct pg_thread *t = arg;
	struct pg_port *p = t->txp;
	struct txctx c;
	struct pg_pacer pacer;
	uint64_t sent = 0, quota = t->quota;
	bool ok = true;

	memset(&c, 0, sizeof(c));
	if (pg_set_affinity(t) < 0 || ctx_init(&c, t) < 0) {
		ctx_free(&c);
		pg_thread_finish(t, false);
		return NULL;
	}
	pg_pacer_init(&pacer, t->rate, t->burst);
	pg_gettime(&t->tic);
	t->have_tic = true;
	while (!pg_stopping() && (quota == 0 || sent < quota)) {
		uint64_t allow = pg_pacer_allow(&pacer);
		int rv;

		if (pg_stopping())
			break;
		rv = pg_port_wait(p, POLLOUT, 100);
		if (rv < 0) {
			fprintf(stderr, "pkt-gen: %s: poll: %s\n", p->name, strerror(errno));
			ok = false;
			break;
		}
		if (rv & POLLERR) {
			fprintf(stderr, "pkt-gen: %s: poll reports an error on tx rings %u..%u\n",
			    p->name, p->first_tx, p->last_tx);
			ok = false;
			break;
		}
		for (unsigned i = p->first_tx; i <= p->last_tx; i++) {
			struct netmap_ring *ring = pg_txring(p, i);
			uint64_t limit = t->burst, bytes;
			unsigned m;

			if (allow < limit)
				limit = allow;
			if (quota && quota - sent < limit)
				limit = quota - sent;
			if (limit == 0)
				break;
			if (nm_ring_empty(ring))
				continue;
			m = fill_ring(&c, ring, &c.cache[i], (unsigned)limit, &bytes);
			if (m == 0)
				continue;
			sent += m;
			allow -= m;
			pg_pacer_used(&pacer, m);
			pg_stats_add(t, m, bytes, 1);
		}
	}
	if (ok)
		pg_port_drain(p, &t->toc);
	else
		pg_gettime(&t->toc);
	ctx_free(&c);
	pg_thread_finish(t, ok);
	return NULL;
}
