/*
 * netns.c - entering the network namespace of the process that asked.
 *
 * The daemon runs in its own namespace; an interface request (and a
 * worker it starts) is served in the asker's (interfaces, sockets, the TAP and BPF attachments all belong
 * to a namespace).  The daemon is single-threaded, so setns() and back is
 * all it takes.  A port keeps an fd on its namespace, so it can go back
 * there to give the interface back after the asker died.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/unetmapd.h"

static int home = -1;	/* the daemon's own namespace */
static int depth;

int
netns_open(pid_t pid, uint64_t *ino)
{
	char path[64];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	*ino = (uint64_t)st.st_ino;
	return fd;
}

/* an entry of directory @dir whose @sub (may be "") is namespace @ino, opened; or -1 */
static int
find_in(const char *dir, const char *sub, bool pids, uint64_t ino)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int fd = -1;

	if (!d)
		return -1;
	while (fd < 0 && (de = readdir(d))) {
		char path[600];
		struct stat st;

		if (de->d_name[0] == '.' || (pids && (de->d_name[0] < '1' || de->d_name[0] > '9')))
			continue;
		snprintf(path, sizeof(path), "%s/%s%s", dir, de->d_name, sub);
		if (stat(path, &st) == 0 && (uint64_t)st.st_ino == ino)
			fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	closedir(d);
	return fd;
}

int
netns_find(uint64_t ino)
{
	int fd = find_in("/proc", "/ns/net", true, ino);

	/* a namespace no process is in lives on where ip-netns(8) mounted it */
	if (fd < 0)
		fd = find_in("/run/netns", "", false, ino);
	return fd < 0 ? -ENOENT : fd;
}

uint64_t
netns_self(void)
{
	static uint64_t ino;
	struct stat st;

	if (!ino && stat("/proc/self/ns/net", &st) == 0)
		ino = (uint64_t)st.st_ino;
	return ino;
}

int
netns_enter(int nsfd)
{
	if (home < 0) {
		home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (home < 0)
			return -errno;
	}
	if (depth++ == 0 && setns(nsfd, CLONE_NEWNET) < 0) {
		depth--;
		return -errno;
	}
	return 0;
}

void
netns_leave(void)
{
	if (depth > 0 && --depth == 0 && setns(home, CLONE_NEWNET) < 0)
		unm_err("cannot return to the daemon's network namespace: %s", strerror(errno));
}
