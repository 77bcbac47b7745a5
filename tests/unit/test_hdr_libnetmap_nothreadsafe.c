/*
 * test_hdr_libnetmap_nothreadsafe - libnetmap.h with
 * LIBNETMAP_NOTHREADSAFE compiles on its own and works.
 */
#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>

#include "../lib/tap.h"

int
main(void)
{
	struct nmport_d *d = nmport_prepare("vale0:p^");

	tap_ok(d != NULL && d->reg.nr_mode == NR_REG_SW,
	    "nmport_prepare usable");
	nmport_undo_prepare(d);
	return tap_done();
}
