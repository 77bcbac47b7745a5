/*
 * sched.c - when each frame of the trace leaves, and which are lost.
 *
 * netmap's nmreplay model, frame after frame:
 *   - the loss (-L) is drawn first: a lost frame takes no link time;
 *   - its transmission time tt: the gap to the frame before it in the
 *     trace (the default, and -B real, divided by the speedup), or its
 *     length at the rate of -B (ether: 24 bytes more for preamble, gap
 *     and CRC); the queue releases it at qout += tt;
 *   - the delay (-D) is added: it leaves the delay line at
 *     max(qout + delay, previous departure + tt), so no frame ever
 *     overtakes another.
 * Times are kept in double nanoseconds, so that rates are not bent by
 * rounding each frame's time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "replay.h"

/* ------------------------------------------------------------ arguments */

/* the comma-separated words of @arg (at most @max), in @buf; their number, -1 if too many */
static int
split(const char *arg, char *buf, size_t len, char **w, int max)
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

/* bits per second: 20M, 1.5G, 100k, 20Mbps, 20M/s... */
static bool
bw_value(const char *s, double *out)
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

/* nanoseconds: a number of seconds, or with n, u, m, s (ns, us, ms too) */
static bool
time_value(const char *s, double *out)
{
	static const double m[] = { 1, 1e3, 1e6, 1e9 };

	if (number(s, out, "nums", m, 1e9, "s"))
		return true;
	return false;
}

int
rp_parse_bw(struct rp_cfg *c, const char *arg, char *err, size_t errlen)
{
	char buf[128], *w[3];
	int n = split(arg, buf, sizeof(buf), w, 3);

	if (n == 1 && strcmp(w[0], "real") == 0) {
		c->bw = RP_BW_REAL;
		c->speedup = 1;
		return 0;
	}
	if (n == 2 && strcmp(w[0], "real") == 0) {
		char *end;
		double v = strtod(w[1], &end);

		if (end == w[1] || *end || !(v > 0) || v > 1000) {
			snprintf(err, errlen, "-B %s: the speedup of real is a number above 0, up "
			    "to 1000", arg);
			return -1;
		}
		c->bw = RP_BW_REAL;
		c->speedup = v;
		return 0;
	}
	if (n == 1 && bw_value(w[0], &c->bps)) {
		c->bw = RP_BW_CONST;
		return 0;
	}
	if (n == 2 && strncmp(w[0], "const", 5) == 0 && strncmp(w[0], "constant", strlen(w[0])) == 0 &&
	    bw_value(w[1], &c->bps)) {
		c->bw = RP_BW_CONST;
		return 0;
	}
	if (n == 2 && strcmp(w[0], "ether") == 0 && bw_value(w[1], &c->bps)) {
		c->bw = RP_BW_ETHER;
		return 0;
	}
	snprintf(err, errlen, "-B %s: a bandwidth is bps, constant,bps, ether,bps or "
	    "real[,speedup] (bps: a number with k, M or G; 0: as fast as possible)", arg);
	return -1;
}

int
rp_parse_delay(struct rp_cfg *c, const char *arg, char *err, size_t errlen)
{
	char buf[128], *w[4];
	int n = split(arg, buf, sizeof(buf), w, 4);
	double a, b;

	if (n == 1 && time_value(w[0], &a)) {
		c->delay = a > 0 ? RP_D_CONST : RP_D_NONE;
		c->d1 = a;
		return 0;
	}
	if (n == 2 && strncmp(w[0], "const", 5) == 0 && strncmp(w[0], "constant", strlen(w[0])) == 0 &&
	    time_value(w[1], &a)) {
		c->delay = a > 0 ? RP_D_CONST : RP_D_NONE;
		c->d1 = a;
		return 0;
	}
	if (n == 3 && strcmp(w[0], "uniform") == 0 && time_value(w[1], &a) &&
	    time_value(w[2], &b)) {
		if (a > b) {
			snprintf(err, errlen, "-D %s: uniform,dmin,dmax wants dmin <= dmax", arg);
			return -1;
		}
		c->delay = RP_D_UNIFORM;
		c->d1 = a;
		c->d2 = b;
		return 0;
	}
	if (n == 3 && strcmp(w[0], "exp") == 0 && time_value(w[1], &a) && time_value(w[2], &b)) {
		/*
		 * netmap's man page writes exp,dmin,davg and its code reads
		 * exp,davg,dmin; the average is never below the minimum, so
		 * either order says the same
		 */
		c->delay = RP_D_EXP;
		c->d1 = a < b ? a : b;
		c->d2 = a < b ? b : a;
		return 0;
	}
	snprintf(err, errlen, "-D %s: a delay is t, constant,t, uniform,dmin,dmax or exp,dmin,davg "
	    "(times in seconds, or with n, u, m, s: 10ms, 250us)", arg);
	return -1;
}

int
rp_parse_loss(struct rp_cfg *c, const char *arg, char *err, size_t errlen)
{
	char buf[128], *w[3];
	int n = split(arg, buf, sizeof(buf), w, 3);
	double v;
	char *end;
	const char *num = n == 1 ? w[0] : n == 2 ? w[1] : NULL;

	if (num && (n == 1 || strcmp(w[0], "plr") == 0 || strcmp(w[0], "ber") == 0)) {
		v = strtod(num, &end);
		if (end != num && !*end && v >= 0 && v <= 1) {
			c->loss = v == 0 ? RP_L_NONE : (n == 2 && w[0][0] == 'b') ? RP_L_BER : RP_L_PLR;
			c->lval = v;
			return 0;
		}
	}
	snprintf(err, errlen, "-L %s: a loss is x, plr,x (a packet's loss probability) or ber,x "
	    "(a bit's), 0 <= x <= 1", arg);
	return -1;
}

/* ------------------------------------------------------------ randomness */

/* splitmix64: small, fast, and good enough for drawing losses and delays */
static uint64_t
rnd64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static double
rnd01(uint64_t *s)
{
	return (double)(rnd64(s) >> 11) * 0x1.0p-53;
}

/* ------------------------------------------------------------ the schedule */

int
rp_sched_init(struct rp_sched *s, const struct rp_cfg *c, const struct rp_trace *tr,
    uint64_t passes)
{
	struct timespec ts;

	memset(s, 0, sizeof(*s));
	s->cfg = *c;
	s->tr = tr;
	s->passes = passes;
	s->random = c->loss != RP_L_NONE || c->delay == RP_D_UNIFORM || c->delay == RP_D_EXP;
	s->period_passes = (uint32_t)(1 + RP_PERIOD_MIN / tr->n);
	s->cap = (size_t)s->period_passes * tr->n;
	s->e = malloc(s->cap * sizeof(*s->e));
	if (!s->e)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid() << 40;
	return 0;
}

/* how much link time frame @i takes; @first: the first of a pass */
static double
link_time(const struct rp_sched *s, size_t i)
{
	const struct rp_trace *tr = s->tr;
	const struct rp_cfg *c = &s->cfg;

	switch (c->bw) {
	case RP_BW_CONST:
		return c->bps > 0 ? 8e9 * tr->f[i].len / c->bps : 0;
	case RP_BW_ETHER:
		return c->bps > 0 ? 8e9 * (tr->f[i].len + 24.0) / c->bps : 0;
	case RP_BW_REAL:
	default:
		if (i == 0)
			return (double)tr->first_gap / c->speedup;
		/* a frame stamped before the one before it goes right after it */
		return tr->f[i].ts > tr->f[i - 1].ts ?
		    (double)(tr->f[i].ts - tr->f[i - 1].ts) / c->speedup : 0;
	}
}

/* may frame @i go? (draws against -L, keeps the statistics) */
static bool
survives(struct rp_sched *s, size_t i)
{
	double p;

	if (s->cfg.loss == RP_L_NONE)
		return true;
	if (s->cfg.loss == RP_L_PLR)
		p = s->cfg.lval;
	else	/* every one of its bits must survive: 1 - (1 - ber)^bits */
		p = -expm1(8.0 * s->tr->f[i].len * log1p(-s->cfg.lval));
	s->judged++;
	s->expected += p;
	if (rnd01(&s->rng) < p) {
		s->lost++;
		return false;
	}
	return true;
}

static double
delay(struct rp_sched *s)
{
	switch (s->cfg.delay) {
	case RP_D_CONST:
		return s->cfg.d1;
	case RP_D_UNIFORM:
		return s->cfg.d1 + (s->cfg.d2 - s->cfg.d1) * rnd01(&s->rng);
	case RP_D_EXP:
		return s->cfg.d1 - (s->cfg.d2 - s->cfg.d1) * log1p(-rnd01(&s->rng));
	default:
		return 0;
	}
}

bool
rp_sched_next(struct rp_sched *s)
{
	uint64_t passes;

	if (s->passes && s->passes_done >= s->passes)
		return false;
	passes = s->period_passes;
	if (s->passes && s->passes - s->passes_done < passes)
		passes = s->passes - s->passes_done;
	/* the same period again, later: nothing in it is drawn at random */
	if (!s->random && s->ne && passes == s->period_passes) {
		/* the sender adds s->shift to the times of the first computation */
		s->shift += s->period_len;
		s->qout += s->period_len;
		s->qtx += s->period_len;
		s->passes_done += passes;
		return true;
	}
	s->ne = 0;
	{
		double start = s->qout;

		for (uint64_t p = 0; p < passes; p++) {
			for (size_t i = 0; i < s->tr->n; i++) {
				double tt, t;

				if (!survives(s, i))
					continue;
				tt = link_time(s, i);
				s->qout += tt;
				t = s->qout + delay(s);
				s->qtx = t >= s->qtx + tt ? t : s->qtx + tt;
				s->e[s->ne].t = (uint64_t)s->qtx;
				s->e[s->ne].idx = (uint32_t)i;
				s->e[s->ne].off = s->tr->f[i].off;
				s->e[s->ne].len = s->tr->f[i].len;
				s->ne++;
			}
		}
		s->period_len = s->qout - start;
	}
	s->shift = 0;
	s->passes_done += passes;
	return true;
}

void
rp_sched_free(struct rp_sched *s)
{
	free(s->e);
	s->e = NULL;
}
