/*
 * pipe.c - netmap pipes, control half: `x{id` (master) and `x}id` (slave).
 *
 * Both ends are made together on the first open of either, in the memory
 * region of the parent port x; when x is no port at all, an anonymous
 * parent with a private region is made for it and goes with its last pipe.
 * A pipe on the name of a network interface lives in the global region
 * (id 1), as netmap puts it in the NIC's memory, without taking the NIC.
 *
 * The tx ring i of one end and the rx ring i of the other are one ring
 * pair: the same number of slots, and one set of buffers that both rings'
 * slots name (the data half, lib/adapters/pipe.c, copies slot descriptors
 * across and never moves buffers in or out of the pair).  So a pair owns
 * exactly num_slots buffers, which pipe_free_pair() gives back.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/adapters/adapters.h"

struct pipe_parent {
	struct pipe_parent *next;
	char name[NETMAP_REQ_IFNAMSIZ];
	struct region *reg;
	uint32_t slots;		/* default slot count of its pipes */
	int npipes;
};

struct pipe_end {
	struct pipe_parent *parent;
	struct port *peer;
	bool master;
};

static struct pipe_parent *parents;

static int
parent_get(const char *name, const char *pipe, uint16_t mem_id, struct pipe_parent **out,
    struct ctrl_err *e)
{
	struct pipe_parent *pp;
	struct port *host = NULL;
	struct region *r;

	for (pp = parents; pp; pp = pp->next)
		if (strcmp(pp->name, name) == 0)
			goto check;
	if ((host = port_find(name))) {
		r = host->reg;
	} else if (strlen(name) < IF_NAMESIZE && if_nametoindex(name)) {
		r = region_global(e);
	} else if (mem_id) {
		r = region_by_id(mem_id, e);
		if (!r)
			return ctrl_fail(e, EINVAL, "%s: memory region %u does not exist",
			    pipe, mem_id);
	} else {
		r = region_new_private(&region_cfg_private, e);
	}
	if (!r)
		return ENOMEM;
	pp = calloc(1, sizeof(*pp));
	if (!pp) {
		if (r->refs == 0)
			region_unref(r);	/* a fresh region nobody uses */
		return ctrl_fail(e, ENOMEM, "%s: out of memory", pipe);
	}
	snprintf(pp->name, sizeof(pp->name), "%s", name);
	pp->reg = r;
	pp->slots = host ? host->nslots[NR_TX] : UNM_DEFAULT_SLOTS;
	region_ref(r);
	pp->next = parents;
	parents = pp;
check:
	if (mem_id && mem_id != pp->reg->id)
		return ctrl_fail(e, EINVAL, "%s: the pipes of %s live in memory region %u, not %u",
		    pipe, name, pp->reg->id, mem_id);
	*out = pp;
	return 0;
}

static void
parent_put(struct pipe_parent *pp)
{
	if (pp->npipes > 0)
		return;
	for (struct pipe_parent **p = &parents; *p; p = &(*p)->next)
		if (*p == pp) {
			*p = pp->next;
			break;
		}
	region_unref(pp->reg);
	free(pp);
}

/* the pair made of tx ring i of @tx_end and rx ring i of its peer */
static void
pipe_free_pair(struct port *tx_end, struct port *rx_end, uint32_t i)
{
	struct region *r = tx_end->reg;
	uint32_t n = tx_end->nslots[NR_TX];
	uint32_t ti, ri;
	struct netmap_ring *tr, *rr;
	struct unm_kring *tk, *rk;
	uint32_t from, to;
	bool split;

	if (!tx_end->ring_idx[NR_TX] || !rx_end->ring_idx[NR_RX])
		return;
	ti = tx_end->ring_idx[NR_TX][i];
	ri = rx_end->ring_idx[NR_RX][i];
	if (ti == UINT32_MAX || ri == UINT32_MAX)
		return;
	tr = region_ring(r, ti);
	rr = region_ring(r, ri);
	tk = region_kring(r, ti);
	rk = region_kring(r, ri);
	/*
	 * Slots sent but not yet released, [rx hwcur, tx hwcur), belong to
	 * the rx ring; all others to the tx ring.  The indices come from
	 * shared memory: if they are out of range, trust the tx ring alone.
	 */
	from = rk->nr_hwcur;
	to = tk->nr_hwcur;
	split = from < n && to < n;
	for (uint32_t k = 0; k < n; k++) {
		bool rx_owns = split && unm_dist(from, k, n) < unm_dist(from, to, n);

		region_buf_free(r, rx_owns ? rr->slot[k].buf_idx : tr->slot[k].buf_idx);
	}
}

static void
pipe_destroy(struct port *a)
{
	struct pipe_end *ea = a->priv;
	struct port *b = ea->peer;
	struct pipe_parent *pp = ea->parent;

	for (uint32_t i = 0; i < a->nrings[NR_TX]; i++)
		pipe_free_pair(a, b, i);
	for (uint32_t i = 0; i < b->nrings[NR_TX]; i++)
		pipe_free_pair(b, a, i);
	free(a->priv);
	free(b->priv);
	port_destroy(a);
	port_destroy(b);
	pp->npipes--;
	parent_put(pp);
}

static struct port *
end_new(struct pipe_parent *pp, const char *name, bool master)
{
	struct port *p = calloc(1, sizeof(*p));
	struct pipe_end *e = calloc(1, sizeof(*e));

	if (!p || !e) {
		free(p);
		free(e);
		return NULL;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->ops = &pipe_port_ops;
	p->sync_kind = UNM_SYNC_PIPE;
	p->reg = pp->reg;
	p->priv = e;
	e->parent = pp;
	e->master = master;
	return p;
}

/* give ring pair i (tx of @a, rx of @b) its buffers, named by both rings */
static int
fill_pair(struct port *a, struct port *b, uint32_t i, struct ctrl_err *e)
{
	struct region *r = a->reg;
	struct netmap_ring *tr = region_ring(r, a->ring_idx[NR_TX][i]);
	struct netmap_ring *rr = region_ring(r, b->ring_idx[NR_RX][i]);

	for (uint32_t k = 0; k < a->nslots[NR_TX]; k++) {
		uint32_t idx = region_buf_alloc(r);

		if (!idx)
			return ctrl_fail(e, ENOMEM, "%s: memory region %u is out of buffers "
			    "(%u of %u left; close other ports in it or use fewer slots)",
			    a->name, r->id, r->buf_free, r->L.buf.num);
		tr->slot[k].buf_idx = rr->slot[k].buf_idx = idx;
	}
	return 0;
}

static uint32_t
bound(uint32_t v, uint32_t dflt, uint32_t hi)
{
	return v == 0 ? dflt : v > hi ? hi : v;
}

static int
pipe_create(const char *name, size_t plen, bool master,
    struct nmreq_register *req, struct port **out, struct ctrl_err *e)
{
	char parent[NETMAP_REQ_IFNAMSIZ], mname[NETMAP_REQ_IFNAMSIZ], sname[NETMAP_REQ_IFNAMSIZ];
	struct pipe_parent *pp = NULL;
	struct port *me, *peer, *m, *s;
	int err;

	memcpy(parent, name, plen);
	parent[plen] = '\0';
	err = parent_get(parent, name, req->nr_mem_id, &pp, e);
	if (err)
		return err;
	snprintf(mname, sizeof(mname), "%s{%s", parent, name + plen + 1);
	snprintf(sname, sizeof(sname), "%s}%s", parent, name + plen + 1);
	m = end_new(pp, mname, true);
	s = end_new(pp, sname, false);
	if (!m || !s) {
		if (m) { free(m->priv); free(m); }
		if (s) { free(s->priv); free(s); }
		parent_put(pp);
		return ctrl_fail(e, ENOMEM, "%s: out of memory", name);
	}
	((struct pipe_end *)m->priv)->peer = s;
	((struct pipe_end *)s->priv)->peer = m;
	region_ref(pp->reg);
	region_ref(pp->reg);
	pp->npipes++;
	me = master ? m : s;
	peer = master ? s : m;
	/* the request describes the end being opened; the peer mirrors it */
	me->nrings[NR_TX] = peer->nrings[NR_RX] = (uint16_t)bound(req->nr_tx_rings, 1, UNM_PIPE_MAXRINGS);
	me->nrings[NR_RX] = peer->nrings[NR_TX] = (uint16_t)bound(req->nr_rx_rings, 1, UNM_PIPE_MAXRINGS);
	me->nslots[NR_TX] = peer->nslots[NR_RX] = bound(req->nr_tx_slots, pp->slots, UNM_PIPE_MAXSLOTS);
	me->nslots[NR_RX] = peer->nslots[NR_TX] = bound(req->nr_rx_slots, pp->slots, UNM_PIPE_MAXSLOTS);
	port_add(m);
	port_add(s);
	err = port_make_rings(m, e);
	if (!err)
		err = port_make_rings(s, e);
	for (uint32_t i = 0; !err && i < m->nrings[NR_TX]; i++)
		err = fill_pair(m, s, i, e);
	for (uint32_t i = 0; !err && i < s->nrings[NR_TX]; i++)
		err = fill_pair(s, m, i, e);
	if (err) {
		pipe_destroy(m);
		return err;
	}
	unm_debug("pipe %s / %s made in memory region %u, %u+%u rings", mname, sname,
	    pp->reg->id, me->nrings[NR_TX], me->nrings[NR_RX]);
	*out = me;
	return 0;
}

static int
pipe_lookup(const struct ctrl_ctx *cx, const char *name, struct nmreq_register *req,
    bool create, struct port **out)
{
	struct ctrl_err *e = cx->e;
	const char *br = strrchr(name, '{');
	bool master = true;
	struct port *p;

	if (!br) {
		br = strrchr(name, '}');
		master = false;
	}
	if (!br)
		return -1;
	if (br == name || br[1] == '\0')
		return ctrl_fail(e, EINVAL, "%s: a pipe needs a parent name before %c and an "
		    "identifier after it", name, *br);
	p = port_find(name);
	if (p && p->ops == &pipe_port_ops) {
		if (req->nr_mem_id && req->nr_mem_id != p->reg->id)
			return ctrl_fail(e, EINVAL, "%s: the pipe lives in memory region %u, "
			    "not %u", name, p->reg->id, req->nr_mem_id);
		*out = p;
		return 0;
	}
	if (p)
		return ctrl_fail(e, EEXIST, "%s: the name is taken by a %s port", name, p->ops->kind);
	if (!create)
		return ctrl_fail(e, ENODEV, "%s: no such pipe", name);
	return pipe_create(name, (size_t)(br - name), master, req, out, e);
}

static int
pipe_check_mode(struct port *p, uint32_t mode, struct ctrl_err *e)
{
	if (mode != NR_REG_ALL_NIC && mode != NR_REG_ONE_NIC)
		return ctrl_fail(e, EINVAL, "%s: a pipe end can be bound only to all its rings "
		    "or to one (-N); host rings (^ *) and other modes do not exist", p->name);
	return 0;
}

static uint32_t
pipe_link(struct port *p, int t, uint32_t i, struct port **lp)
{
	struct port *peer = ((struct pipe_end *)p->priv)->peer;

	*lp = peer;
	return peer->ring_idx[!t][i];
}

static void
pipe_idle(struct port *p)
{
	struct port *peer = ((struct pipe_end *)p->priv)->peer;

	if (peer->nbind == 0 && peer->holds == 0)
		pipe_destroy(p);
}

const struct port_ops pipe_port_ops = {
	.kind = "pipe",
	.lookup = pipe_lookup,
	.check_mode = pipe_check_mode,
	.link = pipe_link,
	.idle = pipe_idle,
	.offsets = offsets_always,	/* zero-copy: the offset travels with the slot */
};
