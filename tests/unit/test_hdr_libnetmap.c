/*
 * test_hdr_libnetmap - libnetmap.h compiles on its own; including it
 * (without LIBNETMAP_NOTHREADSAFE) installs the locked default context.
 */
#include <libnetmap.h>

#include "../lib/tap.h"

int
main(void)
{
	struct nmport_d *d;

	tap_ok(nmctx_get() != NULL && nmctx_get()->lock != NULL,
	    "the default context is thread-safe");
	d = nmport_prepare("netmap:eth0-1");
	tap_ok(d != NULL && d->reg.nr_ringid == 1, "nmport_prepare usable");
	nmport_undo_prepare(d);
	nmctx_set_threadsafe();
	tap_ok(nmctx_get()->lock != NULL, "nmctx_set_threadsafe is idempotent");
	return tap_done();
}
