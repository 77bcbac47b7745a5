/*
 * tlem - netmap's link emulator between two ports, as our own program:
 * netmap's command line (tlem(8)) and its model, see tlem.h.
 *
 *   tlem -i PORT1 -i PORT2 [-B bw] [-D delay] [-L loss] [-R reorder]
 *        [-Q qsize] [-M max] [-C cores] [-b batch] [-w secs] [-r [-G gw]]
 *        [-s file [-a]] [-v] [-q]
 *
 * -B -D -L -Q -R -M -P -O -d may be given once (both directions) or twice
 * (the first for PORT1 -> PORT2, the second for the way back).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>

#include "tlem.h"
#include "tools/common/nm_errno.h"

int tl_verbose = 1;		/* netmap's tlem: a line a second unless -q */
volatile sig_atomic_t tl_stop;

static void
on_signal(int sig)
{
	(void)sig;
	tl_stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tlem -i port1 -i port2 [-B bandwidth] [-D delay] [-L loss] [-R reordering]\n"
	    "            [-Q queue-size] [-M max-delay[,max-bps[,max-hold]]] [-C cores]\n"
	    "            [-b batch] [-w wait-link] [-r [-G gateway]] [-s session-file [-a]]\n"
	    "            [-P 0|1] [-O delay-offset] [-d max-lag] [-c] [-H] [-v] [-q]\n"
	    "  -B bps | constant,bps | ether,bps | avg,bps   bandwidth (k, M, G), default none;\n"
	    "                                         avg: a token bucket, the excess dropped\n"
	    "  -D t | constant,t | uniform,dmin,dmax | exp,dmin,davg   added delay (s, ms, us, ns)\n"
	    "     | inter-packet,min-gap,max-gap,t    a gap after the frame before, t if idle\n"
	    "  -L x | plr,x | ber,x                   packet or bit error rate\n"
	    "  -R const,p,t                           hold a frame for t with probability p\n"
	    "  -Q size                                queue, bytes (k, m, g); 50000 with -B\n"
	    "  -B -D -L -R -Q -M -P -O -d: once for both directions, twice for each\n"
	    "  -C a[,b[,c,d]]  cores of the four threads     -b batch (1..8192, 1024)\n"
	    "  -w secs         wait before forwarding (0)    -r route mode, -G its gateways\n"
	    "  -s file         session: a later tlem with the same file changes the running\n"
	    "                  one's parameters; -a asks it to stop\n"
	    "  see tlem(8)\n");
}

static void
bad(const char *msg)
{
	fprintf(stderr, "tlem: %s\n", msg);
	exit(1);
}

/* a per-direction option: the first and the second time it is given */
static void
add2(const char **v, const char *arg, char opt)
{
	char m[96];

	if (!v[0]) {
		v[0] = arg;
	} else if (!v[1]) {
		v[1] = arg;
	} else {
		snprintf(m, sizeof(m), "-%c %s: given a third time (once for both directions, "
		    "twice for each)", opt, arg);
		bad(m);
	}
}

static long
int_arg(const char *s, char opt, long lo, long hi, const char *what)
{
	char *end, m[160];
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		snprintf(m, sizeof(m), "-%c %s: %s is a whole number from %ld to %ld", opt, s, what,
		    lo, hi);
		bad(m);
	}
	return v;
}

static void
parse_cores(const char *arg, int cores[4])
{
	char buf[128], *w[5];
	int n = lm_split(arg, buf, sizeof(buf), w, 5), v[4];

	if (n != 1 && n != 2 && n != 4) {
		fprintf(stderr, "tlem: -C %s: 1, 2 or 4 cores, comma separated\n", arg);
		exit(1);
	}
	for (int i = 0; i < n; i++)
		v[i] = (int)int_arg(w[i], 'C', 0, 4095, "a core");
	if (n == 1) {
		for (int i = 0; i < 4; i++)
			cores[i] = v[0] + i;
	} else if (n == 2) {
		cores[0] = v[0], cores[1] = v[0] + 1, cores[2] = v[1], cores[3] = v[1] + 1;
	} else {
		memcpy(cores, v, sizeof(v));
	}
}

static struct nmport_d *
open_port(const char *name, bool input)
{
	struct nmport_d *d = nmport_prepare(name);

	if (!d) {
		fprintf(stderr, "tlem: %s: cannot open: %s\n", name, nm_errstr(errno));
		exit(1);
	}
	if (input)	/* the producer reads only: a poll must not send */
		d->reg.nr_flags |= NETMAP_NO_TX_POLL;
	if (nmport_open_desc(d) < 0) {
		fprintf(stderr, "tlem: %s: cannot open: %s\n", name, nm_errstr(errno));
		nmport_undo_prepare(d);
		exit(1);
	}
	return d;
}

static void
print_stats(const struct tl_dir *d, const struct tl_stats *old, double secs, FILE *f)
{
	const struct tl_stats *s = d->st;
	uint64_t in = atomic_load(&s->in), out = atomic_load(&s->out);

	if (old) {
		fprintf(f, "tlem: %s -> %s: %.0f pps in, %.0f pps out, %llu lost, %llu dropped, "
		    "%llu held\n", d->in_name, d->out_name, (double)(in - atomic_load(&old->in)) / secs,
		    (double)(out - atomic_load(&old->out)) / secs,
		    (unsigned long long)(atomic_load(&s->lost) - atomic_load(&old->lost)),
		    (unsigned long long)(atomic_load(&s->qdrop) + atomic_load(&s->other) -
			atomic_load(&old->qdrop) - atomic_load(&old->other)),
		    (unsigned long long)(atomic_load(&s->held) - atomic_load(&old->held)));
		return;
	}
	fprintf(f, "%s -> %s: %llu frames in (%llu bytes), %llu out (%llu bytes), %llu lost (-L), "
	    "%llu dropped (queue or delay line full), %llu held (-R), %llu other drops\n", d->in_name,
	    d->out_name, (unsigned long long)in, (unsigned long long)atomic_load(&s->in_bytes),
	    (unsigned long long)out, (unsigned long long)atomic_load(&s->out_bytes),
	    (unsigned long long)atomic_load(&s->lost), (unsigned long long)atomic_load(&s->qdrop),
	    (unsigned long long)atomic_load(&s->held), (unsigned long long)atomic_load(&s->other));
}

static void
copy_stats(struct tl_stats *dst, const struct tl_stats *s)
{
	atomic_store(&dst->in, atomic_load(&s->in));
	atomic_store(&dst->out, atomic_load(&s->out));
	atomic_store(&dst->lost, atomic_load(&s->lost));
	atomic_store(&dst->qdrop, atomic_load(&s->qdrop));
	atomic_store(&dst->other, atomic_load(&s->other));
	atomic_store(&dst->held, atomic_load(&s->held));
}

int
main(int argc, char **argv)
{
	const char *ifn[2] = { 0 }, *B[2] = { 0 }, *D[2] = { 0 }, *L[2] = { 0 }, *R[2] = { 0 },
	    *Q[2] = { 0 }, *M[2] = { 0 }, *P[2] = { 0 }, *O[2] = { 0 }, *dl[2] = { 0 }, *G[2] = { 0 };
	const char *sfile = NULL;
	static struct tl_dir dir[2];
	static struct tl_ipif ipif[2];
	static struct tl_arpq arpq[2];
	struct tl_session *sess;
	struct sigaction sa;
	char err[512];
	long burst = 1024, wait_link = 0;
	int c, cores[4], rc = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	bool server, terminate = false, route = false, huge = false;

	/* netmap's default placement: producer and consumer of a direction on two
	 * hyperthreads of one core */
	if (ncpu > 0) {
		int h = (int)ncpu / 2 ? (int)ncpu / 2 : 1;

		cores[0] = h / 3, cores[1] = cores[0] + h, cores[2] = 2 * h / 3, cores[3] = cores[2] + h;
		for (int i = 0; i < 4; i++)
			cores[i] %= (int)ncpu;
	} else {
		cores[0] = cores[1] = cores[2] = cores[3] = -1;
	}
	while ((c = getopt(argc, argv, "B:C:D:G:L:M:O:P:Q:R:ab:cd:Hhi:qrs:vw:")) != -1) {
		switch (c) {
		case 'i': add2(ifn, optarg, 'i'); break;
		case 'B': add2(B, optarg, 'B'); break;
		case 'D': add2(D, optarg, 'D'); break;
		case 'L': add2(L, optarg, 'L'); break;
		case 'R': add2(R, optarg, 'R'); break;
		case 'Q': add2(Q, optarg, 'Q'); break;
		case 'M': add2(M, optarg, 'M'); break;
		case 'P': add2(P, optarg, 'P'); break;
		case 'O': add2(O, optarg, 'O'); break;
		case 'd': add2(dl, optarg, 'd'); break;
		case 'G': add2(G, optarg, 'G'); break;
		case 'C': parse_cores(optarg, cores); break;
		case 'b': burst = int_arg(optarg, 'b', 1, 8192, "the batch"); break;
		case 'w': wait_link = int_arg(optarg, 'w', 0, 100, "the wait, in seconds,"); break;
		case 'c': break;	/* no zero copy: tlem copies anyway */
		case 'H': huge = true; break;
		case 'r': route = true; break;
		case 's':
			if (sfile)
				bad("-s given twice");
			sfile = optarg;
			break;
		case 'a': terminate = true; break;
		case 'v': tl_verbose++; break;
		case 'q': if (tl_verbose > 0) tl_verbose--; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tlem: %s: unexpected argument (ports are given with -i)\n",
		    argv[optind]);
		return 1;
	}
	if (terminate && !sfile)
		bad("-a asks a running tlem to stop: it needs that tlem's -s session file");

	sess = tl_session_open(sfile, &server);
	if (!sess)
		return 1;
	if (terminate) {
		for (int i = 0; i < 2; i++)
			atomic_store(&sess->dir[i].active, TL_NINST);
		if (!server && tl_session_wait_end() < 0)
			return 1;
		if (tl_verbose > 0)
			fprintf(stderr, "tlem: %s\n", server ? "no tlem runs with this session file" :
			    "the running tlem has stopped");
		tl_session_close(sess);
		return 0;
	}
	if (server) {
		if (!ifn[0] || !ifn[1])
			bad("two ports are needed: -i port1 -i port2");
		if (strcmp(ifn[0], ifn[1]) == 0) {
			fprintf(stderr, "tlem: -i %s twice: the two ports must differ\n", ifn[0]);
			return 1;
		}
	}
	/* given once: for both directions */
	{
		const char **all[] = { B, D, L, R, Q, M, P, O, dl };

		for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
			if (!all[k][1])
				all[k][1] = all[k][0];
	}

	/*
	 * a client fills the set the server does not use: wait (2 s at most)
	 * until its producers have taken the one the last client gave
	 */
	for (int k = 0; !server && k < 200; k++) {
		if (atomic_load(&sess->dir[0].in_use) == atomic_load(&sess->dir[0].active) &&
		    atomic_load(&sess->dir[1].in_use) == atomic_load(&sess->dir[1].active))
			break;
		if (k == 199) {
			fprintf(stderr, "tlem: -s %s: the running tlem has not taken the last "
			    "parameters sent to it in 2 s: not sending more\n", sfile);
			return 1;
		}
		usleep(10000);
	}
	for (int i = 0; i < 2; i++) {
		struct tl_dir_sess *ds = &sess->dir[i];
		struct tl_args a = { B[i], D[i], L[i], R[i], Q[i], M[i], P[i], O[i], dl[i] };
		uint32_t target = server ? 0 : (atomic_load(&ds->active) + 1) % TL_NINST;
		struct tl_params *p = &ds->inst[target];

		if (tl_params_parse(p, &a, err, sizeof(err)) < 0)
			bad(err);
		if (!server) {
			if (tl_params_check(p, ds, err, sizeof(err)) < 0)
				bad(err);
			continue;
		}
		ds->max_delay = lm_delay_max(&p->link);
		ds->max_bps = p->link.bps;
		ds->max_hold = p->hold_p > 0 ? p->hold_t : 0;
		if (M[i]) {
			if (tl_limits_parse(ds, M[i], err, sizeof(err)) < 0)
				bad(err);
			/* netmap's: -M's bandwidth is the link's when -B did not say */
			if (!B[i] && ds->max_bps > 0) {
				p->link.bw = LM_BW_CONST;
				p->link.bps = ds->max_bps;
			}
		}
		if (dl[i] && tl_lag_parse(dl[i], &dir[i].max_lag, err, sizeof(err)) < 0)
			bad(err);
	}
	if (!server) {
		/* both new sets in place: make them the active ones */
		for (int i = 0; i < 2; i++) {
			struct tl_dir_sess *ds = &sess->dir[i];

			atomic_store_explicit(&ds->active, (atomic_load(&ds->active) + 1) % TL_NINST,
			    memory_order_release);
		}
		if (tl_verbose > 0)
			fprintf(stderr, "tlem: -s %s: the new parameters are the running tlem's\n", sfile);
		tl_session_close(sess);
		return 0;
	}

	if (route) {
		for (int i = 0; i < 2; i++)
			if (tl_route_init(&ipif[i], ifn[i], G[i], err, sizeof(err)) < 0)
				bad(err);
	} else if (G[0]) {
		bad("-G is the gateway of route mode: it needs -r");
	}

	for (int i = 0; i < 2; i++) {
		struct tl_dir *d = &dir[i];

		d->idx = i;
		d->in_name = ifn[i];
		d->out_name = ifn[1 - i];
		d->sess = &sess->dir[i];
		d->st = &sess->stats[i];
		d->burst = (unsigned)burst;
		d->cons_cpu = cores[2 * i];
		d->prod_cpu = cores[2 * i + 1];
		d->hugepages = huge;
		d->route = route;
		/* the producer of a port tells the consumer sending into it */
		d->in_if = &ipif[i];
		d->out_if = &ipif[1 - i];
		d->arp_in = &arpq[i];
		d->arp_out = &arpq[1 - i];
	}
	for (int i = 0; i < 2; i++) {
		dir[i].in = open_port(dir[i].in_name, true);
		dir[i].out = open_port(dir[i].out_name, false);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (long s = 0; s < wait_link * 10 && !tl_stop; s++)
		usleep(100000);

	for (int i = 0; i < 2; i++) {
		char desc[400];

		if (tl_dir_alloc(&dir[i]) < 0) {
			fprintf(stderr, "tlem: no memory for the delay line of %s -> %s: %s\n",
			    dir[i].in_name, dir[i].out_name, strerror(errno));
			return 1;
		}
		if (tl_verbose > 0) {
			tl_params_describe(&sess->dir[i].inst[0], desc, sizeof(desc));
			fprintf(stderr, "tlem: %s -> %s: %s; delay line %llu MB\n", dir[i].in_name,
			    dir[i].out_name, desc, (unsigned long long)(dir[i].buflen >> 20));
		}
	}
	if (tl_session_allow_clients() < 0)
		return 1;
	for (int i = 0; i < 2 && !tl_stop; i++) {
		if (pthread_create(&dir[i].cons_th, NULL, tl_consumer, &dir[i]) ||
		    pthread_create(&dir[i].prod_th, NULL, tl_producer, &dir[i]))
			bad("cannot start the threads");
	}
	if (tl_verbose > 0)
		fprintf(stderr, "tlem: forwarding between %s and %s\n", ifn[0], ifn[1]);

	{
		struct tl_stats old[2];
		uint64_t t0 = lm_now();

		copy_stats(&old[0], dir[0].st);
		copy_stats(&old[1], dir[1].st);
		while (!tl_stop) {
			usleep(50000);
			if (tl_verbose > 0 && lm_now() - t0 >= 1000000000ull) {
				double secs = (double)(lm_now() - t0) / 1e9;

				for (int i = 0; i < 2; i++) {
					print_stats(&dir[i], &old[i], secs, stderr);
					copy_stats(&old[i], dir[i].st);
				}
				t0 = lm_now();
			}
		}
	}
	for (int i = 0; i < 2; i++) {
		if (dir[i].cons_th)
			pthread_join(dir[i].cons_th, NULL);
		if (dir[i].prod_th)
			pthread_join(dir[i].prod_th, NULL);
	}
	for (int i = 0; i < 2; i++) {
		if (dir[i].error) {
			fprintf(stderr, "tlem: %s -> %s: the ports failed: %s\n", dir[i].in_name,
			    dir[i].out_name, strerror(dir[i].error));
			rc = 1;
		}
		print_stats(&dir[i], NULL, 0, stdout);
	}
	for (int i = 0; i < 2; i++) {
		nmport_close(dir[i].in);
		nmport_close(dir[i].out);
		tl_dir_free(&dir[i]);
	}
	tl_session_close(sess);
	return rc;
}
