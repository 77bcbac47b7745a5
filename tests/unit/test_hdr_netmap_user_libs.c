/*
 * test_hdr_netmap_user_libs - net/netmap_user.h with NETMAP_WITH_LIBS
 * compiles on its own, and the legacy API is there.
 */
#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>

#include "../lib/tap.h"

static void
cb(unsigned char *arg, const struct nm_pkthdr *h, const unsigned char *buf)
{
	(void)arg;
	(void)h;
	(void)buf;
}

int
main(void)
{
	nm_cb_t f = cb;
	struct nm_desc *(*open_fn)(const char *, const struct nmreq *,
	    uint64_t, const struct nm_desc *) = nm_open;

	tap_ok(f != NULL && open_fn != NULL, "nm_open and nm_cb_t usable");
	tap_ok(NM_OPEN_NO_MMAP == 0x40000 && NM_OPEN_IFNAME == 0x80000 &&
	    NM_OPEN_ARG1 == 0x100000 && NM_OPEN_ARG2 == 0x200000 &&
	    NM_OPEN_ARG3 == 0x400000 && NM_OPEN_RING_CFG == 0x800000,
	    "NM_OPEN_* values");
	tap_ok(NM_MORE_PKTS == 1 && NM_ERRBUF_SIZE == 512,
	    "NM_MORE_PKTS, NM_ERRBUF_SIZE");
	D("D() works (%d)", 1);
	RD(1, "RD() works (%d)", 2);
	tap_ok(1, "D() and RD() usable");
	return tap_done();
}
