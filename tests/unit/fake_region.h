/*
 * fake_region.h - builds a netmap region (netmap_if, rings, buffers) in
 * ordinary memory, laid out as the kernel side would, so that the user
 * helpers and the libraries' data-path code can be tested without a
 * device.
 *
 * Layout: the netmap_if in page 0, one page per ring (tx rings, host tx,
 * rx, host rx), then the buffers (index 0 and 1 reserved, as in netmap).
 */
#ifndef UNETMAP_TESTS_FAKE_REGION_H
#define UNETMAP_TESTS_FAKE_REGION_H

#include <stdint.h>
#include <string.h>
#include <net/netmap_user.h>

#define FAKE_PAGE	4096u
#define FAKE_BUFSZ	2048u

struct fake_geom {
	unsigned int	ntx, nrx;	/* NIC rings */
	unsigned int	nhtx, nhrx;	/* host rings */
	unsigned int	nslots;		/* per ring, at most 240 */
	const char	*bound_tx;	/* per tx ring, '1' bound, NULL = all */
	const char	*bound_rx;
};

static inline unsigned int
fake_nrings(const struct fake_geom *g)
{
	return g->ntx + g->nhtx + g->nrx + g->nhrx;
}

static inline size_t
fake_region_size(const struct fake_geom *g)
{
	return FAKE_PAGE * (1 + fake_nrings(g)) +
	    (size_t)FAKE_BUFSZ * (2 + fake_nrings(g) * g->nslots);
}

/* writes v into a field the headers declare const */
#define FAKE_SET(field, v) do {						\
	__typeof__(field) fake_v_ = (v);				\
	memcpy((void *)&(field), &fake_v_, sizeof(fake_v_));		\
} while (0)

/* fills base (fake_region_size bytes, page aligned); returns the nifp */
static inline struct netmap_if *
fake_region_init(void *base, const struct fake_geom *g)
{
	struct netmap_if *nifp = (struct netmap_if *)base;
	unsigned int ntxall = g->ntx + g->nhtx, n = fake_nrings(g), k, s;
	size_t bufbase = FAKE_PAGE * (1 + n);
	uint32_t idx = 2;

	memset(base, 0, fake_region_size(g));
	strcpy(nifp->ni_name, "fake0");
	FAKE_SET(nifp->ni_version, (uint32_t)NETMAP_API);
	FAKE_SET(nifp->ni_tx_rings, (uint32_t)g->ntx);
	FAKE_SET(nifp->ni_rx_rings, (uint32_t)g->nrx);
	FAKE_SET(nifp->ni_host_tx_rings, (uint32_t)g->nhtx);
	FAKE_SET(nifp->ni_host_rx_rings, (uint32_t)g->nhrx);

	for (k = 0; k < n; k++) {
		size_t rofs = FAKE_PAGE * (1 + k);
		struct netmap_ring *r = (struct netmap_ring *)
		    ((char *)base + rofs);
		int is_tx = k < ntxall;
		unsigned int local = is_tx ? k : k - ntxall;
		const char *bound = is_tx ? g->bound_tx : g->bound_rx;

		FAKE_SET(r->buf_ofs, (int64_t)bufbase - (int64_t)rofs);
		FAKE_SET(r->num_slots, (uint32_t)g->nslots);
		FAKE_SET(r->nr_buf_size, (uint32_t)FAKE_BUFSZ);
		FAKE_SET(r->ringid, (uint16_t)local);
		FAKE_SET(r->dir, (uint16_t)(is_tx ? 0 : 1));
		r->head = r->cur = 0;
		/* tx rings start with all slots free, rx rings empty */
		r->tail = is_tx ? g->nslots - 1 : 0;
		for (s = 0; s < g->nslots; s++)
			r->slot[s].buf_idx = idx++;
		if (bound == NULL || bound[local] == '1')
			FAKE_SET(nifp->ring_ofs[k], (ssize_t)rofs);
	}
	return nifp;
}

#endif
