/*
 * worker.c - processes the daemon starts, watches and stops.
 *
 * The daemon never moves a frame; where something must (a switch's
 * attached interfaces), it starts one of our programs as a worker and
 * hands it netmap descriptors.  This file knows nothing of what a worker
 * does: it starts one in the right network namespace with its descriptors
 * renumbered from 3, notices when it dies, plans the restart with a
 * growing delay, and gives up after a few quick deaths in a row.  Workers
 * die with the daemon (PR_SET_PDEATHSIG).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/event.h"
#include "daemon/unetmapd.h"

#define QUICK_MS 5000		/* a worker dying sooner than this failed to start */
#define MAX_QUICK_FAILS 5
#define STOP_MS 300		/* a worker's time to stop before SIGKILL */

/* our program @prog: $UNETMAPD_<PROG>, beside unetmapd, in ../bin, or on PATH */
static const char *
program_path(const char *prog, char *buf, size_t len)
{
	char env[64], self[PATH_MAX - 32];
	const char *v;
	size_t k = snprintf(env, sizeof(env), "UNETMAPD_");
	ssize_t n;

	for (const char *c = prog; *c && k + 1 < sizeof(env); c++)
		env[k++] = isalnum((unsigned char)*c) ? (char)toupper((unsigned char)*c) : '_';
	env[k] = '\0';
	v = secure_getenv(env);
	if (v && *v)
		return v;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/%s", self, prog);
			if (access(buf, X_OK) == 0)
				return buf;
			snprintf(buf, len, "%s/../bin/%s", self, prog);
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	return prog;
}

/* in the child: becomes the worker, or exits */
static void __attribute__((noreturn))
become(const char *bin, char *const argv[], pid_t parent, int nsfd, const int *fds, unsigned n)
{
	int hi[WORKER_MAX_FDS], devnull;
	sigset_t none;

	/* the daemon's blocked signals and ignored SIGPIPE are not the worker's */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
		_exit(126);
	/* out of the way first, then down to 3, 4, ... */
	for (unsigned i = 0; i < n; i++)
		if ((hi[i] = fcntl(fds[i], F_DUPFD, (int)(3 + n + 16))) < 0)
			_exit(126);
	for (unsigned i = 0; i < n; i++)
		if (dup2(hi[i], (int)(3 + i)) < 0)
			_exit(126);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0)
		dup2(devnull, 0);
	if (dcfg.log_path) {
		int lf = open(dcfg.log_path, O_WRONLY | O_APPEND);

		if (lf >= 0) {
			dup2(lf, 1);
			dup2(lf, 2);
		}
	}
	close_range(3 + n, ~0u, 0);
	setenv("UNETMAP_SOCKET", dcfg.socket_path, 1);
	setenv("UNETMAP_NO_AUTOSTART", "1", 1);	/* never a daemon of its own */
	execvp(bin, argv);
	fprintf(stderr, "unetmapd: worker: cannot run %s: %s\n", bin, strerror(errno));
	_exit(127);
}

bool
worker_start(struct worker *w, const char *prog, char *const argv[], int nsfd,
    const int *fds, unsigned n)
{
	char path[PATH_MAX];
	const char *bin = program_path(prog, path, sizeof(path));
	pid_t parent = getpid(), pid;

	pid = n <= WORKER_MAX_FDS ? fork() : (errno = E2BIG, -1);
	if (pid == 0)
		become(bin, argv, parent, nsfd, fds, n);
	w->pid = pid > 0 ? pid : 0;
	w->started_ms = ev_now_ms();
	if (pid < 0) {
		unm_err("cannot start %s: %s", prog, strerror(errno));
		w->restart_at_ms = ev_now_ms() + 1000;
	}
	return pid > 0;
}

void
worker_signal(struct worker *w)
{
	if (w->pid > 0)
		kill(w->pid, SIGTERM);
}

uint64_t
worker_stop_deadline(void)
{
	return ev_now_ms() + STOP_MS;
}

/*
 * Not long: a worker may be waiting on a question to this very daemon,
 * which it cannot answer now; a worker holds nothing the daemon does not,
 * so SIGKILL loses nothing.
 */
void
worker_reap(struct worker *w, uint64_t deadline_ms)
{
	bool gone = false;

	while (w->pid > 0 && !(gone = waitpid(w->pid, NULL, WNOHANG) == w->pid) &&
	    ev_now_ms() < deadline_ms)
		usleep(2000);
	if (w->pid > 0 && !gone) {
		unm_debug("worker pid %d still there after SIGTERM: killed", (int)w->pid);
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
	}
	w->pid = 0;
}

void
worker_stop(struct worker *w)
{
	if (w->pid <= 0)
		return;
	worker_signal(w);
	worker_reap(w, worker_stop_deadline());
}

bool
worker_died(struct worker *w, const char *what)
{
	uint64_t ran;
	int st;

	if (w->pid <= 0 || waitpid(w->pid, &st, WNOHANG) != w->pid)
		return false;
	ran = ev_now_ms() - w->started_ms;
	w->quick_fails = ran < QUICK_MS ? w->quick_fails + 1 : 0;
	unm_warn("%s: worker pid %d %s %d after %llu ms%s", what, (int)w->pid,
	    WIFSIGNALED(st) ? "killed by signal" : "exited with status",
	    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), (unsigned long long)ran,
	    w->quick_fails >= MAX_QUICK_FAILS ? "" : "; starting another");
	w->pid = 0;
	w->restart_at_ms = ev_now_ms() + (100ull << w->quick_fails);
	if (w->quick_fails < MAX_QUICK_FAILS)
		w->restarts++;
	return w->quick_fails >= MAX_QUICK_FAILS;
}

bool
worker_due(const struct worker *w)
{
	return w->pid == 0 && ev_now_ms() >= w->restart_at_ms;
}
