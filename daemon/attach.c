/*
 * attach.c - network interfaces on switches (valectl -a / -h / -d / -p / -P).
 *
 * netmap forwards between an attached NIC and its switch in the kernel.
 * Here the daemon registers the ports itself, on netmap descriptors of its
 * own (client_internal_new), and hands them to worker processes - our
 * netmap-bridge, run as "netmap-bridge -i fd:3 -i fd:4" - which move frames
 * with buffer swaps, since the interface and its switch port share region
 * 1.  The daemon never touches a frame and its event loop never waits on
 * the data path.
 *
 * An attachment is made of lanes; a lane is one worker and the descriptors
 * it forwards between:
 *
 *   interface rings  <->  valeX:eth0     (all rings; or ring k of each in
 *                                          multi-CPU polling, one lane per CPU)
 *   host-stack rings <->  valeX:eth0^    (with -h)
 *
 * The daemon keeps its end of every descriptor, so a worker that dies loses
 * nothing: the interface stays taken and the switch port stays in place
 * while a new worker starts (with a growing delay; five quick deaths in a
 * row and the attachment is undone, said in the log).  Ports are held
 * (port->holds) for the attachment's life and claimed (port->claimed_by),
 * so nobody else can bind them.  Detach, daemon stop and daemon crash give
 * the interface back: the first two through the release of our bindings,
 * a crash through the BPF links and sockets closing with the process (the
 * workers die with it too: PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/event.h"
#include "daemon/adapters/nic.h"
#include "daemon/adapters/vale.h"
#include "unetmap.h"

#define MAX_LANES 16		/* one per polling CPU, plus the host stack's */
#define QUICK_MS 5000		/* a worker dying sooner than this failed to start */
#define MAX_QUICK_FAILS 5
#define STOP_MS 300		/* a worker's time to stop before SIGKILL */
/*
 * Descriptors one worker forwards: a pair per switch port at most (a
 * switch's worker has one lane per port: the interface's, or the host
 * stack's).  netmap-bridge takes as many (its MAX_PORTS).
 */
#define WORKER_MAX_FDS (2 * VALE_MAX_PORTS)

/* a forwarding process, and what it takes to restart it */
struct worker {
	pid_t pid;			/* 0: not running */
	uint64_t started_ms, restart_at_ms;
	int quick_fails;
};

struct lane {
	struct client *cl[2];		/* interface side, switch side */
	int app_fd[2];			/* their application ends, for the worker */
	int cpu;			/* pinned there and busy-polling; -1: neither */
	struct worker w;		/* a polled lane's own; others share their switch's */
};

/*
 * The lanes that are not polled are all forwarded by one worker per switch:
 * a frame from one attached interface to another then crosses the switch
 * inside one process, without waking another (about twice the rate of a
 * worker per interface on two cores).  It is restarted when its set of
 * lanes changes.
 */
struct swworker {
	struct swworker *next;
	char sw[VALE_NAME_MAX];
	uint64_t netns;
	struct worker w;
};

struct attachment {
	struct attachment *next;
	char sw[VALE_NAME_MAX];
	char ifname[IF_NAMESIZE];
	char pname[VALE_NAME_MAX];	/* its port on the switch (the interface's name, or
					   the switch's for the switch's own interface) */
	char claim[128];		/* what others are told when they try to bind */
	uint64_t netns;
	int nsfd;			/* the asker's network namespace, for the workers */
	bool host;			/* -h: the host stack is a port too */
	bool hostif;			/* the switch's own interface: a veth pair we made,
					   ifname its switch end, sw the end the host uses */
	bool polling;
	struct nmreq_vale_polling poll;
	struct port *nic, *vp, *hp;	/* held while attached */
	struct lane lanes[MAX_LANES];
	int nlanes;
};

static struct attachment *attachments;
static struct swworker *swworkers;
static bool stopping;		/* the daemon is going: no worker starts again */

/* ------------------------------------------------------------ descriptors */

/*
 * Registers @name on a new descriptor of ours, as @asker would (its
 * namespace, its lock-out check, its port-mode option when it sent one).
 */
static int
register_own(const struct client *asker, const char *name, uint32_t mode, uint16_t ringid,
    uint16_t mem_id, uint16_t nrings, struct client **clp, int *fdp, struct ctrl_err *e)
{
	struct ctrl_req *saved_rq = ctrl_current;
	const struct client *saved_asker = ctrl_asker;
	struct nmreq_option *pm = ctrl_option(NETMAP_REQ_OPT_UNETMAP_PORT_MODE,
	    sizeof(struct nmreq_opt_unetmap_port_mode));
	uint32_t pm_size = sizeof(struct nmreq_opt_unetmap_port_mode);
	struct nmreq_register req;
	struct ctrl_req rq;
	struct ctrl_reply rp = { 0 };
	struct client *c;
	int err;

	c = client_internal_new(asker->netns, fdp, e);
	if (!c)
		return EIO;
	memset(&rq, 0, sizeof(rq));
	memset(&req, 0, sizeof(req));
	rq.hdr.nr_version = NETMAP_API;
	rq.hdr.nr_reqtype = NETMAP_REQ_REGISTER;
	snprintf(rq.hdr.nr_name, sizeof(rq.hdr.nr_name), "%s", name);
	rq.body = &req;
	rq.body_size = sizeof(req);
	if (pm) {
		rq.nopts = 1;
		rq.opts = &pm;
		rq.opt_size = &pm_size;
	}
	req.nr_mode = mode;
	req.nr_ringid = ringid;
	req.nr_mem_id = mem_id;
	req.nr_tx_rings = req.nr_rx_rings = nrings;
	err = ctrl_handle(asker, c, &rq, &rp, e);
	free(rp.bind);
	ctrl_current = saved_rq;
	ctrl_asker = saved_asker;
	if (err) {
		close(*fdp);
		client_internal_free(c);
		return err;
	}
	*clp = c;
	return 0;
}

static void
lane_close(struct lane *ln)
{
	for (int i = 0; i < 2; i++)
		if (ln->cl[i]) {
			close(ln->app_fd[i]);
			client_internal_free(ln->cl[i]);
			ln->cl[i] = NULL;
		}
}

/* ------------------------------------------------------------ workers */

/* our netmap-bridge: beside unetmapd, in ../bin, or on PATH */
static const char *
bridge_path(char *buf, size_t len)
{
	const char *env = getenv("UNETMAPD_BRIDGE");
	char self[PATH_MAX - 32];
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/netmap-bridge", self);
			if (access(buf, X_OK) == 0)
				return buf;
			snprintf(buf, len, "%s/../bin/netmap-bridge", self);
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	return "netmap-bridge";
}

/*
 * A worker in network namespace @nsfd forwarding the descriptor pairs @fds
 * (@n of them, pairs in order): "netmap-bridge -w 0 -i fd:3 -i fd:4 ...",
 * pinned to @cpu and busy-polling when @cpu >= 0.  Its pid, or -1.
 */
static pid_t
spawn(int nsfd, const int *fds, unsigned n, int cpu)
{
	char path[PATH_MAX], cpus[16], fdname[WORKER_MAX_FDS][8];
	const char *bin = bridge_path(path, sizeof(path));
	pid_t parent = getpid(), pid;

	if (n > sizeof(fdname) / sizeof(fdname[0]))
		return -1;
	snprintf(cpus, sizeof(cpus), "%d", cpu);
	pid = fork();
	if (pid != 0)
		return pid;
	{
		const char **argv = calloc(2 * n + 8, sizeof(*argv));
		int *hi = calloc(n, sizeof(int)), k = 0, devnull;
		sigset_t none;

		if (!argv || !hi)
			_exit(126);
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
		argv[k++] = "netmap-bridge";
		argv[k++] = "-w";
		argv[k++] = "0";
		if (cpu >= 0) {
			argv[k++] = "-p";
			argv[k++] = "-a";
			argv[k++] = cpus;
		}
		for (unsigned i = 0; i < n; i++) {
			snprintf(fdname[i], sizeof(fdname[i]), "fd:%u", 3 + i);
			argv[k++] = "-i";
			argv[k++] = fdname[i];
		}
		argv[k] = NULL;
		execvp(bin, (char **)argv);
		fprintf(stderr, "unetmapd: worker: cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
}

static void
worker_started(struct worker *w, pid_t pid)
{
	w->pid = pid > 0 ? pid : 0;
	w->started_ms = ev_now_ms();
	if (pid < 0) {
		unm_err("cannot start a worker: %s", strerror(errno));
		w->restart_at_ms = ev_now_ms() + 1000;
	}
}

/*
 * Waits until @deadline for workers told to stop, then kills those left.
 * Not long: a worker may be waiting on a question to this very daemon (the
 * switch's membership changed), which it cannot answer now; the worker
 * holds nothing the daemon does not, so SIGKILL loses nothing.
 */
static void
worker_reap(struct worker *w, uint64_t deadline)
{
	bool gone = false;

	while (w->pid > 0 && !(gone = waitpid(w->pid, NULL, WNOHANG) == w->pid) &&
	    ev_now_ms() < deadline)
		usleep(2000);
	if (w->pid > 0 && !gone) {
		unm_debug("worker pid %d still there after SIGTERM: killed", (int)w->pid);
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
	}
	w->pid = 0;
}

static void
worker_stop(struct worker *w)
{
	if (w->pid <= 0)
		return;
	kill(w->pid, SIGTERM);
	worker_reap(w, ev_now_ms() + STOP_MS);
}

/* did @w die by itself?  Then say so, and when to try again; true: give up */
static bool
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
	return w->quick_fails >= MAX_QUICK_FAILS;
}

static struct swworker *
swworker_of(const char *sw, uint64_t netns, bool make)
{
	struct swworker *x;

	for (x = swworkers; x; x = x->next)
		if (x->netns == netns && strcmp(x->sw, sw) == 0)
			return x;
	if (!make || !(x = calloc(1, sizeof(*x))))
		return NULL;
	snprintf(x->sw, sizeof(x->sw), "%s", sw);
	x->netns = netns;
	x->next = swworkers;
	swworkers = x;
	return x;
}

/* the switch's worker stops: its set of lanes is about to change */
static void
swworker_stop(const char *sw, uint64_t netns)
{
	struct swworker *x = swworker_of(sw, netns, false);

	if (x)
		worker_stop(&x->w);
}

/*
 * Starts the worker of switch @sw for all its lanes that are not polled,
 * unless it runs (or must wait before a restart); forgets it when none is
 * left.
 */
static void
swworker_sync(const char *sw, uint64_t netns)
{
	struct swworker *x = swworker_of(sw, netns, true);
	int fds[WORKER_MAX_FDS], nsfd = -1;
	unsigned n = 0;

	if (!x || stopping)
		return;
	for (struct attachment *a = attachments; a; a = a->next)
		if (a->netns == netns && strcmp(a->sw, sw) == 0)
			for (int i = 0; i < a->nlanes; i++)
				if (a->lanes[i].cpu < 0 && n + 2 <= sizeof(fds) / sizeof(fds[0])) {
					fds[n++] = a->lanes[i].app_fd[0];
					fds[n++] = a->lanes[i].app_fd[1];
					nsfd = a->nsfd;
				}
	if (n == 0) {
		worker_stop(&x->w);
		for (struct swworker **pp = &swworkers; *pp; pp = &(*pp)->next)
			if (*pp == x) {
				*pp = x->next;
				break;
			}
		free(x);
		return;
	}
	if (x->w.pid > 0 || ev_now_ms() < x->w.restart_at_ms)
		return;
	worker_started(&x->w, spawn(nsfd, fds, n, -1));
	if (x->w.pid > 0)
		unm_info("%s: worker pid %d forwards %u attached port%s", sw, (int)x->w.pid, n / 2,
		    n > 2 ? "s" : "");
}

static void
lane_start(struct attachment *a, struct lane *ln)
{
	if (ln->cpu < 0) {	/* the switch's worker takes it (on restart) */
		swworker_stop(a->sw, a->netns);
		return;
	}
	worker_started(&ln->w, spawn(a->nsfd, ln->app_fd, 2, ln->cpu));
	if (ln->w.pid > 0)
		unm_info("%s:%s: worker pid %d forwards %s <-> %s, busy-polling on CPU %d", a->sw,
		    a->ifname, (int)ln->w.pid, ln->cl[0]->b->port->name, ln->cl[1]->b->port->name,
		    ln->cpu);
}

static void
lanes_stop(struct attachment *a)
{
	uint64_t deadline = ev_now_ms() + STOP_MS;
	bool shared = false;

	for (int i = 0; i < a->nlanes; i++)
		if (a->lanes[i].w.pid > 0)
			kill(a->lanes[i].w.pid, SIGTERM);
	for (int i = 0; i < a->nlanes; i++) {
		worker_reap(&a->lanes[i].w, deadline);
		shared |= a->lanes[i].cpu < 0;
	}
	if (shared)
		swworker_stop(a->sw, a->netns);
}

static void
lanes_free(struct attachment *a)
{
	lanes_stop(a);
	for (int i = 0; i < a->nlanes; i++)
		lane_close(&a->lanes[i]);
	a->nlanes = 0;
}

/*
 * A new lane of @a: @mode and @ring of the interface with the same of
 * switch port @vname (its host rings when @mode is NR_REG_SW: then all the
 * switch port's rings); forwarded on @cpu when >= 0.
 */
static int
lane_add(struct attachment *a, const struct client *asker, const char *vname, uint32_t mode,
    uint16_t ring, int cpu, struct ctrl_err *e)
{
	struct lane *ln = &a->lanes[a->nlanes];
	int err;

	memset(ln, 0, sizeof(*ln));
	ln->cpu = cpu;
	err = register_own(asker, a->ifname, mode, ring, 0, 0, &ln->cl[0], &ln->app_fd[0], e);
	if (err)
		return err;
	err = register_own(asker, vname, mode == NR_REG_SW ? NR_REG_ALL_NIC : mode,
	    mode == NR_REG_SW ? 0 : ring, 0, 0, &ln->cl[1], &ln->app_fd[1], e);
	if (err) {
		close(ln->app_fd[0]);
		client_internal_free(ln->cl[0]);
		ln->cl[0] = NULL;
		return err;
	}
	a->nlanes++;
	return 0;
}

/*
 * The lanes for the current polling setting: one for all rings, or one
 * per CPU each on ring k of both ports; and the host stack's.
 */
static int
lanes_make(struct attachment *a, const struct client *asker, struct ctrl_err *e)
{
	char vname[NETMAP_REQ_IFNAMSIZ];
	bool multi = a->polling && a->poll.nr_mode == NETMAP_POLLING_MODE_MULTI_CPU;
	uint32_t n = multi ? a->poll.nr_num_polling_cpus : 1;
	int err = 0;

	snprintf(vname, sizeof(vname), "%s:%s", a->sw, a->pname);
	/* as netmap: thread k polls ring first + k, on CPU first + k */
	for (uint32_t k = 0; k < n && !err; k++)
		err = lane_add(a, asker, vname, multi ? NR_REG_ONE_NIC : NR_REG_ALL_NIC,
		    multi ? (uint16_t)(a->poll.nr_first_cpu_id + k) : 0,
		    a->polling ? (int)(a->poll.nr_first_cpu_id + k) : -1, e);
	if (!err && a->host) {
		snprintf(vname, sizeof(vname), "%s:%s^", a->sw, a->pname);
		err = lane_add(a, asker, vname, NR_REG_SW, 0, -1, e);
	}
	if (err) {
		lanes_free(a);
		return err;
	}
	for (int i = 0; i < a->nlanes; i++)
		lane_start(a, &a->lanes[i]);
	swworker_sync(a->sw, a->netns);
	return 0;
}

/* ------------------------------------------------------------ attachments */

static struct attachment *
find(const char *sw, const char *pname, uint64_t netns)
{
	for (struct attachment *a = attachments; a; a = a->next) {
		size_t n = strlen(a->pname);

		if (a->netns == netns && strcmp(a->sw, sw) == 0 && strncmp(a->pname, pname, n) == 0 &&
		    (pname[n] == '\0' || (a->host && strcmp(pname + n, "^") == 0)))
			return a;
	}
	return NULL;
}

static struct attachment *
find_if(const char *ifname, uint64_t netns)
{
	for (struct attachment *a = attachments; a; a = a->next)
		if (a->netns == netns && strcmp(a->ifname, ifname) == 0)
			return a;
	return NULL;
}

/* a switch port of its own for the attachment, in region 1 with the interface */
static int
switch_port(struct attachment *a, const char *pname, uint16_t nrings, struct port **out,
    struct ctrl_err *e)
{
	char name[NETMAP_REQ_IFNAMSIZ];
	struct vswitch *s = vale_switch_find(a->sw, a->netns);
	struct port *p;
	int err;

	snprintf(name, sizeof(name), "%s:%s", a->sw, pname);
	err = vale_port_new(name, pname, false, nrings, nrings, 0, 0, 0, 1, &p, e);
	if (err)
		return err;
	if (!s && !(s = vale_switch_new(a->sw, a->netns, e))) {
		vale_port_free(p);
		return ENOMEM;
	}
	err = vale_join(s, p, e);	/* on failure the switch goes if left empty */
	if (err) {
		vale_port_free(p);
		return err;
	}
	p->holds++;
	p->claimed_by = a->claim;
	*out = p;
	return 0;
}

static void
unclaim(struct port **pp)
{
	struct port *p = *pp;

	if (!p)
		return;
	p->claimed_by = NULL;
	*pp = NULL;
	port_release(p);
}

static void
attachment_free(struct attachment *a)
{
	struct vport *v = a->vp ? a->vp->priv : NULL;
	char sw[VALE_NAME_MAX];
	uint64_t netns = a->netns;

	lanes_free(a);
	if (a->hostif && v && v->sw && v->sw->shm->host_port == v->idx + 1)
		__atomic_store_n(&v->sw->shm->host_port, 0, __ATOMIC_RELEASE);
	/* the switch ports first: the interface's rings then have no users */
	unclaim(&a->hp);
	unclaim(&a->vp);
	unclaim(&a->nic);
	/* the switch's own interface goes with it (both ends of the pair) */
	if (a->hostif && a->nsfd >= 0 && nic_ns_enter(a->nsfd) == 0) {
		int r = nic_link_del(a->ifname);

		nic_ns_leave();
		if (r < 0)
			unm_warn("%s: cannot remove the interface %s: %s", a->sw, a->sw, strerror(-r));
	}
	if (a->nsfd >= 0)
		close(a->nsfd);
	for (struct attachment **pp = &attachments; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	snprintf(sw, sizeof(sw), "%s", a->sw);
	free(a);
	swworker_sync(sw, netns);	/* the switch's other ports forward again */
}

/*
 * @ifname of @asker's namespace as port @pname of switch @sw; @hostif:
 * it is the switch end of the switch's own interface (made by the caller).
 */
static int
attach(const struct client *asker, const char *sw, const char *ifname, const char *pname,
    bool host, bool hostif, uint32_t *port_index, struct ctrl_err *e)
{
	struct vswitch *s = vale_switch_find(sw, asker->netns);
	struct nmreq_register req = { .nr_mode = NR_REG_ALL_NIC };
	struct attachment *a, *other;
	char hname[VALE_NAME_MAX], path[64];
	struct port *p;
	int err;

	if (strlen(pname) + 2 > VALE_NAME_MAX)
		return ctrl_fail(e, ENAMETOOLONG, "%s:%s: the interface name is too long for a "
		    "switch port", sw, pname);
	snprintf(hname, sizeof(hname), "%s^", pname);
	if (vale_switch_port(s, pname) || (host && vale_switch_port(s, hname)))
		return ctrl_fail(e, EBUSY, "%s:%s: %s has a port of that name already", sw,
		    pname, sw);
	other = find_if(ifname, asker->netns);
	if (other)
		return ctrl_fail(e, EBUSY, "%s:%s: %s is attached to %s already (valectl -d "
		    "%s:%s first)", sw, ifname, ifname, other->sw, other->sw, ifname);
	err = port_lookup(asker, ifname, &req, true, &p, e);
	if (err == ENXIO || (!err && p->ops != &nic_port_ops)) {
		if (!err)
			port_release(p);
		return ctrl_fail(e, ENXIO, "%s:%s: no network interface %s in the namespace of "
		    "pid %d, and no persistent VALE port of that name", sw, ifname, ifname,
		    (int)asker->pid);
	}
	if (err)
		return err;
	if (p->nbind > 0) {
		port_release(p);
		return ctrl_fail(e, EBUSY, "%s:%s: %s is open in netmap mode by %d descriptor(s); "
		    "close them first", sw, ifname, ifname, p->nbind);
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		port_release(p);
		return ctrl_fail(e, ENOMEM, "%s:%s: out of memory", sw, ifname);
	}
	snprintf(a->sw, sizeof(a->sw), "%s", sw);
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	snprintf(a->pname, sizeof(a->pname), "%s", pname);
	if (hostif)
		snprintf(a->claim, sizeof(a->claim), "the switch end of %s's own interface "
		    "(valectl -r %s removes both)", sw, sw);
	else
		snprintf(a->claim, sizeof(a->claim), "attached to %s (valectl -d %s:%s detaches "
		    "it)", sw, sw, ifname);
	a->netns = asker->netns;
	a->host = host;
	a->hostif = hostif;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)asker->pid);
	a->nsfd = open(path, O_RDONLY | O_CLOEXEC);
	err = a->nsfd < 0 ? ctrl_fail(e, errno, "%s:%s: cannot open the network namespace of "
	    "pid %d: %s", sw, ifname, (int)asker->pid, strerror(errno)) : 0;
	a->nic = p;
	p->claimed_by = a->claim;
	a->next = attachments;
	attachments = a;
	if (!err)
		err = switch_port(a, pname, p->nrings[NR_RX] > p->nrings[NR_TX] ?
		    p->nrings[NR_RX] : p->nrings[NR_TX], &a->vp, e);
	if (!err && host)
		err = switch_port(a, hname, 1, &a->hp, e);
	if (!err)
		err = lanes_make(a, asker, e);
	if (err) {
		attachment_free(a);	/* the interface goes back, the ports go */
		return err;
	}
	*port_index = ((struct vport *)a->vp->priv)->idx;
	if (hostif)
		__atomic_store_n(&((struct vport *)a->vp->priv)->sw->shm->host_port,
		    *port_index + 1, __ATOMIC_RELEASE);
	unm_info("%s attached to %s as port %u", ifname, sw, *port_index);
	if (host)
		unm_info("%s: host stack attached to %s as port %u", ifname, sw,
		    ((struct vport *)a->hp->priv)->idx);
	return 0;
}

int
attach_nic(const struct client *asker, const char *sw, const char *ifname, bool host,
    uint32_t *port_index, struct ctrl_err *e)
{
	return attach(asker, sw, ifname, ifname, host, false, port_index, e);
}

/*
 * The switch end of switch @sw's own interface: "vp_vale0" (no name
 * starting with "vale": those are switch ports to the rest of the daemon)
 */
static void
hostif_peer(const char *sw, char *out, size_t len)
{
	snprintf(out, len, "vp_%s", sw);
}

/*
 * Does a live daemon hold interface @ifname?  Then the TAP of its host
 * rings is there (nic_tap.c names it "unmh<ifindex>-N"; it goes with the
 * daemon that made it).
 */
static bool
taken(const char *ifname)
{
	char tap[IF_NAMESIZE];

	snprintf(tap, sizeof(tap), "unmh%u-0", if_nametoindex(ifname) % 100000);
	return if_nametoindex(tap) != 0;
}

/*
 * Makes the veth pair @sw / @peer in namespace @nsfd, up, transmit
 * checksums done by the host's stack.  A pair left by a daemon that died
 * (our "vp_" end is there, a veth no daemon holds) is removed first; any
 * other interface of either name is the user's: EEXIST.
 */
static int
hostif_make(int nsfd, const char *sw, const char *peer, struct ctrl_err *e)
{
	int err, r;

	if (nic_ns_enter(nsfd) < 0)
		return ctrl_fail(e, EIO, "%s: cannot enter the network namespace", sw);
	if (if_nametoindex(peer) && nic_is_veth(peer) && !taken(peer)) {
		unm_warn("%s: removing %s, left by an unetmapd that did not stop", sw, peer);
		nic_link_del(peer);	/* and its other end */
	}
	if (if_nametoindex(sw) || if_nametoindex(peer)) {
		err = ctrl_fail(e, EEXIST, "%s: an interface called %s exists already", sw,
		    if_nametoindex(sw) ? sw : peer);
		nic_ns_leave();
		return err;
	}
	err = nic_veth_add(sw, peer, e);
	if (!err) {
		/*
		 * Frames the host sends go to other hosts through AF_XDP: nobody
		 * would finish a checksum left to the hardware.
		 */
		if ((r = nic_offload_off(sw, "tx-checksum-ip-generic")) < 0 && r != -ENOENT)
			unm_warn("%s: cannot turn transmit checksums off: %s", sw, strerror(-r));
		if (nic_link_up(sw) < 0 || nic_link_up(peer) < 0) {
			err = ctrl_fail(e, EIO, "%s: cannot bring %s and %s up", sw, sw, peer);
			nic_link_del(sw);
		}
	}
	nic_ns_leave();
	return err;
}

int
attach_hostif(const struct client *asker, const char *sw, struct ctrl_err *e)
{
	char peer[IF_NAMESIZE + 8];
	uint64_t ino;
	uint32_t idx;
	int nsfd, err;

	if (!dcfg.nic)
		return ctrl_fail(e, EOPNOTSUPP, "%s: this unetmapd takes no network interfaces "
		    "(--no-nic), so a switch cannot have one of its own", sw);
	if (strlen(sw) + 3 >= IF_NAMESIZE)
		return ctrl_fail(e, ENAMETOOLONG, "%s: a switch with an interface of its own has "
		    "a name of at most %d characters", sw, IF_NAMESIZE - 4);
	for (struct attachment *a = attachments; a; a = a->next)
		if (a->hostif && a->netns == asker->netns && strcmp(a->sw, sw) == 0)
			return ctrl_fail(e, EEXIST, "%s: the switch has its interface already", sw);
	hostif_peer(sw, peer, sizeof(peer));
	nsfd = nic_ns_open(asker->pid, &ino);
	if (nsfd < 0)
		return ctrl_fail(e, EIO, "%s: cannot open the network namespace of pid %d", sw,
		    (int)asker->pid);
	err = hostif_make(nsfd, sw, peer, e);
	if (!err && (err = attach(asker, sw, peer, sw, false, true, &idx, e)) != 0 &&
	    nic_ns_enter(nsfd) == 0) {
		nic_link_del(sw);	/* refused before the attachment (which removes it) was made */
		nic_ns_leave();
	}
	close(nsfd);
	if (!err)
		unm_info("%s: the switch's own interface is %s (port %s:%s)", sw, sw, sw, sw);
	return err;
}

int
attach_hostif_del(const struct client *asker, const char *sw, struct ctrl_err *e)
{
	for (struct attachment *a = attachments; a; a = a->next)
		if (a->hostif && a->netns == asker->netns && strcmp(a->sw, sw) == 0) {
			struct vport *v = a->vp->priv;

			if (v->sw && __atomic_load_n(&v->sw->shm->icpt_port, __ATOMIC_ACQUIRE))
				return ctrl_fail(e, EBUSY, "%s: netmap:%s is open (an application "
				    "intercepts the switch's traffic); close it first", sw, sw);
			attachment_free(a);
			unm_info("%s: the switch's own interface removed", sw);
			return 0;
		}
	return -1;
}

int
attach_detach(const struct client *asker, const char *sw, const char *pname,
    uint32_t *port_index, struct ctrl_err *e)
{
	struct attachment *a = find(sw, pname, asker->netns);

	if (!a)
		return -1;
	if (strcmp(pname, a->pname) != 0)
		return ctrl_fail(e, EINVAL, "%s:%s: the host stack goes with its interface: "
		    "detach %s:%s", sw, pname, sw, a->pname);
	if (a->hostif)
		return ctrl_fail(e, EINVAL, "%s:%s: that is the switch's own interface; "
		    "valectl -r %s removes it", sw, pname, sw);
	*port_index = ((struct vport *)a->vp->priv)->idx;
	attachment_free(a);
	unm_info("%s detached from %s and given back to the kernel", pname, sw);
	return 0;
}

int
attach_polling(const struct client *asker, const char *sw, const char *pname, bool on,
    const struct nmreq_vale_polling *req, struct ctrl_err *e)
{
	struct attachment *a = find(sw, pname, asker->netns);
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	struct nmreq_vale_polling saved;
	bool was;
	int err;

	if (!a)
		return ctrl_fail(e, ENXIO, "%s:%s: polling is for network interfaces attached to "
		    "a switch (valectl -a %s:IF), and %s is none", sw, pname, sw, pname);
	if (on) {
		uint32_t nq = a->nic->nrings[NR_RX];

		if (req->nr_mode != NETMAP_POLLING_MODE_SINGLE_CPU &&
		    req->nr_mode != NETMAP_POLLING_MODE_MULTI_CPU)
			return ctrl_fail(e, EINVAL, "%s:%s: polling mode %u is neither single-CPU "
			    "(%u) nor multi-CPU (%u)", sw, pname, req->nr_mode,
			    NETMAP_POLLING_MODE_SINGLE_CPU, NETMAP_POLLING_MODE_MULTI_CPU);
		if (req->nr_num_polling_cpus == 0 ||
		    (req->nr_mode == NETMAP_POLLING_MODE_SINGLE_CPU && req->nr_num_polling_cpus != 1))
			return ctrl_fail(e, EINVAL, "%s:%s: %u polling CPUs: single-CPU mode takes 1, "
			    "multi-CPU mode 1 or more", sw, pname, req->nr_num_polling_cpus);
		if ((long)req->nr_first_cpu_id + req->nr_num_polling_cpus > ncpu)
			return ctrl_fail(e, EINVAL, "%s:%s: CPUs %u..%u asked, this machine has "
			    "0..%ld", sw, pname, req->nr_first_cpu_id,
			    req->nr_first_cpu_id + req->nr_num_polling_cpus - 1, ncpu - 1);
		if (req->nr_mode == NETMAP_POLLING_MODE_MULTI_CPU &&
		    req->nr_first_cpu_id + req->nr_num_polling_cpus > nq)
			return ctrl_fail(e, EINVAL, "%s:%s: one polling CPU per ring pair, ring i on "
			    "CPU i, and %s has rings 0..%u", sw, pname, a->ifname, nq - 1);
		if (a->polling)
			return ctrl_fail(e, EBUSY, "%s:%s: polling already (valectl -P first)",
			    sw, pname);
	} else if (!a->polling) {
		return ctrl_fail(e, EINVAL, "%s:%s: not polling", sw, pname);
	}
	was = a->polling;
	saved = a->poll;
	lanes_free(a);
	a->polling = on;
	if (on)
		a->poll = *req;
	err = lanes_make(a, asker, e);
	if (err) {
		struct ctrl_err e2;

		/* back to how it was; if even that fails the attachment goes */
		a->polling = was;
		a->poll = saved;
		if (lanes_make(a, asker, &e2)) {
			unm_err("%s:%s: cannot restart forwarding (%s): detached", sw, pname, e2.msg);
			attachment_free(a);
		}
		return err;
	}
	unm_info("%s:%s: %s", sw, pname, !on ? "polling stopped: forwarding sleeps in poll()" :
	    req->nr_mode == NETMAP_POLLING_MODE_SINGLE_CPU ? "polling on one CPU" :
	    "polling, one CPU per ring pair");
	return 0;
}

/* workers that died are started again, later and later; not for ever */
void
attach_tick(void)
{
	struct attachment *next;
	struct swworker *xn;

	for (struct attachment *a = attachments; a; a = next) {
		char what[64];
		bool give_up = false;

		next = a->next;
		snprintf(what, sizeof(what), "%s:%s", a->sw, a->ifname);
		for (int i = 0; i < a->nlanes; i++) {
			struct lane *ln = &a->lanes[i];

			give_up |= worker_died(&ln->w, what);
			if (ln->cpu >= 0 && ln->w.pid == 0 && !give_up &&
			    ev_now_ms() >= ln->w.restart_at_ms)
				lane_start(a, ln);
		}
		if (give_up) {
			unm_err("%s: its worker keeps dying: detached, the interface is given back to "
			    "the kernel", what);
			attachment_free(a);
		}
	}
	for (struct swworker *x = swworkers; x; x = xn) {
		char sw[VALE_NAME_MAX];
		uint64_t netns = x->netns;

		xn = x->next;
		snprintf(sw, sizeof(sw), "%s", x->sw);
		if (worker_died(&x->w, sw)) {
			unm_err("%s: its worker keeps dying: every interface attached to it is "
			    "detached and given back to the kernel", sw);
			for (struct attachment *a = attachments, *an; a; a = an) {
				an = a->next;
				if (a->netns == netns && strcmp(a->sw, sw) == 0)
					attachment_free(a);
			}
			/* now with no lanes: forgotten below (x may be gone already) */
			xn = swworkers;
			continue;
		}
		swworker_sync(sw, netns);	/* may free x */
	}
}

void
attach_stop_all(void)
{
	uint64_t deadline = ev_now_ms() + STOP_MS;

	stopping = true;
	/* all told at once: none is then left waiting on a question to us */
	for (struct attachment *a = attachments; a; a = a->next)
		for (int i = 0; i < a->nlanes; i++)
			if (a->lanes[i].w.pid > 0)
				kill(a->lanes[i].w.pid, SIGTERM);
	for (struct swworker *x = swworkers; x; x = x->next)
		if (x->w.pid > 0)
			kill(x->w.pid, SIGTERM);
	for (struct attachment *a = attachments; a; a = a->next)
		for (int i = 0; i < a->nlanes; i++)
			worker_reap(&a->lanes[i].w, deadline);
	for (struct swworker *x = swworkers; x; x = x->next)
		worker_reap(&x->w, deadline);
	while (attachments) {
		unm_info("%s:%s: detached (daemon stopping)", attachments->sw,
		    attachments->ifname);
		attachment_free(attachments);
	}
	while (swworkers) {
		struct swworker *x = swworkers;

		swworkers = x->next;
		free(x);
	}
}
