/*
 * options.c - pkt-gen's command line: netmap's flags, strictly checked.
 *
 * Anything malformed (a number that is not one, out of range, an unknown
 * flag or function) is reported with the flag it came from, and pkt-gen
 * exits with status 2 before touching any port.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "pktgen.h"

struct pg_conf pg;

void
pg_die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pkt-gen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(pkt-gen -h lists the options)\n");
	exit(PG_EXIT_USAGE);
}

void
pg_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pkt-gen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(PG_EXIT_FAIL);
}

void
pg_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pkt-gen: warning: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* only with -v */
void
pg_info(const char *fmt, ...)
{
	va_list ap;

	if (!pg.verbose)
		return;
	fprintf(stderr, "pkt-gen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

static const char usage_text[] =
"usage: pkt-gen -i port [-f function] [options]\n"
"\n"
"Sends, receives or bounces packets on a netmap port as fast as it can.\n"
"\n"
"  -i port        netmap port: netmap:eth0, netmap:eth0-1, netmap:eth0^,\n"
"                 valeX:p, netmap:p{1 (pipe master), netmap:p}1 (slave), with\n"
"                 /flags and @options; a bare name gets \"netmap:\"; \"null\"\n"
"                 discards what tx sends.  Given twice (ping, pong, txseq,\n"
"                 rxseq): send on the first port, receive on the second.\n"
"  -f function    tx, rx (default), ping, pong, txseq, rxseq\n"
"  -n count       packets to send or receive, pings to send (0 = forever)\n"
"  -l size        frame size in bytes without CRC (60, 62 with -6;\n"
"                 16..65535); given twice: random sizes from the second\n"
"                 up to the first\n"
"  -b burst       packets per ring per round (512; 1 for ping and pong)\n"
"  -R rate        at most rate packets per second (K, M, G suffixes)\n"
"  -p threads     threads, one ring each (tx and rx only)\n"
"  -a cpu         pin the first thread to cpu, the next ones to the next cpus\n"
"  -c cpus        pin within cpus CPUs starting at -a, or at 0 (0 = all)\n"
"  -s ip[:port[-ip:port]]   source address and port, single or range\n"
"                 (10.0.0.1:1234, fd00::1 with -6; IPv6: [G@]addr or\n"
"                 [G@][addr]:port, the range counting in 16-bit group G, 7\n"
"                 by default)\n"
"  -d ip[:port[-ip:port]]   destination, the same way (10.1.0.1:1234,\n"
"                 fd00::1:1 with -6)\n"
"  -S mac         source MAC (the interface's own, else 00:00:00:00:00:00)\n"
"  -D mac         destination MAC (ff:ff:ff:ff:ff:ff)\n"
"  -4 / -6        IPv4 (default) / IPv6 frames\n"
"  -z / -Z        random source / destination address and port\n"
"  -T ms          report every ms milliseconds (1000)\n"
"  -w seconds     wait for the link before starting (2 on NICs, 0 otherwise)\n"
"  -W             rx: stop after one second without traffic\n"
"  -F frags       tx: slots per packet, 1..63, linked with NS_MOREFRAG\n"
"  -M size        tx: at most size bytes per fragment\n"
"  -X             hexdump every packet sent or received\n"
"  -H len         virtio-net header of len bytes (0, 10 or 12)\n"
"  -P file        tx: send the first frame of a pcap file\n"
"  -I             tx: NS_INDIRECT slots (VALE ports only)\n"
"  -r             tx: send the buffers as they are (rubbish)\n"
"  -N             plain units (pps, bps) instead of K, M, G\n"
"  -A             add the mean and deviation of the rate to each report\n"
"  -B             count 24 bytes of framing and CRC per packet in bps\n"
"  -C tx_slots[,rx_slots[,tx_rings[,rx_rings]]]\n"
"                 geometry of a port created by the open (deprecated: use\n"
"                 @conf:tx-slots=..,rx-slots=..,tx-rings=..,rx-rings=..)\n"
"  -o bits        1 prefetch, 2 access (rx reads data), 4 copy, 8 memcpy,\n"
"                 16 timestamps (tx stamps, rx reports one-way latency),\n"
"                 32 indirect, 64 dump, 256 rubbish, 512 random src,\n"
"                 1024 random dst, 2048 rate stats, 4096 update checksums\n"
"  -J             reports and the summary as JSON lines on stdout (one object\n"
"                 per line: \"type\" report, summary, rtt or rxseq)\n"
"  -v             more messages\n"
"  -h             this text\n"
"\n"
"Reports go to stderr, the final summary to stdout:\n"
"  Sent|Received N packets B bytes E events S bytes each in T seconds.\n"
"  Speed: X pps Bandwidth: Y bps (raw Z bps). Average batch: A pkts\n"
"Exit status: 0 done, 1 failure, 2 bad command line.\n"
"\n"
"Examples:\n"
"  pkt-gen -f rx -i 'netmap:p}1' -a 1 &      receive on the slave end of pipe p\n"
"  pkt-gen -f tx -i 'netmap:p{1' -a 0 -n 10M ten million frames from the master\n"
"  pkt-gen -f ping -i 'netmap:q{1' -n 1000   round trips (pong on netmap:q}1)\n"
"  pkt-gen -f txseq -i netmap:eth0 -l 1514 -R 100K -s 10.0.0.1-10.0.0.9\n"
"See pkt-gen(8).\n";

void
pg_usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

/* a whole unsigned number, in [lo, hi]; K/M/G multiply by 1000s if asked */
static uint64_t
num(char flag, const char *s, uint64_t lo, uint64_t hi, bool suffix)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	errno = 0;
	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		goto bad;
	v = strtoull(s, &end, flag == 'o' ? 0 : 10);
	if (errno || end == s)
		goto bad;
	if (suffix && *end) {
		switch (*end) {
		case 'k': case 'K': mult = 1000ull; break;
		case 'm': case 'M': mult = 1000000ull; break;
		case 'g': case 'G': mult = 1000000000ull; break;
		default: goto bad;
		}
		end++;
	}
	if (*end)
		goto bad;
	if (mult > 1 && v > UINT64_MAX / mult)
		goto bad;
	v *= mult;
	if (v < lo || v > hi)
		goto bad;
	return v;
bad:
	pg_die_usage("-%c: '%s' is not a number in [%llu, %llu]%s", flag, s,
	    (unsigned long long)lo, (unsigned long long)hi,
	    suffix ? " (K, M, G suffixes allowed)" : "");
}

static const struct {
	const char	*name;
	enum pg_func	func;
} funcs[] = {
	{ "rx", PG_RX }, { "tx", PG_TX }, { "ping", PG_PING },
	{ "pong", PG_PONG }, { "txseq", PG_TXSEQ }, { "rxseq", PG_RXSEQ },
};

static void
set_port(const char *arg)
{
	char *name;

	if (pg.nports == PG_MAX_PORTS)
		pg_die_usage("-i: at most two ports (the second is where ping, pong, txseq "
		    "and rxseq receive)");
	if (*arg == '\0')
		pg_die_usage("-i: empty port name");
	if (!strncmp(arg, "tap:", 4) || !strncmp(arg, "pcap:", 5))
		pg_die_usage("-i %s: the tap: and pcap: back ends of netmap's pkt-gen are "
		    "not supported; use a netmap port (netmap:IFACE)", arg);
	if (!strcmp(arg, "null")) {
		pg.null_port = true;
		name = strdup(arg);
	} else if (!strncmp(arg, "netmap:", 7) || !strncmp(arg, "vale", 4)) {
		name = strdup(arg);
	} else if (asprintf(&name, "netmap:%s", arg) < 0) {
		name = NULL;
	}
	if (!name)
		pg_die("out of memory");
	pg.ports[pg.nports++] = name;
}

static void
check_ring_conf(const char *s)
{
	const char *p = s;
	int n = 0;

	/* up to four numbers separated by commas; empty fields are zeros */
	for (;;) {
		char *end;
		unsigned long v;

		if (*p == ',' || *p == '\0') {
			v = 0;
			end = (char *)p;
		} else {
			if (*p < '0' || *p > '9')
				break;
			errno = 0;
			v = strtoul(p, &end, 10);
			if (errno || v > 65535)
				break;
		}
		n++;
		if (*end == '\0' && n <= 4)
			return;
		if (*end != ',' || n == 4)
			break;
		p = end + 1;
	}
	pg_die_usage("-C: '%s' is not tx_slots[,rx_slots[,tx_rings[,rx_rings]]]", s);
}

void
pg_parse_args(int argc, char **argv)
{
	int ch, nsizes = 0;
	long ncpu;
	char err[200];

	memset(&pg, 0, sizeof(pg));
	pg.func = PG_RX;
	pg.func_name = "rx";
	pg.size = 60;
	pg.threads = 1;
	pg.first_cpu = -1;
	pg.af = AF_INET;
	pg.src_text = NULL;
	pg.dst_text = NULL;
	memset(pg.dst_mac, 0xff, 6);
	pg.report_ms = 1000;
	pg.wait_link = -1;
	pg.frags = 1;
	pg.normalize = true;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pg.ncpus = ncpu > 0 ? (int)ncpu : 1;

	opterr = 0;
	while ((ch = getopt(argc, argv,
	    ":46a:f:F:Nn:i:Il:d:s:D:S:b:c:o:p:T:w:WvJR:XC:H:rP:zZAhBM:")) != -1) {
		switch (ch) {
		case 'h':
			pg_usage(0);
		case '4':
			pg.af = AF_INET;
			break;
		case '6':
			pg.af = AF_INET6;
			break;
		case 'a':
			pg.first_cpu = (int)num('a', optarg, 0, (uint64_t)pg.ncpus - 1, false);
			break;
		case 'c':
			pg.cpus = (int)num('c', optarg, 0, (uint64_t)pg.ncpus, false);
			break;
		case 'f': {
			size_t i;

			for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
				if (!strcmp(optarg, funcs[i].name))
					break;
			if (i == sizeof(funcs) / sizeof(funcs[0]))
				pg_die_usage("-f: unknown function '%s' (tx, rx, ping, pong, "
				    "txseq, rxseq)", optarg);
			pg.func = funcs[i].func;
			pg.func_name = funcs[i].name;
			break;
		}
		case 'F':
			pg.frags = (unsigned)num('F', optarg, 1, PG_MAX_FRAGS, false);
			break;
		case 'M':
			pg.frag_size = (unsigned)num('M', optarg, 1, PG_MAX_SIZE, false);
			break;
		case 'N':
			pg.normalize = false;
			break;
		case 'n':
			pg.count = num('n', optarg, 0, UINT64_MAX, true);
			break;
		case 'i':
			set_port(optarg);
			break;
		case 'I':
			pg.options |= OPT_INDIRECT;
			break;
		case 'l': {
			unsigned v = (unsigned)num('l', optarg, PG_MIN_SIZE, PG_MAX_SIZE, false);

			if (nsizes == 0)
				pg.size = v;
			else if (nsizes == 1)
				pg.min_size = v;
			else
				pg_die_usage("-l: at most twice (largest size, then smallest)");
			nsizes++;
			break;
		}
		case 'd':
			pg.dst_text = optarg;
			break;
		case 's':
			pg.src_text = optarg;
			break;
		case 'D':
			if (pg_parse_mac(pg.dst_mac, optarg) < 0)
				pg_die_usage("-D: '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)",
				    optarg);
			break;
		case 'S':
			if (pg_parse_mac(pg.src_mac, optarg) < 0)
				pg_die_usage("-S: '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)",
				    optarg);
			pg.src_mac_given = true;
			break;
		case 'b':
			pg.burst = (unsigned)num('b', optarg, 1, 65536, false);
			break;
		case 'o': {
			uint64_t v = num('o', optarg, 0, 0xffff, false);

			if (v & ~(uint64_t)OPT_KNOWN)
				pg_die_usage("-o: unknown bits 0x%llx in '%s' (known: 0x%x)",
				    (unsigned long long)(v & ~(uint64_t)OPT_KNOWN), optarg,
				    OPT_KNOWN);
			pg.options |= (unsigned)v;
			break;
		}
		case 'p':
			pg.threads = (int)num('p', optarg, 1, PG_MAX_THREADS, false);
			break;
		case 'T':
			pg.report_ms = (unsigned)num('T', optarg, 10, 3600000, false);
			break;
		case 'w':
			pg.wait_link = (int)num('w', optarg, 0, 3600, false);
			break;
		case 'W':
			pg.exit_idle = true;
			break;
		case 'v':
			pg.verbose++;
			break;
		case 'J':
			pg.json = true;
			break;
		case 'R':
			pg.rate = num('R', optarg, 0, 1000000000000ull, true);
			break;
		case 'X':
			pg.options |= OPT_DUMP;
			break;
		case 'C':
			check_ring_conf(optarg);
			pg.ring_conf = optarg;
			break;
		case 'H':
			pg.vhdr = (int)num('H', optarg, 0, 12, false);
			if (pg.vhdr != 0 && pg.vhdr != 10 && pg.vhdr != 12)
				pg_die_usage("-H: a virtio-net header has 0, 10 or 12 bytes, not %s",
				    optarg);
			break;
		case 'P':
			pg.pcap_file = optarg;
			break;
		case 'r':
			pg.options |= OPT_RUBBISH;
			break;
		case 'z':
			pg.options |= OPT_RANDOM_SRC;
			break;
		case 'Z':
			pg.options |= OPT_RANDOM_DST;
			break;
		case 'A':
			pg.options |= OPT_PPS_STATS;
			break;
		case 'B':
			pg.framing_bits = 24 * 8;
			break;
		case ':':
			pg_die_usage("-%c needs an argument", optopt);
		default:
			if (optopt && optopt != '?')
				pg_die_usage("unknown option -%c", optopt);
			pg_die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		pg_die_usage("unexpected argument '%s' (options only)", argv[optind]);

	/* ------------------------------------------- cross-checks */
	if (pg.nports == 0)
		pg_die_usage("no port: give one with -i (e.g. -i netmap:eth0)");
	if (pg.nports == 2 && (pg.func == PG_TX || pg.func == PG_RX))
		pg_die_usage("-i twice: only ping, pong, txseq and rxseq use a second port");
	if (pg.null_port && (pg.func != PG_TX && pg.func != PG_TXSEQ))
		pg_die_usage("-i null: the null port only discards; use it with -f tx or txseq");
	if (pg.null_port && pg.nports == 2)
		pg_die_usage("-i null: cannot be combined with a second port");
	if (pg.threads > 1 && pg.func != PG_TX && pg.func != PG_RX)
		pg_die_usage("-p %d: %s runs one thread (only tx and rx use -p)",
		    pg.threads, pg.func_name);
	if (pg.min_size) {
		if (pg.min_size > pg.size)
			pg_die_usage("-l: the second size (%u, the smallest) is larger than the "
			    "first (%u, the largest)", pg.min_size, pg.size);
		if (pg.min_size == pg.size)
			pg.min_size = 0;
	}
	if (pg.cpus && pg.first_cpu < 0)
		pg.first_cpu = 0;
	if (pg.burst == 0)
		pg.burst = (pg.func == PG_PING || pg.func == PG_PONG) ? 1 : 512;
	if (pg.pcap_file && pg.func != PG_TX)
		pg_die_usage("-P: a pcap frame can only be sent with -f tx");
	if (pg.pcap_file && pg.min_size)
		pg_die_usage("-P: the pcap frame has its own size; drop the second -l");
	if (pg.options & (OPT_COPY | OPT_MEMCPY) && pg.options & OPT_RUBBISH)
		pg_die_usage("-r (rubbish) and -o 4/8 (copy) contradict each other");
	if ((pg.options & OPT_INDIRECT) && pg.frags > 1)
		pg_die_usage("-I: indirect slots carry whole frames; drop -F");
	if (pg.ring_conf && pg.null_port)
		pg_die_usage("-C: the null port has no geometry to set");

	/* an IPv6 UDP frame needs 62 bytes; netmap's 60 would cut its header */
	if (pg.af == AF_INET6 && nsizes == 0)
		pg.size = PG_ETH_LEN + PG_IP6_LEN + PG_UDP_LEN;
	if (!pg.src_text)
		pg.src_text = pg.af == AF_INET ? "10.0.0.1" : "fd00::1";
	if (!pg.dst_text)
		pg.dst_text = pg.af == AF_INET ? "10.1.0.1" : "fd00::1:1";
	if (pg_parse_range(&pg.src, pg.src_text, pg.af, err, sizeof(err)) < 0)
		pg_die_usage("-s: %s", err);
	if (pg_parse_range(&pg.dst, pg.dst_text, pg.af, err, sizeof(err)) < 0)
		pg_die_usage("-d: %s", err);
}
