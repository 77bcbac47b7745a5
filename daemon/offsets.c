/*
 * offsets.c - NETMAP_REQ_OPT_OFFSETS at REGISTER, as netmap's
 * netmap_offsets_init: the low nro_offset_bits of every slot's ptr become
 * a data offset.  Checked in netmap's order and with its errnos:
 *
 *   - a port kind whose data path cannot honour offsets: EOPNOTSUPP
 *     (netmap's adapters without NAF_OFFSETS; which kinds may is each
 *     kind's port_ops->offsets);
 *   - more than 64 bits: EINVAL (0 means all 64);
 *   - a largest offset beyond the buffer size, or one that the bits cannot
 *     hold: EINVAL;
 *   - an initial offset above the largest: EINVAL;
 *   - a ring already carrying offsets (another registration of the port)
 *     with fewer bits or a smaller largest offset than asked: EBUSY;
 *     otherwise the ring keeps what it has, and that is reported back.
 *
 * The initial offset goes into every slot of a ring nobody else holds,
 * and nro_max_offset is written back (the ring's, possibly larger), as
 * netmap does.  nro_tx_align and nro_min_gap are netmap's too: it checks
 * neither at REGISTER (min_gap only lowers the length a NIC may write
 * into a buffer, and no data path of ours writes past the buffer's end),
 * so they are accepted as given.  The ring's buf_align stays 0: no data
 * path here needs a tx frame aligned.
 *
 * What a ring's offsets are lives in its kring (off_mask, off_max,
 * off_init), where every process's data path reads them; they last as
 * long as some descriptor holds the port (netmap's krings), see
 * offsets_forget.
 */
#include <errno.h>

#include "unetmapd.h"

int
offsets_check(const struct ctrl_ctx *cx, struct port *p, const struct binding *b,
    struct offsets_plan *pl)
{
	struct nmreq_opt_offsets *o = (struct nmreq_opt_offsets *)ctrl_option(cx,
	    NETMAP_REQ_OPT_OFFSETS, sizeof(*o));
	struct ctrl_err *e = cx->e;
	uint32_t bsz = p->reg->L.buf.objsize;
	uint64_t bits, mask, max;

	pl->opt = o;
	if (!o)
		return 0;
	if (!p->ops->offsets || !p->ops->offsets(p, b)) {
		o->nro_opt.nro_status = EOPNOTSUPP;
		return ctrl_fail(e, EOPNOTSUPP, "%s: a %s port does not support data offsets "
		    "(NETMAP_REQ_OPT_OFFSETS); see docs/adapters.md", p->name, p->ops->kind);
	}
	bits = o->nro_offset_bits;
	max = o->nro_max_offset;
	if (bits > 64) {
		o->nro_opt.nro_status = EINVAL;
		return ctrl_fail(e, EINVAL, "%s: offsets of %llu bits asked: slot->ptr has 64",
		    p->name, (unsigned long long)bits);
	}
	mask = bits == 0 || bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
	if (max > bsz) {
		o->nro_opt.nro_status = EINVAL;
		return ctrl_fail(e, EINVAL, "%s: largest offset %llu is beyond the buffer size %u",
		    p->name, (unsigned long long)max, bsz);
	}
	if ((max & mask) != max) {
		o->nro_opt.nro_status = EINVAL;
		return ctrl_fail(e, EINVAL, "%s: largest offset %llu does not fit in %llu bits",
		    p->name, (unsigned long long)max, (unsigned long long)bits);
	}
	if (o->nro_initial_offset > max) {
		o->nro_opt.nro_status = EINVAL;
		return ctrl_fail(e, EINVAL, "%s: initial offset %llu is above the largest "
		    "offset %llu", p->name, (unsigned long long)o->nro_initial_offset,
		    (unsigned long long)max);
	}
	for (int t = 0; t < NR_DIRS; t++)
		for (uint32_t i = b->first[t]; i < b->last[t]; i++) {
			struct unm_kring *k = region_kring(p->reg, p->ring_idx[t][i]);

			if (!k->off_mask)
				continue;
			if ((k->off_mask & mask) != mask || k->off_max < max) {
				o->nro_opt.nro_status = EBUSY;
				return ctrl_fail(e, EBUSY, "%s: %s ring %u already carries offsets of "
				    "mask 0x%llx up to %u; a registration may not ask for more "
				    "(mask 0x%llx, up to %llu)", p->name, t == NR_TX ? "tx" : "rx", i,
				    (unsigned long long)k->off_mask, k->off_max,
				    (unsigned long long)mask, (unsigned long long)max);
			}
			/* netmap reports the ring's own values then */
			mask = k->off_mask;
			max = k->off_max;
		}
	pl->mask = mask;
	pl->max = max;
	pl->initial = o->nro_initial_offset;
	return 0;
}

void
offsets_apply(struct port *p, const struct binding *b, const struct offsets_plan *pl)
{
	struct nmreq_opt_offsets *o = pl->opt;
	uint32_t cap;

	if (!o)
		return;
	cap = (uint32_t)((p->reg->L.ring.objsize - sizeof(struct netmap_ring)) /
	    sizeof(struct netmap_slot));
	for (int t = 0; t < NR_DIRS; t++)
		for (uint32_t i = b->first[t]; i < b->last[t]; i++) {
			uint32_t idx = p->ring_idx[t][i], n;
			struct unm_kring *k = region_kring(p->reg, idx);
			struct netmap_ring *ring = (struct netmap_ring *)(p->reg->base +
			    unm_ring_ofs(&p->reg->L, idx));

			if (!k->off_mask) {
				k->off_max = (uint32_t)pl->max;
				k->off_init = (uint32_t)pl->initial;
				*(uint64_t *)(uintptr_t)&ring->offset_mask = pl->mask;
				__atomic_store_n(&k->off_mask, pl->mask, __ATOMIC_RELEASE);
			}
			/* a ring someone else holds keeps the offsets its slots have */
			if (!pl->initial || p->ring_users[t][i])
				continue;
			/*
			 * num_slots read once and bounded by the ring object: the
			 * kring is in memory every client of the region may write
			 */
			n = __atomic_load_n(&k->num_slots, __ATOMIC_RELAXED);
			if (n > cap)
				n = cap;
			for (uint32_t j = 0; j < n; j++)
				unm_slot_set_off(&ring->slot[j], k->off_mask, (uint32_t)pl->initial);
		}
	o->nro_max_offset = pl->max;
	o->nro_opt.nro_status = 0;
}

bool
offsets_always(struct port *p, const struct binding *b)
{
	(void)p;
	(void)b;
	return true;
}

void
offsets_forget(struct port *p)
{
	for (int t = 0; t < NR_DIRS; t++)
		for (uint32_t i = 0; p->ring_idx[t] && i < (uint32_t)p->nrings[t] + p->nhost[t];
		    i++) {
			uint32_t idx = p->ring_idx[t][i];
			struct unm_kring *k = region_kring(p->reg, idx);
			struct netmap_ring *ring = (struct netmap_ring *)(p->reg->base +
			    unm_ring_ofs(&p->reg->L, idx));

			__atomic_store_n(&k->off_mask, 0, __ATOMIC_RELEASE);
			k->off_max = k->off_init = 0;
			*(uint64_t *)(uintptr_t)&ring->offset_mask = 0;
		}
}
