/*
 * nic_io.h - what the data halves of NIC ports share (lib/adapters/nic/xsk.c,
 * packet.c, host.c): buffer addresses, and sending the frames of a run of
 * slots to a descriptor (the TAP, an AF_PACKET socket) one writev each.
 *
 * Data offsets (NETMAP_REQ_OPT_OFFSETS): a frame sent starts at its slot's
 * offset (a slot whose offset and length do not fit is a bad slot); a frame
 * received is put at the rx ring's initial offset, as many bytes a slot as
 * fit after it, and the slot's offset says so.
 */
#ifndef UNETMAP_NIC_IO_H
#define UNETMAP_NIC_IO_H

#include <sys/uio.h>

#include "core/core.h"
#include "shared/nic_abi.h"

static inline char *
unm_nic_buf(struct unm_kr *kr, uint32_t idx)
{
	return kr->b->rm->base + kr->b->rm->L.buf.ofs + (uint64_t)idx * kr->buf_size;
}

/* a slot to send: one of our buffers, its data offset and length inside it (*@off) */
static inline bool
unm_nic_slot_ok(struct unm_kr *kr, const struct netmap_slot *s, uint32_t *off)
{
	return s->buf_idx >= 2 && s->buf_idx < kr->nbufs && s->len <= kr->buf_size &&
	    unm_slot_off(kr->k, s, kr->buf_size, off);
}

/*
 * The slots of the packet starting at @j (its NS_MOREFRAG chain, ending
 * before @end) as an iovec; returns the slot after it, or @j when the chain
 * does not end before @end or holds a bad slot (*bad set then).
 */
uint32_t unm_nic_gather(struct unm_kr *kr, uint32_t j, uint32_t end, struct iovec *iov,
    unsigned *niov, bool *bad);

/*
 * Released slots [from, to) of an rx ring: frames flagged NS_FORWARD (on a
 * ring with NR_FORWARD) are written to @fd, netmap's transparent mode.
 */
void unm_nic_forward(struct unm_kr *kr, uint32_t from, uint32_t to, int fd);

#endif
