/*
 * threads.c - worker threads, CPU pinning, SIGINT/SIGTERM, clocks and the
 * rate pacer.
 *
 * A signal only raises pg_stop; every loop checks it at least every
 * 100 ms (poll timeouts, sleeps) and ends its thread normally, so the
 * final summary is printed as after a normal end.  A second signal is
 * ignored (timeout(1) sends TERM to its child and then to the whole
 * process group); a third one kills.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pktgen.h"

struct pg_thread *pg_threads;
int pg_nthreads;
volatile sig_atomic_t pg_stop;
uint64_t pg_rx_total;

static void
on_signal(int sig)
{
	static const char msg[] = "pkt-gen: stopping (a third signal kills)\n";
	static volatile sig_atomic_t count;
	ssize_t r;

	pg_stop = 1;
	if (++count == 1) {
		r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)r;
	} else if (count >= 3) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

void
pg_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = 0;	/* no SA_RESTART: poll() and sleeps return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

uint64_t
pg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
pg_gettime(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

/* sleep until the monotonic time @until, spinning the last few us */
static void
sleep_until(uint64_t until)
{
	for (;;) {
		uint64_t now = pg_now_ns(), left;

		if (now >= until || pg_stopping())
			return;
		left = until - now;
		if (left > 200000) {
			struct timespec ts;

			left -= 100000;
			if (left > 100000000)
				left = 100000000;	/* look at pg_stop every 100 ms */
			ts.tv_sec = (time_t)(left / 1000000000ull);
			ts.tv_nsec = (long)(left % 1000000000ull);
			nanosleep(&ts, NULL);
		} else {
			__builtin_ia32_pause();
		}
	}
}

void
pg_sleep_ns(uint64_t ns)
{
	sleep_until(pg_now_ns() + ns);
}

/*
 * Rate limiting as netmap's pkt-gen does it: bursts of at most rate/300
 * packets (so something goes out every few ms), one burst per period.
 * A sender that fell behind catches up, but never by more than a second.
 */
void
pg_pacer_init(struct pg_pacer *p, uint64_t rate, unsigned burst)
{
	memset(p, 0, sizeof(*p));
	if (!rate)
		return;
	p->burst = burst;
	if (p->burst > rate / 300)
		p->burst = rate / 300;
	if (p->burst == 0)
		p->burst = 1;
	p->period = p->burst * 1000000000ull / rate;
	p->next = pg_now_ns();
	p->budget = p->burst;
}

uint64_t
pg_pacer_allow(struct pg_pacer *p)
{
	if (!p->period)
		return UINT64_MAX;
	if (p->budget == 0) {
		uint64_t now = pg_now_ns();

		p->next += p->period;
		if (now > p->next + 1000000000ull)
			p->next = now;
		sleep_until(p->next);
		p->budget = p->burst;
	}
	return p->budget;
}

void
pg_pacer_used(struct pg_pacer *p, uint64_t n)
{
	if (p->period)
		p->budget = n >= p->budget ? 0 : p->budget - n;
}

int
pg_set_affinity(struct pg_thread *t)
{
	cpu_set_t set;
	int err;

	if (t->cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (err) {
		fprintf(stderr, "pkt-gen: thread %d: cannot run on CPU %d: %s\n", t->id, t->cpu,
		    strerror(err));
		return -1;
	}
	return 0;
}

void
pg_thread_finish(struct pg_thread *t, bool ok)
{
	if (t->have_tic && t->toc.tv_sec == 0 && t->toc.tv_nsec == 0)
		pg_gettime(&t->toc);
	__atomic_store_n(&t->done, ok ? 1 : 2, __ATOMIC_RELEASE);
}

static void *(*body_of(enum pg_role r))(void *)
{
	switch (r) {
	case ROLE_TX:
	case ROLE_TXSEQ:
		return pg_tx_body;
	case ROLE_RX:
	case ROLE_RXSEQ:
		return pg_rx_body;
	case ROLE_PING:
		return pg_ping_body;
	case ROLE_PONG:
		return pg_pong_body;
	}
	return NULL;
}

int
pg_threads_start(void)
{
	for (int i = 0; i < pg_nthreads; i++) {
		struct pg_thread *t = &pg_threads[i];
		int err = pthread_create(&t->tid, NULL, body_of(t->role), t);

		if (err) {
			fprintf(stderr, "pkt-gen: cannot start thread %d: %s\n", i, strerror(err));
			pg_stop = 1;
			return -1;
		}
		t->running = true;
	}
	return 0;
}
