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

/* ------------------------------------------------------------ the schedule */

int
rp_sched_init(struct rp_sched *s, const struct lm_cfg *c, const struct rp_trace *tr,
    uint64_t passes)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *c;
	s->tr = tr;
	s->passes = passes;
	s->random = c->loss != LM_L_NONE || c->delay == LM_D_UNIFORM || c->delay == LM_D_EXP;
	s->period_passes = (uint32_t)(1 + RP_PERIOD_MIN / tr->n);
	s->cap = (size_t)s->period_passes * tr->n;
	s->e = malloc(s->cap * sizeof(*s->e));
	if (!s->e)
		return -1;
	s->rng = lm_seed();
	return 0;
}

/* how much link time frame @i takes; @first: the first of a pass */
static double
link_time(const struct rp_sched *s, size_t i)
{
	const struct rp_trace *tr = s->tr;
	const struct lm_cfg *c = &s->cfg;

	if (c->bw != LM_BW_REAL)
		return lm_link_time(c, tr->f[i].len);
	switch (c->bw) {
	case LM_BW_REAL:
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

	if (s->cfg.loss == LM_L_NONE)
		return true;
	p = lm_loss_prob(&s->cfg, s->tr->f[i].len);
	s->judged++;
	s->expected += p;
	if (lm_rnd01(&s->rng) < p) {
		s->lost++;
		return false;
	}
	return true;
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
				t = s->qout + lm_delay_draw(&s->cfg, &s->rng);
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
