/*
 * test_hdr_netmap_legacy - net/netmap_legacy.h compiles on its own, and
 * net/netmap.h can follow it.
 */
#include <net/netmap_legacy.h>

static const unsigned long regif_alone = NIOCREGIF;

#include <net/netmap.h>

#include "../lib/tap.h"

int
main(void)
{
	struct nmreq req = { .nr_version = 14, .nr_flags = 1 };

	tap_ok(regif_alone == 0xc03c6992UL, "NIOCREGIF from the legacy header");
	tap_ok(req.nr_flags == 1 && sizeof(req) == 60, "struct nmreq usable");
	tap_ok(NIOCCTRL == 0xc0586997UL, "net/netmap.h after it");
	return tap_done();
}
