/*
 * xsk.c - a NIC queue through AF_XDP, data half (the control half is
 * daemon/adapters/nic/, which made the socket and passed it: xfd[0]; the
 * host rings' TAP is xfd[1], for NS_FORWARD).
 *
 * The UMEM is memory region 1's buffer pool, so a slot's buffer and an XDP
 * descriptor are the same memory: no copy here, ever (the kernel copies
 * in copy mode, the NIC DMAs in zero-copy mode).
 *
 * rx ring: the slots the kernel side owns, [hwtail, hwcur-1), hold exactly
 * the buffers posted to the fill ring.  Released slots go to the fill
 * ring; a received descriptor names a buffer, which lands in the slot at
 * hwtail (swapped with the slot that held it, if the kernel returned
 * buffers out of order).  So the ring always holds its buffers, and the
 * daemon frees them from the slots when the port goes.
 * tx ring: [hwcur, head) become tx descriptors; each completion gives one
 * slot back (the buffer never left it).  Kicks (sendto) only when the
 * kernel asks for one (need_wakeup).
 */
#include <errno.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "adapters/nic/nic_io.h"
#include "core/real.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

struct xring {
	uint32_t *prod, *cons, *flags;
	void *desc;
	uint32_t mask;
	char *map;
	size_t len;
};

struct xsk {
	struct xring a, b;	/* rx: rx ring, fill ring; tx: tx ring, completion ring */
	int fd, tap;
	uint64_t base_ofs;	/* unused; addresses are relative to the buffer pool */
};

static int
xring_map(int fd, const struct xdp_ring_offset *o, uint64_t pgoff, size_t dsz, uint32_t n,
    struct xring *r)
{
	r->len = o->desc + n * dsz;
	r->map = REAL(mmap)(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
	    (off_t)pgoff);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return -errno;
	}
	r->prod = (uint32_t *)(r->map + o->producer);
	r->cons = (uint32_t *)(r->map + o->consumer);
	r->flags = (uint32_t *)(r->map + o->flags);
	r->desc = r->map + o->desc;
	r->mask = n - 1;
	return 0;
}

static void
xsk_detach(struct unm_kr *kr)
{
	struct xsk *x = kr->priv;

	if (!x)
		return;
	if (x->a.map)
		munmap(x->a.map, x->a.len);
	if (x->b.map)
		munmap(x->b.map, x->b.len);
	free(x);
	kr->priv = NULL;
}

static int
xsk_attach(struct unm_kr *kr)
{
	struct xdp_mmap_offsets off;
	socklen_t ol = sizeof(off);
	uint32_t n = unm_xsk_ring_size(kr->n);
	struct xsk *x;
	int r;

	if (kr->nxfd < 1)
		return -EPROTO;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	kr->priv = x;
	x->fd = kr->xfd[0];
	x->tap = kr->nxfd > 1 ? kr->xfd[1] : -1;
	if (getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) < 0) {
		r = -errno;
		goto fail;
	}
	if (kr->dir == NR_RX)
		r = xring_map(x->fd, &off.rx, XDP_PGOFF_RX_RING, sizeof(struct xdp_desc), n, &x->a) ?:
		    xring_map(x->fd, &off.fr, XDP_UMEM_PGOFF_FILL_RING, sizeof(uint64_t), n, &x->b);
	else
		r = xring_map(x->fd, &off.tx, XDP_PGOFF_TX_RING, sizeof(struct xdp_desc), n, &x->a) ?:
		    xring_map(x->fd, &off.cr, XDP_UMEM_PGOFF_COMPLETION_RING, sizeof(uint64_t), n,
		    &x->b);
	if (r == 0)
		return 0;
fail:
	unm_err("%s: cannot map the AF_XDP rings: %s", kr->name, strerror(-r));
	xsk_detach(kr);
	return r;
}

/* ------------------------------------------------------------------ rx */

/* the buffer of a received descriptor, or 0 */
static uint32_t
rx_buf(struct unm_kr *kr, uint64_t addr)
{
	uint64_t a = (addr & ((1ull << XSK_UNALIGNED_BUF_OFFSET_SHIFT) - 1)) +
	    (addr >> XSK_UNALIGNED_BUF_OFFSET_SHIFT);
	uint64_t idx = a / kr->buf_size;

	return a % kr->buf_size == 0 && idx >= 2 && idx < kr->nbufs ? (uint32_t)idx : 0;
}

/*
 * The kernel writes a frame at the start of its buffer (the fill ring's
 * chunks are shared by every queue of the region, so they cannot move per
 * ring); an rx ring with an initial offset gets the frame moved there,
 * cut to what fits, as netmap cuts a frame at an offset.
 */
static void
at_offset(struct unm_kr *kr, struct netmap_slot *s, uint32_t roff)
{
	char *b = unm_nic_buf(kr, s->buf_idx);
	uint32_t len = s->len < kr->buf_size - roff ? s->len : kr->buf_size - roff;

	memmove(b + roff, b, len);
	s->len = (uint16_t)len;
	unm_slot_set_off(s, kr->k->off_mask, roff);
}

static int
xsk_rxsync(struct unm_kr *kr)
{
	struct xsk *x = kr->priv;
	struct unm_kring *k = kr->k;
	struct netmap_slot *slot = kr->ring->slot;
	uint32_t n = kr->n, head = k->rhead, hwcur = k->nr_hwcur, hwtail = k->nr_hwtail;
	uint32_t prod, cons, avail, space, last, roff = unm_rx_off(k, kr->buf_size);
	uint64_t bytes = 0, frames = 0;
	int err = 0;

	/* released slots: frames to forward to the stack, buffers to the fill ring */
	if (hwcur != head) {
		uint64_t *fq = x->b.desc;

		unm_nic_forward(kr, hwcur, head, x->tap);
		prod = *x->b.prod;
		for (uint32_t s = unm_prev(hwcur, n); s != unm_prev(head, n); s = unm_next(s, n)) {
			uint32_t idx = slot[s].buf_idx;

			slot[s].flags = 0;
			if (idx < 2 || idx >= kr->nbufs) {
				unm_ratelimited(5, "%s: slot %u released with buffer %u, not one of "
				    "2..%u: not given back to the NIC", kr->name, s, idx, kr->nbufs - 1);
				err = -1;
				continue;
			}
			fq[prod++ & x->b.mask] = (uint64_t)idx * kr->buf_size - UNM_XSK_HEADROOM;
		}
		__atomic_store_n(x->b.prod, prod, __ATOMIC_RELEASE);
		k->nr_hwcur = hwcur = head;
		if (__atomic_load_n(x->b.flags, __ATOMIC_RELAXED) & XDP_RING_NEED_WAKEUP)
			recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}

	/* arrivals, into the slots the kernel side holds */
	last = unm_prev(hwcur, n);
	space = unm_dist(hwtail, last, n);
	cons = *x->a.cons;
	avail = __atomic_load_n(x->a.prod, __ATOMIC_ACQUIRE) - cons;
	if (avail > space)
		avail = space;
	for (uint32_t i = 0; i < avail; i++) {
		const struct xdp_desc *d = (const struct xdp_desc *)x->a.desc + (cons++ & x->a.mask);
		uint32_t idx = rx_buf(kr, d->addr);

		if (!idx) {
			/* cannot be one of ours: the kernel would not; leave the slot as is */
			unm_ratelimited(5, "%s: the kernel returned address 0x%llx, not a buffer",
			    kr->name, (unsigned long long)d->addr);
			continue;
		}
		if (slot[hwtail].buf_idx != idx) {
			/* out of order: find where we posted it and swap */
			for (uint32_t s = unm_next(hwtail, n); s != last; s = unm_next(s, n))
				if (slot[s].buf_idx == idx) {
					slot[s].buf_idx = slot[hwtail].buf_idx;
					break;
				}
			slot[hwtail].buf_idx = idx;
		}
		slot[hwtail].len = (uint16_t)(d->len > kr->buf_size ? kr->buf_size : d->len);
		if (roff)
			at_offset(kr, &slot[hwtail], roff);
		slot[hwtail].flags = (d->options & XDP_PKT_CONTD) ? NS_MOREFRAG : 0;
		bytes += d->len;
		frames += !(d->options & XDP_PKT_CONTD);
		hwtail = unm_next(hwtail, n);
	}
	__atomic_store_n(x->a.cons, cons, __ATOMIC_RELEASE);
	k->nr_hwtail = hwtail;
	k->frames += frames;
	k->bytes += bytes;
	return err;
}

/* ------------------------------------------------------------------ tx */

static void
reclaim(struct unm_kr *kr, struct xsk *x)
{
	uint32_t cons = *x->b.cons, done = __atomic_load_n(x->b.prod, __ATOMIC_ACQUIRE) - cons;
	uint32_t inflight = unm_dist(unm_next(kr->k->nr_hwtail, kr->n), kr->k->nr_hwcur, kr->n);

	if (done > inflight)
		done = inflight;	/* cannot be: never trust a count blindly */
	if (!done)
		return;
	__atomic_store_n(x->b.cons, cons + done, __ATOMIC_RELEASE);
	kr->k->nr_hwtail = (kr->k->nr_hwtail + done) % kr->n;
}

static int
xsk_txsync(struct unm_kr *kr)
{
	struct xsk *x = kr->priv;
	struct unm_kring *k = kr->k;
	struct netmap_slot *slot = kr->ring->slot;
	uint32_t n = kr->n, head = k->rhead, j = k->nr_hwcur, pkt = j, frags = 0;
	uint32_t prod = *x->a.prod;
	uint64_t bytes = 0, frames = 0;
	int err = 0;

	reclaim(kr, x);
	for (; j != head; j = unm_next(j, n)) {
		struct netmap_slot *s = &slot[j];
		struct xdp_desc *d;
		uint32_t off;

		if (__builtin_expect(!unm_nic_slot_ok(kr, s, &off) || s->len == 0 ||
		    ++frags > UNM_XSK_MAX_FRAGS, 0)) {
			unm_ratelimited(5, "%s: slot %u refused (buffer %u, len %u, offset %llu, %u "
			    "fragments; buffers are 2..%u of %u bytes, frames at most %u slots)",
			    kr->name, j, s->buf_idx, s->len,
			    (unsigned long long)(s->ptr & k->off_mask), frags, kr->nbufs - 1,
			    kr->buf_size, UNM_XSK_MAX_FRAGS);
			err = -1;
			break;
		}
		d = (struct xdp_desc *)x->a.desc + (prod++ & x->a.mask);
		d->addr = (uint64_t)s->buf_idx * kr->buf_size + off;
		d->len = s->len;
		d->options = (s->flags & NS_MOREFRAG) ? XDP_PKT_CONTD : 0;
		s->flags &= (uint16_t)~NS_BUF_CHANGED;
		bytes += s->len;
		if (!(s->flags & NS_MOREFRAG)) {
			frames++;
			frags = 0;
			pkt = unm_next(j, n);
		}
	}
	if (err) {
		/* nothing of the refused packet goes out: restart at its first slot */
		prod -= unm_dist(pkt, j, n);
		j = pkt;
	}
	if (j != k->nr_hwcur) {
		__atomic_store_n(x->a.prod, prod, __ATOMIC_RELEASE);
		k->nr_hwcur = j;
		k->frames += frames;
		k->bytes += bytes;
	}
	if (*x->a.prod != *x->a.cons &&
	    (__atomic_load_n(x->a.flags, __ATOMIC_RELAXED) & XDP_RING_NEED_WAKEUP))
		sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	reclaim(kr, x);
	return err;
}

/* ------------------------------------------------------------------ wait */

static int
xsk_wait_fd(struct unm_kr *kr, short *events)
{
	struct xsk *x = kr->priv;

	if (kr->dir == NR_RX) {
		*events = POLLIN;
		return x->fd;
	}
	/* completions raise no event: with frames in flight, look again soon */
	if (kr->k->nr_hwcur != unm_next(kr->k->nr_hwtail, kr->n)) {
		*events = POLLOUT;
		return x->fd;
	}
	return -1;
}

const struct unm_sync_ops unm_xsk_sync = {
	.name = "xsk",
	.txsync = xsk_txsync,
	.rxsync = xsk_rxsync,
	.attach = xsk_attach,
	.detach = xsk_detach,
	.wait_fd = xsk_wait_fd,
};
