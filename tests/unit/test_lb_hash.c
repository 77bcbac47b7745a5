/*
 * test_lb_hash - lb(8)'s flow hash (tools/lb/hash.c) on its own: both
 * directions of random flows of every kind hash alike, the levels it falls
 * back to, a fair spread over pipes, and random bytes of any length read
 * safely (the sanitizer build checks the reads).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/tap.h"
#include "tools/lb/hash.c"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void
fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

struct ends {
	uint8_t mac[2][6], v4[2][4], v6[2][16], t4[2][4], t6[2][16];
	uint16_t port[2];
};

static uint8_t *
eth(uint8_t *p, const uint8_t *s, const uint8_t *d, uint16_t type)
{
	memcpy(p, d, 6);
	memcpy(p + 6, s, 6);
	p[12] = (uint8_t)(type >> 8);
	p[13] = (uint8_t)type;
	return p + 14;
}

static uint8_t *
ip4(uint8_t *p, const uint8_t *s, const uint8_t *d, uint8_t proto, uint16_t frag)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, s, 4);
	memcpy(p + 16, d, 4);
	return p + 20;
}

static uint8_t *
ip6(uint8_t *p, const uint8_t *s, const uint8_t *d, uint8_t nh)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[6] = nh;
	memcpy(p + 8, s, 16);
	memcpy(p + 24, d, 16);
	return p + 40;
}

static void
ports(uint8_t *p, uint16_t s, uint16_t d)
{
	p[0] = (uint8_t)(s >> 8);
	p[1] = (uint8_t)s;
	p[2] = (uint8_t)(d >> 8);
	p[3] = (uint8_t)d;
}

#define NKINDS 14
static const char *kind_name[NKINDS] = {
	"IPv4 TCP", "IPv4 UDP", "IPv6 TCP", "IPv6 UDP behind a hop-by-hop header",
	"802.1Q IPv4 UDP", "IP-in-IP", "6in4", "IPv6 in IPv6", "GRE (csum, key, seq) IPv4",
	"GRE bridging 802.1Q Ethernet", "IPv4 ICMP", "IPv4 fragment", "IPv6 fragment", "ARP",
};

/* a frame of @kind from end @a to end 1 - a; returns its length */
static uint32_t
frame(uint8_t *f, int kind, const struct ends *e, int a)
{
	int b = 1 - a;
	uint8_t *p;

	memset(f, 0, 256);
	switch (kind) {
	case 0: case 1:
		p = ip4(eth(f, e->mac[a], e->mac[b], 0x0800), e->v4[a], e->v4[b], kind ? 17 : 6, 0x4000);
		ports(p, e->port[a], e->port[b]);
		break;
	case 2:
		p = ip6(eth(f, e->mac[a], e->mac[b], 0x86dd), e->v6[a], e->v6[b], 6);
		ports(p, e->port[a], e->port[b]);
		break;
	case 3:
		p = ip6(eth(f, e->mac[a], e->mac[b], 0x86dd), e->v6[a], e->v6[b], 0);
		p[0] = 17;	/* hop-by-hop options, 8 bytes, then UDP */
		ports(p + 8, e->port[a], e->port[b]);
		break;
	case 4:
		p = eth(f, e->mac[a], e->mac[b], 0x8100);
		p[0] = 0x20; p[1] = 0x05; p[2] = 0x08; p[3] = 0x00;
		ports(ip4(p + 4, e->v4[a], e->v4[b], 17, 0), e->port[a], e->port[b]);
		break;
	case 5:
		p = ip4(eth(f, e->mac[a], e->mac[b], 0x0800), e->t4[a], e->t4[b], 4, 0);
		ports(ip4(p, e->v4[a], e->v4[b], 6, 0), e->port[a], e->port[b]);
		break;
	case 6:
		p = ip4(eth(f, e->mac[a], e->mac[b], 0x0800), e->t4[a], e->t4[b], 41, 0);
		ports(ip6(p, e->v6[a], e->v6[b], 17), e->port[a], e->port[b]);
		break;
	case 7:
		p = ip6(eth(f, e->mac[a], e->mac[b], 0x86dd), e->t6[a], e->t6[b], 41);
		ports(ip6(p, e->v6[a], e->v6[b], 6), e->port[a], e->port[b]);
		break;
	case 8:
		p = ip4(eth(f, e->mac[a], e->mac[b], 0x0800), e->t4[a], e->t4[b], 47, 0);
		p[0] = 0xb0;	/* C, K, S: 12 more bytes */
		p[2] = 0x08;
		ports(ip4(p + 16, e->v4[a], e->v4[b], 17, 0), e->port[a], e->port[b]);
		break;
	case 9:
		p = ip4(eth(f, e->mac[a], e->mac[b], 0x0800), e->t4[a], e->t4[b], 47, 0);
		p[2] = 0x65;
		p[3] = 0x58;
		p = eth(p + 4, e->mac[a], e->mac[b], 0x8100);
		p[2] = 0x86; p[3] = 0xdd;
		ports(ip6(p + 4, e->v6[a], e->v6[b], 6), e->port[a], e->port[b]);
		break;
	case 10:
		ip4(eth(f, e->mac[a], e->mac[b], 0x0800), e->v4[a], e->v4[b], 1, 0)[0] = 8;
		break;
	case 11:	/* ports only in the first fragment: random bytes here */
		p = ip4(eth(f, e->mac[a], e->mac[b], 0x0800), e->v4[a], e->v4[b], 17, 0x2000 | 99);
		fill(p, 8);
		break;
	case 12:
		p = ip6(eth(f, e->mac[a], e->mac[b], 0x86dd), e->v6[a], e->v6[b], 44);
		p[0] = 17;
		fill(p + 8, 8);
		break;
	default:
		fill(eth(f, e->mac[a], e->mac[b], 0x0806), 28);
		break;
	}
	return 200;
}

int
main(void)
{
	static uint8_t f[256], g[256];
	uint32_t pipes[4] = { 0 };
	int bad[NKINDS] = { 0 }, notip = 0, ipkinds = 0;
	bool ip;

	for (int k = 0; k < NKINDS; k++) {
		for (int i = 0; i < 2000; i++) {
			struct ends e;
			uint32_t h1, h2;
			bool ip1, ip2;

			fill((uint8_t *)&e, sizeof(e));
			frame(f, k, &e, 0);
			h1 = lb_hash(f, 200, &ip1);
			frame(g, k, &e, 1);
			h2 = lb_hash(g, 200, &ip2);
			bad[k] += h1 != h2 || ip1 != ip2;
			if (k == 0)
				pipes[h1 % 4]++;
			if (i == 0) {
				notip += !ip1;
				ipkinds += ip1;
			}
		}
		tap_ok(bad[k] == 0, "%s: both directions of 2000 random flows hash alike (%d differ)",
		    kind_name[k], bad[k]);
	}
	tap_ok(ipkinds == NKINDS - 1 && notip == 1, "every kind but ARP is IP");
	tap_ok(pipes[0] > 350 && pipes[1] > 350 && pipes[2] > 350 && pipes[3] > 350,
	    "2000 IPv4 TCP flows over 4 pipes: %u %u %u %u", pipes[0], pipes[1], pipes[2],
	    pipes[3]);

	/* what is hashed: ports change the hash, or do not */
	{
		struct ends e;
		uint32_t h1, h2;

		fill((uint8_t *)&e, sizeof(e));
		frame(f, 0, &e, 0);
		h1 = lb_hash(f, 200, &ip);
		e.port[0]++;
		frame(f, 0, &e, 0);
		h2 = lb_hash(f, 200, &ip);
		tap_ok(h1 != h2, "TCP: the ports are part of the hash");
		frame(f, 10, &e, 0);
		h1 = lb_hash(f, 200, &ip);
		frame(f, 11, &e, 0);
		h2 = lb_hash(f, 200, &ip);
		tap_ok(h1 == h2, "an IPv4 fragment hashes as its addresses alone, like ICMP");
		frame(f, 5, &e, 0);
		h1 = lb_hash(f, 200, &ip);
		memset(e.t4, 7, sizeof(e.t4));
		frame(f, 5, &e, 0);
		h2 = lb_hash(f, 200, &ip);
		tap_ok(h1 == h2, "IP-in-IP: the inner header is hashed, not the tunnel's");
		frame(f, 8, &e, 0);
		h1 = lb_hash(f, 200, &ip);
		{	/* the same inner packet in GRE without optional fields */
			uint8_t *p;

			memset(g, 0, sizeof(g));
			p = ip4(eth(g, e.mac[0], e.mac[1], 0x0800), e.t4[1], e.t4[0], 47, 0);
			p[2] = 0x08;
			ports(ip4(p + 4, e.v4[0], e.v4[1], 17, 0), e.port[0], e.port[1]);
			h2 = lb_hash(g, 200, &ip);
		}
		tap_ok(h1 == h2, "GRE: optional fields skipped, the inner packet hashed");
		frame(f, 0, &e, 0);
		h1 = lb_hash(f, 14 + 20 + 2, &ip);	/* the ports cut off */
		frame(f, 10, &e, 0);
		h2 = lb_hash(f, 200, &ip);
		tap_ok(h1 == h2 && ip, "TCP cut before its ports: the addresses alone");
		h1 = lb_hash(f, 14 + 10, &ip);		/* IPv4 header cut */
		tap_ok(!ip, "an IPv4 header cut short: the MAC addresses");
		tap_ok(lb_hash(f, 10, &ip) == 0 && !ip, "a frame shorter than Ethernet: hash 0");
	}

	/* random bytes of every length: no read past the frame */
	for (int i = 0; i < 200000; i++) {
		uint32_t len = rnd() % 160;
		uint8_t *b = malloc(len ? len : 1);

		fill(b, len);
		if (len > 24 && (i & 1)) {	/* often an IP header, for depth */
			b[12] = 0x08;
			b[13] = 0x00;
			b[14] = (uint8_t)(0x40 | (rnd() & 15));
			b[23] = (uint8_t)((const uint8_t[]){ 4, 41, 47, 6, 17 }[rnd() % 5]);
		}
		lb_hash(b, len, &ip);
		free(b);
	}
	tap_ok(1, "200000 random frames of 0..159 bytes hashed");
	printf("# done\n");
	return tap_failed != 0;
}
