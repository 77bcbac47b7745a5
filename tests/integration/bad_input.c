/*
 * bad_input.c - garbage from an application: bad pointers, wrong sizes
 * and versions, option loops, bad names, head/cur/buf_idx/len out of
 * range.  Each call fails with netmap's errno (or, for ring indices, the
 * ring is reset and poll reports POLLERR); nothing crashes, and a pipe
 * opened before the abuse keeps working after it.
 */
#include <stdlib.h>

#include "../lib/nmraw.h"
#include "../lib/tap.h"

static int
ctl_on(int fd, struct nmreq_header *h)
{
	return ioctl(fd, NIOCCTRL, h) < 0 ? -errno : 0;
}

static void
header(struct nmreq_header *h, uint16_t type, const char *name, void *body)
{
	memset(h, 0, sizeof(*h));
	h->nr_version = NETMAP_API;
	h->nr_reqtype = type;
	snprintf(h->nr_name, sizeof(h->nr_name), "%s", name);
	h->nr_body = (uintptr_t)body;
}

static void
test_requests(void)
{
	int fd = open("/dev/netmap", O_RDWR);
	struct nmreq_register reg;
	struct nmreq_header h;
	char name[64];

	snprintf(name, sizeof(name), "bad%d{1", (int)getpid());
	tap_ok(fd >= 0, "open /dev/netmap");
	TAP_EQ(ioctl(fd, NIOCCTRL, (void *)16) < 0 ? errno : 0, EFAULT, "header at a bad address: EFAULT");
	header(&h, NETMAP_REQ_REGISTER, name, (void *)16);
	TAP_EQ(ctl_on(fd, &h), -EFAULT, "body at a bad address: EFAULT");
	memset(&reg, 0, sizeof(reg));
	header(&h, NETMAP_REQ_REGISTER, name, &reg);
	h.nr_version = 13;
	TAP_EQ(ctl_on(fd, &h), -EINVAL, "API version 13: EINVAL");
	h.nr_version = 16;
	TAP_EQ(ctl_on(fd, &h), -EINVAL, "API version 16: EINVAL");
	h.nr_version = NETMAP_API;
	h.nr_reserved = 1;
	TAP_EQ(ctl_on(fd, &h), -EINVAL, "nr_reserved not 0: EINVAL");
	header(&h, 99, name, &reg);
	TAP_EQ(ctl_on(fd, &h), -EINVAL, "unknown request type: EINVAL");
	header(&h, NETMAP_REQ_REGISTER, name, NULL);
	TAP_EQ(ctl_on(fd, &h), -EINVAL, "REGISTER without a body: EINVAL");
	header(&h, NETMAP_REQ_VALE_DELIF, name, &reg);
	TAP_EQ(ctl_on(fd, &h), -EINVAL, "a body where none belongs: EINVAL");
	header(&h, NETMAP_REQ_REGISTER, "", &reg);
	memset(h.nr_name, 'a', sizeof(h.nr_name));
	TAP_EQ(ctl_on(fd, &h), -ENXIO, "a name without its terminating NUL: cut short, no such port");

	/* options */
	{
		struct nmreq_option loop = { .nro_reqtype = NETMAP_REQ_OPT_MAX + 3 };
		struct nmreq_option unk = { .nro_reqtype = NETMAP_REQ_OPT_MAX + 3 };
		struct nmreq_option zero = { .nro_reqtype = 0 };
		struct nmreq_opt_offsets o1, o2;

		loop.nro_next = (uintptr_t)&loop;
		header(&h, NETMAP_REQ_REGISTER, name, &reg);
		h.nr_options = (uintptr_t)&loop;
		TAP_EQ(ctl_on(fd, &h), -EMSGSIZE, "an option list that loops: EMSGSIZE");
		h.nr_options = (uintptr_t)&unk;
		unk.nro_status = 12345;
		TAP_EQ(ctl_on(fd, &h), -EOPNOTSUPP, "an unknown option type: EOPNOTSUPP");
		TAP_EQ(unk.nro_status, EOPNOTSUPP, "and its status says EOPNOTSUPP");
		h.nr_options = (uintptr_t)&zero;
		TAP_EQ(ctl_on(fd, &h), -EINVAL, "option type 0: EINVAL");
		TAP_EQ(zero.nro_status, EINVAL, "and its status says EINVAL");
		memset(&o1, 0, sizeof(o1));
		memset(&o2, 0, sizeof(o2));
		o1.nro_opt.nro_reqtype = o2.nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
		o1.nro_opt.nro_next = (uintptr_t)&o2;
		h.nr_options = (uintptr_t)&o1;
		TAP_EQ(ctl_on(fd, &h), -EINVAL, "the same option twice: EINVAL");
		tap_ok(o1.nro_opt.nro_status == EINVAL && o2.nro_opt.nro_status == EINVAL,
		    "both copies marked EINVAL");
		h.nr_options = 16;
		TAP_EQ(ctl_on(fd, &h), -EFAULT, "an option at a bad address: EFAULT");
	}

	/* names and modes */
	{
		static const struct { const char *name; uint32_t mode; uint16_t ringid; int err; } c[] = {
			{ "x{", NR_REG_ALL_NIC, 0, EINVAL },
			{ "{1", NR_REG_ALL_NIC, 0, EINVAL },
			{ "", NR_REG_ALL_NIC, 0, ENXIO },
			{ "nosuchport0", NR_REG_ALL_NIC, 0, ENXIO },
			{ "bm{1", NR_REG_SW, 0, EINVAL },
			{ "bm{1", NR_REG_NIC_SW, 0, EINVAL },
			{ "bm{1", NR_REG_ONE_NIC, 5, EINVAL },
			{ "bm{1", NR_REG_PIPE_MASTER, 0, EINVAL },
			{ "bm{1", 42, 0, EINVAL },
		};

		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			memset(&reg, 0, sizeof(reg));
			reg.nr_mode = c[i].mode;
			reg.nr_ringid = c[i].ringid;
			header(&h, NETMAP_REQ_REGISTER, c[i].name, &reg);
			TAP_EQ(ctl_on(fd, &h), -c[i].err, "bad name or mode is refused");
			if (errno != c[i].err)
				tap_diag("  name '%s' mode %u", c[i].name, c[i].mode);
		}
	}
	TAP_EQ(ioctl(fd, NIOCTXSYNC, NULL) < 0 ? errno : 0, ENXIO, "NIOCTXSYNC before REGISTER: ENXIO");
	tap_ok(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED && errno == ENXIO,
	    "mmap before REGISTER: ENXIO");
	memset(&reg, 0, sizeof(reg));
	reg.nr_mode = NR_REG_ALL_NIC;
	header(&h, NETMAP_REQ_REGISTER, name, &reg);
	TAP_EQ(ctl_on(fd, &h), 0, "a good REGISTER after all that");
	TAP_EQ(ctl_on(fd, &h), -EBUSY, "a second REGISTER on the same descriptor: EBUSY");
	tap_ok(mmap(NULL, reg.nr_memsize + 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
	    errno == EINVAL, "mmap beyond nr_memsize: EINVAL");
	close(fd);
}

static void
test_legacy(void)
{
	int fd = open("/dev/netmap", O_RDWR);
	struct nmreq nmr;
	char name[12];

	snprintf(name, sizeof(name), "lg%d", (int)getpid() % 10000);
	memset(&nmr, 0, sizeof(nmr));
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "%s", name);
	nmr.nr_version = 13;
	nmr.nr_flags = NR_REG_PIPE_MASTER;
	nmr.nr_ringid = 3;
	TAP_EQ(ioctl(fd, NIOCREGIF, &nmr) < 0 ? errno : 0, EINVAL, "legacy API version 13: EINVAL");
	nmr.nr_version = 16;
	TAP_EQ(ioctl(fd, NIOCREGIF, &nmr) < 0 ? errno : 0, 0, "legacy API version 16 is accepted");
	TAP_EQ(nmr.nr_flags, NR_REG_PIPE_MASTER, "the reply leaves nr_flags as sent");
	tap_ok(nmr.nr_tx_rings == 1 && nmr.nr_rx_rings == 1 && nmr.nr_memsize > 0,
	    "and fills the geometry");
	TAP_EQ(ioctl(fd, NIOCREGIF, (void *)8) < 0 ? errno : 0, EFAULT, "legacy request at a bad address: EFAULT");
	nmr.nr_cmd = 99;
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "%s{3", name);
	TAP_EQ(ioctl(fd, NIOCGINFO, &nmr) < 0 ? errno : 0, 0, "NIOCGINFO ignores unknown nr_cmd (PORT_INFO)");
	TAP_EQ(nmr.nr_tx_slots, 1024, "and reports the pipe's geometry");
	nmr.nr_cmd = 99;
	TAP_EQ(ioctl(fd, NIOCREGIF, &nmr) < 0 ? errno : 0, EINVAL, "NIOCREGIF with unknown nr_cmd: EINVAL");
	close(fd);
}

/* the rings: bad indices from the application */
static void
test_rings(void)
{
	struct rawport m, s;
	struct netmap_ring *tx, *rx;
	char mn[64], sn[64];
	struct pollfd p;
	uint32_t h0;

	snprintf(mn, sizeof(mn), "br%d{2", (int)getpid());
	snprintf(sn, sizeof(sn), "br%d}2", (int)getpid());
	if (raw_open(&m, mn, NR_REG_ALL_NIC, 0, 0) || raw_open(&s, sn, NR_REG_ALL_NIC, 0, 0)) {
		tap_ok(0, "open a pipe for the ring tests");
		return;
	}
	tx = NETMAP_TXRING(m.nifp, 0);
	rx = NETMAP_RXRING(s.nifp, 0);

	h0 = tx->head;
	tx->head = tx->cur = tx->num_slots + 5;
	TAP_EQ(ioctl(m.fd, NIOCTXSYNC, NULL), 0, "NIOCTXSYNC with head out of range still returns 0");
	tap_ok(tx->head == h0 && tx->cur == h0, "and the ring is reset to where it stood");
	p = (struct pollfd){ .fd = m.fd, .events = POLLOUT };
	tap_ok(poll(&p, 1, 0) == 1 && !(p.revents & POLLERR),
	    "the next poll finds the ring sane: no POLLERR (netmap reports the poll that finds it)");
	tx->head = tx->cur = tx->num_slots + 5;
	p.revents = 0;
	tap_ok(poll(&p, 1, 0) == 1 && (p.revents & POLLERR), "a poll that finds head out of range: POLLERR");
	tap_ok(tx->head == h0 && tx->cur == h0, "and the ring is reset");
	p.revents = 0;
	tap_ok(poll(&p, 1, 0) == 1 && !(p.revents & POLLERR), "once");

	tx->cur = tx->head;
	tx->head = nm_ring_next(tx, tx->head);	/* cur behind head */
	ioctl(m.fd, NIOCTXSYNC, NULL);
	TAP_EQ(tx->head, h0, "cur behind head resets the ring");

	/* a good frame, then one with a bad buffer index: only the good one goes */
	raw_put(tx, 60, 0xaa);
	tx->slot[tx->head].buf_idx = 0xfffffff0;
	tx->slot[tx->head].len = 60;
	tx->slot[tx->head].flags = NS_BUF_CHANGED;
	tx->head = tx->cur = nm_ring_next(tx, tx->head);
	ioctl(m.fd, NIOCTXSYNC, NULL);
	ioctl(s.fd, NIOCRXSYNC, NULL);
	TAP_EQ(nm_ring_space(rx), 1, "a bad buffer index is refused; the frame before it passes");
	TAP_EQ(tx->head, nm_ring_next(tx, h0), "the sender restarts at the refused slot");
	tx->slot[tx->head].buf_idx = 1;
	tx->slot[tx->head].flags = 0;
	tx->head = tx->cur = nm_ring_next(tx, tx->head);
	ioctl(m.fd, NIOCTXSYNC, NULL);
	ioctl(s.fd, NIOCRXSYNC, NULL);
	TAP_EQ(nm_ring_space(rx), 1, "reserved buffer 1 is refused too");

	/* the refused slot kept its bad index: give it a buffer back */
	tx->slot[tx->head].buf_idx = tx->slot[nm_ring_next(tx, tx->head)].buf_idx;
	tx->slot[tx->head].len = (uint16_t)(tx->nr_buf_size + 1);
	tx->head = tx->cur = nm_ring_next(tx, tx->head);
	ioctl(m.fd, NIOCTXSYNC, NULL);
	ioctl(s.fd, NIOCRXSYNC, NULL);
	TAP_EQ(nm_ring_space(rx), 1, "a length beyond the buffer is refused");

	/* 65 fragments */
	{
		uint32_t j = tx->head;

		for (int i = 0; i < 65; i++, j = nm_ring_next(tx, j)) {
			tx->slot[j].len = 10;
			tx->slot[j].flags = i < 64 ? NS_MOREFRAG : 0;
		}
		tx->slot[tx->head].buf_idx = tx->slot[nm_ring_next(tx, j)].buf_idx;
		tx->head = tx->cur = j;
		ioctl(m.fd, NIOCTXSYNC, NULL);
		ioctl(s.fd, NIOCRXSYNC, NULL);
		TAP_EQ(nm_ring_space(rx), 1, "a packet of 65 fragments is refused");
		j = tx->head;
		for (int i = 0; i < 64; i++, j = nm_ring_next(tx, j)) {
			tx->slot[j].len = 10;
			tx->slot[j].flags = i < 63 ? NS_MOREFRAG : 0;
		}
		tx->head = tx->cur = j;
		ioctl(m.fd, NIOCTXSYNC, NULL);
		ioctl(s.fd, NIOCRXSYNC, NULL);
		TAP_EQ(nm_ring_space(rx), 65, "one of 64 fragments passes whole");
	}

	/* the receiver gives back a bad buffer: refused, the sender is unharmed */
	rx->slot[rx->head].buf_idx = 0x7fffffff;
	rx->slot[rx->head].flags = NS_BUF_CHANGED;
	rx->head = rx->cur = nm_ring_next(rx, rx->head);
	ioctl(s.fd, NIOCRXSYNC, NULL);
	tap_ok(rx->head != nm_ring_next(rx, rx->head) && rx->slot[rx->head].buf_idx == 0x7fffffff,
	    "a released slot with a bad buffer index is refused");
	rx->slot[rx->head].buf_idx = tx->slot[0].buf_idx;
	rx->head = rx->cur = rx->tail;
	ioctl(s.fd, NIOCRXSYNC, NULL);
	ioctl(m.fd, NIOCTXSYNC, NULL);
	for (uint32_t j = 0; j < tx->num_slots; j++)
		if (tx->slot[j].buf_idx < 2 || tx->slot[j].buf_idx > 1u << 30) {
			tap_ok(0, "the sender never sees a bad buffer index (slot %u: %u)", j,
			    tx->slot[j].buf_idx);
			break;
		}
	raw_put(tx, 60, 0x55);
	ioctl(m.fd, NIOCTXSYNC, NULL);
	ioctl(s.fd, NIOCRXSYNC, NULL);
	tap_ok(!nm_ring_empty(rx) && NETMAP_BUF(rx, rx->slot[rx->head].buf_idx)[0] == 0x55,
	    "after all that the pipe still carries frames");
	raw_close(&m);
	raw_close(&s);
}

int
main(void)
{
	struct rawport m, s;
	char mn[64], sn[64];

	alarm(60);
	snprintf(mn, sizeof(mn), "bystander%d{1", (int)getpid());
	snprintf(sn, sizeof(sn), "bystander%d}1", (int)getpid());
	tap_ok(raw_open(&m, mn, NR_REG_ALL_NIC, 0, 0) == 0 && raw_open(&s, sn, NR_REG_ALL_NIC, 0, 0) == 0,
	    "a bystander pipe before the abuse");
	test_requests();
	test_legacy();
	test_rings();
	raw_put(NETMAP_TXRING(m.nifp, 0), 60, 7);
	ioctl(m.fd, NIOCTXSYNC, NULL);
	ioctl(s.fd, NIOCRXSYNC, NULL);
	tap_ok(!nm_ring_empty(NETMAP_RXRING(s.nifp, 0)), "the bystander pipe still works");
	return tap_done();
}
