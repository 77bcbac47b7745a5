/*
 * lb - netmap's load balancer: reads one netmap port and spreads its
 * frames over groups of netmap pipes, each flow (both directions) always
 * on the same pipe of a group, every group getting every frame.
 *
 *   lb -i netmap:eth0 -p suricata:4 -p zeek:2 -B 10000
 *
 * Zero copy: the pipes are opened in the input's memory region
 * (name{N/xT@memid) and a frame moves by swapping buffer indices.  When
 * several groups are given, one buffer sits in one pipe of each group at
 * once (the consumers must only read it, as with netmap's lb), and a
 * reference count per buffer says when the last of them has given it
 * back.  A pipe that cannot be had in the input's region (its other end
 * was opened first, in a region of its own) is fed by copying, loudly.
 *
 * Buffer accounting, which the forwarding path relies on.  lb holds the
 * buffers named by the slots of its zero-copy pipe rings, by its overflow
 * queues (bstate[] counts the slots and queue entries naming each) and
 * those of its pool (free: no reference, B_POOLED).  Together with the
 * input's rx slots they are a fixed number, T ring slots + E extra + R rx
 * slots.  A frame of n slots placed in k >= 1 rings names n buffers from k
 * * n ring slots, so at most T - (k - 1) * n distinct buffers are in
 * rings, and the pool holds at least E + k * n >= n once the queues are
 * empty: enough to give the input ring n buffers back.  A frame that only
 * goes to queues takes its n from the pool, so queues are cut before it is
 * queued, never after (forward()).  The extra buffers of -B start in the
 * pool; all of the pool goes back to the input's ni_bufs_head at exit.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>

#include "lb.h"
#include "tools/common/nm_errno.h"

#define DEF_PIPES	2
#define DEF_BATCH	2048
#define DEF_WAIT_LINK	2
#define BUF_REVOKE	150	/* slots taken back from a backlog at once, as netmap's */
#define MAX_PIPES	4096	/* all groups together */
#define MAX_GROUPS	256
#define MAX_FRAGS	64	/* slots of one frame (NS_MOREFRAG) */
#define NAME_MAX_LEN	(NETMAP_REQ_IFNAMSIZ - 1)

/* per-buffer state, input region */
#define B_POOLED	0x8000	/* in the pool */
#define B_LOST		0x4000	/* a consumer swapped it out of a slot: not ours */
#define B_REFS		0x3fff

struct ctrs {
	uint64_t pkts, bytes, drop, drop_bytes;
};

/* a pipe's overflow queue: slots (input buffers) waiting for room */
struct oq {
	struct netmap_slot *s;
	uint32_t head, n, size;
};

struct pipe {
	char spec[NETMAP_REQ_IFNAMSIZ + 32];
	struct nmport_d *d;
	struct netmap_ring *ring;
	uint32_t *shadow;	/* zero copy: the buffer lb put in each slot */
	bool copy;		/* not in the input's region: frames are copied */
	uint32_t nbufs;		/* copy: buffers in the pipe's region */
	bool dirty;		/* slots filled since the last txsync */
	struct oq oq;
	struct ctrs c, prev;
};

struct group {
	char name[NETMAP_REQ_IFNAMSIZ];
	bool custom;
	int first_id, n;
	struct pipe *p;
};

static struct {
	char ifname[NETMAP_REQ_IFNAMSIZ + 16];
	struct group groups[MAX_GROUPS];
	int ngroups, npipes;
	uint32_t extra_bufs, batch;
	int wait_link, stdout_int, syslog_int;
	bool busy;
} arg = { .batch = DEF_BATCH, .wait_link = DEF_WAIT_LINK };

static struct pipe *pipes;
static struct nmport_d *in;
static struct netmap_ring *in_ref;	/* any ring of the input: buffer addresses */
static uint16_t *bstate;		/* per buffer of the input's region */
static uint32_t nbufs;
static uint32_t *pool;			/* free buffers, a stack */
static uint32_t pool_n, pool_size;
static uint32_t extra_got;
static bool have_oq;

static uint64_t received, received_bytes, non_ip, anomalies;
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
	    "usage: lb [options]\n"
	    "  -i port               input port (any netmap port; required, once)\n"
	    "  -p [name:]npipes      add a group of npipes output pipes, name}0..name}npipes-1\n"
	    "                        (default: one group of %d named after the input port)\n"
	    "  -B nbufs              extra buffers for overflow queues (default: 0)\n"
	    "  -b batch              frames between two reads of the input (default: %d)\n"
	    "  -w seconds            wait before forwarding (link negotiation, default: %d)\n"
	    "  -W                    busy-wait: never sleep (a CPU at 100%%)\n"
	    "  -o seconds            statistics on stdout every so many seconds, JSON lines (0: off)\n"
	    "  -s seconds            the same to syslog (0: off)\n"
	    "  -h                    this help\n",
	    DEF_PIPES, DEF_BATCH, DEF_WAIT_LINK);
}

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lb: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* a whole decimal number in [lo, hi], or die naming the option */
static long
number(const char *s, long lo, long hi, char opt)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < lo || v > hi)
		die("-%c %s: expected a number in [%ld, %ld]", opt, s, lo, hi);
	return v;
}

static void
parse_group(const char *spec)
{
	const char *colon = strrchr(spec, ':');
	struct group *g;
	const char *num = spec;
	long n = DEF_PIPES;

	if (arg.ngroups == MAX_GROUPS)
		die("-p %s: too many groups (at most %d)", spec, MAX_GROUPS);
	g = &arg.groups[arg.ngroups];
	memset(g, 0, sizeof(*g));
	if (colon) {
		size_t l;

		if (strncmp(spec, "netmap:", 7) == 0 && colon - spec > 7)
			spec += 7;	/* the name of a pipe's parent, without the prefix */
		l = (size_t)(colon - spec);

		if (l == 0)
			die("-p %s: missing name before ':'", spec);
		/* room for {NNNN/xT@NNNNN after it, within netmap's 64 bytes */
		if (l > NAME_MAX_LEN - 8)
			die("-p %s: name too long (at most %d characters)", spec,
			    NAME_MAX_LEN - 8);
		memcpy(g->name, spec, l);
		g->name[l] = '\0';
		for (size_t i = 0; i < l; i++) {
			char c = g->name[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':'))
				die("-p %s: '%c' cannot be part of a pipe group name (letters, "
				    "digits, '_', '.' and ':')", spec, c);
		}
		g->custom = true;
		num = colon + 1;
	}
	if (*num)
		n = number(num, 1, MAX_PIPES, 'p');
	if (arg.npipes + n > MAX_PIPES)
		die("-p %s: too many pipes (at most %d in all groups)", spec, MAX_PIPES);
	g->n = (int)n;
	arg.npipes += (int)n;
	arg.ngroups++;
}

/* ------------------------------------------------------------ buffers */

static inline char *
buf_addr(uint32_t idx)
{
	return NETMAP_BUF(in_ref, idx);
}

static inline bool
buf_valid(uint32_t idx)
{
	return idx >= 2 && idx < nbufs;
}

static inline void
pool_push(uint32_t idx)
{
	if (pool_n == pool_size) {	/* cannot happen: counted, never a crash */
		anomalies++;
		return;
	}
	bstate[idx] = B_POOLED;
	pool[pool_n++] = idx;
}

/* a reference to @idx goes (a slot or a queue entry gave it up) */
static inline void
buf_release(uint32_t idx)
{
	uint16_t s = bstate[idx];

	if ((s & B_REFS) == 0) {
		anomalies++;
		return;
	}
	s--;
	if ((s & B_REFS) == 0) {
		if (s & B_LOST) {
			bstate[idx] = 0;	/* the consumer has it */
			return;
		}
		pool_push(idx);
		return;
	}
	bstate[idx] = s;
}

/* a consumer put @idx in a slot of ours instead of the one we gave it */
static void
buf_adopt(uint32_t idx)
{
	uint16_t s;

	if (!buf_valid(idx)) {
		anomalies++;
		return;
	}
	s = bstate[idx];
	if (s & B_POOLED) {
		anomalies++;
		return;
	}
	s &= (uint16_t)~B_LOST;
	bstate[idx] = s;
	if ((s & B_REFS) == 0)
		pool_push(idx);
}

/* ------------------------------------------------------------ pipes */

static inline uint32_t
ring_space(struct netmap_ring *r)
{
	return nm_ring_space(r);
}

/* slot @j of @p's ring gets input buffer @idx (len, flags); takes a reference */
static inline void
slot_put(struct pipe *p, uint32_t j, uint32_t idx, uint16_t len, uint16_t flags)
{
	struct netmap_slot *ts = &p->ring->slot[j];

	if (p->copy) {
		if (len > p->ring->nr_buf_size)
			len = (uint16_t)p->ring->nr_buf_size;
		if (__builtin_expect(ts->buf_idx < 2 || ts->buf_idx >= p->nbufs, 0)) {
			/* the consumer put a buffer of no region there: nothing to copy into */
			anomalies++;
			len = 0;
		} else {
			memcpy(NETMAP_BUF(p->ring, ts->buf_idx), buf_addr(idx), len);
		}
		ts->len = len;
		ts->flags = flags & NS_MOREFRAG;
		return;
	}
	if (__builtin_expect(ts->buf_idx != p->shadow[j], 0)) {
		/* the consumer swapped the buffer we gave it (NS_BUF_CHANGED) */
		uint32_t old = p->shadow[j];

		if (bstate[old] & B_REFS)
			bstate[old] |= B_LOST;
		buf_release(old);
		buf_adopt(ts->buf_idx);
	} else {
		buf_release(p->shadow[j]);
	}
	ts->buf_idx = idx;
	ts->len = len;
	ts->flags = (uint16_t)((flags & NS_MOREFRAG) | NS_BUF_CHANGED);
	p->shadow[j] = idx;
	bstate[idx]++;
}

static inline void
oq_push(struct oq *q, const struct netmap_slot *s)
{
	uint32_t t = q->head + q->n;

	if (t >= q->size)
		t -= q->size;
	q->s[t] = *s;
	q->n++;
	bstate[s->buf_idx]++;
}

/* slots of the packet at the head of @q (1 if the queue is damaged) */
static uint32_t
oq_first_len(const struct oq *q)
{
	uint32_t k = 0, j = q->head;

	while (k < q->n) {
		bool more = q->s[j].flags & NS_MOREFRAG;

		k++;
		if (!more)
			return k;
		if (++j == q->size)
			j = 0;
	}
	return k ? k : 1;
}

/* drop the packet at the head of @q, counted on @p */
static void
oq_drop_first(struct pipe *p)
{
	struct oq *q = &p->oq;
	uint32_t k = oq_first_len(q);

	p->c.drop++;
	while (k--) {
		struct netmap_slot *s = &q->s[q->head];

		p->c.drop_bytes += s->len;
		buf_release(s->buf_idx);
		if (++q->head == q->size)
			q->head = 0;
		q->n--;
	}
}

/* whole packets from @p's overflow queue into its ring, while they fit */
static void
oq_drain(struct pipe *p)
{
	struct oq *q = &p->oq;
	struct netmap_ring *r = p->ring;

	while (q->n) {
		uint32_t k = oq_first_len(q), space = ring_space(r);

		if (k > space)
			break;
		p->c.pkts++;
		while (k--) {
			struct netmap_slot s = q->s[q->head];

			if (++q->head == q->size)
				q->head = 0;
			q->n--;
			slot_put(p, r->head, s.buf_idx, s.len, s.flags);
			buf_release(s.buf_idx);	/* the queue's reference */
			p->c.bytes += s.len;
			r->head = r->cur = nm_ring_next(r, r->head);
		}
		p->dirty = true;
	}
}

/*
 * At least @n buffers in the pool, if the overflow queues can give them:
 * backlogs are cut, the longest first, BUF_REVOKE slots at a time (newer
 * frames win, as in netmap's lb).
 */
static void
fill_pool(uint32_t n)
{
	while (pool_n < n) {
		struct pipe *lp = NULL;

		for (int i = 0; i < arg.npipes; i++)
			if (pipes[i].oq.n && (!lp || pipes[i].oq.n > lp->oq.n))
				lp = &pipes[i];
		if (!lp)
			return;
		for (uint32_t got = 0; lp->oq.n && got < BUF_REVOKE; ) {
			got += oq_first_len(&lp->oq);
			oq_drop_first(lp);
		}
	}
}

/* ------------------------------------------------------------ forwarding */

/*
 * One packet of @nf slots from slot @head of the input ring @ring on (the
 * ring wraps them): to one pipe of each group, or dropped there.
 */
static void
forward(struct netmap_ring *ring, uint32_t head, uint32_t nf)
{
	struct netmap_slot *first = &ring->slot[head];
	uint32_t bytes = 0, h;
	bool ip, held = false, can_queue = false;

	received++;
	for (uint32_t k = 0, j = head; k < nf; k++, j = nm_ring_next(ring, j)) {
		bytes += ring->slot[j].len;
		if (__builtin_expect(!buf_valid(ring->slot[j].buf_idx), 0)) {
			anomalies++;	/* not from any adapter of ours: left alone */
			return;
		}
	}
	received_bytes += bytes;
	h = lb_hash((const uint8_t *)NETMAP_BUF(ring, first->buf_idx),
	    first->len < ring->nr_buf_size ? first->len : ring->nr_buf_size, &ip);
	if (!ip)
		non_ip++;
	/*
	 * The input ring will want a buffer for each slot of this frame.  A
	 * frame that goes to a ring frees at least as many there (see the top
	 * of this file); one that only waits in queues needs them from the
	 * pool, so queues are cut now, before this frame is in one of them.
	 */
	if (have_oq) {
		if (pool_n < nf)
			fill_pool(nf);
		can_queue = pool_n >= nf;
	}

	for (int gi = 0; gi < arg.ngroups; gi++) {
		struct group *g = &arg.groups[gi];
		struct pipe *p = &g->p[h % (uint32_t)g->n];
		struct netmap_ring *r = p->ring;

		if (p->oq.n == 0 && ring_space(r) >= nf) {
			for (uint32_t k = 0, j = head; k < nf; k++, j = nm_ring_next(ring, j)) {
				struct netmap_slot *s = &ring->slot[j];

				slot_put(p, r->head, s->buf_idx, s->len, s->flags);
				r->head = r->cur = nm_ring_next(r, r->head);
			}
			p->c.pkts++;
			p->c.bytes += bytes;
			p->dirty = true;
			held |= !p->copy;
			continue;
		}
		if (can_queue) {
			/* a full queue loses its oldest frames: newer frames win */
			while (p->oq.n && p->oq.n + nf > p->oq.size)
				oq_drop_first(p);
			for (uint32_t k = 0, j = head; k < nf; k++, j = nm_ring_next(ring, j))
				oq_push(&p->oq, &ring->slot[j]);
			held = true;
			continue;
		}
		p->c.drop++;
		p->c.drop_bytes += bytes;
	}
	if (!held)
		return;		/* the input keeps its buffers */
	/* the frame's buffers are ours now: the input ring gets others */
	for (uint32_t k = 0, j = head; k < nf; k++, j = nm_ring_next(ring, j)) {
		struct netmap_slot *s = &ring->slot[j];
		uint32_t nb;

		if (!(bstate[s->buf_idx] & B_REFS))
			continue;	/* a copy-only frame: the input keeps it */
		if (__builtin_expect(pool_n == 0, 0)) {
			/* never with consumers that leave their slots alone */
			anomalies++;
			continue;
		}
		nb = pool[--pool_n];
		s->buf_idx = nb;
		bstate[nb] = 0;
		s->flags = NS_BUF_CHANGED;
	}
}

/* up to @budget packets from the input's rx rings; returns how many */
static uint32_t
read_input(uint32_t budget)
{
	uint32_t done = 0;

	for (uint16_t ri = in->first_rx_ring; ri <= in->last_rx_ring && done < budget; ri++) {
		struct netmap_ring *ring = NETMAP_RXRING(in->nifp, ri);
		uint32_t head = ring->head, tail = ring->tail;

		while (head != tail && done < budget) {
			uint32_t nf = 1, j = head;

			/* a packet is its slots up to one without NS_MOREFRAG */
			while ((ring->slot[j].flags & NS_MOREFRAG) && nf < MAX_FRAGS) {
				j = nm_ring_next(ring, j);
				if (j == tail)
					break;
				nf++;
			}
			if (j == tail)
				break;	/* the rest of it is not here yet */
			__builtin_prefetch(NETMAP_BUF(ring, ring->slot[nm_ring_next(ring, j)].buf_idx));
			forward(ring, head, nf);
			head = nm_ring_next(ring, j);
			done++;
		}
		ring->head = ring->cur = head;
	}
	return done;
}

static void
sync_pipes(void)
{
	for (int i = 0; i < arg.npipes; i++)
		if (pipes[i].dirty) {
			pipes[i].dirty = false;
			ioctl(pipes[i].d->fd, NIOCTXSYNC, NULL);
		}
}

/* ------------------------------------------------------------ statistics */

static double
now_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double
rate(uint64_t now, uint64_t before, double dt, double scale)
{
	return dt > 0 ? (double)(now - before) / dt / scale : 0.0;
}

static void
emit(bool to_stdout, bool to_syslog, const char *line)
{
	if (to_stdout) {
		fputs(line, stdout);
		fputc('\n', stdout);
	}
	if (to_syslog)
		syslog(LOG_INFO, "%s", line);
}

/* @src as the inside of a JSON string, in @dst of @n bytes */
static const char *
json_str(char *dst, size_t n, const char *src)
{
	size_t o = 0;

	for (; *src && o + 7 < n; src++) {
		unsigned char c = (unsigned char)*src;

		if (c == '"' || c == '\\')
			o += (size_t)snprintf(dst + o, n - o, "\\%c", c);
		else if (c < 0x20)
			o += (size_t)snprintf(dst + o, n - o, "\\u%04x", c);
		else
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return dst;
}

/* one JSON line per pipe and one for the whole, as netmap's lb prints them */
static void
report(bool to_stdout, bool to_syslog, double dt)
{
	char line[1024], name[256];
	double ts = now_s();
	struct ctrs tot = { 0 }, ptot = { 0 };

	for (int i = 0; i < arg.npipes; i++) {
		struct pipe *p = &pipes[i];

		snprintf(line, sizeof(line),
		    "{\"ts\":%.6f,\"interface\":\"%s\",\"output_ring\":%d,"
		    "\"packets_forwarded\":%" PRIu64 ",\"packets_dropped\":%" PRIu64 ","
		    "\"data_forward_rate_Mbps\":%.4f,\"data_drop_rate_Mbps\":%.4f,"
		    "\"packet_forward_rate_kpps\":%.4f,\"packet_drop_rate_kpps\":%.4f,"
		    "\"overflow_queue_size\":%" PRIu32 "}",
		    ts, json_str(name, sizeof(name), p->spec), i, p->c.pkts, p->c.drop,
		    rate(p->c.bytes, p->prev.bytes, dt, 1024.0 * 1024.0 / 8.0),
		    rate(p->c.drop_bytes, p->prev.drop_bytes, dt, 1024.0 * 1024.0 / 8.0),
		    rate(p->c.pkts, p->prev.pkts, dt, 1000.0),
		    rate(p->c.drop, p->prev.drop, dt, 1000.0), p->oq.n);
		emit(to_stdout, to_syslog, line);
		tot.pkts += p->c.pkts;
		tot.bytes += p->c.bytes;
		tot.drop += p->c.drop;
		tot.drop_bytes += p->c.drop_bytes;
		ptot.pkts += p->prev.pkts;
		ptot.bytes += p->prev.bytes;
		ptot.drop += p->prev.drop;
		ptot.drop_bytes += p->prev.drop_bytes;
		p->prev = p->c;
	}
	snprintf(line, sizeof(line),
	    "{\"ts\":%.6f,\"interface\":\"%s\",\"output_ring\":null,"
	    "\"packets_received\":%" PRIu64 ",\"packets_forwarded\":%" PRIu64 ","
	    "\"packets_dropped\":%" PRIu64 ",\"non_ip_packets\":%" PRIu64 ","
	    "\"data_forward_rate_Mbps\":%.4f,\"data_drop_rate_Mbps\":%.4f,"
	    "\"packet_forward_rate_kpps\":%.4f,\"packet_drop_rate_kpps\":%.4f,"
	    "\"free_buffer_slots\":%" PRIu32 "}",
	    ts, json_str(name, sizeof(name), arg.ifname), received, tot.pkts, tot.drop, non_ip,
	    rate(tot.bytes, ptot.bytes, dt, 1024.0 * 1024.0 / 8.0),
	    rate(tot.drop_bytes, ptot.drop_bytes, dt, 1024.0 * 1024.0 / 8.0),
	    rate(tot.pkts, ptot.pkts, dt, 1000.0), rate(tot.drop, ptot.drop, dt, 1000.0),
	    pool_n);
	emit(to_stdout, to_syslog, line);
	if (to_stdout)
		fflush(stdout);
}

/* ------------------------------------------------------------ setup */

/* the buffers of @d's memory region, counted from @r's buffer base */
static uint32_t
region_bufs(struct nmport_d *d, struct netmap_ring *r)
{
	char *mem = (char *)d->nifp - d->reg.nr_offset;

	return (uint32_t)(((uint64_t)(uintptr_t)(mem + d->reg.nr_memsize) -
	    (uint64_t)(uintptr_t)((char *)r + r->buf_ofs)) / r->nr_buf_size);
}

static void
open_input(void)
{
	in = nmport_prepare(arg.ifname);
	if (!in)
		die("%s: not a valid port name: %s", arg.ifname, nm_errstr(errno));
	in->reg.nr_extra_bufs = arg.extra_bufs;
	if (nmport_open_desc(in) < 0)
		die("cannot open %s: %s", arg.ifname, nm_errstr(errno));
	if (in->last_rx_ring < in->first_rx_ring)
		die("%s: no receive ring to read (opened with /T?)", arg.ifname);
	in_ref = NETMAP_RXRING(in->nifp, in->first_rx_ring);
	nbufs = region_bufs(in, in_ref);
	bstate = calloc(nbufs, sizeof(*bstate));
	if (!bstate)
		die("out of memory (%u buffers)", nbufs);
	extra_got = in->reg.nr_extra_bufs;
	if (arg.extra_bufs && extra_got < arg.extra_bufs)
		fprintf(stderr, "lb: asked for %u extra buffers, got %u\n", arg.extra_bufs,
		    extra_got);
}

static void
open_pipes(void)
{
	uint32_t total_slots = 0;
	int t = 0;

	for (int gi = 0; gi < arg.ngroups; gi++) {
		struct group *g = &arg.groups[gi];

		if (!g->custom) {
			if (strpbrk(in->hdr.nr_name, "{}"))
				die("%s is a pipe: name the output pipes (-p name:%d), since "
				    "%s{N would be pipes of a pipe", arg.ifname, g->n,
				    in->hdr.nr_name);
			snprintf(g->name, sizeof(g->name), "%s", in->hdr.nr_name);
		}
		for (int j = 0; j < gi; j++)
			if (strcmp(arg.groups[j].name, g->name) == 0)
				g->first_id += arg.groups[j].n;
		g->p = &pipes[t];
		t += g->n;
	}
	for (int gi = 0; gi < arg.ngroups; gi++) {
		struct group *g = &arg.groups[gi];
		const char *pfx = strncmp(g->name, "vale", 4) ? "netmap:" : "";

		for (int k = 0; k < g->n; k++) {
			struct pipe *p = &g->p[k];
			char plain[sizeof(p->spec)];
			int l;

			l = snprintf(p->spec, sizeof(p->spec), "%s%s{%d/xT@%u", pfx, g->name,
			    g->first_id + k, (unsigned)in->reg.nr_mem_id);
			snprintf(plain, sizeof(plain), "%s%s{%d/xT", pfx, g->name, g->first_id + k);
			if (l < 0 || (size_t)l >= sizeof(p->spec) ||
			    strlen(g->name) + 6 > NAME_MAX_LEN)
				die("pipe name %s%s{%d is too long", pfx, g->name, g->first_id + k);
			p->d = nmport_open(p->spec);
			if (!p->d && errno == EINVAL) {
				/* it exists in a region of its own: feed it by copying */
				p->d = nmport_open(plain);
				if (p->d)
					snprintf(p->spec, sizeof(p->spec), "%s", plain);
			}
			if (!p->d)
				die("cannot open pipe %s (group %d, pipe %d of %d): %s",
				    p->spec, gi, k, g->n, nm_errstr(errno));
			if (p->d->last_tx_ring < p->d->first_tx_ring)
				die("%s: no transmit ring", p->spec);
			p->ring = NETMAP_TXRING(p->d->nifp, p->d->first_tx_ring);
			p->copy = p->d->mem != in->mem || p->d->reg.nr_mem_id != in->reg.nr_mem_id;
			if (p->copy) {
				p->nbufs = region_bufs(p->d, p->ring);
				fprintf(stderr,
				    "lb: WARNING: %s is in memory region %u, not in the input's (%u):\n"
				    "lb: WARNING: its frames are COPIED, not swapped (zero copy needs\n"
				    "lb: WARNING: lb to open the pipe before its consumer does)\n",
				    p->spec, (unsigned)p->d->reg.nr_mem_id,
				    (unsigned)in->reg.nr_mem_id);
				continue;
			}
			p->shadow = calloc(p->ring->num_slots, sizeof(*p->shadow));
			if (!p->shadow)
				die("out of memory");
			for (uint32_t j = 0; j < p->ring->num_slots; j++) {
				uint32_t idx = p->ring->slot[j].buf_idx;

				p->shadow[j] = idx;
				if (buf_valid(idx) && (bstate[idx] & B_REFS) < B_REFS)
					bstate[idx]++;
				else
					die("%s: slot %u names buffer %u, not one of its region", p->spec,
					    j, idx);
			}
			total_slots += p->ring->num_slots;
		}
	}
	/* the pool can hold every buffer lb may come to hold */
	pool_size = total_slots + extra_got + 2 * MAX_FRAGS;
	pool = calloc(pool_size, sizeof(*pool));
	if (!pool)
		die("out of memory");
}

static void
take_extra_bufs(void)
{
	uint32_t idx = in->nifp->ni_bufs_head, n = 0;

	while (idx && n < extra_got) {
		uint32_t next;

		if (!buf_valid(idx) || bstate[idx])
			break;
		memcpy(&next, buf_addr(idx), sizeof(next));
		pool_push(idx);
		n++;
		idx = next;
	}
	if (n != extra_got)
		fprintf(stderr, "lb: %u extra buffers granted, %u found in the list\n", extra_got,
		    n);
	in->nifp->ni_bufs_head = 0;
	if (n == 0)
		return;
	have_oq = true;
	for (int i = 0; i < arg.npipes; i++) {
		pipes[i].oq.size = n + MAX_FRAGS;
		pipes[i].oq.s = calloc(n + MAX_FRAGS, sizeof(struct netmap_slot));
		if (!pipes[i].oq.s)
			die("out of memory for the overflow queues (%u slots each)", n);
	}
}

/*
 * Give everything back: queued frames are dropped, ring slots that share a
 * buffer with another ring get one of their own where the consumer has
 * released them (waiting a little for those still held), and the pool goes
 * to the input's extra-buffer list, which closing the input frees.
 */
static void
give_back(void)
{
	bool shared = true;

	for (int i = 0; i < arg.npipes; i++)
		while (pipes[i].oq.n)
			oq_drop_first(&pipes[i]);
	for (int tries = 0; shared && tries < 20; tries++) {
		shared = false;
		for (int i = 0; i < arg.npipes; i++) {
			struct pipe *p = &pipes[i];
			struct netmap_ring *r = p->ring;

			if (p->copy)
				continue;
			ioctl(p->d->fd, NIOCTXSYNC, NULL);
			for (uint32_t j = 0; j < r->num_slots; j++) {
				uint32_t idx = p->shadow[j];
				bool released;

				if ((bstate[idx] & B_REFS) < 2)
					continue;
				/* free slots are [head, tail) */
				released = ((j - r->head + r->num_slots) % r->num_slots) <
				    ((r->tail - r->head + r->num_slots) % r->num_slots);
				if (!released || r->slot[j].buf_idx != idx || pool_n == 0) {
					shared = true;
					continue;
				}
				r->slot[j].buf_idx = pool[--pool_n];
				bstate[r->slot[j].buf_idx] = 1;
				p->shadow[j] = r->slot[j].buf_idx;
				buf_release(idx);
			}
		}
		if (shared)
			usleep(10000);
	}
	/*
	 * Left shared: slots a consumer still holds (or never gave back before
	 * closing).  Each pipe frees the buffer when it goes; the daemon frees a
	 * buffer once, whoever asks first.
	 */
	for (uint32_t i = 0; i < pool_n; i++) {
		uint32_t next = in->nifp->ni_bufs_head;

		memcpy(buf_addr(pool[i]), &next, sizeof(next));
		in->nifp->ni_bufs_head = pool[i];
	}
	pool_n = 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	double last_out, last_log, last_out_t, last_log_t;
	uint64_t tot_fwd = 0, tot_drop = 0;
	struct pollfd *pfd;
	int ch;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt(argc, argv, "hi:p:b:B:s:o:w:W")) != -1) {
		switch (ch) {
		case 'i':
			if (arg.ifname[0])
				die("-i given twice (one input port only)");
			if (strlen(optarg) + 8 > sizeof(arg.ifname))
				die("-i %s: port name too long", optarg);
			if (strncmp(optarg, "netmap:", 7) && strncmp(optarg, "vale", 4))
				snprintf(arg.ifname, sizeof(arg.ifname), "netmap:%s", optarg);
			else
				snprintf(arg.ifname, sizeof(arg.ifname), "%s", optarg);
			break;
		case 'p':
			parse_group(optarg);
			break;
		case 'B':
			arg.extra_bufs = (uint32_t)number(optarg, 0, 1000000, 'B');
			break;
		case 'b':
			arg.batch = (uint32_t)number(optarg, 1, 65535, 'b');
			break;
		case 'w':
			arg.wait_link = (int)number(optarg, 0, 3600, 'w');
			break;
		case 'W':
			arg.busy = true;
			break;
		case 'o':
			arg.stdout_int = (int)number(optarg, 0, 86400, 'o');
			break;
		case 's':
			arg.syslog_int = (int)number(optarg, 0, 86400, 's');
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lb: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	if (!arg.ifname[0]) {
		fprintf(stderr, "lb: missing input port (-i)\n");
		usage(stderr);
		return 1;
	}
	if (arg.ngroups == 0)
		parse_group("");
	if (arg.syslog_int)
		openlog("lb", LOG_CONS | LOG_PID | LOG_NDELAY, LOG_LOCAL1);

	pipes = calloc((size_t)arg.npipes, sizeof(*pipes));
	pfd = calloc((size_t)arg.npipes + 1, sizeof(*pfd));
	if (!pipes || !pfd)
		die("out of memory");
	open_input();
	open_pipes();
	take_extra_bufs();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (int s = 0; s < arg.wait_link * 10 && !stop; s++)
		usleep(100000);
	fprintf(stderr, "lb: forwarding from %s (memory region %u) to %d pipes in %d group%s, "
	    "%u extra buffers\n", arg.ifname, (unsigned)in->reg.nr_mem_id, arg.npipes,
	    arg.ngroups, arg.ngroups > 1 ? "s" : "", extra_got);

	last_out = last_log = last_out_t = last_log_t = now_s();
	while (!stop) {
		int np = 0, timeout = arg.busy ? 0 : 10;
		uint32_t done;
		double t;

		done = read_input(arg.batch);
		sync_pipes();
		if (done == arg.batch) {
			/* more may be waiting: give the slots back and look again */
			ioctl(in->fd, NIOCRXSYNC, NULL);
			if (have_oq)
				goto drain;
			continue;
		}
		pfd[np].fd = in->fd;
		pfd[np].events = POLLIN;
		pfd[np++].revents = 0;
		for (int i = 0; i < arg.npipes; i++)
			if (pipes[i].oq.n) {
				pfd[np].fd = pipes[i].d->fd;
				pfd[np].events = POLLOUT;
				pfd[np++].revents = 0;
			}
		if (poll(pfd, (nfds_t)np, timeout) < 0 && errno != EINTR && errno != EAGAIN) {
			fprintf(stderr, "lb: poll: %s\n", strerror(errno));
			break;
		}
drain:
		if (have_oq) {
			for (int i = 0; i < arg.npipes; i++)
				if (pipes[i].oq.n)
					oq_drain(&pipes[i]);
			sync_pipes();
		}
		if (!arg.stdout_int && !arg.syslog_int)
			continue;
		t = now_s();
		if (arg.stdout_int && t - last_out >= arg.stdout_int) {
			report(true, false, t - last_out_t);
			last_out = last_out_t = t;
		}
		if (arg.syslog_int && t - last_log >= arg.syslog_int) {
			report(false, true, t - last_log_t);
			last_log = last_log_t = t;
		}
	}

	/* what is still queued is lost: counted as dropped */
	sync_pipes();
	for (int i = 0; i < arg.npipes; i++)
		while (pipes[i].oq.n)
			oq_drop_first(&pipes[i]);
	if (arg.stdout_int)
		report(true, false, now_s() - last_out_t);
	for (int i = 0; i < arg.npipes; i++) {
		tot_fwd += pipes[i].c.pkts;
		tot_drop += pipes[i].c.drop;
	}
	give_back();
	if (anomalies)
		fprintf(stderr, "lb: %" PRIu64 " buffer anomalies (a consumer wrote to its "
		    "ring slots?)\n", anomalies);
	printf("%" PRIu64 " packets forwarded.  %" PRIu64 " packets dropped. Total %" PRIu64 "\n",
	    tot_fwd, tot_drop, tot_fwd + tot_drop);
	for (int i = 0; i < arg.npipes; i++) {
		nmport_close(pipes[i].d);
		free(pipes[i].shadow);
		free(pipes[i].oq.s);
	}
	nmport_close(in);
	free(pipes);
	free(pfd);
	free(pool);
	free(bstate);
	return 0;
}
