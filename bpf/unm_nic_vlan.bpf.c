/*
 * unm_nic_vlan.bpf.c - unm_xdp for driver mode on kernels and drivers that
 * report a VLAN tag they took out of the frame (Linux 6.8+, the
 * bpf_xdp_metadata_rx_vlan_tag kfunc; veth among others): the tag goes
 * back into the frame before it reaches the AF_XDP socket, so a netmap
 * ring sees the frame as it was on the wire.
 *
 * A separate object because it must be loaded bound to its interface
 * (BPF_F_XDP_DEV_BOUND_ONLY) and kernels without the kfunc refuse it:
 * daemon/adapters/nic/bpf.c tries it first in driver mode and falls back
 * to unm_xdp (bpf/unm_nic.bpf.c) when it does not load.  It shares that
 * object's socket map.  Driver mode only: generic XDP takes no bound
 * programs, and the frames the application gives to the stack carry no
 * cookie there (see unm_nic.bpf.c), so it has nothing else to do.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "unm_nic_maps.h"

extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto,
    __u16 *vlan_tci) __ksym;

SEC("xdp.frags")
int
unm_xdp_vlan(struct xdp_md *ctx)
{
	__be16 proto;
	__u16 tci;

	if (bpf_xdp_metadata_rx_vlan_tag(ctx, &proto, &tci) == 0) {
		__u8 *d, *end;
		__u32 a, b, c;

		/* 4 bytes more in front, the addresses moved there, the tag after them */
		if (bpf_xdp_adjust_head(ctx, -4))
			return XDP_DROP;
		d = (__u8 *)(long)ctx->data;
		end = (__u8 *)(long)ctx->data_end;
		if (d + 18 > end)
			return XDP_DROP;
		a = *(__u32 *)(d + 4);
		b = *(__u32 *)(d + 8);
		c = *(__u32 *)(d + 12);
		*(__u32 *)d = a;
		*(__u32 *)(d + 4) = b;
		*(__u32 *)(d + 8) = c;
		*(__be16 *)(d + 12) = proto;
		*(__be16 *)(d + 14) = bpf_htons(tci);
	}
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_DROP);
}

char _license[] SEC("license") = "GPL";
