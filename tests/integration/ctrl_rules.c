/*
 * ctrl_rules.c - NIOCCTRL as netmap's kernel answers it (sys/dev/netmap/
 * netmap.c: nmreq_copyin, netmap_ioctl, netmap_get_na, netmap_interp_ringid):
 * the order of the checks, how an option list is walked, what an empty
 * port name means to each request, and which rings a mode binds.  A netmap
 * program (netmap's headers and raw ioctls only), so it also runs as a
 * binary built for netmap under the preload.
 */
#include <stdlib.h>

#include "../lib/nmraw.h"
#include "../lib/tap.h"

static char pipe_name[32];

static int
ctl(int fd, struct nmreq_header *h)
{
	return ioctl(fd, NIOCCTRL, h) < 0 ? -errno : 0;
}

static void
header(struct nmreq_header *h, uint16_t type, const char *name, void *body, void *opts)
{
	memset(h, 0, sizeof(*h));
	h->nr_version = NETMAP_API;
	h->nr_reqtype = type;
	snprintf(h->nr_name, sizeof(h->nr_name), "%s", name);
	h->nr_body = (uintptr_t)body;
	h->nr_options = (uintptr_t)opts;
}

static void
opt(struct nmreq_option *o, uint32_t type, void *next)
{
	memset(o, 0, sizeof(*o));
	o->nro_reqtype = type;
	o->nro_next = (uintptr_t)next;
	o->nro_status = 12345;	/* what the call writes back shows */
}

/* nmreq_copyin: options walked in order, before any handler */
static void
test_options(int fd)
{
	struct nmreq_register reg;
	struct nmreq_port_info_get pi;
	struct nmreq_header h;
	struct nmreq_opt_offsets off;
	struct nmreq_opt_sync_kloop_eventfds big;
	struct nmreq_option a, b, z, *many;

	memset(&reg, 0, sizeof(reg));
	reg.nr_mode = NR_REG_ALL_NIC;

	/* a known type looping back on itself is a duplicate, seen at once */
	memset(&off, 0, sizeof(off));
	off.nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	off.nro_opt.nro_next = (uintptr_t)&off;
	header(&h, NETMAP_REQ_REGISTER, pipe_name, &reg, &off);
	TAP_EQ(ctl(fd, &h), -EINVAL, "a list looping on a known type: EINVAL (a duplicate)");
	TAP_EQ(off.nro_opt.nro_status, EINVAL, "and its status says EINVAL");

	/* an unknown type looping: the kernel's buffer runs out */
	opt(&a, NETMAP_REQ_OPT_MAX + 7, &a);
	header(&h, NETMAP_REQ_REGISTER, pipe_name, &reg, &a);
	TAP_EQ(ctl(fd, &h), -EMSGSIZE, "a list looping on an unknown type: EMSGSIZE");
	TAP_EQ(a.nro_status, 12345, "and nothing is written back (the list may loop)");

	/* a long list of unknown options: up to the buffer, EOPNOTSUPP; past it, EMSGSIZE */
	many = calloc(200, sizeof(*many));
	for (int i = 0; i < 200; i++)
		opt(&many[i], NETMAP_REQ_OPT_MAX + 1 + (uint32_t)i, i < 199 ? &many[i + 1] : NULL);
	many[99].nro_next = 0;
	header(&h, NETMAP_REQ_REGISTER, pipe_name, &reg, many);
	TAP_EQ(ctl(fd, &h), -EOPNOTSUPP, "100 unknown options on REGISTER: EOPNOTSUPP");
	TAP_EQ(many[99].nro_status, EOPNOTSUPP, "and the last one's status says so");
	many[99].nro_next = (uintptr_t)&many[100];
	many[99].nro_status = 12345;
	header(&h, NETMAP_REQ_REGISTER, pipe_name, &reg, many);
	TAP_EQ(ctl(fd, &h), -EMSGSIZE, "200 unknown options: EMSGSIZE");
	TAP_EQ(many[99].nro_status, 12345, "nothing written back");
	free(many);

	/* a known option too large: EMSGSIZE, the headers walked come back with status 0 */
	memset(&big, 0, sizeof(big));
	big.nro_opt.nro_reqtype = NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS;
	big.nro_opt.nro_size = 5000;
	big.nro_opt.nro_status = 12345;
	opt(&a, NETMAP_REQ_OPT_MAX + 3, &big);
	header(&h, NETMAP_REQ_REGISTER, pipe_name, &reg, &a);
	TAP_EQ(ctl(fd, &h), -EMSGSIZE, "an option larger than 4096 bytes: EMSGSIZE");
	tap_ok(a.nro_status == 0 && big.nro_opt.nro_status == 0,
	    "the options walked come back with status 0 (%u, %u)", a.nro_status,
	    big.nro_opt.nro_status);

	/* type 0 stops the walk: EINVAL on it, 0 on those before */
	opt(&z, 0, NULL);
	opt(&a, NETMAP_REQ_OPT_MAX + 3, &z);
	header(&h, NETMAP_REQ_REGISTER, pipe_name, &reg, &a);
	TAP_EQ(ctl(fd, &h), -EINVAL, "option type 0: EINVAL");
	tap_ok(z.nro_status == EINVAL && a.nro_status == 0, "EINVAL on it, 0 before it");

	/* a known type twice: EINVAL on both, 0 on the others */
	{
		struct nmreq_opt_offsets o1, o2;

		memset(&o1, 0, sizeof(o1));
		memset(&o2, 0, sizeof(o2));
		o1.nro_opt.nro_reqtype = o2.nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
		opt(&a, NETMAP_REQ_OPT_MAX + 3, &o1);
		o1.nro_opt.nro_next = (uintptr_t)&o2;
		header(&h, NETMAP_REQ_REGISTER, pipe_name, &reg, &a);
		TAP_EQ(ctl(fd, &h), -EINVAL, "the same option twice: EINVAL");
		tap_ok(o1.nro_opt.nro_status == EINVAL && o2.nro_opt.nro_status == EINVAL &&
		    a.nro_status == 0, "EINVAL on both copies, 0 on the other option");
	}

	/* only REGISTER fails on an option nobody took */
	memset(&pi, 0, sizeof(pi));
	opt(&a, NETMAP_REQ_OPT_MAX + 3, NULL);
	header(&h, NETMAP_REQ_PORT_INFO_GET, pipe_name, &pi, &a);
	TAP_EQ(ctl(fd, &h), 0, "PORT_INFO_GET with an unknown option: succeeds");
	TAP_EQ(a.nro_status, EOPNOTSUPP, "and the option says EOPNOTSUPP");

	/* an unknown request type: its options copied in, then EINVAL */
	opt(&a, NETMAP_REQ_OPT_MAX + 3, NULL);
	header(&h, 99, pipe_name, NULL, &a);
	TAP_EQ(ctl(fd, &h), -EINVAL, "an unknown request type: EINVAL");
	TAP_EQ(a.nro_status, EOPNOTSUPP, "its options were walked (EOPNOTSUPP)");
	opt(&a, NETMAP_REQ_OPT_MAX + 3, NULL);
	header(&h, 99, pipe_name, &pi, &a);
	TAP_EQ(ctl(fd, &h), -EINVAL, "an unknown request type with a body: EINVAL");
	TAP_EQ(a.nro_status, 12345, "before the options");

	/* the version is checked before the options */
	opt(&a, NETMAP_REQ_OPT_MAX + 7, &a);
	header(&h, NETMAP_REQ_REGISTER, pipe_name, &reg, &a);
	h.nr_version = 13;
	TAP_EQ(ctl(fd, &h), -EINVAL, "a bad version with a looping list: EINVAL");
	TAP_EQ(a.nro_status, 12345, "the list was not walked");
	(void)b;
}

/* an empty name, and a name without its NUL */
static void
test_names(void)
{
	struct nmreq_register reg;
	struct nmreq_port_info_get pi;
	struct nmreq_pools_info pools;
	struct nmreq_port_hdr ph;
	struct nmreq_header h;
	int fd = open("/dev/netmap", O_RDWR);

	memset(&reg, 0, sizeof(reg));
	reg.nr_mode = NR_REG_ALL_NIC;
	header(&h, NETMAP_REQ_REGISTER, "", &reg, NULL);
	TAP_EQ(ctl(fd, &h), -ENXIO, "REGISTER of an empty name: ENXIO");
	reg.nr_mode = NR_REG_NULL;
	TAP_EQ(ctl(fd, &h), -EINVAL, "a null port without a memory region: EINVAL");
	reg.nr_mem_id = 1;
	reg.nr_tx_rings = reg.nr_rx_rings = 1;
	TAP_EQ(ctl(fd, &h), 0, "a null port of an empty name in region 1: registered");
	TAP_EQ(reg.nr_mem_id, 1, "in region 1");
	close(fd);
	fd = open("/dev/netmap", O_RDWR);

	/* PORT_INFO_GET without a name asks about a memory region */
	memset(&pi, 0, sizeof(pi));
	pi.nr_tx_rings = pi.nr_rx_slots = 77;
	header(&h, NETMAP_REQ_PORT_INFO_GET, "", &pi, NULL);
	TAP_EQ(ctl(fd, &h), 0, "PORT_INFO_GET of no name: region 1");
	tap_ok(pi.nr_mem_id == 1 && pi.nr_memsize > 0 && pi.nr_tx_rings == 77 &&
	    pi.nr_rx_slots == 77, "memsize and mem_id written, nothing else (id %u, %u, %u)",
	    pi.nr_mem_id, pi.nr_tx_rings, pi.nr_rx_slots);
	pi.nr_mem_id = 999;
	TAP_EQ(ctl(fd, &h), -EINVAL, "PORT_INFO_GET of no name in region 999: EINVAL");

	/* POOLS_INFO_GET looks the port up, always */
	memset(&pools, 0, sizeof(pools));
	header(&h, NETMAP_REQ_POOLS_INFO_GET, "", &pools, NULL);
	TAP_EQ(ctl(fd, &h), -ENXIO, "POOLS_INFO_GET of an empty name: ENXIO");
	pools.nr_mem_id = 999;
	TAP_EQ(ctl(fd, &h), -EINVAL, "... in a region that does not exist: EINVAL");
	header(&h, NETMAP_REQ_POOLS_INFO_GET, pipe_name, &pools, NULL);
	TAP_EQ(ctl(fd, &h), -EINVAL, "POOLS_INFO_GET of a pipe in region 999: EINVAL");
	pools.nr_mem_id = 0;
	TAP_EQ(ctl(fd, &h), 0, "POOLS_INFO_GET of a pipe");
	tap_ok(pools.nr_buf_pool_objtotal > 0 && pools.nr_mem_id > 0, "its pools are reported");

	/* the virtio-net header: the length first, then a port that has one */
	{
		struct rawport p;

		TAP_EQ(raw_open(&p, pipe_name, NR_REG_ALL_NIC, 0, 0), 0, "a pipe end, open");
		memset(&ph, 0, sizeof(ph));
		ph.nr_hdr_len = 5;
		header(&h, NETMAP_REQ_PORT_HDR_SET, pipe_name, &ph, NULL);
		TAP_EQ(ctl(fd, &h), -EINVAL, "PORT_HDR_SET of 5 bytes: EINVAL");
		ph.nr_hdr_len = 0;
		TAP_EQ(ctl(fd, &h), -ENXIO, "PORT_HDR_SET on a pipe: ENXIO (not a VALE port)");
		header(&h, NETMAP_REQ_PORT_HDR_GET, pipe_name, &ph, NULL);
		ph.nr_hdr_len = 99;
		TAP_EQ(ctl(fd, &h), 0, "PORT_HDR_GET on a pipe");
		TAP_EQ(ph.nr_hdr_len, 0, "no header");
		raw_close(&p);
		header(&h, NETMAP_REQ_PORT_HDR_GET, "", &ph, NULL);
		TAP_EQ(ctl(fd, &h), -ENXIO, "PORT_HDR_GET of an empty name: ENXIO");
	}

	/* a name without its NUL is cut short, and the cut shows */
	memset(&reg, 0, sizeof(reg));
	reg.nr_mode = NR_REG_ALL_NIC;
	header(&h, NETMAP_REQ_REGISTER, "", &reg, NULL);
	memset(h.nr_name, 'q', sizeof(h.nr_name));
	TAP_EQ(ctl(fd, &h), -ENXIO, "a name without its NUL: cut to 63 characters (no such port)");
	TAP_EQ(h.nr_name[sizeof(h.nr_name) - 1], 0, "the header comes back with the NUL");
	close(fd);
}

/* netmap_interp_ringid */
static void
test_modes(void)
{
	struct nmreq_register reg;
	struct nmreq_header h;
	char master[48];
	int mfd = open("/dev/netmap", O_RDWR), fd;

	/* the master end made with 2 tx rings and 1 rx ring */
	snprintf(master, sizeof(master), "%.20s{7", pipe_name);
	memset(&reg, 0, sizeof(reg));
	reg.nr_mode = NR_REG_ALL_NIC;
	reg.nr_tx_rings = 2;
	reg.nr_rx_rings = 1;
	header(&h, NETMAP_REQ_REGISTER, master, &reg, NULL);
	TAP_EQ(ctl(mfd, &h), 0, "a pipe end with 2 tx rings and 1 rx ring");
	tap_ok(reg.nr_tx_rings == 2 && reg.nr_rx_rings == 1, "as asked (%u tx, %u rx)",
	    reg.nr_tx_rings, reg.nr_rx_rings);

	fd = open("/dev/netmap", O_RDWR);
	memset(&reg, 0, sizeof(reg));
	reg.nr_mode = NR_REG_DEFAULT;
	header(&h, NETMAP_REQ_REGISTER, master, &reg, NULL);
	TAP_EQ(ctl(fd, &h), -EINVAL, "nr_mode NR_REG_DEFAULT in NIOCCTRL: EINVAL");
	reg.nr_mode = NR_REG_ONE_NIC;
	reg.nr_ringid = 2;
	TAP_EQ(ctl(fd, &h), -EINVAL, "ONE_NIC ring 2, in neither direction: EINVAL");
	reg.nr_ringid = 1;
	TAP_EQ(ctl(fd, &h), 0, "ONE_NIC ring 1: tx ring 1 exists, rx takes its ring 0");
	if (reg.nr_memsize) {
		char *mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (mem != MAP_FAILED) {
			struct netmap_if *nifp = NETMAP_IF(mem, reg.nr_offset);

			tap_ok(nifp->ring_ofs[0] == 0 && nifp->ring_ofs[1] != 0 &&
			    nifp->ring_ofs[2] != 0, "bound: tx ring 1 and rx ring 0");
			munmap(mem, reg.nr_memsize);
		} else {
			tap_ok(0, "mmap: %s", strerror(errno));
		}
	}
	close(fd);
	fd = open("/dev/netmap", O_RDWR);
	memset(&reg, 0, sizeof(reg));
	reg.nr_mode = NR_REG_ALL_NIC;
	reg.nr_flags = NR_TX_RINGS_ONLY | NR_RX_RINGS_ONLY;
	TAP_EQ(ctl(fd, &h), 0, "TX_RINGS_ONLY with RX_RINGS_ONLY: registered, no ring bound");
	close(fd);
	close(mfd);
}

/* NIOCREGIF / NIOCGINFO as netmap_legacy.c translates them (Linux copies the struct back) */
static void
test_legacy(void)
{
	struct nmreq nmr;
	int fd = open("/dev/netmap", O_RDWR);

	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "lg%d{5", (int)getpid() % 100000);
	nmr.nr_ringid = NETMAP_HW_RING | 0;	/* the original API: the mode in nr_ringid */
	TAP_EQ(ioctl(fd, NIOCREGIF, &nmr) < 0 ? -errno : 0, 0, "NIOCREGIF in the original API's mode");
	TAP_EQ(nmr.nr_flags & NR_REG_MASK, NR_REG_ONE_NIC, "the mode it meant is written into nr_flags");
	close(fd);

	fd = open("/dev/netmap", O_RDWR);
	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	memset(nmr.nr_name, 'p', sizeof(nmr.nr_name));
	nmr.nr_flags = NR_REG_PIPE_MASTER;
	nmr.nr_ringid = 7;
	TAP_EQ(ioctl(fd, NIOCREGIF, &nmr) < 0 ? -errno : 0, 0,
	    "a legacy pipe of a 16-byte name without its NUL: cut to 15, then the pipe suffix");
	TAP_EQ(nmr.nr_name[sizeof(nmr.nr_name) - 1], 0, "the struct came back with the cut");
	close(fd);
	fd = open("/dev/netmap", O_RDWR);

	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	nmr.nr_tx_rings = nmr.nr_rx_slots = 77;
	TAP_EQ(ioctl(fd, NIOCGINFO, &nmr) < 0 ? -errno : 0, 0, "NIOCGINFO of no name");
	tap_ok(nmr.nr_memsize > 0 && nmr.nr_arg2 == 1 && nmr.nr_tx_rings == 77 &&
	    nmr.nr_rx_slots == 77, "region 1's size, the rest as it was (%u, %u, %u)", nmr.nr_arg2,
	    nmr.nr_tx_rings, nmr.nr_rx_slots);
	close(fd);
}

int
main(void)
{
	int fd;

	snprintf(pipe_name, sizeof(pipe_name), "rules%d{1", (int)getpid());
	fd = open("/dev/netmap", O_RDWR);
	tap_ok(fd >= 0, "open /dev/netmap");
	test_options(fd);
	close(fd);
	test_names();
	test_modes();
	test_legacy();
	return tap_done();
}
