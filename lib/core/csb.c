/*
 * csb.c - CSB mode: NETMAP_REQ_OPT_CSB on REGISTER, NETMAP_REQ_CSB_ENABLE
 * after it.  The application hands over two arrays in its own memory, an
 * nm_csb_atok (what it writes: head, cur, appl_need_kick) and an
 * nm_csb_ktoa (what the sync loop writes: hwcur, hwtail, kern_need_kick)
 * per bound ring, tx rings first, then rx; from then on a sync loop
 * (kloop.c) moves the rings and NIOC*SYNC and poll refuse.
 *
 * Checked as netmap_csb_validate checks them: not while a loop runs
 * (EBUSY), nothing to do for a binding without rings, NR_EXCLUSIVE needed
 * (EINVAL), each array aligned to its entry (EINVAL), the first readable
 * and the second writable over the whole length (EFAULT: copied through
 * ucopy.c, never a crash).  Then every entry starts from the ring's state.
 *
 * The arrays are the application's memory and the loop runs in the
 * application's process, so nothing here concerns the daemon: it checked
 * NR_EXCLUSIVE for a REGISTER already (daemon/register.c) and knows
 * nothing else of CSB mode.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* whole arrays: readable (atok) and writable (ktoa), as netmap's copyin/copyout test them */
static int
check_access(const struct unm_binding *b, uint64_t atok, uint64_t ktoa, unsigned n)
{
	size_t len = (size_t)n * sizeof(struct nm_csb_atok);
	void *tmp = calloc(n, sizeof(struct nm_csb_atok));
	int r = 0;

	_Static_assert(sizeof(struct nm_csb_atok) == sizeof(struct nm_csb_ktoa),
	    "one buffer serves both arrays");
	if (!tmp)
		return -ENOMEM;
	if (unm_copy_in(tmp, (const void *)(uintptr_t)atok, len)) {
		unm_warn("%s: CSB: the nm_csb_atok array at %#llx (%u entries) cannot be read",
		    b->port, (unsigned long long)atok, n);
		r = -EFAULT;
	} else {
		memset(tmp, 0, len);
		if (unm_copy_out((void *)(uintptr_t)ktoa, tmp, len)) {
			unm_warn("%s: CSB: the nm_csb_ktoa array at %#llx (%u entries) cannot "
			    "be written", b->port, (unsigned long long)ktoa, n);
			r = -EFAULT;
		}
	}
	free(tmp);
	return r;
}

int
unm_csb_enable(struct unm_binding *b, uint64_t atok, uint64_t ktoa)
{
	unsigned n = (unsigned)b->ntx + b->nrx;
	int r;

	if (__atomic_load_n(&b->kloop_state, __ATOMIC_ACQUIRE) & UNM_KLOOP_RUNNING) {
		unm_warn("%s: the CSB cannot change while a sync loop runs on the descriptor",
		    b->port);
		return -EBUSY;
	}
	if (n == 0)
		return 0;	/* netmap: no ring, nothing to check or set */
	if (!(b->flags & NR_EXCLUSIVE)) {
		unm_warn("%s: CSB mode needs NR_EXCLUSIVE (the rings' one owner drives them)",
		    b->port);
		return -EINVAL;
	}
	if (atok % sizeof(struct nm_csb_atok) || ktoa % sizeof(struct nm_csb_ktoa)) {
		unm_warn("%s: CSB arrays must be aligned to their 64-byte entries (atok %#llx, "
		    "ktoa %#llx)", b->port, (unsigned long long)atok, (unsigned long long)ktoa);
		return -EINVAL;
	}
	if ((r = check_access(b, atok, ktoa, n)) < 0)
		return r;
	/* every entry from its ring's state: the application's side and ours */
	for (unsigned i = 0; i < n; i++) {
		const struct unm_kring *k = b->kr[i].k;
		uint32_t a[4] = { k->rhead, k->rcur, 1, 1 };	/* head, cur, appl_need_kick, sync_flags */
		uint32_t t[3] = { k->nr_hwcur, k->nr_hwtail, 1 };	/* hwcur, hwtail, kern_need_kick */

		if (unm_copy_out((char *)(uintptr_t)atok + i * sizeof(struct nm_csb_atok), a,
		    sizeof(a)) ||
		    unm_copy_out((char *)(uintptr_t)ktoa + i * sizeof(struct nm_csb_ktoa), t,
		    sizeof(t)))
			return -EFAULT;	/* unmapped since the check, by another thread */
	}
	__atomic_store_n(&b->csb_ktoa, (struct nm_csb_ktoa *)(uintptr_t)ktoa, __ATOMIC_RELAXED);
	__atomic_store_n(&b->csb_atok, (struct nm_csb_atok *)(uintptr_t)atok, __ATOMIC_RELEASE);
	return 0;
}
