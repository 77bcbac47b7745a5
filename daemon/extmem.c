/*
 * extmem.c - NETMAP_REQ_OPT_EXTMEM: a REGISTER whose port lives in memory
 * the application supplies, as netmap's netmap_mem_ext_create makes it.
 *
 * netmap pins the application's pages; we need the object behind them,
 * to map it here and hand it to the port's other processes (switch peers,
 * monitors) as we hand out memfds.  The library found it
 * (lib/core/extmem.c) and sends what it is (struct unm_opt_extmem_src)
 * and, when it could open it, the object itself; otherwise we open the
 * asker's /proc/<pid>/map_files/<start>-<end>, which root may.  Either
 * way it must be the inode the asker's mapping shows.
 *
 * The pools are checked as netmap checks a private allocator's (EINVAL),
 * and must fit the memory (ENOMEM, netmap's "request too large").  The
 * same memory given again (same object, offset and size) is the same
 * region, as netmap_mem_ext_search finds the allocator of the same pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "unetmapd.h"

static int
fail(struct nmreq_opt_extmem *x, struct ctrl_err *e, int err, const char *name,
    const char *what)
{
	x->nro_opt.nro_status = (uint32_t)err;
	return ctrl_fail(e, err, "%s: external memory: %s", name, what);
}

/*
 * Whether @pid maps [@start, @end) shared and writable from inode @ino of
 * @dev.  Opened through map_files, the object is opened with our
 * rights (root's), not the asker's: a file it may only read, mapped
 * read-only, would become writable through the region.  A shared writable
 * mapping shows it opened the object for writing itself.
 */
static bool
vma_shared_rw(pid_t pid, uint64_t start, uint64_t end, dev_t dev, uint64_t ino)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	bool ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		unsigned long long s, e, o, i;
		unsigned int maj, min;
		char perms[5];

		if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu", &s, &e, perms, &o, &maj, &min,
		    &i) != 7 || s != start || e != end)
			continue;
		ok = perms[0] == 'r' && perms[1] == 'w' && perms[3] == 's' && i == ino &&
		    makedev(maj, min) == dev;
		break;
	}
	free(line);
	fclose(f);
	return ok;
}

/* the object behind the asker's memory: attached, or through its map_files */
static int
object_fd(const struct ctrl_ctx *cx, const struct unm_opt_extmem_src *src, bool *own,
    char *why, size_t whylen)
{
	char path[96];
	struct stat st;
	int fd;

	*own = false;
	if (src->attached && cx->rq->ext_fd >= 0)
		return cx->rq->ext_fd;
	/*
	 * The sender's own memory (never the descriptor's opener's, for a
	 * guest): it is alive, waiting for our answer, so its pid is its own.
	 */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", (int)cx->rq->pid,
	    (unsigned long long)src->vma_start, (unsigned long long)src->vma_end);
	errno = ESRCH;
	fd = cx->rq->pid > 0 ? open(path, O_RDWR | O_CLOEXEC) : -1;
	if (fd < 0) {
		snprintf(why, whylen, "cannot open pid %d's %.40s (%.32s): map a file (hugetlbfs, "
		    "tmpfs) or a memfd, or run unetmapd as root", (int)cx->rq->pid, src->path,
		    strerror(errno));
		return -1;
	}
	/* after the open: the mapping we opened is the one checked (or a swap shows) */
	if (fstat(fd, &st) < 0 || !vma_shared_rw(cx->rq->pid, src->vma_start, src->vma_end,
	    st.st_dev, (uint64_t)st.st_ino)) {
		snprintf(why, whylen, "pid %d does not map %.40s shared and writable at "
		    "[0x%llx, 0x%llx)", (int)cx->rq->pid, src->path,
		    (unsigned long long)src->vma_start, (unsigned long long)src->vma_end);
		close(fd);
		return -1;
	}
	*own = true;
	return fd;
}

int
extmem_region(const struct ctrl_ctx *cx, struct region **out)
{
	struct nmreq_opt_extmem *x = (struct nmreq_opt_extmem *)ctrl_option(cx,
	    NETMAP_REQ_OPT_EXTMEM, sizeof(*x));
	struct unm_opt_extmem_src *src = (struct unm_opt_extmem_src *)ctrl_option(cx,
	    NETMAP_REQ_OPT_UNETMAP_EXTMEM_SRC, sizeof(*src));
	const char *name = cx->rq->hdr.nr_name;
	struct nmreq_pools_info *pi;
	struct unm_region_cfg cfg;
	struct unm_layout L;
	const char *what = "";
	char why[UNM_ERRMSG_MAX];
	struct region *r;
	struct stat st;
	uint64_t len, blk;
	bool own;
	int fd, err = 0;

	*out = NULL;
	if (!x)
		return 0;
	pi = &x->nro_info;
	if (src)
		src->nro_opt.nro_status = 0;
	else
		return fail(x, cx->e, EINVAL, name, "the library did not say what object is "
		    "behind it (a program speaking to unetmapd directly?)");
	src->path[sizeof(src->path) - 1] = '\0';
	if (unm_extmem_check(pi, &cfg, &what)) {
		snprintf(why, sizeof(why), "impossible %s pool: %u objects of %u bytes (netmap: "
		    "if 1-100 of <= 4096, ring 2-1024 of <= 131072, buf 4-1000000 of 64-65536)",
		    what, what[0] == 'i' ? pi->nr_if_pool_objtotal :
		    what[0] == 'r' ? pi->nr_ring_pool_objtotal : pi->nr_buf_pool_objtotal,
		    what[0] == 'i' ? pi->nr_if_pool_objsize : what[0] == 'r' ?
		    pi->nr_ring_pool_objsize : pi->nr_buf_pool_objsize);
		return fail(x, cx->e, EINVAL, name, why);
	}
	unm_layout_extmem(&cfg, &L);
	if (L.memsize > pi->nr_memsize) {
		snprintf(why, sizeof(why), "the pools need %llu bytes, nr_memsize is %llu",
		    (unsigned long long)L.memsize, (unsigned long long)pi->nr_memsize);
		return fail(x, cx->e, ENOMEM, name, why);
	}
	fd = object_fd(cx, src, &own, why, sizeof(why));
	if (fd < 0)
		return fail(x, cx->e, EPERM, name, why);
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_dev != src->dev ||
	    (uint64_t)st.st_ino != src->ino || !S_ISREG(st.st_mode)) {
		err = fail(x, cx->e, EINVAL, name, "the object given is not the one behind the "
		    "memory");
		goto out;
	}
	/* hugetlbfs maps whole huge pages (its st_blksize) */
	blk = st.st_blksize > (blksize_t)UNM_PAGE ? (uint64_t)st.st_blksize : UNM_PAGE;
	/* (no sums of what the client sent: they could wrap) */
	if ((uint64_t)st.st_size < src->file_ofs ||
	    (uint64_t)st.st_size - src->file_ofs < pi->nr_memsize) {
		err = fail(x, cx->e, EFAULT, name, "the memory goes past the end of its file");
		goto out;
	}
	len = pi->nr_memsize / blk * blk + (pi->nr_memsize % blk ? blk : 0);
	if ((uint64_t)st.st_size - src->file_ofs < len)
		len = (uint64_t)st.st_size - src->file_ofs;	/* the file ends inside a huge page */
	r = region_find_ext(src->dev, src->ino, src->file_ofs, len);
	if (!r) {
		r = region_new_ext(&cfg, fd, src->file_ofs, len, cx->e);
		if (!r) {
			x->nro_opt.nro_status = ENOMEM;
			err = ENOMEM;
			goto out;
		}
		r->ext_dev = src->dev;
		r->ext_ino = src->ino;
		unm_debug("%s: region %u in external memory (%s, %llu bytes at %llu)", name, r->id,
		    src->path, (unsigned long long)len, (unsigned long long)src->file_ofs);
	}
	x->nro_opt.nro_status = 0;
	*out = r;
out:
	if (own)
		close(fd);
	return err;
}
