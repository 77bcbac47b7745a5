/*
 * monitor.c - netmap monitors, control half: `port/t` (copies of what the
 * port transmits), `port/r` (of what it receives), `port/z` (the buffers
 * themselves, after the port's user is done with them).
 *
 * Each open makes a monitor port in the monitored port's region, with
 * netmap's geometry: an rx ring for each ring index of the monitored port,
 * and one tx ring, whose txsync fails as netmap's does.  When it is bound,
 * each of its rx rings the binding holds is listed (mon_ring[]) in the
 * kring of what feeds it: ring i of the monitored port, in each direction
 * watched.  The monitored port's own syncs - in whatever process runs
 * them - then put frames into the monitor's rings (lib/core/monitor.c);
 * the monitor reads them with its rxsync (lib/adapters/monitor.c).
 *
 * Monitors are anonymous, as netmap's: named "<port>/<z><r><t>#<n>" (in
 * their netmap_if) but not in the registry, so no lookup ever finds one.
 *
 * Zero-copy monitors of one ring form a chain, as netmap's: the first is
 * listed in the port's krings, each later one in the rx ring of the one
 * before it, so a buffer goes down the chain as each monitor releases it.
 * A monitor keeps the port it watches alive, and goes with its own last
 * user.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/adapters/adapters.h"
#include "shared/identity.h"

struct monitor {
	struct monitor *next;		/* every monitor */
	struct port *port;		/* the monitor's own */
	struct port *target;
	uint16_t flags[NR_DIRS];	/* UNM_MON_* per direction, 0: not watched */
	bool bound;
	uint16_t first, last;		/* its rx rings the binding holds: those watch */
	uint64_t seq;			/* when it was bound: its place in a /z chain */
};

#define MON_FLAGS (NR_MONITOR_TX | NR_MONITOR_RX | NR_ZCOPY_MON)
#define MON_MAX_SLOTS 4096u	/* netmap bounds a monitor's slots so */

static struct monitor *monitors;
static uint64_t bind_seq;

/* ------------------------------------------------------ kring lists */

static void
kring_changed(struct unm_kring *k)
{
	k->nmon = 0;
	for (uint32_t j = 0; j < UNM_MAX_MONITORS; j++)
		if (k->mon_ring[j] != UINT32_MAX)
			k->nmon = j + 1;
	__atomic_add_fetch(&k->mon_gen, 1, __ATOMIC_RELEASE);
}

/* lists monitor ring object @mine in @k as @how; false when the list is full */
static bool
kring_add(struct unm_kring *k, uint32_t mine, uint16_t how)
{
	uint32_t j;

	for (j = 0; j < UNM_MAX_MONITORS && k->mon_ring[j] != UINT32_MAX; j++)
		;
	if (j == UNM_MAX_MONITORS)
		return false;
	k->mon_tail[j] = UINT32_MAX;	/* no arrival copied yet */
	k->mon_flags[j] = how;
	__atomic_store_n(&k->mon_ring[j], mine, __ATOMIC_RELEASE);
	kring_changed(k);
	return true;
}

static void
kring_del(struct unm_kring *k, uint32_t mine)
{
	bool found = false;

	for (uint32_t j = 0; j < UNM_MAX_MONITORS; j++)
		if (k->mon_ring[j] == mine) {
			__atomic_store_n(&k->mon_ring[j], UINT32_MAX, __ATOMIC_RELEASE);
			k->mon_flags[j] = 0;
			found = true;
		}
	if (found)
		kring_changed(k);
}

/* ------------------------------------------------------ who feeds whom */

static bool
zcopy(const struct monitor *m)
{
	return m->flags[NR_RX] == UNM_MON_ZCOPY;
}

/* ring object and kring of @m's rx ring @i */
static uint32_t
mine(const struct monitor *m, uint32_t i)
{
	return m->port->ring_idx[NR_RX][i];
}

static struct unm_kring *
rx_kring(const struct monitor *m, uint32_t i)
{
	return region_kring(m->port->reg, mine(m, i));
}

static bool
watches(const struct monitor *m, uint32_t i)
{
	return m->bound && i >= m->first && i < m->last;
}

/* the /z of @m's port and ring @i just before @m in the chain (or just after) */
static struct monitor *
zneighbour(const struct monitor *m, uint32_t i, bool after)
{
	struct monitor *best = NULL;

	for (struct monitor *o = monitors; o; o = o->next) {
		if (o == m || o->target != m->target || !zcopy(o) || !watches(o, i))
			continue;
		if (after ? o->seq > m->seq && (!best || o->seq < best->seq) :
		    o->seq < m->seq && (!best || o->seq > best->seq))
			best = o;
	}
	return best;
}

/*
 * Lists @m's rx ring @i where it is fed: in ring i of the port, in each
 * direction it watches, or for a /z after another in that one's rx ring i
 */
static int
link_ring(struct monitor *m, uint32_t i, struct ctrl_err *e)
{
	struct port *t = m->target;
	struct monitor *prev = zcopy(m) ? zneighbour(m, i, false) : NULL;

	if (prev)
		return kring_add(rx_kring(prev, i), mine(m, i), UNM_MON_ZCOPY) ? 0 :
		    ctrl_fail(e, EBUSY, "%s: rx ring %u of the monitor before has a full list",
		    t->name, i);
	for (int d = 0; d < NR_DIRS; d++)
		if (m->flags[d] && i < t->nrings[d] &&
		    !kring_add(region_kring(t->reg, t->ring_idx[d][i]), mine(m, i), m->flags[d]))
			return ctrl_fail(e, EBUSY, "%s: %s ring %u has %u monitors already", t->name,
			    d == NR_TX ? "tx" : "rx", i, UNM_MAX_MONITORS);
	return 0;
}

/* takes @m's rx ring @i out of every list it may be in */
static void
unlink_ring(struct monitor *m, uint32_t i)
{
	struct port *t = m->target;
	struct monitor *prev = zcopy(m) ? zneighbour(m, i, false) : NULL;

	if (prev)
		kring_del(rx_kring(prev, i), mine(m, i));
	for (int d = 0; d < NR_DIRS; d++)
		if (i < t->nrings[d])
			kring_del(region_kring(t->reg, t->ring_idx[d][i]), mine(m, i));
}

/*
 * @m stops watching: out of every list, and the /z after it in a chain is
 * listed where @m was
 */
static void
unwatch(struct monitor *m)
{
	struct ctrl_err e;

	if (!m->bound)
		return;
	m->bound = false;
	for (uint32_t i = m->first; i < m->last; i++) {
		struct monitor *next = zcopy(m) ? zneighbour(m, i, true) : NULL;

		unlink_ring(m, i);
		if (!next)
			continue;
		kring_del(rx_kring(m, i), mine(next, i));
		if (link_ring(next, i, &e))
			unm_warn("%s", e.msg);	/* cannot happen: we just left that place */
	}
}

/* ------------------------------------------------------ the port */

static int
monitor_bind(const struct ctrl_ctx *cx, struct port *mp, struct binding *b)
{
	struct monitor *m = mp->priv;
	int err = 0;

	m->first = b->first[NR_RX];
	m->last = b->last[NR_RX];
	m->seq = ++bind_seq;
	m->bound = true;
	for (uint32_t i = m->first; i < m->last && !err; i++)
		err = link_ring(m, i, cx->e);
	if (err)
		unwatch(m);
	return err;
}

static void
monitor_unbind(struct port *mp, struct binding *b)
{
	unwatch(mp->priv);
}

/*
 * Before a monitor ring is freed, nobody may still be writing into it: it
 * is out of every list already (unwatch), and a producer that found it
 * listed before that holds its lock while it writes, then checks the
 * list again once it has the lock (lib/core/monitor.c).  So taking the
 * lock - for good: the ring goes - is waiting for the last writer.  A
 * dead holder is taken over; a live one that keeps it (a stopped
 * process) for longer than the wait leaves the ring allocated, leaked
 * rather than written into after reuse.
 */
static bool
quiesce(struct unm_kring *k)
{
	uint32_t me = unm_id_self();

	for (int i = 0; i < 2000; i++) {
		uint32_t cur = 0;

		if (__atomic_compare_exchange_n(&k->lock, &cur, me, false, __ATOMIC_SEQ_CST,
		    __ATOMIC_SEQ_CST))
			return true;
		if (cur == me || (unm_id_dead(cur) && __atomic_compare_exchange_n(&k->lock, &cur,
		    me, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)))
			return true;
		usleep(100);
	}
	return false;
}

static void
monitor_free(struct port *mp)
{
	struct monitor *m = mp->priv;

	unwatch(m);
	for (uint32_t i = 0; i < mp->nrings[NR_RX]; i++)
		if (mp->ring_idx[NR_RX][i] != UINT32_MAX && !quiesce(rx_kring(m, i))) {
			unm_warn("%s: rx ring %u is still being written by a live process after "
			    "200 ms: left allocated", mp->name, i);
			mp->ring_idx[NR_RX][i] = UINT32_MAX;
		}
	for (struct monitor **pp = &monitors; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	port_release(m->target);	/* the monitor held it */
	port_free_bufs(mp);
	free(m);
	port_destroy(mp);
}

/* netmap's nm_bound_var(): 0 is the default, more than 4096 is 4096 */
static uint32_t
slots(uint32_t asked, uint32_t dflt)
{
	uint32_t v = asked ? asked : dflt;

	return v > MON_MAX_SLOTS ? MON_MAX_SLOTS : v;
}

/* a number for the next monitor of @t: one above those of its live monitors */
static unsigned
next_id(const struct port *t)
{
	unsigned id = 0;

	for (struct monitor *o = monitors; o; o = o->next) {
		const char *h = o->target == t ? strrchr(o->port->name, '#') : NULL;
		unsigned v;

		if (h && sscanf(h + 1, "%u", &v) == 1 && v >= id)
			id = v + 1;
	}
	return id;
}

/* a pipe or VALE port's name: netmap would make it, find it idle, and say EINVAL */
static bool
software_name(const char *name)
{
	return strpbrk(name, "{}") || (strncmp(name, "vale", 4) == 0 && strchr(name, ':'));
}

/* the port @name, in use; the hold port_lookup took becomes the monitor's */
static int
target_get(const struct ctrl_ctx *cx, const char *name, struct nmreq_register *req,
    struct port **out)
{
	struct nmreq_register treq = *req;
	int err;

	treq.nr_flags &= ~(uint64_t)MON_FLAGS;
	err = port_lookup(cx, name, &treq, false, out);
	if (err == ENODEV || err == ENOENT || (err == ENXIO && software_name(name)))
		return ctrl_fail(cx->e, EINVAL, "%s: no such port in use; a monitor watches a port "
		    "someone has open", name);
	if (err)
		return err;
	if ((*out)->nbind == 0) {
		port_release(*out);
		return ctrl_fail(cx->e, EINVAL, "%s: nobody has it open; a monitor watches a port "
		    "in use", name);
	}
	if ((*out)->nrings[NR_TX] + (*out)->nrings[NR_RX] == 0) {
		port_release(*out);
		return ctrl_fail(cx->e, EINVAL, "%s: no rings to monitor", name);
	}
	return 0;
}

static int
monitor_lookup(const struct ctrl_ctx *cx, const char *name, struct nmreq_register *req,
    bool create, struct port **out)
{
	struct ctrl_err *e = cx->e;
	uint64_t f = req->nr_flags & MON_FLAGS;
	struct port *t, *mp;
	struct monitor *m;
	int err;

	if (!f || req->nr_mode == NR_REG_NULL)
		return -1;	/* netmap tries the null port first */
	err = target_get(cx, name, req, &t);
	if (err)
		return err;
	mp = calloc(1, sizeof(*mp));
	m = calloc(1, sizeof(*m));
	if (!mp || !m) {
		free(mp);
		free(m);
		port_release(t);
		return ctrl_fail(e, ENOMEM, "%s: out of memory", name);
	}
	if (f & NR_ZCOPY_MON)
		f |= NR_MONITOR_TX | NR_MONITOR_RX;
	snprintf(mp->name, sizeof(mp->name), "%.48s/%s%s%s#%u", name,
	    (f & NR_ZCOPY_MON) ? "z" : "", (f & NR_MONITOR_RX) ? "r" : "",
	    (f & NR_MONITOR_TX) ? "t" : "", next_id(t));
	mp->ops = &monitor_port_ops;
	mp->sync_kind = UNM_SYNC_MONITOR;
	mp->priv = m;
	mp->reg = t->reg;
	region_ref(mp->reg);
	m->port = mp;
	m->target = t;
	m->next = monitors;
	monitors = m;
	if (f & NR_ZCOPY_MON) {	/* both directions, as netmap's /z, which says so in the reply */
		m->flags[NR_TX] = m->flags[NR_RX] = UNM_MON_ZCOPY;
		req->nr_flags |= NR_MONITOR_TX | NR_MONITOR_RX;
	} else {
		m->flags[NR_TX] = (f & NR_MONITOR_TX) ? UNM_MON_COPY : 0;
		m->flags[NR_RX] = (f & NR_MONITOR_RX) ? UNM_MON_COPY : 0;
	}
	/*
	 * netmap's geometry: an rx ring for each ring index of the port, and
	 * one tx ring whose txsync fails; slots as asked, 0 meaning the
	 * port's own count in that direction
	 */
	mp->nrings[NR_RX] = t->nrings[NR_TX] > t->nrings[NR_RX] ? t->nrings[NR_TX] : t->nrings[NR_RX];
	mp->nrings[NR_TX] = 1;
	mp->nslots[NR_RX] = slots(req->nr_rx_slots, t->nslots[NR_RX]);
	mp->nslots[NR_TX] = slots(req->nr_tx_slots, t->nslots[NR_TX]);
	err = port_make_rings(mp, e);
	if (!err)
		err = port_fill_rings(mp, e);
	if (err) {
		monitor_free(mp);
		return err;
	}
	unm_debug("%s: monitor made", mp->name);
	(void)create;
	*out = mp;
	return 0;
}

static int
monitor_check_mode(struct port *p, uint32_t mode, struct ctrl_err *e)
{
	if (mode != NR_REG_ALL_NIC && mode != NR_REG_ONE_NIC)
		return ctrl_fail(e, EINVAL, "%s: a monitor binds all its rings or one (-N)", p->name);
	return 0;
}

static uint32_t
monitor_link(struct port *p, int t, uint32_t i, struct port **lp)
{
	*lp = NULL;
	return UINT32_MAX;
}

/*
 * UNM_Q_MONITORS: the eventfds of the monitor rings listed in that ring's
 * kring, in mon_ring[] order, so its syncs can wake them.
 */
static int
monitor_query(const struct ctrl_ctx *cx, const struct unm_query *q)
{
	struct region *r = region_find(q->mem_id);
	struct ctrl_reply *rp = cx->rp;
	struct unm_kring *k;
	uint32_t *which;

	if (!r || q->ring >= r->L.ring.num || !r->ring_used[q->ring])
		return ctrl_fail(cx->e, EINVAL, "monitor: no ring %u in memory region %u",
		    q->ring, q->mem_id);
	if (!client_may_see(cx->asker, r))
		return ctrl_fail(cx->e, EPERM, "monitor: memory region %u is not yours", r->id);
	k = region_kring(r, q->ring);
	which = calloc(UNM_MAX_MONITORS, sizeof(*which));
	if (!which)
		return ctrl_fail(cx->e, ENOMEM, "out of memory");
	for (uint32_t j = 0; j < UNM_MAX_MONITORS; j++) {
		uint32_t m = k->mon_ring[j];

		which[j] = m;
		if (m < r->L.ring.num && r->ring_used[m] && r->ring_evfd[m] >= 0)
			rp->fds[rp->nfds++] = r->ring_evfd[m];
		else
			which[j] = UINT32_MAX;
	}
	rp->data = which;
	rp->data_size = UNM_MAX_MONITORS * sizeof(*which);
	return 0;
}

/* a copy monitor writes its frames at its own offset; a /z one swaps buffers */
static bool
monitor_offsets(struct port *p, const struct binding *b)
{
	(void)b;
	return !zcopy(p->priv);
}

const struct port_ops monitor_port_ops = {
	.kind = "monitor",
	.lookup = monitor_lookup,
	.check_mode = monitor_check_mode,
	.link = monitor_link,
	.idle = monitor_free,
	.offsets = monitor_offsets,
	.bind = monitor_bind,
	.unbind = monitor_unbind,
	.queries = 1u << UNM_Q_MONITORS,
	.query = monitor_query,
};
