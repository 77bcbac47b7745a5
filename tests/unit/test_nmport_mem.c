/*
 * test_nmport_mem - libnetmap's per-process region tracking and ring
 * ranges (nmport_mmap / nmport_undo_mmap), extmem, clone and inject,
 * without a netmap device: a memfd stands in for the netmap descriptor
 * (nmport_mmap only mmap()s it), and "registered" is set by hand.
 */
#include <sys/mman.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <libnetmap.h>

#include "../lib/tap.h"
#include "fake_region.h"

/* how many mappings of our memfd /proc/self/maps shows */
static int
mappings_of(const char *name)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, name) != NULL)
			n++;
	fclose(f);
	return n;
}

/* a region in a memfd, built by fake_region_init */
static int
fake_memfd(const char *name, const struct fake_geom *g)
{
	size_t size = fake_region_size(g);
	void *p;
	int fd = memfd_create(name, 0);

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return -1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	fake_region_init(p, g);
	munmap(p, size);
	return fd;
}

/* a descriptor as nmport_register would leave it */
static struct nmport_d *
fake_registered(int fd, uint16_t mem_id, const struct fake_geom *g)
{
	struct nmport_d *d = nmport_new();

	d->fd = fd;
	d->register_done = 1;
	d->reg.nr_mem_id = mem_id;
	d->reg.nr_memsize = fake_region_size(g);
	d->reg.nr_offset = 0;
	d->reg.nr_tx_rings = (uint16_t)g->ntx;
	d->reg.nr_rx_rings = (uint16_t)g->nrx;
	d->reg.nr_host_tx_rings = (uint16_t)g->nhtx;
	d->reg.nr_host_rx_rings = (uint16_t)g->nhrx;
	return d;
}

static void
check_shared_mapping(void)
{
	struct fake_geom g = { .ntx = 4, .nrx = 4, .nhtx = 1, .nhrx = 1,
	    .nslots = 8, .bound_tx = "01100", .bound_rx = "00000" };
	struct nmctx *ctx = nmctx_get();
	struct nmport_d *a, *b, *c;
	int fd = fake_memfd("nmtest-region5", &g);
	int fd2 = dup(fd);
	int fd3 = fake_memfd("nmtest-region6", &g);

	tap_ok(fd >= 0 && fd2 >= 0 && fd3 >= 0, "fake regions in memfds");
	a = fake_registered(fd, 5, &g);
	b = fake_registered(fd2, 5, &g);
	c = fake_registered(fd3, 6, &g);

	TAP_EQ(nmport_mmap(a), 0, "nmport_mmap of the first port");
	tap_ok(a->mem != NULL && a->mem->mem_id == 5 && a->mem->refcount == 1,
	    "a region descriptor for mem_id 5, refcount 1");
	tap_ok(a->nifp == (struct netmap_if *)a->mem->mem,
	    "nifp = region base + nr_offset");
	TAP_EQ(a->first_tx_ring, 1, "first_tx_ring: the first non-zero ring_ofs");
	TAP_EQ(a->last_tx_ring, 2, "last_tx_ring: the end of that run");
	TAP_EQ(a->cur_tx_ring, 1, "cur_tx_ring starts at first_tx_ring");
	tap_ok(a->last_rx_ring + 1 == a->first_rx_ring,
	    "no rx ring bound: an empty rx range");
	TAP_EQ(a->first_rx_ring, 5, "empty rx range starts past all rx rings");
	TAP_EQ(mappings_of("nmtest-region5"), 1, "one mapping of region 5");

	TAP_EQ(nmport_mmap(b), 0, "nmport_mmap of a second port, same mem_id");
	tap_ok(b->mem == a->mem, "both ports share one nmem_d");
	TAP_EQ(a->mem->refcount, 2, "refcount 2");
	TAP_EQ(mappings_of("nmtest-region5"), 1,
	    "region 5 still mapped once (not per port)");

	TAP_EQ(nmport_mmap(c), 0, "nmport_mmap of a port in region 6");
	tap_ok(c->mem != a->mem && c->mem->mem != a->mem->mem,
	    "another region, another mapping");
	tap_ok(ctx->mem_descs == c->mem && c->mem->next == a->mem &&
	    a->mem->prev == c->mem && a->mem->next == NULL,
	    "the context lists both regions");

	TAP_EQ(nmport_mmap(a), -1, "nmport_mmap twice fails");
	TAP_EQ(errno, EINVAL, "with EINVAL");

	nmport_undo_mmap(a);
	tap_ok(a->mem == NULL && a->nifp == NULL && !a->mmap_done,
	    "undo_mmap resets the port");
	TAP_EQ(b->mem->refcount, 1, "the other port keeps the region");
	TAP_EQ(mappings_of("nmtest-region5"), 1, "region 5 still mapped");
	tap_ok(NETMAP_TXRING(b->nifp, 1)->num_slots == 8,
	    "and still readable");
	nmport_undo_mmap(b);
	TAP_EQ(mappings_of("nmtest-region5"), 0,
	    "the last user unmaps the region");
	tap_ok(ctx->mem_descs == c->mem && c->mem->prev == NULL &&
	    c->mem->next == NULL, "and it leaves the context's list");
	nmport_undo_mmap(c);
	tap_ok(ctx->mem_descs == NULL, "no region left");
	TAP_EQ(mappings_of("nmtest-region6"), 0, "region 6 unmapped");

	nmport_close(a);	/* closes the memfds, frees */
	nmport_close(b);
	nmport_close(c);
}

static void
check_host_ranges(void)
{
	/* "eth0^": only the host rings are bound (2 of them) */
	struct fake_geom g = { .ntx = 3, .nrx = 3, .nhtx = 2, .nhrx = 2,
	    .nslots = 4, .bound_tx = "00011", .bound_rx = "00011" };
	int fd = fake_memfd("nmtest-host", &g);
	struct nmport_d *d = fake_registered(fd, 9, &g);

	TAP_EQ(nmport_mmap(d), 0, "nmport_mmap, host rings only");
	tap_ok(d->first_tx_ring == 3 && d->last_tx_ring == 4,
	    "tx range is the host rings [3, 4]");
	tap_ok(d->first_rx_ring == 3 && d->last_rx_ring == 4,
	    "rx range is the host rings [3, 4]");
	tap_ok(NETMAP_RXRING(d->nifp, d->first_rx_ring)->dir == 1,
	    "NETMAP_RXRING(first_rx_ring) is an rx ring");
	nmport_close(d);
}

static void
check_no_tx_ring(void)
{
	/* a port with no tx ring at all: the tx range must be empty, not [1, 65535] */
	struct fake_geom g = { .ntx = 0, .nrx = 1, .nslots = 4, .bound_rx = "1" };
	int fd = fake_memfd("nmtest-notx", &g);
	struct nmport_d *d = fake_registered(fd, 12, &g);

	TAP_EQ(nmport_mmap(d), 0, "nmport_mmap, no tx ring");
	tap_ok(d->last_tx_ring + 1 == d->first_tx_ring,
	    "an empty tx range [%u, %u]", d->first_tx_ring, d->last_tx_ring);
	tap_ok(d->first_rx_ring == 0 && d->last_rx_ring == 0, "rx range [0, 0]");
	nmport_close(d);
}

static void
check_inject(void)
{
	struct fake_geom g = { .ntx = 2, .nrx = 1, .nslots = 4,
	    .bound_tx = "11", .bound_rx = "1" };
	int fd = fake_memfd("nmtest-inject", &g);
	struct nmport_d *d = fake_registered(fd, 11, &g);
	struct netmap_ring *r;
	char pkt[3000];

	memset(pkt, 'z', sizeof(pkt));
	TAP_EQ(nmport_inject(d, pkt, 60), 0, "nmport_inject before mmap: 0");
	TAP_EQ(nmport_mmap(d), 0, "mapped");
	r = NETMAP_TXRING(d->nifp, 0);
	TAP_EQ(nmport_inject(d, pkt, 60), 60, "nmport_inject returns the size");
	tap_ok(r->slot[0].len == 60 && r->head == 1 && r->cur == 1,
	    "nmport_inject fills the slot at cur and advances");
	TAP_EQ(nmport_inject(d, pkt, 3000), 3000, "a 2-slot packet");
	tap_ok((r->slot[1].flags & NS_MOREFRAG) && r->slot[2].flags == 0 &&
	    r->slot[2].len == 3000 - FAKE_BUFSZ,
	    "NS_MOREFRAG on the first fragment only");
	TAP_EQ(nmport_inject(d, pkt, 10), 10, "ring 0 full: goes to ring 1");
	TAP_EQ(d->cur_tx_ring, 1, "cur_tx_ring moves to ring 1");
	TAP_EQ(nmport_inject(d, pkt, 10), 10, "ring 1 again");
	TAP_EQ(nmport_inject(d, pkt, 10), 10, "ring 1, last free slot");
	TAP_EQ(nmport_inject(d, pkt, 10), 0, "every ring full: 0");
	nmport_close(d);
}

static void
check_extmem_region(void)
{
	struct fake_geom g = { .ntx = 1, .nrx = 1, .nslots = 4 };
	size_t size = fake_region_size(&g);
	void *mem = aligned_alloc(FAKE_PAGE, size);
	struct nmport_d *d = nmport_new(), *c;

	fake_region_init(mem, &g);
	TAP_EQ(nmport_extmem(d, mem, size), 0, "nmport_extmem");
	tap_ok(d->extmem != NULL &&
	    nmreq_find_option(&d->hdr, NETMAP_REQ_OPT_EXTMEM) ==
	    &d->extmem->nro_opt, "the extmem option is in the request");
	tap_ok(d->extmem->nro_usrptr == (uintptr_t)mem &&
	    d->extmem->nro_info.nr_memsize == size,
	    "with the user pointer and size");
	tap_ok(nmport_extmem_getinfo(d) == &d->extmem->nro_info,
	    "nmport_extmem_getinfo points into the option");
	TAP_EQ(nmport_extmem(d, mem, size), -1, "a second extmem fails");
	TAP_EQ(errno, EINVAL, "with EINVAL");
	c = nmport_clone(d);
	tap_ok(c == NULL && errno == EINVAL,
	    "cloning an unregistered extmem port fails with EINVAL");

	/* "registered": nmport_mmap must use the user memory, no mmap */
	d->register_done = 1;
	d->reg.nr_mem_id = 12;
	d->reg.nr_tx_rings = d->reg.nr_rx_rings = 1;
	TAP_EQ(nmport_extmem(d, mem, size), -1,
	    "nmport_extmem after registration fails");
	TAP_EQ(nmport_mmap(d), 0, "nmport_mmap with extmem (fd is -1)");
	tap_ok(d->mem->mem == mem && d->mem->is_extmem,
	    "the region is the user's memory");
	TAP_EQ(d->first_tx_ring, 0, "rings found in the user memory");

	c = nmport_clone(d);
	tap_ok(c != NULL, "a registered extmem port can be cloned");
	tap_ok(c->hdr.nr_options == 0 && c->hdr.nr_body == (uintptr_t)&c->reg &&
	    strcmp(c->hdr.nr_name, d->hdr.nr_name) == 0,
	    "clone: own body, no options, same name");
	tap_ok(c->reg.nr_mem_id == 12 && c->fd == -1 && !c->register_done &&
	    c->mem == NULL && c->extmem == NULL && c->clist == NULL,
	    "clone: same mem_id, not registered, not mapped");
	nmport_close(c);

	nmport_undo_mmap(d);
	tap_ok(((volatile char *)mem)[0] == 'f',
	    "user memory is not unmapped by undo_mmap");
	d->register_done = 0;
	nmport_close(d);	/* removes and frees the option */
	free(mem);
}

static void
check_state_errors(void)
{
	struct nmport_d *d = nmport_new();

	tap_ok(d != NULL && d->fd == -1 && d->hdr.nr_version == NETMAP_API &&
	    d->hdr.nr_reqtype == NETMAP_REQ_REGISTER &&
	    d->hdr.nr_body == (uintptr_t)&d->reg && d->ctx == nmctx_get(),
	    "nmport_new: initialised REGISTER request in the default context");
	TAP_EQ(nmport_mmap(d), -1, "nmport_mmap of an unregistered port fails");
	TAP_EQ(errno, EINVAL, "with EINVAL");
	d->register_done = 1;
	TAP_EQ(nmport_register(d), -1, "nmport_register twice fails");
	TAP_EQ(errno, EINVAL, "with EINVAL");
	d->register_done = 0;
	nmport_undo_register(d);	/* fd -1: nothing to close */
	TAP_EQ(d->fd, -1, "undo_register leaves fd at -1");
	nmport_close(d);
	nmport_close(NULL);
	tap_ok(1, "nmport_close(NULL) is harmless");
}

int
main(void)
{
	check_shared_mapping();
	check_host_ranges();
	check_no_tx_ring();
	check_inject();
	check_extmem_region();
	check_state_errors();
	return tap_done();
}
