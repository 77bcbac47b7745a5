/*
 * kinds.c - the port kinds this daemon serves, and the one place that asks
 * them which makes a port of a given name.  docs/adapters.md lists every
 * kind with its files on both sides; a new kind is added there, here, and
 * in the library's table (lib/core/adapters.c).
 */
#include <errno.h>

#include "daemon/adapters/adapters.h"

/*
 * Asked in netmap_get_na()'s order: null and monitor claim by mode and
 * flags, pipe by its brackets, VALE by its prefix; the rest are interfaces.
 */
static const struct port_ops *const kinds[] = {
	&null_port_ops,		/* NR_REG_NULL */
	&monitor_port_ops,	/* the /t /r /z flags, whatever the name */
	&pipe_port_ops,		/* x{N, x}N */
	&vale_port_ops,		/* valeX:Y, persistent ports, netmap:valeX */
	&nic_port_ops,		/* names of interfaces in the asker's namespace */
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

int
port_lookup(const struct ctrl_ctx *cx, const char *name, struct nmreq_register *req,
    bool create, struct port **out)
{
	/* as netmap: a memory region asked for must exist, whatever the port */
	if (req->nr_mem_id && !region_by_id(req->nr_mem_id, cx->e))
		return ctrl_fail(cx->e, EINVAL, "%s: memory region %u does not exist", name,
		    req->nr_mem_id);
	/* an empty name is only a null port's (netmap looks it up as an interface) */
	if (name[0] == '\0' && req->nr_mode != NR_REG_NULL)
		return ctrl_fail(cx->e, ENXIO, "no port has an empty name");
	for (size_t i = 0; i < NKINDS; i++) {
		int r = kinds[i]->lookup(cx, name, req, create, out);

		if (r < 0)
			continue;
		if (r == 0)
			(*out)->holds++;
		return r;
	}
	return ctrl_fail(cx->e, ENXIO, "%s: no such port: not a pipe ({ or }), "
	    "not a VALE port and no interface of that name", name);
}

void
ports_tick(void)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (kinds[i]->tick)
			kinds[i]->tick();
}

void
ports_stop(void)
{
	for (struct port *p = port_list(), *next; p; p = next) {
		next = p->next;
		if (p->ops->stop)
			p->ops->stop(p);
	}
}

const struct port_ops *
port_ops_for_query(uint32_t type)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (type < 32 && (kinds[i]->queries & (1u << type)) && kinds[i]->query)
			return kinds[i];
	return NULL;
}
