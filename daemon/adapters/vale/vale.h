/*
 * vale.h - the VALE switch's control half, whose files share this header:
 *
 *   switch.c  switches and their ports, the data path's questions
 *   ctl.c     the VALE_* requests (list, persistent ports, attach, detach,
 *             polling, counters); ctrl.c hands them over (vale_request)
 *   attach.c  network interfaces as switch ports, a persistent port on a
 *             second switch (netmap's bwrap), and their workers
 *   hostif.c  a switch's own interface (valectl -n), like bridge0
 *
 * The data half is lib/adapters/vale.c; what both see is shared/vale_shm.h.
 */
#ifndef UNETMAPD_VALE_H
#define UNETMAPD_VALE_H

#include "daemon/adapters/adapters.h"
#include "shared/vale_shm.h"

#define VALE_MAX_SWITCHES 64u	/* netmap's default is 8 */

struct vswitch {
	struct vswitch *next;
	uint32_t idx;			/* as VALE_LIST numbers switches */
	char name[VALE_NAME_MAX];
	uint64_t netns;			/* switches are per network namespace */
	int memfd;
	struct vale_shm *shm;
	struct port *ports[VALE_MAX_PORTS];
	int nports;
};

struct vport {
	struct vswitch *sw;		/* NULL: a persistent port on no switch */
	uint32_t idx;			/* its index on sw */
	bool persistent;		/* made by NEWIF, outlives its users */
	uint16_t hdr_len;		/* virtio-net header (PORT_HDR_SET), kept across attaches */
	char pname[VALE_NAME_MAX];	/* the part after "valeX:" */
	/*
	 * What netmap calls a persistent port (its netmap_if's ni_name): "v0",
	 * then "valeA:v0" once attached to valeA, kept after a detach until the
	 * next attach; "" for other ports (their port name)
	 */
	char nm_name[NETMAP_REQ_IFNAMSIZ];
};

extern struct vswitch *vale_by_idx[VALE_MAX_SWITCHES];

bool vale_ident(const char *s, size_t len, bool may_be_empty);
bool vale_printable(const char *s);
/* "valeX:Y" into its parts; @bad: the errno of a name netmap rejects (switch.c) */
int vale_parse(const char *name, char *sw, char *pname, int bad, struct ctrl_err *e);
struct vswitch *vale_switch_find(const char *name, uint64_t netns);
struct vswitch *vale_switch_new(const char *name, uint64_t netns, struct ctrl_err *e);
struct port *vale_switch_port(struct vswitch *s, const char *pname);
struct port *vale_persistent(const char *name);
/* @nhost: host ring pairs (only the interceptor has one) */
int vale_port_new(const char *name, const char *pname, bool persistent, uint32_t ntx,
    uint32_t nrx, uint32_t txslots, uint32_t rxslots, uint16_t nhost, uint16_t mem_id,
    struct port **out, struct ctrl_err *e);
void vale_port_free(struct port *p);
int vale_join(struct vswitch *s, struct port *p, struct ctrl_err *e);
void vale_leave(struct port *p);
void vale_mark_attach(struct port *p);

/*
 * attach.c: network interfaces (and their host stacks) as switch ports,
 * and persistent ports on a second switch, forwarded by worker processes
 * the daemon starts, watches and stops.  All act in the network namespace
 * of the asker of @cx.
 */
enum attach_kind {
	ATTACH_NIC,		/* valectl -a/-h of a network interface */
	ATTACH_HOSTIF,		/* the switch end of a switch's own interface (hostif.c) */
	ATTACH_WRAP,		/* a persistent port already on a switch, onto another */
};
/* @reg: the attach request's (NR_REG_NIC_SW: the host stack too) */
int attach_nic(const struct ctrl_ctx *cx, const char *sw, const char *ifname,
    const struct nmreq_register *reg, uint32_t *port_index);
/*
 * Persistent port @pname, on a switch already, as port @pname of switch
 * @sw too: netmap's bwrap, a patch cable between the two switches
 */
int attach_wrap(const struct ctrl_ctx *cx, const char *sw, const char *pname,
    const struct nmreq_register *reg, uint32_t *port_index);
/* -1: @pname on @sw is not an attached interface */
int attach_detach(const struct ctrl_ctx *cx, const char *sw, const char *pname,
    uint32_t *port_index);
int attach_polling(const struct ctrl_ctx *cx, const char *sw, const char *pname, bool on,
    const struct nmreq_vale_polling *req);
/* @ifname (of @kind) as port @pname of switch @sw, in the mode of @reg */
int attach_iface(const struct ctrl_ctx *cx, const char *sw, const char *ifname,
    const char *pname, const struct nmreq_register *reg, enum attach_kind kind,
    uint32_t *port_index);
/* the switch port of @sw's own interface (NULL: it has none) */
struct port *attach_hostif_port(const char *sw, uint64_t netns);
/* undoes the attachment whose switch port is @p: the interface goes back */
void attach_undo_port(struct port *p);
struct nmreq_unetmap_vale_stats;
/* what switch port @p forwards to and who moves its frames (VALE_STATS); nothing if no attachment */
void attach_describe(const struct port *p, struct nmreq_unetmap_vale_stats *st);

/* hostif.c: switch @sw's own interface, made; or removed (-1: it has none) */
int attach_hostif(const struct ctrl_ctx *cx, const char *sw);
int attach_hostif_del(const struct ctrl_ctx *cx, const char *sw);
/* hostif.c: the record of the pairs we made (for a successor after a crash) */
void hostif_record(uint64_t netns, const char *sw, bool add);

#endif
