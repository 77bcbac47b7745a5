/*
 * route.c - -r: tlem as an IPv4 router between the subnets of its two
 * ports, as netmap's route mode: each port's address, mask and MAC are
 * its interface's (so only interfaces, netmap:IF, not VALE ports or
 * pipes); ARP requests for the port's address are answered, ARP replies
 * learned; a frame leaving through a port gets the port's MAC as source
 * and the destination's (learned, else broadcast, while an ARP request
 * goes out at most every 5 s) as destination.  Frames for a third subnet
 * go to that port's -G gateway, or are dropped; so are non-IPv4 frames
 * and broadcasts.  No TTL decrement (netmap's neither).
 *
 * The producer reading a port sees the ARP frames; the consumer sending
 * into that port acts on them: a small mailbox between the two
 * (struct tl_arpq), one writer, one reader.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlem.h"

#define ARP_RETRY_NS	5000000000ull	/* netmap's: ask again after 5 s */

/* the interface in "netmap:IF[suffix]" */
static int
ifname_of(const char *port, char *name, size_t len, char *err, size_t errlen)
{
	const char *p;
	size_t n;

	if (strncmp(port, "vale", 4) == 0) {
		snprintf(err, errlen, "-r: %s: route mode needs interfaces; a VALE port has no "
		    "address of its own", port);
		return -1;
	}
	if (strncmp(port, "netmap:", 7) != 0) {
		snprintf(err, errlen, "-r: %s: route mode needs interfaces, named netmap:IF", port);
		return -1;
	}
	p = port + 7;
	n = strcspn(p, "^*@/{}");
	if (n == 0 || n >= len || n >= IFNAMSIZ) {
		snprintf(err, errlen, "-r: %s: no interface name in it", port);
		return -1;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	/* a ring suffix (eth0-1) is not part of the name */
	if (if_nametoindex(name) == 0) {
		char *dash = strrchr(name, '-');

		if (dash && dash[1] && strspn(dash + 1, "0123456789") == strlen(dash + 1))
			*dash = '\0';
	}
	return 0;
}

static int
get_addr(int fd, const char *name, unsigned long req, uint32_t *out)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_addr.sa_family = AF_INET;
	if (ioctl(fd, req, &ifr) < 0)
		return -1;
	*out = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
	return 0;
}

int
tl_route_init(struct tl_ipif *ifp, const char *port, const char *gw, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd;
	uint64_t hosts;

	memset(ifp, 0, sizeof(*ifp));
	if (ifname_of(port, ifp->name, sizeof(ifp->name), err, errlen) < 0)
		return -1;
	if (if_nametoindex(ifp->name) == 0) {
		snprintf(err, errlen, "-r: %s: %s is not an interface here: route mode needs "
		    "interfaces (not pipes or VALE ports), with an IPv4 address", port, ifp->name);
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "-r: no socket to ask for %s's address: %s", ifp->name,
		    strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifp->name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		snprintf(err, errlen, "-r: %s: no MAC address: %s", ifp->name, strerror(errno));
		close(fd);
		return -1;
	}
	memcpy(ifp->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (get_addr(fd, ifp->name, SIOCGIFADDR, &ifp->ip) < 0 || ifp->ip == 0 ||
	    get_addr(fd, ifp->name, SIOCGIFNETMASK, &ifp->mask) < 0 ||
	    get_addr(fd, ifp->name, SIOCGIFBRDADDR, &ifp->bcast) < 0) {
		snprintf(err, errlen, "-r: %s: no IPv4 address (route mode routes between the "
		    "subnets of the two interfaces)", ifp->name);
		close(fd);
		return -1;
	}
	close(fd);
	ifp->subnet = ifp->ip & ifp->mask;
	hosts = (uint64_t)(~ntohl(ifp->mask)) + 1;
	if (hosts > (1u << 24) || (hosts & (hosts - 1))) {
		snprintf(err, errlen, "-r: %s: the mask is not a prefix of /8 or longer", ifp->name);
		return -1;
	}
	if (gw) {
		struct in_addr a;

		if (!inet_aton(gw, &a)) {
			snprintf(err, errlen, "-G %s: not an IPv4 address", gw);
			return -1;
		}
		if ((a.s_addr & ifp->mask) != ifp->subnet) {
			snprintf(err, errlen, "-G %s: not in %s's subnet, unreachable", gw, ifp->name);
			return -1;
		}
		ifp->gw = a.s_addr;
	}
	/* sparse: the pages of hosts never seen are never touched */
	ifp->arp_n = (size_t)hosts;
	ifp->arp = mmap(NULL, ifp->arp_n * sizeof(*ifp->arp), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ifp->arp == MAP_FAILED) {
		ifp->arp = NULL;
		snprintf(err, errlen, "-r: %s: no memory for the ARP table", ifp->name);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ ARP frames */

static void
arp_frame(uint8_t *f, const uint8_t *dst, const struct tl_ipif *ifp, uint16_t op,
    const uint8_t *tha, uint32_t tpa)
{
	memset(f, 0, 60);
	memcpy(f, dst, 6);
	memcpy(f + 6, ifp->mac, 6);
	f[12] = 0x08, f[13] = 0x06;
	f[14] = 0, f[15] = 1;		/* Ethernet */
	f[16] = 0x08, f[17] = 0x00;	/* IPv4 */
	f[18] = 6, f[19] = 4;
	f[20] = 0, f[21] = (uint8_t)op;
	memcpy(f + 22, ifp->mac, 6);
	memcpy(f + 28, &ifp->ip, 4);
	memcpy(f + 32, tha, 6);
	memcpy(f + 38, &tpa, 4);
}

void
tl_route_arp_in(const struct tl_ipif *ifp, struct tl_arpq *q, const uint8_t *f, uint32_t len)
{
	struct tl_arp_cmd *c;
	uint32_t spa, tpa;
	uint8_t op;

	if (len < 42 || f[14] != 0 || f[15] != 1 || f[16] != 0x08 || f[17] != 0 || f[18] != 6 ||
	    f[19] != 4 || f[20] != 0)
		return;
	op = f[21];
	memcpy(&spa, f + 28, 4);
	memcpy(&tpa, f + 38, 4);
	if (tpa != ifp->ip || (spa & ifp->mask) != ifp->subnet ||
	    (op != ARPOP_REQUEST && op != ARPOP_REPLY))
		return;		/* not for us */
	c = &q->q[q->tail % TL_ARPQ];
	if (atomic_load_explicit(&c->state, memory_order_acquire))
		return;		/* the mailbox is full: the sender asks again */
	c->op = op;
	memcpy(c->mac, f + 22, 6);
	c->ip = spa;
	atomic_store_explicit(&c->state, 1, memory_order_release);
	q->tail++;
}

unsigned
tl_route_arp_out(struct tl_dir *d, uint64_t now)
{
	struct tl_arpq *q = d->arp_out;
	const struct tl_ipif *ifp = d->out_if;
	unsigned sent = 0;

	for (;;) {
		struct tl_arp_cmd *c = &q->q[q->head % TL_ARPQ];
		struct tl_arp_ent *e;
		uint8_t f[60];
		uint32_t idx;

		if (!atomic_load_explicit(&c->state, memory_order_acquire))
			break;
		if (c->op == ARPOP_REQUEST) {
			arp_frame(f, c->mac, ifp, ARPOP_REPLY, c->mac, c->ip);
			if (!tl_inject(d, f, sizeof(f)))
				break;	/* no room: next round */
			sent++;
		} else {
			idx = ntohl(c->ip & ~ifp->mask);
			if (idx < ifp->arp_n) {
				e = &ifp->arp[idx];
				memcpy(e->mac, c->mac, 6);
				e->known = 1;
				e->next_req = now + ARP_RETRY_NS;
			}
		}
		atomic_store_explicit(&c->state, 0, memory_order_release);
		q->head++;
	}
	return sent;
}

int
tl_route_frame(struct tl_dir *d, uint8_t *f, uint32_t len, uint64_t now, bool *counted)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];
	const struct tl_ipif *ifp = d->out_if;
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
	struct tl_arp_ent *e;
	uint32_t dst, idx;

	*counted = false;
	if (type < 0x600)
		return 0;	/* 802.3: ignored, as netmap's */
	*counted = true;
	if (type != 0x0800 || len < 34)
		return 0;
	memcpy(&dst, f + 30, 4);
	if (dst == ifp->bcast || dst == 0xffffffffu)
		return 0;
	if ((dst & ifp->mask) != ifp->subnet) {
		if (!ifp->gw)
			return 0;
		dst = ifp->gw;
	}
	idx = ntohl(dst & ~ifp->mask);
	if (idx >= ifp->arp_n)
		return 0;
	e = &ifp->arp[idx];
	if (now > e->next_req) {
		uint8_t req[60];

		arp_frame(req, bcast, ifp, ARPOP_REQUEST, zero, dst);
		e->next_req = now + ARP_RETRY_NS;
		tl_inject(d, req, sizeof(req));	/* if no room, a later frame asks */
	}
	memcpy(f, e->known ? e->mac : bcast, 6);
	memcpy(f + 6, ifp->mac, 6);
	*counted = false;
	return 1;
}
