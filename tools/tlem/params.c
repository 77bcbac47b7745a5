/*
 * params.c - one direction's emulation from its options, as netmap's tlem
 * reads them: -B, -D, -L (tools/common/linkemu), -R const,p,t, -Q size
 * (k, m, g: powers of 1024), -P 0|1, -O offset, -d max lag, and the
 * server's limits -M max-delay[,max-bps[,max-hold]].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlem.h"

static void
keep(char *dst, const char *arg)
{
	snprintf(dst, 64, "%s", arg ? arg : "0");
}

static int
parse_qsize(const char *arg, uint64_t *out, char *err, size_t errlen)
{
	char *end;
	double v, m = 1;

	if (*arg >= '0' && *arg <= '9') {
		v = strtod(arg, &end);
		if (*end && end[1] == '\0') {
			switch (*end) {
			case 'k': case 'K': m = 1024; end++; break;
			case 'm': case 'M': m = 1024 * 1024; end++; break;
			case 'g': case 'G': m = 1024.0 * 1024 * 1024; end++; break;
			}
		}
		if (!*end && v * m < 1e15) {
			*out = (uint64_t)(v * m);
			return 0;
		}
	}
	snprintf(err, errlen, "-Q %s: a queue size is a number of bytes, with k, m or g for "
	    "KiB, MiB, GiB (0: no limit)", arg);
	return -1;
}

static int
parse_reorder(struct tl_params *p, const char *arg, char *err, size_t errlen)
{
	char buf[128], *w[4];
	int n = lm_split(arg, buf, sizeof(buf), w, 4);
	double prob, t;

	if (n == 1 && strcmp(w[0], "0") == 0) {
		p->hold_p = p->hold_t = 0;
		return 0;
	}
	if ((n == 2 || (n == 3 && strcmp(w[0], "const") == 0)) &&
	    lm_prob_value(w[n - 2], &prob) && lm_time_value(w[n - 1], &t)) {
		p->hold_p = prob;
		p->hold_t = t;
		return 0;
	}
	snprintf(err, errlen, "-R %s: reordering is const,p,t (or p,t): with probability "
	    "0 <= p <= 1 a frame is held for time t (10ms, 250us)", arg);
	return -1;
}

int
tl_lag_parse(const char *arg, double *ns, char *err, size_t errlen)
{
	if (lm_time_value(arg, ns))
		return 0;
	snprintf(err, errlen, "-d %s: the longest a frame may be late before it is dropped is a "
	    "time (100us, 1ms; 0: never dropped)", arg);
	return -1;
}

/* netmap's "none": as if not given */
static const char *
given(const char *arg)
{
	return arg && strcmp(arg, "none") != 0 ? arg : NULL;
}

int
tl_params_parse(struct tl_params *p, const struct tl_args *args, char *err, size_t errlen)
{
	struct tl_args x = { given(args->B), given(args->D), given(args->L), given(args->R),
		given(args->Q), args->M, given(args->P), given(args->O), args->d };
	const struct tl_args *a = &x;

	memset(p, 0, sizeof(*p));
	p->link.bw = LM_BW_CONST;
	if (a->B && lm_parse_bw(&p->link, a->B, LM_ALLOW_AVG, err, errlen) < 0)
		return -1;
	if (a->D && lm_parse_delay(&p->link, a->D, LM_ALLOW_IPD, err, errlen) < 0)
		return -1;
	if (a->L && lm_parse_loss(&p->link, a->L, err, errlen) < 0)
		return -1;
	if (a->R && parse_reorder(p, a->R, err, errlen) < 0)
		return -1;
	/*
	 * a bandwidth needs a finite queue, or the delay grows without bound;
	 * avg queues nothing (its excess is dropped at once): none, as netmap's
	 */
	if (a->Q) {
		if (parse_qsize(a->Q, &p->qsize, err, errlen) < 0)
			return -1;
	} else if (p->link.bps > 0 && p->link.bw != LM_BW_AVG) {
		p->qsize = TL_DEF_QSIZE;
	}
	if (a->P) {
		if (strcmp(a->P, "0") != 0 && strcmp(a->P, "1") != 0) {
			snprintf(err, errlen, "-P %s: 1 drops frames rather than reorder them, "
			    "0 delays them", a->P);
			return -1;
		}
		p->allow_drop = a->P[0] == '1';
	}
	if (a->O && !lm_time_value(a->O, &p->delay_offset)) {
		snprintf(err, errlen, "-O %s: the delay offset is a time (10us)", a->O);
		return -1;
	}
	keep(p->text[0], a->B);
	keep(p->text[1], a->D);
	keep(p->text[2], a->L);
	keep(p->text[3], a->R);
	return 0;
}

int
tl_limits_parse(struct tl_dir_sess *ds, const char *arg, char *err, size_t errlen)
{
	char buf[128], *w[4];
	int n = lm_split(arg, buf, sizeof(buf), w, 4);
	double d = 0, b = 0, h = 0;

	if (n < 1 || n > 3 || !lm_time_value(w[0], &d) || (n > 1 && !lm_bw_value(w[1], &b)) ||
	    (n > 2 && !lm_time_value(w[2], &h))) {
		snprintf(err, errlen, "-M %s: the limits are max-delay[,max-bps[,max-hold]] "
		    "(netmap's code reads this order): 100ms,1G,10ms", arg);
		return -1;
	}
	if (d > ds->max_delay)
		ds->max_delay = d;
	if (b > ds->max_bps)
		ds->max_bps = b;
	if (h > ds->max_hold)
		ds->max_hold = h;
	return 0;
}

int
tl_params_check(const struct tl_params *p, const struct tl_dir_sess *ds, char *err,
    size_t errlen)
{
	double d = lm_delay_max(&p->link);

	if (d > ds->max_delay) {
		snprintf(err, errlen, "-D %s: the delay may reach %.0f us, above the running "
		    "tlem's limit of %.0f us (its -D, or -M when it started)", p->text[1], d / 1e3,
		    ds->max_delay / 1e3);
		return -1;
	}
	if (ds->max_bps > 0 && p->link.bps > ds->max_bps) {
		snprintf(err, errlen, "-B %s: above the running tlem's limit of %.0f bps (its -B, "
		    "or -M when it started)", p->text[0], ds->max_bps);
		return -1;
	}
	if (p->hold_p > 0 && p->hold_t > ds->max_hold) {
		snprintf(err, errlen, "-R %s: a hold above the running tlem's limit of %.0f us "
		    "(its -R, or -M when it started)", p->text[3], ds->max_hold / 1e3);
		return -1;
	}
	return 0;
}

void
tl_params_describe(const struct tl_params *p, char *buf, size_t len)
{
	char q[32];

	if (p->qsize)
		snprintf(q, sizeof(q), "%llu bytes", (unsigned long long)p->qsize);
	else
		snprintf(q, sizeof(q), "no limit");
	snprintf(buf, len, "bandwidth %s, delay %s, loss %s, reorder %s, queue %s", p->text[0],
	    p->text[1], p->text[2], p->text[3], q);
}
