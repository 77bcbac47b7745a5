/*
 * pairs.c - several bridges in one process: -i A -i B -i C -i D ...
 * forwards A<->B, C<->D, ...  unetmapd runs one such worker per switch for
 * every interface attached to it (pairs: interface, its switch port), so a
 * frame crossing the switch from one interface to another never waits for
 * another process to wake.
 *
 * Pairs may be busy-polled on CPUs of their own (-A): one thread per CPU,
 * pinned there, polls the pairs of that CPU; the pairs that are not polled
 * are forwarded by the main thread, asleep in poll() until frames come.
 * A pair's owner (that thread) always moves its first direction, A's rx
 * to B's tx (an interface into its switch port).  The second, out of the
 * switch port B into A, is moved by the pair's "drainer": the owner at
 * first; but a thread that pushes frames into the switch (while other
 * threads exist) takes over as the drainer of every other pair, and drains
 * their switch ports right after each pass - as netmap's polling thread,
 * or the sender, pushes a frame through the bwrap of the destination into
 * its NIC's tx ring itself.  A
 * frame from one polled interface to another then crosses in one thread;
 * the owner of the second leaves that switch port alone (it neither polls
 * it nor sleeps on it: every frame forwarded there would wake it, to find
 * the frames gone, and on a machine with few cores those wake-ups are taken
 * from the process feeding the first).  The drainer keeps the role, asleep
 * too (it then sleeps on those switch ports as well), until another
 * thread takes it.
 *
 * Each direction of each pair has a lock that is only tried, never waited
 * for: whoever is responsible for it comes back to it on its next pass or
 * wake-up anyway.
 *
 * A poller polls only while the machine has a core to spare (crowd.c).
 * When it rests, its pairs go to the main thread, which forwards them
 * asleep in poll() as if nobody polled them (it stops draining too), and
 * come back when it polls again; a signal (NB_WAKE_SIG) makes the main
 * thread look at its pairs again at once.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bridge.h"

/* to the main thread: the pairs it forwards changed */
#define NB_WAKE_SIG	SIGUSR2

struct lane {
	struct nmport_d *p[2];		/* direction d: p[d]'s rx to p[!d]'s tx */
	bool zc;
	long cpu;			/* its poller's CPU; NB_NOT_POLLED: the main thread's */
	struct group *home;		/* its poller, or the main thread's group */
	struct group *owner;		/* moves direction 0: home, or the main thread's
					 * while home rests (atomic) */
	struct group *drainer;		/* moves direction 1; NULL: the owner (atomic) */
	pthread_mutex_t mu[2];		/* one mover per direction at a time */
	struct nb_stats st[2];
	uint64_t rested[2];		/* frames the main thread moved while home rested */
};

struct group {
	struct run *r;
	long cpu;			/* NB_NOT_POLLED: the main thread, sleeping in poll() */
	bool busy;
	pthread_t th;
	int rc;
	uint64_t rests;			/* a poller's rests so far (crowd.c) */
};

struct run {
	struct lane *lane;
	unsigned nlanes;
	struct group *grp;
	unsigned ngroups;
	uint32_t batch;
	volatile sig_atomic_t *stop;
	struct group *main_g;		/* the main thread's: asleep in poll() */
	pthread_t main_th;
	sigset_t wake_mask;		/* the main thread's while asleep: NB_WAKE_SIG let in */
};

static void
on_wake(int sig)
{
	(void)sig;
}

static const char *
cpu_name(const struct group *g, char *buf, size_t len)
{
	if (g->cpu >= 0)
		snprintf(buf, len, "CPU %ld", g->cpu);
	else
		snprintf(buf, len, "the busy-polling thread");
	return buf;
}

static const char *
rested_part(uint64_t frames, char *buf, size_t len)
{
	if (!frames)
		return "";
	snprintf(buf, len, ", %llu of them while its poller rested", (unsigned long long)frames);
	return buf;
}

/* does @g move @l's first direction now? */
static bool
owns(const struct group *g, const struct lane *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) == g;
}

/*
 * one direction of @l, if no other thread moves it now: the slots moved
 * (@stand_in: by the main thread while the pair's poller rests)
 */
static uint32_t
move_dir(struct lane *l, int d, uint32_t batch, bool sync_rx, bool stand_in)
{
	uint64_t frames;
	uint32_t m;

	if (pthread_mutex_trylock(&l->mu[d]) != 0)
		return 0;
	if (sync_rx)
		ioctl(l->p[d]->fd, NIOCRXSYNC, NULL);
	frames = l->st[d].frames;
	m = nb_move(l->p[d], l->p[!d], batch, l->zc, &l->st[d]);
	if (stand_in)
		l->rested[d] += l->st[d].frames - frames;
	/*
	 * push what moved; and reclaim tx room when frames wait for it (a
	 * thread asleep in poll() on that descriptor may be running txsync
	 * there: ours is then skipped, and that thread runs it as it lets go)
	 */
	if (m || nb_rx_pending(l->p[d]))
		ioctl(l->p[!d]->fd, NIOCTXSYNC, NULL);
	pthread_mutex_unlock(&l->mu[d]);
	return m;
}

/* does @g move @l's second direction (its switch port's rx)? */
static bool
drains(const struct group *g, const struct lane *l)
{
	const struct group *d = __atomic_load_n(&l->drainer, __ATOMIC_ACQUIRE);

	return d == g || (d == NULL && owns(g, l));
}

/* the main thread: look at your pairs again */
static void
wake_main(struct run *r)
{
	pthread_kill(r->main_th, NB_WAKE_SIG);
}

/*
 * @g rests (crowd.c): its pairs, and whatever it drains, to the main thread
 * (which sleeps on all it moves: the other pollers built their poll() sets
 * without the switch ports @g drained); back when the rest is over (or the
 * bridge stops), with the draining of its own pairs the main thread did.
 */
static void
rest(struct group *g, struct nb_crowd *c)
{
	struct run *r = g->r;
	char name[32];
	uint64_t now;

	for (unsigned i = 0; i < r->nlanes; i++) {
		struct lane *l = &r->lane[i];
		struct group *me = g;

		if (l->home == g)
			__atomic_store_n(&l->owner, r->main_g, __ATOMIC_RELEASE);
		__atomic_compare_exchange_n(&l->drainer, &me, r->main_g, false, __ATOMIC_ACQ_REL,
		    __ATOMIC_RELAXED);
	}
	g->rests = c->rests;
	if (g->rests == 1)
		fprintf(stderr, "netmap-bridge: threads wait for a CPU here: the pairs of %s are "
		    "forwarded asleep while they do\n", cpu_name(g, name, sizeof(name)));
	wake_main(r);
	/* until the rest is over; a stop is seen within 20 ms */
	while (!*r->stop && !nb_should_poll(c, (now = nb_now_ns()))) {
		uint64_t left = c->rest_until_ns > now ? c->rest_until_ns - now : 0;

		usleep(left > 20000000 ? 20000 : (useconds_t)(left / 1000) + 1);
	}
	for (unsigned i = 0; i < r->nlanes; i++) {
		struct lane *l = &r->lane[i];
		struct group *stand_in = r->main_g;

		if (l->home != g)
			continue;
		__atomic_store_n(&l->owner, g, __ATOMIC_RELEASE);
		__atomic_compare_exchange_n(&l->drainer, &stand_in, NULL, false, __ATOMIC_ACQ_REL,
		    __ATOMIC_RELAXED);
	}
	wake_main(r);
}

/* the pairs of @g's CPU, busy-polled adaptively (bridge.h) */
static void
run_busy(struct group *g)
{
	struct run *r = g->r;
	struct pollfd *pfd = calloc(2 * r->nlanes, sizeof(*pfd));
	struct nb_idle idle = { 0 };
	struct nb_crowd crowd = { 0 };

	if (!pfd) {
		fprintf(stderr, "netmap-bridge: out of memory\n");
		g->rc = 1;
		return;
	}
	while (!*r->stop) {
		uint64_t in = 0, moved = 0;
		unsigned np = 0;

		if (!nb_should_poll(&crowd, nb_now_ns())) {
			rest(g, &crowd);
			continue;
		}
		for (unsigned i = 0; i < r->nlanes; i++)
			if (owns(g, &r->lane[i]))
				in += move_dir(&r->lane[i], 0, r->batch, true, false);
		for (unsigned i = 0; i < r->nlanes; i++) {
			struct lane *l = &r->lane[i];

			if (drains(g, l)) {
				moved += move_dir(l, 1, r->batch, true, false);
			} else if (in && r->ngroups > 1) {
				/* what went into the switch, out of its other ports now (see above) */
				__atomic_store_n(&l->drainer, g, __ATOMIC_RELEASE);
				moved += move_dir(l, 1, r->batch, true, false);
			}
		}
		moved += in;
		nb_pass_done(moved, r->batch);
		if (!nb_idle_long(&idle, moved))
			continue;
		/* nothing for a while: sleep until frames come where we move them */
		for (unsigned i = 0; i < r->nlanes; i++) {
			if (owns(g, &r->lane[i])) {
				pfd[np].fd = r->lane[i].p[0]->fd;
				pfd[np++].events = POLLIN;
			}
			if (drains(g, &r->lane[i])) {
				pfd[np].fd = r->lane[i].p[1]->fd;
				pfd[np++].events = POLLIN;
			}
		}
		/* bounded, so that a stop is seen without a signal to this thread */
		if (poll(pfd, np, 200) < 0 && errno != EINTR) {
			perror("netmap-bridge: poll");
			g->rc = 1;
			break;
		}
	}
	free(pfd);
}

/*
 * the pairs nobody polls: sleeping in poll() until frames or room come,
 * for the directions this thread moves (the second one of a pair only
 * while no polling thread drains it).  It drains the switch ports of the
 * polled pairs too when it fed the switch (see above): a frame from an
 * interface nobody polls to a polled one then crosses in this thread, and
 * the poller of the second is left asleep.
 */
static void
run_sleeping(struct group *g)
{
	struct run *r = g->r;
	unsigned n = r->nlanes;
	struct pollfd *pfd = calloc(2 * n, sizeof(*pfd));
	bool *mine = calloc(2 * n, sizeof(*mine));	/* per direction: ours now? */
	const struct timespec second = { 1, 0 };

	if (!pfd || !mine) {
		free(pfd);
		free(mine);
		fprintf(stderr, "netmap-bridge: out of memory\n");
		g->rc = 1;
		return;
	}
	while (!*r->stop) {
		uint32_t in = 0;

		/* per direction: room where frames wait to go, frames where none wait */
		for (unsigned i = 0; i < n; i++) {
			struct lane *l = &r->lane[i];

			mine[2 * i] = owns(g, l);
			mine[2 * i + 1] = drains(g, l);
			for (int d = 0; d < 2; d++) {
				pfd[2 * i + d].fd = mine[2 * i] || mine[2 * i + 1] ? l->p[d]->fd : -1;
				pfd[2 * i + d].events = 0;
			}
		}
		for (unsigned i = 0; i < n; i++)
			for (int d = 0; d < 2; d++)
				if (mine[2 * i + d])
					pfd[2 * i + (nb_rx_pending(r->lane[i].p[d]) ? !d : d)].events |=
					    nb_rx_pending(r->lane[i].p[d]) ? POLLOUT : POLLIN;
		/* NB_WAKE_SIG only while asleep here: a wake-up is never lost */
		if (ppoll(pfd, 2 * n, &second, &r->wake_mask) < 0) {
			if (errno == EINTR)
				continue;	/* woken: the pairs changed hands */
			perror("netmap-bridge: poll");
			g->rc = 1;
			break;
		}
		/* poll() synced the rings it looked at */
		for (unsigned i = 0; i < n; i++)
			for (int d = 0; d < 2; d++)
				if (mine[2 * i + d] && (pfd[2 * i + !d].revents & POLLOUT)) {
					/* the pair of a poller that rests: counted apart */
					bool stand_in = r->lane[i].home != g && mine[2 * i];
					uint32_t m = move_dir(&r->lane[i], d, r->batch, false, stand_in);

					in += d == 0 ? m : 0;
				}
		for (unsigned i = 0; in && r->ngroups > 1 && i < n; i++)
			if (!mine[2 * i + 1]) {
				__atomic_store_n(&r->lane[i].drainer, g, __ATOMIC_RELEASE);
				move_dir(&r->lane[i], 1, r->batch, true, false);
			}
	}
	free(pfd);
	free(mine);
}

static void *
group_main(void *arg)
{
	struct group *g = arg;

	if (nb_pin(g->cpu, "-A") < 0) {
		g->rc = 1;
		*g->r->stop = 1;
		return NULL;
	}
	if (g->busy)
		run_busy(g);
	else
		run_sleeping(g);
	return NULL;
}

/*
 * the groups: one per polling CPU, and the main thread's for the rest (it
 * has one even when every pair is polled)
 */
static int
make_groups(struct run *r, const long *cpu, bool busy)
{
	unsigned k;

	r->grp = calloc(r->nlanes + 1, sizeof(*r->grp));
	if (!r->grp)
		return -1;
	for (unsigned i = 0; i < r->nlanes; i++) {
		long c = cpu ? cpu[i] : busy ? NB_POLLED_ANY : NB_NOT_POLLED;

		r->lane[i].cpu = c;
		for (k = 0; k < r->ngroups && r->grp[k].cpu != c; k++)
			;
		if (k == r->ngroups) {
			r->grp[k].r = r;
			r->grp[k].cpu = c;
			r->grp[k].busy = c != NB_NOT_POLLED;
			r->ngroups++;
		}
		r->lane[i].home = r->lane[i].owner = &r->grp[k];
	}
	/* and the main thread's, asleep, for the pairs of pollers that rest */
	for (k = 0; k < r->ngroups && r->grp[k].busy; k++)
		;
	if (k == r->ngroups) {
		r->grp[k].r = r;
		r->grp[k].cpu = NB_NOT_POLLED;
		r->ngroups++;
	}
	r->main_g = &r->grp[k];
	return 0;
}

int
nb_run_pairs(struct nmport_d **port, unsigned n, uint32_t batch, bool copy, bool busy,
    const long *cpu, volatile sig_atomic_t *stop)
{
	struct run r = { .nlanes = n / 2, .batch = batch, .stop = stop };
	struct sigaction wake = { .sa_handler = on_wake }, old_wake;	/* no SA_RESTART */
	sigset_t all, old, just_wake, before;
	char cpuname[80];
	int rc = 0;

	r.lane = calloc(r.nlanes, sizeof(*r.lane));
	if (!r.lane || make_groups(&r, cpu, busy) < 0) {
		fprintf(stderr, "netmap-bridge: cannot set up the pollers: %s\n", strerror(errno));
		rc = 1;
		goto out;
	}
	for (unsigned i = 0; i < r.nlanes; i++) {
		struct lane *l = &r.lane[i];

		l->p[0] = port[2 * i];
		l->p[1] = port[2 * i + 1];
		l->zc = !copy && l->p[0]->reg.nr_mem_id == l->p[1]->reg.nr_mem_id;
		if (l->zc)
			nb_allow_exchange(l->p[0], l->p[1]);
		pthread_mutex_init(&l->mu[0], NULL);
		pthread_mutex_init(&l->mu[1], NULL);
	}
	/*
	 * The main thread runs the pairs nobody polls; the pollers get threads,
	 * which leave the signals to it.  It takes NB_WAKE_SIG only while
	 * asleep in ppoll() (run_sleeping).
	 */
	r.main_th = pthread_self();
	sigemptyset(&wake.sa_mask);
	sigaction(NB_WAKE_SIG, &wake, &old_wake);
	sigemptyset(&just_wake);
	sigaddset(&just_wake, NB_WAKE_SIG);
	pthread_sigmask(SIG_BLOCK, &just_wake, &before);
	r.wake_mask = before;
	sigdelset(&r.wake_mask, NB_WAKE_SIG);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned k = 0; k < r.ngroups; k++) {
		struct group *g = &r.grp[k];

		if (g == r.main_g)
			continue;
		if (pthread_create(&g->th, NULL, group_main, g) != 0) {
			fprintf(stderr, "netmap-bridge: cannot start the poller of CPU %ld\n", g->cpu);
			*stop = 1;
			g->rc = 1;
			g->cpu = NB_NO_THREAD;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!*stop)
		group_main(r.main_g);
	*stop = 1;
	for (unsigned k = 0; k < r.ngroups; k++) {
		if (&r.grp[k] != r.main_g && r.grp[k].cpu != NB_NO_THREAD)
			pthread_join(r.grp[k].th, NULL);
		rc |= r.grp[k].rc;
		if (r.grp[k].rests)
			fprintf(stderr, "netmap-bridge: the poller of %s: %llu rests: threads "
			    "waited for a CPU\n", cpu_name(&r.grp[k], cpuname, sizeof(cpuname)),
			    (unsigned long long)r.grp[k].rests);
	}
	/* a wake-up still pending goes to on_wake, before the old handler is back */
	pthread_sigmask(SIG_SETMASK, &r.wake_mask, NULL);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	sigaction(NB_WAKE_SIG, &old_wake, NULL);
	for (unsigned i = 0; i < n; i++)
		ioctl(port[i]->fd, NIOCTXSYNC, NULL);
	for (unsigned i = 0; i < r.nlanes; i++)
		for (int d = 0; d < 2; d++)
			fprintf(stderr, "netmap-bridge: %s -> %s: %llu frames (%llu bytes)%s\n",
			    r.lane[i].p[d]->hdr.nr_name, r.lane[i].p[!d]->hdr.nr_name,
			    (unsigned long long)r.lane[i].st[d].frames,
			    (unsigned long long)r.lane[i].st[d].bytes,
			    rested_part(r.lane[i].rested[d], cpuname, sizeof(cpuname)));
out:
	free(r.grp);
	free(r.lane);
	return rc;
}
