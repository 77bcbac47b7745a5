/*
 * vale_vnethdr.c - virtio-net headers on VALE ports: PORT_HDR_SET/GET and
 * the legacy NIOCREGIF forms (lengths, errnos), and frames between ports
 * whose lengths differ: the header added (zeroed), converted or stripped,
 * TSO frames (TCP over IPv4 and IPv6) segmented, UDP checksums computed,
 * bad headers dropped and counted, equal lengths passed unchanged.  Every
 * checksum is verified here, by code of the test's own.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

#include <net/netmap_legacy.h>

#include "../lib/nmvale.h"
#include "../lib/tap.h"
#include "unetmap.h"

/* the virtio-net header, as a VM back end writes it */
struct vh {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
};
_Static_assert(sizeof(struct vh) == 12, "12-byte header");

#define F_NEEDS_CSUM	1
#define GSO_TCPV4	1
#define GSO_UDP		3
#define GSO_TCPV6	4

#define MAXFRAME	(70 * 1024)
#define MAXRX		128

struct rx {
	int n;
	size_t len[MAXRX];
	int slots[MAXRX];
	unsigned char *buf[MAXRX];
};

/* PORT_HDR_SET (@set) or _GET on @name; 0 or -errno, the answer in *len */
static int
port_hdr(const char *name, bool set, uint32_t *len)
{
	struct nmreq_port_hdr ph = { .nr_hdr_len = *len };
	int r = raw_ctl(set ? NETMAP_REQ_PORT_HDR_SET : NETMAP_REQ_PORT_HDR_GET, name, &ph);

	*len = ph.nr_hdr_len;
	return r;
}

/* the legacy form: NIOCREGIF with nr_cmd; 0 or -errno, nr_arg1 in *arg */
static int
legacy_hdr(const char *name, uint16_t cmd, uint16_t *arg)
{
	struct nmreq nmr;
	int fd = open("/dev/netmap", O_RDWR), r;

	if (fd < 0)
		return -errno;
	memset(&nmr, 0, sizeof(nmr));
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "%s", name);
	nmr.nr_version = NETMAP_API;
	nmr.nr_cmd = cmd;
	nmr.nr_arg1 = *arg;
	r = ioctl(fd, NIOCREGIF, &nmr) < 0 ? -errno : 0;
	*arg = nmr.nr_arg1;
	close(fd);
	return r;
}

static uint64_t
drop_bad(const char *p)
{
	struct nmreq_unetmap_vale_stats st = { 0 };
	char n[64];

	pname(n, sizeof(n), p);
	raw_ctl(NETMAP_REQ_UNETMAP_VALE_STATS, n, &st);
	return st.drop_bad;
}

/* sends @len bytes of @f from @r to port @to, over as many slots as it takes */
static int
send_frame(struct rawport *r, uint32_t to, const unsigned char *f, size_t len)
{
	struct netmap_ring *ring = NETMAP_TXRING(r->nifp, 0);
	size_t off = 0;
	bool first = true;

	do {
		struct netmap_slot *s;
		size_t bs, n;

		if (nm_ring_empty(ring))
			return -1;
		s = &ring->slot[ring->head];
		/* at the slot's data offset (0 on a ring without offsets) */
		bs = ring->nr_buf_size - NETMAP_ROFFSET(ring, s);
		n = len - off < bs ? len - off : bs;
		memcpy(NETMAP_BUF_OFFSET(ring, s), f + off, n);
		s->len = (uint16_t)n;
		off += n;
		s->flags = (uint16_t)((off < len ? NS_MOREFRAG : 0) |
		    (first ? to << NS_PORT_SHIFT : 0));
		first = false;
		ring->head = ring->cur = nm_ring_next(ring, ring->head);
	} while (off < len);
	return ioctl(r->fd, NIOCTXSYNC, NULL);
}

static void
rx_free(struct rx *x)
{
	for (int i = 0; i < x->n; i++)
		free(x->buf[i]);
	x->n = 0;
}

/* every frame waiting on @r's rx ring, fragments joined; *@off: the data offset of the first */
static void
recv_frames_off(struct rawport *r, struct rx *x, uint64_t *first_off)
{
	struct netmap_ring *ring = NETMAP_RXRING(r->nifp, 0);

	x->n = 0;
	ioctl(r->fd, NIOCRXSYNC, NULL);
	if (first_off && !nm_ring_empty(ring))
		*first_off = NETMAP_ROFFSET(ring, &ring->slot[ring->head]);
	while (!nm_ring_empty(ring) && x->n < MAXRX) {
		unsigned char *b = malloc(MAXFRAME);
		size_t len = 0;
		int slots = 0;
		bool more;

		do {
			struct netmap_slot *s = &ring->slot[ring->head];

			if (b && len + s->len <= MAXFRAME)
				memcpy(b + len, NETMAP_BUF_OFFSET(ring, s), s->len);
			len += s->len;
			slots++;
			more = s->flags & NS_MOREFRAG;
			ring->head = ring->cur = nm_ring_next(ring, ring->head);
		} while (more && !nm_ring_empty(ring));
		x->buf[x->n] = b;
		x->len[x->n] = len;
		x->slots[x->n] = slots;
		x->n++;
	}
	ioctl(r->fd, NIOCRXSYNC, NULL);
}


static void
recv_frames(struct rawport *r, struct rx *x)
{
	recv_frames_off(r, x, NULL);
}

/* ------------------------------------------------------------ frames */

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* the test's own Internet checksum: a plain sum of 16-bit words */
static uint32_t
sum16(const unsigned char *p, size_t len, uint32_t s)
{
	for (size_t i = 0; i < len; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

static unsigned
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* does the IPv4 header at @ip check? */
static bool
ip4_ok(const unsigned char *ip)
{
	return fold(sum16(ip, 20, 0)) == 0xffff;
}

/* does the TCP/UDP segment at @l4 (@len bytes, protocol @proto) check, over IPv4 or IPv6 @ip? */
static bool
l4_ok(const unsigned char *ip, bool v6, const unsigned char *l4, size_t len, unsigned proto)
{
	uint32_t s = v6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);

	s += proto + (uint32_t)len;
	return fold(sum16(l4, len, s)) == 0xffff;
}

/* the pseudo-header sum a sender leaves in the field for NEEDS_CSUM (not complemented) */
static unsigned
pseudo(const unsigned char *ip, bool v6, size_t len, unsigned proto)
{
	uint32_t s = v6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);

	return fold(s + proto + (uint32_t)len);
}

/*
 * A TCP frame after a 12-byte header asking for TSO: Ethernet, IPv4 (or
 * IPv6), TCP with 12 bytes of options (data offset 8), @data payload
 * bytes, PSH|FIN|ACK set.  Returns the frame's length (header included).
 */
static size_t
tso_frame(unsigned char *f, bool v6, size_t data, uint32_t seq)
{
	struct vh h = { .flags = F_NEEDS_CSUM, .gso_type = v6 ? GSO_TCPV6 : GSO_TCPV4,
		.gso_size = 1448, .csum_offset = 16 };
	unsigned char *e = f + 12, *ip = e + 14, *tcp;
	size_t iphl = v6 ? 40 : 20, l4len = 32 + data;

	memset(e, 0, 14);
	e[0] = 0x02; e[5] = 0x20;	/* dst 02:..:20 */
	e[6] = 0x02; e[11] = 0x10;	/* src 02:..:10 */
	put16(e + 12, v6 ? 0x86dd : 0x0800);
	memset(ip, 0, iphl);
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)l4len);
		ip[6] = 6;
		ip[7] = 64;
		for (int i = 0; i < 16; i++) {
			ip[8 + i] = (unsigned char)(0x20 + i);
			ip[24 + i] = (unsigned char)(0x40 + i);
		}
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(20 + l4len));
		put16(ip + 4, 0x1234);	/* id */
		ip[8] = 64;
		ip[9] = 6;
		ip[12] = 10; ip[15] = 1;
		ip[16] = 10; ip[19] = 2;
		put16(ip + 10, 0);
		put16(ip + 10, ~fold(sum16(ip, 20, 0)) & 0xffff);
	}
	tcp = ip + iphl;
	memset(tcp, 0, 32);
	put16(tcp, 40000);
	put16(tcp + 2, 80);
	put16(tcp + 4, (unsigned)(seq >> 16));
	put16(tcp + 6, (unsigned)seq & 0xffff);
	tcp[12] = 8 << 4;
	tcp[13] = 0x10 | 0x08 | 0x01;	/* ACK PSH FIN */
	put16(tcp + 14, 65535);
	tcp[20] = 1; tcp[21] = 1; tcp[22] = 8; tcp[23] = 10;	/* NOP NOP timestamps */
	for (size_t i = 0; i < data; i++)
		tcp[32 + i] = (unsigned char)(i * 7 + (i >> 8));
	put16(tcp + 16, pseudo(ip, v6, l4len, 6));
	h.hdr_len = (uint16_t)(14 + iphl + 32);
	h.csum_start = (uint16_t)(14 + iphl);
	memcpy(f, &h, sizeof(h));
	return 12 + 14 + iphl + l4len;
}

/* checks the segments of tso_frame(@v6, @data, @seq) received in @x; the number of faults */
static int
check_segments(const struct rx *x, bool v6, size_t data, uint32_t seq, size_t segmax)
{
	size_t iphl = v6 ? 40 : 20, hl = 14 + iphl + 32, off = 0;
	int bad = 0;

	for (int i = 0; i < x->n; i++) {
		const unsigned char *e = x->buf[i], *ip = e + 14, *tcp = ip + iphl;
		size_t n = data - off < segmax ? data - off : segmax;
		bool last = i + 1 == x->n;
		unsigned fl = tcp[13];

		if (x->len[i] != hl + n || x->slots[i] != 1) {
			tap_diag("segment %d: %zu bytes in %d slots, want %zu in 1", i, x->len[i],
			    x->slots[i], hl + n);
			bad++;
			continue;
		}
		if (v6 ? get16(ip + 4) != 32 + n : (get16(ip + 2) != 20 + 32 + n || !ip4_ok(ip) ||
		    get16(ip + 4) != 0x1234 + (unsigned)i)) {
			tap_diag("segment %d: IP length, id or checksum wrong", i);
			bad++;
		}
		if (get32(tcp + 4) != seq + off) {
			tap_diag("segment %d: seq %u, want %zu", i, get32(tcp + 4), seq + off);
			bad++;
		}
		if (fl != (last ? 0x19u : 0x10u)) {
			tap_diag("segment %d: TCP flags %#x", i, fl);
			bad++;
		}
		if (!l4_ok(ip, v6, tcp, 32 + n, 6)) {
			tap_diag("segment %d: TCP checksum wrong", i);
			bad++;
		}
		for (size_t k = 0; k < n; k++)
			if (tcp[32 + k] != (unsigned char)((off + k) * 7 + ((off + k) >> 8))) {
				tap_diag("segment %d: payload byte %zu differs", i, k);
				bad++;
				break;
			}
		off += n;
	}
	if (off != data) {
		tap_diag("%zu payload bytes arrived, %zu sent", off, data);
		bad++;
	}
	return bad;
}

/* ------------------------------------------------------------ tests */

static void
test_requests(void)
{
	struct rawport a, pipe;
	char n[64], pn[32];
	static const uint32_t bad[] = { 1, 8, 9, 11, 13, 14, 16, 64, 0x10000 + 12 };
	uint32_t len;
	uint16_t arg;
	int nbad = 0;

	tap_ok(vopen(&a, "a") == 0, "an ephemeral port");
	pname(n, sizeof(n), "a");
	for (uint32_t want = 12, k = 0; k < 3; k++, want = want == 12 ? 0 : 10) {
		int r;
		uint32_t got;

		len = want;
		r = port_hdr(n, true, &len);
		got = 99;
		tap_ok(r == 0 && len == want && port_hdr(n, false, &got) == 0 && got == want,
		    "PORT_HDR_SET %u succeeds, echoes it, and GET reports it (%d, %u, %u)", want,
		    r, len, got);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = bad[i];
		nbad += port_hdr(n, true, &len) != -EINVAL;
	}
	len = 99;
	tap_ok(nbad == 0 && port_hdr(n, false, &len) == 0 && len == 10,
	    "every other length is EINVAL (1, 8, 9, 11, 13, 14, 16, 64, 65548) and changes nothing");
	len = 7;
	tap_ok(port_hdr("nosuchport0", true, &len) == -EINVAL,
	    "a bad length is EINVAL before the port is looked up");
	len = 12;
	pname(n, sizeof(n), "nosuch");
	tap_ok(port_hdr(n, true, &len) == -ENXIO, "SET on a VALE port that does not exist: ENXIO");

	snprintf(pn, sizeof(pn), "vh%d{1", (int)getpid() % 100000);
	tap_ok(raw_open(&pipe, pn, NR_REG_ALL_NIC, 0, 0) == 0, "a pipe end");
	len = 12;
	tap_ok(port_hdr(pn, true, &len) == -ENXIO, "SET 12 on a pipe: ENXIO, as netmap (VALE ports only)");
	len = 0;
	tap_ok(port_hdr(pn, true, &len) == -ENXIO, "SET 0 on a pipe: ENXIO too");
	len = 99;
	tap_ok(port_hdr(pn, false, &len) == 0 && len == 0, "GET on a pipe: 0");
	raw_close(&pipe);

	pname(n, sizeof(n), "a");
	arg = 12;
	tap_ok(legacy_hdr(n, NETMAP_BDG_VNET_HDR, &arg) == 0 && arg == 12,
	    "legacy NIOCREGIF NETMAP_BDG_VNET_HDR 12");
	arg = 0;
	tap_ok(legacy_hdr(n, NETMAP_VNET_HDR_GET, &arg) == 0 && arg == 12,
	    "legacy NETMAP_VNET_HDR_GET reports 12 in nr_arg1");
	arg = 5;
	tap_ok(legacy_hdr(n, NETMAP_BDG_VNET_HDR, &arg) == -EINVAL, "legacy with length 5: EINVAL");
	arg = 0;
	len = 99;
	tap_ok(legacy_hdr(n, NETMAP_BDG_VNET_HDR, &arg) == 0 && port_hdr(n, false, &len) == 0 &&
	    len == 0, "legacy set 0, seen by PORT_HDR_GET");
	raw_close(&a);
}

static void
set_hdr(const char *p, uint32_t len)
{
	char n[64];
	uint32_t l = len;

	pname(n, sizeof(n), p);
	if (port_hdr(n, true, &l) != 0)
		tap_diag("PORT_HDR_SET %u on %s failed", len, n);
}

/* a small frame (Ethernet, 46 bytes of @fill) after @hl header bytes of @h */
static size_t
small_frame(unsigned char *f, const void *h, size_t hl, int fill)
{
	if (hl)
		memcpy(f, h, hl);
	memset(f + hl, 0, 14);
	f[hl] = 0x02;
	f[hl + 5] = 0x20;
	f[hl + 6] = 0x02;
	f[hl + 11] = 0x10;
	f[hl + 12] = 0x88;
	f[hl + 13] = 0xb5;
	memset(f + hl + 14, fill, 46);
	return hl + 60;
}

static void
test_frames(void)
{
	struct rawport z, h, p, h10, h2;
	uint32_t ih, ip, ih10, ih2;
	static unsigned char f[MAXFRAME];
	struct rx x = { 0 };
	struct vh hdr = { .flags = 2, .gso_type = 0, .hdr_len = 0x1111, .gso_size = 0x2222,
		.csum_start = 0x3333, .csum_offset = 0x4444, .num_buffers = 0x5555 };
	static const unsigned char zero[12];
	size_t len;

	/* port 0 cannot be named in a slot's high byte (0 there means "look it up") */
	tap_ok(vopen(&z, "z") == 0, "a first port, index 0, that the frames below do not name");
	tap_ok(vopen(&h, "h") == 0 && vopen(&p, "p") == 0 && vopen(&h10, "h10") == 0 &&
	    vopen(&h2, "h2") == 0, "ports h (12-byte header), p (none), h10 (10), h2 (12)");
	set_hdr("h", 12);
	set_hdr("h10", 10);
	set_hdr("h2", 12);
	ih = port_index("h");
	ip = port_index("p");
	ih10 = port_index("h10");
	ih2 = port_index("h2");

	/* plain -> header: added, zeroed */
	len = small_frame(f, NULL, 0, 0x5a);
	send_frame(&p, ih, f, len);
	recv_frames(&h, &x);
	tap_ok(x.n == 1 && x.len[0] == 72 && memcmp(x.buf[0], zero, 12) == 0 &&
	    memcmp(x.buf[0] + 12, f, 60) == 0,
	    "a frame from a plain port reaches a 12-byte port behind a zeroed header");
	rx_free(&x);
	send_frame(&p, ih10, f, len);
	recv_frames(&h10, &x);
	tap_ok(x.n == 1 && x.len[0] == 70 && memcmp(x.buf[0], zero, 10) == 0 &&
	    memcmp(x.buf[0] + 10, f, 60) == 0, "and a 10-byte port behind 10 zero bytes");
	rx_free(&x);

	/* header -> plain: stripped */
	len = small_frame(f, &hdr, 12, 0x6b);
	send_frame(&h, ip, f, len);
	recv_frames(&p, &x);
	tap_ok(x.n == 1 && x.len[0] == 60 && memcmp(x.buf[0], f + 12, 60) == 0,
	    "a frame from a 12-byte port reaches a plain port with the header stripped");
	rx_free(&x);

	/* 12 -> 10 and 10 -> 12: converted */
	send_frame(&h, ih10, f, len);
	recv_frames(&h10, &x);
	tap_ok(x.n == 1 && x.len[0] == 70 && memcmp(x.buf[0], &hdr, 10) == 0 &&
	    memcmp(x.buf[0] + 10, f + 12, 60) == 0,
	    "12-byte port to 10-byte port: the first 10 bytes of the header kept");
	rx_free(&x);
	len = small_frame(f, &hdr, 10, 0x7c);
	send_frame(&h10, ih, f, len);
	recv_frames(&h, &x);
	tap_ok(x.n == 1 && x.len[0] == 72 && memcmp(x.buf[0], &hdr, 10) == 0 &&
	    memcmp(x.buf[0] + 10, zero, 2) == 0 && memcmp(x.buf[0] + 12, f + 10, 60) == 0,
	    "10-byte port to 12-byte port: the 10 bytes, then 2 zero bytes");
	rx_free(&x);

	/* TSO, IPv4: 45 segments of 1448 bytes */
	len = tso_frame(f, false, 45 * 1448, 1000000);
	tap_ok(send_frame(&h, ip, f, len) == 0, "a %zu-byte TCP/IPv4 frame with GSO_TCPV4, "
	    "gso_size 1448 and NEEDS_CSUM, over %zu slots", len, (len + 2047) / 2048);
	recv_frames(&p, &x);
	TAP_EQ(x.n, 45, "the plain port gets it as 45 frames (1514 bytes: 1448 of payload each)");
	TAP_EQ(check_segments(&x, false, 45 * 1448, 1000000, 1448), 0,
	    "each with its IP length, id and checksum, TCP sequence, flags (PSH, FIN last) and "
	    "checksum right, the payload in order");
	rx_free(&x);

	/* a 12-byte port to another: the same frame, unchanged */
	send_frame(&h, ih2, f, len);
	recv_frames(&h2, &x);
	tap_ok(x.n == 1 && x.len[0] == len && memcmp(x.buf[0], f, len) == 0,
	    "between two 12-byte ports the TSO frame passes unchanged (%d slots, header and all)",
	    x.n ? x.slots[0] : 0);
	rx_free(&x);

	/* TSO, IPv6: segments of 1514 - 86 = 1428 bytes, a short one last */
	len = tso_frame(f, true, 30 * 1428 + 100, 7);
	send_frame(&h, ip, f, len);
	recv_frames(&p, &x);
	TAP_EQ(x.n, 31, "a TCP/IPv6 frame with GSO_TCPV6 reaches the plain port as 31 frames");
	TAP_EQ(check_segments(&x, true, 30 * 1428 + 100, 7, 1428), 0,
	    "IPv6 payload lengths, TCP sequence, flags and checksums right");
	rx_free(&x);

	/* UDP checksum offload (no GSO), IPv4 then IPv6 */
	for (int v6 = 0; v6 < 2; v6++) {
		struct vh u = { .flags = F_NEEDS_CSUM, .csum_offset = 6 };
		unsigned char *e = f + 12, *ipb = e + 14, *udp;
		size_t iphl = v6 ? 40 : 20, data = 301;

		memset(f, 0, 12 + 14 + iphl + 8 + data);
		e[0] = 0x02; e[5] = 0x20; e[6] = 0x02; e[11] = 0x10;
		put16(e + 12, v6 ? 0x86dd : 0x0800);
		if (v6) {
			ipb[0] = 0x60;
			put16(ipb + 4, (unsigned)(8 + data));
			ipb[6] = 17;
			ipb[7] = 64;
			ipb[8] = 0xfe; ipb[9] = 0x80; ipb[23] = 1;
			ipb[24] = 0xfe; ipb[25] = 0x80; ipb[39] = 2;
		} else {
			ipb[0] = 0x45;
			put16(ipb + 2, (unsigned)(20 + 8 + data));
			ipb[8] = 64;
			ipb[9] = 17;
			ipb[12] = 192; ipb[13] = 168; ipb[15] = 1;
			ipb[16] = 192; ipb[17] = 168; ipb[19] = 2;
			put16(ipb + 10, ~fold(sum16(ipb, 20, 0)) & 0xffff);
		}
		udp = ipb + iphl;
		put16(udp, 5000);
		put16(udp + 2, 6000);
		put16(udp + 4, (unsigned)(8 + data));
		for (size_t i = 0; i < data; i++)
			udp[8 + i] = (unsigned char)(i * 13 + 1);
		put16(udp + 6, pseudo(ipb, v6, 8 + data, 17));
		u.csum_start = (uint16_t)(14 + iphl);
		memcpy(f, &u, sizeof(u));
		len = 12 + 14 + iphl + 8 + data;
		tap_ok(!l4_ok(ipb, v6, udp, 8 + data, 17), "UDP/IPv%d frame sent with only the "
		    "pseudo-header sum in its checksum field (wrong as it is)", v6 ? 6 : 4);
		{
			struct netmap_ring *ring = NETMAP_TXRING(h.nifp, 0);
			uint32_t slot = ring->head;

			send_frame(&h, ip, f, len);
			tap_ok(memcmp(NETMAP_BUF(ring, ring->slot[slot].buf_idx), f, len) == 0,
			    "the sender's own buffer is left as it was");
		}
		recv_frames(&p, &x);
		tap_ok(x.n == 1 && x.len[0] == len - 12 &&
		    l4_ok(x.buf[0] + 14, v6, x.buf[0] + 14 + iphl, 8 + data, 17) &&
		    memcmp(x.buf[0] + 14 + iphl + 8, udp + 8, data) == 0,
		    "NEEDS_CSUM over UDP/IPv%d: the plain port gets it with a correct checksum",
		    v6 ? 6 : 4);
		rx_free(&x);
	}

	/* GSO_UDP, as netmap: the datagram cut into datagrams of its own */
	{
		size_t data = 3000, iphl = 20;
		unsigned char *e = f + 12, *ipb = e + 14, *udp = ipb + iphl;
		struct vh u = { .gso_type = GSO_UDP };
		int bad = 0;

		memset(f, 0, 12 + 14 + 20 + 8);
		memcpy(f, &u, sizeof(u));
		e[0] = 0x02; e[5] = 0x20; e[6] = 0x02; e[11] = 0x10;
		put16(e + 12, 0x0800);
		ipb[0] = 0x45;
		put16(ipb + 2, (unsigned)(20 + 8 + data));
		ipb[8] = 64;
		ipb[9] = 17;
		ipb[12] = 10; ipb[15] = 3; ipb[16] = 10; ipb[19] = 4;
		put16(udp + 4, (unsigned)(8 + data));
		memset(udp + 8, 0x33, data);
		len = 12 + 14 + 20 + 8 + data;
		send_frame(&h, ip, f, len);
		recv_frames(&p, &x);
		for (int i = 0; i < x.n; i++)
			bad += !ip4_ok(x.buf[i] + 14) ||
			    !l4_ok(x.buf[i] + 14, false, x.buf[i] + 34, x.len[i] - 34, 17) ||
			    get16(x.buf[i] + 38) != x.len[i] - 34;
		tap_ok(x.n == 3 && bad == 0 && x.len[0] == 1514 && x.len[2] == 42 + 3000 - 2 * 1472,
		    "GSO_UDP: three datagrams (1472 + 1472 + 56 bytes) with their own lengths and "
		    "checksums");
		rx_free(&x);
	}

	/* a header netmap calls bad: dropped and counted */
	{
		struct vh b = { .gso_type = 5 };
		uint64_t before = drop_bad("h");

		len = small_frame(f, &b, 12, 0x11);
		send_frame(&h, ip, f, len);
		recv_frames(&p, &x);
		tap_ok(x.n == 0 && drop_bad("h") == before + 1,
		    "an unknown gso_type towards a plain port: dropped, counted in drop-bad");
		rx_free(&x);
		b.gso_type = GSO_TCPV4;
		len = small_frame(f, &b, 12, 0x11);	/* not IP at all */
		send_frame(&h, ip, f, len);
		recv_frames(&p, &x);
		tap_ok(x.n == 0 && drop_bad("h") == before + 2,
		    "a GSO frame that is neither IPv4 nor IPv6: dropped, counted");
		rx_free(&x);
		len = 5;
		memset(f, 0, len);
		send_frame(&h, ip, f, len);
		recv_frames(&p, &x);
		tap_ok(x.n == 0, "a frame shorter than its header is not forwarded");
		rx_free(&x);
	}

	/* the header alone in the first slot: the Ethernet header is found in the second */
	{
		struct netmap_ring *ring = NETMAP_TXRING(h.nifp, 0);
		struct netmap_slot *s = &ring->slot[ring->head];

		memset(NETMAP_BUF(ring, s->buf_idx), 0, 12);
		s->len = 12;
		s->flags = NS_MOREFRAG;	/* no explicit port: learned / flooded by address */
		ring->head = ring->cur = nm_ring_next(ring, ring->head);
		s = &ring->slot[ring->head];
		small_frame((unsigned char *)NETMAP_BUF(ring, s->buf_idx), NULL, 0, 0x22);
		NETMAP_BUF(ring, s->buf_idx)[5] = 0x77;	/* to an unknown address: flooded */
		s->len = 60;
		s->flags = 0;
		ring->head = ring->cur = nm_ring_next(ring, ring->head);
		ioctl(h.fd, NIOCTXSYNC, NULL);
		recv_frames(&p, &x);
		tap_ok(x.n == 1 && x.len[0] == 60 && x.buf[0][5] == 0x77,
		    "a header alone in the first slot, the frame in the next: routed and stripped");
		rx_free(&x);
		recv_frames(&h2, &x);
		tap_ok(x.n == 1 && x.len[0] == 72, "and flooded unchanged to the other 12-byte port");
		rx_free(&x);
		recv_frames(&h10, &x);
		rx_free(&x);
	}
	raw_close(&h);
	raw_close(&p);
	raw_close(&h10);
	raw_close(&h2);
	raw_close(&z);
}

/* REGISTER with data offsets (NETMAP_REQ_OPT_OFFSETS: @initial in every slot) */
static int
vopen_off(struct rawport *p, const char *port, uint64_t initial)
{
	struct nmreq_opt_offsets o;
	struct nmreq_register req;
	char n[64];

	memset(&o, 0, sizeof(o));
	o.nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	o.nro_max_offset = 256;
	o.nro_initial_offset = initial;
	memset(&req, 0, sizeof(req));
	req.nr_mode = NR_REG_ALL_NIC;
	pname(n, sizeof(n), port);
	memset(p, 0, sizeof(*p));
	p->reg = req;
	p->mem = MAP_FAILED;
	p->fd = open("/dev/netmap", O_RDWR);
	if (p->fd < 0)
		return -errno;
	if (raw_ctrl(p->fd, NETMAP_REQ_REGISTER, n, &p->reg, &o.nro_opt) < 0) {
		close(p->fd);
		p->fd = -1;
		return -1;
	}
	p->mem = mmap(NULL, p->reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	if (p->mem == MAP_FAILED)
		return -errno;
	p->nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
	return 0;
}

/* headers that differ between ports with data offsets: read and written at each side's offset */
static void
test_offsets(void)
{
	struct rawport z, oh, op;
	static unsigned char f[MAXFRAME];
	struct rx x = { 0 };
	struct vh hdr = { .flags = 2 };
	static const unsigned char zero[12];
	uint64_t off = 999;
	size_t len;

	tap_ok(vopen(&z, "oz") == 0 && vopen_off(&oh, "oh", 64) == 0 && vopen_off(&op, "op", 100) == 0,
	    "ports with data offsets: oh (12-byte header, offset 64), op (none, offset 100)");
	set_hdr("oh", 12);
	len = small_frame(f, &hdr, 12, 0x3c);
	send_frame(&oh, port_index("op"), f, len);
	recv_frames_off(&op, &x, &off);
	tap_ok(x.n == 1 && x.len[0] == 60 && off == 100 && memcmp(x.buf[0], f + 12, 60) == 0,
	    "read after the sender's offset, stripped, written at the receiver's (%" PRIu64 ")",
	    off);
	rx_free(&x);
	len = small_frame(f, NULL, 0, 0x4d);
	send_frame(&op, port_index("oh"), f, len);
	off = 999;
	recv_frames_off(&oh, &x, &off);
	tap_ok(x.n == 1 && x.len[0] == 72 && off == 64 && memcmp(x.buf[0], zero, 12) == 0 &&
	    memcmp(x.buf[0] + 12, f, 60) == 0, "and back: a zeroed header added, at offset 64");
	rx_free(&x);
	len = tso_frame(f, false, 10 * 1448, 5);
	send_frame(&oh, port_index("op"), f, len);
	recv_frames_off(&op, &x, &off);
	tap_ok(x.n == 10 && off == 100 && check_segments(&x, false, 10 * 1448, 5, 1448) == 0,
	    "a TSO frame from the header port reaches op as 10 right segments at offset 100");
	rx_free(&x);
	raw_close(&oh);
	raw_close(&op);
	raw_close(&z);
}

int
main(void)
{
	alarm(120);
	vale_init();
	test_requests();
	test_frames();
	test_offsets();
	return tap_done();
}
