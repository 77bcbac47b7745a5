/*
 * bpf.c - our BPF programs (bpf/unm_nic.bpf.c, embedded at build time)
 * on one interface.
 *
 * Everything is attached through BPF links (XDP links; tcx links for tc,
 * Linux 6.6+): a link goes away with its last descriptor, so even a daemon
 * killed with SIGKILL gives the interface back to the stack.  Before 6.6
 * (Debian 12's own kernel is 6.1) the tc programs go in a clsact qdisc
 * through netlink instead, which the daemon removes when the port goes -
 * but which a SIGKILLed daemon leaves behind.  libxdp's dispatcher is not
 * used (it fails here, and we own the interface while the port is open).
 */
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/adapters/nic/nic_int.h"

extern const char unm_nic_bpf_obj[], unm_nic_bpf_obj_end[];
__asm__(".pushsection .rodata\n"
	".balign 8\n"
	".globl unm_nic_bpf_obj\n"
	"unm_nic_bpf_obj:\n"
	".incbin \"" UNM_BPF_OBJ "\"\n"
	".globl unm_nic_bpf_obj_end\n"
	"unm_nic_bpf_obj_end:\n"
	".popsection\n");
extern const char unm_nic_vlan_obj[], unm_nic_vlan_obj_end[];
__asm__(".pushsection .rodata\n"
	".balign 8\n"
	".globl unm_nic_vlan_obj\n"
	"unm_nic_vlan_obj:\n"
	".incbin \"" UNM_BPF_VLAN_OBJ "\"\n"
	".globl unm_nic_vlan_obj_end\n"
	"unm_nic_vlan_obj_end:\n"
	".popsection\n");

/* not in Debian 12's headers (Linux 6.3) */
#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

/* not in Debian 12's headers: tcx attach points (Linux 6.6) */
enum { UNM_BPF_TCX_INGRESS = 46, UNM_BPF_TCX_EGRESS = 47 };

static char libbpf_msg[512];

static int
libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	/* keep the last line: it goes into the error the user sees */
	vsnprintf(libbpf_msg, sizeof(libbpf_msg), fmt, ap);
	libbpf_msg[strcspn(libbpf_msg, "\n")] = '\0';
	unm_debug("libbpf: %s", libbpf_msg);
	return 0;
}

static int
prog_fd(struct nic_bpf *b, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(b->obj, name);

	return p ? bpf_program__fd(p) : -1;
}

void
nic_bpf_init(struct nic_bpf *b)
{
	b->obj = b->vlan_obj = NULL;
	b->xsks_fd = b->cfg_fd = -1;
	b->xdp_link = b->steal_link = b->inject_link = b->isolate_link = -1;
	b->steal_tc.where = b->isolate_tc.where = 0;
}

int
nic_bpf_load(struct nic_bpf *b, const char *ifname, struct ctrl_err *e)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "unm_nic");
	int err;

	nic_bpf_init(b);
	libbpf_set_print(libbpf_print);
	libbpf_msg[0] = '\0';
	b->obj = bpf_object__open_mem(unm_nic_bpf_obj,
	    (size_t)(unm_nic_bpf_obj_end - unm_nic_bpf_obj), &oo);
	if (!b->obj) {
		err = errno;
		return ctrl_fail(e, err, "%s: cannot open our BPF programs: %s", ifname,
		    strerror(err));
	}
	if (bpf_object__load(b->obj) < 0) {
		err = errno;
		bpf_object__close(b->obj);
		b->obj = NULL;
		return ctrl_fail(e, err, "%s: cannot load our BPF programs: %s (%s)", ifname,
		    strerror(err), libbpf_msg);
	}
	b->xsks_fd = bpf_object__find_map_fd_by_name(b->obj, "xsks");
	b->cfg_fd = bpf_object__find_map_fd_by_name(b->obj, "cfg");
	return 0;
}

int
nic_bpf_config(struct nic_bpf *b, const struct unm_nic_cfg *c)
{
	uint32_t zero = 0;

	return bpf_map_update_elem(b->cfg_fd, &zero, c, 0) < 0 ? -errno : 0;
}

int
nic_bpf_add_xsk(struct nic_bpf *b, unsigned queue, int xsk_fd)
{
	uint32_t q = queue, v = (uint32_t)xsk_fd;

	return bpf_map_update_elem(b->xsks_fd, &q, &v, 0) < 0 ? -errno : 0;
}

/*
 * unm_xdp_vlan (bpf/unm_nic_vlan.bpf.c) bound to @ifindex, sharing our
 * socket map: its descriptor, or -1 where the kernel cannot (before 6.8:
 * no VLAN metadata kfunc; before 6.3: no bound programs).
 */
static int
vlan_prog(struct nic_bpf *b, int ifindex, const char *ifname)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "unm_nic_vlan");
	struct bpf_program *p;
	struct bpf_map *m;

	b->vlan_obj = bpf_object__open_mem(unm_nic_vlan_obj,
	    (size_t)(unm_nic_vlan_obj_end - unm_nic_vlan_obj), &oo);
	if (!b->vlan_obj)
		return -1;
	p = bpf_object__find_program_by_name(b->vlan_obj, "unm_xdp_vlan");
	m = bpf_object__find_map_by_name(b->vlan_obj, "xsks");
	if (p && m && bpf_map__reuse_fd(m, b->xsks_fd) == 0) {
		bpf_program__set_ifindex(p, (unsigned)ifindex);
		bpf_program__set_flags(p, BPF_F_XDP_DEV_BOUND_ONLY);
		if (bpf_object__load(b->vlan_obj) == 0)
			return bpf_program__fd(p);
	}
	unm_debug("%s: no VLAN tag re-insertion in XDP (%s)", ifname, libbpf_msg);
	bpf_object__close(b->vlan_obj);
	b->vlan_obj = NULL;
	return -1;
}

int
nic_bpf_attach_xdp(struct nic_bpf *b, int ifindex, bool drv, const char *ifname,
    struct ctrl_err *e)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = drv ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
	int fd = -1, vfd = drv ? vlan_prog(b, ifindex, ifname) : -1;

	/* driver mode: the program that puts stripped VLAN tags back, if it loaded */
	if (vfd >= 0 && (fd = bpf_link_create(vfd, ifindex, BPF_XDP, &lo)) < 0) {
		unm_debug("%s: the VLAN-aware XDP program did not attach (%s): the plain one",
		    ifname, strerror(errno));
		bpf_object__close(b->vlan_obj);
		b->vlan_obj = NULL;
	}
	if (fd < 0)
		fd = bpf_link_create(prog_fd(b, "unm_xdp"), ifindex, BPF_XDP, &lo);

	if (fd < 0) {
		int err = errno;

		if (err == EBUSY || err == EEXIST)
			return ctrl_fail(e, EBUSY, "%s: the interface is already taken: another "
			    "XDP program is attached to it (see 'ip link show %s')", ifname, ifname);
		return ctrl_fail(e, err, "%s: cannot attach XDP in %s mode: %s", ifname,
		    drv ? "driver" : "generic", strerror(err));
	}
	b->xdp_link = fd;
	return 0;
}

static int
tcx_link(int prog, int ifindex, int where)
{
	struct {
		uint32_t prog_fd, target_ifindex, attach_type, flags;
		uint32_t relative_fd, pad;
		uint64_t expected_revision;
	} attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = (uint32_t)prog;
	attr.target_ifindex = (uint32_t)ifindex;
	attr.attach_type = (uint32_t)where;
	return (int)syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
}

/* our filter (handle 1, priority 1) in the clsact qdisc of @ifindex */
#define UNM_TC_HANDLE	0x756e
#define UNM_TC_PRIO	1

static int
clsact_attach(int prog, int ifindex, int where, struct nic_tc *t)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
	    .attach_point = where ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .prog_fd = prog, .handle = UNM_TC_HANDLE,
	    .priority = UNM_TC_PRIO);
	int r = bpf_tc_hook_create(&hook);

	if (r < 0 && r != -EEXIST)
		return r;
	r = bpf_tc_attach(&hook, &o);
	if (r < 0)
		return r;
	if (t) {
		t->ifindex = ifindex;
		t->where = where + 1;
	}
	return 0;
}

static void
clsact_detach(struct nic_tc *t)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = t->ifindex,
	    .attach_point = t->where == 2 ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = UNM_TC_HANDLE, .priority = UNM_TC_PRIO);

	if (t->where && bpf_tc_detach(&hook, &o) < 0)
		unm_warn("ifindex %d: cannot remove our tc filter", t->ifindex);
	t->where = 0;
}

/* tcx when the kernel has it, else clsact; @where: 0 egress, 1 ingress */
static int
tc_attach(const char *prog, int ifindex, int where, int *link, struct nic_tc *t,
    struct nic_bpf *b)
{
	const char *no = secure_getenv("UNETMAP_NO_TCX");	/* to test the old way on a new kernel */
	int fd = prog_fd(b, prog), r;

	if (!(no && *no == '1')) {
		*link = tcx_link(fd, ifindex, where ? UNM_BPF_TCX_INGRESS : UNM_BPF_TCX_EGRESS);
		if (*link >= 0)
			return 0;
		if (errno != EINVAL && errno != EOPNOTSUPP)
			return -errno;
	}
	r = clsact_attach(fd, ifindex, where, t);
	return r;
}

int
nic_bpf_attach_tc(struct nic_bpf *b, int ifindex, int tap_ifindex, bool isolate,
    const char *ifname, struct ctrl_err *e)
{
	int r = tc_attach("unm_steal", ifindex, 0, &b->steal_link, &b->steal_tc, b);

	if (!r)
		r = tc_attach("unm_inject", tap_ifindex, 1, &b->inject_link, NULL, b);
	if (!r && isolate)
		r = tc_attach("unm_isolate", ifindex, 1, &b->isolate_link, &b->isolate_tc, b);
	if (r < 0)
		return ctrl_fail(e, -r, "%s: cannot attach our tc programs: %s", ifname,
		    strerror(-r));
	return 0;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void
nic_bpf_free(struct nic_bpf *b)
{
	/* the wire goes back to the stack first, then the stack's egress */
	close_fd(&b->xdp_link);
	close_fd(&b->isolate_link);
	clsact_detach(&b->isolate_tc);
	close_fd(&b->steal_link);
	clsact_detach(&b->steal_tc);
	close_fd(&b->inject_link);
	if (b->vlan_obj)
		bpf_object__close(b->vlan_obj);
	b->vlan_obj = NULL;
	if (b->obj)
		bpf_object__close(b->obj);
	b->obj = NULL;
}
