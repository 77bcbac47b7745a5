/*
 * fd_pass.c - a registered netmap descriptor handed to another process
 * over a UNIX socket (SCM_RIGHTS), as programs that split control and
 * data between processes do: the receiver maps it with the size and
 * offset it was told, and reads what the sender's peer sends, while the
 * process that opened it has closed its own copy.  Also: a descriptor
 * inherited across fork() is the same binding in the child; one kept
 * across exec() is still a netmap descriptor in the new program, and
 * O_CLOEXEC closes it.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "../lib/nmraw.h"
#include "../lib/tap.h"

static char name_m[64], name_s[64];

static void
names(const char *tag)
{
	snprintf(name_m, sizeof(name_m), "%s%d{7", tag, (int)getpid());
	snprintf(name_s, sizeof(name_s), "%s%d}7", tag, (int)getpid());
}

static int
send_fd(int sock, int fd, const void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
		.msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) < 0 ? -1 : 0;
}

static int
recv_fd(int sock, void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
		.msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(sock, &mh, 0) <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

struct passinfo {
	uint64_t memsize;
	uint64_t offset;
};

/* the child: gets a registered netmap descriptor, maps it, reads 100 frames */
static int
passed_child(int sock)
{
	struct passinfo pi;
	struct netmap_ring *ring;
	struct netmap_if *nifp;
	int fd = recv_fd(sock, &pi, sizeof(pi)), got = 0;
	char *mem;

	if (fd < 0)
		return 1;
	mem = mmap(NULL, pi.memsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		return 2;
	nifp = NETMAP_IF(mem, pi.offset);
	ring = NETMAP_RXRING(nifp, 0);
	if (write(sock, "r", 1) != 1)	/* ready */
		return 3;
	while (got < 100) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 5000) <= 0)
			return 4;
		for (; !nm_ring_empty(ring); ring->head = ring->cur = nm_ring_next(ring, ring->head)) {
			struct netmap_slot *s = &ring->slot[ring->head];

			if (s->len != 100 || NETMAP_BUF(ring, s->buf_idx)[0] != (char)got)
				return 5;
			got++;
		}
	}
	ioctl(fd, NIOCRXSYNC, NULL);
	return 0;
}

static void
test_fd_passing(void)
{
	struct rawport m, s;
	struct passinfo pi;
	int sv[2], st;
	char c;
	pid_t pid;

	names("fdp");
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(passed_child(sv[1]));
	}
	close(sv[1]);
	tap_ok(raw_open(&m, name_m, NR_REG_ALL_NIC, 0, 0) == 0, "open the master end to pass it");
	pi.memsize = m.reg.nr_memsize;
	pi.offset = m.reg.nr_offset;
	tap_ok(send_fd(sv[0], m.fd, &pi, sizeof(pi)) == 0, "send the descriptor over a UNIX socket");
	raw_close(&m);	/* only the child holds it now */
	tap_ok(read(sv[0], &c, 1) == 1, "the child mapped the received descriptor");
	tap_ok(raw_open(&s, name_s, NR_REG_ALL_NIC, 0, 0) == 0,
	    "the slave end opens while only the other process holds the master");
	for (int i = 0; i < 100;) {
		struct netmap_ring *r = NETMAP_TXRING(s.nifp, 0);
		struct pollfd p = { .fd = s.fd, .events = POLLOUT };

		while (i < 100 && raw_put(r, 100, i) == 0)
			i++;
		if (poll(&p, 1, 2000) < 0)
			break;
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "100 frames reach the process that received the descriptor (exit %d)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	raw_close(&s);
	close(sv[0]);
}

/* sends @n frames of 100 bytes numbered from 0 on the tx ring of @fd */
static int
send_frames(int fd, struct netmap_if *nifp, int n)
{
	struct netmap_ring *r = NETMAP_TXRING(nifp, 0);

	for (int i = 0; i < n;) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		while (i < n && raw_put(r, 100, i) == 0)
			i++;
		if (poll(&p, 1, 2000) < 0)
			return -1;
	}
	return 0;
}

/* receives @n frames numbered from 0; 0 when they all came in order */
static int
recv_frames(int fd, struct netmap_if *nifp, int n)
{
	struct netmap_ring *ring = NETMAP_RXRING(nifp, 0);
	int got = 0;

	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 5000) <= 0)
			return 1;
		for (; !nm_ring_empty(ring); ring->head = ring->cur = nm_ring_next(ring, ring->head)) {
			struct netmap_slot *s = &ring->slot[ring->head];

			if (s->len != 100 || NETMAP_BUF(ring, s->buf_idx)[0] != (char)got)
				return 2;
			got++;
		}
	}
	ioctl(fd, NIOCRXSYNC, NULL);
	return 0;
}

static void
test_fork(void)
{
	struct rawport m, s;
	int st;
	pid_t pid;

	names("fk");
	tap_ok(raw_open(&m, name_m, NR_REG_ALL_NIC, 0, 0) == 0 &&
	    raw_open(&s, name_s, NR_REG_ALL_NIC, 0, 0) == 0, "open both ends, then fork");
	pid = fork();
	if (pid == 0)
		_exit(send_frames(m.fd, m.nifp, 100) ? 1 : 0);
	tap_ok(recv_frames(s.fd, s.nifp, 100) == 0, "the child sends on the descriptor it inherited");
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "and exits cleanly");
	tap_ok(send_frames(m.fd, m.nifp, 10) == 0 && recv_frames(s.fd, s.nifp, 10) == 0,
	    "the parent's copy still works after the child has gone");
	raw_close(&m);
	raw_close(&s);
}

/* the program after exec(): fd, memsize and offset are on its command line */
static int
exec_child(char **argv)
{
	int fd = atoi(argv[2]);
	size_t memsize = strtoull(argv[3], NULL, 10);
	size_t offset = strtoull(argv[4], NULL, 10);
	char *mem;

	if (strcmp(argv[5], "closed") == 0)
		return fcntl(fd, F_GETFD) < 0 && errno == EBADF ? 0 : 10;
	mem = mmap(NULL, memsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		return 11;
	return send_frames(fd, NETMAP_IF(mem, offset), 50) ? 12 : 0;
}

static void
test_exec(const char *self)
{
	struct rawport m, s;
	char a[3][32];
	int st;
	pid_t pid;

	names("ex");
	tap_ok(raw_open(&m, name_m, NR_REG_ALL_NIC, 0, 0) == 0 &&
	    raw_open(&s, name_s, NR_REG_ALL_NIC, 0, 0) == 0, "open both ends before exec()");
	snprintf(a[0], sizeof(a[0]), "%d", m.fd);
	snprintf(a[1], sizeof(a[1]), "%llu", (unsigned long long)m.reg.nr_memsize);
	snprintf(a[2], sizeof(a[2]), "%llu", (unsigned long long)m.reg.nr_offset);
	pid = fork();
	if (pid == 0) {
		execl(self, self, "--exec-child", a[0], a[1], a[2], "open", (char *)NULL);
		_exit(99);
	}
	tap_ok(recv_frames(s.fd, s.nifp, 50) == 0, "a new program keeps using a descriptor kept across exec()");
	waitpid(pid, &st, 0);
	TAP_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0, "and exits cleanly");
	raw_close(&m);
	raw_close(&s);

	m.fd = open("/dev/netmap", O_RDWR | O_CLOEXEC);
	snprintf(a[0], sizeof(a[0]), "%d", m.fd);
	pid = fork();
	if (pid == 0) {
		execl(self, self, "--exec-child", a[0], "0", "0", "closed", (char *)NULL);
		_exit(99);
	}
	waitpid(pid, &st, 0);
	TAP_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0, "O_CLOEXEC: the descriptor is closed in the new program");
	close(m.fd);
}

static volatile int stop_busy;

/* keeps the library's locks busy: control requests on a shared descriptor */
static void *
busy(void *arg)
{
	struct rawport *p = arg;

	while (!stop_busy) {
		struct nmreq_port_info_get pi = { 0 };

		raw_ctrl(p->fd, NETMAP_REQ_PORT_INFO_GET, name_m, &pi, NULL);
	}
	return NULL;
}

__attribute__((unused)) static void
test_fork_threads(void)
{
	struct rawport m;
	pthread_t t;
	int bad = 0;

	names("ft");
	if (raw_open(&m, name_m, NR_REG_ALL_NIC, 0, 0))
		return;
	pthread_create(&t, NULL, busy, &m);
	for (int i = 0; i < 30; i++) {
		int st;
		pid_t pid = fork();

		if (pid == 0) {
			/* the child has one thread: whatever the other held must be free */
			struct rawport c;
			struct nmreq_port_info_get pi = { 0 };

			alarm(10);
			_exit(raw_ctrl(m.fd, NETMAP_REQ_PORT_INFO_GET, name_m, &pi, NULL) == 0 &&
			    raw_open(&c, name_s, NR_REG_ALL_NIC, 0, 0) == 0 ? 0 : 1);
		}
		waitpid(pid, &st, 0);
		bad += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	stop_busy = 1;
	pthread_join(t, NULL);
	TAP_EQ(bad, 0, "30 forks while another thread makes requests: every child can use the library");
	raw_close(&m);
}

int
main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "--exec-child") == 0)
		return exec_child(argv);
	alarm(60);
	test_fd_passing();
	test_fork();
	test_exec("/proc/self/exe");
#ifdef __SANITIZE_ADDRESS__
	/*
	 * Not under ASan: its allocator (GCC 12's) is not fork-safe, so a
	 * child forked while another thread allocates can hang in malloc,
	 * whatever the library does.
	 */
	tap_diag("fork with threads: skipped under AddressSanitizer (its malloc is not fork-safe)");
#else
	test_fork_threads();
#endif
	return tap_done();
}
