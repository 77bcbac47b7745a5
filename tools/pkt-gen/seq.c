/*
 * seq.c - what pkt-gen puts in the payload and checks on the other side.
 *
 * The first 4 bytes of the UDP payload carry a sequence number (big
 * endian; txseq, ping), the next 8 a timestamp in nanoseconds of the
 * sender's monotonic clock (ping, -o 16).  rxseq follows the numbers per
 * ring: a jump forward is a gap (the packets in between are missing), a
 * number below the expected one arrived out of order.  It also checks that
 * every packet has as many fragments (NS_MOREFRAG slots) as the one before.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "pktgen.h"

/* at most @per_sec messages a second from one call site */
#define LIMITED(state, per_sec, ...)					\
	do {								\
		uint64_t _now = pg_now_ns() / 1000000000ull;		\
		if ((state)[0] != _now) {				\
			(state)[0] = _now;				\
			(state)[1] = 0;					\
		}							\
		if ((state)[1]++ < (per_sec))				\
			fprintf(stderr, __VA_ARGS__);			\
	} while (0)

/* the UDP payload offset in a frame, or -1 if it is not IPv4/IPv6 UDP */
int
pg_payload_offset(const uint8_t *p, unsigned len, unsigned vhdr)
{
	unsigned eth = vhdr, type;

	if (len < eth + PG_ETH_LEN)
		return -1;
	type = (unsigned)(p[eth + 12] << 8 | p[eth + 13]);
	if (type == 0x0800) {
		unsigned ihl;

		if (len < eth + PG_ETH_LEN + PG_IP4_LEN)
			return -1;
		ihl = (p[eth + PG_ETH_LEN] & 0x0fu) * 4;
		if (ihl < PG_IP4_LEN || p[eth + PG_ETH_LEN + 9] != 17)
			return -1;
		return (int)(eth + PG_ETH_LEN + ihl + PG_UDP_LEN);
	}
	if (type == 0x86dd) {
		if (len < eth + PG_ETH_LEN + PG_IP6_LEN || p[eth + PG_ETH_LEN + 6] != 17)
			return -1;
		return (int)(eth + PG_ETH_LEN + PG_IP6_LEN + PG_UDP_LEN);
	}
	return -1;
}

void
pg_rtt_add(struct pg_thread *t, uint64_t ns)
{
	struct pg_rtt *w[2] = { &t->rtt, &t->rtt_window };

	pthread_mutex_lock(&t->rtt_lock);
	for (int i = 0; i < 2; i++) {
		if (w[i]->n == 0 || ns < w[i]->min)
			w[i]->min = ns;
		if (ns > w[i]->max)
			w[i]->max = ns;
		w[i]->sum += ns;
		w[i]->n++;
	}
	pthread_mutex_unlock(&t->rtt_lock);
}

static void
check_packet(struct pg_thread *t, struct pg_seqstate *s)
{
	static uint64_t lim_bad[2], lim_gap[2], lim_ooo[2], lim_frag[2];
	struct pg_seqstats *st = &t->seq;
	int off = pg_payload_offset(s->prefix, s->have, s->vhdr);
	uint32_t seq, delta;

	if (off < 0 || s->have < (unsigned)off + 4) {
		st->malformed++;
		LIMITED(lim_bad, 5, "pkt-gen: rxseq: a packet of %u+ bytes without a sequence "
		    "number (not UDP, or too short)\n", s->have);
		return;
	}
	seq = (uint32_t)s->prefix[off] << 24 | (uint32_t)s->prefix[off + 1] << 16 |
	    (uint32_t)s->prefix[off + 2] << 8 | s->prefix[off + 3];
	st->packets++;
	if (s->last_frags && s->frags != s->last_frags) {
		st->frag_errors++;
		LIMITED(lim_frag, 5, "pkt-gen: rxseq: packet %u has %u fragments, the one "
		    "before had %u\n", seq, s->frags, s->last_frags);
	}
	s->last_frags = s->frags;
	if (!st->started) {
		st->started = true;
		st->first = seq;
	}
	st->last = seq;
	if (!s->started) {
		s->started = true;
		s->expect = seq + 1;
		return;
	}
	if (seq == s->expect) {
		s->expect++;
		return;
	}
	delta = seq - s->expect;
	if (delta < 0x80000000u) {
		st->gaps++;
		st->missing += delta;
		LIMITED(lim_gap, 5, "pkt-gen: rxseq: gap: expected %u, got %u (%u missing)\n",
		    s->expect, seq, delta);
		s->expect = seq + 1;
	} else {
		st->reorder++;
		LIMITED(lim_ooo, 5, "pkt-gen: rxseq: out of order: expected %u, got %u\n",
		    s->expect, seq);
	}
}

/*
 * One received slot of a packet (more: NS_MOREFRAG, more slots follow).
 * The packet's first bytes are collected across its slots, so the fields
 * are found even when the first fragment is tiny.  True when the packet is
 * complete: the caller looks at it, then calls pg_prefix_reset().
 */
bool
pg_prefix_add(struct pg_seqstate *s, const uint8_t *buf, unsigned len, bool more)
{
	if (s->have < sizeof(s->prefix)) {
		unsigned n = sizeof(s->prefix) - s->have;

		if (n > len)
			n = len;
		memcpy(s->prefix + s->have, buf, n);
		s->have += n;
	}
	s->frags++;
	return !more;
}

void
pg_prefix_reset(struct pg_seqstate *s)
{
	s->frags = 0;
	s->have = 0;
}

/* rxseq: the sequence number of the complete packet in s */
void
pg_seq_check(struct pg_thread *t, struct pg_seqstate *s, unsigned vhdr)
{
	s->vhdr = vhdr;
	check_packet(t, s);
}

/* the sender's timestamp in the complete packet in s, 0 if none */
uint64_t
pg_ts_read(const struct pg_seqstate *s, unsigned vhdr)
{
	int off = pg_payload_offset(s->prefix, s->have, vhdr);
	uint64_t ts;

	if (off < 0 || s->have < (unsigned)off + PG_TS_OFF + PG_TS_LEN)
		return 0;
	memcpy(&ts, s->prefix + off + PG_TS_OFF, sizeof(ts));
	return ts;
}
