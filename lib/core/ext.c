/* ext.c - the helpers of unetmap.h */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/core.h"
#include "unetmap.h"

int
unetmap_region_info(uint16_t mem_id, struct nmreq_unetmap_region_info *out)
{
	struct nmreq_header hdr;
	int fd = open("/dev/netmap", O_RDWR | O_CLOEXEC), r, err;

	if (fd < 0)
		return -1;
	memset(&hdr, 0, sizeof(hdr));
	memset(out, 0, sizeof(*out));
	hdr.nr_version = NETMAP_API;
	hdr.nr_reqtype = NETMAP_REQ_UNETMAP_REGION_INFO;
	hdr.nr_body = (uintptr_t)out;
	out->nr_mem_id = mem_id;
	r = ioctl(fd, NIOCCTRL, &hdr);
	err = errno;
	close(fd);
	errno = err;
	return r;
}

int
unetmap_fd_info(int fd, char *name, size_t namelen, struct nmreq_register *reg)
{
	struct unm_dev *d = unm_dev_get(fd);	/* takes over an inherited descriptor */
	struct unm_binding *b;

	if (!d) {
		errno = EBADF;
		return -1;
	}
	b = d->bind;
	if (!b) {
		unm_dev_put(d);
		errno = ENXIO;	/* open, but bound to no port */
		return -1;
	}
	memset(reg, 0, sizeof(*reg));
	reg->nr_offset = b->nifp_ofs;
	reg->nr_memsize = b->memsize;
	reg->nr_mem_id = b->mem_id;
	reg->nr_flags = b->flags;
	reg->nr_tx_rings = (uint16_t)b->nifp->ni_tx_rings;
	reg->nr_rx_rings = (uint16_t)b->nifp->ni_rx_rings;
	reg->nr_host_tx_rings = (uint16_t)b->nifp->ni_host_tx_rings;
	reg->nr_host_rx_rings = (uint16_t)b->nifp->ni_host_rx_rings;
	if (name && namelen)
		snprintf(name, namelen, "%s", b->port);
	unm_dev_put(d);
	return 0;
}
