/*
 * host.c - the host rings of a NIC port, data half: both go through the
 * port's TAP (xfd[0]; see daemon/adapters/nic/tap.c), one read() or
 * writev() per frame.  xfd[1] is an AF_PACKET socket on the interface,
 * for frames released on the host RX ring with NS_FORWARD (to the wire).
 *
 * host RX ring (what the stack sent): the slots the kernel side owns,
 * [hwtail, hwcur-1), are filled by readv() straight into their buffers; a
 * frame larger than a buffer spans several slots (NS_MOREFRAG).
 * host TX ring (for the stack): each frame written to the TAP enters the
 * interface's ingress; its slots are free again at once.
 * Buffers never leave their slots here.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "adapters/nic/nic_io.h"
#include "core/real.h"

struct host {
	int tap, fwd;
	uint32_t need;	/* slots a frame of the MTU takes */
};

static void
host_detach(struct unm_kr *kr)
{
	free(kr->priv);
	kr->priv = NULL;
}

static int
host_attach(struct unm_kr *kr)
{
	struct host *h;
	struct ifreq ifr;

	if (kr->nxfd < 1)
		return -EPROTO;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->tap = kr->xfd[0];
	h->fwd = kr->nxfd > 1 ? kr->xfd[1] : -1;
	h->need = (65536 + kr->buf_size - 1) / kr->buf_size;
	/* the TAP's MTU (a socket of the interface's namespace answers for it) */
	memset(&ifr, 0, sizeof(ifr));
	if (REAL(ioctl)(h->tap, TUNGETIFF, &ifr) == 0 && h->fwd >= 0 &&
	    REAL(ioctl)(h->fwd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		h->need = ((uint32_t)ifr.ifr_mtu + 18 + kr->buf_size - 1) / kr->buf_size;
	if (h->need > kr->n / 2)
		h->need = kr->n / 2;
	kr->priv = h;
	return 0;
}

static int
host_rxsync(struct unm_kr *kr)
{
	struct host *h = kr->priv;
	struct unm_kring *k = kr->k;
	struct netmap_slot *slot = kr->ring->slot;
	uint32_t n = kr->n, head = k->rhead, hwtail = k->nr_hwtail, last;
	struct iovec iov[UNM_MAX_FRAGS];
	uint64_t frames = 0, bytes = 0;
	/* frames land at the ring's offset (nic_io.h): a frame may need more slots */
	uint32_t roff = unm_rx_off(k, kr->buf_size), per = kr->buf_size - roff;
	uint32_t need = (uint32_t)(((uint64_t)h->need * kr->buf_size + per - 1) / per);

	if (need > n / 2)
		need = n / 2;
	if (k->nr_hwcur != head) {
		unm_nic_forward(kr, k->nr_hwcur, head, h->fwd);
		for (uint32_t s = k->nr_hwcur; s != head; s = unm_next(s, n))
			slot[s].flags = 0;
		k->nr_hwcur = head;
	}
	last = unm_prev(head, n);
	for (;;) {
		uint32_t space = unm_dist(hwtail, last, n), cnt, s;
		ssize_t got;

		if (space < need || space == 0)
			break;
		cnt = space < UNM_MAX_FRAGS ? space : UNM_MAX_FRAGS;
		for (uint32_t i = 0, j = hwtail; i < cnt; i++, j = unm_next(j, n)) {
			uint32_t idx = slot[j].buf_idx;

			if (idx < 2 || idx >= kr->nbufs) {
				cnt = i;	/* a slot the application broke: stop before it */
				break;
			}
			iov[i].iov_base = unm_nic_buf(kr, idx) + roff;
			iov[i].iov_len = per;
		}
		if (cnt == 0)
			break;
		got = readv(h->tap, iov, (int)cnt);
		if (got <= 0)
			break;	/* EAGAIN: nothing more from the stack */
		frames++;
		bytes += (uint64_t)got;
		for (s = hwtail; got > 0; s = unm_next(s, n)) {
			uint32_t len = got > per ? per : (uint32_t)got;

			got -= len;
			slot[s].len = (uint16_t)len;
			slot[s].flags = got > 0 ? NS_MOREFRAG : 0;
			unm_slot_set_off(&slot[s], k->off_mask, roff);
		}
		hwtail = s;
	}
	k->nr_hwtail = hwtail;
	k->frames += frames;
	k->bytes += bytes;
	return 0;
}

static int
host_txsync(struct unm_kr *kr)
{
	struct host *h = kr->priv;
	struct unm_kring *k = kr->k;
	uint32_t n = kr->n, head = k->rhead, j = k->nr_hwcur;
	struct iovec iov[UNM_MAX_FRAGS];
	uint64_t frames = 0, bytes = 0;
	int err = 0;

	while (j != head) {
		unsigned cnt = 0;
		bool bad;
		uint32_t next = unm_nic_gather(kr, j, head, iov, &cnt, &bad);
		ssize_t w;

		if (bad) {
			unm_ratelimited(5, "%s: slot %u refused (buffer %u, len %u)", kr->name, j,
			    kr->ring->slot[j].buf_idx, kr->ring->slot[j].len);
			err = -1;
			break;
		}
		if (next == j)
			break;	/* the rest of the frame is not there yet */
		w = writev(h->tap, iov, (int)cnt);
		if (w < 0 && errno == EAGAIN)
			break;
		for (uint32_t s = j; s != next; s = unm_next(s, n)) {
			bytes += kr->ring->slot[s].len;
			kr->ring->slot[s].flags &= (uint16_t)~NS_BUF_CHANGED;
		}
		frames += w >= 0;
		j = next;
	}
	k->nr_hwcur = j;
	k->nr_hwtail = unm_prev(j, n);
	k->frames += frames;
	k->bytes += bytes;
	return err;
}

static int
host_wait_fd(struct unm_kr *kr, short *events)
{
	struct host *h = kr->priv;

	if (kr->dir != NR_RX)
		return -1;	/* a tap write never leaves slots in flight */
	*events = POLLIN;
	return h->tap;
}

const struct unm_sync_ops unm_host_sync = {
	.name = "host",
	.txsync = host_txsync,
	.rxsync = host_rxsync,
	.attach = host_attach,
	.detach = host_detach,
	.wait_fd = host_wait_fd,
};
