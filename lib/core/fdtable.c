/*
 * fdtable.c - which descriptors of this process are netmap descriptors.
 *
 * A two-level table indexed by fd, read without locks: the hot paths
 * (poll, the sync ioctls) pay one or two loads for any descriptor.
 * Chunks are allocated on first use and never freed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "core/core.h"

#define CHUNK_BITS 10
#define CHUNK (1u << CHUNK_BITS)
#define NCHUNKS 1024u	/* fds up to one million */

static struct unm_dev **chunks[NCHUNKS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static int ninstalled;

static struct unm_dev **
slot(int fd, bool create)
{
	unsigned c = (unsigned)fd >> CHUNK_BITS;
	struct unm_dev **ch;

	if (fd < 0 || c >= NCHUNKS)
		return NULL;
	ch = __atomic_load_n(&chunks[c], __ATOMIC_ACQUIRE);
	if (!ch && create) {
		pthread_mutex_lock(&table_lock);
		ch = chunks[c];
		if (!ch) {
			ch = calloc(CHUNK, sizeof(*ch));
			__atomic_store_n(&chunks[c], ch, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&table_lock);
	}
	return ch ? &ch[(unsigned)fd & (CHUNK - 1)] : NULL;
}

int
unm_fd_install(int fd, struct unm_dev *d)
{
	struct unm_dev **s = slot(fd, true), *old;

	if (!s)
		return -EMFILE;
	old = __atomic_exchange_n(s, d, __ATOMIC_ACQ_REL);
	if (old)
		unm_dev_put(old);	/* the fd was reused behind our back */
	else
		__atomic_add_fetch(&ninstalled, 1, __ATOMIC_RELAXED);
	return 0;
}

struct unm_dev *
unm_fd_remove(int fd)
{
	struct unm_dev **s = slot(fd, false), *d;

	if (!s)
		return NULL;
	d = __atomic_exchange_n(s, NULL, __ATOMIC_ACQ_REL);
	if (d)
		__atomic_sub_fetch(&ninstalled, 1, __ATOMIC_RELAXED);
	return d;
}

struct unm_dev *
unm_fd_lookup(int fd)
{
	struct unm_dev **s = slot(fd, false);

	return s ? __atomic_load_n(s, __ATOMIC_ACQUIRE) : NULL;
}

bool
unm_fd_any(void)
{
	return __atomic_load_n(&ninstalled, __ATOMIC_RELAXED) != 0;
}

struct unm_dev *
unm_dev_peek(int fd)
{
	for (int tries = 0; tries < 1000; tries++) {
		struct unm_dev *d = unm_fd_lookup(fd);

		if (!d)
			return NULL;
		if (unm_dev_tryget(d)) {
			if (unm_fd_lookup(fd) == d)
				return d;
			unm_dev_put(d);	/* recycled for another fd meanwhile */
		}
	}
	return NULL;
}

void
unm_fdtable_atfork(enum unm_fork_phase ph)
{
	if (ph == UNM_FORK_PREPARE) {
		pthread_mutex_lock(&table_lock);
		return;
	}
	pthread_mutex_unlock(&table_lock);
	if (ph != UNM_FORK_CHILD)
		return;
	/* a request another thread had in flight does not exist in the child */
	for (unsigned c = 0; c < NCHUNKS; c++) {
		struct unm_dev **ch = __atomic_load_n(&chunks[c], __ATOMIC_ACQUIRE);

		for (unsigned i = 0; ch && i < CHUNK; i++)
			if (ch[i])
				pthread_mutex_init(&ch[i]->lock, NULL);
	}
}
