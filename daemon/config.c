/*
 * config.c - the daemon's settings and their defaults.  main.c changes
 * them from the command line; unit tests and fuzzers, which link the
 * daemon without main.c, change them directly (no network interfaces).
 */
#include "shared/nic_abi.h"
#include "unetmap.h"
#include "unetmapd.h"

struct daemon_cfg dcfg = { .idle_exit_ms = 2000, .nic = true, .admode = UNETMAP_ADMODE_BEST,
	.generic_ringsize = UNM_NIC_SLOTS };
