/*
 * nmport.c - port descriptors: creation, parsing, registration, mapping
 * (each step leaves its undo on the stack of nmport_cleanup.c), plus
 * nmport_open/close/clone.
 *
 * Memory regions are mapped once per process and context: every port
 * with the same nr_mem_id shares one struct nmem_d, counted by refcount
 * and unmapped with its last user.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "libnetmap_int.h"

/* ------------------------------------------------- new and parse */

static struct nmport_d *
nmport_new_in(struct nmctx *ctx)
{
	struct nmport_d *d = nmctx_malloc(ctx, sizeof(*d));

	if (d == NULL) {
		nmctx_ferror(ctx, "out of memory for a port descriptor");
		errno = ENOMEM;
		return NULL;
	}
	memset(d, 0, sizeof(*d));
	nmreq_header_init(&d->hdr, NETMAP_REQ_REGISTER, &d->reg);
	d->ctx = ctx;
	d->fd = -1;
	return d;
}

struct nmport_d *
nmport_new(void)
{
	return nmport_new_in(nmctx_get());
}

void
nmport_delete(struct nmport_d *d)
{
	if (d != NULL)
		nmctx_free(d->ctx, d);
}

/*
 * The mode and option decoders only see a part of the portspec; while
 * they run, their messages go through this context, which puts the whole
 * portspec in front and hands everything else to the real context.
 */
struct nmport_spec_ctx {
	struct nmctx	up;
	struct nmctx	*real;
	const char	*spec;
};

static void
nmport_spec_error(struct nmctx *ctx, const char *msg)
{
	struct nmport_spec_ctx *s = (struct nmport_spec_ctx *)ctx;

	nmctx_ferror(s->real, "%s: %s", s->spec, msg);
}

static void *
nmport_spec_malloc(struct nmctx *ctx, size_t size)
{
	return nmctx_malloc(((struct nmport_spec_ctx *)ctx)->real, size);
}

static void
nmport_spec_free(struct nmctx *ctx, void *p)
{
	nmctx_free(((struct nmport_spec_ctx *)ctx)->real, p);
}

static void
nmport_spec_lock(struct nmctx *ctx, int lock)
{
	struct nmctx *real = ((struct nmport_spec_ctx *)ctx)->real;

	if (lock)
		nmctx_lock(real);
	else
		nmctx_unlock(real);
}

int
nmport_parse(struct nmport_d *d, const char *portspec)
{
	struct nmport_spec_ctx sctx;
	/* what a failure must put back */
	struct nmreq_header hdr = d->hdr;
	struct nmreq_register reg = d->reg;
	struct nmreq_opt_extmem *extmem = d->extmem;
	struct nmport_cleanup_d *mark = d->clist;
	const char *scan = portspec;
	int err;

	if (portspec == NULL) {
		nmctx_ferror(d->ctx, "no port name given");
		errno = EINVAL;
		return -1;
	}
	memset(&sctx, 0, sizeof(sctx));
	sctx.up.verbose = d->ctx->verbose;
	sctx.up.error = nmport_spec_error;
	sctx.up.malloc = nmport_spec_malloc;
	sctx.up.free = nmport_spec_free;
	sctx.up.lock = nmport_spec_lock;
	sctx.real = d->ctx;
	sctx.spec = portspec;

	if (nmreq_header_decode(&scan, &d->hdr, d->ctx) == 0 &&
	    nmreq_register_decode(&scan, &d->reg, &sctx.up) == 0 &&
	    nmreq_options_decode(scan, nmport_opt_parsers(), d, &sctx.up) == 0)
		return 0;

	err = errno ? errno : EINVAL;
	nmport_cleanup_until(d, mark);	/* options pushed by this parse */
	d->hdr = hdr;
	d->reg = reg;
	d->extmem = extmem;
	errno = err;
	return -1;
}

void
nmport_undo_parse(struct nmport_d *d)
{
	nmport_cleanup_until(d, NULL);
	/* back to what nmport_new() gave, ready for another parse */
	memset(&d->reg, 0, sizeof(d->reg));
	nmreq_header_init(&d->hdr, NETMAP_REQ_REGISTER, &d->reg);
	d->extmem = NULL;
}

struct nmport_d *
nmport_prepare(const char *portspec)
{
	struct nmport_d *d = nmport_new();

	if (d == NULL)
		return NULL;
	if (nmport_parse(d, portspec) < 0) {
		int err = errno;

		nmport_delete(d);
		errno = err;
		return NULL;
	}
	return d;
}

void
nmport_undo_prepare(struct nmport_d *d)
{
	if (d == NULL)
		return;
	nmport_undo_parse(d);
	nmport_delete(d);
}

/* ------------------------------------------------------- register */

int
nmport_register(struct nmport_d *d)
{
	struct nmctx *ctx = d->ctx;
	struct nmreq_option *o;
	int fd, err, reported = 0;

	if (d->register_done) {
		nmctx_ferror(ctx, "%s: already registered", NMPORT_NAME(d));
		errno = EINVAL;
		return -1;
	}
	fd = open(NETMAP_DEVICE_NAME, O_RDWR);
	if (fd < 0) {
		err = errno;
		nmctx_ferror(ctx, "%s: cannot open %s: %s", NMPORT_NAME(d),
		    NETMAP_DEVICE_NAME, strerror(err));
		errno = err;
		return -1;
	}
	if (ioctl(fd, NIOCCTRL, &d->hdr) < 0) {
		err = errno;
		/* blame the options that were refused, if any */
		nmreq_foreach_option(&d->hdr, o) {
			if (o->nro_status != 0) {
				nmctx_ferror(ctx, "%s: option %s: %s",
				    NMPORT_NAME(d),
				    nmreq_option_name(o->nro_reqtype),
				    strerror((int)o->nro_status));
				reported++;
			}
		}
		if (!reported)
			nmctx_ferror(ctx, "%s: cannot register: %s",
			    NMPORT_NAME(d), strerror(err));
		close(fd);
		errno = err;
		return -1;
	}
	d->fd = fd;
	d->register_done = 1;
	return 0;
}

void
nmport_undo_register(struct nmport_d *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->register_done = 0;
}

/* ----------------------------------------------------------- mmap */

/*
 * [first, last] of the bound rings among count entries of ring_ofs
 * starting at base; an empty range is last == first - 1.
 */
static void
nmport_ring_range(const struct netmap_if *nifp, unsigned int base,
    unsigned int count, uint16_t *first, uint16_t *last)
{
	unsigned int i = 0;

	while (i < count && nifp->ring_ofs[base + i] == 0)
		i++;
	*first = (uint16_t)i;
	while (i < count && nifp->ring_ofs[base + i] != 0)
		i++;
	if (i == 0) {		/* no ring at all: [1, 0], not [1, 65535] */
		*first = 1;
		*last = 0;
		return;
	}
	*last = (uint16_t)(i - 1);
}

int
nmport_mmap(struct nmport_d *d)
{
	struct nmctx *ctx = d->ctx;
	struct nmem_d *m;
	unsigned int ntx, nrx;
	int err;

	if (d->mmap_done) {
		nmctx_ferror(ctx, "%s: already mapped", NMPORT_NAME(d));
		errno = EINVAL;
		return -1;
	}
	if (!d->register_done) {
		nmctx_ferror(ctx, "%s: cannot map a port not registered",
		    NMPORT_NAME(d));
		errno = EINVAL;
		return -1;
	}

	nmctx_lock(ctx);
	for (m = ctx->mem_descs; m != NULL; m = m->next)
		if (m->mem_id == d->reg.nr_mem_id)
			break;
	if (m == NULL) {
		m = nmctx_malloc(ctx, sizeof(*m));
		if (m == NULL) {
			nmctx_unlock(ctx);
			nmctx_ferror(ctx, "%s: out of memory for a region "
			    "descriptor", NMPORT_NAME(d));
			errno = ENOMEM;
			return -1;
		}
		memset(m, 0, sizeof(*m));
		if (d->extmem != NULL) {
			/* the region is the user's memory: no mmap */
			m->mem = (void *)(uintptr_t)d->extmem->nro_usrptr;
			m->size = d->extmem->nro_info.nr_memsize;
			m->is_extmem = 1;
		} else {
			m->mem = mmap(NULL, d->reg.nr_memsize,
			    PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, 0);
			if (m->mem == MAP_FAILED) {
				err = errno;
				nmctx_unlock(ctx);
				nmctx_free(ctx, m);
				nmctx_ferror(ctx, "%s: cannot map %llu bytes of "
				    "region %u: %s", NMPORT_NAME(d),
				    (unsigned long long)d->reg.nr_memsize,
				    d->reg.nr_mem_id, strerror(err));
				errno = err;
				return -1;
			}
			m->size = d->reg.nr_memsize;
		}
		m->mem_id = d->reg.nr_mem_id;
		m->prev = NULL;
		m->next = ctx->mem_descs;
		if (m->next != NULL)
			m->next->prev = m;
		ctx->mem_descs = m;
	}
	m->refcount++;
	nmctx_unlock(ctx);

	d->mem = m;
	d->nifp = NETMAP_IF(m->mem, d->reg.nr_offset);
	/* rings not bound to this descriptor have ring_ofs 0 */
	ntx = d->reg.nr_tx_rings + d->nifp->ni_host_tx_rings;
	nrx = d->reg.nr_rx_rings + d->nifp->ni_host_rx_rings;
	nmport_ring_range(d->nifp, 0, ntx, &d->first_tx_ring, &d->last_tx_ring);
	nmport_ring_range(d->nifp, ntx, nrx, &d->first_rx_ring,
	    &d->last_rx_ring);
	d->cur_tx_ring = d->first_tx_ring;
	d->cur_rx_ring = d->first_rx_ring;
	d->mmap_done = 1;
	return 0;
}

void
nmport_undo_mmap(struct nmport_d *d)
{
	struct nmctx *ctx = d->ctx;
	struct nmem_d *m = d->mem;

	if (m != NULL) {
		nmctx_lock(ctx);
		if (--m->refcount <= 0) {
			if (!m->is_extmem)
				munmap(m->mem, m->size);
			if (m->next != NULL)
				m->next->prev = m->prev;
			if (m->prev != NULL)
				m->prev->next = m->next;
			else
				ctx->mem_descs = m->next;
			nmctx_free(ctx, m);
		}
		nmctx_unlock(ctx);
	}
	d->mem = NULL;
	d->nifp = NULL;
	d->mmap_done = 0;
	d->first_tx_ring = d->last_tx_ring = 0;
	d->first_rx_ring = d->last_rx_ring = 0;
	d->cur_tx_ring = d->cur_rx_ring = 0;
}

/* ------------------------------------------------ the whole thing */

int
nmport_open_desc(struct nmport_d *d)
{
	int err;

	if (nmport_register(d) < 0)
		return -1;
	if (nmport_mmap(d) < 0) {
		err = errno;
		nmport_undo_register(d);
		errno = err;
		return -1;
	}
	return 0;
}

void
nmport_undo_open_desc(struct nmport_d *d)
{
	nmport_undo_mmap(d);
	nmport_undo_register(d);
}

struct nmport_d *
nmport_open(const char *portspec)
{
	struct nmport_d *d = nmport_prepare(portspec);
	int err;

	if (d == NULL)
		return NULL;
	if (nmport_open_desc(d) < 0) {
		err = errno;
		nmport_undo_prepare(d);
		errno = err;
		return NULL;
	}
	return d;
}

void
nmport_close(struct nmport_d *d)
{
	if (d == NULL)
		return;
	nmport_undo_open_desc(d);
	nmport_undo_prepare(d);
}

struct nmport_d *
nmport_clone(struct nmport_d *d)
{
	struct nmport_d *c;

	if (d->extmem != NULL && !d->register_done) {
		nmctx_ferror(d->ctx, "%s: a port using extmem can be cloned "
		    "only after registration", NMPORT_NAME(d));
		errno = EINVAL;
		return NULL;
	}
	c = nmport_new_in(d->ctx);
	if (c == NULL)
		return NULL;
	c->hdr = d->hdr;
	c->hdr.nr_body = (uint64_t)(uintptr_t)&c->reg;
	c->hdr.nr_options = 0;		/* options belong to d */
	c->reg = d->reg;		/* including nr_mem_id */
	return c;
}
