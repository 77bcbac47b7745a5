/*
 * extmem_hostile.c - NETMAP_REQ_OPT_EXTMEM from a client whose library
 * lies.  The library describes the memory's object (struct
 * unm_opt_extmem_src); when it sends no descriptor, the daemon opens the
 * object through /proc/<pid>/map_files with its own rights.  A client
 * that maps a file read-only must not get the daemon to open it
 * read-write and lay a region, writable by the client, over it.
 *
 * The lie: this program defines unm_extmem_source(), which the library
 * calls through its PLT, so ours is called instead of the library's (a
 * program speaking to unetmapd directly could send the same).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/nmextmem.h"
#include "../lib/tap.h"
#include "shared/unetmap_kern.h"

/* what our unm_extmem_source reports: the read-only mapping, no descriptor */
static bool lie;
static struct stat ro_st;
static uint64_t ro_start, ro_end;

int unm_extmem_source(uint64_t usrptr, uint64_t memsize, struct unm_opt_extmem_src *src,
    int *fd, char *why, size_t whylen);

int
unm_extmem_source(uint64_t usrptr, uint64_t memsize, struct unm_opt_extmem_src *src,
    int *fd, char *why, size_t whylen)
{
	if (!lie) {
		int (*real)(uint64_t, uint64_t, struct unm_opt_extmem_src *, int *, char *,
		    size_t) = (int (*)(uint64_t, uint64_t, struct unm_opt_extmem_src *, int *,
		    char *, size_t))dlsym(RTLD_NEXT, "unm_extmem_source");

		if (!real) {
			snprintf(why, whylen, "the library's unm_extmem_source not found");
			return EINVAL;
		}
		return real(usrptr, memsize, src, fd, why, whylen);
	}
	*fd = -1;
	memset(src, 0, sizeof(*src));
	src->nro_opt.nro_reqtype = NETMAP_REQ_OPT_UNETMAP_EXTMEM_SRC;
	src->nro_opt.nro_size = sizeof(*src);
	src->dev = (uint64_t)ro_st.st_dev;
	src->ino = (uint64_t)ro_st.st_ino;
	src->file_ofs = 0;
	src->vma_start = ro_start;
	src->vma_end = ro_end;
	src->attached = 0;
	snprintf(src->path, sizeof(src->path), "read-only file");
	return 0;
}

/* a region of 2048 buffers, and 3 pages more */
static void
pools(struct nmreq_pools_info *pi)
{
	extmem_pools(pi, 2048, 3 * 4096);
}

/*
 * A client (a child) truncates the file under its region, then the pipe's
 * other end (no external memory of its own: it joins the region) is
 * registered here: the daemon lays that end's rings in the truncated
 * memory and must not die of the SIGBUS.  The child, whose own memory is
 * gone, leaves with _exit (what it would touch on close is its problem).
 */
static void
t_truncated(void)
{
	char path[] = "/tmp/unetmap-extmem-tr-XXXXXX", m[64], sl[64], other[64], c = 0;
	int go[2], ready[2], sfd, r;
	struct nmreq_register req;
	struct rawport p;
	pid_t pid;

	lie = false;
	snprintf(m, sizeof(m), "xtr%d{1", (int)getpid());
	snprintf(sl, sizeof(sl), "xtr%d}1", (int)getpid());
	if (pipe(go) < 0 || pipe(ready) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		struct nmreq_pools_info pi;
		struct nmreq_opt_extmem e;
		size_t len;
		void *mem;
		int fd, mfd;

		alarm(30);
		pools(&pi);
		len = (pi.nr_memsize + 4095) / 4096 * 4096;
		fd = mkstemp(path);
		mem = fd >= 0 && ftruncate(fd, (off_t)len) == 0 ?
		    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
		if (mem == MAP_FAILED)
			_exit(2);
		unlink(path);
		mfd = reg_extmem(m, &req, &e, mem, &pi);
		if (mfd < 0)
			_exit(3);
		if (ftruncate(fd, 0) != 0)
			_exit(4);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(5);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	tap_ok(pid > 0 && read(ready[0], &c, 1) == 1,
	    "a client holds a pipe's master end in a file's memory, and truncates the file");
	if (c == 'r') {
		/* in a process of its own: mapping the truncated memory, it may die of it */
		pid_t o = fork();
		int st = 0;

		if (o == 0) {
			struct rawport q;

			alarm(30);
			(void)sfd;
			(void)r;
			if (raw_open(&q, sl, NR_REG_ALL_NIC, 0, 0) != 0)
				_exit(1);
			/* a frame into the pipe: its buffers are in the truncated file */
			{
				struct netmap_ring *t = NETMAP_TXRING(q.nifp, 0);

				memset(NETMAP_BUF(t, t->slot[t->head].buf_idx), 0xab, 60);
				t->slot[t->head].len = 60;
				t->head = t->cur = nm_ring_next(t, t->head);
				ioctl(q.fd, NIOCTXSYNC, NULL);
			}
			raw_close(&q);
			_exit(0);
		}
		if (o > 0)
			waitpid(o, &st, 0);
		tap_ok(WIFEXITED(st), "the other end's process touches the truncated memory and "
		    "lives (%s)", WIFEXITED(st) ? (WEXITSTATUS(st) ? "refused" : "bound, a frame "
		    "sent") : "killed");
	}
	snprintf(other, sizeof(other), "xtq%d{1", (int)getpid());
	TAP_EQ(raw_open(&p, other, NR_REG_ALL_NIC, 0, 0), 0, "the daemon still answers");
	raw_close(&p);
	if (write(go[1], "g", 1) != 1)
		tap_diag("the child is gone");
	close(go[1]);
	close(ready[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int
main(void)
{
	char path[] = "/tmp/unetmap-extmem-ro-XXXXXX", name[64];
	struct nmreq_pools_info pi;
	struct nmreq_opt_extmem e;
	struct nmreq_register req;
	size_t len;
	uint8_t *mem, *copy;
	int fd, pfd, r;

	alarm(60);
	t_truncated();
	lie = true;
	pools(&pi);
	len = (pi.nr_memsize + 4095) / 4096 * 4096;

	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, (off_t)len) < 0) {
		tap_ok(false, "a file of %zu bytes: %s", len, strerror(errno));
		return tap_done();
	}
	copy = malloc(len);
	for (size_t i = 0; copy && i < len; i++)
		copy[i] = (uint8_t)(i * 7 + 3);
	if (!copy || pwrite(fd, copy, len, 0) != (ssize_t)len) {
		tap_ok(false, "the file's pattern written");
		unlink(path);
		return tap_done();
	}
	close(fd);
	/* what the client may do with it: read it */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	mem = fd >= 0 ? mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
	if (mem == MAP_FAILED || fstat(fd, &ro_st) < 0) {
		tap_ok(false, "the file mapped read-only: %s", strerror(errno));
		unlink(path);
		return tap_done();
	}
	close(fd);
	ro_start = (uintptr_t)mem;
	ro_end = (uintptr_t)mem + len;

	snprintf(name, sizeof(name), "xro%d{1", (int)getpid());
	pfd = reg_extmem(name, &req, &e, mem, &pi);
	r = pfd < 0 ? pfd : 0;
	if (!tap_ok(r < 0, "a read-only mapping, no descriptor: refused (the daemon does not "
	    "open it read-write for the client)"))
		tap_diag("  got %d, status %u", r, e.nro_opt.nro_status);
	else
		tap_ok(r == -EPERM, "  with EPERM (got %s)", strerror(-r));
	if (pfd >= 0)
		close(pfd);
	/* the daemon wrote nothing into it */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	{
		uint8_t *now = malloc(len);

		tap_ok(now && fd >= 0 && pread(fd, now, len, 0) == (ssize_t)len &&
		    memcmp(now, copy, len) == 0, "the file is as it was");
		free(now);
	}
	if (fd >= 0)
		close(fd);
	munmap(mem, len);
	unlink(path);
	free(copy);
	return tap_done();
}
