/*
 * region_map.c - each region is mapped once per process, whole (netmap
 * part and kernel part), and shared by every binding of the process that
 * lives in it.  The memfd stays open: an application's own mmap() of its
 * descriptor maps the same file.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/real.h"
#include "core/core.h"

static struct unm_region_map *maps;
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;

static void
close_fd(int fd)
{
	syscall(SYS_close, fd);
}

struct unm_region_map *
unm_region_attach(uint64_t uuid, int memfd, uint64_t total, uint64_t memsize, int *err)
{
	struct unm_region_map *rm;
	const struct unm_region_hdr *h;
	struct stat st;

	pthread_mutex_lock(&maps_lock);
	for (rm = maps; rm; rm = rm->next)
		if (rm->uuid == uuid) {
			rm->refs++;
			pthread_mutex_unlock(&maps_lock);
			close_fd(memfd);
			return rm;
		}
	rm = calloc(1, sizeof(*rm));
	if (!rm) {
		*err = ENOMEM;
		goto fail;
	}
	/* what the daemon says must match what the file is */
	if (fstat(memfd, &st) < 0 || (uint64_t)st.st_size < total || memsize >= total) {
		*err = EPROTO;
		goto fail;
	}
	rm->base = REAL(mmap)(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (rm->base == MAP_FAILED) {
		*err = errno;
		goto fail;
	}
	h = (const struct unm_region_hdr *)(rm->base + memsize);
	if (h->magic != UNM_REGION_MAGIC || h->uuid != uuid || h->layout.total != total ||
	    h->layout.memsize != memsize) {
		munmap(rm->base, total);
		*err = EPROTO;
		goto fail;
	}
	rm->L = h->layout;	/* a private copy: the shared one is writable by anyone */
	rm->uuid = uuid;
	rm->mem_id = h->mem_id;
	rm->memfd = memfd;
	rm->refs = 1;
	rm->next = maps;
	maps = rm;
	pthread_mutex_unlock(&maps_lock);
	return rm;
fail:
	pthread_mutex_unlock(&maps_lock);
	free(rm);
	close_fd(memfd);
	return NULL;
}

void
unm_region_detach(struct unm_region_map *rm)
{
	pthread_mutex_lock(&maps_lock);
	if (--rm->refs > 0) {
		pthread_mutex_unlock(&maps_lock);
		return;
	}
	for (struct unm_region_map **pp = &maps; *pp; pp = &(*pp)->next)
		if (*pp == rm) {
			*pp = rm->next;
			break;
		}
	pthread_mutex_unlock(&maps_lock);
	munmap(rm->base, rm->L.total);
	close_fd(rm->memfd);
	free(rm);
}

void
unm_regions_atfork(enum unm_fork_phase ph)
{
	if (ph == UNM_FORK_PREPARE)
		pthread_mutex_lock(&maps_lock);
	else
		pthread_mutex_unlock(&maps_lock);
}
