/*
 * params.c - netmap's tunables under netmap's names (FreeBSD's
 * dev.netmap.*, the files of Linux's /sys/module/netmap/parameters), set at start
 * (the config file, then --param) and read or changed at run time
 * (NETMAP_REQ_UNETMAP_PARAM, nm-sysctl(8)).
 *
 * They take effect as netmap's do: the pool sizes are those of memory
 * regions made from now on.  The global region (interfaces, and pipes on
 * them) keeps its geometry while anything uses it and is made again with
 * the new one once it has fallen out of use; private regions (a VALE
 * port's, a pipe parent's) are made with the priv_* values when their
 * port is.  admode and verbose apply to the next request;
 * generic_ringsize to interfaces taken from now on (netmap's emulated
 * adapter takes the driver's ring size when ethtool reports one, and
 * generic_ringsize otherwise: our rings are AF_XDP's and AF_PACKET's, not
 * the driver's, so it applies to every interface).
 *
 * Bounds are netmap's (netmap_mem2.c's pools: object sizes and counts),
 * with ours where our layout needs more: sizes in multiples of 64 bytes,
 * ring objects in multiples of 128.  A private region here holds all the
 * pipes of a parent port, not one port's rings: its priv_* values are the
 * region's sizes (netmap's are per-port minimums), with defaults to match.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/adapters/nic/nic.h"
#include "unetmap.h"
#include "unetmapd.h"

enum { P_REGION, P_ADMODE, P_VERBOSE, P_RINGSIZE };

struct param {
	const char *name;
	const char *help;
	int kind;
	struct unm_region_cfg *cfg;	/* P_REGION: the pool sizes it is one of */
	size_t off;			/* and which */
	uint32_t min, max, step;	/* step: the value is a multiple of it */
	uint32_t dflt;			/* filled at start */
};

#define PAGE 4096u
#define REG(n, h, c, f, lo, hi, st) \
	{ n, h, P_REGION, &c, offsetof(struct unm_region_cfg, f), lo, hi, st, 0 }
static struct param params[] = {
	REG("buf_size", "bytes of a buffer (global region)", region_cfg_global, buf_size,
	    64, 65536, 64),
	REG("buf_num", "buffers (global region)", region_cfg_global, buf_num, 4, 1000000, 1),
	REG("ring_size", "bytes of a ring object (global region): 16 per slot and a header",
	    region_cfg_global, ring_size, 256, 32 * PAGE, 128),
	REG("ring_num", "ring objects (global region)", region_cfg_global, ring_num, 2, 1024, 1),
	REG("if_size", "bytes of an interface object (global region)", region_cfg_global,
	    if_size, 128, 4096, 64),
	REG("if_num", "interface objects (global region)", region_cfg_global, if_num, 10, 10000, 1),
	REG("priv_buf_size", "bytes of a buffer (private regions: VALE ports, pipes)",
	    region_cfg_private, buf_size, 64, 65536, 64),
	REG("priv_buf_num", "buffers of a private region", region_cfg_private, buf_num,
	    4, 1000000, 1),
	REG("priv_ring_size", "bytes of a ring object of a private region (0: room for the "
	    "largest pipe ring)", region_cfg_private, ring_size, 0, 32 * PAGE, 128),
	REG("priv_ring_num", "ring objects of a private region", region_cfg_private, ring_num,
	    2, 1024, 1),
	REG("priv_if_size", "bytes of an interface object of a private region",
	    region_cfg_private, if_size, 128, 65536, 64),
	REG("priv_if_num", "interface objects of a private region", region_cfg_private, if_num,
	    1, 10000, 1),
	{ "admode", "how interfaces are taken: 0 best, 1 native XDP, 2 generic XDP, 3 emulated "
	  "(AF_PACKET); or those names", P_ADMODE, NULL, 0, 0, 3, 1, 0 },
	{ "generic_ringsize", "slots of every ring of an interface taken from now on (netmap: "
	  "of its emulated adapter's rings)", P_RINGSIZE, NULL, 0, 64, 16384, 1, 0 },
	{ "verbose", "0: informational log; 1 or more: every request too", P_VERBOSE, NULL, 0,
	  0, 1000, 1, 0 },
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))

static uint32_t verbose_level;

static uint32_t *
field(const struct param *p, struct unm_region_cfg *c)
{
	return (uint32_t *)((char *)c + p->off);
}

/* netmap's admode numbers and ours (UNETMAP_ADMODE_*) */
static const unsigned admode_ours[] = { UNETMAP_ADMODE_BEST, UNETMAP_ADMODE_NATIVE,
	UNETMAP_ADMODE_GENERIC, UNETMAP_ADMODE_EMULATED };

static uint32_t
value_of(const struct param *p)
{
	switch (p->kind) {
	case P_ADMODE:
		for (uint32_t i = 0; i < 4; i++)
			if (admode_ours[i] == dcfg.admode)
				return i;
		return 0;
	case P_VERBOSE:
		return verbose_level;
	case P_RINGSIZE:
		return dcfg.generic_ringsize;
	default:
		return *field(p, p->cfg);
	}
}

void
params_init(void)
{
	verbose_level = unm_log_enabled(UNM_LOG_DEBUG) ? 1 : 0;
	for (size_t i = 0; i < NPARAMS; i++)
		params[i].dflt = value_of(&params[i]);
}

/*
 * netmap's parameters that mean nothing on Linux, where unetmap runs: a
 * name a user may well try gets the reason instead of "no such parameter"
 */
static const struct {
	const char *name, *why;
} absent[] = {
	{ "generic_rings", "netmap on Linux takes an interface's ring count from its channels "
	  "(ethtool -l), as unetmap does: change those with ethtool -L" },
	{ "generic_mit", "there are no interrupts to moderate: AF_XDP and AF_PACKET wake a "
	  "sleeper when frames come" },
};

static struct param *
find(const char *name)
{
	/* FreeBSD's sysctl names and Linux's parameter files name them alike */
	if (strncmp(name, "dev.netmap.", 11) == 0)
		name += 11;
	for (size_t i = 0; i < NPARAMS; i++)
		if (strcmp(params[i].name, name) == 0)
			return &params[i];
	return NULL;
}

/* a whole decimal number, or an admode's name */
static bool
parse(const struct param *p, const char *s, uint64_t *v)
{
	static const char *const names[] = { "best", "native", "generic", "emulated" };
	char *end;

	if (p->kind == P_ADMODE)
		for (uint64_t i = 0; i < 4; i++)
			if (strcmp(s, names[i]) == 0) {
				*v = i;
				return true;
			}
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end;
}

/* an interface's rings of @slots slots must fit the global region's ring objects of @size bytes */
static int
check_ring_fit(uint64_t slots, uint32_t size, const char *what, uint64_t v, struct ctrl_err *e)
{
	uint32_t need = unm_ring_objsize((uint32_t)slots);

	if (need <= size)
		return 0;
	return ctrl_fail(e, EINVAL, "%s=%" PRIu64 ": a ring of %" PRIu64 " slots (generic_ringsize) "
	    "takes %u bytes, more than the global region's ring objects (ring_size=%u): raise "
	    "ring_size to at least %u first, or choose fewer slots", what, v, slots, need, size,
	    (need + 127) / 128 * 128);
}

/* would the region laid out with @p = @v make sense, and hold what is taken now? */
static int
check_region_fit(const struct param *p, uint64_t v, struct ctrl_err *e)
{
	struct unm_region_cfg c = *p->cfg;
	struct unm_layout L;
	uint32_t frame;

	*field(p, &c) = (uint32_t)v;
	if (!c.ring_size)
		c.ring_size = unm_ring_objsize(UNM_PIPE_MAXSLOTS);
	if (unm_layout_compute(&c, &L) < 0)
		return ctrl_fail(e, EINVAL, "%s=%" PRIu64 ": the region would be too large "
		    "(buffers x size at most 1 TB, rings x size at most 64 GB)", p->name, v);
	if (p->cfg == &region_cfg_global && p->off == offsetof(struct unm_region_cfg, ring_size) &&
	    check_ring_fit(dcfg.generic_ringsize, (uint32_t)v, p->name, v, e))
		return EINVAL;
	if (p->cfg == &region_cfg_global && p->off == offsetof(struct unm_region_cfg, buf_size) &&
	    (frame = nic_largest_frame()) > v)
		return ctrl_fail(e, EINVAL, "buf_size=%" PRIu64 ": an interface taken now brings "
		    "frames of up to %u bytes (its MTU): a buffer must hold one; choose at least "
		    "%u, or close its ports first", v, frame, (frame + 63) / 64 * 64);
	return 0;
}

int
params_no_such(const char *name, struct ctrl_err *e)
{
	const char *n = strncmp(name, "dev.netmap.", 11) == 0 ? name + 11 : name;

	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		if (strcmp(n, absent[i].name) == 0)
			return ctrl_fail(e, ENOENT, "%s: not a parameter here: %s", name,
			    absent[i].why);
	return ctrl_fail(e, ENOENT, "%s: no such parameter (nm-sysctl -a lists them)", name);
}

int
params_set(const char *name, const char *value, struct ctrl_err *e)
{
	struct param *p = find(name);
	uint64_t v;
	int err;

	if (!p)
		return params_no_such(name, e);
	if (!parse(p, value, &v))
		return ctrl_fail(e, EINVAL, "%s=%s: not a number%s", p->name, value,
		    p->kind == P_ADMODE ? " nor best, native, generic or emulated" : "");
	if (v < p->min || v > p->max || (v && v % p->step))
		return ctrl_fail(e, EINVAL, "%s=%" PRIu64 ": allowed are %u to %u%s%s", p->name, v,
		    p->min, p->max, p->step > 1 ? " in multiples of " : "",
		    p->step == 64 ? "64" : p->step == 128 ? "128" : "");
	switch (p->kind) {
	case P_ADMODE:
		dcfg.admode = admode_ours[v];
		break;
	case P_VERBOSE:
		verbose_level = (uint32_t)v;
		unm_log_set_level(v ? UNM_LOG_DEBUG : UNM_LOG_INFO);
		break;
	case P_RINGSIZE:
		/* an interface already taken keeps its rings, as netmap's adapter does */
		if ((err = check_ring_fit(v, region_cfg_global.ring_size, p->name, v, e)))
			return err;
		dcfg.generic_ringsize = (uint32_t)v;
		break;
	default:
		if ((err = check_region_fit(p, v, e)))
			return err;
		*field(p, p->cfg) = (uint32_t)v;
		region_config_changed();
	}
	unm_info("parameter %s set to %" PRIu64, p->name, v);
	return 0;
}

int
params_get(unsigned idx, const char *name, struct nmreq_unetmap_param *out)
{
	const struct param *p = name && name[0] ? find(name) : idx < NPARAMS ? &params[idx] : NULL;

	if (!p)
		return -1;
	snprintf(out->nr_param, sizeof(out->nr_param), "%s", p->name);
	snprintf(out->nr_help, sizeof(out->nr_help), "%s", p->help);
	out->nr_value = value_of(p);
	out->nr_default = p->dflt;
	out->nr_min = p->min;
	out->nr_max = p->max;
	out->nr_step = p->step;
	return 0;
}

unsigned
params_count(void)
{
	return NPARAMS;
}

/*
 * The config file: "name = value" lines, '#' comments, blank lines.  A
 * missing file is no error; a bad line is, naming the file and line.
 */
int
params_load(const char *path, bool must_exist)
{
	char line[256];
	FILE *f = fopen(path, "re");
	int n = 0, bad = 0;

	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		unm_err("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct ctrl_err e = { "" };
		char name[64], val[64], *hash = strchr(line, '#');
		int k;

		n++;
		if (!strchr(line, '\n') && !feof(f)) {
			int ch;

			unm_err("%s:%d: a line longer than %zu characters", path, n, sizeof(line) - 2);
			bad = 1;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		if (hash)
			*hash = '\0';
		int used = 0;

		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		k = sscanf(line, " %63[^= \t\r\n] = %63[^ \t\r\n] %n", name, val, &used);
		if (k != 2 || line[used]) {
			unm_err("%s:%d: expected 'name = value'", path, n);
			bad = 1;
		} else if (params_set(name, val, &e)) {
			unm_err("%s:%d: %s", path, n, e.msg);
			bad = 1;
		}
	}
	fclose(f);
	return bad ? -1 : 0;
}
