/*
 * xsk.c - AF_XDP sockets, made by the daemon and handed to the
 * application (which maps their rings itself: mmap works on a passed fd).
 *
 * The first queue's socket registers the UMEM: the whole buffer pool of
 * memory region 1, as the daemon maps it, in unaligned chunk mode (see
 * shared/nic_abi.h).  The other queues share it (XDP_SHARED_UMEM, rings
 * of their own).  Each NIC port registers its own UMEM over the same
 * pages, so interfaces do not inherit each other's zero-copy or copy mode
 * (a shared UMEM forces the mode of its first socket on every other).
 */
#include <errno.h>
#include <linux/if_xdp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon/adapters/nic/nic_int.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

static int
set_ring(int fd, int opt, uint32_t n)
{
	return setsockopt(fd, SOL_XDP, opt, &n, sizeof(n)) < 0 ? -errno : 0;
}

/* re-binding a queue right after the last socket on it closed is EBUSY for ~30 ms */
static int
bind_retry(int fd, struct sockaddr_xdp *sa)
{
	for (int tries = 0; tries < 100; tries++) {
		struct timespec nap = { 0, 10 * 1000 * 1000 };

		if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) == 0)
			return 0;
		if (errno != EBUSY)
			return -errno;
		nanosleep(&nap, NULL);
	}
	return -EBUSY;
}

int
nic_xsk_open(struct nic_xsk *x, struct region *r, int ifindex, unsigned queue, int umem_fd,
    uint32_t slots, bool force_copy, bool sg, const char *ifname, struct ctrl_err *e)
{
	uint32_t n = unm_xsk_ring_size(slots), budget = n;
	struct sockaddr_xdp sa = { .sxdp_family = AF_XDP, .sxdp_ifindex = (uint32_t)ifindex,
	    .sxdp_queue_id = queue };
	struct xdp_options opts = { 0 };
	socklen_t ol = sizeof(opts);
	int fd, err;

	x->fd = -1;
	x->zc = false;
	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ctrl_fail(e, errno, "%s: cannot create an AF_XDP socket: %s", ifname,
		    strerror(errno));
	if (umem_fd < 0) {
		/*
		 * A chunk is the headroom and as much of the buffer as a page
		 * allows (unaligned chunks are 2048 to 4096 bytes): buf_size
		 * 2048 gives UNM_XSK_CHUNK, 4096 frames of up to 3840 bytes in
		 * one slot; larger frames are multi-slot either way.
		 */
		uint32_t frame = r->L.buf.objsize < 4096 - UNM_XSK_HEADROOM ? r->L.buf.objsize :
		    4096 - UNM_XSK_HEADROOM;
		struct xdp_umem_reg mr = {
			.addr = (uint64_t)(uintptr_t)(r->base + r->L.buf.ofs),
			.len = (uint64_t)r->L.buf.num * r->L.buf.objsize,
			.chunk_size = frame + UNM_XSK_HEADROOM,
			.headroom = 0,
			.flags = XDP_UMEM_UNALIGNED_CHUNK_FLAG,
		};

		if (frame + UNM_XSK_HEADROOM < 2048) {
			close(fd);
			return ctrl_fail(e, EINVAL, "%s: buffers of %u bytes are too small for "
			    "AF_XDP (at least %u): set buf_size to 2048 (nm-sysctl), or take the "
			    "interface in emulated mode (netmap:%s with admode 3)", ifname,
			    r->L.buf.objsize, 2048 - UNM_XSK_HEADROOM, ifname);
		}
		if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) < 0) {
			err = errno;
			close(fd);
			return ctrl_fail(e, err, "%s: cannot register memory region %u as the UMEM: %s",
			    ifname, r->id, strerror(err));
		}
	}
	if ((err = set_ring(fd, XDP_UMEM_FILL_RING, n)) || (err = set_ring(fd, XDP_UMEM_COMPLETION_RING, n)) ||
	    (err = set_ring(fd, XDP_RX_RING, n)) || (err = set_ring(fd, XDP_TX_RING, n))) {
		close(fd);
		return ctrl_fail(e, -err, "%s: cannot size the AF_XDP rings: %s", ifname, strerror(-err));
	}
	if (umem_fd >= 0) {
		sa.sxdp_flags = XDP_SHARED_UMEM;
		sa.sxdp_shared_umem_fd = (uint32_t)umem_fd;
		err = bind_retry(fd, &sa);
	} else {
		sa.sxdp_flags = XDP_USE_NEED_WAKEUP | (force_copy ? XDP_COPY : 0);
		err = sg ? bind_retry(fd, &(struct sockaddr_xdp){ .sxdp_family = AF_XDP,
		    .sxdp_flags = (uint16_t)(sa.sxdp_flags | XDP_USE_SG),
		    .sxdp_ifindex = sa.sxdp_ifindex, .sxdp_queue_id = queue }) : -EINVAL;
		if (err == -EINVAL || err == -EOPNOTSUPP) {
			if (sg)
				unm_info("%s: no multi-buffer AF_XDP here: frames above %u bytes "
				    "will be dropped", ifname, r->L.buf.objsize < 4096 - UNM_XSK_HEADROOM ?
				    r->L.buf.objsize : 4096 - UNM_XSK_HEADROOM);
			err = bind_retry(fd, &sa);
		}
	}
	if (err) {
		close(fd);
		return ctrl_fail(e, -err, "%s: cannot bind an AF_XDP socket to queue %u: %s%s",
		    ifname, queue, strerror(-err), err == -EBUSY ? " (another AF_XDP program "
		    "holds it?)" : "");
	}
	/* one kick sends the whole batch (Linux 6.x; older kernels say ENOPROTOOPT) */
	setsockopt(fd, SOL_XDP, UNM_XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(budget));
	if (getsockopt(fd, SOL_XDP, XDP_OPTIONS, &opts, &ol) == 0)
		x->zc = opts.flags & XDP_OPTIONS_ZEROCOPY;
	x->fd = fd;
	return 0;
}

int
nic_xsk_prefill(struct nic_xsk *x, struct region *r, struct netmap_ring *ring, uint32_t slots)
{
	struct xdp_mmap_offsets off;
	socklen_t ol = sizeof(off);
	uint32_t n = unm_xsk_ring_size(slots), *prod;
	size_t len;
	uint64_t *desc;
	char *map;

	if (getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) < 0)
		return -errno;
	len = off.fr.desc + n * sizeof(uint64_t);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, x->fd,
	    XDP_UMEM_PGOFF_FILL_RING);
	if (map == MAP_FAILED)
		return -errno;
	prod = (uint32_t *)(map + off.fr.producer);
	desc = (uint64_t *)(map + off.fr.desc);
	/*
	 * the ring's own size, not its num_slots (any client of the region may
	 * write that); slot slots-1 is the one netmap keeps empty: its buffer
	 * stays home.  The kernel checks every address against the UMEM.
	 */
	for (uint32_t k = 0; k + 1 < slots; k++)
		desc[(*prod + k) & (n - 1)] = (uint64_t)ring->slot[k].buf_idx * r->L.buf.objsize -
		    UNM_XSK_HEADROOM;
	__atomic_store_n(prod, *prod + slots - 1, __ATOMIC_RELEASE);
	munmap(map, len);
	return 0;
}
