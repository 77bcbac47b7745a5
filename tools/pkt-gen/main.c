/*
 * main.c - pkt-gen: parse, open the ports, build the frame, run the
 * threads, report, summarise.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pktgen.h"

static struct pg_port *ports;	/* every open descriptor */
static int nports_open;

static struct pg_port *
new_port(void)
{
	struct pg_port *p = &ports[nports_open++];

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	return p;
}

static const char *
kind_name(enum pg_kind k)
{
	switch (k) {
	case PG_KIND_NIC: return "interface";
	case PG_KIND_PIPE: return "pipe";
	case PG_KIND_VALE: return "VALE port";
	case PG_KIND_NULL: return "null port";
	default: return "port";
	}
}

/* rings a thread may take in one direction, given how the port was named */
static unsigned
usable_rings(const struct pg_port_info *in, bool tx)
{
	unsigned hw = tx ? in->tx_rings : in->rx_rings;
	unsigned host = tx ? in->host_tx_rings : in->host_rx_rings;

	switch (in->orig_mode) {
	case NR_REG_SW:
		return host;
	case NR_REG_NIC_SW:
		return hw + host;
	case NR_REG_ONE_NIC:
	case NR_REG_ONE_SW:
		return 1;	/* and the following ones, checked by the opens */
	default:
		return hw;
	}
}

static void
print_geometry(const struct pg_port *p, const struct pg_port_info *in)
{
	if (!pg.verbose || p->kind == PG_KIND_NULL)
		return;
	fprintf(stderr, "pkt-gen: %s (%s %s): %u tx / %u rx rings (+%u/%u host), "
	    "%u / %u slots, %u-byte buffers, memory region %u; bound tx %u..%u rx %u..%u\n",
	    p->name, kind_name(in->kind), in->vpname, in->tx_rings, in->rx_rings,
	    in->host_tx_rings, in->host_rx_rings, in->tx_slots, in->rx_slots, in->buf_size,
	    in->mem_id, p->first_tx, p->last_tx, p->first_rx, p->last_rx);
}

static int
iface_mtu(const char *ifname)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0), mtu = -1;

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	if (strlen(ifname) >= sizeof(ifr.ifr_name)) {
		close(s);
		return -1;
	}
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(s, SIOCGIFMTU, &ifr) == 0)
		mtu = ifr.ifr_mtu;
	close(s);
	return mtu;
}

/* the smallest frame the function can carry its payload fields in */
static unsigned
min_size_for(const struct pg_frame *f)
{
	unsigned head = f->pay - f->vhdr;

	if (pg.func == PG_PING || (pg.options & OPT_TS && pg.func != PG_RX &&
	    pg.func != PG_RXSEQ))
		return head + PG_TS_OFF + PG_TS_LEN;
	if (pg.func == PG_TXSEQ || (pg.func == PG_RXSEQ && pg.nports == 2))
		return head + 4;
	return PG_MIN_SIZE;
}

static void
check_frags(unsigned buf_size, unsigned slots)
{
	unsigned L = pg.vhdr + pg.size;
	unsigned cap = pg.frag_size && pg.frag_size < buf_size ? pg.frag_size : buf_size;
	unsigned need = (L + cap - 1) / cap, used = need > pg.frags ? need : pg.frags;

	if (need > NETMAP_MAX_FRAGS)
		pg_die_usage("-l %u: a frame of %u bytes in slots of at most %u bytes needs %u "
		    "slots; netmap allows %d per packet (raise -M or lower -l)", pg.size, L, cap,
		    need, NETMAP_MAX_FRAGS);
	if ((pg.func == PG_PING || (pg.options & OPT_INDIRECT)) && need > 1)
		pg_die_usage("-l %u: %s sends whole frames in one slot of %u bytes", pg.size,
		    pg.func == PG_PING ? "ping" : "-I", buf_size);
	if (used > L)
		used = L;
	if (slots && used > slots - 1)
		pg_die_usage("-l %u -F %u: a packet takes %u slots, more than a ring of %u slots "
		    "can ever hold (%u)", pg.size, pg.frags, used, slots, slots - 1);
}

static void
setup_thread(struct pg_thread *t, int id, enum pg_role role, struct pg_port *txp,
    struct pg_port *rxp, uint64_t quota, uint64_t rate, struct pg_frame *f)
{
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->role = role;
	t->txp = txp;
	t->rxp = rxp;
	t->quota = quota;
	t->rate = rate;
	t->burst = pg.burst;
	t->frame = f;
	t->rng = 0x853c49e6748fea9bull ^ ((uint64_t)getpid() << 20) ^ pg_now_ns() ^
	    ((uint64_t)id * 0x9e3779b97f4a7c15ull);
	if (!t->rng)
		t->rng = 1;
	pthread_mutex_init(&t->rtt_lock, NULL);
	if (pg.first_cpu >= 0) {
		int pool = pg.cpus ? pg.cpus : pg.ncpus;

		t->cpu = (pg.first_cpu + id % pool) % pg.ncpus;
	} else {
		t->cpu = -1;
	}
}

/* share of n for part i of parts (the remainder goes to the first ones) */
static uint64_t
share(uint64_t n, int parts, int i)
{
	return n / (uint64_t)parts + ((uint64_t)i < n % (uint64_t)parts ? 1 : 0);
}

int
main(int argc, char **argv)
{
	char *spec[PG_MAX_PORTS];
	struct pg_port_info info[PG_MAX_PORTS];
	struct pg_port *first;
	struct pg_frame frame;
	bool sender;
	const char *verb;
	char srcmac[18], dstmac[18], r1[120], r2[120];
	int status, nthreads;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pg_parse_args(argc, argv);
	sender = pg.func == PG_TX || pg.func == PG_TXSEQ;

	if (pg.func == PG_TX || pg.func == PG_RX)
		nthreads = pg.threads;
	else if ((pg.func == PG_TXSEQ || pg.func == PG_RXSEQ) && pg.nports == 2)
		nthreads = 2;
	else
		nthreads = 1;
	if (sender && pg.count && pg.count < (uint64_t)nthreads)
		pg_die_usage("-n %llu: fewer packets than the %d threads of -p",
		    (unsigned long long)pg.count, nthreads);
	if (sender && pg.rate && pg.rate < (uint64_t)nthreads)
		pg_die_usage("-R %llu: a rate below one packet per second per thread",
		    (unsigned long long)pg.rate);

	for (int i = 0; i < pg.nports; i++) {
		spec[i] = pg_port_spec(pg.ports[i], pg.ring_conf);
		if (!spec[i])
			pg_die("out of memory");
	}
	ports = calloc((size_t)nthreads + PG_MAX_PORTS, sizeof(*ports));
	pg_threads = calloc((size_t)nthreads, sizeof(*pg_threads));
	if (!ports || !pg_threads)
		pg_die("out of memory");

	/* ------------------------------------------------ open */
	memset(info, 0, sizeof(info));
	first = new_port();
	if (pg_port_open(first, spec[0], nthreads > 1 && (pg.func == PG_TX || pg.func == PG_RX) ?
	    0 : -1, 0, pg.func == PG_RX || pg.func == PG_RXSEQ, &info[0]) < 0)
		exit(PG_EXIT_FAIL);
	print_geometry(first, &info[0]);
	if (pg.func == PG_TX || pg.func == PG_RX) {
		unsigned have = usable_rings(&info[0], pg.func == PG_TX);

		if ((info[0].orig_mode == NR_REG_ONE_NIC || info[0].orig_mode == NR_REG_ONE_SW) &&
		    nthreads > 1)
			have = (unsigned)nthreads;	/* the opens will tell */
		if ((unsigned)nthreads > have)
			pg_die("-p %d: %s has only %u %s ring%s to give one per thread", nthreads,
			    spec[0], have, pg.func == PG_TX ? "tx" : "rx", have == 1 ? "" : "s");
		for (int i = 1; i < nthreads; i++) {
			struct pg_port *p = new_port();

			if (pg_port_open(p, spec[0], i, pg.func == PG_TX ? info[0].tx_rings :
			    info[0].rx_rings, pg.func == PG_RX, NULL) < 0) {
				for (int k = 0; k < nports_open - 1; k++)
					pg_port_close(&ports[k]);
				exit(PG_EXIT_FAIL);
			}
			print_geometry(p, &info[0]);
		}
	} else if (pg.nports == 2) {
		struct pg_port *p = new_port();

		if (pg_port_open(p, spec[1], -1, 0, false, &info[1]) < 0) {
			pg_port_close(first);
			exit(PG_EXIT_FAIL);
		}
		print_geometry(p, &info[1]);
	}

	/* -------------------------------------- virtio header, MACs, frame */
	for (int i = 0; i < nports_open; i++) {
		pg_port_set_vhdr(&ports[i], pg.vhdr);
		if (i && ports[i].vhdr != ports[0].vhdr)
			pg_die("%s and %s use different virtio-net headers (%u and %u bytes)",
			    ports[0].name, ports[i].name, ports[0].vhdr, ports[i].vhdr);
	}
	pg.vhdr = (int)ports[0].vhdr;
	if (!pg.src_mac_given && info[0].kind == PG_KIND_NIC &&
	    pg_iface_mac(info[0].vpname, pg.src_mac) < 0)
		pg_warn("%s: cannot read its MAC address; sending from 00:00:00:00:00:00 "
		    "(set one with -S)", info[0].vpname);
	if (pg.wait_link < 0)
		pg.wait_link = info[0].kind == PG_KIND_NIC ? 2 : 0;
	if (sender && info[0].kind == PG_KIND_NIC) {
		int mtu = iface_mtu(info[0].vpname);

		if (mtu > 0 && pg.size > (unsigned)mtu + PG_ETH_LEN)
			pg_die("-l %u: %s has an MTU of %d, so frames of at most %d bytes", pg.size,
			    info[0].vpname, mtu, mtu + PG_ETH_LEN);
	}
	if (pg_frame_build(&frame) < 0)
		exit(PG_EXIT_FAIL);
	if (pg.size < min_size_for(&frame))
		pg_die_usage("-l %u: %s needs frames of at least %u bytes", pg.size,
		    pg.func_name, min_size_for(&frame));
	if (pg.min_size && pg.min_size < min_size_for(&frame))
		pg_die_usage("-l %u: %s needs frames of at least %u bytes", pg.min_size,
		    pg.func_name, min_size_for(&frame));
	if ((sender || pg.func == PG_PING) && !frame.raw &&
	    (pg.min_size ? pg.min_size : pg.size) + frame.vhdr < frame.pay)
		pg_warn("-l %u: frames shorter than their %u bytes of headers go out cut short",
		    pg.min_size ? pg.min_size : pg.size, frame.pay - frame.vhdr);
	if (sender || pg.func == PG_PING)
		check_frags(info[0].buf_size ? info[0].buf_size : 2048,
		    first->first_tx <= first->last_tx ?
		    pg_txring(first, first->first_tx)->num_slots : 0);
	if (frame.raw && (memcmp(pg.src.start, pg.src.end, 16) || pg.src.port0 != pg.src.port1 ||
	    memcmp(pg.dst.start, pg.dst.end, 16) || pg.dst.port0 != pg.dst.port1 ||
	    (pg.options & (OPT_RANDOM_SRC | OPT_RANDOM_DST))))
		pg_warn("-P: the pcap frame is sent as it is; address ranges and -z/-Z do not apply");
	if ((pg.options & OPT_INDIRECT) && (pg.min_size ||
	    (pg.options & (OPT_RANDOM_SRC | OPT_RANDOM_DST | OPT_TS)) || pg.func != PG_TX))
		pg_die_usage("-I: indirect slots all point at one fixed frame; use it with "
		    "-f tx and without varying sizes, -z/-Z or -o 16");

	if ((pg.options & OPT_INDIRECT) && info[0].kind != PG_KIND_VALE)
		pg_warn("-I: only VALE ports copy frames from slot->ptr; %s will carry whatever "
		    "its buffers hold", spec[0]);

	/* ---------------------------------------------------- threads */
	pg_nthreads = nthreads;
	switch (pg.func) {
	case PG_TX:
	case PG_RX:
		for (int i = 0; i < nthreads; i++)
			setup_thread(&pg_threads[i], i, pg.func == PG_TX ? ROLE_TX : ROLE_RX,
			    &ports[i], &ports[i], pg.func == PG_TX ? share(pg.count, nthreads, i) :
			    pg.count, share(pg.rate, nthreads, i), &frame);
		break;
	case PG_PING:
	case PG_PONG:
		setup_thread(&pg_threads[0], 0, pg.func == PG_PING ? ROLE_PING : ROLE_PONG,
		    &ports[0], &ports[nports_open - 1], pg.count, pg.rate, &frame);
		break;
	case PG_TXSEQ:
	case PG_RXSEQ:
		if (nthreads == 2) {
			setup_thread(&pg_threads[0], 0, ROLE_TXSEQ, &ports[0], &ports[0], pg.count,
			    pg.rate, &frame);
			setup_thread(&pg_threads[1], 1, ROLE_RXSEQ, &ports[1], &ports[1], pg.count,
			    0, &frame);
		} else {
			setup_thread(&pg_threads[0], 0, pg.func == PG_TXSEQ ? ROLE_TXSEQ :
			    ROLE_RXSEQ, &ports[0], &ports[0], pg.count, pg.rate, &frame);
		}
		break;
	}

	verb = sender ? "Sending on" : (pg.func == PG_RX || pg.func == PG_RXSEQ) ?
	    "Receiving from" : "Working on";
	printf("%s %s%s%s: %u queues, %d threads and %d cpus.\n", verb, spec[0],
	    pg.nports == 2 ? " and " : "", pg.nports == 2 ? spec[1] : "",
	    sender ? usable_rings(&info[0], true) : usable_rings(&info[0], false), nthreads,
	    pg.first_cpu < 0 ? pg.ncpus : pg.cpus ? pg.cpus : pg.ncpus);
	if (info[0].kind == PG_KIND_NIC)
		pg_print_mode(&ports[0], info[0].vpname);
	if (frame.raw)
		printf("the %u-byte frame of %s, as it is\n", pg.size, pg.pcap_file);
	else if (sender || pg.func == PG_PING)
		printf("%s -> %s (%s -> %s)\n", pg_range_str(&pg.src, r1, sizeof(r1)),
		    pg_range_str(&pg.dst, r2, sizeof(r2)), pg_mac_str(pg.src_mac, srcmac),
		    pg_mac_str(pg.dst_mac, dstmac));
	if (pg.verbose) {
		for (int i = 0; i < nthreads; i++) {
			struct pg_thread *t = &pg_threads[i];

			fprintf(stderr, "pkt-gen: thread %d: tx rings %u..%u rx rings %u..%u cpu %d "
			    "quota %llu rate %llu burst %u\n", i, t->txp->first_tx, t->txp->last_tx,
			    t->rxp->first_rx, t->rxp->last_rx, t->cpu, (unsigned long long)t->quota,
			    (unsigned long long)t->rate, t->burst);
		}
		if (pg.options)
			fprintf(stderr, "pkt-gen: options 0x%x\n", pg.options);
	}

	pg_signals_init();
	if (pg.wait_link > 0 && info[0].kind == PG_KIND_NIC) {
		pg_wait_link(info[0].vpname, pg.wait_link);
	} else if (pg.wait_link > 0) {
		fprintf(stderr, "pkt-gen: waiting %d s for the link (-w)\n", pg.wait_link);
		pg_sleep_ns((uint64_t)pg.wait_link * 1000000000ull);
	}
	if (!pg_stopping() && pg_threads_start() == 0)
		pg_report_loop();
	for (int i = 0; i < nthreads; i++)
		if (pg_threads[i].running)
			pthread_join(pg_threads[i].tid, NULL);
		else if (!pg_threads[i].done)
			pg_threads[i].done = pg_stopping() ? 1 : 2;	/* never started */
	status = pg_summary();
	for (int i = 0; i < nports_open; i++)
		pg_port_close(&ports[i]);
	for (int i = 0; i < nthreads; i++)
		pthread_mutex_destroy(&pg_threads[i].rtt_lock);
	pg_frame_free(&frame);
	for (int i = 0; i < pg.nports; i++) {
		free(spec[i]);
		free(pg.ports[i]);
	}
	free(pg_threads);
	free(ports);
	return status;
}
