/*
 * monitor.c - netmap monitors on pipes and VALE ports, as netmap's kernel
 * makes them: copy monitors (/t, /r) see frames before the monitored
 * consumer (/r on a pipe as the peer sends), zero-copy monitors (/z) see
 * the buffers after it, several /z in a chain; frames from the tx side
 * carry NS_TXMON; several monitors per ring; a monitor that does not read
 * loses the oldest frames and never holds the port up.  Its geometry (one
 * tx ring that sends nothing, slots as asked), names and errnos; libnetmap
 * and nm_open on it.  Also built as a netmap program (NETMAP_PROGS).
 */
#include <stdlib.h>
#include <sys/wait.h>

#define NETMAP_WITH_LIBS
#include "../lib/nmraw.h"
#include "../lib/tap.h"
#include <libnetmap.h>
#include "unetmap.h"

static char base[32];

/* frames on @p's rx ring 0, counted and released; @flags gets their OR */
static int
drain(struct rawport *p, uint16_t *flags, int *first_byte)
{
	struct netmap_ring *r = NETMAP_RXRING(p->nifp, 0);
	int n = 0;

	ioctl(p->fd, NIOCRXSYNC, NULL);
	for (; !nm_ring_empty(r); r->head = r->cur = nm_ring_next(r, r->head)) {
		if (flags)
			*flags |= r->slot[r->head].flags;
		if (first_byte && n == 0)
			*first_byte = (unsigned char)NETMAP_BUF(r, r->slot[r->head].buf_idx)[0];
		n++;
	}
	ioctl(p->fd, NIOCRXSYNC, NULL);
	return n;
}

/* like drain, keeping each frame's first byte (up to @max of them) and len */
static int
collect(struct rawport *p, unsigned char *first, uint16_t *len, int max, uint16_t *flags)
{
	struct netmap_ring *r = NETMAP_RXRING(p->nifp, 0);
	int n = 0;

	ioctl(p->fd, NIOCRXSYNC, NULL);
	for (; !nm_ring_empty(r); r->head = r->cur = nm_ring_next(r, r->head), n++) {
		struct netmap_slot *s = &r->slot[r->head];

		if (flags)
			*flags |= s->flags;
		if (n < max) {
			first[n] = (unsigned char)NETMAP_BUF(r, s->buf_idx)[0];
			if (len)
				len[n] = s->len;
		}
	}
	ioctl(p->fd, NIOCRXSYNC, NULL);
	return n;
}

/* rings free in memory region @id, or -1 */
static long
region_free_rings(uint16_t id)
{
	struct nmreq_unetmap_region_info ri = { .nr_mem_id = id };

	return raw_ctl(NETMAP_REQ_UNETMAP_REGION_INFO, "", &ri) < 0 ? -1 : (long)ri.nr_ring_free;
}

/* closes monitor @p and waits (2 s at most) for the daemon to have freed its rings */
static void
close_wait(struct rawport *p)
{
	uint16_t id = p->reg.nr_mem_id;
	long before = region_free_rings(id);

	raw_close(p);
	for (int i = 0; i < 200 && region_free_rings(id) <= before; i++)
		usleep(10000);
}

static int
send_n(struct rawport *p, int n, int byte)
{
	struct netmap_ring *r = NETMAP_TXRING(p->nifp, 0);
	int sent = 0;

	for (; sent < n && raw_put(r, 60, byte) == 0; sent++)
		;
	ioctl(p->fd, NIOCTXSYNC, NULL);
	return sent;
}

static void
test_pipe(void)
{
	char m[64], s[64], mon[80];
	struct rawport pm, ps, mt, mt2, mr, mz;
	uint16_t fl = 0;
	int b = 0, got;

	snprintf(m, sizeof(m), "%s{1", base);
	snprintf(s, sizeof(s), "%s}1", base);
	TAP_EQ(raw_open(&mt, m, NR_REG_ALL_NIC, NR_MONITOR_TX, 0), -EINVAL,
	    "a monitor of a pipe that does not exist: EINVAL, as netmap's");
	tap_ok(raw_open(&pm, m, NR_REG_ALL_NIC, 0, 0) == 0 && raw_open(&ps, s, NR_REG_ALL_NIC, 0, 0) == 0,
	    "a pipe, both ends open");
	tap_ok(raw_open(&mt, m, NR_REG_ALL_NIC, NR_MONITOR_TX, 0) == 0 &&
	    raw_open(&mt2, m, NR_REG_ALL_NIC, NR_MONITOR_TX, 0) == 0, "two tx monitors on the master");
	tap_ok(raw_open(&mr, s, NR_REG_ALL_NIC, NR_MONITOR_RX, 0) == 0, "an rx monitor on the slave");
	tap_ok(raw_open(&mz, s, NR_REG_ALL_NIC, NR_ZCOPY_MON, 0) == 0, "a zero-copy monitor on the slave");
	TAP_EQ(mz.reg.nr_flags, NR_ZCOPY_MON | NR_MONITOR_TX | NR_MONITOR_RX,
	    "whose reply says it watches both directions, as netmap's");
	/* ours, not netmap's: netmap gives a copy monitor a private region of its own */
	tap_ok(mt.reg.nr_mem_id == pm.reg.nr_mem_id, "monitors live in the monitored port's region");
	TAP_EQ(send_n(&pm, 5, 0x61), 5, "the master sends 5 frames");
	TAP_EQ(drain(&mt, &fl, &b), 5, "/t sees them as they are handed over");
	tap_ok((fl & NS_TXMON) && b == 0x61, "marked NS_TXMON, content intact");
	TAP_EQ(drain(&mt2, NULL, NULL), 5, "so does the second tx monitor");
	fl = 0;
	TAP_EQ(drain(&mr, &fl, NULL), 5, "/r sees them as they arrive, before the slave syncs");
	tap_ok(!(fl & NS_TXMON), "rx frames carry no NS_TXMON");
	ioctl(ps.fd, NIOCRXSYNC, NULL);
	TAP_EQ(drain(&mr, NULL, NULL), 0, "each once: the slave's sync copies nothing again");
	TAP_EQ(drain(&mz, NULL, NULL), 0, "/z sees nothing while the slave holds them");
	{
		struct netmap_ring *r = NETMAP_RXRING(ps.nifp, 0);

		r->head = r->cur = r->tail;	/* the consumer is done */
		ioctl(ps.fd, NIOCRXSYNC, NULL);
	}
	b = 0;
	TAP_EQ(drain(&mz, NULL, &b), 5, "once released, /z gets the buffers themselves");
	TAP_EQ(b, 0x61, "with the frames in them");
	send_n(&pm, 5, 0x62);
	ioctl(ps.fd, NIOCRXSYNC, NULL);
	b = 0;
	drain(&ps, NULL, &b);
	TAP_EQ(b, 0x62, "the pipe keeps working with buffers swapped under it");

	/* a monitor that never reads */
	raw_close(&mt2);
	for (int i = 0, sent = 0; i < 10 && sent < 3000; i++) {
		sent += send_n(&pm, 3000 - sent, 0x63);
		ioctl(ps.fd, NIOCRXSYNC, NULL);
		got = drain(&ps, NULL, NULL);
		(void)got;
	}
	got = drain(&mt, NULL, NULL);
	tap_ok(got == 1023, "an idle monitor keeps a ring's worth (%d) and loses the rest", got);
	send_n(&pm, 5, 0x64);
	ioctl(ps.fd, NIOCRXSYNC, NULL);
	TAP_EQ(drain(&ps, NULL, NULL), 5, "and never held the pipe up");
	{
		struct nmreq_unetmap_ring_stats rs = { .nr_dir = 0, .nr_ring = 0 };

		TAP_EQ(raw_ctrl(pm.fd, NETMAP_REQ_UNETMAP_RING_STATS, m, &rs, NULL), 0,
		    "per-ring counters of the pipe's tx ring");
		tap_ok(rs.frames == 3015 && rs.bytes == 3015 * 60 && rs.sync_errors == 0,
		    "count every frame sent (%llu)", (unsigned long long)rs.frames);
	}
	{
		/* ours: no name, the descriptor's own port: the way to a monitor's counts */
		struct nmreq_unetmap_ring_stats rs = { .nr_dir = 1, .nr_ring = 0 };

		TAP_EQ(raw_ctrl(mt.fd, NETMAP_REQ_UNETMAP_RING_STATS, "", &rs, NULL), 0,
		    "ring counters with no name: the monitor's own rx ring");
		tap_ok(rs.lost == 3005 - 1023, "the idle monitor counted what it lost (%llu)",
		    (unsigned long long)rs.lost);
	}
	raw_close(&mt);
	raw_close(&mr);
	raw_close(&mz);
	raw_close(&pm);
	raw_close(&ps);
	(void)mon;
}

/* which monitors cannot be made: netmap's errnos */
static void
test_errors(void)
{
	char m[64], sl[64], name[64];
	struct rawport pm, x;

	snprintf(m, sizeof(m), "%se{1", base);
	snprintf(sl, sizeof(sl), "%se}1", base);
	TAP_EQ(raw_open(&pm, m, NR_REG_ALL_NIC, 0, 0), 0, "a pipe's master, its slave not open");
	TAP_EQ(raw_open(&x, sl, NR_REG_ALL_NIC, NR_MONITOR_RX, 0), -EINVAL,
	    "a monitor of the slave nobody has open: EINVAL");
	snprintf(name, sizeof(name), "vale%d:nosuch", (int)getpid() % 100000);
	TAP_EQ(raw_open(&x, name, NR_REG_ALL_NIC, NR_MONITOR_TX, 0), -EINVAL,
	    "of a VALE port that does not exist: EINVAL");
	snprintf(name, sizeof(name), "nosuch%d", (int)getpid() % 100000);
	TAP_EQ(raw_open(&x, name, NR_REG_ALL_NIC, NR_MONITOR_TX, 0), -ENXIO,
	    "of a name that is no port at all: ENXIO");
	{
		struct nmreq_unetmap_ring_stats rs = { .nr_dir = 1, .nr_ring = 0 };
		int fd = open("/dev/netmap", O_RDWR);

		TAP_EQ(raw_ctrl(fd, NETMAP_REQ_UNETMAP_RING_STATS, "", &rs, NULL), -EINVAL,
		    "ring counters with no name on a descriptor bound to nothing: EINVAL");
		close(fd);
	}
	raw_close(&pm);
}

/*
 * Monitors are anonymous, as netmap's: "<port>/<z><r><t>#<n>" in their
 * netmap_if, found by no lookup; and NR_REG_NULL makes a null port, flags
 * or not, netmap trying it first
 */
static void
test_names(void)
{
	char m[64], raw[80];
	struct rawport pm, a, b, z, x;
	struct nmreq_register req = { .nr_mode = NR_REG_NULL, .nr_flags = NR_MONITOR_TX };

	snprintf(m, sizeof(m), "n%d{1", (int)getpid() % 100000);	/* ni_name holds 15 characters */
	tap_ok(raw_open(&pm, m, NR_REG_ALL_NIC, 0, 0) == 0 &&
	    raw_open(&a, m, NR_REG_ALL_NIC, NR_MONITOR_TX, 0) == 0 &&
	    raw_open(&b, m, NR_REG_ALL_NIC, NR_MONITOR_TX, 0) == 0 &&
	    raw_open(&z, m, NR_REG_ALL_NIC, NR_ZCOPY_MON, 0) == 0, "a pipe end, two /t and a /z on it");
	tap_ok(strstr(a.nifp->ni_name, "{1/t#") && strstr(b.nifp->ni_name, "{1/t#") &&
	    strcmp(a.nifp->ni_name, b.nifp->ni_name) != 0, "the /t are named apart: %s, %s",
	    a.nifp->ni_name, b.nifp->ni_name);
	tap_ok(strstr(z.nifp->ni_name, "{1/zrt#") != NULL, "the /z is %s", z.nifp->ni_name);
	snprintf(raw, sizeof(raw), "%s/t", m);
	TAP_EQ(raw_open(&x, raw, NR_REG_ALL_NIC, NR_MONITOR_RX, 0), -EINVAL,
	    "a monitor's name is no port: a pipe of that name that nobody has open");
	req.nr_mem_id = pm.reg.nr_mem_id;
	TAP_EQ(raw_open_req(&x, m, &req), 0, "NR_REG_NULL with monitor flags: a null port");
	raw_close(&x);
	raw_close(&z);
	raw_close(&b);
	raw_close(&a);
	raw_close(&pm);
}

/*
 * Several /z on one ring: a chain, as netmap's.  The second gets a buffer
 * once the first has released it, and the port's own once the first is gone.
 */
static void
test_zchain(void)
{
	char m[64], sl[64];
	struct rawport pm, ps, z1, z2, z3;
	struct netmap_ring *t;
	unsigned char first[8] = { 0 };
	int got;

	snprintf(m, sizeof(m), "%sc{1", base);
	snprintf(sl, sizeof(sl), "%sc}1", base);
	tap_ok(raw_open(&pm, m, NR_REG_ALL_NIC, 0, 0) == 0 && raw_open(&ps, sl, NR_REG_ALL_NIC, 0, 0) == 0 &&
	    raw_open(&z1, sl, NR_REG_ALL_NIC, NR_ZCOPY_MON, 0) == 0 &&
	    raw_open(&z2, sl, NR_REG_ALL_NIC, NR_ZCOPY_MON, 0) == 0, "a pipe, two /z on its slave");
	t = NETMAP_TXRING(pm.nifp, 0);
	for (int i = 0; i < 3; i++)
		raw_put(t, 60, 0xc0 + i);
	ioctl(pm.fd, NIOCTXSYNC, NULL);
	TAP_EQ(drain(&ps, NULL, NULL), 3, "the slave consumes 3 frames");
	TAP_EQ(drain(&z2, NULL, NULL), 0, "the second /z has nothing while the first holds them");
	got = collect(&z1, first, NULL, 8, NULL);
	tap_ok(got == 3 && first[0] == 0xc0 && first[2] == 0xc2, "the first gets the 3 buffers (%d)", got);
	memset(first, 0, sizeof(first));
	got = collect(&z2, first, NULL, 8, NULL);
	tap_ok(got == 3 && first[0] == 0xc0 && first[1] == 0xc1 && first[2] == 0xc2,
	    "once it released them, the second gets them, frames intact (%d: %02x .. %02x)", got,
	    first[0], first[2]);
	close_wait(&z1);
	raw_put(t, 60, 0xd0);
	raw_put(t, 60, 0xd1);
	ioctl(pm.fd, NIOCTXSYNC, NULL);
	drain(&ps, NULL, NULL);
	memset(first, 0, sizeof(first));
	got = collect(&z2, first, NULL, 8, NULL);
	tap_ok(got == 2 && first[0] == 0xd0 && first[1] == 0xd1,
	    "the first gone, the second gets the slave's released buffers (%d)", got);

	/* a chain of three loses its middle one: the last follows the first */
	tap_ok(raw_open(&z1, sl, NR_REG_ALL_NIC, NR_ZCOPY_MON, 0) == 0 &&
	    raw_open(&z3, sl, NR_REG_ALL_NIC, NR_ZCOPY_MON, 0) == 0, "two more /z after it");
	close_wait(&z1);
	raw_put(t, 60, 0xd2);
	ioctl(pm.fd, NIOCTXSYNC, NULL);
	drain(&ps, NULL, NULL);
	got = drain(&z3, NULL, NULL);
	got += 10 * drain(&z2, NULL, NULL);
	memset(first, 0, sizeof(first));
	got += 100 * collect(&z3, first, NULL, 8, NULL);
	tap_ok(got == 110 && first[0] == 0xd2, "the middle one gone, the last gets what the first "
	    "released (%d)", got);
	send_n(&pm, 5, 0xe0);
	got = drain(&ps, NULL, NULL);
	TAP_EQ(got, 5, "the pipe keeps working");
	raw_close(&z3);
	raw_close(&z2);
	raw_close(&pm);
	raw_close(&ps);
}

/* a monitor watches the rings its binding holds, and only those */
static void
test_bound_rings(void)
{
	char m[64], sl[64];
	struct rawport pm, ps, mon[9];
	struct nmreq_register req = { .nr_mode = NR_REG_ALL_NIC, .nr_tx_rings = 2, .nr_rx_rings = 2 };
	int ok = 0;

	snprintf(m, sizeof(m), "%sb{1", base);
	snprintf(sl, sizeof(sl), "%sb}1", base);
	tap_ok(raw_open_req(&pm, m, &req) == 0 && raw_open(&ps, sl, NR_REG_ALL_NIC, 0, 0) == 0,
	    "a pipe of 2 ring pairs");
	req = (struct nmreq_register){ .nr_mode = NR_REG_ONE_NIC, .nr_flags = NR_MONITOR_TX };
	for (int i = 0; i < 8; i++) {
		req.nr_ringid = (uint16_t)(i & 1);
		ok += raw_open_req(&mon[i], m, &req) == 0;
	}
	TAP_EQ(ok, 8, "4 monitors -0 and 4 monitors -1: each ring has 4");
	req.nr_ringid = 0;
	TAP_EQ(raw_open_req(&mon[8], m, &req), -EBUSY, "a 5th on ring 0: EBUSY");
	send_n(&pm, 3, 0x44);
	TAP_EQ(drain(&mon[0], NULL, NULL) + drain(&mon[2], NULL, NULL), 6, "the -0 ones see ring 0's frames");
	for (int i = 0; i < 8; i++)
		raw_close(&mon[i]);
	raw_close(&pm);
	raw_close(&ps);
}

/*
 * /z on the sending end: a frame is the monitor's once the peer has
 * consumed it and the sender's next txsync sees that, slots
 * [old hwtail + 1, new hwtail + 1) as netmap's zmon
 */
static void
test_zcopy_tx(void)
{
	char m[64], sl[64];
	struct rawport pm, ps, mz;
	unsigned char first[8] = { 0 };
	uint16_t fl = 0;
	int got;

	snprintf(m, sizeof(m), "%sz{1", base);
	snprintf(sl, sizeof(sl), "%sz}1", base);
	tap_ok(raw_open(&pm, m, NR_REG_ALL_NIC, 0, 0) == 0 && raw_open(&ps, sl, NR_REG_ALL_NIC, 0, 0) == 0 &&
	    raw_open(&mz, m, NR_REG_ALL_NIC, NR_ZCOPY_MON, 0) == 0, "a pipe, /z on its master");
	for (int i = 0; i < 5; i++)
		raw_put(NETMAP_TXRING(pm.nifp, 0), 60, 0x70 + i);
	ioctl(pm.fd, NIOCTXSYNC, NULL);
	TAP_EQ(drain(&mz, NULL, NULL), 0, "/z sees nothing the peer has not consumed");
	TAP_EQ(drain(&ps, NULL, NULL), 5, "the slave consumes 5 frames");
	TAP_EQ(drain(&mz, NULL, NULL), 0, "/z sees them at the master's next txsync, not before");
	ioctl(pm.fd, NIOCTXSYNC, NULL);
	got = collect(&mz, first, NULL, 8, &fl);
	TAP_EQ(got, 5, "then /z gets the 5 frames, no more");
	tap_ok(first[0] == 0x70 && first[1] == 0x71 && first[2] == 0x72 && first[3] == 0x73 &&
	    first[4] == 0x74, "the frames sent, in order (first bytes %02x %02x .. %02x)",
	    first[0], first[1], first[4]);
	tap_ok(fl & NS_TXMON, "marked NS_TXMON");
	raw_close(&mz);
	raw_close(&pm);
	raw_close(&ps);
}

/*
 * What a monitor ring gets, as netmap's: the newest frames of a batch when
 * it is short of room, every slot flag (NS_TXMON only for frames of a tx
 * ring), and with /z the monitor's spare buffer and length in exchange
 */
static void
test_feed(void)
{
	char m[64], sl[64];
	struct rawport pm, ps, mt, mr, mz;
	struct nmreq_register req = { .nr_mode = NR_REG_ALL_NIC, .nr_flags = NR_MONITOR_TX,
	    .nr_rx_slots = 8 };
	struct netmap_ring *t, *r;
	unsigned char first[16] = { 0 };
	uint16_t fl = 0, want, lens[16] = { 0 };
	uint32_t j0;
	int got;

	snprintf(m, sizeof(m), "%sf{1", base);
	snprintf(sl, sizeof(sl), "%sf}1", base);
	tap_ok(raw_open(&pm, m, NR_REG_ALL_NIC, 0, 0) == 0 && raw_open(&ps, sl, NR_REG_ALL_NIC, 0, 0) == 0 &&
	    raw_open_req(&mt, m, &req) == 0, "a pipe, /t of 8 slots on its master");
	req.nr_flags = NR_MONITOR_RX;
	req.nr_rx_slots = 0;
	TAP_EQ(raw_open_req(&mr, sl, &req), 0, "/r on its slave");
	t = NETMAP_TXRING(pm.nifp, 0);
	r = NETMAP_RXRING(ps.nifp, 0);
	for (int i = 0; i < 10; i++)
		raw_put(t, 60, 0x80 + i);
	ioctl(pm.fd, NIOCTXSYNC, NULL);
	got = collect(&mt, first, NULL, 16, NULL);
	TAP_EQ(got, 7, "a monitor ring of 8 slots takes 7 frames of a batch of 10");
	tap_ok(first[0] == 0x83 && first[6] == 0x89, "the newest 7 (first bytes %02x .. %02x)",
	    first[0], first[6]);
	drain(&ps, NULL, NULL);
	drain(&mr, NULL, NULL);

	want = NS_FORWARD | (3 << NS_PORT_SHIFT);
	raw_put(t, 60, 0x90);
	t->slot[t->head ? t->head - 1 : t->num_slots - 1].flags = want | NS_TXMON;
	ioctl(pm.fd, NIOCTXSYNC, NULL);
	got = collect(&mt, first, NULL, 1, &fl);
	tap_ok(got == 1 && fl == (want | NS_TXMON), "/t keeps every slot flag, with NS_TXMON (0x%x)",
	    fl);
	ioctl(ps.fd, NIOCRXSYNC, NULL);
	fl = 0;
	got = collect(&mr, first, NULL, 1, &fl);
	tap_ok(got == 1 && fl == want, "/r too, without NS_TXMON: the frame is not from a tx ring "
	    "(0x%x)", fl);
	drain(&ps, NULL, NULL);
	raw_close(&mt);
	raw_close(&mr);

	req.nr_flags = NR_ZCOPY_MON;
	req.nr_rx_slots = 4;
	TAP_EQ(raw_open_req(&mz, sl, &req), 0, "/z of 4 slots on the slave");
	for (int i = 0; i < 5; i++)
		raw_put(t, 60, 0xa0 + i);
	ioctl(pm.fd, NIOCTXSYNC, NULL);
	j0 = r->head;
	TAP_EQ(drain(&ps, NULL, NULL), 5, "the slave consumes 5 frames");
	got = collect(&mz, first, lens, 16, NULL);
	tap_ok(got == 3 && first[0] == 0xa2 && first[2] == 0xa4 && lens[0] == 60,
	    "/z gets the buffers of the newest 3 (%d: %02x .. %02x)", got, first[0], first[2]);
	tap_ok(r->slot[(j0 + 2) % r->num_slots].len == 0 && r->slot[(j0 + 4) % r->num_slots].len == 0 &&
	    r->slot[j0].len == 60, "and gives back its spare buffers with their length (%u)",
	    r->slot[(j0 + 2) % r->num_slots].len);
	send_n(&pm, 5, 0xb0);
	TAP_EQ(drain(&ps, NULL, NULL), 5, "the pipe keeps working");
	raw_close(&mz);
	raw_close(&pm);
	raw_close(&ps);
}

/*
 * /r on a pipe end sees the frames when the peer sends them (netmap's
 * parent_notify), once each, whoever of the peer and the end's own user
 * syncs first; also for a legacy program (nm_open, "/r") asleep in poll()
 */
static void
test_rx_arrival(void)
{
	char spec[96];
	struct nm_desc *m, *s, *mon, *mon2;
	struct nm_pkthdr h;
	struct pollfd pfd;
	char frame[60];
	pid_t pid;
	int n = 0, r;

	snprintf(spec, sizeof(spec), "netmap:%sa{1", base);
	m = nm_open(spec, NULL, 0, NULL);
	snprintf(spec, sizeof(spec), "netmap:%sa}1", base);
	s = nm_open(spec, NULL, 0, NULL);
	snprintf(spec, sizeof(spec), "netmap:%sa}1/r", base);
	mon = nm_open(spec, NULL, 0, NULL);
	tap_ok(m && s && mon, "nm_open of a pipe's ends and of %s", spec);
	if (!m || !s || !mon)
		return;
	memset(frame, 0x5a, sizeof(frame));
	pid = fork();
	if (pid == 0) {
		usleep(50000);	/* the parent is asleep in poll() by then */
		for (int i = 0; i < 4; i++)
			nm_inject(m, frame, sizeof(frame));
		ioctl(m->fd, NIOCTXSYNC, NULL);
		_exit(0);
	}
	pfd = (struct pollfd){ .fd = mon->fd, .events = POLLIN };
	r = poll(&pfd, 1, 5000);
	tap_ok(r == 1 && (pfd.revents & POLLIN), "the monitor wakes up when the master sends "
	    "(poll %d, revents 0x%x)", r, pfd.revents);
	waitpid(pid, NULL, 0);
	while (nm_nextpkt(mon, &h))
		n++;
	TAP_EQ(n, 4, "and receives the 4 frames, the slave never having synced");

	/* a second /r joins; the slave syncs between two sends */
	mon2 = nm_open(spec, NULL, 0, NULL);
	nm_inject(m, frame, sizeof(frame));
	ioctl(m->fd, NIOCTXSYNC, NULL);
	ioctl(s->fd, NIOCRXSYNC, NULL);
	nm_inject(m, frame, sizeof(frame));
	ioctl(m->fd, NIOCTXSYNC, NULL);
	ioctl(s->fd, NIOCRXSYNC, NULL);
	ioctl(mon->fd, NIOCRXSYNC, NULL);
	n = 0;
	while (nm_nextpkt(mon, &h))
		n++;
	TAP_EQ(n, 2, "the next 2 frames: each copied once, whoever synced");
	n = 0;
	if (mon2) {
		ioctl(mon2->fd, NIOCRXSYNC, NULL);
		while (nm_nextpkt(mon2, &h))
			n++;
	}
	TAP_EQ(n, 2, "a monitor that joined later: those 2 only");
	if (mon2)
		nm_close(mon2);
	nm_close(mon);
	nm_close(s);
	nm_close(m);
}

/* netmap's geometry: one tx ring, max(tx, rx) rx rings, slots as asked */
static void
test_geometry(void)
{
	char m[64], sl[64];
	struct rawport pm, ps, a, b, c;
	struct nmreq_register req = { .nr_mode = NR_REG_ALL_NIC, .nr_tx_rings = 2,
	    .nr_rx_rings = 3, .nr_tx_slots = 256, .nr_rx_slots = 512 };
	struct netmap_ring *t;
	struct pollfd pfd;
	uint32_t tail;
	int got;

	snprintf(m, sizeof(m), "%sg{1", base);
	snprintf(sl, sizeof(sl), "%sg}1", base);
	tap_ok(raw_open_req(&pm, m, &req) == 0 && raw_open(&ps, sl, NR_REG_ALL_NIC, 0, 0) == 0,
	    "a pipe of 2 tx rings of 256 slots and 3 rx rings of 512");
	memset(&req, 0, sizeof(req));
	req.nr_mode = NR_REG_ALL_NIC;
	req.nr_flags = NR_MONITOR_TX;
	TAP_EQ(raw_open_req(&a, m, &req), 0, "a monitor of its master");
	TAP_EQ(a.reg.nr_tx_rings, 1, "a monitor has one tx ring");
	TAP_EQ(a.reg.nr_rx_rings, 3, "and as many rx rings as the port has rings in either direction");
	TAP_EQ(a.reg.nr_tx_slots, 256, "0 tx slots asked: the port's tx slots");
	TAP_EQ(a.reg.nr_rx_slots, 512, "0 rx slots asked: the port's rx slots");
	tap_ok(a.nifp->ni_tx_rings == 1 && a.nifp->ni_rx_rings == 3 &&
	    NETMAP_TXRING(a.nifp, 0)->num_slots == 256 && NETMAP_TXRING(a.nifp, 0)->dir == 0 &&
	    NETMAP_RXRING(a.nifp, 2)->num_slots == 512 && NETMAP_RXRING(a.nifp, 0)->dir == 1,
	    "the netmap_if says so");
	req.nr_tx_slots = 5000;
	req.nr_rx_slots = 64;
	tap_ok(raw_open_req(&b, m, &req) == 0 && b.reg.nr_tx_slots == 4096 && b.reg.nr_rx_slots == 64 &&
	    NETMAP_RXRING(b.nifp, 1)->num_slots == 64,
	    "slots asked are given, at most 4096 (%u tx, %u rx)", b.reg.nr_tx_slots, b.reg.nr_rx_slots);
	raw_close(&b);

	/* the tx ring exists, and its txsync fails as netmap's does (EIO) */
	t = NETMAP_TXRING(a.nifp, 0);
	tail = t->tail;
	pfd = (struct pollfd){ .fd = a.fd, .events = POLLIN };
	tap_ok(poll(&pfd, 1, 0) == 0, "poll(POLLIN) on a fresh monitor: nothing, no error");
	raw_put(t, 60, 0x11);
	TAP_EQ(ioctl(a.fd, NIOCTXSYNC, NULL), 0, "NIOCTXSYNC on a monitor returns 0");
	tap_ok(t->tail == tail && NETMAP_RXRING(ps.nifp, 0)->tail == NETMAP_RXRING(ps.nifp, 0)->head,
	    "and sends nothing: its tx ring stays where it was");
	pfd = (struct pollfd){ .fd = a.fd, .events = POLLOUT };
	got = poll(&pfd, 1, 0);
	tap_ok(got == 1 && (pfd.revents & POLLERR), "poll(POLLOUT) reports POLLERR (revents 0x%x)",
	    pfd.revents);
	raw_close(&a);

	/* one ring: the tx side, which has a single ring, binds ring 0 */
	req = (struct nmreq_register){ .nr_mode = NR_REG_ONE_NIC, .nr_ringid = 2,
	    .nr_flags = NR_MONITOR_RX };
	tap_ok(raw_open_req(&c, m, &req) == 0 && c.nifp->ring_ofs[0] != 0 && c.nifp->ring_ofs[1 + 2] != 0 &&
	    c.nifp->ring_ofs[1] == 0, "-2 on a monitor: its tx ring 0 and rx ring 2");
	raw_close(&c);
	req.nr_ringid = 3;
	TAP_EQ(raw_open_req(&c, m, &req), -EINVAL, "-3: EINVAL, no ring 3 on either side");
	req = (struct nmreq_register){ .nr_mode = NR_REG_ONE_NIC, .nr_ringid = 2 };
	tap_ok(raw_open_req(&c, sl, &req) == 0 && c.nifp->ring_ofs[2] != 0 && c.nifp->ring_ofs[3] != 0 &&
	    c.nifp->ring_ofs[0] == 0,
	    "-2 on the 3-tx, 2-rx slave: tx ring 2 and rx ring 0, as netmap falls back");
	raw_close(&c);
	raw_close(&pm);
	raw_close(&ps);
}

/* libnetmap and the legacy nm_open on a monitor: their ring scans stay in the table */
static void
test_libs(void)
{
	char spec[96];
	struct nmport_d *pm, *ps, *d;
	struct nm_desc *l;
	unsigned slots = 0;

	snprintf(spec, sizeof(spec), "netmap:%sl{1", base);
	pm = nmport_open(spec);
	snprintf(spec, sizeof(spec), "netmap:%sl}1", base);
	ps = nmport_open(spec);
	snprintf(spec, sizeof(spec), "netmap:%sl}1/r", base);
	d = nmport_open(spec);
	tap_ok(pm && ps && d, "nmport_open of a pipe's ends and of %s", spec);
	if (!d)
		return;
	tap_ok(d->reg.nr_tx_rings == 1 && d->first_tx_ring == 0 && d->last_tx_ring == 0 &&
	    d->first_rx_ring == 0 && d->last_rx_ring == 0,
	    "nmport's ring scan: tx [%u, %u], rx [%u, %u]", d->first_tx_ring, d->last_tx_ring,
	    d->first_rx_ring, d->last_rx_ring);
	if (d->last_tx_ring <= d->reg.nr_tx_rings)	/* a scan that runs off would crash */
		for (unsigned i = d->first_tx_ring; i <= d->last_tx_ring; i++)
			slots += NETMAP_TXRING(d->nifp, i)->num_slots;
	TAP_EQ(slots, d->reg.nr_tx_slots, "a loop over the bound tx rings finds the one tx ring");
	tap_ok(ioctl(d->fd, NIOCTXSYNC, NULL) == 0 && ioctl(d->fd, NIOCRXSYNC, NULL) == 0,
	    "and the syncs return");
	nmport_close(d);
	l = nm_open(spec, NULL, 0, NULL);
	tap_ok(l && l->req.nr_tx_rings == 1 && l->req.nr_rx_rings == 1 && l->nifp->ni_tx_rings == 1 &&
	    NETMAP_TXRING(l->nifp, l->first_tx_ring) != (void *)NETMAP_RXRING(l->nifp, l->first_rx_ring),
	    "nm_open of the monitor: one tx ring, one rx ring, not the same");
	if (l)
		nm_close(l);
	nmport_close(pm);
	nmport_close(ps);
}

static void
test_vale(void)
{
	char a[64], c[64];
	struct rawport pa, pc, ma, mc;
	struct netmap_ring *r;
	struct netmap_slot *sl;
	unsigned char *f;

	snprintf(a, sizeof(a), "vale%d:a", (int)getpid() % 100000);
	snprintf(c, sizeof(c), "vale%d:c", (int)getpid() % 100000);
	tap_ok(raw_open(&pa, a, NR_REG_ALL_NIC, 0, 0) == 0 && raw_open(&pc, c, NR_REG_ALL_NIC, 0, 0) == 0,
	    "two ports on a switch");
	tap_ok(raw_open(&ma, a, NR_REG_ALL_NIC, NR_MONITOR_TX, 0) == 0 &&
	    raw_open(&mc, c, NR_REG_ALL_NIC, NR_MONITOR_RX, 0) == 0, "/t on one, /r on the other");
	r = NETMAP_TXRING(pa.nifp, 0);
	sl = &r->slot[r->head];
	f = (unsigned char *)NETMAP_BUF(r, sl->buf_idx);
	memset(f, 0xff, 6);
	memset(f + 6, 0x02, 6);
	f[12] = 0x08;
	sl->len = 60;
	r->head = r->cur = nm_ring_next(r, r->head);
	ioctl(pa.fd, NIOCTXSYNC, NULL);
	TAP_EQ(drain(&ma, NULL, NULL), 1, "the switch port's tx monitor sees the frame");
	ioctl(pc.fd, NIOCRXSYNC, NULL);
	TAP_EQ(drain(&mc, NULL, NULL), 1, "the receiving port's rx monitor too");
	TAP_EQ(drain(&pc, NULL, NULL), 1, "and the receiver gets it");
	raw_close(&ma);
	raw_close(&mc);
	raw_close(&pa);
	raw_close(&pc);
}

int
main(void)
{
	alarm(60);
	snprintf(base, sizeof(base), "mon%d", (int)getpid());
	test_pipe();
	test_errors();
	test_names();
	test_zchain();
	test_bound_rings();
	test_zcopy_tx();
	test_feed();
	test_rx_arrival();
	test_geometry();
	test_libs();
	test_vale();
	return tap_done();
}
