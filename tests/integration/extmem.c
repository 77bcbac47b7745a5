/*
 * extmem.c - netmap's external memory (NETMAP_REQ_OPT_EXTMEM, libnetmap's
 * @extmem): ports laid out inside memory the application supplies.
 *
 * Raw ioctls on an anonymous MAP_SHARED area and on a file: the option
 * echoed (usrptr, memsize), the netmap_if at usrptr + nr_offset, rings and
 * buffers inside the memory; a pipe whose two ends live in two processes
 * (the second maps the first one's memory through the daemon); two
 * processes, each with its own external memory, on one VALE switch,
 * frames crossing both ways; libnetmap's @extmem:file=...; huge pages on
 * hugetlbfs where the machine can have them (skipped otherwise); and the
 * refusals: impossible object size or count (EINVAL), two EXTMEM options
 * (EINVAL on both), MAP_PRIVATE memory (EINVAL), memory too small for the
 * pools (ENOMEM), unmapped memory (EFAULT).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/nmextmem.h"
#include "../lib/tap.h"
#include <libnetmap.h>

#define FRAMES 200

static char sw[32];		/* this run's switch */
static char tmpdir[] = "/tmp/unetmap-extmem-XXXXXX";

static bool
inside(const void *p, const void *mem, uint64_t size)
{
	return (const char *)p >= (const char *)mem && (const char *)p < (const char *)mem + size;
}

/* the checks every successful registration in external memory must pass */
static void
check_layout(const char *what, int fd, const struct nmreq_register *req,
    const struct nmreq_opt_extmem *e, void *mem, uint64_t memsize)
{
	struct netmap_if *nifp;
	struct netmap_ring *tx;

	tap_ok(fd >= 0 && e->nro_opt.nro_status == 0, "%s: registered (status %u)", what,
	    e->nro_opt.nro_status);
	if (fd < 0)
		return;
	tap_ok(e->nro_usrptr == (uintptr_t)mem && e->nro_info.nr_memsize == memsize,
	    "%s: usrptr and memsize echoed unchanged", what);
	tap_ok(req->nr_mem_id > 1 && req->nr_memsize <= memsize && req->nr_offset < memsize,
	    "%s: a private memory id (%u), nr_memsize %llu within the memory", what,
	    req->nr_mem_id, (unsigned long long)req->nr_memsize);
	nifp = NETMAP_IF(mem, req->nr_offset);
	tap_ok(strncmp(nifp->ni_name, "", 1) != 0 && (nifp->ni_flags & NI_PRIV_MEM) &&
	    nifp->ni_tx_rings == req->nr_tx_rings,
	    "%s: the netmap_if is at usrptr + nr_offset (%s)", what, nifp->ni_name);
	tx = NETMAP_TXRING(nifp, 0);
	tap_ok(inside(tx, mem, memsize) && tx->num_slots == req->nr_tx_slots &&
	    inside(NETMAP_BUF(tx, tx->slot[0].buf_idx), mem, memsize),
	    "%s: rings and buffers lie in the memory", what);
}

static void
t_anon_and_file(void)
{
	struct nmreq_pools_info pi;
	struct nmreq_opt_extmem e;
	struct nmreq_register req;
	char name[64], path[128];
	void *mem;
	int fd, ffd;

	extmem_pools(&pi, 4096, 0);
	mem = mmap(NULL, pi.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	snprintf(name, sizeof(name), "%s:anon", sw);
	fd = reg_extmem(name, &req, &e, mem, &pi);
	check_layout("anonymous MAP_SHARED", fd, &req, &e, mem, pi.nr_memsize);
	/* the same memory again: the same region, as netmap finds the same allocator */
	if (fd >= 0) {
		struct nmreq_opt_extmem e2;
		struct nmreq_register req2;
		int fd2;

		snprintf(name, sizeof(name), "%s:anon2", sw);
		fd2 = reg_extmem(name, &req2, &e2, mem, &pi);
		tap_ok(fd2 >= 0 && req2.nr_mem_id == req.nr_mem_id,
		    "the same memory twice is the same region (%u, %u)", req.nr_mem_id,
		    req2.nr_mem_id);
		if (fd2 >= 0)
			close(fd2);
		close(fd);
	}
	munmap(mem, pi.nr_memsize);

	snprintf(path, sizeof(path), "%s/file", tmpdir);
	ffd = open(path, O_RDWR | O_CREAT, 0600);
	if (ffd < 0 || ftruncate(ffd, (off_t)pi.nr_memsize + 8192) < 0) {
		tap_ok(0, "a file for external memory: %s", strerror(errno));
		return;
	}
	/* at offset 8192 of the file, the descriptor closed: found by its path */
	mem = mmap(NULL, pi.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 8192);
	close(ffd);
	snprintf(name, sizeof(name), "%s:file", sw);
	fd = reg_extmem(name, &req, &e, mem, &pi);
	check_layout("a file, at an offset", fd, &req, &e, mem, pi.nr_memsize);
	if (fd >= 0)
		close(fd);
	munmap(mem, pi.nr_memsize);
}

/* one frame of @len bytes of @byte on ring @r; false when it is full */
static bool
put(struct netmap_ring *r, unsigned len, int byte)
{
	return raw_put(r, len, byte) == 0;
}

/* waits (bounded) for a frame on @fd's rx ring 0; its first byte, or -1 */
static int
get(int fd, struct netmap_if *nifp)
{
	struct netmap_ring *rx = NETMAP_RXRING(nifp, 0);

	for (int tries = 0; tries < 300; tries++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (!nm_ring_empty(rx)) {
			int b = (unsigned char)NETMAP_BUF(rx, rx->slot[rx->cur].buf_idx)[0];

			rx->head = rx->cur = nm_ring_next(rx, rx->cur);
			return b;
		}
		poll(&p, 1, 10);
	}
	return -1;
}

/*
 * In a child: opens @name (a pipe's other end, or a monitor), says so on
 * @ready, and expects FRAMES frames numbered 0, 1, ... on its rx ring 0.
 */
static int
receiver(const char *name, uint64_t flags, int go, int ready)
{
	struct rawport s;
	int n = 0;
	char c;

	if (read(go, &c, 1) != 1)
		return 2;
	if (raw_open(&s, name, NR_REG_ALL_NIC, flags, 0) < 0)
		return 3;
	if (write(ready, "r", 1) != 1)
		return 4;
	for (int i = 0; i < FRAMES; i++) {
		int b = get(s.fd, s.nifp);

		if (b < 0)
			break;
		n += b == (i & 0xff);
	}
	raw_close(&s);
	return n == FRAMES ? 0 : 5;
}

/*
 * A pipe in external memory: the master's process supplies the memory;
 * two other processes, the pipe's other end and a copy monitor of the
 * master's tx ring, map it through the daemon.
 */
static void
t_pipe(void)
{
	struct nmreq_pools_info pi;
	struct nmreq_opt_extmem e;
	struct nmreq_register req;
	char name[2][64], mname[64];
	int go[2], ready[2], fd, st[2] = { 0, 0 }, got = 0;
	pid_t pid[2];
	void *mem;
	char c;

	if (pipe(go) < 0 || pipe(ready) < 0)
		return;
	snprintf(mname, sizeof(mname), "xpipe%d{3", (int)getpid());
	snprintf(name[0], sizeof(name[0]), "xpipe%d}3", (int)getpid());
	snprintf(name[1], sizeof(name[1]), "xpipe%d{3", (int)getpid());	/* its monitor */
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			alarm(30);
			close(go[1]);
			close(ready[0]);
			_exit(receiver(name[i], i ? NR_MONITOR_TX : 0, go[0], ready[1]));
		}
	}
	close(go[0]);
	close(ready[1]);
	extmem_pools(&pi, 4096, 0);
	mem = mmap(NULL, pi.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	fd = reg_extmem(mname, &req, &e, mem, &pi);
	tap_ok(fd >= 0, "a pipe's master end in external memory (%s)",
	    fd < 0 ? strerror(-fd) : "ok");
	if (write(go[1], "gg", 2) != 2 || read(ready[0], &c, 1) != 1 || read(ready[0], &c, 1) != 1)
		fd = -1;
	if (fd >= 0) {
		struct netmap_if *nifp = NETMAP_IF(mem, req.nr_offset);
		struct netmap_ring *tx = NETMAP_TXRING(nifp, 0);

		/* bounded: at most 2000 waits of 10 ms for room */
		for (int i = 0, waits = 0; i < FRAMES && waits < 2000;) {
			if (put(tx, 60, i & 0xff))
				i++, got++;
			else {
				struct pollfd p = { .fd = fd, .events = POLLOUT };

				poll(&p, 1, 10);
				waits++;
			}
			ioctl(fd, NIOCTXSYNC, 0);
		}
	}
	for (int i = 0; i < 2; i++)
		waitpid(pid[i], &st[i], 0);
	tap_ok(got == FRAMES && WIFEXITED(st[0]) && WEXITSTATUS(st[0]) == 0,
	    "%d frames through the pipe into another process (exit %d)", got,
	    WIFEXITED(st[0]) ? WEXITSTATUS(st[0]) : -1);
	tap_ok(WIFEXITED(st[1]) && WEXITSTATUS(st[1]) == 0,
	    "a copy monitor of the master's tx ring, in a third process, saw them all (exit %d)",
	    WIFEXITED(st[1]) ? WEXITSTATUS(st[1]) : -1);
	if (fd >= 0)
		close(fd);
	close(go[1]);
	close(ready[0]);
	munmap(mem, pi.nr_memsize);
}

/*
 * One process on the switch, in external memory of its own (@file: a
 * file's, else anonymous shared): sends FRAMES frames of byte @mine and
 * must receive FRAMES of byte @theirs.  Exits 0 when all arrived.
 */
static int
vale_side(const char *port, bool file, int mine, int theirs, int ready_w, int ready_r)
{
	struct nmreq_pools_info pi;
	struct nmreq_opt_extmem e;
	struct nmreq_register req;
	struct netmap_if *nifp;
	struct netmap_ring *tx, *rx;
	char name[64];
	int fd, sent = 0, recvd = 0;
	void *mem;
	char c;

	extmem_pools(&pi, 4096, 0);
	if (file) {
		char path[128];
		int ffd;

		snprintf(path, sizeof(path), "%s/%s", tmpdir, port);
		ffd = open(path, O_RDWR | O_CREAT, 0600);
		if (ffd < 0 || ftruncate(ffd, (off_t)pi.nr_memsize) < 0)
			return 10;
		mem = mmap(NULL, pi.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
		close(ffd);
	} else {
		mem = mmap(NULL, pi.nr_memsize, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	}
	if (mem == MAP_FAILED)
		return 11;
	snprintf(name, sizeof(name), "%s:%s", sw, port);
	fd = reg_extmem(name, &req, &e, mem, &pi);
	if (fd < 0)
		return 12;
	/* both are on the switch before anyone sends */
	if (write(ready_w, "r", 1) != 1 || read(ready_r, &c, 1) != 1)
		return 13;
	nifp = NETMAP_IF(mem, req.nr_offset);
	tx = NETMAP_TXRING(nifp, 0);
	rx = NETMAP_RXRING(nifp, 0);
	for (int round = 0; round < 20000 && (sent < FRAMES || recvd < FRAMES); round++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		/* broadcast frames: the switch floods them to the other port */
		while (sent < FRAMES && !nm_ring_empty(tx)) {
			struct netmap_slot *s = &tx->slot[tx->head];
			char *b = NETMAP_BUF(tx, s->buf_idx);

			memset(b, 0xff, 6);
			memset(b + 6, mine, 54);
			s->len = 60;
			tx->head = tx->cur = nm_ring_next(tx, tx->head);
			sent++;
		}
		ioctl(fd, NIOCTXSYNC, 0);
		while (!nm_ring_empty(rx)) {
			struct netmap_slot *s = &rx->slot[rx->cur];

			if ((unsigned char)NETMAP_BUF(rx, s->buf_idx)[6] == theirs)
				recvd++;
			rx->head = rx->cur = nm_ring_next(rx, rx->cur);
		}
		if (recvd < FRAMES)
			poll(&p, 1, 5);
	}
	/* stay until the other side has had everything */
	if (write(ready_w, "d", 1) != 1 || read(ready_r, &c, 1) != 1)
		return 14;
	close(fd);
	return recvd == FRAMES && sent == FRAMES ? 0 : 20 + (recvd > 0);
}

static void
t_vale_two_processes(void)
{
	int ab[2], ba[2], st[2] = { -1, -1 };
	pid_t pid[2];

	if (pipe(ab) < 0 || pipe(ba) < 0)
		return;
	pid[0] = fork();
	if (pid[0] == 0) {
		alarm(60);
		_exit(vale_side("va", false, 0xa1, 0xb2, ab[1], ba[0]));
	}
	pid[1] = fork();
	if (pid[1] == 0) {
		alarm(60);
		_exit(vale_side("vb", true, 0xb2, 0xa1, ba[1], ab[0]));
	}
	close(ab[0]);
	close(ab[1]);
	close(ba[0]);
	close(ba[1]);
	for (int i = 0; i < 2; i++)
		waitpid(pid[i], &st[i], 0);
	tap_ok(WIFEXITED(st[0]) && WEXITSTATUS(st[0]) == 0 && WIFEXITED(st[1]) &&
	    WEXITSTATUS(st[1]) == 0,
	    "two processes, each a VALE port in external memory (anonymous, file): "
	    "%d frames each way (exits %d, %d)", FRAMES,
	    WIFEXITED(st[0]) ? WEXITSTATUS(st[0]) : -1, WIFEXITED(st[1]) ? WEXITSTATUS(st[1]) : -1);
}

/* a registration that must fail with @want, the EXTMEM option's status @ostatus */
static void
refused(const char *what, void *mem, const struct nmreq_pools_info *pi, int want,
    uint32_t ostatus)
{
	struct nmreq_opt_extmem e;
	struct nmreq_register req;
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "%s:bad", sw);
	fd = reg_extmem(name, &req, &e, mem, pi);
	if (!tap_ok(fd == -want && e.nro_opt.nro_status == ostatus, "%s: %s", what,
	    strerrorname_np(want)))
		tap_diag("  got %d (%s), status %u", fd, fd < 0 ? strerror(-fd) : "bound",
		    e.nro_opt.nro_status);
	if (fd >= 0)
		close(fd);
}

static void
t_refusals(void)
{
	struct nmreq_pools_info pi, bad;
	struct nmreq_opt_extmem e1, e2;
	struct nmreq_register req;
	char name[64];
	void *mem, *priv, *hole;
	int fd;

	extmem_pools(&pi, 4096, 0);
	mem = mmap(NULL, pi.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	bad = pi;
	bad.nr_ring_pool_objsize = 1 << 20;	/* netmap's ctrl-api-test */
	refused("a ring object of 1 MB", mem, &bad, EINVAL, EINVAL);
	bad = pi;
	bad.nr_if_pool_objtotal = 101;
	refused("101 interface objects", mem, &bad, EINVAL, EINVAL);
	bad = pi;
	bad.nr_buf_pool_objsize = 65537;	/* rounded to 64 bytes: past 65536 */
	refused("65537-byte buffers", mem, &bad, EINVAL, EINVAL);
	bad = pi;
	bad.nr_buf_pool_objtotal = 3;
	refused("3 buffers", mem, &bad, EINVAL, EINVAL);
	bad = pi;
	bad.nr_memsize = pi.nr_memsize / 2;
	refused("memory too small for the pools", mem, &bad, ENOMEM, ENOMEM);

	priv = mmap(NULL, pi.nr_memsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	refused("MAP_PRIVATE memory", priv, &pi, EINVAL, EINVAL);
	munmap(priv, pi.nr_memsize);

	hole = mmap(NULL, pi.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	munmap(hole, pi.nr_memsize);
	refused("unmapped memory", hole, &pi, EFAULT, EFAULT);
	/* the last pages of the area unmapped */
	hole = mmap(NULL, pi.nr_memsize + 16384, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	munmap((char *)hole + pi.nr_memsize, 16384);
	bad = pi;
	bad.nr_memsize = pi.nr_memsize + 16384;
	refused("memory partly unmapped", hole, &bad, EFAULT, EFAULT);
	munmap(hole, pi.nr_memsize);

	/* two EXTMEM options: EINVAL on both, as netmap's copy-in */
	extmem_opt(&e1, mem, &pi);
	extmem_opt(&e2, mem, &pi);
	e1.nro_opt.nro_next = (uintptr_t)&e2;
	memset(&req, 0, sizeof(req));
	req.nr_mode = NR_REG_ALL_NIC;
	req.nr_tx_slots = req.nr_rx_slots = 256;	/* ring objects of 9216 bytes */
	snprintf(name, sizeof(name), "%s:dup", sw);
	fd = reg_with(name, &req, &e1.nro_opt);
	tap_ok(fd == -EINVAL && e1.nro_opt.nro_status == EINVAL &&
	    e2.nro_opt.nro_status == EINVAL, "two EXTMEM options: EINVAL on both (%d, %u, %u)",
	    fd, e1.nro_opt.nro_status, e2.nro_opt.nro_status);
	if (fd >= 0)
		close(fd);

	/* nothing was left behind by the refusals: the memory is still usable */
	snprintf(name, sizeof(name), "%s:after", sw);
	fd = reg_extmem(name, &req, &e1, mem, &pi);
	check_layout("after the refusals", fd, &req, &e1, mem, pi.nr_memsize);
	if (fd >= 0)
		close(fd);
	munmap(mem, pi.nr_memsize);
}

/* libnetmap's @extmem:file=...: a frame from it to a plain port of the switch */
static void
t_libnetmap(void)
{
	struct nmreq_pools_info pi;
	char path[128], spec[300], name[64];
	struct nmport_d *d;
	struct rawport plain;
	int ffd, b = -1;

	extmem_pools(&pi, 4096, 0);
	snprintf(path, sizeof(path), "%s/lib", tmpdir);
	ffd = open(path, O_RDWR | O_CREAT, 0600);
	if (ffd < 0 || ftruncate(ffd, (off_t)pi.nr_memsize) < 0) {
		tap_ok(0, "a file for @extmem");
		return;
	}
	close(ffd);
	snprintf(name, sizeof(name), "%s:plain", sw);
	if (raw_open(&plain, name, NR_REG_ALL_NIC, 0, 0) < 0) {
		tap_ok(0, "a plain port on %s", sw);
		return;
	}
	snprintf(spec, sizeof(spec), "%s:lib@conf:slots=256@extmem:file=%s,if-num=4,"
	    "ring-num=16,ring-size=9216,buf-num=4096", sw, path);
	d = nmport_open(spec);
	tap_ok(d != NULL && d->mem && d->mem->is_extmem && (char *)d->nifp >= (char *)d->mem->mem &&
	    (char *)d->nifp < (char *)d->mem->mem + pi.nr_memsize,
	    "nmport_open(\"...@extmem:file=...\"): the port is in the file's mapping");
	if (d) {
		struct netmap_ring *tx = NETMAP_TXRING(d->nifp, 0);
		char *buf = NETMAP_BUF(tx, tx->slot[tx->head].buf_idx);

		memset(buf, 0xff, 6);
		memset(buf + 6, 0x5a, 54);
		tx->slot[tx->head].len = 60;
		tx->head = tx->cur = nm_ring_next(tx, tx->head);
		ioctl(d->fd, NIOCTXSYNC, 0);
		b = get(plain.fd, plain.nifp);
		nmport_close(d);
	}
	tap_ok(b == 0xff, "its frame reaches a plain port of the switch");
	raw_close(&plain);
}

/*
 * Without CAP_SYS_ADMIN and CAP_CHECKPOINT_RESTORE a process cannot open
 * its own /proc/self/map_files: an anonymous shared area is then opened by
 * the daemon (root) through /proc/<pid>/map_files, a memfd the program
 * holds through its descriptor.  Exit: 0 all well, 77 caps not dropped.
 */
static int
nopriv_child(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	struct nmreq_pools_info pi;
	struct nmreq_opt_extmem e;
	struct nmreq_register req;
	char name[64], mf[96];
	void *mem;
	int fd, mfd;

	if (syscall(SYS_capget, &h, d) < 0)
		return 77;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].permitted &= ~(1u << (CAP_SYS_ADMIN % 32));
	d[CAP_CHECKPOINT_RESTORE / 32].effective &= ~(1u << (CAP_CHECKPOINT_RESTORE % 32));
	d[CAP_CHECKPOINT_RESTORE / 32].permitted &= ~(1u << (CAP_CHECKPOINT_RESTORE % 32));
	if (syscall(SYS_capset, &h, d) < 0)
		return 77;
	extmem_pools(&pi, 4096, 0);
	mem = mmap(NULL, pi.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	snprintf(mf, sizeof(mf), "/proc/self/map_files/%lx-%lx", (unsigned long)mem,
	    (unsigned long)mem + pi.nr_memsize);
	fd = open(mf, O_RDWR);
	if (fd >= 0)
		return 77;	/* still allowed: nothing to show */
	snprintf(name, sizeof(name), "%s:np1", sw);
	fd = reg_extmem(name, &req, &e, mem, &pi);
	if (fd < 0)
		return 2;
	close(fd);
	mfd = memfd_create("extmem-test", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (off_t)pi.nr_memsize) < 0)
		return 3;
	mem = mmap(NULL, pi.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	snprintf(name, sizeof(name), "%s:np2", sw);
	fd = reg_extmem(name, &req, &e, mem, &pi);
	if (fd < 0)
		return 4;
	close(fd);
	return 0;
}

static void
t_no_privileges(void)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		alarm(30);
		_exit(nopriv_child());
	}
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		printf("ok %d - without CAP_SYS_ADMIN # SKIP the capabilities could not be "
		    "dropped\n", ++tap_n);
	else
		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "a process that cannot open its own map_files: an anonymous shared area "
		    "(the daemon opens it) and a memfd it holds (exit %d)",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* ---------------------------------------------------------------- huge pages */

static long
meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;
	size_t kl = strlen(key);

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':')
			v = strtol(line + kl + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static long saved_nr_hugepages = -1;

static void
set_nr_hugepages(long n)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");

	if (f) {
		fprintf(f, "%ld\n", n);
		fclose(f);
	}
}

static void
restore_hugepages(void)
{
	if (saved_nr_hugepages >= 0)
		set_nr_hugepages(saved_nr_hugepages);
	saved_nr_hugepages = -1;
}

/*
 * In a child of its own (a private mount namespace for the hugetlbfs
 * mount): a VALE port whose buffers are on huge pages, and a frame from
 * it to a plain port.  Exit 0: done; 77: no huge pages to be had.
 */
static int
huge_child(const char *dir, long hpsz)
{
	struct nmreq_pools_info pi;
	struct nmreq_opt_extmem e;
	struct nmreq_register req;
	struct rawport plain;
	char path[200], name[64];
	struct netmap_if *nifp;
	struct netmap_ring *tx;
	int ffd, fd;
	void *mem;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("none", dir, "hugetlbfs", 0, NULL) < 0)
		return 77;
	extmem_pools(&pi, 4096, 0);
	pi.nr_memsize = (pi.nr_memsize + (uint64_t)hpsz - 1) / (uint64_t)hpsz * (uint64_t)hpsz;
	snprintf(path, sizeof(path), "%s/pool", dir);
	ffd = open(path, O_RDWR | O_CREAT, 0600);
	if (ffd < 0 || ftruncate(ffd, (off_t)pi.nr_memsize) < 0)
		return 77;
	mem = mmap(NULL, pi.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
	close(ffd);
	if (mem == MAP_FAILED)
		return 77;
	memset(mem, 0, pi.nr_memsize);	/* the huge pages really there */
	snprintf(name, sizeof(name), "%s:hplain", sw);
	if (raw_open(&plain, name, NR_REG_ALL_NIC, 0, 0) < 0)
		return 2;
	snprintf(name, sizeof(name), "%s:huge", sw);
	fd = reg_extmem(name, &req, &e, mem, &pi);
	if (fd < 0)
		return 3;
	nifp = NETMAP_IF(mem, req.nr_offset);
	tx = NETMAP_TXRING(nifp, 0);
	if (!inside(NETMAP_BUF(tx, tx->slot[0].buf_idx), mem, pi.nr_memsize))
		return 4;
	memset(NETMAP_BUF(tx, tx->slot[tx->head].buf_idx), 0xff, 60);
	tx->slot[tx->head].len = 60;
	tx->head = tx->cur = nm_ring_next(tx, tx->head);
	ioctl(fd, NIOCTXSYNC, 0);
	if (get(plain.fd, plain.nifp) != 0xff)
		return 5;
	close(fd);
	raw_close(&plain);
	return 0;
}

static void
t_hugepages(void)
{
	long hpsz = meminfo("Hugepagesize") * 1024, need, st = 0;
	char dir[160];
	pid_t pid;
	int status = 0;

	if (hpsz <= 0) {
		printf("ok %d - huge pages # SKIP the kernel has no huge pages\n", ++tap_n);
		return;
	}
	need = (long)((4 * 1024 + 16 * 9216 + 4096 * 2048 + hpsz - 1) / hpsz);
	if (meminfo("HugePages_Free") < need) {
		FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r");

		if (f && fscanf(f, "%ld", &st) == 1)
			saved_nr_hugepages = st;
		if (f)
			fclose(f);
		if (saved_nr_hugepages >= 0)
			set_nr_hugepages(saved_nr_hugepages + need);
	}
	if (meminfo("HugePages_Free") < need) {
		restore_hugepages();
		printf("ok %d - huge pages # SKIP no %ld free huge pages of %ld kB, and "
		    "vm.nr_hugepages could not make them\n", ++tap_n, need, hpsz / 1024);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/huge", tmpdir);
	mkdir(dir, 0700);
	pid = fork();
	if (pid == 0) {
		alarm(30);
		_exit(huge_child(dir, hpsz));
	}
	waitpid(pid, &status, 0);
	restore_hugepages();
	rmdir(dir);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		printf("ok %d - huge pages # SKIP hugetlbfs cannot be mounted here\n", ++tap_n);
	else
		tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "a VALE port on %ld huge pages of a hugetlbfs file; a frame crosses the switch "
		    "(child exit %d)", need, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void
cleanup(void)
{
	char cmd[200];

	restore_hugepages();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0) {
		/* nothing more to do */
	}
}

/*
 * Killed (our alarm, the suite's timeout): give the huge pages back and
 * remove the directory with async-signal-safe calls only.
 */
static pid_t main_pid;

static void
on_signal(int sig)
{
	static char val[24];
	long v = saved_nr_hugepages;
	int i = (int)sizeof(val) - 1, fd;

	if (getpid() != main_pid) {
		/* a child: the main process cleans up */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	if (v >= 0 && (fd = open("/proc/sys/vm/nr_hugepages", O_WRONLY)) >= 0) {
		val[i--] = '\n';
		do
			val[i--] = (char)('0' + v % 10);
		while ((v /= 10) > 0 && i >= 0);
		if (write(fd, val + i + 1, sizeof(val) - (size_t)(i + 1)) < 0) {
			/* nothing more to do */
		}
		close(fd);
	}
	if (fork() == 0) {
		execl("/bin/rm", "rm", "-rf", tmpdir, (char *)NULL);
		_exit(1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

int
main(void)
{
	alarm(240);
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(sw, sizeof(sw), "vale%dx", (int)getpid() % 100000);
	if (!mkdtemp(tmpdir)) {
		tap_ok(0, "a temporary directory");
		return tap_done();
	}
	atexit(cleanup);
	main_pid = getpid();
	signal(SIGALRM, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	t_anon_and_file();
	t_pipe();
	t_vale_two_processes();
	t_refusals();
	t_libnetmap();
	t_no_privileges();
	t_hugepages();
	return tap_done();
}
