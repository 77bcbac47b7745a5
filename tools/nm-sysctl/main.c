/*
 * nm-sysctl - netmap's parameters (buf_size, buf_num, ...) read and changed
 * at run time, as sysctl(8) does for FreeBSD's dev.netmap.* and as the
 * files of Linux's /sys/module/netmap/parameters do:
 *
 *   nm-sysctl -a [-d] [-j]          every parameter
 *   nm-sysctl [-n|-d|-j] name...    their values
 *   nm-sysctl name=value...         set them (as root)
 *
 * Names may carry FreeBSD's "dev.netmap." prefix.  Exit status: 0 done,
 * 1 a parameter is unknown or a value refused (the daemon says why), 2 bad
 * command line or no daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <net/netmap_user.h>
#include "unetmap.h"
#include "tools/common/nm_errno.h"

static const char usage_text[] =
"usage: nm-sysctl [-d] [-j] -a\n"
"       nm-sysctl [-n | -d | -j] name...\n"
"       nm-sysctl name=value...\n"
"\n"
"Reads and sets netmap's parameters, kept by unetmapd: the sizes of the\n"
"memory pools (buf_size, buf_num, ring_size, ring_num, if_size, if_num, and\n"
"priv_* for the private regions of VALE ports and pipes), admode and\n"
"verbose.  Pool sizes apply to regions made from then on: the global region\n"
"keeps its geometry while anything uses it.\n"
"\n"
"  -a          every parameter\n"
"  -n          values only\n"
"  -d          with the description, the default and the allowed values\n"
"  -j          JSON: one array of objects (name, value, default, min, max,\n"
"              step, description)\n"
"  -h, --help  this text\n"
"\n"
"Names may be written dev.netmap.NAME.  Setting takes root (or the\n"
"daemon's user).  Exit status: 0 done, 1 an unknown parameter or a refused\n"
"value, 2 bad command line or no daemon.  See nm-sysctl(8).\n";

static int fd = -1;

/* the request; 0 or the errno (the daemon's reason is already printed) */
static int
ask(struct nmreq_unetmap_param *p)
{
	struct nmreq_header h;

	memset(&h, 0, sizeof(h));
	h.nr_version = NETMAP_API;
	h.nr_reqtype = NETMAP_REQ_UNETMAP_PARAM;
	h.nr_body = (uintptr_t)p;
	return ioctl(fd, NIOCCTRL, &h) < 0 ? errno : 0;
}

static void
jstr(const char *s)
{
	putchar('"');
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s >= 0x20)
			putchar(*s);
	putchar('"');
}

static bool json_first = true;

static void
show(const struct nmreq_unetmap_param *p, bool values_only, bool describe, bool json)
{
	if (json) {
		printf("%s{\"name\":", json_first ? "" : ",");
		jstr(p->nr_param);
		printf(",\"value\":%u,\"default\":%u,\"min\":%u,\"max\":%u,\"step\":%u,"
		    "\"description\":", p->nr_value, p->nr_default, p->nr_min, p->nr_max,
		    p->nr_step);
		jstr(p->nr_help);
		putchar('}');
		json_first = false;
	} else if (values_only) {
		printf("%u\n", p->nr_value);
	} else {
		printf("%s = %u\n", p->nr_param, p->nr_value);
		if (describe)
			printf("    %s; default %u, allowed %u to %u%s%.0u\n", p->nr_help,
			    p->nr_default, p->nr_min, p->nr_max,
			    p->nr_step > 1 ? " in multiples of " : "", p->nr_step > 1 ? p->nr_step : 0);
	}
}

static void __attribute__((noreturn))
bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "nm-sysctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see nm-sysctl -h)\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	bool all = false, values = false, describe = false, json = false;
	int first = argc, rc = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (a[0] != '-') {
			first = i;
			break;
		}
		if (!a[1])
			bad("unexpected argument '%s'", a);
		for (const char *c = a + 1; *c; c++)
			switch (*c) {
			case 'a': all = true; break;
			case 'n': values = true; break;
			case 'd': describe = true; break;
			case 'j': json = true; break;
			default: bad("unknown option '%s'", a);
			}
	}
	for (int i = first; i < argc; i++)
		if (argv[i][0] == '-')
			bad("options go before the names: '%s'", argv[i]);
	if (all == (first < argc))
		bad("%s", all ? "-a or names, not both" : "which parameters? (-a for all)");
	if ((values && (describe || json)) || (all && values))
		bad("%s", "-n goes alone, with names");
	fd = open("/dev/netmap", O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "nm-sysctl: cannot reach unetmapd: %s\n", nm_errstr(errno));
		return 2;
	}
	if (json)
		putchar('[');
	if (all) {
		for (uint32_t idx = 0, n = 1; idx < n; idx++) {
			struct nmreq_unetmap_param p = { .nr_index = idx };
			int err = ask(&p);

			n = p.nr_count;
			if (err) {
				fprintf(stderr, "nm-sysctl: %s\n", nm_errstr(err));
				rc = 2;
				break;
			}
			show(&p, false, describe, json);
		}
	}
	for (int i = first; i < argc; i++) {
		struct nmreq_unetmap_param p;
		const char *eq = strchr(argv[i], '=');
		int err;

		memset(&p, 0, sizeof(p));
		if ((size_t)(eq ? eq - argv[i] : (long)strlen(argv[i])) >= sizeof(p.nr_param) ||
		    (eq && strlen(eq + 1) >= sizeof(p.nr_newval))) {
			fprintf(stderr, "nm-sysctl: '%s' is too long to be a parameter\n", argv[i]);
			rc = 1;
			continue;
		}
		snprintf(p.nr_param, sizeof(p.nr_param), "%.*s",
		    (int)(eq ? eq - argv[i] : (long)strlen(argv[i])), argv[i]);
		if (eq) {
			struct nmreq_unetmap_param before = p;

			if (ask(&before) == 0 && !json && !values)
				printf("%s: %u -> ", before.nr_param, before.nr_value);
			snprintf(p.nr_newval, sizeof(p.nr_newval), "%s", eq + 1);
			p.nr_set = 1;
		}
		err = ask(&p);
		if (err) {
			if (eq && !json && !values)
				printf("(refused)\n");
			fprintf(stderr, "nm-sysctl: %s: %s\n", argv[i], nm_errstr(err));
			rc = 1;
			continue;
		}
		if (eq && !json && !values)
			printf("%u\n", p.nr_value);
		else
			show(&p, values, describe, json);
	}
	if (json)
		printf("]\n");
	close(fd);
	return rc;
}
