/*
 * bridge.h - netmap-bridge: forwards frames between two netmap ports
 * (OPNsense's name for netmap's "bridge" tool).
 */
#ifndef NETMAP_BRIDGE_H
#define NETMAP_BRIDGE_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>

struct nb_stats {
	uint64_t frames, slots, bytes;
};

/*
 * Moves what fits from the rx rings of @src to the tx rings of @dst, at
 * most @limit slots: swapping buffers when @zcopy, copying otherwise;
 * NS_MOREFRAG goes along.  Returns the slots moved.
 */
void nb_allow_exchange(struct nmport_d *a, struct nmport_d *b);
uint32_t nb_move(struct nmport_d *src, struct nmport_d *dst, uint32_t limit, bool zcopy,
    struct nb_stats *st);
/*
 * Forwards port[0]<->port[1], port[2]<->port[3], ... (@n even) until *@stop:
 * sleeping in poll(), or syncing in a loop when @busy; or, with @cpu (one
 * entry per pair), pair i busy-polled by a thread pinned to CPU cpu[i], or
 * by the main thread sleeping in poll() when cpu[i] is NB_NOT_POLLED
 * (pairs.c).  0, or 1 on failure.
 */
#define NB_NOT_POLLED	(-1L)
#define NB_POLLED_ANY	(-2L)	/* -p without -A: polled, wherever the process runs */
#define NB_NO_THREAD	(-3L)	/* a poller that could not be started */
int nb_run_pairs(struct nmport_d **port, unsigned n, uint32_t batch, bool copy, bool busy,
    const long *cpu, volatile sig_atomic_t *stop);
/* the calling thread onto @cpu (none when < 0), or -1 saying why (@opt: the option) */
int nb_pin(long cpu, const char *opt);
/* slots waiting in the rx rings of @d */
uint32_t nb_rx_pending(struct nmport_d *d);

/*
 * Busy polling (-p) is adaptive, as NAPI is: the rings are synced in a
 * loop while frames come; after NB_IDLE_US without one the poller sleeps
 * in poll() until some arrive (at most a second), then loops again.  So a
 * poller gives its core back when there is nothing to do - on a machine
 * whose cores are shared, the generator feeding it may need that core.
 */
#define NB_IDLE_US 50

struct nb_idle {
	uint64_t since_ns;	/* when the passes started finding nothing; 0: they find some */
};

/*
 * And between passes that found less than a full batch, the poller yields
 * its core (sched_yield: at once when nobody else wants it), so that the
 * process feeding it is not starved on a machine with few cores.
 */
static inline void
nb_pass_done(uint64_t moved, uint32_t batch)
{
	if (moved < batch)
		sched_yield();
}

/* CLOCK_MONOTONIC, in nanoseconds (crowd.c) */
uint64_t nb_now_ns(void);

/* after a pass that moved @moved slots: time to sleep? */
static inline bool
nb_idle_long(struct nb_idle *s, uint64_t moved)
{
	uint64_t now;

	if (moved) {
		s->since_ns = 0;
		return false;
	}
	now = nb_now_ns();
	if (!s->since_ns) {
		s->since_ns = now;
		return false;
	}
	if (now - s->since_ns < NB_IDLE_US * 1000ull)
		return false;
	s->since_ns = 0;
	return true;
}

/*
 * And only while the machine has a core to spare for it (crowd.c): a
 * poller asks before each pass; false, it rests, and its lanes are
 * forwarded as if not polled until the answer is true again.
 */
struct nb_crowd {
	uint64_t stint_ns;	/* when this stint of polling began; 0: none yet */
	uint64_t window_ns, window_total;	/* a look: when, and the pressure then */
	uint64_t rest_until_ns;	/* resting until then; 0: polling */
	uint64_t rest_ms;	/* the last rest */
	uint64_t rests;		/* how many so far */
	bool window_ok;		/* window_total was read */
	bool blind;		/* the kernel keeps no pressure: always poll */
};
bool nb_should_poll(struct nb_crowd *c, uint64_t now);

#endif
