/*
 * linkemu.h - the link models nmreplay and tlem share, as netmap's two
 * tools define them: a bandwidth (-B), a delay (-D) and a loss (-L), the
 * numbers they are written with, and the random draws behind them.
 *
 *   -B bps | constant,bps | ether,bps     (nmreplay also: real[,speedup];
 *                                          tlem also: avg,bps)
 *   -D t | constant,t | uniform,dmin,dmax | exp,dmin,davg
 *                                         (tlem also: inter-packet,gmin,gmax,t)
 *   -L x | plr,x | ber,x
 *
 * Times are nanoseconds, kept in doubles so that rates are not bent by
 * rounding each frame's time.
 */
#ifndef LINKEMU_H
#define LINKEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lm_bw { LM_BW_REAL, LM_BW_CONST, LM_BW_ETHER, LM_BW_AVG };
enum lm_delay { LM_D_NONE, LM_D_CONST, LM_D_UNIFORM, LM_D_EXP, LM_D_IPD };
enum lm_loss { LM_L_NONE, LM_L_PLR, LM_L_BER };

struct lm_cfg {
	enum lm_bw bw;
	double bps;		/* LM_BW_CONST, LM_BW_ETHER; 0: no limit.  LM_BW_AVG: > 0 */
	double speedup;		/* LM_BW_REAL (nmreplay only) */
	enum lm_delay delay;
	double d1, d2, d3;	/* ns: const d1; uniform d1..d2; exp min d1, average d2;
				 * inter-packet gaps d1..d2, d3 when the line is idle */
	enum lm_loss loss;
	double lval;		/* packet or bit error rate */
};

/* what the tool accepts beyond the common models: each is one tool's */
#define LM_ALLOW_REAL	1	/* -B real[,speedup]: nmreplay's */
#define LM_ALLOW_AVG	2	/* -B avg,bps: tlem's token bucket */
#define LM_ALLOW_IPD	4	/* -D inter-packet,gmin,gmax,t: tlem's */

/*
 * -B, -D, -L arguments into @c; 0, or -1 with a message naming the
 * option and what it accepts in @err.  @flags: the LM_ALLOW_ models the
 * tool has (the others are refused as any unknown word).
 */
int lm_parse_bw(struct lm_cfg *c, const char *arg, int flags, char *err, size_t errlen);
int lm_parse_delay(struct lm_cfg *c, const char *arg, int flags, char *err, size_t errlen);
int lm_parse_loss(struct lm_cfg *c, const char *arg, char *err, size_t errlen);

/* single values: bits per second (20M, 1.5G, 100k, 20Mbps), nanoseconds
 * (a number of seconds, or with n, u, m, s: 10ms, 250us); false if not one */
bool lm_bw_value(const char *s, double *bps);
bool lm_time_value(const char *s, double *ns);
/* a probability 0 <= p <= 1 */
bool lm_prob_value(const char *s, double *p);

/* the comma-separated words of @arg (at most @max) in @buf; their number, -1 if too many */
int lm_split(const char *arg, char *buf, size_t len, char **w, int max);

/* CLOCK_MONOTONIC, ns */
uint64_t lm_now(void);

/* randomness: splitmix64, seeded from the clock and the process */
uint64_t lm_seed(void);
uint64_t lm_rnd64(uint64_t *s);
double lm_rnd01(uint64_t *s);	/* uniform in [0, 1) */

/* link time of a frame of @len bytes at a constant (ether: +24 bytes) rate; 0 unlimited */
double lm_link_time(const struct lm_cfg *c, uint32_t len);
/* the loss probability of a frame of @len bytes */
double lm_loss_prob(const struct lm_cfg *c, uint32_t len);
/* a delay drawn from -D (ns); not LM_D_IPD, which depends on the line (below) */
double lm_delay_draw(const struct lm_cfg *c, uint64_t *rng);
/*
 * LM_D_IPD, netmap's tlem "inter-packet": the delay (ns, from @now) of a
 * frame arriving at @now when the one before it leaves the line at
 * @last_exit: a gap drawn in gmin..gmax after it, or d3 after @now if
 * it has already left (the line is idle)
 */
double lm_ipd_delay(const struct lm_cfg *c, uint64_t *rng, double last_exit, double now);
/* the largest delay -D gives, for sizing buffers and for limits (exp: min + 4 x
 * (avg - min); inter-packet: its idle delay; both netmap's) */
double lm_delay_max(const struct lm_cfg *c);

/*
 * LM_BW_AVG, netmap's tlem "avg": a token bucket filled at the rate, as
 * deep as 4 x 2^20 ns of it but at least two 9200-byte frames; a frame
 * costs its length + 24 (Ethernet framing), takes no link time, and is
 * dropped if the bucket has not that much.  Empty when the line starts.
 */
struct lm_bucket {
	double level;		/* bytes */
	uint64_t last;		/* ns: filled up to this time */
};
double lm_bucket_depth(const struct lm_cfg *c);
void lm_bucket_start(struct lm_bucket *b, const struct lm_cfg *c, uint64_t now, bool full);
/* true (its bytes taken) if a frame of @len bytes conforms at @now */
bool lm_bucket_take(const struct lm_cfg *c, struct lm_bucket *b, uint32_t len, uint64_t now);

#endif
