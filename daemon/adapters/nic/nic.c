/*
 * nic.c - network interfaces as netmap ports: the port kind (struct
 * port_ops), the registry keyed by (network namespace, name), and taking
 * and giving back an interface.  See nic.h for the picture.
 *
 * Rings: one pair per queue (ethtool channels), whatever the mode, plus
 * one host ring pair.  Buffers come from memory region 1, one per slot,
 * when the interface is taken, and stay in the slots: on an rx ring the
 * slots the kernel side owns hold exactly the buffers posted to the
 * AF_XDP fill ring (lib/adapters/nic/xsk.c keeps it so), so giving the
 * interface back frees the buffers found in the slots, after the sockets
 * are closed.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "daemon/adapters/nic/nic_int.h"

struct nic_port {
	struct nic_port *next;
	struct port *p;
	uint64_t netns;
	int nsfd;
	char ifname[IF_NAMESIZE];
	struct nic_ifinfo fi;
	bool taken;
	unsigned admode;
	struct nic_bpf bpf;
	struct nic_xsk xsk[UNM_NIC_MAX_QUEUES];
	int pkt[UNM_NIC_MAX_QUEUES];
	int fwd_fd, tap_ifindex;
	int tap_fd[UNM_NIC_MAX_HOST_RINGS];	/* one queue per host rx ring */
	unsigned ntap;
	char tap[IF_NAMESIZE];
	struct nic_offloads saved;
	char desc[96];
};

static struct nic_port *nics;

static const char *const admode_names[] = {
	[UNETMAP_ADMODE_DEFAULT] = "default", [UNETMAP_ADMODE_BEST] = "best",
	[UNETMAP_ADMODE_NATIVE] = "native", [UNETMAP_ADMODE_GENERIC] = "generic",
	[UNETMAP_ADMODE_EMULATED] = "emulated",
};

static const char *
mode_desc(unsigned mode)
{
	switch (mode) {
	case UNETMAP_MODE_ZEROCOPY: return "native XDP, zero-copy";
	case UNETMAP_MODE_NATIVE: return "native XDP (copy)";
	case UNETMAP_MODE_GENERIC: return "generic XDP (copy)";
	case UNETMAP_MODE_EMULATED: return "emulated (AF_PACKET)";
	default: return "not taken";
	}
}

/* our port-mode option of the request, if it has one */
static struct nmreq_opt_unetmap_port_mode *
mode_opt(const struct ctrl_ctx *cx)
{
	return (struct nmreq_opt_unetmap_port_mode *)ctrl_option(cx,
	    NETMAP_REQ_OPT_UNETMAP_PORT_MODE, sizeof(struct nmreq_opt_unetmap_port_mode));
}

/* does the daemon's own namespace have an interface @name? (for the error) */
static bool
in_daemon_ns(const char *name)
{
	return strlen(name) < IF_NAMESIZE && if_nametoindex(name) != 0;
}

static void nic_idle(struct port *p);

/* the host rings a request asks for: 0 means one (netmap's default) */
static uint16_t
host_rings(uint16_t asked)
{
	return asked ? asked : 1;
}

/*
 * netmap grants the host rings a request asks for while nobody has the
 * interface registered (0 keeps what it has); the rings are made anew.
 */
static int
regrant_host_rings(struct port *p, const struct nmreq_register *req, struct ctrl_err *e)
{
	uint16_t tx = req->nr_host_tx_rings ? req->nr_host_tx_rings : p->nhost[NR_TX];
	uint16_t rx = req->nr_host_rx_rings ? req->nr_host_rx_rings : p->nhost[NR_RX];

	uint16_t otx = p->nhost[NR_TX], orx = p->nhost[NR_RX];
	struct ctrl_err e2;
	int err;

	if (tx == otx && rx == orx)
		return 0;
	port_free_rings(p);
	p->nhost[NR_TX] = tx;
	p->nhost[NR_RX] = rx;
	err = port_make_rings(p, e);
	if (err) {
		/* the rings it had, then: a port never stays without its rings */
		p->nhost[NR_TX] = otx;
		p->nhost[NR_RX] = orx;
		if (port_make_rings(p, &e2) && p->holds == 0)
			nic_idle(p);
	}
	return err;
}

static int
nic_lookup(const struct ctrl_ctx *cx, const char *name, struct nmreq_register *req,
    bool create, struct port **out)
{
	const struct client *asker = cx->asker;
	struct ctrl_err *e = cx->e;
	struct nmreq_opt_unetmap_port_mode *o = mode_opt(cx);
	struct nic_ifinfo fi;
	struct nic_port *np;
	struct port *p;
	uint64_t ino;
	int nsfd, err;

	if (!dcfg.nic || asker->pid <= 0 || strpbrk(name, "{}:") || strlen(name) >= IF_NAMESIZE)
		return -1;
	if (req->nr_host_tx_rings > UNM_NIC_MAX_HOST_RINGS ||
	    req->nr_host_rx_rings > UNM_NIC_MAX_HOST_RINGS)
		return ctrl_fail(e, EINVAL, "%s: %u tx and %u rx host rings asked; at most %u each",
		    name, req->nr_host_tx_rings, req->nr_host_rx_rings, UNM_NIC_MAX_HOST_RINGS);
	nsfd = netns_open(asker->pid, &ino);
	if (nsfd < 0)
		return -1;
	for (np = nics; np; np = np->next)
		if (np->netns == ino && strcmp(np->ifname, name) == 0) {
			close(nsfd);
			if (!client_may_take_interfaces(asker))
				return ctrl_fail(e, EPERM, "%s: taking a network interface needs "
				    "CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF, which pid %d did not "
				    "have when it opened /dev/netmap", name, (int)asker->pid);
			if (o && o->nro_admode && np->taken && o->nro_admode != np->admode &&
			    o->nro_admode != UNETMAP_ADMODE_BEST)
				return ctrl_fail(e, EBUSY, "%s: already open in %s mode; admode %s "
				    "cannot apply until every descriptor on it is closed", name,
				    mode_desc(np->p->mode), admode_names[o->nro_admode]);
			if (np->p->nbind == 0 && !np->taken &&
			    (err = regrant_host_rings(np->p, req, e)) != 0)
				return err;
			*out = np->p;
			return 0;
		}
	if (netns_enter(nsfd) < 0) {
		close(nsfd);
		return -1;
	}
	err = nic_if_info(name, &fi, e);
	netns_leave();
	if (!err && !client_may_take_interfaces(asker)) {
		close(nsfd);
		return ctrl_fail(e, EPERM, "%s: taking a network interface needs CAP_NET_ADMIN, "
		    "CAP_NET_RAW and CAP_BPF, which pid %d did not have when it opened "
		    "/dev/netmap (a member of group netmap may open pipes and VALE ports)", name,
		    (int)asker->pid);
	}
	if (err) {
		close(nsfd);
		if (err > 0)
			return err;
		if (ino != netns_self() && in_daemon_ns(name))
			return ctrl_fail(e, ENXIO, "%s: no interface of that name in the network "
			    "namespace of pid %d (unetmapd's own namespace has one: run the "
			    "program in the namespace of the interface)", name, (int)asker->pid);
		return -1;
	}
	np = calloc(1, sizeof(*np));
	p = calloc(1, sizeof(*p));
	if (!np || !p) {
		free(np);
		free(p);
		close(nsfd);
		return ctrl_fail(e, ENOMEM, "%s: out of memory", name);
	}
	np->nsfd = nsfd;
	np->netns = ino;
	np->fi = fi;
	np->fwd_fd = -1;
	for (unsigned q = 0; q < UNM_NIC_MAX_HOST_RINGS; q++)
		np->tap_fd[q] = -1;
	nic_bpf_init(&np->bpf);
	for (unsigned q = 0; q < UNM_NIC_MAX_QUEUES; q++)
		np->pkt[q] = np->xsk[q].fd = -1;
	snprintf(np->ifname, sizeof(np->ifname), "%s", name);
	np->p = p;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->ops = &nic_port_ops;
	p->priv = np;
	p->sync_kind = UNM_SYNC_XSK;
	p->reg = region_global(e);
	if (!p->reg) {
		free(p);
		free(np);
		close(nsfd);
		return ENOMEM;
	}
	region_ref(p->reg);
	p->nrings[NR_TX] = p->nrings[NR_RX] = (uint16_t)fi.queues;
	p->nhost[NR_TX] = host_rings(req->nr_host_tx_rings);
	p->nhost[NR_RX] = host_rings(req->nr_host_rx_rings);
	p->nslots[NR_TX] = p->nslots[NR_RX] = dcfg.generic_ringsize;
	err = port_make_rings(p, e);
	if (err) {
		region_unref(p->reg);
		free(p);
		free(np);
		close(nsfd);
		return err;
	}
	port_add(p);
	np->next = nics;
	nics = np;
	(void)create;
	*out = p;
	return 0;
}

static int
nic_check_mode(struct port *p, uint32_t mode, struct ctrl_err *e)
{
	if (mode == NR_REG_PIPE_MASTER || mode == NR_REG_PIPE_SLAVE || mode == NR_REG_NULL)
		return ctrl_fail(e, EINVAL, "%s: an interface cannot be bound in mode %u", p->name, mode);
	return 0;
}

static uint32_t
nic_link(struct port *p, int t, uint32_t i, struct port **lp)
{
	*lp = NULL;
	return UINT32_MAX;
}

static uint16_t
nic_ring_kind(struct port *p, int t, uint32_t i)
{
	if (i >= p->nrings[t])
		return UNM_SYNC_HOST;
	return p->mode == UNETMAP_MODE_EMULATED ? UNM_SYNC_PACKET : UNM_SYNC_XSK;
}

static unsigned
nic_ring_fds(struct port *p, int t, uint32_t i, int *fds, unsigned max)
{
	struct nic_port *np = p->priv;

	if (!np->taken || max < 2)
		return 0;
	if (i >= p->nrings[t]) {
		fds[0] = np->tap_fd[(i - p->nrings[t]) % np->ntap];
		fds[1] = np->fwd_fd;
	} else {
		fds[0] = p->mode == UNETMAP_MODE_EMULATED ? np->pkt[i] : np->xsk[i].fd;
		fds[1] = np->tap_fd[0];
	}
	return 2;
}

/* ------------------------------------------------------------ taking */

static void
free_buffers(struct port *p)
{
	for (int t = 0; t < NR_DIRS; t++)
		for (uint32_t i = 0; p->ring_idx[t] && i < (uint32_t)p->nrings[t] + p->nhost[t]; i++) {
			struct netmap_ring *ring;

			if (p->ring_idx[t][i] == UINT32_MAX)
				continue;
			ring = region_ring(p->reg, p->ring_idx[t][i]);
			for (uint32_t k = 0; k < p->nslots[t]; k++) {
				region_buf_free(p->reg, ring->slot[k].buf_idx);
				ring->slot[k].buf_idx = 0;
			}
		}
}

static int
alloc_buffers(struct port *p, struct ctrl_err *e)
{
	for (int t = 0; t < NR_DIRS; t++)
		for (uint32_t i = 0; i < (uint32_t)p->nrings[t] + p->nhost[t]; i++) {
			struct netmap_ring *ring = region_ring(p->reg, p->ring_idx[t][i]);

			for (uint32_t k = 0; k < p->nslots[t]; k++) {
				uint32_t b = region_buf_alloc(p->reg);

				if (!b)
					return ctrl_fail(e, ENOMEM, "%s: memory region %u is out of "
					    "buffers (%u left)", p->name, p->reg->id, p->reg->buf_free);
				ring->slot[k].buf_idx = b;
				ring->slot[k].len = 0;
				ring->slot[k].flags = 0;
			}
		}
	return 0;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* everything take() did, undone; in the interface's namespace */
static void
give_back(struct nic_port *np)
{
	struct port *p = np->p;
	bool in_ns = netns_enter(np->nsfd) == 0;

	nic_bpf_free(&np->bpf);
	for (unsigned q = 0; q < UNM_NIC_MAX_QUEUES; q++) {
		close_fd(&np->xsk[q].fd);
		close_fd(&np->pkt[q]);
	}
	close_fd(&np->fwd_fd);
	for (unsigned q = 0; q < np->ntap; q++)
		close_fd(&np->tap_fd[q]);
	np->ntap = 0;
	if (in_ns) {
		nic_offload_restore(np->ifname, &np->saved);
		netns_leave();
	}
	np->saved.n = 0;
	free_buffers(p);
	if (np->taken)
		unm_info("%s: given back to the kernel stack", np->ifname);
	np->taken = false;
	p->mode = UNETMAP_MODE_NONE;
}

static int
take_xdp(struct nic_port *np, bool drv, struct ctrl_err *e)
{
	struct port *p = np->p;
	struct region *r = p->reg;
	int err;

	for (unsigned q = 0; q < p->nrings[NR_RX]; q++) {
		err = nic_xsk_open(&np->xsk[q], r, np->fi.ifindex, q, q ? np->xsk[0].fd : -1,
		    p->nslots[NR_RX], !drv, true, np->ifname, e);
		if (err)
			return err;
		err = nic_bpf_add_xsk(&np->bpf, q, np->xsk[q].fd);
		if (err)
			return ctrl_fail(e, -err, "%s: cannot put the socket of queue %u in the "
			    "XDP map: %s", np->ifname, q, strerror(-err));
		err = nic_xsk_prefill(&np->xsk[q], r, region_ring(r, p->ring_idx[NR_RX][q]),
		    p->nslots[NR_RX]);
		if (err)
			return ctrl_fail(e, -err, "%s: cannot fill queue %u: %s", np->ifname, q,
			    strerror(-err));
	}
	p->mode = np->xsk[0].zc ? UNETMAP_MODE_ZEROCOPY : drv ? UNETMAP_MODE_NATIVE :
	    UNETMAP_MODE_GENERIC;
	return 0;
}

static int
take_packet(struct nic_port *np, struct ctrl_err *e)
{
	struct port *p = np->p;
	uint32_t id;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint32_t)getpid();
	for (unsigned q = 0; q < p->nrings[NR_RX]; q++) {
		np->pkt[q] = nic_packet_rx_open(np->fi.ifindex, q, p->nrings[NR_RX], (int)id,
		    np->ifname, e);
		if (np->pkt[q] < 0)
			return -np->pkt[q];
	}
	p->mode = UNETMAP_MODE_EMULATED;
	return 0;
}

/* XDP in the best mode @admode allows, else AF_PACKET if it allows that */
static int
take_mode(struct nic_port *np, unsigned admode, struct ctrl_err *e)
{
	struct ctrl_err e2;
	int err = EOPNOTSUPP;

	if (admode == UNETMAP_ADMODE_BEST || admode == UNETMAP_ADMODE_NATIVE) {
		err = nic_bpf_attach_xdp(&np->bpf, np->fi.ifindex, true, np->ifname, e);
		if (!err)
			return take_xdp(np, true, e);
		if (err == EBUSY || admode == UNETMAP_ADMODE_NATIVE)
			return err;
		unm_info("%s: no driver XDP (%s); trying generic XDP", np->ifname, e->msg);
	}
	if (admode == UNETMAP_ADMODE_BEST || admode == UNETMAP_ADMODE_GENERIC) {
		err = nic_bpf_attach_xdp(&np->bpf, np->fi.ifindex, false, np->ifname, &e2);
		if (!err)
			return take_xdp(np, false, e);
		*e = e2;
		if (err == EBUSY || admode == UNETMAP_ADMODE_GENERIC)
			return err;
		unm_info("%s: no generic XDP either (%s); using AF_PACKET", np->ifname, e->msg);
	}
	return take_packet(np, e);
}

static int
take(struct nic_port *np, const struct ctrl_ctx *cx)
{
	const struct client *asker = cx->asker;
	struct ctrl_err *e = cx->e;
	struct nmreq_opt_unetmap_port_mode *o = mode_opt(cx);
	unsigned admode = o && o->nro_admode ? o->nro_admode : dcfg.admode;
	unsigned flags = o ? o->nro_flags : 0;
	struct port *p = np->p;
	struct unm_nic_cfg cfg = { 0 };
	char why[200], warn[UNM_ERRMSG_MAX];
	int err;

	if (admode == UNETMAP_ADMODE_DEFAULT || admode > UNETMAP_ADMODE_EMULATED)
		admode = UNETMAP_ADMODE_BEST;
	np->admode = admode;
	if (netns_enter(np->nsfd) < 0)
		return ctrl_fail(e, EIO, "%s: cannot enter its network namespace", np->ifname);
	err = nic_if_info(np->ifname, &np->fi, e);
	if (err) {
		netns_leave();
		return err < 0 ? ctrl_fail(e, ENXIO, "%s: the interface has gone", np->ifname) : err;
	}
	if (!(flags & UNETMAP_PORT_FORCE) && nic_if_lockout(np->fi.ifindex, asker->pid, why,
	    sizeof(why))) {
		netns_leave();
		return ctrl_fail(e, EPERM, "%s: refusing to take it: %s. If you can still reach "
		    "the machine another way, open it with @force (or UNETMAP_FORCE=1)",
		    np->ifname, why);
	}
	np->taken = true;
	err = alloc_buffers(p, e);
	if (!err) {
		np->ntap = p->nhost[NR_RX] ? p->nhost[NR_RX] : 1;
		err = nic_tap_open(np->ifname, np->fi.ifindex, np->fi.mtu, np->ntap, np->tap_fd,
		    np->tap, &np->tap_ifindex, e);
		if (err)
			np->ntap = 0;
	}
	if (!err && (np->fwd_fd = nic_packet_tx_open(np->fi.ifindex, np->ifname, e)) < 0)
		err = -np->fwd_fd;
	if (!err)
		err = nic_bpf_load(&np->bpf, np->ifname, e);
	if (!err)
		err = take_mode(np, admode, e);
	if (!err) {
		cfg.ifindex = (uint32_t)np->fi.ifindex;
		cfg.tap_ifindex = (uint32_t)np->tap_ifindex;
		cfg.flags = p->mode == UNETMAP_MODE_EMULATED ? UNM_CFG_MARK :
		    p->mode == UNETMAP_MODE_GENERIC ? UNM_CFG_COOKIE : 0;
		if (getrandom(cfg.cookie, sizeof(cfg.cookie), 0) != sizeof(cfg.cookie))
			err = ctrl_fail(e, EIO, "%s: no random bytes for the cookie", np->ifname);
	}
	if (!err && (err = nic_bpf_config(&np->bpf, &cfg)) < 0)
		err = ctrl_fail(e, -err, "%s: cannot configure our BPF programs: %s", np->ifname,
		    strerror(-err));
	if (!err)
		err = nic_bpf_attach_tc(&np->bpf, np->fi.ifindex, np->tap_ifindex,
		    p->mode == UNETMAP_MODE_EMULATED, np->ifname, e);
	if (!err) {
		warn[0] = '\0';
		if (flags & UNETMAP_PORT_FIX_OFFLOADS) {
			if (nic_offload_fix(np->ifname, p->mode, &np->saved, why, sizeof(why)))
				snprintf(warn, sizeof(warn), "%s: warning: %s", np->ifname, why);
		} else if (nic_offload_check(np->ifname, p->mode, why, sizeof(why))) {
			snprintf(warn, sizeof(warn), "%s: warning: %s", np->ifname, why);
		}
		if (warn[0]) {
			unm_warn("%s", warn);
			snprintf(e->msg, sizeof(e->msg), "%s", warn);
		}
	}
	netns_leave();
	if (err) {
		give_back(np);
		return err;
	}
	snprintf(np->desc, sizeof(np->desc), "%s: %s, %u queue%s", np->ifname,
	    mode_desc(p->mode), p->nrings[NR_RX], p->nrings[NR_RX] > 1 ? "s" : "");
	unm_info("%s (netns %llu) taken by pid %d: %s, admode %s, host rings on %s", np->ifname,
	    (unsigned long long)np->netns, (int)asker->pid, mode_desc(p->mode),
	    admode_names[admode], np->tap);
	return 0;
}

unsigned
nic_largest_frame(void)
{
	unsigned m = 0;

	for (struct nic_port *np = nics; np; np = np->next)
		if (np->taken && (unsigned)np->fi.mtu + 18 > m)
			m = (unsigned)np->fi.mtu + 18;
	return m;
}

int
nic_holders(int ifindex, uint64_t netns, char *out, size_t len)
{
	size_t used = 0;
	int n = 0;

	out[0] = '\0';
	for (struct nic_port *np = nics; np && used < len; np = np->next) {
		pid_t pids[8];
		int k;

		if (!np->taken || np->fi.ifindex != ifindex || np->netns != netns)
			continue;
		k = client_pids_of(np->p, pids, 8);
		used += (size_t)snprintf(out + used, len - used, "%s%s (%s)",
		    n++ ? "; " : "", np->p->name, mode_desc(np->p->mode));
		if (np->p->claimed_by && used < len)
			used += (size_t)snprintf(out + used, len - used, ", %s", np->p->claimed_by);
		for (int i = 0; i < k && i < 8 && used < len; i++)
			used += (size_t)snprintf(out + used, len - used,
			    "%s%d", i ? "," : ", by pid ", (int)pids[i]);
	}
	return n;
}

static int
nic_bind(const struct ctrl_ctx *cx, struct port *p, struct binding *b)
{
	struct nic_port *np = p->priv;
	struct nmreq_opt_unetmap_port_mode *o;
	int err = 0;

	if (!np->taken)
		err = take(np, cx);
	if (err)
		return err;
	if ((o = mode_opt(cx))) {
		o->nro_mode = p->mode;
		o->nro_queues = p->nrings[NR_RX];
		snprintf(o->nro_desc, sizeof(o->nro_desc), "%s", np->desc);
	}
	return 0;
}

static void
nic_idle(struct port *p)
{
	struct nic_port *np = p->priv;

	if (np->taken)
		give_back(np);
	for (struct nic_port **pp = &nics; *pp; pp = &(*pp)->next)
		if (*pp == np) {
			*pp = np->next;
			break;
		}
	close(np->nsfd);
	free(np);
	port_destroy(p);
}

/* the daemon stops: the interface goes back to the kernel now, bound or not */
static void
nic_stop(struct port *p)
{
	struct nic_port *np = p->priv;

	if (np->taken)
		give_back(np);
}

const struct port_ops nic_port_ops = {
	.kind = "nic",
	.lookup = nic_lookup,
	.check_mode = nic_check_mode,
	.link = nic_link,
	.idle = nic_idle,
	.ring_kind = nic_ring_kind,
	.ring_fds = nic_ring_fds,
	/* every data path (xsk, packet, host) sends from and receives at an offset */
	.offsets = offsets_always,
	.bind = nic_bind,
	.stop = nic_stop,
};
