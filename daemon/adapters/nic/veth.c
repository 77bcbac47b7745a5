/*
 * veth.c - the veth pairs behind switches' own interfaces (vale/hostif.c):
 * made and removed over rtnetlink, in the current network namespace.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/adapters/nic/nic_int.h"

struct nlreq {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[256];
};

static struct rtattr *
attr(struct nlmsghdr *nh, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

/* closes a nested attribute opened at @a */
static void
nest_end(struct nlmsghdr *nh, struct rtattr *a)
{
	a->rta_len = (unsigned short)((char *)nh + nh->nlmsg_len - (char *)a);
}

/* sends @nh and reads the kernel's acknowledgement: 0 or -errno */
static int
talk(struct nlmsghdr *nh)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[1024];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), r;
	ssize_t n;

	if (fd < 0)
		return -errno;
	nh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_seq = 1;
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	r = n < 0 ? -errno : -EPROTO;
	if (n >= (ssize_t)(sizeof(struct nlmsghdr) + sizeof(struct nlmsgerr))) {
		struct nlmsghdr *rh = (struct nlmsghdr *)buf;

		if (rh->nlmsg_type == NLMSG_ERROR)
			r = ((struct nlmsgerr *)NLMSG_DATA(rh))->error;
	}
	close(fd);
	return r;
}

int
nic_veth_add(const char *name, const char *peer, struct ctrl_err *e)
{
	struct nlreq rq;
	struct ifinfomsg pi = { .ifi_family = AF_UNSPEC };
	struct rtattr *li, *data, *pe;
	int r;

	memset(&rq, 0, sizeof(rq));
	rq.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	rq.nh.nlmsg_type = RTM_NEWLINK;
	rq.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	rq.ifi.ifi_family = AF_UNSPEC;
	attr(&rq.nh, IFLA_IFNAME, name, strlen(name) + 1);
	li = attr(&rq.nh, IFLA_LINKINFO, NULL, 0);
	attr(&rq.nh, IFLA_INFO_KIND, "veth", 5);
	data = attr(&rq.nh, IFLA_INFO_DATA, NULL, 0);
	pe = attr(&rq.nh, VETH_INFO_PEER, NULL, 0);
	/* the peer's attributes follow an ifinfomsg of its own */
	memcpy(rq.attrs + (rq.nh.nlmsg_len - NLMSG_LENGTH(sizeof(struct ifinfomsg))), &pi,
	    sizeof(pi));
	rq.nh.nlmsg_len += NLMSG_ALIGN(sizeof(pi));
	attr(&rq.nh, IFLA_IFNAME, peer, strlen(peer) + 1);
	nest_end(&rq.nh, pe);
	nest_end(&rq.nh, data);
	nest_end(&rq.nh, li);
	r = talk(&rq.nh);
	if (r < 0)
		return ctrl_fail(e, -r, "cannot make the veth pair %s/%s: %s", name, peer,
		    strerror(-r));
	return 0;
}

int
nic_link_del(const char *name)
{
	struct nlreq rq;

	memset(&rq, 0, sizeof(rq));
	rq.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	rq.nh.nlmsg_type = RTM_DELLINK;
	rq.ifi.ifi_family = AF_UNSPEC;
	attr(&rq.nh, IFLA_IFNAME, name, strlen(name) + 1);
	return talk(&rq.nh);
}

int
nic_link_up(const char *name)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!r && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		r = -errno;
	close(fd);
	return r;
}
