/*
 * test_daemon_region.c - memory regions as the daemon lays them out:
 * netmap's pool order and alignment, reserved buffers 0 and 1, an
 * allocator that never hands out or frees a buffer twice, rings whose
 * buf_ofs points at the buffer pool, and the global region's geometry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/unetmapd.h"
#include "../lib/tap.h"

static void
test_layout(void)
{
	struct unm_region_cfg c = { .if_num = 3, .if_size = 1000 + 24, .ring_num = 5,
		.ring_size = unm_ring_objsize(100), .buf_num = 10, .buf_size = 2048 };
	struct unm_layout L;

	TAP_EQ(unm_layout_compute(&c, &L), 0, "a small layout");
	TAP_EQ(L.ifp.ofs, 0, "the netmap_if pool comes first");
	tap_ok(L.ring.ofs >= 3 * 1024 && L.ring.ofs % 4096 == 0, "then the ring pool, page aligned");
	tap_ok(L.buf.ofs >= L.ring.ofs + 5ull * L.ring.objsize && L.buf.ofs % 4096 == 0,
	    "then the buffers, page aligned");
	TAP_EQ(L.memsize, L.buf.ofs + 20480, "nr_memsize ends with the buffer pool");
	tap_ok(L.kern_ofs == L.memsize && L.total > L.memsize, "the kernel part lies beyond it");
	TAP_EQ(unm_ring_objsize(1024), 256 + 16 * 1024, "a 1024-slot ring takes 16640 bytes");
	TAP_EQ(unm_ring_objsize(1), 384, "ring objects are 128-byte aligned");
	c.buf_num = 2;
	tap_ok(unm_layout_compute(&c, &L) < 0, "a pool with only the reserved buffers is refused");
	c.buf_num = 10;
	c.ring_size = 100;
	tap_ok(unm_layout_compute(&c, &L) < 0, "rings smaller than their header are refused");
}

/* external memory: netmap's limits and defaults, pools packed from offset 0 */
static void
test_extmem(void)
{
	struct nmreq_pools_info pi = { 0 };
	struct unm_region_cfg c;
	struct unm_layout L;
	const char *what = "";

	TAP_EQ(unm_extmem_check(&pi, &c, &what), 0, "all zeros: netmap's defaults");
	tap_ok(pi.nr_if_pool_objtotal == 2 && pi.nr_if_pool_objsize == 1024 &&
	    pi.nr_ring_pool_objtotal == 4 && pi.nr_ring_pool_objsize == 5 * 4096 &&
	    pi.nr_buf_pool_objtotal == 4098 && pi.nr_buf_pool_objsize == 2048,
	    "written back as netmap_min_priv_params has them");
	pi = (struct nmreq_pools_info){ .nr_if_pool_objtotal = 2, .nr_if_pool_objsize = 1000,
		.nr_ring_pool_objtotal = 64, .nr_ring_pool_objsize = 512,
		.nr_buf_pool_objtotal = 4096, .nr_buf_pool_objsize = 2048 };
	TAP_EQ(unm_extmem_check(&pi, &c, &what), 0, "netmap ctrl-api-test's pools");
	TAP_EQ(pi.nr_if_pool_objsize, 1024, "sizes rounded up to 64 bytes");
	unm_layout_extmem(&c, &L);
	tap_ok(L.ifp.ofs == 0 && L.ring.ofs == 2048 && L.buf.ofs == 2048 + 64 * 512 &&
	    L.memsize == L.buf.ofs + 4096ull * 2048, "pools packed one after the other");
	tap_ok(L.kern_ofs == 0 && L.total >= 4096 + 64 * sizeof(struct unm_kring),
	    "the kernel part is a file of its own");
	pi.nr_ring_pool_objsize = 1 << 20;
	tap_ok(unm_extmem_check(&pi, &c, &what) == EINVAL && strcmp(what, "ring") == 0,
	    "a 1 MB ring object: EINVAL");
	pi.nr_ring_pool_objsize = 512;
	pi.nr_ring_pool_objtotal = 1;
	TAP_EQ(unm_extmem_check(&pi, &c, &what), EINVAL, "one ring object: EINVAL");
	pi.nr_ring_pool_objtotal = 1024;
	pi.nr_buf_pool_objsize = 65536 + 1;
	TAP_EQ(unm_extmem_check(&pi, &c, &what), EINVAL, "65537-byte buffers: EINVAL");
	pi.nr_buf_pool_objsize = 65536;
	pi.nr_buf_pool_objtotal = 1000001;
	TAP_EQ(unm_extmem_check(&pi, &c, &what), EINVAL, "a million and one buffers: EINVAL");
	pi.nr_buf_pool_objtotal = 1000000;
	pi.nr_if_pool_objtotal = 100;
	pi.nr_if_pool_objsize = 4096;
	TAP_EQ(unm_extmem_check(&pi, &c, &what), 0, "every limit at its largest");
}

static void
test_global(void)
{
	struct ctrl_err e;
	struct region *r = region_global(&e);

	tap_ok(r && r->id == 1 && !r->priv, "the global region has id 1");
	tap_ok(r && r->L.ifp.num == 100 && r->L.ifp.objsize == 1024 && r->L.ring.num == 200 &&
	    r->L.ring.objsize == 36864 && r->L.buf.num == 163840 && r->L.buf.objsize == 2048,
	    "with netmap's default pools");
	tap_ok(r && r->L.memsize > 340000000u && r->L.memsize < 350000000u, "about 343 MB");
	if (r)
		region_unref(r);
}

static void
test_buffers(void)
{
	struct unm_region_cfg c = { .if_num = 2, .if_size = 1024, .ring_num = 2,
		.ring_size = unm_ring_objsize(64), .buf_num = 70, .buf_size = 2048 };
	struct ctrl_err e;
	struct region *r = region_new_private(&c, &e);
	uint32_t got[70], n = 0, b, head;
	bool seen[70] = { false }, dup = false, reserved = false;

	tap_ok(r != NULL && r->id > 1 && r->priv, "a private region has an id above 1");
	if (!r)
		return;
	region_ref(r);
	TAP_EQ(r->buf_free, 68, "buffers 0 and 1 are reserved");
	while ((b = region_buf_alloc(r)) != 0 && n < 70) {
		reserved |= b < 2 || b >= 70;
		dup |= seen[b];
		seen[b] = true;
		got[n++] = b;
	}
	TAP_EQ(n, 68, "68 buffers can be allocated");
	tap_ok(!reserved && !dup, "never a reserved one, never one twice");
	tap_ok(!region_buf_free(r, 0) && !region_buf_free(r, 1) && !region_buf_free(r, 70),
	    "freeing 0, 1 or one past the end is refused");
	tap_ok(region_buf_free(r, got[5]) && !region_buf_free(r, got[5]), "a double free is refused");
	TAP_EQ(region_buf_alloc(r), got[5], "and the buffer is there once");
	/* a list of three, then a cycle */
	memcpy(region_buf(r, got[0]), &got[1], 4);
	memcpy(region_buf(r, got[1]), &got[2], 4);
	memset(region_buf(r, got[2]), 0, 4);
	TAP_EQ(region_buf_free_list(r, got[0]), 3, "a list of three extra buffers is freed");
	memcpy(region_buf(r, got[3]), &got[4], 4);
	memcpy(region_buf(r, got[4]), &got[3], 4);
	TAP_EQ(region_buf_free_list(r, got[3]), 2, "a looping list ends where it loops");
	head = 12345;
	TAP_EQ(region_buf_free_list(r, head), 0, "a list starting out of range frees nothing");

	/* rings */
	{
		int i = region_ring_new(r, 64, NR_RX, 3, "p", &e);
		struct netmap_ring *ring = i >= 0 ? region_ring(r, (uint32_t)i) : NULL;

		tap_ok(ring && ring->num_slots == 64 && ring->dir == NR_RX && ring->ringid == 3 &&
		    ring->nr_buf_size == 2048 && ring->tail == 0, "a new rx ring");
		tap_ok(ring && (char *)ring + ring->buf_ofs == r->base + r->L.buf.ofs,
		    "its buf_ofs leads to buffer 0");
		tap_ok(region_ring_new(r, 65, NR_TX, 0, "p", &e) < 0, "a ring too big for its object is refused");
		tap_ok(region_ring_new(r, 64, NR_TX, 0, "p", &e) >= 0 &&
		    region_ring_new(r, 64, NR_TX, 0, "p", &e) < 0, "the ring pool runs out cleanly");
	}
	region_unref(r);
}

int
main(void)
{
	dcfg.nic = false;	/* no interfaces here */
	unm_log_set_level(UNM_LOG_ERR);
	test_layout();
	test_extmem();
	test_global();
	test_buffers();
	return tap_done();
}
