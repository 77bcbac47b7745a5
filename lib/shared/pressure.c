/*
 * pressure.c - /proc/pressure/cpu's "some total" (pressure.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shared/pressure.h"

bool
unm_cpu_pressure_us(uint64_t *total)
{
	char buf[160], *p;
	/* raw system calls: inside our library open() and close() are netmap's */
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/pressure/cpu", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	syscall(SYS_close, fd);
	if (n <= 0) {
		if (n == 0)
			errno = EPROTO;
		return false;
	}
	buf[n] = '\0';
	/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=123\nfull ..." */
	p = strstr(buf, "total=");
	if (strncmp(buf, "some ", 5) != 0 || !p) {
		errno = EPROTO;
		return false;
	}
	*total = strtoull(p + 6, NULL, 10);
	return true;
}
