/*
 * port.c - the registry of ports, and what every port has: its rings in
 * its region.  Which adapter makes a port of a given name is kinds.c's
 * business.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unetmapd.h"

static struct port *ports;

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
