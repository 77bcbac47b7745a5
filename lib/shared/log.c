/* log.c - see log.h */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/log.h"

static const char *log_role = "unetmap";
static int log_fd = 2;
static int log_level = -1;	/* -1: read UNETMAP_LOG on first use */

void
unm_log_init(const char *role)
{
	log_role = role;
}

void
unm_log_set_fd(int fd)
{
	log_fd = fd;
}

void
unm_log_set_level(enum unm_log_level lvl)
{
	log_level = (int)lvl;
}

static int
level(void)
{
	if (log_level < 0) {
		const char *e = secure_getenv("UNETMAP_LOG");

		log_level = UNM_LOG_INFO;
		if (e && strcmp(e, "quiet") == 0)
			log_level = UNM_LOG_ERR;
		else if (e && strcmp(e, "debug") == 0)
			log_level = UNM_LOG_DEBUG;
	}
	return log_level;
}

int
unm_log_enabled(enum unm_log_level lvl)
{
	return (int)lvl <= level();
}

int
unm_log_ratelimit(long *sec, int *n, int burst)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	if (ts.tv_sec != *sec) {
		*sec = ts.tv_sec;
		*n = 0;
	}
	return (*n)++ < burst;
}

void
unm_log(enum unm_log_level lvl, const char *fmt, ...)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	char buf[1024];
	va_list ap;
	int n;

	if (!unm_log_enabled(lvl))
		return;
	n = snprintf(buf, sizeof(buf), "%s[%d]: %s: ", log_role, (int)getpid(),
	    names[lvl]);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* one write, so lines from several processes do not interleave */
	if (write(log_fd, buf, (size_t)n) < 0) {
		/* nowhere else to say it */
	}
}
