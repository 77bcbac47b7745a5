/*
 * xsk_rx.c - the raw AF_XDP receive loop bench/nic.sh holds pkt-gen's
 * receive rate against: libxdp's own socket and default program, copy or
 * zero-copy as the driver allows, busy polling, frames counted and handed
 * straight back to the fill ring.  Prints "N pps" once a second.
 *
 *   xsk_rx IFACE SECONDS
 */
#include <errno.h>
#include <linux/if_link.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <xdp/xsk.h>

#define NFRAMES 4096
#define FSIZE XSK_UMEM__DEFAULT_FRAME_SIZE

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_umem_config uc = { .fill_size = 2048, .comp_size = 2048,
	    .frame_size = FSIZE, .frame_headroom = 0 };
	struct xsk_socket_config sc = { .rx_size = 2048, .tx_size = 2048,
	    .xdp_flags = XDP_FLAGS_DRV_MODE, .bind_flags = XDP_USE_NEED_WAKEUP };
	void *area;
	uint32_t idx;
	double end, tick;
	unsigned long long count = 0, last = 0;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: xsk_rx IFACE SECONDS\n");
		return 2;
	}
	area = mmap(NULL, (size_t)NFRAMES * FSIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return 1;
	r = xsk_umem__create(&umem, area, (uint64_t)NFRAMES * FSIZE, &fq, &cq, &uc);
	if (!r)
		r = xsk_socket__create(&xsk, argv[1], 0, umem, &rx, &tx, &sc);
	if (r) {
		fprintf(stderr, "xsk_rx: %s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	if (xsk_ring_prod__reserve(&fq, 2048, &idx) != 2048)
		return 1;
	for (uint32_t i = 0; i < 2048; i++)
		*xsk_ring_prod__fill_addr(&fq, idx + i) = (uint64_t)i * FSIZE;
	xsk_ring_prod__submit(&fq, 2048);
	/* interrupted, it still detaches libxdp's program on the way out */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	tick = now() + 1;
	end = now() + atof(argv[2]);
	while (!stop && now() < end) {
		uint32_t n = xsk_ring_cons__peek(&rx, 256, &idx), fidx;

		if (n) {
			if (xsk_ring_prod__reserve(&fq, n, &fidx) == n) {
				for (uint32_t i = 0; i < n; i++)
					*xsk_ring_prod__fill_addr(&fq, fidx + i) =
					    xsk_ring_cons__rx_desc(&rx, idx + i)->addr;
				xsk_ring_prod__submit(&fq, n);
			}
			xsk_ring_cons__release(&rx, n);
			count += n;
		}
		if (xsk_ring_prod__needs_wakeup(&fq))
			recvfrom(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
		if (now() >= tick) {
			printf("%llu pps\n", count - last);
			fflush(stdout);
			last = count;
			tick += 1;
		}
	}
	xsk_socket__delete(xsk);
	xsk_umem__delete(umem);
	return 0;
}
