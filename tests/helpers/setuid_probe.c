/*
 * setuid_probe.c - a program linked with libunetmap (statically: a setuid
 * program finds no library by $ORIGIN) that opens /dev/netmap and says what
 * happened, for daemon.sh to install setuid root and run as another user:
 * nothing in its environment may choose what the library runs as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
	int fd = open("/dev/netmap", O_RDWR);

	printf("open: %s (euid %d, uid %d)\n", fd < 0 ? strerror(errno) : "ok", (int)geteuid(),
	    (int)getuid());
	if (fd >= 0)
		close(fd);
	return 0;
}
