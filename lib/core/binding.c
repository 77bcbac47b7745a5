/*
 * binding.c - turning the daemon's description of a binding (struct
 * unm_bind and its descriptors) into rings the data path can run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/core.h"
#include "shared/proto.h"

static bool
ring_sane(const struct unm_region_map *rm, uint32_t idx)
{
	return idx < rm->L.ring.num;
}

struct unm_binding *
unm_binding_new(const struct unm_bind *bi, size_t len, int *fds, unsigned nfds, void *ext_hint,
    int *err)
{
	struct unm_binding *b;
	struct unm_region_src src;
	/* the region's descriptors come first: one, or two for external memory */
	unsigned nreg = bi->ext ? 2 : 1;

	*err = EPROTO;
	if (len < sizeof(*bi) || nfds < nreg ||
	    len != sizeof(*bi) + (size_t)bi->nrings * sizeof(bi->rings[0]) ||
	    bi->ntx > bi->nrings || bi->nifp_ofs + sizeof(struct netmap_if) > bi->memsize)
		goto fail_fds;
	b = calloc(1, sizeof(*b));
	if (!b) {
		*err = ENOMEM;
		goto fail_fds;
	}
	b->kloop_evfd = -1;
	b->kr = calloc(bi->nrings ? bi->nrings : 1, sizeof(*b->kr));
	b->fds = malloc(sizeof(int) * nfds);
	if (!b->kr || !b->fds) {
		*err = ENOMEM;
		goto fail_b;
	}
	src = (struct unm_region_src){ .uuid = bi->region_uuid, .total = bi->region_total,
	    .memsize = bi->memsize, .memfd = fds[0], .kfd = bi->ext ? fds[1] : -1,
	    .ext_ofs = bi->ext_ofs, .ext_len = bi->ext_len, .hint = bi->ext ? ext_hint : NULL };
	b->rm = unm_region_attach(&src, err);
	fds[0] = -1;
	if (bi->ext)
		fds[1] = -1;
	if (!b->rm)
		goto fail_b;
	b->nifp = (struct netmap_if *)(b->rm->base + bi->nifp_ofs);
	b->nifp_ofs = bi->nifp_ofs;
	b->memsize = bi->memsize;
	b->flags = bi->reg_flags;
	b->mem_id = bi->mem_id;
	b->port_mode = bi->port_mode;
	memcpy(b->cap, bi->cap, sizeof(b->cap));
	b->ntx = bi->ntx;
	b->nrx = (uint16_t)(bi->nrings - bi->ntx);
	snprintf(b->port, sizeof(b->port), "%.*s", (int)sizeof(b->port) - 1, bi->port);
	for (unsigned i = 0; i < bi->nrings; i++) {
		const struct unm_bind_ring *br = &bi->rings[i];
		struct unm_kr *kr = &b->kr[i];
		const struct unm_layout *L = &b->rm->L;

		*err = EPROTO;
		if (!ring_sane(b->rm, br->idx) || br->sync_kind >= UNM_SYNC_MAX ||
		    !unm_sync_table[br->sync_kind] || br->evfd < (int)nreg ||
		    (unsigned)br->evfd >= nfds ||
		    (br->link != UINT32_MAX && (!ring_sane(b->rm, br->link) ||
		    br->link_evfd < (int)nreg || (unsigned)br->link_evfd >= nfds)))
			goto fail_rings;
		kr->ring = unm_rm_ring(b->rm, br->idx);
		kr->k = unm_rm_kring(b->rm, br->idx);
		kr->n = kr->ring->num_slots;
		if (kr->n < 2 || unm_ring_objsize(kr->n) > L->ring.objsize)
			goto fail_rings;
		kr->evfd = fds[br->evfd];
		kr->link_evfd = -1;
		if (br->link != UINT32_MAX) {
			kr->lring = unm_rm_ring(b->rm, br->link);
			kr->lk = unm_rm_kring(b->rm, br->link);
			kr->link_evfd = fds[br->link_evfd];
			if (kr->lring->num_slots != kr->n)
				goto fail_rings;
		}
		if (br->nxfd > 4 || (br->nxfd && (br->xfd < (int)nreg ||
		    (unsigned)br->xfd + br->nxfd > nfds)))
			goto fail_rings;
		for (unsigned x = 0; x < br->nxfd; x++)
			kr->xfd[x] = fds[br->xfd + (int)x];
		kr->nxfd = br->nxfd;
		kr->nbufs = L->buf.num;
		kr->buf_size = L->buf.objsize;
		kr->dir = br->dir;
		kr->ops = unm_sync_table[br->sync_kind];
		kr->b = b;
		snprintf(kr->name, sizeof(kr->name), "%s %s ring %u", b->port,
		    br->dir == NR_TX ? "tx" : "rx", kr->ring->ringid);
	}
	/* keep the other descriptors; the region's went to the region map */
	for (unsigned i = nreg; i < nfds; i++)
		b->fds[b->nfds++] = fds[i];
	for (unsigned i = 0; i < bi->nrings; i++) {
		struct unm_kr *kr = &b->kr[i];
		int r = kr->ops->attach ? kr->ops->attach(kr) : 0;

		if (r < 0) {
			*err = -r;
			unm_binding_free(b);
			return NULL;
		}
		kr->attached = true;
	}
	*err = 0;
	return b;
fail_rings:
	unm_region_detach(b->rm);
fail_b:
	free(b->kr);
	free(b->fds);
	free(b);
fail_fds:
	unm_close_fds(fds, nfds);
	return NULL;
}

void
unm_binding_free(struct unm_binding *b)
{
	for (unsigned i = 0; i < (unsigned)b->ntx + b->nrx; i++) {
		if (b->kr[i].attached && b->kr[i].ops->detach)
			b->kr[i].ops->detach(&b->kr[i]);
		unm_mon_free(&b->kr[i]);
	}
	unm_close_fds(b->fds, b->nfds);
	if (b->kloop_evfd >= 0)
		syscall(SYS_close, b->kloop_evfd);
	unm_region_detach(b->rm);
	free(b->fds);
	free(b->kr);
	free(b);
}
