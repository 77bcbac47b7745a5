/*
 * unm_nic.bpf.c - the kernel half of a NIC port: one XDP program and three
 * tc programs, loaded by unetmapd for each interface it takes
 * (daemon/adapters/nic/bpf.c).  Built with clang -target bpf, embedded in
 * the daemon.
 *
 *   unm_xdp      on the interface: every frame to the AF_XDP socket of its
 *                queue, or dropped (netmap: while a port is open the stack
 *                sees none of the wire's traffic).  Frames the application
 *                gave to the stack (host TX ring) pass; in generic mode they
 *                are recognised by the cookie unm_inject put in front.
 *   unm_steal    tc egress of the interface: whatever the stack sends goes
 *                to the TAP, whose reader is the host RX ring.
 *   unm_inject   tc ingress of the TAP: what the application writes to the
 *                TAP (host TX ring) enters the interface as if received.
 *   unm_isolate  tc ingress of the interface, emulated mode: the wire's
 *                frames reach AF_PACKET (taps run before tc) but not the
 *                stack; marked frames from the TAP pass.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "unm_nic_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unm_nic_cfg);
} cfg SEC(".maps");

static __always_inline struct unm_nic_cfg *
config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cfg, &zero);
}

SEC("xdp.frags")
int
unm_xdp(struct xdp_md *ctx)
{
	struct unm_nic_cfg *c = config();

	if (c && (c->flags & UNM_CFG_COOKIE)) {
		__u8 *d = (__u8 *)(long)ctx->data, *end = (__u8 *)(long)ctx->data_end;

		if (d + UNM_COOKIE_LEN <= end) {
			__u64 a = *(__u64 *)d, b = *(__u64 *)(d + 8);

			if (a == *(__u64 *)c->cookie && b == *(__u64 *)(c->cookie + 8)) {
				if (bpf_xdp_adjust_head(ctx, UNM_COOKIE_LEN))
					return XDP_DROP;
				return XDP_PASS;
			}
		}
	}
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_DROP);
}

SEC("tc")
int
unm_steal(struct __sk_buff *skb)
{
	struct unm_nic_cfg *c = config();

	if (!c || skb->mark == UNM_SKB_MARK)
		return TC_ACT_OK;
	return bpf_redirect(c->tap_ifindex, 0);
}

SEC("tc")
int
unm_inject(struct __sk_buff *skb)
{
	struct unm_nic_cfg *c = config();

	if (!c)
		return TC_ACT_SHOT;
	if (c->flags & UNM_CFG_MARK)
		skb->mark = UNM_SKB_MARK;
	if (c->flags & UNM_CFG_COOKIE) {
		if (bpf_skb_change_head(skb, UNM_COOKIE_LEN, 0))
			return TC_ACT_SHOT;
		if (bpf_skb_store_bytes(skb, 0, c->cookie, UNM_COOKIE_LEN, 0))
			return TC_ACT_SHOT;
	}
	return bpf_redirect(c->ifindex, BPF_F_INGRESS);
}

SEC("tc")
int
unm_isolate(struct __sk_buff *skb)
{
	if (skb->mark == UNM_SKB_MARK) {
		skb->mark = 0;
		return TC_ACT_OK;
	}
	return TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
