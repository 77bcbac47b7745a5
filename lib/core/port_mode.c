/*
 * port_mode.c - what a NIC port got (include/unetmap.h), and the port-mode
 * option from the environment (UNETMAP_ADMODE, UNETMAP_FORCE,
 * UNETMAP_FIX_OFFLOADS), so that programs built for netmap, which know
 * nothing of it, can still ask.  Also the per-descriptor switch: buffer
 * exchange on VALE switches (unetmap_tx_exchange).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "unetmap.h"

const char *
unetmap_mode_name(unsigned mode)
{
	switch (mode) {
	case UNETMAP_MODE_SOFTWARE: return "software";
	case UNETMAP_MODE_ZEROCOPY: return "zero-copy";
	case UNETMAP_MODE_NATIVE: return "native";
	case UNETMAP_MODE_GENERIC: return "generic";
	case UNETMAP_MODE_EMULATED: return "emulated";
	default: return "none";
	}
}

int
unetmap_port_mode(int fd)
{
	struct unm_dev *d = unm_dev_get(fd);
	int mode;

	if (!d) {
		errno = EBADF;
		return -1;
	}
	mode = d->bind ? d->bind->port_mode : UNETMAP_MODE_NONE;
	unm_dev_put(d);
	return mode;
}

int
unetmap_tx_exchange(int fd, int on)
{
	struct unm_dev *d = unm_dev_get(fd);
	int r = 0;

	if (!d) {
		errno = EBADF;
		return -1;
	}
	if (d->bind)
		__atomic_store_n(&d->bind->tx_exchange, on != 0, __ATOMIC_RELAXED);
	else
		r = -1;
	unm_dev_put(d);
	if (r)
		errno = ENXIO;
	return r;
}

static bool
env_on(const char *name)
{
	const char *v = secure_getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

bool
unm_env_port_mode(struct nmreq_opt_unetmap_port_mode *o)
{
	static const char *const names[] = { "best", "native", "generic", "emulated" };
	const char *a = secure_getenv("UNETMAP_ADMODE");

	memset(o, 0, sizeof(*o));
	o->nro_opt.nro_reqtype = NETMAP_REQ_OPT_UNETMAP_PORT_MODE;
	o->nro_opt.nro_size = sizeof(*o);
	for (unsigned i = 0; a && i < 4; i++)
		if (strcmp(a, names[i]) == 0)
			o->nro_admode = UNETMAP_ADMODE_BEST + i;
	if (a && *a && !o->nro_admode)
		unm_warn("UNETMAP_ADMODE=%s: not best, native, generic or emulated; ignored", a);
	if (env_on("UNETMAP_FORCE"))
		o->nro_flags |= UNETMAP_PORT_FORCE;
	if (env_on("UNETMAP_FIX_OFFLOADS"))
		o->nro_flags |= UNETMAP_PORT_FIX_OFFLOADS;
	return o->nro_admode || o->nro_flags;
}
