/*
 * unetmap.h - what unetmap offers beyond netmap's API.
 *
 * Everything here is an extension: a netmap program never needs it, and a
 * program that uses it still speaks netmap's ABI for everything else.  New
 * request types travel through NIOCCTRL like netmap's own, numbered far
 * from netmap's range.
 */
#ifndef UNETMAP_H
#define UNETMAP_H

#include <stdint.h>
#include <net/netmap.h>

/* NIOCCTRL request types of ours */
enum {
	/* how much of a memory region is in use (body below; name unused) */
	NETMAP_REQ_UNETMAP_REGION_INFO = 0x7501,
};

struct nmreq_unetmap_region_info {
	uint16_t nr_mem_id;	/* in: the region (0: the global one, id 1) */
	uint16_t nr_pad;
	uint32_t nr_if_total, nr_if_free;
	uint32_t nr_ring_total, nr_ring_free;
	uint32_t nr_buf_total, nr_buf_free;
	uint32_t nr_ports;	/* ports living in it */
};

/*
 * The daemon's control socket.  $UNETMAP_SOCKET overrides the default,
 * /run/unetmap/unetmapd.sock for root and $XDG_RUNTIME_DIR/unetmap/... for
 * others.  Fills @buf and returns it.
 */
const char *unetmap_socket_path(char *buf, size_t len);

/* the region's use, through NIOCCTRL; 0 or -1 with errno */
int unetmap_region_info(uint16_t mem_id, struct nmreq_unetmap_region_info *out);

#endif
