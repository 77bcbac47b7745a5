/*
 * attach.c - network interfaces on switches (valectl -a / -h / -d / -p / -P),
 * and a persistent port on a second switch.
 *
 * netmap forwards between an attached NIC and its switch in the kernel.
 * Here the daemon registers the ports itself, on netmap descriptors of its
 * own (client_internal_new), and hands them to worker processes - our
 * netmap-bridge, run as "netmap-bridge -i fd:3 -i fd:4" - which move frames
 * with buffer swaps, since the interface and its switch port share region
 * 1.  The daemon never touches a frame and its event loop never waits on
 * the data path.
 *
 * netmap attaches a persistent port that is on a switch already (v0 on
 * valeA) to a second switch by wrapping it, as it wraps a NIC: port
 * valeB:v0 of valeB carries what valeB delivers to it out of v0's tx rings
 * into valeA, and what valeA delivers to v0 into valeB - a patch cable.
 * Here that is an attachment like an interface's, with v0 in the
 * interface's place and valeB:v0 made in v0's memory region.
 *
 * An attachment is made of lanes; a lane is a pair of descriptors the
 * switch's worker forwards between (daemon/worker.c starts, restarts and
 * stops it; a polled lane by its thread on the lane's CPU):
 *
 *   interface rings  <->  valeX:eth0     (all rings; or ring k of each in
 *                                          multi-CPU polling, one lane per CPU)
 *   host-stack rings <->  valeX:eth0^    (with -h)
 *   v0's rings       <->  valeB:v0       (a persistent port on a second switch)
 *
 * The daemon keeps its end of every descriptor, so a worker that dies loses
 * nothing: the interface stays taken and the switch port stays in place
 * while a new worker starts (with a growing delay; five quick deaths in a
 * row and every attachment of the switch is undone, said in the log).
 * Ports are held (port->holds) for the attachment's life and claimed
 * (port->claimed_by), so nobody else can bind them.  Detach, daemon stop and daemon crash give
 * the interface back: the first two through the release of our bindings,
 * a crash through the BPF links and sockets closing with the process (the
 * workers die with it too: PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/adapters/nic/nic.h"
#include "daemon/adapters/vale/vale.h"
#include "unetmap.h"

#define MAX_LANES 16		/* one per polling CPU, plus the host stack's */
/*
 * Descriptors one worker forwards: a pair per switch port at most (a
 * switch's worker has one lane per port: the interface's, or the host
 * stack's).  netmap-bridge takes as many (its MAX_PORTS).
 */
#define LANE_MAX_FDS (2 * VALE_MAX_PORTS)
_Static_assert(LANE_MAX_FDS <= WORKER_MAX_FDS, "a switch's worker takes every port");

struct lane {
	struct client *cl[2];		/* interface side, switch side */
	int app_fd[2];			/* their application ends, for the worker */
	int cpu;			/* busy-polled by a thread pinned there; -1: not polled */
};

/*
 * All the lanes of a switch (of one namespace) are forwarded by one worker:
 * a frame from one attached interface to another then crosses the switch
 * inside one process, without waking another (about twice the rate of a
 * worker per interface on two cores).  Polled lanes too: the worker runs
 * one thread per polling CPU, pinned there, for the lanes polled on it,
 * and its main thread, asleep in poll(), for the others; the thread that
 * forwards a frame into the switch also takes it out of the switch port of
 * the destination's lane into that interface, as netmap's polling thread
 * does through the bwrap (netmap-bridge -A, tools/netmap-bridge/pairs.c).
 * It is restarted when its set of lanes, or their polling, changes.
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
	char ifname[IF_NAMESIZE];	/* the interface (or wrapped persistent port) */
	char pname[VALE_NAME_MAX];	/* its port on the switch (the interface's name, or
					   the switch's for the switch's own interface) */
	char claim[160];		/* what others are told when they try to bind */
	uint64_t netns;
	int nsfd;			/* the asker's network namespace, for the workers */
	bool host;			/* -h: the host stack is a port too */
	/*
	 * ATTACH_HOSTIF: the switch's own interface, a veth pair we made, ifname
	 * its switch end, sw the end the host uses.  ATTACH_WRAP: ifname a
	 * persistent port on another switch.
	 */
	enum attach_kind kind;
	bool polling;
	struct nmreq_vale_polling poll;
	struct port *nic, *vp, *hp;	/* held while attached (nic: ifname's port) */
	struct lane lanes[MAX_LANES];
	int nlanes;
};

static struct attachment *attachments;
static struct swworker *swworkers;
static bool stopping;		/* the daemon is going: no worker starts again */

/* ------------------------------------------------------------ descriptors */

/*
 * Registers @name on a new descriptor of ours, as the asker of @cx would
 * (its namespace, its lock-out check, its port-mode option when it sent
 * one): a REGISTER of our own, with a context of its own.
 */
static int
register_own(const struct ctrl_ctx *cx, const char *name, uint32_t mode, uint16_t ringid,
    struct client **clp, int *fdp)
{
	struct nmreq_option *pm = ctrl_option(cx, NETMAP_REQ_OPT_UNETMAP_PORT_MODE,
	    sizeof(struct nmreq_opt_unetmap_port_mode));
	uint32_t pm_size = sizeof(struct nmreq_opt_unetmap_port_mode);
	struct nmreq_register req;
	struct ctrl_req rq;
	struct ctrl_reply rp = { 0 };
	struct ctrl_ctx own = { .asker = cx->asker, .rq = &rq, .rp = &rp, .e = cx->e };
	struct client *c;
	int err;

	c = client_internal_new(cx->asker->netns, fdp, cx->e);
	if (!c)
		return EIO;
	own.target = c;
	memset(&rq, 0, sizeof(rq));
	rq.ext_fd = -1;
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
	err = ctrl_register(&own);
	free(rp.bind);
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

/*
 * A netmap-bridge forwarding the descriptor pairs @fds (@n of them, pairs
 * in order), pair i busy-polled on CPU @cpu[i] when that is >= 0.
 */
static void
bridge_start(struct worker *w, int nsfd, const int *fds, unsigned n, const int *cpu)
{
	char cpus[LANE_MAX_FDS / 2 * 5 + 8], fdname[LANE_MAX_FDS][8];
	char *argv[2 * LANE_MAX_FDS + 8];
	size_t len = 0;
	bool polled = false;
	int k = 0;

	for (unsigned i = 0; i < n / 2 && len < sizeof(cpus); i++) {
		polled |= cpu[i] >= 0;
		len += (size_t)(cpu[i] >= 0 ? snprintf(cpus + len, sizeof(cpus) - len, "%s%d",
		    i ? "," : "", cpu[i]) : snprintf(cpus + len, sizeof(cpus) - len, "%s-",
		    i ? "," : ""));
	}
	argv[k++] = "netmap-bridge";
	argv[k++] = "-w";
	argv[k++] = "0";
	if (polled) {
		argv[k++] = "-p";
		argv[k++] = "-A";
		argv[k++] = cpus;
	}
	for (unsigned i = 0; i < n && i < LANE_MAX_FDS; i++) {
		snprintf(fdname[i], sizeof(fdname[i]), "fd:%u", 3 + i);
		argv[k++] = "-i";
		argv[k++] = fdname[i];
	}
	argv[k] = NULL;
	worker_start(w, "netmap-bridge", argv, nsfd, fds, n);
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

/* how many lanes switch @sw has (polling_check: its worker takes them all) */
static unsigned
switch_lanes(const char *sw, uint64_t netns)
{
	unsigned n = 0;

	for (struct attachment *a = attachments; a; a = a->next)
		if (a->netns == netns && strcmp(a->sw, sw) == 0)
			n += (unsigned)a->nlanes;
	return n;
}

/*
 * Starts the worker of switch @sw for all its lanes, unless it runs (or
 * must wait before a restart); forgets it when none is left.
 */
static void
swworker_sync(const char *sw, uint64_t netns)
{
	struct swworker *x = swworker_of(sw, netns, true);
	int fds[LANE_MAX_FDS], cpu[LANE_MAX_FDS / 2], nsfd = -1, polled = 0;
	unsigned n = 0;

	if (!x || stopping)
		return;
	for (struct attachment *a = attachments; a; a = a->next)
		if (a->netns == netns && strcmp(a->sw, sw) == 0)
			for (int i = 0; i < a->nlanes; i++)
				if (n + 2 <= sizeof(fds) / sizeof(fds[0])) {
					cpu[n / 2] = a->lanes[i].cpu;
					polled += a->lanes[i].cpu >= 0;
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
	if (!worker_due(&x->w))
		return;
	bridge_start(&x->w, nsfd, fds, n, cpu);
	if (x->w.pid > 0)
		unm_info("%s: worker pid %d forwards %u lane%s of attached ports, %d busy-polled",
		    sw, (int)x->w.pid, n / 2, n > 2 ? "s" : "", polled);
}

/* the switch's worker stops, to start again with the lanes of @a as they will be */
static void
lanes_stop(struct attachment *a)
{
	if (a->nlanes)
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
lane_add(struct attachment *a, const struct ctrl_ctx *cx, const char *vname, uint32_t mode,
    uint16_t ring, int cpu)
{
	struct lane *ln = &a->lanes[a->nlanes];
	int err;

	memset(ln, 0, sizeof(*ln));
	ln->cpu = cpu;
	err = register_own(cx, a->ifname, mode, ring, &ln->cl[0], &ln->app_fd[0]);
	if (err)
		return err;
	err = register_own(cx, vname, mode == NR_REG_SW ? NR_REG_ALL_NIC : mode,
	    mode == NR_REG_SW ? 0 : ring, &ln->cl[1], &ln->app_fd[1]);
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
lanes_make(struct attachment *a, const struct ctrl_ctx *cx)
{
	char vname[NETMAP_REQ_IFNAMSIZ];
	bool multi = a->polling && a->poll.nr_mode == NETMAP_POLLING_MODE_MULTI_CPU;
	uint32_t n = multi ? a->poll.nr_num_polling_cpus : 1;
	int err = 0;

	/* the switch's worker takes every lane of the switch, two descriptors each */
	if (switch_lanes(a->sw, a->netns) + n + a->host > LANE_MAX_FDS / 2)
		return ctrl_fail(cx->e, ENOMEM, "%s:%s: the switch's worker forwards at most %d "
		    "lanes (one per attached port, one per polling CPU), and %u are taken", a->sw,
		    a->pname, LANE_MAX_FDS / 2, switch_lanes(a->sw, a->netns));
	snprintf(vname, sizeof(vname), "%s:%s", a->sw, a->pname);
	/* as netmap: thread k polls ring first + k, on CPU first + k */
	for (uint32_t k = 0; k < n && !err; k++)
		err = lane_add(a, cx, vname, multi ? NR_REG_ONE_NIC : NR_REG_ALL_NIC,
		    multi ? (uint16_t)(a->poll.nr_first_cpu_id + k) : 0,
		    a->polling ? (int)(a->poll.nr_first_cpu_id + k) : -1);
	if (!err && a->host) {
		snprintf(vname, sizeof(vname), "%s:%s^", a->sw, a->pname);
		err = lane_add(a, cx, vname, NR_REG_SW, 0, -1);
	}
	if (err) {
		lanes_free(a);
		return err;
	}
	swworker_stop(a->sw, a->netns);	/* started again with the new lanes */
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

/*
 * A switch port of its own for the attachment, in the region of @in (the
 * interface's, region 1; a wrapped port's own), so frames cross by buffer
 * swaps: for an interface as many ring pairs as it has queues, for a
 * wrapped port its rings swapped as netmap's bwrap does (tx as its rx).
 */
static int
switch_port(struct attachment *a, const char *pname, const struct port *in, bool host,
    struct port **out, struct ctrl_err *e)
{
	char name[NETMAP_REQ_IFNAMSIZ];
	struct vswitch *s = vale_switch_find(a->sw, a->netns);
	uint32_t n = in->nrings[NR_RX] > in->nrings[NR_TX] ? in->nrings[NR_RX] : in->nrings[NR_TX];
	struct port *p;
	int err;

	snprintf(name, sizeof(name), "%s:%s", a->sw, pname);
	if (host)
		err = vale_port_new(name, pname, false, 1, 1, 0, 0, 0, in->reg->id, &p, e);
	else if (a->kind == ATTACH_WRAP)
		err = vale_port_new(name, pname, false, in->nrings[NR_RX], in->nrings[NR_TX],
		    in->nslots[NR_RX], in->nslots[NR_TX], 0, in->reg->id, &p, e);
	else
		err = vale_port_new(name, pname, false, n, n, 0, 0, 0, in->reg->id, &p, e);
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
	if (a->kind == ATTACH_HOSTIF && v && v->sw && v->sw->shm->host_port == v->idx + 1)
		__atomic_store_n(&v->sw->shm->host_port, 0, __ATOMIC_RELEASE);
	/* the switch ports first: the interface's rings then have no users */
	unclaim(&a->hp);
	unclaim(&a->vp);
	unclaim(&a->nic);
	/* the switch's own interface goes with it (both ends of the pair) */
	if (a->kind == ATTACH_HOSTIF && a->nsfd >= 0 && netns_enter(a->nsfd) == 0) {
		int r = nic_link_del(a->ifname);

		netns_leave();
		if (r < 0)
			unm_warn("%s: cannot remove the interface %s: %s", a->sw, a->sw, strerror(-r));
		hostif_record(a->netns, a->sw, false);
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
 * The port that @ifname names for an attachment of @kind: a network
 * interface of the asker's namespace, or a persistent VALE port to wrap;
 * held, and nobody's (not open, not attached elsewhere).
 */
static int
inner_port(const struct ctrl_ctx *cx, const char *sw, const char *ifname, enum attach_kind kind,
    struct port **out)
{
	struct nmreq_register req = { .nr_mode = NR_REG_ALL_NIC };
	struct ctrl_err *e = cx->e;
	struct attachment *other = find_if(ifname, cx->asker->netns);
	struct port *p;
	int err;

	if (other)
		return ctrl_fail(e, EBUSY, "%s:%s: %s is attached to %s already (valectl -d "
		    "%s:%s first)", sw, ifname, ifname, other->sw, other->sw, ifname);
	err = port_lookup(cx, ifname, &req, true, &p);
	if (!err && (kind == ATTACH_WRAP ? p != vale_persistent(ifname) :
	    p->ops != &nic_port_ops)) {
		port_release(p);
		err = ENXIO;
	}
	if (err == ENXIO)	/* netmap: EINVAL, as it makes ephemeral ports on REGISTER only */
		return ctrl_fail(e, EINVAL, "%s:%s: no network interface %s in the namespace of "
		    "pid %d, and no persistent VALE port of that name", sw, ifname, ifname,
		    (int)cx->asker->pid);
	if (err)
		return err;
	if (p->nbind > 0) {
		port_release(p);
		return ctrl_fail(e, EBUSY, "%s:%s: %s is open in netmap mode by %d descriptor(s); "
		    "close them first", sw, ifname, ifname, p->nbind);
	}
	*out = p;
	return 0;
}

/*
 * netmap's bwrap takes all the rings of what it wraps (-a), and the host
 * stack's too (-h): ring 0 and those two modes only; a persistent port has
 * no host stack
 */
static int
check_mode(const char *sw, const char *ifname, const struct nmreq_register *reg,
    enum attach_kind kind, struct ctrl_err *e)
{
	if (reg->nr_ringid != 0 || (reg->nr_mode != NR_REG_ALL_NIC &&
	    reg->nr_mode != NR_REG_NIC_SW))
		return ctrl_fail(e, EINVAL, "%s:%s: attaching takes all the rings (mode %u, "
		    "-a) or them and the host stack's (mode %u, -h), ring 0; not mode %u ring %u",
		    sw, ifname, NR_REG_ALL_NIC, NR_REG_NIC_SW, reg->nr_mode, reg->nr_ringid);
	if (kind == ATTACH_WRAP && reg->nr_mode == NR_REG_NIC_SW)
		return ctrl_fail(e, EINVAL, "%s:%s: %s is a persistent VALE port: it has no host "
		    "stack to attach (-h is for network interfaces; use -a)", sw, ifname, ifname);
	return 0;
}

/* what those who try to open the attached ports are told */
static void
claim_text(struct attachment *a, const struct port *in)
{
	const struct vport *v = in->ops == &vale_port_ops ? in->priv : NULL;

	if (a->kind == ATTACH_HOSTIF)
		snprintf(a->claim, sizeof(a->claim), "the switch end of %s's own interface "
		    "(valectl -r %s removes both)", a->sw, a->sw);
	else if (a->kind == ATTACH_WRAP && v && v->sw)
		snprintf(a->claim, sizeof(a->claim), "on two switches, %s and %s, joining them "
		    "(valectl -d %s:%s takes it off %s)", v->sw->name, a->sw, a->sw, a->pname,
		    a->sw);
	else
		snprintf(a->claim, sizeof(a->claim), "attached to %s (valectl -d %s:%s detaches "
		    "it)", a->sw, a->sw, a->ifname);
}

int
attach_iface(const struct ctrl_ctx *cx, const char *sw, const char *ifname, const char *pname,
    const struct nmreq_register *reg, enum attach_kind kind, uint32_t *port_index)
{
	bool host = reg->nr_mode == NR_REG_NIC_SW;
	const struct client *asker = cx->asker;
	struct ctrl_err *e = cx->e;
	struct vswitch *s = vale_switch_find(sw, asker->netns);
	struct attachment *a;
	char hname[VALE_NAME_MAX];
	uint64_t ino;
	struct port *p = NULL;
	int err;

	if (host && strlen(pname) + 2 > VALE_NAME_MAX)
		return ctrl_fail(e, ENAMETOOLONG, "%s:%s: the interface name is too long for a "
		    "switch port of its host stack (%s^)", sw, pname, pname);
	snprintf(hname, sizeof(hname), "%s^", pname);
	if (vale_switch_port(s, pname) || (host && vale_switch_port(s, hname)))
		return ctrl_fail(e, EBUSY, "%s:%s: %s has a port of that name already", sw,
		    pname, sw);
	err = inner_port(cx, sw, ifname, kind, &p);
	if (err)
		return err;
	err = check_mode(sw, ifname, reg, kind, e);
	if (err) {
		port_release(p);
		return err;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		port_release(p);
		return ctrl_fail(e, ENOMEM, "%s:%s: out of memory", sw, ifname);
	}
	snprintf(a->sw, sizeof(a->sw), "%s", sw);
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	snprintf(a->pname, sizeof(a->pname), "%s", pname);
	a->netns = asker->netns;
	a->host = host;
	a->kind = kind;
	claim_text(a, p);
	a->nsfd = netns_open(asker->pid, &ino);
	err = a->nsfd < 0 ? ctrl_fail(e, -a->nsfd, "%s:%s: cannot open the network namespace "
	    "of pid %d: %s", sw, ifname, (int)asker->pid, strerror(-a->nsfd)) : 0;
	a->nic = p;
	p->claimed_by = a->claim;
	a->next = attachments;
	attachments = a;
	if (!err)
		err = switch_port(a, pname, p, false, &a->vp, e);
	if (!err && host)
		err = switch_port(a, hname, p, true, &a->hp, e);
	if (!err)
		err = lanes_make(a, cx);
	if (err) {
		attachment_free(a);	/* the interface goes back, the ports go */
		return err;
	}
	*port_index = ((struct vport *)a->vp->priv)->idx;
	if (kind == ATTACH_HOSTIF)
		__atomic_store_n(&((struct vport *)a->vp->priv)->sw->shm->host_port,
		    *port_index + 1, __ATOMIC_RELEASE);
	if (kind == ATTACH_WRAP)
		unm_info("%s: also on %s, as port %u (wrapped: the two switches are joined)",
		    ifname, sw, *port_index);
	else
		unm_info("%s attached to %s as port %u", ifname, sw, *port_index);
	if (host)
		unm_info("%s: host stack attached to %s as port %u", ifname, sw,
		    ((struct vport *)a->hp->priv)->idx);
	return 0;
}

int
attach_nic(const struct ctrl_ctx *cx, const char *sw, const char *ifname,
    const struct nmreq_register *reg, uint32_t *port_index)
{
	return attach_iface(cx, sw, ifname, ifname, reg, ATTACH_NIC, port_index);
}

int
attach_wrap(const struct ctrl_ctx *cx, const char *sw, const char *pname,
    const struct nmreq_register *reg, uint32_t *port_index)
{
	return attach_iface(cx, sw, pname, pname, reg, ATTACH_WRAP, port_index);
}

struct port *
attach_hostif_port(const char *sw, uint64_t netns)
{
	for (struct attachment *a = attachments; a; a = a->next)
		if (a->kind == ATTACH_HOSTIF && a->netns == netns && strcmp(a->sw, sw) == 0)
			return a->vp;
	return NULL;
}

void
attach_undo_port(struct port *p)
{
	for (struct attachment *a = attachments; a; a = a->next)
		if (a->vp == p) {
			attachment_free(a);
			return;
		}
}

/*
 * a worker (and the CPU of one of its polling threads, or -1) in @st's
 * list, once; its restarts counted once however many CPUs it polls on
 */
static void
describe_worker(struct nmreq_unetmap_vale_stats *st, const struct worker *w, int cpu)
{
	const unsigned max = sizeof(st->nr_worker_pid) / sizeof(st->nr_worker_pid[0]);
	bool seen = false;

	for (unsigned i = 0; i < st->nr_workers; i++) {
		if (st->nr_worker_pid[i] == (int32_t)w->pid && st->nr_worker_cpu[i] == cpu && w->pid)
			return;
		seen |= st->nr_worker_pid[i] == (int32_t)w->pid;
	}
	if (st->nr_workers >= max)
		return;
	st->nr_worker_pid[st->nr_workers] = (int32_t)w->pid;
	st->nr_worker_cpu[st->nr_workers++] = cpu;
	if (!seen)
		st->nr_worker_restarts += w->restarts;
}

void
attach_describe(const struct port *p, struct nmreq_unetmap_vale_stats *st)
{
	static const uint8_t kinds[] = { [ATTACH_NIC] = UNETMAP_ATTACH_NIC,
	    [ATTACH_HOSTIF] = UNETMAP_ATTACH_HOSTIF, [ATTACH_WRAP] = UNETMAP_ATTACH_WRAP };

	for (struct attachment *a = attachments; a; a = a->next) {
		struct swworker *x;

		if (a->vp != p && a->hp != p)
			continue;
		st->nr_attach = a->hp == p ? UNETMAP_ATTACH_HOST : kinds[a->kind];
		st->nr_mode = a->nic && a->kind != ATTACH_WRAP ? (uint8_t)a->nic->mode : 0;
		snprintf(st->nr_iface, sizeof(st->nr_iface), "%s", a->ifname);
		/*
		 * the lanes whose switch side is @p, all forwarded by the switch's
		 * worker: a polled one by its thread on the lane's CPU
		 */
		x = swworker_of(a->sw, a->netns, false);
		for (int i = 0; x && i < a->nlanes; i++) {
			const struct lane *ln = &a->lanes[i];

			if (ln->cl[1] && ln->cl[1]->b && ln->cl[1]->b->port == p)
				describe_worker(st, &x->w, ln->cpu);
		}
		return;
	}
}

int
attach_detach(const struct ctrl_ctx *cx, const char *sw, const char *pname,
    uint32_t *port_index)
{
	struct attachment *a = find(sw, pname, cx->asker->netns);
	struct ctrl_err *e = cx->e;

	if (!a)
		return -1;
	/* netmap: EBUSY for the host port, and for a NIC being polled */
	if (strcmp(pname, a->pname) != 0)
		return ctrl_fail(e, EBUSY, "%s:%s: the host stack goes with its interface: "
		    "detach %s:%s", sw, pname, sw, a->pname);
	if (a->kind == ATTACH_HOSTIF)
		return ctrl_fail(e, EINVAL, "%s:%s: that is the switch's own interface; "
		    "valectl -r %s removes it", sw, pname, sw);
	if (a->polling)
		return ctrl_fail(e, EBUSY, "%s:%s: it is being polled; stop that first (valectl "
		    "-P %s:%s)", sw, pname, sw, pname);
	*port_index = ((struct vport *)a->vp->priv)->idx;
	if (a->kind == ATTACH_WRAP)
		unm_info("%s detached from %s (it stays on its first switch)", pname, sw);
	else
		unm_info("%s detached from %s and given back to the kernel", pname, sw);
	attachment_free(a);
	return 0;
}

/*
 * netmap's polling configuration rules (get_polling_cfg): 1 CPU in
 * single-CPU mode, never all the CPUs, in multi-CPU mode one per ring of
 * the switch port (a bwrap's rx rings: the interface's tx rings); and ours,
 * the CPUs must exist (they are pinned to)
 */
static int
polling_check(const struct attachment *a, const struct nmreq_vale_polling *req,
    struct ctrl_err *e)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t nq = a->nic->nrings[NR_TX], first = req->nr_first_cpu_id;
	uint32_t num = req->nr_num_polling_cpus;

	if (num == 0 || num >= ncpu)
		return ctrl_fail(e, EINVAL, "%s:%s: %u polling CPUs: at least 1, and fewer than the "
		    "%ld this machine has", a->sw, a->pname, num, ncpu);
	if (req->nr_mode == NETMAP_POLLING_MODE_SINGLE_CPU && num != 1)
		return ctrl_fail(e, EINVAL, "%s:%s: %u polling CPUs: single-CPU mode takes 1",
		    a->sw, a->pname, num);
	if (req->nr_mode != NETMAP_POLLING_MODE_SINGLE_CPU &&
	    req->nr_mode != NETMAP_POLLING_MODE_MULTI_CPU)
		return ctrl_fail(e, EINVAL, "%s:%s: polling mode %u is neither single-CPU (%u) nor "
		    "multi-CPU (%u)", a->sw, a->pname, req->nr_mode,
		    NETMAP_POLLING_MODE_SINGLE_CPU, NETMAP_POLLING_MODE_MULTI_CPU);
	if ((long)first + num > ncpu)
		return ctrl_fail(e, EINVAL, "%s:%s: CPUs %u..%u asked, this machine has 0..%ld",
		    a->sw, a->pname, first, first + num - 1, ncpu - 1);
	if (req->nr_mode == NETMAP_POLLING_MODE_MULTI_CPU && first + num > nq)
		return ctrl_fail(e, EINVAL, "%s:%s: one polling CPU per ring pair, ring i on CPU i, "
		    "and %s has rings 0..%u", a->sw, a->pname, a->ifname, nq - 1);
	return 0;
}

int
attach_polling(const struct ctrl_ctx *cx, const char *sw, const char *pname, bool on,
    const struct nmreq_vale_polling *req)
{
	struct attachment *a = find(sw, pname, cx->asker->netns);
	struct ctrl_err *e = cx->e;
	struct nmreq_vale_polling saved;
	bool was;
	int err;

	/* netmap: ENXIO for no such port, EOPNOTSUPP for one that wraps nothing */
	if (a && strcmp(pname, a->pname) != 0)
		return ctrl_fail(e, EOPNOTSUPP, "%s:%s: the host stack is polled with its "
		    "interface (%s:%s)", sw, pname, sw, a->pname);
	if (!a && vale_switch_port(vale_switch_find(sw, cx->asker->netns), pname))
		return ctrl_fail(e, EOPNOTSUPP, "%s:%s: a VALE port is not polled: polling is "
		    "for network interfaces attached to a switch (valectl -a %s:IF)", sw, pname, sw);
	if (!a)
		return ctrl_fail(e, ENXIO, "%s:%s: polling is for network interfaces attached to "
		    "a switch (valectl -a %s:IF), and %s is none", sw, pname, sw, pname);
	/* netmap: EFAULT for polling twice, or stopping what does not poll */
	if (on && a->polling)
		return ctrl_fail(e, EFAULT, "%s:%s: polling already (valectl -P first)", sw, pname);
	if (!on && !a->polling)
		return ctrl_fail(e, EFAULT, "%s:%s: not polling", sw, pname);
	if (on && (err = polling_check(a, req, e)) != 0)
		return err;
	was = a->polling;
	saved = a->poll;
	lanes_free(a);
	a->polling = on;
	if (on)
		a->poll = *req;
	err = lanes_make(a, cx);
	if (err) {
		struct ctrl_err e2;
		struct ctrl_ctx cx2 = *cx;

		/* back to how it was; if even that fails the attachment goes */
		cx2.e = &e2;
		a->polling = was;
		a->poll = saved;
		if (lanes_make(a, &cx2)) {
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
	struct swworker *xn;

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
	uint64_t deadline = worker_stop_deadline();

	stopping = true;
	/* all told at once: none is then left waiting on a question to us */
	for (struct swworker *x = swworkers; x; x = x->next)
		worker_signal(&x->w);
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
