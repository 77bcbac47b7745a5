/*
 * nmvale.h - what the VALE tests share (vale_switch.c, vale_vnethdr.c):
 * ports "SWITCH:PORT" on this run's switch, named after the test's pid so
 * that runs side by side never meet.
 */
#ifndef UNETMAP_TESTS_NMVALE_H
#define UNETMAP_TESTS_NMVALE_H

#include <stdlib.h>
#include <unistd.h>

#include "nmraw.h"

static char sw[16];	/* this run's switch (vale_init) */

__attribute__((unused)) static void
vale_init(void)
{
	snprintf(sw, sizeof(sw), "vale%d", (int)getpid() % 100000);
}

/* "SWITCH:@p" into @out */
__attribute__((unused)) static void
pname(char *out, size_t len, const char *p)
{
	snprintf(out, len, "%s:%s", sw, p);
}

/* opens port @p of the switch, all its rings; 0 or -errno */
__attribute__((unused)) static int
vopen(struct rawport *r, const char *p)
{
	char n[64];

	pname(n, sizeof(n), p);
	return raw_open(r, n, NR_REG_ALL_NIC, 0, 0);
}

/* port @p's index on the switch (NETMAP_REQ_VALE_LIST); 999 if it has none */
__attribute__((unused)) static uint32_t
port_index(const char *p)
{
	struct nmreq_vale_list l = { 0 };
	char n[64];

	pname(n, sizeof(n), p);
	return raw_ctl(NETMAP_REQ_VALE_LIST, n, &l) == 0 ? l.nr_port_idx : 999;
}

#endif
