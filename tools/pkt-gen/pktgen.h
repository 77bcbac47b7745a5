/*
 * pktgen.h - what the files of pkt-gen share.
 *
 * pkt-gen is netmap's traffic generator and sink, written anew for unetmap
 * on the plain netmap API (libnetmap's nmport_* and the ring macros of
 * net/netmap_user.h), so it runs unchanged on any netmap port.
 *
 *   options.c   command line, defaults, usage text
 *   addr.c      IP / MAC ranges, the interface's own MAC
 *   frame.c     the UDP frame template, checksums, per-packet headers
 *   pcap.c      the -P frame, read from a pcap file
 *   port.c      opening ports (one ring per thread), the null pseudo port
 *   tx.c        tx and txseq: filling tx rings
 *   rx.c        rx and rxseq: draining rx rings
 *   seq.c       sequence numbers: stamping and checking
 *   pingpong.c  ping (RTT) and pong (echo)
 *   report.c    periodic lines, final summary, hexdump
 *   threads.c   threads, CPU affinity, signals, pacing and clocks
 *   main.c      putting it together
 */
#ifndef PKTGEN_H
#define PKTGEN_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <libnetmap.h>

/* --------------------------------------------------------------- limits */

#define PG_MAX_SIZE	65535	/* -l, bytes without CRC */
#define PG_MIN_SIZE	16
#define PG_MAX_VHDR	12	/* virtio-net header, -H */
#define PG_MAX_FRAGS	63	/* -F, as netmap's pkt-gen */
#define PG_MAX_THREADS	256
#define PG_MAX_PORTS	2	/* -i given twice */
#define PG_ETH_LEN	14
#define PG_IP4_LEN	20
#define PG_IP6_LEN	40
#define PG_UDP_LEN	8

/* -o bits, numbered as netmap's pkt-gen numbers them */
#define OPT_PREFETCH	1	/* prefetch buffers before touching them */
#define OPT_ACCESS	2	/* rx: read the data of every packet */
#define OPT_COPY	4	/* tx: copy the whole frame into every slot */
#define OPT_MEMCPY	8	/* same, with plain memcpy() */
#define OPT_TS		16	/* tx: timestamp in the payload; rx: one-way latency */
#define OPT_INDIRECT	32	/* tx: NS_INDIRECT slots (-I) */
#define OPT_DUMP	64	/* hexdump every packet (-X) */
#define OPT_RUBBISH	256	/* tx: send buffers as they are (-r) */
#define OPT_RANDOM_SRC	512	/* -z */
#define OPT_RANDOM_DST	1024	/* -Z */
#define OPT_PPS_STATS	2048	/* -A */
#define OPT_UPDATE_CSUM	4096	/* recompute checksums when sizes vary */
#define OPT_KNOWN	(OPT_PREFETCH | OPT_ACCESS | OPT_COPY | OPT_MEMCPY | OPT_TS | \
			 OPT_INDIRECT | OPT_DUMP | OPT_RUBBISH | OPT_RANDOM_SRC | \
			 OPT_RANDOM_DST | OPT_PPS_STATS | OPT_UPDATE_CSUM)

/* exit statuses */
#define PG_EXIT_OK	0
#define PG_EXIT_FAIL	1	/* something went wrong while running */
#define PG_EXIT_USAGE	2	/* bad command line */

/* ----------------------------------------------------------- options */

enum pg_func { PG_RX, PG_TX, PG_PING, PG_PONG, PG_TXSEQ, PG_RXSEQ };

/* an address range with ports, as given to -s / -d */
struct pg_range {
	const char	*text;		/* what the user wrote */
	int		af;		/* AF_INET or AF_INET6 */
	uint8_t		start[16];	/* network order */
	uint8_t		end[16];
	uint16_t	port0, port1;	/* host order, port0 <= port1 */
	int		group;		/* IPv6: the 16-bit group that counts (0..7) */
};

struct pg_conf {
	enum pg_func	func;
	const char	*func_name;
	char		*ports[PG_MAX_PORTS];	/* full port names (netmap: added) */
	int		nports;
	bool		null_port;		/* -i null: discard sender */

	uint64_t	count;		/* -n, 0 = forever */
	unsigned	size;		/* -l, the largest */
	unsigned	min_size;	/* second -l, 0 = fixed size */
	unsigned	burst;		/* -b, 0 = the function's default */
	uint64_t	rate;		/* -R packets per second, 0 = no limit */
	int		threads;	/* -p */
	int		first_cpu;	/* -a, -1 = none */
	int		cpus;		/* -c, 0 = all */
	int		af;		/* -4 / -6 */
	const char	*src_text, *dst_text;
	struct pg_range	src, dst;
	uint8_t		src_mac[6], dst_mac[6];
	bool		src_mac_given;
	unsigned	report_ms;	/* -T */
	int		wait_link;	/* -w, -1 = the port kind's default */
	bool		exit_idle;	/* -W */
	unsigned	frags;		/* -F */
	unsigned	frag_size;	/* -M, 0 = the buffer size */
	int		vhdr;		/* -H */
	const char	*pcap_file;	/* -P */
	bool		normalize;	/* not -N */
	unsigned	options;	/* -o and the flags that set its bits */
	unsigned	framing_bits;	/* -B: 24 bytes per packet, in bits */
	const char	*ring_conf;	/* -C */
	int		verbose;	/* -v */
	bool		json;		/* -J: reports and summary as JSON lines on stdout */
	int		ncpus;		/* online CPUs */
};

extern struct pg_conf pg;

/* options.c */
void pg_parse_args(int argc, char **argv);
void pg_usage(int status) __attribute__((noreturn));
void pg_die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void pg_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void pg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* addr.c */
int pg_parse_range(struct pg_range *r, const char *text, int af, char *err, size_t errlen);
int pg_parse_mac(uint8_t mac[6], const char *text);
const char *pg_mac_str(const uint8_t mac[6], char buf[18]);
int pg_iface_mac(const char *ifname, uint8_t mac[6]);
/* link.c: wait up to @secs for carrier on @ifname; the mode a NIC port got */
void pg_wait_link(const char *ifname, int secs);
struct pg_port;
void pg_print_mode(const struct pg_port *p, const char *ifname);
const char *pg_range_str(const struct pg_range *r, char *buf, size_t len);

/* ------------------------------------------------------------- frame */

/* where one flow stands in the ranges (host order where it counts) */
struct pg_flow {
	uint8_t		src[16], dst[16];	/* network order */
	uint16_t	sport, dport;
};

/* the frame every slot starts from, and how to make per-packet headers */
struct pg_frame {
	uint8_t		*data;		/* vhdr + frame at the largest size */
	unsigned	len;		/* vhdr + size */
	unsigned	vhdr;		/* virtio-net header bytes in front */
	unsigned	l3;		/* offsets in data */
	unsigned	l4;
	unsigned	pay;		/* UDP payload */
	int		af;
	bool		raw;		/* from -P: never rewritten */
	uint32_t	*psum;		/* payload sums by length/2 (varying sizes) */
	uint32_t	paysum;		/* payload sum at the largest size */
};

int pg_frame_build(struct pg_frame *f);
void pg_frame_free(struct pg_frame *f);
void pg_flow_init(struct pg_flow *fl);
void pg_flow_next(struct pg_flow *fl, uint64_t *rng);
void pg_frame_headers(const struct pg_frame *f, const struct pg_flow *fl,
    unsigned size, uint8_t *out);
void pg_csum_patch(uint8_t *frame, const struct pg_frame *f, unsigned payoff,
    const void *newbytes, unsigned n);
uint32_t pg_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t pg_csum_fold(uint32_t sum);

/* pcap.c */
int pg_pcap_first(const char *path, uint8_t **frame, unsigned *len, char *err,
    size_t errlen);

/* -------------------------------------------------------------- ports */

enum pg_kind { PG_KIND_NIC, PG_KIND_PIPE, PG_KIND_VALE, PG_KIND_NULL, PG_KIND_OTHER };

/* one open netmap port (one ring set), or the null pseudo port */
struct pg_port {
	struct nmport_d	*d;		/* NULL for the null port */
	int		fd;
	const char	*name;
	enum pg_kind	kind;
	struct netmap_if *nifp;
	unsigned	first_tx, last_tx;	/* inclusive, empty if last < first */
	unsigned	first_rx, last_rx;
	unsigned	vhdr;
	/* null port: one private ring */
	struct netmap_ring *null_ring;
	void		*null_mem;
};

struct pg_port_info {
	enum pg_kind	kind;
	char		vpname[64];	/* name the port has on the netmap side */
	unsigned	tx_rings, rx_rings;	/* hardware rings of the port */
	unsigned	host_tx_rings, host_rx_rings;
	unsigned	tx_slots, rx_slots;
	unsigned	buf_size;
	unsigned	mem_id;
	uint32_t	orig_mode;
};

char *pg_port_spec(const char *name, const char *ring_conf);
int pg_port_open(struct pg_port *p, const char *spec, int ring, unsigned hw_rings,
    bool rx_only, struct pg_port_info *info);
void pg_port_close(struct pg_port *p);
struct netmap_ring *pg_txring(struct pg_port *p, unsigned i);
struct netmap_ring *pg_rxring(struct pg_port *p, unsigned i);
int pg_port_txsync(struct pg_port *p);
void pg_port_drain(struct pg_port *p, struct timespec *done);
int pg_port_wait(struct pg_port *p, short events, int timeout_ms);
void pg_port_set_vhdr(struct pg_port *p, int want);
enum pg_kind pg_kind_of(const char *vpname);

/* ----------------------------------------------------------- threads */

/* what a thread has done: written by it, read by the reporter */
struct pg_stats {
	uint64_t	pkts;
	uint64_t	bytes;
	uint64_t	events;
} __attribute__((aligned(64)));

struct pg_rtt {
	uint64_t	sent, received, lost;
	uint64_t	min, max, sum, n;	/* ns */
};

struct pg_seqstats {
	uint64_t	packets;
	uint64_t	gaps, missing;
	uint64_t	reorder;
	uint64_t	frag_errors;
	uint64_t	malformed;
	uint32_t	first, last;
	bool		started;
};

enum pg_role { ROLE_TX, ROLE_RX, ROLE_TXSEQ, ROLE_RXSEQ, ROLE_PING, ROLE_PONG };

struct pg_thread {
	struct pg_stats	st;		/* own cache line */
	struct pg_rtt	rtt;		/* ping, and rx with -o 16 */
	struct pg_rtt	rtt_window;	/* since the last report */
	pthread_mutex_t	rtt_lock;
	struct pg_seqstats seq;

	int		id;
	enum pg_role	role;
	struct pg_port	*txp, *rxp;	/* where this thread sends / receives */
	uint64_t	quota;		/* packets, 0 = forever */
	uint64_t	rate;		/* pps for this thread, 0 = no limit */
	unsigned	burst;
	int		cpu;		/* -1: not pinned */
	uint64_t	rng;
	struct pg_frame	*frame;

	pthread_t	tid;
	bool		running;
	struct timespec	tic, toc;	/* first and last packet */
	bool		have_tic;
	volatile int	done;		/* 1 finished, 2 failed */
};

extern struct pg_thread *pg_threads;
extern int pg_nthreads;
extern volatile sig_atomic_t pg_stop;
extern uint64_t pg_rx_total;	/* packets received by all threads (atomic) */

/* threads.c */
void pg_signals_init(void);
int pg_threads_start(void);
int pg_set_affinity(struct pg_thread *t);
void pg_thread_finish(struct pg_thread *t, bool ok);
static inline bool pg_stopping(void) { return pg_stop != 0; }
uint64_t pg_now_ns(void);
void pg_gettime(struct timespec *ts);
void pg_sleep_ns(uint64_t ns);	/* wakes early on stop */

/* pacing: bursts of t->burst packets at t->rate */
struct pg_pacer {
	uint64_t	next;		/* ns, monotonic */
	uint64_t	period;		/* ns per burst */
	uint64_t	budget;		/* packets left in this period */
	uint64_t	burst;
};
void pg_pacer_init(struct pg_pacer *p, uint64_t rate, unsigned burst);
uint64_t pg_pacer_allow(struct pg_pacer *p);	/* blocks until >0 packets may go */
void pg_pacer_used(struct pg_pacer *p, uint64_t n);

static inline void
pg_stats_add(struct pg_thread *t, uint64_t pkts, uint64_t bytes, uint64_t events)
{
	__atomic_store_n(&t->st.pkts, t->st.pkts + pkts, __ATOMIC_RELAXED);
	__atomic_store_n(&t->st.bytes, t->st.bytes + bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&t->st.events, t->st.events + events, __ATOMIC_RELAXED);
}

static inline void
pg_mark_tic(struct pg_thread *t)
{
	if (!t->have_tic) {
		pg_gettime(&t->tic);
		t->have_tic = true;
	}
}

/* ------------------------------------------------ the thread bodies */

void *pg_tx_body(void *arg);		/* tx and txseq */
void *pg_rx_body(void *arg);		/* rx and rxseq */
void *pg_ping_body(void *arg);
void *pg_pong_body(void *arg);

/* seq.c */
struct pg_seqstate {
	uint32_t	expect;
	bool		started;
	unsigned	frags, last_frags;
	unsigned	have;		/* bytes of the packet's prefix collected */
	unsigned	vhdr;
	uint8_t		prefix[PG_MAX_VHDR + PG_ETH_LEN + PG_IP6_LEN + PG_UDP_LEN + 16];
};
bool pg_prefix_add(struct pg_seqstate *s, const uint8_t *buf, unsigned len, bool more);
void pg_prefix_reset(struct pg_seqstate *s);
void pg_seq_check(struct pg_thread *t, struct pg_seqstate *s, unsigned vhdr);
uint64_t pg_ts_read(const struct pg_seqstate *s, unsigned vhdr);

/* timestamps in the payload (ping, -o 16) */
#define PG_TS_OFF	4	/* after the 4-byte sequence number */
#define PG_TS_LEN	8
void pg_rtt_add(struct pg_thread *t, uint64_t ns);
int pg_payload_offset(const uint8_t *frame, unsigned len, unsigned vhdr);

/* report.c */
const char *pg_norm(char *buf, size_t len, double val);
void pg_report_loop(void);
int pg_summary(void);
void pg_hexdump(const char *what, const struct netmap_ring *ring, unsigned slot,
    const uint8_t *p, unsigned len);

#endif /* PKTGEN_H */
