/*
 * vlan_push.bpf.c - for tests/integration/nic.sh: on a sender's tc egress,
 * tags every frame with VLAN 77, the way a VLAN device with transmit
 * offload does: the tag goes into the frame's metadata, not its bytes, and
 * veth hands it to the peer's XDP as metadata too.  Loaded with
 * "tc filter add dev X egress bpf da obj vlan_push.bpf.o sec tc".
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("tc")
int
vlan_push(struct __sk_buff *skb)
{
	if (skb->protocol != bpf_htons(0x88b5))	/* nicprobe's frames only */
		return TC_ACT_OK;
	bpf_skb_vlan_push(skb, bpf_htons(0x8100), 77);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
