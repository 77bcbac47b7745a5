/* error.c - the sentence a failed request carries back (see unetmapd.h) */
#include <stdarg.h>
#include <stdio.h>

#include "unetmapd.h"

int
ctrl_fail(struct ctrl_err *e, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return err;
}
