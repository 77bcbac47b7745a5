/*
 * fuzz_rings.c - arbitrary ring contents handed to txsync and rxsync, as a
 * buggy or hostile application can write them: slots with any buffer
 * index, length and flags (NS_BUF_CHANGED, NS_MOREFRAG, a VALE port in
 * the high byte), head and cur anywhere, frame bytes anywhere in a buffer,
 * syncs and polls in any order, on both ends of a pipe (with a copy
 * monitor on one), and on two ports of a VALE switch whose virtio-net
 * header lengths it changes (the switch then adds, strips, segments and
 * checksums).  The library in this process is the code under test, with
 * address and undefined-behaviour sanitizers; the daemon runs as its own
 * process (the sanitizer build's when there is one) and must outlive it.
 * Whatever the input: no crash, no sanitizer report, and every REOPEN
 * inputs, when the ports are opened afresh, the daemon is alive and the
 * pipe and the switch (kept by a port never fuzzed) still carry frames.
 * Ring state carries over between reopens, so a crash may need the
 * inputs before it to happen again.
 *
 * Input: a sequence of 12-byte operations (see op()).
 *
 *	make fuzz && build-fuzz/fuzz_rings -max_total_time=60
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <net/netmap_user.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPORTS 5	/* pipe master, pipe slave, monitor of the master, VALE a, VALE b */
#define REOPEN 256

struct port {
	int fd;
	struct nmreq_register reg;
	char *mem;
	struct netmap_if *nifp;
};

static const char *names[NPORTS] = { "fzr{1", "fzr}1", "fzr{1", "valefzr:a", "valefzr:b" };
static const uint64_t flags[NPORTS] = { 0, 0, NR_MONITOR_TX, 0, 0 };
static struct port ports[NPORTS];
static struct port witness;	/* a third port on the switch, never fuzzed: it outlives reopens */
static char sock[108];
static pid_t daemon_pid;
static unsigned inputs;

static void
port_close(struct port *p)
{
	if (p->mem && p->mem != MAP_FAILED)
		munmap(p->mem, p->reg.nr_memsize);
	if (p->fd >= 0)
		close(p->fd);
	memset(p, 0, sizeof(*p));
	p->fd = -1;
}

static int
port_open(struct port *p, const char *name, uint64_t fl)
{
	struct nmreq_header h;

	memset(p, 0, sizeof(*p));
	p->fd = open("/dev/netmap", O_RDWR);
	if (p->fd < 0)
		return -1;
	memset(&h, 0, sizeof(h));
	h.nr_version = NETMAP_API;
	h.nr_reqtype = NETMAP_REQ_REGISTER;
	snprintf(h.nr_name, sizeof(h.nr_name), "%s", name);
	h.nr_body = (uintptr_t)&p->reg;
	p->reg.nr_mode = NR_REG_ALL_NIC;
	p->reg.nr_flags = fl;
	if (ioctl(p->fd, NIOCCTRL, &h) < 0)
		return -1;
	p->mem = mmap(NULL, p->reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	if (p->mem == MAP_FAILED)
		return -1;
	p->nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
	return 0;
}

static void
daemon_gone(void)
{
	if (daemon_pid > 0)
		kill(daemon_pid, SIGTERM);
	unlink(sock);
}

/*
 * Does a frame go from @tx to @rx?  Asked of ports just opened, so their
 * rings are sane; what the inputs may have broken is what lives on: the
 * daemon, and the switch, kept alive across reopens by the witness port.
 */
static int
carries(struct port *tx, struct port *rx)
{
	struct netmap_ring *t = NETMAP_TXRING(tx->nifp, 0);

	for (unsigned i = 0; i < rx->nifp->ni_rx_rings; i++) {
		struct netmap_ring *r = NETMAP_RXRING(rx->nifp, i);

		r->head = r->cur = r->tail;
	}
	ioctl(rx->fd, NIOCRXSYNC, NULL);
	if (nm_ring_empty(t))
		return 0;
	t->slot[t->head].len = 60;
	t->slot[t->head].flags = 0;
	memset(NETMAP_BUF(t, t->slot[t->head].buf_idx), 0xff, 60);	/* broadcast */
	t->head = t->cur = nm_ring_next(t, t->head);
	ioctl(tx->fd, NIOCTXSYNC, NULL);
	for (int tries = 0; tries < 200; tries++) {
		ioctl(rx->fd, NIOCRXSYNC, NULL);
		for (unsigned i = 0; i < rx->nifp->ni_rx_rings; i++)
			if (!nm_ring_empty(NETMAP_RXRING(rx->nifp, i)))
				return 1;
		usleep(1000);
	}
	return 0;
}

static void
reopen(void)
{
	int st;

	for (int i = NPORTS - 1; i >= 0; i--)
		port_close(&ports[i]);
	if (daemon_pid > 0 && waitpid(daemon_pid, &st, WNOHANG) == daemon_pid) {
		fprintf(stderr, "fuzz_rings: the daemon died (status %d)\n", st);
		__builtin_trap();
	}
	for (int i = 0; i < NPORTS; i++)
		if (port_open(&ports[i], names[i], flags[i]) < 0) {
			fprintf(stderr, "fuzz_rings: cannot open %s: %s\n", names[i], strerror(errno));
			__builtin_trap();
		}
	if (!carries(&ports[0], &ports[1]) || !carries(&ports[3], &witness) ||
	    !carries(&witness, &ports[4])) {
		fprintf(stderr, "fuzz_rings: the pipe or the switch no longer carries frames\n");
		__builtin_trap();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char self[4096], bin[4200], *slash;
	const char *env = getenv("UNETMAP_DAEMON");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	/* build-fuzz/fuzz_rings: the daemon of the sanitizer build, else the plain one */
	if (n <= 0)
		return 1;
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(bin, sizeof(bin), "%s/../build-san/bin/unetmapd", self);
	if (access(bin, X_OK) != 0)
		snprintf(bin, sizeof(bin), "%s/../build/bin/unetmapd", self);
	if (env && *env)
		snprintf(bin, sizeof(bin), "%s", env);
	snprintf(sock, sizeof(sock), "/tmp/fuzz-rings-%d.sock", (int)getpid());
	setenv("UNETMAP_SOCKET", sock, 1);
	setenv("UNETMAP_NO_AUTOSTART", "1", 1);
	setenv("UNETMAP_LOG", "quiet", 1);	/* reinitialised rings are told about once each */
	daemon_pid = fork();
	if (daemon_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlives the fuzzer */
		unsetenv("LD_PRELOAD");
		execl(bin, bin, "-f", "--no-nic", "-s", sock, "-l", "/dev/null", (char *)NULL);
		_exit(127);
	}
	atexit(daemon_gone);
	for (int i = 0; i < 400 && access(sock, F_OK) != 0; i++)
		usleep(10000);
	for (int i = 0; i < NPORTS; i++)
		ports[i].fd = -1;
	if (port_open(&witness, "valefzr:w", 0) < 0) {
		fprintf(stderr, "fuzz_rings: cannot open valefzr:w: %s\n", strerror(errno));
		return 1;
	}
	reopen();
	return 0;
}

static uint32_t
u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* a value near the ring's size, or anything */
static uint32_t
idx(uint32_t raw, uint32_t n)
{
	return raw & 0x80000000u ? raw : raw % (n + 2);
}

/*
 * One operation: [0] what, [1] port, [2] ring, then arguments.
 *   0 slot: [3..4] slot, [5..8] buffer index, [9..10] length, [11] flags
 *   1 head/cur: [3..6] head, [7..10] cur
 *   2 txsync   3 rxsync   4 poll   5 release every rx ring
 *   6 frame bytes: [3..4] slot, [5] offset / 4, [6..11] six bytes written into
 *     its buffer (a virtio-net header's GSO and checksum fields, an IP header)
 *   7 virtio-net header length of a VALE port: [3] 0, 10 or 12 (PORT_HDR_SET),
 *     so that frames between two ports take the switch's offload path
 */
static void
op(const uint8_t *o)
{
	struct port *p = &ports[o[1] % NPORTS];
	struct netmap_if *nifp = p->nifp;
	unsigned nt = nifp->ni_tx_rings, nr = nifp->ni_rx_rings, r = o[2] % (nt + nr);
	struct netmap_ring *ring = r < nt ? NETMAP_TXRING(nifp, r) : NETMAP_RXRING(nifp, r - nt);
	uint32_t n = ring->num_slots, b;

	switch (o[0] % 8) {
	case 0: {
		struct netmap_slot *s = &ring->slot[(o[3] | o[4] << 8) % n];
		uint32_t nb = p->reg.nr_memsize / ring->nr_buf_size;

		b = u32(o + 5);
		s->buf_idx = b & 0x80000000u ? b : b % (nb + 4);
		s->len = (uint16_t)(o[9] | o[10] << 8);
		s->flags = (uint16_t)(o[11] & (NS_BUF_CHANGED | NS_MOREFRAG | NS_REPORT |
		    NS_FORWARD | NS_NO_LEARN | NS_INDIRECT)) | (uint16_t)((o[11] & 0x7) << 8);
		break;
	}
	case 1:
		ring->head = idx(u32(o + 3), n);
		ring->cur = idx(u32(o + 7), n);
		break;
	case 2:
		ioctl(p->fd, NIOCTXSYNC, NULL);
		break;
	case 3:
		ioctl(p->fd, NIOCRXSYNC, NULL);
		break;
	case 4: {
		struct pollfd pf = { p->fd, o[3] & 1 ? POLLOUT : POLLIN, 0 };

		poll(&pf, 1, 0);
		break;
	}
	case 6: {
		const struct netmap_slot *s = &ring->slot[(o[3] | o[4] << 8) % n];
		uint32_t nb = p->reg.nr_memsize / ring->nr_buf_size, at = (uint32_t)o[5] * 4u;

		/* only where this process may write: a buffer of the port's memory */
		if (s->buf_idx >= 2 && s->buf_idx < nb && at + 6 <= ring->nr_buf_size &&
		    (uint64_t)ring->buf_ofs + (uint64_t)(s->buf_idx + 1) * ring->nr_buf_size +
		    (uint64_t)((char *)ring - p->mem) <= p->reg.nr_memsize)
			memcpy(NETMAP_BUF(ring, s->buf_idx) + at, o + 6, 6);
		break;
	}
	case 7: {
		static const uint32_t lens[] = { 0, 10, 12 };
		struct nmreq_port_hdr ph = { .nr_hdr_len = lens[o[3] % 3] };
		struct nmreq_header h = { .nr_version = NETMAP_API,
		    .nr_reqtype = NETMAP_REQ_PORT_HDR_SET, .nr_body = (uintptr_t)&ph };

		if (p != &ports[3] && p != &ports[4])
			break;
		snprintf(h.nr_name, sizeof(h.nr_name), "%s", names[p - ports]);
		ioctl(p->fd, NIOCCTRL, &h);
		break;
	}
	default:
		for (unsigned i = 0; i < nr; i++) {
			struct netmap_ring *x = NETMAP_RXRING(nifp, i);

			x->head = x->cur = x->tail;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 12 * 64)
		return 0;
	for (size_t i = 0; i + 12 <= size; i += 12)
		op(data + i);
	if (++inputs % REOPEN == 0)
		reopen();
	return 0;
}
