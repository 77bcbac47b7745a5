/*
 * libnetmap_int.h - what the files of lib/libnetmap share and do not
 * export.
 */
#ifndef UNETMAP_LIBNETMAP_INT_H
#define UNETMAP_LIBNETMAP_INT_H

#define LIBNETMAP_NOTHREADSAFE	/* only nmctx_pthread.c pulls pthreads */
#include <libnetmap.h>

#define NM_HIDDEN	__attribute__((visibility("hidden")))

/*
 * An undo action of a port.  Steps that acquire something (an option, a
 * file mapping) push one; nmport_undo_parse() runs them newest first.
 * Bigger records embed this one first.
 */
struct nmport_cleanup_d {
	struct nmport_cleanup_d *next;
	void (*cleanup)(struct nmport_cleanup_d *, struct nmport_d *);
};

/* the port's name for messages, also before a portspec was parsed */
#define NMPORT_NAME(d)	((d)->hdr.nr_name[0] ? (d)->hdr.nr_name : "(unnamed port)")

NM_HIDDEN void nmport_push_cleanup(struct nmport_d *d,
    struct nmport_cleanup_d *c);
/* runs and frees undo actions until c (excluded) is on top */
NM_HIDDEN void nmport_cleanup_until(struct nmport_d *d,
    struct nmport_cleanup_d *c);
/* the head of the option parsers used by nmport_parse() */
NM_HIDDEN struct nmreq_opt_parser *nmport_opt_parsers(void);
/* our own port option (@admode:..., nmport_unetmap.c), last in that list */
NM_HIDDEN extern struct nmreq_opt_parser nmport_opt_admode;
/* reads all of s as a decimal number <= max; 0 on success */
NM_HIDDEN int nm_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* [s, e) holds only [A-Za-z0-9_] (may be empty) */
NM_HIDDEN int nm_is_ident(const char *s, const char *e);

#endif
