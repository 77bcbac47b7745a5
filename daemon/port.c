/*
 * port.c - the registry of ports, and the one place that asks adapters
 * which of them makes a port of a given name.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unetmapd.h"

extern const struct port_ops pending_port_ops;

/*
 * Asked in this order.  null claims by mode, pipe by its brackets; the
 * last one answers for names whose adapter is not in this build.
 */
static const struct port_ops *const adapters[] = {
	&monitor_port_ops,	/* claims by the /t /r /z flags, whatever the name */
	&null_port_ops,
	&pipe_port_ops,
	&vale_port_ops,
	&nic_port_ops,		/* names of interfaces in the asker's namespace */
	&pending_port_ops,
};

void
ports_tick(void)
{
	for (size_t i = 0; i < sizeof(adapters) / sizeof(adapters[0]); i++)
		if (adapters[i]->tick)
			adapters[i]->tick();
}

const struct port_ops *
port_ops_by_kind(const char *kind)
{
	for (size_t i = 0; i < sizeof(adapters) / sizeof(adapters[0]); i++)
		if (strcmp(adapters[i]->kind, kind) == 0)
			return adapters[i];
	return NULL;
}

static struct port *ports;

int
ctrl_fail(struct ctrl_err *e, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return err;
}

void
port_add(struct port *p)
{
	p->next = ports;
	ports = p;
}

void
port_remove(struct port *p)
{
	for (struct port **pp = &ports; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

struct port *
port_find(const char *name)
{
	for (struct port *p = ports; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

struct port *
port_list(void)
{
	return ports;
}

int
port_lookup(const struct client *asker, const char *name, struct nmreq_register *req,
    bool create, struct port **out, struct ctrl_err *e)
{
	if (name[0] == '\0')
		return ctrl_fail(e, EINVAL, "empty port name");
	for (size_t i = 0; i < sizeof(adapters) / sizeof(adapters[0]); i++) {
		int r = adapters[i]->lookup(asker, name, req, create, out, e);

		if (r < 0)
			continue;
		if (r == 0)
			(*out)->holds++;
		return r;
	}
	return ctrl_fail(e, ENXIO, "%s: no such port: not a pipe ({ or }), "
	    "not a VALE port and no interface of that name", name);
}

void
port_release(struct port *p)
{
	if (--p->holds == 0 && p->nbind == 0)
		p->ops->idle(p);
}

int
port_make_rings(struct port *p, struct ctrl_err *e)
{
	for (int t = 0; t < NR_DIRS; t++) {
		uint32_t n = (uint32_t)p->nrings[t] + p->nhost[t];

		p->ring_idx[t] = calloc(n ? n : 1, sizeof(uint32_t));
		p->ring_users[t] = calloc(n ? n : 1, sizeof(uint16_t));
		p->ring_excl[t] = calloc(n ? n : 1, 1);
		if (!p->ring_idx[t] || !p->ring_users[t] || !p->ring_excl[t]) {
			port_free_rings(p);
			return ctrl_fail(e, ENOMEM, "%s: out of memory", p->name);
		}
		for (uint32_t i = 0; i < n; i++)
			p->ring_idx[t][i] = UINT32_MAX;
		for (uint32_t i = 0; i < n; i++) {
			int idx = region_ring_new(p->reg, p->nslots[t], t,
			    (int)(i < p->nrings[t] ? i : i - p->nrings[t]), p->name, e);

			if (idx < 0) {
				port_free_rings(p);
				return -idx;
			}
			p->ring_idx[t][i] = (uint32_t)idx;
		}
	}
	return 0;
}

void
port_free_rings(struct port *p)
{
	for (int t = 0; t < NR_DIRS; t++) {
		uint32_t n = (uint32_t)p->nrings[t] + p->nhost[t];

		for (uint32_t i = 0; p->ring_idx[t] && i < n; i++)
			if (p->ring_idx[t][i] != UINT32_MAX)
				region_ring_free(p->reg, p->ring_idx[t][i]);
		free(p->ring_idx[t]);
		free(p->ring_users[t]);
		free(p->ring_excl[t]);
		p->ring_idx[t] = NULL;
		p->ring_users[t] = NULL;
		p->ring_excl[t] = NULL;
	}
}

int
port_fill_rings(struct port *p, struct ctrl_err *e)
{
	for (int t = 0; t < NR_DIRS; t++)
		for (uint32_t i = 0; i < p->nrings[t]; i++)
			if (!region_ring_fill(p->reg, p->ring_idx[t][i]))
				return ctrl_fail(e, ENOMEM, "%s: memory region %u is out of buffers "
				    "(%u in all)", p->name, p->reg->id, p->reg->L.buf.num);
	return 0;
}

void
port_free_bufs(struct port *p)
{
	for (int t = 0; t < NR_DIRS; t++)
		for (uint32_t i = 0; p->ring_idx[t] && i < p->nrings[t]; i++)
			if (p->ring_idx[t][i] != UINT32_MAX)
				region_ring_free_bufs(p->reg, p->ring_idx[t][i]);
}

void
port_destroy(struct port *p)
{
	port_remove(p);
	port_free_rings(p);
	if (p->reg)
		region_unref(p->reg);
	unm_debug("port %s destroyed", p->name);
	free(p);
}
