/*
 * replay.h - what nmreplay's files share.
 *
 *   main.c    command line, the statistics loop, the summary
 *   trace.c   the pcap file, read with libpcap into memory
 *   sched.c   the schedule: when each frame leaves (-B, -D), which are lost (-L)
 *   tx.c      the transmit thread: frames into the port's tx rings on time
 *
 * As netmap's nmreplay: the schedule is computed ahead of the thread that
 * sends, a period at a time (at least 10000 frames: the trace as many
 * times as that takes), and the trace is replayed over and over until
 * SIGINT (or, ours, -n passes).
 */
#ifndef NMREPLAY_H
#define NMREPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/common/linkemu.h"

#define RP_MAX_FRAME	65535u	/* a frame's length, at most */
#define RP_PERIOD_MIN	10000u	/* frames per schedule period, at least (netmap's) */

/* ------------------------------------------------------------ the trace */

struct rp_frame {
	uint64_t ts;		/* capture time, ns */
	uint64_t off;		/* of its bytes in rp_trace.data */
	uint32_t len;		/* sent: its length on the wire (what was not captured is zeros) */
	uint32_t caplen;
};

struct rp_trace {
	const char *path;
	uint8_t *data;
	struct rp_frame *f;
	size_t n;
	uint64_t bytes;		/* sum of len */
	uint64_t first_gap;	/* ns "before" the first frame, at the trace's average rate */
	uint64_t reordered;	/* frames stamped before the one before them */
};

/* reads @path; 0, or -1 with a message naming the file (and offset) in @err */
int rp_trace_load(struct rp_trace *t, const char *path, char *err, size_t errlen);
void rp_trace_free(struct rp_trace *t);

/* ------------------------------------------------------------ the schedule */

struct rp_entry {
	uint64_t t;		/* ns after the start */
	uint64_t off;		/* the frame's bytes in rp_trace.data */
	uint32_t len;		/* and its length: the sender reads nothing else */
	uint32_t idx;		/* frame of the trace */
};

struct rp_sched {
	struct lm_cfg cfg;
	const struct rp_trace *tr;
	bool random;		/* periods differ (random loss or delay): made anew each time */
	uint64_t passes;	/* -n: 0 forever */
	uint64_t passes_done;	/* scheduled so far */
	uint32_t period_passes;
	struct rp_entry *e;
	size_t ne, cap;
	double qout, qtx;	/* ns: when the last frame left the queue, the delay line */
	double shift;		/* added to a reused period's times */
	double period_len;	/* how much qout one period adds */
	uint64_t rng;
	/* -L statistics */
	uint64_t judged, lost;
	double expected;	/* sum of the loss probabilities drawn against */
};

int rp_sched_init(struct rp_sched *s, const struct lm_cfg *c, const struct rp_trace *tr,
    uint64_t passes);
/* the next period into s->e / s->ne; false when every pass is scheduled */
bool rp_sched_next(struct rp_sched *s);
void rp_sched_free(struct rp_sched *s);

/* ------------------------------------------------------------ sending */

struct nmport_d;

struct rp_tx {
	struct nmport_d *d;
	struct rp_sched *s;
	const struct rp_trace *tr;
	unsigned burst;		/* -b */
	int cpu;		/* -C; -1: anywhere */
	volatile int *stop;
	/* written by the thread, read by the statistics loop */
	uint64_t sent, bytes;
	uint64_t t_first, t_last;	/* CLOCK_MONOTONIC ns of the first and last frame */
	bool done;		/* every pass sent (or stopped) */
	int error;		/* errno of a failure, 0 */
};

void *rp_tx_main(void *arg);

#endif
