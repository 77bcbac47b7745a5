/*
 * nmctx.c - library contexts: how errors are reported, memory allocated
 * and the list of mapped regions locked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libnetmap_int.h"

static void
nmctx_stderr(struct nmctx *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

static void *
nmctx_libc_malloc(struct nmctx *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void
nmctx_libc_free(struct nmctx *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static struct nmctx nmctx_builtin = {
	.verbose = 1,
	.error = nmctx_stderr,
	.malloc = nmctx_libc_malloc,
	.free = nmctx_libc_free,
	.lock = NULL,
	.mem_descs = NULL,
};

static struct nmctx *nmctx_current = &nmctx_builtin;

struct nmctx *
nmctx_get(void)
{
	return nmctx_current;
}

struct nmctx *
nmctx_set_default(struct nmctx *ctx)
{
	struct nmctx *old = nmctx_current;

	nmctx_current = ctx;
	return old;
}

void
nmctx_ferror(struct nmctx *ctx, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	if (ctx == NULL || !ctx->verbose || ctx->error == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		ctx->error(ctx, "libnetmap: cannot format an error message");
		return;
	}
	/* a cut message is better than none: mark the cut */
	if ((size_t)n >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	ctx->error(ctx, msg);
}

void *
nmctx_malloc(struct nmctx *ctx, size_t size)
{
	return ctx->malloc(ctx, size);
}

void
nmctx_free(struct nmctx *ctx, void *p)
{
	ctx->free(ctx, p);
}

void
nmctx_lock(struct nmctx *ctx)
{
	if (ctx->lock != NULL)
		ctx->lock(ctx, 1);
}

void
nmctx_unlock(struct nmctx *ctx)
{
	if (ctx->lock != NULL)
		ctx->lock(ctx, 0);
}
