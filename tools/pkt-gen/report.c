/*
 * report.c - what pkt-gen prints.
 *
 * Every -T milliseconds a line on stderr per direction:
 *   SSS.uuuuuu pkt-gen: 14.201 Mpps (14.215 Mpkts 6.823 Gbps in 1000997 usec) 511.87 avg_batch
 * and at the end, on stdout, netmap's summary (benchmarks parse "Speed:"):
 *   Sent 1000000 packets 60000000 bytes 1954 events 60 bytes each in 0.07 seconds.
 *   Speed: 14.205 Mpps Bandwidth: 6.819 Gbps (raw 6.819 Gbps). Average batch: 511.77 pkts
 * followed by the ping, rxseq or latency results when there are some.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "pktgen.h"

#define STATS_WIN	15	/* -A: samples in the sliding window */

const char *
pg_norm(char *buf, size_t len, double val)
{
	static const char *units[] = { "", "K", "M", "G", "T" };
	unsigned i = 0;

	if (pg.normalize) {
		while (val >= 1000 && i + 1 < sizeof(units) / sizeof(units[0])) {
			val /= 1000;
			i++;
		}
		snprintf(buf, len, "%.3f %s", val, units[i]);
	} else {
		snprintf(buf, len, "%.0f ", val);
	}
	return buf;
}

static bool
is_sender(enum pg_role r)
{
	return r == ROLE_TX || r == ROLE_TXSEQ || r == ROLE_PING || r == ROLE_PONG;
}

struct totals {
	uint64_t pkts, bytes, events;
};

static void
sum(bool senders, struct totals *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < pg_nthreads; i++) {
		struct pg_thread *t = &pg_threads[i];

		if (is_sender(t->role) != senders)
			continue;
		o->pkts += __atomic_load_n(&t->st.pkts, __ATOMIC_RELAXED);
		o->bytes += __atomic_load_n(&t->st.bytes, __ATOMIC_RELAXED);
		o->events += __atomic_load_n(&t->st.events, __ATOMIC_RELAXED);
	}
}

static bool
have(bool senders)
{
	for (int i = 0; i < pg_nthreads; i++)
		if (is_sender(pg_threads[i].role) == senders)
			return true;
	return false;
}

static bool
all_done(void)
{
	for (int i = 0; i < pg_nthreads; i++)
		if (!__atomic_load_n(&pg_threads[i].done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

/* the round trips measured since the last report, for the line */
static void
rtt_window(char *buf, size_t len)
{
	struct pg_rtt w = { 0 };

	buf[0] = '\0';
	for (int i = 0; i < pg_nthreads; i++) {
		struct pg_thread *t = &pg_threads[i];

		pthread_mutex_lock(&t->rtt_lock);
		if (t->rtt_window.n) {
			if (!w.n || t->rtt_window.min < w.min)
				w.min = t->rtt_window.min;
			if (t->rtt_window.max > w.max)
				w.max = t->rtt_window.max;
			w.sum += t->rtt_window.sum;
			w.n += t->rtt_window.n;
		}
		memset(&t->rtt_window, 0, sizeof(t->rtt_window));
		pthread_mutex_unlock(&t->rtt_lock);
	}
	if (w.n)
		snprintf(buf, len, " %s %llu min %llu avg %llu max %llu ns",
		    pg.func == PG_PING ? "RTT" : "latency", (unsigned long long)w.n,
		    (unsigned long long)w.min, (unsigned long long)(w.sum / w.n),
		    (unsigned long long)w.max);
}

struct window {
	double	v[STATS_WIN];
	int	idx;
};

static void
report_line(const char *tag, bool senders, const struct totals *d, uint64_t usec,
    struct window *win, const char *extra)
{
	char b1[40], b2[40], b3[40], b4[120] = "";
	double pps = usec ? d->pkts * 1e6 / (double)usec : 0;
	double bps = usec ? (d->bytes * 8.0 + (double)d->pkts * pg.framing_bits) * 1e6 /
	    (double)usec : 0;
	struct timeval tv;

	if (pg.options & OPT_PPS_STATS) {
		double avg = 0, dev = 0;
		int n = 0;

		win->v[win->idx] = pps;
		win->idx = (win->idx + 1) % STATS_WIN;
		for (int i = 0; i < STATS_WIN; i++)
			if (win->v[i] > 0) {
				avg += win->v[i];
				n++;
			}
		if (n) {
			avg /= n;
			for (int i = 0; i < STATS_WIN; i++)
				if (win->v[i] > 0)
					dev += (win->v[i] - avg) * (win->v[i] - avg);
			dev = sqrt(dev / n);
		}
		snprintf(b4, sizeof(b4), "[avg/std %spps/%spps] ",
		    pg_norm(b1, sizeof(b1), avg), pg_norm(b2, sizeof(b2), dev));
	}
	gettimeofday(&tv, NULL);
	if (pg.json) {
		printf("{\"type\":\"report\",\"time\":%lld.%06d,\"direction\":\"%s\","
		    "\"pps\":%.0f,\"bps\":%.0f,\"packets\":%llu,\"bytes\":%llu,\"usec\":%llu,"
		    "\"avg_batch\":%.2f}\n", (long long)tv.tv_sec, (int)tv.tv_usec,
		    senders ? "tx" : "rx", pps, bps, (unsigned long long)d->pkts,
		    (unsigned long long)d->bytes, (unsigned long long)usec,
		    d->events ? (double)d->pkts / (double)d->events : 0.0);
		fflush(stdout);
		return;
	}
	fprintf(stderr, "%03d.%06d pkt-gen:%s %spps %s(%spkts %sbps in %llu usec) %.2f avg_batch%s\n",
	    (int)(tv.tv_sec % 1000), (int)tv.tv_usec, tag, pg_norm(b1, sizeof(b1), pps), b4,
	    pg_norm(b2, sizeof(b2), (double)d->pkts), pg_norm(b3, sizeof(b3), bps),
	    (unsigned long long)usec, d->events ? (double)d->pkts / (double)d->events : 0.0,
	    extra);
}

void
pg_report_loop(void)
{
	struct totals prev[2], cur, d;
	struct window win[2];
	bool both = have(true) && have(false);
	uint64_t last = pg_now_ns(), next = last + pg.report_ms * 1000000ull;

	memset(win, 0, sizeof(win));
	sum(false, &prev[0]);
	sum(true, &prev[1]);
	for (;;) {
		uint64_t now = pg_now_ns();
		char extra[160];

		if (all_done())
			return;
		if (now < next) {
			uint64_t left = next - now;

			pg_sleep_ns(left < 20000000ull ? left : 20000000ull);
			continue;
		}
		rtt_window(extra, sizeof(extra));
		for (int s = 0; s < 2; s++) {
			if (!have(s))
				continue;
			sum(s, &cur);
			d.pkts = cur.pkts - prev[s].pkts;
			d.bytes = cur.bytes - prev[s].bytes;
			d.events = cur.events - prev[s].events;
			prev[s] = cur;
			report_line(both ? (s ? " tx" : " rx") : "", s, &d, (now - last) / 1000,
			    &win[s], s == (pg.func == PG_PING) ? extra : "");
		}
		last = now;
		next += pg.report_ms * 1000000ull;
		if (next < now)
			next = now + pg.report_ms * 1000000ull;
	}
}

static double
seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) * 1e-9;
}

static bool
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void
summary_lines(bool senders)
{
	struct totals s;
	struct timespec tic = { 0, 0 }, toc = { 0, 0 };
	bool any = false;
	double dt, pps, bw, raw;
	char b1[40], b2[40], b3[40];
	const char *what = senders ? "Sent" : "Received";

	sum(senders, &s);
	for (int i = 0; i < pg_nthreads; i++) {
		struct pg_thread *t = &pg_threads[i];

		if (is_sender(t->role) != senders || !t->have_tic)
			continue;
		if (!any || ts_before(&t->tic, &tic))
			tic = t->tic;
		if (!any || ts_before(&toc, &t->toc))
			toc = t->toc;
		any = true;
	}
	dt = any ? seconds(&tic, &toc) : 0;
	if (pg.json) {
		double t = dt > 0 ? dt : 1e-6;

		printf("{\"type\":\"summary\",\"direction\":\"%s\",\"packets\":%llu,"
		    "\"bytes\":%llu,\"events\":%llu,\"seconds\":%.6f,\"pps\":%.0f,\"bps\":%.0f,"
		    "\"raw_bps\":%.0f,\"avg_batch\":%.2f}\n", senders ? "tx" : "rx",
		    (unsigned long long)s.pkts, (unsigned long long)s.bytes,
		    (unsigned long long)s.events, dt, (double)s.pkts / t, 8.0 * (double)s.bytes / t,
		    (8.0 * (double)s.bytes + (double)s.pkts * pg.framing_bits) / t,
		    s.events ? (double)s.pkts / (double)s.events : 0.0);
		return;
	}
	if (s.pkts == 0) {
		printf("%s nothing.\n", what);
		return;
	}
	printf("%s %llu packets %llu bytes %llu events %d bytes each in %.2f seconds.\n", what,
	    (unsigned long long)s.pkts, (unsigned long long)s.bytes,
	    (unsigned long long)s.events, (int)(s.bytes / s.pkts), dt);
	if (dt <= 0)
		dt = 1e-6;
	pps = (double)s.pkts / dt;
	bw = 8.0 * (double)s.bytes / dt;
	raw = (8.0 * (double)s.bytes + (double)s.pkts * pg.framing_bits) / dt;
	printf("Speed: %spps Bandwidth: %sbps (raw %sbps). Average batch: %.2f pkts\n",
	    pg_norm(b1, sizeof(b1), pps), pg_norm(b2, sizeof(b2), bw),
	    pg_norm(b3, sizeof(b3), raw), s.events ? (double)s.pkts / (double)s.events : 0.0);
}

static void
rtt_summary(void)
{
	struct pg_rtt r = { 0 };

	for (int i = 0; i < pg_nthreads; i++) {
		struct pg_rtt *x = &pg_threads[i].rtt;

		r.sent += x->sent;
		r.received += x->received;
		r.lost += x->lost;
		if (x->n) {
			if (!r.n || x->min < r.min)
				r.min = x->min;
			if (x->max > r.max)
				r.max = x->max;
			r.sum += x->sum;
			r.n += x->n;
		}
	}
	if (pg.json) {
		printf("{\"type\":\"rtt\",\"kind\":\"%s\",\"sent\":%llu,\"replies\":%llu,"
		    "\"lost\":%llu,\"samples\":%llu,\"min_ns\":%llu,\"avg_ns\":%llu,"
		    "\"max_ns\":%llu}\n", pg.func == PG_PING ? "rtt" : "one-way",
		    (unsigned long long)r.sent, (unsigned long long)r.received,
		    (unsigned long long)r.lost, (unsigned long long)r.n, (unsigned long long)r.min,
		    (unsigned long long)(r.n ? r.sum / r.n : 0), (unsigned long long)r.max);
		return;
	}
	if (pg.func == PG_PING)
		printf("ping: %llu sent, %llu replies, %llu lost\n", (unsigned long long)r.sent,
		    (unsigned long long)r.received, (unsigned long long)r.lost);
	if (r.n)
		printf("%s over %llu packets: min %llu av %llu max %llu ns\n",
		    pg.func == PG_PING ? "RTT" : "One-way latency", (unsigned long long)r.n,
		    (unsigned long long)r.min, (unsigned long long)(r.sum / r.n),
		    (unsigned long long)r.max);
	else if (pg.func == PG_PING)
		printf("RTT over 0 packets: no reply came back\n");
}

static void
seq_summary(void)
{
	for (int i = 0; i < pg_nthreads; i++) {
		struct pg_thread *t = &pg_threads[i];
		struct pg_seqstats *s = &t->seq;

		if (t->role != ROLE_RXSEQ)
			continue;
		if (pg.json) {
			printf("{\"type\":\"rxseq\",\"packets\":%llu,\"first\":%u,\"last\":%u,"
			    "\"gaps\":%llu,\"missing\":%llu,\"out_of_order\":%llu,"
			    "\"fragment_errors\":%llu,\"malformed\":%llu}\n",
			    (unsigned long long)s->packets, s->first, s->last,
			    (unsigned long long)s->gaps, (unsigned long long)s->missing,
			    (unsigned long long)s->reorder, (unsigned long long)s->frag_errors,
			    (unsigned long long)s->malformed);
			continue;
		}
		printf("rxseq: %llu packets (seq %u..%u), %llu gaps (%llu missing), "
		    "%llu out of order, %llu fragment errors, %llu malformed\n",
		    (unsigned long long)s->packets, s->first, s->last,
		    (unsigned long long)s->gaps, (unsigned long long)s->missing,
		    (unsigned long long)s->reorder, (unsigned long long)s->frag_errors,
		    (unsigned long long)s->malformed);
	}
}

/* the final summary; returns the exit status */
int
pg_summary(void)
{
	int status = PG_EXIT_OK;

	for (int i = 0; i < pg_nthreads; i++)
		if (pg_threads[i].done != 1) {
			fprintf(stderr, "pkt-gen: thread %d stopped on an error\n", i);
			status = PG_EXIT_FAIL;
		}
	if (have(true))
		summary_lines(true);
	if (have(false))
		summary_lines(false);
	if (pg.func == PG_PING || (pg.options & OPT_TS))
		rtt_summary();
	seq_summary();
	fflush(stdout);
	return status;
}

void
pg_hexdump(const char *what, const struct netmap_ring *ring, unsigned slot,
    const uint8_t *p, unsigned len)
{
	const struct netmap_slot *s = &ring->slot[slot];

	flockfile(stdout);
	printf("%s ring %u slot %5u [buf %6u flags 0x%04x len %5u]\n", what, ring->ringid,
	    slot, s->buf_idx, s->flags, len);
	for (unsigned i = 0; i < len; i += 16) {
		char hex[16 * 3 + 1], asc[17];
		unsigned j;

		for (j = 0; j < 16 && i + j < len; j++) {
			snprintf(hex + 3 * j, 4, "%02x ", p[i + j]);
			asc[j] = isprint(p[i + j]) ? (char)p[i + j] : '.';
		}
		hex[3 * j] = '\0';
		asc[j] = '\0';
		printf("%5u: %-48s %s\n", i, hex, asc);
	}
	funlockfile(stdout);
}
