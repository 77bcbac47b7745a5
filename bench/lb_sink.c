/*
 * lb_sink.c - the consumers of lb's pipes in one busy-polling process, so
 * that a benchmark of lb on two cores does not spend them on one consumer
 * process per pipe.
 *
 *   lb_sink SECONDS [-t TXPORT SIZE] PORT...
 *
 * Opens every PORT (e.g. netmap:out}0 netmap:out}1 ...), waits for the
 * first frame, then counts frames for SECONDS seconds, releasing each batch
 * at once, without touching the data (as pkt-gen -f rx does).  Prints
 * "lb_sink: N frames in S s: X Mpps" and the frames per port.
 *
 * With -t it is also the sender: between two rounds of draining it fills
 * TXPORT's ring with SIZE-byte UDP frames of 256 flows (the 42 bytes of
 * headers written into each buffer, since lb swaps buffers under it).  On
 * two cores this keeps sender and consumers from taking turns on one core
 * while lb drops what the consumers were not scheduled to take.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>

#define MAX_PORTS 64

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* frames waiting in @d's rx rings, all released */
static uint64_t
take(struct nmport_d *d)
{
	uint64_t n = 0;

	ioctl(d->fd, NIOCRXSYNC, NULL);
	for (uint16_t i = d->first_rx_ring; i <= d->last_rx_ring; i++) {
		struct netmap_ring *r = NETMAP_RXRING(d->nifp, i);

		n += nm_ring_space(r);
		r->head = r->cur = r->tail;
	}
	return n;
}

static uint64_t sent;

/* fill @d's tx ring with frames of @size bytes; flows cycle over 256 */
static void
give(struct nmport_d *d, uint16_t size)
{
	struct netmap_ring *r = NETMAP_TXRING(d->nifp, d->first_tx_ring);

	while (!nm_ring_empty(r)) {
		struct netmap_slot *s = &r->slot[r->head];
		uint8_t *f = (uint8_t *)NETMAP_BUF(r, s->buf_idx);
		uint32_t k = (uint32_t)(sent++ & 255);
		static const uint8_t hdr[34] = {
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
			0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 1, 0, 1 };

		memcpy(f, hdr, sizeof(hdr));
		f[29] = (uint8_t)(1 + (k & 15));		/* source address */
		f[33] = (uint8_t)(1 + (k >> 4));		/* destination address */
		f[34] = 0x03; f[35] = (uint8_t)k;	/* source port */
		f[36] = 0x07; f[37] = 0xd0;		/* destination port 2000 */
		f[38] = 0; f[39] = 8; f[40] = f[41] = 0;
		s->len = size;
		s->flags = 0;
		r->head = r->cur = nm_ring_next(r, r->head);
	}
	ioctl(d->fd, NIOCTXSYNC, NULL);
}

int
main(int argc, char **argv)
{
	struct nmport_d *d[MAX_PORTS], *tx = NULL;
	uint64_t per[MAX_PORTS] = { 0 }, total = 0;
	double secs, start, end, t;
	uint16_t size = 60;
	int first = 2, np;

	if (argc >= 5 && strcmp(argv[2], "-t") == 0) {
		tx = nmport_open(argv[3]);
		if (!tx) {
			fprintf(stderr, "lb_sink: cannot open %s: %s\n", argv[3], strerror(errno));
			return 1;
		}
		size = (uint16_t)atoi(argv[4]);
		if (size < 60 || size > 2048)
			size = 60;
		first = 5;
	}
	np = argc - first;
	if (np < 1 || np > MAX_PORTS || (secs = atof(argv[1])) <= 0) {
		fprintf(stderr, "usage: lb_sink SECONDS [-t TXPORT SIZE] PORT...\n");
		return 2;
	}
	for (int i = 0; i < np; i++) {
		d[i] = nmport_open(argv[i + first]);
		if (!d[i]) {
			fprintf(stderr, "lb_sink: cannot open %s: %s\n", argv[i + first],
			    strerror(errno));
			return 1;
		}
	}
	printf("lb_sink: ready\n");
	fflush(stdout);
	/* the first frame starts the clock (at most 60 s of waiting) */
	for (end = now() + 60; total == 0 && now() < end; ) {
		if (tx)
			give(tx, size);
		for (int i = 0; i < np; i++)
			total += take(d[i]);
	}
	total = 0;
	start = now();
	end = start + secs;
	do {
		if (tx)
			give(tx, size);
		for (int i = 0; i < np; i++) {
			uint64_t k = take(d[i]);

			per[i] += k;
			total += k;
		}
		t = now();
	} while (t < end);
	printf("lb_sink: %llu frames in %.3f s: %.3f Mpps\n", (unsigned long long)total,
	    t - start, (double)total / (t - start) / 1e6);
	for (int i = 0; i < np; i++) {
		printf("lb_sink: %s %llu\n", argv[i + first], (unsigned long long)per[i]);
		nmport_close(d[i]);
	}
	if (tx)
		nmport_close(tx);
	return 0;
}
