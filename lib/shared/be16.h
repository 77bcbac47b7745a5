/*
 * be16.h - 16-bit big-endian (network order) fields read and written at
 * any alignment: the VALE offload conversion (lib/adapters/vale_offload.c)
 * and pkt-gen's frames (tools/pkt-gen/frame.c).  Header only: nothing to
 * link.
 */
#ifndef UNETMAP_BE16_H
#define UNETMAP_BE16_H

#include <stdint.h>

static inline void
unm_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t
unm_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

#endif
