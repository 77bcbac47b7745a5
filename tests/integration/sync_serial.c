/*
 * sync_serial.c - one sync of a ring at a time, as netmap's kernel
 * serialises them: while a sender pushes numbered frames through a pipe,
 * another process bound to the same end keeps syncing the same rings; the
 * receiver must get every frame once, in order.  Unserialised, the two
 * syncs publish the same slots twice or step over each other's hwcur.
 * A netmap program (netmap's headers and libc only).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "../lib/nmraw.h"
#include "../lib/tap.h"

#define FRAMES 300000u

static char mn[64], sn[64];

/* the other process: syncs the sender's rings, touching nothing else */
static void __attribute__((noreturn))
meddler(void)
{
	struct rawport m;

	if (raw_open(&m, mn, NR_REG_ALL_NIC, 0, 0))
		_exit(1);
	for (;;) {
		ioctl(m.fd, NIOCTXSYNC, NULL);
		ioctl(m.fd, NIOCRXSYNC, NULL);
	}
}

int
main(void)
{
	struct rawport m, s;
	struct netmap_ring *tx, *rx;
	uint32_t sent = 0, got = 0, bad = 0, expect = 0;
	pid_t pid;

	alarm(120);
	if (!raw_open_pipe("ss", 0, &m, &s, mn, sn)) {
		tap_ok(0, "open a pipe");
		return tap_done();
	}
	tx = NETMAP_TXRING(m.nifp, 0);
	rx = NETMAP_RXRING(s.nifp, 0);
	pid = fork();
	if (pid == 0)
		meddler();
	while (got < FRAMES) {
		for (int k = 0; k < 64 && sent < FRAMES && !nm_ring_empty(tx); k++, sent++) {
			struct netmap_slot *sl = &tx->slot[tx->head];

			memcpy(NETMAP_BUF(tx, sl->buf_idx), &sent, sizeof(sent));
			sl->len = 60;
			sl->flags = 0;
			tx->head = tx->cur = nm_ring_next(tx, tx->head);
		}
		ioctl(m.fd, NIOCTXSYNC, NULL);
		ioctl(s.fd, NIOCRXSYNC, NULL);
		for (; !nm_ring_empty(rx); rx->head = rx->cur = nm_ring_next(rx, rx->head), got++) {
			uint32_t v;

			memcpy(&v, NETMAP_BUF(rx, rx->slot[rx->head].buf_idx), sizeof(v));
			if (v != expect)
				bad++;
			expect = v + 1;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	TAP_EQ(got, FRAMES, "every frame arrived");
	TAP_EQ(bad, 0, "once each, in order, while another process synced the same rings");
	raw_close(&m);
	raw_close(&s);
	return tap_done();
}
