/*
 * epoll_mix.c - a netmap descriptor in an epoll set with an ordinary one,
 * as an event-loop program has them: epoll_wait() sleeps until the other
 * process sends, runs the sync netmap would run, reports the right data;
 * EPOLLONESHOT, EPOLL_CTL_MOD to EPOLLOUT, EPOLL_CTL_DEL and close() all
 * behave; the ordinary descriptor is reported as the kernel reports it.
 */
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "../lib/nmraw.h"
#include "../lib/tap.h"

static char mn[64], sn[64];

int
main(void)
{
	struct rawport s;
	struct epoll_event ev, out[8];
	int ep, pfd[2], n, st;
	pid_t pid;

	alarm(60);
	snprintf(mn, sizeof(mn), "ep%d{1", (int)getpid());
	snprintf(sn, sizeof(sn), "ep%d}1", (int)getpid());
	if (raw_open(&s, sn, NR_REG_ALL_NIC, 0, 0) || pipe(pfd) < 0)
		return 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 1001 };
	TAP_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev), 0, "a netmap descriptor joins an epoll set");
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 7 };	/* an odd number, like an fd */
	TAP_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev), 0, "and an ordinary pipe");
	TAP_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev) < 0 ? errno : 0, EEXIST, "adding it twice: EEXIST");
	TAP_EQ(epoll_wait(ep, out, 8, 50), 0, "nothing ready: epoll_wait times out");

	pid = fork();
	if (pid == 0) {
		struct rawport m;

		if (raw_open(&m, mn, NR_REG_ALL_NIC, 0, 0))
			_exit(1);
		usleep(200000);
		raw_put(NETMAP_TXRING(m.nifp, 0), 60, 9);
		ioctl(m.fd, NIOCTXSYNC, NULL);
		usleep(300000);
		_exit(0);
	}
	n = epoll_wait(ep, out, 8, 5000);
	tap_ok(n == 1 && out[0].data.u64 == 1001 && (out[0].events & EPOLLIN),
	    "epoll_wait sleeps until the other process sends, then reports the netmap descriptor");
	tap_ok(!nm_ring_empty(NETMAP_RXRING(s.nifp, 0)), "with the frame already synced into the ring");
	waitpid(pid, &st, 0);
	n = epoll_wait(ep, out, 8, 0);
	tap_ok(n == 1 && out[0].data.u64 == 1001, "level-triggered: reported again while unread");
	if (write(pfd[1], "x", 1) != 1)
		return 1;
	n = epoll_wait(ep, out, 8, 0);
	tap_ok(n == 2 && ((out[0].data.u64 == 7) ^ (out[1].data.u64 == 7)),
	    "both descriptors at once, each with its own data");

	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 1002 };
	TAP_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, s.fd, &ev), 0, "EPOLL_CTL_MOD to EPOLLONESHOT");
	n = epoll_wait(ep, out, 8, 0);
	tap_ok(n == 2, "reported once");
	n = epoll_wait(ep, out, 8, 0);
	tap_ok(n == 1 && out[0].data.u64 == 7, "then no more until re-armed");
	ev = (struct epoll_event){ .events = EPOLLOUT, .data.u64 = 1003 };
	TAP_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, s.fd, &ev), 0, "EPOLL_CTL_MOD to EPOLLOUT");
	n = epoll_wait(ep, out, 8, 0);
	tap_ok(n == 2 && (out[0].data.u64 == 1003 || out[1].data.u64 == 1003),
	    "the tx ring has room: EPOLLOUT");
	TAP_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, s.fd, NULL), 0, "EPOLL_CTL_DEL");
	TAP_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, s.fd, NULL) < 0 ? errno : 0, ENOENT, "a second DEL: ENOENT");
	n = epoll_wait(ep, out, 8, 0);
	tap_ok(n == 1 && out[0].data.u64 == 7, "only the pipe is left");
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 1004 };
	epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev);
	raw_close(&s);
	n = epoll_wait(ep, out, 8, 0);
	tap_ok(n == 1 && out[0].data.u64 == 7, "closing the netmap descriptor takes it out of the set");
	close(ep);
	close(pfd[0]);
	close(pfd[1]);
	return tap_done();
}
