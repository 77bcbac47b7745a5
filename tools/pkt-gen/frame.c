/*
 * frame.c - the frame pkt-gen sends: Ethernet + IPv4/IPv6 + UDP + payload,
 * optionally behind a zeroed virtio-net header.
 *
 * The template is built once at the largest size.  Per-packet headers
 * (address ranges, random addresses, varying sizes) are written by
 * pg_frame_headers(), which computes both checksums from a precomputed sum
 * of the payload, so a header costs a few dozen additions and never a pass
 * over the payload.  Small in-payload changes (sequence numbers,
 * timestamps) patch the UDP checksum incrementally (RFC 1624).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pktgen.h"
#include "shared/be16.h"

static const char payload_text[] = "unetmap pkt-gen payload: netmap API in user space. ";

#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define PROTO_UDP	17

/* one's complement sum of big-endian 16-bit words, not folded */
uint32_t
pg_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

/* fold to 16 bits and complement: the value to store (host order) */
uint16_t
pg_csum_fold(uint32_t sum)
{
	uint64_t s = sum;

	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* sum of the first len payload bytes of the template */
static uint32_t
payload_sum(const struct pg_frame *f, unsigned len)
{
	unsigned max = f->len - f->pay;

	if (len >= max)
		return f->paysum;
	if (!f->psum)	/* fixed size: only the full payload is ever summed */
		return pg_csum_add(0, f->data + f->pay, len);
	return f->psum[len / 2] + ((len & 1) ? (uint32_t)f->data[f->pay + len - 1] << 8 : 0);
}

/*
 * Write bytes [0, f->pay) of a frame of @size bytes (without the virtio
 * header) going along flow @fl: the virtio header, Ethernet, IP and UDP
 * headers with their lengths and checksums.
 */
void
pg_frame_headers(const struct pg_frame *f, const struct pg_flow *fl, unsigned size,
    uint8_t *out)
{
	uint8_t *eth = out + f->vhdr, *ip = out + f->l3, *udp = out + f->l4;
	unsigned total = size + f->vhdr;
	unsigned paylen = total > f->pay ? total - f->pay : 0;
	unsigned udplen = paylen + PG_UDP_LEN;
	uint32_t sum;

	memset(out, 0, f->vhdr);
	memcpy(eth, pg.dst_mac, 6);
	memcpy(eth + 6, pg.src_mac, 6);
	if (f->af == AF_INET) {
		unm_put_be16(eth + 12, ETHERTYPE_IPV4);
		ip[0] = 0x45;
		ip[1] = 0x10;			/* low delay */
		unm_put_be16(ip + 2, (uint16_t)(udplen + PG_IP4_LEN));
		unm_put_be16(ip + 4, 0);		/* id */
		unm_put_be16(ip + 6, 0x4000);		/* don't fragment */
		ip[8] = 64;			/* ttl */
		ip[9] = PROTO_UDP;
		unm_put_be16(ip + 10, 0);
		memcpy(ip + 12, fl->src, 4);
		memcpy(ip + 16, fl->dst, 4);
		unm_put_be16(ip + 10, pg_csum_fold(pg_csum_add(0, ip, PG_IP4_LEN)));
		sum = pg_csum_add(0, ip + 12, 8);
	} else {
		unm_put_be16(eth + 12, ETHERTYPE_IPV6);
		ip[0] = 0x60;
		ip[1] = ip[2] = ip[3] = 0;
		unm_put_be16(ip + 4, (uint16_t)udplen);
		ip[6] = PROTO_UDP;
		ip[7] = 64;			/* hop limit */
		memcpy(ip + 8, fl->src, 16);
		memcpy(ip + 24, fl->dst, 16);
		sum = pg_csum_add(0, ip + 8, 32);
	}
	/* pseudo header: addresses (above), protocol and UDP length */
	sum += PROTO_UDP + (udplen & 0xffff);
	unm_put_be16(udp, fl->sport);
	unm_put_be16(udp + 2, fl->dport);
	unm_put_be16(udp + 4, (uint16_t)udplen);
	unm_put_be16(udp + 6, 0);
	sum += fl->sport + fl->dport + (udplen & 0xffff);
	sum += payload_sum(f, paylen);
	{
		uint16_t c = pg_csum_fold(sum);

		unm_put_be16(udp + 6, c ? c : 0xffff);	/* 0 means "no checksum" */
	}
}

/*
 * Replace n bytes of the UDP payload of @frame (a whole frame laid out as
 * the template) at payload offset @payoff, keeping the UDP checksum right.
 * payoff and n must be even.
 */
void
pg_csum_patch(uint8_t *frame, const struct pg_frame *f, unsigned payoff,
    const void *newbytes, unsigned n)
{
	uint8_t *p = frame + f->pay + payoff, *ck = frame + f->l4 + 6;
	const uint8_t *nb = newbytes;
	uint32_t sum;
	uint16_t old = unm_get_be16(ck), c;

	if (f->af == AF_INET && old == 0) {	/* no checksum: keep none */
		memcpy(p, nb, n);
		return;
	}
	sum = (uint16_t)~old;
	for (unsigned i = 0; i + 1 < n; i += 2) {
		sum += (uint16_t)~unm_get_be16(p + i);
		sum += unm_get_be16(nb + i);
	}
	memcpy(p, nb, n);
	c = pg_csum_fold(sum);
	unm_put_be16(ck, c ? c : 0xffff);
}

void
pg_flow_init(struct pg_flow *fl)
{
	memcpy(fl->src, pg.src.start, 16);
	memcpy(fl->dst, pg.dst.start, 16);
	fl->sport = pg.src.port0;
	fl->dport = pg.dst.port0;
}

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* the counting part of an address: 32 bits for IPv4, group G for IPv6 */
static uint32_t
addr_get(const struct pg_range *r, const uint8_t *a)
{
	if (r->af == AF_INET)
		return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	return unm_get_be16(a + 2 * r->group);
}

static void
addr_set(const struct pg_range *r, uint8_t *a, uint32_t v)
{
	if (r->af == AF_INET) {
		a[0] = (uint8_t)(v >> 24);
		a[1] = (uint8_t)(v >> 16);
		a[2] = (uint8_t)(v >> 8);
		a[3] = (uint8_t)v;
	} else {
		unm_put_be16(a + 2 * r->group, (uint16_t)v);
	}
}

/* random within the range, or anywhere if the range is a single point */
static void
randomize(const struct pg_range *r, uint8_t *a, uint16_t *port, uint64_t *s)
{
	uint32_t lo = addr_get(r, r->start), hi = addr_get(r, r->end);
	uint64_t x = rnd(s);

	if (lo == hi && r->port0 == r->port1) {
		addr_set(r, a, (uint32_t)x);
		*port = (uint16_t)(x >> 32);
		return;
	}
	addr_set(r, a, lo + (uint32_t)((x & 0xffffffffu) % ((uint64_t)hi - lo + 1)));
	*port = (uint16_t)(r->port0 + (x >> 32) % ((uint32_t)r->port1 - r->port0 + 1));
}

/* one step of an odometer; true when it wrapped around */
static bool
step(const struct pg_range *r, uint8_t *a, uint16_t *port)
{
	uint32_t v;

	if (*port < r->port1) {
		(*port)++;
		return false;
	}
	*port = r->port0;
	v = addr_get(r, a);
	if (v < addr_get(r, r->end)) {
		addr_set(r, a, v + 1);
		return false;
	}
	addr_set(r, a, addr_get(r, r->start));
	return true;
}

/*
 * The next flow: source port fastest, then source address, then
 * destination port and address (what netmap's pkt-gen does); -z / -Z
 * draw that side at random instead.
 */
void
pg_flow_next(struct pg_flow *fl, uint64_t *rng)
{
	bool wrapped;

	if (pg.options & OPT_RANDOM_SRC) {
		randomize(&pg.src, fl->src, &fl->sport, rng);
		wrapped = true;
	} else {
		wrapped = step(&pg.src, fl->src, &fl->sport);
	}
	if (pg.options & OPT_RANDOM_DST)
		randomize(&pg.dst, fl->dst, &fl->dport, rng);
	else if (wrapped)
		step(&pg.dst, fl->dst, &fl->dport);
}

int
pg_frame_build(struct pg_frame *f)
{
	unsigned hdr, paylen;
	struct pg_flow fl;

	memset(f, 0, sizeof(*f));
	f->vhdr = (unsigned)pg.vhdr;
	f->af = pg.af;
	f->l3 = f->vhdr + PG_ETH_LEN;
	f->l4 = f->l3 + (f->af == AF_INET ? PG_IP4_LEN : PG_IP6_LEN);
	f->pay = f->l4 + PG_UDP_LEN;
	if (pg.pcap_file) {
		uint8_t *raw;
		unsigned len;
		char err[256];

		if (pg_pcap_first(pg.pcap_file, &raw, &len, err, sizeof(err)) < 0)
			pg_die("-P %s: %s", pg.pcap_file, err);
		/* never shorter than the headers: code that looks at them stays inside */
		f->data = calloc(1, (f->vhdr + len > f->pay ? f->vhdr + len : f->pay) + 16);
		if (!f->data)
			pg_die("out of memory");
		memcpy(f->data + f->vhdr, raw, len);
		free(raw);
		f->len = f->vhdr + len;
		f->raw = true;
		pg.size = len;
		return 0;
	}
	hdr = f->pay;
	f->len = f->vhdr + pg.size;
	/* room for the headers even when the frame is shorter than them */
	f->data = calloc(1, (f->len > hdr ? f->len : hdr) + 16);
	if (!f->data)
		pg_die("out of memory");
	paylen = f->len > hdr ? f->len - hdr : 0;
	for (unsigned i = 0; i < paylen; i++)
		f->data[hdr + i] = (uint8_t)payload_text[i % (sizeof(payload_text) - 1)];
	f->paysum = pg_csum_add(0, f->data + hdr, paylen);
	if (pg.min_size) {
		/* sums by length, so any size's checksum is a lookup */
		f->psum = malloc((paylen / 2 + 1) * sizeof(*f->psum));
		if (!f->psum)
			pg_die("out of memory");
		f->psum[0] = 0;
		for (unsigned k = 1; k <= paylen / 2; k++)
			f->psum[k] = f->psum[k - 1] +
			    (uint32_t)(f->data[hdr + 2 * k - 2] << 8 | f->data[hdr + 2 * k - 1]);
	}
	pg_flow_init(&fl);
	pg_frame_headers(f, &fl, pg.size, f->data);
	return 0;
}

void
pg_frame_free(struct pg_frame *f)
{
	free(f->data);
	free(f->psum);
	memset(f, 0, sizeof(*f));
}
