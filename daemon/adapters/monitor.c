/*
 * monitor.c - netmap monitors, control half: `port/t` (copies of what the
 * port transmits), `port/r` (of what it receives), `port/z` (the buffers
 * themselves, after the port's user is done with them).
 *
 * Each open makes a monitor port in the monitored port's region, with
 * netmap's geometry: an rx ring for each ring index of the monitored port,
 * and one tx ring, whose txsync fails as netmap's does.  It lists its rx
 * rings in the monitored rings' krings (mon_ring[]).  The monitored
 * port's own syncs - in whatever process runs them - then put frames
 * into the monitor's rings (lib/core/monitor.c); the monitor reads them
 * with its rxsync (lib/adapters/monitor.c).  A monitor keeps the port it
 * watches alive, and goes with its own last user.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/adapters/adapters.h"

struct monitor {
	struct port *target;
	uint16_t flags[NR_DIRS];	/* UNM_MON_* per direction, 0: not watched */
};

#define MON_FLAGS (NR_MONITOR_TX | NR_MONITOR_RX | NR_ZCOPY_MON)
#define MON_MAX_SLOTS 4096u	/* netmap bounds a monitor's slots so */

/* takes our rings out of (or puts them in) the target's kring lists */
static int
list_rings(struct port *mp, bool add, struct ctrl_err *e)
{
	struct monitor *m = mp->priv;
	struct port *t = m->target;

	for (int d = 0; d < NR_DIRS; d++) {
		if (!m->flags[d])
			continue;
		for (uint32_t i = 0; i < t->nrings[d]; i++) {
			struct unm_kring *k = region_kring(t->reg, t->ring_idx[d][i]);
			uint32_t mine = mp->ring_idx[NR_RX][i];
			uint32_t j;

			if (add) {
				for (j = 0; j < UNM_MAX_MONITORS && k->mon_ring[j] != UINT32_MAX; j++)
					;
				if (j == UNM_MAX_MONITORS) {
					list_rings(mp, false, e);
					return ctrl_fail(e, EBUSY, "%s: %s ring %u has %u monitors "
					    "already", t->name, d == NR_TX ? "tx" : "rx", i,
					    UNM_MAX_MONITORS);
				}
				k->mon_tail[j] = UINT32_MAX;	/* no arrival copied yet */
				k->mon_flags[j] = m->flags[d];
				__atomic_store_n(&k->mon_ring[j], mine, __ATOMIC_RELEASE);
			} else {
				for (j = 0; j < UNM_MAX_MONITORS; j++)
					if (k->mon_ring[j] == mine) {
						k->mon_ring[j] = UINT32_MAX;
						k->mon_flags[j] = 0;
					}
			}
			k->nmon = 0;
			for (j = 0; j < UNM_MAX_MONITORS; j++)
				if (k->mon_ring[j] != UINT32_MAX)
					k->nmon = j + 1;
			__atomic_add_fetch(&k->mon_gen, 1, __ATOMIC_RELEASE);
		}
	}
	return 0;
}

/* netmap's nm_bound_var(): 0 is the default, more than 4096 is 4096 */
static uint32_t
slots(uint32_t asked, uint32_t dflt)
{
	uint32_t v = asked ? asked : dflt;

	return v > MON_MAX_SLOTS ? MON_MAX_SLOTS : v;
}

static void
monitor_free(struct port *mp)
{
	struct monitor *m = mp->priv;

	if (m->target) {
		list_rings(mp, false, NULL);
		port_release(m->target);	/* the monitor held it */
	}
	port_free_bufs(mp);
	free(m);
	port_destroy(mp);
}

/* a pipe or VALE port's name: netmap would make it, find it idle, and say EINVAL */
static bool
software_name(const char *name)
{
	return strpbrk(name, "{}") || (strncmp(name, "vale", 4) == 0 && strchr(name, ':'));
}

static int
monitor_lookup(const struct ctrl_ctx *cx, const char *name, struct nmreq_register *req,
    bool create, struct port **out)
{
	struct ctrl_err *e = cx->e;
	struct nmreq_register treq = *req;
	uint64_t f = req->nr_flags & MON_FLAGS;
	struct port *t, *mp;
	struct monitor *m;
	int err;

	if (!f)
		return -1;
	treq.nr_flags &= ~(uint64_t)MON_FLAGS;
	err = port_lookup(cx, name, &treq, false, &t);
	if (err == ENODEV || err == ENOENT || (err == ENXIO && software_name(name)))
		return ctrl_fail(e, EINVAL, "%s: no such port in use; a monitor watches a port "
		    "someone has open", name);
	if (err)
		return err;	/* the hold port_lookup took becomes the monitor's */
	if (t->nbind == 0) {
		port_release(t);
		return ctrl_fail(e, EINVAL, "%s: nobody has it open; a monitor watches a port in use",
		    name);
	}
	if (t->nrings[NR_TX] + t->nrings[NR_RX] == 0) {
		port_release(t);
		return ctrl_fail(e, EINVAL, "%s: no rings to monitor", name);
	}
	mp = calloc(1, sizeof(*mp));
	m = calloc(1, sizeof(*m));
	if (!mp || !m) {
		free(mp);
		free(m);
		port_release(t);
		return ctrl_fail(e, ENOMEM, "%s: out of memory", name);
	}
	snprintf(mp->name, sizeof(mp->name), "%.59s/%s%s%s", name,
	    (f & NR_ZCOPY_MON) ? "z" : "", (f & NR_MONITOR_TX) ? "t" : "",
	    (f & NR_MONITOR_RX) ? "r" : "");
	mp->ops = &monitor_port_ops;
	mp->sync_kind = UNM_SYNC_MONITOR;
	mp->priv = m;
	mp->reg = t->reg;
	region_ref(mp->reg);
	m->target = t;
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
	port_add(mp);
	err = port_make_rings(mp, e);
	if (err) {
		monitor_free(mp);
		return err;
	}
	err = port_fill_rings(mp, e);
	if (err) {
		monitor_free(mp);
		return err;
	}
	err = list_rings(mp, true, e);
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

const struct port_ops monitor_port_ops = {
	.kind = "monitor",
	.lookup = monitor_lookup,
	.check_mode = monitor_check_mode,
	.link = monitor_link,
	.idle = monitor_free,
	.queries = 1u << UNM_Q_MONITORS,
	.query = monitor_query,
};
