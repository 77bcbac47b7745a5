/*
 * crowd.c - whether busy polling pays now (bridge.h: struct nb_crowd).
 *
 * A poller on a core of its own saves the frames the wake-ups of a
 * sleeping forwarder would cost.  On a machine with more work than cores
 * (a generator and a switch worker on two) it saves nothing - no core ever
 * halts - and the core it holds is taken from threads with work: there the
 * measured rate of polled lanes stayed 6-8% under the same lanes forwarded
 * by a thread asleep in poll() (docs/vale-nic.md).  So a poller looks at
 * the machine's CPU pressure every NB_LOOK_MS, and when runnable threads
 * waited for a CPU during more than a tenth of that time it rests: its
 * lanes are forwarded as if not polled.  After the rest it polls again;
 * a try that finds the machine crowded at once doubles the next rest, one
 * that lasts NB_STINT_MS starts it over from the shortest.  Without PSI in
 * the kernel it always polls, as netmap's threads do.
 */
#include <errno.h>

#include "bridge.h"
#include "shared/pressure.h"

#define NB_LOOK_MS	10	/* a look at the pressure: ~6 us */
#define NB_REST_MIN_MS	50
#define NB_REST_MAX_MS	1600
#define NB_STINT_MS	1000

/* a window of polling starts at @now: the pressure then */
static void
start_window(struct nb_crowd *c, uint64_t now)
{
	c->window_ns = now;
	c->window_ok = unm_cpu_pressure_us(&c->window_total);
	/* a kernel without PSI never gains it: poll, and stop asking */
	if (!c->window_ok && (errno == ENOENT || errno == EOPNOTSUPP))
		c->blind = true;
}

bool
nb_should_poll(struct nb_crowd *c, uint64_t now)
{
	uint64_t prev_ns = c->window_ns, prev_total = c->window_total, waited_us, span_us;
	bool prev_ok = c->window_ok;

	if (c->blind)
		return true;
	if (c->rest_until_ns && now < c->rest_until_ns)
		return false;
	if (c->rest_until_ns || !c->stint_ns) {
		/* a stint of polling begins */
		c->rest_until_ns = 0;
		c->stint_ns = now;
		start_window(c, now);
		return true;
	}
	if (now - prev_ns < NB_LOOK_MS * 1000000ull)
		return true;
	start_window(c, now);
	if (!prev_ok || !c->window_ok)
		return true;
	waited_us = c->window_total - prev_total;
	span_us = (now - prev_ns) / 1000;
	if (waited_us * 10 <= span_us)
		return true;
	/* crowded: rest, longer each time a stint ends at once */
	if (now - c->stint_ns >= NB_STINT_MS * 1000000ull || !c->rest_ms)
		c->rest_ms = NB_REST_MIN_MS;
	else if (c->rest_ms < NB_REST_MAX_MS)
		c->rest_ms *= 2;
	c->rest_until_ns = now + c->rest_ms * 1000000ull;
	c->rests++;
	return false;
}

uint64_t
nb_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}
