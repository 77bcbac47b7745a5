/*
 * register.c - REGISTER: a descriptor binds rings of a port, as netmap's
 * netmap_do_regif does; and what a binding gives back when it goes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "unetmap.h"
#include "unetmapd.h"

/*
 * Ring @i of @n, for the ONE_NIC / ONE_SW modes: netmap refuses a ring
 * that exists in neither direction, and a direction with fewer rings
 * takes its ring 0.  [*first, *last) is empty when it has none at all.
 */
static void
one_ring(uint32_t i, uint16_t n, uint16_t base, uint16_t *first, uint16_t *last)
{
	uint16_t j = i < n ? (uint16_t)i : 0;

	*first = (uint16_t)(base + j);
	*last = (uint16_t)(n ? base + j + 1 : base + j);
}

/* which rings of @p a registration in @mode binds: netmap's interp_ringid */
static int
ring_ranges(struct binding *b, struct port *p, struct ctrl_err *e)
{
	uint32_t i = b->ringid & NETMAP_RING_MASK;
	bool host = p->nhost[NR_TX] + p->nhost[NR_RX] > 0;

	switch (b->mode) {
	case NR_REG_ALL_NIC:
	case NR_REG_NULL:
		break;
	case NR_REG_SW:
	case NR_REG_NIC_SW:
	case NR_REG_ONE_SW:
		if (!host)
			return ctrl_fail(e, EINVAL, "%s: the port has no host rings", p->name);
		if (b->mode == NR_REG_ONE_SW && i >= p->nhost[NR_TX] && i >= p->nhost[NR_RX])
			return ctrl_fail(e, EINVAL, "%s: host ring %u does not exist (%u tx, %u rx "
			    "host rings)", p->name, i, p->nhost[NR_TX], p->nhost[NR_RX]);
		break;
	case NR_REG_ONE_NIC:
		if (i >= p->nrings[NR_TX] && i >= p->nrings[NR_RX])
			return ctrl_fail(e, EINVAL, "%s: ring %u does not exist (%u tx, %u rx rings)",
			    p->name, i, p->nrings[NR_TX], p->nrings[NR_RX]);
		break;
	default:
		return ctrl_fail(e, EINVAL, "%s: register mode %u is not one of netmap's "
		    "(NR_REG_ALL_NIC, _SW, _NIC_SW, _ONE_NIC, _ONE_SW, _NULL)", p->name, b->mode);
	}
	for (int t = 0; t < NR_DIRS; t++) {
		uint16_t hw = p->nrings[t], nh = p->nhost[t];

		switch (b->mode) {
		case NR_REG_SW:
			b->first[t] = hw;
			b->last[t] = (uint16_t)(hw + nh);
			break;
		case NR_REG_NIC_SW:
			b->first[t] = 0;
			b->last[t] = (uint16_t)(hw + nh);
			break;
		case NR_REG_ONE_NIC:
			one_ring(i, hw, 0, &b->first[t], &b->last[t]);
			break;
		case NR_REG_ONE_SW:
			one_ring(i, nh, hw, &b->first[t], &b->last[t]);
			break;
		default:	/* ALL_NIC, NULL */
			b->first[t] = 0;
			b->last[t] = hw;
			break;
		}
	}
	if (b->flags & NR_TX_RINGS_ONLY)
		b->last[NR_RX] = b->first[NR_RX];
	if (b->flags & NR_RX_RINGS_ONLY)
		b->last[NR_TX] = b->first[NR_TX];
	return 0;
}

static int
check_exclusive(struct binding *b, struct port *p, struct ctrl_err *e)
{
	for (int t = 0; t < NR_DIRS; t++)
		for (uint32_t i = b->first[t]; i < b->last[t]; i++) {
			if (p->ring_excl[t][i])
				return ctrl_fail(e, EBUSY, "%s: %s ring %u is held exclusively "
				    "by another descriptor", p->name, t == NR_TX ? "tx" : "rx", i);
			if ((b->flags & NR_EXCLUSIVE) && p->ring_users[t][i])
				return ctrl_fail(e, EBUSY, "%s: cannot open exclusively: %s ring %u "
				    "is in use by another descriptor", p->name,
				    t == NR_TX ? "tx" : "rx", i);
		}
	return 0;
}

/* the netmap_if of a binding, with offsets only for the rings it holds */
static int
make_nifp(struct binding *b, struct port *p, uint32_t extra_head, struct ctrl_err *e)
{
	struct region *r = p->reg;
	uint32_t ntot = 0;
	struct netmap_if *nifp;
	int idx;

	for (int t = 0; t < NR_DIRS; t++)
		ntot += (uint32_t)p->nrings[t] + p->nhost[t];
	idx = region_if_new(r, sizeof(struct netmap_if) + ntot * sizeof(ssize_t), e);
	if (idx < 0)
		return -idx;
	nifp = region_if(r, (uint32_t)idx);
	snprintf((char *)nifp->ni_name, sizeof(nifp->ni_name), "%.*s",
	    (int)sizeof(nifp->ni_name) - 1, p->ops->nifp_name ? p->ops->nifp_name(p) : p->name);
	*(uint32_t *)&nifp->ni_version = NETMAP_API;
	*(uint32_t *)&nifp->ni_flags = r->priv ? NI_PRIV_MEM : 0;
	*(uint32_t *)&nifp->ni_tx_rings = p->nrings[NR_TX];
	*(uint32_t *)&nifp->ni_rx_rings = p->nrings[NR_RX];
	*(uint32_t *)&nifp->ni_host_tx_rings = p->nhost[NR_TX];
	*(uint32_t *)&nifp->ni_host_rx_rings = p->nhost[NR_RX];
	nifp->ni_bufs_head = extra_head;
	for (int t = 0, base = 0; t < NR_DIRS; t++) {
		for (uint32_t i = b->first[t]; i < b->last[t]; i++) {
			int64_t ofs = (int64_t)unm_ring_ofs(&r->L, p->ring_idx[t][i]) -
			    (int64_t)(r->L.ifp.ofs + (uint64_t)idx * r->L.ifp.objsize);

			*(ssize_t *)&nifp->ring_ofs[base + (int)i] = (ssize_t)ofs;
		}
		base += p->nrings[t] + p->nhost[t];
	}
	b->nifp = idx;
	return 0;
}

/* extra buffers, chained through their first 4 bytes; as many as there are */
static uint32_t
alloc_extra(struct region *r, uint32_t want, uint32_t *head)
{
	uint32_t n = 0, prev = 0;

	*head = 0;
	for (; n < want; n++) {
		uint32_t b = region_buf_alloc(r);

		if (!b)
			break;
		memset(region_buf(r, b), 0, sizeof(uint32_t));
		if (prev)
			memcpy(region_buf(r, prev), &b, sizeof(b));
		else
			*head = b;
		prev = b;
	}
	return n;
}

/* what the library needs to run the binding's rings */
static int
make_bind_reply(struct binding *b, struct ctrl_reply *rp, struct ctrl_err *e)
{
	struct port *p = b->port;
	struct region *r = p->reg;
	uint32_t n = 0, k = 0;
	struct unm_bind *bi;

	for (int t = 0; t < NR_DIRS; t++)
		n += (uint32_t)(b->last[t] - b->first[t]);
	if (n > UNM_MAX_BIND_RINGS)
		return ctrl_fail(e, E2BIG, "%s: a descriptor may hold at most %u rings",
		    p->name, UNM_MAX_BIND_RINGS);
	rp->bind_size = sizeof(*bi) + n * sizeof(struct unm_bind_ring);
	bi = rp->bind = calloc(1, rp->bind_size);
	if (!bi)
		return ctrl_fail(e, ENOMEM, "%s: out of memory", p->name);
	bi->region_uuid = r->uuid;
	bi->region_total = r->L.total;
	bi->memsize = r->L.memsize;
	bi->nifp_ofs = r->L.ifp.ofs + (uint64_t)b->nifp * r->L.ifp.objsize;
	bi->reg_flags = (uint32_t)b->flags;
	bi->mem_id = r->id;
	bi->nrings = (uint16_t)n;
	bi->ntx = (uint16_t)(b->last[NR_TX] - b->first[NR_TX]);
	bi->port_mode = p->mode ? p->mode : UNETMAP_MODE_SOFTWARE;
	memcpy(bi->cap, b->cap, sizeof(bi->cap));
	snprintf(bi->port, sizeof(bi->port), "%s", p->name);
	rp->fds[rp->nfds++] = r->memfd;
	for (int t = 0; t < NR_DIRS; t++)
		for (uint32_t i = b->first[t]; i < b->last[t]; i++, k++) {
			struct unm_bind_ring *br = &bi->rings[k];
			struct port *lp = NULL;

			br->idx = p->ring_idx[t][i];
			br->dir = (uint16_t)t;
			br->sync_kind = p->ops->ring_kind ? p->ops->ring_kind(p, t, i) : p->sync_kind;
			br->xfd = -1;
			if (p->ops->ring_fds) {
				/* room is guaranteed: at most 6 a ring (UNM_MAX_BIND_FDS) */
				unsigned nx = p->ops->ring_fds(p, t, i, rp->fds + rp->nfds, 4);

				if (nx) {
					br->xfd = (int16_t)rp->nfds;
					br->nxfd = (uint16_t)nx;
					rp->nfds += nx;
				}
			}
			br->evfd = (int16_t)rp->nfds;
			rp->fds[rp->nfds++] = r->ring_evfd[br->idx];
			br->link = p->ops->link(p, t, i, &lp);
			br->link_evfd = -1;
			if (lp && br->link != UINT32_MAX) {
				br->link_evfd = (int16_t)rp->nfds;
				rp->fds[rp->nfds++] = lp->reg->ring_evfd[br->link];
			}
		}
	return 0;
}

/* our port-mode option (include/unetmap.h): what the port got */
static void
port_mode_reply(const struct ctrl_ctx *cx, struct port *p)
{
	struct nmreq_opt_unetmap_port_mode *o = (struct nmreq_opt_unetmap_port_mode *)
	    ctrl_option(cx, NETMAP_REQ_OPT_UNETMAP_PORT_MODE, sizeof(*o));

	if (!o)
		return;
	o->nro_opt.nro_status = 0;
	if (!o->nro_mode) {
		o->nro_mode = p->mode ? p->mode : UNETMAP_MODE_SOFTWARE;
		snprintf(o->nro_desc, sizeof(o->nro_desc), "%.40s: %s port", p->name, p->ops->kind);
	}
}

int
ctrl_register(const struct ctrl_ctx *cx)
{
	static const uint32_t consumes[] = { NETMAP_REQ_OPT_UNETMAP_PORT_MODE,
	    NETMAP_REQ_OPT_OFFSETS, 0 };
	struct offsets_plan offs = { 0 };
	struct client *c = cx->target;
	struct ctrl_req *rq = cx->rq;
	struct ctrl_reply *rp = cx->rp;
	struct ctrl_err *e = cx->e;
	struct nmreq_register *req = rq->body;
	struct nmreq_option *pm;
	const char *name = rq->hdr.nr_name;
	struct binding *b;
	struct port *p;
	uint32_t head;
	int err;

	if (c->b)
		return ctrl_fail(e, EBUSY, "%s: this descriptor is already bound to %s", name,
		    c->b->port->name);
	err = ctrl_options_check(cx, consumes);
	if (err)
		return err;
	/* our port-mode option is understood even when the request then fails */
	pm = ctrl_option(cx, NETMAP_REQ_OPT_UNETMAP_PORT_MODE,
	    sizeof(struct nmreq_opt_unetmap_port_mode));
	if (pm)
		pm->nro_status = 0;
	if (req->nr_mode == NR_REG_PIPE_MASTER || req->nr_mode == NR_REG_PIPE_SLAVE)
		return ctrl_fail(e, EINVAL, "%s: pipe modes exist only in the legacy API; "
		    "name the pipe as x{N or x}N", name);
	b = calloc(1, sizeof(*b));
	if (!b)
		return ctrl_fail(e, ENOMEM, "%s: out of memory", name);
	if (getrandom(b->cap, sizeof(b->cap), 0) != sizeof(b->cap)) {
		free(b);
		return ctrl_fail(e, EIO, "%s: no random bytes for the binding's secret: %s", name,
		    strerror(errno));
	}
	b->mode = req->nr_mode;	/* NR_REG_DEFAULT is the legacy API's, decoded there */
	b->ringid = req->nr_ringid;
	b->flags = req->nr_flags;
	b->nifp = -1;
	err = port_lookup(cx, name, req, true, &p);
	if (err) {
		free(b);
		return err;
	}
	b->port = p;
	if ((err = client_may_map(cx->asker, name, p->reg, e)))
		goto fail;
	if (p->claimed_by && !c->internal) {
		err = ctrl_fail(e, EBUSY, "%s: %s", name, p->claimed_by);
		goto fail;
	}
	err = p->ops->check_mode(p, b->mode, e);
	if (!err)
		err = ring_ranges(b, p, e);
	if (!err)
		err = check_exclusive(b, p, e);
	if (!err)
		err = offsets_check(cx, p, b, &offs);
	if (err)
		goto fail;
	b->extra_bufs = alloc_extra(p->reg, req->nr_extra_bufs, &head);
	err = make_nifp(b, p, head, e);
	if (err) {
		region_buf_free_list(p->reg, head);
		goto fail;
	}
	err = p->ops->bind ? p->ops->bind(cx, p, b) : 0;
	if (!err) {
		err = make_bind_reply(b, rp, e);
		if (err && p->ops->unbind)
			p->ops->unbind(p, b);
	}
	if (err) {
		region_buf_free_list(p->reg, head);
		region_if_free(p->reg, (uint32_t)b->nifp);
		goto fail;
	}
	offsets_apply(p, b, &offs);	/* before ring_users counts us */
	for (int t = 0; t < NR_DIRS; t++)
		for (uint32_t i = b->first[t]; i < b->last[t]; i++) {
			p->ring_users[t][i]++;
			if (b->flags & NR_EXCLUSIVE)
				p->ring_excl[t][i] = 1;
		}
	p->nbind++;
	port_release(p);	/* the binding keeps it now */
	b->cl = c;
	c->b = b;

	req->nr_offset = rp->bind->nifp_ofs;
	req->nr_memsize = p->reg->L.memsize;
	req->nr_tx_slots = p->nslots[NR_TX];
	req->nr_rx_slots = p->nslots[NR_RX];
	req->nr_tx_rings = p->nrings[NR_TX];
	req->nr_rx_rings = p->nrings[NR_RX];
	req->nr_host_tx_rings = p->nhost[NR_TX];
	req->nr_host_rx_rings = p->nhost[NR_RX];
	req->nr_mem_id = p->reg->id;
	req->nr_extra_bufs = b->extra_bufs;
	port_mode_reply(cx, p);
	unm_debug("pid %d bound %s mode %u rings tx [%u,%u) rx [%u,%u), %u extra buffers",
	    (int)c->pid, p->name, b->mode, b->first[NR_TX], b->last[NR_TX],
	    b->first[NR_RX], b->last[NR_RX], b->extra_bufs);
	return 0;
fail:
	port_release(p);
	free(b);
	return err;
}

void
binding_release(struct binding *b)
{
	struct port *p = b->port;
	struct region *r = p->reg;

	if (p->ops->unbind)
		p->ops->unbind(p, b);
	for (int t = 0; t < NR_DIRS; t++)
		for (uint32_t i = b->first[t]; i < b->last[t]; i++) {
			p->ring_users[t][i]--;
			if (b->flags & NR_EXCLUSIVE)
				p->ring_excl[t][i] = 0;
		}
	if (b->nifp >= 0) {
		/* whatever list the application left there, as netmap does */
		uint32_t n = region_buf_free_list(r, region_if(r, (uint32_t)b->nifp)->ni_bufs_head);

		if (n != b->extra_bufs)
			unm_debug("%s: %u extra buffers returned, %u were given", p->name,
			    n, b->extra_bufs);
		region_if_free(r, (uint32_t)b->nifp);
	}
	if (b->cl)
		b->cl->b = NULL;
	free(b);
	if (--p->nbind == 0)
		offsets_forget(p);	/* as netmap's krings go with the last descriptor */
	if (p->nbind == 0 && p->holds == 0)
		p->ops->idle(p);
}

int
ctrl_adopt(struct client *c, struct ctrl_reply *rp, struct ctrl_err *e)
{
	return c->b ? make_bind_reply(c->b, rp, e) : 0;
}

