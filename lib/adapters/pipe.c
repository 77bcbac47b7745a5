/*
 * pipe.c - netmap pipes, data half (the control half is daemon/adapters/pipe.c).
 *
 * tx ring i of one end and rx ring i of the other share one set of
 * buffers, slot by slot.  txsync copies each sent slot descriptor (16
 * bytes) into the peer's rx ring (only where it differs from what is
 * there) and publishes complete packets by moving
 * the rx kring's pipe_tail; rxsync hands released slots back by moving the
 * tx kring's pipe_tail, copying a slot back only when the application
 * swapped its buffer (NS_BUF_CHANGED).  No packet data is ever copied and
 * no buffer leaves the pair, which is what makes a pipe zero-copy.  The
 * rx ring's copy monitors (/r) get the frames as txsync publishes them,
 * as netmap's notify hook gives them, whether or not the receiver syncs.
 *
 * Data offsets (NETMAP_REQ_OPT_OFFSETS) travel in the slot's ptr, as the
 * rest of the slot does; the sender's offset and length must fit its
 * buffer (checked with the sender's offsets), the receiver reads the
 * offset with its own ring's mask.
 *
 * Each side runs in its own process and trusts nothing the other wrote:
 * buffer indices and lengths are checked before they are passed on, and
 * published indices are range-checked before use.
 */
#include <stddef.h>
#include <string.h>

#include "core/core.h"

static int
bad_slot(struct unm_kr *kr, uint32_t j, const struct netmap_slot *s, const char *what)
{
	unm_ratelimited(5, "%s: slot %u refused: %s (buf_idx %u, len %u, flags 0x%x, "
	    "offset %llu; buffers are 2..%u of %u bytes)", kr->name, j, what, s->buf_idx,
	    s->len, s->flags, (unsigned long long)(s->ptr & kr->k->off_mask), kr->nbufs - 1,
	    kr->buf_size);
	return -1;
}

/*
 * A slot as the two words it is made of, read once into registers (a
 * struct copy goes through the stack, and reading its halves back stalls
 * on the store): buf_idx, len and flags in w0, ptr in w1.
 */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "slot words are little-endian");
_Static_assert(sizeof(struct netmap_slot) == 16 && offsetof(struct netmap_slot, len) == 4 &&
    offsetof(struct netmap_slot, flags) == 6 && offsetof(struct netmap_slot, ptr) == 8,
    "netmap_slot's layout");
#define W_BUF(w0)	((uint32_t)(w0))
#define W_LEN(w0)	((uint16_t)((w0) >> 32))
#define W_FLAGS(w0)	((uint16_t)((w0) >> 48))

static int
bad_words(struct unm_kr *kr, uint32_t j, uint64_t w0, uint64_t w1, const char *what)
{
	struct netmap_slot s = { .buf_idx = W_BUF(w0), .len = W_LEN(w0), .flags = W_FLAGS(w0),
		.ptr = w1 };

	return bad_slot(kr, j, &s, what);
}

static int
pipe_txsync(struct unm_kr *kr)
{
	struct unm_kring *k = kr->k, *rk = kr->lk;
	struct netmap_slot *ts = kr->ring->slot, *rs = kr->lring->slot;
	uint32_t n = kr->n, head = k->rhead, j = k->nr_hwcur;
	uint32_t done = __atomic_load_n(&k->pipe_tail, __ATOMIC_ACQUIRE);
	uint32_t pub = rk->pipe_tail;	/* written only by us: end of the last packet */
	uint32_t frags, newpub, nbufs = kr->nbufs, buf_size = kr->buf_size;
	uint64_t bytes = 0, frames = 0;
	/* the ring's offset limits, once: the kring is shared memory */
	uint64_t off_mask = __atomic_load_n(&k->off_mask, __ATOMIC_RELAXED);
	uint32_t off_max = __atomic_load_n(&k->off_max, __ATOMIC_RELAXED);
	int err = 0;

	/* what the peer released is our new tail */
	if (done < n)
		k->nr_hwtail = done;
	if (j == head)
		return 0;
	if (pub >= n)
		pub = j;
	frags = unm_dist(pub, j, n);	/* fragments of a packet begun earlier */
	newpub = pub;
	for (; j != head; j = unm_next(j, n)) {
		uint64_t w[2], r[2], o;	/* read once: what is checked is what goes */
		uint16_t flags;

		memcpy(w, &ts[j], sizeof(w));
		flags = W_FLAGS(w[0]);
		if (__builtin_expect(W_BUF(w[0]) < 2 || W_BUF(w[0]) >= nbufs, 0)) {
			err = bad_words(kr, j, w[0], w[1], "invalid buffer index");
			break;
		}
		o = w[1] & off_mask;
		if (__builtin_expect(o > off_max || o + W_LEN(w[0]) > buf_size, 0)) {
			err = bad_words(kr, j, w[0], w[1], o ? "offset above the largest, or offset "
			    "+ length past the buffer's end" : "length larger than the buffer");
			break;
		}
		if (__builtin_expect(++frags > UNM_MAX_FRAGS, 0)) {
			err = bad_words(kr, j, w[0], w[1],
			    "packet of more than 64 fragments (NS_MOREFRAG)");
			break;
		}
		/*
		 * Written only where it differs from what the peer's slot holds:
		 * a sender that keeps its buffers (pkt-gen) sends the same slot
		 * lap after lap, and not writing leaves the peer's cache line
		 * shared instead of taking it over and handing it back, which is
		 * most of what a frame costs between two cores.
		 */
		memcpy(r, &rs[j], sizeof(r));
		if (r[0] != w[0] || r[1] != w[1])
			memcpy(&rs[j], w, sizeof(w));
		if (__builtin_expect(flags & NS_BUF_CHANGED, 0))
			ts[j].flags = flags & ~NS_BUF_CHANGED;
		bytes += W_LEN(w[0]);
		if (!(flags & NS_MOREFRAG)) {
			frames++;
			frags = 0;
			newpub = unm_next(j, n);
		}
	}
	/* on a refused slot, restart at the first slot of its packet */
	k->nr_hwcur = err ? newpub : j;
	k->frames += frames;
	k->bytes += bytes;
	if (newpub != pub) {
		__atomic_store_n(&rk->pipe_tail, newpub, __ATOMIC_RELEASE);
		/* the peer's /r monitors see them now, as with netmap's parent_notify */
		if (__atomic_load_n(&rk->nmon, __ATOMIC_RELAXED))
			unm_mon_peer_arrived(kr, pub, newpub);
		unm_notify(rk, kr->link_evfd);
	}
	return err;
}

static int
pipe_rxsync(struct unm_kr *kr)
{
	struct unm_kring *k = kr->k, *tk = kr->lk;
	struct netmap_slot *rs = kr->ring->slot, *ts = kr->lring->slot;
	uint32_t n = kr->n, head = k->rhead, j = k->nr_hwcur;
	uint32_t avail;
	uint64_t bytes = 0, frames = 0;
	int err = 0;

	if (j != head) {
		for (; j != head; j = unm_next(j, n)) {
			struct netmap_slot s = rs[j];

			if (s.flags & NS_BUF_CHANGED) {
				if (s.buf_idx < 2 || s.buf_idx >= kr->nbufs) {
					err = bad_slot(kr, j, &s, "invalid buffer index");
					break;
				}
				/* the sender gets the buffer back, flagged as netmap does */
				ts[j] = s;
				s.flags &= ~NS_BUF_CHANGED;
				rs[j].flags = s.flags;
			}
			bytes += s.len;
			frames += !(s.flags & NS_MOREFRAG);
		}
		if (j != k->nr_hwcur) {
			k->nr_hwcur = j;
			k->frames += frames;
			k->bytes += bytes;
			__atomic_store_n(&tk->pipe_tail, unm_prev(j, n), __ATOMIC_RELEASE);
			unm_notify(tk, kr->link_evfd);
		}
	}
	avail = __atomic_load_n(&k->pipe_tail, __ATOMIC_ACQUIRE);
	if (avail < n)
		k->nr_hwtail = avail;
	return err;
}

const struct unm_sync_ops unm_pipe_sync = {
	.name = "pipe",
	.txsync = pipe_txsync,
	.rxsync = pipe_rxsync,
	.rx_fed_by_peer = true,
};
