/*
 * nmreq_portspec.c - the "subsystem:vpname" and "mode" parts of a
 * portspec (see libnetmap.h for the grammar), and nmreq_get_mem_id().
 *
 * Decoders check everything first and write their outputs last, so a
 * failure leaves the request as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "libnetmap_int.h"

/* characters that end the vpname */
#define VPNAME_END	"-*^/@"

struct nm_subsystem {
	const char	*prefix;
	int		keep;	/* prefix (and id) are part of the port name */
	int		has_id;	/* an identifier may sit between prefix and ':' */
};

static const struct nm_subsystem nm_subsystems[] = {
	{ "netmap",	0, 0 },
	{ NM_BDG_NAME,	1, 1 },	/* empty id: the default switch */
};

int
nmreq_header_decode(const char **ppspec, struct nmreq_header *h,
    struct nmctx *ctx)
{
	const char *spec = *ppspec, *colon, *vp, *end, *pipe, *name;
	const struct nm_subsystem *sub = NULL;
	size_t i, len;

	for (i = 0; i < sizeof(nm_subsystems) / sizeof(nm_subsystems[0]); i++) {
		size_t plen = strlen(nm_subsystems[i].prefix);

		if (strncmp(spec, nm_subsystems[i].prefix, plen) == 0) {
			sub = &nm_subsystems[i];
			break;
		}
	}
	if (sub == NULL) {
		nmctx_ferror(ctx, "%s: unknown subsystem, the port name must "
		    "start with 'netmap:' or 'vale<id>:'", spec);
		goto fail;
	}
	vp = spec + strlen(sub->prefix);
	colon = strchr(vp, ':');
	if (colon == NULL) {
		nmctx_ferror(ctx, "%s: missing ':' after '%s'", spec,
		    sub->prefix);
		goto fail;
	}
	if (colon != vp && !sub->has_id) {
		nmctx_ferror(ctx, "%s: nothing may come between '%s' and ':'",
		    spec, sub->prefix);
		goto fail;
	}
	if (!nm_is_ident(vp, colon)) {
		nmctx_ferror(ctx, "%s: invalid switch id '%.*s' (letters, "
		    "digits and '_' only)", spec, (int)(colon - vp), vp);
		goto fail;
	}
	vp = colon + 1;

	for (end = vp; *end != '\0' && strchr(VPNAME_END, *end) == NULL; end++)
		;
	if (end == vp) {
		nmctx_ferror(ctx, "%s: empty port name", spec);
		goto fail;
	}
	/* a pipe: x{id or x}id, where x may be empty */
	for (pipe = vp; pipe < end && *pipe != '{' && *pipe != '}'; pipe++)
		;
	if (pipe < end) {
		if (pipe + 1 == end) {
			nmctx_ferror(ctx, "%s: empty pipe id after '%c'", spec,
			    *pipe);
			goto fail;
		}
		if (!nm_is_ident(pipe + 1, end)) {
			nmctx_ferror(ctx, "%s: invalid pipe id '%.*s' (letters, "
			    "digits and '_' only)", spec,
			    (int)(end - pipe - 1), pipe + 1);
			goto fail;
		}
	}

	name = sub->keep ? spec : vp;
	len = (size_t)(end - name);
	if (len >= sizeof(h->nr_name)) {
		nmctx_ferror(ctx, "%s: port name '%.*s' too long (%zu bytes, "
		    "at most %zu)", spec, (int)len, name, len,
		    sizeof(h->nr_name) - 1);
		goto fail;
	}

	memcpy(h->nr_name, name, len);
	memset(h->nr_name + len, 0, sizeof(h->nr_name) - len);
	*ppspec = end;
	return 0;
fail:
	errno = EINVAL;
	return -1;
}

/*
 * Reads the digits at *pp as a number <= max (digits required), moving
 * *pp past them.
 */
static int
nm_take_number(const char **pp, uint64_t max, uint64_t *out)
{
	const char *p = *pp;
	char digits[24];
	size_t n = 0;

	while (p[n] >= '0' && p[n] <= '9') {
		if (n == sizeof(digits) - 1)
			return -1;	/* far beyond any max we use */
		digits[n] = p[n];
		n++;
	}
	digits[n] = '\0';
	if (n == 0 || nm_parse_u64(digits, max, out) != 0)
		return -1;
	*pp = p + n;
	return 0;
}

int
nmreq_register_decode(const char **pmode, struct nmreq_register *r,
    struct nmctx *ctx)
{
	enum {
		M_START,	/* nothing read yet */
		M_SUFFIX,	/* only /flags or @memid may follow */
		M_RING,		/* a ring number must follow */
		M_HOSTRING,	/* after '^': a ring number may follow */
		M_FLAGS,	/* after '/' */
		M_FLAGSOK,	/* after at least one flag */
		M_MEMID,	/* after '@' */
	} st = M_START;
	const char *p = *pmode;
	uint32_t mode = NR_REG_ALL_NIC;
	uint64_t flags = 0, num;
	uint16_t ringid = 0, mem_id = r->nr_mem_id;

	while (*p != '\0') {
		switch (st) {
		case M_START:
			st = M_SUFFIX;
			switch (*p) {
			case '^':
				mode = NR_REG_SW;
				st = M_HOSTRING;
				break;
			case '*':
				mode = NR_REG_NIC_SW;
				break;
			case '-':
				mode = NR_REG_ONE_NIC;
				st = M_RING;
				break;
			case '/':
				st = M_FLAGS;
				break;
			case '@':
				st = M_MEMID;
				break;
			default:
				nmctx_ferror(ctx, "'%s': unknown mode '%c' (expected"
				    " one of - ^ * / @)", *pmode, *p);
				goto fail;
			}
			p++;
			break;
		case M_HOSTRING:
			if (*p >= '0' && *p <= '9') {
				mode = NR_REG_ONE_SW;
				st = M_RING;
			} else {
				st = M_SUFFIX;
			}
			break;
		case M_RING:
			if (nm_take_number(&p, NETMAP_RING_MASK - 1, &num) != 0) {
				nmctx_ferror(ctx, "'%s': a ring number in [0, %d) "
				    "must follow '%c'", *pmode, NETMAP_RING_MASK,
				    mode == NR_REG_ONE_SW ? '^' : '-');
				goto fail;
			}
			ringid = (uint16_t)num;
			st = M_SUFFIX;
			break;
		case M_SUFFIX:
			if (*p == '/') {
				st = M_FLAGS;
			} else if (*p == '@') {
				st = M_MEMID;
			} else {
				nmctx_ferror(ctx, "'%s': unexpected '%c' (only "
				    "/flags or @ may follow)", *pmode, *p);
				goto fail;
			}
			p++;
			break;
		case M_FLAGS:
		case M_FLAGSOK:
			st = M_FLAGSOK;
			switch (*p) {
			case 'x': flags |= NR_EXCLUSIVE; break;
			case 'z': flags |= NR_ZCOPY_MON; break;
			case 't': flags |= NR_MONITOR_TX; break;
			case 'r': flags |= NR_MONITOR_RX; break;
			case 'R': flags |= NR_RX_RINGS_ONLY; break;
			case 'T': flags |= NR_TX_RINGS_ONLY; break;
			case '@': st = M_MEMID; break;
			default:
				nmctx_ferror(ctx, "'%s': unknown flag '%c' (flags "
				    "are x z t r R T)", *pmode, *p);
				goto fail;
			}
			p++;
			break;
		case M_MEMID:
			if (*p < '0' || *p > '9') {
				p--;	/* "@name": the options start here */
				goto done;
			}
			if (nm_take_number(&p, UINT16_MAX, &num) != 0 ||
			    num == 0) {
				nmctx_ferror(ctx, "'%s': invalid memory region id "
				    "(must be in [1, %u])", *pmode, UINT16_MAX);
				goto fail;
			}
			if (mem_id != 0 && mem_id != num) {
				nmctx_ferror(ctx, "'%s': memory region id %" PRIu64
				    " conflicts with %" PRIu16 " set before",
				    *pmode, num, mem_id);
				goto fail;
			}
			mem_id = (uint16_t)num;
			st = M_SUFFIX;
			break;
		}
	}
	if (st == M_MEMID) {
		nmctx_ferror(ctx, "'%s': empty memory region id after '@'",
		    *pmode);
		goto fail;
	}
	if (st == M_RING || st == M_FLAGS) {
		nmctx_ferror(ctx, "'%s': unexpected end (a %s must follow)",
		    *pmode, st == M_RING ? "ring number" : "flag");
		goto fail;
	}
done:
	r->nr_mode = mode;
	r->nr_ringid = ringid;
	r->nr_flags = flags;
	r->nr_mem_id = mem_id;
	*pmode = p;
	return 0;
fail:
	errno = EINVAL;
	return -1;
}

int32_t
nmreq_get_mem_id(const char **portname, struct nmctx *ctx)
{
	struct nmreq_header hdr;
	struct nmreq_port_info_get info;
	const char *scan;
	int fd, err;

	if (portname == NULL || *portname == NULL) {
		errno = EINVAL;
		return -1;
	}
	scan = *portname;
	/* a bad name is reported without touching the device */
	nmreq_header_init(&hdr, NETMAP_REQ_PORT_INFO_GET, &info);
	if (nmreq_header_decode(&scan, &hdr, ctx) < 0)
		return -1;
	memset(&info, 0, sizeof(info));

	fd = open(NETMAP_DEVICE_NAME, O_RDWR);
	if (fd < 0) {
		err = errno;
		nmctx_ferror(ctx, "cannot open %s: %s", NETMAP_DEVICE_NAME,
		    strerror(err));
		errno = err;
		return -1;
	}
	if (ioctl(fd, NIOCCTRL, &hdr) < 0) {
		err = errno;
		nmctx_ferror(ctx, "%s: cannot get port info: %s", *portname,
		    strerror(err));
		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	*portname = scan;
	return info.nr_mem_id;
}
