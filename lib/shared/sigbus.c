/*
 * sigbus.c - memory its owner may take away under the others who map it.
 *
 * A region in external memory (NETMAP_REQ_OPT_EXTMEM) maps a client's own
 * object, which nobody can seal as the daemon seals its memfds: the client
 * may truncate its file, and the next touch of those pages by anyone else
 * mapping it raises SIGBUS - the daemon laying out a ring, a pipe's other
 * end, a switch sender copying into its buffers, a monitor.  Mappings
 * watched here are replaced whole with anonymous zero-filled memory by
 * the handler (page sizes of hugetlbfs included: the mapping goes whole)
 * and the access is retried there: the owner lost its memory, which it
 * took away itself; the others go on (what they send it is lost).
 *
 * The handler is installed when the first mapping is watched (the
 * daemon's at start; an application's only when it maps another
 * process's external memory).  A SIGBUS anywhere else goes to the
 * handler that was there before (an application's own), or is fatal as
 * before.  An application that installs its own SIGBUS handler later
 * replaces ours: then its process dies of the owner's truncation, as
 * without this file.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "shared/log.h"
#include "shared/sigbus.h"

#define SIGBUS_RANGES 256

/* [lo, hi) of each watched mapping; 0 when free (read by the handler) */
static struct {
	uintptr_t lo, hi;
} ranges[SIGBUS_RANGES];

static unsigned long replaced;	/* mappings replaced, for the log */
static struct sigaction prev;	/* the handler before ours */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	for (int i = 0; i < SIGBUS_RANGES; i++) {
		uintptr_t lo = __atomic_load_n(&ranges[i].lo, __ATOMIC_ACQUIRE);
		uintptr_t hi = __atomic_load_n(&ranges[i].hi, __ATOMIC_ACQUIRE);

		if (lo && a >= lo && a < hi && mmap((void *)lo, hi - lo, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) != MAP_FAILED) {
			__atomic_add_fetch(&replaced, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	/* not ours: whoever handled it before, else the default (the fault repeats) */
	if ((prev.sa_flags & SA_SIGINFO) && prev.sa_sigaction) {
		prev.sa_sigaction(sig, si, uc);
		return;
	}
	if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler) {
		prev.sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL);
}

static void
install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &prev);
}

void
unm_sigbus_init(void)
{
	pthread_once(&once, install);
}

bool
unm_sigbus_watch(void *base, uint64_t len)
{
	unm_sigbus_init();
	for (int i = 0; i < SIGBUS_RANGES; i++) {
		uintptr_t free_lo = 0;

		/* claimed atomically: two threads may map regions at once */
		if (__atomic_load_n(&ranges[i].lo, __ATOMIC_ACQUIRE) == 0 &&
		    __atomic_compare_exchange_n(&ranges[i].hi, &free_lo, (uintptr_t)base + len,
		    false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			__atomic_store_n(&ranges[i].lo, (uintptr_t)base, __ATOMIC_RELEASE);
			return true;
		}
	}
	return false;
}

void
unm_sigbus_forget(void *base)
{
	unsigned long n = __atomic_exchange_n(&replaced, 0, __ATOMIC_RELAXED);

	if (n)
		unm_warn("external memory truncated by its owner under a region: replaced by "
		    "zeroes (%lu times)", n);
	for (int i = 0; i < SIGBUS_RANGES; i++)
		if (__atomic_load_n(&ranges[i].lo, __ATOMIC_ACQUIRE) == (uintptr_t)base) {
			__atomic_store_n(&ranges[i].lo, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&ranges[i].hi, 0, __ATOMIC_RELEASE);
		}
}
