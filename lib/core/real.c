/* real.c - see real.h */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/real.h"

struct unm_real unm_real;

static void *
resolve(const char *name, int required)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p && required) {
		/* no libc to fall back on: nothing can work */
		static const char msg[] = "unetmap: cannot resolve a C library function\n";

		if (write(2, msg, sizeof(msg) - 1) < 0) {
			/* nothing else to do */
		}
		abort();
	}
	return p;
}

void
unm_real_init(void)
{
	if (unm_real.close)
		return;
	unm_real.open = resolve("open", 1);
	unm_real.open64 = resolve("open64", 0);
	unm_real.openat = resolve("openat", 1);
	unm_real.openat64 = resolve("openat64", 0);
	unm_real.open_2 = resolve("__open_2", 0);
	unm_real.open64_2 = resolve("__open64_2", 0);
	unm_real.openat_2 = resolve("__openat_2", 0);
	unm_real.openat64_2 = resolve("__openat64_2", 0);
	unm_real.ioctl = resolve("ioctl", 1);
	unm_real.mmap = resolve("mmap", 1);
	unm_real.mmap64 = resolve("mmap64", 0);
	unm_real.dup = resolve("dup", 1);
	unm_real.dup2 = resolve("dup2", 1);
	unm_real.dup3 = resolve("dup3", 1);
	unm_real.fcntl = resolve("fcntl", 1);
	unm_real.poll = resolve("poll", 1);
	unm_real.ppoll = resolve("ppoll", 1);
	unm_real.select = resolve("select", 1);
	unm_real.pselect = resolve("pselect", 1);
	/* last: it is the "initialised" mark */
	__atomic_store_n(&unm_real.close, (int (*)(int))resolve("close", 1), __ATOMIC_RELEASE);
}
