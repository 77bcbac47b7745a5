/*
 * vale_offload.h - the VALE copy between two ports whose virtio-net header
 * lengths differ (netmap's bdg_mismatch_datapath): the header is added
 * (zeroed), converted (10 <-> 12 bytes) or stripped, and when it is
 * stripped the offloads it asks for are done in software: segmentation
 * (GSO TCPv4, TCPv6, UDP) and the checksum (NEEDS_CSUM).
 */
#ifndef UNETMAP_VALE_OFFLOAD_H
#define UNETMAP_VALE_OFFLOAD_H

#include <stdint.h>

#include <net/netmap.h>

#include "shared/unetmap_kern.h"	/* UNM_MAX_FRAGS */

/* the virtio-net header (virtio 1.0, little endian as on the hosts we run on) */
struct vale_vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	/* the 12-byte form adds num_buffers (mergeable rx buffers), zeroed here */
};
_Static_assert(sizeof(struct vale_vnet_hdr) == 10, "the virtio-net header is 10 bytes");

#define VALE_VNET_F_NEEDS_CSUM	1u
#define VALE_VNET_F_DATA_VALID	2u
#define VALE_VNET_GSO_NONE	0u
#define VALE_VNET_GSO_TCPV4	1u
#define VALE_VNET_GSO_UDP	3u
#define VALE_VNET_GSO_TCPV6	4u
#define VALE_VNET_GSO_ECN	0x80u

/*
 * The largest frame a port without a header receives from segmentation:
 * netmap's NM_BDG_MFS_DEFAULT (a port with a header takes a whole buffer,
 * so frames for it are never segmented).
 */
#define VALE_MFS_DEFAULT	1514u

/* the packet to copy: @frags slots of the sender's tx ring from @first */
struct vale_src {
	const struct unm_kring *k;	/* the ring's kring: its data offsets */
	const struct netmap_slot *slot;
	uint32_t first, frags, ring_size;
	const char *bufs;	/* the sender's buffer pool */
	uint32_t nbufs, buf_size;
	uint32_t hdr_len;	/* the sender's header length */
};

/* where it goes: the inbound queue's free slots from @prod on */
struct vale_dst {
	struct netmap_slot *slot;
	uint32_t prod, qslots, space;
	char *bufs;		/* the receiver's buffer pool */
	uint32_t nbufs, buf_size;
	uint32_t doff;		/* the receiver's data offset (< buf_size), in each slot's ptr */
	uint32_t hdr_len;	/* the receiver's header length */
};

enum { VALE_OFL_FULL = 0, VALE_OFL_BAD = -1 };

/*
 * Writes the packet into the queue's slots from d->prod on, as one or
 * more packets (segments); returns the slots used (the caller publishes
 * them), VALE_OFL_FULL when they would not fit in d->space (nothing
 * counts as written), VALE_OFL_BAD when the packet or its header is
 * malformed (dropped, a message says why).  @scratch: a private buffer
 * of VALE_OFL_SCRATCH(s->buf_size) bytes.
 */
#define VALE_OFL_SCRATCH(buf_size)	((size_t)(UNM_MAX_FRAGS + 1) * (buf_size))
int vale_offload_copy(const char *port, const struct vale_src *s, struct vale_dst *d,
    uint8_t *scratch);

#endif
