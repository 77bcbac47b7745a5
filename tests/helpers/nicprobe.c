/*
 * nicprobe.c - what the NIC tests (tests/integration/nic*.sh) need that no
 * tool does: raw frames from a plain socket, and a netmap receiver that
 * checks what it got (whole jumbo frames, VLAN tags, ARP and ICMP on host
 * rings).
 *
 *   nicprobe send IFACE COUNT LEN [VID]   COUNT frames of LEN bytes (ethertype
 *                                         0x88b5, 802.1Q tag VID if given) from
 *                                         an AF_PACKET socket
 *   nicprobe count[-epoll] PORT COUNT SECS receive on a netmap port until COUNT
 *                                         of our frames came or SECS passed;
 *                                         prints "ready mode=M host=T/R", then
 *                                         "frames=N len=MIN-MAX tagged=T vid=V
 *                                         arp=A icmp=I timeouts=W rings=A,B,..."
 *                                         (frames of any kind per bound rx ring)
 *   nicprobe hold PORT                    open PORT, print "ready mode=M", sleep
 *   nicprobe mode PORT                    open PORT, print "mode=M", close
 *   nicprobe sniff IFACE SECS             what the stack receives on IFACE: frames of
 *                                         our ethertype seen by an AF_PACKET socket
 *                                         for SECS; "ready", then "frames=N"
 *   nicprobe info NAME                    PORT_INFO_GET and POOLS_INFO_GET of NAME:
 *                                         "rings=T/R host=T/R mem=ID bufs=N slots=T/R"
 *   nicprobe bpdu IFACE COUNT             COUNT spanning-tree BPDUs (802.3/LLC to
 *                                         01:80:c2:00:00:00) from an AF_PACKET socket
 *   nicprobe inject PORT SRCMAC           one broadcast frame of ours from SRCMAC
 *                                         into PORT's first tx ring, then close
 *   nicprobe forward PORT SECS            netmap's transparent mode on PORT (NIC
 *                                         and host rings, "netmap:eth0*"): every
 *                                         frame released with NS_FORWARD, so the
 *                                         kernel passes it on; prints "ready", and
 *                                         "forwarded=N" at the end
 *   nicprobe detach NAME                  VALE_DETACH of NAME as given (valectl
 *                                         refuses some names before asking);
 *                                         prints "errno=E" (0: detached)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>
#include "unetmap.h"

#define ETH_TEST 0x88b5

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;	/* count: print what came so far, then leave */
}

static int
do_send(const char *ifname, long count, long len, long vid)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(ifname),
	    .sll_halen = 6 };
	static unsigned char f[65536];
	struct ifreq ifr;
	int fd = socket(AF_PACKET, SOCK_RAW, 0), o = 0;

	if (fd < 0 || sa.sll_ifindex == 0 || len < 18 || len > (long)sizeof(f)) {
		fprintf(stderr, "nicprobe: cannot send on %s\n", ifname);
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ioctl(fd, SIOCGIFHWADDR, &ifr);
	memset(f, 0xff, 6);
	memcpy(f + 6, ifr.ifr_hwaddr.sa_data, 6);
	o = 12;
	if (vid >= 0) {
		f[o++] = 0x81; f[o++] = 0x00;
		f[o++] = (unsigned char)(vid >> 8); f[o++] = (unsigned char)vid;
	}
	f[o++] = ETH_TEST >> 8; f[o++] = ETH_TEST & 0xff;
	for (long i = o; i < len; i++)
		f[i] = (unsigned char)i;
	for (long i = 0; i < count; i++) {
		struct timespec nap = { 0, 200000 };

		while (sendto(fd, f, (size_t)len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN) {
				perror("nicprobe: sendto");
				return 1;
			}
			nanosleep(&nap, NULL);
		}
		if (i % 64 == 63)
			nanosleep(&nap, NULL);	/* let a slow receiver keep up */
	}
	return 0;
}

struct tally {
	long frames, minlen, maxlen, tagged, arp, icmp, vid;
};

static void
look(const unsigned char *f, size_t len, struct tally *t)
{
	unsigned type;
	size_t o = 12, shift = 0;

	if (len < 14)
		return;
	type = (unsigned)f[12] << 8 | f[13];
	if (type == 0x8100 && len >= 18) {
		t->vid = ((f[14] & 0x0f) << 8) | f[15];
		o = 16;
		type = (unsigned)f[16] << 8 | f[17];
		if (type == ETH_TEST)
			t->tagged++;
	}
	if (type == 0x0806)
		t->arp++;
	if (type == 0x0800 && len >= o + 2 + 20 && f[o + 2 + 9] == 1)
		t->icmp++;
	if (type != ETH_TEST)
		return;
	/* the sender wrote byte i as i; a tag put in on the way moved them by 4 */
	if (o == 16 && len > 18 && f[18] == (unsigned char)14)
		shift = 4;
	for (size_t i = o + 2; i < len; i++)
		if (f[i] != (unsigned char)(i - shift)) {
			fprintf(stderr, "nicprobe: byte %zu of a %zu-byte frame is wrong\n", i, len);
			return;
		}
	t->frames++;
	if (t->minlen == 0 || (long)len < t->minlen)
		t->minlen = (long)len;
	if ((long)len > t->maxlen)
		t->maxlen = (long)len;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
do_count(const char *port, long count, long secs, bool use_epoll)
{
	static unsigned char frame[65536 + 64 * 2048];
	struct nmport_d *d = nmport_open(port);
	struct tally t = { .vid = -1 };
	long per[64] = { 0 };	/* whole frames by ring, from the first bound one */
	size_t flen = 0;
	double end = now() + (double)secs;

	if (!d) {
		fprintf(stderr, "nicprobe: cannot open %s: %s\n", port, strerror(errno));
		return 1;
	}
	int ep = -1;
	long timeouts = 0;

	if (use_epoll) {
		struct epoll_event ev = { .events = EPOLLIN };

		ep = epoll_create1(0);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, d->fd, &ev) < 0) {
			perror("nicprobe: epoll");
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready mode=%s host=%u/%u\n", unetmap_mode_name((unsigned)unetmap_port_mode(d->fd)),
	    d->reg.nr_host_tx_rings, d->reg.nr_host_rx_rings);
	fflush(stdout);
	while (!stop && t.frames < count && now() < end) {
		struct pollfd p = { .fd = d->fd, .events = POLLIN };
		struct epoll_event ev;

		if (use_epoll) {
			/* a long sleep: it ends early only when something wakes it */
			if (epoll_wait(ep, &ev, 1, 5000) == 0)
				timeouts++;
			ioctl(d->fd, NIOCRXSYNC, NULL);
		} else {
			poll(&p, 1, 100);
		}
		for (unsigned r = d->first_rx_ring; r <= d->last_rx_ring; r++) {
			struct netmap_ring *ring = NETMAP_RXRING(d->nifp, r);

			while (!nm_ring_empty(ring)) {
				struct netmap_slot *s = &ring->slot[ring->head];

				if (flen + s->len <= sizeof(frame))
					memcpy(frame + flen, NETMAP_BUF(ring, s->buf_idx), s->len);
				flen += s->len;
				if (!(s->flags & NS_MOREFRAG)) {
					look(frame, flen, &t);
					flen = 0;
					if (r - d->first_rx_ring < 64)
						per[r - d->first_rx_ring]++;
				}
				ring->head = ring->cur = nm_ring_next(ring, ring->head);
			}
		}
	}
	printf("frames=%ld len=%ld-%ld tagged=%ld vid=%ld arp=%ld icmp=%ld timeouts=%ld rings=",
	    t.frames, t.minlen, t.maxlen, t.tagged, t.vid, t.arp, t.icmp, timeouts);
	for (unsigned r = d->first_rx_ring; r <= d->last_rx_ring && r - d->first_rx_ring < 64; r++)
		printf("%s%ld", r == d->first_rx_ring ? "" : ",", per[r - d->first_rx_ring]);
	printf("\n");
	if (ep >= 0)
		close(ep);
	nmport_close(d);
	return 0;
}

static int
do_forward(const char *port, long secs)
{
	struct nmport_d *d = nmport_open(port);
	double end = now() + (double)secs;
	long n = 0;

	if (!d) {
		fprintf(stderr, "nicprobe: cannot open %s: %s\n", port, strerror(errno));
		return 1;
	}
	for (unsigned r = d->first_rx_ring; r <= d->last_rx_ring; r++)
		NETMAP_RXRING(d->nifp, r)->flags |= NR_FORWARD;
	printf("ready\n");
	fflush(stdout);
	while (now() < end) {
		struct pollfd p = { .fd = d->fd, .events = POLLIN };

		poll(&p, 1, 100);
		for (unsigned r = d->first_rx_ring; r <= d->last_rx_ring; r++) {
			struct netmap_ring *ring = NETMAP_RXRING(d->nifp, r);

			for (uint32_t j = ring->head; j != ring->tail; j = nm_ring_next(ring, j)) {
				ring->slot[j].flags |= NS_FORWARD;
				n += !(ring->slot[j].flags & NS_MOREFRAG);
			}
			ring->head = ring->cur = ring->tail;
		}
		ioctl(d->fd, NIOCRXSYNC, NULL);
	}
	printf("forwarded=%ld\n", n);
	nmport_close(d);
	return 0;
}

static int
do_bpdu(const char *ifname, long count)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(ifname),
	    .sll_halen = 6 };
	unsigned char f[60] = { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x00 };
	struct ifreq ifr;
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd < 0 || sa.sll_ifindex == 0) {
		fprintf(stderr, "nicprobe: cannot send on %s\n", ifname);
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ioctl(fd, SIOCGIFHWADDR, &ifr);
	memcpy(f + 6, ifr.ifr_hwaddr.sa_data, 6);
	f[12] = 0; f[13] = 38;			/* 802.3 length: LLC + a config BPDU */
	f[14] = 0x42; f[15] = 0x42; f[16] = 0x03;	/* LLC: STP */
	for (long i = 0; i < count; i++)
		if (sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			perror("nicprobe: sendto");
			return 1;
		}
	return 0;
}

static int
do_inject(const char *port, const char *mac)
{
	struct nmport_d *d = nmport_open(port);
	unsigned m[6];
	struct netmap_ring *tx;
	unsigned char *f;

	if (sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) {
		fprintf(stderr, "nicprobe: %s is not a MAC address\n", mac);
		return 2;
	}
	if (!d) {
		fprintf(stderr, "nicprobe: cannot open %s: %s\n", port, strerror(errno));
		return 1;
	}
	tx = NETMAP_TXRING(d->nifp, d->first_tx_ring);
	f = (unsigned char *)NETMAP_BUF(tx, tx->slot[tx->head].buf_idx);
	memset(f, 0xff, 6);
	for (int i = 0; i < 6; i++)
		f[6 + i] = (unsigned char)m[i];
	f[12] = ETH_TEST >> 8; f[13] = ETH_TEST & 0xff;
	memset(f + 14, 0, 46);
	tx->slot[tx->head].len = 60;
	tx->head = tx->cur = nm_ring_next(tx, tx->head);
	ioctl(d->fd, NIOCTXSYNC, NULL);
	nmport_close(d);
	return 0;
}

static int
do_sniff(const char *ifname, long secs)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_TEST),
	    .sll_ifindex = (int)if_nametoindex(ifname) };
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_TEST));
	double end = now() + (double)secs;
	unsigned char f[2048];
	long n = 0;

	if (fd < 0 || sa.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "nicprobe: cannot listen on %s\n", ifname);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop && now() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 100) > 0 && recv(fd, f, sizeof(f), MSG_DONTWAIT) > 0)
			n++;
	}
	printf("frames=%ld\n", n);
	return 0;
}

static int
do_info(const char *name)
{
	struct nmreq_port_info_get pi;
	struct nmreq_pools_info pools;
	struct nmreq_header h;
	int fd = open("/dev/netmap", O_RDWR);

	if (fd < 0)
		return 1;
	memset(&h, 0, sizeof(h));
	memset(&pi, 0, sizeof(pi));
	memset(&pools, 0, sizeof(pools));
	h.nr_version = NETMAP_API;
	snprintf(h.nr_name, sizeof(h.nr_name), "%s", name);
	h.nr_reqtype = NETMAP_REQ_PORT_INFO_GET;
	h.nr_body = (uintptr_t)&pi;
	if (ioctl(fd, NIOCCTRL, &h) < 0) {
		fprintf(stderr, "nicprobe: PORT_INFO_GET %s: %s\n", name, strerror(errno));
		return 1;
	}
	h.nr_reqtype = NETMAP_REQ_POOLS_INFO_GET;
	h.nr_body = (uintptr_t)&pools;
	if (ioctl(fd, NIOCCTRL, &h) < 0) {
		fprintf(stderr, "nicprobe: POOLS_INFO_GET %s: %s\n", name, strerror(errno));
		return 1;
	}
	printf("rings=%u/%u host=%u/%u mem=%u bufs=%u slots=%u/%u\n", pi.nr_tx_rings,
	    pi.nr_rx_rings, pi.nr_host_tx_rings, pi.nr_host_rx_rings, pi.nr_mem_id,
	    pools.nr_buf_pool_objtotal, pi.nr_tx_slots, pi.nr_rx_slots);
	close(fd);
	return 0;
}

static int
do_detach(const char *name)
{
	struct nmreq_vale_detach d;
	struct nmreq_header h;
	int fd = open("/dev/netmap", O_RDWR), err;

	if (fd < 0) {
		fprintf(stderr, "nicprobe: /dev/netmap: %s\n", strerror(errno));
		return 1;
	}
	memset(&d, 0, sizeof(d));
	memset(&h, 0, sizeof(h));
	h.nr_version = NETMAP_API;
	h.nr_reqtype = NETMAP_REQ_VALE_DETACH;
	snprintf(h.nr_name, sizeof(h.nr_name), "%s", name);
	h.nr_body = (uintptr_t)&d;
	err = ioctl(fd, NIOCCTRL, &h) < 0 ? errno : 0;
	close(fd);
	printf("errno=%d\n", err);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "info") == 0)
		return do_info(argv[2]);
	if (argc == 4 && strcmp(argv[1], "sniff") == 0)
		return do_sniff(argv[2], atol(argv[3]));
	if (argc == 4 && strcmp(argv[1], "bpdu") == 0)
		return do_bpdu(argv[2], atol(argv[3]));
	if (argc == 4 && strcmp(argv[1], "inject") == 0)
		return do_inject(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "forward") == 0)
		return do_forward(argv[2], atol(argv[3]));
	if (argc == 3 && strcmp(argv[1], "detach") == 0)
		return do_detach(argv[2]);
	if (argc >= 5 && strcmp(argv[1], "send") == 0)
		return do_send(argv[2], atol(argv[3]), atol(argv[4]), argc > 5 ? atol(argv[5]) : -1);
	if (argc >= 5 && strncmp(argv[1], "count", 5) == 0)
		return do_count(argv[2], atol(argv[3]), atol(argv[4]),
		    strcmp(argv[1], "count-epoll") == 0);
	if (argc == 3 && (strcmp(argv[1], "hold") == 0 || strcmp(argv[1], "mode") == 0)) {
		struct nmport_d *d = nmport_open(argv[2]);

		if (!d) {
			fprintf(stderr, "nicprobe: cannot open %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		printf("%smode=%s\n", argv[1][0] == 'h' ? "ready " : "",
		    unetmap_mode_name((unsigned)unetmap_port_mode(d->fd)));
		fflush(stdout);
		if (argv[1][0] == 'h')
			for (;;)
				pause();
		nmport_close(d);
		return 0;
	}
	fprintf(stderr, "usage: nicprobe send IFACE COUNT LEN [VID] | count PORT COUNT SECS |"
	    " hold PORT | mode PORT | info NAME | sniff IFACE SECS | bpdu IFACE COUNT |"
	    " inject PORT SRCMAC | detach NAME\n");
	return 2;
}
