/*
 * net/netmap_legacy.h - the pre-NIOCCTRL control interface of netmap:
 * struct nmreq (60 bytes) used with NIOCREGIF / NIOCGINFO, its ring-id
 * bits and nr_cmd values, and the NIOCCONFIG pass-through request.
 *
 * As in netmap, net/netmap.h includes this file; programs should include
 * net/netmap.h (or net/netmap_user.h) rather than this one, but it is
 * self-contained so that either order compiles.  Layouts and values are
 * netmap's (API 14); the wording is unetmap's.
 */
#ifndef _NET_NETMAP_LEGACY_H_
#define _NET_NETMAP_LEGACY_H_

#include <stdint.h>
#include <sys/ioctl.h>
#ifndef IFNAMSIZ
#include <net/if.h>
#endif
#ifndef IFNAMSIZ	/* strict ISO mode: glibc only gives IF_NAMESIZE */
#define IFNAMSIZ	IF_NAMESIZE
#endif

/*
 * The legacy request.  Its first 16 bytes overlay a struct ifreq name.
 *
 * nr_ringid: the low 12 bits select a ring; the high bits are the old way
 * of choosing what to bind (used only when the mode in nr_flags is
 * NR_REG_DEFAULT) plus the two poll behaviour bits.
 * nr_flags: the low 4 bits (NR_REG_MASK) hold an NR_REG_* mode, the rest
 * the NR_* register flags of net/netmap.h (NR_EXCLUSIVE, monitors, ...).
 * nr_arg1: for nr_cmd == NETMAP_BDG_ATTACH, NETMAP_BDG_HOST also attaches
 * the host rings.  nr_arg2: memory region id (in/out).  nr_arg3: extra
 * buffers wanted / granted.
 */
struct nmreq {
	char		nr_name[IFNAMSIZ];
	uint32_t	nr_version;
	uint32_t	nr_offset;	/* where the netmap_if sits in the region */
	uint32_t	nr_memsize;	/* bytes to mmap */
	uint32_t	nr_tx_slots;
	uint32_t	nr_rx_slots;
	uint16_t	nr_tx_rings;
	uint16_t	nr_rx_rings;

	uint16_t	nr_ringid;
#define NETMAP_HW_RING		0x4000	/* bind the one NIC ring pair below */
#define NETMAP_SW_RING		0x2000	/* bind the host ring pair only */
#define NETMAP_RING_MASK	0x0fff	/* ring number */
#define NETMAP_NO_TX_POLL	0x1000	/* poll() does not txsync by itself */
#define NETMAP_DO_RX_POLL	0x8000	/* poll() rxsyncs even without POLLIN */

	uint16_t	nr_cmd;
#define NETMAP_BDG_ATTACH	1	/* attach a NIC to a switch */
#define NETMAP_BDG_DETACH	2	/* detach it */
#define NETMAP_BDG_REGOPS	3	/* kernel modules only */
#define NETMAP_BDG_LIST		4	/* walk switches and ports */
#define NETMAP_BDG_VNET_HDR	5	/* set the virtio-net header length */
#define NETMAP_BDG_NEWIF	6	/* create a persistent VALE port */
#define NETMAP_BDG_DELIF	7	/* remove it */
#define NETMAP_PT_HOST_CREATE	8	/* ptnetmap, may be refused */
#define NETMAP_PT_HOST_DELETE	9
#define NETMAP_BDG_POLLING_ON	10	/* polling threads on a port */
#define NETMAP_BDG_POLLING_OFF	11
#define NETMAP_VNET_HDR_GET	12	/* read the virtio-net header length */
#define NETMAP_POOLS_INFO_GET	13	/* allocator pools */

	uint16_t	nr_arg1;
#define NETMAP_BDG_HOST		1	/* nr_arg1 with NETMAP_BDG_ATTACH */

	uint16_t	nr_arg2;	/* memory region id */
	uint32_t	nr_arg3;	/* extra buffers */
	uint32_t	nr_flags;
#define NR_REG_MASK		0xf	/* the NR_REG_* part of nr_flags */

	uint32_t	spare2[1];
};

/*
 * Reply of the legacy NETMAP_POOLS_INFO_GET (superseded by
 * struct nmreq_pools_info of the NIOCCTRL interface).
 */
struct netmap_pools_info {
	uint64_t	memsize;
	uint32_t	memid;
	uint32_t	if_pool_offset;
	uint32_t	if_pool_objtotal;
	uint32_t	if_pool_objsize;
	uint32_t	ring_pool_offset;
	uint32_t	ring_pool_objtotal;
	uint32_t	ring_pool_objsize;
	uint32_t	buf_pool_offset;
	uint32_t	buf_pool_objtotal;
	uint32_t	buf_pool_objsize;
};

/*
 * NIOCCONFIG hands an opaque blob to an external switch module for a port
 * the caller owns.
 */
#define NM_IFRNAMSIZ	16
#define NM_IFRDATA_LEN	256
struct nm_ifreq {
	char	nifr_name[NM_IFRNAMSIZ];
	char	data[NM_IFRDATA_LEN];
};

/* the ioctl numbers encode the argument sizes: they must not change */
#define NIOCGINFO	_IOWR('i', 145, struct nmreq)
#define NIOCREGIF	_IOWR('i', 146, struct nmreq)
#define NIOCCONFIG	_IOWR('i', 150, struct nm_ifreq)

#endif /* _NET_NETMAP_LEGACY_H_ */
