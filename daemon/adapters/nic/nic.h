/*
 * nic.h - network interfaces as netmap ports (daemon side): what the rest
 * of the daemon may use of daemon/adapters/nic/ (its files share nic_int.h).
 *
 * A NIC port is keyed by (network namespace, interface name): requests are
 * served in the namespace of the process that asked, so two namespaces may
 * both open their own "veth0".  The port is made (rings, no buffers) on
 * lookup; the interface is *taken* on its first binding - buffers, AF_XDP
 * or AF_PACKET sockets, our BPF programs, the TAP of the host rings, the
 * offload settings we change - and given back when the port goes idle,
 * whatever happened to the application.  Every kernel object it takes is
 * held by a descriptor of the daemon (BPF links, sockets, the TAP), so
 * even a crash of the daemon gives the interface back to the stack; only
 * changed offloads need the daemon alive to be restored.
 */
#ifndef UNETMAPD_NIC_H
#define UNETMAPD_NIC_H

#include <stdbool.h>

#include "daemon/adapters/adapters.h"

/* veth.c: veth pairs (switches' own interfaces), in the current namespace */
int nic_veth_add(const char *name, const char *peer, struct ctrl_err *e);
int nic_link_del(const char *name);
int nic_link_up(const char *name);

/* offload.c: is @ifname a veth (its driver says so)? */
bool nic_is_veth(const char *ifname);
/* turns feature @feature (the kernel's name) off for good: 0 or -errno */
int nic_offload_off(const char *ifname, const char *feature);

/* nic.c: the largest frame an interface taken now brings (MTU, header, a VLAN tag); 0: none */
unsigned nic_largest_frame(void);

/* check.c: NETMAP_REQ_UNETMAP_CHECK, the doctor's findings on interface nr_name */
int nic_check(const struct ctrl_ctx *cx);

#endif
