/*
 * sigbus.c - external memory a client truncates under its region.
 *
 * A region in external memory maps the client's own object, which we
 * cannot seal as we seal our memfds: the client may truncate its file,
 * and the daemon's next touch of those pages (a ring laid out for a pipe's
 * other end, a buffer filled by an interface) raises SIGBUS.  The handler
 * puts anonymous memory over the whole of that region's mapping (page
 * sizes of hugetlbfs included, as the mapping is replaced whole) and the
 * access is retried there: the client lost its memory, which it took
 * away itself; the daemon goes on.  A SIGBUS anywhere else is fatal, as
 * before.
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "unetmapd.h"

#define SIGBUS_RANGES 256

/* [lo, hi) of each external region's mapping; 0 when free (read by the handler) */
static struct {
	uintptr_t lo, hi;
} ranges[SIGBUS_RANGES];

static unsigned long replaced;	/* mappings replaced, for the log */

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	(void)uc;
	for (int i = 0; i < SIGBUS_RANGES; i++) {
		uintptr_t lo = __atomic_load_n(&ranges[i].lo, __ATOMIC_ACQUIRE);
		uintptr_t hi = __atomic_load_n(&ranges[i].hi, __ATOMIC_ACQUIRE);

		if (lo && a >= lo && a < hi && mmap((void *)lo, hi - lo, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) != MAP_FAILED) {
			__atomic_add_fetch(&replaced, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	signal(sig, SIG_DFL);	/* not ours: the fault repeats and is fatal */
}

void
sigbus_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

bool
sigbus_watch(void *base, uint64_t len)
{
	for (int i = 0; i < SIGBUS_RANGES; i++)
		if (!__atomic_load_n(&ranges[i].lo, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&ranges[i].hi, (uintptr_t)base + len, __ATOMIC_RELEASE);
			__atomic_store_n(&ranges[i].lo, (uintptr_t)base, __ATOMIC_RELEASE);
			return true;
		}
	return false;
}

void
sigbus_forget(void *base)
{
	unsigned long n = __atomic_exchange_n(&replaced, 0, __ATOMIC_RELAXED);

	if (n)
		unm_warn("external memory truncated by its owner under a region: replaced by "
		    "zeroes (%lu times)", n);
	for (int i = 0; i < SIGBUS_RANGES; i++)
		if (__atomic_load_n(&ranges[i].lo, __ATOMIC_ACQUIRE) == (uintptr_t)base)
			__atomic_store_n(&ranges[i].lo, 0, __ATOMIC_RELEASE);
}
