/*
 * ctrl.c - NIOCCTRL requests, as netmap's kernel answers them: the header
 * checks and the dispatch, and the small requests answered here (port and
 * pools info, virtio-net header, our counters).  REGISTER is register.c's,
 * the VALE requests the switch's (adapters/vale/ctl.c), the options'
 * rules options.c's.
 *
 * The library has already copied the request in from the application (it
 * alone can read the application's pointers) and checked the sizes; here
 * every field is checked again, because any local process can write to
 * the socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/adapters/nic/nic.h"
#include "shared/req.h"
#include "unetmap.h"
#include "unetmapd.h"

/* ------------------------------------------------------------ info */

/* the region of memory @id (0: the global one), for PORT_INFO_GET without a name */
static int
mem_info(const struct ctrl_ctx *cx, struct nmreq_port_info_get *pi)
{
	struct region *r = pi->nr_mem_id > 1 ? region_find(pi->nr_mem_id) : region_global(cx->e);

	if (!r)
		return ctrl_fail(cx->e, EINVAL, "memory region %u does not exist", pi->nr_mem_id);
	pi->nr_memsize = r->L.memsize;
	pi->nr_mem_id = r->id;
	return 0;
}

static int
do_port_info(const struct ctrl_ctx *cx)
{
	struct ctrl_req *rq = cx->rq;
	static const uint32_t consumes[] = { 0 };
	struct nmreq_port_info_get *pi = rq->body;
	struct nmreq_register req = { .nr_mode = NR_REG_ALL_NIC, .nr_mem_id = pi->nr_mem_id };
	struct port *p;
	int err = ctrl_options_check(cx, consumes);

	if (err)
		return err;
	/* netmap: no name asks about a memory region (memsize and id only) */
	if (rq->hdr.nr_name[0] == '\0')
		return mem_info(cx, pi);
	err = port_lookup(cx, rq->hdr.nr_name, &req, true, &p);
	if (err)
		return err;
	pi->nr_memsize = p->reg->L.memsize;
	pi->nr_tx_slots = p->nslots[NR_TX];
	pi->nr_rx_slots = p->nslots[NR_RX];
	pi->nr_tx_rings = p->nrings[NR_TX];
	pi->nr_rx_rings = p->nrings[NR_RX];
	pi->nr_host_tx_rings = p->nhost[NR_TX];
	pi->nr_host_rx_rings = p->nhost[NR_RX];
	pi->nr_mem_id = p->reg->id;
	port_release(p);
	return 0;
}

/* the pools of the region a port lives in (netmap: the port is looked up, a name needed) */
static int
do_pools_info(const struct ctrl_ctx *cx)
{
	struct ctrl_req *rq = cx->rq;
	static const uint32_t consumes[] = { 0 };
	struct nmreq_pools_info *pi = rq->body;
	struct nmreq_register req = { .nr_mode = NR_REG_ALL_NIC, .nr_mem_id = pi->nr_mem_id };
	struct port *p;
	struct region *r;
	int err = ctrl_options_check(cx, consumes);

	if (err)
		return err;
	err = port_lookup(cx, rq->hdr.nr_name, &req, true, &p);
	if (err)
		return err;
	r = p->reg;
	pi->nr_memsize = r->L.memsize;
	pi->nr_mem_id = r->id;
	pi->nr_if_pool_offset = r->L.ifp.ofs;
	pi->nr_if_pool_objtotal = r->L.ifp.num;
	pi->nr_if_pool_objsize = r->L.ifp.objsize;
	pi->nr_ring_pool_offset = r->L.ring.ofs;
	pi->nr_ring_pool_objtotal = r->L.ring.num;
	pi->nr_ring_pool_objsize = r->L.ring.objsize;
	pi->nr_buf_pool_offset = r->L.buf.ofs;
	pi->nr_buf_pool_objtotal = r->L.buf.num;
	pi->nr_buf_pool_objsize = r->L.buf.objsize;
	port_release(p);
	return 0;
}

/* NETMAP_REQ_UNETMAP_PARAM: a tunable read, set, or the index-th listed */
static int
do_param(const struct ctrl_ctx *cx)
{
	static const uint32_t consumes[] = { 0 };
	struct nmreq_unetmap_param *pr = cx->rq->body;
	char name[sizeof(pr->nr_param) + 1], val[sizeof(pr->nr_newval) + 1];
	unsigned idx = pr->nr_index;
	int err = ctrl_options_check(cx, consumes);

	if (err)
		return err;
	snprintf(name, sizeof(name), "%.*s", (int)sizeof(pr->nr_param), pr->nr_param);
	snprintf(val, sizeof(val), "%.*s", (int)sizeof(pr->nr_newval), pr->nr_newval);
	if (pr->nr_set && cx->asker->member)
		return ctrl_fail(cx->e, EPERM, "%s: parameters are set by root or unetmapd's own "
		    "user (a member of group netmap may read them)", name);
	if (pr->nr_set && !name[0])
		return ctrl_fail(cx->e, EINVAL, "which parameter? (nr_param is empty)");
	if (pr->nr_set && (err = params_set(name, val, cx->e)))
		return err;
	memset(pr, 0, sizeof(*pr));
	if (params_get(idx, name, pr) < 0)
		return name[0] ? params_no_such(name, cx->e) : ctrl_fail(cx->e, ENOENT, "no parameter %u (there are %u)",
		    idx, params_count());
	pr->nr_index = idx;
	pr->nr_count = params_count();
	return 0;
}

static int
do_region_info(const struct ctrl_ctx *cx)
{
	struct ctrl_req *rq = cx->rq;
	struct ctrl_err *e = cx->e;
	static const uint32_t consumes[] = { 0 };
	struct nmreq_unetmap_region_info *ri = rq->body;
	uint16_t id = ri->nr_mem_id ? ri->nr_mem_id : 1;
	struct region *r = region_find(id);
	int err = ctrl_options_check(cx, consumes);

	if (err)
		return err;
	if (!r)
		return ctrl_fail(e, ENOENT, "memory region %u does not exist", id);
	memset(ri, 0, sizeof(*ri));
	ri->nr_mem_id = r->id;
	ri->nr_if_total = r->L.ifp.num;
	ri->nr_ring_total = r->L.ring.num;
	ri->nr_buf_total = r->L.buf.num;
	ri->nr_buf_free = r->buf_free;
	for (uint32_t i = 0; i < r->L.ifp.num; i++)
		ri->nr_if_free += !r->if_used[i];
	for (uint32_t i = 0; i < r->L.ring.num; i++)
		ri->nr_ring_free += !r->ring_used[i];
	for (struct port *p = port_list(); p; p = p->next)
		ri->nr_ports += p->reg == r;
	return 0;
}

/*
 * The virtio-net header length, as netmap: SET checks the length first
 * (0, 10 or 12), then wants a port of a kind that carries headers (VALE:
 * ENXIO for any other); GET answers for any port (0: none).
 */
static int
do_port_hdr(const struct ctrl_ctx *cx)
{
	struct ctrl_req *rq = cx->rq;
	struct ctrl_err *e = cx->e;
	static const uint32_t consumes[] = { 0 };
	struct nmreq_port_hdr *ph = rq->body;
	struct nmreq_register req = { .nr_mode = NR_REG_ALL_NIC };
	bool set = rq->hdr.nr_reqtype == NETMAP_REQ_PORT_HDR_SET;
	struct port *p;
	int err = ctrl_options_check(cx, consumes);

	if (err)
		return err;
	if (set && ph->nr_hdr_len != 0 && ph->nr_hdr_len != 10 && ph->nr_hdr_len != 12)
		return ctrl_fail(e, EINVAL, "%s: a virtio-net header is 0, 10 or 12 bytes, not %u",
		    rq->hdr.nr_name, ph->nr_hdr_len);
	err = port_lookup(cx, rq->hdr.nr_name, &req, false, &p);
	if (err == ENODEV && set)
		return ctrl_fail(e, ENXIO, "%s: no VALE port of that name", rq->hdr.nr_name);
	if (err)
		return err;
	if (!set)
		ph->nr_hdr_len = p->ops->vnet_hdr ? p->ops->vnet_hdr(p, -1, e) : 0;
	else if (!p->ops->vnet_hdr)
		err = ctrl_fail(e, ENXIO, "%s: a %s port carries no virtio-net header (VALE "
		    "ports do)", rq->hdr.nr_name, p->ops->kind);
	else if ((err = p->ops->vnet_hdr(p, (int)ph->nr_hdr_len, e)) > 0)
		;	/* the adapter said why */
	else
		err = 0;
	port_release(p);
	return err;
}

/* one ring's counters (include/unetmap.h), whatever the port */
static int
do_ring_stats(const struct ctrl_ctx *cx)
{
	struct ctrl_req *rq = cx->rq;
	struct ctrl_err *e = cx->e;
	static const uint32_t consumes[] = { 0 };
	struct nmreq_unetmap_ring_stats *rs = rq->body;
	struct nmreq_register req = { .nr_mode = NR_REG_ALL_NIC };
	struct unm_kring *k;
	struct port *p;
	uint32_t t = rs->nr_dir, i = rs->nr_ring;
	int err = ctrl_options_check(cx, consumes);

	if (err)
		return err;
	if (rq->hdr.nr_name[0] == '\0') {
		/*
		 * No name: the port the descriptor is bound to.  The one way to
		 * a monitor's rings (and their lost counts): no name finds a
		 * monitor, as in netmap.
		 */
		if (!cx->target || !cx->target->b)
			return ctrl_fail(e, EINVAL, "ring counters without a port name are "
			    "those of the descriptor's port, and it is bound to none");
		p = cx->target->b->port;
		p->holds++;
	} else {
		err = port_lookup(cx, rq->hdr.nr_name, &req, false, &p);
		if (err)
			return err;
	}
	if (t >= NR_DIRS || i >= (uint32_t)p->nrings[t] + p->nhost[t]) {
		err = ctrl_fail(e, EINVAL, "%s: no %s ring %u", p->name, t ? "rx" : "tx", i);
		port_release(p);
		return err;
	}
	/* from shared memory, as the data path left them: reports, not truths */
	k = region_kring(p->reg, p->ring_idx[t][i]);
	memset(rs, 0, sizeof(*rs));
	rs->nr_dir = (uint16_t)t;
	rs->nr_ring = (uint16_t)i;
	rs->nr_num_slots = p->nslots[t];
	rs->frames = k->frames;
	rs->bytes = k->bytes;
	rs->lost = k->lost;
	rs->sync_errors = k->sync_errors;
	port_release(p);
	return 0;
}

/* ------------------------------------------------------------ dispatch */

int
ctrl_handle(const struct ctrl_ctx *cx)
{
	struct nmreq_header *h = &cx->rq->hdr;
	struct ctrl_err *e = cx->e;

	if (h->nr_version < NETMAP_MIN_API || h->nr_version > NETMAP_MAX_API)
		return ctrl_fail(e, EINVAL, "API version %u is not supported (%d to %d are)",
		    h->nr_version, NETMAP_MIN_API, NETMAP_MAX_API);
	if (h->nr_reserved)
		return ctrl_fail(e, EINVAL, "nr_reserved must be 0");
	if (memchr(h->nr_name, '\0', sizeof(h->nr_name)) == NULL)
		return ctrl_fail(e, EINVAL, "port name is not terminated within %zu bytes",
		    sizeof(h->nr_name));
	if (unm_req_body_size(h->nr_reqtype) < 0 ||
	    (uint32_t)unm_req_body_size(h->nr_reqtype) != cx->rq->body_size)
		return ctrl_fail(e, EINVAL, "%s: unknown request type %u", h->nr_name,
		    h->nr_reqtype);

	switch (h->nr_reqtype) {
	case NETMAP_REQ_REGISTER:
		return ctrl_register(cx);
	case NETMAP_REQ_PORT_INFO_GET:
		return do_port_info(cx);
	case NETMAP_REQ_POOLS_INFO_GET:
		return do_pools_info(cx);
	case NETMAP_REQ_UNETMAP_REGION_INFO:
		return do_region_info(cx);
	case NETMAP_REQ_PORT_HDR_SET:
	case NETMAP_REQ_PORT_HDR_GET:
		return do_port_hdr(cx);
	case NETMAP_REQ_UNETMAP_RING_STATS:
		return do_ring_stats(cx);
	case NETMAP_REQ_UNETMAP_PARAM:
		return do_param(cx);
	case NETMAP_REQ_UNETMAP_CHECK: {
		static const uint32_t consumes[] = { 0 };
		int err = ctrl_options_check(cx, consumes);

		return err ? err : nic_check(cx);
	}
	case NETMAP_REQ_VALE_ATTACH:
	case NETMAP_REQ_VALE_DETACH:
	case NETMAP_REQ_VALE_LIST:
	case NETMAP_REQ_VALE_NEWIF:
	case NETMAP_REQ_VALE_DELIF:
	case NETMAP_REQ_VALE_POLLING_ENABLE:
	case NETMAP_REQ_VALE_POLLING_DISABLE:
	case NETMAP_REQ_UNETMAP_VALE_STATS: {
		/*
		 * The switch's own requests.  Attaching an interface takes it
		 * as REGISTER does, with our port-mode option.
		 */
		static const uint32_t consumes[] = { 0 };
		static const uint32_t attach_consumes[] = { NETMAP_REQ_OPT_UNETMAP_PORT_MODE, 0 };

		/* switches' own interfaces and attached ones, and their workers: as REGISTER's */
		if (h->nr_reqtype != NETMAP_REQ_VALE_LIST &&
		    h->nr_reqtype != NETMAP_REQ_UNETMAP_VALE_STATS &&
		    !client_may_take_interfaces(cx->asker))
			return ctrl_fail(e, EPERM, "%s: changing switches (attaching interfaces, "
			    "switch interfaces, persistent ports, polling) needs CAP_NET_ADMIN, "
			    "CAP_NET_RAW and CAP_BPF, which pid %d did not have when it opened "
			    "/dev/netmap; a member of group netmap may list them", h->nr_name,
			    (int)cx->asker->pid);
		struct nmreq_option *pm;
		int err = ctrl_options_check(cx, h->nr_reqtype == NETMAP_REQ_VALE_ATTACH ?
		    attach_consumes : consumes);

		if (err)
			return err;
		if ((pm = ctrl_option(cx, NETMAP_REQ_OPT_UNETMAP_PORT_MODE, 0)) != NULL)
			pm->nro_status = 0;
		return vale_request(cx);
	}
	default:
		return ctrl_fail(e, EOPNOTSUPP, "%s: %s (CSB / in-kernel sync loop) has no "
		    "meaning without a kernel and is not supported", h->nr_name,
		    unm_req_name(h->nr_reqtype));
	}
}
