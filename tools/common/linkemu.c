/*
 * linkemu.c - bandwidth, delay and loss as netmap's nmreplay and tlem
 * write and draw them (see linkemu.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "linkemu.h"

/* ------------------------------------------------------------ arguments */

int
lm_split(const char *arg, char *buf, size_t len, char **w, int max)
{
	int n = 0;
	char *save = NULL, *tok;

	snprintf(buf, len, "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max)
			return -1;
		w[n++] = tok;
	}
	return n;
}

/* a number with an optional unit; false if @s is not one */
static bool
number(const char *s, double *out, const char *units, const double *mult, double dflt,
    const char *tail)
{
	char *end;
	double v;
	const char *u;

	if (!*s || (*s != '.' && (*s < '0' || *s > '9')))
		return false;
	v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0)
		return false;
	if (*end && (u = strchr(units, *end)) != NULL) {
		v *= mult[u - units];
		end++;
		if (*end && strcmp(end, tail) != 0)
			return false;
	} else if (*end) {
		return false;
	} else {
		v *= dflt;
	}
	*out = v;
	return true;
}

bool
lm_bw_value(const char *s, double *out)
{
	static const double m[] = { 1e3, 1e3, 1e6, 1e6, 1e9, 1e9 };
	char buf[64];
	size_t l = strlen(s);

	/* "bps" after the unit (or alone) is allowed and means nothing more */
	snprintf(buf, sizeof(buf), "%s", s);
	if (l > 3 && l < sizeof(buf) && strcmp(buf + l - 3, "bps") == 0)
		buf[l - 3] = '\0';
	return number(buf, out, "kKmMgG", m, 1, "");
}

bool
lm_time_value(const char *s, double *out)
{
	static const double m[] = { 1, 1e3, 1e6, 1e9 };

	return number(s, out, "nums", m, 1e9, "s");
}

bool
lm_prob_value(const char *s, double *p)
{
	char *end;
	double v;

	if (!*s)
		return false;
	v = strtod(s, &end);
	if (end == s || *end || !(v >= 0 && v <= 1))
		return false;
	*p = v;
	return true;
}

static bool
is_const(const char *w)
{
	return strncmp(w, "const", 5) == 0 && strncmp(w, "constant", strlen(w)) == 0;
}

int
lm_parse_bw(struct lm_cfg *c, const char *arg, int flags, char *err, size_t errlen)
{
	char buf[128], *w[3];
	int n = lm_split(arg, buf, sizeof(buf), w, 3);
	bool real = flags & LM_ALLOW_REAL;

	if (real && n == 1 && strcmp(w[0], "real") == 0) {
		c->bw = LM_BW_REAL;
		c->speedup = 1;
		return 0;
	}
	if (real && n == 2 && strcmp(w[0], "real") == 0) {
		char *end;
		double v = strtod(w[1], &end);

		if (end == w[1] || *end || !(v > 0) || v > 1000) {
			snprintf(err, errlen, "-B %s: the speedup of real is a number above 0, up "
			    "to 1000", arg);
			return -1;
		}
		c->bw = LM_BW_REAL;
		c->speedup = v;
		return 0;
	}
	if (n == 1 && lm_bw_value(w[0], &c->bps)) {
		c->bw = LM_BW_CONST;
		return 0;
	}
	if (n == 2 && is_const(w[0]) && lm_bw_value(w[1], &c->bps)) {
		c->bw = LM_BW_CONST;
		return 0;
	}
	if (n == 2 && strcmp(w[0], "ether") == 0 && lm_bw_value(w[1], &c->bps)) {
		c->bw = LM_BW_ETHER;
		return 0;
	}
	if ((flags & LM_ALLOW_AVG) && n >= 1 && strcmp(w[0], "avg") == 0) {
		double v;

		/* a bucket that never fills is no link: 0 is refused, not "no limit" */
		if (n != 2 || !lm_bw_value(w[1], &v) || !(v > 0)) {
			snprintf(err, errlen, "-B %s: avg,bps is a token bucket at an average of bps "
			    "bits per second, above 0 (k, M or G: avg,10M)", arg);
			return -1;
		}
		c->bw = LM_BW_AVG;
		c->bps = v;
		return 0;
	}
	if (real)
		snprintf(err, errlen, "-B %s: a bandwidth is bps, constant,bps, ether,bps or "
		    "real[,speedup] (bps: a number with k, M or G; 0: as fast as possible)", arg);
	else if (flags & LM_ALLOW_AVG)
		snprintf(err, errlen, "-B %s: a bandwidth is bps, constant,bps, ether,bps or avg,bps "
		    "(bps: a number with k, M or G; 0: no limit, but not for avg)", arg);
	else
		snprintf(err, errlen, "-B %s: a bandwidth is bps, constant,bps or ether,bps "
		    "(bps: a number with k, M or G; 0: no limit)", arg);
	return -1;
}

int
lm_parse_delay(struct lm_cfg *c, const char *arg, int flags, char *err, size_t errlen)
{
	char buf[128], *w[4];
	int n = lm_split(arg, buf, sizeof(buf), w, 4);
	double a, b, t;

	if (n == 1 && lm_time_value(w[0], &a)) {
		c->delay = a > 0 ? LM_D_CONST : LM_D_NONE;
		c->d1 = a;
		return 0;
	}
	if (n == 2 && is_const(w[0]) && lm_time_value(w[1], &a)) {
		c->delay = a > 0 ? LM_D_CONST : LM_D_NONE;
		c->d1 = a;
		return 0;
	}
	if (n == 3 && strcmp(w[0], "uniform") == 0 && lm_time_value(w[1], &a) &&
	    lm_time_value(w[2], &b)) {
		if (a > b) {
			snprintf(err, errlen, "-D %s: uniform,dmin,dmax wants dmin <= dmax", arg);
			return -1;
		}
		c->delay = LM_D_UNIFORM;
		c->d1 = a;
		c->d2 = b;
		return 0;
	}
	if (n == 3 && strcmp(w[0], "exp") == 0 && lm_time_value(w[1], &a) &&
	    lm_time_value(w[2], &b)) {
		/*
		 * netmap's man pages write exp,dmin,davg and some of its
		 * code reads exp,davg,dmin; the average is never below the
		 * minimum, so either order says the same
		 */
		c->delay = LM_D_EXP;
		c->d1 = a < b ? a : b;
		c->d2 = a < b ? b : a;
		return 0;
	}
	if ((flags & LM_ALLOW_IPD) && n >= 1 && strcmp(w[0], "inter-packet") == 0) {
		if (n != 4 || !lm_time_value(w[1], &a) || !lm_time_value(w[2], &b) ||
		    !lm_time_value(w[3], &t)) {
			snprintf(err, errlen, "-D %s: inter-packet,min-gap,max-gap,delay wants three "
			    "times (10ms, 250us): a frame leaves min-gap..max-gap after the one "
			    "before it, or delay after it came if the line was idle", arg);
			return -1;
		}
		if (a > b) {
			snprintf(err, errlen, "-D %s: inter-packet,min-gap,max-gap,delay wants "
			    "min-gap <= max-gap", arg);
			return -1;
		}
		c->delay = LM_D_IPD;
		c->d1 = a;
		c->d2 = b;
		c->d3 = t;
		return 0;
	}
	if (flags & LM_ALLOW_IPD)
		snprintf(err, errlen, "-D %s: a delay is t, constant,t, uniform,dmin,dmax, "
		    "exp,dmin,davg or inter-packet,min-gap,max-gap,delay (times in seconds, or "
		    "with n, u, m, s: 10ms, 250us)", arg);
	else
		snprintf(err, errlen, "-D %s: a delay is t, constant,t, uniform,dmin,dmax or "
		    "exp,dmin,davg (times in seconds, or with n, u, m, s: 10ms, 250us)", arg);
	return -1;
}

int
lm_parse_loss(struct lm_cfg *c, const char *arg, char *err, size_t errlen)
{
	char buf[128], *w[3];
	int n = lm_split(arg, buf, sizeof(buf), w, 3);
	double v;
	const char *num = n == 1 ? w[0] : n == 2 ? w[1] : NULL;

	if (num && (n == 1 || strcmp(w[0], "plr") == 0 || strcmp(w[0], "ber") == 0) &&
	    lm_prob_value(num, &v)) {
		c->loss = v == 0 ? LM_L_NONE : (n == 2 && w[0][0] == 'b') ? LM_L_BER : LM_L_PLR;
		c->lval = v;
		return 0;
	}
	snprintf(err, errlen, "-L %s: a loss is x, plr,x (a packet's loss probability) or ber,x "
	    "(a bit's), 0 <= x <= 1", arg);
	return -1;
}

/* ------------------------------------------------------------ time, randomness */

uint64_t
lm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t
lm_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid() << 40;
}

/* splitmix64: small, fast, and good enough for drawing losses and delays */
uint64_t
lm_rnd64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double
lm_rnd01(uint64_t *s)
{
	return (double)(lm_rnd64(s) >> 11) * 0x1.0p-53;
}

/* ------------------------------------------------------------ the models */

double
lm_link_time(const struct lm_cfg *c, uint32_t len)
{
	if (c->bps <= 0 || c->bw == LM_BW_AVG)	/* avg: conforming frames go at once */
		return 0;
	if (c->bw == LM_BW_ETHER)
		return 8e9 * (len + 24.0) / c->bps;	/* preamble, gap and CRC */
	return 8e9 * len / c->bps;
}

double
lm_loss_prob(const struct lm_cfg *c, uint32_t len)
{
	if (c->loss == LM_L_PLR)
		return c->lval;
	if (c->loss == LM_L_BER)	/* every one of its bits must survive: 1 - (1 - ber)^bits */
		return -expm1(8.0 * len * log1p(-c->lval));
	return 0;
}

double
lm_delay_draw(const struct lm_cfg *c, uint64_t *rng)
{
	switch (c->delay) {
	case LM_D_CONST:
		return c->d1;
	case LM_D_UNIFORM:
		return c->d1 + (c->d2 - c->d1) * lm_rnd01(rng);
	case LM_D_EXP:
		return c->d1 - (c->d2 - c->d1) * log1p(-lm_rnd01(rng));
	default:
		return 0;
	}
}

double
lm_delay_max(const struct lm_cfg *c)
{
	switch (c->delay) {
	case LM_D_CONST:
		return c->d1;
	case LM_D_UNIFORM:
		return c->d2;
	case LM_D_EXP:
		return c->d1 + 4 * (c->d2 - c->d1);
	case LM_D_IPD:
		return c->d3;
	default:
		return 0;
	}
}

double
lm_ipd_delay(const struct lm_cfg *c, uint64_t *rng, double last_exit, double now)
{
	if (last_exit < now)	/* idle: nothing to follow */
		return c->d3;
	return last_exit - now + c->d1 + (c->d2 - c->d1) * lm_rnd01(rng);
}

/* ------------------------------------------------------------ the token bucket */

#define LM_AVG_WINDOW	1048576.0	/* ns: 2^20, netmap's refill step */
#define LM_AVG_MIN	(2 * 9200.0)	/* bytes: two of the longest frames */
#define LM_AVG_FRAMING	24		/* bytes: preamble, gap and CRC */

double
lm_bucket_depth(const struct lm_cfg *c)
{
	double d = 4 * c->bps / 8e9 * LM_AVG_WINDOW;

	return d < LM_AVG_MIN ? LM_AVG_MIN : d;
}

void
lm_bucket_start(struct lm_bucket *b, const struct lm_cfg *c, uint64_t now, bool full)
{
	b->level = full ? lm_bucket_depth(c) : 0;
	b->last = now;
}

bool
lm_bucket_take(const struct lm_cfg *c, struct lm_bucket *b, uint32_t len, uint64_t now)
{
	double depth = lm_bucket_depth(c), need = (double)len + LM_AVG_FRAMING;

	/*
	 * netmap adds the tokens of whole 2^20 ns windows; we add them for
	 * the time that passed: the same average, without its 1 ms steps
	 */
	if (now > b->last) {
		b->level += (double)(now - b->last) * c->bps / 8e9;
		b->last = now;
	}
	if (b->level > depth)
		b->level = depth;
	if (need > b->level)
		return false;
	b->level -= need;
	return true;
}
