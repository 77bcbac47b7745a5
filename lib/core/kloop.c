/*
 * kloop.c - netmap's sync loop (NETMAP_REQ_SYNC_KLOOP_START/STOP), run by
 * the thread that asks for it, in the application's process: that is where
 * our txsync/rxsync run anyway (sync.c), and where the CSB (csb.c) is
 * plain memory.  netmap runs it in the kernel, in the ioctl; the
 * application sees the same thing, a call that returns when another
 * thread sends STOP on the same descriptor.
 *
 * Each round does what netmap_sync_kloop_{tx,rx}_ring do: read head and
 * cur from the ring's nm_csb_atok, run the ring's sync on them, write
 * hwcur and hwtail to its nm_csb_ktoa, and tell the application about new
 * room or new frames through its irqfd when it asked (appl_need_kick).
 * The application never writes the ring's head/cur: the loop puts the
 * CSB's values there before each sync, which then checks them as any sync
 * does (a bad head resets the ring and is logged).
 *
 * Between idle rounds the loop sleeps, as netmap's does:
 *  - without NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS (or with a negative
 *    ioeventfd), "busy wait": sleep_us, never asking for kicks
 *    (kern_need_kick stays 0 while the loop runs); sleep_us 0 only
 *    yields the core, as netmap's usleep_range(0, 0) does;
 *  - with them, until a kick: the loop raises kern_need_kick when a ring
 *    goes idle and sleeps on the ioeventfds (netmap: up to 3 s at a time).
 * Either way it also sleeps on the wake-ups the library already has: each
 * ring's eventfd with need_kick raised in its kring (a pipe peer or a
 * switch sender writes it when it fills or drains the ring) and the
 * adapters' own descriptors (an AF_XDP socket), so arrivals from the
 * other side end the sleep at once; and on an eventfd of the binding's
 * that STOP writes.
 *
 * NETMAP_REQ_OPT_SYNC_KLOOP_MODE's direct modes: netmap runs a direct ring
 * in the kicking thread itself (a VM exit); no code of ours runs in
 * another process's thread, so here a direct ring is synced only when its
 * ioeventfd fires or the other side wakes it (never on a plain round;
 * kern_need_kick left up, so the application always kicks), plus a last
 * look before the loop sleeps, and the rings' own wake-ups are passed on
 * to the irqfds of their direction, as netmap's direct modes do.  Without
 * eventfds there is nothing to be direct about and the rings run in every
 * round.
 *
 * Not shared with other processes: a loop runs in one process, so a
 * second START from another process holding the same descriptor is not
 * refused with EBUSY (the rings' own sync lock, sync.c, still keeps the
 * two from syncing a ring at once), and STOP must come from the loop's
 * process.  The CSB is read and written directly once checked: an
 * application that unmaps it under a running loop faults its own process,
 * as it would touching freed memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/real.h"
#include "core/core.h"

/* inner passes over one ring before the loop moves on (netmap: until idle) */
#define RING_PASSES	8
/* netmap's sleep when it waits for kicks */
#define KICK_WAIT_MS	3000
/* netmap: an rx ring stops after this many passes that brought nothing */
#define RX_DRY_MAX	2

struct kl_ring {
	struct unm_kr *kr;
	struct nm_csb_atok *atok;
	struct nm_csb_ktoa *ktoa;
	int iofd;		/* the application's kicks, or -1 */
	int irqfd;		/* our notifications, or -1 */
	bool direct;
	bool kicked;		/* its ioeventfd fired since it last ran */
	uint32_t told_tail;	/* the hwtail last reported to the application */
};

struct kloop {
	struct unm_binding *b;
	struct kl_ring *r;
	unsigned n, ntx;
	bool busy_wait;		/* no kicks: sleep_us between idle rounds */
	uint32_t sleep_us;
	struct pollfd *pfd;	/* the sleep's descriptors */
	unsigned *pring;	/* the ring of each, or UINT_MAX (stop eventfd) */
	uint8_t *pkind;		/* what each is (K_*) */
	unsigned npfd, cap;
};

enum { K_STOP, K_IOEVENT, K_RING, K_ADAPTER };

/* ------------------------------------------------------------ the CSB */

static inline void
csb_read(const struct kl_ring *r, uint32_t *head, uint32_t *cur)
{
	*head = __atomic_load_n(&r->atok->head, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* head before cur, as written */
	*cur = __atomic_load_n(&r->atok->cur, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* and both before the slots */
}

static inline void
csb_write(const struct kl_ring *r, uint32_t hwcur, uint32_t hwtail)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* the slots before the pointers */
	__atomic_store_n(&r->ktoa->hwcur, hwcur, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* hwcur is never older than hwtail */
	__atomic_store_n(&r->ktoa->hwtail, hwtail, __ATOMIC_RELAXED);
}

static inline void
kick_enable(const struct kl_ring *r, uint32_t on)
{
	__atomic_store_n(&r->ktoa->kern_need_kick, on, __ATOMIC_RELAXED);
}

static inline void
notify(const struct kl_ring *r)
{
	uint64_t one = 1;

	if (r->irqfd >= 0 && __atomic_load_n(&r->atok->appl_need_kick, __ATOMIC_RELAXED) &&
	    write(r->irqfd, &one, sizeof(one)) < 0) {
		/* a full counter: the application has a kick pending anyway */
	}
}

/* ------------------------------------------------------------ one ring */

/* the sync of @r on head/cur from the CSB; false when it failed */
static bool
sync_from_csb(struct kl_ring *r, uint32_t head, uint32_t cur)
{
	struct netmap_ring *ring = r->kr->ring;

	ring->head = head;
	ring->cur = cur;
	return (r->kr->dir == NR_TX ? unm_kr_txsync(r->kr) : unm_kr_rxsync(r->kr)) == 0;
}

/* netmap_sync_kloop_tx_ring; true when the ring moved */
static bool
tx_ring(const struct kloop *L, struct kl_ring *r)
{
	struct unm_kring *k = r->kr->k;
	uint32_t head, cur, hwcur, hwtail;
	bool room = false, moved = false;

	if (!r->direct)
		kick_enable(r, 0);
	csb_read(r, &head, &cur);
	for (unsigned pass = 0; pass < RING_PASSES; pass++) {
		hwcur = k->nr_hwcur;
		if (!sync_from_csb(r, head, cur)) {
			if (!L->busy_wait)
				kick_enable(r, 1);
			break;
		}
		hwtail = k->nr_hwtail;
		csb_write(r, k->nr_hwcur, hwtail);
		moved |= k->nr_hwcur != hwcur || hwtail != r->told_tail;
		if (hwtail != r->told_tail) {
			r->told_tail = hwtail;	/* room freed by the other side */
			room = true;
		}
		if (room && r->irqfd >= 0 && __atomic_load_n(&r->atok->appl_need_kick,
		    __ATOMIC_RELAXED)) {
			notify(r);
			room = false;
		}
		csb_read(r, &head, &cur);
		if (head == k->rhead) {
			if (L->busy_wait)
				break;
			/* idle: ask for a kick, then look again (the application may have just written) */
			kick_enable(r, 1);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			csb_read(r, &head, &cur);
			if (head != k->rhead) {
				kick_enable(r, 0);
				continue;
			}
			break;
		}
		if (k->rhead == k->nr_hwtail)
			break;	/* no room left: the other side's wake-up brings us back */
	}
	if (room)
		notify(r);
	return moved;
}

/* netmap_sync_kloop_rx_ring; true when the ring moved */
static bool
rx_ring(const struct kloop *L, struct kl_ring *r)
{
	struct unm_kring *k = r->kr->k;
	uint32_t n = r->kr->n, head, cur, hwcur, hwtail;
	bool got = false, moved = false;
	unsigned dry = 0;

	if (!r->direct)
		kick_enable(r, 0);
	csb_read(r, &head, &cur);
	for (unsigned pass = 0; pass < RING_PASSES; pass++) {
		hwcur = k->nr_hwcur;
		if (!sync_from_csb(r, head, cur)) {
			if (!L->busy_wait)
				kick_enable(r, 1);
			break;
		}
		hwtail = __atomic_load_n(&k->nr_hwtail, __ATOMIC_RELAXED);
		csb_write(r, k->nr_hwcur, hwtail);
		moved |= k->nr_hwcur != hwcur;
		if (hwtail != r->told_tail) {
			r->told_tail = hwtail;	/* frames arrived */
			got = moved = true;
			dry = 0;
		} else {
			dry++;
		}
		if (got && r->irqfd >= 0 && __atomic_load_n(&r->atok->appl_need_kick,
		    __ATOMIC_RELAXED)) {
			notify(r);
			got = false;
		}
		csb_read(r, &head, &cur);
		if (head < n && hwtail == unm_prev(head, n)) {
			/* every slot is the application's: nothing to receive into */
			if (L->busy_wait)
				break;
			kick_enable(r, 1);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			csb_read(r, &head, &cur);
			if (!(head < n && hwtail == unm_prev(head, n))) {
				kick_enable(r, 0);
				continue;
			}
			break;
		}
		if (hwtail == k->rhead || dry >= RX_DRY_MAX)
			break;	/* nothing more from the other side for now */
	}
	if (got)
		notify(r);
	return moved;
}

enum round { R_PLAIN, R_KICKED, R_ALL };

/*
 * One round over the rings: R_PLAIN those that run in rounds (not the
 * direct ones), R_KICKED those kicked or woken since, R_ALL every ring
 * (the last look before sleeping)
 */
static bool
round_robin(struct kloop *L, enum round which)
{
	bool moved = false;

	for (unsigned i = 0; i < L->n; i++) {
		struct kl_ring *r = &L->r[i];

		if (which == R_KICKED ? !r->kicked :
		    which == R_PLAIN && r->direct && !L->busy_wait)
			continue;
		r->kicked = false;
		moved |= r->kr->dir == NR_TX ? tx_ring(L, r) : rx_ring(L, r);
	}
	return moved;
}

/* ------------------------------------------------------------ sleeping */

static int
push(struct kloop *L, int fd, short ev, unsigned ring, uint8_t kind)
{
	if (L->npfd == L->cap) {
		unsigned cap = L->cap ? L->cap * 2 : 16;
		struct pollfd *p = realloc(L->pfd, cap * sizeof(*p));
		unsigned *pr;
		uint8_t *pk;

		if (!p)
			return -ENOMEM;
		L->pfd = p;
		pr = realloc(L->pring, cap * sizeof(*pr));
		if (!pr)
			return -ENOMEM;
		L->pring = pr;
		pk = realloc(L->pkind, cap);
		if (!pk)
			return -ENOMEM;
		L->pkind = pk;
		L->cap = cap;
	}
	L->pfd[L->npfd] = (struct pollfd){ .fd = fd, .events = ev };
	L->pring[L->npfd] = ring;
	L->pkind[L->npfd++] = kind;
	return 0;
}

static void
disarm_all(struct kloop *L)
{
	for (unsigned j = 0; j < L->npfd; j++)
		if (L->pkind[j] == K_RING)
			unm_wait_disarm(L->r[L->pring[j]].kr->k);
}

/*
 * A ring of direction @dir woke up on its own (the other side filled or
 * drained it): netmap's direct modes pass it on to the application's
 * irqfds of that direction; the direct rings of it are synced too.
 */
static void
pass_on(struct kloop *L, uint16_t dir)
{
	uint64_t one = 1;

	for (unsigned i = 0; i < L->n; i++) {
		if (L->r[i].kr->dir != dir || !L->r[i].direct)
			continue;
		L->r[i].kicked = true;
		if (L->r[i].irqfd >= 0 && write(L->r[i].irqfd, &one, sizeof(one)) < 0) {
			/* a full counter: nothing lost */
		}
	}
}

/*
 * Nothing moved: sleep until a kick, a wake-up of a ring, STOP, or the
 * timeout.  Rings are armed first and looked at once more (a wake-up
 * that came before need_kick went up would be lost otherwise).
 */
static int
sleep_idle(struct kloop *L, int stopfd)
{
	struct timespec ts;
	bool crowded = false;
	int r;

	L->npfd = 0;
	if (push(L, stopfd, POLLIN, UINT32_MAX, K_STOP) < 0)
		return -ENOMEM;
	for (unsigned i = 0; i < L->n; i++) {
		struct unm_kr *kr = L->r[i].kr;
		short ev = 0;
		int fd;

		if (L->r[i].iofd >= 0 && !L->busy_wait &&
		    push(L, L->r[i].iofd, POLLIN, i, K_IOEVENT) < 0)
			goto nomem;
		if (push(L, kr->evfd, POLLIN, i, K_RING) < 0)
			goto nomem;
		crowded |= unm_wait_arm(kr);
		fd = kr->ops->wait_fd ? kr->ops->wait_fd(kr, &ev) : -1;
		if (fd >= 0 && push(L, fd, ev, i, K_ADAPTER) < 0)
			goto nomem;
	}
	if (round_robin(L, R_ALL)) {
		disarm_all(L);
		return 0;
	}
	if (L->busy_wait) {
		ts.tv_sec = L->sleep_us / 1000000;
		ts.tv_nsec = (long)(L->sleep_us % 1000000) * 1000;
	} else {
		ts.tv_sec = KICK_WAIT_MS / 1000;
		ts.tv_nsec = (long)(KICK_WAIT_MS % 1000) * 1000000;
	}
	/* two sleepers on one ring may steal each other's wake-up: nap then */
	if (crowded && (ts.tv_sec > 0 || ts.tv_nsec > 1000000))
		ts.tv_sec = 0, ts.tv_nsec = 1000000;
	r = REAL(ppoll)(L->pfd, L->npfd, &ts, NULL);
	disarm_all(L);
	if (r <= 0)
		return 0;	/* the timeout, or a signal: the loop goes on, as netmap's */
	for (unsigned j = 0; j < L->npfd; j++) {
		uint64_t v;

		if (!(L->pfd[j].revents & POLLIN))
			continue;
		switch (L->pkind[j]) {
		case K_STOP:
			if (read(stopfd, &v, sizeof(v)) < 0) {
				/* drained by someone else */
			}
			break;
		case K_IOEVENT:
			/* readable, so this read does not block even on a blocking eventfd */
			if (read(L->pfd[j].fd, &v, sizeof(v)) < 0) {
				/* nothing left */
			}
			L->r[L->pring[j]].kicked = true;
			break;
		case K_RING:
			pass_on(L, L->r[L->pring[j]].kr->dir);
			break;
		default:
			break;
		}
	}
	return 0;
nomem:
	disarm_all(L);
	return -ENOMEM;
}

/* ------------------------------------------------------------ options */

/* is @fd an open eventfd of ours? 0, -EBADF or -EINVAL, as netmap's eventfd_fget */
static int
check_eventfd(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return REAL(fcntl)(fd, F_GETFD) < 0 ? -EBADF : -EINVAL;
	link[n] = '\0';
	return strcmp(link, "anon_inode:[eventfd]") == 0 ? 0 : -EINVAL;
}

/* NETMAP_REQ_OPT_SYNC_KLOOP_MODE: 0 or -EINVAL (its status set) */
static int
mode_option(struct kloop *L, struct nmreq_option *o, bool *dtx, bool *drx)
{
	uint32_t mode = ((struct nmreq_opt_sync_kloop_mode *)(void *)o)->mode;

	*dtx = mode & NM_OPT_SYNC_KLOOP_DIRECT_TX;
	*drx = mode & NM_OPT_SYNC_KLOOP_DIRECT_RX;
	if (mode & ~(uint32_t)(NM_OPT_SYNC_KLOOP_DIRECT_TX | NM_OPT_SYNC_KLOOP_DIRECT_RX)) {
		unm_warn("%s: sync loop mode %#x has unknown bits (direct tx 1, direct rx 2)",
		    L->b->port, mode);
		o->nro_status = EINVAL;
		return -EINVAL;
	}
	o->nro_status = 0;
	return 0;
}

/*
 * NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS: one pair per bound ring, netmap's
 * checks in netmap's order.  The descriptors are duplicated, so an
 * application closing its copies does not pull them from under the loop.
 */
static int
eventfds_option(struct kloop *L, struct nmreq_option *o, bool direct)
{
	struct nmreq_opt_sync_kloop_eventfds *ev = (void *)o;
	int r;

	if (o->nro_size != sizeof(*ev) + (uint64_t)L->n * sizeof(ev->eventfds[0])) {
		unm_warn("%s: sync loop eventfds: nro_size %llu is not for %u rings (%zu bytes)",
		    L->b->port, (unsigned long long)o->nro_size, L->n,
		    sizeof(*ev) + (size_t)L->n * sizeof(ev->eventfds[0]));
		o->nro_status = EINVAL;
		return -EINVAL;
	}
	o->nro_status = 0;
	L->busy_wait = false;
	for (unsigned i = 0; i < L->n; i++)
		if (ev->eventfds[i].ioeventfd < 0)
			L->busy_wait = true;
	if (L->busy_wait && direct) {
		unm_warn("%s: a direct sync loop needs an ioeventfd for every ring", L->b->port);
		o->nro_status = EINVAL;
		return -EINVAL;
	}
	for (unsigned i = 0; i < L->n; i++) {
		int irq = ev->eventfds[i].irqfd, io = ev->eventfds[i].ioeventfd;

		if (irq >= 0) {
			if ((r = check_eventfd(irq)) < 0)
				goto bad;
			if ((L->r[i].irqfd = REAL(fcntl)(irq, F_DUPFD_CLOEXEC, 0)) < 0)
				return -errno;
		}
		if (!L->busy_wait) {
			if ((r = check_eventfd(io)) < 0) {
				irq = io;
				goto bad;
			}
			if ((L->r[i].iofd = REAL(fcntl)(io, F_DUPFD_CLOEXEC, 0)) < 0)
				return -errno;
		}
		continue;
bad:
		unm_warn("%s: sync loop eventfds: descriptor %d of ring entry %u is %s",
		    L->b->port, irq, i, r == -EBADF ? "not open" : "not an eventfd");
		return r;
	}
	return 0;
}

/* ------------------------------------------------------------ start, stop */

static int
stop_eventfd(struct unm_binding *b)
{
	int fd = __atomic_load_n(&b->kloop_evfd, __ATOMIC_ACQUIRE), mine, none = -1;

	if (fd >= 0)
		return fd;
	mine = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mine < 0)
		return -errno;
	if (!__atomic_compare_exchange_n(&b->kloop_evfd, &none, mine, false, __ATOMIC_ACQ_REL,
	    __ATOMIC_ACQUIRE)) {
		syscall(SYS_close, mine);	/* another START made one first */
		return none;
	}
	return mine;
}

/* RUNNING, unless a loop of this process runs: then EBUSY, as netmap */
static int
claim(struct unm_binding *b)
{
	uint32_t st = __atomic_load_n(&b->kloop_state, __ATOMIC_ACQUIRE);
	pid_t me = getpid();

	for (;;) {
		uint32_t want = st | UNM_KLOOP_RUNNING;
		pid_t owner = __atomic_load_n(&b->kloop_pid, __ATOMIC_ACQUIRE);

		if ((st & UNM_KLOOP_RUNNING) && owner == me)
			return -EBUSY;
		if (st & UNM_KLOOP_RUNNING)
			want = UNM_KLOOP_RUNNING;	/* a copy made by fork: no thread of ours runs it */
		/*
		 * the binding is this process's memory: only our threads write
		 * the owner, all with our pid, so it may go first (a STOP that
		 * sees RUNNING then sees us)
		 */
		__atomic_store_n(&b->kloop_pid, me, __ATOMIC_RELEASE);
		if (__atomic_compare_exchange_n(&b->kloop_state, &st, want, false,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return 0;
	}
}

static void
kloop_free(struct kloop *L)
{
	for (unsigned i = 0; L->r && i < L->n; i++) {
		if (L->r[i].iofd >= 0)
			syscall(SYS_close, L->r[i].iofd);
		if (L->r[i].irqfd >= 0)
			syscall(SYS_close, L->r[i].irqfd);
	}
	free(L->r);
	free(L->pfd);
	free(L->pring);
	free(L->pkind);
}

int
unm_kloop_start(struct unm_binding *b, uint32_t sleep_us, struct nmreq_option **opts,
    uint32_t nopts)
{
	struct kloop L = { .b = b, .busy_wait = true, .sleep_us = sleep_us };
	struct nmreq_option *mode = NULL, *efds = NULL;
	bool dtx = false, drx = false;
	int stopfd, r = 0;

	if (!unm_csb_mode(b)) {
		unm_warn("%s: the sync loop needs CSB mode (NETMAP_REQ_OPT_CSB at REGISTER, or "
		    "CSB_ENABLE)", b->port);
		return -EINVAL;
	}
	if ((stopfd = stop_eventfd(b)) < 0)
		return stopfd;
	if (claim(b) < 0) {
		unm_warn("%s: a sync loop already runs on this descriptor", b->port);
		return -EBUSY;
	}
	L.n = (unsigned)b->ntx + b->nrx;
	L.ntx = b->ntx;
	L.r = calloc(L.n ? L.n : 1, sizeof(*L.r));
	if (!L.r) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < L.n; i++) {
		struct kl_ring *kr = &L.r[i];

		kr->kr = &b->kr[i];
		kr->atok = b->csb_atok + i;
		kr->ktoa = b->csb_ktoa + i;
		kr->iofd = kr->irqfd = -1;
		kr->told_tail = __atomic_load_n(&kr->ktoa->hwtail, __ATOMIC_RELAXED);
	}
	for (uint32_t i = 0; i < nopts; i++) {
		if (opts[i]->nro_reqtype == NETMAP_REQ_OPT_SYNC_KLOOP_MODE && !mode)
			mode = opts[i];
		if (opts[i]->nro_reqtype == NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS && !efds)
			efds = opts[i];
	}
	if (mode && (r = mode_option(&L, mode, &dtx, &drx)) < 0)
		goto out;
	if (efds && (r = eventfds_option(&L, efds, dtx || drx)) < 0)
		goto out;
	for (unsigned i = 0; i < L.n; i++)
		L.r[i].direct = i < L.ntx ? dtx : drx;

	while (!(__atomic_load_n(&b->kloop_state, __ATOMIC_ACQUIRE) & UNM_KLOOP_STOPPING)) {
		if (round_robin(&L, R_PLAIN))
			continue;
		if (L.busy_wait && L.sleep_us == 0) {
			/*
			 * no sleep asked: netmap's usleep_range(0, 0) still lets
			 * whoever waits for the core run; so does this
			 */
			sched_yield();
			continue;
		}
		if ((r = sleep_idle(&L, stopfd)) < 0)
			break;
		round_robin(&L, R_KICKED);	/* the direct rings kicked or woken */
	}
out:
	kloop_free(&L);
	/* netmap: the state goes back to nothing, a STOP that came early included */
	__atomic_store_n(&b->kloop_state, 0, __ATOMIC_RELEASE);
	return r;
}

int
unm_kloop_stop(struct unm_binding *b)
{
	int fd = __atomic_load_n(&b->kloop_evfd, __ATOMIC_ACQUIRE);
	uint64_t one = 1;

	/* as netmap: the flag stays until a loop ends, so a START that comes next returns at once */
	__atomic_fetch_or(&b->kloop_state, UNM_KLOOP_STOPPING, __ATOMIC_ACQ_REL);
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* a full counter wakes the loop just as well */
	}
	for (;;) {
		uint32_t st = __atomic_load_n(&b->kloop_state, __ATOMIC_ACQUIRE);
		struct timespec ts = { 0, 1000000 };

		if (!(st & UNM_KLOOP_RUNNING) ||
		    __atomic_load_n(&b->kloop_pid, __ATOMIC_ACQUIRE) != getpid())
			return 0;
		nanosleep(&ts, NULL);
	}
}
