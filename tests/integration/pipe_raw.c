/*
 * pipe_raw.c - two processes on the ends of a netmap pipe, talking to
 * /dev/netmap the raw way (open, NIOCCTRL, mmap, poll), as a netmap
 * program does.  Frames of 60 to 9000 bytes (several slots each, with
 * NS_MOREFRAG) go both ways and must arrive whole, in order.
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
#include <sys/wait.h>
#include <unistd.h>

#include <net/netmap_user.h>

#include "../lib/tap.h"

#define NFRAMES 3000

struct port {
	int fd;
	struct nmreq_register reg;
	char *mem;
	struct netmap_if *nifp;
};

static int
port_open(struct port *p, const char *name)
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
	if (ioctl(p->fd, NIOCCTRL, &h) < 0)
		return -1;
	p->mem = mmap(NULL, p->reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	if (p->mem == MAP_FAILED)
		return -1;
	p->nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
	return 0;
}

static size_t
frame_len(unsigned i)
{
	static const size_t sizes[] = { 60, 61, 1514, 2048, 2049, 4000, 9000, 128 };

	return sizes[i % 8];
}

static void
fill(char *buf, size_t len, unsigned seq)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(seq * 7 + i);
	memcpy(buf, &seq, sizeof(seq));
}

/* sends NFRAMES frames, splitting each over as many slots as it needs */
static int
sender(struct port *p)
{
	struct netmap_ring *ring = NETMAP_TXRING(p->nifp, 0);
	static char frame[9000];
	unsigned seq = 0;

	while (seq < NFRAMES) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLOUT };
		size_t len = frame_len(seq), off = 0;
		unsigned need = (unsigned)((len + ring->nr_buf_size - 1) / ring->nr_buf_size);

		if (nm_ring_space(ring) < need) {
			/* netmap's way to wait for more room: cur at tail */
			ring->cur = ring->tail;
			if (poll(&pfd, 1, 5000) <= 0)
				return -1;
			continue;
		}
		fill(frame, len, seq);
		while (off < len) {
			struct netmap_slot *s = &ring->slot[ring->head];
			size_t chunk = len - off > ring->nr_buf_size ? ring->nr_buf_size : len - off;

			memcpy(NETMAP_BUF(ring, s->buf_idx), frame + off, chunk);
			s->len = (uint16_t)chunk;
			off += chunk;
			s->flags = off < len ? NS_MOREFRAG : 0;
			ring->head = ring->cur = nm_ring_next(ring, ring->head);
		}
		seq++;
	}
	/* wait until the receiver took everything */
	for (int i = 0; i < 500 && nm_tx_pending(ring); i++) {
		ioctl(p->fd, NIOCTXSYNC, NULL);
		usleep(2000);
	}
	return nm_tx_pending(ring) ? -1 : 0;
}

static int
receiver(struct port *p)
{
	struct netmap_ring *ring = NETMAP_RXRING(p->nifp, 0);
	static char frame[9000], want[9000];
	unsigned seq = 0;
	size_t len = 0;

	while (seq < NFRAMES) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

		if (nm_ring_empty(ring)) {
			if (poll(&pfd, 1, 5000) <= 0) {
				fprintf(stderr, "receiver: timeout at frame %u (head %u cur %u tail %u)\n", seq, ring->head, ring->cur, ring->tail);
				return -1;
			}
			continue;
		}
		while (!nm_ring_empty(ring)) {
			struct netmap_slot *s = &ring->slot[ring->head];

			if (len + s->len > sizeof(frame))
				return -2;
			memcpy(frame + len, NETMAP_BUF(ring, s->buf_idx), s->len);
			len += s->len;
			if (!(s->flags & NS_MOREFRAG)) {
				fill(want, frame_len(seq), seq);
				if (len != frame_len(seq) || memcmp(frame, want, len)) {
					fprintf(stderr, "receiver: frame %u: len %zu want %zu\n",
					    seq, len, frame_len(seq));
					return -3;
				}
				seq++;
				len = 0;
			}
			ring->head = ring->cur = nm_ring_next(ring, ring->head);
		}
	}
	/* give the last slots back, so the sender sees its frames completed */
	ioctl(p->fd, NIOCRXSYNC, NULL);
	return 0;
}

static int
run_child(const char *name, int send)
{
	struct port p;

	if (port_open(&p, name) < 0) {
		perror(name);
		return 10;
	}
	return send ? -sender(&p) : -receiver(&p);
}

int
main(void)
{
	char m[64], s[64];
	pid_t a, b;
	int sa, sb;

	snprintf(m, sizeof(m), "pr%d{1", (int)getpid());
	snprintf(s, sizeof(s), "pr%d}1", (int)getpid());
	alarm(60);
	for (int dir = 0; dir < 2; dir++) {
		a = fork();
		if (a == 0)
			_exit(run_child(dir ? s : m, 1));
		b = fork();
		if (b == 0)
			_exit(run_child(dir ? m : s, 0));
		waitpid(a, &sa, 0);
		waitpid(b, &sb, 0);
		tap_ok(WIFEXITED(sa) && WEXITSTATUS(sa) == 0, "%s sends %d frames of 60..9000 bytes",
		    dir ? "slave" : "master", NFRAMES);
		tap_ok(WIFEXITED(sb) && WEXITSTATUS(sb) == 0, "%s receives them whole and in order",
		    dir ? "master" : "slave");
	}
	return tap_done();
}
