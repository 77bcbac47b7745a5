/*
 * main.c - netmap-bridge: options, opening the two ports, the poll loop.
 *
 *   netmap-bridge -i A -i B     frames from A to B and from B to A
 *   netmap-bridge -i A          A's NIC rings and A's host rings (A^):
 *                               the system works as without netmap, which
 *                               tells netmap faults from application faults
 *   netmap-bridge -L -i A       A's rx back to A's tx (loopback)
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"
#include "unetmap.h"
#include "tools/common/nm_errno.h"

#define MAX_PORTS 128	/* -i: 64 pairs, a switch's worth */

static volatile sig_atomic_t stop;

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
	    "usage: netmap-bridge [-hvcLp] [-a cpu] [-A cpus] [-b batch] [-w wait-link] -i port [-i port]...\n"
	    "\n"
	    "Forwards frames between two netmap ports, or between a network interface\n"
	    "and its host stack when one port is given.\n"
	    "\n"
	    "  -i port   a netmap port (netmap:eth0, eth0, vale0:a, x{1 ...); twice for two\n"
	    "            ports; once: the port and its host rings (port^); fd:N is a\n"
	    "            netmap descriptor this process inherited already registered\n"
	    "            (how unetmapd hands ports to the workers of attached interfaces);\n"
	    "            -i A -i B -i C -i D ...: the pairs A<->B, C<->D ... in one loop\n"
	    "  -L        with one port: send what it receives back out of it (loopback)\n"
	    "  -b batch  at most this many slots per ring pass (1..8192, default 1024)\n"
	    "  -w secs   wait this long for the links before forwarding (default 2)\n"
	    "  -c        copy frames even when the ports share memory (default: swap buffers)\n"
	    "  -a cpu    run on this CPU only\n"
	    "  -p        busy-poll: sync the rings in a loop while frames come, for the\n"
	    "            lowest latency (what valectl -p asks of unetmapd); after 50 us\n"
	    "            without a frame, sleep in poll() until one comes, as NAPI does\n"
	    "  -A cpus   with pairs: the CPU that busy-polls each pair, in order, or - for\n"
	    "            a pair not polled (0,1,-: pair 1 on CPU 0, pair 2 on CPU 1, pair 3\n"
	    "            sleeping in poll()); one thread per CPU, and the thread that\n"
	    "            sends frames into a pair's second port drains the second ports\n"
	    "            of the others (a switch's) at once (what unetmapd's switch\n"
	    "            workers run)\n"
	    "  -v        say more (port modes, counts every second)\n"
	    "  -h        this text\n");
}

/* "eth0" -> "netmap:eth0"; names with a subsystem stay as they are */
static char *
portspec(const char *name, const char *suffix)
{
	size_t len = strlen(name) + strlen(suffix) + 8;
	char *s = malloc(len);

	if (!s)
		return NULL;
	if (strncmp(name, "netmap:", 7) == 0 || strncmp(name, "vale", 4) == 0 ||
	    strncmp(name, "fd:", 3) == 0)
		snprintf(s, len, "%s%s", name, suffix);
	else
		snprintf(s, len, "netmap:%s%s", name, suffix);
	return s;
}

/* the host-ring twin of a NIC portspec: "netmap:eth0" -> "netmap:eth0^" */
static char *
host_twin(const char *spec)
{
	const char *opts = strchr(spec, '@');
	size_t base = opts ? (size_t)(opts - spec) : strlen(spec);
	char *s = malloc(strlen(spec) + 2);

	if (!s)
		return NULL;
	memcpy(s, spec, base);
	s[base] = '^';
	strcpy(s + base + 1, spec + base);
	return s;
}

/* "fd:N": a descriptor registered by someone else (unetmapd), mapped here */
static struct nmport_d *
inherited_port(const char *spec)
{
	char *end;
	long fd = strtol(spec + 3, &end, 10);
	struct nmport_d *d;

	if (spec[3] == '\0' || *end || fd < 0 || fd > 65535) {
		fprintf(stderr, "netmap-bridge: %s: fd: takes a descriptor number\n", spec);
		errno = EINVAL;
		return NULL;
	}
	d = nmport_new();
	if (!d)
		return NULL;
	if (unetmap_fd_info((int)fd, d->hdr.nr_name, sizeof(d->hdr.nr_name), &d->reg) < 0) {
		int err = errno;

		fprintf(stderr, "netmap-bridge: %s: not a registered netmap descriptor: %s\n",
		    spec, nm_errstr(err));
		nmport_delete(d);
		errno = err;
		return NULL;
	}
	d->fd = (int)fd;
	d->register_done = 1;
	if (nmport_mmap(d) < 0) {
		int err = errno;

		nmport_delete(d);
		errno = err;
		return NULL;
	}
	return d;
}

static struct nmport_d *
open_port(const char *spec)
{
	struct nmport_d *d = strncmp(spec, "fd:", 3) == 0 ? inherited_port(spec) : nmport_open(spec);

	if (!d)
		fprintf(stderr, "netmap-bridge: cannot open %s: %s\n", spec, nm_errstr(errno));
	return d;
}

/* what to call a port in messages: its spec, and for fd:N the port's name too */
static const char *
label(const char *spec, struct nmport_d *d, char *buf, size_t len)
{
	if (strncmp(spec, "fd:", 3) != 0)
		return spec;
	snprintf(buf, len, "%s (%s)", spec, d->hdr.nr_name);
	return buf;
}

static void
say_port(const char *spec, struct nmport_d *d)
{
	int mode = unetmap_port_mode(d->fd);

	fprintf(stderr, "netmap-bridge: %s: %u+%u rings, memory %u, %s\n", spec,
	    d->last_tx_ring - d->first_tx_ring + 1, d->last_rx_ring - d->first_rx_ring + 1,
	    d->reg.nr_mem_id, mode < 0 ? "?" : unetmap_mode_name((unsigned)mode));
}

/* more than two ports: bridged pairwise in one loop (pairs.c) */
/* -A: one CPU or '-' per pair, or exit 2 */
static long *
cpu_list(const char *s, int npairs)
{
	long *cpu = calloc((size_t)npairs, sizeof(*cpu));
	int k = 0, entries = 1;

	if (!cpu)
		return NULL;
	for (const char *p = s; *p; p++)
		entries += *p == ',';
	if (entries != npairs)
		k = -1;		/* refused below */
	for (const char *p = s; k >= 0 && k < npairs; k++) {
		char *end;

		if (*p == '-' && (p[1] == ',' || p[1] == '\0')) {
			cpu[k] = NB_NOT_POLLED;
			end = (char *)p + 1;
		} else {
			cpu[k] = strtol(p, &end, 10);
			if (end == p || cpu[k] < 0 || cpu[k] >= CPU_SETSIZE)
				break;
		}
		if (*end == '\0') {
			k++;
			break;
		}
		if (*end != ',')
			break;
		p = end + 1;
	}
	if (k != npairs || strlen(s) == 0 || s[strlen(s) - 1] == ',') {
		fprintf(stderr, "netmap-bridge: -A %s: one CPU number or - for each of the %d "
		    "pairs, separated by commas\n", s, npairs);
		exit(2);
	}
	return cpu;
}

static int
pairs(const char **names, int n, long batch, int copy, int busy, long cpu, const char *cpus)
{
	long *lane_cpu = NULL;
	struct nmport_d *port[MAX_PORTS];
	int opened = 0, rc = 1;

	if (n % 2) {
		fprintf(stderr, "netmap-bridge: %d ports: more than two are bridged in pairs\n", n);
		return 2;
	}
	if (cpus && !(lane_cpu = cpu_list(cpus, n / 2))) {
		fprintf(stderr, "netmap-bridge: out of memory\n");
		return 1;
	}
	if (nb_pin(cpu, "-a") < 0) {
		free(lane_cpu);
		return 1;
	}
	for (; opened < n; opened++) {
		char *spec = portspec(names[opened], "");

		port[opened] = spec ? open_port(spec) : NULL;
		free(spec);
		if (!port[opened])
			goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (int i = 0; i < n; i += 2)
		if (lane_cpu && lane_cpu[i / 2] >= 0)
			fprintf(stderr, "netmap-bridge: %s (%s) <-> %s (%s), busy-polling on CPU %ld\n",
			    names[i], port[i]->hdr.nr_name, names[i + 1], port[i + 1]->hdr.nr_name,
			    lane_cpu[i / 2]);
		else
			fprintf(stderr, "netmap-bridge: %s (%s) <-> %s (%s)%s\n", names[i],
			    port[i]->hdr.nr_name, names[i + 1], port[i + 1]->hdr.nr_name,
			    busy && !lane_cpu ? ", busy-polling" : "");
	rc = nb_run_pairs(port, (unsigned)n, (uint32_t)batch, copy, busy, lane_cpu, &stop);
out:
	while (opened > 0)
		nmport_close(port[--opened]);
	free(lane_cpu);
	return rc;
}

static long
number(char opt, const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end || v < lo || v > hi) {
		fprintf(stderr, "netmap-bridge: -%c takes a number from %ld to %ld, not '%s'\n",
		    opt, lo, hi, s);
		exit(2);
	}
	return v;
}

int
nb_pin(long cpu, const char *opt)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		fprintf(stderr, "netmap-bridge: %s %ld: %s\n", opt, cpu, strerror(errno));
		return -1;
	}
	return 0;
}

/* the bridge's two ports (or one, looped back) and what crossed */
struct two {
	struct nmport_d *a, *b;
	bool loop, zcopy;
	uint32_t batch;
	struct nb_stats ab, ba;
	struct nb_idle idle;
};

/* polling: a pass that syncs every ring (bridge.h: asleep when idle) */
static void
busy_pass(struct two *t)
{
	uint64_t before = t->ab.slots + t->ba.slots;

	ioctl(t->a->fd, NIOCRXSYNC, NULL);
	if (!t->loop)
		ioctl(t->b->fd, NIOCRXSYNC, NULL);
	nb_move(t->a, t->b, t->batch, t->zcopy, &t->ab);
	if (!t->loop)
		nb_move(t->b, t->a, t->batch, t->zcopy, &t->ba);
	ioctl(t->b->fd, NIOCTXSYNC, NULL);
	if (!t->loop)
		ioctl(t->a->fd, NIOCTXSYNC, NULL);
	nb_pass_done(t->ab.slots + t->ba.slots - before, t->batch);
	if (nb_idle_long(&t->idle, t->ab.slots + t->ba.slots - before)) {
		struct pollfd pfd[2] = { { .fd = t->a->fd, .events = POLLIN },
		    { .fd = t->b->fd, .events = POLLIN } };

		poll(pfd, t->loop ? 1 : 2, 1000);
	}
}

/* asleep in poll() until frames or room come, then what they let through; -1 on error */
static int
sleeping_pass(struct two *t)
{
	struct pollfd pfd[2] = { { .fd = t->a->fd }, { .fd = t->b->fd } };
	uint32_t n0 = nb_rx_pending(t->a), n1 = t->loop ? 0 : nb_rx_pending(t->b);

	/* wait for room where frames wait to go, for frames elsewhere */
	if (t->loop)
		pfd[0].events = n0 ? POLLOUT : POLLIN;
	else if (n0)
		pfd[1].events |= POLLOUT;
	else
		pfd[0].events |= POLLIN;
	if (!t->loop && n1)
		pfd[0].events |= POLLOUT;
	else if (!t->loop)
		pfd[1].events |= POLLIN;
	if (poll(pfd, t->loop ? 1 : 2, 1000) < 0) {
		if (errno == EINTR)
			return 0;
		perror("netmap-bridge: poll");
		return -1;
	}
	if (t->loop) {
		if (pfd[0].revents & (POLLIN | POLLOUT))
			nb_move(t->a, t->a, t->batch, t->zcopy, &t->ab);
	} else {
		if (pfd[1].revents & POLLOUT)
			nb_move(t->a, t->b, t->batch, t->zcopy, &t->ab);
		if (pfd[0].revents & POLLOUT)
			nb_move(t->b, t->a, t->batch, t->zcopy, &t->ba);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *names[MAX_PORTS] = { NULL };
	int nnames = 0, verbose = 0, loopback = 0, copy = 0, busy = 0, c;
	long batch = 1024, wait = 2, cpu = -1;
	const char *cpus = NULL;
	char *spec_a, *spec_b;
	struct nmport_d *pa, *pb;
	struct two t = { 0 };
	struct nb_crowd crowd = { 0 };
	char la[96], lb[96];
	bool zcopy;
	bool said_rest = false;
	time_t last = time(NULL);

	while ((c = getopt(argc, argv, "hvcLpa:A:b:w:i:")) != -1) {
		switch (c) {
		case 'i':
			if (nnames == MAX_PORTS) {
				fprintf(stderr, "netmap-bridge: at most %d ports (-i)\n", MAX_PORTS);
				return 2;
			}
			names[nnames++] = optarg;
			break;
		case 'b': batch = number('b', optarg, 1, 8192); break;
		case 'w': wait = number('w', optarg, 0, 3600); break;
		case 'c': copy = 1; break;
		case 'p': busy = 1; break;
		case 'a': cpu = number('a', optarg, 0, CPU_SETSIZE - 1); break;
		case 'A': cpus = optarg; break;
		case 'L': loopback = 1; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	/* netmap's old form: bridge ifa [ifb [batch]] */
	for (; optind < argc && nnames < 2; optind++)
		names[nnames++] = argv[optind];
	if (optind < argc)
		batch = number('b', argv[optind++], 1, 8192);
	if (nnames == 0) {
		fprintf(stderr, "netmap-bridge: no port given (-i)\n");
		usage(stderr);
		return 2;
	}
	if (nnames > 2 || cpus)
		return pairs(names, nnames, batch, copy, busy, cpu, cpus);
	if (loopback && nnames == 2) {
		fprintf(stderr, "netmap-bridge: -L takes one port\n");
		return 2;
	}
	if (nnames == 1 && !loopback && strncmp(names[0], "fd:", 3) == 0) {
		fprintf(stderr, "netmap-bridge: %s has no host twin to open: give a second port "
		    "or -L\n", names[0]);
		return 2;
	}
	if (nb_pin(cpu, "-a") < 0)
		return 1;
	spec_a = portspec(names[0], "");
	spec_b = nnames == 2 ? portspec(names[1], "") : loopback ? spec_a : host_twin(spec_a);
	if (!spec_a || !spec_b) {
		fprintf(stderr, "netmap-bridge: out of memory\n");
		return 1;
	}
	if (!loopback && strcmp(spec_a, spec_b) == 0) {
		fprintf(stderr, "netmap-bridge: %s twice: use -L to loop a port back to itself\n",
		    spec_a);
		return 2;
	}
	pa = open_port(spec_a);
	if (!pa)
		return 1;
	pb = loopback ? pa : open_port(spec_b);
	if (!pb) {
		nmport_close(pa);
		return 1;
	}
	zcopy = !copy && pa->reg.nr_mem_id == pb->reg.nr_mem_id;
	if (zcopy)
		nb_allow_exchange(pa, pb);
	if (verbose) {
		say_port(spec_a, pa);
		if (!loopback)
			say_port(spec_b, pb);
	}
	fprintf(stderr, "netmap-bridge: %s <-> %s, %s, batch %ld%s\n", label(spec_a, pa, la,
	    sizeof(la)), loopback ? "itself" : label(spec_b, pb, lb, sizeof(lb)),
	    zcopy ? "zero-copy (buffer swap)" : "copying", batch, busy ? ", busy-polling" : "");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (wait > 0) {
		fprintf(stderr, "netmap-bridge: waiting %ld s for the links (-w)\n", wait);
		for (long i = 0; i < wait * 10 && !stop; i++)
			usleep(100000);
	}

	t = (struct two){ .a = pa, .b = pb, .loop = loopback, .zcopy = zcopy,
	    .batch = (uint32_t)batch };
	while (!stop) {
		if (busy && nb_should_poll(&crowd, nb_now_ns())) {
			busy_pass(&t);
		} else {
			if (busy && crowd.rests && !said_rest) {
				fprintf(stderr, "netmap-bridge: threads wait for a CPU here: forwarding "
				    "asleep while they do\n");
				said_rest = true;
			}
			if (sleeping_pass(&t) < 0)
				break;
		}
		if (verbose > 1 && time(NULL) != last) {
			last = time(NULL);
			fprintf(stderr, "netmap-bridge: %llu frames ->, %llu frames <-\n",
			    (unsigned long long)t.ab.frames, (unsigned long long)t.ba.frames);
		}
	}
	if (crowd.rests)
		fprintf(stderr, "netmap-bridge: %llu rests: threads waited for a CPU\n",
		    (unsigned long long)crowd.rests);
	/* push out what was moved last */
	ioctl(pa->fd, NIOCTXSYNC, NULL);
	if (!loopback)
		ioctl(pb->fd, NIOCTXSYNC, NULL);
	fprintf(stderr, "netmap-bridge: %llu frames (%llu bytes) %s, %llu frames (%llu bytes) %s\n",
	    (unsigned long long)t.ab.frames, (unsigned long long)t.ab.bytes,
	    loopback ? "looped" : "forward", (unsigned long long)t.ba.frames,
	    (unsigned long long)t.ba.bytes, "back");
	if (!loopback)
		nmport_close(pb);
	nmport_close(pa);
	free(spec_a);
	if (spec_b != spec_a)
		free(spec_b);
	return 0;
}
