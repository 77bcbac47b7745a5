/*
 * pending.c - answers for the port kinds this build does not have yet, so
 * a user gets "not supported yet" instead of "no such port".
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "daemon/unetmapd.h"

static int
pending_lookup(const struct client *asker, const char *name, struct nmreq_register *req, bool create,
    struct port **out, struct ctrl_err *e)
{
	return -1;
}

static int
pending_check_mode(struct port *p, uint32_t mode, struct ctrl_err *e)
{
	return EOPNOTSUPP;
}

static uint32_t
pending_link(struct port *p, int t, uint32_t i, struct port **lp)
{
	*lp = NULL;
	return UINT32_MAX;
}

static void
pending_idle(struct port *p)
{
}

const struct port_ops pending_port_ops = {
	.kind = "pending",
	.lookup = pending_lookup,
	.check_mode = pending_check_mode,
	.link = pending_link,
	.idle = pending_idle,
};
