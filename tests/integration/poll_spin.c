/*
 * poll_spin.c - poll() spins before it sleeps only while the machine has
 * CPU time to spare (lib/core/poll.c, spin_now).  With UNETMAP_SPIN_US at
 * its largest (100 ms) the spin shows in the thread's own CPU time: a
 * poll(300 ms) on an idle pipe burns tens of milliseconds while nothing
 * else wants the CPUs, and next to nothing while busy processes (one more
 * than there are CPUs, started and killed here) keep every core contended.
 * The kernel's CPU pressure is read around each measurement and printed;
 * a machine without it (psi=0) has nothing to test.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "../lib/nmraw.h"
#include "../lib/tap.h"

#define MAX_HOGS 64

static pid_t hogs[MAX_HOGS];
static int nhogs;

static uint64_t
clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "some total" of /proc/pressure/cpu, in us; 0 when the kernel keeps none */
static uint64_t
pressure_us(void)
{
	char buf[256], *p;
	FILE *f = fopen("/proc/pressure/cpu", "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strstr(buf, "total=");
	return p ? strtoull(p + 6, NULL, 10) : 0;
}

static void
hogs_start(int n)
{
	for (nhogs = 0; nhogs < n && nhogs < MAX_HOGS; nhogs++) {
		pid_t pid = fork();

		if (pid == 0) {
			volatile unsigned long spin = 0;

			alarm(20);	/* never outlives a parent that died */
			for (;;)
				spin++;
		}
		hogs[nhogs] = pid;
	}
}

static void
hogs_stop(void)
{
	for (int i = 0; i < nhogs; i++)
		if (hogs[i] > 0) {
			kill(hogs[i], SIGKILL);
			waitpid(hogs[i], NULL, 0);
		}
	nhogs = 0;
}

/*
 * The CPU time one poll(300 ms) on the idle port costs this thread, in ms.
 * Polls of 1 ms come first for 60 ms, so that poll's last look at the
 * pressure is recent (it averages since its previous look).
 */
static double
poll_cpu_ms(int fd, double *pressure)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t until = clock_ns(CLOCK_MONOTONIC) + 60000000ull, t0, c0, p0;

	while (clock_ns(CLOCK_MONOTONIC) < until)
		poll(&p, 1, 1);
	p0 = pressure_us();
	t0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	poll(&p, 1, 300);
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	t0 = clock_ns(CLOCK_MONOTONIC) - t0;
	*pressure = (double)(pressure_us() - p0) * 1000.0 / (double)t0;
	return (double)c0 / 1e6;
}

int
main(void)
{
	struct rawport m, s;
	char mn[64], sn[64];
	double ms = 0, pr = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	bool spun = false;

	alarm(60);
	setenv("UNETMAP_SPIN_US", "100000", 1);	/* read at the first poll */
	if (access("/proc/pressure/cpu", R_OK) != 0) {
		tap_diag("no /proc/pressure/cpu (psi=0?): poll spins always, nothing to test");
		return tap_done();
	}
	snprintf(mn, sizeof(mn), "ps%d{0", (int)getpid());
	snprintf(sn, sizeof(sn), "ps%d}0", (int)getpid());
	if (raw_open(&m, mn, NR_REG_ALL_NIC, 0, 0) || raw_open(&s, sn, NR_REG_ALL_NIC, 0, 0)) {
		tap_ok(0, "open the pipe %s / %s", mn, sn);
		return tap_done();
	}

	/* a quiet machine: the spin runs (up to three tries if something else ran) */
	for (int i = 0; i < 3 && !spun; i++) {
		ms = poll_cpu_ms(s.fd, &pr);
		tap_diag("quiet: poll(300 ms) cost %.1f ms of CPU, pressure %.1f%%", ms, pr * 100);
		spun = ms >= 20;
	}
	tap_ok(spun, "with CPUs to spare, poll spins before it sleeps (%.1f ms of CPU)", ms);

	/* one busy process more than there are CPUs: threads wait, poll sleeps at once */
	hogs_start((int)(cpus > 0 ? cpus : 1) + 1);
	ms = poll_cpu_ms(s.fd, &pr);
	hogs_stop();
	tap_diag("contended: poll(300 ms) cost %.1f ms of CPU, pressure %.1f%%", ms, pr * 100);
	tap_ok(pr > 0.1, "%d busy processes on %ld CPUs: the kernel counts threads waiting "
	    "(%.0f%% of the time)", (int)cpus + 1, cpus, pr * 100);
	tap_ok(ms < 5, "while threads wait for a CPU, poll does not spin (%.1f ms of CPU)", ms);

	raw_close(&s);
	raw_close(&m);
	return tap_done();
}
