/*
 * clock.h - what the C tests use to bound their waits: the time, a nap,
 * and "does this daemon accept connections yet" (bind() comes before
 * listen(), so the socket file alone does not say).
 */
#ifndef UNETMAP_TESTS_CLOCK_H
#define UNETMAP_TESTS_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

__attribute__((unused)) static uint64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

__attribute__((unused)) static void
nap_us(long us)
{
	struct timespec t = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&t, NULL);
}

/* the daemon at @path accepts connections, within 5 s; false at once if @pid exits */
__attribute__((unused)) static bool
daemon_ready(const char *path, pid_t pid)
{
	for (int i = 0; i < 250; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), ok;

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%.*s", (int)sizeof(sa.sun_path) - 1, path);
		ok = s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (s >= 0)
			close(s);
		if (ok)
			return true;
		if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid)
			return false;
		nap_us(20000);
	}
	return false;
}

#endif
