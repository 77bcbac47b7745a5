/*
 * main.c - unetmapd: the control half of unetmap.
 *
 * Serves netmap descriptors over a UNIX socket: registrations, memory
 * regions, ports and their lifetimes.  Started by systemd, by hand, or by
 * the library on first use (--autostart: detached, and gone again once
 * nothing is left to serve).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "unetmap.h"
#include "shared/sigbus.h"
#include "unetmapd.h"

static uint64_t idle_since_ms;	/* 0: not idle */

/*
 * Every port holds descriptors here (a region's memfd, an eventfd a ring,
 * AF_XDP sockets...), every client one more: the soft limit systemd and
 * shells give (1024) runs out long before a full switch does.  Up to the
 * hard limit, then.
 */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		unm_warn("cannot raise the descriptor limit to %llu: %s",
		    (unsigned long long)rl.rlim_max, strerror(errno));
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: unetmapd [-f] [-s PATH] [-l FILE] [-v] [--autostart] [--idle-exit MS]\n"
	    "\n"
	    "The unetmap daemon: memory regions, ports and bindings of netmap descriptors.\n"
	    "\n"
	    "  -s, --socket PATH    serve on PATH (default: $UNETMAP_SOCKET, else\n"
	    "                       /run/unetmap/unetmapd.sock for root)\n"
	    "  -f, --foreground     log to stderr (the default unless --autostart)\n"
	    "  -l, --log FILE       append log lines to FILE\n"
	    "  -v, --verbose        log every request (debug level)\n"
	    "  -p, --param NAME=VALUE\n"
	    "                       set one of netmap's parameters (buf_size, buf_num, ring_size,\n"
	    "                       ring_num, if_size, if_num, the same with priv_, admode,\n"
	    "                       verbose; nm-sysctl(8) lists them); may be repeated, and wins\n"
	    "                       over the config file\n"
	    "      --config FILE    read parameters from FILE (name = value lines; default\n"
	    "                       " UNETMAPD_CONF ", if it exists)\n"
	    "      --autostart      detach from the terminal and exit once no client,\n"
	    "                       port or region has been left for --idle-exit ms\n"
	    "      --idle-exit MS   idle time before an autostarted daemon exits (2000)\n"
	    "      --admode MODE    how network interfaces are taken when a request does\n"
	    "                       not say: best (native XDP, else generic XDP, else\n"
	    "                       AF_PACKET), native, generic or emulated (AF_PACKET)\n"
	    "      --no-nic         never take a network interface\n"
	    "  -h, --help           this text\n"
	    "\n"
	    "SIGTERM and SIGINT stop it: network interfaces are given back and the socket\n"
	    "removed; pipes and switches keep carrying traffic until their programs close,\n"
	    "as after a crash.  Only root and the daemon's own user may connect.\n");
}

bool
daemon_has_state(void)
{
	return port_list() != NULL;
}


static void
on_tick(struct ev_loop *l, void *arg)
{
	ports_tick();
	attach_tick();
	clients_tick();
	if (!dcfg.autostart)
		return;
	if (clients_count() || daemon_has_state()) {
		idle_since_ms = 0;
		return;
	}
	if (idle_since_ms == 0)
		idle_since_ms = ev_now_ms();
	else if (ev_now_ms() - idle_since_ms >= (uint64_t)dcfg.idle_exit_ms) {
		unm_info("idle for %d ms, exiting", dcfg.idle_exit_ms);
		ev_stop(l);
	}
}

static void
on_signal(struct ev_loop *l, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) == sizeof(si)) {
		unm_info("signal %u, stopping", si.ssi_signo);
		ev_stop(l);
	}
}

static int
mkdirs(const char *path)
{
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *s;

	snprintf(buf, sizeof(buf), "%s", path);
	s = strrchr(buf, '/');
	if (!s || s == buf)
		return 0;
	*s = '\0';
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* one daemon per socket: the lock outlives a crash's stale socket file */
static int
take_lock(const char *path)
{
	char lpath[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	int fd;

	snprintf(lpath, sizeof(lpath), "%s.lock", path);
	fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -EEXIST;
	}
	return fd;
}

static int
listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);	/* we hold the lock: whatever is there is stale */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	/* permission is checked by credentials on connect, see client.c */
	chmod(path, 0666);
	return fd;
}

static void
detach(void)
{
	int fd;

	if (fork() > 0)
		_exit(0);
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (chdir("/") < 0) {
		/* not fatal */
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, 0, 's' },
		{ "foreground", no_argument, 0, 'f' },
		{ "log", required_argument, 0, 'l' },
		{ "verbose", no_argument, 0, 'v' },
		{ "autostart", no_argument, 0, 'A' },
		{ "idle-exit", required_argument, 0, 'I' },
		{ "admode", required_argument, 0, 'M' },
		{ "no-nic", no_argument, 0, 'N' },
		{ "config", required_argument, 0, 'c' },
		{ "param", required_argument, 0, 'p' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	char pathbuf[108];
	struct ev_loop *l;
	sigset_t mask;
	int c, lfd, sfd, lockfd, verbose = 0, nparams = 0;
	const char *config = NULL, *param[64];
	unsigned admode_cli = 0;

	unm_log_init("unetmapd");
	params_init();
	while ((c = getopt_long(argc, argv, "s:fl:vp:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': dcfg.socket_path = optarg; break;
		case 'f': dcfg.foreground = true; break;
		case 'l': dcfg.log_path = optarg; break;
		case 'v': verbose = 1; break;
		case 'A': dcfg.autostart = true; break;
		case 'I': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > 86400000) {
				fprintf(stderr, "unetmapd: --idle-exit takes milliseconds, not '%s'\n",
				    optarg);
				return 2;
			}
			dcfg.idle_exit_ms = (int)v;
			break;
		}
		case 'M': {
			static const char *const m[] = { "best", "native", "generic", "emulated" };
			unsigned i;

			for (i = 0; i < 4 && strcmp(optarg, m[i]); i++)
				;
			if (i == 4) {
				fprintf(stderr, "unetmapd: --admode is best, native, generic or "
				    "emulated, not '%s'\n", optarg);
				return 2;
			}
			admode_cli = UNETMAP_ADMODE_BEST + i;
			break;
		}
		case 'N': dcfg.nic = false; break;
		case 'c': config = optarg; break;
		case 'p':
			if (nparams == 64 || !strchr(optarg, '=')) {
				fprintf(stderr, "unetmapd: --param takes name=value (at most 64 of "
				    "them), not '%s'\n", optarg);
				return 2;
			}
			param[nparams++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "unetmapd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	/*
	 * Started by a library on first use, we inherit whatever the
	 * application left open - maybe the pipe a test runner reads to its
	 * end.  Holding it would keep that reader waiting on us.
	 */
	if (dcfg.autostart)
		closefrom(3);
	if (!dcfg.socket_path)
		dcfg.socket_path = unetmap_socket_path(pathbuf, sizeof(pathbuf));
	unm_log_set_level(verbose ? UNM_LOG_DEBUG : UNM_LOG_INFO);
	if (dcfg.log_path) {
		int fd = open(dcfg.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd < 0) {
			fprintf(stderr, "unetmapd: cannot open log %s: %s\n", dcfg.log_path,
			    strerror(errno));
			return 1;
		}
		unm_log_set_fd(fd);
	}
	/* the parameters: the config file, then the command line's, which win */
	if (params_load(config ? config : UNETMAPD_CONF, config != NULL) < 0)
		return 2;
	for (int i = 0; i < nparams; i++) {
		struct ctrl_err e = { "" };
		char name[64], *eq = strchr(param[i], '=');

		snprintf(name, sizeof(name), "%.*s", (int)(eq - param[i]), param[i]);
		if (params_set(name, eq + 1, &e)) {
			unm_err("--param %s: %s", param[i], e.msg);
			return 2;
		}
	}
	if (admode_cli)
		dcfg.admode = admode_cli;
	raise_fd_limit();
	if (mkdirs(dcfg.socket_path) < 0) {
		unm_err("cannot create the directory of %s: %s", dcfg.socket_path,
		    strerror(errno));
		return 1;
	}
	lockfd = take_lock(dcfg.socket_path);
	if (lockfd < 0) {
		if (lockfd == -EEXIST) {
			/* an autostart race lost to another daemon is fine */
			if (!dcfg.autostart)
				unm_err("another unetmapd serves %s", dcfg.socket_path);
			return dcfg.autostart ? 0 : 1;
		}
		unm_err("cannot lock %s.lock: %s", dcfg.socket_path, strerror(-lockfd));
		return 1;
	}
	lfd = listen_on(dcfg.socket_path);
	if (lfd < 0) {
		unm_err("cannot listen on %s: %s", dcfg.socket_path, strerror(-lfd));
		return 1;
	}
	if (dcfg.autostart && !dcfg.foreground)
		detach();

	signal(SIGPIPE, SIG_IGN);
	unm_sigbus_init();
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	l = ev_loop_new();
	if (!l || sfd < 0 || ev_add(l, lfd, EPOLLIN, client_accept, NULL) < 0 ||
	    ev_add(l, sfd, EPOLLIN, on_signal, NULL) < 0) {
		unm_err("cannot set up the event loop: %s", strerror(errno));
		return 1;
	}
	clients_init(l, lfd);
	if (dcfg.nic)
		hostif_reap_stale();
	ev_set_tick(l, 250, on_tick, NULL);
	unm_info("serving %s (pid %d)", dcfg.socket_path, (int)getpid());
	if (ev_run(l) < 0)
		unm_err("event loop failed: %s", strerror(errno));

	/*
	 * A stop is no worse than a crash: interfaces are given back (the
	 * switches' workers stopped first), and every other data path - pipes,
	 * switches, monitors, living in memory their clients map - keeps
	 * working until its clients close, as after SIGKILL.  Only the control
	 * half goes: new requests find no daemon.
	 */
	attach_stop_all();
	ports_stop();
	unlink(dcfg.socket_path);
	close(lfd);
	ev_loop_free(l);
	close(lockfd);
	unm_info("stopped");
	return 0;
}
