/*
 * libnetmap.h - the netmap port library, as provided by unetmap.
 *
 * Same API as netmap's libnetmap (nmport_*, nmreq_*, nmctx_*), so that
 * programs written for it build unchanged; the implementation is ours
 * (lib/libnetmap/).  Link with -lnetmap (or -lunetmap).
 *
 * Port specification ("portspec") syntax:
 *
 *	subsystem:vpname[mode][options]
 *
 * subsystem	"netmap" (the prefix is not sent to the kernel side), or
 *		"vale" followed by an optional switch id of [A-Za-z0-9_]
 *		(the whole "valeX:port" is the port name).
 * vpname	runs up to the first of - * ^ / @.  "x{id" / "x}id" name the
 *		master / slave end of pipe id (a non-empty [A-Za-z0-9_]
 *		identifier) in the memory region of port x; x may be empty.
 * mode		nothing	all NIC ring pairs
 *		^	all host ring pairs	^N	host ring pair N
 *		*	NIC and host rings	-N	NIC ring pair N
 *		@N	use memory region N (N > 0)
 *		/flags	any of: x exclusive, z zero-copy monitor, t / r copy
 *			monitor of tx / rx, R rx rings only, T tx rings only
 * options	each starts with '@' followed by a letter:
 *		@name, @name=value (the option's default key) or
 *		@name:key=value,key=value,...  ('-' in keys reads as '_';
 *		a key may not repeat; mandatory keys must be present)
 *
 *	@share=PORT	use the memory region of PORT (subsystem:vpname)
 *	@conf:KEYS	rings, tx-rings, rx-rings, host-rings, host-tx-rings,
 *			host-rx-rings, slots, tx-slots, rx-slots: geometry of
 *			a port created by this open (more specific keys win)
 *	@extmem:file=PATH[,if-num,if-size,ring-num,ring-size,buf-num,buf-size]
 *			place the region in the mmap()ed file PATH
 *	@offset:initial=N[,bits=B]
 *			per-slot data offsets; disabled until
 *			nmport_enable_option("offset") is called
 *
 * Errors: functions returning int give 0 or -1 with errno set (EINVAL
 * for a bad portspec), those returning pointers give NULL; in both cases
 * a message naming the cause goes to the error() callback of the nmctx.
 *
 * Define LIBNETMAP_NOTHREADSAFE before including this file if the
 * program does not need the locking of the default context.
 */
#ifndef LIBNETMAP_H_
#define LIBNETMAP_H_

#include <stddef.h>
#include <stdint.h>
#include <net/netmap_user.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nmctx;
struct nmport_d;
struct nmem_d;
struct nmport_cleanup_d;

/* ------------------------------------------------------------ ports */

/* one netmap port: the request, and what opening it produced */
struct nmport_d {
	struct nmreq_header	hdr;	/* nr_body points to reg */
	struct nmreq_register	reg;

	/* read-only from here on */

	/* the region: same nmem_d for ports sharing memory (same nmctx) */
	struct nmem_d		*mem;
	struct nmctx		*ctx;	/* context this port was created in */

	int			register_done;
	int			mmap_done;
	struct nmreq_opt_extmem	*extmem;	/* in hdr's options, or NULL */

	/* as in struct nm_desc */
	int			fd;	/* -1 when not registered */
	struct netmap_if	*nifp;
	uint16_t		first_tx_ring;	/* bound rings are */
	uint16_t		last_tx_ring;	/* [first, last]; empty if */
	uint16_t		first_rx_ring;	/* last < first */
	uint16_t		last_rx_ring;
	uint16_t		cur_tx_ring;	/* next ring nmport_inject tries */
	uint16_t		cur_rx_ring;

	struct nmport_cleanup_d	*clist;	/* undo actions, newest first */
};

/*
 * nmport_open - parse portspec, register the port and map its memory.
 * Returns the descriptor, or NULL (errno set, message sent).
 */
struct nmport_d *nmport_open(const char *portspec);

/* nmport_close - undo everything nmport_open did and free d (NULL ok) */
void nmport_close(struct nmport_d *d);

/*
 * nmport_inject - copy one packet into the first tx ring with room,
 * starting at cur_tx_ring.  Returns size if queued, 0 if every ring is
 * full (nothing is sent until the next txsync or poll).
 */
int nmport_inject(struct nmport_d *d, const void *buf, size_t size);

/*
 * The steps of nmport_open, for programs that need to act in between
 * (extra buffers, extmem, offsets, changed geometry...):
 *
 *	nmport_open = nmport_prepare + nmport_open_desc
 *	nmport_prepare = nmport_new + nmport_parse
 *	nmport_open_desc = nmport_register + nmport_mmap
 *
 * Each int-returning step gives 0, or -1 with errno set, a message sent
 * and *d unchanged.  Each has an undo.
 */
struct nmport_d *nmport_new(void);		/* in the default nmctx */
int nmport_parse(struct nmport_d *d, const char *portspec);
int nmport_register(struct nmport_d *d);	/* open + NIOCCTRL */
int nmport_mmap(struct nmport_d *d);		/* map (once per region) */
void nmport_delete(struct nmport_d *d);
void nmport_undo_parse(struct nmport_d *d);
void nmport_undo_register(struct nmport_d *d);
void nmport_undo_mmap(struct nmport_d *d);

struct nmport_d *nmport_prepare(const char *portspec);
int nmport_open_desc(struct nmport_d *d);
void nmport_undo_prepare(struct nmport_d *d);
void nmport_undo_open_desc(struct nmport_d *d);

/*
 * nmport_clone - a new prepared (not registered) descriptor with d's
 * header and register request, no options, in d's context.  A port using
 * extmem can be cloned only once registered.
 */
struct nmport_d *nmport_clone(struct nmport_d *d);

/*
 * nmport_extmem - have the region laid out in [base, base + size)
 * instead of memory mapped from the device.  Call after parse, before
 * register; nmport_mmap then maps nothing.
 */
int nmport_extmem(struct nmport_d *d, void *base, size_t size);

/* nmport_extmem_from_file - the same with the mmap()ed file fname */
int nmport_extmem_from_file(struct nmport_d *d, const char *fname);

/*
 * nmport_extmem_getinfo - the pools wanted (before register) or granted
 * (after), or NULL without extmem.
 */
struct nmreq_pools_info *nmport_extmem_getinfo(struct nmport_d *d);

/*
 * nmport_offset - ask for per-slot data offsets: the low bits bits of
 * slot->ptr (all of it if 0) hold an offset into the buffer, every slot
 * starts at initial, none goes beyond maxoff, and (if non-zero) mingap
 * bytes are kept per slot when buffers are shared.  Read and write them
 * with NETMAP_ROFFSET / NETMAP_WOFFSET; ring->buf_align gives the tx
 * alignment.
 */
int nmport_offset(struct nmport_d *d, uint64_t initial, uint64_t maxoff,
    uint64_t bits, uint64_t mingap);

/*
 * Options a program cannot handle can be disabled (they then fail with
 * EOPNOTSUPP when met in a portspec); some ("offset") are disabled until
 * enabled.  Disabling an unknown option does nothing; enabling one fails
 * with EOPNOTSUPP.  Not thread-safe: call early.
 */
void nmport_disable_option(const char *opt);
int nmport_enable_option(const char *opt);

/* ------------------------------------------------------ requests */

/* nmreq_header_init - zero hdr, then set version, type and body */
void nmreq_header_init(struct nmreq_header *hdr, uint16_t reqtype,
    void *body);

/*
 * nmreq_header_decode - take "subsystem:vpname" from *ppspec into
 * hdr->nr_name and advance *ppspec past it.  Nothing else changes.  On
 * error: -1, errno EINVAL, nothing changed, message sent through ctx.
 */
int nmreq_header_decode(const char **ppspec, struct nmreq_header *hdr,
    struct nmctx *ctx);

/*
 * nmreq_register_decode - take the mode part at *pmode into nr_mode,
 * nr_ringid, nr_flags and nr_mem_id (a non-zero nr_mem_id already in reg
 * may not be changed by "@N") and advance *pmode.  An '@' not followed by
 * a digit ends the mode: *pmode is left on it and nr_mem_id untouched.
 * On error: -1, errno EINVAL, nothing changed, message sent through ctx.
 */
int nmreq_register_decode(const char **pmode, struct nmreq_register *reg,
    struct nmctx *ctx);

/*
 * nmreq_options_decode - parse an option list ("" or "@..."), handing
 * each option to the parser of the list parsers whose prefix matches,
 * with token.  Returns 0, or -1 with errno set and a message sent;
 * options parsed before the failing one are not undone.
 */
struct nmreq_opt_parser;
int nmreq_options_decode(const char *opt, struct nmreq_opt_parser *parsers,
    void *token, struct nmctx *ctx);

struct nmreq_parse_ctx;
typedef int (*nmreq_opt_parser_cb)(struct nmreq_parse_ctx *);

#define NMREQ_OPT_MAXKEYS	16	/* keys per option, at most */

struct nmreq_opt_key {
	const char	*key;		/* name, with '_' for '-' */
	int		id;		/* index in nmreq_parse_ctx.keys */
	unsigned int	flags;
#define NMREQ_OPTK_ALLOWEMPTY	(1U << 0)	/* "key" alone is allowed */
#define NMREQ_OPTK_MUSTSET	(1U << 1)	/* mandatory */
#define NMREQ_OPTK_DEFAULT	(1U << 2)	/* takes "@option=value" */
};

struct nmreq_opt_parser {
	const char		*prefix;	/* option name */
	nmreq_opt_parser_cb	parse;
	int			default_key;	/* key id, or -1 */
	int			nr_keys;
	unsigned int		flags;
#define NMREQ_OPTF_DISABLED	(1U << 0)
#define NMREQ_OPTF_ALLOWEMPTY	(1U << 1)	/* "@option" alone is allowed */

	struct nmreq_opt_parser	*next;		/* list of parsers */

	struct nmreq_opt_key	keys[NMREQ_OPT_MAXKEYS];
} __attribute__((aligned(16)));

/* what a parser callback receives */
struct nmreq_parse_ctx {
	struct nmctx	*ctx;
	void		*token;
	/* value of each key by id, NULL if not given */
	const char	*keys[NMREQ_OPT_MAXKEYS];
};

/*
 * nmreq_get_mem_id - memory region id of the port named at *portname
 * ("subsystem:vpname", possibly followed by more text), found with a
 * NETMAP_REQ_PORT_INFO_GET on a fresh /dev/netmap descriptor.  Advances
 * *portname past the name.  Returns the id, or -1 with errno set.
 */
int32_t nmreq_get_mem_id(const char **portname, struct nmctx *ctx);

/* option lists of a header */
void nmreq_push_option(struct nmreq_header *h, struct nmreq_option *o);
void nmreq_remove_option(struct nmreq_header *h, struct nmreq_option *o);
struct nmreq_option *nmreq_find_option(struct nmreq_header *h,
    uint32_t reqtype);
void nmreq_free_options(struct nmreq_header *h);	/* free() each */
const char *nmreq_option_name(uint32_t reqtype);
#define nmreq_foreach_option(h_, o_)					\
	for ((o_) = (struct nmreq_option *)(uintptr_t)(h_)->nr_options;	\
	     (o_) != NULL;						\
	     (o_) = (struct nmreq_option *)(uintptr_t)(o_)->nro_next)

/* ------------------------------------------------------- contexts */

/*
 * An nmctx says how the library reports errors (error, if verbose is
 * non-zero), allocates (malloc, free), and locks its list of mapped
 * memory regions (lock, may be NULL).  Ports opened in one context share
 * one mapping per region id.
 */
typedef void (*nmctx_error_cb)(struct nmctx *, const char *);
typedef void *(*nmctx_malloc_cb)(struct nmctx *, size_t);
typedef void (*nmctx_free_cb)(struct nmctx *, void *);
typedef void (*nmctx_lock_cb)(struct nmctx *, int);

struct nmctx {
	int		verbose;
	nmctx_error_cb	error;
	nmctx_malloc_cb	malloc;
	nmctx_free_cb	free;
	nmctx_lock_cb	lock;

	struct nmem_d	*mem_descs;	/* mapped regions */
};

struct nmctx *nmctx_get(void);			/* the default context */
struct nmctx *nmctx_set_default(struct nmctx *ctx);	/* returns the old */

/* a memory region mapped in this process */
struct nmem_d {
	uint16_t	mem_id;
	int		refcount;	/* ports using it */
	void		*mem;
	size_t		size;
	int		is_extmem;	/* user memory: never munmap()ed here */

	struct nmem_d	*next;		/* list of the nmctx */
	struct nmem_d	*prev;
};

/*
 * Referencing nmctx_threadsafe pulls the object that installs a locked
 * default context into static links; with LIBNETMAP_NOTHREADSAFE the
 * program does without it (and without libpthread).
 */
static __attribute__((used)) void
libnetmap_init(void)
{
#ifndef LIBNETMAP_NOTHREADSAFE
	extern int nmctx_threadsafe;

	nmctx_threadsafe = 1;
#endif
}

/* install the mutex-protected default context (run at load time) */
void nmctx_set_threadsafe(void);

/* send a printf-style message to ctx's error callback */
void nmctx_ferror(struct nmctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void *nmctx_malloc(struct nmctx *ctx, size_t size);
void nmctx_free(struct nmctx *ctx, void *p);
void nmctx_lock(struct nmctx *ctx);
void nmctx_unlock(struct nmctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* LIBNETMAP_H_ */
