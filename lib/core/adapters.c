/* adapters.c - the data-path kinds, by the number the daemon gives them */
#include "core/core.h"

/* network interfaces: lib/adapters/nic/xsk.c, packet.c, host.c */
extern const struct unm_sync_ops unm_xsk_sync, unm_packet_sync, unm_host_sync;

extern const struct unm_sync_ops unm_pipe_sync, unm_null_sync, unm_vale_sync,
    unm_monitor_sync;

const struct unm_sync_ops *const unm_sync_table[UNM_SYNC_MAX] = {
	[UNM_SYNC_PIPE] = &unm_pipe_sync,
	[UNM_SYNC_NULL] = &unm_null_sync,
	[UNM_SYNC_VALE] = &unm_vale_sync,
	[UNM_SYNC_XSK] = &unm_xsk_sync,
	[UNM_SYNC_PACKET] = &unm_packet_sync,
	[UNM_SYNC_HOST] = &unm_host_sync,
	[UNM_SYNC_MONITOR] = &unm_monitor_sync,
};
