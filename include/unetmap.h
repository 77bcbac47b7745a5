/*
 * unetmap.h - what unetmap offers beyond netmap's API.
 *
 * Everything here is an extension: a netmap program never needs it, and a
 * program that uses it still speaks netmap's ABI for everything else.  New
 * request types travel through NIOCCTRL like netmap's own, numbered far
 * from netmap's range.
 */
#ifndef UNETMAP_H
#define UNETMAP_H

#include <stdint.h>
#include <net/netmap.h>

/* NIOCCTRL request types of ours */
enum {
	/* how much of a memory region is in use (body below; name unused) */
	NETMAP_REQ_UNETMAP_REGION_INFO = 0x7501,
	/* a VALE port's counters (nr_name "valeX:Y"; body below) */
	NETMAP_REQ_UNETMAP_VALE_STATS = 0x7502,
	/*
	 * one ring's counters, of any port (nr_name the port; body below).
	 * An empty nr_name means the port the descriptor is bound to: the
	 * way to a monitor's rings, which no name finds
	 */
	NETMAP_REQ_UNETMAP_RING_STATS = 0x7503,
	/* is interface nr_name fit to be a netmap port, and what to change (body below) */
	NETMAP_REQ_UNETMAP_CHECK = 0x7504,
	/* a tunable (netmap's names: buf_size, ...): read, set, or listed by index (body below) */
	NETMAP_REQ_UNETMAP_PARAM = 0x7505,
	/*
	 * undo the descriptor's registration (no body, no name needed): what
	 * the library sends when it refuses a REGISTER the daemon accepted
	 * (a bad CSB), as netmap unregisters then; the descriptor stays open
	 */
	NETMAP_REQ_UNETMAP_UNBIND = 0x7506,
};

/*
 * One of the daemon's parameters (nm-sysctl(8)).  With nr_param empty, the
 * nr_index-th one (ENOENT past the last); with nr_set, nr_newval is set
 * first (EINVAL with the allowed values when it is not one of them).
 */
struct nmreq_unetmap_param {
	uint32_t nr_index;		/* in */
	uint32_t nr_set;		/* in: 1 to set */
	char nr_param[32];		/* in/out: the name */
	char nr_newval[32];		/* in: a number (admode: or its name) */
	uint32_t nr_value;		/* out: the value now */
	uint32_t nr_default;		/* out: the built-in default (netmap's, or ours where it differs) */
	uint32_t nr_min, nr_max;	/* out: allowed values ... */
	uint32_t nr_step;		/* out: ... in multiples of this */
	uint32_t nr_count;		/* out: how many parameters there are */
	char nr_help[128];		/* out */
};

struct nmreq_unetmap_region_info {
	uint16_t nr_mem_id;	/* in: the region (0: the global one, id 1) */
	uint16_t nr_pad;
	uint32_t nr_if_total, nr_if_free;
	uint32_t nr_ring_total, nr_ring_free;
	uint32_t nr_buf_total, nr_buf_free;
	uint32_t nr_ports;	/* ports living in it */
};

/* per VALE port: what netmap's VALE never counted */
struct nmreq_unetmap_vale_stats {
	uint16_t nr_bridge_idx;		/* out: as VALE_LIST numbers them */
	uint16_t nr_pad;
	uint32_t nr_port_idx;
	uint64_t rx_frames, rx_bytes;	/* delivered to the port */
	uint64_t tx_frames, tx_bytes;	/* sent by the port into the switch */
	uint64_t drop_full;		/* meant for it, its queue was full */
	uint64_t drop_bad;		/* sent by it: malformed, never forwarded */
	uint64_t drop_nodst;		/* sent by it: to an absent port, or to itself */
	uint64_t drop_busy;		/* sent by it: a queue was unusable */
	uint32_t nr_rx_rings, nr_tx_rings;
	/*
	 * A port that is an attachment (valectl -a/-h, a switch's own
	 * interface, a persistent port wrapped onto a second switch): what it
	 * forwards to, and the worker processes that move its frames.
	 */
	uint8_t nr_attach;		/* out: UNETMAP_ATTACH_* (0: an ordinary port) */
	uint8_t nr_mode;		/* out: the interface's UNETMAP_MODE_* (0: none) */
	uint16_t nr_workers;		/* out: entries of nr_worker_pid/nr_worker_cpu */
	char nr_iface[16];		/* out: the interface or wrapped port */
	int32_t nr_worker_pid[16];	/* out: 0 while one is not running (a restart due) */
	int32_t nr_worker_cpu[16];	/* out: the CPU it busy-polls on; -1: not polling */
	uint32_t nr_worker_restarts;	/* out: restarts of its workers after they died */
	uint32_t nr_pad2;
};

enum {
	UNETMAP_ATTACH_NONE = 0,
	UNETMAP_ATTACH_NIC,		/* an interface's rings (valectl -a, -h) */
	UNETMAP_ATTACH_HOST,		/* an interface's host stack (valectl -h) */
	UNETMAP_ATTACH_HOSTIF,		/* the switch's own interface (valectl -n/-r on the switch) */
	UNETMAP_ATTACH_WRAP,		/* a persistent port on another switch too */
};

/* per ring, for every port kind */
struct nmreq_unetmap_ring_stats {
	uint16_t nr_dir;		/* in: 0 tx, 1 rx */
	uint16_t nr_ring;		/* in: hardware rings first, then host rings */
	uint32_t nr_num_slots;		/* out */
	uint64_t frames, bytes;		/* out: sent (tx) or received (rx) through it */
	uint64_t lost;			/* out: frames it had no room for (monitor rings) */
	uint32_t sync_errors;		/* out: resets after a bad head, cur or slot */
	uint32_t nr_pad;
};

/*
 * The doctor's findings on an interface (nm-doctor(8)), in the asker's
 * network namespace, before anything is opened.  nr_findings holds one
 * finding per line, four fields separated by tabs:
 *
 *	problem|note <TAB> what <TAB> why <TAB> fix (may be empty)
 *
 * Problems make the interface unfit (it would deliver frames netmap
 * programs do not expect, or taking it would cut the host off); notes are
 * worth knowing.
 */
#define UNETMAP_CHECK_TEXT 4096
struct nmreq_unetmap_check {
	uint32_t nr_problems;		/* out: findings that make it unfit (0: fit) */
	uint32_t nr_notes;		/* out: the others */
	uint32_t nr_mode;		/* out: UNETMAP_MODE_* a port would get now */
	uint32_t nr_queues;		/* out: rx queues (ring pairs) */
	uint32_t nr_mtu, nr_buf_size;	/* out */
	uint32_t nr_carrier;		/* out: 1 when the link is up with a carrier */
	uint32_t nr_held;		/* out: 1 when a netmap port has it now */
	uint64_t nr_xdp_features;	/* out: NETDEV_XDP_ACT_* bits; UINT64_MAX unknown */
	char nr_driver[32];		/* out */
	char nr_findings[UNETMAP_CHECK_TEXT];	/* out: see above */
};

/*
 * The daemon's control socket.  $UNETMAP_SOCKET overrides the default,
 * /run/unetmap/unetmapd.sock for root and $XDG_RUNTIME_DIR/unetmap/... for
 * others.  Fills @buf and returns it.
 */
const char *unetmap_socket_path(char *buf, size_t len);

/* the region's use, through NIOCCTRL; 0 or -1 with errno */
int unetmap_region_info(uint16_t mem_id, struct nmreq_unetmap_region_info *out);


/*
 * Network interfaces: what a NIC port got, and how to ask for a mode.
 *
 * netmap never tells an application whether it got the native or the
 * emulated adapter (netmap issue #385); we do, three ways: a log line of
 * the daemon, unetmap_port_mode() on a bound descriptor, and the option
 * below, which the daemon fills on every REGISTER that carries it (any
 * port kind: a port that is no interface answers UNETMAP_MODE_SOFTWARE).
 *
 *   UNETMAP_MODE_ZEROCOPY  AF_XDP, driver XDP, zero-copy (the buffers of
 *                          the netmap rings are the NIC's DMA buffers)
 *   UNETMAP_MODE_NATIVE    AF_XDP, driver XDP, copy mode
 *   UNETMAP_MODE_GENERIC   AF_XDP over the kernel's generic (skb) XDP hook
 *   UNETMAP_MODE_EMULATED  AF_PACKET (TPACKET_V3 receive, sendmmsg), with
 *                          the stack cut off at tc ingress
 *
 * Requesting (nro_admode), per port, as netmap's admode sysctl does
 * globally (unetmapd --admode sets the default):
 *   UNETMAP_ADMODE_BEST      zero-copy, else native, else generic, else emulated
 *   UNETMAP_ADMODE_NATIVE    driver XDP only (zero-copy when the driver can)
 *   UNETMAP_ADMODE_GENERIC   generic XDP only (for tests; slower than native)
 *   UNETMAP_ADMODE_EMULATED  AF_PACKET only
 *
 * Flags (nro_flags):
 *   UNETMAP_PORT_FORCE         take the interface even if it carries the
 *                              default route or the current SSH session
 *   UNETMAP_PORT_FIX_OFFLOADS  turn off the offloads that would break the
 *                              port's mode, and turn them back on when it closes
 *
 * From a port name (our libnetmap): netmap:eth0@admode=emulated,
 * @force, @fix-offloads.  From the environment (any program, also one
 * built for netmap and run under LD_PRELOAD): UNETMAP_ADMODE=best|native|
 * generic|emulated, UNETMAP_FORCE=1, UNETMAP_FIX_OFFLOADS=1 -- used when
 * the request carries no option of its own.
 */
#define NETMAP_REQ_OPT_UNETMAP_PORT_MODE	0x7580

enum {
	UNETMAP_MODE_NONE = 0,		/* not bound (yet) */
	UNETMAP_MODE_SOFTWARE = 1,	/* a pipe, a VALE port, a null port */
	UNETMAP_MODE_ZEROCOPY = 2,
	UNETMAP_MODE_NATIVE = 3,
	UNETMAP_MODE_GENERIC = 4,
	UNETMAP_MODE_EMULATED = 5,
};

enum {
	UNETMAP_ADMODE_DEFAULT = 0,	/* the daemon's --admode */
	UNETMAP_ADMODE_BEST = 1,
	UNETMAP_ADMODE_NATIVE = 2,
	UNETMAP_ADMODE_GENERIC = 3,
	UNETMAP_ADMODE_EMULATED = 4,
};

#define UNETMAP_PORT_FORCE		0x1
#define UNETMAP_PORT_FIX_OFFLOADS	0x2

struct nmreq_opt_unetmap_port_mode {
	struct nmreq_option nro_opt;	/* nro_reqtype = NETMAP_REQ_OPT_UNETMAP_PORT_MODE */
	uint32_t nro_admode;		/* in: UNETMAP_ADMODE_* */
	uint32_t nro_flags;		/* in: UNETMAP_PORT_* */
	uint32_t nro_mode;		/* out: UNETMAP_MODE_* */
	uint32_t nro_queues;		/* out: ring pairs of the interface */
	char nro_desc[96];		/* out: e.g. "veth0: native XDP (copy), 1 queue" */
};

/* "zero-copy", "native", "generic", "emulated", "software" or "none" */
const char *unetmap_mode_name(unsigned mode);
/* what the binding of netmap descriptor @fd got: UNETMAP_MODE_*, or -1 (errno) */
int unetmap_port_mode(int fd);

/*
 * What netmap descriptor @fd (already registered, e.g. inherited from
 * unetmapd, which hands its forwarding workers their ports this way) is
 * bound to: fills @reg as the REGISTER reply did (offset, memsize, mem_id,
 * flags, ring counts) and @name with the port.  0, or -1 with errno
 * (EBADF: not a netmap descriptor; ENXIO: not bound).
 */
int unetmap_fd_info(int fd, char *name, size_t namelen, struct nmreq_register *reg);

/*
 * Buffer exchange on a switch: a sender that only ever swaps buffers into
 * its tx slots (a zero-copy forwarder: netmap-bridge, nm-filter) does not
 * care which buffer it finds in a slot afterwards.  With @on set for its
 * descriptor @fd, a VALE switch hands such a frame to a receiver in the
 * same memory region by exchanging buffers instead of copying: the
 * receiver gets the sender's buffer and the sender's tx slot a free one of
 * the same region (its buf_idx changes).  Frames to several ports, to a
 * port in another region, with data offsets, with virtio-net header
 * conversion, NS_INDIRECT ones, and any while a monitor watches the tx
 * ring are still copied.  netmap never changes a tx slot's buffer, so this
 * is off unless asked for.  0, or -1 with errno (EBADF: not a netmap
 * descriptor; ENXIO: not bound).
 */
int unetmap_tx_exchange(int fd, int on);

#endif
