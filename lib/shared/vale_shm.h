/*
 * vale_shm.h - a VALE switch's shared state, one memfd per switch, mapped
 * by the daemon and by every process bound to one of its ports.
 *
 * How frames cross the switch (forwarding runs in the sender's txsync):
 *
 *   sender S, tx ring ──learn src / look up dst──> inbound queue (S → D)
 *        copies the frame into the queue's own buffer     lives in D's region
 *                                                                │
 *   receiver D, rxsync of rx ring 0 <── swaps buffers ───────────┘
 *
 * Every (sender, receiver) pair has its inbound queue: a ring object in
 * the receiver's region with buffers of its own.  The sender copies into
 * it (one copy, as the ports have separate memory) and publishes complete
 * packets by moving the queue's pipe_tail; the receiver moves them into
 * its rx ring by swapping buffer indices (no second copy) and hands the
 * slots back by moving the queue's nr_hwcur.  Only the tx rings of one
 * port ever write one queue, so its producers are excluded by a small
 * lock that names its holder (shared/identity.h): a holder that died is
 * noticed, in whatever pid namespace, and its lock taken over, and what it had half written was never published.
 * No lock is shared between ports, nothing is taken per packet, a full
 * queue drops (the sender never waits), and a crashed process can wedge
 * nothing but its own half of a queue.  Frames a sender queued before it
 * went away are still delivered: its queues are retired, not freed, until
 * their receivers have drained them.
 *
 * Everything here is writable by every process on the switch: readers
 * range-check every index before use.
 *
 * Interception (FreeBSD's if_bridge in netmap mode).  A switch with an
 * interface of its own (host_port: valectl -n valeX) can be opened as
 * netmap:valeX; that makes the interceptor, a port named "*" (icpt_port)
 * with one ring pair and one host ring pair.  While it exists:
 *
 *   - every frame a member sends is learned as usual, then queued for the
 *     interceptor instead of being forwarded (explicit destinations too);
 *     frames from the switch's own interface go to the interceptor's host
 *     rx ring, all others to its rx ring 0.  BPDUs (01:80:c2:00:00:00)
 *     are never intercepted: the switch forwards them as it always does.
 *   - what the application writes to the host tx ring re-enters the
 *     switch as if sent by the port its source address was learned on
 *     (unknown source: dropped, counted in the interceptor's drop_nodst),
 *     never back to the interceptor, never intercepted again.
 *   - what it writes to tx ring 0 leaves as if the host had sent it
 *     through the switch's interface (learned there, never back there).
 *
 * Closing the last descriptor on it removes the interceptor, and the
 * switch forwards by itself again.
 */
#ifndef UNETMAP_VALE_SHM_H
#define UNETMAP_VALE_SHM_H

#include <stdint.h>

#define VALE_MAGIC		0x76616c65u	/* "vale" */
#define VALE_MAX_PORTS		64u	/* netmap has 254; see docs/design.md */
#define VALE_MAX_RINGS		16u	/* per direction, as netmap */
#define VALE_MAX_SLOTS		4096u
#define VALE_INQ_SLOTS		512u	/* slots (and buffers) of an inbound queue */
#define VALE_MAC_BUCKETS	1024u
#define VALE_MAX_RETIRED	8u	/* queues of departed senders still draining */
#define VALE_NAME_MAX		16u	/* switch and port names, as IFNAMSIZ */

/* a slot's high byte on tx (NS_PORT_MASK): 0 look up, else a port index */
#define VALE_DST_BROADCAST	254u
#define VALE_DST_DROP		255u

/* mac table entry: the address in the low 48 bits, port + 1 above */
#define VALE_MAC_MASK		0xffffffffffffull
#define VALE_MAC_PORT(e)	((uint32_t)((e) >> 48) - 1)

/* per-port counters (what netmap's VALE never had, #274) */
struct vale_counters {
	uint64_t rx_frames, rx_bytes;	/* delivered into its rx ring */
	uint64_t tx_frames, tx_bytes;	/* taken from its tx rings */
	uint64_t drop_full;		/* for it, while its queue was full */
	uint64_t drop_bad;		/* from it: malformed (short, bad index or length) */
	uint64_t drop_nodst;		/* from it: nowhere to go (explicit port absent) */
	uint64_t drop_busy;		/* from it: queue held by a stuck producer */
};

struct vale_port_shm {
	uint32_t state;			/* VALE_PORT_* */
	uint32_t gen;
	uint16_t mem_id;
	uint16_t nrx;
	uint16_t ntx;
	/*
	 * Its virtio-net header length (PORT_HDR_SET): 0, 10 or 12 bytes in
	 * front of every frame it sends and receives.  Senders read it for
	 * themselves and for each receiver: equal lengths are copied as they
	 * are, different ones go through lib/adapters/vale_offload.c.
	 */
	uint16_t hdr_len;
	uint64_t region_uuid;
	char name[VALE_NAME_MAX];	/* the part after "valeX:" */
	uint32_t rx_ring[VALE_MAX_RINGS];	/* its rx rings' objects, in its region */
	uint32_t inq[VALE_MAX_PORTS];	/* queue from sender s (object in its region) */
	/*
	 * Queues of senders that left while frames they sent were still in
	 * them: the receiver drains these too, then the daemon frees them.
	 */
	uint32_t retired[VALE_MAX_RETIRED];
	struct vale_counters c;
};

enum { VALE_PORT_FREE = 0, VALE_PORT_ACTIVE = 1 };

struct vale_shm {
	uint32_t magic;
	uint32_t gen;			/* bumped whenever a port comes or goes */
	uint64_t uuid;
	char name[VALE_NAME_MAX];	/* "vale0" */
	uint32_t max_ports;
	uint32_t host_port;		/* index + 1 of the port of the switch's own
					   interface (valectl -n valeX); 0: none */
	uint32_t icpt_port;		/* index + 1 of the interceptor (netmap:valeX
					   open); 0: none, frames are forwarded */
	uint32_t pad;
	uint64_t mac[VALE_MAC_BUCKETS];
	struct vale_port_shm port[VALE_MAX_PORTS];
};

/* 01:80:c2:00:00:00, spanning tree's group address, as vale_mac_load reads it */
#define VALE_MAC_BPDU		0x0000000000c28001ull

/* hash of an Ethernet address into the mac table */
static inline uint32_t
vale_mac_hash(uint64_t mac)
{
	uint64_t h = mac * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 54) & (VALE_MAC_BUCKETS - 1);
}

/* the 48-bit address at @p (network order kept as bytes 0..5) */
static inline uint64_t
vale_mac_load(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40;
}

/* the answer to UNM_Q_VALE_PEERS (a switch): where each port lives */
struct vale_peer_info {
	uint32_t port;			/* index in the switch */
	uint32_t rx0;			/* its rx ring 0 object */
	uint64_t region_uuid;
	uint64_t region_total;
	uint64_t memsize;
	int16_t memfd;			/* index in the reply's descriptors */
	int16_t evfd;			/* rx ring 0's eventfd */
	int16_t evfd1;			/* the interceptor's host rx ring's eventfd, or -1 */
	int16_t pad16;
	uint32_t rx1;			/* the interceptor's host rx ring, or UINT32_MAX */
	int16_t kfd;			/* external memory: the kernel part's memfd, else -1 */
	uint16_t pad;
	uint64_t ext_ofs, ext_len;	/* external memory: the pools in memfd */
};

/* the answer to UNM_Q_VALE_PORT: where the port is now */
struct vale_attachment {
	uint32_t attached;		/* then the switch's memfd comes along */
	uint32_t idx;
};

struct vale_peers {
	uint32_t gen;
	uint32_t n;
	struct vale_peer_info p[];
};

#endif
