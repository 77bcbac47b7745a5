/*
 * vale_switch.c - the VALE switch with real processes: learning, flooding,
 * explicit destinations, fragments, bad frames dropped and counted,
 * persistent ports, four senders and four receivers at once, senders
 * killed mid-burst with exact buffer accounting afterwards.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "../lib/nmvale.h"
#include "../lib/tap.h"
#include "unetmap.h"

/* a frame from MAC ..:src to MAC ..:dst (dst 0xff: broadcast), @len bytes */
static int
send_to(struct rawport *r, int src, int dst, size_t len, uint16_t flags)
{
	struct netmap_ring *ring = NETMAP_TXRING(r->nifp, 0);
	struct netmap_slot *s;
	unsigned char *b;

	if (nm_ring_empty(ring))
		return -1;
	s = &ring->slot[ring->head];
	b = (unsigned char *)NETMAP_BUF(ring, s->buf_idx);
	raw_eth(b, src, dst);
	memset(b + 14, src, len > 14 ? len - 14 : 0);
	s->len = (uint16_t)len;
	s->flags = flags;
	ring->head = ring->cur = nm_ring_next(ring, ring->head);
	return ioctl(r->fd, NIOCTXSYNC, NULL);
}

/* frames waiting on @r's rx ring (drains them) */
static int
received(struct rawport *r)
{
	struct netmap_ring *ring = NETMAP_RXRING(r->nifp, 0);
	int n = 0;

	ioctl(r->fd, NIOCRXSYNC, NULL);
	for (; !nm_ring_empty(ring); ring->head = ring->cur = nm_ring_next(ring, ring->head))
		n += !(ring->slot[ring->head].flags & NS_MOREFRAG);
	ioctl(r->fd, NIOCRXSYNC, NULL);
	return n;
}

static struct nmreq_unetmap_vale_stats
stats(const char *p)
{
	struct nmreq_unetmap_vale_stats st = { 0 };
	char n[64];

	pname(n, sizeof(n), p);
	raw_ctl(NETMAP_REQ_UNETMAP_VALE_STATS, n, &st);
	return st;
}

static void
test_learning(void)
{
	struct rawport a, b, c;

	tap_ok(vopen(&a, "a") == 0 && vopen(&b, "b") == 0 && vopen(&c, "c") == 0,
	    "three ports on a new switch");
	send_to(&a, 1, 0xff, 60, 0);
	tap_ok(received(&b) == 1 && received(&c) == 1 && received(&a) == 0,
	    "a broadcast from A reaches B and C, not A");
	send_to(&b, 2, 1, 60, 0);
	tap_ok(received(&a) == 1 && received(&c) == 0, "then a frame to A's address reaches only A");
	send_to(&c, 3, 9, 60, 0);
	tap_ok(received(&a) == 1 && received(&b) == 1, "an unknown unicast floods to the others");
	send_to(&a, 4, 0xff, 60, NS_NO_LEARN);
	received(&b);
	received(&c);
	send_to(&b, 2, 4, 60, 0);
	tap_ok(received(&a) == 1 && received(&c) == 1, "NS_NO_LEARN: the source is not learned");
	send_to(&a, 1, 1, 60, 0);
	tap_ok(received(&a) == 0 && received(&b) == 0 && received(&c) == 0,
	    "a frame to the sender's own address goes nowhere");
	{
		uint32_t ci = port_index("c");

		tap_ok(ci < 64, "VALE_LIST gives C's port index (%u)", ci);
		send_to(&a, 1, 2, 60, (uint16_t)(ci << NS_PORT_SHIFT));
		tap_ok(received(&c) == 1 && received(&b) == 0,
		    "the slot's high byte sends to the port it names, whatever the address");
		send_to(&a, 1, 2, 60, (uint16_t)(250u << NS_PORT_SHIFT));
		tap_ok(received(&b) == 0 && received(&c) == 0 && stats("a").drop_nodst == 2,
		    "to an absent port: dropped and counted (with the one to itself)");
	}
	/* bad frames */
	send_to(&a, 1, 0xff, 10, 0);
	tap_ok(received(&b) == 0 && stats("a").drop_bad == 1, "shorter than an Ethernet header: dropped, counted");
	{
		/* a slot naming a buffer that does not exist (written, not filled) */
		struct netmap_ring *ring = NETMAP_TXRING(a.nifp, 0);
		uint32_t j = ring->head, keep = ring->slot[j].buf_idx;

		ring->slot[j].buf_idx = 0x7ffffff0;
		ring->slot[j].len = 60;
		ring->slot[j].flags = 0;
		ring->head = ring->cur = nm_ring_next(ring, j);
		ioctl(a.fd, NIOCTXSYNC, NULL);
		ring->slot[j].buf_idx = keep;
		tap_ok(received(&b) == 0 && stats("a").drop_bad == 2,
		    "an invalid buffer index: dropped, counted, nothing crashed");
	}
	{
		/* a frame of three fragments arrives whole, with its count in the high byte */
		struct netmap_ring *ring = NETMAP_TXRING(a.nifp, 0), *rx = NETMAP_RXRING(b.nifp, 0);
		uint32_t j = ring->head;
		int ok = 1;

		send_to(&a, 1, 0xff, 100, NS_MOREFRAG);	/* pushes nothing: incomplete */
		ioctl(b.fd, NIOCRXSYNC, NULL);
		ok &= nm_ring_empty(rx);
		ring->slot[ring->head].len = 100;
		ring->slot[ring->head].flags = NS_MOREFRAG;
		ring->head = ring->cur = nm_ring_next(ring, ring->head);
		ring->slot[ring->head].len = 50;
		ring->slot[ring->head].flags = 0;
		ring->head = ring->cur = nm_ring_next(ring, ring->head);
		ioctl(a.fd, NIOCTXSYNC, NULL);
		ioctl(b.fd, NIOCRXSYNC, NULL);
		(void)j;
		ok &= nm_ring_space(rx) == 3;
		ok &= (rx->slot[rx->head].flags & NS_MOREFRAG) && NS_RFRAGS(&rx->slot[rx->head]) == 3;
		ok &= rx->slot[(rx->head + 2) % rx->num_slots].len == 50 &&
		    !(rx->slot[(rx->head + 2) % rx->num_slots].flags & NS_MOREFRAG);
		tap_ok(ok, "a three-fragment frame waits for its last fragment, then arrives whole");
		received(&b);
		received(&c);
	}
	{
		/*
		 * A complete frame of 65 fragments, one more than a receiver takes:
		 * dropped and counted at the sender, and the queue behind it goes on
		 */
		struct netmap_ring *ring = NETMAP_TXRING(a.nifp, 0);
		uint64_t bad0 = stats("a").drop_bad;
		int got;

		send_to(&a, 1, 0xff, 100, NS_MOREFRAG);
		for (int i = 1; i < 65; i++) {
			ring->slot[ring->head].len = 60;
			ring->slot[ring->head].flags = i < 64 ? NS_MOREFRAG : 0;
			ring->head = ring->cur = nm_ring_next(ring, ring->head);
		}
		ioctl(a.fd, NIOCTXSYNC, NULL);
		send_to(&a, 1, 0xff, 60, 0);
		got = received(&b);
		tap_ok(got == 1 && stats("a").drop_bad == bad0 + 1,
		    "a frame of 65 fragments is dropped and counted; the next one arrives (%d)", got);
		received(&c);
	}
	{
		/* NS_INDIRECT: the frame is in the sender's own memory, at slot->ptr */
		static unsigned char frame[100];
		struct netmap_ring *ring = NETMAP_TXRING(a.nifp, 0), *rx = NETMAP_RXRING(b.nifp, 0);
		struct netmap_slot *sl = &ring->slot[ring->head];
		int ok;

		memset(frame, 0xff, 6);
		memset(frame + 6, 0x02, 6);
		frame[50] = 0x5a;
		sl->ptr = (uintptr_t)frame;
		sl->len = sizeof(frame);
		sl->flags = NS_INDIRECT;
		ring->head = ring->cur = nm_ring_next(ring, ring->head);
		ioctl(a.fd, NIOCTXSYNC, NULL);
		ioctl(b.fd, NIOCRXSYNC, NULL);
		ok = !nm_ring_empty(rx) && rx->slot[rx->head].len == sizeof(frame) &&
		    NETMAP_BUF(rx, rx->slot[rx->head].buf_idx)[50] == 0x5a;
		tap_ok(ok, "NS_INDIRECT: the frame at slot->ptr is forwarded");
		received(&b);
		received(&c);
		sl = &ring->slot[ring->head];
		sl->ptr = 16;	/* not a readable address */
		sl->len = 60;
		sl->flags = NS_INDIRECT;
		ring->head = ring->cur = nm_ring_next(ring, ring->head);
		ioctl(a.fd, NIOCTXSYNC, NULL);
		tap_ok(received(&b) == 0 && stats("a").drop_bad == 4,
		    "NS_INDIRECT with a bad pointer: dropped and counted, no crash");
		ring->slot[ring->head == 0 ? ring->num_slots - 1 : ring->head - 1].flags = 0;
		ring->slot[(ring->head + ring->num_slots - 2) % ring->num_slots].flags = 0;
	}
	{
		struct nmreq_unetmap_vale_stats sa = stats("a"), sb = stats("b");

		tap_ok(sa.tx_frames == 6 && sb.rx_frames == 6 && sb.tx_frames == 2,
		    "per-port counters (a: tx %llu; b: rx %llu tx %llu)",
		    (unsigned long long)sa.tx_frames, (unsigned long long)sb.rx_frames,
		    (unsigned long long)sb.tx_frames);
	}
	raw_close(&a);
	raw_close(&b);
	raw_close(&c);
}

static long
free_bufs(uint16_t mem_id)
{
	struct nmreq_unetmap_region_info ri = { .nr_mem_id = mem_id };

	return raw_ctl(NETMAP_REQ_UNETMAP_REGION_INFO, "", &ri) == 0 ? (long)ri.nr_buf_free : -1;
}

/* an ephemeral port is its program's: not detached, not polled */
static void
test_ephemeral_detach(void)
{
	struct nmreq_vale_polling po = { .nr_mode = NETMAP_POLLING_MODE_SINGLE_CPU,
		.nr_num_polling_cpus = 1 };
	struct nmreq_vale_detach de = { 0 };
	struct rawport e;
	char n[64];

	pname(n, sizeof(n), "e");
	tap_ok(vopen(&e, "e") == 0, "an ephemeral port");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_DETACH, n, &de), -EBUSY,
	    "cannot be detached: EBUSY, as netmap (it goes with its program)");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_POLLING_ENABLE, n, &po), -EOPNOTSUPP,
	    "nor polled: EOPNOTSUPP, as netmap (a VALE port, no interface)");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_POLLING_DISABLE, n, &po), -EOPNOTSUPP, "nor unpolled");
	pname(n, sizeof(n), "nosuch");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_POLLING_ENABLE, n, &po), -ENXIO,
	    "polling a port the switch does not have: ENXIO");
	raw_close(&e);
}

static void
test_ephemeral_gone(void)
{
	struct nmreq_vale_list l = { 0 };
	char n[64];

	pname(n, sizeof(n), "a");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_LIST, n, &l), -ENOENT,
	    "with its last port closed, the switch is gone");
}

static void
test_persistent(void)
{
	struct nmreq_vale_newif ni = { .nr_tx_slots = 256, .nr_rx_slots = 256 };
	struct nmreq_vale_attach at = { 0 };
	struct nmreq_vale_detach de = { 0 };
	struct rawport p, q;
	char bare[16], full[64];

	snprintf(bare, sizeof(bare), "pp%d", (int)getpid() % 100000);
	pname(full, sizeof(full), bare);
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_NEWIF, bare, &ni), 0, "VALE_NEWIF makes a persistent port");
	tap_ok(ni.nr_tx_slots == 256 && ni.nr_mem_id > 1, "with the slots asked for, in its own region");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_NEWIF, bare, &ni), -EEXIST, "making it twice: EEXIST");
	TAP_EQ(raw_open(&p, bare, NR_REG_ALL_NIC, 0, 0), 0, "it opens by its bare name, on no switch");
	tap_ok(strcmp(p.nifp->ni_name, bare) == 0, "its netmap_if is named %s (%s)", bare,
	    p.nifp->ni_name);
	send_to(&p, 7, 0xff, 60, 0);	/* goes nowhere, harmlessly */
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_ATTACH, full, &at), -EBUSY,
	    "attaching it while a program has it open: EBUSY, as netmap");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_LIST, full, &(struct nmreq_vale_list){ 0 }), -ENOENT,
	    "and nothing of the attach is left (no switch)");
	raw_close(&p);
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_ATTACH, full, &at), 0, "closed, VALE_ATTACH puts it on a switch");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_ATTACH, full, &at), -EBUSY, "attaching it twice: EBUSY");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_DELIF, bare, NULL), -EBUSY, "deleting it while attached: EBUSY");
	TAP_EQ(raw_open(&p, bare, NR_REG_ALL_NIC, 0, 0), 0, "attached, it opens by its bare name");
	/* ni_name has room for 15 characters, in netmap too */
	tap_ok(strncmp(p.nifp->ni_name, full, sizeof(p.nifp->ni_name) - 1) == 0,
	    "its netmap_if is named %s now, as netmap renames an attached port (%s)", full,
	    p.nifp->ni_name);
	tap_ok(vopen(&q, "q") == 0, "an ephemeral port joins the same switch");
	send_to(&p, 7, 0xff, 60, 0);
	TAP_EQ(received(&q), 1, "the persistent port sends into the switch");
	send_to(&q, 8, 7, 60, 0);
	TAP_EQ(received(&p), 1, "and receives from it");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_DETACH, full, &de), 0, "VALE_DETACH takes it off");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_DETACH, full, &de), -ENXIO, "detaching it twice: ENXIO");
	send_to(&p, 7, 0xff, 60, 0);
	TAP_EQ(received(&q), 0, "off the switch its frames go nowhere");
	{
		struct rawport p2;

		TAP_EQ(raw_open(&p2, bare, NR_REG_ALL_NIC, 0, 0), 0, "detached, it opens again");
		tap_ok(strncmp(p2.nifp->ni_name, full, sizeof(p2.nifp->ni_name) - 1) == 0,
		    "still named %s, as netmap (%s)", full, p2.nifp->ni_name);
		raw_close(&p2);
	}
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_DELIF, bare, NULL), -EBUSY, "deleting it while open: EBUSY");
	raw_close(&p);
	raw_close(&q);
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_DELIF, bare, NULL), 0, "closed and detached, it is deleted");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_DELIF, bare, NULL), -ENXIO, "deleting it twice: ENXIO");
}

/* VALE_ATTACH's refusals, with netmap's errnos */
static void
test_attach_errnos(void)
{
	struct nmreq_vale_newif ni = { 0 };
	struct nmreq_vale_attach at = { .reg.nr_mem_id = 65000 };
	struct nmreq_vale_detach de = { 0 };
	char bare[16], full[64], full2[64], nosuch[64];

	snprintf(bare, sizeof(bare), "pe%d", (int)getpid() % 100000);
	pname(full, sizeof(full), bare);
	snprintf(full2, sizeof(full2), "%sz:%s", sw, bare);
	snprintf(nosuch, sizeof(nosuch), "%s:nosuch%d", sw, (int)getpid() % 100000);
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_NEWIF, bare, &ni), 0, "a persistent port for the refusals");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_ATTACH, full, &at), -EINVAL,
	    "attaching with an nr_mem_id that names no region: EINVAL");
	memset(&at, 0, sizeof(at));
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_ATTACH, nosuch, &at), -EINVAL,
	    "attaching an interface that does not exist: EINVAL");
	at.reg.nr_mode = NR_REG_NIC_SW;
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_ATTACH, full, &at), 0,
	    "a persistent port's first attach takes any mode (-h too), as netmap's");
	at.reg.nr_mode = NR_REG_ONE_NIC;
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_ATTACH, full2, &at), -EINVAL,
	    "wrapping it onto a second switch in mode ONE_NIC: EINVAL");
	at.reg.nr_mode = NR_REG_ALL_NIC;
	at.reg.nr_ringid = 1;
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_ATTACH, full2, &at), -EINVAL, "or with ring 1: EINVAL");
	at.reg.nr_ringid = 0;
	at.reg.nr_mode = NR_REG_NIC_SW;
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_ATTACH, full2, &at), -EINVAL,
	    "or with its host stack (-h), which it has not: EINVAL");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_LIST, full2, &(struct nmreq_vale_list){ 0 }), -ENOENT,
	    "nothing of the refused wraps is left (no second switch)");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_DETACH, full, &de), 0, "detached");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_DELIF, bare, NULL), 0, "and deleted");
}

/* names as netmap reads them, and each request's errno for a bad one */
static void
test_names(void)
{
	struct nmreq_vale_polling po = { .nr_mode = NETMAP_POLLING_MODE_SINGLE_CPU,
		.nr_num_polling_cpus = 1 };
	struct nmreq_vale_newif ni = { 0 };
	struct rawport r;
	char n[64], bare[16];

	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_LIST, sw, &(struct nmreq_vale_list){ 0 }), -ENOENT,
	    "VALE_LIST of a switch name alone (no ':'): ENOENT, as netmap");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_LIST, "vale.x:a", &(struct nmreq_vale_list){ 0 }), -ENOENT,
	    "VALE_LIST of a switch name netmap rejects ('.'): ENOENT");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_LIST, "valx:a", &(struct nmreq_vale_list){ 0 }), -EINVAL,
	    "VALE_LIST of a name not starting with vale: EINVAL");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_ATTACH, "vale-x:a", &(struct nmreq_vale_attach){ 0 }), -ENOMEM,
	    "VALE_ATTACH to a switch name netmap rejects: ENOMEM, as netmap");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_DETACH, "vale-x:a", &(struct nmreq_vale_detach){ 0 }), -ENXIO,
	    "VALE_DETACH: ENXIO");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_POLLING_ENABLE, "vale-x:a", &po), -ENXIO, "polling: ENXIO");
	TAP_EQ(raw_open(&r, "vale-x:a", NR_REG_ALL_NIC, 0, 0), -ENOMEM, "REGISTER: ENOMEM");
	pname(n, sizeof(n), "a-b.c");
	TAP_EQ(raw_open(&r, n, NR_REG_ALL_NIC, 0, 0), 0,
	    "a switch port named with '-' and '.': netmap takes any character after the ':'");
	tap_ok(port_index("a-b.c") < 64, "and VALE_LIST finds it by that name");
	raw_close(&r);
	pname(n, sizeof(n), "a b");
	TAP_EQ(raw_open(&r, n, NR_REG_ALL_NIC, 0, 0), -EINVAL, "but not a blank (ours: EINVAL)");
	pname(n, sizeof(n), "lo");
	TAP_EQ(raw_open(&r, n, NR_REG_ALL_NIC, 0, 0), -EINVAL,
	    "REGISTER of valeX:lo, an interface's name: EINVAL, as netmap");
	snprintf(bare, sizeof(bare), "p-%d", (int)getpid() % 100000);
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_NEWIF, bare, &ni), 0,
	    "VALE_NEWIF of a name with '-': an interface's name rules, as netmap");
	pname(n, sizeof(n), bare);
	TAP_EQ(raw_open(&r, n, NR_REG_ALL_NIC, 0, 0), -EINVAL,
	    "REGISTER of valeX:P, P a persistent port not on valeX: EINVAL, as netmap");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_NEWIF, bare, &ni), -EEXIST, "VALE_NEWIF of it again: EEXIST");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_NEWIF, "a/b", &ni), -EINVAL, "VALE_NEWIF of a/b: EINVAL");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_NEWIF, "..", &ni), -EINVAL, "of ..: EINVAL");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_DELIF, bare, NULL), 0, "VALE_DELIF deletes it");
	TAP_EQ(raw_ctl(NETMAP_REQ_VALE_DELIF, "lo", NULL), -EINVAL,
	    "VALE_DELIF of a network interface: EINVAL, as netmap");
}

/* switches are counted (64 here, 8 in netmap): one too many is ENOMEM, as netmap's */
static void
test_switch_limit(void)
{
	int fds[70], n, err = 0;

	for (n = 0; n < 70; n++) {
		struct nmreq_register reg = { .nr_mode = NR_REG_ALL_NIC, .nr_mem_id = 1,
			.nr_tx_slots = 64, .nr_rx_slots = 64 };
		char name[64];

		snprintf(name, sizeof(name), "vale%dl%d:x", (int)getpid() % 100000, n);
		fds[n] = open("/dev/netmap", O_RDWR);
		err = fds[n] < 0 ? -errno : raw_ctrl(fds[n], NETMAP_REQ_REGISTER, name, &reg, NULL);
		if (err) {
			if (fds[n] >= 0)
				close(fds[n]);
			break;
		}
	}
	tap_ok(n > 0 && n <= 64 && err == -ENOMEM, "a port on a switch too many: ENOMEM, as "
	    "netmap (%d switches made, then %d)", n, err);
	while (n > 0)
		close(fds[--n]);
}

#define NFRAMES 20000
#define WINDOW 256	/* a sender stays this close to its receiver: below capacity */

static volatile long *progress;	/* frames each receiver has counted (shared) */

/* receiver k: says hello (so the switch learns it), then counts NFRAMES */
static int
receiver(int k, int ready_fd)
{
	struct rawport r;
	char p[16];
	int got = 0;

	snprintf(p, sizeof(p), "r%d", k);
	if (vopen(&r, p))
		return 1;
	send_to(&r, 0x10 + k, 0xff, 60, 0);
	if (write(ready_fd, "r", 1) != 1)
		return 2;
	while (got < NFRAMES) {
		struct pollfd pf = { .fd = r.fd, .events = POLLIN };
		struct netmap_ring *ring = NETMAP_RXRING(r.nifp, 0);

		if (poll(&pf, 1, 5000) <= 0)
			return 3;
		for (; !nm_ring_empty(ring); ring->head = ring->cur = nm_ring_next(ring, ring->head)) {
			const unsigned char *b = (const unsigned char *)NETMAP_BUF(ring,
			    ring->slot[ring->head].buf_idx);

			got += b[11] == 0x20 + k;	/* from its own sender; hellos aside */
		}
		progress[k] = got;
	}
	ioctl(r.fd, NIOCRXSYNC, NULL);
	return 0;
}

/* sender k: NFRAMES to receiver k's address, paced well below capacity */
static int
sender(int k)
{
	struct rawport s;
	char p[16];

	snprintf(p, sizeof(p), "s%d", k);
	if (vopen(&s, p))
		return 1;
	for (int i = 0, waited = 0; i < NFRAMES;) {
		struct netmap_ring *ring = NETMAP_TXRING(s.nifp, 0);

		if (i - progress[k] >= WINDOW) {	/* the receiver is behind: wait */
			if (++waited > 50000)
				return 4;	/* 5 s without progress */
			usleep(100);
			continue;
		}
		waited = 0;
		for (int b = 0; b < 32 && i < NFRAMES && !nm_ring_empty(ring); b++, i++) {
			struct netmap_slot *sl = &ring->slot[ring->head];
			unsigned char *f = (unsigned char *)NETMAP_BUF(ring, sl->buf_idx);

			memset(f, 0, 14);
			f[0] = 0x02;
			f[5] = (unsigned char)(0x10 + k);
			f[6] = 0x02;
			f[11] = (unsigned char)(0x20 + k);
			sl->len = 64;
			sl->flags = 0;
			ring->head = ring->cur = nm_ring_next(ring, ring->head);
		}
		ioctl(s.fd, NIOCTXSYNC, NULL);
	}
	return 0;
}

static void
test_many(void)
{
	pid_t r[4], sd[4];
	int st, bad = 0, pfd[2];
	char c;

	if (pipe(pfd) < 0)
		return;
	progress = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	for (int k = 0; k < 4; k++)
		if ((r[k] = fork()) == 0)
			_exit(receiver(k, pfd[1]));
	for (int k = 0; k < 4; k++)
		if (read(pfd[0], &c, 1) != 1)
			bad++;
	for (int k = 0; k < 4; k++)
		if ((sd[k] = fork()) == 0)
			_exit(sender(k));
	for (int k = 0; k < 4; k++) {
		waitpid(sd[k], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			tap_diag("sender %d: status 0x%x, its receiver at %ld", k, st, progress[k]);
			bad++;
		}
		waitpid(r[k], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			tap_diag("receiver %d: status 0x%x, at %ld", k, st, progress[k]);
			bad++;
		}
	}
	if (bad)
		for (int k = 0; k < 4; k++) {
			char pn[16];
			struct nmreq_unetmap_vale_stats a, b;

			snprintf(pn, sizeof(pn), "s%d", k);
			a = stats(pn);
			snprintf(pn, sizeof(pn), "r%d", k);
			b = stats(pn);
			tap_diag("s%d: tx %llu busy %llu nodst %llu bad %llu; r%d: rx %llu full %llu", k,
			    (unsigned long long)a.tx_frames, (unsigned long long)a.drop_busy,
			    (unsigned long long)a.drop_nodst, (unsigned long long)a.drop_bad, k,
			    (unsigned long long)b.rx_frames, (unsigned long long)b.drop_full);
		}
	TAP_EQ(bad, 0, "4 senders and 4 receivers at once: every frame arrives, none lost");

	close(pfd[0]);
	close(pfd[1]);
}

/* a second process on the same port (its own tx ring): sends until killed */
static void
test_kill9(void)
{
	struct rawport s0, rcv;
	char n[64];
	long before, after;
	int bad = 0;

	pname(n, sizeof(n), "k");
	{
		struct nmreq_header h;
		struct nmreq_register reg = { .nr_mode = NR_REG_ONE_NIC, .nr_ringid = 0,
			.nr_tx_rings = 2, .nr_rx_rings = 1 };

		s0.fd = open("/dev/netmap", O_RDWR);
		memset(&h, 0, sizeof(h));
		h.nr_version = NETMAP_API;
		h.nr_reqtype = NETMAP_REQ_REGISTER;
		snprintf(h.nr_name, sizeof(h.nr_name), "%s", n);
		h.nr_body = (uintptr_t)&reg;
		tap_ok(ioctl(s0.fd, NIOCCTRL, &h) == 0 && reg.nr_tx_rings == 2,
		    "a sender port with two tx rings, ring 0 held here");
		s0.reg = reg;
		s0.mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, s0.fd, 0);
		s0.nifp = NETMAP_IF(s0.mem, reg.nr_offset);
	}
	tap_ok(vopen(&rcv, "kr") == 0, "and a receiver");
	received(&rcv);
	before = free_bufs(rcv.reg.nr_mem_id);
	for (int round = 0; round < 10; round++) {
		pid_t pid = fork();

		if (pid == 0) {
			/* ring 1 of the same port, sending broadcasts until killed */
			struct nmreq_register reg = { .nr_mode = NR_REG_ONE_NIC, .nr_ringid = 1 };
			struct netmap_ring *ring;
			int fd = open("/dev/netmap", O_RDWR);
			char *mem;

			if (raw_ctrl(fd, NETMAP_REQ_REGISTER, n, &reg, NULL) < 0)
				_exit(1);
			mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			ring = NETMAP_TXRING(NETMAP_IF(mem, reg.nr_offset), 1);
			for (;;) {
				while (!nm_ring_empty(ring)) {
					struct netmap_slot *sl = &ring->slot[ring->head];

					memset(NETMAP_BUF(ring, sl->buf_idx), 0xff, 14);
					sl->len = 60;
					ring->head = ring->cur = nm_ring_next(ring, ring->head);
				}
				ioctl(fd, NIOCTXSYNC, NULL);
			}
		}
		usleep(20000 + round * 3000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		received(&rcv);
		send_to(&s0, 0x31, 0xff, 60, 0);	/* the survivor on the same port */
		bad += received(&rcv) < 1;
	}
	TAP_EQ(bad, 0, "ten times a process killed mid-burst: the other ring of its port still forwards");
	raw_close(&s0);
	/* its queue is retired until drained, then freed by the daemon's next ticks */
	for (int i = 0; i < 60; i++) {
		received(&rcv);
		after = free_bufs(rcv.reg.nr_mem_id);
		if (after == before + 512)
			break;
		usleep(50000);
	}
	TAP_EQ(after, before + 512, "buffer accounting exact: the sender's queue came back, nothing leaked");
	raw_close(&rcv);
}

int
main(void)
{
	alarm(120);
	vale_init();
	test_learning();
	test_ephemeral_detach();
	test_ephemeral_gone();
	test_persistent();
	test_attach_errnos();
	test_names();
	test_switch_limit();
	test_many();
	test_kill9();
	return tap_done();
}
