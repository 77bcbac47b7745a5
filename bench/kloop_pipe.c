/*
 * kloop_pipe.c - one netmap pipe, 60-byte frames, driven two ways:
 *
 *   kloop_pipe ioctl SECONDS   a sender (cpu 0) fills the master's tx ring
 *                              and calls NIOCTXSYNC, a receiver (cpu 1)
 *                              calls NIOCRXSYNC and drains the slave's rx ring
 *   kloop_pipe kloop SECONDS   the same two, but they only write the CSB
 *                              (head, cur) and read it (hwcur, hwtail); a
 *                              sync loop per end (SYNC_KLOOP_START, sleep_us
 *                              0) runs the syncs, each on its side's cpu
 *
 * Both ends are bound TX_RINGS_ONLY / RX_RINGS_ONLY with NR_EXCLUSIVE, the
 * sender writes a sequence number into each frame and the receiver reads
 * it (and counts frames out of order).  A thread with nothing to do yields
 * its cpu, in both modes.  Prints "kloop_pipe MODE: X Mpps (N out of
 * order)", the rate over SECONDS after a warm-up of half a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <net/netmap_user.h>

#define FRAME 60u

struct end {
	int fd;
	struct netmap_if *nifp;
	struct netmap_ring *ring;
	struct nm_csb_atok *atok;
	struct nm_csb_ktoa *ktoa;
};

static struct end tx, rx;
static bool use_kloop;
static atomic_int stop;
static atomic_ullong received;
static unsigned long long disorder;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu % (int)sysconf(_SC_NPROCESSORS_ONLN), &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static int
ctrl(int fd, uint16_t type, const char *name, void *body, struct nmreq_option *opts)
{
	struct nmreq_header h;

	memset(&h, 0, sizeof(h));
	h.nr_version = NETMAP_API;
	h.nr_reqtype = type;
	snprintf(h.nr_name, sizeof(h.nr_name), "%s", name);
	h.nr_body = (uintptr_t)body;
	h.nr_options = (uintptr_t)opts;
	return ioctl(fd, NIOCCTRL, &h) < 0 ? -errno : 0;
}

static int
open_end(struct end *e, const char *name, uint64_t flags)
{
	struct nmreq_register reg = { .nr_mode = NR_REG_ALL_NIC, .nr_flags = flags | NR_EXCLUSIVE };
	struct nmreq_opt_csb csb = { .nro_opt.nro_reqtype = NETMAP_REQ_OPT_CSB };
	char *mem;
	int r;

	e->fd = open("/dev/netmap", O_RDWR);
	if (e->fd < 0)
		return -errno;
	if (use_kloop) {
		/* one entry: the binding holds one ring */
		if (posix_memalign((void **)&e->atok, 64, sizeof(*e->atok)) ||
		    posix_memalign((void **)&e->ktoa, 64, sizeof(*e->ktoa)))
			return -ENOMEM;
		csb.csb_atok = (uintptr_t)e->atok;
		csb.csb_ktoa = (uintptr_t)e->ktoa;
	}
	r = ctrl(e->fd, NETMAP_REQ_REGISTER, name, &reg, use_kloop ? &csb.nro_opt : NULL);
	if (r)
		return r;
	mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, 0);
	if (mem == MAP_FAILED)
		return -errno;
	e->nifp = NETMAP_IF(mem, reg.nr_offset);
	e->ring = flags & NR_TX_RINGS_ONLY ? NETMAP_TXRING(e->nifp, 0) : NETMAP_RXRING(e->nifp, 0);
	return 0;
}

/* ------------------------------------------------------------ the two sides */

/* where the application may go: tx up to tail, rx up to tail */
static uint32_t
tail_of(struct end *e)
{
	uint32_t hwtail, hwcur;

	if (!use_kloop)
		return e->ring->tail;
	nm_sync_kloop_appl_read(e->ktoa, &hwtail, &hwcur);
	return hwtail;
}

static uint32_t
head_of(struct end *e)
{
	return use_kloop ? e->atok->head : e->ring->head;
}

static void
publish(struct end *e, uint32_t head)
{
	if (use_kloop)
		nm_sync_kloop_appl_write(e->atok, head, head);
	else
		e->ring->head = e->ring->cur = head;
}

static void *
sender(void *arg)
{
	uint32_t seq = 0, n = tx.ring->num_slots;

	(void)arg;
	pin(0);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint32_t head = head_of(&tx), tail = tail_of(&tx), k = 0;

		for (; head != tail; head = head + 1 == n ? 0 : head + 1, k++) {
			struct netmap_slot *s = &tx.ring->slot[head];

			memcpy(NETMAP_BUF(tx.ring, s->buf_idx), &seq, sizeof(seq));
			seq++;
			s->len = FRAME;
			s->flags = 0;
		}
		if (k)
			publish(&tx, head);
		if (!use_kloop)
			ioctl(tx.fd, NIOCTXSYNC, NULL);
		if (!k)
			sched_yield();
	}
	return NULL;
}

static void *
receiver(void *arg)
{
	uint32_t expect = 0, n = rx.ring->num_slots;
	unsigned long long got = 0;

	(void)arg;
	pin(1);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint32_t head, tail, k = 0;

		if (!use_kloop)
			ioctl(rx.fd, NIOCRXSYNC, NULL);
		head = head_of(&rx);
		tail = tail_of(&rx);
		for (; head != tail; head = head + 1 == n ? 0 : head + 1, k++) {
			uint32_t v;

			memcpy(&v, NETMAP_BUF(rx.ring, rx.ring->slot[head].buf_idx), sizeof(v));
			disorder += v != expect;
			expect = v + 1;
		}
		if (k) {
			publish(&rx, head);
			got += k;
			atomic_store_explicit(&received, got, memory_order_relaxed);
		} else {
			sched_yield();
		}
	}
	return NULL;
}

struct loop {
	int fd, cpu, ret;
};

static void *
loop_main(void *arg)
{
	struct loop *l = arg;
	struct nmreq_sync_kloop_start st = { .sleep_us = 0 };

	pin(l->cpu);
	l->ret = ctrl(l->fd, NETMAP_REQ_SYNC_KLOOP_START, "", &st, NULL);
	return NULL;
}

int
main(int argc, char **argv)
{
	char mn[64], sn[64];
	double secs = argc > 2 ? atof(argv[2]) : 5, t0, t1;
	unsigned long long c0, c1;
	struct loop lt = { .cpu = 0 }, lr = { .cpu = 1 };
	pthread_t ts, tr, tlt, tlr;
	int r;

	if (argc < 2 || (strcmp(argv[1], "ioctl") && strcmp(argv[1], "kloop"))) {
		fprintf(stderr, "usage: kloop_pipe ioctl|kloop [SECONDS]\n");
		return 2;
	}
	use_kloop = strcmp(argv[1], "kloop") == 0;
	snprintf(mn, sizeof(mn), "kb%d{0", (int)getpid());
	snprintf(sn, sizeof(sn), "kb%d}0", (int)getpid());
	if ((r = open_end(&tx, mn, NR_TX_RINGS_ONLY)) || (r = open_end(&rx, sn, NR_RX_RINGS_ONLY))) {
		fprintf(stderr, "kloop_pipe: cannot open the pipe: %s\n", strerror(-r));
		return 1;
	}
	if (use_kloop) {
		lt.fd = tx.fd;
		lr.fd = rx.fd;
		pthread_create(&tlt, NULL, loop_main, &lt);
		pthread_create(&tlr, NULL, loop_main, &lr);
	}
	pthread_create(&tr, NULL, receiver, NULL);
	pthread_create(&ts, NULL, sender, NULL);
	usleep(500000);
	c0 = atomic_load(&received);
	t0 = now();
	usleep((useconds_t)(secs * 1e6));
	c1 = atomic_load(&received);
	t1 = now();
	atomic_store(&stop, 1);
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	if (use_kloop) {
		ctrl(tx.fd, NETMAP_REQ_SYNC_KLOOP_STOP, "", NULL, NULL);
		ctrl(rx.fd, NETMAP_REQ_SYNC_KLOOP_STOP, "", NULL, NULL);
		pthread_join(tlt, NULL);
		pthread_join(tlr, NULL);
		if (lt.ret || lr.ret)
			fprintf(stderr, "kloop_pipe: a sync loop failed: %s\n",
			    strerror(-(lt.ret ? lt.ret : lr.ret)));
	}
	printf("kloop_pipe %s: %.3f Mpps (%llu out of order)\n", argv[1],
	    (double)(c1 - c0) / (t1 - t0) / 1e6, disorder);
	return 0;
}
