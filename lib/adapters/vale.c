/*
 * vale.c - the VALE switch's data path: forwarding in the sender's txsync,
 * delivery in the receiver's rxsync.  The scheme (inbound queues, who
 * writes what) is described in shared/vale_shm.h; the control half is
 * daemon/adapters/vale/.
 *
 * txsync, for a batch of the packets the application queued:
 *   1. validate each packet (buffer index, lengths, at most 64 fragments,
 *      an Ethernet header in the first one), learn its source address,
 *      pick its destination: the port named in the slot's high byte, the
 *      learned port of its destination address, or every other port;
 *   2. per destination, under that queue's lock, copy the packets into
 *      the inbound queue, publish them, and kick the receiver if it sleeps.
 * rxsync moves published packets from the port's inbound queues into rx
 * ring 0, swapping buffers, visiting the queues round robin.
 *
 * Data offsets: a frame is read at the sender's slot offset and written at
 * the receiver's rx ring offset (its initial one), which travels in the
 * queue slot's ptr (frag_copy; rxsync puts it in the rx slot).
 *
 * Between ports whose virtio-net header lengths differ, deliver() hands
 * each packet to vale_offload.c (header added or stripped, offloads done).
 *
 * NS_INDIRECT (data at slot->ptr, in the sender's own memory) is read with
 * unm_copy_in, so a bad pointer drops the frame instead of crashing; it
 * costs a system call per fragment and holds at most one buffer (2048 B).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/core.h"
#include "shared/identity.h"
#include "core/real.h"
#include "shared/proto.h"
#include "shared/vale_shm.h"
#include "adapters/vale_offload.h"

#define BATCH		256u
#define NONE		0xffffu
#define FLOOD		0xfffeu
#define DROP		0xfffdu
#define LOCK_TRIES	20000	/* then the queue counts as stuck: drop */

struct peer {
	struct unm_region_map *rm;	/* NULL when the port is not there */
	int evfd;			/* its rx ring 0's eventfd */
	struct unm_kring *rx0k;
	int evfd1;			/* the interceptor's host rx ring: eventfd, kring */
	struct unm_kring *rx1k;
	char *bufs;			/* its buffer pool */
	uint32_t nbufs, bufsize;
};

struct vstate {
	struct vale_shm *shm;	/* our mapping of the switch; NULL: on none */
	uint32_t att_gen;	/* the kring's aux[1] when shm was mapped */
	uint32_t me;
	bool host_ring;		/* one of the port's host rings (the interceptor's) */
	uint32_t gen;		/* of peer[] below */
	bool have_peers;
	uint32_t rr;		/* rx: the queue the next round starts with */
	/*
	 * rx: the senders whose queue (inq[], then retired[]) was set when the
	 * switch's gen was rxq_gen; the daemon bumps gen after every change
	 * that sets one, so only these need looking at until it moves again
	 */
	const struct vale_shm *rxq_shm;
	uint32_t rxq_gen, nrxq;
	uint8_t rxq[VALE_MAX_PORTS + VALE_MAX_RETIRED];
	_Static_assert(VALE_MAX_PORTS + VALE_MAX_RETIRED <= 256, "rxq holds them in bytes");
	uint32_t icpt_now;	/* tx: the interceptor (index + 1) during this sync */
	uint32_t hdr_now;	/* tx: our virtio-net header length during this sync */
	char *bufs;		/* our own buffer pool */
	uint8_t *scratch;	/* tx: a whole packet, for vale_offload.c (made on first use) */
	struct peer peer[VALE_MAX_PORTS];
	/* one tx batch: packets, their destinations, chained per destination */
	uint32_t pk_slot[BATCH];
	uint8_t pk_frags[BATCH];
	uint8_t pk_src[BATCH];		/* the port it counts as sent from (floods skip it) */
	uint16_t pk_dst[BATCH];
	uint16_t pk_next[BATCH];
	uint16_t head[VALE_MAX_PORTS], tail[VALE_MAX_PORTS];
	uint16_t flood_head, flood_tail;
};

static void
peers_release(struct vstate *st)
{
	for (uint32_t i = 0; i < VALE_MAX_PORTS; i++) {
		struct peer *p = &st->peer[i];

		if (p->rm)
			unm_region_detach(p->rm);
		if (p->evfd >= 0)
			syscall(SYS_close, p->evfd);
		if (p->evfd1 >= 0)
			syscall(SYS_close, p->evfd1);
		memset(p, 0, sizeof(*p));
		p->evfd = p->evfd1 = -1;
	}
	st->have_peers = false;
}

/* asks the daemon where the other ports of the switch live */
static int
peers_refresh(struct unm_kr *kr, struct vstate *st)
{
	static __thread uint8_t buf[sizeof(struct vale_peers) +
	    VALE_MAX_PORTS * sizeof(struct vale_peer_info)];
	int fds[VALE_MAX_PORTS * 4 + 1];
	struct vale_peers *vp = (struct vale_peers *)buf;
	unsigned nfds = 0;
	size_t len = 0;
	struct unm_query q = { .type = UNM_Q_VALE_PEERS };
	int r;

	_Static_assert(sizeof(q.name) >= VALE_NAME_MAX, "a switch name fits a query");
	memcpy(q.name, st->shm->name, VALE_NAME_MAX);
	q.name[VALE_NAME_MAX - 1] = '\0';
	r = unm_query(kr->b, &q, buf, sizeof(buf), &len, fds, VALE_MAX_PORTS * 4 + 1, &nfds);
	if (r < 0)
		return r;
	if (len < sizeof(*vp) || len != sizeof(*vp) + (size_t)vp->n * sizeof(vp->p[0])) {
		unm_close_fds(fds, nfds);
		return -EPROTO;
	}
	peers_release(st);
	for (uint32_t i = 0; i < vp->n; i++) {
		struct vale_peer_info *pi = &vp->p[i];
		struct peer *p;
		int err;
		struct unm_region_src src;
		bool ext;

		if (pi->port >= VALE_MAX_PORTS || pi->memfd < 0 || (unsigned)pi->memfd >= nfds ||
		    pi->evfd < 0 || (unsigned)pi->evfd >= nfds || fds[pi->memfd] < 0)
			continue;
		ext = pi->kfd >= 0;
		if (ext && ((unsigned)pi->kfd >= nfds || fds[pi->kfd] < 0))
			continue;
		p = &st->peer[pi->port];
		if (p->rm)
			continue;
		src = (struct unm_region_src){ .uuid = pi->region_uuid, .total = pi->region_total,
		    .memsize = pi->memsize, .memfd = fds[pi->memfd], .kfd = ext ? fds[pi->kfd] : -1,
		    .ext_ofs = pi->ext_ofs, .ext_len = pi->ext_len };
		p->rm = unm_region_attach(&src, &err);
		fds[pi->memfd] = -1;
		if (ext)
			fds[pi->kfd] = -1;
		if (!p->rm || pi->rx0 >= p->rm->L.ring.num) {
			if (p->rm)
				unm_region_detach(p->rm);
			p->rm = NULL;
			continue;
		}
		p->evfd = fds[pi->evfd];
		fds[pi->evfd] = -1;
		p->rx0k = unm_rm_kring(p->rm, pi->rx0);
		if (pi->rx1 < p->rm->L.ring.num && pi->evfd1 >= 0 && (unsigned)pi->evfd1 < nfds &&
		    fds[pi->evfd1] >= 0) {
			p->rx1k = unm_rm_kring(p->rm, pi->rx1);
			p->evfd1 = fds[pi->evfd1];
			fds[pi->evfd1] = -1;
		}
		p->bufs = p->rm->base + p->rm->L.buf.ofs;
		p->nbufs = p->rm->L.buf.num;
		p->bufsize = p->rm->L.buf.objsize;
	}
	unm_close_fds(fds, nfds);
	st->gen = vp->gen;
	st->have_peers = true;
	return 0;
}

/* maps the switch of descriptor @fd (or none when @fd < 0) as @st's */
static int
map_switch(struct vstate *st, int fd)
{
	struct stat sb;
	void *m;

	if (st->shm)
		munmap(st->shm, sizeof(struct vale_shm));
	st->shm = NULL;
	peers_release(st);
	if (fd < 0)
		return 0;
	if (fstat(fd, &sb) < 0 || (size_t)sb.st_size < sizeof(struct vale_shm))
		return -EPROTO;
	m = REAL(mmap)(NULL, sizeof(struct vale_shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	if (((struct vale_shm *)m)->magic != VALE_MAGIC) {
		munmap(m, sizeof(struct vale_shm));
		return -EPROTO;
	}
	st->shm = m;
	return 0;
}

/*
 * The port was attached to or detached from a switch since we looked
 * (a persistent port: valectl -a / -d): ask where it is now.
 */
static void
follow(struct unm_kr *kr, struct vstate *st)
{
	struct vale_attachment a;
	int fds[1];
	unsigned nfds = 0;
	size_t len = 0;
	struct unm_query q = { .type = UNM_Q_VALE_PORT };
	uint32_t gen = __atomic_load_n(&kr->k->aux[1], __ATOMIC_ACQUIRE);

	_Static_assert(sizeof(q.name) >= sizeof(kr->b->port), "a port name fits a query");
	snprintf(q.name, sizeof(q.name), "%s", kr->b->port);
	if (unm_query(kr->b, &q, &a, sizeof(a), &len, fds, 1, &nfds) < 0 || len != sizeof(a)) {
		unm_close_fds(fds, nfds);
		map_switch(st, -1);
	} else {
		map_switch(st, a.attached && nfds ? fds[0] : -1);
		unm_close_fds(fds, nfds);
		st->me = a.idx;
		if (st->me >= VALE_MAX_PORTS)
			map_switch(st, -1);
	}
	st->rxq_shm = NULL;	/* another switch, maybe at the same address: list again */
	st->att_gen = gen;
}

/* is @kr a host ring? (its place in the netmap_if says: after the NIC rings) */
static bool
host_ring(const struct unm_kr *kr)
{
	const struct netmap_if *nifp = kr->b->nifp;
	const char *base = (const char *)nifp;
	uint32_t first = kr->dir == NR_TX ? 0 : nifp->ni_tx_rings + nifp->ni_host_tx_rings;
	uint32_t nhw = kr->dir == NR_TX ? nifp->ni_tx_rings : nifp->ni_rx_rings;
	uint32_t nhost = kr->dir == NR_TX ? nifp->ni_host_tx_rings : nifp->ni_host_rx_rings;

	for (uint32_t i = nhw; i < nhw + nhost; i++)
		if (nifp->ring_ofs[first + i] && base + nifp->ring_ofs[first + i] ==
		    (const char *)kr->ring)
			return true;
	return false;
}

static int
vale_attach(struct unm_kr *kr)
{
	struct vstate *st = calloc(1, sizeof(*st));
	int r;

	if (!st)
		return -ENOMEM;
	for (uint32_t i = 0; i < VALE_MAX_PORTS; i++)
		st->peer[i].evfd = st->peer[i].evfd1 = -1;
	st->att_gen = __atomic_load_n(&kr->k->aux[1], __ATOMIC_ACQUIRE);
	st->me = kr->k->aux[0];
	r = map_switch(st, kr->nxfd ? kr->xfd[0] : -1);
	if (r < 0 || (st->shm && st->me >= VALE_MAX_PORTS)) {
		map_switch(st, -1);
		free(st);
		return r < 0 ? r : -EPROTO;
	}
	st->bufs = kr->b->rm->base + kr->b->rm->L.buf.ofs;
	st->host_ring = host_ring(kr);
	kr->priv = st;
	return 0;
}

static void
vale_detach(struct unm_kr *kr)
{
	struct vstate *st = kr->priv;

	if (!st)
		return;
	map_switch(st, -1);
	free(st->scratch);
	free(st);
	kr->priv = NULL;
}

/* ------------------------------------------------------------ tx */

static bool
port_active(const struct vstate *st, uint32_t d)
{
	return __atomic_load_n(&st->shm->port[d].state, __ATOMIC_ACQUIRE) == VALE_PORT_ACTIVE;
}

/* port @i's virtio-net header length (0, 10 or 12; anything else scribbled: 0) */
static uint32_t
port_hdr(const struct vstate *st, uint32_t i)
{
	uint32_t h = __atomic_load_n(&st->shm->port[i].hdr_len, __ATOMIC_ACQUIRE);

	return h == 10 || h == 12 ? h : 0;
}

/* the active port address @mac was learned on, or VALE_MAX_PORTS */
static uint32_t
lookup(const struct vstate *st, uint64_t mac)
{
	uint64_t e = __atomic_load_n(&st->shm->mac[vale_mac_hash(mac)], __ATOMIC_RELAXED);
	uint32_t d = VALE_MAC_PORT(e);

	if (!e || (e & VALE_MAC_MASK) != mac || d >= VALE_MAX_PORTS || !port_active(st, d))
		return VALE_MAX_PORTS;
	return d;
}

/* index + 1 of the switch's interceptor when it is there, else 0 */
static uint32_t
interceptor(const struct vstate *st)
{
	uint32_t i = __atomic_load_n(&st->shm->icpt_port, __ATOMIC_ACQUIRE);

	return i && i <= VALE_MAX_PORTS && port_active(st, i - 1) ? i : 0;
}

/*
 * Where packet @s goes, sent as from port @from (ourselves, or for the
 * interceptor the port it speaks for), learning its source on the way
 * when @learn.  @icpt: index + 1 of the interceptor to hand it to, or 0.
 */
static uint16_t
route(struct vstate *st, const struct netmap_slot *s, const unsigned char *frame,
    uint32_t from, bool learn, uint32_t icpt)
{
	uint64_t dst = vale_mac_load(frame), src = vale_mac_load(frame + 6);
	uint32_t hb = s->flags >> 8;

	if (learn && !(s->flags & NS_NO_LEARN) && !(src & 1)) {
		uint64_t e = src | (uint64_t)(from + 1) << 48;
		uint64_t *slot = &st->shm->mac[vale_mac_hash(src)];

		if (__atomic_load_n(slot, __ATOMIC_RELAXED) != e)
			__atomic_store_n(slot, e, __ATOMIC_RELAXED);
	}
	if (hb == VALE_DST_DROP)
		return DROP;
	/* after learning, before forwarding; spanning tree's frames stay with the switch */
	if (icpt && dst != VALE_MAC_BPDU)
		return (uint16_t)(icpt - 1);
	if (hb) {	/* an explicit destination */
		if (hb == VALE_DST_BROADCAST)
			return FLOOD;
		if (hb >= VALE_MAX_PORTS || hb == from || hb == st->me || !port_active(st, hb))
			return DROP;
		return (uint16_t)hb;
	}
	if (dst & 1)
		return FLOOD;	/* broadcast, multicast */
	{
		uint32_t d = lookup(st, dst);

		if (d >= VALE_MAX_PORTS)
			return FLOOD;	/* not learned (yet) */
		return d == from || d == st->me ? DROP : (uint16_t)d;
	}
}

/*
 * The interceptor's host tx ring re-injects: the port that sent a frame
 * is where its source address was learned.  VALE_MAX_PORTS: unknown.
 */
static uint32_t
learned_port(const struct vstate *st, const unsigned char *frame)
{
	uint32_t d = lookup(st, vale_mac_load(frame + 6));

	return d == st->me ? VALE_MAX_PORTS : d;
}

static bool
lock_queue(struct unm_kring *qk)
{
	uint32_t me = unm_id_self(), cur = 0;

	for (int i = 0; i < LOCK_TRIES; i++) {
		cur = 0;
		if (__atomic_compare_exchange_n(&qk->lock, &cur, me, false, __ATOMIC_ACQUIRE,
		    __ATOMIC_RELAXED))
			return true;
		/* a holder that died took nothing with it: what it wrote is unpublished */
		if (cur && cur != me && unm_id_dead(cur) &&
		    __atomic_compare_exchange_n(&qk->lock, &cur, me, false, __ATOMIC_ACQUIRE,
		    __ATOMIC_RELAXED))
			return true;
		__builtin_ia32_pause();
	}
	return false;
}

/*
 * Data offsets (NETMAP_REQ_OPT_OFFSETS): fragment @s of ours, read at its
 * slot's offset (or at slot->ptr for NS_INDIRECT), is written into buffer
 * @bi of @pe at @doff, the receiver's rx offset, and cut to what fits
 * there.  Returns the length written; a fragment whose offset no longer
 * fits (the ring's offsets changed since it was checked) or whose
 * NS_INDIRECT pointer cannot be read is written empty.
 */
static uint16_t
frag_copy(struct unm_kr *kr, struct vstate *st, const struct peer *pe,
    struct netmap_slot *s, uint32_t bi, uint32_t doff)
{
	char *dst = pe->bufs + (uint64_t)bi * pe->bufsize + doff;
	struct netmap_slot sl;	/* read once: the application's threads may rewrite it */
	uint32_t len, soff;

	sl.buf_idx = __atomic_load_n(&s->buf_idx, __ATOMIC_RELAXED);
	sl.len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
	sl.flags = __atomic_load_n(&s->flags, __ATOMIC_RELAXED);
	sl.ptr = __atomic_load_n(&s->ptr, __ATOMIC_RELAXED);
	len = sl.len;
	if (len > pe->bufsize - doff)
		len = pe->bufsize - doff;
	if (sl.flags & NS_INDIRECT) {
		if (len > kr->buf_size || unm_copy_in(dst, (const void *)(uintptr_t)sl.ptr, len) < 0) {
			s->len = 0;	/* a bad pointer: an empty fragment, nothing read */
			return 0;
		}
		return (uint16_t)len;
	}
	if (sl.buf_idx < 2 || sl.buf_idx >= kr->nbufs || !unm_slot_off(kr->k, &sl, kr->buf_size,
	    &soff))
		return 0;
	memcpy(dst, st->bufs + (uint64_t)sl.buf_idx * kr->buf_size + soff, len);
	return (uint16_t)len;
}

/*
 * Buffer exchange (unetmap_tx_exchange): our tx slot @s's buffer goes to
 * queue slot @qs in place of its buffer @bi, which becomes the tx slot's.
 * The slot is read once and its buffer checked again (the application's
 * threads may have rewritten it since the packet was validated); false
 * when it no longer qualifies, and the caller copies.
 */
static bool
exchange(struct unm_kr *kr, struct netmap_slot *s, struct netmap_slot *qs, uint32_t bi)
{
	uint32_t idx = __atomic_load_n(&s->buf_idx, __ATOMIC_RELAXED);
	uint16_t len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
	uint16_t flags = __atomic_load_n(&s->flags, __ATOMIC_RELAXED);

	if (idx < 2 || idx >= kr->nbufs || len > kr->buf_size || (flags & NS_INDIRECT))
		return false;
	qs->buf_idx = idx;
	qs->len = len;
	s->buf_idx = bi;
	return true;
}

/*
 * Packet @p to a receiver whose header length differs from ours
 * (vale_offload.c); the slots it used from @prod, or VALE_OFL_*.
 */
static int
copy_mismatch(struct unm_kr *kr, struct vstate *st, uint16_t p, struct netmap_ring *q,
    uint32_t prod, uint32_t space, const struct peer *pe, uint32_t shl, uint32_t dhl,
    uint32_t doff)
{
	struct vale_src src = {
		.k = kr->k, .slot = kr->ring->slot, .first = st->pk_slot[p], .frags = st->pk_frags[p],
		.ring_size = kr->n, .bufs = st->bufs, .nbufs = kr->nbufs, .buf_size = kr->buf_size,
		.hdr_len = shl,
	};
	struct vale_dst dst = {
		.slot = q->slot, .prod = prod, .qslots = VALE_INQ_SLOTS, .space = space,
		.bufs = pe->bufs, .nbufs = pe->nbufs, .buf_size = pe->bufsize, .doff = doff,
		.hdr_len = dhl,
	};

	if (!st->scratch && !(st->scratch = malloc(VALE_OFL_SCRATCH(kr->buf_size)))) {
		unm_ratelimited(5, "%s: out of memory for a virtio-net header conversion", kr->name);
		return VALE_OFL_BAD;
	}
	return vale_offload_copy(kr->name, &src, &dst, st->scratch);
}

/* delivers this batch's packets for @d (and the flooded ones) to @d's queue */
static void
deliver(struct unm_kr *kr, struct vstate *st, uint32_t d)
{
	struct vale_port_shm *ps = &st->shm->port[d], *me = &st->shm->port[st->me];
	struct peer *pe = &st->peer[d];
	struct netmap_slot *ts = kr->ring->slot;
	uint32_t qi = __atomic_load_n(&ps->inq[st->me], __ATOMIC_ACQUIRE);
	/* floods (BPDUs, and everything while nobody intercepts) skip the interceptor */
	uint16_t a = st->head[d], b = d + 1 == st->icpt_now ? NONE : st->flood_head;
	uint64_t frames = 0, full = 0, busy = 0, bad = 0;
	uint32_t shl = st->hdr_now, dhl = port_hdr(st, d);
	struct netmap_ring *q;
	struct unm_kring *qk;
	uint32_t prod, cons, space, doff;
	bool locked = false, xchg;
	uint16_t unicast_p = NONE;	/* the packet being delivered, when it goes here only */

	if (!pe->rm || qi >= pe->rm->L.ring.num) {
		busy = ~0ull;	/* not there (yet): count them all below */
		goto count;
	}
	q = unm_rm_ring(pe->rm, qi);
	qk = unm_rm_kring(pe->rm, qi);
	if (qk->num_slots != VALE_INQ_SLOTS || !(locked = lock_queue(qk))) {
		busy = ~0ull;
		goto count;
	}
	prod = qk->pipe_tail;
	cons = __atomic_load_n(&qk->nr_hwcur, __ATOMIC_ACQUIRE);
	if (prod >= VALE_INQ_SLOTS || cons >= VALE_INQ_SLOTS) {
		busy = ~0ull;	/* the queue was scribbled over */
		goto count;
	}
	space = VALE_INQ_SLOTS - 1 - unm_dist(cons, prod, VALE_INQ_SLOTS);
	/* where the receiver wants its frames: its rx ring's offset */
	doff = unm_rx_off(pe->rx1k && st->me + 1 == __atomic_load_n(&st->shm->host_port,
	    __ATOMIC_RELAXED) ? pe->rx1k : pe->rx0k, pe->bufsize);
	/*
	 * Buffers change hands instead of bytes when the sender asked for it,
	 * the receiver's buffers are ours (one region), nothing is offset and
	 * no monitor will read our completed tx slots.
	 */
	xchg = __atomic_load_n(&kr->b->tx_exchange, __ATOMIC_RELAXED) && shl == dhl &&
	    doff == 0 && pe->rm->uuid == kr->b->rm->uuid && pe->bufsize == kr->buf_size &&
	    pe->nbufs == kr->nbufs && __atomic_load_n(&kr->k->off_mask, __ATOMIC_RELAXED) == 0 &&
	    __atomic_load_n(&kr->k->nmon, __ATOMIC_RELAXED) == 0;
	/* the two chains are in batch order: merge them */
	while (a != NONE || b != NONE) {
		uint16_t p;
		uint32_t j, nf;

		if (b == NONE || (a != NONE && a < b)) {
			p = unicast_p = a;
			a = st->pk_next[a];
		} else {
			p = b;
			b = st->pk_next[b];
			if (st->pk_src[p] == d)
				continue;	/* a flood never goes back where it came from */
		}
		nf = st->pk_frags[p];
		if (shl != dhl) {	/* virtio-net headers differ: added, stripped, offloads done */
			int used = copy_mismatch(kr, st, p, q, prod, space, pe, shl, dhl, doff);

			if (used > 0) {
				prod = (prod + (uint32_t)used) % VALE_INQ_SLOTS;
				space -= (uint32_t)used;
				frames++;
			} else if (used == VALE_OFL_FULL) {
				full++;
			} else {
				bad++;
			}
			continue;
		}
		if (nf > space) {
			full++;
			continue;
		}
		j = st->pk_slot[p];
		for (uint32_t f = 0; f < nf; f++, j = unm_next(j, kr->n)) {
			struct netmap_slot *qs = &q->slot[prod];
			uint32_t bi = qs->buf_idx;

			if (bi < 2 || bi >= pe->nbufs)
				bi = 0;	/* a receiver scribbled: write where harm is none */
			if (xchg && p == unicast_p && bi && exchange(kr, &ts[j], qs, bi)) {
				qs->ptr = 0;
				qs->flags = (uint16_t)((f + 1 < nf ? NS_MOREFRAG : 0) | (nf - f) << 8);
				prod = unm_next(prod, VALE_INQ_SLOTS);
				continue;
			}
			qs->len = frag_copy(kr, st, pe, &ts[j], bi, doff);
			qs->ptr = doff;
			qs->flags = (uint16_t)((f + 1 < nf ? NS_MOREFRAG : 0) | (nf - f) << 8);
			prod = unm_next(prod, VALE_INQ_SLOTS);
		}
		space -= nf;
		frames++;
	}
	__atomic_store_n(&qk->pipe_tail, prod, __ATOMIC_RELEASE);
	__atomic_store_n(&qk->lock, 0, __ATOMIC_RELEASE);
	locked = false;
	if (frames) {
		/* the interceptor reads what the switch's interface sent on its host ring */
		if (pe->rx1k && st->me + 1 == __atomic_load_n(&st->shm->host_port, __ATOMIC_RELAXED))
			unm_notify(pe->rx1k, pe->evfd1);
		else
			unm_notify(pe->rx0k, pe->evfd);
	}
count:
	if (locked)
		__atomic_store_n(&qk->lock, 0, __ATOMIC_RELEASE);
	if (busy) {	/* count every packet that was meant for it */
		busy = 0;
		for (uint16_t p = st->head[d]; p != NONE; p = st->pk_next[p])
			busy++;
		for (uint16_t p = d + 1 == st->icpt_now ? NONE : st->flood_head; p != NONE;
		    p = st->pk_next[p])
			busy += st->pk_src[p] != d;
		__atomic_add_fetch(&me->c.drop_busy, busy, __ATOMIC_RELAXED);
	}
	if (full)
		__atomic_add_fetch(&ps->c.drop_full, full, __ATOMIC_RELAXED);
	if (bad)
		__atomic_add_fetch(&me->c.drop_bad, bad, __ATOMIC_RELAXED);
}

static void
chain(struct vstate *st, uint16_t p, uint16_t d)
{
	uint16_t *h = d == FLOOD ? &st->flood_head : &st->head[d];
	uint16_t *t = d == FLOOD ? &st->flood_tail : &st->tail[d];

	st->pk_next[p] = NONE;
	if (*h == NONE)
		*h = p;
	else
		st->pk_next[*t] = p;
	*t = p;
}

static int
bad_packet(struct unm_kr *kr, uint32_t j, const char *why)
{
	unm_ratelimited(5, "%s: slot %u dropped: %s", kr->name, j, why);
	return 0;
}

static int
vale_txsync(struct unm_kr *kr)
{
	struct vstate *st = kr->priv;
	struct unm_kring *k = kr->k;
	struct netmap_slot *ts = kr->ring->slot;
	struct vale_counters *mc;
	uint32_t n = kr->n, head = k->rhead, j = k->nr_hwcur, icpt, from, hl;
	uint64_t frames = 0, bytes = 0, bad = 0, nodst = 0;
	bool reinject = false, learn = true;

	if (__atomic_load_n(&k->aux[1], __ATOMIC_ACQUIRE) != st->att_gen)
		follow(kr, st);
	if (!st->shm) {	/* a persistent port on no switch: frames go nowhere */
		k->nr_hwcur = head;
		k->nr_hwtail = unm_prev(head, n);
		return 0;
	}
	mc = &st->shm->port[st->me].c;
	hl = st->hdr_now = port_hdr(st, st->me);	/* the Ethernet header follows it */
	if (!st->have_peers || __atomic_load_n(&st->shm->gen, __ATOMIC_ACQUIRE) != st->gen)
		peers_refresh(kr, st);
	/*
	 * Who the frames count as sent by.  The interceptor's tx ring 0 speaks
	 * for the switch's interface, its host tx ring for whoever sent each
	 * frame first; a member's frames go to the interceptor when there is one.
	 */
	icpt = st->icpt_now = interceptor(st);
	from = st->me;
	if (icpt == st->me + 1) {
		icpt = 0;
		if (!st->host_ring) {
			from = __atomic_load_n(&st->shm->host_port, __ATOMIC_RELAXED) - 1;
			if (from >= VALE_MAX_PORTS)
				from = st->me;	/* no interface (any more): goes nowhere */
		} else {
			reinject = true;
			learn = false;
		}
	}
	for (bool incomplete = false; j != head && !incomplete;) {
		uint32_t np = 0;
		bool dests[VALE_MAX_PORTS] = { false };

		for (uint32_t d = 0; d < VALE_MAX_PORTS; d++)
			st->head[d] = NONE;
		st->flood_head = NONE;
		/* 1: validate, learn, route */
		while (j != head && np < BATCH) {
			uint32_t f = 0, x = j, len0 = ts[j].len, e = j, eo = hl;
			bool ok = true, complete = false;
			uint16_t d;

			for (; x != head && f < UNM_MAX_FRAGS + 1; x = unm_next(x, n)) {
				const struct netmap_slot *s = &ts[x];
				uint32_t off;

				f++;
				/* NS_INDIRECT: the data is at slot->ptr, in the sender's memory */
				if (s->len > kr->buf_size || (!(s->flags & NS_INDIRECT) &&
				    (s->buf_idx < 2 || s->buf_idx >= kr->nbufs ||
				    !unm_slot_off(k, s, kr->buf_size, &off))))
					ok = false;
				if (!(s->flags & NS_MOREFRAG)) {
					complete = true;
					x = unm_next(x, n);
					break;
				}
			}
			if (!complete && f <= UNM_MAX_FRAGS) {
				incomplete = true;	/* the rest is not queued yet */
				break;
			}
			if (!complete || f > UNM_MAX_FRAGS) {
				/* more than a receiver takes (its rxsync stops at 64): skip them all */
				bad_packet(kr, j, "more than 64 fragments");
				bad++;
				if (complete) {
					j = x;
					continue;
				}
				while (j != head && (ts[j].flags & NS_MOREFRAG))
					j = unm_next(j, n);
				if (j != head)
					j = unm_next(j, n);
				continue;
			}
			if (hl && len0 == hl && f > 1) {	/* the header alone in the first slot */
				e = unm_next(j, n);
				eo = 0;
			}
			if (!ok || ts[e].len < eo + 14) {
				bad_packet(kr, j, ok ? "shorter than an Ethernet header" :
				    "invalid buffer index, length or offset");
				bad++;
				j = x;
				continue;
			}
			if (ts[e].flags & NS_INDIRECT) {
				unsigned char hdr[14];

				if (unm_copy_in(hdr, (const void *)(uintptr_t)(ts[e].ptr + eo),
				    sizeof(hdr)) < 0) {
					bad_packet(kr, j, "NS_INDIRECT pointer not readable");
					bad++;
					j = x;
					continue;
				}
				if (reinject)
					from = learned_port(st, hdr);
				d = from >= VALE_MAX_PORTS ? DROP : route(st, &ts[j], hdr, from,
				    learn, icpt);
			} else {
				const unsigned char *fr;
				uint32_t off0;

				/* checked again: the kring, in shared memory, may have changed */
				if (!unm_slot_off(k, &ts[e], kr->buf_size, &off0) ||
				    off0 + eo + 14 > kr->buf_size) {
					bad++;
					j = x;
					continue;
				}
				fr = (const unsigned char *)st->bufs + (uint64_t)ts[e].buf_idx *
				    kr->buf_size + off0 + eo;
				if (reinject)
					from = learned_port(st, fr);
				d = from >= VALE_MAX_PORTS ? DROP : route(st, &ts[j], fr, from, learn,
				    icpt);
			}
			if (d == DROP) {
				nodst++;
				j = x;
				continue;
			}
			st->pk_slot[np] = j;
			st->pk_frags[np] = (uint8_t)f;
			st->pk_src[np] = (uint8_t)from;
			st->pk_dst[np] = d;
			chain(st, (uint16_t)np, d);
			if (d != FLOOD)
				dests[d] = true;
			for (uint32_t y = j; y != x; y = unm_next(y, n))
				bytes += ts[y].len;
			frames++;
			np++;
			j = x;
		}
		/* 2: deliver, one destination at a time */
		for (uint32_t d = 0; np && d < VALE_MAX_PORTS; d++)
			if (d != st->me && (dests[d] || (st->flood_head != NONE && port_active(st, d) &&
			    d + 1 != st->icpt_now)))
				deliver(kr, st, d);
		if (reinject)
			from = st->me;
	}
	k->nr_hwcur = j;
	k->nr_hwtail = unm_prev(j, n);	/* forwarded slots are free at once */
	k->frames += frames;
	k->bytes += bytes;
	if (frames)
		__atomic_add_fetch(&mc->tx_frames, frames, __ATOMIC_RELAXED);
	if (bytes)
		__atomic_add_fetch(&mc->tx_bytes, bytes, __ATOMIC_RELAXED);
	if (bad)
		__atomic_add_fetch(&mc->drop_bad, bad, __ATOMIC_RELAXED);
	if (nodst)
		__atomic_add_fetch(&mc->drop_nodst, nodst, __ATOMIC_RELAXED);
	return 0;
}

/* ------------------------------------------------------------ rx */

/* the list of queues to look at (st->rxq), made again when the switch's gen moved */
static void
rx_queues(struct vstate *st, const struct vale_port_shm *ps, const struct unm_region_map *rm)
{
	uint32_t g = __atomic_load_n(&st->shm->gen, __ATOMIC_ACQUIRE);

	if (st->rxq_shm == st->shm && st->rxq_gen == g)
		return;
	st->nrxq = 0;
	for (uint32_t s = 0; s < VALE_MAX_PORTS + VALE_MAX_RETIRED; s++) {
		uint32_t qi = __atomic_load_n(s < VALE_MAX_PORTS ? &ps->inq[s] :
		    &ps->retired[s - VALE_MAX_PORTS], __ATOMIC_ACQUIRE);

		if (s != st->me && qi < rm->L.ring.num)
			st->rxq[st->nrxq++] = (uint8_t)s;
	}
	st->rxq_shm = st->shm;
	st->rxq_gen = g;
	st->rr = 0;
}

static int
vale_rxsync(struct unm_kr *kr)
{
	struct vstate *st = kr->priv;
	struct unm_kring *k = kr->k;
	struct netmap_slot *rs = kr->ring->slot;
	struct vale_port_shm *ps;
	struct unm_region_map *rm = kr->b->rm;
	uint32_t n = kr->n, head = k->rhead, j = k->nr_hwcur, t, room, hostp;
	uint64_t frames = 0, bytes = 0;
	bool icpt_me;

	/* release: a swapped-in buffer must be ours */
	for (; j != head; j = unm_next(j, n)) {
		if (!(rs[j].flags & NS_BUF_CHANGED))
			continue;
		if (rs[j].buf_idx < 2 || rs[j].buf_idx >= kr->nbufs) {
			unm_ratelimited(5, "%s: slot %u refused: invalid buffer index %u",
			    kr->name, j, rs[j].buf_idx);
			k->nr_hwcur = j;
			return -1;
		}
		rs[j].flags &= ~NS_BUF_CHANGED;
	}
	k->nr_hwcur = head;
	if (__atomic_load_n(&k->aux[1], __ATOMIC_ACQUIRE) != st->att_gen)
		follow(kr, st);
	if (!st->shm)
		return 0;
	/*
	 * Frames are delivered to rx ring 0, as netmap's are; the interceptor
	 * has them from the switch's interface on its host ring.
	 */
	hostp = __atomic_load_n(&st->shm->host_port, __ATOMIC_RELAXED) - 1;
	icpt_me = interceptor(st) == st->me + 1 && hostp < VALE_MAX_PORTS;
	if (kr->ring->ringid != 0 || (st->host_ring && !icpt_me))
		return 0;
	ps = &st->shm->port[st->me];
	t = k->nr_hwtail;
	room = n - 1 - unm_dist(head, t, n);
	rx_queues(st, ps, rm);
	/* every sender's queue, then the queues of senders that left */
	for (uint32_t v = 0; v < st->nrxq && room; v++) {
		uint32_t s = st->rxq[st->rr + v - (st->rr + v >= st->nrxq ? st->nrxq : 0)];
		uint32_t qi = __atomic_load_n(s < VALE_MAX_PORTS ? &ps->inq[s] :
		    &ps->retired[s - VALE_MAX_PORTS], __ATOMIC_ACQUIRE);
		struct netmap_ring *q;
		struct unm_kring *qk;
		uint32_t cons, prod;

		if (s == st->me || qi >= rm->L.ring.num)
			continue;
		if (icpt_me && (s == hostp) != st->host_ring)
			continue;	/* the interface's frames on the host ring, others' on 0 */
		q = unm_rm_ring(rm, qi);
		qk = unm_rm_kring(rm, qi);
		cons = qk->nr_hwcur;
		prod = __atomic_load_n(&qk->pipe_tail, __ATOMIC_ACQUIRE);
		if (qk->num_slots != VALE_INQ_SLOTS || cons >= VALE_INQ_SLOTS ||
		    prod >= VALE_INQ_SLOTS)
			continue;
		while (cons != prod && room) {
			uint32_t f = 0, x = cons;
			bool complete = false;

			while (x != prod && f < UNM_MAX_FRAGS) {
				f++;
				if (!(q->slot[x].flags & NS_MOREFRAG)) {
					complete = true;
					break;
				}
				x = unm_next(x, VALE_INQ_SLOTS);
			}
			if (!complete || f > room)
				break;
			for (uint32_t i = 0; i < f; i++) {
				struct netmap_slot *qs = &q->slot[cons];
				uint32_t spare = rs[t].buf_idx;
				/* each field read once: a sender may rewrite the slot meanwhile */
				uint32_t qbi = __atomic_load_n(&qs->buf_idx, __ATOMIC_RELAXED);
				uint32_t qlen = __atomic_load_n(&qs->len, __ATOMIC_RELAXED);
				uint16_t qfl = __atomic_load_n(&qs->flags, __ATOMIC_RELAXED);

				if (qbi >= 2 && qbi < kr->nbufs) {
					/* where the sender put the data */
					uint64_t qo = __atomic_load_n(&qs->ptr, __ATOMIC_RELAXED);

					if (qlen > kr->buf_size || qo > k->off_max ||
					    qo + qlen > kr->buf_size || (qo & k->off_mask) != qo)
						qo = qlen = 0;	/* scribbled: an empty frame */
					rs[t].buf_idx = qbi;
					rs[t].len = (uint16_t)qlen;
					rs[t].flags = qfl;
					unm_slot_set_off(&rs[t], k->off_mask, (uint32_t)qo);
					qs->buf_idx = spare;
				} else {
					rs[t].len = 0;	/* a sender scribbled: an empty frame */
					rs[t].flags = qfl & NS_MOREFRAG;
				}
				bytes += rs[t].len;
				t = unm_next(t, n);
				cons = unm_next(cons, VALE_INQ_SLOTS);
			}
			room -= f;
			frames++;
		}
		__atomic_store_n(&qk->nr_hwcur, cons, __ATOMIC_RELEASE);
	}
	st->rr = st->nrxq ? (st->rr + 1) % st->nrxq : 0;
	k->nr_hwtail = t;
	k->frames += frames;
	k->bytes += bytes;
	if (frames) {
		__atomic_add_fetch(&ps->c.rx_frames, frames, __ATOMIC_RELAXED);
		__atomic_add_fetch(&ps->c.rx_bytes, bytes, __ATOMIC_RELAXED);
	}
	return 0;
}

const struct unm_sync_ops unm_vale_sync = {
	.name = "vale",
	.txsync = vale_txsync,
	.rxsync = vale_rxsync,
	.attach = vale_attach,
	.detach = vale_detach,
};
