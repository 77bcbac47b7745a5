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
 * The TAP has no addresses and IPv6 off, so the stack itself never uses
 * it; it lives as long as its descriptors (the daemon's and the
 * application's copies).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
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

int
nic_tap_open(const char *ifname, int ifindex, int mtu, char *tapname, int *tap_ifindex,
    struct ctrl_err *e)
{
	struct ifreq ifr;
	int fd, err;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -ctrl_fail(e, errno, "%s: cannot open /dev/net/tun for the host rings: %s",
		    ifname, strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "unmh%u-%%d", (unsigned)ifindex % 100000);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		close(fd);
		return -ctrl_fail(e, err, "%s: cannot create the TAP of the host rings: %s", ifname,
		    strerror(err));
	}
	snprintf(tapname, IF_NAMESIZE, "%s", ifr.ifr_name);
	no_ipv6(tapname);
	/* room for the cookie of generic mode (shared/nic_abi.h) */
	err = nic_if_set_up(tapname, mtu + (int)UNM_COOKIE_LEN);
	*tap_ifindex = (int)if_nametoindex(tapname);
	if (err < 0 || *tap_ifindex == 0) {
		err = err < 0 ? -err : ENODEV;
		close(fd);
		return -ctrl_fail(e, err, "%s: cannot bring up its TAP %s: %s", ifname, tapname,
		    strerror(err));
	}
	return fd;
}
