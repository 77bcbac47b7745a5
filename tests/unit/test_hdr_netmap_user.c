/*
 * test_hdr_netmap_user - net/netmap_user.h compiles on its own, without
 * the legacy library.
 */
#include <net/netmap_user.h>

#include "../lib/tap.h"

int
main(void)
{
	char area[8192] __attribute__((aligned(128)));
	struct netmap_if *nifp = NETMAP_IF(area, 0);

	tap_ok((void *)nifp == (void *)area, "NETMAP_IF usable");
#ifdef HAVE_NETMAP_WITH_LIBS
	tap_ok(0, "the legacy library is not pulled in without NETMAP_WITH_LIBS");
#else
	tap_ok(1, "the legacy library is not pulled in without NETMAP_WITH_LIBS");
#endif
	ND("compiled out %d", 1);
	tap_ok(1, "ND() usable");
	return tap_done();
}
