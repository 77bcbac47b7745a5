/*
 * identity.c - lock holders named by an OFD lock on the daemon's lives
 * file (see identity.h for why not by pid).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shared/identity.h"

static int lives_fd = -1;	/* our own open file description of the lives file */
static int prev_fd = -1;	/* the one before, kept while its name may still be in a lock */
static uint32_t self_id;	/* 0 until known */
static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t
draw(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		struct timespec t;

		clock_gettime(CLOCK_MONOTONIC, &t);
		r = (uint32_t)t.tv_nsec * 2654435761u ^ (uint32_t)getpid() << 16 ^ (uint32_t)t.tv_sec;
	}
	return r | UNM_ID_LIVES;
}

static struct flock
byte_of(uint32_t id, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
	    .l_start = (off_t)(id & ~UNM_ID_LIVES), .l_len = 1 };

	return fl;
}

/* an identity of our own on @fd (our open file description), or 0 */
static uint32_t
take(int fd)
{
	for (int i = 0; i < 16; i++) {
		uint32_t id = draw();
		struct flock fl = byte_of(id, F_WRLCK);

		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return id;
		if (errno != EAGAIN && errno != EACCES)
			return 0;
	}
	return 0;
}

/* @fd opened again: an open file description of our own, or -1 */
static int
reopen(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDWR | O_CLOEXEC);
}

int
unm_id_create(void)
{
	int fd = memfd_create("unetmap-lives", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	/* only its locks matter: empty for good, so no client can grow it */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	/* the daemon is an ordinary holder: its own description, not the one it hands out */
	unm_id_offer(dup(fd));
	return fd;
}

/* is @fd the same file as our lives file? */
static bool
same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
	    sa.st_dev == sb.st_dev;
}

/*
 * A file other than ours comes from a daemon started since (the one that
 * made ours died): the newest wins, as every client that comes now names
 * itself on it.  The old description stays open, so that a lock taken
 * under the old name is not seen as a dead holder's by old clients.
 */
void
unm_id_offer(int fd)
{
	int own;

	if (fd < 0)
		return;
	pthread_mutex_lock(&id_lock);
	if ((lives_fd < 0 || !same_file(fd, lives_fd)) && (own = reopen(fd)) >= 0) {
		uint32_t id = take(own);

		if (id) {
			if (prev_fd >= 0)
				close(prev_fd);
			prev_fd = lives_fd;
			lives_fd = own;
			__atomic_store_n(&self_id, id, __ATOMIC_RELEASE);
		} else {
			close(own);
		}
	}
	pthread_mutex_unlock(&id_lock);
	close(fd);
}

uint32_t
unm_id_self(void)
{
	uint32_t id = __atomic_load_n(&self_id, __ATOMIC_ACQUIRE);

	return id ? id : (uint32_t)getpid();
}

bool
unm_id_dead(uint32_t id)
{
	if (!id)
		return false;
	if (id & UNM_ID_LIVES) {
		struct flock fl = byte_of(id, F_WRLCK);

		/* with no lives file of our own we cannot tell: alive, then */
		if (lives_fd < 0 || fcntl(lives_fd, F_OFD_GETLK, &fl) < 0)
			return false;
		return fl.l_type == F_UNLCK;
	}
	return kill((pid_t)id, 0) < 0 && errno == ESRCH;
}

/*
 * In a fork child: the inherited description is the parent's (its lock
 * lives as long as either holds it), so the child opens one of its own
 * and draws an identity; failing that it names itself by pid.
 */
void
unm_id_atfork_child(void)
{
	int old = lives_fd;

	pthread_mutex_init(&id_lock, NULL);
	if (prev_fd >= 0)
		close(prev_fd);
	prev_fd = -1;
	lives_fd = -1;
	self_id = 0;
	if (old >= 0) {
		int own = reopen(old);

		close(old);
		if (own >= 0) {
			uint32_t id = take(own);

			if (id) {
				lives_fd = own;
				self_id = id;
			} else {
				close(own);
			}
		}
	}
}
