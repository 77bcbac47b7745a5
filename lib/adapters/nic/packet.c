/*
 * packet.c - a NIC queue through AF_PACKET, emulated mode, data half (the
 * daemon made the socket, xfd[0]; the TAP of the host rings is xfd[1]).
 *
 * rx: frames are copied out of the socket's TPACKET_V3 ring (mapped here)
 * into the buffers of the slots the kernel side owns, as netmap's emulated
 * adapter copies skbs.  A VLAN tag the kernel took out of the frame (it
 * does, before AF_PACKET sees it) is put back from the frame's metadata.
 * Where we are in the ring (block, frame) is this process's own state.
 * tx: one sendmmsg() per batch, straight from the slots' buffers; the
 * kernel copies, so the slots are free again at once.
 */
#include <errno.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "adapters/nic/nic_io.h"
#include "core/real.h"

#define TX_BATCH 64

struct pkt {
	int fd, tap;
	char *map;
	size_t len;
	uint32_t block;		/* the block we read */
	uint32_t left;		/* frames of it not read yet (0: not started) */
	struct tpacket3_hdr *next;
};

static void
pkt_detach(struct unm_kr *kr)
{
	struct pkt *p = kr->priv;

	if (!p)
		return;
	if (p->map)
		munmap(p->map, p->len);
	free(p);
	kr->priv = NULL;
}

static int
pkt_attach(struct unm_kr *kr)
{
	struct pkt *p;

	if (kr->nxfd < 1)
		return -EPROTO;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	kr->priv = p;
	p->fd = kr->xfd[0];
	p->tap = kr->nxfd > 1 ? kr->xfd[1] : -1;
	if (kr->dir == NR_RX) {
		p->len = (size_t)UNM_PKT_BLOCK_SIZE * UNM_PKT_BLOCK_NR;
		p->map = REAL(mmap)(NULL, p->len, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
		if (p->map == MAP_FAILED) {
			int err = -errno;

			p->map = NULL;
			unm_err("%s: cannot map the AF_PACKET ring: %s", kr->name, strerror(-err));
			pkt_detach(kr);
			return err;
		}
	}
	return 0;
}

/*
 * copies frame @f (@len bytes, @tag put back after the MACs) into slots
 * from @s, each at the ring's offset @roff
 */
static uint32_t
copy_in(struct unm_kr *kr, uint32_t s, const uint8_t *f, uint32_t len, const uint8_t *tag,
    uint32_t roff)
{
	uint32_t per = kr->buf_size - roff;	/* data a slot holds */
	struct netmap_slot *slot = kr->ring->slot;
	const uint8_t *src[3] = { f, tag, f + 12 };
	uint32_t plen[3] = { 12, 4, len - 12 }, piece = 0, off = 0;
	uint32_t left = len + (tag ? 4 : 0);

	if (!tag) {
		src[0] = f;
		plen[0] = len;
		plen[1] = plen[2] = 0;
	}
	while (left) {
		uint8_t *b = (uint8_t *)unm_nic_buf(kr, slot[s].buf_idx) + roff;
		uint32_t room = left > per ? per : left, used = 0;

		while (used < room) {
			uint32_t c = plen[piece] - off;

			if (c > room - used)
				c = room - used;
			memcpy(b + used, src[piece] + off, c);
			used += c;
			off += c;
			if (off == plen[piece]) {
				piece++;
				off = 0;
			}
		}
		left -= room;
		slot[s].len = (uint16_t)room;
		slot[s].flags = left ? NS_MOREFRAG : 0;
		unm_slot_set_off(&slot[s], kr->k->off_mask, roff);
		s = unm_next(s, kr->n);
	}
	return s;
}

static int
pkt_rxsync(struct unm_kr *kr)
{
	struct pkt *p = kr->priv;
	struct unm_kring *k = kr->k;
	uint32_t n = kr->n, head = k->rhead, hwtail = k->nr_hwtail, last;
	uint32_t roff = unm_rx_off(k, kr->buf_size), per = kr->buf_size - roff;
	uint64_t frames = 0, bytes = 0;

	if (k->nr_hwcur != head) {
		unm_nic_forward(kr, k->nr_hwcur, head, p->tap);
		for (uint32_t s = k->nr_hwcur; s != head; s = unm_next(s, n))
			kr->ring->slot[s].flags = 0;
		k->nr_hwcur = head;
	}
	last = unm_prev(head, n);
	for (;;) {
		struct tpacket_block_desc *bd = (struct tpacket_block_desc *)(p->map +
		    (size_t)p->block * UNM_PKT_BLOCK_SIZE);
		struct tpacket3_hdr *h;
		uint8_t tag[4], *tp = NULL;
		uint32_t len, need;

		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		if (p->left == 0 && !p->next) {
			p->left = bd->hdr.bh1.num_pkts;
			p->next = (struct tpacket3_hdr *)((char *)bd + bd->hdr.bh1.offset_to_first_pkt);
		}
		if (p->left == 0) {
			/* the whole block is ours no more: back to the kernel */
			__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
			p->block = (p->block + 1) % UNM_PKT_BLOCK_NR;
			p->next = NULL;
			continue;
		}
		h = p->next;
		len = h->tp_snaplen;
		if (h->tp_status & TP_STATUS_VLAN_VALID) {
			uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ?
			    h->hv1.tp_vlan_tpid : 0x8100;

			tag[0] = (uint8_t)(tpid >> 8);
			tag[1] = (uint8_t)tpid;
			tag[2] = (uint8_t)(h->hv1.tp_vlan_tci >> 8);
			tag[3] = (uint8_t)h->hv1.tp_vlan_tci;
			tp = tag;
		}
		need = (len + (tp ? 4 : 0) + per - 1) / per;
		if (len >= 12 && unm_dist(hwtail, last, n) < need)
			break;	/* no room: the frame waits */
		if (len >= 12 && need <= UNM_MAX_FRAGS) {
			hwtail = copy_in(kr, hwtail, (uint8_t *)h + h->tp_mac, len, tp, roff);
			frames++;
			bytes += len;
		} else {
			k->drops++;
		}
		p->left--;
		p->next = p->left ? (struct tpacket3_hdr *)((char *)h + h->tp_next_offset) : NULL;
		if (!p->left) {
			__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
			p->block = (p->block + 1) % UNM_PKT_BLOCK_NR;
		}
	}
	k->nr_hwtail = hwtail;
	k->frames += frames;
	k->bytes += bytes;
	return 0;
}

static int
pkt_txsync(struct unm_kr *kr)
{
	struct pkt *p = kr->priv;
	struct unm_kring *k = kr->k;
	uint32_t n = kr->n, head = k->rhead, j = k->nr_hwcur;
	struct mmsghdr msg[TX_BATCH];
	struct iovec iov[TX_BATCH][UNM_MAX_FRAGS];
	uint32_t start[TX_BATCH + 1];
	uint64_t bytes = 0, frames = 0;
	int err = 0;

	while (j != head && !err) {
		unsigned cnt = 0;
		int sent;

		while (cnt < TX_BATCH && j != head) {
			unsigned niov = 0;
			bool bad;
			uint32_t next = unm_nic_gather(kr, j, head, iov[cnt], &niov, &bad);

			if (bad) {
				unm_ratelimited(5, "%s: slot %u refused (buffer %u, len %u)", kr->name,
				    j, kr->ring->slot[j].buf_idx, kr->ring->slot[j].len);
				err = -1;
				break;
			}
			if (next == j)
				break;
			memset(&msg[cnt], 0, sizeof(msg[cnt]));
			msg[cnt].msg_hdr.msg_iov = iov[cnt];
			msg[cnt].msg_hdr.msg_iovlen = niov;
			start[cnt++] = j;
			j = next;
		}
		start[cnt] = j;
		if (cnt == 0)
			break;
		sent = sendmmsg(p->fd, msg, cnt, MSG_DONTWAIT);
		if (sent < 0)
			sent = errno == EAGAIN || errno == ENOBUFS ? 0 : (int)cnt;	/* dropped */
		for (int i = 0; i < sent; i++) {
			for (uint32_t s = start[i]; s != start[i + 1]; s = unm_next(s, n)) {
				bytes += kr->ring->slot[s].len;
				kr->ring->slot[s].flags &= (uint16_t)~NS_BUF_CHANGED;
			}
			frames++;
		}
		j = start[sent];
		if ((unsigned)sent < cnt) {
			err = 0;
			break;
		}
	}
	k->nr_hwcur = j;
	k->nr_hwtail = unm_prev(j, n);
	k->frames += frames;
	k->bytes += bytes;
	return err;
}

static int
pkt_wait_fd(struct unm_kr *kr, short *events)
{
	struct pkt *p = kr->priv;

	*events = kr->dir == NR_RX ? POLLIN : POLLOUT;
	return kr->dir == NR_RX ? p->fd : -1;
}

const struct unm_sync_ops unm_packet_sync = {
	.name = "packet",
	.txsync = pkt_txsync,
	.rxsync = pkt_rxsync,
	.attach = pkt_attach,
	.detach = pkt_detach,
	.wait_fd = pkt_wait_fd,
};
