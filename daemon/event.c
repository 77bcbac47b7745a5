/*
 * event.c - see event.h.
 *
 * Watchers sit in an array indexed by descriptor.  epoll hands back the
 * descriptor; the array gives the callback.  A callback may delete any
 * watcher, including its own: deleted entries are skipped for the rest of
 * the batch by checking the generation recorded with each event.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "event.h"

struct watcher {
	ev_fd_fn *fn;
	void *arg;
	uint32_t gen;	/* bumped on every add and delete */
};

struct ev_loop {
	int epfd;
	int stop;
	struct watcher *w;
	int nw;
	int tick_ms;
	ev_tick_fn *tick;
	void *tick_arg;
	uint64_t next_tick;
};

uint64_t
ev_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ev_loop *
ev_loop_new(void)
{
	struct ev_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void
ev_loop_free(struct ev_loop *l)
{
	close(l->epfd);
	free(l->w);
	free(l);
}

static int
grow(struct ev_loop *l, int fd)
{
	int n = l->nw ? l->nw : 64;
	struct watcher *w;

	while (n <= fd)
		n *= 2;
	if (n == l->nw)
		return 0;
	w = realloc(l->w, sizeof(*w) * (size_t)n);
	if (!w)
		return -ENOMEM;
	memset(w + l->nw, 0, sizeof(*w) * (size_t)(n - l->nw));
	l->w = w;
	l->nw = n;
	return 0;
}

int
ev_add(struct ev_loop *l, int fd, uint32_t events, ev_fd_fn *fn, void *arg)
{
	struct epoll_event ev = { .events = events };
	int r;

	if (fd < 0)
		return -EBADF;
	r = grow(l, fd);
	if (r < 0)
		return r;
	l->w[fd].gen++;
	/* data carries fd and generation, so stale events are recognised */
	ev.data.u64 = (uint64_t)(uint32_t)fd | (uint64_t)l->w[fd].gen << 32;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->w[fd].fn = fn;
	l->w[fd].arg = arg;
	return 0;
}

void
ev_del(struct ev_loop *l, int fd)
{
	if (fd < 0 || fd >= l->nw || !l->w[fd].fn)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->w[fd].fn = NULL;
	l->w[fd].gen++;
}

void
ev_set_tick(struct ev_loop *l, int ms, ev_tick_fn *fn, void *arg)
{
	l->tick_ms = ms;
	l->tick = fn;
	l->tick_arg = arg;
	l->next_tick = ev_now_ms() + (uint64_t)ms;
}

void
ev_stop(struct ev_loop *l)
{
	l->stop = 1;
}

int
ev_run(struct ev_loop *l)
{
	struct epoll_event evs[64];

	l->stop = 0;
	while (!l->stop) {
		int timeout = -1, n;

		if (l->tick) {
			uint64_t t = ev_now_ms();

			timeout = t >= l->next_tick ? 0 : (int)(l->next_tick - t);
		}
		n = epoll_wait(l->epfd, evs, 64, timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n && !l->stop; i++) {
			int fd = (int)(uint32_t)evs[i].data.u64;
			uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);

			if (fd >= l->nw || !l->w[fd].fn || l->w[fd].gen != gen)
				continue;
			l->w[fd].fn(l, fd, evs[i].events, l->w[fd].arg);
		}
		if (l->tick && ev_now_ms() >= l->next_tick) {
			l->next_tick = ev_now_ms() + (uint64_t)l->tick_ms;
			l->tick(l, l->tick_arg);
		}
	}
	return 0;
}
