/*
 * vale.c - VALE switches, control half (the data half, the forwarding, is
 * lib/adapters/vale.c; the shared state is described in shared/vale_shm.h).
 *
 * `valeX:Y` makes switch valeX on first use and port Y on it, with a
 * private memory region unless @N names one; both go with their last user.
 * Switches live in the network namespace of whoever made them, as
 * netmap's do.  When a port joins, every other port gets an inbound queue
 * from it and it gets one from every other port; the switch's generation
 * is bumped so senders refresh their view of the switch.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>
#include <net/if.h>

#include "daemon/unetmapd.h"
#include "shared/vale_shm.h"
#include "daemon/adapters/vale/vale.h"

static struct vswitch *switches;
struct vswitch *vale_by_idx[VALE_MAX_SWITCHES];

/* letters, digits and _ only: what netmap's nm_is_id_char takes in a switch name */
bool
vale_ident(const char *s, size_t len, bool may_be_empty)
{
	if (len == 0)
		return may_be_empty;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* no blanks or control characters (netmap takes them; our listings and logs cannot) */
bool
vale_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

struct vswitch *
vale_switch_find(const char *name, uint64_t netns)
{
	for (struct vswitch *s = switches; s; s = s->next)
		if (s->netns == netns && strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

struct vswitch *
vale_switch_new(const char *name, uint64_t netns, struct ctrl_err *e)
{
	struct vswitch *s;
	char fname[32];
	uint32_t idx;

	for (idx = 0; idx < VALE_MAX_SWITCHES && vale_by_idx[idx]; idx++)
		;
	if (idx == VALE_MAX_SWITCHES) {
		ctrl_fail(e, ENOMEM, "%s: there are %u switches already", name,
		    VALE_MAX_SWITCHES);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		ctrl_fail(e, ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	s->idx = idx;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->netns = netns;
	snprintf(fname, sizeof(fname), "unetmap-%s", name);
	s->memfd = memfd_create(fname, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (s->memfd < 0 || ftruncate(s->memfd, sizeof(struct vale_shm)) < 0 ||
	    fcntl(s->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0 ||
	    (s->shm = mmap(NULL, sizeof(struct vale_shm), PROT_READ | PROT_WRITE, MAP_SHARED,
	    s->memfd, 0)) == MAP_FAILED) {
		ctrl_fail(e, ENOMEM, "%s: cannot create the switch's memory: %s", name,
		    strerror(errno));
		if (s->memfd >= 0)
			close(s->memfd);
		free(s);
		return NULL;
	}
	s->shm->magic = VALE_MAGIC;
	s->shm->max_ports = VALE_MAX_PORTS;
	snprintf(s->shm->name, sizeof(s->shm->name), "%s", name);
	if (getrandom(&s->shm->uuid, sizeof(s->shm->uuid), 0) != sizeof(s->shm->uuid))
		s->shm->uuid = (uint64_t)(uintptr_t)s;
	for (uint32_t i = 0; i < VALE_MAX_PORTS; i++) {
		for (uint32_t j = 0; j < VALE_MAX_PORTS; j++)
			s->shm->port[i].inq[j] = UINT32_MAX;
		for (uint32_t j = 0; j < VALE_MAX_RETIRED; j++)
			s->shm->port[i].retired[j] = UINT32_MAX;
	}
	s->next = switches;
	switches = s;
	vale_by_idx[idx] = s;
	unm_debug("switch %s created", name);
	return s;
}

static void
switch_free(struct vswitch *s)
{
	vale_by_idx[s->idx] = NULL;
	for (struct vswitch **pp = &switches; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	munmap(s->shm, sizeof(*s->shm));
	close(s->memfd);
	unm_debug("switch %s destroyed", s->name);
	free(s);
}

static void
bump(struct vswitch *s)
{
	__atomic_add_fetch(&s->shm->gen, 1, __ATOMIC_RELEASE);
}

static void
free_ring(struct region *r, uint32_t ri)
{
	region_ring_free_bufs(r, ri);
	region_ring_free(r, ri);
}

/* the inbound queue of @to from sender @from, in @to's region */
static int
inq_new(struct vswitch *s, struct port *to, uint32_t from, struct ctrl_err *e)
{
	struct vport *v = to->priv;
	int ri = region_ring_new(to->reg, VALE_INQ_SLOTS, NR_RX, 0, to->name, e);

	if (ri < 0)
		return -ri;
	region_kring(to->reg, (uint32_t)ri)->aux[0] = from;
	if (!region_ring_fill(to->reg, (uint32_t)ri)) {
		free_ring(to->reg, (uint32_t)ri);
		return ctrl_fail(e, ENOMEM, "%s: memory region %u is out of buffers", to->name,
		    to->reg->id);
	}
	__atomic_store_n(&s->shm->port[v->idx].inq[from], (uint32_t)ri, __ATOMIC_RELEASE);
	return 0;
}

static void
inq_free(struct vswitch *s, struct port *to, uint32_t from)
{
	struct vport *v = to->priv;
	uint32_t ri = s->shm->port[v->idx].inq[from];

	__atomic_store_n(&s->shm->port[v->idx].inq[from], UINT32_MAX, __ATOMIC_RELEASE);
	/* the daemon's own record of it is the ring's aux[0]: trust only that */
	if (ri < to->reg->L.ring.num && to->reg->ring_used[ri] &&
	    region_kring(to->reg, ri)->aux[0] == from)
		free_ring(to->reg, ri);
}

/* rings to free at the next tick: no receiver can still be reading them then */
struct doomed {
	struct doomed *next;
	struct region *reg;
	uint32_t ring;
};
static struct doomed *doomed;

/*
 * The queue of @to from the sender @from, which is leaving: frames still
 * in it are delivered first (the receiver drains its retired queues too);
 * an empty one, or one with no retired slot left, goes at once.
 */
static void
inq_retire(struct vswitch *s, struct port *to, uint32_t from)
{
	struct vale_port_shm *ps = &s->shm->port[((struct vport *)to->priv)->idx];
	uint32_t ri = ps->inq[from];
	struct unm_kring *k;

	if (ri >= to->reg->L.ring.num || !to->reg->ring_used[ri] ||
	    region_kring(to->reg, ri)->aux[0] != from)
		return;
	k = region_kring(to->reg, ri);
	if (__atomic_load_n(&k->pipe_tail, __ATOMIC_ACQUIRE) != k->nr_hwcur)
		for (uint32_t j = 0; j < VALE_MAX_RETIRED; j++)
			if (ps->retired[j] == UINT32_MAX) {
				__atomic_store_n(&ps->retired[j], ri, __ATOMIC_RELEASE);
				__atomic_store_n(&ps->inq[from], UINT32_MAX, __ATOMIC_RELEASE);
				k->aux[0] = UINT32_MAX;	/* nobody's queue any more */
				return;
			}
	inq_free(s, to, from);
}

/* frees what the last tick doomed; dooms what receivers have drained since */
static void
vale_tick(void)
{
	while (doomed) {
		struct doomed *d = doomed;

		doomed = d->next;
		free_ring(d->reg, d->ring);
		region_unref(d->reg);
		free(d);
	}
	for (struct vswitch *s = switches; s; s = s->next)
		for (uint32_t i = 0; i < VALE_MAX_PORTS; i++) {
			struct port *p = s->ports[i];
			struct vale_port_shm *ps = &s->shm->port[i];

			for (uint32_t j = 0; p && j < VALE_MAX_RETIRED; j++) {
				uint32_t ri = ps->retired[j];
				struct unm_kring *k;
				struct doomed *d;

				if (ri == UINT32_MAX)
					continue;
				k = region_kring(p->reg, ri);
				if (ri < p->reg->L.ring.num && p->reg->ring_used[ri] &&
				    __atomic_load_n(&k->pipe_tail, __ATOMIC_ACQUIRE) != k->nr_hwcur)
					continue;	/* still frames in it */
				__atomic_store_n(&ps->retired[j], UINT32_MAX, __ATOMIC_RELEASE);
				d = malloc(sizeof(*d));
				if (!d) {
					free_ring(p->reg, ri);
					continue;
				}
				d->reg = p->reg;
				region_ref(d->reg);	/* the port may go before the next tick */
				d->ring = ri;
				d->next = doomed;
				doomed = d;
			}
		}
}

/* takes @p off its switch: queues, table entries, the switch if it was the last */
void
vale_leave(struct port *p)
{
	struct vport *v = p->priv;
	struct vswitch *s = v->sw;
	struct vale_port_shm *ps;

	if (!s)
		return;
	ps = &s->shm->port[v->idx];
	if (s->shm->icpt_port == v->idx + 1) {
		__atomic_store_n(&s->shm->icpt_port, 0, __ATOMIC_RELEASE);
		unm_info("%s: interception ended: the switch forwards by itself again", s->name);
	}
	__atomic_store_n(&ps->state, VALE_PORT_FREE, __ATOMIC_RELEASE);
	for (uint32_t q = 0; q < VALE_MAX_PORTS; q++) {
		if (q != v->idx && s->ports[q]) {
			inq_retire(s, s->ports[q], v->idx);	/* what it sent still arrives */
			inq_free(s, p, q);
		}
		ps->inq[q] = UINT32_MAX;
	}
	for (uint32_t j = 0; j < VALE_MAX_RETIRED; j++) {
		free_ring(p->reg, ps->retired[j]);	/* what it had left to read */
		ps->retired[j] = UINT32_MAX;
	}
	/* forget what the switch learned about it */
	for (uint32_t i = 0; i < VALE_MAC_BUCKETS; i++) {
		uint64_t m = s->shm->mac[i];

		if (m && VALE_MAC_PORT(m) == v->idx)
			__atomic_store_n(&s->shm->mac[i], 0, __ATOMIC_RELAXED);
	}
	memset(&ps->c, 0, sizeof(ps->c));
	bump(s);
	if (s->ports[v->idx] == p) {
		s->ports[v->idx] = NULL;
		s->nports--;
	}
	v->sw = NULL;
	vale_mark_attach(p);
	unm_debug("%s left switch %s", p->name, s->name);
	if (s->nports == 0)
		switch_free(s);
}

/* puts @p on switch @s: an index, queues both ways with every other port */
int
vale_join(struct vswitch *s, struct port *p, struct ctrl_err *e)
{
	struct vport *v = p->priv;
	struct vale_port_shm *ps;
	uint32_t idx;
	int err = 0;

	for (idx = 0; idx < VALE_MAX_PORTS && s->ports[idx]; idx++)
		;
	if (idx == VALE_MAX_PORTS)
		return ctrl_fail(e, ENOMEM, "%s: switch %s is full (%u ports)", p->name, s->name,
		    VALE_MAX_PORTS);
	v->sw = s;
	v->idx = idx;
	s->ports[idx] = p;
	s->nports++;
	for (uint32_t q = 0; !err && q < VALE_MAX_PORTS; q++)
		if (q != idx && s->ports[q]) {
			err = inq_new(s, p, q, e);
			if (!err)
				err = inq_new(s, s->ports[q], idx, e);
		}
	if (err) {
		char why[UNM_ERRMSG_MAX];

		/* the queues are the other ports' too: say which port could not join */
		snprintf(why, sizeof(why), "%s", e->msg);
		vale_leave(p);
		return ctrl_fail(e, err, "%s: cannot join %s (%d ports on it): %s", p->name,
		    s->name, s->nports, why);
	}
	ps = &s->shm->port[idx];
	ps->mem_id = p->reg->id;
	ps->region_uuid = p->reg->uuid;
	ps->ntx = p->nrings[NR_TX];
	ps->nrx = p->nrings[NR_RX];
	__atomic_store_n(&ps->hdr_len, v->hdr_len, __ATOMIC_RELAXED);
	snprintf(ps->name, sizeof(ps->name), "%s", v->pname);
	for (uint32_t i = 0; i < (uint32_t)p->nrings[NR_RX] + p->nhost[NR_RX] &&
	    i < VALE_MAX_RINGS; i++)
		ps->rx_ring[i] = p->ring_idx[NR_RX][i];
	ps->gen++;
	__atomic_store_n(&ps->state, VALE_PORT_ACTIVE, __ATOMIC_RELEASE);
	bump(s);
	vale_mark_attach(p);
	unm_debug("%s: port %u of %s, memory region %u", p->name, idx, s->name, p->reg->id);
	return 0;
}

/*
 * Tells the port's data path that it moved: its rings learn their index
 * (aux[0]) and see aux[1] change, so they map the new switch.
 */
void
vale_mark_attach(struct port *p)
{
	struct vport *v = p->priv;

	for (int t = 0; t < NR_DIRS; t++)
		for (uint32_t i = 0; p->ring_idx[t] && i < (uint32_t)p->nrings[t] + p->nhost[t]; i++) {
			struct unm_kring *k;

			if (p->ring_idx[t][i] == UINT32_MAX)
				continue;
			k = region_kring(p->reg, p->ring_idx[t][i]);
			k->aux[0] = v->sw ? v->idx : UINT32_MAX;
			__atomic_add_fetch(&k->aux[1], 1, __ATOMIC_RELEASE);
		}
}

/* everything of @p, in whatever state a failed creation left it */
void
vale_port_free(struct port *p)
{
	struct vport *v = p->priv;

	vale_leave(p);
	port_free_bufs(p);
	for (int t = 0; t < NR_DIRS; t++)
		for (uint32_t i = p->nrings[t]; p->ring_idx[t] && i < p->nrings[t] + p->nhost[t]; i++)
			if (p->ring_idx[t][i] != UINT32_MAX)
				region_ring_free_bufs(p->reg, p->ring_idx[t][i]);
	free(v);
	port_destroy(p);
}

static uint32_t
bounded(uint32_t v, uint32_t dflt, uint32_t hi)
{
	return v == 0 ? dflt : v > hi ? hi : v;
}

/* a port with its region and rings, on no switch yet */
int
vale_port_new(const char *name, const char *pname, bool persistent, uint32_t ntx,
    uint32_t nrx, uint32_t txslots, uint32_t rxslots, uint16_t nhost, uint16_t mem_id,
    struct port **out, struct ctrl_err *e)
{
	struct port *p = calloc(1, sizeof(*p));
	struct vport *v = calloc(1, sizeof(*v));
	int err;

	if (!p || !v) {
		free(p);
		free(v);
		return ctrl_fail(e, ENOMEM, "%s: out of memory", name);
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(v->pname, sizeof(v->pname), "%s", pname);
	v->persistent = persistent;
	p->ops = &vale_port_ops;
	p->sync_kind = UNM_SYNC_VALE;
	p->priv = v;
	if (mem_id) {
		p->reg = region_by_id(mem_id, e);
		if (!p->reg) {
			free(v);
			free(p);
			return ctrl_fail(e, EINVAL, "%s: memory region %u does not exist", name, mem_id);
		}
	} else if (!(p->reg = region_new_private(&region_cfg_private, e))) {
		free(v);
		free(p);
		return ENOMEM;
	}
	region_ref(p->reg);
	p->nrings[NR_TX] = (uint16_t)bounded(ntx, 1, VALE_MAX_RINGS);
	p->nrings[NR_RX] = (uint16_t)bounded(nrx, 1, VALE_MAX_RINGS);
	p->nslots[NR_TX] = bounded(txslots, UNM_DEFAULT_SLOTS, VALE_MAX_SLOTS);
	p->nslots[NR_RX] = bounded(rxslots, UNM_DEFAULT_SLOTS, VALE_MAX_SLOTS);
	p->nhost[NR_TX] = p->nhost[NR_RX] = nhost;
	port_add(p);
	err = port_make_rings(p, e);
	if (!err)
		err = port_fill_rings(p, e);
	/* the host rings of an interceptor carry frames too */
	for (int t = 0; !err && t < NR_DIRS; t++)
		for (uint32_t i = p->nrings[t]; !err && i < p->nrings[t] + nhost; i++)
			if (!region_ring_fill(p->reg, p->ring_idx[t][i]))
				err = ctrl_fail(e, ENOMEM, "%s: memory region %u is out of buffers",
				    name, p->reg->id);
	if (err) {
		vale_port_free(p);
		return err;
	}
	vale_mark_attach(p);
	*out = p;
	return 0;
}

/* the port named @pname on switch @s */
struct port *
vale_switch_port(struct vswitch *s, const char *pname)
{
	for (uint32_t i = 0; s && i < VALE_MAX_PORTS; i++) {
		struct port *p = s->ports[i];

		if (p && strcmp(((struct vport *)p->priv)->pname, pname) == 0)
			return p;
	}
	return NULL;
}

/*
 * Splits "valeX:Y" into the switch and the port names, read as netmap's
 * nm_bdg_name_validate reads them: "vale", letters, digits or _ up to a
 * ':' among the first 16 characters, then at most 15 characters of any
 * kind (Y may be empty, as netmap's may).  EINVAL without the "vale"
 * prefix; @bad for a name netmap rejects (the errno depends on the
 * request: ENOMEM where netmap would have made the switch, ENXIO where it
 * looked one up, ENOENT for VALE_LIST).
 */
int
vale_parse(const char *name, char *sw, char *pname, int bad, struct ctrl_err *e)
{
	const char *colon = strchr(name, ':');

	if (strncmp(name, "vale", 4) != 0)
		return ctrl_fail(e, EINVAL, "%s: a VALE port is named valeX:Y", name);
	if (!colon || (size_t)(colon - name) >= VALE_NAME_MAX ||
	    !vale_ident(name + 4, (size_t)(colon - name - 4), true))
		return ctrl_fail(e, bad, "%s: not a switch port: valeX:Y, the switch name \"vale\" "
		    "and up to %u letters, digits or _", name, VALE_NAME_MAX - 5);
	if (strlen(colon + 1) >= VALE_NAME_MAX)
		return ctrl_fail(e, bad, "%s: a port name on a switch has at most %u characters",
		    name, VALE_NAME_MAX - 1);
	memcpy(sw, name, (size_t)(colon - name));
	sw[colon - name] = '\0';
	strcpy(pname, colon + 1);
	return 0;
}

/* a persistent port, by its bare name */
struct port *
vale_persistent(const char *name)
{
	struct port *p = port_find(name);

	return p && p->ops == &vale_port_ops && ((struct vport *)p->priv)->persistent ? p : NULL;
}

/*
 * "valeX" (no port): the switch's own interface opened in netmap mode - the
 * interceptor (shared/vale_shm.h, "Interception").  A port of the switch
 * named "*" with one ring pair (the interface's NIC rings) and one host
 * ring pair; it lives while someone has it open, and while it does every
 * frame entering the switch goes to it.
 */
static int
icpt_lookup(const char *name, uint64_t netns, struct nmreq_register *req, bool create,
    struct port **out, struct ctrl_err *e)
{
	struct vswitch *s = NULL;
	struct port *p;
	uint32_t hp;
	uint16_t mem_id;
	int err;

	if (strlen(name) < VALE_NAME_MAX && vale_ident(name + 4, strlen(name) - 4, true))
		s = vale_switch_find(name, netns);
	if (!s || !s->shm->host_port)
		return ctrl_fail(e, ENXIO, "%s: %s", name, s ? "the switch has no interface of its "
		    "own to intercept (valectl -n gives it one)" : "a VALE port is named valeX:Y, "
		    "and no switch of that name has an interface of its own (valectl -n)");
	p = vale_switch_port(s, "*");
	if (p) {
		*out = p;
		return 0;
	}
	if (!create)
		return ctrl_fail(e, ENXIO, "%s: not intercepted", name);
	/*
	 * By default in the region of the switch's interface (its attachment's,
	 * region 1), where the members' frames and ours can change hands by
	 * buffer exchange (unetmap_tx_exchange) instead of copies.
	 */
	mem_id = req->nr_mem_id;
	hp = s->shm->host_port;
	if (mem_id == 0 && hp >= 1 && hp <= VALE_MAX_PORTS && s->ports[hp - 1])
		mem_id = s->ports[hp - 1]->reg->id;
	err = vale_port_new(name, "*", false, 1, 1, req->nr_tx_slots, req->nr_rx_slots, 1,
	    mem_id, &p, e);
	if (err)
		return err;
	err = vale_join(s, p, e);
	if (err) {
		vale_port_free(p);
		return err;
	}
	__atomic_store_n(&s->shm->icpt_port, ((struct vport *)p->priv)->idx + 1,
	    __ATOMIC_RELEASE);
	unm_info("%s: intercepted: every frame entering the switch goes to netmap:%s", name, name);
	*out = p;
	return 0;
}

static int
vale_lookup(const struct ctrl_ctx *cx, const char *name, struct nmreq_register *req,
    bool create, struct port **out)
{
	const struct client *asker = cx->asker;
	struct ctrl_err *e = cx->e;
	char swname[VALE_NAME_MAX], pname[VALE_NAME_MAX];
	uint64_t netns = asker ? asker->netns : 0;
	struct vswitch *s;
	struct port *p;
	int err;

	if (strncmp(name, "vale", 4) != 0) {
		/* a persistent port opens by its bare name */
		p = vale_persistent(name);
		if (!p)
			return -1;
		*out = p;
		return 0;
	}
	if (!strchr(name, ':'))
		return icpt_lookup(name, netns, req, create, out, e);
	err = vale_parse(name, swname, pname, create ? ENOMEM : ENXIO, e);
	if (err)
		return err;
	s = vale_switch_find(swname, netns);
	p = vale_switch_port(s, pname);
	if (p) {
		if (req->nr_mem_id && req->nr_mem_id != p->reg->id)
			return ctrl_fail(e, EINVAL, "%s: the port lives in memory region %u, not %u",
			    name, p->reg->id, req->nr_mem_id);
		*out = p;
		return 0;
	}
	if (!create)
		return ctrl_fail(e, ENXIO, "%s: no such port", name);
	/* netmap would make "valeX:" or "valeX:a b"; our listings could not show them */
	if (!pname[0] || !vale_printable(pname))
		return ctrl_fail(e, EINVAL, "%s: the port name after the switch's is empty, or "
		    "has blanks or control characters", name);
	if (pname[strlen(pname) - 1] == '^' || strcmp(pname, "*") == 0)
		return ctrl_fail(e, ENXIO, "%s: no such port (a name ending in ^ is the host stack "
		    "of an interface attached with valectl -h, * a switch's interceptor)", name);
	/* netmap: "valeX:ifname" is for attach, detach and polling only */
	if (vale_persistent(pname))
		return ctrl_fail(e, EINVAL, "%s: %s is a persistent port, not on %s: attach it "
		    "with valectl -a %s first", name, pname, swname, name);
	if (strlen(pname) < IF_NAMESIZE && if_nametoindex(pname))
		return ctrl_fail(e, EINVAL, "%s: %s is the name of a network interface; attach it "
		    "with valectl -a, or pick another port name", name, pname);
	if (!s && !(s = vale_switch_new(swname, netns, e)))
		return ENOMEM;
	err = vale_port_new(name, pname, false, req->nr_tx_rings, req->nr_rx_rings,
	    req->nr_tx_slots, req->nr_rx_slots, 0, req->nr_mem_id, &p, e);
	if (err) {
		if (s->nports == 0)
			switch_free(s);	/* made for this port alone */
		return err;
	}
	err = vale_join(s, p, e);	/* on failure the switch goes if left empty */
	if (err) {
		vale_port_free(p);
		return err;
	}
	*out = p;
	return 0;
}

static int
vale_check_mode(struct port *p, uint32_t mode, struct ctrl_err *e)
{
	if (p->nhost[NR_RX] && (mode == NR_REG_SW || mode == NR_REG_NIC_SW ||
	    mode == NR_REG_ONE_SW))
		return 0;	/* the interceptor's host rings */
	if (mode != NR_REG_ALL_NIC && mode != NR_REG_ONE_NIC)
		return ctrl_fail(e, EINVAL, "%s: a VALE port has no host rings; bind all its "
		    "rings or one (-N)", p->name);
	return 0;
}

static uint32_t
vale_link(struct port *p, int t, uint32_t i, struct port **lp)
{
	*lp = NULL;
	return UINT32_MAX;
}

static void
vale_idle(struct port *p)
{
	/* ephemeral ports go with their last user; persistent ones stay */
	if (!((struct vport *)p->priv)->persistent)
		vale_port_free(p);
}

static const char *
vale_nifp_name(struct port *p)
{
	struct vport *v = p->priv;

	return v->nm_name[0] ? v->nm_name : p->name;
}

static unsigned
vale_ring_fds(struct port *p, int t, uint32_t i, int *fds, unsigned max)
{
	struct vport *v = p->priv;

	if (max < 1 || !v->sw)
		return 0;
	fds[0] = v->sw->memfd;	/* the data path maps the switch */
	return 1;
}

/* UNM_Q_VALE_PORT: which switch is it on now? the answer carries the switch's memfd */
static int
query_port(const struct client *asker, const char *name, struct ctrl_reply *rp,
    struct ctrl_err *e)
{
	struct port *p = port_find(name);
	struct vale_attachment *a;
	struct vport *v;

	if (!p || p->ops != &vale_port_ops)
		return ctrl_fail(e, ENXIO, "%s: no such VALE port", name);
	/* the switch's memory goes to its ports' users only (a group member: its own port) */
	if (!client_may_see(asker, p->reg))
		return ctrl_fail(e, EPERM, "%s: not a port of yours", name);
	v = p->priv;
	a = calloc(1, sizeof(*a));
	if (!a)
		return ctrl_fail(e, ENOMEM, "%s: out of memory", name);
	a->attached = v->sw != NULL;
	a->idx = v->sw ? v->idx : UINT32_MAX;
	if (v->sw)
		rp->fds[rp->nfds++] = v->sw->memfd;
	rp->data = a;
	rp->data_size = sizeof(*a);
	return 0;
}

/* UNM_Q_VALE_PEERS: where do the ports of switch @arg live? */
static int
query_peers(const struct client *asker, const char *arg, struct ctrl_reply *rp,
    struct ctrl_err *e)
{
	struct vswitch *s;
	struct vale_peers *vp;
	uint32_t n = 0;

	s = vale_switch_find(arg, asker ? asker->netns : 0);
	if (!s)
		return ctrl_fail(e, ENXIO, "%s: no such switch", arg);
	rp->data_size = sizeof(*vp) + (size_t)s->nports * sizeof(vp->p[0]);
	vp = calloc(1, rp->data_size);
	if (!vp)
		return ctrl_fail(e, ENOMEM, "%s: out of memory", arg);
	vp->gen = s->shm->gen;
	for (uint32_t i = 0; i < VALE_MAX_PORTS; i++) {
		struct port *p = s->ports[i];
		struct vale_peer_info *pi;

		/* a group member's ports reach only its own: the sender writes into the receiver's memory */
		if (!p || !client_may_see(asker, p->reg))
			continue;
		pi = &vp->p[n++];
		pi->port = i;
		pi->rx0 = p->ring_idx[NR_RX][0];
		pi->region_uuid = p->reg->uuid;
		pi->region_total = p->reg->L.total;
		pi->memsize = p->reg->L.memsize;
		pi->memfd = (int16_t)rp->nfds;
		rp->fds[rp->nfds++] = p->reg->memfd;
		pi->kfd = -1;
		if (p->reg->ext) {	/* external memory: the kernel part too */
			pi->kfd = (int16_t)rp->nfds;
			rp->fds[rp->nfds++] = p->reg->kfd;
			pi->ext_ofs = p->reg->ext_ofs;
			pi->ext_len = p->reg->ext_len;
		}
		pi->evfd = (int16_t)rp->nfds;
		rp->fds[rp->nfds++] = p->reg->ring_evfd[pi->rx0];
		pi->rx1 = UINT32_MAX;
		pi->evfd1 = -1;
		if (p->nhost[NR_RX]) {	/* the interceptor: its host rx ring too */
			pi->rx1 = p->ring_idx[NR_RX][p->nrings[NR_RX]];
			pi->evfd1 = (int16_t)rp->nfds;
			rp->fds[rp->nfds++] = p->reg->ring_evfd[pi->rx1];
		}
	}
	vp->n = n;
	rp->data = vp;
	return 0;
}

static int
vale_query(const struct ctrl_ctx *cx, const struct unm_query *q)
{
	if (q->type == UNM_Q_VALE_PORT)
		return query_port(cx->asker, q->name, cx->rp, cx->e);
	return query_peers(cx->asker, q->name, cx->rp, cx->e);
}

/*
 * PORT_HDR_GET/SET.  ctrl.c checked the length (0, 10 or 12).  As in
 * netmap, it may change at any time, bound or not: senders read it from
 * the switch's memory at each batch.  It belongs to the port, so a
 * persistent port keeps it from one switch to the next.  An interface's
 * switch port is refused a header: its worker would hand the header to
 * the interface as frame bytes (netmap would pass the offloads to a NIC
 * that has them; ours has none to pass them to).
 */
static int
vale_vnet_hdr(struct port *p, int len, struct ctrl_err *e)
{
	struct vport *v = p->priv;

	if (len < 0)
		return v->hdr_len;
	if (len && p->claimed_by)
		return ctrl_fail(e, EOPNOTSUPP, "%s: an interface on a switch carries no "
		    "virtio-net header (%s)", p->name, p->claimed_by);
	v->hdr_len = (uint16_t)len;
	if (v->sw)
		__atomic_store_n(&v->sw->shm->port[v->idx].hdr_len, v->hdr_len,
		    __ATOMIC_RELEASE);
	unm_debug("%s: virtio-net header of %d bytes", p->name, len);
	return 0;
}

const struct port_ops vale_port_ops = {
	.kind = "vale",
	.lookup = vale_lookup,
	.check_mode = vale_check_mode,
	.link = vale_link,
	.idle = vale_idle,
	.offsets = offsets_always,	/* the switch copies between offsets */
	.nifp_name = vale_nifp_name,
	.ring_fds = vale_ring_fds,
	.queries = 1u << UNM_Q_VALE_PEERS | 1u << UNM_Q_VALE_PORT,
	.query = vale_query,
	.tick = vale_tick,
	.vnet_hdr = vale_vnet_hdr,
};
