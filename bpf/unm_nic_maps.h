/*
 * unm_nic_maps.h - the socket map of our XDP programs, one definition for
 * both objects (unm_nic.bpf.c, unm_nic_vlan.bpf.c): the second reuses the
 * first's map (bpf_map__reuse_fd), which works only while they match.
 */
#ifndef UNM_NIC_MAPS_H
#define UNM_NIC_MAPS_H

#include "shared/nic_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, UNM_NIC_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

#endif
