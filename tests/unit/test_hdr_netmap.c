/*
 * test_hdr_netmap - net/netmap.h compiles on its own (it is included
 * first, before anything else) and is usable.
 */
#include <net/netmap.h>

#include "../lib/tap.h"
#include <string.h>

int
main(void)
{
	struct nmreq_header h = { .nr_version = NETMAP_API };
	struct netmap_ring *r = aligned_alloc(NM_CACHE_ALIGN, sizeof(*r));

	tap_ok(h.nr_version == 14, "struct nmreq_header usable");
	tap_ok(NIOCCTRL == 0xc0586997UL && NIOCREGIF == 0xc03c6992UL,
	    "NIOCCTRL and the legacy NIOCREGIF are both defined");
	tap_ok(sizeof(struct nmreq) == 60, "struct nmreq comes along");
	memset(r, 0, sizeof(*r));
	tap_ok(nm_ring_empty(r), "nm_ring_empty (static inline) usable");
	free(r);
	return tap_done();
}
