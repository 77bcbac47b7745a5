/*
 * net/netmap.h - the netmap ABI (API version 14) as unetmap provides it.
 *
 * Everything an application shares with "the kernel" (here: unetmap's
 * library and daemon) is defined here: the shared-memory objects
 * (netmap_if, netmap_ring, netmap_slot), the NIOCCTRL requests with their
 * bodies and options, and the ioctl numbers.  Sizes, offsets and values
 * are netmap's, bit for bit, so that programs written for netmap build and
 * run unchanged; the text and arrangement are unetmap's own.
 *
 * The shared region, as seen after mmap():
 *
 *	netmap_if  (one per bound descriptor, at nr_offset)
 *	    ring_ofs[]: offset of each bound ring, relative to the netmap_if,
 *	        in the order NIC tx, host tx, NIC rx, host rx; 0 = not bound
 *	netmap_ring (header, then num_slots netmap_slot entries)
 *	    buffer address = (char *)ring + buf_ofs + buf_idx * nr_buf_size
 *
 * Ring ownership: the slots in [head, tail) belong to the application,
 * the others to the kernel side; one slot always stays empty.  head and
 * cur only move forward, modulo num_slots (not necessarily a power of 2).
 */
#ifndef _NET_NETMAP_H_
#define _NET_NETMAP_H_

#include <stdint.h>
#include <sys/types.h>		/* ssize_t */
#include <sys/time.h>		/* struct timeval */
#include <sys/ioctl.h>		/* _IO, _IOWR */
#ifndef IFNAMSIZ
#include <net/if.h>
#endif
#ifndef IFNAMSIZ	/* strict ISO mode: glibc only gives IF_NAMESIZE */
#define IFNAMSIZ	IF_NAMESIZE
#endif

#define NETMAP_API	14	/* the version we speak */
#define NETMAP_MIN_API	14	/* NIOCCTRL accepts nr_version in [MIN, MAX] */
#define NETMAP_MAX_API	15

/* alignment used for the ring's scratch area (covers common cache lines) */
#define NM_CACHE_ALIGN	128

/* ------------------------------------------------------------ slots */

struct netmap_slot {
	uint32_t	buf_idx;	/* which buffer of the region */
	uint16_t	len;		/* bytes in this buffer (one fragment) */
	uint16_t	flags;		/* NS_* below */
	uint64_t	ptr;		/* NS_INDIRECT address, or offset bits */
};

/* set whenever buf_idx changes, by the application or by a zero-copy port */
#define NS_BUF_CHANGED	0x0001
/* report completion of this TX slot (completions are otherwise lazy) */
#define NS_REPORT	0x0002
/* on an NR_FORWARD rx ring: pass the released slot on to the peer side
 * (NIC <-> host stack) at the next sync */
#define NS_FORWARD	0x0004
/* VALE: do not learn the source address of this frame */
#define NS_NO_LEARN	0x0008
/* VALE tx only: the payload is in user memory at slot->ptr */
#define NS_INDIRECT	0x0010
/* more slots of the same packet follow; len is per fragment */
#define NS_MOREFRAG	0x0020
/* set by monitors on frames seen on the monitored port's tx side */
#define NS_TXMON	0x0040

/* VALE tx: a non-zero high byte names the destination port */
#define NS_PORT_SHIFT	8
#define NS_PORT_MASK	(0xff << NS_PORT_SHIFT)

/* VALE rx: the high byte holds the fragment count */
#define NS_RFRAGS(_slot)	(((_slot)->flags >> 8) & 0xff)

#define NETMAP_MAX_FRAGS	64	/* slots one packet may span */

/* ------------------------------------------------------------ rings */

/*
 * A ring.  Fields marked const are written by the kernel side only.
 *
 * TX: the application fills slots from head, then moves head (and cur)
 *     past them; the next txsync sends them and moves tail as slots are
 *     reclaimed.  cur may go beyond tail to wait until that many slots
 *     are free.
 * RX: [head, tail) hold received frames; moving head returns them; cur
 *     beyond head keeps them but sets the wake-up point.
 */
struct netmap_ring {
	const int64_t	buf_ofs;	/* buffer pool, relative to this ring */
	const uint32_t	num_slots;
	const uint32_t	nr_buf_size;
	const uint16_t	ringid;
	const uint16_t	dir;		/* 0 tx, 1 rx */

	uint32_t	head;		/* first slot owned by the application */
	uint32_t	cur;		/* wake-up point */
	uint32_t	tail;		/* first slot owned by the kernel side */

	uint32_t	flags;		/* NR_TIMESTAMP, NR_FORWARD */

	struct timeval	ts;		/* time of the last sync */

	/*
	 * With NETMAP_REQ_OPT_OFFSETS, slot->ptr & offset_mask is the data
	 * offset inside the buffer (0 mask otherwise); buf_align is the
	 * alignment tx packets must respect.
	 */
	const uint64_t	offset_mask;
	const uint64_t	buf_align;

	/* free for the application (a lock, per-ring state...) */
	uint8_t		sem[128] __attribute__((__aligned__(NM_CACHE_ALIGN)));

	struct netmap_slot slot[];	/* num_slots of them */
};

/* ring flags */
#define NR_TIMESTAMP	0x0002	/* stamp ts at every sync */
#define NR_FORWARD	0x0004	/* honour NS_FORWARD on this ring */

/*
 * No frame to read (rx) or no room to write (tx) in the application's
 * part of the ring.
 */
static inline int
nm_ring_empty(struct netmap_ring *ring)
{
	return ring->head == ring->tail;
}

/* ------------------------------------------------------- interface */

/*
 * One per bound descriptor, read-only for the application except
 * ni_bufs_head (the list of extra buffers to give back on close).
 */
struct netmap_if {
	char		ni_name[IFNAMSIZ];
	const uint32_t	ni_version;
	const uint32_t	ni_flags;
#define NI_PRIV_MEM	0x1	/* the port has a private region */

	const uint32_t	ni_tx_rings;	/* NIC (hardware) rings */
	const uint32_t	ni_rx_rings;

	/*
	 * Extra buffers: index of the first one, each buffer's first
	 * uint32_t links to the next, 0 ends the list.
	 */
	uint32_t	ni_bufs_head;
	const uint32_t	ni_host_tx_rings;
	const uint32_t	ni_host_rx_rings;
	uint32_t	ni_spare1[3];

	/* NIC tx, host tx, NIC rx, host rx; 0 for rings not bound here */
	const ssize_t	ring_ofs[];
};

/* The old NIOCREGIF/NIOCGINFO interface (struct nmreq), kept as netmap does. */
#include "netmap_legacy.h"

/* ---------------------------------------------- NIOCCTRL requests */

/*
 * Every request is a struct nmreq_header, whose nr_body points to the
 * struct for nr_reqtype and whose nr_options points to a linked list of
 * options.  Pointers travel as uint64_t so that 32-bit programs share the
 * layout.
 */

/* header + body + all options may not exceed this (else EMSGSIZE) */
#define NETMAP_REQ_MAXSIZE	4096

struct nmreq_option {
	uint64_t	nro_next;	/* next option, 0 ends the list */
	uint32_t	nro_reqtype;	/* NETMAP_REQ_OPT_* */
	uint32_t	nro_status;	/* (out) 0 if handled, else an errno */
	uint64_t	nro_size;	/* whole option size, variable ones only */
};

struct nmreq_header {
	uint16_t	nr_version;	/* NETMAP_API */
	uint16_t	nr_reqtype;	/* NETMAP_REQ_* */
	uint32_t	nr_reserved;	/* must be 0 */
#define NETMAP_REQ_IFNAMSIZ	64
	char		nr_name[NETMAP_REQ_IFNAMSIZ];	/* port name */
	uint64_t	nr_options;	/* first struct nmreq_option */
	uint64_t	nr_body;	/* struct nmreq_<type> */
};

/* nr_reqtype */
enum {
	NETMAP_REQ_REGISTER = 1,	/* bind a port to this descriptor */
	NETMAP_REQ_PORT_INFO_GET,	/* geometry of a port, no binding */
	NETMAP_REQ_VALE_ATTACH,		/* attach a port to a switch */
	NETMAP_REQ_VALE_DETACH,
	NETMAP_REQ_VALE_LIST,		/* enumerate switch ports */
	NETMAP_REQ_PORT_HDR_SET,	/* virtio-net header length */
	NETMAP_REQ_PORT_HDR_GET,
	NETMAP_REQ_VALE_NEWIF,		/* create a persistent VALE port */
	NETMAP_REQ_VALE_DELIF,
	NETMAP_REQ_VALE_POLLING_ENABLE,	/* polling threads on a port */
	NETMAP_REQ_VALE_POLLING_DISABLE,
	NETMAP_REQ_POOLS_INFO_GET,	/* pools of a memory region */
	NETMAP_REQ_SYNC_KLOOP_START,	/* in-kernel sync loop (CSB mode) */
	NETMAP_REQ_SYNC_KLOOP_STOP,
	NETMAP_REQ_CSB_ENABLE,		/* switch a binding to CSB mode */
};

/* nro_reqtype */
enum {
	NETMAP_REQ_OPT_EXTMEM = 1,	/* REGISTER in user-supplied memory */
	NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS,	/* eventfds for the kloop */
	NETMAP_REQ_OPT_CSB,		/* ring pointers in a user CSB */
	NETMAP_REQ_OPT_SYNC_KLOOP_MODE,	/* direct tx/rx in the kloop */
	NETMAP_REQ_OPT_OFFSETS,		/* per-slot data offsets */
	NETMAP_REQ_OPT_MAX,		/* first unknown option type */
};

/*
 * NETMAP_REQ_REGISTER.  Ring and slot counts are wishes on input (honoured
 * only by ports this request creates) and the real values on output.
 * nr_mem_id: 0 lets the system choose; the id used is returned.
 */
struct nmreq_register {
	uint64_t	nr_offset;	/* (out) netmap_if offset in the region */
	uint64_t	nr_memsize;	/* (out) region size */
	uint32_t	nr_tx_slots;
	uint32_t	nr_rx_slots;
	uint16_t	nr_tx_rings;
	uint16_t	nr_rx_rings;
	uint16_t	nr_host_tx_rings;
	uint16_t	nr_host_rx_rings;

	uint16_t	nr_mem_id;
	uint16_t	nr_ringid;	/* ring for the ONE_* modes */
	uint32_t	nr_mode;	/* NR_REG_* */
	uint32_t	nr_extra_bufs;	/* wanted / granted */

	uint64_t	nr_flags;	/* NR_* below */
/* monitor the rings chosen by nr_mode/nr_ringid (copy, or zero-copy) */
#define NR_MONITOR_TX		0x100
#define NR_MONITOR_RX		0x200
#define NR_ZCOPY_MON		0x400
/* nobody else may bind the chosen rings */
#define NR_EXCLUSIVE		0x800
/* 0x1000 is not used */
#define NR_RX_RINGS_ONLY	0x2000
#define NR_TX_RINGS_ONLY	0x4000
/* the application copes with frames carrying a virtio-net header */
#define NR_ACCEPT_VNET_HDR	0x8000
/* same meaning as NETMAP_DO_RX_POLL / NETMAP_NO_TX_POLL */
#define NR_DO_RX_POLL		0x10000
#define NR_NO_TX_POLL		0x20000
};

/* nmreq_register.nr_mode */
enum {
	NR_REG_DEFAULT		= 0,	/* legacy: decided by nr_ringid bits */
	NR_REG_ALL_NIC		= 1,
	NR_REG_SW		= 2,	/* all host rings */
	NR_REG_NIC_SW		= 3,
	NR_REG_ONE_NIC		= 4,	/* NIC ring pair nr_ringid */
	NR_REG_PIPE_MASTER	= 5,	/* legacy only, use "x{y" names */
	NR_REG_PIPE_SLAVE	= 6,	/* legacy only, use "x}y" names */
	NR_REG_NULL		= 7,	/* rings with no data path */
	NR_REG_ONE_SW		= 8,	/* host ring pair nr_ringid */
};

/*
 * One ioctl carries every request; the size in the number is that of the
 * header only, the rest is reached through its pointers.
 */
#define NIOCCTRL	_IOWR('i', 151, struct nmreq_header)

/* sync the rings bound to the descriptor; no argument, never blocks */
#define NIOCTXSYNC	_IO('i', 148)
#define NIOCRXSYNC	_IO('i', 149)

/* NETMAP_REQ_PORT_INFO_GET: may change before an actual registration */
struct nmreq_port_info_get {
	uint64_t	nr_memsize;
	uint32_t	nr_tx_slots;
	uint32_t	nr_rx_slots;
	uint16_t	nr_tx_rings;
	uint16_t	nr_rx_rings;
	uint16_t	nr_host_tx_rings;
	uint16_t	nr_host_rx_rings;
	uint16_t	nr_mem_id;	/* in/out */
	uint16_t	pad[3];
};

#define NM_BDG_NAME	"vale"	/* switch port names start with this */

/* NETMAP_REQ_VALE_ATTACH: nr_name is "valeX:port" */
struct nmreq_vale_attach {
	struct nmreq_register	reg;
	uint32_t		port_index;	/* (out) */
	uint32_t		pad1;
};

/* NETMAP_REQ_VALE_DETACH */
struct nmreq_vale_detach {
	uint32_t	port_index;	/* (out) */
	uint32_t	pad1;
};

/* NETMAP_REQ_VALE_LIST: a cursor over switches and their ports */
struct nmreq_vale_list {
	uint16_t	nr_bridge_idx;
	uint16_t	pad1;
	uint32_t	nr_port_idx;
};

/* NETMAP_REQ_PORT_HDR_SET / _GET */
struct nmreq_port_hdr {
	uint32_t	nr_hdr_len;
	uint32_t	pad1;
};

/* NETMAP_REQ_VALE_NEWIF */
struct nmreq_vale_newif {
	uint32_t	nr_tx_slots;
	uint32_t	nr_rx_slots;
	uint16_t	nr_tx_rings;
	uint16_t	nr_rx_rings;
	uint16_t	nr_mem_id;
	uint16_t	pad1;
};

/* NETMAP_REQ_VALE_POLLING_ENABLE / _DISABLE */
struct nmreq_vale_polling {
	uint32_t	nr_mode;
#define NETMAP_POLLING_MODE_SINGLE_CPU	1
#define NETMAP_POLLING_MODE_MULTI_CPU	2
	uint32_t	nr_first_cpu_id;
	uint32_t	nr_num_polling_cpus;
	uint32_t	pad1;
};

/* NETMAP_REQ_POOLS_INFO_GET (and the body of the extmem option) */
struct nmreq_pools_info {
	uint64_t	nr_memsize;
	uint16_t	nr_mem_id;	/* in/out */
	uint16_t	pad1[3];
	uint64_t	nr_if_pool_offset;
	uint32_t	nr_if_pool_objtotal;
	uint32_t	nr_if_pool_objsize;
	uint64_t	nr_ring_pool_offset;
	uint32_t	nr_ring_pool_objtotal;
	uint32_t	nr_ring_pool_objsize;
	uint64_t	nr_buf_pool_offset;
	uint32_t	nr_buf_pool_objtotal;
	uint32_t	nr_buf_pool_objsize;
};

/* NETMAP_REQ_SYNC_KLOOP_START: the call returns only after _STOP */
struct nmreq_sync_kloop_start {
	uint32_t	sleep_us;	/* idle sleep between iterations */
	uint32_t	pad1;
};

/* --------------------------------------------------------- CSB mode */

/* application -> kernel, one 64-byte line per ring */
struct nm_csb_atok {
	uint32_t	head;
	uint32_t	cur;
	uint32_t	appl_need_kick;	/* the application wants a kick */
	uint32_t	sync_flags;
	uint32_t	pad[12];
};

/* kernel -> application, one 64-byte line per ring */
struct nm_csb_ktoa {
	uint32_t	hwcur;
	uint32_t	hwtail;
	uint32_t	kern_need_kick;	/* the kernel side wants a kick */
	uint32_t	pad[13];
};

/*
 * Fences for the CSB protocol: a release fence orders earlier stores
 * before later ones, an acquire fence earlier loads before later ones.
 */
static inline void
nm_stst_barrier(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void
nm_ldld_barrier(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

/*
 * Publish new ring pointers to the kernel side.  cur is stored before
 * head: a reader may then see a cur newer than head (harmless, cur may
 * run ahead) but never a head newer than cur.
 */
static inline void
nm_sync_kloop_appl_write(struct nm_csb_atok *atok, uint32_t cur,
    uint32_t head)
{
	nm_stst_barrier();	/* slot contents before the pointers */
	atok->cur = cur;
	nm_stst_barrier();
	atok->head = head;
}

/*
 * Read the kernel side's pointers: hwtail first, so that it is never
 * newer than the hwcur read after it; then fence so that slot reads come
 * after both.
 */
static inline void
nm_sync_kloop_appl_read(struct nm_csb_ktoa *ktoa, uint32_t *hwtail,
    uint32_t *hwcur)
{
	*hwtail = ktoa->hwtail;
	nm_ldld_barrier();
	*hwcur = ktoa->hwcur;
	nm_ldld_barrier();
}

/* ---------------------------------------------------------- options */

/*
 * NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS: one entry per ring, in the order of
 * the CSB arrays; nro_size is the size of the whole option.  A negative
 * ioeventfd makes the loop sleep instead; a negative irqfd is never
 * signalled.
 */
struct nmreq_opt_sync_kloop_eventfds {
	struct nmreq_option	nro_opt;
	struct {
		int32_t	ioeventfd;	/* application -> kernel loop */
		int32_t	irqfd;		/* kernel loop -> application */
	} eventfds[];
};

/* NETMAP_REQ_OPT_SYNC_KLOOP_MODE */
struct nmreq_opt_sync_kloop_mode {
	struct nmreq_option	nro_opt;
#define NM_OPT_SYNC_KLOOP_DIRECT_TX	(1 << 0)
#define NM_OPT_SYNC_KLOOP_DIRECT_RX	(1 << 1)
	uint32_t		mode;
};

/* NETMAP_REQ_OPT_EXTMEM: lay the region out in the caller's memory */
struct nmreq_opt_extmem {
	struct nmreq_option	nro_opt;
	uint64_t		nro_usrptr;	/* base of the user memory */
	struct nmreq_pools_info	nro_info;	/* wanted / actual pools */
};

/* NETMAP_REQ_OPT_CSB: arrays of one entry per bound ring */
struct nmreq_opt_csb {
	struct nmreq_option	nro_opt;
	uint64_t		csb_atok;	/* struct nm_csb_atok[] */
	uint64_t		csb_ktoa;	/* struct nm_csb_ktoa[] */
};

/*
 * NETMAP_REQ_OPT_OFFSETS: the low nro_offset_bits of slot->ptr become a
 * data offset inside the buffer (see NETMAP_ROFFSET in netmap_user.h).
 */
struct nmreq_opt_offsets {
	struct nmreq_option	nro_opt;
	uint64_t		nro_max_offset;		/* largest offset used */
	uint64_t		nro_initial_offset;	/* written into every slot */
	uint32_t		nro_offset_bits;	/* 0: the whole field */
	uint32_t		nro_tx_align;		/* (out) tx alignment */
	uint64_t		nro_min_gap;		/* bytes reserved per slot */
};

#endif /* _NET_NETMAP_H_ */
