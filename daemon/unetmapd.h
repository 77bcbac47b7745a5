/*
 * unetmapd.h - the daemon's objects and the contracts between its parts.
 *
 * The daemon is single-threaded: one event loop (event.c) serves every
 * connection, and a request runs to completion before the next one.  So
 * nothing here is locked.  What the data path shares with applications
 * lives in regions (region.c); everything else is daemon memory.
 *
 *   client   one connected netmap descriptor (client.c)
 *   binding  what a client registered: a port and a set of its rings
 *            (register.c)
 *   port     a netmap port: its rings in a region, its adapter (port.c)
 *   region   a memfd laid out as netmap lays an allocator (region.c)
 *   request  an NIOCCTRL request being served, with its context (ctrl.c)
 *
 * Adapters (daemon/adapters/) make ports of one kind behind struct port_ops;
 * kinds.c lists them, and the rest of the daemon never asks what kind a
 * port is.  docs/adapters.md maps every kind to its files on both sides.
 */
#ifndef UNETMAPD_H
#define UNETMAPD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/log.h"
#include "shared/unetmap_kern.h"

#define NR_DIRS 2	/* NR_TX 0, NR_RX 1 */

/* ------------------------------------------------------------ errors */

/*
 * Every failed request carries an errno and a sentence for the user;
 * ctrl_fail() fills both and returns the errno, so call sites read
 * "return ctrl_fail(e, EINVAL, "...", ...)" (error.c).
 */
struct ctrl_err {
	char msg[UNM_ERRMSG_MAX];
};
int ctrl_fail(struct ctrl_err *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------ regions */

struct region {
	struct region *next;
	uint16_t id;
	bool priv;		/* private (NI_PRIV_MEM), dies with its last user */
	int refs;		/* ports and parents living in it */
	uint64_t uuid;
	int memfd;
	char *base;		/* the daemon's own mapping of the whole memfd */
	struct unm_layout L;
	uint8_t *if_used;	/* one byte per object */
	uint8_t *ring_used;
	uint64_t *buf_map;	/* one bit per buffer, set = allocated */
	uint32_t buf_free;
	uint32_t buf_hint;
	int *ring_evfd;		/* eventfd of each ring object, -1 when free */
	bool owned;		/* private: owner set by its first registration */
	uid_t owner;		/* who may use it (client.c's policy for group members) */
	/*
	 * External memory (NETMAP_REQ_OPT_EXTMEM, extmem.c): the pools are in
	 * the application's object (memfd above, mapped from ext_ofs, ext_len
	 * bytes), the kernel part in a memfd of its own (kfd, at kbase).
	 */
	bool ext;
	int kfd;
	char *kbase;		/* the kernel part: struct unm_region_hdr, then krings */
	uint64_t ext_dev, ext_ino, ext_ofs, ext_len;
};

extern struct unm_region_cfg region_cfg_global, region_cfg_private;

struct region *region_find(uint16_t id);
struct region *region_global(struct ctrl_err *e);	/* id 1, made on first use */
/* a region asked for by id: 1 always exists (as netmap's global one), others may not */
struct region *region_by_id(uint16_t id, struct ctrl_err *e);
struct region *region_new_private(const struct unm_region_cfg *cfg, struct ctrl_err *e);
/*
 * a private region whose pools lie in external memory: object @fd (dup'ed),
 * @len bytes from @ofs, laid out as @cfg asks (unm_layout_extmem)
 */
struct region *region_new_ext(const struct unm_region_cfg *cfg, int fd, uint64_t ofs,
    uint64_t len, struct ctrl_err *e);
/* the region already made of those bytes of that object (netmap_mem_ext_search) */
struct region *region_find_ext(uint64_t dev, uint64_t ino, uint64_t ofs, uint64_t len);
void region_ref(struct region *r);
void region_unref(struct region *r);
struct region *region_list(void);
/* region_cfg_* changed: an idle global region goes, to be made again with them */
void region_config_changed(void);

/* one ring: a netmap_ring, its kring and its eventfd; returns the object index */
int region_ring_new(struct region *r, uint32_t slots, int dir, int ringid,
    const char *port, struct ctrl_err *e);
void region_ring_free(struct region *r, uint32_t idx);
/* gives each slot of a ring its own buffer (false: the region ran out) */
bool region_ring_fill(struct region *r, uint32_t idx);
/* frees the buffers a ring's slots name (freeing is idempotent) */
void region_ring_free_bufs(struct region *r, uint32_t idx);
struct netmap_ring *region_ring(struct region *r, uint32_t idx);
struct unm_kring *region_kring(struct region *r, uint32_t idx);

int region_if_new(struct region *r, size_t size, struct ctrl_err *e);
void region_if_free(struct region *r, uint32_t idx);
struct netmap_if *region_if(struct region *r, uint32_t idx);

/* buffers: 0 when none is left; freeing a free or reserved one is refused */
uint32_t region_buf_alloc(struct region *r);
bool region_buf_free(struct region *r, uint32_t idx);
bool region_buf_valid(const struct region *r, uint32_t idx);
char *region_buf(struct region *r, uint32_t idx);
/* frees the list an application left at ni_bufs_head; returns how many */
uint32_t region_buf_free_list(struct region *r, uint32_t head);

/* ------------------------------------------------------------ ports */

struct port;
struct binding;
struct client;
struct ctrl_reply;
struct ctrl_req;

/*
 * A request being served: who sent it, the descriptor it is about, the
 * request with its options, the reply being built, and where the error
 * goes.  Everything that serves a request gets it as an argument; the
 * daemon's own registrations (a switch taking an interface) make a context
 * of their own.  Nothing about the current request is global.
 */
struct ctrl_ctx {
	const struct client *asker;	/* its pid, uid, network namespace */
	struct client *target;		/* the descriptor (a REGISTER binds it) */
	struct ctrl_req *rq;		/* NULL for a data path's query */
	struct ctrl_reply *rp;
	struct ctrl_err *e;
};

struct port_ops {
	const char *kind;
	/*
	 * May this adapter make or find the port @name (register request
	 * @req, on behalf of @cx)?  Returns 0 and *out when it did, -1 when
	 * the name is not of its kind (the next adapter is asked), or a
	 * positive errno with cx->e filled.  @create is false for lookups
	 * that must not leave a port behind (the caller drops what it got
	 * with port_release()).
	 */
	int (*lookup)(const struct ctrl_ctx *cx, const char *name,
	    struct nmreq_register *req, bool create, struct port **out);
	/* may this port be bound in nr_mode @mode? 0 or an errno */
	int (*check_mode)(struct port *p, uint32_t mode, struct ctrl_err *e);
	/* ring @i of direction @t feeds which ring, and that ring's port */
	uint32_t (*link)(struct port *p, int t, uint32_t i, struct port **lp);
	/* the port has no bindings left and nobody holds it: may it go? */
	void (*idle)(struct port *p);

	/* optional hooks (NULL: nothing to do) */

	/* the data-path kind of ring @i of direction @t (default p->sync_kind) */
	uint16_t (*ring_kind)(struct port *p, int t, uint32_t i);
	/* the name a binding's netmap_if carries (default: p->name) */
	const char *(*nifp_name)(struct port *p);
	/* descriptors the data path of that ring needs (an AF_XDP socket...) */
	unsigned (*ring_fds)(struct port *p, int t, uint32_t i, int *fds, unsigned max);
	/*
	 * May binding @b of this port use data offsets (NETMAP_REQ_OPT_OFFSETS;
	 * netmap's NAF_OFFSETS)?  NULL: never.
	 */
	bool (*offsets)(struct port *p, const struct binding *b);
	/* a binding is made / released (e.g. take or give back an interface) */
	int (*bind)(const struct ctrl_ctx *cx, struct port *p, struct binding *b);
	void (*unbind)(struct port *p, struct binding *b);
	/*
	 * UNM_OP_QUERY: the data path of this kind asks something at run
	 * time (@queries: the bit 1 << type of each enum unm_query_type it
	 * answers); the answer goes in cx->rp->data and cx->rp->fds.
	 */
	uint32_t queries;
	int (*query)(const struct ctrl_ctx *cx, const struct unm_query *q);
	/*
	 * The virtio-net header length of the port (PORT_HDR_GET/SET): @len
	 * -1 asks (returns it), else sets it (returns 0 or an errno).  NULL:
	 * the kind carries none (SET is ENXIO, as netmap answers).
	 */
	int (*vnet_hdr)(struct port *p, int len, struct ctrl_err *e);
	/* housekeeping, about four times a second */
	void (*tick)(void);
	/*
	 * The daemon is stopping (SIGTERM): give back what must not outlive
	 * it (an interface).  Everything else stays with the clients that map
	 * it and keeps working, as after a crash of the daemon.
	 */
	void (*stop)(struct port *p);
};

struct port {
	struct port *next;
	char name[NETMAP_REQ_IFNAMSIZ];
	const struct port_ops *ops;
	void *priv;
	struct region *reg;
	uint16_t sync_kind;
	uint16_t nrings[NR_DIRS];	/* hardware (NIC-like) rings */
	uint16_t nhost[NR_DIRS];	/* host rings, after the hardware ones */
	uint32_t nslots[NR_DIRS];
	uint32_t *ring_idx[NR_DIRS];	/* ring objects, hw then host */
	uint16_t *ring_users[NR_DIRS];	/* bindings holding each ring */
	uint8_t *ring_excl[NR_DIRS];	/* held with NR_EXCLUSIVE */
	int nbind;
	int holds;			/* requests in flight using it */
	uint16_t mode;			/* UNETMAP_MODE_* an interface got; 0: software port */
	/*
	 * Set while a switch attachment owns the port (adapters/vale/attach.c): only the
	 * daemon's own descriptors may bind it; others get EBUSY and this text.
	 */
	const char *claimed_by;
};

void port_add(struct port *p);
void port_remove(struct port *p);
struct port *port_find(const char *name);
struct port *port_list(void);
void port_release(struct port *p);
/* allocates ring arrays and rings in p->reg; 0 or errno */
int port_make_rings(struct port *p, struct ctrl_err *e);
void port_free_rings(struct port *p);
/* every slot of the port's hardware rings gets a buffer; 0 or ENOMEM */
int port_fill_rings(struct port *p, struct ctrl_err *e);
/* frees the buffers the slots of its hardware rings name */
void port_free_bufs(struct port *p);
/* frees a port made by port_make_rings (not its buffers: the adapter does) */
void port_destroy(struct port *p);

/* kinds.c: the port kinds.  Asks the adapters in turn; takes a hold the caller drops with port_release */
int port_lookup(const struct ctrl_ctx *cx, const char *name, struct nmreq_register *req,
    bool create, struct port **out);
/* every adapter's tick hook */
void ports_tick(void);
/* every port's stop hook, as the daemon stops */
void ports_stop(void);
/* the adapter that answers data-path query @type, or NULL */
const struct port_ops *port_ops_for_query(uint32_t type);

/* ------------------------------------------------------------ bindings */

struct client {
	int fd;
	uid_t uid;
	pid_t pid;
	uint64_t peer_ino;	/* inode of the client's end: the netmap descriptor */
	uint64_t netns;		/* inode of its network namespace, 0 if unknown */
	bool internal;		/* a descriptor the daemon made for itself (vale/attach.c) */
	bool guest;		/* a user who may not open ports: one request on the
				   authority of a descriptor or binding (UNM_CAP_BYTES) */
	bool member;		/* not root nor our user: a member of group "netmap" */
	uint64_t since_ms;	/* accepted then (guests are hung up on after GUEST_MS) */
	bool net_caps;		/* it had CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF (or
				   CAP_SYS_ADMIN) when it connected: it may take interfaces */
	struct binding *b;
	struct client *next;
};

struct binding {
	struct client *cl;
	struct port *port;
	uint32_t mode;
	uint16_t ringid;
	uint64_t flags;		/* nr_flags */
	uint16_t first[NR_DIRS], last[NR_DIRS];	/* [first, last) in ring arrays */
	int nifp;		/* if object index */
	uint32_t extra_bufs;
	uint8_t cap[UNM_CAP_BYTES];	/* authorises its data path's queries */
};

/* the request handler: fills the reply; returns the reply's errno */
struct ctrl_req {
	struct nmreq_header hdr;
	void *body;
	uint32_t body_size;
	uint32_t nopts;
	struct nmreq_option **opts;	/* each with its body after it */
	uint32_t *opt_size;
	int ext_fd;		/* external memory's object, attached by the library; or -1 */
	pid_t pid;		/* who sent it (its connection's SO_PEERCRED; a guest's own) */
};

struct ctrl_reply {
	struct unm_bind *bind;	/* set by REGISTER and ADOPT */
	size_t bind_size;
	void *data;		/* a query's answer (the adapter's own struct) */
	size_t data_size;
	int fds[UNM_MAX_BIND_FDS];	/* borrowed: the reply does not close them */
	unsigned nfds;
};

/* wire.c: the request out of a message, the reply into one (0 if too big) */
int ctrl_unpack(uint8_t *p, size_t len, struct ctrl_req *rq, struct ctrl_err *e);
size_t ctrl_pack(uint8_t *out, size_t cap, struct ctrl_req *rq, struct ctrl_reply *rp);
void ctrl_req_free(struct ctrl_req *rq);

/* ctrl.c: serves cx->rq, fills cx->rp; returns the reply's errno */
int ctrl_handle(const struct ctrl_ctx *cx);
/*
 * options.c: netmap's option rules for a request type that consumes the
 * option types in @consumes (0-terminated)
 */
int ctrl_options_check(const struct ctrl_ctx *cx, const uint32_t *consumes);
/* the option of @type in the request, if it has one of at least @size bytes */
struct nmreq_option *ctrl_option(const struct ctrl_ctx *cx, uint32_t type, size_t size);

/*
 * extmem.c: the region of a REGISTER's NETMAP_REQ_OPT_EXTMEM (made, or
 * found when the same memory was given before), in *out; NULL without the
 * option.  0 or an errno, the option's status set as netmap sets it.
 */
int extmem_region(const struct ctrl_ctx *cx, struct region **out);

/* register.c: REGISTER binds cx->target; ADOPT tells what @c is bound to */
int ctrl_register(const struct ctrl_ctx *cx);
int ctrl_adopt(struct client *c, struct ctrl_reply *rp, struct ctrl_err *e);
void binding_release(struct binding *b);

/*
 * offsets.c: NETMAP_REQ_OPT_OFFSETS, checked before anything of the
 * registration is made, applied once it has succeeded
 */
struct offsets_plan {
	struct nmreq_opt_offsets *opt;	/* NULL: the request has none */
	uint64_t mask, max, initial;
};
int offsets_check(const struct ctrl_ctx *cx, struct port *p, const struct binding *b,
    struct offsets_plan *pl);
void offsets_apply(struct port *p, const struct binding *b, const struct offsets_plan *pl);
/* port_ops->offsets of kinds whose every data path honours offsets */
bool offsets_always(struct port *p, const struct binding *b);
/* the port's last binding went: its rings carry no offsets any more */
void offsets_forget(struct port *p);

/* ------------------------------------------------------------ daemon */

struct daemon_cfg {
	const char *socket_path;
	bool autostart;		/* detach, exit when idle */
	int idle_exit_ms;
	bool foreground;
	const char *log_path;
	bool nic;		/* may take network interfaces (main.c; off in fuzzers and unit tests) */
	unsigned admode;	/* UNETMAP_ADMODE_* for requests that do not say */
	uint32_t generic_ringsize;	/* slots of an interface's rings (params.c) */
};

extern struct daemon_cfg dcfg;	/* config.c: the defaults, main.c: the command line */

/* params.c: netmap's tunables (buf_size ...) */
struct nmreq_unetmap_param;
void params_init(void);			/* the defaults, as they are at start */
int params_set(const char *name, const char *value, struct ctrl_err *e);
int params_no_such(const char *name, struct ctrl_err *e);	/* ENOENT, and why */
int params_get(unsigned idx, const char *name, struct nmreq_unetmap_param *out);
unsigned params_count(void);
int params_load(const char *path, bool must_exist);	/* the config file */
#define UNETMAPD_CONF "/etc/unetmap/unetmapd.conf"
/*
 * netns.c: the network namespace of process @pid (an fd, and its inode in
 * *ino); entering one and coming back (nested calls are counted)
 */
int netns_open(pid_t pid, uint64_t *ino);
uint64_t netns_self(void);		/* the daemon's own namespace */
int netns_find(uint64_t ino);		/* namespace @ino (a process's, or named), or -errno */
int netns_enter(int nsfd);
void netns_leave(void);
/* sockdiag.c: the inode of the other end of connected UNIX socket @fd */
int unix_peer_inode(int fd, uint64_t *peer);
/* the same for a client of another network namespace (pid: the client) */
int unix_peer_inode_ns(int fd, pid_t pid, uint64_t *peer);
int clients_count(void);
/* every tick: guests that said nothing for a while hung up on (their slots are few) */
void clients_tick(void);
/*
 * May @c take network interfaces (root, our user, or a group member with
 * the capabilities the kernel wants for XDP and raw sockets)?  And may it
 * bind port @p, whose memory it will map?  0, or a positive errno with
 * @e filled, naming @name.
 */
bool client_may_take_interfaces(const struct client *c);
int client_may_map(const struct client *c, const char *name, struct region *r,
    struct ctrl_err *e);
/* may @c map region @r (a VALE peer's)?  Group members see only their own */
bool client_may_see(const struct client *c, const struct region *r);
/* the pids (as the daemon sees them) of the clients bound to @p; how many there are */
int client_pids_of(const struct port *p, pid_t *pids, int max);
bool daemon_has_state(void);	/* anything that must outlive the clients */

/*
 * worker.c: processes the daemon starts and watches (a switch's forwarding
 * netmap-bridge...).  A worker that dies is started again, later and
 * later; one that keeps dying is given up on.
 */
struct worker {
	pid_t pid;			/* 0: not running */
	uint64_t started_ms, restart_at_ms;
	int quick_fails;
	unsigned restarts;		/* deaths it was started again after */
};
#define WORKER_MAX_FDS 128	/* descriptors one worker may be given */
/*
 * Runs our program @prog (found beside unetmapd, in ../bin, or on PATH;
 * $UNETMAPD_<PROG> overrides) with @argv (argv[0] included, NULL-ended)
 * in network namespace @nsfd (-1: ours), with @fds[i] as its descriptor
 * 3 + i.  False when it could not be started (a retry is planned).
 */
bool worker_start(struct worker *w, const char *prog, char *const argv[], int nsfd,
    const int *fds, unsigned n);
void worker_signal(struct worker *w);		/* SIGTERM, no waiting */
/* waits until @deadline_ms for it to go, then kills it */
void worker_reap(struct worker *w, uint64_t deadline_ms);
void worker_stop(struct worker *w);		/* both, with the usual grace */
uint64_t worker_stop_deadline(void);		/* now + that grace */
/* did @w die by itself?  Says so and plans the restart; true: give up */
bool worker_died(struct worker *w, const char *what);
/* not running, and its restart is due */
bool worker_due(const struct worker *w);

/* client.c: the daemon's own netmap descriptors (@app_fd: the application end) */
struct ev_loop;
void clients_init(struct ev_loop *l, int lfd);
/* the listening socket's handler (an ev_fn) */
void client_accept(struct ev_loop *l, int lfd, uint32_t events, void *arg);
struct client *client_internal_new(uint64_t netns, int *app_fd, struct ctrl_err *e);
void client_internal_free(struct client *c);

/* the VALE requests (daemon/adapters/vale/ctl.c), called by ctrl.c */
int vale_request(const struct ctrl_ctx *cx);
/* housekeeping of switches' workers (daemon/adapters/vale/attach.c) */
void attach_tick(void);
void attach_stop_all(void);
/* at start: the switch interfaces a daemon on our socket made and left by dying, removed */
void hostif_reap_stale(void);

#endif /* UNETMAPD_H */
