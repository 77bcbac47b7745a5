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

/* netmap's private allocators: the limits of each pool, and the defaults for 0 */
static const struct {
	uint32_t minsize, maxsize, minnum, maxnum, defsize, defnum;
	const char *name;
} ext_pool[3] = {
	{ sizeof(struct netmap_if), 4096, 1, 100, 1024, 2, "if" },
	{ sizeof(struct netmap_ring), 32 * UNM_PAGE, 2, 1024, 5 * UNM_PAGE, 4, "ring" },
	{ 64, 65536, 4, 1000000, 2048, 4098, "buf" },
};

int
unm_extmem_check(struct nmreq_pools_info *pi, struct unm_region_cfg *cfg, const char **what)
{
	uint32_t *num[3] = { &pi->nr_if_pool_objtotal, &pi->nr_ring_pool_objtotal,
	    &pi->nr_buf_pool_objtotal };
	uint32_t *size[3] = { &pi->nr_if_pool_objsize, &pi->nr_ring_pool_objsize,
	    &pi->nr_buf_pool_objsize };

	for (int i = 0; i < 3; i++) {
		if (*num[i] == 0)
			*num[i] = ext_pool[i].defnum;
		if (*size[i] == 0)
			*size[i] = ext_pool[i].defsize;
	}
	for (int i = 0; i < 3; i++) {
		uint64_t sz = *size[i];

		/* netmap_config_obj_allocator: a 64-byte multiple, within the pool's limits */
		if (sz >= (1u << 22)) {
			*what = ext_pool[i].name;
			return EINVAL;
		}
		sz = round_up(sz, 64);
		if (sz < ext_pool[i].minsize || sz > ext_pool[i].maxsize ||
		    *num[i] < ext_pool[i].minnum || *num[i] > ext_pool[i].maxnum) {
			*what = ext_pool[i].name;
			return EINVAL;
		}
		*size[i] = (uint32_t)sz;
	}
	cfg->if_num = pi->nr_if_pool_objtotal;
	cfg->if_size = pi->nr_if_pool_objsize;
	cfg->ring_num = pi->nr_ring_pool_objtotal;
	cfg->ring_size = pi->nr_ring_pool_objsize;
	cfg->buf_num = pi->nr_buf_pool_objtotal;
	cfg->buf_size = pi->nr_buf_pool_objsize;
	return 0;
}

void
unm_layout_extmem(const struct unm_region_cfg *c, struct unm_layout *L)
{
	L->ifp.ofs = 0;
	L->ifp.objsize = c->if_size;
	L->ifp.num = c->if_num;
	L->ring.ofs = (uint64_t)c->if_num * c->if_size;
	L->ring.objsize = c->ring_size;
	L->ring.num = c->ring_num;
	L->buf.ofs = L->ring.ofs + (uint64_t)c->ring_num * c->ring_size;
	L->buf.objsize = c->buf_size;
	L->buf.num = c->buf_num;
	L->memsize = L->buf.ofs + (uint64_t)c->buf_num * c->buf_size;
	L->kern_ofs = 0;
	L->total = round_up(UNM_PAGE + (uint64_t)c->ring_num * sizeof(struct unm_kring), UNM_PAGE);
}
