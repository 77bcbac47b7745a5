/*
 * nmport_unetmap.c - the portspec options of ours, for network interfaces
 * (include/unetmap.h): @admode=best|native|generic|emulated, @force,
 * @fix-offloads.  All three fill one NETMAP_REQ_OPT_UNETMAP_PORT_MODE
 * option of the request, which the daemon answers with what the port got.
 */
#include <errno.h>
#include <string.h>

#include "libnetmap_int.h"
#include "unetmap.h"

struct pm_undo {
	struct nmport_cleanup_d up;
	struct nmreq_opt_unetmap_port_mode *opt;
};

static void
pm_cleanup(struct nmport_cleanup_d *c, struct nmport_d *d)
{
	struct pm_undo *u = (struct pm_undo *)c;

	nmreq_remove_option(&d->hdr, &u->opt->nro_opt);
	nmctx_free(d->ctx, u->opt);
}

/* the request's port-mode option, made on first use */
static struct nmreq_opt_unetmap_port_mode *
pm_get(struct nmreq_parse_ctx *p)
{
	struct nmport_d *d = p->token;
	struct nmreq_opt_unetmap_port_mode *o = (struct nmreq_opt_unetmap_port_mode *)
	    nmreq_find_option(&d->hdr, NETMAP_REQ_OPT_UNETMAP_PORT_MODE);
	struct pm_undo *u;

	if (o)
		return o;
	o = nmctx_malloc(d->ctx, sizeof(*o));
	u = nmctx_malloc(d->ctx, sizeof(*u));
	if (!o || !u) {
		if (o)
			nmctx_free(d->ctx, o);
		if (u)
			nmctx_free(d->ctx, u);
		nmctx_ferror(p->ctx, "%s: out of memory", NMPORT_NAME(d));
		errno = ENOMEM;
		return NULL;
	}
	memset(o, 0, sizeof(*o));
	o->nro_opt.nro_reqtype = NETMAP_REQ_OPT_UNETMAP_PORT_MODE;
	o->nro_opt.nro_size = sizeof(*o);
	nmreq_push_option(&d->hdr, &o->nro_opt);
	u->opt = o;
	u->up.cleanup = pm_cleanup;
	nmport_push_cleanup(d, &u->up);
	return o;
}

static int
parse_admode(struct nmreq_parse_ctx *p)
{
	static const char *const names[] = { "best", "native", "generic", "emulated" };
	struct nmreq_opt_unetmap_port_mode *o = pm_get(p);

	if (!o)
		return -1;
	for (unsigned i = 0; i < 4; i++)
		if (strcmp(p->keys[0], names[i]) == 0) {
			o->nro_admode = UNETMAP_ADMODE_BEST + i;
			return 0;
		}
	nmctx_ferror(p->ctx, "option '@admode': '%s' is not best, native, generic or emulated",
	    p->keys[0]);
	errno = EINVAL;
	return -1;
}

static int
parse_force(struct nmreq_parse_ctx *p)
{
	struct nmreq_opt_unetmap_port_mode *o = pm_get(p);

	if (!o)
		return -1;
	o->nro_flags |= UNETMAP_PORT_FORCE;
	return 0;
}

static int
parse_fix(struct nmreq_parse_ctx *p)
{
	struct nmreq_opt_unetmap_port_mode *o = pm_get(p);

	if (!o)
		return -1;
	o->nro_flags |= UNETMAP_PORT_FIX_OFFLOADS;
	return 0;
}

static struct nmreq_opt_parser opt_fix = {
	.prefix = "fix-offloads",
	.parse = parse_fix,
	.default_key = -1,
	.flags = NMREQ_OPTF_ALLOWEMPTY,
	.next = NULL,
};

static struct nmreq_opt_parser opt_force = {
	.prefix = "force",
	.parse = parse_force,
	.default_key = -1,
	.flags = NMREQ_OPTF_ALLOWEMPTY,
	.next = &opt_fix,
};

struct nmreq_opt_parser nmport_opt_admode = {
	.prefix = "admode",
	.parse = parse_admode,
	.default_key = 0,
	.nr_keys = 1,
	.flags = 0,
	.next = &opt_force,
	.keys = {
		{ "mode", 0, NMREQ_OPTK_DEFAULT | NMREQ_OPTK_MUSTSET },
	},
};
