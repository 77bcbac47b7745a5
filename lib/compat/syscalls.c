/*
 * syscalls.c - /dev/netmap at the system-call boundary.
 *
 * These definitions take the place of the C library's in any program that
 * links libunetmap or preloads it.  A call on a netmap descriptor is served
 * here; every other call goes straight to the C library, after at most a
 * string compare (open) or a table load (everything else).
 *
 * UNETMAP_DISABLE=1 in the environment hands /dev/netmap to the kernel,
 * for machines that have netmap's own module.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <unistd.h>

#include "core/real.h"
#include "core/core.h"
#include "shared/identity.h"

static int disabled = -1;

static bool
is_dev_netmap(const char *path)
{
	if (!path || strcmp(path, "/dev/netmap") != 0)
		return false;
	if (disabled < 0) {
		const char *e = secure_getenv("UNETMAP_DISABLE");

		disabled = e && *e == '1';
	}
	return !disabled;
}

static int
fail(int err)
{
	errno = err;
	return -1;
}

/* ------------------------------------------------------------ open */

#define OPEN_MODE(flags, mode)                                                 \
	do {                                                                   \
		if ((flags) & (O_CREAT | __O_TMPFILE)) {                       \
			va_list ap;                                            \
			va_start(ap, flags);                                   \
			mode = va_arg(ap, mode_t);                             \
			va_end(ap);                                            \
		}                                                              \
	} while (0)

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (is_dev_netmap(path))
		return unm_dev_open(flags);
	return REAL(open)(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (is_dev_netmap(path))
		return unm_dev_open(flags);
	return REAL(open64) ? REAL(open64)(path, flags, mode) : REAL(open)(path, flags | O_LARGEFILE, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (is_dev_netmap(path))
		return unm_dev_open(flags);
	return REAL(openat)(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	if (is_dev_netmap(path))
		return unm_dev_open(flags);
	return REAL(openat64) ? REAL(openat64)(dirfd, path, flags, mode) :
	    REAL(openat)(dirfd, path, flags | O_LARGEFILE, mode);
}

/* what _FORTIFY_SOURCE turns open() with non-constant flags into */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

int
__open_2(const char *path, int flags)
{
	if (is_dev_netmap(path))
		return unm_dev_open(flags);
	return REAL(open_2) ? REAL(open_2)(path, flags) : REAL(open)(path, flags);
}

int
__open64_2(const char *path, int flags)
{
	if (is_dev_netmap(path))
		return unm_dev_open(flags);
	return REAL(open64_2) ? REAL(open64_2)(path, flags) : REAL(open)(path, flags | O_LARGEFILE);
}

int
__openat_2(int dirfd, const char *path, int flags)
{
	if (is_dev_netmap(path))
		return unm_dev_open(flags);
	return REAL(openat_2) ? REAL(openat_2)(dirfd, path, flags) : REAL(openat)(dirfd, path, flags);
}

int
__openat64_2(int dirfd, const char *path, int flags)
{
	if (is_dev_netmap(path))
		return unm_dev_open(flags);
	return REAL(openat64_2) ? REAL(openat64_2)(dirfd, path, flags) :
	    REAL(openat)(dirfd, path, flags | O_LARGEFILE);
}

/* ------------------------------------------------------------ ioctl */

static bool
is_netmap_ioctl(unsigned long req)
{
	return req == NIOCCTRL || req == NIOCTXSYNC || req == NIOCRXSYNC ||
	    req == NIOCREGIF || req == NIOCGINFO || req == NIOCCONFIG;
}

int
ioctl(int fd, unsigned long req, ...)
{
	struct unm_dev *d;
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!is_netmap_ioctl(req) || !(d = unm_dev_get(fd)))
		return REAL(ioctl)(fd, req, arg);
	switch (req) {
	case NIOCTXSYNC:
	case NIOCRXSYNC:
		if (!d->bind) {
			r = -ENXIO;
		} else if (__builtin_expect(unm_csb_mode(d->bind), 0)) {
			/* netmap: the rings belong to the CSB and its sync loop */
			unm_ratelimited(5, "%s: NIOC%cXSYNC in CSB mode (the sync loop moves the "
			    "rings)", d->bind->port, req == NIOCTXSYNC ? 'T' : 'R');
			r = -EBUSY;
		} else {
			req == NIOCTXSYNC ? unm_txsync(d->bind) : unm_rxsync(d->bind);
			r = 0;
		}
		break;
	case NIOCCTRL:
		r = unm_ioctl_ctrl(fd, d, arg);
		break;
	default:
		r = unm_ioctl_legacy(fd, d, req, arg);
		break;
	}
	unm_dev_put(d);
	return r < 0 ? fail(-r) : 0;
}

/* ------------------------------------------------------------ mmap */

static void *
map_dev(struct unm_dev *d, void *addr, size_t len, int prot, int flags, off_t off)
{
	struct unm_binding *b = d->bind;
	void *p;

	if (!b) {
		unm_dev_put(d);
		errno = ENXIO;	/* nothing registered: nothing to map */
		return MAP_FAILED;
	}
	if (off < 0 || len == 0 || (uint64_t)off > b->memsize ||
	    len > b->memsize - (uint64_t)off) {
		unm_warn("%s: mmap of %zu bytes at %lld: the region has %llu", b->port, len,
		    (long long)off, (unsigned long long)b->memsize);
		unm_dev_put(d);
		errno = EINVAL;
		return MAP_FAILED;
	}
	/* external memory: the application's object, where the pools start in it */
	p = REAL(mmap)(addr, len, prot, flags, b->rm->memfd, off + (off_t)b->rm->pool_ofs);
	unm_dev_put(d);
	return p;
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct unm_dev *d;
	void *p;

	if (fd < 0 || (flags & MAP_ANONYMOUS))
		return REAL(mmap)(addr, len, prot, flags, fd, off);
	d = unm_dev_peek(fd);
	if (d)
		return map_dev(d, addr, len, prot, flags, off);
	p = REAL(mmap)(addr, len, prot, flags, fd, off);
	/* a socket cannot be mapped: maybe a netmap descriptor we never met */
	if (p == MAP_FAILED && errno == ENODEV && (d = unm_adopt(fd)))
		return map_dev(d, addr, len, prot, flags, off);
	return p;
}

void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return mmap(addr, len, prot, flags, fd, (off_t)off);
}

/* ------------------------------------------------------------ descriptors */

int
close(int fd)
{
	unm_epoll_forget(fd);	/* cheap when no epoll set holds a netmap descriptor */
	if (unm_fd_any()) {
		struct unm_dev *d = unm_fd_remove(fd);

		if (d)
			unm_dev_put(d);
	}
	return REAL(close)(fd);
}

/* @newfd now refers to what @oldfd does */
static void
track_dup(int oldfd, int newfd)
{
	struct unm_dev *gone, *d;

	if (!unm_fd_any())
		return;
	gone = unm_fd_remove(newfd);
	if (gone)
		unm_dev_put(gone);
	d = unm_dev_peek(oldfd);
	if (d)
		unm_fd_install(newfd, d);
}

int
dup(int fd)
{
	int r = REAL(dup)(fd);

	if (r >= 0)
		track_dup(fd, r);
	return r;
}

int
dup2(int fd, int fd2)
{
	int r = REAL(dup2)(fd, fd2);

	if (r >= 0 && fd != fd2)
		track_dup(fd, r);
	return r;
}

int
dup3(int fd, int fd2, int flags)
{
	int r = REAL(dup3)(fd, fd2, flags);

	if (r >= 0)
		track_dup(fd, r);
	return r;
}

int
fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	r = REAL(fcntl)(fd, cmd, arg);
	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		track_dup(fd, r);
	return r;
}

int fcntl64(int fd, int cmd, ...);

int
fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl(fd, cmd, arg);
}

/* ------------------------------------------------------------ waiting */

extern void __chk_fail(void) __attribute__((noreturn));
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *t,
    const sigset_t *ss, size_t fdslen);

int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct timespec ts;

	if (!unm_fd_any())
		return REAL(poll)(fds, n, timeout);
	ts.tv_sec = timeout / 1000;
	ts.tv_nsec = (long)(timeout % 1000) * 1000000;
	return unm_poll(fds, n, timeout < 0 ? NULL : &ts, NULL);
}

int
__poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return poll(fds, n, timeout);
}

int
ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *ss)
{
	if (!unm_fd_any())
		return REAL(ppoll)(fds, n, t, ss);
	return unm_poll(fds, n, t, ss);
}

int
__ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *t,
    const sigset_t *ss, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return ppoll(fds, n, t, ss);
}

/* does any set name a netmap descriptor? */
static bool
sets_have_netmap(int nfds, fd_set *r, fd_set *w, fd_set *e)
{
	for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++)
		if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
		    (e && FD_ISSET(fd, e))) && unm_fd_lookup(fd))
			return true;
	return false;
}

/* select() over poll(), so netmap descriptors get netmap's semantics */
static int
select_via_poll(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t,
    const sigset_t *ss)
{
	struct pollfd stack[64], *p = stack;
	int n = 0, res;

	if (nfds > FD_SETSIZE)
		nfds = FD_SETSIZE;
	if (nfds > 64) {
		p = calloc((size_t)nfds, sizeof(*p));
		if (!p)
			return fail(ENOMEM);
	}
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;

		if (r && FD_ISSET(fd, r))
			ev |= POLLIN;
		if (w && FD_ISSET(fd, w))
			ev |= POLLOUT;
		if (e && FD_ISSET(fd, e))
			ev |= POLLPRI;
		if (ev)
			p[n++] = (struct pollfd){ .fd = fd, .events = ev };
	}
	res = unm_poll(p, (unsigned long)n, t, ss);
	if (res >= 0) {
		res = 0;
		for (int i = 0; i < n; i++)
			if (p[i].revents & POLLNVAL) {
				res = fail(EBADF);
				break;
			}
	}
	if (res == 0) {
		if (r)
			FD_ZERO(r);
		if (w)
			FD_ZERO(w);
		if (e)
			FD_ZERO(e);
		for (int i = 0; i < n; i++) {
			short re = p[i].revents;

			if (r && (p[i].events & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR))) {
				FD_SET(p[i].fd, r);
				res++;
			}
			if (w && (p[i].events & POLLOUT) && (re & (POLLOUT | POLLERR))) {
				FD_SET(p[i].fd, w);
				res++;
			}
			if (e && (p[i].events & POLLPRI) && (re & POLLPRI)) {
				FD_SET(p[i].fd, e);
				res++;
			}
		}
	}
	if (p != stack)
		free(p);
	return res;
}

int
select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	struct timespec ts;

	if (!unm_fd_any() || !sets_have_netmap(nfds, r, w, e))
		return REAL(select)(nfds, r, w, e, tv);
	if (tv) {
		ts.tv_sec = tv->tv_sec;
		ts.tv_nsec = tv->tv_usec * 1000;
	}
	return select_via_poll(nfds, r, w, e, tv ? &ts : NULL, NULL);
}

int
pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t,
    const sigset_t *ss)
{
	if (!unm_fd_any() || !sets_have_netmap(nfds, r, w, e))
		return REAL(pselect)(nfds, r, w, e, t, ss);
	return select_via_poll(nfds, r, w, e, t, ss);
}

/* ------------------------------------------------------------ start-up */

static void
fork_prepare(void)
{
	unm_adopt_atfork(UNM_FORK_PREPARE);
	unm_epoll_atfork(UNM_FORK_PREPARE);
	unm_devs_atfork(UNM_FORK_PREPARE);
	unm_regions_atfork(UNM_FORK_PREPARE);
	unm_fdtable_atfork(UNM_FORK_PREPARE);
}

static void
fork_done(enum unm_fork_phase ph)
{
	unm_fdtable_atfork(ph);
	unm_regions_atfork(ph);
	unm_devs_atfork(ph);
	unm_epoll_atfork(ph);
	unm_adopt_atfork(ph);
}

static void
fork_parent(void)
{
	fork_done(UNM_FORK_PARENT);
}

static void
fork_child(void)
{
	fork_done(UNM_FORK_CHILD);
	unm_id_atfork_child();
}

__attribute__((constructor)) static void
unm_init(void)
{
	unm_real_init();
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}
