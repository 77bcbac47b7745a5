/*
 * region_map.c - each region is mapped once per process, whole (netmap
 * part and kernel part), and shared by every binding of the process that
 * lives in it.  The memfd stays open: an application's own mmap() of its
 * descriptor maps the same file.  A region in external memory is two
 * objects: the application's (mapped where it registered: its own memory
 * is the region there, as in netmap) and the kernel part's memfd.  Mapped
 * in another process, the application's object may be truncated by its
 * owner: such a mapping is watched (shared/sigbus.c), so that the touch
 * of a page gone costs zeroes, not the process.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/real.h"
#include "core/core.h"
#include "shared/sigbus.h"

static struct unm_region_map *maps;
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;

static void
close_fd(int fd)
{
	syscall(SYS_close, fd);
}

/* maps the pools and the kernel part of @s into @rm; 0 or an errno */
static int
map_region(struct unm_region_map *rm, const struct unm_region_src *s)
{
	struct stat st;

	if (s->kfd < 0) {
		/* one memfd: the pools, then the kernel part */
		if (fstat(s->memfd, &st) < 0 || (uint64_t)st.st_size < s->total ||
		    s->memsize >= s->total)
			return EPROTO;
		rm->base = REAL(mmap)(NULL, s->total, PROT_READ | PROT_WRITE, MAP_SHARED,
		    s->memfd, 0);
		if (rm->base == MAP_FAILED)
			return errno;
		rm->own_base = true;
		rm->base_len = s->total;
		rm->kbase = rm->base + s->memsize;
		return 0;
	}
	/* external memory: the application's object, and a memfd for the kernel part */
	if (fstat(s->kfd, &st) < 0 || (uint64_t)st.st_size < s->total || s->memsize > s->ext_len ||
	    s->total < UNM_PAGE)
		return EPROTO;
	rm->kbase = REAL(mmap)(NULL, s->total, PROT_READ | PROT_WRITE, MAP_SHARED, s->kfd, 0);
	if (rm->kbase == MAP_FAILED)
		return errno;
	rm->ext = true;
	rm->pool_ofs = s->ext_ofs;
	if (s->hint) {
		/* where it registered, the application's own memory is the region */
		rm->base = s->hint;
		return 0;
	}
	rm->base = REAL(mmap)(NULL, s->ext_len, PROT_READ | PROT_WRITE, MAP_SHARED, s->memfd,
	    (off_t)s->ext_ofs);
	if (rm->base == MAP_FAILED) {
		int err = errno;

		munmap(rm->kbase, s->total);
		return err;
	}
	rm->own_base = true;
	rm->base_len = s->ext_len;
	/* another process's memory: its owner may truncate it under us (shared/sigbus.c) */
	rm->watched = unm_sigbus_watch(rm->base, rm->base_len);
	return 0;
}

static void
unmap_region(struct unm_region_map *rm, uint64_t total)
{
	if (rm->ext)
		munmap(rm->kbase, total);
	if (rm->watched)
		unm_sigbus_forget(rm->base);
	if (rm->own_base)
		munmap(rm->base, rm->base_len);
}

struct unm_region_map *
unm_region_attach(const struct unm_region_src *s, int *err)
{
	struct unm_region_map *rm;
	const struct unm_region_hdr *h;

	pthread_mutex_lock(&maps_lock);
	for (rm = maps; rm; rm = rm->next)
		if (rm->uuid == s->uuid) {
			rm->refs++;
			pthread_mutex_unlock(&maps_lock);
			close_fd(s->memfd);
			if (s->kfd >= 0)
				close_fd(s->kfd);
			return rm;
		}
	rm = calloc(1, sizeof(*rm));
	if (!rm) {
		*err = ENOMEM;
		goto fail;
	}
	*err = map_region(rm, s);
	if (*err)
		goto fail;
	/* what the daemon says must match what the file is */
	h = (const struct unm_region_hdr *)rm->kbase;
	if (h->magic != UNM_REGION_MAGIC || h->uuid != s->uuid || h->layout.total != s->total ||
	    h->layout.memsize != s->memsize || !(h->flags & UNM_REGION_EXT) != (s->kfd < 0)) {
		unmap_region(rm, s->total);
		*err = EPROTO;
		goto fail;
	}
	rm->L = h->layout;	/* a private copy: the shared one is writable by anyone */
	rm->uuid = s->uuid;
	rm->mem_id = h->mem_id;
	rm->memfd = s->memfd;
	rm->kfd = s->kfd;
	rm->refs = 1;
	rm->next = maps;
	maps = rm;
	pthread_mutex_unlock(&maps_lock);
	return rm;
fail:
	pthread_mutex_unlock(&maps_lock);
	free(rm);
	close_fd(s->memfd);
	if (s->kfd >= 0)
		close_fd(s->kfd);
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
	unmap_region(rm, rm->L.total);
	close_fd(rm->memfd);
	if (rm->kfd >= 0)
		close_fd(rm->kfd);
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
