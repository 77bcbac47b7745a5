/*
 * packet.c - AF_PACKET sockets of a NIC port.
 *
 * Emulated mode: one socket per queue (a PACKET_FANOUT_QM group spreads
 * the wire's frames by receive queue when there are several), with a
 * TPACKET_V3 receive ring the application maps, and sendmmsg() for
 * transmit with PACKET_QDISC_BYPASS (so our frames skip the tc program
 * that steals the stack's).  A classic BPF filter keeps out what the
 * application itself gave to the stack (marked, see shared/nic_abi.h);
 * what the stack sends never reaches it (stolen at tc egress, before the
 * taps), nor does what we send (PACKET_IGNORE_OUTGOING).
 *
 * Every mode: one transmit-only socket for frames released on a host RX
 * ring with NS_FORWARD, which go to the wire.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/adapters/nic/nic_int.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

static int
fail(int fd, struct ctrl_err *e, const char *ifname, const char *what)
{
	int err = errno;

	if (fd >= 0)
		close(fd);
	return -ctrl_fail(e, err, "%s: cannot set up an AF_PACKET socket (%s): %s", ifname, what,
	    strerror(err));
}

int
nic_packet_tx_open(int ifindex, const char *ifname, struct ctrl_err *e)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_ifindex = ifindex };
	int one = 1;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return fail(fd, e, ifname, "socket");
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		return fail(fd, e, ifname, "qdisc bypass");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)	/* protocol 0: receives nothing */
		return fail(fd, e, ifname, "bind");
	return fd;
}

int
nic_packet_rx_open(int ifindex, unsigned queue, unsigned nqueues, int fanout_id,
    const char *ifname, struct ctrl_err *e)
{
	struct tpacket_req3 req = {
		.tp_block_size = UNM_PKT_BLOCK_SIZE,
		.tp_block_nr = UNM_PKT_BLOCK_NR,
		.tp_frame_size = UNM_PKT_FRAME_SIZE,
		.tp_frame_nr = UNM_PKT_BLOCK_SIZE / UNM_PKT_FRAME_SIZE * UNM_PKT_BLOCK_NR,
		.tp_retire_blk_tov = UNM_PKT_BLOCK_TOV_MS,
	};
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_MARK)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, UNM_SKB_MARK, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
	    .sll_ifindex = ifindex };
	int v3 = TPACKET_V3, one = 1, fd;

	(void)queue;
	/* protocol 0 until the ring is ready, so nothing arrives before it */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail(fd, e, ifname, "socket");
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v3, sizeof(v3)) < 0)
		return fail(fd, e, ifname, "TPACKET_V3");
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		return fail(fd, e, ifname, "receive ring");
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return fail(fd, e, ifname, "filter");
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		return fail(fd, e, ifname, "qdisc bypass");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail(fd, e, ifname, "bind");
	if (nqueues > 1) {
		int f = (fanout_id & 0xffff) | (PACKET_FANOUT_QM << 16);

		if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &f, sizeof(f)) < 0)
			return fail(fd, e, ifname, "fanout by queue");
	}
	return fd;
}
