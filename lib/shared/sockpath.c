/* sockpath.c - where the daemon listens (unetmap.h) */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unetmap.h"

const char *
unetmap_socket_path(char *buf, size_t len)
{
	const char *e = secure_getenv("UNETMAP_SOCKET");
	const char *rt = secure_getenv("XDG_RUNTIME_DIR");

	if (e && *e)
		snprintf(buf, len, "%s", e);
	else if (geteuid() != 0 && rt && *rt)
		snprintf(buf, len, "%s/unetmap/unetmapd.sock", rt);
	else
		snprintf(buf, len, "/run/unetmap/unetmapd.sock");
	return buf;
}
