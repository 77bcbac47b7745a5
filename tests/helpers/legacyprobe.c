/*
 * legacyprobe.c - a netmap program of the old kind, for the shell tests:
 * the header-only API of net/netmap_user.h (nm_open, NIOCREGIF, nm_nextpkt)
 * and the legacy NIOCGINFO, nothing of libnetmap.
 *
 *   legacyprobe count PORT COUNT SECS   nm_open PORT, print "ready rings=T/R",
 *                                       count frames of ethertype 0x88b5 until
 *                                       COUNT came or SECS passed: "frames=N"
 *   legacyprobe info NAME               NIOCGINFO: "rings=T/R slots=T/R mem=ID"
 */
#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
count(const char *port, long want, long secs)
{
	struct nm_desc *d = nm_open(port, NULL, 0, NULL);
	double end = now() + (double)secs;
	long frames = 0;

	if (!d) {
		fprintf(stderr, "legacyprobe: cannot open %s: %s\n", port, strerror(errno));
		return 1;
	}
	printf("ready rings=%u/%u\n", d->req.nr_tx_rings, d->req.nr_rx_rings);
	fflush(stdout);
	while (frames < want && now() < end) {
		struct pollfd p = { .fd = NETMAP_FD(d), .events = POLLIN };
		struct nm_pkthdr h;
		const unsigned char *f;

		poll(&p, 1, 100);
		while ((f = nm_nextpkt(d, &h)) != NULL)
			if (h.len >= 14 && f[12] == 0x88 && f[13] == 0xb5)
				frames++;
	}
	printf("frames=%ld\n", frames);
	nm_close(d);
	return 0;
}

static int
info(const char *name)
{
	struct nmreq req;
	int fd = open("/dev/netmap", O_RDWR);

	if (fd < 0) {
		perror("legacyprobe: /dev/netmap");
		return 1;
	}
	memset(&req, 0, sizeof(req));
	req.nr_version = NETMAP_API;
	snprintf(req.nr_name, sizeof(req.nr_name), "%s", name);
	if (ioctl(fd, NIOCGINFO, &req) < 0) {
		fprintf(stderr, "legacyprobe: NIOCGINFO %s: %s\n", name, strerror(errno));
		close(fd);
		return 1;
	}
	printf("rings=%u/%u slots=%u/%u mem=%u\n", req.nr_tx_rings, req.nr_rx_rings,
	    req.nr_tx_slots, req.nr_rx_slots, req.nr_arg2);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "count") == 0)
		return count(argv[2], atol(argv[3]), atol(argv[4]));
	if (argc == 3 && strcmp(argv[1], "info") == 0)
		return info(argv[2]);
	fprintf(stderr, "usage: legacyprobe count PORT COUNT SECS | info NAME\n");
	return 2;
}
