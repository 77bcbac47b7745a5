/*
 * hostif.c - a switch's own interface (valectl -n valeX / -r valeX), as a
 * Linux bridge has bridge0: a veth pair, "valeX" for the host and
 * "vp_valeX" attached to the switch as port valeX:valeX (attach.c).
 * Opening netmap:valeX then intercepts the switch (switch.c).
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/adapters/nic/nic.h"
#include "daemon/adapters/vale/vale.h"

/*
 * The switch end of switch @sw's own interface: "vp_vale0" (no name
 * starting with "vale": those are switch ports to the rest of the daemon)
 */
static void
hostif_peer(const char *sw, char *out, size_t len)
{
	snprintf(out, len, "vp_%s", sw);
}

/*
 * Does a live daemon hold interface @ifname?  Then the TAP of its host
 * rings is there (nic/tap.c names it "unmh<ifindex>-N"; it goes with the
 * daemon that made it).
 */
static bool
taken(const char *ifname)
{
	char tap[IF_NAMESIZE];

	snprintf(tap, sizeof(tap), "unmh%u-0", if_nametoindex(ifname) % 100000);
	return if_nametoindex(tap) != 0;
}

/*
 * The pairs this daemon made are written down in "<socket>.hostifs", one
 * "<netns inode> <switch>" per line, so that a daemon started on the same
 * socket after a crash (kill -9: nothing ran to remove them) finds and
 * removes what its predecessor left, in whichever namespace it is.  Only
 * pairs recorded there are touched: other daemons' are not ours to judge.
 */
#define MAX_RECORDS 256

static void
records_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s.hostifs", dcfg.socket_path);
}

/* the records, @ino/@sw added or removed; written back whole */
void
hostif_record(uint64_t ino, const char *sw, bool add)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], line[128], name[VALE_NAME_MAX + 1];
	unsigned long long i;
	FILE *in, *out;
	int n = 0;

	records_path(path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	out = fopen(tmp, "we");
	if (!out) {
		unm_warn("%s: cannot write %s: %s", sw, tmp, strerror(errno));
		return;
	}
	if ((in = fopen(path, "re"))) {
		while (fgets(line, sizeof(line), in) && n < MAX_RECORDS)
			if (sscanf(line, "%llu %16s", &i, name) == 2 &&
			    !(i == ino && strcmp(name, sw) == 0)) {
				fprintf(out, "%llu %s\n", i, name);
				n++;
			}
		fclose(in);
	}
	if (add)
		fprintf(out, "%llu %s\n", (unsigned long long)ino, sw);
	if (fclose(out) != 0 || rename(tmp, path) < 0)
		unm_warn("%s: cannot write %s: %s", sw, path, strerror(errno));
}

void
hostif_reap_stale(void)
{
	char path[PATH_MAX], line[128], sw[VALE_NAME_MAX + 1], peer[IF_NAMESIZE + 8];
	unsigned long long ino;
	FILE *in;

	records_path(path, sizeof(path));
	in = fopen(path, "re");
	if (!in)
		return;
	while (fgets(line, sizeof(line), in)) {
		int nsfd;

		if (sscanf(line, "%llu %16s", &ino, sw) != 2 || strlen(sw) + 3 >= IF_NAMESIZE)
			continue;
		hostif_peer(sw, peer, sizeof(peer));
		nsfd = netns_find(ino);
		if (nsfd < 0)
			continue;	/* the namespace went, and the pair with it */
		if (netns_enter(nsfd) == 0) {
			if (if_nametoindex(peer) && nic_is_veth(peer) && !taken(peer)) {
				unm_info("%s: removing %s and %s, left by an unetmapd that did not "
				    "stop", sw, sw, peer);
				nic_link_del(peer);	/* and its other end */
			}
			netns_leave();
		}
		close(nsfd);
	}
	fclose(in);
	unlink(path);
}

/*
 * Makes the veth pair @sw / @peer in namespace @nsfd, up, transmit
 * checksums done by the host's stack.  A pair left by a daemon that died
 * (our "vp_" end is there, a veth no daemon holds) is removed first; any
 * other interface of either name is the user's: EEXIST.
 */
static int
hostif_make(int nsfd, const char *sw, const char *peer, struct ctrl_err *e)
{
	int err, r;

	if (netns_enter(nsfd) < 0)
		return ctrl_fail(e, EIO, "%s: cannot enter the network namespace", sw);
	if (if_nametoindex(peer) && nic_is_veth(peer) && !taken(peer)) {
		unm_warn("%s: removing %s, left by an unetmapd that did not stop", sw, peer);
		nic_link_del(peer);	/* and its other end */
	}
	if (if_nametoindex(sw) || if_nametoindex(peer)) {
		err = ctrl_fail(e, EEXIST, "%s: an interface called %s exists already", sw,
		    if_nametoindex(sw) ? sw : peer);
		netns_leave();
		return err;
	}
	err = nic_veth_add(sw, peer, e);
	if (!err) {
		/*
		 * Frames the host sends go to other hosts through AF_XDP: nobody
		 * would finish a checksum left to the hardware.
		 */
		if ((r = nic_offload_off(sw, "tx-checksum-ip-generic")) < 0 && r != -ENOENT)
			unm_warn("%s: cannot turn transmit checksums off: %s", sw, strerror(-r));
		if (nic_link_up(sw) < 0 || nic_link_up(peer) < 0) {
			err = ctrl_fail(e, EIO, "%s: cannot bring %s and %s up", sw, sw, peer);
			nic_link_del(sw);
		}
	}
	netns_leave();
	return err;
}

int
attach_hostif(const struct ctrl_ctx *cx, const char *sw)
{
	const struct client *asker = cx->asker;
	const struct nmreq_register all = { .nr_mode = NR_REG_ALL_NIC };
	struct ctrl_err *e = cx->e;
	char peer[IF_NAMESIZE + 8];
	uint64_t ino;
	uint32_t idx;
	int nsfd, err;

	if (!dcfg.nic)
		return ctrl_fail(e, EOPNOTSUPP, "%s: this unetmapd takes no network interfaces "
		    "(--no-nic), so a switch cannot have one of its own", sw);
	if (strlen(sw) + 3 >= IF_NAMESIZE)
		return ctrl_fail(e, ENAMETOOLONG, "%s: a switch with an interface of its own has "
		    "a name of at most %d characters", sw, IF_NAMESIZE - 4);
	if (attach_hostif_port(sw, asker->netns))
		return ctrl_fail(e, EEXIST, "%s: the switch has its interface already", sw);
	hostif_peer(sw, peer, sizeof(peer));
	nsfd = netns_open(asker->pid, &ino);
	if (nsfd < 0)
		return ctrl_fail(e, EIO, "%s: cannot open the network namespace of pid %d", sw,
		    (int)asker->pid);
	err = hostif_make(nsfd, sw, peer, e);
	if (!err && (err = attach_iface(cx, sw, peer, sw, &all, ATTACH_HOSTIF, &idx)) != 0 &&
	    netns_enter(nsfd) == 0) {
		nic_link_del(sw);	/* refused before the attachment (which removes it) was made */
		netns_leave();
	}
	close(nsfd);
	if (!err) {
		hostif_record(ino, sw, true);
		unm_info("%s: the switch's own interface is %s (port %s:%s)", sw, sw, sw, sw);
	}
	return err;
}

int
attach_hostif_del(const struct ctrl_ctx *cx, const char *sw)
{
	struct port *p = attach_hostif_port(sw, cx->asker->netns);
	struct vport *v;

	if (!p)
		return -1;
	v = p->priv;
	if (v->sw && __atomic_load_n(&v->sw->shm->icpt_port, __ATOMIC_ACQUIRE))
		return ctrl_fail(cx->e, EBUSY, "%s: netmap:%s is open (an application "
		    "intercepts the switch's traffic); close it first", sw, sw);
	attach_undo_port(p);
	unm_info("%s: the switch's own interface removed", sw);
	return 0;
}
