/*
 * genl.c - two facts the kernel gives only over generic netlink, for the
 * doctor (check.c): what XDP an interface's driver can do ("netdev"
 * family, Linux 6.3+) and whether its header/data split is on ("ethtool"
 * family, ETHTOOL_A_RINGS_TCP_DATA_SPLIT).  Both asked in the current
 * network namespace; -EOPNOTSUPP where the kernel has no such family.
 */
#include <errno.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/adapters/nic/nic_int.h"

/* linux/netdev.h (uapi, Linux 6.3): not in Debian 12's headers */
#define NETDEV_CMD_DEV_GET		1
#define NETDEV_A_DEV_IFINDEX		1
#define NETDEV_A_DEV_XDP_FEATURES	3

struct genl_msg {
	struct nlmsghdr nh;
	struct genlmsghdr g;
	char attrs[512];
};

static void
put_attr(struct nlmsghdr *nh, unsigned short type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = (unsigned short)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* the attribute @type among those in [@p, @p + @len), or NULL */
static const struct nlattr *
find_attr(const char *p, size_t len, unsigned short type)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return NULL;
		size_t step = (size_t)NLA_ALIGN(a->nla_len);

		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		if (step >= len)
			break;
		len -= step;
		p += step;
	}
	return NULL;
}

/*
 * Sends @req on a new generic netlink socket and copies the first reply's
 * attributes into @out; returns their length or -errno.
 */
static int
ask(struct genl_msg *req, char *out, size_t cap)
{
	char buf[8192];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC), r = -EIO;
	ssize_t n;

	if (s < 0)
		return -errno;
	{
		struct timeval tv = { 1, 0 };

		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	req->nh.nlmsg_flags = NLM_F_REQUEST;
	req->nh.nlmsg_seq = 1;
	if (sendto(s, req, req->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	n = recv(s, buf, sizeof(buf), 0);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
	    nh = NLMSG_NEXT(nh, n)) {
		size_t alen;

		if (nh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr err;

			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(err)))
				break;
			memcpy(&err, NLMSG_DATA(nh), sizeof(err));
			r = err.error ? err.error : -EIO;
			break;
		}
		if (nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
			break;
		alen = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		if (alen > cap)
			alen = cap;
		memcpy(out, (char *)NLMSG_DATA(nh) + GENL_HDRLEN, alen);
		r = (int)alen;
		break;
	}
out:
	close(s);
	return r;
}

/* the id of generic netlink family @name, or -errno */
static int
family(const char *name)
{
	struct genl_msg m = { .nh = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN),
	    .nlmsg_type = GENL_ID_CTRL }, .g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 } };
	char attrs[4096];
	const struct nlattr *a;
	int n;

	put_attr(&m.nh, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	n = ask(&m, attrs, sizeof(attrs));
	if (n == -ENOENT)
		return -EOPNOTSUPP;
	if (n < 0)
		return n;
	a = find_attr(attrs, (size_t)n, CTRL_ATTR_FAMILY_ID);
	if (!a || a->nla_len < NLA_HDRLEN + sizeof(uint16_t))
		return -EIO;
	{
		uint16_t id;

		memcpy(&id, (const char *)a + NLA_HDRLEN, sizeof(id));
		return id;
	}
}

int
nic_xdp_features(int ifindex, uint64_t *features)
{
	int id = family("netdev"), n;
	struct genl_msg m = { .nh = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) },
	    .g = { .cmd = NETDEV_CMD_DEV_GET, .version = 1 } };
	uint32_t ix = (uint32_t)ifindex;
	char attrs[1024];
	const struct nlattr *a;

	if (id < 0)
		return id;
	m.nh.nlmsg_type = (uint16_t)id;
	put_attr(&m.nh, NETDEV_A_DEV_IFINDEX, &ix, sizeof(ix));
	n = ask(&m, attrs, sizeof(attrs));
	if (n < 0)
		return n;
	a = find_attr(attrs, (size_t)n, NETDEV_A_DEV_XDP_FEATURES);
	if (!a || a->nla_len < NLA_HDRLEN + sizeof(uint64_t))
		return -EOPNOTSUPP;
	memcpy(features, (const char *)a + NLA_HDRLEN, sizeof(*features));
	return 0;
}

int
nic_data_split(const char *ifname)
{
	int id = family("ethtool"), n;
	struct genl_msg m = { .nh = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) },
	    .g = { .cmd = ETHTOOL_MSG_RINGS_GET, .version = ETHTOOL_GENL_VERSION } };
	char attrs[1024], hdr[NLA_HDRLEN + IF_NAMESIZE + 4];
	struct nlattr *h = (struct nlattr *)hdr;
	const struct nlattr *a;
	size_t nl = strlen(ifname) + 1;

	if (id < 0)
		return id;
	m.nh.nlmsg_type = (uint16_t)id;
	/* the request header: a nest holding the device's name */
	h->nla_type = ETHTOOL_A_HEADER_DEV_NAME;
	h->nla_len = (unsigned short)(NLA_HDRLEN + nl);
	memcpy(hdr + NLA_HDRLEN, ifname, nl);
	put_attr(&m.nh, ETHTOOL_A_RINGS_HEADER | NLA_F_NESTED, hdr, NLA_ALIGN(h->nla_len));
	n = ask(&m, attrs, sizeof(attrs));
	if (n < 0)
		return n;
	a = find_attr(attrs, (size_t)n, ETHTOOL_A_RINGS_TCP_DATA_SPLIT);
	if (!a || a->nla_len < NLA_HDRLEN + 1)
		return 0;	/* the driver does not say: it has none */
	return *((const uint8_t *)a + NLA_HDRLEN) == ETHTOOL_TCP_DATA_SPLIT_ENABLED;
}
