/* adapters.c - the data-path kinds, by the number the daemon gives them */
#include "core/core.h"

extern const struct unm_sync_ops unm_pipe_sync, unm_null_sync, unm_vale_sync,
    unm_monitor_sync;

const struct unm_sync_ops *const unm_sync_table[UNM_SYNC_MAX] = {
	[UNM_SYNC_PIPE] = &unm_pipe_sync,
	[UNM_SYNC_NULL] = &unm_null_sync,
	[UNM_SYNC_VALE] = &unm_vale_sync,
	[UNM_SYNC_MONITOR] = &unm_monitor_sync,
};
