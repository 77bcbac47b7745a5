/*
 * pipe_life.c - lifetimes and ownership around pipes and null ports:
 * exclusive opens are refused to others; kill -9 of one end leaves the other end
 * waiting, the daemon frees everything, and a new pair works; extra
 * buffers come back on close; null ports need an existing region.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "../lib/nmraw.h"
#include "../lib/tap.h"
#include "unetmap.h"

static char name_m[64], name_s[64];

static void
names(const char *tag)
{
	snprintf(name_m, sizeof(name_m), "%s%d{7", tag, (int)getpid());
	snprintf(name_s, sizeof(name_s), "%s%d}7", tag, (int)getpid());
}

/* buffers free in memory region @id, or -1 when it does not exist */
static long
region_free_bufs(uint16_t id, uint32_t *total)
{
	struct nmreq_unetmap_region_info ri = { .nr_mem_id = id };
	int fd = open("/dev/netmap", O_RDWR), r;

	if (fd < 0)
		return -2;
	r = raw_ctrl(fd, NETMAP_REQ_UNETMAP_REGION_INFO, "", &ri, NULL);
	close(fd);
	if (r < 0)
		return -1;
	if (total)
		*total = ri.nr_buf_total;
	return ri.nr_buf_free;
}

static void
test_exclusive(void)
{
	struct rawport a, b;
	int st;
	pid_t pid;

	names("excl");
	tap_ok(raw_open(&a, name_m, NR_REG_ALL_NIC, NR_EXCLUSIVE, 0) == 0, "exclusive open of a pipe end");
	pid = fork();
	if (pid == 0) {
		struct rawport c;
		int r = raw_open(&c, name_m, NR_REG_ALL_NIC, 0, 0);

		_exit(r == -EBUSY ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "another process gets EBUSY on the same end");
	tap_ok(raw_open(&b, name_s, NR_REG_ALL_NIC, NR_EXCLUSIVE, 0) == 0,
	    "the other end is not affected");
	raw_close(&a);
	tap_ok(raw_open(&a, name_m, NR_REG_ALL_NIC, 0, 0) == 0, "after the close, the end opens again");
	raw_close(&a);
	raw_close(&b);
}

static void
test_kill9(void)
{
	struct rawport s;
	uint32_t total = 0;
	long before;
	int st, sv[2];
	char c;
	pid_t pid;

	names("k9");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		struct rawport m;

		if (raw_open(&m, name_m, NR_REG_ALL_NIC, 0, 64) < 0)
			_exit(1);
		if (write(sv[1], "o", 1) != 1)
			_exit(2);
		for (int i = 0;; i++) {	/* send until killed */
			struct netmap_ring *r = NETMAP_TXRING(m.nifp, 0);
			struct pollfd p = { .fd = m.fd, .events = POLLOUT };

			while (raw_put(r, 60, i) == 0)
				;
			r->cur = r->tail;
			poll(&p, 1, 100);
		}
	}
	tap_ok(read(sv[0], &c, 1) == 1, "a sender holds the master end");
	tap_ok(raw_open(&s, name_s, NR_REG_ALL_NIC, 0, 0) == 0, "the receiver holds the slave end");
	{
		struct netmap_ring *r = NETMAP_RXRING(s.nifp, 0);
		struct pollfd p = { .fd = s.fd, .events = POLLIN };

		poll(&p, 1, 2000);
		tap_ok(!nm_ring_empty(r), "frames flow");
		r->head = r->cur = r->tail;
	}
	before = region_free_bufs(s.reg.nr_mem_id, &total);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	{
		struct netmap_ring *r = NETMAP_RXRING(s.nifp, 0);
		struct pollfd p = { .fd = s.fd, .events = POLLIN };
		int r1, r2;

		r1 = poll(&p, 1, 300);
		r->head = r->cur = r->tail;
		r2 = poll(&p, 1, 300);
		tap_ok(r1 >= 0 && r2 == 0, "the surviving end drains what was sent, then just waits");
	}
	/* the dead sender's 64 extra buffers went back; the pair is still alive */
	usleep(100000);
	tap_ok(region_free_bufs(s.reg.nr_mem_id, NULL) == before + 64,
	    "the killed process's extra buffers were returned (%ld -> %ld)", before,
	    region_free_bufs(s.reg.nr_mem_id, NULL));
	raw_close(&s);
	usleep(100000);
	tap_ok(region_free_bufs(s.reg.nr_mem_id, NULL) == -1,
	    "with both ends gone the pipe and its private region are freed");
	{
		struct rawport m2, s2;

		tap_ok(raw_open(&m2, name_m, NR_REG_ALL_NIC, 0, 0) == 0 &&
		    raw_open(&s2, name_s, NR_REG_ALL_NIC, 0, 0) == 0, "a new pair opens under the same name");
		tap_ok(raw_put(NETMAP_TXRING(m2.nifp, 0), 60, 1) == 0 &&
		    ioctl(m2.fd, NIOCTXSYNC, NULL) == 0 && ioctl(s2.fd, NIOCRXSYNC, NULL) == 0 &&
		    !nm_ring_empty(NETMAP_RXRING(s2.nifp, 0)), "and carries frames");
		raw_close(&m2);
		raw_close(&s2);
	}
	close(sv[0]);
	close(sv[1]);
}

static void
test_extra_bufs(void)
{
	struct rawport m, s;
	uint32_t idx, n = 0, total = 0;
	long before, during;

	names("xb");
	tap_ok(raw_open(&s, name_s, NR_REG_ALL_NIC, 0, 0) == 0, "open a pipe end");
	before = region_free_bufs(s.reg.nr_mem_id, &total);
	tap_ok(raw_open(&m, name_m, NR_REG_ALL_NIC, 0, 100) == 0, "the other end asks 100 extra buffers");
	TAP_EQ(m.reg.nr_extra_bufs, 100, "100 are granted");
	during = region_free_bufs(m.reg.nr_mem_id, NULL);
	TAP_EQ(before - during, 100, "the region has 100 fewer free buffers");
	for (idx = m.nifp->ni_bufs_head; idx && n < 1000; n++) {
		struct netmap_ring *r = NETMAP_TXRING(m.nifp, 0);

		idx = *(uint32_t *)NETMAP_BUF(r, idx);
	}
	TAP_EQ(n, 100, "ni_bufs_head lists 100 buffers");
	{
		/* swap one extra buffer into a tx slot; the old one goes to the list */
		struct netmap_ring *r = NETMAP_TXRING(m.nifp, 0);
		uint32_t extra = m.nifp->ni_bufs_head;
		uint32_t old = r->slot[r->head].buf_idx;

		m.nifp->ni_bufs_head = *(uint32_t *)NETMAP_BUF(r, extra);
		*(uint32_t *)NETMAP_BUF(r, old) = m.nifp->ni_bufs_head;
		m.nifp->ni_bufs_head = old;
		r->slot[r->head].buf_idx = extra;
		r->slot[r->head].len = 60;
		r->slot[r->head].flags = NS_BUF_CHANGED;
		r->head = r->cur = nm_ring_next(r, r->head);
		tap_ok(ioctl(m.fd, NIOCTXSYNC, NULL) == 0 && ioctl(s.fd, NIOCRXSYNC, NULL) == 0 &&
		    NETMAP_RXRING(s.nifp, 0)->slot[0].buf_idx == extra,
		    "a swapped-in buffer (NS_BUF_CHANGED) reaches the peer zero-copy");
	}
	raw_close(&m);
	usleep(50000);
	TAP_EQ(region_free_bufs(s.reg.nr_mem_id, NULL), before,
	    "on close, whatever list ni_bufs_head held went back");
	raw_close(&s);
}

static void
test_null(void)
{
	struct rawport p, q;

	names("nl");
	TAP_EQ(raw_open(&q, "anything", NR_REG_NULL, 0, 0), -EINVAL,
	    "a null port without a memory region: EINVAL");
	tap_ok(raw_open(&p, name_m, NR_REG_ALL_NIC, 0, 0) == 0, "a pipe end makes a region");
	{
		int fd = open("/dev/netmap", O_RDWR);
		struct nmreq_register reg = { .nr_mode = NR_REG_NULL, .nr_mem_id = p.reg.nr_mem_id,
			.nr_tx_rings = 2, .nr_rx_rings = 3, .nr_tx_slots = 64, .nr_rx_slots = 128 };

		TAP_EQ(raw_ctrl(fd, NETMAP_REQ_REGISTER, "nullp", &reg, NULL), 0,
		    "a null port in that region");
		tap_ok(reg.nr_tx_rings == 2 && reg.nr_rx_rings == 3 && reg.nr_tx_slots == 64 &&
		    reg.nr_rx_slots == 128 && reg.nr_mem_id == p.reg.nr_mem_id,
		    "it echoes the geometry asked for, in the same region");
		{
			char *mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			struct netmap_if *nifp = NETMAP_IF(mem, reg.nr_offset);

			tap_ok(mem != MAP_FAILED && nifp->ni_tx_rings == 2 && nifp->ni_rx_rings == 3 &&
			    NETMAP_RXRING(nifp, 2)->num_slots == 128, "its rings are there to map");
			munmap(mem, reg.nr_memsize);
		}
		close(fd);
	}
	raw_close(&p);
}

int
main(void)
{
	alarm(120);
	test_exclusive();
	test_kill9();
	test_extra_bufs();
	test_null();
	return tap_done();
}
