/*
 * lb_flows.c - known flows through lb(8), for tests/integration/lb.sh.
 *
 *   lb_flows send PORT FLOWS REPS [FIRST_SEQ]
 *       FLOWS flows of every kind lb hashes (IPv4/IPv6 TCP and UDP, 802.1Q,
 *       IP-in-IP, 6in4, IPv6-in-IPv6, GRE with IPv4 and with bridged
 *       Ethernet inside, ICMP, an IPv4 fragment, ARP), REPS rounds of one
 *       frame each way per flow (the reply with addresses and ports
 *       swapped), on PORT.  Each frame ends with a trailer: flow, direction,
 *       a sequence number from FIRST_SEQ (0) up.  Prints "sent N".
 *       With LB_FLOWS_NO_LEARN set, the slots carry NS_NO_LEARN (a VALE
 *       switch then floods every frame to its other ports).
 *
 *   lb_flows recv TOTAL SECS GROUP:NPIPES...
 *       opens GROUP}0..GROUP}NPIPES-1 of every group, prints "ready", then
 *       reads until every group got TOTAL frames (or SECS passed) and
 *       prints what it checked as "ok TEXT" / "not ok TEXT" lines:
 *       each sequence number exactly once per group, each flow (both
 *       directions) on one pipe of each group, frames on more than one
 *       pipe of a group.  With TOTAL 0 it reads for SECS seconds and
 *       prints "got G P N" (group, pipe, frames) and "seq G P S" for the
 *       first and last sequence numbers of each pipe: "first G P S",
 *       "last G P S".
 *
 *   lb_flows run PORT FLOWS REPS CHUNK GROUP:NPIPES[:LATE]...
 *       sender and consumers in one process (see do_run()): pipe LATE of a
 *       group is opened only once everything was sent, as a consumer that
 *       fell behind; prints "pipe G K got N" for every pipe, "late G K got
 *       N of M first S oldest S last S newest S" for a late one, and
 *       "ok"/"not ok" lines.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>

#define FRAME_LEN	200
#define TRAILER		16
#define MAGIC		0x4c42u
#define NKINDS		13
#define MAX_PIPES	64
#define MAX_GROUPS	8

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* addresses and ports of flow f, end e (0 or 1) */
static void
endpoint(uint32_t f, int e, uint8_t *mac, uint8_t *v4, uint8_t *v6, uint16_t *port)
{
	uint32_t x = f * 2654435761u + (uint32_t)e * 40503u + 12345u;

	memcpy(mac, (uint8_t[6]){ 0x02, 0, (uint8_t)(x >> 24), (uint8_t)(x >> 16),
	    (uint8_t)(x >> 8), (uint8_t)e }, 6);
	memcpy(v4, (uint8_t[4]){ 10, (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)(e + 1) }, 4);
	memset(v6, 0, 16);
	v6[0] = 0xfd;
	v6[1] = 0x00;
	put32(v6 + 8, x);
	put32(v6 + 12, f);
	v6[15] ^= (uint8_t)(e + 1);
	*port = (uint16_t)(1024 + (x % 60000));
}

static uint8_t *
ip4(uint8_t *p, const uint8_t *s, const uint8_t *d, uint8_t proto, bool frag)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, 100);
	put16(p + 6, frag ? 0x2000 | 37 : 0x4000);	/* MF and an offset, or DF */
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, s, 4);
	memcpy(p + 16, d, 4);
	return p + 20;
}

static uint8_t *
ip6(uint8_t *p, const uint8_t *s, const uint8_t *d, uint8_t nh)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, 80);
	p[6] = nh;
	p[7] = 64;
	memcpy(p + 8, s, 16);
	memcpy(p + 24, d, 16);
	return p + 40;
}

static uint8_t *
ports(uint8_t *p, uint16_t sp, uint16_t dp)
{
	put16(p, sp);
	put16(p + 2, dp);
	memset(p + 4, 0, 16);
	return p + 20;
}

static uint8_t *
eth(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint16_t type)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	put16(p + 12, type);
	return p + 14;
}

/* frame of flow f, direction dir (0: a -> b, 1: b -> a), sequence seq */
static void
make_frame(uint8_t *f, uint32_t flow, int dir, uint32_t seq)
{
	uint8_t ma[6], mb[6], a4[4], b4[4], a6[16], b6[16], *p;
	uint8_t om1[6] = { 0x02, 0xaa, 0, 0, 0, 1 }, om2[6] = { 0x02, 0xaa, 0, 0, 0, 2 };
	uint8_t t1[4] = { 192, 0, 2, 1 }, t2[4] = { 192, 0, 2, 2 };
	uint16_t pa, pb;
	const uint8_t *sm, *dm, *s4, *d4, *s6, *d6;
	uint16_t sp, dp;
	int kind = (int)(flow % NKINDS);

	endpoint(flow, 0, ma, a4, a6, &pa);
	endpoint(flow, 1, mb, b4, b6, &pb);
	sm = dir ? mb : ma; dm = dir ? ma : mb;
	s4 = dir ? b4 : a4; d4 = dir ? a4 : b4;
	s6 = dir ? b6 : a6; d6 = dir ? a6 : b6;
	sp = dir ? pb : pa; dp = dir ? pa : pb;
	memset(f, 0, FRAME_LEN);
	switch (kind) {
	case 0:		/* IPv4 TCP */
	case 1:		/* IPv4 UDP */
		p = eth(f, sm, dm, 0x0800);
		ports(ip4(p, s4, d4, kind ? 17 : 6, false), sp, dp);
		break;
	case 2:		/* IPv6 TCP */
	case 3:		/* IPv6 UDP */
		p = eth(f, sm, dm, 0x86dd);
		ports(ip6(p, s6, d6, kind == 2 ? 6 : 17), sp, dp);
		break;
	case 4:		/* 802.1Q, IPv4 TCP */
		p = eth(f, sm, dm, 0x8100);
		put16(p, 42);
		put16(p + 2, 0x0800);
		ports(ip4(p + 4, s4, d4, 6, false), sp, dp);
		break;
	case 5:		/* IP-in-IP: the tunnel end points never change */
		p = eth(f, dir ? om2 : om1, dir ? om1 : om2, 0x0800);
		p = ip4(p, dir ? t2 : t1, dir ? t1 : t2, 4, false);
		ports(ip4(p, s4, d4, 17, false), sp, dp);
		break;
	case 6:		/* IPv6 in IPv4 (6in4) */
		p = eth(f, om1, om2, 0x0800);
		p = ip4(p, dir ? t2 : t1, dir ? t1 : t2, 41, false);
		ports(ip6(p, s6, d6, 6), sp, dp);
		break;
	case 7:		/* IPv6 in IPv6 */
		p = eth(f, om1, om2, 0x86dd);
		p = ip6(p, dir ? b6 : a6, dir ? a6 : b6, 41);	/* outer varies too */
		ports(ip6(p, s6, d6, 17), sp, dp);
		break;
	case 8:		/* GRE (key present), IPv4 TCP inside */
		p = eth(f, om1, om2, 0x0800);
		p = ip4(p, dir ? t2 : t1, dir ? t1 : t2, 47, false);
		p[0] = 0x20;	/* K */
		put16(p + 2, 0x0800);
		put32(p + 4, 7);
		ports(ip4(p + 8, s4, d4, 6, false), sp, dp);
		break;
	case 9:		/* GRE, transparent Ethernet bridging, 802.1Q inside */
		p = eth(f, om1, om2, 0x0800);
		p = ip4(p, dir ? t2 : t1, dir ? t1 : t2, 47, false);
		put16(p + 2, 0x6558);
		p = eth(p + 4, sm, dm, 0x8100);
		put16(p, 7);
		put16(p + 2, 0x0800);
		ports(ip4(p + 4, s4, d4, 17, false), sp, dp);
		break;
	case 10:	/* ICMP: addresses only */
		p = eth(f, sm, dm, 0x0800);
		ip4(p, s4, d4, 1, false)[0] = 8;
		break;
	case 11:	/* a fragment: addresses only */
		p = eth(f, sm, dm, 0x0800);
		ports(ip4(p, s4, d4, 17, true), sp, dp);
		break;
	default:	/* ARP: the MAC addresses */
		p = eth(f, sm, dm, 0x0806);
		memset(p, 0x11, 28);
		break;
	}
	p = f + FRAME_LEN - TRAILER;
	put16(p, MAGIC);
	put32(p + 2, flow);
	p[6] = (uint8_t)dir;
	put32(p + 7, seq);
}

static int
do_send(const char *port, uint32_t flows, uint32_t reps, uint32_t seq)
{
	struct nmport_d *d = nmport_open(port);
	uint32_t total = flows * reps * 2, sent = 0;
	double end = now() + 30;
	bool nolearn = getenv("LB_FLOWS_NO_LEARN") != NULL;

	if (!d) {
		fprintf(stderr, "lb_flows: cannot open %s: %s\n", port, strerror(errno));
		return 1;
	}
	while (sent < total && now() < end) {
		struct netmap_ring *r = NETMAP_TXRING(d->nifp, d->first_tx_ring);
		struct pollfd p = { .fd = d->fd, .events = POLLOUT };

		while (sent < total && !nm_ring_empty(r)) {
			struct netmap_slot *s = &r->slot[r->head];
			uint32_t k = sent / 2;

			/* round by round: flow k % flows, this way then the other */
			make_frame((uint8_t *)NETMAP_BUF(r, s->buf_idx), k % flows, (int)(sent & 1),
			    seq + sent);
			s->len = FRAME_LEN;
			s->flags = nolearn ? NS_NO_LEARN : 0;
			r->head = r->cur = nm_ring_next(r, r->head);
			sent++;
		}
		poll(&p, 1, 100);
	}
	/* until everything left the ring */
	for (int i = 0; i < 300; i++) {
		struct netmap_ring *r = NETMAP_TXRING(d->nifp, d->first_tx_ring);

		ioctl(d->fd, NIOCTXSYNC, NULL);
		if (!nm_tx_pending(r))
			break;
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	printf("sent %u\n", sent);
	nmport_close(d);
	return sent == total ? 0 : 1;
}

struct rx_pipe {
	struct nmport_d *d;
	uint64_t frames;
	long first, last;
};

struct rx_group {
	char name[64];
	int n;
	struct rx_pipe p[MAX_PIPES];
	uint64_t got, bad, dups;
	uint8_t *seen;		/* per sequence number: times seen */
	int16_t *flow_pipe;	/* per flow: the pipe it went to, -1 none, -2 several */
};

static int
do_recv(uint32_t total, double secs, int ng, char **specs)
{
	struct rx_group *g = calloc((size_t)ng, sizeof(*g));
	struct pollfd pfd[MAX_GROUPS * MAX_PIPES];
	uint32_t maxflow = 1u << 16;
	double end;
	int np = 0, fails = 0;

	if (!g || ng > MAX_GROUPS)
		return 2;
	for (int i = 0; i < ng; i++) {
		char *c = strrchr(specs[i], ':');

		if (!c || (size_t)(c - specs[i]) >= sizeof(g[i].name))
			return 2;
		memcpy(g[i].name, specs[i], (size_t)(c - specs[i]));
		g[i].n = atoi(c + 1);
		if (g[i].n < 1 || g[i].n > MAX_PIPES)
			return 2;
		g[i].seen = calloc(total ? total : 1, 1);
		g[i].flow_pipe = malloc(maxflow * sizeof(int16_t));
		if (!g[i].seen || !g[i].flow_pipe)
			return 2;
		for (uint32_t f = 0; f < maxflow; f++)
			g[i].flow_pipe[f] = -1;
		for (int k = 0; k < g[i].n; k++) {
			char port[128];

			snprintf(port, sizeof(port), "%s%s}%d",
			    strncmp(g[i].name, "vale", 4) ? "netmap:" : "", g[i].name, k);
			g[i].p[k].d = nmport_open(port);
			if (!g[i].p[k].d) {
				fprintf(stderr, "lb_flows: cannot open %s: %s\n", port, strerror(errno));
				return 1;
			}
			g[i].p[k].first = g[i].p[k].last = -1;
			pfd[np].fd = g[i].p[k].d->fd;
			pfd[np++].events = POLLIN;
		}
	}
	printf("ready\n");
	fflush(stdout);
	end = now() + secs;
	for (;;) {
		bool all = total != 0;

		for (int i = 0; i < ng; i++)
			all = all && g[i].got >= total;
		if (all || now() >= end)
			break;
		poll(pfd, (nfds_t)np, 50);
		for (int i = 0; i < ng; i++)
			for (int k = 0; k < g[i].n; k++) {
				struct nmport_d *d = g[i].p[k].d;
				struct netmap_ring *r = NETMAP_RXRING(d->nifp, d->first_rx_ring);

				while (!nm_ring_empty(r)) {
					struct netmap_slot *s = &r->slot[r->head];
					const uint8_t *b = (const uint8_t *)NETMAP_BUF(r, s->buf_idx);
					const uint8_t *t = b + FRAME_LEN - TRAILER;
					uint32_t flow, seq;

					r->head = r->cur = nm_ring_next(r, r->head);
					g[i].got++;
					g[i].p[k].frames++;
					if (s->len != FRAME_LEN || t[0] != (MAGIC >> 8) || t[1] != (MAGIC & 0xff)) {
						g[i].bad++;
						continue;
					}
					flow = get32(t + 2);
					seq = get32(t + 7);
					if (g[i].p[k].first < 0)
						g[i].p[k].first = seq;
					g[i].p[k].last = seq;
					if (total) {
						if (seq >= total) {
							g[i].bad++;
							continue;
						}
						if (g[i].seen[seq]++)
							g[i].dups++;
					}
					if (flow < maxflow) {
						int16_t *fp = &g[i].flow_pipe[flow];

						if (*fp == -1)
							*fp = (int16_t)k;
						else if (*fp != k)
							*fp = -2;
					}
				}
			}
	}
	for (int i = 0; i < ng; i++) {
		uint32_t missing = 0, split = 0, used = 0;

		if (!total) {
			for (int k = 0; k < g[i].n; k++)
				printf("got %s %d %llu first %ld last %ld\n", g[i].name, k,
				    (unsigned long long)g[i].p[k].frames, g[i].p[k].first, g[i].p[k].last);
			continue;
		}
		for (uint32_t s = 0; s < total; s++)
			missing += !g[i].seen[s];
		for (uint32_t f = 0; f < maxflow; f++)
			split += g[i].flow_pipe[f] == -2;
		for (int k = 0; k < g[i].n; k++)
			used += g[i].p[k].frames > 0;
		printf("%sok group %s: %u frames, each exactly once (%u missing, %llu twice, "
		    "%llu foreign)\n", missing || g[i].dups || g[i].bad ? "not " : "", g[i].name,
		    total, missing, (unsigned long long)g[i].dups, (unsigned long long)g[i].bad);
		printf("%sok group %s: both directions of every flow on one pipe (%u flows split)\n",
		    split ? "not " : "", g[i].name, split);
		printf("%sok group %s: frames on %u of %d pipes\n",
		    g[i].n > 1 && used < 2 ? "not " : "", g[i].name, used, g[i].n);
		printf("# group %s per pipe:", g[i].name);
		for (int k = 0; k < g[i].n; k++)
			printf(" %llu", (unsigned long long)g[i].p[k].frames);
		printf("\n");
		fails += missing || g[i].dups || g[i].bad || split;
	}
	for (int i = 0; i < ng; i++) {
		for (int k = 0; k < g[i].n; k++)
			nmport_close(g[i].p[k].d);
		free(g[i].seen);
		free(g[i].flow_pipe);
	}
	free(g);
	return fails ? 1 : 0;
}

/*
 * run: sender and consumers in one process, chunk by chunk: a chunk is
 * sent, lb has forwarded all of it once the sender's ring is empty (it
 * passes frames on before it gives their slots back), then every present
 * pipe is drained.  So a present consumer is never more than a chunk
 * behind, and only the late pipe (opened after the last chunk) overflows.
 */
struct run_group {
	char name[64];
	int n, late;
	struct nmport_d *d[MAX_PIPES];
	uint64_t got[MAX_PIPES];
	long first[MAX_PIPES], last[MAX_PIPES];
	uint64_t dups, bad, disorder;
	uint8_t *seen;
	int16_t *flow_pipe;
};

static void
drain(struct run_group *g, int k, uint32_t total)
{
	struct nmport_d *d = g->d[k];
	struct netmap_ring *r = NETMAP_RXRING(d->nifp, d->first_rx_ring);

	ioctl(d->fd, NIOCRXSYNC, NULL);
	while (!nm_ring_empty(r)) {
		struct netmap_slot *s = &r->slot[r->head];
		const uint8_t *t = (const uint8_t *)NETMAP_BUF(r, s->buf_idx) + FRAME_LEN - TRAILER;
		uint32_t flow, seq;

		r->head = r->cur = nm_ring_next(r, r->head);
		if (s->len != FRAME_LEN || t[0] != (MAGIC >> 8) || t[1] != (MAGIC & 0xff)) {
			g->bad++;
			continue;
		}
		flow = get32(t + 2);
		seq = get32(t + 7);
		if (seq >= total || flow >= (1u << 16)) {
			g->bad++;
			continue;
		}
		g->got[k]++;
		if (g->seen[seq]++)
			g->dups++;
		if (g->last[k] >= 0 && (long)seq <= g->last[k])
			g->disorder++;
		if (g->first[k] < 0)
			g->first[k] = seq;
		g->last[k] = seq;
		if (g->flow_pipe[flow] == -1)
			g->flow_pipe[flow] = (int16_t)k;
		else if (g->flow_pipe[flow] != k)
			g->flow_pipe[flow] = -2;
	}
	ioctl(d->fd, NIOCRXSYNC, NULL);
}

static int
open_pipe(struct run_group *g, int k)
{
	char port[128];

	snprintf(port, sizeof(port), "%s%s}%d", strncmp(g->name, "vale", 4) ? "netmap:" : "",
	    g->name, k);
	g->d[k] = nmport_open(port);
	if (!g->d[k]) {
		fprintf(stderr, "lb_flows: cannot open %s: %s\n", port, strerror(errno));
		return -1;
	}
	return 0;
}

static int
do_run(const char *port, uint32_t flows, uint32_t reps, uint32_t chunk, int ng, char **specs)
{
	struct run_group *g = calloc((size_t)ng, sizeof(*g));
	uint32_t total = flows * reps * 2, sent = 0;
	struct nmport_d *tx;
	int fails = 0;

	if (!g || flows == 0 || flows >= (1u << 16) || chunk == 0)
		return 2;
	for (int i = 0; i < ng; i++) {
		char *c = strchr(specs[i], ':');

		if (!c || (size_t)(c - specs[i]) >= sizeof(g[i].name))
			return 2;
		memcpy(g[i].name, specs[i], (size_t)(c - specs[i]));
		g[i].n = atoi(c + 1);
		g[i].late = strchr(c + 1, ':') ? atoi(strchr(c + 1, ':') + 1) : -1;
		if (g[i].n < 1 || g[i].n > MAX_PIPES || g[i].late >= g[i].n)
			return 2;
		g[i].seen = calloc(total, 1);
		g[i].flow_pipe = malloc((1u << 16) * sizeof(int16_t));
		if (!g[i].seen || !g[i].flow_pipe)
			return 2;
		for (uint32_t f = 0; f < (1u << 16); f++)
			g[i].flow_pipe[f] = -1;
		for (int k = 0; k < g[i].n; k++) {
			g[i].first[k] = g[i].last[k] = -1;
			if (k != g[i].late && open_pipe(&g[i], k))
				return 1;
		}
	}
	tx = nmport_open(port);
	if (!tx) {
		fprintf(stderr, "lb_flows: cannot open %s: %s\n", port, strerror(errno));
		return 1;
	}
	while (sent < total) {
		struct netmap_ring *r = NETMAP_TXRING(tx->nifp, tx->first_tx_ring);
		uint32_t stop = sent + chunk < total ? sent + chunk : total;
		double end = now() + 20;

		while (sent < stop && now() < end) {
			while (sent < stop && !nm_ring_empty(r)) {
				struct netmap_slot *s = &r->slot[r->head];

				make_frame((uint8_t *)NETMAP_BUF(r, s->buf_idx), (sent / 2) % flows,
				    (int)(sent & 1), sent);
				s->len = FRAME_LEN;
				s->flags = 0;
				r->head = r->cur = nm_ring_next(r, r->head);
				sent++;
			}
			ioctl(tx->fd, NIOCTXSYNC, NULL);
		}
		/* lb has forwarded what it gave back */
		while (nm_tx_pending(r) && now() < end) {
			struct pollfd p = { .fd = tx->fd, .events = POLLOUT };

			poll(&p, 1, 10);
			ioctl(tx->fd, NIOCTXSYNC, NULL);
		}
		if (sent < stop || nm_tx_pending(r)) {
			printf("not ok lb took the frames (%u of %u sent)\n", sent, total);
			return 1;
		}
		for (int i = 0; i < ng; i++)
			for (int k = 0; k < g[i].n; k++)
				if (k != g[i].late)
					drain(&g[i], k, total);
	}
	printf("sent %u\n", sent);
	for (int i = 0; i < ng; i++) {
		struct run_group *G = &g[i];
		uint64_t others = 0;
		long fmin = -1, fmax = -1, newest = -1, oldest = -1;
		int k = G->late;

		for (int j = 0; j < G->n; j++)
			others += G->got[j];
		if (k >= 0) {
			/* the late pipe's flows: every flow no other pipe of the group had */
			for (uint32_t f = 0; f < flows; f++)
				if (G->flow_pipe[f] == -1) {
					if (fmin < 0)
						fmin = (long)f;
					fmax = (long)f;
				}
			oldest = fmin < 0 ? -1 : 2 * fmin;
			newest = fmax < 0 ? -1 : ((long)(reps - 1) * flows + fmax) * 2 + 1;
			if (open_pipe(G, k))
				return 1;
			{
				struct netmap_ring *r = NETMAP_RXRING(G->d[k]->nifp, G->d[k]->first_rx_ring);
				uint64_t cap = r->num_slots - 1, want = total - others;
				double end = now() + 20, idle = now();
				uint64_t before = 0;

				while (now() < end) {
					struct pollfd p = { .fd = G->d[k]->fd, .events = POLLIN };

					poll(&p, 1, 20);
					drain(G, k, total);
					if (G->last[k] == newest || G->got[k] == want)
						break;
					if (G->got[k] != before) {
						before = G->got[k];
						idle = now();
					} else if (G->got[k] >= (cap < want ? cap : want) && now() - idle > 1.0) {
						break;
					}
				}
			}
			printf("late %s %d got %llu of %llu first %ld oldest %ld last %ld newest %ld\n",
			    G->name, k, (unsigned long long)G->got[k],
			    (unsigned long long)(total - others), G->first[k], oldest, G->last[k],
			    newest);
		}
		for (int j = 0; j < G->n; j++)
			printf("pipe %s %d got %llu\n", G->name, j, (unsigned long long)G->got[j]);
		{
			uint32_t missing = 0, split = 0;

			for (uint32_t s = 0; s < total; s++)
				missing += !G->seen[s];
			for (uint32_t f = 0; f < flows; f++)
				split += G->flow_pipe[f] == -2;
			printf("%sok group %s: no frame twice, none foreign, in order on each pipe "
			    "(%llu twice, %llu foreign, %llu out of order)\n",
			    G->dups || G->bad || G->disorder ? "not " : "", G->name,
			    (unsigned long long)G->dups, (unsigned long long)G->bad,
			    (unsigned long long)G->disorder);
			printf("%sok group %s: both directions of every flow on one pipe (%u split)\n",
			    split ? "not " : "", G->name, split);
			if (k < 0)
				printf("%sok group %s: every frame arrived (%u missing)\n",
				    missing ? "not " : "", G->name, missing);
			else
				printf("%sok group %s: the late pipe %d got its oldest frame first\n",
				    G->first[k] == oldest ? "" : "not ", G->name, k);
			fails += G->dups || G->bad || G->disorder || split || (k < 0 && missing) ||
			    (k >= 0 && G->first[k] != oldest);
		}
	}
	for (int i = 0; i < ng; i++) {
		for (int k = 0; k < g[i].n; k++)
			if (g[i].d[k])
				nmport_close(g[i].d[k]);
		free(g[i].seen);
		free(g[i].flow_pipe);
	}
	free(g);
	nmport_close(tx);
	return fails ? 1 : 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 5 && strcmp(argv[1], "send") == 0)
		return do_send(argv[2], (uint32_t)strtoul(argv[3], NULL, 10),
		    (uint32_t)strtoul(argv[4], NULL, 10),
		    argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) : 0);
	if (argc >= 7 && strcmp(argv[1], "run") == 0)
		return do_run(argv[2], (uint32_t)strtoul(argv[3], NULL, 10),
		    (uint32_t)strtoul(argv[4], NULL, 10), (uint32_t)strtoul(argv[5], NULL, 10),
		    argc - 6, argv + 6);
	if (argc >= 5 && strcmp(argv[1], "recv") == 0)
		return do_recv((uint32_t)strtoul(argv[2], NULL, 10), atof(argv[3]), argc - 4,
		    argv + 4);
	fprintf(stderr, "usage: lb_flows send PORT FLOWS REPS [FIRST_SEQ]\n"
	    "       lb_flows recv TOTAL SECS GROUP:NPIPES...\n"
	    "       lb_flows run PORT FLOWS REPS CHUNK GROUP:NPIPES[:LATE]...\n");
	return 2;
}
