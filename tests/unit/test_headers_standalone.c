/*
 * test_headers_standalone - all public headers together, in the order
 * netmap documents (netmap_user.h with NETMAP_WITH_LIBS, then
 * libnetmap.h), repeated, and mixed with the system headers netmap
 * programs commonly include after them.  The single headers are checked
 * alone by the test_hdr_* programs.
 */
#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>
#include <libnetmap.h>
#include <net/netmap.h>
#include <net/netmap_legacy.h>
#include <net/netmap_user.h>
#include <libnetmap.h>

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/poll.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <pthread.h>

#include "../lib/tap.h"

int
main(void)
{
	struct nm_desc *(*legacy_open)(const char *, const struct nmreq *,
	    uint64_t, const struct nm_desc *) = nm_open;
	struct nmport_d *(*port_open)(const char *) = nmport_open;

	tap_ok(legacy_open != NULL && port_open != NULL,
	    "legacy and libnetmap APIs side by side");
	tap_ok(IFNAMSIZ == 16, "IFNAMSIZ agrees with the system's");
	tap_ok(sizeof(struct nm_desc) > sizeof(struct nmreq) &&
	    sizeof(struct nmport_d) > sizeof(struct nmreq_header),
	    "all the structures are complete");
	return tap_done();
}
