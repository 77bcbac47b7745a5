/*
 * nmport_cleanup.c - a port descriptor's stack of undo actions: whatever
 * registration, mapping or an option set up is pushed here, and popped
 * (run and freed) when the port is closed or a step fails.
 */
#include "libnetmap_int.h"

void
nmport_push_cleanup(struct nmport_d *d, struct nmport_cleanup_d *c)
{
	c->next = d->clist;
	d->clist = c;
}

void
nmport_cleanup_until(struct nmport_d *d, struct nmport_cleanup_d *mark)
{
	while (d->clist != NULL && d->clist != mark) {
		struct nmport_cleanup_d *c = d->clist;

		d->clist = c->next;
		c->cleanup(c, d);
		nmctx_free(d->ctx, c);
	}
}
