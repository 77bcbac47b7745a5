/*
 * real.h - the C library's own entry points, behind the ones we
 * interpose (lib/compat/).  Everything of the library below compat calls
 * these, never the interposed names, for its own descriptors: it does not
 * recurse into itself, and the core does not depend on compat.
 */
#ifndef UNETMAP_REAL_H
#define UNETMAP_REAL_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/select.h>
#include <sys/types.h>
#include <time.h>

struct unm_real {
	int (*open)(const char *, int, ...);
	int (*open64)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*openat64)(int, const char *, int, ...);
	int (*open_2)(const char *, int);
	int (*open64_2)(const char *, int);
	int (*openat_2)(int, const char *, int);
	int (*openat64_2)(int, const char *, int);
	int (*ioctl)(int, unsigned long, ...);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	void *(*mmap64)(void *, size_t, int, int, int, off64_t);
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *,
	    const sigset_t *);
};

extern struct unm_real unm_real;

/* resolves them all; cheap to call again */
void unm_real_init(void);

#define REAL(fn) (__builtin_expect(unm_real.fn != NULL, 1) ? unm_real.fn : (unm_real_init(), unm_real.fn))

#endif
