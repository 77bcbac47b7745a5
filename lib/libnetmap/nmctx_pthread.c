/*
 * nmctx_pthread.c - the thread-safe default context.
 *
 * At load time the default context is replaced by a copy of itself whose
 * lock() callback takes a mutex.  Programs reach this object through the
 * nmctx_threadsafe reference in libnetmap.h, unless they define
 * LIBNETMAP_NOTHREADSAFE.
 *
 * The mutex is not part of the context, so a program may copy the
 * default context (to change one callback) and keep the locking.
 */
#include <pthread.h>

#include <libnetmap.h>

static pthread_mutex_t nmctx_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct nmctx nmctx_locked;

int nmctx_threadsafe;

static void
nmctx_mutex_lock(struct nmctx *ctx, int lock)
{
	(void)ctx;
	if (lock)
		pthread_mutex_lock(&nmctx_mutex);
	else
		pthread_mutex_unlock(&nmctx_mutex);
}

__attribute__((constructor)) void
nmctx_set_threadsafe(void)
{
	struct nmctx *cur = nmctx_get();

	if (cur == &nmctx_locked)
		return;		/* already installed */
	nmctx_locked = *cur;
	nmctx_locked.lock = nmctx_mutex_lock;
	nmctx_set_default(&nmctx_locked);
}
