/*
 * event.h - the daemon's event loop: descriptors watched with epoll, and
 * one periodic tick.  Callbacks run one at a time, to completion.
 */
#ifndef UNETMAPD_EVENT_H
#define UNETMAPD_EVENT_H

#include <stdint.h>

struct ev_loop;
typedef void ev_fd_fn(struct ev_loop *l, int fd, uint32_t events, void *arg);
typedef void ev_tick_fn(struct ev_loop *l, void *arg);

struct ev_loop *ev_loop_new(void);
void ev_loop_free(struct ev_loop *l);
/* watch @fd for @events (EPOLLIN...); one watcher per descriptor */
int ev_add(struct ev_loop *l, int fd, uint32_t events, ev_fd_fn *fn, void *arg);
void ev_del(struct ev_loop *l, int fd);
/* @fn runs about every @ms milliseconds */
void ev_set_tick(struct ev_loop *l, int ms, ev_tick_fn *fn, void *arg);
/* runs until ev_stop(); returns 0, or -errno if epoll itself failed */
int ev_run(struct ev_loop *l);
void ev_stop(struct ev_loop *l);
/* milliseconds of the monotonic clock, for the daemon's timers */
uint64_t ev_now_ms(void);

#endif
