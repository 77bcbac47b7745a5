/*
 * offload.c - the offload check (ethtool features, by the kernel's own
 * feature names, through SIOCETHTOOL in the interface's namespace).
 *
 * Only settings that break the mode the port got are reported: XDP runs
 * before GRO, so GRO matters for generic XDP and AF_PACKET, not for driver
 * XDP; hardware aggregation (LRO, hardware GRO) and VLAN filtering matter
 * everywhere; VLAN tag stripping hides tags from XDP (AF_PACKET gets them
 * back from the packet's metadata and we re-insert them).  Transmit
 * offloads (TSO, GSO, checksums) never matter here: what the stack sends
 * reaches the host rings through the TAP, which has none, so the kernel
 * segments and checksums every frame on the way (see tap.c).
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/adapters/nic/nic_int.h"

struct harmful {
	const char *feature;	/* the kernel's name */
	const char *knob;	/* ethtool -K's */
	const char *why;
	bool xdp_drv, xdp_generic, emulated;	/* modes it breaks */
};

static const struct harmful table[] = {
	{ "rx-lro", "lro", "the NIC merges frames into ones larger than a buffer", true, true, true },
	{ "rx-gro-hw", "rx-gro-hw", "the NIC merges frames into ones larger than a buffer",
	  true, true, true },
	{ "rx-gro", "gro", "the kernel merges frames into ones up to 64 KB before the port "
	  "sees them", false, true, true },
	{ "rx-gro-list", "rx-gro-list", "the kernel merges frames before the port sees them",
	  false, true, true },
	{ "rx-vlan-filter", "rx-vlan-filter", "frames of VLANs the host has not configured "
	  "are dropped before the port sees them", true, true, true },
	{ "rx-vlan-hw-parse", "rxvlan", "the NIC strips VLAN tags before XDP sees the frame",
	  true, true, false },
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

static int ethtool_ioctl(const char *ifname, void *data);

/* veth never strips a tag itself: what reaches XDP is what its peer sent */
bool
nic_is_veth(const char *ifname)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };

	return ethtool_ioctl(ifname, &di) == 0 && strcmp(di.driver, "veth") == 0;
}

static bool
breaks(const struct harmful *h, unsigned mode)
{
	switch (mode) {
	case UNETMAP_MODE_ZEROCOPY:
	case UNETMAP_MODE_NATIVE:
		return h->xdp_drv;
	case UNETMAP_MODE_GENERIC:
		return h->xdp_generic;
	case UNETMAP_MODE_EMULATED:
		return h->emulated;
	default:
		return false;
	}
}

static int
ethtool_ioctl(const char *ifname, void *data)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	r = ioctl(s, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
	close(s);
	return r;
}

/* the feature names and their states; caller frees *names and *gf */
static int
features(const char *ifname, char **names, struct ethtool_gfeatures **gf, unsigned *count)
{
	struct {
		struct ethtool_sset_info hdr;
		uint32_t len;
	} ss = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ull << ETH_SS_FEATURES } };
	struct ethtool_gstrings *gs;
	unsigned n, blocks;
	int r = ethtool_ioctl(ifname, &ss);

	if (r < 0 || !ss.hdr.sset_mask)
		return r < 0 ? r : -EOPNOTSUPP;
	n = ss.len;
	blocks = (n + 31) / 32;
	gs = calloc(1, sizeof(*gs) + (size_t)n * ETH_GSTRING_LEN);
	*gf = calloc(1, sizeof(**gf) + blocks * sizeof((*gf)->features[0]));
	if (!gs || !*gf) {
		free(gs);
		free(*gf);
		return -ENOMEM;
	}
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_FEATURES;
	gs->len = n;
	(*gf)->cmd = ETHTOOL_GFEATURES;
	(*gf)->size = blocks;
	r = ethtool_ioctl(ifname, gs);
	if (!r)
		r = ethtool_ioctl(ifname, *gf);
	if (r < 0) {
		free(gs);
		free(*gf);
		return r;
	}
	*names = malloc((size_t)n * ETH_GSTRING_LEN);
	if (*names)
		memcpy(*names, gs->data, (size_t)n * ETH_GSTRING_LEN);
	free(gs);
	*count = n;
	return *names ? 0 : -ENOMEM;
}

static int
find(const char *names, unsigned n, const char *feature)
{
	for (unsigned i = 0; i < n; i++)
		if (strncmp(names + (size_t)i * ETH_GSTRING_LEN, feature, ETH_GSTRING_LEN) == 0)
			return (int)i;
	return -1;
}

static bool
active(const struct ethtool_gfeatures *gf, int i)
{
	return gf->features[i / 32].active & (1u << (i % 32));
}

static bool
changeable(const struct ethtool_gfeatures *gf, int i)
{
	return gf->features[i / 32].available & (1u << (i % 32));
}

int
nic_offload_each(const char *ifname, unsigned mode, nic_offload_fn *fn, void *arg)
{
	struct ethtool_gfeatures *gf;
	bool veth = nic_is_veth(ifname);
	char *names;
	unsigned n;
	int bad = 0;

	if (features(ifname, &names, &gf, &n) < 0)
		return 0;	/* a device without ethtool features has none of these */
	for (size_t t = 0; t < NTABLE; t++) {
		int i = find(names, n, table[t].feature);

		if (i < 0 || !active(gf, i) || !breaks(&table[t], mode) ||
		    (veth && strcmp(table[t].feature, "rx-vlan-hw-parse") == 0))
			continue;
		bad++;
		fn(table[t].knob, table[t].why, arg);
	}
	free(names);
	free(gf);
	return bad;
}

struct check_msg {
	char *msg;
	size_t len, used;
	int n;
	char off[160];
};

static void
add_to_msg(const char *knob, const char *why, void *arg)
{
	struct check_msg *m = arg;

	m->used += (size_t)snprintf(m->msg + m->used, m->used < m->len ? m->len - m->used : 0,
	    "%s%s is on (%s)", m->n++ ? "; " : "", knob, why);
	snprintf(m->off + strlen(m->off), sizeof(m->off) - strlen(m->off), " %s off", knob);
}

int
nic_offload_check(const char *ifname, unsigned mode, char *msg, size_t len)
{
	struct check_msg m = { .msg = msg, .len = len };
	int bad;

	msg[0] = '\0';
	bad = nic_offload_each(ifname, mode, add_to_msg, &m);
	if (bad && m.used < len)
		snprintf(msg + m.used, len - m.used, "; fix: ethtool -K %s%s, or open with "
		    "@fix-offloads", ifname, m.off);
	return bad;
}

int
nic_driver(const char *ifname, char *out, size_t len)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	int r = ethtool_ioctl(ifname, &di);

	snprintf(out, len, "%s", r == 0 ? di.driver : "");
	return r;
}

/* sets feature @i to @on; 0 when the kernel now reports it so */
static int
set_feature(const char *ifname, const char *names, unsigned n, int i, bool on)
{
	unsigned blocks = (n + 31) / 32;
	struct ethtool_sfeatures *sf = calloc(1, sizeof(*sf) + blocks * sizeof(sf->features[0]));
	struct ethtool_gfeatures *gf;
	char *nn;
	unsigned m;
	int r;

	if (!sf)
		return -ENOMEM;
	sf->cmd = ETHTOOL_SFEATURES;
	sf->size = blocks;
	sf->features[i / 32].valid = 1u << (i % 32);
	sf->features[i / 32].requested = on ? 1u << (i % 32) : 0;
	r = ethtool_ioctl(ifname, sf);
	free(sf);
	if (r < 0)
		return r;
	if (features(ifname, &nn, &gf, &m) < 0)
		return -EIO;
	r = active(gf, i) == on ? 0 : -EOPNOTSUPP;
	free(nn);
	free(gf);
	(void)names;
	return r;
}

int
nic_offload_fix(const char *ifname, unsigned mode, struct nic_offloads *saved, char *msg,
    size_t len)
{
	struct ethtool_gfeatures *gf;
	char *names;
	unsigned n;
	int left = 0;

	saved->n = 0;
	msg[0] = '\0';
	if (features(ifname, &names, &gf, &n) < 0)
		return 0;
	for (size_t t = 0; t < NTABLE && saved->n < 16; t++) {
		int i = find(names, n, table[t].feature);

		if (i < 0 || !active(gf, i) || !breaks(&table[t], mode))
			continue;
		if (!changeable(gf, i) || set_feature(ifname, names, n, i, false) < 0) {
			left++;
			snprintf(msg + strlen(msg), len - strlen(msg), "%s%s cannot be turned off",
			    left > 1 ? "; " : "", table[t].feature);
			continue;
		}
		snprintf(saved->name[saved->n++], sizeof(saved->name[0]), "%s", table[t].feature);
		unm_info("%s: turned %s off (restored when the port closes)", ifname,
		    table[t].feature);
	}
	free(names);
	free(gf);
	return left;
}

void
nic_offload_restore(const char *ifname, const struct nic_offloads *saved)
{
	struct ethtool_gfeatures *gf;
	char *names;
	unsigned n;

	if (saved->n == 0 || features(ifname, &names, &gf, &n) < 0)
		return;
	for (int k = 0; k < saved->n; k++) {
		int i = find(names, n, saved->name[k]);

		if (i < 0 || set_feature(ifname, names, n, i, true) < 0)
			unm_warn("%s: cannot turn %s back on", ifname, saved->name[k]);
		else
			unm_info("%s: %s turned back on", ifname, saved->name[k]);
	}
	free(names);
	free(gf);
}

int
nic_offload_off(const char *ifname, const char *feature)
{
	struct ethtool_gfeatures *gf;
	char *names;
	unsigned n;
	int i, r;

	if (features(ifname, &names, &gf, &n) < 0)
		return -EIO;
	i = find(names, n, feature);
	r = i < 0 ? -ENOENT : !active(gf, i) ? 0 : set_feature(ifname, names, n, i, false);
	free(names);
	free(gf);
	return r;
}
