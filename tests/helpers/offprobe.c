/*
 * offprobe.c - data offsets on network interfaces, for
 * tests/integration/nic_offsets.sh (frames in nicprobe's format: broadcast,
 * ethertype 0x88b5, byte i of the frame = i for i >= 14).
 *
 *   offprobe rx PORT OFF COUNT SECS   open PORT with @offset:initial=OFF,bits=12,
 *                                     print "ready", receive until COUNT good
 *                                     frames or SECS; "good=N bad=M": good frames
 *                                     start at offset OFF and are ours, whole
 *                                     (or, on host rings, IPv4/ARP frames)
 *   offprobe tx PORT COUNT LEN        open PORT with @offset:initial=300,bits=12
 *                                     and send COUNT frames of LEN bytes at
 *                                     offsets 0, 1, 77, 300 in turn; "sent=N"
 *   offprobe check IFACE COUNT SECS   an AF_PACKET socket on IFACE: "ready", then
 *                                     "good=N bad=M" of our frames seen
 */
#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>
#include <libnetmap.h>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define ETH_TEST 0x88b5

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static bool
ours(const unsigned char *f, size_t len)
{
	if (len < 14 || f[0] != 0xff || f[12] != (ETH_TEST >> 8) || f[13] != (ETH_TEST & 0xff))
		return false;
	for (size_t i = 14; i < len; i++)
		if (f[i] != (unsigned char)i)
			return false;
	return true;
}

static struct nmport_d *
open_off(const char *port, long off)
{
	char spec[256];
	struct nmport_d *d;

	if (nmport_enable_option("offset") < 0)
		return NULL;
	snprintf(spec, sizeof(spec), "%s@offset:initial=%ld,bits=12", port, off);
	d = nmport_open(spec);
	if (!d)
		fprintf(stderr, "offprobe: cannot open %s\n", spec);
	return d;
}

static int
do_rx(const char *port, long off, long count, long secs, bool host)
{
	struct nmport_d *d = open_off(port, off);
	double end = now() + (double)secs;
	long good = 0, bad = 0;

	if (!d)
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (good < count && now() < end) {
		struct pollfd p = { .fd = d->fd, .events = POLLIN };

		poll(&p, 1, 100);
		for (int i = d->first_rx_ring; i <= d->last_rx_ring; i++) {
			struct netmap_ring *r = NETMAP_RXRING(d->nifp, i);

			for (; !nm_ring_empty(r); r->head = r->cur = nm_ring_next(r, r->head)) {
				struct netmap_slot *s = &r->slot[r->head];
				const unsigned char *f = (const unsigned char *)NETMAP_BUF_OFFSET(r, s);
				bool ok = NETMAP_ROFFSET(r, s) == (uint64_t)off;

				if (host)	/* what the stack sends: IPv4 or ARP */
					ok = ok && s->len >= 14 && f[12] == 0x08 &&
					    (f[13] == 0x00 || f[13] == 0x06);
				else
					ok = ok && ours(f, s->len);
				if (ok)
					good++;
				else if (host || (s->len >= 14 && f[12] == (ETH_TEST >> 8)))
					bad++;	/* on NIC rings: only ours count (no IPv6 chatter here) */
			}
		}
	}
	printf("good=%ld bad=%ld\n", good, bad);
	nmport_close(d);
	return 0;
}

static int
do_tx(const char *port, long count, long len)
{
	static const uint64_t offs[] = { 0, 1, 77, 300 };
	struct nmport_d *d = open_off(port, 300);
	struct netmap_ring *r;
	long sent = 0;
	double end = now() + 10;

	if (!d)
		return 1;
	if (len < 60 || len > 2048 - 300) {
		fprintf(stderr, "offprobe: LEN from 60 to 1748\n");
		return 1;
	}
	r = NETMAP_TXRING(d->nifp, d->first_tx_ring);
	while (sent < count && now() < end) {
		struct pollfd p = { .fd = d->fd, .events = POLLOUT };

		poll(&p, 1, 100);
		for (; sent < count && !nm_ring_empty(r); sent++) {
			struct netmap_slot *s = &r->slot[r->head];
			unsigned char *f;

			NETMAP_WOFFSET(r, s, offs[sent % 4]);
			f = (unsigned char *)NETMAP_BUF_OFFSET(r, s);
			memset(f, 0xff, 6);
			memcpy(f + 6, (unsigned char[]){ 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 }, 6);
			f[12] = ETH_TEST >> 8;
			f[13] = ETH_TEST & 0xff;
			for (long i = 14; i < len; i++)
				f[i] = (unsigned char)i;
			s->len = (uint16_t)len;
			s->flags = 0;
			r->head = r->cur = nm_ring_next(r, r->head);
		}
		if (sent % 64 == 0) {
			struct timespec nap = { 0, 200000 };

			nanosleep(&nap, NULL);	/* let the peer's socket keep up */
		}
	}
	/* until every frame has left the ring (bounded) */
	for (int i = 0; i < 100 && nm_tx_pending(r); i++) {
		ioctl(d->fd, NIOCTXSYNC, NULL);
		usleep(10000);
	}
	printf("sent=%ld\n", sent);
	nmport_close(d);
	return 0;
}

static int
do_check(const char *ifname, long count, long secs)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_TEST),
	    .sll_ifindex = (int)if_nametoindex(ifname) };
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_TEST));
	double end = now() + (double)secs;
	unsigned char f[4096];
	long good = 0, bad = 0;

	if (fd < 0 || sa.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "offprobe: cannot listen on %s\n", ifname);
		return 1;
	}
	/* room for a whole burst: what is lost here would look like frames never sent */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int){ 8 << 20 }, sizeof(int));
	printf("ready\n");
	fflush(stdout);
	while (good < count && now() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, f, sizeof(f), MSG_DONTWAIT);
		if (n > 0) {
			if (ours(f, (size_t)n))
				good++;
			else
				bad++;
		}
	}
	printf("good=%ld bad=%ld\n", good, bad);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 6 && (!strcmp(argv[1], "rx") || !strcmp(argv[1], "rx-host")))
		return do_rx(argv[2], atol(argv[3]), atol(argv[4]), atol(argv[5]),
		    argv[1][2] == '-');
	if (argc == 5 && !strcmp(argv[1], "tx"))
		return do_tx(argv[2], atol(argv[3]), atol(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "check"))
		return do_check(argv[2], atol(argv[3]), atol(argv[4]));
	fprintf(stderr, "usage: offprobe rx|rx-host PORT OFF COUNT SECS | tx PORT COUNT LEN | "
	    "check IFACE COUNT SECS\n");
	return 2;
}
