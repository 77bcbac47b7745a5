/*
 * nmreq.c - request headers and their option lists, and two small
 * parsing helpers shared by the portspec decoders.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "libnetmap_int.h"

void
nmreq_header_init(struct nmreq_header *h, uint16_t reqtype, void *body)
{
	memset(h, 0, sizeof(*h));
	h->nr_version = NETMAP_API;
	h->nr_reqtype = reqtype;
	h->nr_body = (uint64_t)(uintptr_t)body;
}

/* the new option goes first: the list is a stack */
void
nmreq_push_option(struct nmreq_header *h, struct nmreq_option *o)
{
	o->nro_next = h->nr_options;
	h->nr_options = (uint64_t)(uintptr_t)o;
}

void
nmreq_remove_option(struct nmreq_header *h, struct nmreq_option *o)
{
	uint64_t *link = &h->nr_options;

	while (*link != 0) {
		struct nmreq_option *cur =
		    (struct nmreq_option *)(uintptr_t)*link;

		if (cur == o) {
			*link = o->nro_next;
			o->nro_next = 0;
			return;
		}
		link = &cur->nro_next;
	}
}

struct nmreq_option *
nmreq_find_option(struct nmreq_header *h, uint32_t reqtype)
{
	struct nmreq_option *o;

	nmreq_foreach_option(h, o) {
		if (o->nro_reqtype == reqtype)
			return o;
	}
	return NULL;
}

/* options allocated with malloc() by the caller; the list ends empty */
void
nmreq_free_options(struct nmreq_header *h)
{
	struct nmreq_option *o = (struct nmreq_option *)(uintptr_t)h->nr_options;

	while (o != NULL) {
		struct nmreq_option *next =
		    (struct nmreq_option *)(uintptr_t)o->nro_next;

		free(o);
		o = next;
	}
	h->nr_options = 0;
}

const char *
nmreq_option_name(uint32_t reqtype)
{
	switch (reqtype) {
	case NETMAP_REQ_OPT_EXTMEM:
		return "extmem";
	case NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS:
		return "sync-kloop-eventfds";
	case NETMAP_REQ_OPT_CSB:
		return "csb";
	case NETMAP_REQ_OPT_SYNC_KLOOP_MODE:
		return "sync-kloop-mode";
	case NETMAP_REQ_OPT_OFFSETS:
		return "offsets";
	default:
		return "unknown";
	}
}

int
nm_is_ident(const char *s, const char *e)
{
	for (; s < e; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

int
nm_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned int digit = (unsigned char)*s - '0';

		if (digit > 9 || digit > max || v > (max - digit) / 10)
			return -1;
		v = v * 10 + digit;
	}
	*out = v;
	return 0;
}
