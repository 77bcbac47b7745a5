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

#ifdef __SSE2__
#include <emmintrin.h>

/*
 * Four slots at once, for the common case of whole packets in slots that
 * keep their buffers: one cache line of a ring in a few instructions.
 * The sum of the four lengths, or -1 when a slot continues a packet
 * (NS_MOREFRAG) or reports a new buffer (NS_BUF_CHANGED): the caller then
 * takes them one by one.
 */
static inline int64_t
whole_four(__m128i a0, __m128i a1, __m128i a2, __m128i a3)
{
	__m128i any = _mm_or_si128(_mm_or_si128(a0, a1), _mm_or_si128(a2, a3));
	__m128i len = _mm_set_epi64x(0, 0xffff00000000ll);	/* w0's len, in place */
	__m128i sum = _mm_add_epi64(_mm_add_epi64(_mm_and_si128(a0, len), _mm_and_si128(a1, len)),
	    _mm_add_epi64(_mm_and_si128(a2, len), _mm_and_si128(a3, len)));

	if (W_FLAGS((uint64_t)_mm_cvtsi128_si64(any)) & (NS_MOREFRAG | NS_BUF_CHANGED))
		return -1;
	return (int64_t)((uint64_t)_mm_cvtsi128_si64(sum) >> 32);
}

static inline int64_t
released_four(const struct netmap_slot *rs)
{
	const __m128i *r = (const __m128i *)rs;

	return whole_four(_mm_loadu_si128(r), _mm_loadu_si128(r + 1), _mm_loadu_si128(r + 2),
	    _mm_loadu_si128(r + 3));
}

/*
 * The common lap of a sender that keeps its buffers (pkt-gen, a program
 * that writes its frames in place): four whole packets, each slot the same
 * as the peer's slot it would go to.  Nothing is written then, and nothing
 * needs checking, because the peer is handed nothing new: its slots hold
 * what an earlier txsync checked and wrote there (or what the receiver
 * wrote itself).
 */
static inline int64_t
same_four(const struct netmap_slot *ts, const struct netmap_slot *rs)
{
	const __m128i *t = (const __m128i *)ts, *r = (const __m128i *)rs;
	__m128i a0 = _mm_loadu_si128(t), a1 = _mm_loadu_si128(t + 1);
	__m128i a2 = _mm_loadu_si128(t + 2), a3 = _mm_loadu_si128(t + 3);
	__m128i eq = _mm_and_si128(
	    _mm_and_si128(_mm_cmpeq_epi32(a0, _mm_loadu_si128(r)),
		_mm_cmpeq_epi32(a1, _mm_loadu_si128(r + 1))),
	    _mm_and_si128(_mm_cmpeq_epi32(a2, _mm_loadu_si128(r + 2)),
		_mm_cmpeq_epi32(a3, _mm_loadu_si128(r + 3))));

	return _mm_movemask_epi8(eq) == 0xffff ? whole_four(a0, a1, a2, a3) : -1;
}

/*
 * From slot @j on, four slots at a time while they are whole packets
 * (@ts: each the same as the peer's slot in @rs, txsync's lap; NULL: the
 * receiver's released slots in @rs, rxsync's), short of the ring's end
 * and of @head; counted into @bytes and @frames.  After four that are
 * not, *@skip tells the caller to look again only four slots on (a sender
 * whose every slot changes does not pay the look per slot).  Returns
 * where it stopped.
 */
static inline __attribute__((always_inline)) uint32_t
fours(uint32_t j, uint32_t head, uint32_t n, const struct netmap_slot *ts,
    const struct netmap_slot *rs, unsigned *skip, uint64_t *bytes, uint64_t *frames)
{
	while (*skip == 0 && j + 4 <= n && unm_dist(j, head, n) >= 4) {
		int64_t len = ts ? same_four(&ts[j], &rs[j]) : released_four(&rs[j]);

		if (len < 0) {
			*skip = 4;
			break;
		}
		*bytes += (uint64_t)len;
		*frames += 4;
		j = j + 4 == n ? 0 : j + 4;
	}
	return j;
}
#endif

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
	unsigned skip = 0;	/* slots before the next four-slot look */
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

#ifdef __SSE2__
		/* laps of whole packets equal to the peer's slots, not inside a packet */
		if (frags == 0) {
			uint32_t to = fours(j, head, n, ts, rs, &skip, &bytes, &frames);

			if (to != j)
				newpub = j = to;
		}
		if (j == head)
			break;
		skip -= skip > 0;
#endif
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
	unsigned skip = 0;	/* slots before the next four-slot look */
	int err = 0;

	if (j != head) {
		for (; j != head; j = unm_next(j, n)) {
			struct netmap_slot s;

#ifdef __SSE2__
			/* whole packets in their own buffers, four at a time */
			j = fours(j, head, n, NULL, rs, &skip, &bytes, &frames);
			if (j == head)
				break;
			skip -= skip > 0;
#endif
			s = rs[j];

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
