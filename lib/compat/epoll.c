/*
 * epoll.c - netmap descriptors in an epoll set.
 *
 * A netmap descriptor never becomes readable by itself (it is a socket to
 * the daemon), so the kernel cannot tell epoll when its rings are ready.
 * We keep, per epoll set, the netmap descriptors the application added,
 * and register in their place the eventfds of the rings they wait on
 * (tagged, so we recognise their events).  epoll_wait() then does what
 * netmap's poll method would: run the syncs, report the descriptors whose
 * rings are ready (level-triggered, as netmap's are), and, when none is,
 * raise need_kick on those rings and sleep in the real epoll_wait() with
 * the application's other descriptors.
 *
 * EPOLLONESHOT is honoured; EPOLLET is treated as level-triggered.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include <dlfcn.h>

#include "core/core.h"

#define TAG 1ull	/* low bit of epoll_data.u64: one of our eventfds */

struct ep_entry {
	struct ep_entry *next;
	int fd;			/* the netmap descriptor, as the application named it */
	struct unm_dev *d;	/* a reference, for as long as the entry lives */
	uint32_t events;	/* what the application asked for */
	epoll_data_t data;	/* what it wants back */
	bool fired;		/* EPOLLONESHOT: reported, off until EPOLL_CTL_MOD */
};

struct ep_set {
	struct ep_set *next;
	int epfd;
	struct ep_entry *entries;
};

static struct ep_set *sets;
static int nsets;
static pthread_mutex_t ep_lock = PTHREAD_MUTEX_INITIALIZER;

typedef int epoll_ctl_fn(int, int, int, struct epoll_event *);
typedef int epoll_pwait_fn(int, struct epoll_event *, int, int, const sigset_t *);
static epoll_ctl_fn *real_ctl;
static epoll_pwait_fn *real_pwait;

static void
resolve(void)
{
	if (!real_ctl) {
		real_pwait = (epoll_pwait_fn *)dlsym(RTLD_NEXT, "epoll_pwait");
		real_ctl = (epoll_ctl_fn *)dlsym(RTLD_NEXT, "epoll_ctl");
	}
}

static struct ep_set *
find_set(int epfd)
{
	for (struct ep_set *s = sets; s; s = s->next)
		if (s->epfd == epfd)
			return s;
	return NULL;
}

static struct ep_entry **
find_entry(struct ep_set *s, int fd)
{
	struct ep_entry **pp;

	for (pp = &s->entries; *pp; pp = &(*pp)->next)
		if ((*pp)->fd == fd)
			return pp;
	return NULL;
}

/* the eventfds of the rings @e waits on go in (or out of) the kernel's set */
static int
wire(int epfd, struct ep_entry *e, int op)
{
	struct unm_binding *b = e->d->bind;
	unsigned from, to;

	if (!b)
		return 0;
	unm_wait_range(b, (short)(e->events & 0xffff), &from, &to);
	for (unsigned i = from; i < to; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uintptr_t)e | TAG };

		struct unm_kr *kr = &b->kr[i];
		short wev = 0;
		int wfd;

		if (real_ctl(epfd, op, kr->evfd, &ev) < 0 && op == EPOLL_CTL_ADD) {
			int err = errno;

			for (unsigned j = from; j < i; j++)
				real_ctl(epfd, EPOLL_CTL_DEL, b->kr[j].evfd, NULL);
			return -err;
		}
		/*
		 * An rx ring the kernel feeds (AF_XDP, TAP): its descriptor too.
		 * Several rings may share one (EEXIST), the first wins.
		 */
		if (kr->dir == NR_RX && kr->ops->wait_fd &&
		    (wfd = kr->ops->wait_fd(kr, &wev)) >= 0)
			real_ctl(epfd, op, wfd, &ev);
	}
	return 0;
}

static void
entry_free(int epfd, struct ep_entry *e, bool unwire)
{
	if (unwire)
		wire(epfd, e, EPOLL_CTL_DEL);
	unm_dev_put(e->d);
	free(e);
}

int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct unm_dev *d;
	struct ep_set *s;
	struct ep_entry **pp, *e;
	int r = 0;

	resolve();
	if (!unm_fd_any() || !(d = unm_dev_peek(fd)))
		return real_ctl(epfd, op, fd, ev);
	if (op != EPOLL_CTL_DEL && !ev) {
		unm_dev_put(d);
		errno = EFAULT;
		return -1;
	}
	pthread_mutex_lock(&ep_lock);
	s = find_set(epfd);
	pp = s ? find_entry(s, fd) : NULL;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (pp) {
			r = -EEXIST;
			break;
		}
		if (!s) {
			s = calloc(1, sizeof(*s));
			if (!s) {
				r = -ENOMEM;
				break;
			}
			s->epfd = epfd;
			s->next = sets;
			sets = s;
			__atomic_add_fetch(&nsets, 1, __ATOMIC_RELAXED);
		}
		e = calloc(1, sizeof(*e));
		if (!e) {
			r = -ENOMEM;
			break;
		}
		e->fd = fd;
		e->d = d;
		e->events = ev->events;
		e->data = ev->data;
		r = wire(epfd, e, EPOLL_CTL_ADD);
		if (r < 0) {
			free(e);
			break;
		}
		d = NULL;	/* the entry keeps the reference */
		e->next = s->entries;
		s->entries = e;
		break;
	case EPOLL_CTL_MOD:
		if (!pp) {
			r = -ENOENT;
			break;
		}
		e = *pp;
		wire(epfd, e, EPOLL_CTL_DEL);
		e->events = ev->events;
		e->data = ev->data;
		e->fired = false;
		r = wire(epfd, e, EPOLL_CTL_ADD);
		break;
	case EPOLL_CTL_DEL:
		if (!pp) {
			r = -ENOENT;
			break;
		}
		e = *pp;
		*pp = e->next;
		entry_free(epfd, e, true);
		break;
	default:
		r = -EINVAL;
	}
	pthread_mutex_unlock(&ep_lock);
	if (d)
		unm_dev_put(d);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

void
unm_epoll_forget(int fd)
{
	if (!__atomic_load_n(&nsets, __ATOMIC_RELAXED))
		return;
	resolve();
	pthread_mutex_lock(&ep_lock);
	for (struct ep_set **sp = &sets; *sp;) {
		struct ep_set *s = *sp;
		struct ep_entry **pp;

		if (s->epfd == fd) {	/* the epoll set itself goes */
			while (s->entries) {
				struct ep_entry *e = s->entries;

				s->entries = e->next;
				entry_free(fd, e, false);
			}
			*sp = s->next;
			free(s);
			__atomic_sub_fetch(&nsets, 1, __ATOMIC_RELAXED);
			continue;
		}
		pp = find_entry(s, fd);	/* a netmap descriptor in it goes */
		if (pp) {
			struct ep_entry *e = *pp;

			*pp = e->next;
			entry_free(s->epfd, e, true);
		}
		sp = &s->next;
	}
	pthread_mutex_unlock(&ep_lock);
}

/* ready netmap entries of @s into @out (at most @max); 0.. */
static int
scan_set(struct ep_set *s, struct epoll_event *out, int max)
{
	int n = 0;

	for (struct ep_entry *e = s->entries; e && n < max; e = e->next) {
		short re;

		if (e->fired)
			continue;
		re = unm_dev_scan(e->d, (short)(e->events & 0xffff));
		re &= (short)(e->events | EPOLLERR | EPOLLHUP);
		if (!re)
			continue;
		out[n].events = (uint32_t)(unsigned short)re;
		out[n].data = e->data;
		n++;
		if (e->events & EPOLLONESHOT)
			e->fired = true;
	}
	return n;
}

/*
 * What one epoll_wait() armed: the descriptors (with a reference, so their
 * rings stay mapped even if another thread deletes the entry meanwhile)
 * and the events whose rings were armed.
 */
struct armed {
	struct unm_dev **d;
	short *events;
	unsigned n;
};

static bool
arm_set(struct ep_set *s, struct armed *a)
{
	bool crowded = false;
	unsigned cnt = 0;

	for (struct ep_entry *e = s->entries; e; e = e->next)
		cnt++;
	a->n = 0;
	a->d = calloc(cnt ? cnt : 1, sizeof(*a->d));
	a->events = calloc(cnt ? cnt : 1, sizeof(*a->events));
	if (!a->d || !a->events)
		return true;	/* cannot arm: nap instead of sleeping for good */
	for (struct ep_entry *e = s->entries; e; e = e->next) {
		struct unm_binding *b = e->d->bind;
		unsigned from, to;

		if (!b || e->fired)
			continue;
		__atomic_add_fetch(&e->d->refs, 1, __ATOMIC_ACQ_REL);
		a->d[a->n] = e->d;
		a->events[a->n++] = (short)(e->events & 0xffff);
		unm_wait_range(b, (short)(e->events & 0xffff), &from, &to);
		for (unsigned i = from; i < to; i++)
			crowded |= unm_wait_arm(&b->kr[i]);
	}
	return crowded;
}

static void
disarm_set(struct armed *a)
{
	for (unsigned k = 0; k < a->n; k++) {
		struct unm_binding *b = a->d[k]->bind;
		unsigned from, to;

		unm_wait_range(b, a->events[k], &from, &to);
		for (unsigned i = from; i < to; i++)
			unm_wait_disarm(b->kr[i].k);
		unm_dev_put(a->d[k]);
	}
	free(a->d);
	free(a->events);
	a->d = NULL;
	a->events = NULL;
	a->n = 0;
}

/* is this event one of our eventfds' wake-ups? */
static bool
is_ours(struct ep_set *s, uint64_t u)
{
	if (!(u & TAG))
		return false;
	for (struct ep_entry *e = s->entries; e; e = e->next)
		if (u == ((uintptr_t)e | TAG))
			return true;
	return false;
}

/* drops our own wake-ups from what the kernel returned */
static int
strip_ours(struct ep_set *s, struct epoll_event *ev, int n)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		if (!is_ours(s, ev[i].data.u64))
			ev[k++] = ev[i];
	return k;
}

static long
ms_left(const struct timespec *end)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

int
epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
    const sigset_t *sigmask)
{
	struct timespec end;
	struct ep_set *s;
	int n;

	resolve();
	if (!__atomic_load_n(&nsets, __ATOMIC_RELAXED) || maxevents <= 0)
		return real_pwait(epfd, events, maxevents, timeout, sigmask);
	pthread_mutex_lock(&ep_lock);
	s = find_set(epfd);
	if (!s || !s->entries) {
		pthread_mutex_unlock(&ep_lock);
		return real_pwait(epfd, events, maxevents, timeout, sigmask);
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout / 1000;
	end.tv_nsec += (long)(timeout % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	for (;;) {
		struct armed a;
		bool crowded;
		int r, wait_ms;

		n = scan_set(s, events, maxevents);
		if (n || timeout == 0 || (timeout > 0 && ms_left(&end) == 0)) {
			/* add what else is ready, without waiting */
			r = n < maxevents ? real_pwait(epfd, events + n, maxevents - n, 0, sigmask) : 0;
			if (r > 0)
				n += strip_ours(s, events + n, r);
			break;
		}
		crowded = arm_set(s, &a);
		n = scan_set(s, events, maxevents);	/* a kick before need_kick went up */
		if (n) {
			disarm_set(&a);
			break;
		}
		wait_ms = timeout < 0 ? -1 : (int)ms_left(&end);
		if (crowded && (wait_ms < 0 || wait_ms > 1))
			wait_ms = 1;	/* see lib/core/poll.c, "crowded" */
		pthread_mutex_unlock(&ep_lock);
		r = real_pwait(epfd, events, maxevents, wait_ms, sigmask);
		pthread_mutex_lock(&ep_lock);
		disarm_set(&a);
		s = find_set(epfd);
		if (r < 0) {
			n = -1;
			break;
		}
		if (!s) {
			n = r;	/* closed meanwhile by another thread */
			break;
		}
		n = strip_ours(s, events, r);
		if (n) {
			n += scan_set(s, events + n, maxevents - n);
			break;
		}
	}
	pthread_mutex_unlock(&ep_lock);
	return n;
}

int
epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	return epoll_pwait(epfd, events, maxevents, timeout, NULL);
}

int
epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
    const struct timespec *t, const sigset_t *sigmask)
{
	long ms = -1;

	if (t) {
		/* rounded up, so a short wait is never a busy one */
		ms = t->tv_sec * 1000 + (t->tv_nsec + 999999) / 1000000;
		if (ms > 0x7fffffff)
			ms = 0x7fffffff;
	}
	return epoll_pwait(epfd, events, maxevents, (int)ms, sigmask);
}

void
unm_epoll_atfork(enum unm_fork_phase ph)
{
	if (ph == UNM_FORK_PREPARE)
		pthread_mutex_lock(&ep_lock);
	else
		pthread_mutex_unlock(&ep_lock);
}
