/*
 * pairs.c - several bridges in one loop: -i A -i B -i C -i D ... forwards
 * A<->B, C<->D, ... in a single process.  unetmapd runs one such worker per
 * switch for every interface attached to it, so a frame crossing the switch
 * from one interface to another never waits for another process to wake.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "bridge.h"

int
nb_run_pairs(struct nmport_d **port, unsigned n, uint32_t batch, bool copy, bool busy,
    volatile sig_atomic_t *stop)
{
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	struct nb_stats *st = calloc(n, sizeof(*st));	/* st[i]: frames out of port i */
	bool *zc = calloc(n / 2, sizeof(*zc));
	struct nb_idle idle = { 0 };
	uint64_t moved = 0;		/* slots moved so far, for the idle check */

	if (!pfd || !st || !zc) {
		free(pfd);
		free(st);
		free(zc);
		fprintf(stderr, "netmap-bridge: out of memory\n");
		return 1;
	}
	for (unsigned p = 0; p < n / 2; p++) {
		zc[p] = !copy && port[2 * p]->reg.nr_mem_id == port[2 * p + 1]->reg.nr_mem_id;
		if (zc[p])
			nb_allow_exchange(port[2 * p], port[2 * p + 1]);
	}
	while (!*stop) {
		for (unsigned i = 0; i < n; i++) {
			pfd[i].fd = port[i]->fd;
			pfd[i].events = 0;
		}
		/* per pair: room where frames wait to go, frames where none wait */
		for (unsigned i = 0; i < n && !busy; i++)
			pfd[i].events |= nb_rx_pending(port[i]) ? 0 : POLLIN;
		for (unsigned i = 0; i < n && !busy; i++)
			if (nb_rx_pending(port[i]))
				pfd[i ^ 1].events |= POLLOUT;
		if (busy) {
			for (unsigned i = 0; i < n; i++)
				ioctl(port[i]->fd, NIOCRXSYNC, NULL);
		} else if (poll(pfd, n, 1000) < 0 && errno != EINTR) {
			perror("netmap-bridge: poll");
			break;
		}
		for (unsigned i = 0; i < n; i++)
			if (busy || (pfd[i ^ 1].revents & POLLOUT))
				nb_move(port[i], port[i ^ 1], batch, zc[i / 2], &st[i]);
		for (unsigned i = 0; i < n && busy; i++)
			ioctl(port[i]->fd, NIOCTXSYNC, NULL);
		if (busy) {
			uint64_t now = 0;

			for (unsigned i = 0; i < n; i++)
				now += st[i].slots;
			nb_pass_done(now - moved, batch);
			if (nb_idle_long(&idle, now - moved)) {
				for (unsigned i = 0; i < n; i++)
					pfd[i].events = POLLIN;
				poll(pfd, n, 1000);	/* nothing for a while: sleep until something comes */
			}
			moved = now;
		}
	}
	for (unsigned i = 0; i < n; i++)
		ioctl(port[i]->fd, NIOCTXSYNC, NULL);
	for (unsigned i = 0; i < n; i++)
		fprintf(stderr, "netmap-bridge: %s -> %s: %llu frames (%llu bytes)\n",
		    port[i]->hdr.nr_name, port[i ^ 1]->hdr.nr_name,
		    (unsigned long long)st[i].frames, (unsigned long long)st[i].bytes);
	free(pfd);
	free(st);
	free(zc);
	return 0;
}
