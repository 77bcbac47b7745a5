/*
 * priv_drop.c - a netmap descriptor keeps working after its process drops
 * privileges, as netmap's do: opened as root, then setuid(65534), a VALE
 * sender still reaches a receiver that joins later, a pipe end still
 * feeds a monitor that comes later, and a /dev/netmap descriptor opened
 * before the drop can still be registered; a new open is refused, and
 * nothing is printed on every sync.  The daemon is told who may use it
 * when a descriptor is opened, not asked again at every later question.
 * A netmap program (netmap's headers and libc only).
 */
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "../lib/nmraw.h"
#include "../lib/clock.h"
#include "../lib/tap.h"

#ifndef UNPRIV
#define UNPRIV 65534
#endif
#define WANT 10u	/* frames each watcher must see */

static char sw_s[64], sw_r[64], sw_late[64], sw_new[64], pm[64], ps[64];

/* frames waiting in every rx ring of @p, released */
static unsigned
drain(struct rawport *p)
{
	unsigned n = 0;

	ioctl(p->fd, NIOCRXSYNC, NULL);
	for (unsigned i = 0; i < p->nifp->ni_rx_rings; i++) {
		struct netmap_ring *r = NETMAP_RXRING(p->nifp, i);

		n += nm_ring_space(r);
		r->head = r->cur = r->tail;
	}
	return n;
}

/*
 * The watcher (stays root): once told, joins the switch and puts a
 * monitor on the pipe end, says so, then counts what arrives for a while
 * and reports both counts.
 */
static void __attribute__((noreturn))
watcher(int go, int back)
{
	struct rawport r, mon;
	unsigned got[2] = { 0, 0 };
	char c;
	uint64_t end;

	if (read(go, &c, 1) != 1)
		_exit(2);
	if (raw_open(&r, sw_r, NR_REG_ALL_NIC, 0, 0) || raw_open(&mon, pm, NR_REG_ALL_NIC, NR_MONITOR_TX, 0))
		_exit(3);
	if (write(back, "r", 1) != 1)
		_exit(4);
	for (end = now_ms() + 5000; now_ms() < end && (got[0] < WANT || got[1] < WANT);) {
		struct pollfd p[2] = { { r.fd, POLLIN, 0 }, { mon.fd, POLLIN, 0 } };

		poll(p, 2, 50);
		got[0] += drain(&r);
		got[1] += drain(&mon);
	}
	if (write(back, got, sizeof(got)) != sizeof(got))
		_exit(5);
	raw_close(&r);
	raw_close(&mon);
	_exit(0);
}

/* lines of @f that contain @what */
static unsigned
count_lines(FILE *f, const char *what)
{
	char line[512];
	unsigned n = 0;

	rewind(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	return n;
}

static int
body(void)
{
	struct rawport s, m, sl, late;
	int go[2], back[2], pre, err, olderr;
	unsigned got[2] = { 0, 0 };
	bool ready = false;
	FILE *log;
	pid_t pid;
	char c;

	snprintf(sw_s, sizeof(sw_s), "valepd%d:s", (int)getpid() % 100000);
	snprintf(sw_r, sizeof(sw_r), "valepd%d:r", (int)getpid() % 100000);
	snprintf(sw_late, sizeof(sw_late), "valepd%d:late", (int)getpid() % 100000);
	snprintf(sw_new, sizeof(sw_new), "valepd%d:new", (int)getpid() % 100000);
	snprintf(pm, sizeof(pm), "pd%d{1", (int)getpid());
	snprintf(ps, sizeof(ps), "pd%d}1", (int)getpid());
	if (pipe(go) || pipe(back))
		return 1;
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		close(back[0]);
		watcher(go[0], back[1]);
	}
	close(go[0]);
	close(back[1]);

	err = raw_open(&s, sw_s, NR_REG_ALL_NIC, 0, 0);
	if (!err)
		err = raw_open(&m, pm, NR_REG_ALL_NIC, 0, 0);
	if (!err)
		err = raw_open(&sl, ps, NR_REG_ALL_NIC, 0, 0);
	pre = open("/dev/netmap", O_RDWR);
	tap_ok(!err && pre >= 0, "as root: a VALE port, a pipe and a bare descriptor opened (%d)",
	    err);
	if (err || pre < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return tap_done();
	}

	/* from here on, what the library prints goes to @log */
	log = tmpfile();
	olderr = dup(2);
	if (!log || olderr < 0 || dup2(fileno(log), 2) < 0)
		return 1;
	if (setgroups(0, NULL) || setgid(UNPRIV) || setuid(UNPRIV)) {
		dup2(olderr, 2);
		tap_ok(0, "drop privileges: %s", strerror(errno));
		return tap_done();
	}
	tap_ok(getuid() == UNPRIV && geteuid() == UNPRIV, "privileges dropped to uid %d", UNPRIV);

	/* a receiver joins and a monitor comes, after the drop */
	if (write(go[1], "g", 1) != 1 || read(back[0], &c, 1) != 1) {
		tap_ok(0, "the watcher joined the switch and the pipe");
	} else {
		uint64_t end = now_ms() + 5000;

		fcntl(back[0], F_SETFL, O_NONBLOCK);
		while (!ready && now_ms() < end) {
			struct netmap_ring *st = NETMAP_TXRING(s.nifp, 0);
			struct netmap_ring *mt = NETMAP_TXRING(m.nifp, 0);
			struct timespec nap = { 0, 10 * 1000 * 1000 };

			for (int k = 0; k < 4; k++) {
				raw_put(st, 60, 0xff);	/* broadcast */
				raw_put(mt, 60, 0x5a);
			}
			ioctl(s.fd, NIOCTXSYNC, NULL);
			ioctl(m.fd, NIOCTXSYNC, NULL);
			drain(&sl);
			nanosleep(&nap, NULL);
			ready = read(back[0], got, sizeof(got)) == sizeof(got);
		}
		if (!ready) {
			fcntl(back[0], F_SETFL, 0);
			ready = read(back[0], got, sizeof(got)) == sizeof(got);
		}
	}
	waitpid(pid, NULL, 0);

	/* a bare descriptor opened as root may still be registered */
	err = 0;
	memset(&late, 0, sizeof(late));
	late.reg.nr_mode = NR_REG_ALL_NIC;
	{
		struct nmreq_header h;

		memset(&h, 0, sizeof(h));
		h.nr_version = NETMAP_API;
		h.nr_reqtype = NETMAP_REQ_REGISTER;
		snprintf(h.nr_name, sizeof(h.nr_name), "%s", sw_late);
		h.nr_body = (uintptr_t)&late.reg;
		err = ioctl(pre, NIOCCTRL, &h) < 0 ? errno : 0;
	}
	/* a new descriptor is refused */
	{
		struct rawport n;
		int r = raw_open(&n, sw_new, NR_REG_ALL_NIC, 0, 0);

		if (r == 0)
			raw_close(&n);
		fflush(stderr);
		dup2(olderr, 2);
		tap_ok(r == -EACCES, "a port opened after the drop is refused with EACCES (%d)", -r);
	}
	tap_ok(ready && got[0] >= WANT, "a receiver that joined after the drop got the sender's "
	    "frames (%u)", got[0]);
	tap_ok(ready && got[1] >= WANT, "a monitor that came after the drop saw the pipe's frames "
	    "(%u)", got[1]);
	tap_ok(err == 0, "a descriptor opened as root was registered after the drop (%s)",
	    strerror(err));
	TAP_EQ(count_lines(log, "refuses"), 1u, "one refusal printed (the new open), not one per sync");
	raw_close(&s);
	raw_close(&m);
	raw_close(&sl);
	close(pre);
	return tap_done();
}

/*
 * A daemon of our own, on a socket the unprivileged user can reach (the
 * suite's is in a directory only root may enter), stopped at the end by
 * this process, which keeps its privileges.
 */
int
main(void)
{
	const char *bin = getenv("UNETMAP_DAEMON");
	char dir[] = "/tmp/priv_drop.XXXXXX", sock[128], logf[128];
	pid_t d, t;
	int st = 1;

	alarm(90);
	if (getuid() != 0 || !bin || !mkdtemp(dir)) {
		tap_ok(0, "run as root with UNETMAP_DAEMON set (as tests/run does)");
		return tap_done();
	}
	chmod(dir, 0755);
	snprintf(sock, sizeof(sock), "%s/d.sock", dir);
	snprintf(logf, sizeof(logf), "%s/d.log", dir);
	setenv("UNETMAP_SOCKET", sock, 1);
	fflush(stdout);
	d = fork();
	if (d == 0) {
		unsetenv("LD_PRELOAD");	/* the daemon is no netmap program */
		execl(bin, bin, "-f", "-s", sock, "-l", logf, (char *)NULL);
		_exit(127);
	}
	daemon_ready(sock, d);
	t = fork();
	if (t == 0)
		_exit(body());
	while (waitpid(t, &st, 0) < 0 && errno == EINTR)
		;
	kill(d, SIGTERM);
	waitpid(d, NULL, 0);
	unlink(sock);
	unlink(logf);
	rmdir(dir);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
