/* ext.c - the helpers of unetmap.h */
#include <errno.h>
#include <fcntl.h>
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
