/*
 * if.c - facts about an interface, in the current network namespace:
 * index, flags, MTU, address, queues (ethtool channels), and whether it
 * carries the machine's default route or the SSH session of the asker (the
 * lock-out guard: OPNsense's first warning is "make sure you can still
 * reach the machine").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/adapters/nic/nic_int.h"

static int
ifreq_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return -errno;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	r = ioctl(s, req, ifr) < 0 ? -errno : 0;
	close(s);
	return r;
}

static unsigned
queue_count(const char *name)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { .ifr_data = (void *)&ch };
	unsigned n;

	if (ifreq_ioctl(name, SIOCETHTOOL, &ifr) < 0)
		return 1;
	n = ch.combined_count > ch.rx_count ? ch.combined_count : ch.rx_count;
	return n == 0 ? 1 : n > UNM_NIC_MAX_QUEUES ? UNM_NIC_MAX_QUEUES : n;
}

int
nic_if_info(const char *name, struct nic_ifinfo *fi, struct ctrl_err *e)
{
	struct ifreq ifr;
	int r;

	memset(fi, 0, sizeof(*fi));
	if (strlen(name) >= IF_NAMESIZE)
		return ctrl_fail(e, ENXIO, "%s: no such interface (names have at most %d characters)",
		    name, IF_NAMESIZE - 1);
	memset(&ifr, 0, sizeof(ifr));
	r = ifreq_ioctl(name, SIOCGIFINDEX, &ifr);
	if (r < 0)
		return -1;	/* not an interface here: not ours to answer */
	fi->ifindex = ifr.ifr_ifindex;
	memset(&ifr, 0, sizeof(ifr));
	if (ifreq_ioctl(name, SIOCGIFFLAGS, &ifr) == 0)
		fi->flags = (unsigned)(unsigned short)ifr.ifr_flags;
	memset(&ifr, 0, sizeof(ifr));
	fi->mtu = ifreq_ioctl(name, SIOCGIFMTU, &ifr) == 0 ? ifr.ifr_mtu : 1500;
	memset(&ifr, 0, sizeof(ifr));
	if (ifreq_ioctl(name, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(fi->mac, ifr.ifr_hwaddr.sa_data, 6);
	fi->queues = queue_count(name);
	return 0;
}

int
nic_if_set_up(const char *name, int mtu)
{
	struct ifreq ifr;
	int r;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_mtu = mtu;
	r = ifreq_ioctl(name, SIOCSIFMTU, &ifr);
	if (r < 0)
		return r;
	memset(&ifr, 0, sizeof(ifr));
	r = ifreq_ioctl(name, SIOCGIFFLAGS, &ifr);
	if (r < 0)
		return r;
	ifr.ifr_flags |= IFF_UP | IFF_NOARP;
	return ifreq_ioctl(name, SIOCSIFFLAGS, &ifr);
}

/* ------------------------------------------------------------ routes */

struct rtreq {
	struct nlmsghdr nh;
	struct rtmsg rt;
	char attrs[64];
};

static void
add_attr(struct nlmsghdr *nh, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* does route message @rt go out through @ifindex? */
static bool
route_uses(struct rtmsg *rt, size_t len, int ifindex)
{
	for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_OIF && *(int *)RTA_DATA(a) == ifindex)
			return true;
		if (a->rta_type == RTA_MULTIPATH) {
			struct rtnexthop *nh = RTA_DATA(a);
			int left = (int)RTA_PAYLOAD(a);

			while (left >= (int)sizeof(*nh) && nh->rtnh_len >= sizeof(*nh)) {
				if (nh->rtnh_ifindex == ifindex)
					return true;
				left -= NLMSG_ALIGN(nh->rtnh_len);
				nh = RTNH_NEXT(nh);
			}
		}
	}
	return false;
}

/*
 * Sends @req on a new rtnetlink socket and calls back for every route
 * message of the answer.  Returns 1 when @fn said yes for one of them.
 */
static int
rt_ask(struct rtreq *req, int ifindex, bool only_default)
{
	static char buf[32768];
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct timeval tv = { 1, 0 };
	int found = 0, done = 0;

	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(s, req, req->nh.nlmsg_len, 0) < 0) {
		close(s);
		return -errno;
	}
	while (!done) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (n <= 0)
			break;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			struct rtmsg *rt = NLMSG_DATA(nh);

			if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (nh->nlmsg_type != RTM_NEWROUTE)
				continue;
			if (only_default && (rt->rtm_dst_len != 0 || rt->rtm_type != RTN_UNICAST))
				continue;
			if (route_uses(rt, RTM_PAYLOAD(nh), ifindex))
				found = 1;
			if (!(nh->nlmsg_flags & NLM_F_MULTI))
				done = 1;
		}
	}
	close(s);
	return found;
}

static bool
default_route_via(int ifindex, int family)
{
	struct rtreq req;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.rt.rtm_family = (unsigned char)family;
	return rt_ask(&req, ifindex, true) == 1;
}

static bool
route_to_via(const char *addr, int ifindex)
{
	struct rtreq req;
	unsigned char a[16];
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(family, addr, a) != 1)
		return false;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.rt.rtm_family = (unsigned char)family;
	req.rt.rtm_dst_len = family == AF_INET ? 32 : 128;
	add_attr(&req.nh, RTA_DST, a, family == AF_INET ? 4 : 16);
	return rt_ask(&req, ifindex, false) == 1;
}

/* the value of SSH_CONNECTION in the environment of @pid, if any */
static bool
ssh_connection(pid_t pid, char *out, size_t len)
{
	char path[64], buf[16384];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *p = buf; p < buf + n; p += strlen(p) + 1)
		if (strncmp(p, "SSH_CONNECTION=", 15) == 0) {
			snprintf(out, len, "%s", p + 15);
			return true;
		}
	return false;
}

const char *
nic_if_lockout(int ifindex, pid_t asker, char *why, size_t len)
{
	char ssh[256], client[64];

	if (default_route_via(ifindex, AF_INET) || default_route_via(ifindex, AF_INET6)) {
		snprintf(why, len, "it carries this namespace's default route: taking it could "
		    "cut the machine off the network");
		return why;
	}
	if (asker > 0 && ssh_connection(asker, ssh, sizeof(ssh)) &&
	    sscanf(ssh, "%63s", client) == 1 && route_to_via(client, ifindex)) {
		snprintf(why, len, "the SSH session it was started from (%s) runs over it", client);
		return why;
	}
	return NULL;
}
