/*
 * nic_abi.h - what the daemon's NIC adapter (daemon/adapters/nic/), the
 * library's data paths (lib/adapters/nic/: xsk.c, packet.c, host.c) and our BPF
 * programs (bpf/unm_nic.bpf.c) must agree on.  Plain constants and one
 * struct, so it compiles for the BPF target too.
 *
 * AF_XDP: the buffer pool of memory region 1 is the UMEM, in unaligned
 * chunk mode: a chunk is UNM_XSK_HEADROOM bytes before netmap buffer idx
 * plus the buffer itself, so the kernel writes a frame at offset 0 of the
 * buffer and the headroom (never written, measured) overlaps the tail of
 * buffer idx-1.  Fill address of buffer idx = idx * 2048 - 256; a
 * descriptor the kernel returns gives idx * 2048 once its offset (the top
 * 16 bits) is added.  The xsk rings of a queue hold at least as many
 * entries as its netmap ring has slots, so none of them can overflow.
 */
#ifndef UNETMAP_NIC_ABI_H
#define UNETMAP_NIC_ABI_H

#include <linux/types.h>

#define UNM_XSK_HEADROOM	256u	/* XDP_PACKET_HEADROOM */
#define UNM_XSK_CHUNK		(2048u + UNM_XSK_HEADROOM)
#define UNM_NIC_SLOTS		1024u	/* slots of every NIC and host ring */
#define UNM_NIC_MAX_QUEUES	64u
/* host rings of a port, per direction (each host rx ring a TAP queue) */
#define UNM_NIC_MAX_HOST_RINGS	64u
/* a frame the kernel builds from descriptors takes at most this many (MAX_SKB_FRAGS + 1) */
#define UNM_XSK_MAX_FRAGS	17u

/* newer than Debian 12's <linux/if_xdp.h> */
#ifndef XDP_USE_SG
#define XDP_USE_SG		(1 << 4)	/* multi-buffer frames */
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD		(1 << 0)	/* descriptor option: more of this frame follows */
#endif
#ifndef XSK_UNALIGNED_BUF_OFFSET_SHIFT
#define XSK_UNALIGNED_BUF_OFFSET_SHIFT 48	/* unaligned mode: offset in the top bits */
#endif
#define UNM_XDP_MAX_TX_SKB_BUDGET 9		/* sockopt, Linux 6.x: frames per sendto() */

/* the xsk ring size for a netmap ring of @n slots: a power of two >= n */
static inline __u32
unm_xsk_ring_size(__u32 n)
{
	__u32 s = 64;

	while (s < n)
		s <<= 1;
	return s;
}

/*
 * AF_PACKET (emulated mode) receive ring: TPACKET_V3 blocks; a block is
 * handed to user space when full or UNM_PKT_BLOCK_TOV_MS after its first
 * frame.  Big enough for a 64 KB frame.
 */
#define UNM_PKT_BLOCK_SIZE	(256u * 1024u)
#define UNM_PKT_BLOCK_NR	16u
#define UNM_PKT_FRAME_SIZE	2048u	/* tp_frame_size: required, unused by V3 */
#define UNM_PKT_BLOCK_TOV_MS	1u

/*
 * skb->mark of frames the application gave to the host stack, on their way
 * from the TAP into the interface's ingress: in emulated mode it lets them
 * past the tc program that keeps the wire's frames from the stack (which
 * clears it) and keeps them out of the AF_PACKET receive socket.
 */
#define UNM_SKB_MARK		0x756e6d21u	/* "unm!" */

/* in generic XDP mode injected frames carry this many bytes in front */
#define UNM_COOKIE_LEN		16u

/* the one entry of the BPF programs' "cfg" array map */
struct unm_nic_cfg {
	__u32 ifindex;		/* the interface */
	__u32 tap_ifindex;	/* its host-ring TAP */
	__u32 flags;		/* UNM_CFG_* */
	__u32 pad;
	__u8 cookie[UNM_COOKIE_LEN];
};

#define UNM_CFG_MARK	0x1	/* tap ingress: mark frames (emulated mode) */
#define UNM_CFG_COOKIE	0x2	/* tap ingress: prepend the cookie; XDP strips it (generic mode) */

#endif
