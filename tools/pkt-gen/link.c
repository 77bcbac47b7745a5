/*
 * link.c - pkt-gen on network interfaces: wait for the link (-w) by
 * watching the carrier instead of sleeping blindly, and say which mode
 * the port got (native XDP, zero-copy, generic, emulated), which netmap's
 * pkt-gen cannot tell.
 */
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pktgen.h"
#include "unetmap.h"

/*
 * Weak: pkt-gen built as netmap builds it (build/bench/pkt-gen-netmap:
 * its objects and static libnetmap, nothing of ours) has neither; run
 * with LD_PRELOAD=libunetmap.so, the dynamic loader binds them from it.
 */
#pragma weak unetmap_port_mode
#pragma weak unetmap_mode_name

static bool
carrier(const char *ifname)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up;

	if (s < 0)
		return true;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	up = ioctl(s, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags & IFF_RUNNING);
	close(s);
	return up;
}

void
pg_wait_link(const char *ifname, int secs)
{
	uint64_t waited = 0, limit = (uint64_t)secs * 1000000000ull;

	while (waited < limit && !pg_stopping()) {
		if (carrier(ifname)) {
			if (waited)
				fprintf(stderr, "pkt-gen: %s: link up\n", ifname);
			return;
		}
		pg_sleep_ns(50000000ull);
		waited += 50000000ull;
	}
	if (!pg_stopping())
		fprintf(stderr, "pkt-gen: %s: no carrier after %d s (-w); going on\n", ifname, secs);
}

void
pg_print_mode(const struct pg_port *p, const char *ifname)
{
	int m;

	if (!unetmap_port_mode || !unetmap_mode_name)
		return;
	m = p->fd >= 0 ? unetmap_port_mode(p->fd) : -1;

	if (m > UNETMAP_MODE_SOFTWARE)
		printf("%s: %s mode\n", ifname, unetmap_mode_name((unsigned)m));
}
