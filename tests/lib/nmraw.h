/*
 * nmraw.h - what the integration tests share: opening a port the raw way
 * (open, NIOCCTRL REGISTER, mmap), as a netmap program written without
 * libnetmap does.  Only netmap's headers and libc are used, so the tests
 * are netmap programs, not unetmap programs.
 */
#ifndef UNETMAP_TESTS_NMRAW_H
#define UNETMAP_TESTS_NMRAW_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <net/netmap_user.h>

struct rawport {
	int fd;
	struct nmreq_register reg;
	char *mem;
	struct netmap_if *nifp;
};

/*
 * registers @name with the request @req (rings, slots, mode, flags...) and
 * the option chain @opts (NULL: none), and maps it; 0 or -errno
 */
__attribute__((unused)) static int
raw_open_opts(struct rawport *p, const char *name, const struct nmreq_register *req,
    struct nmreq_option *opts)
{
	struct nmreq_header h;

	memset(p, 0, sizeof(*p));
	p->reg = *req;
	p->mem = MAP_FAILED;
	p->fd = open("/dev/netmap", O_RDWR);
	if (p->fd < 0)
		return -errno;
	memset(&h, 0, sizeof(h));
	h.nr_version = NETMAP_API;
	h.nr_reqtype = NETMAP_REQ_REGISTER;
	snprintf(h.nr_name, sizeof(h.nr_name), "%s", name);
	h.nr_body = (uintptr_t)&p->reg;
	h.nr_options = (uintptr_t)opts;
	if (ioctl(p->fd, NIOCCTRL, &h) < 0) {
		int err = -errno;

		close(p->fd);
		p->fd = -1;
		return err;
	}
	p->mem = mmap(NULL, p->reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	if (p->mem == MAP_FAILED) {
		int err = -errno;

		close(p->fd);
		p->fd = -1;
		return err;
	}
	p->nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
	return 0;
}

/* registers @name with the request @req (rings, slots, mode, flags...) and maps it; 0 or -errno */
__attribute__((unused)) static int
raw_open_req(struct rawport *p, const char *name, const struct nmreq_register *req)
{
	return raw_open_opts(p, name, req, NULL);
}

/*
 * both ends of pipe "@tag<pid>{0" / "}0" (@slots per ring, 0: the default),
 * registered and mapped, their names in @mn and @sn (64 bytes each);
 * 1 when both opened
 */
__attribute__((unused)) static int
raw_open_pipe(const char *tag, uint32_t slots, struct rawport *m, struct rawport *s, char *mn,
    char *sn)
{
	struct nmreq_register req = { .nr_mode = NR_REG_ALL_NIC, .nr_tx_slots = slots,
		.nr_rx_slots = slots };

	snprintf(mn, 64, "%s%d{0", tag, (int)getpid() % 100000);
	snprintf(sn, 64, "%s%d}0", tag, (int)getpid() % 100000);
	return raw_open_req(m, mn, &req) == 0 && raw_open_req(s, sn, &req) == 0;
}

/* registers @name in @mode with @flags and maps it; 0 or -errno */
__attribute__((unused)) static int
raw_open(struct rawport *p, const char *name, uint32_t mode, uint64_t flags,
    uint32_t extra_bufs)
{
	struct nmreq_register req;

	memset(&req, 0, sizeof(req));
	req.nr_mode = mode;
	req.nr_flags = flags;
	req.nr_extra_bufs = extra_bufs;
	return raw_open_req(p, name, &req);
}

__attribute__((unused)) static void
raw_close(struct rawport *p)
{
	if (p->mem != MAP_FAILED && p->mem)
		munmap(p->mem, p->reg.nr_memsize);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->mem = MAP_FAILED;
}

/* puts one frame of @len bytes of @byte into the tx ring; 0 or -1 when full */
__attribute__((unused)) static int
raw_put(struct netmap_ring *ring, size_t len, int byte)
{
	struct netmap_slot *s;

	if (nm_ring_empty(ring))
		return -1;
	s = &ring->slot[ring->head];
	memset(NETMAP_BUF(ring, s->buf_idx), byte, len);
	s->len = (uint16_t)len;
	s->flags = 0;
	ring->head = ring->cur = nm_ring_next(ring, ring->head);
	return 0;
}

/*
 * An Ethernet header at @b from MAC 02:00:00:00:00:src to 02:..:dst (dst
 * 0xff: broadcast), ethertype IPv4: the frames the VALE tests send.
 */
__attribute__((unused)) static void
raw_eth(unsigned char *b, int src, int dst)
{
	memset(b, dst == 0xff ? 0xff : 0, 6);
	if (dst != 0xff) {
		b[0] = 0x02;
		b[5] = (unsigned char)dst;
	}
	memset(b + 6, 0, 6);
	b[6] = 0x02;
	b[11] = (unsigned char)src;
	b[12] = 0x08;
	b[13] = 0x00;
}

/* NIOCCTRL with any request type; returns 0 or -errno */
__attribute__((unused)) static int
raw_ctrl(int fd, uint16_t type, const char *name, void *body, struct nmreq_option *opts)
{
	struct nmreq_header h;

	memset(&h, 0, sizeof(h));
	h.nr_version = NETMAP_API;
	h.nr_reqtype = type;
	snprintf(h.nr_name, sizeof(h.nr_name), "%s", name);
	h.nr_body = (uintptr_t)body;
	h.nr_options = (uintptr_t)opts;
	return ioctl(fd, NIOCCTRL, &h) < 0 ? -errno : 0;
}

/* NIOCCTRL with any request type on a descriptor of its own; 0 or -errno */
__attribute__((unused)) static int
raw_ctl(uint16_t type, const char *name, void *body)
{
	int fd = open("/dev/netmap", O_RDWR), r;

	if (fd < 0)
		return -errno;
	r = raw_ctrl(fd, type, name, body, NULL);
	close(fd);
	return r;
}

#endif
