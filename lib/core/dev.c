/*
 * dev.c - netmap descriptors as objects: creation, references, and the
 * type-stable pool that makes lock-free lookups safe (see core.h).  The
 * fd table (fdtable.c) finds them; descriptor.c makes them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static struct unm_dev *free_devs;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

struct unm_dev *
unm_dev_new(void)
{
	struct unm_dev *d;

	pthread_mutex_lock(&pool_lock);
	d = free_devs;
	if (d)
		free_devs = d->free_next;
	pthread_mutex_unlock(&pool_lock);
	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d)
			return NULL;
		pthread_mutex_init(&d->lock, NULL);
	}
	d->bind = NULL;
	d->free_next = NULL;
	__atomic_store_n(&d->refs, 1, __ATOMIC_RELEASE);
	return d;
}

/* increment unless zero: a dev being freed cannot be revived */
bool
unm_dev_tryget(struct unm_dev *d)
{
	int r = __atomic_load_n(&d->refs, __ATOMIC_ACQUIRE);

	while (r > 0)
		if (__atomic_compare_exchange_n(&d->refs, &r, r + 1, false,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

void
unm_dev_put(struct unm_dev *d)
{
	if (__atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (d->bind) {
		unm_binding_free(d->bind);
		d->bind = NULL;
	}
	pthread_mutex_lock(&pool_lock);
	d->free_next = free_devs;
	free_devs = d;
	pthread_mutex_unlock(&pool_lock);
}

void
unm_devs_atfork(enum unm_fork_phase ph)
{
	if (ph == UNM_FORK_PREPARE)
		pthread_mutex_lock(&pool_lock);
	else
		pthread_mutex_unlock(&pool_lock);
}
