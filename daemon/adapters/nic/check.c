/*
 * check.c - the doctor (NETMAP_REQ_UNETMAP_CHECK, nm-doctor(8)): is an
 * interface fit to be a netmap port, and what to change, told before
 * anything is opened.  It asks what REGISTER would find - the same
 * offload table (offload.c), the same lock-out guard (if.c), the mode the
 * daemon's admode would give - plus what only the kernel's generic
 * netlink says (genl.c): the driver's XDP features and header/data split.
 * It changes nothing.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/adapters/nic/nic_int.h"

#define XDP_ACT_BASIC		1	/* NETDEV_XDP_ACT_* (linux/netdev.h, 6.3) */
#define XDP_ACT_XSK_ZEROCOPY	8

struct report {
	struct nmreq_unetmap_check *ck;
	size_t used;
	const char *ifname;
};

/* one finding: a line of four tab-separated fields */
static void __attribute__((format(printf, 5, 6)))
finding(struct report *r, bool problem, const char *what, const char *fix, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	size_t cap = sizeof(r->ck->nr_findings);
	int n;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	n = snprintf(r->ck->nr_findings + r->used, r->used < cap ? cap - r->used : 0,
	    "%s\t%s\t%s\t%s\n", problem ? "problem" : "note", what, why, fix ? fix : "");
	if (n > 0 && r->used + (size_t)n < cap)
		r->used += (size_t)n;
	else if (r->used < cap)
		r->ck->nr_findings[r->used] = '\0';	/* a finding that does not fit is left out */
	if (problem)
		r->ck->nr_problems++;
	else
		r->ck->nr_notes++;
}

static void
offload_finding(const char *knob, const char *why, void *arg)
{
	struct report *r = arg;
	char fix[96], what[48];

	snprintf(what, sizeof(what), "offload %s", knob);
	snprintf(fix, sizeof(fix), "ethtool -K %s %s off", r->ifname, knob);
	finding(r, true, what, fix, "%s is on: %s", knob, why);
}

/* the mode REGISTER would get with the daemon's admode, from what the driver says it can do */
static unsigned
predicted_mode(uint64_t f, bool known)
{
	switch (dcfg.admode) {
	case UNETMAP_ADMODE_EMULATED:
		return UNETMAP_MODE_EMULATED;
	case UNETMAP_ADMODE_GENERIC:
		return UNETMAP_MODE_GENERIC;
	default:
		if (!known || (f & XDP_ACT_BASIC))
			return known && (f & XDP_ACT_XSK_ZEROCOPY) ? UNETMAP_MODE_ZEROCOPY :
			    UNETMAP_MODE_NATIVE;
		return dcfg.admode == UNETMAP_ADMODE_NATIVE ? UNETMAP_MODE_NONE :
		    UNETMAP_MODE_GENERIC;
	}
}

static void
examine(struct report *r, const struct ctrl_ctx *cx, const struct nic_ifinfo *fi, uint64_t ino)
{
	struct nmreq_unetmap_check *ck = r->ck;
	const char *name = r->ifname;
	struct bpf_xdp_query_opts xq = { .sz = sizeof(xq) };
	char buf[512], fix[128];
	uint64_t f = 0;
	bool known = nic_xdp_features(fi->ifindex, &f) == 0;
	int hds;

	nic_driver(name, ck->nr_driver, sizeof(ck->nr_driver));
	ck->nr_xdp_features = known ? f : UINT64_MAX;
	ck->nr_queues = fi->queues;
	ck->nr_mtu = (uint32_t)fi->mtu;
	ck->nr_buf_size = region_cfg_global.buf_size;
	ck->nr_carrier = (fi->flags & IFF_UP) && (fi->flags & IFF_RUNNING);
	ck->nr_mode = predicted_mode(f, known);

	/* how it would be taken */
	if (ck->nr_mode == UNETMAP_MODE_NONE)
		finding(r, true, "mode", "use --admode best (or generic) for unetmapd, or another "
		    "interface", "the driver (%s) has no native XDP and unetmapd runs with "
		    "--admode native: opening it would fail", ck->nr_driver);
	else if (known && !(f & XDP_ACT_BASIC) && dcfg.admode != UNETMAP_ADMODE_EMULATED)
		finding(r, false, "mode", NULL, "the driver (%s) has no native XDP: a port gets "
		    "generic XDP, which copies every frame through an skb", ck->nr_driver);
	else if (!known)
		finding(r, false, "mode", NULL, "the kernel does not tell the driver's XDP features "
		    "(Linux 6.3+ does): a port gets native XDP if %s has it, else generic XDP",
		    ck->nr_driver[0] ? ck->nr_driver : "the driver");
	if (known && (f & XDP_ACT_BASIC) && !(f & XDP_ACT_XSK_ZEROCOPY) &&
	    strcmp(ck->nr_driver, "veth") != 0)
		finding(r, false, "zero-copy", NULL, "the driver (%s) has native XDP without AF_XDP "
		    "zero-copy: frames are copied once between the NIC and the netmap buffers",
		    ck->nr_driver);

	/* what would change the frames a netmap program sees */
	nic_offload_each(name, ck->nr_mode ? ck->nr_mode : UNETMAP_MODE_NATIVE, offload_finding, r);
	hds = nic_data_split(name);
	if (hds == 1) {
		snprintf(fix, sizeof(fix), "ethtool -G %s tcp-data-split off", name);
		finding(r, true, "header/data split", fix, "the NIC puts TCP payloads in buffers "
		    "of their own: XDP, and so the port, sees the headers only");
	}
	if ((unsigned)fi->mtu + 18 > ck->nr_buf_size) {
		snprintf(fix, sizeof(fix), "ip link set %s mtu %u, or nm-sysctl buf_size=%u", name,
		    ck->nr_buf_size - 18, ((unsigned)fi->mtu + 18 + 63) / 64 * 64);
		finding(r, false, "mtu", fix, "MTU %d: frames of up to %d bytes span several %d-byte "
		    "buffers (NS_MOREFRAG); programs that do not follow NS_MOREFRAG see them cut",
		    fi->mtu, fi->mtu + 18, ck->nr_buf_size);
	}
	if (!(fi->flags & IFF_UP)) {
		snprintf(fix, sizeof(fix), "ip link set %s up", name);
		finding(r, false, "link", fix, "the interface is down: a port can be opened (as "
		    "netmap allows) but nothing arrives or leaves until it is up");
	} else if (!(fi->flags & IFF_RUNNING)) {
		finding(r, false, "carrier", "check the cable, the switch port or the peer",
		    "no carrier: nothing arrives or leaves");
	}

	/* taking it would cut the host off */
	if (nic_if_lockout(fi->ifindex, cx->asker->pid, buf, sizeof(buf))) {
		snprintf(fix, sizeof(fix), "use another interface, or open netmap:%s@force if "
		    "that is what you want", name);
		finding(r, true, "lock-out", fix, "a port takes the interface from the host's "
		    "stack, and %s", buf);
	}

	/* who has it */
	if (nic_holders(fi->ifindex, ino, buf, sizeof(buf))) {
		ck->nr_held = 1;
		finding(r, false, "held", NULL, "taken now by this daemon: %s", buf);
	} else if (bpf_xdp_query(fi->ifindex, 0, &xq) == 0 && (xq.prog_id || xq.drv_prog_id ||
	    xq.skb_prog_id)) {
		snprintf(fix, sizeof(fix), "ip link set %s xdp off (if nothing needs it)", name);
		finding(r, true, "xdp", fix, "another XDP program (id %u) is attached: a netmap "
		    "port needs the interface's XDP hook", xq.prog_id ? xq.prog_id :
		    xq.drv_prog_id ? xq.drv_prog_id : xq.skb_prog_id);
	}
	if (fi->queues > 1)
		finding(r, false, "queues", NULL, "%u queues: netmap:%s binds them all, "
		    "netmap:%s-N one ring pair", fi->queues, name, name);
}

int
nic_check(const struct ctrl_ctx *cx)
{
	struct nmreq_unetmap_check *ck = cx->rq->body;
	const char *name = cx->rq->hdr.nr_name;
	struct report r = { .ck = ck, .ifname = name };
	struct nic_ifinfo fi;
	struct ctrl_err e2;
	uint64_t ino;
	int nsfd, err = 0;

	memset(ck, 0, sizeof(*ck));
	if (!dcfg.nic)
		return ctrl_fail(cx->e, EOPNOTSUPP, "%s: this unetmapd takes no network interfaces "
		    "(--no-nic)", name);
	if (!name[0] || strpbrk(name, "{}:/@^*") || strlen(name) >= IF_NAMESIZE)
		return ctrl_fail(cx->e, EINVAL, "'%s' is no interface name", name);
	nsfd = netns_open(cx->asker->pid, &ino);
	if (nsfd < 0)
		return ctrl_fail(cx->e, EIO, "%s: cannot open the network namespace of pid %d: %s",
		    name, (int)cx->asker->pid, strerror(-nsfd));
	if (netns_enter(nsfd) < 0) {
		close(nsfd);
		return ctrl_fail(cx->e, EIO, "%s: cannot enter the network namespace of pid %d",
		    name, (int)cx->asker->pid);
	}
	if (nic_if_info(name, &fi, &e2) != 0)
		err = ctrl_fail(cx->e, ENXIO, "%s: no such interface in the network namespace of "
		    "pid %d", name, (int)cx->asker->pid);
	else
		examine(&r, cx, &fi, ino);
	netns_leave();
	close(nsfd);
	return err;
}
