/*
 * ctl.c - the VALE requests of netmap's API, as valectl sends them:
 * VALE_LIST (walk switches and ports, or find one), VALE_NEWIF / DELIF
 * (persistent ports), VALE_ATTACH / DETACH, and our counters request.
 * Network interfaces are attached by attach.c, which also runs polling.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "daemon/adapters/vale/vale.h"
#include "unetmap.h"

#define NOPORT 255u	/* VALE_LIST: netmap's NM_BDG_NOPORT */

static int
do_list(const struct ctrl_ctx *cx)
{
	const struct client *asker = cx->asker;
	struct ctrl_req *rq = cx->rq;
	struct ctrl_err *e = cx->e;
	struct nmreq_vale_list *l = rq->body;
	char *name = rq->hdr.nr_name;

	if (name[0]) {	/* where is this one? */
		char sw[VALE_NAME_MAX], pname[VALE_NAME_MAX];
		struct vswitch *s;
		struct port *p;
		int err = vale_parse(name, sw, pname, ENOENT, e);	/* "vale0": no switch */

		if (err)
			return err;
		s = vale_switch_find(sw, asker->netns);
		if (!s)
			return ctrl_fail(e, ENOENT, "%s: no switch %s", name, sw);
		p = vale_switch_port(s, pname);
		l->nr_bridge_idx = (uint16_t)s->idx;
		l->nr_port_idx = p ? ((struct vport *)p->priv)->idx : NOPORT;
		return 0;
	}
	/* the first port at or after (bridge, port), as netmap walks them */
	for (uint32_t b = l->nr_bridge_idx, j = l->nr_port_idx; b < VALE_MAX_SWITCHES; b++, j = 0) {
		struct vswitch *s = vale_by_idx[b];

		if (!s || s->netns != asker->netns)
			continue;
		for (; j < VALE_MAX_PORTS; j++) {
			struct port *p = s->ports[j];

			if (!p)
				continue;
			snprintf(name, sizeof(rq->hdr.nr_name), "%s:%s", s->name,
			    ((struct vport *)p->priv)->pname);
			l->nr_bridge_idx = (uint16_t)b;
			l->nr_port_idx = j;
			return 0;
		}
	}
	return ENOENT;	/* the end of the walk, not an error worth a message */
}

/*
 * A persistent port is named as netmap's, a Linux interface, may be: 1 to
 * 15 characters, no '/', ':' or blanks (the kernel's dev_valid_name), not
 * "." or ".."; and, ours, no control characters (listings, logs)
 */
static int
newif_name(const char *name, struct ctrl_err *e)
{
	if (!name[0] || strlen(name) >= VALE_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strpbrk(name, "/:") || !vale_printable(name))
		return ctrl_fail(e, EINVAL, "%s: a persistent port's name is what an interface's "
		    "may be: 1 to %u characters, no '/', ':', blanks or control characters, "
		    "not . or ..", name, VALE_NAME_MAX - 1);
	return 0;
}

static int
do_newif(const struct ctrl_ctx *cx)
{
	struct ctrl_req *rq = cx->rq;
	struct ctrl_err *e = cx->e;
	struct nmreq_vale_newif *ni = rq->body;
	const char *name = rq->hdr.nr_name;
	struct port *p;
	int err;

	if (strncmp(name, "vale", 4) == 0) {
		/* a switch's own interface, the equivalent of bridge0 */
		if (!strchr(name, ':') && strlen(name) < VALE_NAME_MAX &&
		    vale_ident(name + 4, strlen(name) - 4, true))
			return attach_hostif(cx, name);
		return ctrl_fail(e, EINVAL, "%s: names starting with \"vale\" are switches "
		    "(valectl -n valeX gives switch valeX an interface of its own)", name);
	}
	err = newif_name(name, e);
	if (err)
		return err;
	/* (netmap fills the reply here too, but NIOCCTRL copies no body back on an error) */
	if (port_find(name))
		return ctrl_fail(e, EEXIST, "%s: a port of that name exists", name);
	if (strlen(name) < IF_NAMESIZE && if_nametoindex(name))
		return ctrl_fail(e, EEXIST, "%s: that is the name of a network interface", name);
	err = vale_port_new(name, name, true, ni->nr_tx_rings, ni->nr_rx_rings, ni->nr_tx_slots,
	    ni->nr_rx_slots, 0, ni->nr_mem_id, &p, e);
	if (err)
		return err;
	ni->nr_tx_rings = p->nrings[NR_TX];
	ni->nr_rx_rings = p->nrings[NR_RX];
	ni->nr_tx_slots = p->nslots[NR_TX];
	ni->nr_rx_slots = p->nslots[NR_RX];
	ni->nr_mem_id = p->reg->id;
	unm_info("persistent port %s created (memory region %u)", name, p->reg->id);
	return 0;
}

/* is @name a network interface of the asker's namespace? */
static bool
is_iface(const struct ctrl_ctx *cx, const char *name)
{
	struct nmreq_register req = { .nr_mode = NR_REG_ALL_NIC };
	struct ctrl_err ignored;
	struct ctrl_ctx own = *cx;
	struct port *p;
	bool r;

	own.e = &ignored;
	if (port_lookup(&own, name, &req, false, &p) != 0)
		return false;
	r = p->ops == &nic_port_ops;
	port_release(p);
	return r;
}

static int
do_delif(const struct ctrl_ctx *cx)
{
	struct ctrl_req *rq = cx->rq;
	struct ctrl_err *e = cx->e;
	const char *name = rq->hdr.nr_name;
	struct port *p = vale_persistent(name);
	struct vport *v;
	int err;

	if (!p && strncmp(name, "vale", 4) == 0 && (err = attach_hostif_del(cx, name)) >= 0)
		return err;

	if (!p && is_iface(cx, name))	/* netmap: EINVAL, not a VALE port */
		return ctrl_fail(e, EINVAL, "%s: a network interface, not a persistent VALE port",
		    name);
	if (!p)
		return ctrl_fail(e, ENXIO, "%s: no persistent port of that name", name);
	v = p->priv;
	if (v->sw)
		return ctrl_fail(e, EBUSY, "%s: it is attached to %s; detach it first (valectl -d "
		    "%s:%s)", name, v->sw->name, v->sw->name, name);
	if (p->nbind || p->holds)
		return ctrl_fail(e, EBUSY, "%s: it is in use by %d descriptor(s)", name, p->nbind);
	vale_port_free(p);
	unm_info("persistent port %s removed", name);
	return 0;
}

/*
 * Persistent port @p on switch @sw: joins it, or when it is on another
 * switch already, wraps it there (attach.c) as netmap's bwrap does, which
 * joins the two switches.  netmap attaches only what nobody holds: a port
 * open by a program, or wrapped already, is EBUSY with nothing done (netmap
 * leaves the first attach bound in that case: not copied).
 */
static int
attach_persistent(const struct ctrl_ctx *cx, const char *sw, struct port *p,
    struct nmreq_vale_attach *a)
{
	const char *name = cx->rq->hdr.nr_name;
	struct ctrl_err *e = cx->e;
	struct vport *v = p->priv;
	struct vswitch *s;
	int err;

	if (p->claimed_by)
		return ctrl_fail(e, EBUSY, "%s: %s is %s", name, v->pname, p->claimed_by);
	if (p->nbind)
		return ctrl_fail(e, EBUSY, "%s: %s is open by %d descriptor(s); attach it before "
		    "opening it", name, v->pname, p->nbind);
	if (v->sw)
		return attach_wrap(cx, sw, v->pname, &a->reg, &a->port_index);
	/* the port itself goes on the switch: netmap ignores the mode here */
	s = vale_switch_find(sw, cx->asker->netns);
	if (!s && !(s = vale_switch_new(sw, cx->asker->netns, e)))
		return ENOMEM;
	err = vale_join(s, p, e);	/* its failure takes a switch left empty with it */
	if (err)
		return err;
	a->port_index = v->idx;
	snprintf(v->nm_name, sizeof(v->nm_name), "%s:%s", sw, v->pname);	/* netmap renames it */
	unm_info("%s attached to %s as port %u", v->pname, sw, v->idx);
	return 0;
}

static int
do_attach(const struct ctrl_ctx *cx)
{
	const struct client *asker = cx->asker;
	struct ctrl_req *rq = cx->rq;
	struct ctrl_err *e = cx->e;
	struct nmreq_vale_attach *a = rq->body;
	const char *name = rq->hdr.nr_name;
	uint16_t mem_id = a->reg.nr_mem_id;
	char sw[VALE_NAME_MAX], pname[VALE_NAME_MAX];
	struct port *p;
	int err = vale_parse(name, sw, pname, ENOMEM, e);	/* netmap: no switch made */

	if (err)
		return err;
	/* checked, as netmap does; the ports stay in their regions */
	if (mem_id > 1 && !region_find(mem_id))
		return ctrl_fail(e, EINVAL, "%s: memory region %u does not exist", name, mem_id);
	if (vale_switch_port(vale_switch_find(sw, asker->netns), pname))
		return ctrl_fail(e, EBUSY, "%s: %s is on %s already", name, pname, sw);
	p = vale_persistent(pname);
	if (p)
		return attach_persistent(cx, sw, p, a);
	/* not one of ours: a network interface, then (attach.c) */
	if (pname[0] && pname[strlen(pname) - 1] == '^')
		return ctrl_fail(e, EINVAL, "%s: attach the interface, not its host stack: "
		    "valectl -h %s:%.*s", name, sw, (int)strlen(pname) - 1, pname);
	return attach_nic(cx, sw, pname, &a->reg, &a->port_index);
}

static int
do_detach(const struct ctrl_ctx *cx)
{
	const struct client *asker = cx->asker;
	struct ctrl_req *rq = cx->rq;
	struct ctrl_err *e = cx->e;
	struct nmreq_vale_detach *d = rq->body;
	const char *name = rq->hdr.nr_name;
	char sw[VALE_NAME_MAX], pname[VALE_NAME_MAX];
	struct port *p;
	struct vport *v;
	int err = vale_parse(name, sw, pname, ENXIO, e);

	if (err)
		return err;
	err = attach_detach(cx, sw, pname, &d->port_index);
	if (err >= 0)
		return err;	/* an interface: detached, or why not */
	p = vale_switch_port(vale_switch_find(sw, asker->netns), pname);
	if (!p)
		return ctrl_fail(e, ENXIO, "%s: nothing called %s is attached to %s", name, pname, sw);
	v = p->priv;
	if (!v->persistent)	/* netmap: EBUSY, the port is its program's */
		return ctrl_fail(e, EBUSY, "%s: an ephemeral port cannot be detached; it goes "
		    "with its last user", name);
	if (p->claimed_by)
		return ctrl_fail(e, EBUSY, "%s: %s is %s; that goes first", name, pname,
		    p->claimed_by);
	d->port_index = v->idx;
	vale_leave(p);
	unm_info("%s detached from %s", pname, sw);
	return 0;
}

static int
do_stats(const struct ctrl_ctx *cx)
{
	const struct client *asker = cx->asker;
	struct ctrl_req *rq = cx->rq;
	struct ctrl_err *e = cx->e;
	struct nmreq_unetmap_vale_stats *st = rq->body;
	const char *name = rq->hdr.nr_name;
	struct port *p;
	struct vport *v;
	struct vale_counters *c;

	if (strncmp(name, "vale", 4) == 0) {
		char sw[VALE_NAME_MAX], pname[VALE_NAME_MAX];
		int err = vale_parse(name, sw, pname, EINVAL, e);

		if (err)
			return err;
		p = vale_switch_port(vale_switch_find(sw, asker->netns), pname);
	} else {
		p = vale_persistent(name);
	}
	if (!p)
		return ctrl_fail(e, ENXIO, "%s: no such VALE port", name);
	v = p->priv;
	memset(st, 0, sizeof(*st));
	st->nr_rx_rings = p->nrings[NR_RX];
	st->nr_tx_rings = p->nrings[NR_TX];
	attach_describe(p, st);
	if (!v->sw) {
		st->nr_bridge_idx = UINT16_MAX;
		st->nr_port_idx = NOPORT;
		return 0;	/* on no switch: nothing counted */
	}
	st->nr_bridge_idx = (uint16_t)v->sw->idx;
	st->nr_port_idx = v->idx;
	c = &v->sw->shm->port[v->idx].c;
	st->rx_frames = c->rx_frames;
	st->rx_bytes = c->rx_bytes;
	st->tx_frames = c->tx_frames;
	st->tx_bytes = c->tx_bytes;
	st->drop_full = c->drop_full;
	st->drop_bad = c->drop_bad;
	st->drop_nodst = c->drop_nodst;
	st->drop_busy = c->drop_busy;
	return 0;
}

int
vale_request(const struct ctrl_ctx *cx)
{
	struct ctrl_req *rq = cx->rq;
	const char *name = rq->hdr.nr_name;

	switch (rq->hdr.nr_reqtype) {
	case NETMAP_REQ_VALE_LIST:
		return do_list(cx);
	case NETMAP_REQ_VALE_NEWIF:
		return do_newif(cx);
	case NETMAP_REQ_VALE_DELIF:
		return do_delif(cx);
	case NETMAP_REQ_VALE_ATTACH:
		return do_attach(cx);
	case NETMAP_REQ_VALE_DETACH:
		return do_detach(cx);
	case NETMAP_REQ_UNETMAP_VALE_STATS:
		return do_stats(cx);
	case NETMAP_REQ_VALE_POLLING_ENABLE:
	case NETMAP_REQ_VALE_POLLING_DISABLE: {
		char sw[VALE_NAME_MAX], pname[VALE_NAME_MAX];
		int err = vale_parse(name, sw, pname, ENXIO, cx->e);

		if (err)
			return err;
		return attach_polling(cx, sw, pname,
		    rq->hdr.nr_reqtype == NETMAP_REQ_VALE_POLLING_ENABLE, rq->body);
	}
	default:
		return ctrl_fail(cx->e, EINVAL, "%s: not a VALE request", name);
	}
}
