/*
 * api_paths.c - the two libraries netmap programs use, on real pipes:
 * libnetmap (nmport_open, @conf, @share, @N, nmport_inject, nmport_clone,
 * extra buffers through nmport_prepare) and the legacy header-only one
 * (nm_open, nm_inject, nm_dispatch, nm_nextpkt, nm_close), including a
 * legacy program talking to a libnetmap one over the same pipe.
 */
#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>
#include <libnetmap.h>

#include <stdlib.h>
#include <string.h>

#include "../lib/tap.h"

static char base[32];

static void
drain_count(struct nmport_d *d, int *frames, size_t *bytes)
{
	ioctl(d->fd, NIOCRXSYNC, NULL);
	for (int i = d->first_rx_ring; i <= d->last_rx_ring; i++) {
		struct netmap_ring *r = NETMAP_RXRING(d->nifp, i);

		for (; !nm_ring_empty(r); r->head = r->cur = nm_ring_next(r, r->head)) {
			(*frames)++;
			*bytes += r->slot[r->head].len;
		}
	}
	ioctl(d->fd, NIOCRXSYNC, NULL);
}

static void
test_nmport(void)
{
	char spec[128];
	struct nmport_d *m, *s, *c, *x;
	unsigned char frame[100];
	int frames = 0;
	size_t bytes = 0;

	snprintf(spec, sizeof(spec), "netmap:%s{1@conf:slots=256,rings=2", base);
	m = nmport_open(spec);
	tap_ok(m != NULL, "nmport_open of a pipe master with @conf");
	if (!m)
		return;
	tap_ok(m->reg.nr_tx_slots == 256 && m->reg.nr_tx_rings == 2 && m->first_tx_ring == 0 &&
	    m->last_tx_ring == 1, "@conf:slots=256,rings=2 made a pipe of 2 rings of 256 slots");
	snprintf(spec, sizeof(spec), "netmap:%s}1", base);
	s = nmport_open(spec);
	tap_ok(s != NULL && s->mem == m->mem && s->nifp != m->nifp,
	    "the slave end shares the region mapping (d->mem) with its own netmap_if");
	if (!s)
		goto out_m;
	tap_ok(s->reg.nr_rx_slots == 256 && s->reg.nr_rx_rings == 2, "and mirrors the geometry");
	memset(frame, 0x11, sizeof(frame));
	for (int i = 0; i < 10; i++)
		nmport_inject(m, frame, 60 + (size_t)i);
	ioctl(m->fd, NIOCTXSYNC, NULL);
	drain_count(s, &frames, &bytes);
	tap_ok(frames == 10 && bytes == 10 * 60 + 45, "nmport_inject: 10 frames, spread over the rings, arrive");

	/* a second descriptor on one ring of the slave, through a clone */
	c = nmport_clone(s);
	tap_ok(c != NULL, "nmport_clone");
	if (c) {
		c->reg.nr_mode = NR_REG_ONE_NIC;
		c->reg.nr_ringid = 1;
		tap_ok(nmport_open_desc(c) == 0 && c->first_rx_ring == 1 && c->last_rx_ring == 1 &&
		    c->mem == s->mem, "the clone binds rx ring 1 only (ring_ofs of the others is 0)");
		nmport_close(c);
	}

	/* @share and @N: a pipe in the same region as another port */
	snprintf(spec, sizeof(spec), "netmap:%sb{2@share=netmap:%s{1", base, base);
	x = nmport_open(spec);
	tap_ok(x != NULL && x->reg.nr_mem_id == m->reg.nr_mem_id && x->mem == m->mem,
	    "@share=port puts a new pipe in that port's region");
	nmport_close(x);
	snprintf(spec, sizeof(spec), "netmap:%sc{3@%u", base, m->reg.nr_mem_id);
	x = nmport_open(spec);
	tap_ok(x != NULL && x->reg.nr_mem_id == m->reg.nr_mem_id, "@N does the same by memory id");
	nmport_close(x);
	snprintf(spec, sizeof(spec), "netmap:%sd{3@65000", base);
	tap_ok(nmport_open(spec) == NULL && errno == EINVAL, "@N of a region that does not exist: EINVAL");

	/* extra buffers the libnetmap way */
	snprintf(spec, sizeof(spec), "netmap:%se{4", base);
	x = nmport_prepare(spec);
	if (x) {
		x->reg.nr_extra_bufs = 32;
		tap_ok(nmport_open_desc(x) == 0 && x->reg.nr_extra_bufs == 32 && x->nifp->ni_bufs_head,
		    "nmport_prepare + nr_extra_bufs: 32 extra buffers");
		nmport_close(x);
	}
	nmport_close(s);
out_m:
	nmport_close(m);
}

static int legacy_seen;

static void
legacy_cb(u_char *arg, const struct nm_pkthdr *h, const u_char *buf)
{
	(void)arg;
	if (h->len == 70 && buf[0] == 0x22)
		legacy_seen++;
}

static void
test_legacy(void)
{
	char name[32], spec[64];
	struct nm_desc *m, *s;
	struct nm_pkthdr h;
	unsigned char frame[70];
	struct nmport_d *d;
	int frames = 0;
	size_t bytes = 0;

	snprintf(name, sizeof(name), "netmap:lp%d{5", (int)getpid() % 100000);
	m = nm_open(name, NULL, 0, NULL);
	tap_ok(m != NULL, "nm_open of a pipe master (legacy API, numeric pipe id)");
	name[strlen(name) - 2] = '}';
	s = nm_open(name, NULL, 0, NULL);
	tap_ok(s != NULL && s->first_rx_ring == 0 && s->last_rx_ring == 0, "nm_open of its slave");
	if (!m || !s)
		return;
	memset(frame, 0x22, sizeof(frame));
	for (int i = 0; i < 5; i++)
		nm_inject(m, frame, sizeof(frame));
	ioctl(m->fd, NIOCTXSYNC, NULL);
	ioctl(s->fd, NIOCRXSYNC, NULL);
	TAP_EQ(nm_dispatch(s, -1, legacy_cb, NULL), 5, "nm_dispatch hands over 5 frames");
	TAP_EQ(legacy_seen, 5, "whole and intact");
	nm_inject(m, frame, sizeof(frame));
	ioctl(m->fd, NIOCTXSYNC, NULL);
	ioctl(s->fd, NIOCRXSYNC, NULL);
	tap_ok(nm_nextpkt(s, &h) != NULL && h.len == 70, "nm_nextpkt returns the next one");

	/* a libnetmap program on the other end of a legacy one */
	snprintf(spec, sizeof(spec), "netmap:lp%d}5", (int)getpid() % 100000);
	nm_close(s);
	d = nmport_open(spec);
	tap_ok(d != NULL, "the slave end reopened with libnetmap");
	if (d) {
		nm_inject(m, frame, sizeof(frame));
		ioctl(m->fd, NIOCTXSYNC, NULL);
		drain_count(d, &frames, &bytes);
		tap_ok(frames == 1 && bytes == 70, "a legacy sender reaches a libnetmap receiver");
		nmport_close(d);
	}
	nm_close(m);
}

int
main(void)
{
	alarm(60);
	snprintf(base, sizeof(base), "ap%d", (int)getpid());
	test_nmport();
	test_legacy();
	return tap_done();
}
