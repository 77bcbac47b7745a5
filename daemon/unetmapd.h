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
 *   port     a netmap port: its rings in a region, its adapter (port.c)
 *   region   a memfd laid out as netmap lays an allocator (region.c)
 *
 * Adapters (daemon/adapters/) make ports of one kind behind struct port_ops;
 * the rest of the daemon never asks what kind a port is.
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
 * "return ctrl_fail(e, EINVAL, "...", ...)".
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
};

extern struct unm_region_cfg region_cfg_global, region_cfg_private;

struct region *region_find(uint16_t id);
struct region *region_global(struct ctrl_err *e);	/* id 1, made on first use */
/* a region asked for by id: 1 always exists (as netmap's global one), others may not */
struct region *region_by_id(uint16_t id, struct ctrl_err *e);
struct region *region_new_private(const struct unm_region_cfg *cfg, struct ctrl_err *e);
void region_ref(struct region *r);
void region_unref(struct region *r);
struct region *region_list(void);

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

struct port_ops {
	const char *kind;
	/*
	 * May this adapter make or find the port @name (register request
	 * @req)?  Returns 0 and *out when it did, -1 when the name is not of
	 * its kind (the next adapter is asked), or a positive errno with
	 * @e filled.  @create is false for lookups that must not leave a
	 * port behind (the caller drops what it got with port_release()).
	 */
	int (*lookup)(const struct client *asker, const char *name,
	    struct nmreq_register *req, bool create, struct port **out,
	    struct ctrl_err *e);
	/* may this port be bound in nr_mode @mode? 0 or an errno */
	int (*check_mode)(struct port *p, uint32_t mode, struct ctrl_err *e);
	/* ring @i of direction @t feeds which ring, and that ring's port */
	uint32_t (*link)(struct port *p, int t, uint32_t i, struct port **lp);
	/* the port has no bindings left and nobody holds it: may it go? */
	void (*idle)(struct port *p);

	/* optional hooks (NULL: nothing to do) */

	/* the data-path kind of ring @i of direction @t (default p->sync_kind) */
	uint16_t (*ring_kind)(struct port *p, int t, uint32_t i);
	/* descriptors the data path of that ring needs (an AF_XDP socket...) */
	unsigned (*ring_fds)(struct port *p, int t, uint32_t i, int *fds, unsigned max);
	/* a binding is made / released (e.g. take or give back an interface) */
	int (*bind)(struct port *p, struct binding *b, struct ctrl_err *e);
	void (*unbind)(struct port *p, struct binding *b);
	/*
	 * UNM_OP_ADAPTER: the data path of this kind asks something at run
	 * time; the answer goes in rp->bind (any blob) and rp->fds.
	 */
	int (*query)(const struct client *asker, const char *arg,
	    struct ctrl_reply *rp, struct ctrl_err *e);
	/* NIOCCTRL request types this kind answers (VALE_*): see ctrl.c */
	int (*request)(const struct client *asker, struct client *target,
	    struct ctrl_req *rq, struct ctrl_reply *rp, struct ctrl_err *e);
	/* housekeeping, about four times a second */
	void (*tick)(void);
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
	 * Set while a switch attachment owns the port (attach.c): only the
	 * daemon's own descriptors may bind it; others get EBUSY and this text.
	 */
	const char *claimed_by;
};

void port_add(struct port *p);
void port_remove(struct port *p);
struct port *port_find(const char *name);
struct port *port_list(void);
/* asks the adapters in turn; takes a hold the caller drops with port_release */
int port_lookup(const struct client *asker, const char *name,
    struct nmreq_register *req, bool create, struct port **out, struct ctrl_err *e);
void port_release(struct port *p);
/* every adapter's tick hook */
void ports_tick(void);
/* the adapter called @kind ("pipe", "vale"...), or NULL */
const struct port_ops *port_ops_by_kind(const char *kind);
/* allocates ring arrays and rings in p->reg; 0 or errno */
int port_make_rings(struct port *p, struct ctrl_err *e);
void port_free_rings(struct port *p);
/* every slot of the port's hardware rings gets a buffer; 0 or ENOMEM */
int port_fill_rings(struct port *p, struct ctrl_err *e);
/* frees the buffers the slots of its hardware rings name */
void port_free_bufs(struct port *p);
/* frees a port made by port_make_rings (not its buffers: the adapter does) */
void port_destroy(struct port *p);

extern const struct port_ops pipe_port_ops, null_port_ops, vale_port_ops, monitor_port_ops;
extern const struct port_ops nic_port_ops;	/* daemon/adapters/nic.c */

/* ------------------------------------------------------------ bindings */

struct client {
	int fd;
	uid_t uid;
	pid_t pid;
	uint64_t peer_ino;	/* inode of the client's end: the netmap descriptor */
	uint64_t netns;		/* inode of its network namespace, 0 if unknown */
	bool internal;		/* a descriptor the daemon made for itself (attach.c) */
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
};

/* the request handler: fills the reply; returns the reply's errno */
struct ctrl_req {
	struct nmreq_header hdr;
	void *body;
	uint32_t body_size;
	uint32_t nopts;
	struct nmreq_option **opts;	/* each with its body after it */
	uint32_t *opt_size;
};

struct ctrl_reply {
	struct unm_bind *bind;	/* set by REGISTER and ADOPT */
	size_t bind_size;
	int fds[UNM_MAX_BIND_FDS];	/* borrowed: the reply does not close them */
	unsigned nfds;
};

/* wire.c: the request out of a message, the reply into one (0 if too big) */
int ctrl_unpack(uint8_t *p, size_t len, struct ctrl_req *rq, struct ctrl_err *e);
size_t ctrl_pack(uint8_t *out, size_t cap, struct ctrl_req *rq, struct ctrl_reply *rp);
void ctrl_req_free(struct ctrl_req *rq);

/*
 * @asker sent the request (its pid, uid, network namespace count);
 * @target is the descriptor it is about (a REGISTER binds @target).
 */
int ctrl_handle(const struct client *asker, struct client *target, struct ctrl_req *rq,
    struct ctrl_reply *rp, struct ctrl_err *e);
int ctrl_adopt(struct client *c, struct ctrl_reply *rp, struct ctrl_err *e);
/* the request being handled (the daemon is single-threaded), for adapters' options */
extern struct ctrl_req *ctrl_current;
extern const struct client *ctrl_asker;
struct nmreq_option *ctrl_option(uint32_t type, size_t size);
void binding_release(struct binding *b);

/* ------------------------------------------------------------ daemon */

struct daemon_cfg {
	const char *socket_path;
	bool autostart;		/* detach, exit when idle */
	int idle_exit_ms;
	bool foreground;
	const char *log_path;
	bool nic;		/* may take network interfaces (main.c; off in fuzzers and unit tests) */
	unsigned admode;	/* UNETMAP_ADMODE_* for requests that do not say */
};

extern struct daemon_cfg dcfg;
/* sockdiag.c: the inode of the other end of connected UNIX socket @fd */
int unix_peer_inode(int fd, uint64_t *peer);
/* the same for a client of another network namespace (pid: the client) */
int unix_peer_inode_ns(int fd, pid_t pid, uint64_t *peer);
int clients_count(void);
bool daemon_has_state(void);	/* anything that must outlive the clients */

/* client.c: the daemon's own netmap descriptors (@app_fd: the application end) */
struct ev_loop;
void clients_init(struct ev_loop *l, int lfd);
struct client *client_internal_new(uint64_t netns, int *app_fd, struct ctrl_err *e);
void client_internal_free(struct client *c);

/*
 * attach.c: network interfaces (and their host stacks) as switch ports,
 * forwarded by worker processes the daemon starts, watches and stops.
 */
struct vswitch;
int attach_nic(const struct client *asker, const char *sw, const char *ifname, bool host,
    uint32_t *port_index, struct ctrl_err *e);
/* -1: @pname on @sw is not an attached interface */
int attach_detach(const struct client *asker, const char *sw, const char *pname,
    uint32_t *port_index, struct ctrl_err *e);
int attach_polling(const struct client *asker, const char *sw, const char *pname, bool on,
    const struct nmreq_vale_polling *req, struct ctrl_err *e);
/* switch @sw's own interface (like bridge0): made, or removed (-1: it has none) */
int attach_hostif(const struct client *asker, const char *sw, struct ctrl_err *e);
int attach_hostif_del(const struct client *asker, const char *sw, struct ctrl_err *e);
void attach_tick(void);
void attach_stop_all(void);

#endif /* UNETMAPD_H */
