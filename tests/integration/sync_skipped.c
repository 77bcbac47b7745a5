/*
 * sync_skipped.c - a sync skipped because another process (or thread) was
 * syncing the same ring is not lost: netmap's busy ring makes the call
 * return at once, and the owner runs one more sync as it lets go, which
 * carries out what the skipped caller had put on the ring.
 *
 * A second process bound to the pipe keeps syncing one ring (as a thread
 * asleep in poll() does), round after round:
 *  - tx: the sender puts one frame on that ring and syncs it once; once
 *    the other process has stopped, the frame must be on the receiver's
 *    side, with no further sync of the sender's;
 *  - rx: the receiver releases the frame it got and syncs once; once the
 *    other has stopped, the sender must see the slot given back.
 * Without the owner's extra sync, a call that met the other's sync was
 * lost in a share of the rounds (when the other's sync had read the head
 * before it moved): 11-56 of 200,000 tx rounds on two CPUs, so the rounds
 * are many (200,000 a direction, or 30 s; a run of fewer rounds tells
 * less, and one CPU alone hardly ever races).
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
	volatile uint32_t rx;		/* which ring: the sender's tx (0), the receiver's rx (1) */
};

struct pipe {
	struct rawport m, s;		/* the sending end, the receiving end */
	struct netmap_ring *tx, *rx;
};

struct tally {
	uint32_t rounds, late, lost, bad, stuck;
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

/* the other process: syncs the ring sh->rx names while a round lasts */
static void __attribute__((noreturn))
meddler(struct shared *sh)
{
	struct rawport m, s;
	uint32_t last = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlives a parent that died */
	if (getppid() == 1 || raw_open(&m, mn, NR_REG_ALL_NIC, 0, 0) ||
	    raw_open(&s, sn, NR_REG_ALL_NIC, 0, 0))
		_exit(1);
	for (;;) {
		uint32_t g = __atomic_load_n(&sh->go, __ATOMIC_ACQUIRE);
		bool rx = sh->rx;

		if (g == UINT32_MAX)
			_exit(0);
		if (g % 2 == 0 || g == last)
			continue;
		while (__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE) == g) {
			ioctl(rx ? s.fd : m.fd, rx ? NIOCRXSYNC : NIOCTXSYNC, NULL);
			sh->syncs++;
		}
		last = g;
		__atomic_store_n(&sh->stopped, g, __ATOMIC_RELEASE);
	}
}

/* one frame, numbered @r, on the sender's ring (not synced) */
static void
put(struct pipe *p, uint32_t r)
{
	struct netmap_slot *sl = &p->tx->slot[p->tx->head];

	memcpy(NETMAP_BUF(p->tx, sl->buf_idx), &r, sizeof(r));
	sl->len = 60;
	sl->flags = 0;
	p->tx->head = p->tx->cur = nm_ring_next(p->tx, p->tx->head);
}

/* what the receiver holds: released, counting frames that are not @r */
static uint32_t
release(struct pipe *p, uint32_t r)
{
	uint32_t wrong = 0;

	for (; !nm_ring_empty(p->rx); p->rx->head = p->rx->cur = nm_ring_next(p->rx, p->rx->head)) {
		uint32_t v;

		memcpy(&v, NETMAP_BUF(p->rx, p->rx->slot[p->rx->head].buf_idx), sizeof(v));
		wrong += v != r;
	}
	return wrong;
}

/*
 * Round @r with the other process syncing the ring of @rx: starts it,
 * waits for its first sync; the caller's step; then stops it.
 */
static bool
start(struct shared *sh, uint32_t r, struct tally *t)
{
	uint32_t seen = sh->syncs;

	__atomic_store_n(&sh->go, 2 * r - 1, __ATOMIC_RELEASE);
	if (!wait_until(&sh->syncs, seen, false)) {
		t->stuck++;	/* it never synced */
		return false;
	}
	return true;
}

static bool
stop(struct shared *sh, uint32_t r, struct tally *t)
{
	__atomic_store_n(&sh->go, 2 * r, __ATOMIC_RELEASE);
	if (!wait_until(&sh->stopped, 2 * r - 1, true)) {
		t->stuck++;	/* still syncing: what follows would mean nothing */
		return false;
	}
	return true;
}

/* the sender's txsync, while the other process syncs the same tx ring */
static void
tx_rounds(struct pipe *p, struct shared *sh, uint32_t *r, struct tally *t)
{
	uint64_t end = now_ms() + 30000;

	sh->rx = 0;
	for (uint32_t i = 0; i < ROUNDS && now_ms() < end; i++, t->rounds++) {
		++*r;
		if (!start(sh, *r, t))
			return;
		if (nm_ring_empty(p->tx)) {
			t->bad++;
			return;
		}
		put(p, *r);
		ioctl(p->m.fd, NIOCTXSYNC, NULL);	/* once: skipped or not */
		if (!stop(sh, *r, t))
			return;
		/* now nobody syncs the tx ring: the frame is out or never will be */
		ioctl(p->s.fd, NIOCRXSYNC, NULL);
		if (nm_ring_empty(p->rx)) {
			t->late++;
			/* what the next sync of the sender publishes: nothing lost, only late */
			ioctl(p->m.fd, NIOCTXSYNC, NULL);
			ioctl(p->s.fd, NIOCRXSYNC, NULL);
		}
		t->lost += release(p, *r);
		ioctl(p->s.fd, NIOCRXSYNC, NULL);
		ioctl(p->m.fd, NIOCTXSYNC, NULL);
	}
}

/* the receiver's rxsync (a release), while the other process syncs the same rx ring */
static void
rx_rounds(struct pipe *p, struct shared *sh, uint32_t *r, struct tally *t)
{
	uint64_t end = now_ms() + 30000;
	uint32_t room = p->tx->num_slots - 1;	/* everything given back */

	sh->rx = 1;
	for (uint32_t i = 0; i < ROUNDS && now_ms() < end; i++, t->rounds++) {
		++*r;
		if (nm_ring_space(p->tx) != room) {
			t->bad++;
			return;
		}
		put(p, *r);
		ioctl(p->m.fd, NIOCTXSYNC, NULL);
		if (!start(sh, *r, t))
			return;
		/* the other's rxsync shows the frame on the shared rx ring */
		for (uint64_t until = now_ms() + 5000; nm_ring_empty(p->rx); )
			if (now_ms() > until) {
				t->stuck++;
				stop(sh, *r, t);
				return;
			}
		t->lost += release(p, *r);
		ioctl(p->s.fd, NIOCRXSYNC, NULL);	/* once: skipped or not */
		if (!stop(sh, *r, t))
			return;
		/* nobody syncs the rx ring now: the slot is given back or never will be */
		ioctl(p->m.fd, NIOCTXSYNC, NULL);
		if (nm_ring_space(p->tx) != room) {
			t->late++;
			ioctl(p->s.fd, NIOCRXSYNC, NULL);
			ioctl(p->m.fd, NIOCTXSYNC, NULL);
		}
	}
}

static void
report(const char *dir, const struct tally *t)
{
	printf("# %s: %u rounds, %u left behind\n", dir, t->rounds, t->late);
	tap_ok(t->bad == 0, "%s: the rings were as expected at every round's start", dir);
	tap_ok(t->rounds >= 1000, "%s: at least 1000 rounds ran (%u)", dir, t->rounds);
	tap_ok(t->late == 0, "%s: a sync that met another process's sync was run by it (%u "
	    "left behind)", dir, t->late);
	tap_ok(t->lost == 0, "%s: every frame arrived, once, in its round (%u not)", dir, t->lost);
}

int
main(void)
{
	struct pipe p;
	struct shared *sh;
	struct tally tx = { 0 }, rx = { 0 };
	uint32_t r = 0;
	int status = 0;
	pid_t pid;

	alarm(120);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || !raw_open_pipe("sk", 0, &p.m, &p.s, mn, sn)) {
		tap_ok(0, "open a pipe");
		return tap_done();
	}
	p.tx = NETMAP_TXRING(p.m.nifp, 0);
	p.rx = NETMAP_RXRING(p.s.nifp, 0);
	pid = fork();
	if (pid == 0)
		meddler(sh);
	if (pid > 0) {
		tx_rounds(&p, sh, &r, &tx);
		if (!tx.stuck)
			rx_rounds(&p, sh, &r, &rx);
	}
	__atomic_store_n(&sh->go, UINT32_MAX, __ATOMIC_RELEASE);
	if (pid > 0 && waitpid(pid, &status, 0) != pid) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		tx.stuck++;
	} else if (pid > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		tx.stuck++;	/* it could not open the pipe, or died */
	}
	tap_ok(tx.stuck + rx.stuck == 0 && pid > 0, "the other process started, synced and "
	    "stopped when asked (fork: %d)", (int)pid);
	report("tx", &tx);
	report("rx", &rx);
	raw_close(&p.m);
	raw_close(&p.s);
	return tap_done();
}
