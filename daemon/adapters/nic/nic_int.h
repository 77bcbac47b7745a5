/*
 * nic_int.h - what the files of daemon/adapters/nic/ share among
 * themselves.  The rest of the daemon sees only nic.h.
 */
#ifndef UNETMAPD_NIC_INT_H
#define UNETMAPD_NIC_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/adapters/nic/nic.h"
#include "shared/nic_abi.h"
#include "unetmap.h"

/* if.c: facts about an interface, in the current namespace */
struct nic_ifinfo {
	int ifindex;
	unsigned flags;		/* IFF_* */
	int mtu;
	unsigned queues;	/* rx queues = ring pairs */
	uint8_t mac[6];
};
int nic_if_info(const char *name, struct nic_ifinfo *fi, struct ctrl_err *e);
/* why @ifindex must not be taken (default route, the SSH session), or NULL */
const char *nic_if_lockout(int ifindex, pid_t asker, char *why, size_t len);
int nic_if_set_up(const char *name, int mtu);

/* offload.c: features that break a mode; turning them off and back on */
struct nic_offloads {
	int n;
	char name[16][32];	/* the kernel's feature strings we turned off */
};
/* fills @msg with the harmful settings for @mode; returns how many */
int nic_offload_check(const char *ifname, unsigned mode, char *msg, size_t len);
/* the same one by one: @fn(ethtool -K's name, why, @arg) for each; returns how many */
typedef void nic_offload_fn(const char *knob, const char *why, void *arg);
int nic_offload_each(const char *ifname, unsigned mode, nic_offload_fn *fn, void *arg);
/* the driver's name (ETHTOOL_GDRVINFO; "" when it cannot be told) */
int nic_driver(const char *ifname, char *out, size_t len);

/* genl.c: NETDEV_XDP_ACT_* of the interface's driver (Linux 6.3+) */
int nic_xdp_features(int ifindex, uint64_t *features);
/* 1 when header/data split is on, 0 off or not reported, -errno */
int nic_data_split(const char *ifname);
/* nic.c: the ports that hold interface @ifindex of namespace @netns, described; how many */
int nic_holders(int ifindex, uint64_t netns, char *out, size_t len);
int nic_offload_fix(const char *ifname, unsigned mode, struct nic_offloads *saved,
    char *msg, size_t len);
void nic_offload_restore(const char *ifname, const struct nic_offloads *saved);

/* bpf.c: our programs, their maps and their attachments */
struct nic_tc {		/* a netlink (clsact) attachment, before Linux 6.6 */
	int ifindex, where;	/* 0: none */
};
struct nic_bpf {
	struct bpf_object *obj;
	struct bpf_object *vlan_obj;	/* driver mode's VLAN-aware XDP program, if loaded */
	int xsks_fd, cfg_fd;
	int xdp_link, steal_link, inject_link, isolate_link;
	struct nic_tc steal_tc, isolate_tc;	/* the TAP's goes with the TAP */
};
void nic_bpf_init(struct nic_bpf *b);	/* nothing loaded, nothing attached */
int nic_bpf_load(struct nic_bpf *b, const char *ifname, struct ctrl_err *e);
/* XDP on @ifindex in driver (@drv) or generic mode */
int nic_bpf_attach_xdp(struct nic_bpf *b, int ifindex, bool drv, const char *ifname,
    struct ctrl_err *e);
int nic_bpf_attach_tc(struct nic_bpf *b, int ifindex, int tap_ifindex, bool isolate,
    const char *ifname, struct ctrl_err *e);
int nic_bpf_config(struct nic_bpf *b, const struct unm_nic_cfg *c);
int nic_bpf_add_xsk(struct nic_bpf *b, unsigned queue, int xsk_fd);
void nic_bpf_free(struct nic_bpf *b);

/* xsk.c: the AF_XDP socket of one queue; the first one registers the UMEM */
struct nic_xsk {
	int fd;
	bool zc;
};
int nic_xsk_open(struct nic_xsk *x, struct region *r, int ifindex, unsigned queue,
    int umem_fd, uint32_t slots, bool force_copy, bool sg, const char *ifname, struct ctrl_err *e);
/* posts the buffers of slots [0, n-1) of an rx ring to the fill ring */
int nic_xsk_prefill(struct nic_xsk *x, struct region *r, struct netmap_ring *ring,
    uint32_t slots);

/* packet.c: AF_PACKET sockets (emulated queues, and host->wire forwarding) */
int nic_packet_rx_open(int ifindex, unsigned queue, unsigned nqueues, int fanout_id,
    const char *ifname, struct ctrl_err *e);
int nic_packet_tx_open(int ifindex, const char *ifname, struct ctrl_err *e);

/* tap.c: the TAP that carries the host rings, @nq queues (@fds); 0 or an errno */
int nic_tap_open(const char *ifname, int ifindex, int mtu, unsigned nq, int *fds,
    char *tapname, int *tap_ifindex, struct ctrl_err *e);

#endif
