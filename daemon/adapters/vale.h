/*
 * vale.h - what the two halves of the VALE control code share:
 * vale.c (ports, switches, the data path's questions) and vale_ctl.c
 * (the VALE_* requests: list, persistent ports, attach, detach, counters).
 */
#ifndef UNETMAPD_VALE_H
#define UNETMAPD_VALE_H

#include "daemon/unetmapd.h"
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
	char pname[VALE_NAME_MAX];	/* the part after "valeX:" */
};

extern struct vswitch *vale_by_idx[VALE_MAX_SWITCHES];

bool vale_ident(const char *s, size_t len, bool may_be_empty);
int vale_parse(const char *name, char *sw, char *pname, struct ctrl_err *e);
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
int vale_request(const struct client *asker, struct client *target, struct ctrl_req *rq,
    struct ctrl_reply *rp, struct ctrl_err *e);

#endif
