/*
 * extmem.c - NETMAP_REQ_OPT_EXTMEM in the library: which object is behind
 * the application's [usrptr, usrptr + memsize), so that unetmapd and the
 * other processes of the port (switch peers, monitors) can map the same
 * memory.  netmap pins the pages in the kernel; we have no kernel, so the
 * memory must be a shared object: a file (hugetlbfs, tmpfs, a disk file),
 * a memfd, or an anonymous MAP_SHARED area (a shmem object of its own).
 *
 * What is behind it comes from /proc/self/maps; a descriptor for it, in
 * order: /proc/self/map_files/<start>-<end> (the mapping's own object;
 * needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE), the path the mapping
 * shows (a file that still has a name), a descriptor of the process open
 * on the same inode (a memfd it kept).  Without any, the daemon opens the
 * asker's /proc/<pid>/map_files itself, which it may when it runs as root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/core.h"
#include "core/extmem.h"
#include "core/real.h"

#define MAPS_MAX (64u << 20)	/* a /proc/self/maps longer than this is not read */

static void
close_fd(int fd)
{
	syscall(SYS_close, fd);
}

/* the whole of /proc/self/maps, NUL-terminated; NULL on failure */
static char *
read_maps(void)
{
	int fd = REAL(open)("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t cap = 1 << 16, len = 0;
	char *buf = NULL;

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb = cap * 2 <= MAPS_MAX ? realloc(buf, cap * 2) : NULL;

			if (!nb)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		if (!buf && !(buf = malloc(cap)))
			goto fail;
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close_fd(fd);
	buf[len] = '\0';
	return buf;
fail:
	close_fd(fd);
	free(buf);
	return NULL;
}

struct vma {
	uint64_t start, end, ofs, ino;
	unsigned maj, min;
	char perms[5];
	char path[256];
};

static bool
parse_vma(const char *line, struct vma *v)
{
	size_t len = strcspn(line, "\n");
	int n = 0;

	v->path[0] = '\0';
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 "%n",
	    &v->start, &v->end, v->perms, &v->ofs, &v->maj, &v->min, &v->ino, &n) < 7)
		return false;
	/* the name, if the line has one (never the next line's start) */
	while (n > 0 && (size_t)n < len && line[n] == ' ')
		n++;
	if (n > 0 && (size_t)n < len)
		snprintf(v->path, sizeof(v->path), "%.*s", (int)(len - (size_t)n), line + n);
	return true;
}

/* an open descriptor of @path if it is inode @ino of device @dev */
static int
open_same(const char *path, dev_t dev, uint64_t ino)
{
	struct stat st;
	int fd = REAL(open)(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && st.st_dev == dev && (uint64_t)st.st_ino == ino)
		return fd;
	close_fd(fd);
	return -1;
}

/* a descriptor of ours open on inode @ino of @dev, reopened read-write */
static int
open_by_fd(dev_t dev, uint64_t ino)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int fd = -1;

	if (!d)
		return -1;
	while (fd < 0 && (de = readdir(d)) != NULL) {
		char p[300];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/fd/%.255s", de->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == dev &&
		    (uint64_t)st.st_ino == ino)
			fd = open_same(p, dev, ino);
	}
	closedir(d);
	return fd;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int
unm_extmem_source(uint64_t usrptr, uint64_t memsize, struct unm_opt_extmem_src *src,
    int *fd, char *why, size_t whylen)
{
	uint64_t cur = usrptr, end = usrptr + memsize;
	char *maps, *line;
	struct vma first = { 0 };
	bool have = false;
	long page = sysconf(_SC_PAGESIZE);
	dev_t dev;

	*fd = -1;
	memset(src, 0, sizeof(*src));
	if (memsize == 0) {
		snprintf(why, whylen, "nr_memsize is 0");
		return EINVAL;
	}
	if (usrptr == 0 || end < usrptr) {
		snprintf(why, whylen, "[0x%" PRIx64 ", +%" PRIu64 ") is not mapped", usrptr,
		    memsize);
		return EFAULT;
	}
	if (usrptr % (uint64_t)page) {
		snprintf(why, whylen, "nro_usrptr 0x%" PRIx64 " is not page aligned "
		    "(map the memory with mmap)", usrptr);
		return EINVAL;
	}
	maps = read_maps();
	if (!maps) {
		snprintf(why, whylen, "cannot read /proc/self/maps: %s", strerror(errno));
		return ENOMEM;
	}
	for (line = maps; *line && cur < end; line = strchr(line, '\n') ? strchr(line, '\n') + 1 :
	    line + strlen(line)) {
		struct vma v;

		if (!parse_vma(line, &v) || v.end <= cur)
			continue;
		if (v.start > cur)
			break;	/* a hole */
		if (v.perms[0] != 'r' || v.perms[1] != 'w') {
			snprintf(why, whylen, "the memory at 0x%" PRIx64 " is not readable and "
			    "writable", cur);
			free(maps);
			return EFAULT;
		}
		if (v.perms[3] != 's' || v.ino == 0) {
			snprintf(why, whylen, "the memory at 0x%" PRIx64 " is MAP_PRIVATE: "
			    "unetmapd and the port's other processes could not reach it; map it "
			    "MAP_SHARED (anonymous, or from a file, e.g. on hugetlbfs)", cur);
			free(maps);
			return EINVAL;
		}
		if (!have) {
			first = v;
			have = true;
			src->file_ofs = v.ofs + (usrptr - v.start);
		} else if (v.ino != first.ino || v.maj != first.maj || v.min != first.min ||
		    v.ofs + (cur - v.start) != src->file_ofs + (cur - usrptr)) {
			snprintf(why, whylen, "[0x%" PRIx64 ", +%" PRIu64 ") spans more than one "
			    "object (%s and %s)", usrptr, memsize, first.path, v.path);
			free(maps);
			return EINVAL;
		}
		cur = v.end;
	}
	free(maps);
	if (cur < end) {
		snprintf(why, whylen, "[0x%" PRIx64 ", +%" PRIu64 ") is not mapped (from 0x%"
		    PRIx64 ")", usrptr, memsize, cur);
		return EFAULT;
	}
	dev = makedev(first.maj, first.min);
	src->nro_opt.nro_reqtype = NETMAP_REQ_OPT_UNETMAP_EXTMEM_SRC;
	src->nro_opt.nro_size = sizeof(*src);
	src->dev = (uint64_t)dev;
	src->ino = first.ino;
	src->vma_start = first.start;
	src->vma_end = first.end;
	snprintf(src->path, sizeof(src->path), "%.63s", first.path[0] ? first.path : "[anonymous]");

	/* a descriptor for it: the mapping's own object, its path, one we hold */
	{
		char p[96];

		snprintf(p, sizeof(p), "/proc/self/map_files/%" PRIx64 "-%" PRIx64, first.start,
		    first.end);
		*fd = open_same(p, dev, first.ino);
	}
	if (*fd < 0 && first.path[0] == '/' && !ends_with(first.path, " (deleted)"))
		*fd = open_same(first.path, dev, first.ino);
	if (*fd < 0)
		*fd = open_by_fd(dev, first.ino);
	src->attached = *fd >= 0;
	return 0;
}
