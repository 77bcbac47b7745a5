/*
 * sync_skipped.c - a sync skipped because another process (or thread) was
 * syncing the same ring is not lost: netmap's busy ring makes the call
 * return at once, and the owner runs one more sync as it lets go, which
 * publishes what the skipped caller had put on the ring.
 *
 * A second process bound to the sending end of a pipe keeps syncing its
 * tx ring (as a thread asleep in poll() does).  Round after round the
 * sender puts one frame on that ring and syncs it once, then the other
 * process stops and says so; the frame must be on the receiver's side
 * then, with no further sync from anyone.  Without the owner's extra
 * sync, a sender whose call met the other's sync left its frame behind
 * in a share of the rounds (when the other's sync had read the head
 * before the frame was there): 11-56 of 200,000 rounds on two CPUs, so
 * the rounds are many (200,000, or 30 s; a run of fewer rounds tells less,
 * and one CPU alone hardly ever races).
 * A netmap program (netmap's headers and libc only).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "../lib/clock.h"
#include "../lib/nmraw.h"
#include "../lib/tap.h"

#define ROUNDS 200000u

/* between the two processes */
struct shared {
	volatile uint32_t go;		/* 2r - 1: sync while it stays so (round r); 2r: stop */
	volatile uint32_t stopped;	/* the last go it stopped syncing for */
	volatile uint32_t syncs;	/* its syncs so far */
};

static char mn[64], sn[64];

/* until *@w is @want (@eq) or differs from it (!@eq), 5 s at most: false if it never did */
static bool
wait_until(volatile uint32_t *w, uint32_t want, bool eq)
{
	uint64_t until = now_ms() + 5000;

	while ((__atomic_load_n(w, __ATOMIC_ACQUIRE) == want) != eq)
		if (now_ms() > until)
			return false;
	return true;
}

/* the other process: syncs the sending end's tx ring while its round lasts */
static void __attribute__((noreturn))
meddler(struct shared *sh)
{
	struct rawport m;
	uint32_t last = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlives a parent that died */
	if (getppid() == 1 || raw_open(&m, mn, NR_REG_ALL_NIC, 0, 0))
		_exit(1);
	for (;;) {
		uint32_t g = __atomic_load_n(&sh->go, __ATOMIC_ACQUIRE);

		if (g == UINT32_MAX)
			_exit(0);
		if (g % 2 == 0 || g == last)
			continue;
		while (__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE) == g) {
			ioctl(m.fd, NIOCTXSYNC, NULL);
			sh->syncs++;
		}
		last = g;
		__atomic_store_n(&sh->stopped, g, __ATOMIC_RELEASE);
	}
}

int
main(void)
{
	struct rawport m, s;
	struct netmap_ring *tx, *rx;
	struct shared *sh;
	uint32_t late = 0, lost = 0, rounds = 0, bad = 0, stuck = 0;
	int status = 0;
	uint64_t end;
	pid_t pid;

	alarm(120);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || !raw_open_pipe("sk", 0, &m, &s, mn, sn)) {
		tap_ok(0, "open a pipe");
		return tap_done();
	}
	tx = NETMAP_TXRING(m.nifp, 0);
	rx = NETMAP_RXRING(s.nifp, 0);
	pid = fork();
	if (pid == 0)
		meddler(sh);
	/* bounded in time too: the rounds need two CPUs to race at all */
	end = now_ms() + 30000;
	for (uint32_t r = 1; pid > 0 && r <= ROUNDS && now_ms() < end; r++) {
		uint32_t seen = sh->syncs;

		__atomic_store_n(&sh->go, 2 * r - 1, __ATOMIC_RELEASE);
		if (!wait_until(&sh->syncs, seen, false)) {
			stuck++;	/* it never synced */
			break;
		}
		if (nm_ring_empty(tx)) {
			bad++;
			break;
		}
		memcpy(NETMAP_BUF(tx, tx->slot[tx->head].buf_idx), &r, sizeof(r));
		tx->slot[tx->head].len = 60;
		tx->slot[tx->head].flags = 0;
		tx->head = tx->cur = nm_ring_next(tx, tx->head);
		ioctl(m.fd, NIOCTXSYNC, NULL);	/* once: skipped or not */
		__atomic_store_n(&sh->go, 2 * r, __ATOMIC_RELEASE);	/* stop */
		if (!wait_until(&sh->stopped, 2 * r - 1, true)) {
			stuck++;	/* still syncing: what follows would mean nothing */
			break;
		}
		/* now nobody syncs the tx ring: the frame is published or never will be */
		ioctl(s.fd, NIOCRXSYNC, NULL);
		if (nm_ring_empty(rx)) {
			late++;
			/* what the next sync of the sender publishes: nothing lost, only late */
			ioctl(m.fd, NIOCTXSYNC, NULL);
			ioctl(s.fd, NIOCRXSYNC, NULL);
		}
		for (; !nm_ring_empty(rx); rx->head = rx->cur = nm_ring_next(rx, rx->head)) {
			uint32_t v;

			memcpy(&v, NETMAP_BUF(rx, rx->slot[rx->head].buf_idx), sizeof(v));
			lost += v != r;
		}
		rounds = r;
	}
	__atomic_store_n(&sh->go, UINT32_MAX, __ATOMIC_RELEASE);
	if (pid > 0 && waitpid(pid, &status, 0) != pid) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		stuck++;
	} else if (pid > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		stuck++;	/* it could not open the pipe, or died */
	}
	printf("# %u rounds, %u syncs by the other process, %u frames left behind\n",
	    rounds, sh->syncs, late);
	tap_ok(stuck == 0 && pid > 0, "the other process started, synced and stopped when asked "
	    "(fork: %d)", (int)pid);
	TAP_EQ(bad, 0, "the sender's ring had room every round");
	tap_ok(rounds >= 1000, "at least 1000 rounds ran (%u)", rounds);
	TAP_EQ(late, 0, "a frame whose sync met another process's sync was published by it");
	TAP_EQ(lost, 0, "every frame arrived, once, in its round");
	raw_close(&m);
	raw_close(&s);
	return tap_done();
}
