/*
 * core.h - the library side of unetmap: what a netmap descriptor is inside
 * an application, and the data path that runs on it.
 *
 *   unm_dev      one netmap descriptor (an open file description: every fd
 *                that dup() or fork() made of it shares the object)
 *   unm_binding  what the descriptor registered: the rings it holds, in a
 *                region mapped once per process (unm_region_map)
 *   unm_kr       one ring of a binding: the netmap_ring the application
 *                sees, the shared kring, and the ring it feeds (link)
 *
 * Lifetimes: the fd table holds one reference per fd; callers that use a
 * dev take one more with unm_dev_get() and drop it with unm_dev_put().
 * Dev objects are never returned to malloc, so a lookup racing with a
 * close() touches valid memory and fails its "increment unless zero".
 */
#ifndef UNETMAP_CORE_H
#define UNETMAP_CORE_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "shared/log.h"
#include "shared/unetmap_kern.h"

/* ------------------------------------------------------------ regions */

struct unm_region_map {
	struct unm_region_map *next;
	uint64_t uuid;
	uint16_t mem_id;
	bool ext;		/* external memory (NETMAP_REQ_OPT_EXTMEM) */
	bool own_base;		/* base is our mapping (not the application's memory) */
	bool watched;		/* base is another process's external memory, watched for SIGBUS */
	int memfd;		/* kept open: applications mmap through it */
	int kfd;		/* external memory: the kernel part's memfd; else -1 */
	uint64_t pool_ofs;	/* where the pools start in memfd */
	uint64_t base_len;	/* external memory: length of our mapping at base */
	char *base;		/* the pools: the library's mapping of the memfd, or
				   the application's own memory where it registered */
	char *kbase;		/* the kernel part (struct unm_region_hdr, krings) */
	struct unm_layout L;
	int refs;		/* bindings of this process using it */
};

/* what the daemon says about a region, and its descriptors */
struct unm_region_src {
	uint64_t uuid;
	uint64_t total;		/* of the memfd, or of the kernel part's (external) */
	uint64_t memsize;
	int memfd;
	int kfd;		/* external memory: the kernel part; else -1 */
	uint64_t ext_ofs, ext_len;
	void *hint;		/* external memory: the application's own mapping, if ours */
};

/* maps (or finds) the region of @s; consumes its descriptors either way */
struct unm_region_map *unm_region_attach(const struct unm_region_src *s, int *err);

static inline struct unm_kring *
unm_rm_kring(const struct unm_region_map *rm, uint32_t idx)
{
	return (struct unm_kring *)(rm->kbase + unm_kring_kofs(idx));
}

static inline struct netmap_ring *
unm_rm_ring(const struct unm_region_map *rm, uint32_t idx)
{
	return (struct netmap_ring *)(rm->base + unm_ring_ofs(&rm->L, idx));
}
void unm_region_detach(struct unm_region_map *rm);

/* ------------------------------------------------------------ rings */

struct unm_kr;

/* one data-path kind (lib/adapters/), chosen per ring by the daemon */
struct unm_sync_ops {
	const char *name;
	/*
	 * Called after the core accepted the ring's head/cur into
	 * kring->rhead/rcur.  They move the ring: txsync sends
	 * [nr_hwcur, rhead) and updates nr_hwtail; rxsync releases
	 * [nr_hwcur, rhead) and publishes arrivals in nr_hwtail.  A bad
	 * slot makes them return -1 after setting nr_hwcur where the ring
	 * must restart; the core then re-initialises the ring.  A ring that
	 * cannot move at all (netmap's sync returning EIO) returns
	 * UNM_SYNC_EIO: nothing is reset, the ring stays as it is, and
	 * poll() reports POLLERR.
	 */
	int (*txsync)(struct unm_kr *kr);
	int (*rxsync)(struct unm_kr *kr);
	/*
	 * The txsync always fails (a monitor's tx ring): poll(POLLOUT) runs
	 * it, as netmap's does, instead of answering from the free slots.
	 */
	bool txsync_fails;
	/*
	 * Another process publishes this kind's rx frames in the kring's
	 * pipe_tail (pipes), and copies them to /r monitors as it does
	 * (unm_mon_peer_arrived): the consumer's own copy leaves alone what
	 * that process copied past the consumer's tail.
	 */
	bool rx_fed_by_peer;
	/*
	 * Optional: set up and tear down what the ring needs in this
	 * process (map an AF_XDP socket's rings...), from kr->xfd[].
	 * attach returns 0 or -errno.
	 */
	int (*attach)(struct unm_kr *kr);
	void (*detach)(struct unm_kr *kr);
	/*
	 * Optional: a ring the kernel feeds (an AF_XDP socket, a TAP) does
	 * not kick its eventfd: a sleeper waits on this descriptor too, for
	 * *events; -1 when there is nothing to wait for.
	 */
	int (*wait_fd)(struct unm_kr *kr, short *events);
};

#define UNM_SYNC_EIO (-2)

extern const struct unm_sync_ops *const unm_sync_table[UNM_SYNC_MAX];

struct unm_binding;

struct unm_kr {
	struct netmap_ring *ring;
	struct unm_kring *k;
	struct netmap_ring *lring;	/* the ring this one feeds, if any */
	struct unm_kring *lk;
	int evfd;			/* this ring's wake-up */
	int link_evfd;			/* the linked ring's, to kick its sleeper */
	uint32_t n;			/* num_slots, as the daemon made it */
	uint32_t nbufs;			/* valid buffer indices are [2, nbufs) */
	uint32_t buf_size;
	uint16_t dir;
	const struct unm_sync_ops *ops;
	struct unm_binding *b;
	int xfd[4];			/* the adapter's own descriptors */
	unsigned nxfd;
	void *priv;			/* the adapter's per-process state */
	void *mon;			/* monitors' eventfds (lib/core/monitor.c) */
	void *lmon;			/* those of the linked ring's monitors */
	bool attached;
	char name[80];			/* "port tx0", for messages */
};

struct unm_binding {
	struct unm_region_map *rm;
	struct netmap_if *nifp;
	uint64_t nifp_ofs;
	uint64_t memsize;
	uint32_t flags;			/* nr_flags of the registration */
	uint16_t mem_id;
	uint16_t ntx, nrx;
	struct unm_kr *kr;		/* ntx tx rings, then nrx rx rings */
	int *fds;			/* eventfds to close with the binding */
	unsigned nfds;
	uint16_t port_mode;		/* UNETMAP_MODE_* (include/unetmap.h) */
	bool tx_exchange;		/* unetmap_tx_exchange(): a switch may swap our tx buffers */
	uint8_t cap[UNM_CAP_BYTES];	/* the daemon's secret for our queries (unm_query) */
	char port[NETMAP_REQ_IFNAMSIZ];
	/*
	 * CSB mode (csb.c): set, the application drives the rings through
	 * these arrays in its memory (tx rings first, then rx), and only a
	 * sync loop (kloop.c) moves them; NIOC*SYNC and poll refuse.
	 */
	struct nm_csb_atok *csb_atok;
	struct nm_csb_ktoa *csb_ktoa;
	uint32_t kloop_state;		/* UNM_KLOOP_*, atomic */
	pid_t kloop_pid;		/* whose thread runs it: fork copies the state, not the thread */
	int kloop_evfd;			/* STOP wakes a sleeping loop through it; -1 until a START */
};

#define UNM_KLOOP_RUNNING	0x1u
#define UNM_KLOOP_STOPPING	0x2u

/* @ext_hint: where the application's own memory is, for a REGISTER with EXTMEM */
struct unm_binding *unm_binding_new(const struct unm_bind *bi, size_t len, int *fds,
    unsigned nfds, void *ext_hint, int *err);
void unm_binding_free(struct unm_binding *b);

/* ------------------------------------------------------------ CSB mode */

/* is @b in CSB mode (syncs and poll refuse, as netmap's do)? */
static inline bool
unm_csb_mode(const struct unm_binding *b)
{
	return __atomic_load_n(&b->csb_atok, __ATOMIC_ACQUIRE) != NULL;
}

/*
 * csb.c: NETMAP_REQ_OPT_CSB's arrays at @atok and @ktoa (application
 * addresses) checked and initialised from the rings, as
 * netmap_csb_validate; 0 or -errno, with a message naming the port
 */
int unm_csb_enable(struct unm_binding *b, uint64_t atok, uint64_t ktoa);

/* kloop.c: NETMAP_REQ_SYNC_KLOOP_START, in the calling thread until a STOP; 0 or -errno */
struct nmreq_option;
int unm_kloop_start(struct unm_binding *b, uint32_t sleep_us, struct nmreq_option **opts,
    uint32_t nopts);
/* NETMAP_REQ_SYNC_KLOOP_STOP: returns once the loop (if any) has ended */
int unm_kloop_stop(struct unm_binding *b);

/* ------------------------------------------------------------ data path */

/* NIOCTXSYNC / NIOCRXSYNC on every ring of the binding (never fail) */
void unm_txsync(struct unm_binding *b);
void unm_rxsync(struct unm_binding *b);
int unm_kr_txsync(struct unm_kr *kr);
int unm_kr_rxsync(struct unm_kr *kr);

/* frames of slots [from, to) to the ring's monitors (lib/core/monitor.c) */
void unm_mon_copy(struct unm_kr *kr, uint32_t from, uint32_t to);
void unm_mon_zcopy(struct unm_kr *kr, uint32_t from, uint32_t to);
/*
 * Frames [from, to) arrived in an rx ring: its copy monitors get those no
 * one has copied to them yet (the kring's mon_tail), whoever calls first:
 * the ring's consumer (unm_mon_arrived, in its rxsync) or, for a ring that
 * @kr feeds, its producer (unm_mon_peer_arrived, after publishing them).
 */
void unm_mon_arrived(struct unm_kr *kr, uint32_t from, uint32_t to);
void unm_mon_peer_arrived(struct unm_kr *kr, uint32_t from, uint32_t to);
void unm_mon_free(struct unm_kr *kr);

/* wake whoever sleeps on @k (its eventfd is @evfd); cheap when nobody does */
static inline void
unm_notify(struct unm_kring *k, int evfd)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&k->need_kick, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(&k->need_kick, 0, __ATOMIC_SEQ_CST)) {
		uint64_t one = 1;

		if (write(evfd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow in practice; nothing to do */
		}
	}
}

/* ------------------------------------------------------------ devices */

struct unm_dev {
	int refs;			/* atomic; 0 = free */
	pthread_mutex_t lock;		/* one control request at a time */
	struct unm_binding *bind;	/* set once, by REGISTER or adoption */
	struct unm_dev *free_next;
};

/* dev.c: the objects */
struct unm_dev *unm_dev_new(void);
bool unm_dev_tryget(struct unm_dev *d);		/* a reference, unless it is being freed */
void unm_dev_put(struct unm_dev *d);

/* fdtable.c: the fd table, one reference per fd */
int unm_fd_install(int fd, struct unm_dev *d);	/* consumes the reference */
struct unm_dev *unm_fd_remove(int fd);		/* returns the table's ref */
struct unm_dev *unm_fd_lookup(int fd);		/* no reference taken */
bool unm_fd_any(void);				/* any netmap fd at all? */
/* a reference if @fd is a netmap descriptor we know: for hot paths */
struct unm_dev *unm_dev_peek(int fd);

/* descriptor.c: a new connected descriptor (open("/dev/netmap")), or -1 and errno */
int unm_dev_open(int flags);
/* a reference if @fd is a netmap descriptor, adopting one we have not met */
struct unm_dev *unm_dev_get(int fd);
/* is @fd a connection to our daemon we have not met? then make it known */
struct unm_dev *unm_adopt(int fd);

/* ------------------------------------------------------------ control */

/* conn.c: a connection to unetmapd that passed HELLO (starting it if needed), or -errno */
int unm_daemon_connect(int flags);
/*
 * A name for our locks on the daemon's lives file (shared/identity.h), if
 * we have none yet: a process that only adopted descriptors (exec) never
 * said HELLO
 */
void unm_id_ensure(void);
/*
 * send @m + payload on a connection of its own with @fd attached (and
 * @extra_fd after it, unless -1); the reply into @rm/@rbuf/@fds
 */
int unm_request(int fd, int extra_fd, struct unm_dev *d, struct unm_msg *m, const void *payload,
    size_t len, struct unm_msg *rm, void *rbuf, size_t rcap, size_t *rlen, int *fds,
    unsigned maxfds, unsigned *nfds);
/*
 * A port kind's data path asks its control half (UNM_OP_QUERY), on the
 * authority of binding @b (its secret goes into @q)
 */
int unm_query(const struct unm_binding *b, struct unm_query *q, void *out, size_t cap,
    size_t *len, int *fds, unsigned maxfds, unsigned *nfds);

/* port_mode.c: UNETMAP_ADMODE and friends as our port-mode option; false when none is set */
struct nmreq_opt_unetmap_port_mode;
bool unm_env_port_mode(struct nmreq_opt_unetmap_port_mode *o);

int unm_ioctl_ctrl(int fd, struct unm_dev *d, void *arg);	/* NIOCCTRL */
int unm_ioctl_legacy(int fd, struct unm_dev *d, unsigned long cmd, void *arg);
int unm_ctrl_hdr(int fd, struct unm_dev *d, struct nmreq_header *hdr, void *body);

/* safe copies from and to application pointers: 0 or -EFAULT */
int unm_copy_in(void *dst, const void *usrc, size_t n);
int unm_copy_out(void *udst, const void *src, size_t n);

/* ------------------------------------------------------------ fork */

/*
 * fork() in a threaded program: the library's locks are taken before and
 * released after, in parent and child, so a child never inherits one held
 * by a thread that does not exist in it.  Each module handles its own.
 */
enum unm_fork_phase { UNM_FORK_PREPARE, UNM_FORK_PARENT, UNM_FORK_CHILD };
void unm_fdtable_atfork(enum unm_fork_phase ph);
void unm_devs_atfork(enum unm_fork_phase ph);
void unm_regions_atfork(enum unm_fork_phase ph);
void unm_epoll_atfork(enum unm_fork_phase ph);
void unm_adopt_atfork(enum unm_fork_phase ph);

/* ------------------------------------------------------------ waiting */

int unm_poll(struct pollfd *fds, unsigned long nfds, const struct timespec *timeout,
    const void *sigmask);
int unm_poll_spin_ns(void);
/* readiness of one descriptor for poll @events, running netmap's syncs */
short unm_dev_scan(struct unm_dev *d, short events);
/* which rings [from, to) of @b a sleeper on @events waits for */
void unm_wait_range(struct unm_binding *b, short events, unsigned *from, unsigned *to);
bool unm_wait_arm(struct unm_kr *kr);
/* @fd is being closed: drop it from the epoll sets we track (compat/epoll.c) */
void unm_epoll_forget(int fd);
void unm_wait_disarm(struct unm_kring *k);

#endif /* UNETMAP_CORE_H */
