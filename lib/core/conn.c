/*
 * conn.c - the library's connections to unetmapd: reaching it (starting
 * it when none runs), and one request with its reply on a connection of
 * its own.  What a netmap descriptor is, and where one comes from, is
 * descriptor.c's business.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "core/real.h"
#include "shared/identity.h"
#include "shared/proto.h"
#include "unetmap.h"

extern char **environ;
static char *clean_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

#define REPLY_TIMEOUT_MS 30000
#define START_TIMEOUT_MS 5000
#define FOLLOW_UP_MS 1000	/* the daemon sends a reply's descriptor follow-ups at once */

/*
 * The daemon owns the memory every port lives in: only one run by root or
 * by our own (effective) user is used, whoever managed to put a socket at
 * @path (a world-writable directory...).
 */
static int
trusted(int fd, const char *path)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -errno;
	if (cr.uid == 0 || cr.uid == geteuid())
		return 0;
	unm_ratelimited(5, "/dev/netmap: the unetmapd at %s runs as uid %d: refused (only one "
	    "run by root or by uid %d, ours, is used)", path, (int)cr.uid, (int)geteuid());
	return -EACCES;
}

static int
try_connect(const char *path, int flags)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | ((flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0), 0);
	if (fd < 0)
		return -errno;
	do
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		int err = -errno;

		REAL(close)(fd);
		return err;
	}
	r = trusted(fd, path);
	if (r < 0) {
		REAL(close)(fd);
		return r;
	}
	return fd;
}

/*
 * The daemon binary: $UNETMAP_DAEMON, next to this library, or installed.
 * In a program running with privileges it did not inherit (setuid: the
 * kernel sets AT_SECURE) only the installed one: neither the environment
 * nor where the library was found may choose what runs with them.
 */
static int
find_daemon(char *out, size_t len)
{
	static const char *const rel[] = { "/../bin/", "/../sbin/", "/../../bin/" };
	const char *e = secure_getenv("UNETMAP_DAEMON");
	bool secure = getauxval(AT_SECURE) != 0;
	Dl_info info;

	if (e && *e) {
		snprintf(out, len, "%s", e);
		return access(out, X_OK);
	}
	if (!secure && dladdr((void *)find_daemon, &info) && info.dli_fname) {
		char dir[PATH_MAX];
		char *slash;

		snprintf(dir, sizeof(dir), "%s", info.dli_fname);
		slash = strrchr(dir, '/');
		if (slash) {
			*slash = '\0';
			for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				snprintf(out, len, "%s%sunetmapd", dir, rel[i]);
				if (access(out, X_OK) == 0)
					return 0;
			}
		}
	}
	snprintf(out, len, "%s/sbin/unetmapd", UNETMAP_PREFIX);
	if (access(out, X_OK) == 0)
		return 0;
	snprintf(out, len, "/usr/sbin/unetmapd");
	return access(out, X_OK);
}

/*
 * Starts "unetmapd --autostart": it detaches from our terminal and stdio,
 * closes what it inherited, and exits once idle.  We wait only for the
 * short-lived first process, never for the daemon.
 */
static int
start_daemon(const char *path)
{
	char bin[PATH_MAX];
	char *argv[] = { bin, "--autostart", "--socket", (char *)path, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	pid_t pid;
	int r;

	if (find_daemon(bin, sizeof(bin)) < 0) {
		unm_err("no unetmapd to start (set UNETMAP_DAEMON, or install it)");
		return -ENOENT;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
	/* a privileged program's environment is its caller's: the daemon gets none of it */
	r = posix_spawn(&pid, bin, &fa, &at, argv, getauxval(AT_SECURE) ? clean_env : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (r) {
		unm_err("cannot start %s: %s", bin, strerror(r));
		return -r;
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static int exchange(int sock, int attach, int extra, struct unm_msg *m, const void *payload,
    size_t len, struct unm_msg *rm, void *rbuf, size_t rcap, size_t *rlen, int *fds,
    unsigned maxfds, unsigned *nfds);

static const char *daemon_socket(void);

/* the daemon's first word: go ahead, or why not (said unless @quiet) */
static int
hello_q(int fd, bool quiet)
{
	struct unm_msg m, rm;
	unsigned nfds = 0;
	int fds[1];
	int r;

	unm_msg_init(&m, UNM_OP_HELLO);
	rm.magic = 0;
	r = exchange(fd, -1, -1, &m, NULL, 0, &rm, NULL, 0, NULL, fds, 1, &nfds);
	/* a go-ahead comes with the daemon's lives file (shared/identity.h) */
	if (r == 0 && !rm.error && nfds == 1) {
		unm_id_offer(fds[0]);
		nfds = 0;
	}
	unm_close_fds(fds, nfds);
	if (r == 0 && rm.error) {
		if (!quiet)
			unm_err("/dev/netmap: %.*s", (int)sizeof(rm.errmsg), rm.errmsg);
		r = -rm.error;
	}
	return r;
}

static int
hello(int fd)
{
	return hello_q(fd, false);
}

void
unm_id_ensure(void)
{
	int fd;

	if (unm_id_self() & UNM_ID_LIVES)
		return;
	/* a HELLO of our own brings the lives file (a guest's is refused: pid, then) */
	fd = try_connect(daemon_socket(), O_CLOEXEC);
	if (fd >= 0) {
		hello_q(fd, true);
		REAL(close)(fd);
	}
}

/*
 * The daemon this process talks to, found once: a program that drops
 * privileges after opening its ports keeps talking to the same daemon
 * (the default path depends on the euid: lib/shared/sockpath.c).
 */
static char daemon_path[108];
static pthread_once_t daemon_path_once = PTHREAD_ONCE_INIT;

static void
find_daemon_path(void)
{
	unetmap_socket_path(daemon_path, sizeof(daemon_path));
}

static const char *
daemon_socket(void)
{
	pthread_once(&daemon_path_once, find_daemon_path);
	return daemon_path;
}

int
unm_daemon_connect(int flags)
{
	const char *path = daemon_socket();
	const char *no = secure_getenv("UNETMAP_NO_AUTOSTART");
	int fd, r;

	fd = try_connect(path, flags);
	if ((fd == -ENOENT || fd == -ECONNREFUSED) && !(no && *no == '1')) {
		struct timespec t0, t;

		if (start_daemon(path) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t0);
			do {
				struct timespec nap = { 0, 2 * 1000 * 1000 };

				fd = try_connect(path, flags);
				if (fd >= 0)
					break;
				nanosleep(&nap, NULL);
				clock_gettime(CLOCK_MONOTONIC, &t);
			} while ((t.tv_sec - t0.tv_sec) * 1000 +
			    (t.tv_nsec - t0.tv_nsec) / 1000000 < START_TIMEOUT_MS);
		}
	}
	if (fd < 0) {
		unm_err("/dev/netmap: cannot reach unetmapd at %s: %s", path, strerror(-fd));
		return fd == -ENOENT || fd == -ECONNREFUSED ? -ENXIO : fd;
	}
	r = hello(fd);
	if (r < 0) {
		REAL(close)(fd);
		return r;
	}
	return fd;
}

/* waits until @fd is readable (the application may have made it non-blocking) */
static int
wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = REAL(poll)(&p, 1, REPLY_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	return r < 0 ? -errno : 0;
}

/*
 * One request and its reply on @sock, with @attach (a netmap descriptor)
 * passed along when it is not -1, and after it @extra (external memory's
 * object) when that is not -1.
 */
static int
exchange(int sock, int attach, int extra, struct unm_msg *m, const void *payload, size_t len,
    struct unm_msg *rm, void *rbuf, size_t rcap, size_t *rlen, int *fds,
    unsigned maxfds, unsigned *nfds)
{
	int att[2] = { attach, extra };
	int r = unm_msg_send(sock, m, payload, len, att, attach < 0 ? 0 : extra < 0 ? 1 : 2, 0);

	if (r == -EPIPE || r == -ECONNRESET) {
		/* gone; but it may have said why before leaving (a refusal) */
		r = unm_msg_recv(sock, rm, rbuf, rcap, rlen, fds, maxfds, nfds, MSG_DONTWAIT,
		    FOLLOW_UP_MS);
		if (r == 0 && !rm->error)
			r = -ECONNRESET;
	}
	while (r == 0 && rm != NULL && !rm->magic) {
		r = wait_readable(sock);
		if (r == 0)
			r = unm_msg_recv(sock, rm, rbuf, rcap, rlen, fds, maxfds, nfds,
			    MSG_DONTWAIT, FOLLOW_UP_MS);
		if (r == -EAGAIN) {
			rm->magic = 0;
			r = 0;	/* spurious wake-up; wait again */
		}
		/*
		 * A daemon that hung up on a message it never read leaves
		 * ECONNRESET pending, reported before what it sent last (a
		 * refusal): look once more.
		 */
		if (r == -ECONNRESET && unm_msg_recv(sock, rm, rbuf, rcap, rlen, fds, maxfds,
		    nfds, MSG_DONTWAIT, FOLLOW_UP_MS) == 0 && rm->error)
			r = 0;
	}
	if (r == 0 && rm->op != m->op) {
		/* a refusal comes as the answer to a HELLO we did not send */
		if (rm->op == UNM_OP_HELLO && rm->error) {
			unm_err("/dev/netmap: %.*s", (int)sizeof(rm->errmsg), rm->errmsg);
			return -rm->error;
		}
		r = -EPROTO;
	}
	if (r == -ECONNRESET || r == -EPIPE) {
		unm_err("netmap descriptor: unetmapd has gone away");
		r = -ENXIO;
	}
	if (r == -EPROTONOSUPPORT) {
		unm_err("unetmapd speaks protocol version %u, this library %u: restart the "
		    "daemon from the same build as the library", rm->version, UNM_PROTO_VERSION);
		r = -ENXIO;
	}
	return r;
}

int
unm_request(int fd, int extra_fd, struct unm_dev *d, struct unm_msg *m, const void *payload,
    size_t len, struct unm_msg *rm, void *rbuf, size_t rcap, size_t *rlen, int *fds,
    unsigned maxfds, unsigned *nfds)
{
	int side, r;

	/*
	 * On a connection of its own, with the descriptor attached: the
	 * descriptor may be shared with other processes (fork, SCM_RIGHTS),
	 * and a reply on it could be read by any of them.
	 */
	(void)d;
	side = try_connect(daemon_socket(), O_CLOEXEC);
	if (side < 0) {
		unm_err("netmap descriptor %d: cannot reach unetmapd at %s: %s", fd,
		    daemon_socket(), strerror(-side));
		return -ENXIO;
	}
	rm->magic = 0;
	r = exchange(side, fd, extra_fd, m, payload, len, rm, rbuf, rcap, rlen, fds, maxfds, nfds);
	REAL(close)(side);
	return r;
}

int
unm_query(const struct unm_binding *b, struct unm_query *q, void *out, size_t cap,
    size_t *len, int *fds, unsigned maxfds, unsigned *nfds)
{
	struct unm_msg m, rm;
	int side, r;

	side = try_connect(daemon_socket(), O_CLOEXEC);
	if (side < 0)
		return -ENXIO;
	memcpy(q->cap, b->cap, sizeof(q->cap));
	unm_msg_init(&m, UNM_OP_QUERY);
	rm.magic = 0;
	r = exchange(side, -1, -1, &m, q, sizeof(*q), &rm, out, cap, len, fds, maxfds, nfds);
	REAL(close)(side);
	if (r == 0 && rm.error) {
		unm_close_fds(fds, *nfds);
		*nfds = 0;
		unm_ratelimited(5, "query %u %s: %.*s", q->type, q->name, (int)sizeof(rm.errmsg),
		    rm.errmsg);
		r = -rm.error;
	}
	return r;
}
