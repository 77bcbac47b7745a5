/*
 * options.c - the options of a request, by netmap's rules: every option
 * starts as EOPNOTSUPP; type 0 and duplicates of a known type are EINVAL
 * (the library has refused those already, as netmap's copy-in does: this
 * is for anyone writing to our socket); a handler that consumes an option
 * sets its status to 0; a REGISTER with an option left unconsumed fails
 * (EOPNOTSUPP).
 */
#include <errno.h>

#include "shared/req.h"
#include "unetmap.h"
#include "unetmapd.h"

/* @consumes lists the option types this request type handles */
int
ctrl_options_check(const struct ctrl_ctx *cx, const uint32_t *consumes)
{
	struct ctrl_req *rq = cx->rq;
	struct ctrl_err *e = cx->e;
	int err = 0;

	for (uint32_t i = 0; i < rq->nopts; i++)
		rq->opts[i]->nro_status = EOPNOTSUPP;
	for (uint32_t i = 0; i < rq->nopts; i++) {
		struct nmreq_option *o = rq->opts[i];

		if (o->nro_reqtype == 0) {
			o->nro_status = EINVAL;
			err = ctrl_fail(e, EINVAL, "%s: option %u has type 0", rq->hdr.nr_name, i);
			continue;
		}
		if (o->nro_reqtype >= NETMAP_REQ_OPT_MAX)
			continue;
		for (uint32_t j = i + 1; j < rq->nopts; j++)
			if (rq->opts[j]->nro_reqtype == o->nro_reqtype) {
				o->nro_status = rq->opts[j]->nro_status = EINVAL;
				err = ctrl_fail(e, EINVAL, "%s: option type %u given twice",
				    rq->hdr.nr_name, o->nro_reqtype);
			}
	}
	/*
	 * Only REGISTER fails on an option nobody consumed (netmap's
	 * nmreq_checkoptions); other requests succeed and leave the status
	 * EOPNOTSUPP for the application to see.
	 */
	if (err || rq->hdr.nr_reqtype != NETMAP_REQ_REGISTER)
		return err;
	for (uint32_t i = 0; i < rq->nopts; i++) {
		bool ours = false;

		for (const uint32_t *c = consumes; *c; c++)
			ours |= rq->opts[i]->nro_reqtype == *c;
		if (!ours)
			err = ctrl_fail(e, EOPNOTSUPP, "%s: option type %u is not supported by "
			    "%s requests", rq->hdr.nr_name, rq->opts[i]->nro_reqtype,
			    unm_req_name(rq->hdr.nr_reqtype));
	}
	return err;
}

struct nmreq_option *
ctrl_option(const struct ctrl_ctx *cx, uint32_t type, size_t size)
{
	for (uint32_t i = 0; cx->rq && i < cx->rq->nopts; i++)
		if (cx->rq->opts[i]->nro_reqtype == type && cx->rq->opt_size[i] >= size)
			return cx->rq->opts[i];
	return NULL;
}
