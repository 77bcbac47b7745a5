/*
 * tlem.h - what tlem's files share.
 *
 *   main.c     command line, the ports, the threads, statistics, the end
 *   params.c   one direction's emulation from -B -D -L -R -Q -M -P -O -d
 *   session.c  -s: the session file through which a running tlem (the
 *              server) takes new parameters from later ones (clients); -a
 *   line.c     per direction, the producer (input port -> delay line) and
 *              the consumer (delay line -> output port at the frame's time)
 *   route.c    -r: an IPv4 router between the two ports' subnets (ARP)
 *
 * As netmap's tlem: frames are copied into a delay line in memory with the
 * time each must leave, computed when it arrives (loss, then the queue,
 * then the link's transmission time, then the delay, never reordering
 * except with -R); the consumer sends each at its time.
 */
#ifndef TLEM_H
#define TLEM_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/common/linkemu.h"

#define TL_MAX_PKT	9200u		/* a frame's length, at most (netmap's) */
#define TL_DEF_QSIZE	50000u		/* -Q when -B is given alone (netmap's) */
#define TL_NINST	2		/* parameter sets per direction: one in use, one to fill */

extern int tl_verbose;
extern volatile sig_atomic_t tl_stop;

/* one direction's emulation: what a client may change */
struct tl_params {
	struct lm_cfg link;	/* -B -D -L */
	double hold_p, hold_t;	/* -R const,p,t: with probability p held t ns */
	uint64_t qsize;		/* -Q bytes; 0: no limit */
	double delay_offset;	/* -O ns, taken from each delay */
	int allow_drop;		/* -P 1: drop what would be reordered, keep the delay exact */
	char text[4][64];	/* the -B -D -L -R arguments as given, for messages */
};

/* counters of one direction, in the session file (live) or in memory */
struct tl_stats {
	_Atomic uint64_t in, in_bytes;	/* read from the input port */
	_Atomic uint64_t out, out_bytes;	/* sent into the output port */
	_Atomic uint64_t lost;		/* -L */
	_Atomic uint64_t qdrop;		/* -Q full, or the delay line full */
	_Atomic uint64_t held;		/* -R */
	_Atomic uint64_t other;		/* short or too long, reorder refused (-P), late (-d), not routable */
} __attribute__((aligned(128)));

/* one direction's part of the session */
struct tl_dir_sess {
	double max_bps, max_delay, max_hold;	/* the server's limits (0 bps: none) */
	_Atomic uint32_t active;	/* parameter set to use; TL_NINST: stop */
	_Atomic uint32_t in_use;	/* the set the server's producer took last */
	struct tl_params inst[TL_NINST];
};

struct tl_session {
	uint32_t magic, version;
	struct tl_stats stats[2];
	/* what follows is the clients' part (they lock it one at a time) */
	struct tl_dir_sess dir[2];
};
#define TL_SESS_MAGIC	0x746c656du	/* "tlem" */
#define TL_SESS_VERSION	2u	/* 2: struct lm_cfg gained d3 (-D inter-packet) */
#define TL_SESS_CLIENT_OFF	offsetof(struct tl_session, dir)

/* -s: map @path (NULL: private memory); *server set; NULL with a message on error */
struct tl_session *tl_session_open(const char *path, bool *server);
/* the server, set up: clients may now come in */
int tl_session_allow_clients(void);
/* a client asking the server to stop (-a): wait until it has */
int tl_session_wait_end(void);
void tl_session_close(struct tl_session *s);

/* ------------------------------------------------------------ params.c */

/* the per-direction options as given (NULL: not given) */
struct tl_args {
	const char *B, *D, *L, *R, *Q, *M, *P, *O, *d;
};

/* one direction's parameters from @a; 0, or -1 with a message in @err */
int tl_params_parse(struct tl_params *p, const struct tl_args *a, char *err, size_t errlen);
/* -M max-delay[,max-bps[,max-hold]] into the session's limits */
int tl_limits_parse(struct tl_dir_sess *ds, const char *arg, char *err, size_t errlen);
/* does @p fit within the limits a server set? 0, or -1 with a message */
int tl_params_check(const struct tl_params *p, const struct tl_dir_sess *ds, char *err,
    size_t errlen);
/* "-d" max lag, ns (0: none) */
int tl_lag_parse(const char *arg, double *ns, char *err, size_t errlen);
void tl_params_describe(const struct tl_params *p, char *buf, size_t len);

/* ------------------------------------------------------------ route.c */

struct tl_arp_cmd {
	_Atomic uint8_t state;	/* 0 empty, 1 written */
	uint8_t op;		/* ARPOP_REQUEST or ARPOP_REPLY */
	uint8_t mac[6];
	uint32_t ip;		/* network order */
};
#define TL_ARPQ	16
struct tl_arpq {		/* producer of one port -> consumer sending into it */
	struct tl_arp_cmd q[TL_ARPQ];
	uint32_t head __attribute__((aligned(64)));	/* the consumer's */
	uint32_t tail __attribute__((aligned(64)));	/* the producer's */
};

struct tl_arp_ent {
	uint64_t next_req;	/* ns: ask again (ARP request) after this */
	uint8_t mac[6];
	uint8_t known;
};

struct tl_ipif {		/* one port's interface, in route mode */
	char name[16];		/* IFNAMSIZ */
	uint32_t ip, mask, subnet, bcast, gw;	/* network order */
	uint8_t mac[6];
	struct tl_arp_ent *arp;	/* indexed by the host part */
	size_t arp_n;
};

/* reads @port's interface (netmap:IF) address, mask, MAC; @gw the -G gateway or NULL */
int tl_route_init(struct tl_ipif *ifp, const char *port, const char *gw, char *err,
    size_t errlen);
/* producer: an ARP frame received on @ifp's port, for the consumer sending into it */
void tl_route_arp_in(const struct tl_ipif *ifp, struct tl_arpq *q, const uint8_t *f,
    uint32_t len);
struct tl_dir;
/* consumer: answer ARP requests, learn replies; number of frames queued */
unsigned tl_route_arp_out(struct tl_dir *d, uint64_t now);
/* consumer: rewrite @f's MACs for its way out; 1 if it goes, 0 if dropped
 * (*counted: a drop netmap counts), sending ARP requests as needed */
int tl_route_frame(struct tl_dir *d, uint8_t *f, uint32_t len, uint64_t now, bool *counted);

/* ------------------------------------------------------------ line.c */

struct nmport_d;

struct tl_dir {
	int idx;			/* 0: port 1 -> port 2, 1: the other way */
	const char *in_name, *out_name;
	struct nmport_d *in, *out;
	struct tl_dir_sess *sess;	/* parameters (and limits) */
	struct tl_stats *st;
	unsigned burst;
	int prod_cpu, cons_cpu;		/* -C; -1 nowhere */
	double max_lag;			/* -d, ns; 0: none */
	bool hugepages;

	/* the delay line: producer writes at tail, consumer reads at head */
	uint8_t *buf;
	uint64_t buflen;
	uint8_t *hold;			/* -R: frames held back, the producer's alone */
	uint64_t holdlen;
	unsigned cur_tx;		/* the output ring tried first */
	_Atomic uint64_t tail __attribute__((aligned(128)));
	_Atomic uint64_t head __attribute__((aligned(128)));

	/* route mode */
	bool route;
	struct tl_ipif *in_if, *out_if;	/* out_if: where the consumer sends */
	struct tl_arpq *arp_in;		/* producer: what it read on its port */
	struct tl_arpq *arp_out;	/* consumer: what the other producer read on out */

	pthread_t prod_th, cons_th;
	int error;			/* errno of a port failure, 0 */
};

/* the delay line sized for the limits; 0 or -1 (errno) */
int tl_dir_alloc(struct tl_dir *d);
void tl_dir_free(struct tl_dir *d);
void *tl_producer(void *arg);
void *tl_consumer(void *arg);
void tl_pin(int cpu, const char *who);
/* copies @len bytes into @d's output port (slots, NS_MOREFRAG); false if no room */
bool tl_inject(struct tl_dir *d, const uint8_t *f, uint32_t len);

#endif
