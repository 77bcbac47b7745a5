/*
 * decode.c - what nm-dump prints about a frame: its MACs, its VLAN tags
 * and ethertype, then ARP, or IPv4/IPv6 addresses with TCP/UDP ports,
 * TCP flags, ICMP type and code.  Only the captured bytes are read; what
 * is cut short says so ("[|ip]", as tcpdump marks it).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dump.h"

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
mac(FILE *out, const uint8_t *m)
{
	fprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void
tcp_flags(FILE *out, uint8_t fl)
{
	static const char names[] = "FSRPAUEC";
	char s[9];
	int n = 0;

	for (int i = 0; i < 8; i++)
		if (fl & (1u << i))
			s[n++] = names[i];
	s[n] = '\0';
	fprintf(out, " [%s]", n ? s : "none");
}

/* the transport header at @p (@n bytes captured) of protocol @proto */
static void
transport(FILE *out, uint8_t proto, const uint8_t *p, uint32_t n, const char *src,
    const char *dst, uint32_t payload)
{
	switch (proto) {
	case 6:		/* TCP */
	case 17:	/* UDP */
		if (n < 4) {
			fprintf(out, "%s > %s %s [|%s]", src, dst, proto == 6 ? "TCP" : "UDP",
			    proto == 6 ? "tcp" : "udp");
			return;
		}
		fprintf(out, "%s.%u > %s.%u %s", src, be16(p), dst, be16(p + 2),
		    proto == 6 ? "TCP" : "UDP");
		if (proto == 6) {
			if (n >= 14)
				tcp_flags(out, p[13]);
			else
				fputs(" [|tcp]", out);
		} else if (n >= 8) {
			fprintf(out, ", length %u", be16(p + 4) >= 8 ? be16(p + 4) - 8u : 0u);
		}
		return;
	case 1:		/* ICMP */
	case 58:	/* ICMPv6 */
		fprintf(out, "%s > %s %s", src, dst, proto == 1 ? "ICMP" : "ICMPv6");
		if (n >= 2)
			fprintf(out, " type %u code %u", p[0], p[1]);
		else
			fputs(" [|icmp]", out);
		return;
	default:
		fprintf(out, "%s > %s proto %u, length %u", src, dst, proto, payload);
	}
}

static void
ipv4(FILE *out, const uint8_t *p, uint32_t n)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	uint32_t ihl, tot, frag;

	if (n < 20 || (p[0] >> 4) != 4 || (p[0] & 0xf) < 5) {
		fputs(n < 20 ? "IPv4 [|ip]" : "IPv4 bad header", out);
		return;
	}
	ihl = (p[0] & 0xfu) * 4u;
	tot = be16(p + 2);
	frag = be16(p + 6);
	inet_ntop(AF_INET, p + 12, src, sizeof(src));
	inet_ntop(AF_INET, p + 16, dst, sizeof(dst));
	fputs("IPv4 ", out);
	if (frag & 0x1fff) {	/* a later fragment: no transport header */
		fprintf(out, "%s > %s proto %u, fragment offset %u", src, dst, p[9],
		    (frag & 0x1fffu) * 8u);
		return;
	}
	if (ihl > n) {
		fprintf(out, "%s > %s [|ip]", src, dst);
		return;
	}
	transport(out, p[9], p + ihl, n - ihl, src, dst, tot > ihl ? tot - ihl : 0);
	if (frag & 0x2000)
		fputs(", first fragment", out);
}

static void
ipv6(FILE *out, const uint8_t *p, uint32_t n)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	uint32_t off = 40, plen;
	uint8_t nh;

	if (n < 40 || (p[0] >> 4) != 6) {
		fputs(n < 40 ? "IPv6 [|ip6]" : "IPv6 bad header", out);
		return;
	}
	inet_ntop(AF_INET6, p + 8, src, sizeof(src));
	inet_ntop(AF_INET6, p + 24, dst, sizeof(dst));
	plen = be16(p + 4);
	nh = p[6];
	fputs("IPv6 ", out);
	/* the extension headers that can come before a transport header */
	for (int hops = 0; hops < 8; hops++) {
		if (nh == 0 || nh == 43 || nh == 60) {	/* hop-by-hop, routing, destination */
			if (off + 2 > n) {
				fprintf(out, "%s > %s [|ip6]", src, dst);
				return;
			}
			nh = p[off];
			off += (p[off + 1] + 1u) * 8u;
		} else if (nh == 44) {			/* fragment */
			if (off + 8 > n) {
				fprintf(out, "%s > %s [|ip6]", src, dst);
				return;
			}
			if (be16(p + off + 2) & 0xfff8) {
				fprintf(out, "%s > %s proto %u, fragment offset %u", src, dst,
				    p[off], be16(p + off + 2) & 0xfff8u);
				return;
			}
			nh = p[off];
			off += 8;
		} else {
			break;
		}
	}
	if (off > n) {
		fprintf(out, "%s > %s [|ip6]", src, dst);
		return;
	}
	transport(out, nh, p + off, n - off, src, dst,
	    plen + 40 > off ? plen + 40 - off : 0);
}

static void
arp(FILE *out, const uint8_t *p, uint32_t n)
{
	char spa[INET_ADDRSTRLEN], tpa[INET_ADDRSTRLEN];

	/* Ethernet and IPv4 only: hardware 1, protocol 0x0800, lengths 6 and 4 */
	if (n < 28 || be16(p) != 1 || be16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4) {
		fputs(n < 28 ? "ARP [|arp]" : "ARP, not Ethernet/IPv4", out);
		return;
	}
	inet_ntop(AF_INET, p + 14, spa, sizeof(spa));
	inet_ntop(AF_INET, p + 24, tpa, sizeof(tpa));
	switch (be16(p + 6)) {
	case 1:
		fprintf(out, "ARP who-has %s tell %s", tpa, spa);
		break;
	case 2:
		fprintf(out, "ARP reply %s is-at ", spa);
		mac(out, p + 8);
		break;
	default:
		fprintf(out, "ARP op %u %s > %s", be16(p + 6), spa, tpa);
	}
}

void
nd_decode(FILE *out, const uint8_t *f, uint32_t caplen, uint32_t len)
{
	uint32_t off = 12;
	uint16_t type;

	if (caplen < 14) {
		fputs(len < 14 ? "runt frame" : "[|ether]", out);
		return;
	}
	mac(out, f + 6);
	fputs(" > ", out);
	mac(out, f);
	fputs(", ", out);
	type = be16(f + off);
	/* 802.1Q and 802.1ad tags, outermost first */
	while ((type == 0x8100 || type == 0x88a8) && off + 6 <= caplen) {
		fprintf(out, "vlan %u", be16(f + off + 2) & 0xfffu);
		if (be16(f + off + 2) >> 13)
			fprintf(out, " p %u", be16(f + off + 2) >> 13);
		fputs(", ", out);
		off += 4;
		type = be16(f + off);
	}
	if (type == 0x8100 || type == 0x88a8) {
		fputs("vlan [|vlan]", out);
		return;
	}
	off += 2;
	if (type < 0x0600) {	/* 802.3: a length, not a type */
		fprintf(out, "802.3, length %u", type);
		return;
	}
	switch (type) {
	case 0x0800:
		ipv4(out, f + off, caplen - off);
		break;
	case 0x86dd:
		ipv6(out, f + off, caplen - off);
		break;
	case 0x0806:
		arp(out, f + off, caplen - off);
		break;
	default:
		fprintf(out, "ethertype 0x%04x, length %u", type, len - off);
	}
}
