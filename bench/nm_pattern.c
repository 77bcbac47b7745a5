/*
 * nm_pattern.c - a sender and a receiver written the way netmap's pkt-gen
 * moves packets, built from netmap's headers alone: the legacy nm_open()
 * of <net/netmap_user.h> (NETMAP_WITH_LIBS), no libnetmap, nothing of
 * ours linked.  bench/preload.sh runs it with LD_PRELOAD=libunetmap.so
 * against our linked pkt-gen, so what it measures is what an unmodified
 * netmap program gets from the interposition.
 *
 *   nm_pattern tx PORT SIZE SECS   fill every tx buffer once with a SIZE-byte
 *                                  frame, then for SECS seconds: poll(POLLOUT),
 *                                  on each tx ring take at most a burst of the
 *                                  free slots, head = cur, poll again
 *   nm_pattern rx PORT SECS        poll(POLLIN), on each rx ring take at most
 *                                  a burst, count, head = cur; stops SECS s
 *                                  after the first frame (or a second without
 *                                  any, or on SIGINT/SIGTERM)
 *
 * Both print pkt-gen's summary line, "Speed: X Mpps ...", so the benchmark
 * scripts parse the two alike; the rate is over first to last round with
 * traffic, as pkt-gen's.
 */
#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BURST	512			/* pkt-gen's default -b */

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	stopping = 1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
summary(const char *what, uint64_t pkts, uint64_t bytes, uint64_t events, double dt)
{
	if (pkts == 0) {
		printf("%s nothing.\n", what);
		return;
	}
	if (dt <= 0)
		dt = 1e-6;
	printf("%s %llu packets %llu bytes %llu events in %.2f seconds.\n", what,
	    (unsigned long long)pkts, (unsigned long long)bytes, (unsigned long long)events, dt);
	/* always in Mpps: the scripts look for the word before "Mpps" */
	printf("Speed: %.3f Mpps Bandwidth: %.3f Gbps. Average batch: %.2f pkts\n",
	    (double)pkts / dt / 1e6, 8.0 * (double)bytes / dt / 1e9,
	    events ? (double)pkts / (double)events : 0.0);
}

static uint16_t
ip_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* pkt-gen's default frame: broadcast, IPv4 10.0.0.1:1234 -> 10.1.0.1:1234, UDP */
static void
make_frame(uint8_t *f, unsigned size)
{
	static const uint8_t hdr[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x08, 0x00,
		0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 1, 0, 1,
		0x04, 0xd2, 0x04, 0xd2, 0, 0, 0, 0,
	};
	unsigned ip_len = size - 14, udp_len = size - 34;
	uint16_t s;

	memset(f, 0, size);
	memcpy(f, hdr, sizeof(hdr));
	f[16] = (uint8_t)(ip_len >> 8), f[17] = (uint8_t)ip_len;
	f[38] = (uint8_t)(udp_len >> 8), f[39] = (uint8_t)udp_len;
	s = ip_sum(f + 14, 20);
	f[24] = (uint8_t)(s >> 8), f[25] = (uint8_t)s;
	for (unsigned i = 42; i < size; i++)
		f[i] = (uint8_t)i;
}

static int
wait_for(struct nm_desc *d, short events)
{
	struct pollfd pfd = { .fd = NETMAP_FD(d), .events = events };
	int rv = poll(&pfd, 1, 1000);

	if (rv < 0 && errno != EINTR) {
		perror("nm_pattern: poll");
		return -1;
	}
	if (rv > 0 && (pfd.revents & POLLERR)) {
		fprintf(stderr, "nm_pattern: poll reports an error\n");
		return -1;
	}
	return 0;
}

static int
do_tx(struct nm_desc *d, unsigned size, double secs)
{
	uint8_t frame[2048];
	uint64_t pkts = 0, events = 0;
	double tic, end;
	int ret = 0;

	make_frame(frame, size);
	/* every buffer once, as pkt-gen does without -z: the loop copies nothing */
	for (unsigned i = d->first_tx_ring; i <= d->last_tx_ring; i++) {
		struct netmap_ring *ring = NETMAP_TXRING(d->nifp, i);

		for (uint32_t j = 0; j < ring->num_slots; j++) {
			struct netmap_slot *slot = &ring->slot[j];

			memcpy(NETMAP_BUF(ring, slot->buf_idx), frame, size);
			slot->len = size;
		}
	}
	tic = now();
	end = tic + secs;
	while (!stopping && now() < end) {
		if (wait_for(d, POLLOUT) < 0) {
			ret = 1;
			break;
		}
		for (unsigned i = d->first_tx_ring; i <= d->last_tx_ring; i++) {
			struct netmap_ring *ring = NETMAP_TXRING(d->nifp, i);
			uint32_t cur = ring->cur, n = nm_ring_space(ring);

			if (n > BURST)
				n = BURST;
			for (uint32_t k = 0; k < n; k++) {
				struct netmap_slot *slot = &ring->slot[cur];

				/* a buffer swapped in by someone else has no frame yet */
				if (slot->flags & NS_BUF_CHANGED)
					memcpy(NETMAP_BUF(ring, slot->buf_idx), frame, size);
				slot->flags = k == n - 1 ? NS_REPORT : 0;
				slot->len = size;
				cur = nm_ring_next(ring, cur);
			}
			ring->head = ring->cur = cur;
			if (n) {
				pkts += n;
				events++;
			}
		}
	}
	/* push out what the last round queued */
	ioctl(NETMAP_FD(d), NIOCTXSYNC, NULL);
	summary("Sent", pkts, pkts * size, events, now() - tic);
	return ret;
}

static int
do_rx(struct nm_desc *d, double secs)
{
	uint64_t pkts = 0, bytes = 0, events = 0;
	double tic = 0, toc = 0, last = now();
	int ret = 0;

	while (!stopping) {
		double t;
		uint64_t got = 0;

		if (wait_for(d, POLLIN) < 0) {
			ret = 1;
			break;
		}
		for (unsigned i = d->first_rx_ring; i <= d->last_rx_ring; i++) {
			struct netmap_ring *ring = NETMAP_RXRING(d->nifp, i);
			uint32_t cur = ring->cur, n = nm_ring_space(ring);

			if (n > BURST)
				n = BURST;
			/* a slot is a frame, as in netmap's pkt-gen */
			for (uint32_t k = 0; k < n; k++) {
				bytes += ring->slot[cur].len;
				cur = nm_ring_next(ring, cur);
			}
			ring->head = ring->cur = cur;
			if (n) {
				got += n;
				events++;
			}
		}
		t = now();
		if (got) {
			if (!pkts)
				tic = t;
			pkts += got;
			toc = last = t;
			if (t - tic >= secs)
				break;
		} else if (pkts && t - last >= 1.0) {
			break;
		}
	}
	summary("Received", pkts, bytes, events, toc - tic);
	return ret;
}

static void
usage(void)
{
	fprintf(stderr, "usage: nm_pattern tx PORT SIZE SECS\n"
	    "       nm_pattern rx PORT SECS\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct nm_desc *d;
	bool tx;
	unsigned size = 0;
	double secs;
	int ret;

	if (argc < 4)
		usage();
	tx = strcmp(argv[1], "tx") == 0;
	if (tx && argc == 5) {
		size = (unsigned)atoi(argv[3]);
		secs = atof(argv[4]);
		if (size < 60 || size > 2048) {
			fprintf(stderr, "nm_pattern: SIZE must be 60..2048\n");
			return 2;
		}
	} else if (!tx && strcmp(argv[1], "rx") == 0 && argc == 4) {
		secs = atof(argv[3]);
	} else {
		usage();
	}
	/* no SA_RESTART: a signal ends poll() with EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	d = nm_open(argv[2], NULL, 0, NULL);
	if (!d) {
		fprintf(stderr, "nm_pattern: nm_open %s: %s\n", argv[2],
		    errno ? strerror(errno) : "not a netmap port name");
		return 1;
	}
	if (tx && size > NETMAP_TXRING(d->nifp, d->first_tx_ring)->nr_buf_size) {
		fprintf(stderr, "nm_pattern: SIZE is larger than a buffer\n");
		nm_close(d);
		return 2;
	}
	ret = tx ? do_tx(d, size, secs) : do_rx(d, secs);
	nm_close(d);
	return ret;
}
