/*
 * null.c - null ports, data half: like netmap's, their syncs move nothing.
 * A tx ring fills up and stays full; an rx ring never receives.
 */
#include "core/core.h"

static int
null_sync(struct unm_kr *kr)
{
	return 0;
}

const struct unm_sync_ops unm_null_sync = {
	.name = "null",
	.txsync = null_sync,
	.rxsync = null_sync,
};
