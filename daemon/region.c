/*
 * region.c - memory regions: one sealed memfd each, laid out as netmap lays
 * an allocator (see shared/unetmap_kern.h), with the daemon's allocators
 * for interfaces, rings and buffers.
 *
 * Only the daemon allocates and frees.  Applications move buffers between
 * slots (NS_BUF_CHANGED) but never create or destroy them, so the bitmaps
 * here are the truth about which buffers exist; freeing is idempotent so a
 * confused application cannot make the daemon free a buffer twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "shared/sigbus.h"
#include "unetmapd.h"

/* netmap's global allocator defaults: about 343 MB, mostly never touched */
struct unm_region_cfg region_cfg_global = {
	.if_num = 100, .if_size = 1024,
	.ring_num = 200, .ring_size = 36864,
	.buf_num = 163840, .buf_size = UNM_BUF_SIZE,
};

/*
 * A private region (pipes on a port that had none, later VALE ports):
 * room for 64 rings of up to 4096 slots and their buffers.  memfd pages
 * are allocated only when touched, so the size costs address space only.
 */
struct unm_region_cfg region_cfg_private = {
	.if_num = 64, .if_size = 8192,
	.ring_num = 128, .ring_size = 0,	/* set from UNM_PIPE_MAXSLOTS */
	.buf_num = 128 * 1024 + 16384, .buf_size = UNM_BUF_SIZE,
};

static struct region *regions;

struct region *
region_list(void)
{
	return regions;
}

struct region *
region_find(uint16_t id)
{
	for (struct region *r = regions; r; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

static uint16_t
free_id(bool priv)
{
	static uint16_t next = 2;

	if (!priv)
		return 1;
	for (int tries = 0; tries < 65534; tries++) {
		uint16_t id = next;

		next = next == 65535 ? 2 : next + 1;
		if (!region_find(id))
			return id;
	}
	return 0;
}

static void
region_destroy(struct region *r)
{
	struct region **pp;

	for (pp = &regions; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	for (uint32_t i = 0; r->ring_evfd && i < r->L.ring.num; i++)
		if (r->ring_evfd[i] >= 0)
			close(r->ring_evfd[i]);
	if (r->base && r->ext)
		unm_sigbus_forget(r->base);
	if (r->base)
		munmap(r->base, r->ext ? r->ext_len : r->L.total);
	if (r->ext && r->kbase)
		munmap(r->kbase, r->L.total);
	if (r->memfd >= 0)
		close(r->memfd);
	if (r->ext && r->kfd >= 0)
		close(r->kfd);
	unm_debug("region %u destroyed", r->id);
	free(r->if_used);
	free(r->ring_used);
	free(r->buf_map);
	free(r->ring_evfd);
	free(r);
}

/* a sealed memfd of @size bytes: a client shrinking it would make the daemon fault */
static int
sealed_memfd(uint16_t id, uint64_t size)
{
	char name[32];
	int fd;

	snprintf(name, sizeof(name), "unetmap-mem%u", id);
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd >= 0 && (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* the allocators and the kernel part's header of a region whose memory is mapped */
static struct region *region_setup(struct region *r, struct ctrl_err *e);

static struct region *
region_create(const struct unm_region_cfg *cfg, bool priv, struct ctrl_err *e)
{
	struct region *r = calloc(1, sizeof(*r));
	int err;

	if (!r) {
		ctrl_fail(e, ENOMEM, "out of memory creating a memory region");
		return NULL;
	}
	r->memfd = -1;
	r->kfd = -1;
	r->priv = priv;
	r->id = free_id(priv);
	err = unm_layout_compute(cfg, &r->L);
	if (err || !r->id) {
		ctrl_fail(e, err ? -err : ENOMEM, "cannot lay out a memory region (%s)",
		    err ? "bad pool sizes" : "no free memory id");
		goto fail;
	}
	r->memfd = sealed_memfd(r->id, r->L.total);
	if (r->memfd < 0) {
		ctrl_fail(e, ENOMEM, "cannot create memory region %u: %s", r->id,
		    strerror(errno));
		goto fail;
	}
	r->base = mmap(NULL, r->L.total, PROT_READ | PROT_WRITE, MAP_SHARED,
	    r->memfd, 0);
	if (r->base == MAP_FAILED) {
		r->base = NULL;
		ctrl_fail(e, ENOMEM, "cannot map memory region %u: %s", r->id,
		    strerror(errno));
		goto fail;
	}
	r->kbase = r->base + r->L.kern_ofs;
	return region_setup(r, e);
fail:
	region_destroy(r);
	return NULL;
}

struct region *
region_new_ext(const struct unm_region_cfg *cfg, int fd, uint64_t ofs, uint64_t len,
    struct ctrl_err *e)
{
	struct region *r = calloc(1, sizeof(*r));

	if (!r) {
		ctrl_fail(e, ENOMEM, "out of memory creating a memory region");
		return NULL;
	}
	r->memfd = -1;
	r->kfd = -1;
	r->priv = true;
	r->ext = true;
	r->id = free_id(true);
	unm_layout_extmem(cfg, &r->L);
	r->ext_ofs = ofs;
	r->ext_len = len;
	if (!r->id) {
		ctrl_fail(e, ENOMEM, "cannot make a memory region: no free memory id");
		goto fail;
	}
	r->memfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	r->kfd = sealed_memfd(r->id, r->L.total);
	if (r->memfd < 0 || r->kfd < 0) {
		ctrl_fail(e, ENOMEM, "cannot create memory region %u: %s", r->id,
		    strerror(errno));
		goto fail;
	}
	r->base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, (off_t)ofs);
	if (r->base == MAP_FAILED) {
		r->base = NULL;
		ctrl_fail(e, EFAULT, "cannot map the external memory (%llu bytes at %llu of its "
		    "object): %s", (unsigned long long)len, (unsigned long long)ofs,
		    strerror(errno));
		goto fail;
	}
	if (!unm_sigbus_watch(r->base, len)) {	/* its owner may truncate it */
		ctrl_fail(e, ENOMEM, "cannot make memory region %u: too many regions in external "
		    "memory", r->id);
		munmap(r->base, len);
		r->base = NULL;
		goto fail;
	}
	r->kbase = mmap(NULL, r->L.total, PROT_READ | PROT_WRITE, MAP_SHARED, r->kfd, 0);
	if (r->kbase == MAP_FAILED) {
		r->kbase = NULL;
		ctrl_fail(e, ENOMEM, "cannot map memory region %u: %s", r->id, strerror(errno));
		goto fail;
	}
	return region_setup(r, e);
fail:
	region_destroy(r);
	return NULL;
}

struct region *
region_find_ext(uint64_t dev, uint64_t ino, uint64_t ofs, uint64_t len)
{
	for (struct region *r = regions; r; r = r->next)
		if (r->ext && r->ext_dev == dev && r->ext_ino == ino && r->ext_ofs == ofs &&
		    r->ext_len == len)
			return r;
	return NULL;
}

static struct region *
region_setup(struct region *r, struct ctrl_err *e)
{
	struct unm_region_hdr *h;

	r->if_used = calloc(r->L.ifp.num, 1);
	r->ring_used = calloc(r->L.ring.num, 1);
	r->buf_map = calloc((r->L.buf.num + 63) / 64, 8);
	r->ring_evfd = malloc(sizeof(int) * r->L.ring.num);
	if (!r->if_used || !r->ring_used || !r->buf_map || !r->ring_evfd) {
		ctrl_fail(e, ENOMEM, "out of memory creating a memory region");
		goto fail;
	}
	for (uint32_t i = 0; i < r->L.ring.num; i++)
		r->ring_evfd[i] = -1;
	/* buffers 0 and 1 are reserved, as in netmap (0 ends a list) */
	r->buf_map[0] = 3;
	r->buf_free = r->L.buf.num - 2;
	r->buf_hint = 2;
	/* bits past the last buffer count as allocated */
	for (uint32_t i = r->L.buf.num; i % 64; i++)
		r->buf_map[i / 64] |= 1ull << (i % 64);
	if (getrandom(&r->uuid, sizeof(r->uuid), 0) != sizeof(r->uuid))
		r->uuid = (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)r;
	h = (struct unm_region_hdr *)r->kbase;
	h->magic = UNM_REGION_MAGIC;
	h->mem_id = r->id;
	h->flags = r->ext ? UNM_REGION_EXT : 0;
	h->uuid = r->uuid;
	h->layout = r->L;
	r->next = regions;
	regions = r;
	unm_debug("region %u created: %llu bytes mappable", r->id,
	    (unsigned long long)r->L.memsize);
	return r;
fail:
	region_destroy(r);
	return NULL;
}

void
region_config_changed(void)
{
	struct region *r = region_find(1);

	/* in use, it keeps its geometry until the last user leaves (region_unref) */
	if (r && r->refs <= 0)
		region_destroy(r);
}

struct region *
region_global(struct ctrl_err *e)
{
	struct region *r = region_find(1);

	return r ? r : region_create(&region_cfg_global, false, e);
}

struct region *
region_new_private(const struct unm_region_cfg *cfg, struct ctrl_err *e)
{
	struct unm_region_cfg c = *cfg;

	if (!c.ring_size)
		c.ring_size = unm_ring_objsize(UNM_PIPE_MAXSLOTS);
	return region_create(&c, true, e);
}

struct region *
region_by_id(uint16_t id, struct ctrl_err *e)
{
	return id == 1 ? region_global(e) : region_find(id);
}

void
region_ref(struct region *r)
{
	r->refs++;
}

void
region_unref(struct region *r)
{
	if (--r->refs <= 0)
		region_destroy(r);
}

/* ---------------------------------------------------------------- rings */

struct netmap_ring *
region_ring(struct region *r, uint32_t idx)
{
	return (struct netmap_ring *)(r->base + unm_ring_ofs(&r->L, idx));
}

struct unm_kring *
region_kring(struct region *r, uint32_t idx)
{
	return (struct unm_kring *)(r->kbase + unm_kring_kofs(idx));
}

int
region_ring_new(struct region *r, uint32_t slots, int dir, int ringid,
    const char *port, struct ctrl_err *e)
{
	struct netmap_ring *ring;
	struct unm_kring *k;
	uint32_t i, tail = dir == NR_TX ? slots - 1 : 0;

	if (slots < 2 || unm_ring_objsize(slots) > r->L.ring.objsize)
		return -ctrl_fail(e, EINVAL, "%s: %u slots do not fit a ring of memory region %u "
		    "(at most %u)", port, slots, r->id,
		    (unsigned)((r->L.ring.objsize - sizeof(struct netmap_ring)) /
		    sizeof(struct netmap_slot)));
	for (i = 0; i < r->L.ring.num && r->ring_used[i]; i++)
		;
	if (i == r->L.ring.num)
		return -ctrl_fail(e, ENOMEM, "%s: memory region %u has no free ring (%u in use)",
		    port, r->id, r->L.ring.num);
	r->ring_evfd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->ring_evfd[i] < 0) {
		int err = errno;	/* EMFILE: our limit; ENFILE: the system's */

		return -ctrl_fail(e, err, "%s: cannot create an eventfd for a ring: %s", port,
		    strerror(err));
	}
	r->ring_used[i] = 1;

	ring = region_ring(r, i);
	memset(ring, 0, unm_ring_objsize(slots));
	/* the ABI declares these const: only the "kernel" writes them */
	*(int64_t *)&ring->buf_ofs = (int64_t)r->L.buf.ofs - (int64_t)unm_ring_ofs(&r->L, i);
	*(uint32_t *)&ring->num_slots = slots;
	*(uint32_t *)&ring->nr_buf_size = r->L.buf.objsize;
	*(uint16_t *)&ring->ringid = (uint16_t)ringid;
	*(uint16_t *)&ring->dir = (uint16_t)dir;
	*(uint32_t *)&ring->tail = tail;

	k = region_kring(r, i);
	memset(k, 0, sizeof(*k));
	k->num_slots = slots;
	k->dir = (uint16_t)dir;
	k->ringid = (uint16_t)ringid;
	k->ring_ofs = unm_ring_ofs(&r->L, i);
	snprintf(k->port, sizeof(k->port), "%s", port);
	k->nr_hwtail = k->rtail = k->pipe_tail = tail;
	for (uint32_t m = 0; m < UNM_MAX_MONITORS; m++)
		k->mon_ring[m] = UINT32_MAX;
	return (int)i;
}

void
region_ring_free(struct region *r, uint32_t idx)
{
	if (idx >= r->L.ring.num || !r->ring_used[idx])
		return;
	close(r->ring_evfd[idx]);
	r->ring_evfd[idx] = -1;
	r->ring_used[idx] = 0;
}

/*
 * Ring @ri's slot count from its kring, read once and bounded by what the
 * ring object holds: the kring is in memory every client of the region
 * may write, and a larger count would take us into the next ring object.
 */
static uint32_t
ring_slots(struct region *r, uint32_t ri)
{
	uint32_t n = __atomic_load_n(&region_kring(r, ri)->num_slots, __ATOMIC_RELAXED);
	uint32_t cap = (uint32_t)((r->L.ring.objsize - sizeof(struct netmap_ring)) /
	    sizeof(struct netmap_slot));

	return n < cap ? n : cap;
}

/* every slot of ring object @ri gets a buffer of its own; false when none is left */
bool
region_ring_fill(struct region *r, uint32_t ri)
{
	struct netmap_ring *ring = region_ring(r, ri);
	uint32_t n = ring_slots(r, ri);

	for (uint32_t k = 0; k < n; k++)
		if (!(ring->slot[k].buf_idx = region_buf_alloc(r)))
			return false;
	return true;
}

/* the buffers ring @ri's slots name now (the count the daemon gave it) */
void
region_ring_free_bufs(struct region *r, uint32_t ri)
{
	struct netmap_ring *ring;
	uint32_t n;

	if (ri >= r->L.ring.num || !r->ring_used[ri])
		return;
	ring = region_ring(r, ri);
	n = ring_slots(r, ri);
	for (uint32_t k = 0; k < n; k++)
		region_buf_free(r, ring->slot[k].buf_idx);
}

/* ---------------------------------------------------------------- ifs */

struct netmap_if *
region_if(struct region *r, uint32_t idx)
{
	return (struct netmap_if *)(r->base + r->L.ifp.ofs +
	    (uint64_t)idx * r->L.ifp.objsize);
}

int
region_if_new(struct region *r, size_t size, struct ctrl_err *e)
{
	uint32_t i;

	if (size > r->L.ifp.objsize)
		return -ctrl_fail(e, EINVAL, "memory region %u: a netmap_if of %zu bytes "
		    "does not fit its %u-byte objects (too many rings)", r->id, size,
		    r->L.ifp.objsize);
	for (i = 0; i < r->L.ifp.num && r->if_used[i]; i++)
		;
	if (i == r->L.ifp.num)
		return -ctrl_fail(e, ENOMEM, "memory region %u has no free netmap_if (%u in use)",
		    r->id, r->L.ifp.num);
	r->if_used[i] = 1;
	memset(region_if(r, i), 0, r->L.ifp.objsize);
	return (int)i;
}

void
region_if_free(struct region *r, uint32_t idx)
{
	if (idx < r->L.ifp.num)
		r->if_used[idx] = 0;
}

/* ---------------------------------------------------------------- buffers */

char *
region_buf(struct region *r, uint32_t idx)
{
	return r->base + r->L.buf.ofs + (uint64_t)idx * r->L.buf.objsize;
}

bool
region_buf_valid(const struct region *r, uint32_t idx)
{
	return idx >= 2 && idx < r->L.buf.num;
}

uint32_t
region_buf_alloc(struct region *r)
{
	uint32_t words = (r->L.buf.num + 63) / 64;

	if (!r->buf_free)
		return 0;
	for (uint32_t n = 0, w = r->buf_hint / 64; n <= words; n++, w = (w + 1) % words) {
		uint64_t m = r->buf_map[w];

		if (m != ~0ull) {
			uint32_t bit = (uint32_t)__builtin_ctzll(~m);

			r->buf_map[w] |= 1ull << bit;
			r->buf_free--;
			r->buf_hint = w * 64 + bit;
			return w * 64 + bit;
		}
	}
	return 0;
}

bool
region_buf_free(struct region *r, uint32_t idx)
{
	uint64_t bit = 1ull << (idx % 64);

	if (!region_buf_valid(r, idx) || !(r->buf_map[idx / 64] & bit))
		return false;
	r->buf_map[idx / 64] &= ~bit;
	r->buf_free++;
	return true;
}

uint32_t
region_buf_free_list(struct region *r, uint32_t head)
{
	uint32_t n = 0, idx = head;

	/* bounded: a buffer can be freed once, so a cycle ends the walk */
	while (idx && n < r->L.buf.num) {
		uint32_t next;

		if (!region_buf_valid(r, idx))
			break;
		memcpy(&next, region_buf(r, idx), sizeof(next));
		if (!region_buf_free(r, idx))
			break;
		n++;
		idx = next;
	}
	return n;
}
