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
	/* a VALE port's counters (nr_name "valeX:Y"; body below) */
	NETMAP_REQ_UNETMAP_VALE_STATS = 0x7502,
};

struct nmreq_unetmap_region_info {
	uint16_t nr_mem_id;	/* in: the region (0: the global one, id 1) */
	uint16_t nr_pad;
	uint32_t nr_if_total, nr_if_free;
	uint32_t nr_ring_total, nr_ring_free;
	uint32_t nr_buf_total, nr_buf_free;
	uint32_t nr_ports;	/* ports living in it */
};

/* per VALE port: what netmap's VALE never counted */
struct nmreq_unetmap_vale_stats {
	uint16_t nr_bridge_idx;		/* out: as VALE_LIST numbers them */
	uint16_t nr_pad;
	uint32_t nr_port_idx;
	uint64_t rx_frames, rx_bytes;	/* delivered to the port */
	uint64_t tx_frames, tx_bytes;	/* sent by the port into the switch */
	uint64_t drop_full;		/* meant for it, its queue was full */
	uint64_t drop_bad;		/* sent by it: malformed, never forwarded */
	uint64_t drop_nodst;		/* sent by it: to an absent port, or to itself */
	uint64_t drop_busy;		/* sent by it: a queue was unusable */
	uint32_t nr_rx_rings, nr_tx_rings;
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
