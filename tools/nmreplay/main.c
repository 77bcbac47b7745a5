/*
 * nmreplay - a pcap file replayed into any netmap port, as netmap's
 * nmreplay: at the trace's own pace or at a given bandwidth, with added
 * delay (never reordering) and random loss.
 *
 *   nmreplay -f trace.pcap -i netmap:eth0 -B 100M
 *   nmreplay -f trace.pcap -i vale0:a -B real,2 -D uniform,1ms,5ms -L plr,0.01
 *
 * The file is read with libpcap into memory; the schedule (sched.c) is
 * computed ahead of the thread that sends (tx.c); this thread prints the
 * statistics.  The trace is replayed over and over until SIGINT or
 * SIGTERM, as netmap's; -n (ours) stops after that many passes.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>
#include "unetmap.h"

#include "replay.h"
#include "tools/common/nm_errno.h"

static volatile int stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: nmreplay [-hv] -f pcap-file -i port [-B bandwidth] [-D delay] [-L loss]\n"
	    "                [-b batch] [-w seconds] [-C cpu[,cpu[,cpu,cpu]]] [-n passes]\n"
	    "\n"
	    "Replays the Ethernet frames of a pcap file into a netmap port, over and over\n"
	    "until SIGINT or SIGTERM (or -n passes), at the trace's own pace or at a\n"
	    "given bandwidth, with added delay and random loss.\n"
	    "\n"
	    "  -f file      the pcap file (pcap or pcapng, read with libpcap)\n"
	    "  -i port      the port: netmap:eth0, valeX:p, netmap:p{1...; a bare name\n"
	    "               gets \"netmap:\"\n"
	    "  -B bw        bps, constant,bps: frames at bps bits per second of their\n"
	    "               length; ether,bps: counting 24 more bytes per frame (preamble,\n"
	    "               gap, CRC); real[,speedup]: at the pace of the trace's\n"
	    "               timestamps, speedup times faster (the default: real,1).\n"
	    "               bps: a number with k, M, G (10^3, 10^6, 10^9); 0: as fast as\n"
	    "               possible\n"
	    "  -D delay     added to every frame, never reordering them: t, constant,t,\n"
	    "               uniform,dmin,dmax, exp,dmin,davg; times in seconds or with\n"
	    "               n, u, m, s (250us, 10ms)\n"
	    "  -L loss      x or plr,x: each frame lost with probability x; ber,x: each\n"
	    "               bit, so a frame of L bytes with 1-(1-x)^(8L)\n"
	    "  -b batch     hand the rings to the port every batch frames at most (128)\n"
	    "  -w seconds   wait before sending (2 on an interface, 0 otherwise)\n"
	    "  -C cpus      pin the sending thread to the first cpu (1, 2 or 4 numbers,\n"
	    "               as netmap's; the others are for threads netmap's tlem has)\n"
	    "  -n passes    stop after replaying the trace passes times (0: never, the\n"
	    "               default, as netmap's)\n"
	    "  -v           print the rate every second\n"
	    "  -h           this text\n"
	    "\n"
	    "At the end it prints what it sent and, with -L, how many frames were lost\n"
	    "against how many the rate asked for.\n"
	    "Exit status: 0 done, 1 failure (file, port), 2 bad command line.\n");
}

static void
bad(const char *msg)
{
	fprintf(stderr, "nmreplay: %s (nmreplay -h for help)\n", msg);
	exit(2);
}

static uint64_t
number(const char *s, const char *opt, uint64_t max)
{
	char *end, msg[160];
	unsigned long long v;

	errno = 0;
	v = (*s >= '0' && *s <= '9') ? strtoull(s, &end, 10) : 0;
	if (*s < '0' || *s > '9' || errno || *end || v > max) {
		snprintf(msg, sizeof(msg), "%s %s: a number from 0 to %llu", opt, s,
		    (unsigned long long)max);
		bad(msg);
	}
	return v;
}

/* -C: 1, 2 or 4 CPUs (netmap's forms); the first is the sending thread's */
static int
parse_cpus(const char *arg)
{
	char buf[64], *save = NULL, *tok, msg[160];
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int n = 0, first = -1;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
		char *end;
		long v = strtol(tok, &end, 10);

		if (end == tok || *end || v < 0 || v >= ncpu) {
			snprintf(msg, sizeof(msg), "-C %s: %s is not a CPU (0 to %ld)", arg, tok,
			    ncpu - 1);
			bad(msg);
		}
		if (n == 0)
			first = (int)v;
	}
	if (n != 1 && n != 2 && n != 4) {
		snprintf(msg, sizeof(msg), "-C %s: 1, 2 or 4 comma-separated CPUs", arg);
		bad(msg);
	}
	return first;
}

static void
scaled(char *buf, size_t len, double v, const char *unit)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.3f G%s", v / 1e9, unit);
	else if (v >= 1e6)
		snprintf(buf, len, "%.3f M%s", v / 1e6, unit);
	else if (v >= 1e3)
		snprintf(buf, len, "%.3f K%s", v / 1e3, unit);
	else
		snprintf(buf, len, "%.3f %s", v, unit);
}

static const char *
describe_bw(const struct lm_cfg *c, char *buf, size_t len)
{
	char r[32];

	if (c->bw == LM_BW_REAL) {
		snprintf(buf, len, "the trace's pace x %g", c->speedup);
	} else if (c->bps == 0) {
		snprintf(buf, len, "as fast as possible");
	} else {
		scaled(r, sizeof(r), c->bps, "bps");
		snprintf(buf, len, "%s%s", r, c->bw == LM_BW_ETHER ? " (with Ethernet framing)" : "");
	}
	return buf;
}

int
main(int argc, char **argv)
{
	const char *file = NULL, *port = NULL;
	char name[NETMAP_REQ_IFNAMSIZ + 64], err[512], bw[96];
	struct lm_cfg cfg = { .bw = LM_BW_REAL, .speedup = 1 };
	struct rp_trace tr;
	struct rp_sched sched;
	struct rp_tx x = { .burst = 128, .cpu = -1, .stop = &stop };
	struct sigaction sa;
	long wait_s = -1;
	uint64_t passes = 0, last_sent = 0;
	int verbose = 0, c, rc = 0, n;
	pthread_t th;
	bool nic;

	while ((c = getopt(argc, argv, "hvf:i:B:D:L:b:w:C:n:")) != -1) {
		switch (c) {
		case 'f': file = optarg; break;
		case 'i': port = optarg; break;
		case 'B':
			if (lm_parse_bw(&cfg, optarg, LM_ALLOW_REAL, err, sizeof(err)) < 0)
				bad(err);
			break;
		case 'D':
			if (lm_parse_delay(&cfg, optarg, 0, err, sizeof(err)) < 0)
				bad(err);
			break;
		case 'L':
			if (lm_parse_loss(&cfg, optarg, err, sizeof(err)) < 0)
				bad(err);
			break;
		case 'b':
			x.burst = (unsigned)number(optarg, "-b", 8192);
			if (x.burst == 0)
				bad("-b 0: a batch is 1 to 8192 frames");
			break;
		case 'w': wait_s = (long)number(optarg, "-w", 100); break;
		case 'C': x.cpu = parse_cpus(optarg); break;
		case 'n': passes = number(optarg, "-n", UINT32_MAX); break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		snprintf(err, sizeof(err), "%s: unexpected argument", argv[optind]);
		bad(err);
	}
	if (!file)
		bad("no pcap file (-f file)");
	if (!port)
		bad("no port (-i port)");
	n = snprintf(name, sizeof(name), "%s%s", strncmp(port, "netmap:", 7) == 0 ||
	    (strncmp(port, "vale", 4) == 0 && strchr(port, ':')) ? "" : "netmap:", port);
	if (n < 0 || (size_t)n >= sizeof(name))
		bad("the port name is too long");

	if (rp_trace_load(&tr, file, err, sizeof(err)) < 0) {
		fprintf(stderr, "nmreplay: %s\n", err);
		return 1;
	}
	if (tr.reordered)
		fprintf(stderr, "nmreplay: warning: %s: %llu frames are stamped earlier than the "
		    "one before them; they follow it at once\n", file,
		    (unsigned long long)tr.reordered);
	if (rp_sched_init(&sched, &cfg, &tr, passes) < 0) {
		fprintf(stderr, "nmreplay: out of memory for the schedule\n");
		rp_trace_free(&tr);
		return 1;
	}
	x.d = nmport_open(name);
	if (!x.d) {
		fprintf(stderr, "nmreplay: cannot open %s: %s\n", name, nm_errstr(errno));
		rc = 1;
		goto out;
	}
	if (x.d->last_tx_ring < x.d->first_tx_ring) {
		fprintf(stderr, "nmreplay: %s: no tx ring to send on\n", name);
		rc = 1;
		goto out;
	}
	x.s = &sched;
	x.tr = &tr;
	{
		int mode = unetmap_port_mode(x.d->fd);

		nic = mode >= UNETMAP_MODE_ZEROCOPY;
	}
	if (wait_s < 0)
		wait_s = nic ? 2 : 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	fprintf(stderr, "nmreplay: %s: %zu frames, %llu bytes; replaying into %s, %s%s%s\n",
	    file, tr.n, (unsigned long long)tr.bytes, name, describe_bw(&cfg, bw, sizeof(bw)),
	    cfg.delay != LM_D_NONE ? ", with delay" : "", cfg.loss != LM_L_NONE ? ", with loss" : "");
	for (long i = 0; i < wait_s * 10 && !stop; i++) {
		struct timespec ts = { 0, 100000000 };

		nanosleep(&ts, NULL);
	}
	if (stop)
		goto out;
	errno = pthread_create(&th, NULL, rp_tx_main, &x);
	if (errno) {
		fprintf(stderr, "nmreplay: cannot start the tx thread: %s\n", strerror(errno));
		rc = 1;
		goto out;
	}
	/* the statistics, every second with -v, until the thread is done */
	for (uint64_t tick = lm_now();;) {
		struct timespec ts = { 0, 50000000 };

		if (__atomic_load_n(&x.done, __ATOMIC_ACQUIRE))
			break;
		nanosleep(&ts, NULL);
		if (verbose && lm_now() - tick >= 1000000000ull) {
			uint64_t s = __atomic_load_n(&x.sent, __ATOMIC_RELAXED);
			double dt = (double)(lm_now() - tick) / 1e9;
			char a[32];

			scaled(a, sizeof(a), (double)(s - last_sent) / dt, "pps");
			fprintf(stderr, "nmreplay: %s, %llu frames sent\n", a, (unsigned long long)s);
			last_sent = s;
			tick = lm_now();
		}
	}
	pthread_join(th, NULL);
	if (x.error) {
		fprintf(stderr, "nmreplay: %s: sending failed: %s\n", name, strerror(x.error));
		rc = 1;
	}
	{
		double secs = x.t_last > x.t_first ? (double)(x.t_last - x.t_first) / 1e9 : 0;
		char pps[32], bps[32];

		scaled(pps, sizeof(pps), secs > 0 ? (double)x.sent / secs : 0, "pps");
		scaled(bps, sizeof(bps), secs > 0 ? (double)x.bytes * 8 / secs : 0, "bps");
		printf("Sent %llu frames %llu bytes in %.3f seconds", (unsigned long long)x.sent,
		    (unsigned long long)x.bytes, secs);
		if (passes && !stop && !x.error)
			printf(" (%llu passes of %zu frames)", (unsigned long long)passes, tr.n);
		printf(".\n");
		printf("Speed: %s Bandwidth: %s\n", pps, bps);
		if (cfg.loss != LM_L_NONE)
			printf("Lost: %llu of %llu frames (%.5f; asked %.5f)\n",
			    (unsigned long long)sched.lost, (unsigned long long)sched.judged,
			    sched.judged ? (double)sched.lost / (double)sched.judged : 0.0,
			    sched.judged ? sched.expected / (double)sched.judged : 0.0);
	}
out:
	nmport_close(x.d);
	rp_sched_free(&sched);
	rp_trace_free(&tr);
	return rc;
}
