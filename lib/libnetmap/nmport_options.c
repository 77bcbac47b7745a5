/*
 * nmport_options.c - the portspec options nmport_parse() knows (@share,
 * @extmem, @conf, @offset), their enabling, and the extmem and offset
 * requests they (or the program) attach to a port.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "libnetmap_int.h"

/* ------------------------------------------------- extmem, offsets */

/* removes the extmem option from the request and frees it */
static void
nmport_extmem_undo(struct nmport_cleanup_d *c, struct nmport_d *d)
{
	(void)c;
	if (d->extmem == NULL)
		return;
	nmreq_remove_option(&d->hdr, &d->extmem->nro_opt);
	nmctx_free(d->ctx, d->extmem);
	d->extmem = NULL;
}

/*
 * The work of nmport_extmem, nmport_extmem_from_file and nmport_offset;
 * msg is the context for messages (while parsing, one that names the
 * portspec), allocations always go through the port's own context.
 */
static int
nmport_extmem_msg(struct nmport_d *d, void *base, size_t size,
    struct nmctx *msg)
{
	struct nmctx *ctx = d->ctx;
	struct nmport_cleanup_d *c;
	struct nmreq_opt_extmem *e;

	if (d->register_done) {
		nmctx_ferror(msg, "%s: extmem must be set before the port is "
		    "registered", NMPORT_NAME(d));
		errno = EINVAL;
		return -1;
	}
	if (d->extmem != NULL) {
		nmctx_ferror(msg, "%s: extmem already set", NMPORT_NAME(d));
		errno = EINVAL;
		return -1;
	}
	c = nmctx_malloc(ctx, sizeof(*c));
	e = nmctx_malloc(ctx, sizeof(*e));
	if (c == NULL || e == NULL) {
		if (c != NULL)
			nmctx_free(ctx, c);
		if (e != NULL)
			nmctx_free(ctx, e);
		nmctx_ferror(msg, "%s: out of memory for the extmem option",
		    NMPORT_NAME(d));
		errno = ENOMEM;
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->nro_opt.nro_reqtype = NETMAP_REQ_OPT_EXTMEM;
	e->nro_usrptr = (uint64_t)(uintptr_t)base;
	e->nro_info.nr_memsize = size;
	nmreq_push_option(&d->hdr, &e->nro_opt);
	d->extmem = e;
	c->cleanup = nmport_extmem_undo;
	nmport_push_cleanup(d, c);
	return 0;
}

int
nmport_extmem(struct nmport_d *d, void *base, size_t size)
{
	return nmport_extmem_msg(d, base, size, d->ctx);
}

struct nmport_filemap_undo {
	struct nmport_cleanup_d	up;
	void			*base;
	size_t			size;
};

static void
nmport_filemap_undo(struct nmport_cleanup_d *c, struct nmport_d *d)
{
	struct nmport_filemap_undo *u = (struct nmport_filemap_undo *)c;

	(void)d;
	munmap(u->base, u->size);
}

static int
nmport_extmem_file_msg(struct nmport_d *d, const char *fname,
    struct nmctx *msg)
{
	struct nmctx *ctx = d->ctx;
	struct nmport_filemap_undo *u;
	struct nmport_cleanup_d *mark = d->clist;
	off_t size;
	void *p;
	int fd, err;

	u = nmctx_malloc(ctx, sizeof(*u));
	if (u == NULL) {
		nmctx_ferror(msg, "out of memory mapping '%s'", fname);
		errno = ENOMEM;
		return -1;
	}
	fd = open(fname, O_RDWR);
	if (fd < 0) {
		err = errno;
		nmctx_ferror(msg, "extmem: cannot open '%s': %s", fname,
		    strerror(err));
		goto fail;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0) {
		err = size < 0 ? errno : EINVAL;
		nmctx_ferror(msg, "extmem: cannot use '%s': %s", fname,
		    size < 0 ? strerror(err) : "the file is empty");
		close(fd);
		goto fail;
	}
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	close(fd);
	if (p == MAP_FAILED) {
		nmctx_ferror(msg, "extmem: cannot mmap '%s': %s", fname,
		    strerror(err));
		goto fail;
	}
	u->base = p;
	u->size = (size_t)size;
	u->up.cleanup = nmport_filemap_undo;
	nmport_push_cleanup(d, &u->up);
	if (nmport_extmem_msg(d, p, (size_t)size, msg) < 0) {
		err = errno;
		nmport_cleanup_until(d, mark);	/* unmaps, frees u */
		errno = err;
		return -1;
	}
	return 0;
fail:
	nmctx_free(ctx, u);
	errno = err;
	return -1;
}

int
nmport_extmem_from_file(struct nmport_d *d, const char *fname)
{
	return nmport_extmem_file_msg(d, fname, d->ctx);
}

struct nmreq_pools_info *
nmport_extmem_getinfo(struct nmport_d *d)
{
	return d->extmem != NULL ? &d->extmem->nro_info : NULL;
}

struct nmport_offset_undo {
	struct nmport_cleanup_d	up;
	struct nmreq_opt_offsets *opt;
};

static void
nmport_offset_undo(struct nmport_cleanup_d *c, struct nmport_d *d)
{
	struct nmport_offset_undo *u = (struct nmport_offset_undo *)c;

	nmreq_remove_option(&d->hdr, &u->opt->nro_opt);
	nmctx_free(d->ctx, u->opt);
}

static int
nmport_offset_msg(struct nmport_d *d, uint64_t initial, uint64_t maxoff,
    uint64_t bits, uint64_t mingap, struct nmctx *msg)
{
	struct nmctx *ctx = d->ctx;
	struct nmport_offset_undo *u;
	struct nmreq_opt_offsets *o;

	u = nmctx_malloc(ctx, sizeof(*u));
	o = nmctx_malloc(ctx, sizeof(*o));
	if (u == NULL || o == NULL) {
		if (u != NULL)
			nmctx_free(ctx, u);
		if (o != NULL)
			nmctx_free(ctx, o);
		nmctx_ferror(msg, "%s: out of memory for the offset option",
		    NMPORT_NAME(d));
		errno = ENOMEM;
		return -1;
	}
	memset(o, 0, sizeof(*o));
	o->nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	o->nro_initial_offset = initial;
	o->nro_max_offset = maxoff;
	o->nro_offset_bits = (uint32_t)bits;
	o->nro_min_gap = mingap;
	nmreq_push_option(&d->hdr, &o->nro_opt);
	u->opt = o;
	u->up.cleanup = nmport_offset_undo;
	nmport_push_cleanup(d, &u->up);
	return 0;
}

int
nmport_offset(struct nmport_d *d, uint64_t initial, uint64_t maxoff,
    uint64_t bits, uint64_t mingap)
{
	return nmport_offset_msg(d, initial, maxoff, bits, mingap, d->ctx);
}

/* ------------------------------------------------- option parsers */

enum { SHARE_PORT, SHARE_NKEYS };
enum {
	EXTMEM_FILE, EXTMEM_IF_NUM, EXTMEM_IF_SIZE, EXTMEM_RING_NUM,
	EXTMEM_RING_SIZE, EXTMEM_BUF_NUM, EXTMEM_BUF_SIZE, EXTMEM_NKEYS
};
enum {
	CONF_RINGS, CONF_HOST_RINGS, CONF_SLOTS, CONF_TX_RINGS, CONF_RX_RINGS,
	CONF_HOST_TX_RINGS, CONF_HOST_RX_RINGS, CONF_TX_SLOTS, CONF_RX_SLOTS,
	CONF_NKEYS
};
enum { OFFSET_INITIAL, OFFSET_BITS, OFFSET_NKEYS };

/* a numeric key value, or an error naming option and key */
static int
nm_key_number(struct nmreq_parse_ctx *p, const char *opt, const char *key,
    int id, uint64_t max, uint64_t *out)
{
	const char *v = p->keys[id];

	if (nm_parse_u64(v, max, out) == 0)
		return 0;
	nmctx_ferror(p->ctx, "option '@%s': %s=%s is not a number in [0, %"
	    PRIu64 "]", opt, key, v, max);
	errno = EINVAL;
	return -1;
}

static int
nmport_parse_share(struct nmreq_parse_ctx *p)
{
	struct nmport_d *d = p->token;
	const char *v = p->keys[SHARE_PORT], *scan = v;
	struct nmreq_header h;
	struct nmreq_register r;
	int32_t mem_id;

	/* check the whole value before asking the device anything; a mode
	 * after the name is allowed (and ignored), as netmap does */
	memset(&r, 0, sizeof(r));
	if (nmreq_header_decode(&scan, &h, p->ctx) < 0 ||
	    nmreq_register_decode(&scan, &r, p->ctx) < 0)
		return -1;
	if (*scan != '\0') {
		nmctx_ferror(p->ctx, "option '@share': unexpected '%s' after "
		    "the port name", scan);
		errno = EINVAL;
		return -1;
	}
	mem_id = nmreq_get_mem_id(&v, p->ctx);
	if (mem_id < 0)
		return -1;
	if (d->reg.nr_mem_id != 0 && d->reg.nr_mem_id != mem_id) {
		nmctx_ferror(p->ctx, "option '@share': %s is in memory region "
		    "%" PRId32 ", but region %" PRIu16 " was already asked for",
		    p->keys[SHARE_PORT], mem_id, d->reg.nr_mem_id);
		errno = EINVAL;
		return -1;
	}
	d->reg.nr_mem_id = (uint16_t)mem_id;
	return 0;
}

static int
nmport_parse_extmem(struct nmreq_parse_ctx *p)
{
	static const char *const names[EXTMEM_NKEYS] = {
		"file", "if-num", "if-size", "ring-num", "ring-size",
		"buf-num", "buf-size",
	};
	struct nmport_d *d = p->token;
	uint64_t v[EXTMEM_NKEYS] = { 0 };
	struct nmreq_pools_info *pi;
	int i;

	for (i = EXTMEM_IF_NUM; i < EXTMEM_NKEYS; i++)
		if (p->keys[i] != NULL &&
		    nm_key_number(p, "extmem", names[i], i, UINT32_MAX, &v[i]))
			return -1;
	if (nmport_extmem_file_msg(d, p->keys[EXTMEM_FILE], p->ctx) < 0)
		return -1;
	pi = &d->extmem->nro_info;
	pi->nr_if_pool_objtotal = (uint32_t)v[EXTMEM_IF_NUM];
	pi->nr_if_pool_objsize = (uint32_t)v[EXTMEM_IF_SIZE];
	pi->nr_ring_pool_objtotal = (uint32_t)v[EXTMEM_RING_NUM];
	pi->nr_ring_pool_objsize = (uint32_t)v[EXTMEM_RING_SIZE];
	pi->nr_buf_pool_objtotal = (uint32_t)v[EXTMEM_BUF_NUM];
	pi->nr_buf_pool_objsize = (uint32_t)v[EXTMEM_BUF_SIZE];
	return 0;
}

static int
nmport_parse_conf(struct nmreq_parse_ctx *p)
{
	static const char *const names[CONF_NKEYS] = {
		"rings", "host-rings", "slots", "tx-rings", "rx-rings",
		"host-tx-rings", "host-rx-rings", "tx-slots", "rx-slots",
	};
	struct nmport_d *d = p->token;
	struct nmreq_register *r = &d->reg;
	uint64_t v[CONF_NKEYS];
	int i;

	for (i = 0; i < CONF_NKEYS; i++) {
		uint64_t max = (i == CONF_SLOTS || i == CONF_TX_SLOTS ||
		    i == CONF_RX_SLOTS) ? UINT32_MAX : UINT16_MAX;

		if (p->keys[i] != NULL &&
		    nm_key_number(p, "conf", names[i], i, max, &v[i]))
			return -1;
	}
	/* the general keys first, so that the specific ones win */
	if (p->keys[CONF_RINGS] != NULL)
		r->nr_tx_rings = r->nr_rx_rings = (uint16_t)v[CONF_RINGS];
	if (p->keys[CONF_HOST_RINGS] != NULL)
		r->nr_host_tx_rings = r->nr_host_rx_rings =
		    (uint16_t)v[CONF_HOST_RINGS];
	if (p->keys[CONF_SLOTS] != NULL)
		r->nr_tx_slots = r->nr_rx_slots = (uint32_t)v[CONF_SLOTS];
	if (p->keys[CONF_TX_RINGS] != NULL)
		r->nr_tx_rings = (uint16_t)v[CONF_TX_RINGS];
	if (p->keys[CONF_RX_RINGS] != NULL)
		r->nr_rx_rings = (uint16_t)v[CONF_RX_RINGS];
	if (p->keys[CONF_HOST_TX_RINGS] != NULL)
		r->nr_host_tx_rings = (uint16_t)v[CONF_HOST_TX_RINGS];
	if (p->keys[CONF_HOST_RX_RINGS] != NULL)
		r->nr_host_rx_rings = (uint16_t)v[CONF_HOST_RX_RINGS];
	if (p->keys[CONF_TX_SLOTS] != NULL)
		r->nr_tx_slots = (uint32_t)v[CONF_TX_SLOTS];
	if (p->keys[CONF_RX_SLOTS] != NULL)
		r->nr_rx_slots = (uint32_t)v[CONF_RX_SLOTS];
	return 0;
}

static int
nmport_parse_offset(struct nmreq_parse_ctx *p)
{
	uint64_t initial, bits = 0;

	if (nm_key_number(p, "offset", "initial", OFFSET_INITIAL, UINT64_MAX,
	    &initial) != 0)
		return -1;
	if (p->keys[OFFSET_BITS] != NULL &&
	    nm_key_number(p, "offset", "bits", OFFSET_BITS, 64, &bits) != 0)
		return -1;
	/* the largest offset is the initial one, as in netmap */
	return nmport_offset_msg(p->token, initial, initial, bits, 0, p->ctx);
}

#define NMKEY(name_, id_, flags_)	[id_] = { (name_), (id_), (flags_) }
#define MANDATORY_DEFAULT	(NMREQ_OPTK_DEFAULT | NMREQ_OPTK_MUSTSET)

/* unetmap's own (@admode, @force, @fix-offloads): nmport_unetmap.c */

static struct nmreq_opt_parser nmport_opt_offset = {
	.prefix = "offset",
	.parse = nmport_parse_offset,
	.default_key = OFFSET_INITIAL,
	.nr_keys = OFFSET_NKEYS,
	.flags = NMREQ_OPTF_DISABLED,	/* needs a program that knows */
	.next = &nmport_opt_admode,
	.keys = {
		NMKEY("initial", OFFSET_INITIAL, MANDATORY_DEFAULT),
		NMKEY("bits", OFFSET_BITS, 0),
	},
};

/* no default key: "@conf=N" is an error, as in netmap */
static struct nmreq_opt_parser nmport_opt_conf = {
	.prefix = "conf",
	.parse = nmport_parse_conf,
	.default_key = -1,
	.nr_keys = CONF_NKEYS,
	.flags = 0,
	.next = &nmport_opt_offset,
	.keys = {
		NMKEY("rings", CONF_RINGS, 0),
		NMKEY("host_rings", CONF_HOST_RINGS, 0),
		NMKEY("slots", CONF_SLOTS, 0),
		NMKEY("tx_rings", CONF_TX_RINGS, 0),
		NMKEY("rx_rings", CONF_RX_RINGS, 0),
		NMKEY("host_tx_rings", CONF_HOST_TX_RINGS, 0),
		NMKEY("host_rx_rings", CONF_HOST_RX_RINGS, 0),
		NMKEY("tx_slots", CONF_TX_SLOTS, 0),
		NMKEY("rx_slots", CONF_RX_SLOTS, 0),
	},
};

static struct nmreq_opt_parser nmport_opt_extmem = {
	.prefix = "extmem",
	.parse = nmport_parse_extmem,
	.default_key = EXTMEM_FILE,
	.nr_keys = EXTMEM_NKEYS,
	.flags = 0,
	.next = &nmport_opt_conf,
	.keys = {
		NMKEY("file", EXTMEM_FILE, MANDATORY_DEFAULT),
		NMKEY("if_num", EXTMEM_IF_NUM, 0),
		NMKEY("if_size", EXTMEM_IF_SIZE, 0),
		NMKEY("ring_num", EXTMEM_RING_NUM, 0),
		NMKEY("ring_size", EXTMEM_RING_SIZE, 0),
		NMKEY("buf_num", EXTMEM_BUF_NUM, 0),
		NMKEY("buf_size", EXTMEM_BUF_SIZE, 0),
	},
};

static struct nmreq_opt_parser nmport_opt_share = {
	.prefix = "share",
	.parse = nmport_parse_share,
	.default_key = SHARE_PORT,
	.nr_keys = SHARE_NKEYS,
	.flags = 0,
	.next = &nmport_opt_extmem,
	.keys = {
		NMKEY("port", SHARE_PORT, MANDATORY_DEFAULT),
	},
};

struct nmreq_opt_parser *
nmport_opt_parsers(void)
{
	return &nmport_opt_share;
}

void
nmport_disable_option(const char *opt)
{
	struct nmreq_opt_parser *p;

	for (p = nmport_opt_parsers(); p != NULL; p = p->next)
		if (strcmp(p->prefix, opt) == 0)
			p->flags |= NMREQ_OPTF_DISABLED;
}

int
nmport_enable_option(const char *opt)
{
	struct nmreq_opt_parser *p;

	for (p = nmport_opt_parsers(); p != NULL; p = p->next) {
		if (strcmp(p->prefix, opt) == 0) {
			p->flags &= ~NMREQ_OPTF_DISABLED;
			return 0;
		}
	}
	errno = EOPNOTSUPP;
	return -1;
}
