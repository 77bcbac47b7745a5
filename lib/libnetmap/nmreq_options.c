/*
 * nmreq_options.c - the "@option..." tail of a portspec.
 *
 *	@name		needs NMREQ_OPTF_ALLOWEMPTY
 *	@name=value	value goes to the parser's default key
 *	@name:k=v,k2=v2	keys in any order, '-' read as '_', each at most
 *			once, every NMREQ_OPTK_MUSTSET key present
 *
 * Each option is copied into a scratch string (the key names are
 * rewritten in place) that lives until its parser returns.
 */
#include <errno.h>
#include <string.h>

#include "libnetmap_int.h"

static struct nmreq_opt_key *
nm_find_key(struct nmreq_opt_parser *p, const char *name)
{
	int i;

	for (i = 0; i < NMREQ_OPT_MAXKEYS && p->keys[i].key != NULL; i++)
		if (strcmp(p->keys[i].key, name) == 0)
			return &p->keys[i];
	return NULL;
}

/* parses "k=v,k2=v2" (modified in place) into pctx->keys */
static int
nm_parse_keys(struct nmreq_opt_parser *p, char *body,
    struct nmreq_parse_ctx *pctx)
{
	struct nmctx *ctx = pctx->ctx;
	char *item = *body != '\0' ? body : NULL;	/* "@name:" sets no key */
	int i;

	while (item != NULL) {
		char *next = strchr(item, ',');
		char *value, *c;
		struct nmreq_opt_key *k;

		if (next != NULL)
			*next++ = '\0';
		value = strchr(item, '=');
		if (value != NULL)
			*value++ = '\0';
		for (c = item; *c != '\0'; c++)
			if (*c == '-')
				*c = '_';

		k = nm_find_key(p, item);
		if (k == NULL || k->id < 0 || k->id >= NMREQ_OPT_MAXKEYS) {
			nmctx_ferror(ctx, "option '@%s': unknown key '%s'",
			    p->prefix, item);
			goto fail;
		}
		if (pctx->keys[k->id] != NULL) {
			nmctx_ferror(ctx, "option '@%s': key '%s' given twice",
			    p->prefix, item);
			goto fail;
		}
		if (value == NULL) {
			if (!(k->flags & NMREQ_OPTK_ALLOWEMPTY)) {
				nmctx_ferror(ctx, "option '@%s': key '%s' needs "
				    "'=value'", p->prefix, item);
				goto fail;
			}
			value = item;	/* a flag key: set to its own name */
		} else if (*value == '\0') {
			nmctx_ferror(ctx, "option '@%s': empty value for key "
			    "'%s'", p->prefix, item);
			goto fail;
		}
		pctx->keys[k->id] = value;
		item = next;
	}

	for (i = 0; i < NMREQ_OPT_MAXKEYS && p->keys[i].key != NULL; i++) {
		const struct nmreq_opt_key *k = &p->keys[i];

		if ((k->flags & NMREQ_OPTK_MUSTSET) && k->id >= 0 &&
		    k->id < NMREQ_OPT_MAXKEYS && pctx->keys[k->id] == NULL) {
			nmctx_ferror(ctx, "option '@%s': mandatory key '%s' "
			    "missing", p->prefix, k->key);
			goto fail;
		}
	}
	return 0;
fail:
	errno = EINVAL;
	return -1;
}

/* one option, without its '@', in a writable string */
static int
nm_decode_one(char *opt, struct nmreq_opt_parser *parsers, void *token,
    struct nmctx *ctx)
{
	struct nmreq_parse_ctx pctx;
	struct nmreq_opt_parser *p;
	char *body = opt + strcspn(opt, ":=");
	char delim = *body;
	int i;

	if (delim != '\0')
		*body++ = '\0';
	for (p = parsers; p != NULL; p = p->next)
		if (strcmp(p->prefix, opt) == 0)
			break;
	if (p == NULL) {
		nmctx_ferror(ctx, "unknown option '@%s'", opt);
		errno = EINVAL;
		return -1;
	}
	if (p->flags & NMREQ_OPTF_DISABLED) {
		nmctx_ferror(ctx, "option '@%s' is disabled in this program",
		    opt);
		errno = EOPNOTSUPP;
		return -1;
	}

	pctx.ctx = ctx;
	pctx.token = token;
	for (i = 0; i < NMREQ_OPT_MAXKEYS; i++)
		pctx.keys[i] = NULL;

	switch (delim) {
	case '\0':
		if (!(p->flags & NMREQ_OPTF_ALLOWEMPTY)) {
			nmctx_ferror(ctx, "option '@%s' needs '=value' or "
			    "':key=value,...'", opt);
			errno = EINVAL;
			return -1;
		}
		break;
	case '=':
		if (p->default_key < 0 || p->default_key >= NMREQ_OPT_MAXKEYS) {
			nmctx_ferror(ctx, "option '@%s' has no default key, use "
			    "'@%s:key=value'", opt, opt);
			errno = EINVAL;
			return -1;
		}
		if (*body == '\0') {
			nmctx_ferror(ctx, "option '@%s': missing value after '='",
			    opt);
			errno = EINVAL;
			return -1;
		}
		pctx.keys[p->default_key] = body;
		break;
	default:	/* ':' */
		if (nm_parse_keys(p, body, &pctx) < 0)
			return -1;
		break;
	}
	return p->parse(&pctx);
}

int
nmreq_options_decode(const char *opt, struct nmreq_opt_parser *parsers,
    void *token, struct nmctx *ctx)
{
	while (*opt != '\0') {
		size_t len;
		char *copy;
		int ret;

		if (*opt != '@') {
			nmctx_ferror(ctx, "'%s': options must start with '@'",
			    opt);
			errno = EINVAL;
			return -1;
		}
		opt++;
		len = strcspn(opt, "@");
		if (len == 0) {
			nmctx_ferror(ctx, "empty option ('@' followed by %s)",
			    *opt ? "'@'" : "nothing");
			errno = EINVAL;
			return -1;
		}
		copy = nmctx_malloc(ctx, len + 1);
		if (copy == NULL) {
			nmctx_ferror(ctx, "out of memory parsing options");
			errno = ENOMEM;
			return -1;
		}
		memcpy(copy, opt, len);
		copy[len] = '\0';
		ret = nm_decode_one(copy, parsers, token, ctx);
		nmctx_free(ctx, copy);
		if (ret < 0) {
			if (errno == 0)
				errno = EINVAL;
			return -1;
		}
		opt += len;
	}
	return 0;
}
