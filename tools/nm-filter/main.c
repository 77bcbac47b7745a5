/*
 * nm-filter - an inline filter, the IPS use of netmap in a few lines:
 * opens a port's NIC rings and its host rings, passes every frame from one
 * to the other except those a rule drops.
 *
 *   nm-filter -i netmap:vale0 -d tcp:5001    a switch's traffic (interception:
 *                                            valectl -n vale0), one flow stopped
 *   nm-filter -i netmap:eth0 -d icmp         an interface's traffic, between the
 *                                            wire and its host stack
 *
 * NIC rx -> host tx is what enters (the switch re-forwards it, or the stack
 * receives it); host rx -> NIC tx is what the host sends.  Rules apply both
 * ways.  Frames move by buffer swap: nothing is copied.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>
#include "tools/common/nm_errno.h"
#include "unetmap.h"

#define MAX_RULES 32

enum kind { R_ICMP, R_TCP, R_UDP, R_IP, R_ETHER, R_STP };

struct rule {
	enum kind kind;
	uint32_t value;		/* port, address (network order) or ethertype */
	char text[48];
	bool drop;		/* -d; -c only counts */
	uint64_t hits;
};

struct dir_stats {
	uint64_t seen, passed, dropped;
};

static struct rule rules[MAX_RULES];
static int nrules;
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
	    "usage: nm-filter [-hv] [-d rule]... [-c rule]... -i port\n"
	    "\n"
	    "Passes frames between the NIC rings and the host rings of port, except\n"
	    "those a rule drops.  On a switch's own interface (netmap:valeX, see\n"
	    "valectl -n) that is every frame crossing the switch; on an interface\n"
	    "(netmap:eth0), every frame between the wire and the host stack.\n"
	    "\n"
	    "  -i port   the port (netmap:vale0, netmap:eth0)\n"
	    "  -d rule   drop frames matching rule (up to %d rules, any of them):\n"
	    "              icmp          ICMP over IPv4\n"
	    "              tcp:PORT      TCP from or to PORT\n"
	    "              udp:PORT      UDP from or to PORT\n"
	    "              ip:A.B.C.D    IPv4 from or to A.B.C.D\n"
	    "              ether:0xTYPE  that ethertype (after any 802.1Q tag)\n"
	    "              stp           spanning tree's (to 01:80:c2:00:00:00; a switch\n"
	    "                            keeps those to itself: expect none)\n"
	    "  -c rule   count the frames matching rule, and pass them\n"
	    "  -v        print the counts every second\n"
	    "  -h        this text\n"
	    "\n"
	    "On SIGINT or SIGTERM it prints what it saw, passed and dropped each way,\n"
	    "and how many frames each rule matched.\n", MAX_RULES);
}

static void
bad_rule(const char *s)
{
	fprintf(stderr, "nm-filter: %s: a rule is icmp, tcp:PORT, udp:PORT, ip:A.B.C.D, "
	    "ether:0xTYPE or stp\n", s);
	exit(2);
}

static void
add_rule(const char *s, bool drop)
{
	struct rule *r = &rules[nrules];
	char *end;
	unsigned long v;

	if (nrules == MAX_RULES) {
		fprintf(stderr, "nm-filter: at most %d rules\n", MAX_RULES);
		exit(2);
	}
	snprintf(r->text, sizeof(r->text), "%s", s);
	r->drop = drop;
	if (strcmp(s, "icmp") == 0) {
		r->kind = R_ICMP;
	} else if (strcmp(s, "stp") == 0) {
		r->kind = R_STP;
	} else if (strncmp(s, "tcp:", 4) == 0 || strncmp(s, "udp:", 4) == 0) {
		r->kind = s[0] == 't' ? R_TCP : R_UDP;
		v = strtoul(s + 4, &end, 10);
		if (s[4] == '\0' || *end || v == 0 || v > 65535)
			bad_rule(s);
		r->value = (uint32_t)v;
	} else if (strncmp(s, "ip:", 3) == 0) {
		struct in_addr a;

		if (inet_pton(AF_INET, s + 3, &a) != 1)
			bad_rule(s);
		r->kind = R_IP;
		r->value = a.s_addr;
	} else if (strncmp(s, "ether:", 6) == 0) {
		v = strtoul(s + 6, &end, 0);
		if (s[6] == '\0' || *end || v < 0x600 || v > 0xffff)
			bad_rule(s);
		r->kind = R_ETHER;
		r->value = (uint32_t)v;
	} else {
		bad_rule(s);
	}
	nrules++;
}

/* does frame @f (@len bytes) match rule @r? */
static bool
matches(const struct rule *r, const uint8_t *f, uint32_t len)
{
	uint32_t off = 12, type, ihl, src, dst;
	const uint8_t *ip;

	if (len < 14)
		return false;
	if (r->kind == R_STP)
		return memcmp(f, "\x01\x80\xc2\x00\x00\x00", 6) == 0;
	type = (uint32_t)f[off] << 8 | f[off + 1];
	if (type == 0x8100 && len >= 18) {	/* one 802.1Q tag */
		off += 4;
		type = (uint32_t)f[off] << 8 | f[off + 1];
	}
	off += 2;
	if (r->kind == R_ETHER)
		return r->value == type;
	if (type != 0x0800 || len < off + 20)
		return false;
	ip = f + off;
	ihl = (ip[0] & 0xfu) * 4u;
	switch (r->kind) {
	case R_ICMP:
		return ip[9] == 1;
	case R_IP:
		memcpy(&src, ip + 12, 4);
		memcpy(&dst, ip + 16, 4);
		return src == r->value || dst == r->value;
	case R_TCP:
	case R_UDP:
		if (ip[9] != (r->kind == R_TCP ? 6 : 17) || ihl < 20 || len < off + ihl + 4 ||
		    (((uint32_t)ip[6] << 8 | ip[7]) & 0x1fff))
			return false;	/* not that protocol, or a later fragment (no ports) */
		return ((uint32_t)ip[ihl] << 8 | ip[ihl + 1]) == r->value ||
		    ((uint32_t)ip[ihl + 2] << 8 | ip[ihl + 3]) == r->value;
	default:
		return false;
	}
}

/* counts the rules frame @f matches; true when one of them drops it */
static bool
judge(const uint8_t *f, uint32_t len)
{
	bool drop = false;

	for (int i = 0; i < nrules; i++)
		if (matches(&rules[i], f, len)) {
			rules[i].hits++;
			drop |= rules[i].drop;
		}
	return drop;
}

/* rx rings of @src to tx rings of @dst, dropping what a rule matches */
static void
filter(struct nmport_d *src, struct nmport_d *dst, struct dir_stats *st)
{
	for (unsigned si = src->first_rx_ring, di = dst->first_tx_ring;
	    si <= src->last_rx_ring && di <= dst->last_tx_ring;) {
		struct netmap_ring *rx = NETMAP_RXRING(src->nifp, si);
		struct netmap_ring *tx = NETMAP_TXRING(dst->nifp, di);
		uint32_t j = rx->head, k = tx->head;

		if (nm_ring_empty(rx)) {
			si++;
			continue;
		}
		if (nm_ring_empty(tx)) {
			di++;
			continue;
		}
		/* one frame (all its slots) at a time, when it fits */
		while (j != rx->tail) {
			uint32_t n = 1, x = j, room = nm_ring_space(tx);

			while ((rx->slot[x].flags & NS_MOREFRAG) && nm_ring_next(rx, x) != rx->tail) {
				x = nm_ring_next(rx, x);
				n++;
			}
			if (rx->slot[x].flags & NS_MOREFRAG)
				break;	/* the rest of it is not here yet */
			if (n > room)
				break;
			st->seen++;
			if (judge((const uint8_t *)NETMAP_BUF(rx, rx->slot[j].buf_idx),
			    rx->slot[j].len)) {
				st->dropped++;
				j = nm_ring_next(rx, x);
				continue;
			}
			for (uint32_t i = 0; i < n; i++) {
				struct netmap_slot *rs = &rx->slot[j], *ts = &tx->slot[k];
				uint32_t idx = ts->buf_idx;

				ts->buf_idx = rs->buf_idx;
				rs->buf_idx = idx;
				ts->len = rs->len;
				ts->flags = (uint16_t)((rs->flags & NS_MOREFRAG) | NS_BUF_CHANGED);
				rs->flags |= NS_BUF_CHANGED;
				j = nm_ring_next(rx, j);
				k = nm_ring_next(tx, k);
			}
			st->passed++;
		}
		rx->head = rx->cur = j;
		tx->head = tx->cur = k;
		if (j != rx->tail)
			di++;	/* this tx ring is full */
		else
			si++;
	}
}

static void
report(const struct dir_stats *in, const struct dir_stats *out)
{
	fprintf(stderr, "nm-filter: in (NIC rx -> host tx): seen %llu passed %llu dropped %llu; "
	    "out (host rx -> NIC tx): seen %llu passed %llu dropped %llu\n",
	    (unsigned long long)in->seen, (unsigned long long)in->passed,
	    (unsigned long long)in->dropped, (unsigned long long)out->seen,
	    (unsigned long long)out->passed, (unsigned long long)out->dropped);
}

int
main(int argc, char **argv)
{
	const char *port = NULL;
	char host[NETMAP_REQ_IFNAMSIZ + 16];
	struct nmport_d *nic, *hst;
	struct dir_stats in = { 0 }, out = { 0 };
	int verbose = 0, c;
	time_t last = time(NULL);

	while ((c = getopt(argc, argv, "hvd:c:i:")) != -1) {
		switch (c) {
		case 'i': port = optarg; break;
		case 'd': add_rule(optarg, true); break;
		case 'c': add_rule(optarg, false); break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!port || optind < argc) {
		fprintf(stderr, "nm-filter: %s\n", port ? "unexpected argument" : "no port (-i)");
		usage(stderr);
		return 2;
	}
	if (strlen(port) + 2 > sizeof(host) || strpbrk(port, "^*@")) {
		fprintf(stderr, "nm-filter: %s: give the port's plain name (netmap:vale0): its host "
		    "rings are opened as name^\n", port);
		return 2;
	}
	snprintf(host, sizeof(host), "%s^", port);
	nic = nmport_open(port);
	if (!nic) {
		fprintf(stderr, "nm-filter: cannot open %s: %s\n", port, nm_errstr(errno));
		return 1;
	}
	hst = nmport_open(host);
	if (!hst) {
		fprintf(stderr, "nm-filter: cannot open %s: %s\n", host, nm_errstr(errno));
		nmport_close(nic);
		return 1;
	}
	if (nic->reg.nr_mem_id != hst->reg.nr_mem_id) {
		fprintf(stderr, "nm-filter: %s and %s are in different memory regions\n", port, host);
		nmport_close(hst);
		nmport_close(nic);
		return 1;
	}
	/* frames move by swaps: a switch may hand our buffers on instead of copying */
	unetmap_tx_exchange(nic->fd, 1);
	unetmap_tx_exchange(hst->fd, 1);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "nm-filter: %s <-> %s, %d rule%s\n", port, host, nrules,
	    nrules == 1 ? "" : "s");
	while (!stop) {
		struct pollfd pfd[2] = { { .fd = nic->fd, .events = POLLIN },
		    { .fd = hst->fd, .events = POLLIN } };

		if (poll(pfd, 2, 1000) < 0 && errno != EINTR)
			break;
		/* what is moved goes out with the next poll's txsync, before it sleeps */
		filter(nic, hst, &in);
		filter(hst, nic, &out);
		if (verbose && time(NULL) != last) {
			last = time(NULL);
			report(&in, &out);
		}
	}
	ioctl(hst->fd, NIOCTXSYNC, NULL);	/* what was moved last */
	ioctl(nic->fd, NIOCTXSYNC, NULL);
	report(&in, &out);
	for (int i = 0; i < nrules; i++)
		fprintf(stderr, "nm-filter: rule %s %s: %llu frames %s\n", rules[i].drop ? "-d" :
		    "-c", rules[i].text, (unsigned long long)rules[i].hits, rules[i].drop ?
		    "dropped" : "counted");
	nmport_close(hst);
	nmport_close(nic);
	return 0;
}
