/*
 * vale.h - what valectl and nm-ctl share: VALE requests through NIOCCTRL
 * on /dev/netmap, name checks, and the listing of switch ports with their
 * counters.
 *
 * Header only (static inline): the Makefile builds each tools/<name>/
 * directory into its own program, and both programs include this file
 * from their one source file.
 */
#ifndef VALECTL_VALE_H
#define VALECTL_VALE_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <net/netmap.h>
#include "unetmap.h"
#include "tools/common/nm_errno.h"

#define VC_EXIT_FAIL	1	/* the request failed */
#define VC_EXIT_USAGE	2	/* the command line is wrong */

/* switch names: "vale" then letters, digits and _ (netmap's nm_is_id_char) */
#define VC_NAME_MAX	15	/* characters in a switch or port name (IFNAMSIZ - 1) */

static inline void
vc_msg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* a message on stderr, prefixed with the program's name */
static inline void __attribute__((format(printf, 1, 2)))
vc_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vc_msg(fmt, ap);
	va_end(ap);
}

/* the command line is wrong: say where, point at --help, exit 2 */
static inline void __attribute__((format(printf, 1, 2), noreturn))
vc_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vc_msg(fmt, ap);
	va_end(ap);
	fprintf(stderr, "(%s --help lists the options)\n", program_invocation_short_name);
	exit(VC_EXIT_USAGE);
}

/* ------------------------------------------------------------ names */

static inline bool
vc_ident(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/*
 * A switch name: "vale" then up to VC_NAME_MAX - 4 letters, digits or _.
 * NULL if good, else what is wrong with it.
 */
static inline const char *
vc_bad_switch(const char *s, size_t len)
{
	if (len < 4 || strncmp(s, "vale", 4) != 0)
		return "a switch name starts with \"vale\" (vale0, valeA, vale_1 ...)";
	if (len > VC_NAME_MAX)
		return "a switch name has at most 15 characters";
	if (!vc_ident(s + 4, len - 4))
		return "a switch name is \"vale\" then letters, digits or _";
	return NULL;
}

/*
 * A port name alone (persistent ports, interfaces, the part after
 * "valeX:"): what an interface may be called (no '/', ':' or blanks, at
 * most 15 characters) less netmap's own syntax (@ { } ^).  The daemon may
 * refuse more (ours wants letters, digits and _ for the ports it makes).
 */
static inline const char *
vc_bad_plain(const char *s)
{
	size_t len = strlen(s);

	if (len == 0)
		return "the port name is empty";
	if (len > VC_NAME_MAX)
		return "a port name has at most 15 characters";
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return "not a port name";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || strchr("/:@{}^", c))
			return "a port name has no blanks, control characters, or any of / : @ { } ^";
	}
	return NULL;
}

/* "valeX:Y" */
static inline const char *
vc_bad_port(const char *s)
{
	const char *colon = strchr(s, ':');
	const char *why;

	if (!colon)
		return strncmp(s, "vale", 4) == 0 ? "a switch port is named valeX:Y (no ':' here)" :
		    "a switch port is named valeX:Y, the switch's name starting with \"vale\"";
	why = vc_bad_switch(s, (size_t)(colon - s));
	return why ? why : vc_bad_plain(colon + 1);
}

/* ------------------------------------------------------------ requests */

/* /dev/netmap, or exit 1 saying why */
static inline int
vc_open(void)
{
	int fd = open("/dev/netmap", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		vc_warn("cannot open /dev/netmap: %s", nm_errstr(errno));
		exit(VC_EXIT_FAIL);
	}
	return fd;
}

/*
 * One NIOCCTRL request: 0, or the errno.  The daemon's own explanation (a
 * line naming the port and the problem) reaches stderr through the
 * library; the caller only adds a short summary.
 */
static inline int
vc_ctrl(int fd, uint16_t type, const char *name, void *body)
{
	struct nmreq_header hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.nr_version = NETMAP_API;
	hdr.nr_reqtype = type;
	snprintf(hdr.nr_name, sizeof(hdr.nr_name), "%s", name ? name : "");
	hdr.nr_body = (uintptr_t)body;
	return ioctl(fd, NIOCCTRL, &hdr) < 0 ? errno : 0;
}

/* VALE_ATTACH; with @host, NR_REG_NIC_SW as valectl -h asks */
static inline int
vc_attach(int fd, const char *name, bool host, uint32_t *index)
{
	struct nmreq_vale_attach a;
	int err;

	memset(&a, 0, sizeof(a));
	a.reg.nr_mode = host ? NR_REG_NIC_SW : NR_REG_ALL_NIC;
	err = vc_ctrl(fd, NETMAP_REQ_VALE_ATTACH, name, &a);
	if (!err && index)
		*index = a.port_index;
	return err;
}

static inline int
vc_detach(int fd, const char *name, uint32_t *index)
{
	struct nmreq_vale_detach d;
	int err;

	memset(&d, 0, sizeof(d));
	err = vc_ctrl(fd, NETMAP_REQ_VALE_DETACH, name, &d);
	if (!err && index)
		*index = d.port_index;
	return err;
}

/*
 * The virtio-net header length of a port: PORT_HDR_SET when @set, else
 * PORT_HDR_GET; 0 or the errno, the port's length in *len.
 */
static inline int
vc_vnet_hdr(int fd, const char *name, bool set, uint32_t *len)
{
	struct nmreq_port_hdr ph;
	int err;

	memset(&ph, 0, sizeof(ph));
	ph.nr_hdr_len = *len;
	err = vc_ctrl(fd, set ? NETMAP_REQ_PORT_HDR_SET : NETMAP_REQ_PORT_HDR_GET, name, &ph);
	if (!err)
		*len = ph.nr_hdr_len;
	return err;
}

/* a header length on a command line: 0, 10 or 12 (what netmap accepts), else NULL */
static inline const char *
vc_bad_hdr_len(const char *s, uint32_t *len)
{
	if (strcmp(s, "0") == 0 || strcmp(s, "10") == 0 || strcmp(s, "12") == 0) {
		*len = (uint32_t)atoi(s);
		return NULL;
	}
	return "a virtio-net header is 0 (none), 10 or 12 bytes";
}

/* a port name for -H: valeX:Y or a persistent port's plain name */
static inline const char *
vc_bad_hdr_port(const char *s)
{
	return strchr(s, ':') ? vc_bad_port(s) : vc_bad_plain(s);
}

/* ------------------------------------------------------------ listing */

#define VC_NOPORT	255u	/* VALE_LIST by name: on the switch, but no such port */

struct vc_port {
	char name[NETMAP_REQ_IFNAMSIZ];		/* "valeX:Y" */
	uint16_t bridge;			/* VALE_LIST's indices */
	uint32_t port;
	bool counted;				/* st is valid */
	struct nmreq_unetmap_vale_stats st;
};

struct vc_list {
	struct vc_port *v;
	size_t n, cap;
};

static inline void
vc_list_free(struct vc_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* does "valeX:Y" sit on switch @sw ("valeX")? */
static inline bool
vc_on_switch(const char *name, const char *sw)
{
	size_t len = strlen(sw);

	return strncmp(name, sw, len) == 0 && name[len] == ':';
}

/*
 * Every port of every switch (or of switch @sw), in netmap's order: the
 * VALE_LIST cursor walks (bridge, port) upwards from (0, 0) and answers
 * ENOENT past the last one.  Counters come from our VALE_STATS request; a
 * port that left in between keeps its place, uncounted.  0 or an errno.
 */
static inline int
vc_list_ports(int fd, const char *sw, struct vc_list *out)
{
	struct nmreq_vale_list l;
	struct nmreq_header hdr;
	uint64_t last = 0;
	bool first = true;

	memset(out, 0, sizeof(*out));
	memset(&l, 0, sizeof(l));
	for (;;) {
		struct vc_port *p;
		uint64_t at;

		memset(&hdr, 0, sizeof(hdr));
		hdr.nr_version = NETMAP_API;
		hdr.nr_reqtype = NETMAP_REQ_VALE_LIST;
		hdr.nr_body = (uintptr_t)&l;
		if (ioctl(fd, NIOCCTRL, &hdr) < 0) {
			if (errno == ENOENT)
				break;		/* past the last port */
			int err = errno;

			vc_list_free(out);
			return err;
		}
		at = (uint64_t)l.nr_bridge_idx << 32 | l.nr_port_idx;
		if (!first && at <= last) {	/* a cursor going nowhere: stop */
			vc_warn("VALE_LIST answered (%u, %u) after asking past it",
			    l.nr_bridge_idx, l.nr_port_idx);
			vc_list_free(out);
			return EPROTO;
		}
		first = false;
		last = at;
		hdr.nr_name[sizeof(hdr.nr_name) - 1] = '\0';
		if (!sw || vc_on_switch(hdr.nr_name, sw)) {
			if (out->n == out->cap) {
				size_t cap = out->cap ? 2 * out->cap : 16;
				struct vc_port *v = realloc(out->v, cap * sizeof(*v));

				if (!v) {
					vc_list_free(out);
					return ENOMEM;
				}
				out->v = v;
				out->cap = cap;
			}
			p = &out->v[out->n++];
			memset(p, 0, sizeof(*p));
			memcpy(p->name, hdr.nr_name, sizeof(p->name));
			p->bridge = l.nr_bridge_idx;
			p->port = l.nr_port_idx;
		}
		l.nr_port_idx++;	/* the next one after this */
	}
	for (size_t i = 0; i < out->n; i++) {
		struct vc_port *p = &out->v[i];

		p->counted = vc_ctrl(fd, NETMAP_REQ_UNETMAP_VALE_STATS, p->name, &p->st) == 0;
	}
	return 0;
}

/* decimal digits of @v */
static inline int
vc_width(uint64_t v)
{
	int w = 1;

	while (v >= 10) {
		v /= 10;
		w++;
	}
	return w;
}

enum { VC_COL_BRIDGE, VC_COL_PORT, VC_COL_RXF, VC_COL_RXB, VC_COL_TXF, VC_COL_TXB,
    VC_COL_FULL, VC_COL_BAD, VC_COL_NODST, VC_COL_BUSY, VC_COL_TXR, VC_COL_RXR, VC_NCOLS };

static const char *const vc_col_name[VC_NCOLS] = {
	"bridge", "port", "rx-frames", "rx-bytes", "tx-frames", "tx-bytes",
	"drop-full", "drop-bad", "drop-nodst", "drop-busy", "tx-rings", "rx-rings",
};

static inline uint64_t
vc_col(const struct vc_port *p, int c)
{
	const struct nmreq_unetmap_vale_stats *s = &p->st;

	switch (c) {
	case VC_COL_BRIDGE:	return p->bridge;
	case VC_COL_PORT:	return p->port;
	case VC_COL_RXF:	return s->rx_frames;
	case VC_COL_RXB:	return s->rx_bytes;
	case VC_COL_TXF:	return s->tx_frames;
	case VC_COL_TXB:	return s->tx_bytes;
	case VC_COL_FULL:	return s->drop_full;
	case VC_COL_BAD:	return s->drop_bad;
	case VC_COL_NODST:	return s->drop_nodst;
	case VC_COL_BUSY:	return s->drop_busy;
	case VC_COL_TXR:	return s->nr_tx_rings;
	default:		return s->nr_rx_rings;
	}
}

/*
 * The table: a header line, then one line per port; columns as wide as
 * their widest entry, numbers right-aligned, "-" for a port that left
 * before its counters were read.  @rings adds the ring counts.
 */
static inline void
vc_print_table(FILE *f, const struct vc_list *l, bool rings)
{
	int ncols = rings ? VC_NCOLS : VC_COL_TXR;
	int w[VC_NCOLS];
	int wname = (int)strlen("name");

	for (int c = 0; c < ncols; c++)
		w[c] = (int)strlen(vc_col_name[c]);
	for (size_t i = 0; i < l->n; i++) {
		const struct vc_port *p = &l->v[i];
		int len = (int)strlen(p->name);

		if (len > wname)
			wname = len;
		for (int c = 0; c < ncols; c++) {
			int cw = (c > VC_COL_PORT && !p->counted) ? 1 : vc_width(vc_col(p, c));

			if (cw > w[c])
				w[c] = cw;
		}
	}
	fprintf(f, "%-*s", wname, "name");
	for (int c = 0; c < ncols; c++)
		fprintf(f, "  %*s", w[c], vc_col_name[c]);
	fputc('\n', f);
	for (size_t i = 0; i < l->n; i++) {
		const struct vc_port *p = &l->v[i];

		fprintf(f, "%-*s", wname, p->name);
		for (int c = 0; c < ncols; c++) {
			if (c > VC_COL_PORT && !p->counted)
				fprintf(f, "  %*s", w[c], "-");
			else
				fprintf(f, "  %*" PRIu64, w[c], vc_col(p, c));
		}
		fputc('\n', f);
	}
}

static const char *const vc_attach_name[] = {
	[UNETMAP_ATTACH_NIC] = "interface", [UNETMAP_ATTACH_HOST] = "host stack",
	[UNETMAP_ATTACH_HOSTIF] = "switch interface", [UNETMAP_ATTACH_WRAP] = "wrapped port",
};

/* "interface" ... for an attachment's kind, NULL for an ordinary port */
static inline const char *
vc_attach_kind(const struct vc_port *p)
{
	unsigned k = p->counted ? p->st.nr_attach : 0;

	return k && k < sizeof(vc_attach_name) / sizeof(vc_attach_name[0]) ? vc_attach_name[k] :
	    NULL;
}

/*
 * An attachment's line under the table (valectl -v): what the port
 * forwards to, in which mode, and its workers
 */
static inline void
vc_print_attachment(FILE *f, const struct vc_port *p)
{
	const struct nmreq_unetmap_vale_stats *s = &p->st;
	const char *kind = vc_attach_kind(p);

	if (!kind)
		return;
	fprintf(f, "%s: %s %.*s", p->name, kind, (int)sizeof(s->nr_iface), s->nr_iface);
	if (s->nr_mode)
		fprintf(f, ", %s mode", unetmap_mode_name(s->nr_mode));
	for (unsigned i = 0; i < s->nr_workers && i < 16; i++) {
		fprintf(f, i ? ", " : "; worker ");
		if (s->nr_worker_pid[i])
			fprintf(f, "pid %d", s->nr_worker_pid[i]);
		else
			fprintf(f, "restarting");
		if (s->nr_worker_cpu[i] >= 0)
			fprintf(f, " polling on CPU %d", s->nr_worker_cpu[i]);
	}
	if (s->nr_worker_restarts)
		fprintf(f, " (%u restart%s)", s->nr_worker_restarts,
		    s->nr_worker_restarts > 1 ? "s" : "");
	fputc('\n', f);
}

/* the attachment's JSON object (after "attached":), or null */
static inline void
vc_json_attachment(FILE *f, const struct vc_port *p)
{
	const struct nmreq_unetmap_vale_stats *s = &p->st;
	const char *kind = vc_attach_kind(p);

	if (!kind) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"kind\":\"%s\",\"interface\":\"%.*s\",\"mode\":", kind,
	    (int)sizeof(s->nr_iface), s->nr_iface);
	if (s->nr_mode)
		fprintf(f, "\"%s\"", unetmap_mode_name(s->nr_mode));
	else
		fputs("null", f);
	fputs(",\"workers\":[", f);
	for (unsigned i = 0; i < s->nr_workers && i < 16; i++) {
		fprintf(f, "%s{\"pid\":", i ? "," : "");
		if (s->nr_worker_pid[i])
			fprintf(f, "%d", s->nr_worker_pid[i]);
		else
			fputs("null", f);
		fputs(",\"cpu\":", f);
		if (s->nr_worker_cpu[i] >= 0)
			fprintf(f, "%d", s->nr_worker_cpu[i]);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fprintf(f, "],\"worker_restarts\":%u}", s->nr_worker_restarts);
}

/*
 * The same as JSON: an array of objects, one per port, with the table's
 * numbers under their column names ('-' in names becomes '_'), "switch"
 * the part before the ':', "counters" false (and no counters) for a
 * port that left before they were read, and "attached": null for an
 * ordinary port, else what it forwards to and its workers.
 */
static inline void
vc_print_json(FILE *f, const struct vc_list *l)
{
	fputc('[', f);
	for (size_t i = 0; i < l->n; i++) {
		const struct vc_port *p = &l->v[i];
		const char *colon = strchr(p->name, ':');

		fprintf(f, "%s{\"name\":\"%s\",\"switch\":\"%.*s\",\"counters\":%s", i ? "," : "",
		    p->name, colon ? (int)(colon - p->name) : (int)strlen(p->name), p->name,
		    p->counted ? "true" : "false");
		for (int c = 0; c < VC_NCOLS; c++) {
			char key[32];

			if (c > VC_COL_PORT && !p->counted)
				continue;
			snprintf(key, sizeof(key), "%s", vc_col_name[c]);
			for (char *k = key; *k; k++)
				if (*k == '-')
					*k = '_';
			fprintf(f, ",\"%s\":%" PRIu64, key, vc_col(p, c));
		}
		if (p->counted) {
			fputs(",\"attached\":", f);
			vc_json_attachment(f, p);
		}
		fputc('}', f);
	}
	fputs("]\n", f);
}

#endif
