/*
 * client.c - connections: accept with a credentials check, one request at
 * a time in, one reply out, and on hang-up (last close or crash of every
 * process holding the descriptor) the binding released.
 *
 * Who may use the daemon is decided when a descriptor is opened (root, or
 * the daemon's own user).  A connection from anyone else is a guest: it
 * may ask one thing on the authority of something opened by an allowed
 * user - a request about a netmap descriptor it holds (attached to the
 * message), or a data path's query carrying its binding's secret - and is
 * then hung up on.  So a program that opened its ports as root and then
 * dropped privileges keeps using them, as netmap's descriptors do.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "event.h"
#include "shared/identity.h"
#include "shared/proto.h"
#include "shared/req.h"
#include "unetmapd.h"

/* guests at once: beyond, refused at accept (each holds a daemon descriptor) */
#define MAX_GUESTS 32
/* a guest asks at once: one that said nothing for this long is hung up on */
#define GUEST_MS 2000

static struct client *clients;
static int nclients, nguests;
static struct ev_loop *loop;	/* for connections the daemon makes itself */
static int listen_fd = -1;
static int lives_fd = -1;	/* the lives file every client names itself on */
static bool accept_paused;	/* at the descriptor limit: the listening socket unwatched */
static uint8_t msgbuf[UNM_MSG_MAX];

int
clients_count(void)
{
	return nclients;
}

static void
client_close(struct ev_loop *l, struct client *c)
{
	ev_del(l, c->fd);
	if (c->b) {
		unm_debug("pid %d: descriptor for %s closed", (int)c->pid, c->b->port->name);
		binding_release(c->b);
	}
	close(c->fd);
	if (accept_paused && listen_fd >= 0 && ev_add(l, listen_fd, EPOLLIN, client_accept, NULL) == 0) {
		accept_paused = false;
		unm_info("a descriptor is free again: accepting clients");
	}
	for (struct client **pp = &clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	nclients--;
	nguests -= c->guest;
	free(c);
}

static void
send_reply(struct ev_loop *l, struct client *c, struct unm_msg *m, const void *payload,
    size_t len, const int *fds, unsigned nfds)
{
	int r = unm_msg_send(c->fd, m, payload, len, fds, nfds, MSG_DONTWAIT);

	/* a client that does not read its replies loses its connection */
	if (r < 0 && r != -EPIPE && r != -ECONNRESET)
		unm_warn("pid %d: cannot send a reply: %s", (int)c->pid, strerror(-r));
}

/* @c asked, on behalf of @t (itself, or the descriptor it attached) */
static void
handle_ctrl(struct ev_loop *l, struct client *c, struct client *t, size_t len, int ext_fd)
{
	struct ctrl_req rq = { .ext_fd = ext_fd, .pid = c->pid };
	struct ctrl_reply rp = { 0 };
	struct ctrl_err e = { "" };
	static uint8_t out[UNM_MSG_MAX];
	struct unm_msg rm;
	size_t olen = 0;
	int err;

	err = ctrl_unpack(msgbuf, len, &rq, &e);
	if (!err) {
		/*
		 * A guest acts on the authority of the descriptor it attached:
		 * with its opener's rights (uid, group, capabilities), not more
		 */
		struct ctrl_ctx cx = { .asker = c->guest ? t : c, .target = t, .rq = &rq, .rp = &rp,
		    .e = &e };

		err = ctrl_handle(&cx);
	}
	unm_msg_init(&rm, UNM_OP_CTRL);
	rm.error = err;
	/* on success, a message is a warning (an offload that will bite...) */
	snprintf(rm.errmsg, sizeof(rm.errmsg), "%s", e.msg);
	if (err) {
		unm_debug("pid %d: %s: %s", (int)c->pid, unm_req_name(rq.hdr.nr_reqtype), e.msg);
		free(rp.bind);
		rp.bind = NULL;
		rp.nfds = 0;
	}
	if (rq.opts || err == 0) {
		/* a reply carries statuses and bodies back even when it failed */
		olen = ctrl_pack(out, sizeof(out) - sizeof(rm), &rq, &rp);
	}
	send_reply(l, c, &rm, out, olen, rp.fds, rp.nfds);
	free(rp.bind);
	ctrl_req_free(&rq);
	if (ext_fd >= 0)
		close(ext_fd);	/* a region made of it keeps a copy */
}

/* a data path's question to its kind's control half (UNM_OP_QUERY) */
static void
handle_query(struct ev_loop *l, struct client *c, const struct client *asker, size_t len)
{
	struct unm_query q;
	struct ctrl_reply rp = { 0 };
	struct ctrl_err e = { "" };
	struct ctrl_ctx cx = { .asker = asker, .rp = &rp, .e = &e };
	const struct port_ops *ops;
	struct unm_msg rm;
	int err;

	memset(&q, 0, sizeof(q));
	memcpy(&q, msgbuf, len < sizeof(q) ? len : sizeof(q));
	q.name[sizeof(q.name) - 1] = '\0';
	ops = port_ops_for_query(q.type);
	if (len != sizeof(q) || !ops)
		err = ctrl_fail(&e, EINVAL, "no port kind answers query %u", q.type);
	else
		err = ops->query(&cx, &q);
	unm_msg_init(&rm, UNM_OP_QUERY);
	rm.error = err;
	snprintf(rm.errmsg, sizeof(rm.errmsg), "%s", e.msg);
	send_reply(l, c, &rm, rp.data, err ? 0 : rp.data_size, rp.fds, err ? 0 : rp.nfds);
	free(rp.data);
}

static void
handle_adopt(struct ev_loop *l, struct client *c, struct client *t)
{
	struct ctrl_reply rp = { 0 };
	struct ctrl_err e = { "" };
	struct unm_msg rm;
	int err = ctrl_adopt(t, &rp, &e);

	unm_msg_init(&rm, UNM_OP_ADOPT);
	rm.error = err;
	snprintf(rm.errmsg, sizeof(rm.errmsg), "%s", e.msg);
	send_reply(l, c, &rm, rp.bind, err ? 0 : rp.bind_size, rp.fds, err ? 0 : rp.nfds);
	free(rp.bind);
}

/* the connection whose client end @fd is a copy of */
static struct client *
by_descriptor(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return NULL;
	for (struct client *c = clients; c; c = c->next)
		if (c->peer_ino && c->peer_ino == (uint64_t)st.st_ino)
			return c;
	return NULL;
}

/* why @uid may not use the daemon, as the answer to its first message */
static void
refusal(struct unm_msg *m, uid_t uid)
{
	unm_msg_init(m, UNM_OP_HELLO);
	m->error = EACCES;
	snprintf(m->errmsg, sizeof(m->errmsg), "unetmapd (uid %d) refuses uid %d: only root, "
	    "its own user and members of group netmap may open ports", (int)geteuid(), (int)uid);
}

/* the connection whose binding has the secret @cap (compared in constant time) */
static struct client *
by_cap(const uint8_t *cap)
{
	struct client *found = NULL;

	for (struct client *c = clients; c; c = c->next) {
		uint8_t d = 0;

		if (!c->b || c->guest)
			continue;
		for (unsigned i = 0; i < UNM_CAP_BYTES; i++)
			d |= c->b->cap[i] ^ cap[i];
		if (!d)
			found = c;
	}
	return found;
}

/*
 * May guest @c ask @m (with @t the descriptor it attached, if any)?  The
 * query's answer is then given as to the binding's owner (*asker).
 */
static bool
guest_may(const struct unm_msg *m, size_t len, struct client *t, struct client **asker)
{
	struct unm_query q;

	if ((m->op == UNM_OP_CTRL || m->op == UNM_OP_ADOPT) && t && !t->guest)
		return true;
	if (m->op != UNM_OP_QUERY || len != sizeof(q))
		return false;
	memcpy(&q, msgbuf, sizeof(q));
	*asker = by_cap(q.cap);
	return *asker != NULL;
}

static void
client_event(struct ev_loop *l, int fd, uint32_t events, void *arg)
{
	struct client *c = arg, *t, *asker;
	struct unm_msg m;
	int fds[UNM_FDS_PER_MSG], ext_fd = -1;
	unsigned nfds = 0;
	size_t len = 0;
	int r;

	if (!(events & EPOLLIN)) {
		client_close(l, c);
		return;
	}
	/*
	 * a request carries one descriptor (two with external memory) at
	 * most: no follow-up is ever waited for
	 */
	r = unm_msg_recv(fd, &m, msgbuf, sizeof(msgbuf), &len, fds, UNM_FDS_PER_MSG,
	    &nfds, MSG_DONTWAIT, 0);
	/*
	 * A request may come with a netmap descriptor attached: it is about
	 * that descriptor's binding, asked on a connection of its own (several
	 * processes may share one descriptor, but not its replies).
	 */
	t = c;
	if (r == 0 && nfds >= 1) {
		t = by_descriptor(fds[0]);
		if (!t) {
			struct unm_msg rm;

			unm_msg_init(&rm, m.op);
			rm.error = EBADF;
			snprintf(rm.errmsg, sizeof(rm.errmsg), "the descriptor is not a netmap "
			    "descriptor of this daemon");
			send_reply(l, c, &rm, NULL, 0, NULL, 0);
			unm_close_fds(fds, nfds);
			if (c->guest)
				client_close(l, c);	/* one question each */
			return;
		}
	}
	/* a REGISTER with external memory brings the memory's object too */
	if (r == 0 && nfds == 2 && m.op == UNM_OP_CTRL) {
		ext_fd = fds[1];
		fds[1] = -1;
	}
	unm_close_fds(fds, nfds);
	if (r == 0 && nfds > 1 && ext_fd < 0)
		r = -EPROTO;
	if (r == -EAGAIN)
		return;
	if (r == -ECONNRESET) {
		client_close(l, c);
		return;
	}
	if (r == -EPROTONOSUPPORT) {
		struct unm_msg rm;

		/* tell it who we are before hanging up: it prints the versions */
		unm_msg_init(&rm, m.op);
		rm.error = EPROTONOSUPPORT;
		send_reply(l, c, &rm, NULL, 0, NULL, 0);
		unm_warn("pid %d speaks protocol version %u, we %u: refused", (int)c->pid,
		    m.version, UNM_PROTO_VERSION);
		client_close(l, c);
		return;
	}
	if (r < 0) {
		struct unm_msg rm;

		/* say so before hanging up: a client waiting for an answer gets one */
		unm_msg_init(&rm, m.magic == UNM_PROTO_MAGIC ? m.op : 0);
		rm.error = EPROTO;
		snprintf(rm.errmsg, sizeof(rm.errmsg), "malformed message (%s)", strerror(-r));
		send_reply(l, c, &rm, NULL, 0, NULL, 0);
		unm_ratelimited(5, "pid %d: malformed message (%s), dropping the connection",
		    (int)c->pid, strerror(-r));
		client_close(l, c);
		return;
	}
	asker = c;
	if (c->guest && !guest_may(&m, len, t, &asker)) {
		struct unm_msg rm;

		refusal(&rm, c->uid);
		rm.op = m.op;
		send_reply(l, c, &rm, NULL, 0, NULL, 0);
		unm_ratelimited(5, "refused pid %d: %s", (int)c->pid, rm.errmsg);
		if (ext_fd >= 0)
			close(ext_fd);
		client_close(l, c);
		return;
	}
	switch (m.op) {
	case UNM_OP_CTRL:
		handle_ctrl(l, c, t, len, ext_fd);
		ext_fd = -1;	/* closed there */
		break;
	case UNM_OP_ADOPT:
		handle_adopt(l, c, t);
		break;
	case UNM_OP_QUERY:
		handle_query(l, c, asker, len);
		break;
	case UNM_OP_HELLO: {
		struct unm_msg rm;

		/* go ahead, with the lives file its locks name it on (shared/identity.h) */
		unm_msg_init(&rm, UNM_OP_HELLO);
		send_reply(l, c, &rm, NULL, 0, &lives_fd, lives_fd >= 0);
		break;
	}
	default:
		unm_warn("pid %d: unknown operation %u, dropping the connection",
		    (int)c->pid, m.op);
		client_close(l, c);
		return;
	}
	if (c->guest)
		client_close(l, c);	/* one question each */
}

/* the inode of @pid's network namespace (0 if it cannot be read) */
static uint64_t
netns_of(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* root, and the daemon's own user, may use it without limits */
static bool
allowed(const struct ucred *cr)
{
	return cr->uid == 0 || cr->uid == geteuid();
}

/*
 * Members of group "netmap" may use it too, as /dev/netmap's group
 * permissions allow in netmap: SO_PEERGROUPS gives the peer's
 * supplementary groups as they were when it connected.
 */
static bool
in_netmap_group(int fd, const struct ucred *cr)
{
	struct group *g = getgrnam("netmap");
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (!g)
		return false;
	if (cr->gid == g->gr_gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == g->gr_gid)
			return true;
	return false;
}

/*
 * CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF (or CAP_SYS_ADMIN) in @pid's
 * effective set - which counts only in the daemon's own user namespace:
 * a process in one of its own (unshare -U -r) has every capability there
 * and none over the host's interfaces.
 */
static bool
has_net_caps(pid_t pid)
{
	char path[64], line[128];
	unsigned long long eff = 0;
	struct stat mine, theirs;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (stat("/proc/self/ns/user", &mine) < 0 || stat(path, &theirs) < 0 ||
	    mine.st_ino != theirs.st_ino || mine.st_dev != theirs.st_dev)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &eff) == 1;
	fclose(f);
	return found && (eff & (1ull << CAP_NET_ADMIN)) && (eff & (1ull << CAP_NET_RAW)) &&
	    (eff & (1ull << 39 /* CAP_BPF, Linux 5.8 */) || eff & (1ull << CAP_SYS_ADMIN));
}

bool
client_may_take_interfaces(const struct client *c)
{
	return !c->member || c->net_caps;
}

bool
client_may_see(const struct client *c, const struct region *r)
{
	return !c || !c->member || c->net_caps || (r->priv && r->owned && r->owner == c->uid);
}

int
client_may_map(const struct client *c, const char *name, struct region *r, struct ctrl_err *e)
{
	bool limited = c->member && !c->net_caps;

	if (limited && !r->priv)
		return ctrl_fail(e, EPERM, "%s: lives in memory region %u, where the network "
		    "interfaces' frames are: a member of group netmap needs CAP_NET_ADMIN and "
		    "CAP_NET_RAW for it (open pipes on no interface, or VALE ports)", name, r->id);
	if (r->priv && !r->owned) {
		r->owned = true;	/* its first user's: root's ports stay root's */
		r->owner = c->uid;
	} else if (limited && r->priv && r->owner != c->uid) {
		return ctrl_fail(e, EPERM, "%s: its memory (region %u) belongs to uid %d: a member "
		    "of group netmap shares memory only with its own ports", name, r->id,
		    (int)r->owner);
	}
	return 0;
}


void
client_accept(struct ev_loop *l, int lfd, uint32_t events, void *arg)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cr = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
		socklen_t cl = sizeof(cr);
		struct client *c;

		if (fd < 0) {
			/*
			 * Out of descriptors, the connection stays pending and the
			 * socket readable: stop watching it (or the loop spins on
			 * it) until a client leaves, and say so once.
			 */
			if ((errno == EMFILE || errno == ENFILE) && !accept_paused) {
				ev_del(l, lfd);
				accept_paused = true;
				unm_warn("out of descriptors (%s): no new client is accepted until one "
				    "leaves (raise unetmapd's limit: LimitNOFILE=, ulimit -n)",
				    strerror(errno));
			}
			return;
		}
		bool ok = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0;
		bool member = ok && !allowed(&cr) && in_netmap_group(fd, &cr);

		if (!ok || (!allowed(&cr) && !member && nguests >= MAX_GUESTS)) {
			struct unm_msg m;

			/* say why before hanging up: the client reads it as its HELLO reply */
			refusal(&m, cr.uid);
			unm_msg_send(fd, &m, NULL, 0, NULL, 0, MSG_DONTWAIT);
			/* any local user can knock: the log does not grow with it */
			unm_ratelimited(5, "refused pid %d: %s", (int)cr.pid, m.errmsg);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c || ev_add(l, fd, EPOLLIN | EPOLLRDHUP, client_event, c) < 0) {
			unm_err("cannot serve pid %d: out of memory", (int)cr.pid);
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->uid = cr.uid;
		c->since_ms = ev_now_ms();
		c->member = member;
		c->net_caps = member && has_net_caps(cr.pid);
		c->guest = !allowed(&cr) && !member;
		nguests += c->guest;
		c->pid = cr.pid;
		if (unix_peer_inode(fd, &c->peer_ino) < 0 &&
		    unix_peer_inode_ns(fd, cr.pid, &c->peer_ino) < 0)
			c->peer_ino = 0;	/* only requests on the connection itself, then */
		c->netns = netns_of(cr.pid);
		c->next = clients;
		clients = c;
		nclients++;
	}
}

void
clients_tick(void)
{
	uint64_t now = ev_now_ms();

	for (struct client *c = clients, *next; c; c = next) {
		next = c->next;
		if (c->guest && now - c->since_ms > GUEST_MS) {
			unm_ratelimited(5, "pid %d (uid %d): a guest connection silent for %d ms, "
			    "hung up on", (int)c->pid, (int)c->uid, GUEST_MS);
			client_close(loop, c);
		}
	}
}

int
client_pids_of(const struct port *p, pid_t *pids, int max)
{
	int n = 0;

	for (struct client *c = clients; c; c = c->next)
		if (c->b && c->b->port == p && !c->internal) {
			if (n < max)
				pids[n] = c->pid;
			n++;
		}
	return n;
}

void
clients_init(struct ev_loop *l, int lfd)
{
	loop = l;
	listen_fd = lfd;
	if (lives_fd < 0 && (lives_fd = unm_id_create()) < 0)
		unm_warn("no lives file (%s): lock holders are named by pid, right within one "
		    "pid namespace only", strerror(-lives_fd));
}

/*
 * A netmap descriptor the daemon opens for itself (attached interfaces:
 * adapters/vale/attach.c registers ports on it and hands it to a worker process).  It is
 * an ordinary connection to our own socket - so a worker's library takes
 * it over like any inherited descriptor - accepted here at once.  Other
 * connections accepted on the way are served as usual.
 */
struct client *
client_internal_new(uint64_t netns, int *app_fd, struct ctrl_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct client *mine = NULL;
	struct stat st;
	int fd;

	if (listen_fd < 0)
		return ctrl_fail(e, EIO, "internal descriptor: no listening socket"), NULL;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", dcfg.socket_path);
	/* non-blocking: with the backlog full, nobody but us would ever accept it */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || fstat(fd, &st) < 0 ||
	    fcntl(fd, F_SETFL, 0) < 0) {
		ctrl_fail(e, errno, "cannot connect to our own socket %s: %s", sa.sun_path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	client_accept(loop, listen_fd, EPOLLIN, NULL);
	for (struct client *c = clients; c; c = c->next)
		if (c->peer_ino == (uint64_t)st.st_ino)
			mine = c;
	if (!mine) {
		close(fd);
		ctrl_fail(e, EIO, "our own connection was not accepted (too many clients?)");
		return NULL;
	}
	mine->internal = true;
	mine->netns = netns;
	*app_fd = fd;
	return mine;
}

void
client_internal_free(struct client *c)
{
	client_close(loop, c);
}

