/*
 * tap.c - the TAP behind a NIC port's host rings.
 *
 * Host RX ring: what the stack sends on the interface is redirected at tc
 * egress to the TAP (unm_steal), and the application reads it from the
 * TAP.  The TAP has no offloads, so the kernel segments and checksums
 * every frame on the way in: the host RX ring sees wire-ready frames of
 * at most the MTU, whatever TSO, GSO or checksum offload the interface
 * has, and VLAN tags the stack left in metadata are written into them.
 * Host TX ring: the application writes frames to the TAP; at its tc
 * ingress (unm_inject) they are redirected into the interface's ingress,
 * so the stack sees them as received on the interface (addresses stay on
 * the interface, nothing moves to the TAP).
 *
 * With several host rings the TAP has a queue for each host RX ring
 * (IFF_MULTI_QUEUE): the kernel spreads the stack's frames over the
 * queues by flow, as netmap spreads them over its host rings; host TX
 * ring i writes to queue i (modulo their number), any queue injecting
 * the same way.
 *
 * The TAP has no addresses and IPv6 off, so the stack itself never uses
 * it; it lives as long as its descriptors (the daemon's and the
 * application's copies).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/adapters/nic/nic_int.h"

static void
no_ipv6(const char *tap)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", tap);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;	/* no IPv6 at all */
	if (write(fd, "1", 1) < 0)
		unm_debug("%s: cannot disable IPv6: %s", tap, strerror(errno));
	close(fd);
}

/* one more queue of TAP @name (IFF_MULTI_QUEUE), or -errno */
static int
tap_queue(const char *name, bool multi, char *got)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (got)
		snprintf(got, IF_NAMESIZE, "%s", ifr.ifr_name);
	return fd;
}

int
nic_tap_open(const char *ifname, int ifindex, int mtu, unsigned nq, int *fds, char *tapname,
    int *tap_ifindex, struct ctrl_err *e)
{
	char pattern[IF_NAMESIZE];
	int err;

	for (unsigned q = 0; q < nq; q++)
		fds[q] = -1;
	snprintf(pattern, sizeof(pattern), "unmh%u-%%d", (unsigned)ifindex % 100000);
	fds[0] = tap_queue(pattern, nq > 1, tapname);
	if (fds[0] < 0)
		return ctrl_fail(e, -fds[0], "%s: cannot create the TAP of the host rings: %s",
		    ifname, strerror(-fds[0]));
	for (unsigned q = 1; q < nq; q++) {
		fds[q] = tap_queue(tapname, true, NULL);
		if (fds[q] < 0) {
			err = -fds[q];
			goto fail;
		}
	}
	no_ipv6(tapname);
	/* room for the cookie of generic mode (shared/nic_abi.h) */
	err = nic_if_set_up(tapname, mtu + (int)UNM_COOKIE_LEN);
	*tap_ifindex = (int)if_nametoindex(tapname);
	if (err < 0 || *tap_ifindex == 0) {
		err = err < 0 ? -err : ENODEV;
		goto fail;
	}
	return 0;
fail:
	for (unsigned q = 0; q < nq; q++)
		if (fds[q] >= 0)
			close(fds[q]);
	return ctrl_fail(e, err, "%s: cannot set up its TAP %s (%u queue%s): %s", ifname, tapname,
	    nq, nq > 1 ? "s" : "", strerror(err));
}
