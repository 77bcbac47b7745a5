/*
 * hash.c - the symmetric flow hash lb spreads frames with.
 *
 * Each end point of a flow (address, port) is mixed into 64 bits on its
 * own and the two results are added: addition does not care which end is
 * the source, so both directions of a flow hash alike, and no end point
 * needs to be compared or sorted.  Every header read is bounded by the
 * frame's length; a header too short for what it announces makes the
 * hash fall back to the level around it (ports -> addresses -> MACs).
 */
#include <string.h>

#include "lb.h"

#define ETH_HLEN	14
#define ET_IPV4		0x0800
#define ET_IPV6		0x86dd
#define ET_VLAN		0x8100
#define ET_TEB		0x6558	/* transparent Ethernet bridging (GRE) */
#define P_IPIP		4
#define P_TCP		6
#define P_UDP		17
#define P_IPV6		41
#define P_GRE		47
#define MAX_NEST	4	/* tunnels inside tunnels we look into */

static inline uint64_t
mix64(uint64_t x)
{
	/* a 64-bit finaliser: every input bit moves every output bit */
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ULL;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dULL;
	x ^= x >> 33;
	return x;
}

static inline uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint64_t
ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* one end point: an address of alen bytes (4, 6 or 16) and a port */
static inline uint64_t
endpoint(const uint8_t *a, int alen, uint16_t port)
{
	uint64_t x;

	if (alen == 16)
		x = mix64(ld64(a) ^ 0x9e3779b97f4a7c15ULL) ^ ld64(a + 8);
	else if (alen == 6)
		x = (uint64_t)ld32(a) << 16 | be16(a + 4);
	else
		x = ld32(a);
	return mix64(x ^ (uint64_t)port << 48);
}

static inline uint32_t
fold(uint64_t sum, uint64_t kind)
{
	uint64_t h = mix64(sum ^ kind);

	return (uint32_t)(h ^ h >> 32);
}

/* the hash of a flow between (a, pa) and (b, pb); kind tells levels apart */
static inline uint32_t
flow(const uint8_t *a, const uint8_t *b, int alen, uint16_t pa, uint16_t pb, uint64_t kind)
{
	return fold(endpoint(a, alen, pa) + endpoint(b, alen, pb), kind);
}

static bool parse_eth(const uint8_t *p, uint32_t len, int depth, uint32_t *h, bool *ip);
static bool parse_ip4(const uint8_t *p, uint32_t len, int depth, uint32_t *h);
static bool parse_ip6(const uint8_t *p, uint32_t len, int depth, uint32_t *h);

/* a transport header at @p (or none) of protocol @proto, addresses a/b */
static bool
transport(const uint8_t *p, uint32_t len, uint8_t proto, const uint8_t *a,
    const uint8_t *b, int alen, bool frag, int depth, uint32_t *h)
{
	if (!frag) {
		switch (proto) {
		case P_TCP:
		case P_UDP:
			if (len < 4)
				break;
			*h = flow(a, b, alen, be16(p), be16(p + 2), proto);
			return true;
		case P_IPIP:
			if (depth < MAX_NEST && parse_ip4(p, len, depth + 1, h))
				return true;
			break;
		case P_IPV6:
			if (depth < MAX_NEST && parse_ip6(p, len, depth + 1, h))
				return true;
			break;
		case P_GRE: {
			uint32_t hl = 4;
			uint16_t et;

			/* version 0 only; no routing (RFC 1701) headers */
			if (depth >= MAX_NEST || len < 4 || (p[1] & 7) || (p[0] & 0x40))
				break;
			hl += (p[0] & 0x80) ? 4 : 0;	/* checksum */
			hl += (p[0] & 0x20) ? 4 : 0;	/* key */
			hl += (p[0] & 0x10) ? 4 : 0;	/* sequence */
			if (hl > len)
				break;
			et = be16(p + 2);
			if ((et == ET_IPV4 && parse_ip4(p + hl, len - hl, depth + 1, h)) ||
			    (et == ET_IPV6 && parse_ip6(p + hl, len - hl, depth + 1, h)))
				return true;
			if (et == ET_TEB) {
				bool inner_ip;

				if (parse_eth(p + hl, len - hl, depth + 1, h, &inner_ip) && inner_ip)
					return true;
			}
			break;
		}
		default:
			break;
		}
	}
	/* the addresses alone */
	*h = flow(a, b, alen, 0, 0, 0x100 | (uint64_t)alen);
	return true;
}

static bool
parse_ip4(const uint8_t *p, uint32_t len, int depth, uint32_t *h)
{
	uint32_t ihl;
	bool frag;

	if (len < 20 || (p[0] >> 4) != 4)
		return false;
	ihl = (uint32_t)(p[0] & 15) * 4;
	if (ihl < 20 || ihl > len)
		ihl = len;	/* no transport header to read */
	frag = (be16(p + 6) & 0x3fff) != 0;	/* MF or an offset */
	return transport(p + ihl, len - ihl, p[9], p + 12, p + 16, 4, frag, depth, h);
}

static bool
parse_ip6(const uint8_t *p, uint32_t len, int depth, uint32_t *h)
{
	uint32_t off = 40;
	uint8_t nh;
	bool frag = false;

	if (len < 40 || (p[0] >> 4) != 6)
		return false;
	nh = p[6];
	/* extension headers: hop-by-hop, routing, destination options, AH, fragment */
	for (int i = 0; i < 8; i++) {
		uint32_t l;

		if (nh == 0 || nh == 43 || nh == 60) {
			if (off + 2 > len)
				break;
			l = ((uint32_t)p[off + 1] + 1) * 8;
		} else if (nh == 51) {
			if (off + 2 > len)
				break;
			l = ((uint32_t)p[off + 1] + 2) * 4;
		} else if (nh == 44) {
			frag = true;
			break;
		} else {
			break;
		}
		if (off + l > len)
			break;
		nh = p[off];
		off += l;
	}
	if (off > len)
		off = len;
	return transport(p + off, len - off, nh, p + 8, p + 24, 16, frag, depth, h);
}

static bool
parse_eth(const uint8_t *p, uint32_t len, int depth, uint32_t *h, bool *ip)
{
	uint32_t off = ETH_HLEN;
	uint16_t et;

	*ip = false;
	if (len < ETH_HLEN)
		return false;
	et = be16(p + 12);
	if (et == ET_VLAN && len >= ETH_HLEN + 4) {
		et = be16(p + 16);
		off += 4;
	}
	if ((et == ET_IPV4 && parse_ip4(p + off, len - off, depth, h)) ||
	    (et == ET_IPV6 && parse_ip6(p + off, len - off, depth, h))) {
		*ip = true;
		return true;
	}
	/* not IP: the two MAC addresses */
	*h = flow(p, p + 6, 6, 0, 0, 0x200);
	return true;
}

uint32_t
lb_hash(const uint8_t *frame, uint32_t len, bool *ip)
{
	uint32_t h = 0;

	if (!parse_eth(frame, len, 0, &h, ip))
		return 0;
	return h;
}
