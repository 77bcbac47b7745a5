/*
 * kloop.c - CSB mode and the sync loop, as netmap's kernel serves them
 * (netmap.c: netmap_csb_validate, CSB_ENABLE, NIOC*SYNC and poll in CSB
 * mode; netmap_kloop.c: SYNC_KLOOP_START/STOP and their options), through
 * raw ioctls: the option on REGISTER and each of its refusals (no
 * NR_EXCLUSIVE, unaligned, unmapped, read-only, an array too short for the
 * rings), CSB_ENABLE, START without CSB, a second START while one runs,
 * STOP from another thread, frames crossing a pipe when the application
 * only writes the CSB, a loop driven through eventfds by another process,
 * TX_RINGS_ONLY / RX_RINGS_ONLY bindings, and the eventfd array checked
 * against the bound rings.  A netmap program (netmap's headers and libc).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include <libnetmap.h>

#include "../lib/clock.h"
#include "../lib/nmraw.h"
#include "../lib/tap.h"

#define FRAMES 20000u

static char mname[64], sname[64];

struct csb {
	struct nm_csb_atok *atok;
	struct nm_csb_ktoa *ktoa;
};

/* CSB arrays for @n rings in shared memory (a forked child sees them too) */
static struct csb
csb_new(unsigned n)
{
	struct csb c;
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED || n > 64)
		abort();
	c.atok = (struct nm_csb_atok *)m;
	c.ktoa = (struct nm_csb_ktoa *)(m + 4096);
	return c;
}

static void
csb_opt(struct nmreq_opt_csb *o, struct csb c)
{
	memset(o, 0, sizeof(*o));
	o->nro_opt.nro_reqtype = NETMAP_REQ_OPT_CSB;
	o->csb_atok = (uintptr_t)c.atok;
	o->csb_ktoa = (uintptr_t)c.ktoa;
}

static int
reg_again(struct rawport *p, const char *name, uint64_t flags, struct nmreq_option *opts)
{
	int r;

	memset(&p->reg, 0, sizeof(p->reg));
	p->reg.nr_mode = NR_REG_ALL_NIC;
	p->reg.nr_flags = flags;
	r = raw_ctrl(p->fd, NETMAP_REQ_REGISTER, name, &p->reg, opts);
	if (r)
		return r;
	p->mem = mmap(NULL, p->reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	if (p->mem == MAP_FAILED)
		return -errno;
	p->nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
	return 0;
}

/* REGISTER of @name with @flags and the options @opts; 0 or -errno (the port mapped on success) */
static int
reg(struct rawport *p, const char *name, uint64_t flags, struct nmreq_option *opts)
{
	memset(p, 0, sizeof(*p));
	p->mem = MAP_FAILED;
	p->fd = open("/dev/netmap", O_RDWR);
	if (p->fd < 0)
		return -errno;
	return reg_again(p, name, flags, opts);
}

/* ------------------------------------------------------------ loops in threads */

struct loop {
	pthread_t t;
	int fd;
	uint32_t sleep_us;
	struct nmreq_option *opts;
	atomic_int done;
	int ret;
};

static void *
loop_main(void *arg)
{
	struct loop *l = arg;
	struct nmreq_sync_kloop_start st = { .sleep_us = l->sleep_us };

	l->ret = raw_ctrl(l->fd, NETMAP_REQ_SYNC_KLOOP_START, "", &st, l->opts);
	atomic_store(&l->done, 1);
	return NULL;
}

static void
loop_start(struct loop *l, int fd, uint32_t sleep_us, struct nmreq_option *opts)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->sleep_us = sleep_us;
	l->opts = opts;
	pthread_create(&l->t, NULL, loop_main, l);
}

/* the loop has started: it took kern_need_kick down (busy wait) or the thread ended */
static bool
loop_running(struct loop *l, struct nm_csb_ktoa *ktoa)
{
	for (int i = 0; i < 5000; i++) {
		if (atomic_load(&l->done))
			return false;
		if (__atomic_load_n(&ktoa->kern_need_kick, __ATOMIC_ACQUIRE) == 0)
			return true;
		nap_us(1000);
	}
	return false;
}

/* STOP, then the START returns: its result, or -ETIMEDOUT after 10 s (a hang) */
static int
loop_stop(struct loop *l)
{
	int r = raw_ctrl(l->fd, NETMAP_REQ_SYNC_KLOOP_STOP, "", NULL, NULL);

	if (r)
		return r;
	for (int i = 0; i < 10000 && !atomic_load(&l->done); i++)
		nap_us(1000);
	if (!atomic_load(&l->done))
		return -ETIMEDOUT;
	pthread_join(l->t, NULL);
	return l->ret;
}

/* ------------------------------------------------------------ the application's side */

/*
 * publishes @head (and cur) in the CSB entry, then kicks the kernel's loop
 * through @kickfd (-1: none) if it asked for it
 */
static void
csb_publish(struct nm_csb_atok *a, struct nm_csb_ktoa *k, uint32_t head, int kickfd)
{
	uint64_t one = 1;

	nm_sync_kloop_appl_write(a, head, head);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (kickfd >= 0 && __atomic_load_n(&k->kern_need_kick, __ATOMIC_RELAXED) &&
	    write(kickfd, &one, sizeof(one)) < 0)
		return;	/* nothing to undo: the frames are published */
}

/* sends up to @max frames numbered from *@seq through tx ring @ring by its CSB entry */
static unsigned
csb_send(struct netmap_ring *ring, struct nm_csb_atok *a, struct nm_csb_ktoa *k,
    uint32_t *seq, unsigned max, int kickfd)
{
	uint32_t n = ring->num_slots, head = a->head, hwtail, hwcur, sent = 0;

	nm_sync_kloop_appl_read(k, &hwtail, &hwcur);
	while (head != hwtail && sent < max) {
		struct netmap_slot *s = &ring->slot[head];

		memcpy(NETMAP_BUF(ring, s->buf_idx), seq, sizeof(*seq));
		s->len = 60;
		s->flags = 0;
		(*seq)++;
		sent++;
		head = head + 1 == n ? 0 : head + 1;
	}
	if (sent)
		csb_publish(a, k, head, kickfd);
	return sent;
}

/* takes what rx ring @ring holds by its CSB entry, checking the numbers; how many */
static unsigned
csb_recv(struct netmap_ring *ring, struct nm_csb_atok *a, struct nm_csb_ktoa *k,
    uint32_t *expect, unsigned *bad, int kickfd)
{
	uint32_t n = ring->num_slots, head = a->head, hwtail, hwcur, got = 0;

	nm_sync_kloop_appl_read(k, &hwtail, &hwcur);
	while (head != hwtail) {
		uint32_t v;

		memcpy(&v, NETMAP_BUF(ring, ring->slot[head].buf_idx), sizeof(v));
		*bad += v != *expect;
		*expect = v + 1;
		got++;
		head = head + 1 == n ? 0 : head + 1;
	}
	if (got)
		csb_publish(a, k, head, kickfd);
	return got;
}

/* ------------------------------------------------------------ the checks */

static void
refusals(void)
{
	struct rawport p;
	struct nmreq_opt_csb o;
	struct csb c = csb_new(2);
	char *page;
	int r;

	csb_opt(&o, c);
	r = reg(&p, mname, 0, &o.nro_opt);
	TAP_EQ(r, -EINVAL, "CSB on REGISTER without NR_EXCLUSIVE: EINVAL");
	TAP_EQ(o.nro_opt.nro_status, EINVAL, "and its status says EINVAL");
	raw_close(&p);

	csb_opt(&o, c);
	o.csb_atok += 8;
	r = reg(&p, mname, NR_EXCLUSIVE, &o.nro_opt);
	TAP_EQ(r, -EINVAL, "an unaligned nm_csb_atok array: EINVAL");
	TAP_EQ(o.nro_opt.nro_status, EINVAL, "and its status says EINVAL");
	/* netmap unregisters: the same descriptor registers again */
	csb_opt(&o, c);
	r = reg_again(&p, mname, NR_EXCLUSIVE, &o.nro_opt);
	TAP_EQ(r, 0, "the refused descriptor was left unbound: REGISTER again succeeds");
	raw_close(&p);

	page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(page + 4096, 4096);
	csb_opt(&o, c);
	o.csb_ktoa = (uintptr_t)(page + 4096);
	r = reg(&p, mname, NR_EXCLUSIVE, &o.nro_opt);
	TAP_EQ(r, -EFAULT, "an unmapped nm_csb_ktoa array: EFAULT");
	TAP_EQ(o.nro_opt.nro_status, EFAULT, "and its status says EFAULT");
	raw_close(&p);

	mprotect(page, 4096, PROT_READ);
	csb_opt(&o, c);
	o.csb_ktoa = (uintptr_t)page;
	r = reg(&p, mname, NR_EXCLUSIVE, &o.nro_opt);
	TAP_EQ(r, -EFAULT, "a read-only nm_csb_ktoa array: EFAULT");
	raw_close(&p);

	/* one entry before an unmapped page, for a binding of two rings */
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
	csb_opt(&o, c);
	o.csb_atok = (uintptr_t)(page + 4096 - sizeof(struct nm_csb_atok));
	r = reg(&p, mname, NR_EXCLUSIVE, &o.nro_opt);
	TAP_EQ(r, -EFAULT, "an nm_csb_atok array too short for the bound rings: EFAULT");
	raw_close(&p);
	munmap(page, 4096);
}

static void
csb_enable_and_syncs(void)
{
	struct rawport p, q;
	struct nmreq_opt_csb o;
	struct csb c = csb_new(2);
	struct nmreq_sync_kloop_start st = { .sleep_us = 10 };
	struct pollfd pfd;
	int fd = open("/dev/netmap", O_RDWR);

	TAP_EQ(raw_ctrl(fd, NETMAP_REQ_SYNC_KLOOP_START, "", &st, NULL), -ENXIO,
	    "SYNC_KLOOP_START on an unbound descriptor: ENXIO");
	TAP_EQ(raw_ctrl(fd, NETMAP_REQ_SYNC_KLOOP_STOP, "", NULL, NULL), -ENXIO,
	    "SYNC_KLOOP_STOP on an unbound descriptor: ENXIO");
	close(fd);

	TAP_EQ(reg(&p, mname, NR_EXCLUSIVE, NULL), 0, "a pipe end registered without a CSB");
	TAP_EQ(raw_ctrl(p.fd, NETMAP_REQ_SYNC_KLOOP_START, "", &st, NULL), -EINVAL,
	    "SYNC_KLOOP_START without CSB mode: EINVAL");
	st.sleep_us = 2000000;
	TAP_EQ(raw_ctrl(p.fd, NETMAP_REQ_SYNC_KLOOP_START, "", &st, NULL), -EINVAL,
	    "sleep_us over a second: EINVAL");
	TAP_EQ(ioctl(p.fd, NIOCTXSYNC, NULL), 0, "NIOCTXSYNC works before CSB mode");
	TAP_EQ(raw_ctrl(p.fd, NETMAP_REQ_CSB_ENABLE, "", NULL, NULL), -EINVAL,
	    "CSB_ENABLE without the CSB option: EINVAL");
	c.atok[0].head = 77;
	c.ktoa[1].hwtail = 77;
	csb_opt(&o, c);
	TAP_EQ(raw_ctrl(p.fd, NETMAP_REQ_CSB_ENABLE, "", NULL, &o.nro_opt), 0, "CSB_ENABLE");
	TAP_EQ(o.nro_opt.nro_status, 0, "its option's status is 0");
	tap_ok(c.atok[0].head == 0 && c.atok[0].appl_need_kick == 1 &&
	    c.ktoa[0].hwtail == NETMAP_TXRING(p.nifp, 0)->num_slots - 1 &&
	    c.ktoa[0].kern_need_kick == 1 && c.ktoa[1].hwtail == 0,
	    "the entries start from the rings' state (tx head %u hwtail %u, rx hwtail %u)",
	    c.atok[0].head, c.ktoa[0].hwtail, c.ktoa[1].hwtail);
	errno = 0;
	tap_ok(ioctl(p.fd, NIOCTXSYNC, NULL) < 0 && errno == EBUSY, "NIOCTXSYNC in CSB mode: EBUSY");
	errno = 0;
	tap_ok(ioctl(p.fd, NIOCRXSYNC, NULL) < 0 && errno == EBUSY, "NIOCRXSYNC in CSB mode: EBUSY");
	pfd = (struct pollfd){ .fd = p.fd, .events = POLLIN };
	tap_ok(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR), "poll in CSB mode: POLLERR");

	TAP_EQ(reg(&q, sname, 0, NULL), 0, "the other end registered, not exclusive");
	csb_opt(&o, c);
	TAP_EQ(raw_ctrl(q.fd, NETMAP_REQ_CSB_ENABLE, "", NULL, &o.nro_opt), -EINVAL,
	    "CSB_ENABLE without NR_EXCLUSIVE: EINVAL");
	TAP_EQ(o.nro_opt.nro_status, EINVAL, "and its status says EINVAL");
	raw_close(&q);
	raw_close(&p);
}

static void
start_stop(void)
{
	struct rawport p;
	struct nmreq_opt_csb o;
	struct csb c = csb_new(2);
	struct nmreq_sync_kloop_start st = { .sleep_us = 100 };
	struct loop l;
	uint64_t t0;
	int r;

	csb_opt(&o, c);
	TAP_EQ(reg(&p, mname, NR_EXCLUSIVE, &o.nro_opt), 0, "REGISTER with a CSB");
	TAP_EQ(o.nro_opt.nro_status, 0, "its option's status is 0");
	loop_start(&l, p.fd, 100, NULL);
	tap_ok(loop_running(&l, &c.ktoa[0]), "SYNC_KLOOP_START runs in its thread");
	t0 = now_ms();
	r = raw_ctrl(p.fd, NETMAP_REQ_SYNC_KLOOP_START, "", &st, NULL);
	TAP_EQ(r, -EBUSY, "a second START while the first runs: EBUSY");
	tap_diag("the second START answered in %llu ms", (unsigned long long)(now_ms() - t0));
	TAP_EQ(raw_ctrl(p.fd, NETMAP_REQ_CSB_ENABLE, "", NULL, &o.nro_opt), -EBUSY,
	    "CSB_ENABLE while the loop runs: EBUSY");
	t0 = now_ms();
	TAP_EQ(loop_stop(&l), 0, "STOP from another thread: START returns 0");
	tap_diag("START returned %llu ms after STOP", (unsigned long long)(now_ms() - t0));

	/* netmap: a STOP with no loop running makes the next START return at once */
	TAP_EQ(raw_ctrl(p.fd, NETMAP_REQ_SYNC_KLOOP_STOP, "", NULL, NULL), 0,
	    "STOP with no loop running: 0");
	TAP_EQ(raw_ctrl(p.fd, NETMAP_REQ_SYNC_KLOOP_START, "", &st, NULL), 0,
	    "and the next START returns 0 at once");
	raw_close(&p);
}

/* frames through a pipe, both ends driven by their CSB and a loop each, nothing else */
static void
frames_by_csb(uint32_t sleep_us)
{
	struct rawport m, s;
	struct nmreq_opt_csb om, os;
	struct csb cm = csb_new(2), cs = csb_new(2);
	struct loop lm, ls;
	uint32_t seq = 0, expect = 0;
	unsigned got = 0, bad = 0;
	uint64_t end;

	csb_opt(&om, cm);
	csb_opt(&os, cs);
	if (reg(&m, mname, NR_EXCLUSIVE, &om.nro_opt) || reg(&s, sname, NR_EXCLUSIVE, &os.nro_opt)) {
		tap_ok(0, "open both ends with a CSB");
		return;
	}
	loop_start(&lm, m.fd, sleep_us, NULL);
	loop_start(&ls, s.fd, sleep_us, NULL);
	end = now_ms() + 60000;
	while (got < FRAMES && now_ms() < end) {
		csb_send(NETMAP_TXRING(m.nifp, 0), &cm.atok[0], &cm.ktoa[0], &seq, FRAMES - seq, -1);
		got += csb_recv(NETMAP_RXRING(s.nifp, 0), &cs.atok[1], &cs.ktoa[1], &expect, &bad, -1);
	}
	tap_ok(got == FRAMES, "sleep_us %u: every frame crossed the pipe, the application writing "
	    "only the CSB (%u of %u)", sleep_us, got, FRAMES);
	TAP_EQ(bad, 0, "in order, once each");
	TAP_EQ(loop_stop(&lm), 0, "the sender's loop stops");
	TAP_EQ(loop_stop(&ls), 0, "the receiver's loop stops");
	raw_close(&m);
	raw_close(&s);
}

/* the eventfd option for @n rings: ioeventfds and irqfds made here */
static struct nmreq_opt_sync_kloop_eventfds *
efds_new(unsigned n, int *io, int *irq)
{
	size_t sz = sizeof(struct nmreq_opt_sync_kloop_eventfds) + n * 8;
	struct nmreq_opt_sync_kloop_eventfds *e = calloc(1, sz);

	e->nro_opt.nro_reqtype = NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS;
	e->nro_opt.nro_size = sz;
	for (unsigned i = 0; i < n; i++) {
		e->eventfds[i].ioeventfd = io[i] = eventfd(0, 0);
		e->eventfds[i].irqfd = irq[i] = eventfd(0, EFD_NONBLOCK);
	}
	return e;
}

/* waits on @fd (an irqfd) for up to 100 ms and drains it */
static void
wait_irq(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, 100) == 1 && read(fd, &v, sizeof(v)) < 0)
		return;
}

/*
 * The application is another process: the child sends on the master's tx
 * ring and receives on the slave's rx ring, kicking the loops' ioeventfds
 * and sleeping on their irqfds; this process only runs the two loops
 * (TX_RINGS_ONLY and RX_RINGS_ONLY bindings: one CSB entry each).
 */
static void
by_eventfds_from_a_child(uint32_t mode)
{
	struct rawport m, s;
	struct nmreq_opt_csb om, os;
	struct csb cm = csb_new(1), cs = csb_new(1);
	struct nmreq_opt_sync_kloop_eventfds *em, *es, *wrong;
	int mio[1], mirq[1], sio[1], sirq[1], xio[2], xirq[2], status = -1;
	struct nmreq_sync_kloop_start st = { .sleep_us = 0 };
	struct loop lm, ls;
	pid_t pid;

	csb_opt(&om, cm);
	csb_opt(&os, cs);
	if (reg(&m, mname, NR_EXCLUSIVE | NR_TX_RINGS_ONLY, &om.nro_opt) ||
	    reg(&s, sname, NR_EXCLUSIVE | NR_RX_RINGS_ONLY, &os.nro_opt)) {
		tap_ok(0, "open a TX_RINGS_ONLY and an RX_RINGS_ONLY end with a CSB");
		return;
	}
	tap_ok(cm.ktoa[0].hwtail == NETMAP_TXRING(m.nifp, 0)->num_slots - 1,
	    "TX_RINGS_ONLY: one entry, the tx ring's");
	/* an array for two rings on a binding of one */
	wrong = efds_new(2, xio, xirq);
	TAP_EQ(raw_ctrl(m.fd, NETMAP_REQ_SYNC_KLOOP_START, "", &st, &wrong->nro_opt), -EINVAL,
	    "an eventfd array of 2 for 1 bound ring: EINVAL, at once");
	TAP_EQ(wrong->nro_opt.nro_status, EINVAL, "and the option's status says EINVAL");
	{
		struct nmreq_opt_sync_kloop_mode md = { .nro_opt.nro_reqtype =
		    NETMAP_REQ_OPT_SYNC_KLOOP_MODE, .mode = 4 };

		TAP_EQ(raw_ctrl(m.fd, NETMAP_REQ_SYNC_KLOOP_START, "", &st, &md.nro_opt), -EINVAL,
		    "a loop mode with an unknown bit: EINVAL");
		TAP_EQ(md.nro_opt.nro_status, EINVAL, "and the option's status says EINVAL");
		md.mode = NM_OPT_SYNC_KLOOP_DIRECT_TX;
		wrong->eventfds[0].ioeventfd = -1;
		wrong->nro_opt.nro_size = sizeof(*wrong) + 8;
		wrong->nro_opt.nro_next = (uintptr_t)&md;
		TAP_EQ(raw_ctrl(m.fd, NETMAP_REQ_SYNC_KLOOP_START, "", &st, &wrong->nro_opt),
		    -EINVAL, "direct tx without an ioeventfd for each ring: EINVAL");
	}
	em = efds_new(1, mio, mirq);
	es = efds_new(1, sio, sirq);
	struct nmreq_opt_sync_kloop_mode mdm = { .nro_opt.nro_reqtype =
	    NETMAP_REQ_OPT_SYNC_KLOOP_MODE, .mode = mode };
	struct nmreq_opt_sync_kloop_mode mds = mdm;

	if (mode) {
		em->nro_opt.nro_next = (uintptr_t)&mdm;
		es->nro_opt.nro_next = (uintptr_t)&mds;
	}

	pid = fork();
	if (pid == 0) {
		uint32_t seq = 0, expect = 0;
		unsigned got = 0, bad = 0;
		uint64_t end = now_ms() + 60000;

		alarm(90);
		while (got < FRAMES && now_ms() < end) {
			unsigned sent, in;

			cm.atok[0].appl_need_kick = 1;
			cs.atok[0].appl_need_kick = 1;
			sent = csb_send(NETMAP_TXRING(m.nifp, 0), &cm.atok[0], &cm.ktoa[0], &seq,
			    FRAMES - seq, mio[0]);
			in = csb_recv(NETMAP_RXRING(s.nifp, 0), &cs.atok[0], &cs.ktoa[0], &expect,
			    &bad, sio[0]);
			got += in;
			if (!in)
				wait_irq(sent || seq == FRAMES ? sirq[0] : mirq[0]);
		}
		_exit(got == FRAMES && bad == 0 ? 0 : 1);
	}
	loop_start(&lm, m.fd, 0, &em->nro_opt);
	loop_start(&ls, s.fd, 0, &es->nro_opt);
	if (pid > 0)
		waitpid(pid, &status, 0);
	tap_ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "mode %u: a child process sent %u frames and got them all, in order, through two "
	    "loops it kicked by ioeventfd and that woke it by irqfd", mode, FRAMES);
	TAP_EQ(em->nro_opt.nro_status, 0, "the eventfd option was taken (status 0)");
	if (mode)
		tap_ok(mdm.nro_opt.nro_status == 0 && mds.nro_opt.nro_status == 0,
		    "the mode option was taken (status 0)");
	TAP_EQ(loop_stop(&lm), 0, "the TX_RINGS_ONLY loop stops");
	TAP_EQ(loop_stop(&ls), 0, "the RX_RINGS_ONLY loop stops");
	raw_close(&m);
	raw_close(&s);
}

/* the same through libnetmap: a CSB option pushed on a prepared port, then the loop */
static void
via_libnetmap(void)
{
	char spec[96];
	struct csb c = csb_new(2);
	struct nmreq_opt_csb o;
	struct nmport_d *d;
	struct loop l;

	snprintf(spec, sizeof(spec), "netmap:kl%dlib{3", (int)getpid());
	d = nmport_prepare(spec);
	if (!d) {
		tap_ok(0, "libnetmap: nmport_prepare(%s)", spec);
		return;
	}
	csb_opt(&o, c);
	nmreq_push_option(&d->hdr, &o.nro_opt);
	errno = 0;
	tap_ok(nmport_open_desc(d) < 0 && errno == EINVAL,
	    "libnetmap: a CSB option on a port opened without /x: EINVAL");
	nmport_undo_prepare(d);

	snprintf(spec, sizeof(spec), "netmap:kl%dlib{3/x", (int)getpid());
	d = nmport_prepare(spec);
	if (!d) {
		tap_ok(0, "libnetmap: nmport_prepare(%s)", spec);
		return;
	}
	csb_opt(&o, c);
	nmreq_push_option(&d->hdr, &o.nro_opt);
	TAP_EQ(nmport_open_desc(d), 0, "libnetmap: nmport_open_desc with a CSB option (/x)");
	TAP_EQ(o.nro_opt.nro_status, 0, "libnetmap: the option's status is 0");
	loop_start(&l, d->fd, 50, NULL);
	tap_ok(loop_running(&l, &c.ktoa[0]), "libnetmap: the port's sync loop runs");
	TAP_EQ(loop_stop(&l), 0, "libnetmap: and stops");
	nmport_close(d);
}

int
main(void)
{
	alarm(240);
	signal(SIGPIPE, SIG_IGN);
	snprintf(mname, sizeof(mname), "kl%d{1", (int)getpid());
	snprintf(sname, sizeof(sname), "kl%d}1", (int)getpid());
	refusals();
	csb_enable_and_syncs();
	start_stop();
	frames_by_csb(10);
	frames_by_csb(0);
	by_eventfds_from_a_child(0);
	by_eventfds_from_a_child(NM_OPT_SYNC_KLOOP_DIRECT_TX | NM_OPT_SYNC_KLOOP_DIRECT_RX);
	via_libnetmap();
	return tap_done();
}
