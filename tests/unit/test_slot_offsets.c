/*
 * test_slot_offsets - the data-offset helpers every data path uses
 * (lib/shared/unetmap_kern.h): which slot offsets fit, what a ring's rx
 * offset is when its kring (shared memory) holds nonsense, and that only
 * the offset bits of a slot's ptr are written.
 */
#include <stdint.h>
#include <string.h>

#include "shared/unetmap_kern.h"
#include "../lib/tap.h"

static struct unm_kring
kr(uint64_t mask, uint32_t max, uint32_t init)
{
	struct unm_kring k;

	memset(&k, 0, sizeof(k));
	k.off_mask = mask;
	k.off_max = max;
	k.off_init = init;
	return k;
}

int
main(void)
{
	struct unm_kring none = kr(0, 0, 0), k = kr(0xfff, 256, 64);
	struct netmap_slot s = { .buf_idx = 2, .len = 60, .ptr = 0xabc000 | 100 };
	uint32_t off = 12345;

	tap_ok(unm_slot_off(&none, &s, 2048, &off) && off == 0,
	    "a ring without offsets: every slot at offset 0, whatever ptr holds");
	s.len = 2049;
	tap_ok(!unm_slot_off(&none, &s, 2048, &off), "  a length beyond the buffer does not fit");
	s.len = 60;
	tap_ok(unm_slot_off(&k, &s, 2048, &off) && off == 100,
	    "12 bits of offsets: the low 12 bits of ptr (100)");
	s.ptr = 257;
	tap_ok(!unm_slot_off(&k, &s, 2048, &off), "an offset above the largest does not fit");
	s.ptr = 256;
	s.len = 1792;
	tap_ok(unm_slot_off(&k, &s, 2048, &off) && off == 256,
	    "offset 256 + 1792 bytes: the buffer exactly");
	s.len = 1793;
	tap_ok(!unm_slot_off(&k, &s, 2048, &off), "one byte more does not fit");
	k.off_max = UINT32_MAX;	/* a kring scribbled over */
	s.ptr = 0xfff;
	s.len = 60;
	tap_ok(!unm_slot_off(&k, &s, 2048, &off),
	    "a scribbled largest offset still leaves the buffer's end the bound");
	k.off_mask = UINT64_MAX;
	s.ptr = UINT64_MAX - 10;
	s.len = 20;
	tap_ok(!unm_slot_off(&k, &s, 2048, &off), "  no wrap-around with a 64-bit offset");

	k = kr(0xfff, 256, 64);
	TAP_EQ(unm_rx_off(&k, 2048), 64, "the rx offset: the initial one");
	TAP_EQ(unm_rx_off(&none, 2048), 0, "  0 for a ring without offsets");
	k.off_init = 300;
	TAP_EQ(unm_rx_off(&k, 2048), 0, "  0 when the kring says more than its largest");
	k = kr(0xff, 2048, 2048);
	TAP_EQ(unm_rx_off(&k, 2048), 0, "  0 when it would leave no room in a buffer");
	k = kr(0, 256, 64);
	TAP_EQ(unm_rx_off(&k, 2048), 0, "  0 when the ring has no offset bits");

	s.ptr = 0xabcdef000123ull;
	unm_slot_set_off(&s, 0xfff, 0x456);
	tap_ok(s.ptr == 0xabcdef000456ull, "setting an offset keeps the other bits of ptr");
	unm_slot_set_off(&s, 0, 7);
	tap_ok(s.ptr == 0xabcdef000456ull, "  and a ring without offsets leaves ptr alone");
	return tap_done();
}
