/*
 * unetmap_kern.h - the contracts between the library (the data path, in
 * every application) and unetmapd (the control half), in one place.
 *
 * netmap keeps its whole framework's state in the kernel.  We split it:
 *
 *   - A *region* (netmap's "allocator", identified by nr_mem_id) is one
 *     memfd.  Its first part is exactly what netmap maps into an
 *     application: a pool of netmap_if, a pool of netmap_ring, a pool of
 *     buffers, in that order, each page aligned, with netmap's layout
 *     rules (ring->buf_ofs is relative to the ring, buffers 0 and 1 are
 *     reserved).  nr_memsize ends there; an application's mmap() never
 *     reaches further.  After it comes the *kernel part*: a header and one
 *     struct unm_kring per ring object - the state netmap keeps in its
 *     kernel krings (hwcur, hwtail, what the peer published, who sleeps).
 *     The library maps the whole memfd once per process; unetmapd maps it
 *     too, to create rings and to free buffers when a port dies.
 *
 *   - A netmap *descriptor* is a connected SOCK_SEQPACKET socket to the
 *     daemon.  Its lifetime follows fork, dup and SCM_RIGHTS passing; the
 *     daemon sees the last close (or the crash) as a hang-up and releases
 *     everything the binding held.  Control requests travel on it; the
 *     data path never does.
 *
 *   - txsync/rxsync run in the caller (lib/core/sync.c) on shared memory.
 *     Whoever makes a ring's content visible to a sleeping party kicks the
 *     eventfd of that party's kring, but only if the sleeper raised
 *     need_kick first; a busy peer costs no system call.
 *
 * Trust: everything an application can write - its rings, its slots, and
 * (since it maps the region) any kring field - is validated before use by
 * the code that reads it.  Indices are range-checked, loops are bounded by
 * num_slots, and a corrupted peer at worst stops its own traffic.
 */
#ifndef UNETMAP_KERN_H
#define UNETMAP_KERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/netmap.h>

/* ------------------------------------------------------------- limits */

/* ring directions, as netmap_ring.dir numbers them */
enum { NR_TX = 0, NR_RX = 1 };

#define UNM_BUF_SIZE		2048u	/* netmap's default nr_buf_size */
#define UNM_PIPE_MAXRINGS	256u	/* per direction, as netmap */
#define UNM_PIPE_MAXSLOTS	4096u
#define UNM_DEFAULT_SLOTS	1024u
#define UNM_MAX_FRAGS		64u	/* NETMAP_MAX_FRAGS */
#define UNM_MAX_MONITORS	4u	/* per ring, as a kring records them */
#define UNM_MAX_BIND_RINGS	512u	/* rings one binding may hold */
/*
 * descriptors a binding's reply may carry: the region, then for each
 * ring its eventfd, its link's eventfd and up to 4 of the adapter's
 */
#define UNM_MAX_BIND_FDS	(1 + UNM_MAX_BIND_RINGS * 6)
#define UNM_PAGE		4096u

/* ------------------------------------------------------------- layout */

struct unm_pool {
	uint64_t ofs;		/* from the start of the region */
	uint32_t objsize;
	uint32_t num;
};

/*
 * Where everything of a region lies.  memsize is what applications map
 * (netmap's nr_memsize); kern_ofs == memsize; total is the memfd size.
 */
struct unm_layout {
	struct unm_pool ifp, ring, buf;
	uint64_t memsize;
	uint64_t kern_ofs;
	uint64_t total;
};

/* what a region is asked to hold; layout_compute() turns it into offsets */
struct unm_region_cfg {
	uint32_t if_num, if_size;
	uint32_t ring_num, ring_size;
	uint32_t buf_num, buf_size;
};

int unm_layout_compute(const struct unm_region_cfg *cfg, struct unm_layout *L);
/*
 * External memory (NETMAP_REQ_OPT_EXTMEM): the pools packed one after the
 * other from offset 0 of the application's memory, as netmap's
 * netmap_mem_ext_create lays them; the kernel part is a memfd of its own
 * (kern_ofs 0, total its size).  @cfg must have been checked
 * (unm_extmem_check).
 */
void unm_layout_extmem(const struct unm_region_cfg *cfg, struct unm_layout *L);
/*
 * netmap's rules for the pools of an external allocator (the private
 * allocators' limits of netmap_config_obj_allocator), on @pi in place:
 * zeros become netmap's defaults, sizes are rounded up to 64 bytes.
 * 0, or EINVAL with *what naming the bad field.
 */
int unm_extmem_check(struct nmreq_pools_info *pi, struct unm_region_cfg *cfg,
    const char **what);
/* the ring object size that holds @slots slots, as netmap rounds it */
uint32_t unm_ring_objsize(uint32_t slots);

#define UNM_REGION_MAGIC 0x756e6d52u /* "unmR" */
/* the pools live in the application's memory; the kernel part in a memfd of its own */
#define UNM_REGION_EXT 0x1

/* first thing of the kernel part: lets anyone who maps a region check it */
struct unm_region_hdr {
	uint32_t magic;
	uint16_t mem_id;
	uint16_t flags;		/* UNM_REGION_EXT */
	uint64_t uuid;		/* unique across daemon restarts */
	struct unm_layout layout;
};

/*
 * The kernel half of one ring, shared by every process that maps the
 * region.  Four cache lines (256 bytes, asserted below): what never
 * changes, what the ring's own syncs write, what the other side of a link
 * writes, and the monitors' list, which the daemon writes.
 */
struct unm_kring {
	/* -- fixed when the ring is created -- */
	uint32_t num_slots;
	uint16_t dir;		/* 0 tx, 1 rx (netmap's ring->dir) */
	uint16_t ringid;
	uint64_t ring_ofs;	/* of its netmap_ring, from the region start */
	uint32_t aux[2];	/* set by the adapter that made it (VALE: port index) */
	char port[40];		/* the port's name, for messages */

	/* -- written by this ring's syncs (the binding's thread) -- */
	_Alignas(64) uint32_t nr_hwcur;
	uint32_t nr_hwtail;
	uint32_t rhead, rcur, rtail;	/* last values accepted from the ring */
	uint32_t sync_errors;		/* re-initialisations */
	uint64_t frames, bytes;		/* tx: sent; rx: received */
	uint64_t drops;
	uint32_t sync_owner;		/* who runs a sync of it now (shared/identity.h); 0: none */
	uint32_t sync_again;		/* a sync was skipped meanwhile: the owner runs one more */

	/* -- written by the other side of a link -- */
	_Alignas(64) uint32_t pipe_tail;	/* what the peer published */
	uint32_t need_kick;	/* a sleeper waits on this ring's eventfd */
	uint32_t waiters;	/* how many sleep (more than one: short naps) */
	uint32_t lock;		/* producer holding it (shared/identity.h; multi-producer rings) */
	uint64_t lost;		/* frames a producer could not place (monitor rings) */

	/*
	 * -- written by the daemon, read by its syncs: the monitors' list,
	 * and the ring's data offsets (NETMAP_REQ_OPT_OFFSETS) --
	 */
	_Alignas(64) uint32_t mon_gen;	/* bumped whenever the list changes */
	uint32_t nmon;
	uint32_t mon_ring[UNM_MAX_MONITORS];	/* monitor rx rings, same region */
	uint16_t mon_flags[UNM_MAX_MONITORS];	/* UNM_MON_* */
	/*
	 * rx rings: where arrivals have been copied to each copy monitor,
	 * written under that monitor ring's lock by whoever copies (the
	 * ring's producer or its consumer); UINT32_MAX: nothing yet
	 */
	uint32_t mon_tail[UNM_MAX_MONITORS];
	/*
	 * Data offsets: the bits of slot->ptr that hold one (0: the ring has
	 * none), the largest one allowed, and where frames this ring receives
	 * from elsewhere (a switch, a NIC, a monitored ring) start.  Set at
	 * REGISTER as netmap's netmap_offsets_init sets them; readers check a
	 * slot's offset against the buffer size they hold privately too.
	 */
	uint64_t off_mask;
	uint32_t off_max;
	uint32_t off_init;
};

/* how a monitor sees a ring (mon_flags) */
#define UNM_MON_COPY	0x1	/* a copy, before the consumer (/t, /r) */
#define UNM_MON_ZCOPY	0x2	/* the buffer itself, after the consumer (/z) */

_Static_assert(sizeof(struct unm_kring) == 256, "kring is four cache lines");

/*
 * where the kring of ring object @idx lives, from the start of the kernel
 * part (which follows the pools in a region's memfd, or is a memfd of its
 * own for external memory)
 */
static inline uint64_t
unm_kring_kofs(uint32_t idx)
{
	return UNM_PAGE + (uint64_t)idx * sizeof(struct unm_kring);
}

static inline uint64_t
unm_ring_ofs(const struct unm_layout *L, uint32_t idx)
{
	return L->ring.ofs + (uint64_t)idx * L->ring.objsize;
}

/*
 * Where the data of slot @s of the ring whose kring is @k starts
 * (*@off), if the slot's offset and length fit: the offset no larger
 * than the ring's largest, offset + length within the buffer.  A ring
 * without offsets has offset 0 for every slot.
 */
static inline bool
unm_slot_off(const struct unm_kring *k, const struct netmap_slot *s, uint32_t buf_size,
    uint32_t *off)
{
	uint64_t o = s->ptr & __atomic_load_n(&k->off_mask, __ATOMIC_RELAXED);

	*off = (uint32_t)o;
	return o <= __atomic_load_n(&k->off_max, __ATOMIC_RELAXED) &&
	    o + s->len <= buf_size;
}

/* the offset frames arriving in @k's ring start at, if it leaves room in a buffer */
static inline uint32_t
unm_rx_off(const struct unm_kring *k, uint32_t buf_size)
{
	uint32_t o = __atomic_load_n(&k->off_init, __ATOMIC_RELAXED);

	return o < buf_size && o <= __atomic_load_n(&k->off_max, __ATOMIC_RELAXED) &&
	    (o & __atomic_load_n(&k->off_mask, __ATOMIC_RELAXED)) == o ? o : 0;
}

/* @s's offset bits (the ring's mask @mask) set to @off */
static inline void
unm_slot_set_off(struct netmap_slot *s, uint64_t mask, uint32_t off)
{
	if (mask)
		s->ptr = (s->ptr & ~mask) | (off & mask);
}

/* ring-index arithmetic on rings whose size need not be a power of two */
static inline uint32_t
unm_next(uint32_t i, uint32_t n)
{
	return i + 1 == n ? 0 : i + 1;
}

static inline uint32_t
unm_prev(uint32_t i, uint32_t n)
{
	return i == 0 ? n - 1 : i - 1;
}

/* distance going forward from a to b */
static inline uint32_t
unm_dist(uint32_t a, uint32_t b, uint32_t n)
{
	return b >= a ? b - a : b + n - a;
}

/* is x in the circular interval [a, b] ? */
static inline int
unm_between(uint32_t a, uint32_t x, uint32_t b, uint32_t n)
{
	return unm_dist(a, x, n) <= unm_dist(a, b, n);
}

/* ------------------------------------------------------ sync kinds */

/*
 * Which data-path code runs a ring.  The daemon names it in the binding
 * reply; the library looks it up in its table (lib/core/adapters.c).
 * Every port kind, with its files on both sides: docs/adapters.md.
 */
enum unm_sync_kind {
	UNM_SYNC_NONE = 0,
	UNM_SYNC_PIPE = 1,	/* lib/adapters/pipe.c */
	UNM_SYNC_NULL = 2,	/* lib/adapters/null.c */
	UNM_SYNC_VALE = 3,	/* lib/adapters/vale.c */
	UNM_SYNC_XSK = 4,	/* a NIC queue through AF_XDP (lib/adapters/nic/xsk.c) */
	UNM_SYNC_PACKET = 5,	/* a NIC queue through AF_PACKET, emulated mode (nic/packet.c) */
	UNM_SYNC_HOST = 6,	/* a NIC's host rings through its TAP (nic/host.c) */
	UNM_SYNC_MONITOR = 7,	/* lib/adapters/monitor.c */
	UNM_SYNC_MAX = 16
};

/* ------------------------------------------------------ wire protocol */

#define UNM_PROTO_MAGIC   0x756e6d50u /* "unmP" */
#define UNM_PROTO_VERSION 8	/* bump on any change of these structures (or of the kring) */
#define UNM_MSG_MAX       (64 * 1024)
#define UNM_FDS_PER_MSG   250	/* below the kernel's SCM_MAX_FD */
#define UNM_ERRMSG_MAX    256

enum unm_op {
	UNM_OP_CTRL = 1,	/* an NIOCCTRL request, already copied in */
	UNM_OP_ADOPT = 2,	/* "what is this descriptor bound to?" */
	UNM_OP_FDS = 3,		/* more descriptors of the previous reply */
	UNM_OP_HELLO = 4,	/* first message: may this process use the daemon? */
	UNM_OP_QUERY = 5,	/* a data path's question (struct unm_query) */
};

/*
 * A descriptor is authorised once, when it is opened (root, or the
 * daemon's own user).  Its binding then gets a secret (struct unm_bind's
 * cap) that authorises the data path's later questions (struct
 * unm_query's cap) on connections of their own, whoever the process has
 * become since: a program that drops privileges after opening its ports
 * keeps using them, as a netmap program keeps its /dev/netmap descriptor.
 */
#define UNM_CAP_BYTES 16

/*
 * UNM_OP_QUERY: what the data path of a port kind asks its control half
 * at run time.  Each type has one answer, a struct of the kind's shared
 * header, and descriptors as that struct says.
 */
enum unm_query_type {
	UNM_Q_VALE_PEERS = 1,	/* switch @name: where its ports live (struct vale_peers) */
	UNM_Q_VALE_PORT = 2,	/* port @name: which switch it is on (struct vale_attachment) */
	UNM_Q_MONITORS = 3,	/* ring @ring of region @mem_id: its monitors' eventfds
				   (uint32_t[UNM_MAX_MONITORS], the ring objects) */
};

struct unm_query {
	uint32_t type;		/* enum unm_query_type */
	uint16_t mem_id;
	uint16_t pad;
	uint32_t ring;
	uint32_t pad2;
	char name[64];
	uint8_t cap[UNM_CAP_BYTES];	/* the asking binding's (struct unm_bind) */
};

struct unm_msg {
	uint32_t magic;
	uint16_t version;
	uint16_t op;
	uint32_t len;		/* payload bytes after this header */
	int32_t error;		/* replies: 0 or a positive errno */
	uint32_t nfds;		/* descriptors attached to this message */
	uint32_t more_fds;	/* descriptors that follow in UNM_OP_FDS */
	char errmsg[UNM_ERRMSG_MAX];	/* replies: why, naming the port */
};

/*
 * UNM_OP_CTRL payload, both ways: the header, the body (its size fixed by
 * nr_reqtype), then every option as {u64 size; the option's bytes}.  In
 * the reply nro_next is meaningless; the library restores the user's.
 */
struct unm_ctrl {
	struct nmreq_header hdr;
	uint32_t body_size;
	uint32_t nopts;
	uint32_t has_bind;	/* reply: a struct unm_bind follows */
	uint32_t pad;
};

/* one ring a binding holds (or may kick) */
struct unm_bind_ring {
	uint32_t idx;		/* ring object index in the region */
	uint32_t link;		/* ring object this one feeds, or UINT32_MAX */
	uint16_t sync_kind;	/* enum unm_sync_kind */
	uint16_t dir;
	int16_t evfd;		/* index of this ring's eventfd in the fds */
	int16_t link_evfd;	/* of the linked ring's eventfd, or -1 */
	int16_t xfd;		/* first of the adapter's own descriptors, or -1 */
	uint16_t nxfd;		/* how many (an AF_XDP socket, a tap...) */
};

struct unm_bind {
	uint64_t region_uuid;
	uint64_t region_total;
	uint64_t memsize;
	uint64_t nifp_ofs;
	uint32_t reg_flags;	/* nr_flags of the registration */
	uint16_t mem_id;
	uint16_t nrings;	/* tx rings first, then rx */
	uint16_t ntx;
	uint16_t port_mode;	/* UNETMAP_MODE_* (include/unetmap.h): what a NIC got */
	uint16_t ext;		/* external memory: fds[1] is the kernel part */
	uint16_t pad;
	uint64_t ext_ofs;	/* external: where the pools start in fds[0] */
	uint64_t ext_len;	/* external: how much of fds[0] to map from there */
	uint8_t cap[UNM_CAP_BYTES];	/* authorises its queries (UNM_CAP_BYTES) */
	char port[NETMAP_REQ_IFNAMSIZ];
	struct unm_bind_ring rings[];
	/*
	 * fds: [0] the region memfd (external memory: the object behind the
	 * application's memory, then [1] the kernel part's memfd), then
	 * eventfds
	 */
};

/*
 * External memory: what the library found behind the application's
 * [usrptr, usrptr + memsize), sent with a REGISTER that carries
 * NETMAP_REQ_OPT_EXTMEM (lib/core/extmem.c, daemon/extmem.c).  The object
 * itself comes attached to the request when the library could open it;
 * otherwise the daemon opens /proc/<pid>/map_files/<start>-<end> of the
 * asker.  Either way it must be inode @ino of device @dev.
 */
#define NETMAP_REQ_OPT_UNETMAP_EXTMEM_SRC 0x7581

struct unm_opt_extmem_src {
	struct nmreq_option nro_opt;
	uint64_t dev, ino;	/* the backing object */
	uint64_t file_ofs;	/* where usrptr lies in it */
	uint64_t vma_start, vma_end;	/* the mapping that holds usrptr */
	uint32_t attached;	/* 1: the object is the request's second descriptor */
	uint32_t pad;
	char path[64];		/* for messages */
};

#endif /* UNETMAP_KERN_H */
