/*
 * null.c - null ports (nr_mode NR_REG_NULL): rings with no data path,
 * made in an existing memory region, so an application can map a region
 * or get buffers from it.  Every open makes a new one; none is reopened.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/adapters/adapters.h"

static int
null_lookup(const struct ctrl_ctx *cx, const char *name, struct nmreq_register *req,
    bool create, struct port **out)
{
	struct ctrl_err *e = cx->e;
	struct region *r;
	struct port *p;
	int err;

	if (req->nr_mode != NR_REG_NULL)
		return -1;
	if (!create)
		return ctrl_fail(e, EINVAL, "null:%s: null ports cannot be looked up or reopened", name);
	if (req->nr_mem_id == 0 || !(r = region_by_id(req->nr_mem_id, e)))
		return ctrl_fail(e, EINVAL, "null:%s: a null port needs an existing memory "
		    "region (nr_mem_id %u %s)", name, req->nr_mem_id,
		    req->nr_mem_id ? "does not exist" : "not given");
	if (req->nr_tx_rings > UNM_PIPE_MAXRINGS || req->nr_rx_rings > UNM_PIPE_MAXRINGS ||
	    req->nr_tx_slots > UNM_PIPE_MAXSLOTS || req->nr_rx_slots > UNM_PIPE_MAXSLOTS)
		return ctrl_fail(e, EINVAL, "null:%s: at most %u rings of %u slots", name,
		    UNM_PIPE_MAXRINGS, UNM_PIPE_MAXSLOTS);
	p = calloc(1, sizeof(*p));
	if (!p)
		return ctrl_fail(e, ENOMEM, "null:%s: out of memory", name);
	snprintf(p->name, sizeof(p->name), "null:%s", name);
	p->ops = &null_port_ops;
	p->sync_kind = UNM_SYNC_NULL;
	p->reg = r;
	region_ref(r);
	p->nrings[NR_TX] = req->nr_tx_rings;
	p->nrings[NR_RX] = req->nr_rx_rings;
	p->nslots[NR_TX] = req->nr_tx_slots ? req->nr_tx_slots : UNM_DEFAULT_SLOTS;
	p->nslots[NR_RX] = req->nr_rx_slots ? req->nr_rx_slots : UNM_DEFAULT_SLOTS;
	err = port_make_rings(p, e);
	if (err) {
		region_unref(r);
		free(p);
		return err;
	}
	/* give every slot a buffer, so the rings are usable memory */
	err = port_fill_rings(p, e);
	if (err) {
		p->ops->idle(p);
		return err;
	}
	port_add(p);
	*out = p;
	return 0;
}

static int
null_check_mode(struct port *p, uint32_t mode, struct ctrl_err *e)
{
	return 0;
}

static uint32_t
null_link(struct port *p, int t, uint32_t i, struct port **lp)
{
	*lp = NULL;
	return UINT32_MAX;
}

static void
null_idle(struct port *p)
{
	port_free_bufs(p);
	port_destroy(p);
}

const struct port_ops null_port_ops = {
	.kind = "null",
	.lookup = null_lookup,
	.check_mode = null_check_mode,
	.link = null_link,
	.idle = null_idle,
};
