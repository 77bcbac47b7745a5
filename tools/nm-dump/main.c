/*
 * nm-dump - what tcpdump is for a network interface, for any netmap port.
 *
 * Opens a copy monitor of the port (netmap's /r, /t or /rt: a pipe end, a
 * VALE port, an interface, a switch's interception point netmap:valeX),
 * keeps the frames a tcpdump filter expression selects (libpcap compiles
 * it; pcap_offline_filter runs it) and prints a line per frame, or writes
 * them to a pcap file through libpcap (-w, rotated with -C as tcpdump's).
 *
 *   nm-dump -i 'netmap:p}1' udp port 53
 *   nm-dump -i vale0:a -t -c 100 -w a.pcap
 *
 * At the end (SIGINT, SIGTERM, -c reached) it says, as tcpdump does, how
 * many frames it captured, how many the monitor handed it, and how many
 * the monitor dropped: a monitor ring with no room for a frame loses it
 * and counts it in its kring; our RING_STATS request (unetmap.h), sent
 * with no port name on the monitor's own descriptor, reads those counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>
#include "unetmap.h"

#include "dump.h"
#include "tools/common/nm_errno.h"

#define ND_MAX_SNAPLEN	262144u	/* tcpdump's default and largest */
#define ND_MAX_FRAGS	64u	/* slots of one frame, as netmap's NETMAP_MAX_FRAGS */
#define ND_MON_SLOTS	4096u	/* slots of a monitor ring: netmap's largest, the most room */

struct nd {
	struct nmport_d *d;
	const char *filter_text;
	struct bpf_program prog;
	bool filter;
	uint32_t snaplen;
	uint64_t count;		/* -c; 0: no end */
	bool saving;
	struct nd_save save;
	uint8_t *fbuf;		/* a frame of several slots, put together */
	size_t fbuf_size;
	const uint8_t *mem_lo, *mem_hi;	/* the mapped region: where buffers may be */
	uint64_t seen, captured, bad;
	bool failed;		/* a write failed */
};

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
	    "usage: nm-dump [-hlrt] [-B slots] [-c count] [-s snaplen] [-w file [-C megabytes]]\n"
	    "               -i port [expression]\n"
	    "\n"
	    "Captures the frames of a netmap port through a copy monitor, as tcpdump\n"
	    "does on an interface, and prints one line per frame or writes a pcap file.\n"
	    "\n"
	    "  -i port       the port watched: netmap:p{1 or netmap:p}1 (a pipe end),\n"
	    "                valeX:p (a VALE port), netmap:eth0 (an interface),\n"
	    "                netmap:valeX (the frames entering switch valeX, see\n"
	    "                valectl -n); a bare name gets \"netmap:\".  A name with\n"
	    "                monitor flags of its own (p}1/r) is opened as it is\n"
	    "  -r            only the frames the port receives (its rx rings: /r)\n"
	    "  -t            only the frames the port sends (its tx rings: /t)\n"
	    "                (neither, or both: every frame, /rt)\n"
	    "  -B slots      slots of each monitor ring: its room for frames not yet\n"
	    "                taken (64 to 4096, the default; a name with @conf:rx-slots\n"
	    "                sets its own)\n"
	    "  -c count      stop after count frames captured\n"
	    "  -s snaplen    keep at most snaplen bytes of each frame (%u; 0: %u)\n"
	    "  -w file       write the frames to a pcap file (\"-\": standard output)\n"
	    "  -C megabytes  with -w: once a file is larger than megabytes million\n"
	    "                bytes, go on in file1, then file2... (as tcpdump -C)\n"
	    "  -l            flush standard output after every line\n"
	    "  -h            this text\n"
	    "  expression    a tcpdump filter expression (pcap-filter(7)); only the\n"
	    "                frames it selects are captured\n"
	    "\n"
	    "A line: time, rx or tx, length, MACs, VLAN tags, then ARP, IPv4 or IPv6\n"
	    "with TCP/UDP ports, TCP flags, ICMP type.  At the end (SIGINT, SIGTERM or\n"
	    "-c reached) it prints to stderr how many frames were captured, received\n"
	    "by the filter, and dropped by the monitor (no room in its ring).\n"
	    "Exit status: 0 done, 1 failure, 2 bad command line or filter.\n",
	    ND_MAX_SNAPLEN, ND_MAX_SNAPLEN);
}

static void
bad(const char *fmt, const char *arg)
{
	fputs("nm-dump: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (nm-dump -h for help)\n", stderr);
	exit(2);
}

static uint64_t
number(const char *s, const char *what, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		bad(what, s);
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		bad(what, s);
	return v;
}

/*
 * The monitor's name: @port with "netmap:" if it has no prefix, and the
 * flags of @dir ("r", "t", "rt") before its @options, unless it has flags.
 */
static void
monitor_name(char *out, size_t len, const char *port, const char *dir, bool *given)
{
	const char *at;
	int n;
	bool vale = strncmp(port, "vale", 4) == 0 && strchr(port, ':') != NULL;
	const char *prefix = strncmp(port, "netmap:", 7) == 0 || vale ? "" : "netmap:";

	*given = strchr(port, '/') != NULL;
	if (*given) {
		n = snprintf(out, len, "%s%s", prefix, port);
	} else {
		at = strchr(port, '@');
		if (!at)
			at = port + strlen(port);
		n = snprintf(out, len, "%s%.*s/%s%s", prefix, (int)(at - port), port, dir, at);
	}
	if (n < 0 || (size_t)n >= len)
		bad("%s: the port name is too long", port);
}

/* the expression: the arguments left, joined by spaces as tcpdump joins them */
static char *
join(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s) {
		fprintf(stderr, "nm-dump: out of memory\n");
		exit(1);
	}
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* frames a monitor ring lost, summed over our rx rings; -1 if nobody says */
static int64_t
monitor_drops(const struct nmport_d *d)
{
	int64_t lost = 0;

	for (unsigned i = d->first_rx_ring; i <= d->last_rx_ring; i++) {
		struct nmreq_unetmap_ring_stats rs = { .nr_dir = 1, .nr_ring = (uint16_t)i };
		struct nmreq_header h = {
			.nr_version = NETMAP_API,
			.nr_reqtype = NETMAP_REQ_UNETMAP_RING_STATS,
			.nr_body = (uintptr_t)&rs,
		};

		/* no name: the port of this descriptor, the monitor itself */
		if (ioctl(d->fd, NIOCCTRL, &h) < 0)
			return -1;
		lost += (int64_t)rs.lost;
	}
	return lost;
}

/*
 * @want slots, or fewer if a ring that large does not fit the ring objects
 * of @port's memory region (where its monitors live)
 */
static uint32_t
fit_slots(const char *port, uint32_t want)
{
	struct nmreq_pools_info pi;
	struct nmreq_header h;
	int fd = open("/dev/netmap", O_RDWR);

	if (fd < 0)
		return want;
	memset(&pi, 0, sizeof(pi));
	memset(&h, 0, sizeof(h));
	h.nr_version = NETMAP_API;
	h.nr_reqtype = NETMAP_REQ_POOLS_INFO_GET;
	h.nr_body = (uintptr_t)&pi;
	snprintf(h.nr_name, sizeof(h.nr_name), "%s", port);
	if (ioctl(fd, NIOCCTRL, &h) == 0 && pi.nr_ring_pool_objsize > sizeof(struct netmap_ring)) {
		uint32_t max = (uint32_t)((pi.nr_ring_pool_objsize - sizeof(struct netmap_ring)) /
		    sizeof(struct netmap_slot));

		if (want > max)
			want = max;
	}
	close(fd);
	return want;
}

static void
print_time(FILE *out, const struct timeval *tv)
{
	struct tm tm;
	time_t t = tv->tv_sec;

	localtime_r(&t, &tm);
	fprintf(out, "%02d:%02d:%02d.%06ld ", tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (long)tv->tv_usec);
}

/* the buffer of slot @s, or NULL if it names none in the region */
static const uint8_t *
slot_buf(const struct nd *nd, struct netmap_ring *r, const struct netmap_slot *s)
{
	const uint8_t *p = (const uint8_t *)NETMAP_BUF(r, s->buf_idx);

	if (p < nd->mem_lo || p + r->nr_buf_size > nd->mem_hi || p < (const uint8_t *)r)
		return NULL;
	return p;
}

/* one frame: slots [@first, @first + @n) of @r */
static void
frame(struct nd *nd, struct netmap_ring *r, uint32_t first, uint32_t n, const struct timeval *tv)
{
	const struct netmap_slot *s = &r->slot[first];
	struct pcap_pkthdr h = { .ts = *tv };
	const uint8_t *data;
	uint32_t len = 0;

	if (n == 1) {
		data = slot_buf(nd, r, s);
		len = s->len <= r->nr_buf_size ? s->len : r->nr_buf_size;
	} else {
		for (uint32_t i = 0, j = first; i < n; i++, j = nm_ring_next(r, j)) {
			const uint8_t *b = slot_buf(nd, r, &r->slot[j]);
			uint32_t l = r->slot[j].len <= r->nr_buf_size ? r->slot[j].len :
			    r->nr_buf_size;

			if (!b || len + l > nd->fbuf_size) {
				len = 0;
				break;
			}
			memcpy(nd->fbuf + len, b, l);
			len += l;
		}
		data = len ? nd->fbuf : NULL;
	}
	if (!data) {
		nd->bad++;	/* a slot naming no buffer: nothing to show */
		return;
	}
	nd->seen++;
	h.caplen = h.len = len;
	if (nd->filter && pcap_offline_filter(&nd->prog, &h, data) == 0)
		return;
	nd->captured++;
	if (h.caplen > nd->snaplen)
		h.caplen = nd->snaplen;
	if (nd->saving) {
		if (nd_save_frame(&nd->save, &h, data) < 0) {
			nd->failed = true;
			stop = 1;
		}
	} else {
		print_time(stdout, tv);
		printf("%s %u: ", (s->flags & NS_TXMON) ? "tx" : "rx", len);
		nd_decode(stdout, data, h.caplen, len);
		putchar('\n');
	}
	if (nd->count && nd->captured >= nd->count)
		stop = 1;
}

/* everything waiting in the monitor's rx rings */
static void
drain(struct nd *nd)
{
	struct timeval tv;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	tv.tv_sec = ts.tv_sec;
	tv.tv_usec = ts.tv_nsec / 1000;
	for (unsigned ri = nd->d->first_rx_ring; ri <= nd->d->last_rx_ring && !stop; ri++) {
		struct netmap_ring *r = NETMAP_RXRING(nd->d->nifp, ri);
		uint32_t j = r->head;

		while (j != r->tail && !stop) {
			uint32_t x = j, n = 1;

			/* a frame of several slots is taken once all of it is here */
			while ((r->slot[x].flags & NS_MOREFRAG) && n < ND_MAX_FRAGS &&
			    nm_ring_next(r, x) != r->tail) {
				x = nm_ring_next(r, x);
				n++;
			}
			if ((r->slot[x].flags & NS_MOREFRAG) && n < ND_MAX_FRAGS)
				break;
			frame(nd, r, j, n, &tv);
			j = nm_ring_next(r, x);
		}
		r->head = r->cur = j;
	}
}

int
main(int argc, char **argv)
{
	struct nd nd = { .snaplen = ND_MAX_SNAPLEN };
	const char *port = NULL, *wfile = NULL;
	bool rx = false, tx = false, given, line = false;
	uint32_t slots = ND_MON_SLOTS;
	double mbytes = 0;
	char name[NETMAP_REQ_IFNAMSIZ + 64], *end;
	pcap_t *dead;
	struct sigaction sa;
	int64_t drops;
	int c, rc = 0;

	while ((c = getopt(argc, argv, "hlrtc:s:w:C:i:B:")) != -1) {
		switch (c) {
		case 'i': port = optarg; break;
		case 'r': rx = true; break;
		case 't': tx = true; break;
		case 'l': line = true; break;
		case 'c':
			nd.count = number(optarg, "-c %s: a count is a number of frames, 1 or more",
			    UINT64_MAX);
			if (nd.count == 0)
				bad("-c %s: a count is a number of frames, 1 or more", optarg);
			break;
		case 's':
			nd.snaplen = (uint32_t)number(optarg, "-s %s: a snaplen is 0 (all) to 262144 "
			    "bytes", ND_MAX_SNAPLEN);
			if (nd.snaplen == 0)
				nd.snaplen = ND_MAX_SNAPLEN;
			break;
		case 'w': wfile = optarg; break;
		case 'B':
			slots = (uint32_t)number(optarg, "-B %s: a monitor ring has 64 to 4096 slots",
			    ND_MON_SLOTS);
			if (slots < 64)
				bad("-B %s: a monitor ring has 64 to 4096 slots", optarg);
			break;
		case 'C':
			errno = 0;
			mbytes = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(mbytes > 0) || mbytes > 1e9)
				bad("-C %s: a file size is a number of megabytes (10^6 bytes), more "
				    "than 0", optarg);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!port)
		bad("%sno port: which one to watch? (-i port)", "");
	if (mbytes > 0 && !wfile)
		bad("%s-C rotates the files of -w: give -w file", "");
	if (mbytes > 0 && wfile && strcmp(wfile, "-") == 0)
		bad("%s-C cannot rotate the standard output", "");
	monitor_name(name, sizeof(name), port, rx == tx ? "rt" : rx ? "r" : "t", &given);
	if (given && (rx || tx))
		bad("%s: the name has its monitor flags already: no -r or -t with it", port);

	/* the filter, compiled before anything is opened: a bad one is a usage error */
	dead = pcap_open_dead(DLT_EN10MB, (int)nd.snaplen);
	if (!dead) {
		fprintf(stderr, "nm-dump: libpcap: cannot make a handle\n");
		return 1;
	}
	if (optind < argc) {
		nd.filter_text = join(argc - optind, argv + optind);
		if (pcap_compile(dead, &nd.prog, nd.filter_text, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			fprintf(stderr, "nm-dump: bad filter expression \"%s\": %s\n",
			    nd.filter_text, pcap_geterr(dead));
			pcap_close(dead);
			free((char *)nd.filter_text);
			return 2;
		}
		nd.filter = true;
	}

	/* the monitor's rings: -B slots each (netmap bounds them at 4096), unless the name says */
	nd.d = nmport_prepare(name);
	if (nd.d) {
		if (nd.d->reg.nr_rx_slots == 0)
			nd.d->reg.nr_rx_slots = fit_slots(nd.d->hdr.nr_name, slots);
		if (nmport_open_desc(nd.d) < 0) {
			int e = errno;

			nmport_close(nd.d);
			nd.d = NULL;
			errno = e;
		}
	}
	if (!nd.d) {
		fprintf(stderr, "nm-dump: cannot open a monitor of %s (%s): %s\n", port, name,
		    nm_errstr(errno));
		rc = 1;
		goto out;
	}
	if (!(nd.d->reg.nr_flags & (NR_MONITOR_TX | NR_MONITOR_RX))) {
		fprintf(stderr, "nm-dump: %s is not a monitor: give /r, /t, /rt or /z "
		    "(or no flags and -r, -t)\n", name);
		rc = 2;
		goto out;
	}
	nd.mem_lo = nd.d->mem->mem;
	nd.mem_hi = nd.mem_lo + nd.d->mem->size;
	nd.fbuf_size = (size_t)ND_MAX_FRAGS * NETMAP_RXRING(nd.d->nifp,
	    nd.d->first_rx_ring)->nr_buf_size;
	nd.fbuf = malloc(nd.fbuf_size);
	if (!nd.fbuf) {
		fprintf(stderr, "nm-dump: out of memory\n");
		rc = 1;
		goto out;
	}
	if (wfile) {
		if (nd_save_open(&nd.save, dead, wfile, (uint64_t)(mbytes * 1e6)) < 0) {
			rc = 1;
			goto out;
		}
		nd.saving = true;
	}
	if (line)
		setvbuf(stdout, NULL, _IOLBF, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll() returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "nm-dump: listening on %s, %u rx ring%s of %u slots, snaplen %u%s%s%s\n",
	    name, nd.d->last_rx_ring - nd.d->first_rx_ring + 1u,
	    nd.d->last_rx_ring == nd.d->first_rx_ring ? "" : "s",
	    NETMAP_RXRING(nd.d->nifp, nd.d->first_rx_ring)->num_slots, nd.snaplen,
	    nd.filter ? ", filter \"" : "", nd.filter ? nd.filter_text : "", nd.filter ? "\"" : "");

	while (!stop) {
		struct pollfd pfd = { .fd = nd.d->fd, .events = POLLIN };
		int k = poll(&pfd, 1, 500);

		if (k < 0 && errno != EINTR) {
			fprintf(stderr, "nm-dump: poll: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		if (k > 0 && (pfd.revents & (POLLERR | POLLNVAL))) {
			fprintf(stderr, "nm-dump: %s: the monitor failed (poll reports an error)\n",
			    name);
			rc = 1;
			break;
		}
		drain(&nd);
	}
	/* what arrived before the stop was asked (not after -c) */
	if (!nd.failed && rc == 0 && !(nd.count && nd.captured >= nd.count)) {
		ioctl(nd.d->fd, NIOCRXSYNC, NULL);
		stop = 0;
		drain(&nd);
	}
	if (nd.saving && nd_save_close(&nd.save) < 0)
		nd.failed = true;
	fflush(stdout);
	drops = monitor_drops(nd.d);
	fprintf(stderr, "%llu frame%s captured\n", (unsigned long long)nd.captured,
	    nd.captured == 1 ? "" : "s");
	fprintf(stderr, "%llu frame%s received by filter\n", (unsigned long long)nd.seen,
	    nd.seen == 1 ? "" : "s");
	if (drops >= 0)
		fprintf(stderr, "%lld frame%s dropped by the monitor\n", (long long)drops,
		    drops == 1 ? "" : "s");
	else
		fprintf(stderr, "frames dropped by the monitor: unknown (%s)\n", strerror(errno));
	if (nd.bad)
		fprintf(stderr, "%llu slots naming no buffer skipped\n",
		    (unsigned long long)nd.bad);
	if (nd.failed)
		rc = 1;
out:
	if (nd.d)
		nmport_close(nd.d);
	free(nd.fbuf);
	if (nd.filter)
		pcap_freecode(&nd.prog);
	free((char *)nd.filter_text);
	pcap_close(dead);
	return rc;
}
