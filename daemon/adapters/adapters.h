/*
 * adapters.h - the daemon's port kinds, one operations table each (struct
 * port_ops in unetmapd.h).  kinds.c asks them in turn; docs/adapters.md
 * lists every kind with its files on both sides.
 */
#ifndef UNETMAPD_ADAPTERS_H
#define UNETMAPD_ADAPTERS_H

#include "daemon/unetmapd.h"

extern const struct port_ops monitor_port_ops;	/* monitor.c: /t /r /z */
extern const struct port_ops null_port_ops;	/* null.c: NR_REG_NULL */
extern const struct port_ops pipe_port_ops;	/* pipe.c: x{N, x}N */
extern const struct port_ops vale_port_ops;	/* vale/: switches, their ports */
extern const struct port_ops nic_port_ops;	/* nic/: network interfaces */

#endif
