/*
 * addr.c - addresses: the -s/-d ranges, MAC addresses, an interface's MAC.
 *
 * A range is "start[-end]" where each end is "ip[:port]" (IPv4) or
 * "[G@]ip" / "[G@][ip]:port" (IPv6, G = the 16-bit group that counts,
 * 7 by default).  An end that is only digits is a port: "10.0.0.1:1000-2000"
 * keeps the address and ranges the port.  Ports default to 1234.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pktgen.h"

#define DEFAULT_PORT 1234

static int
fail(char *err, size_t len, const char *fmt, const char *what)
{
	if (err)
		snprintf(err, len, fmt, what);
	return -1;
}

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static bool
all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* one end of a range: address into addr, port (if given) into *port */
static int
parse_end(char *s, int af, uint8_t *addr, uint16_t *port, int *group,
    char *err, size_t errlen)
{
	char *colon, *at;

	if (af == AF_INET) {
		colon = strchr(s, ':');
		if (colon) {
			*colon++ = '\0';
			if (parse_port(colon, port) < 0)
				return fail(err, errlen, "bad port '%s' (0..65535)", colon);
		}
		if (inet_pton(AF_INET, s, addr) != 1)
			return fail(err, errlen, "'%s' is not an IPv4 address", s);
		return 0;
	}
	at = strchr(s, '@');
	if (at) {
		*at = '\0';
		if (!all_digits(s) || atoi(s) > 7)
			return fail(err, errlen, "bad IPv6 group '%s' (0..7)", s);
		if (group)
			*group = atoi(s);
		s = at + 1;
	}
	if (*s == '[') {
		char *close = strchr(++s, ']');

		if (!close)
			return fail(err, errlen, "missing ']' after '%s'", s);
		*close++ = '\0';
		if (*close == ':') {
			if (parse_port(close + 1, port) < 0)
				return fail(err, errlen, "bad port '%s' (0..65535)", close + 1);
		} else if (*close) {
			return fail(err, errlen, "unexpected '%s' after ']'", close);
		}
	}
	if (inet_pton(AF_INET6, s, addr) != 1)
		return fail(err, errlen, "'%s' is not an IPv6 address", s);
	return 0;
}

int
pg_parse_range(struct pg_range *r, const char *text, int af, char *err, size_t errlen)
{
	char *copy = strdup(text), *dash;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->text = text;
	r->af = af;
	r->port0 = r->port1 = DEFAULT_PORT;
	r->group = 7;
	if (!copy)
		return fail(err, errlen, "%s", "out of memory");
	if (!*copy) {
		fail(err, errlen, "%s", "empty address");
		goto out;
	}
	dash = strchr(copy, '-');
	if (dash)
		*dash++ = '\0';
	if (parse_end(copy, af, r->start, &r->port0, &r->group, err, errlen) < 0)
		goto out;
	memcpy(r->end, r->start, 16);
	r->port1 = r->port0;
	if (dash) {
		if (all_digits(dash)) {
			if (parse_port(dash, &r->port1) < 0) {
				fail(err, errlen, "bad port '%s' (0..65535)", dash);
				goto out;
			}
		} else {
			int g = r->group;

			if (parse_end(dash, af, r->end, &r->port1, &g, err, errlen) < 0)
				goto out;
		}
	}
	if (r->port0 > r->port1) {
		uint16_t t = r->port0;

		r->port0 = r->port1;
		r->port1 = t;
	}
	if (af == AF_INET) {
		uint32_t a, b;

		memcpy(&a, r->start, 4);
		memcpy(&b, r->end, 4);
		if (ntohl(a) > ntohl(b)) {
			memcpy(r->start, &b, 4);
			memcpy(r->end, &a, 4);
		}
	} else {
		/* only group G counts; the other groups come from the start */
		uint8_t *s = r->start + 2 * r->group, *e = r->end + 2 * r->group;
		uint8_t hi[2], lo[2];

		memcpy(hi, e, 2);
		memcpy(lo, s, 2);
		if ((lo[0] << 8 | lo[1]) > (hi[0] << 8 | hi[1])) {
			memcpy(s, hi, 2);
			memcpy(hi, lo, 2);
		}
		memcpy(r->end, r->start, 16);
		memcpy(e, hi, 2);
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

const char *
pg_range_str(const struct pg_range *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	bool v6 = r->af == AF_INET6;

	inet_ntop(r->af, r->start, a, sizeof(a));
	inet_ntop(r->af, r->end, b, sizeof(b));
	if (!memcmp(r->start, r->end, 16) && r->port0 == r->port1)
		snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", a, r->port0);
	else
		snprintf(buf, len, v6 ? "[%s]:%u-[%s]:%u" : "%s:%u-%s:%u", a, r->port0,
		    b, r->port1);
	return buf;
}

int
pg_parse_mac(uint8_t mac[6], const char *text)
{
	const char *p = text;

	for (int i = 0; i < 6; i++) {
		unsigned v = 0;
		int digits = 0;

		while (isxdigit((unsigned char)*p) && digits < 2) {
			v = v * 16 + (unsigned)(isdigit((unsigned char)*p) ? *p - '0' :
			    tolower((unsigned char)*p) - 'a' + 10);
			p++;
			digits++;
		}
		if (!digits)
			return -1;
		mac[i] = (uint8_t)v;
		if (i < 5 && *p++ != ':')
			return -1;
	}
	return *p ? -1 : 0;
}

const char *
pg_mac_str(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
	    m[4], m[5]);
	return buf;
}

/* the link-layer address of interface ifname; -1 if there is none */
int
pg_iface_mac(const char *ifname, uint8_t mac[6])
{
	struct ifaddrs *all, *ifa;
	int rc = -1;

	if (getifaddrs(&all) < 0)
		return -1;
	for (ifa = all; ifa; ifa = ifa->ifa_next) {
		const struct sockaddr_ll *ll = (const void *)ifa->ifa_addr;

		if (!ll || ll->sll_family != AF_PACKET || ll->sll_halen != 6)
			continue;
		if (strcmp(ifa->ifa_name, ifname))
			continue;
		memcpy(mac, ll->sll_addr, 6);
		rc = 0;
		break;
	}
	freeifaddrs(all);
	return rc;
}
