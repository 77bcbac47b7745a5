/*
 * session.c - -s FILE: netmap's tlem client/server sessions.
 *
 * The first tlem to lock the whole FILE (lockf) becomes the server: it
 * maps the file, lays out the parameter sets of both directions and the
 * live counters, and keeps the lock on the header (the counters) for as
 * long as it runs.  When it is ready it lets go of the rest, the clients'
 * part.  A later tlem with the same FILE finds the lock taken: it is a
 * client, waits for the clients' part (one client at a time), writes its
 * parameters into the set of each direction not in use and makes that set
 * the active one; the server's producers see the change at their next
 * round and use the new set from the next frame on.  -a makes the active
 * index out of range, which the server takes as "stop", and waits until
 * the server's lock on the header is gone.
 *
 * Without -s the same structure lives in private memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tlem.h"

static int sess_fd = -1;
static const char *sess_path;

struct tl_session *
tl_session_open(const char *path, bool *server)
{
	struct tl_session *s;

	*server = true;
	if (!path) {
		s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s == MAP_FAILED) {
			fprintf(stderr, "tlem: no memory for the parameters: %s\n", strerror(errno));
			return NULL;
		}
		s->magic = TL_SESS_MAGIC;
		s->version = TL_SESS_VERSION;
		return s;
	}
	sess_path = path;
	sess_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0664);
	if (sess_fd < 0) {
		fprintf(stderr, "tlem: -s %s: cannot open the session file: %s\n", path, strerror(errno));
		return NULL;
	}
	if (lockf(sess_fd, F_TLOCK, 0) == 0) {
		if (ftruncate(sess_fd, (off_t)sizeof(*s)) < 0) {
			fprintf(stderr, "tlem: -s %s: cannot size the session file: %s\n", path,
			    strerror(errno));
			return NULL;
		}
	} else if (errno == EACCES || errno == EAGAIN) {
		*server = false;
		/* wait for the clients' part: the server ready, no other client in it */
		if (lseek(sess_fd, (off_t)TL_SESS_CLIENT_OFF, SEEK_SET) < 0 ||
		    lockf(sess_fd, F_LOCK, 0) < 0) {
			fprintf(stderr, "tlem: -s %s: cannot lock the clients' part: %s\n", path,
			    strerror(errno));
			return NULL;
		}
	} else {
		fprintf(stderr, "tlem: -s %s: cannot lock the session file: %s\n", path, strerror(errno));
		return NULL;
	}
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, sess_fd, 0);
	if (s == MAP_FAILED) {
		fprintf(stderr, "tlem: -s %s: cannot map the session file: %s\n", path, strerror(errno));
		return NULL;
	}
	if (*server) {
		memset(s, 0, sizeof(*s));
		s->magic = TL_SESS_MAGIC;
		s->version = TL_SESS_VERSION;
	} else if (s->magic != TL_SESS_MAGIC || s->version != TL_SESS_VERSION) {
		fprintf(stderr, "tlem: -s %s: not a session file of this tlem (its server locks it "
		    "but wrote no session into it)\n", path);
		munmap(s, sizeof(*s));
		return NULL;
	}
	return s;
}

int
tl_session_allow_clients(void)
{
	if (sess_fd < 0)
		return 0;
	if (lseek(sess_fd, (off_t)TL_SESS_CLIENT_OFF, SEEK_SET) < 0 || lockf(sess_fd, F_ULOCK, 0) < 0) {
		fprintf(stderr, "tlem: -s %s: cannot open the session to clients: %s\n", sess_path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
tl_session_wait_end(void)
{
	if (sess_fd < 0)
		return 0;
	if (lseek(sess_fd, 0, SEEK_SET) < 0 || lockf(sess_fd, F_LOCK, 0) < 0) {
		fprintf(stderr, "tlem: -s %s: cannot wait for the server's end: %s\n", sess_path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
tl_session_close(struct tl_session *s)
{
	if (s)
		munmap(s, sizeof(*s));
	if (sess_fd >= 0)
		close(sess_fd);	/* the locks go with it */
	sess_fd = -1;
}
