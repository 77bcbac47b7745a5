/*
 * kill9.c - the kill -9 campaign: while two steady flows run (numbered
 * frames through a pipe, which loses nothing, and through a VALE switch,
 * which may drop but never corrupts, duplicates or reorders), victims of
 * every kind are started and killed with SIGKILL at random moments:
 *
 *   co-sender      binds a tx ring of the steady VALE sender's port (one
 *                  of its own: rings 1-3) and floods (sharing the port's
 *                  queues and their locks)
 *   pidns-sender   the same from a pid namespace of its own
 *   receiver       a new port on the switch, receiving the floods
 *   monitor        a copy monitor on the steady pipe or the VALE receiver
 *   extra-bufs     a pipe end registered with 64 extra buffers
 *   passer         a pipe end whose descriptor goes to another process
 *                  (SCM_RIGHTS); both sync it, either may be killed
 *   registrar      opens, registers and closes ports in a loop
 *
 * Then: every steady frame accounted for and intact, the switch still
 * carrying the VALE flow, and nothing leaked - the global region's free
 * buffers, rings and interfaces, the daemon's descriptors and memfds
 * (-d PID) are what they were before the first victim.  A netmap program
 * (netmap's headers and libc only); TAP on stdout.
 *
 *   kill9 [-n ITERATIONS] [-s SEED] [-d DAEMON_PID]
 */
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "../lib/nmraw.h"
#include "../lib/clock.h"
#include "../lib/tap.h"
#include "unetmap.h"

#define FLOOD_TYPE	0x88b6	/* victims' frames: the steady receiver skips them */
#define STEADY_TYPE	0x88b5
#define NKINDS		7

static const char *kind_name[NKINDS] = { "co-sender", "pidns-sender", "receiver", "monitor",
	"extra-bufs", "passer", "registrar" };

static char sw[32], pm[64], ps[64];
static volatile struct shared {
	volatile int stop;		/* the steady senders stop */
	volatile uint64_t pipe_sent, pipe_got, pipe_bad;
	volatile uint64_t vale_sent, vale_got, vale_bad, vale_order;
	volatile int pipe_done, vale_done;
	volatile uint64_t bad_seq, bad_len, bad_at;	/* the first corrupted VALE frame */
	volatile unsigned char bad_head[32];
} *sh;

/* frame @seq of a steady flow: header, then bytes that depend on @seq */
static void
steady_frame(char *buf, uint64_t seq, uint16_t len)
{
	memset(buf, 0xff, 6);			/* broadcast */
	memset(buf + 6, 0x02, 6);
	buf[12] = STEADY_TYPE >> 8;
	buf[13] = STEADY_TYPE & 0xff;
	memcpy(buf + 14, &seq, 8);
	for (uint16_t i = 22; i < len; i++)
		buf[i] = (char)(seq * 31 + i);
}

static bool
steady_ok(const char *buf, uint16_t len, uint64_t *seq)
{
	if (len < 22)
		return false;
	memcpy(seq, buf + 14, 8);
	for (uint16_t i = 22; i < len; i++)
		if (buf[i] != (char)(*seq * 31 + i))
			return false;
	return true;
}

static uint16_t
steady_len(uint64_t seq)
{
	return (uint16_t)(60 + seq % 1400);
}

/* ------------------------------------------------------------ steady flows */

static void __attribute__((noreturn))
pipe_sender(void)
{
	struct rawport m;
	uint64_t seq = 0;

	if (raw_open(&m, pm, NR_REG_ALL_NIC, 0, 0))
		_exit(2);
	while (!sh->stop) {
		struct netmap_ring *tx = NETMAP_TXRING(m.nifp, 0);

		for (int k = 0; k < 32 && !nm_ring_empty(tx); k++, seq++) {
			struct netmap_slot *s = &tx->slot[tx->head];

			s->len = steady_len(seq);
			s->flags = 0;
			steady_frame(NETMAP_BUF(tx, s->buf_idx), seq, s->len);
			tx->head = tx->cur = nm_ring_next(tx, tx->head);
		}
		ioctl(m.fd, NIOCTXSYNC, NULL);
		nap_us(200);
	}
	/* what is in the ring goes too */
	for (int i = 0; i < 1000 && nm_tx_pending(NETMAP_TXRING(m.nifp, 0)); i++) {
		ioctl(m.fd, NIOCTXSYNC, NULL);
		nap_us(1000);
	}
	sh->pipe_sent = seq;
	sh->pipe_done = 1;
	/* the other end may still be reading: stay until told */
	while (sh->pipe_done != 2)
		nap_us(1000);
	_exit(0);
}

static void __attribute__((noreturn))
pipe_receiver(void)
{
	struct rawport s;
	uint64_t expect = 0, seq, bad = 0;

	if (raw_open(&s, ps, NR_REG_ALL_NIC, 0, 0))
		_exit(2);
	for (;;) {
		struct netmap_ring *rx = NETMAP_RXRING(s.nifp, 0);

		ioctl(s.fd, NIOCRXSYNC, NULL);
		for (; !nm_ring_empty(rx); rx->head = rx->cur = nm_ring_next(rx, rx->head)) {
			struct netmap_slot *sl = &rx->slot[rx->head];

			if (!steady_ok(NETMAP_BUF(rx, sl->buf_idx), sl->len, &seq)) {
				bad++;
				expect++;
				continue;
			}
			if (seq != expect || sl->len != steady_len(seq))
				bad++;
			expect = seq + 1;
		}
		sh->pipe_got = expect;
		sh->pipe_bad = bad;
		if (sh->pipe_done == 1 && expect >= sh->pipe_sent) {
			sh->pipe_done = 2;
			_exit(0);
		}
		nap_us(200);
	}
}

static void __attribute__((noreturn))
vale_sender(void)
{
	struct rawport s;
	struct nmreq_register req = { .nr_mode = NR_REG_ONE_NIC, .nr_ringid = 0,
	    .nr_tx_rings = 4, .nr_rx_rings = 1 };
	char name[64];
	uint64_t seq = 0;

	snprintf(name, sizeof(name), "%s:s0", sw);
	if (raw_open_req(&s, name, &req))
		_exit(2);
	while (!sh->stop || !sh->vale_done) {
		struct netmap_ring *tx = NETMAP_TXRING(s.nifp, 0);

		for (int k = 0; k < 16 && !nm_ring_empty(tx); k++, seq++) {
			struct netmap_slot *sl = &tx->slot[tx->head];

			sl->len = steady_len(seq);
			sl->flags = 0;
			steady_frame(NETMAP_BUF(tx, sl->buf_idx), seq, sl->len);
			tx->head = tx->cur = nm_ring_next(tx, tx->head);
		}
		ioctl(s.fd, NIOCTXSYNC, NULL);
		sh->vale_sent = seq;
		nap_us(500);
	}
	_exit(0);
}

/* counts steady frames; order and content checked, loss allowed (a full queue drops) */
static void __attribute__((noreturn))
vale_receiver(void)
{
	struct rawport r;
	char name[64];
	uint64_t last = 0, seq, got = 0, bad = 0, order = 0;
	bool any = false;

	snprintf(name, sizeof(name), "%s:r0", sw);
	if (raw_open(&r, name, NR_REG_ALL_NIC, 0, 0))
		_exit(2);
	for (;;) {
		ioctl(r.fd, NIOCRXSYNC, NULL);
		for (unsigned i = 0; i < r.nifp->ni_rx_rings; i++) {
			struct netmap_ring *rx = NETMAP_RXRING(r.nifp, i);

			for (; !nm_ring_empty(rx); rx->head = rx->cur = nm_ring_next(rx, rx->head)) {
				struct netmap_slot *sl = &rx->slot[rx->head];
				const unsigned char *f = (unsigned char *)NETMAP_BUF(rx, sl->buf_idx);

				if (sl->len >= 14 && (f[12] << 8 | f[13]) == FLOOD_TYPE)
					continue;
				if (!steady_ok((const char *)f, sl->len, &seq) ||
				    sl->len != steady_len(seq)) {
					if (!bad++) {
						sh->bad_seq = sl->len >= 22 ? seq : ~0ull;
						sh->bad_len = sl->len;
						sh->bad_at = got;
						memcpy((void *)sh->bad_head, f, 32);
					}
					continue;
				}
				if (any && seq <= last)
					order++;
				last = seq;
				any = true;
				got++;
			}
		}
		sh->vale_got = got;
		sh->vale_bad = bad;
		sh->vale_order = order;
		if (sh->vale_done == 2)
			_exit(0);
		nap_us(300);
	}
}

/* ------------------------------------------------------------ victims */

static void
flood(int fd, struct netmap_if *nifp, unsigned ring)
{
	struct netmap_ring *tx = NETMAP_TXRING(nifp, ring);

	for (;;) {
		for (; !nm_ring_empty(tx); tx->head = tx->cur = nm_ring_next(tx, tx->head)) {
			struct netmap_slot *s = &tx->slot[tx->head];
			unsigned char *f = (unsigned char *)NETMAP_BUF(tx, s->buf_idx);

			memset(f, 0xff, 14);
			f[12] = FLOOD_TYPE >> 8;
			f[13] = FLOOD_TYPE & 0xff;
			s->len = 1514;
			s->flags = 0;
		}
		ioctl(fd, NIOCTXSYNC, NULL);
	}
}

/*
 * Tx ring 1 + @slot of the steady sender's port: the victims of one
 * iteration (slot 0..2) never share a ring - two processes writing one
 * ring's slots race each other, in netmap as here.
 */
static void __attribute__((noreturn))
co_sender(unsigned slot)
{
	struct rawport s;
	struct nmreq_register req = { .nr_mode = NR_REG_ONE_NIC, .nr_ringid = (uint16_t)(1 + slot % 3) };
	char name[64];

	snprintf(name, sizeof(name), "%s:s0", sw);
	if (raw_open_req(&s, name, &req))
		_exit(2);
	flood(s.fd, s.nifp, 1 + slot % 3);
	_exit(0);
}

static void __attribute__((noreturn))
pidns_sender(unsigned slot)
{
	pid_t k;

	if (unshare(CLONE_NEWPID))
		_exit(2);
	k = fork();
	if (k == 0)
		co_sender(slot);
	waitpid(k, NULL, 0);
	_exit(0);
}

static void __attribute__((noreturn))
receiver(unsigned id)
{
	struct rawport r;
	char name[64];

	snprintf(name, sizeof(name), "%s:v%u", sw, id % 8);
	if (raw_open(&r, name, NR_REG_ALL_NIC, 0, 0))
		_exit(2);
	for (;;) {
		ioctl(r.fd, NIOCRXSYNC, NULL);
		for (unsigned i = 0; i < r.nifp->ni_rx_rings; i++) {
			struct netmap_ring *rx = NETMAP_RXRING(r.nifp, i);

			rx->head = rx->cur = rx->tail;
		}
	}
}

static void __attribute__((noreturn))
monitor(unsigned id)
{
	struct rawport m;
	char name[64];

	if (id & 1)
		snprintf(name, sizeof(name), "%s", pm);
	else
		snprintf(name, sizeof(name), "%s:r0", sw);
	if (raw_open(&m, name, NR_REG_ALL_NIC, id & 1 ? NR_MONITOR_TX : NR_MONITOR_RX, 0))
		_exit(2);
	for (;;) {
		ioctl(m.fd, NIOCRXSYNC, NULL);
		for (unsigned i = 0; i < m.nifp->ni_rx_rings; i++) {
			struct netmap_ring *rx = NETMAP_RXRING(m.nifp, i);

			rx->head = rx->cur = rx->tail;
		}
		nap_us(100);
	}
}

static void __attribute__((noreturn))
extra_bufs(unsigned id)
{
	struct rawport p;
	char name[64];

	snprintf(name, sizeof(name), "kx%d_%u{1", (int)getppid(), id % 8);
	if (raw_open(&p, name, NR_REG_ALL_NIC, 0, 64))
		_exit(2);
	for (;;)
		pause();
}

static void
send_fd(int sock, int fd)
{
	char c = 'f';
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	sendmsg(sock, &mh, 0);
}

static int
recv_fd(int sock)
{
	char c;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &mh, 0) <= 0 || !(cm = CMSG_FIRSTHDR(&mh)) || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* a pipe whose slave descriptor another process gets and uses (mmap of its own) */
static void __attribute__((noreturn))
passer(unsigned id)
{
	struct rawport m, s;
	char a[64], b[64];
	int sp[2];
	pid_t k;

	snprintf(a, sizeof(a), "kp%d_%u{1", (int)getppid(), id % 8);
	snprintf(b, sizeof(b), "kp%d_%u}1", (int)getppid(), id % 8);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) || raw_open(&m, a, NR_REG_ALL_NIC, 0, 0) ||
	    raw_open(&s, b, NR_REG_ALL_NIC, 0, 0))
		_exit(2);
	k = fork();
	if (k == 0) {
		int fd = recv_fd(sp[1]);
		void *mem;

		if (fd < 0)
			_exit(2);
		mem = mmap(NULL, s.reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (mem == MAP_FAILED)
			_exit(2);
		for (;;) {
			struct netmap_ring *rx = NETMAP_RXRING(NETMAP_IF(mem, s.reg.nr_offset), 0);

			ioctl(fd, NIOCRXSYNC, NULL);
			rx->head = rx->cur = rx->tail;
		}
	}
	send_fd(sp[0], s.fd);
	raw_close(&s);
	flood(m.fd, m.nifp, 0);
	_exit(0);
}

static void __attribute__((noreturn))
registrar(unsigned id)
{
	for (unsigned i = 0;; i++) {
		struct rawport p;
		char name[64];

		switch (i % 4) {
		case 0:
			snprintf(name, sizeof(name), "kr%d_%u{%u", (int)getppid(), id % 4, i % 3);
			break;
		case 1:
			snprintf(name, sizeof(name), "kr%d_%u}%u", (int)getppid(), id % 4, i % 3);
			break;
		case 2:
			snprintf(name, sizeof(name), "%s:g%u", sw, i % 3);
			break;
		default:
			snprintf(name, sizeof(name), "%s", pm);	/* a monitor, through the flags */
		}
		if (raw_open(&p, name, NR_REG_ALL_NIC, i % 4 == 3 ? NR_MONITOR_RX : 0, i % 5) == 0)
			raw_close(&p);
	}
}

/* one victim of @kind, in a process group of its own */
static pid_t
victim(int kind, unsigned id)
{
	pid_t p = fork();

	if (p != 0)
		return p;
	setpgid(0, 0);
	switch (kind) {
	case 0: co_sender(id % 3);
	case 1: pidns_sender(id % 3);
	case 2: receiver(id);
	case 3: monitor(id);
	case 4: extra_bufs(id);
	case 5: passer(id);
	default: registrar(id);
	}
}

/* ------------------------------------------------------------ leaks */

struct usage {
	int regions;		/* 1 if the global region exists (private ones: the daemon's memfds) */
	uint32_t global_free;	/* free buffers of the global region, if it exists */
	int fds, memfds;	/* the daemon's */
};

static int
usage_of(pid_t daemon, struct usage *u)
{
	char path[64], link[256];
	struct dirent *de;
	DIR *d;
	int fd = open("/dev/netmap", O_RDWR);

	memset(u, 0, sizeof(*u));
	if (fd < 0)
		return -1;
	{
		struct nmreq_unetmap_region_info ri = { .nr_mem_id = 1 };

		if (raw_ctrl(fd, NETMAP_REQ_UNETMAP_REGION_INFO, "", &ri, NULL) == 0) {
			u->regions = 1;
			u->global_free = ri.nr_buf_free;
		}
	}
	close(fd);
	if (daemon <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)daemon);
	if (!(d = opendir(path)))
		return -1;
	while ((de = readdir(d))) {
		char p2[600];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p2, sizeof(p2), "%s/%s", path, de->d_name);
		n = readlink(p2, link, sizeof(link) - 1);
		u->fds++;
		if (n > 0) {
			link[n] = '\0';
			u->memfds += strncmp(link, "/memfd:", 7) == 0;
		}
	}
	closedir(d);
	return 0;
}

static bool
same_usage(const struct usage *a, const struct usage *b)
{
	return a->regions == b->regions && a->global_free == b->global_free && a->fds == b->fds &&
	    a->memfds == b->memfds;
}

int
main(int argc, char **argv)
{
	unsigned iters = 30, seed = (unsigned)getpid(), kills[NKINDS] = { 0 };
	pid_t daemon = 0, steady[4];
	struct usage before, after;
	int opt, leak_ok = 0;
	uint64_t t0;

	while ((opt = getopt(argc, argv, "n:s:d:")) != -1) {
		switch (opt) {
		case 'n': iters = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': seed = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': daemon = (pid_t)strtol(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: kill9 [-n ITERATIONS] [-s SEED] [-d DAEMON_PID]\n");
			return 2;
		}
	}
	alarm(60 + iters);
	srand(seed);
	printf("# seed %u, %u iterations\n", seed, iters);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	snprintf(sw, sizeof(sw), "valek%d", (int)getpid() % 100000);
	snprintf(pm, sizeof(pm), "ks%d{1", (int)getpid());
	snprintf(ps, sizeof(ps), "ks%d}1", (int)getpid());
	nap_us(100000);
	tap_ok(usage_of(daemon, &before) == 0, "memory regions (and the daemon's descriptors) "
	    "counted before anything starts");
	fflush(stdout);
	if ((steady[0] = fork()) == 0)
		vale_receiver();
	nap_us(50000);
	if ((steady[1] = fork()) == 0)
		vale_sender();
	if ((steady[2] = fork()) == 0)
		pipe_receiver();
	if ((steady[3] = fork()) == 0)
		pipe_sender();
	nap_us(300000);
	tap_ok(sh->pipe_got > 0 && sh->vale_got > 0, "both steady flows run (pipe %llu, VALE %llu "
	    "frames so far)", (unsigned long long)sh->pipe_got, (unsigned long long)sh->vale_got);

	t0 = now_ms();
	for (unsigned it = 0; it < iters; it++) {
		int n = 1 + rand() % 3, kind[3];
		pid_t v[3];

		for (int j = 0; j < n; j++) {
			kind[j] = rand() % NKINDS;
			v[j] = victim(kind[j], it * 3 + (unsigned)j);
		}
		nap_us(1000 + rand() % 40000);
		for (int j = 0; j < n; j++) {
			kill(-v[j], SIGKILL);
			kill(v[j], SIGKILL);
		}
		for (int j = 0; j < n; j++) {
			while (waitpid(v[j], NULL, 0) < 0 && errno == EINTR)
				;
			kills[kind[j]]++;
		}
		/* the group's other members (a passer's receiver, a pid namespace's sender) */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	printf("# %u iterations in %llu ms; killed:", iters, (unsigned long long)(now_ms() - t0));
	for (int k = 0; k < NKINDS; k++)
		printf(" %s %u", kind_name[k], kills[k]);
	printf("\n");

	/* the switch still carries the VALE flow after the last kill */
	{
		uint64_t g = sh->vale_got, end = now_ms() + 3000;

		while (sh->vale_got < g + 10 && now_ms() < end)
			nap_us(10000);
		tap_ok(sh->vale_got >= g + 10, "the switch carries the steady flow after the last "
		    "kill (%llu frames more)", (unsigned long long)(sh->vale_got - g));
	}
	/* stop the flows: the pipe's frames all arrive */
	sh->stop = 1;
	for (uint64_t end = now_ms() + 10000; sh->pipe_done != 2 && now_ms() < end;)
		nap_us(10000);
	sh->vale_done = 1;
	nap_us(50000);
	sh->vale_done = 2;
	for (int i = 0; i < 4; i++) {
		uint64_t end = now_ms() + 5000;
		int st;

		while (waitpid(steady[i], &st, WNOHANG) == 0 && now_ms() < end)
			nap_us(10000);
		kill(steady[i], SIGKILL);
		waitpid(steady[i], NULL, 0);
	}
	tap_ok(sh->pipe_done == 2 && sh->pipe_got == sh->pipe_sent, "pipe: every frame arrived "
	    "(%llu of %llu)", (unsigned long long)sh->pipe_got, (unsigned long long)sh->pipe_sent);
	TAP_EQ(sh->pipe_bad, 0, "pipe: none corrupted or out of order");
	TAP_EQ(sh->vale_bad, 0, "VALE: none corrupted");
	if (sh->vale_bad) {
		printf("#   the first: after %llu good ones, len %llu, seq field %llu (last good %llu), "
		    "head", (unsigned long long)sh->bad_at, (unsigned long long)sh->bad_len,
		    (unsigned long long)sh->bad_seq, (unsigned long long)sh->vale_got);
		for (int i = 0; i < 32; i++)
			printf(" %02x", sh->bad_head[i]);
		printf("\n");
	}
	TAP_EQ(sh->vale_order, 0, "VALE: none duplicated or out of order");
	printf("# VALE: %llu of %llu steady frames delivered (a full queue drops)\n",
	    (unsigned long long)sh->vale_got, (unsigned long long)sh->vale_sent);

	/* nothing leaked: as before anything started, once the daemon has seen every close */
	for (uint64_t end = now_ms() + 5000; !leak_ok && now_ms() < end; nap_us(50000))
		leak_ok = usage_of(daemon, &after) == 0 && same_usage(&before, &after);
	tap_ok(leak_ok, "nothing leaked: global region %d/%d, free buffers of the global region %u/%u, "
	    "daemon descriptors %d/%d, memfds %d/%d (after/before)", after.regions, before.regions,
	    after.global_free, before.global_free, after.fds, before.fds, after.memfds,
	    before.memfds);
	return tap_done();
}
