/*
 * layout.c - where the pools of a region lie (netmap's order: interfaces,
 * rings, buffers; each pool page aligned), and the kernel part after them.
 */
#include <errno.h>

#include "shared/unetmap_kern.h"

static uint64_t
round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

uint32_t
unm_ring_objsize(uint32_t slots)
{
	/* header of 256 bytes, 16 bytes a slot, 128-byte aligned objects */
	return (uint32_t)round_up(sizeof(struct netmap_ring) +
	    (uint64_t)slots * sizeof(struct netmap_slot), 128);
}

int
unm_layout_compute(const struct unm_region_cfg *c, struct unm_layout *L)
{
	uint64_t ofs = 0;

	if (c->if_num == 0 || c->ring_num == 0 || c->buf_num < 3 ||
	    c->if_size < sizeof(struct netmap_if) + 16 ||
	    c->ring_size < unm_ring_objsize(1) || c->ring_size % 128 ||
	    c->buf_size < 64 || c->buf_size % 64 || c->buf_size > 65536)
		return -EINVAL;
	/* the buffer index is 32 bits and the whole region must stay sane */
	if ((uint64_t)c->buf_num * c->buf_size > (1ull << 40) ||
	    (uint64_t)c->ring_num * c->ring_size > (1ull << 36))
		return -E2BIG;

	L->ifp.ofs = 0;
	L->ifp.objsize = c->if_size;
	L->ifp.num = c->if_num;
	ofs = round_up((uint64_t)c->if_num * c->if_size, UNM_PAGE);

	L->ring.ofs = ofs;
	L->ring.objsize = c->ring_size;
	L->ring.num = c->ring_num;
	ofs = round_up(ofs + (uint64_t)c->ring_num * c->ring_size, UNM_PAGE);

	L->buf.ofs = ofs;
	L->buf.objsize = c->buf_size;
	L->buf.num = c->buf_num;
	ofs = round_up(ofs + (uint64_t)c->buf_num * c->buf_size, UNM_PAGE);

	L->memsize = ofs;
	L->kern_ofs = ofs;
	L->total = round_up(ofs + UNM_PAGE +
	    (uint64_t)c->ring_num * sizeof(struct unm_kring), UNM_PAGE);
	return 0;
}
