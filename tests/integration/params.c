/*
 * params.c - netmap's parameters, as netmap applies them: a port opened
 * after priv_buf_size=4096 carries 4000-byte frames in one slot; buf_num
 * raised shows in POOLS_INFO_GET; the global region keeps its geometry
 * while a port uses it and takes the new one when made again; bad values
 * are refused naming what is allowed; the config file and --param set
 * them at start, and a bad line stops the daemon naming the file and line.
 * Runs daemons of its own.  A netmap program (netmap's headers and libc).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "../lib/nmraw.h"
#include "../lib/clock.h"
#include "../lib/tap.h"
#include "unetmap.h"

static char dir[] = "/tmp/params.XXXXXX", sock[128];
static pid_t dpid;

static int
param(const char *name, const char *set, uint32_t *value)
{
	struct nmreq_unetmap_param p;
	int r;

	memset(&p, 0, sizeof(p));
	snprintf(p.nr_param, sizeof(p.nr_param), "%s", name);
	if (set) {
		snprintf(p.nr_newval, sizeof(p.nr_newval), "%s", set);
		p.nr_set = 1;
	}
	r = raw_ctl(NETMAP_REQ_UNETMAP_PARAM, "", &p);
	if (!r && value)
		*value = p.nr_value;
	return r;
}

/* the global region's buffers: how many, how big (POOLS_INFO_GET of a pipe on lo, which lives there) */
static int
pools(uint32_t *num, uint32_t *size)
{
	struct nmreq_pools_info pi;
	int r;

	memset(&pi, 0, sizeof(pi));
	pi.nr_mem_id = 1;
	r = raw_ctl(NETMAP_REQ_POOLS_INFO_GET, "lo{9", &pi);
	*num = pi.nr_buf_pool_objtotal;
	*size = pi.nr_buf_pool_objsize;
	return r;
}

/* a daemon with @args on our socket; its pid, waited for until it serves (or exits) */
static pid_t
daemon_start(const char *conf, const char *p1)
{
	const char *bin = getenv("UNETMAP_DAEMON");
	pid_t d = fork();

	if (d == 0) {
		char logf[160];

		snprintf(logf, sizeof(logf), "%s/d.log", dir);
		unsetenv("LD_PRELOAD");
		execl(bin, bin, "-f", "-v", "--no-nic", "-s", sock, "-l", logf, "--config", conf,
		    p1 ? "--param" : (char *)NULL, p1, (char *)NULL);
		_exit(127);
	}
	return daemon_ready(sock, d) ? d : -1;
}

static void
daemon_stop(void)
{
	if (dpid > 0) {
		kill(dpid, SIGTERM);
		waitpid(dpid, NULL, 0);
	}
	dpid = 0;
	unlink(sock);
}

static bool
log_has(const char *what)
{
	char path[160], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/d.log", dir);
	if (!(f = fopen(path, "r")))
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

static void
big_frames(void)
{
	struct rawport m, s;
	uint32_t v = 0;

	tap_ok(param("priv_buf_size", "4096", &v) == 0 && v == 4096, "priv_buf_size=4096 is taken");
	if (raw_open(&m, "pbig{1", NR_REG_ALL_NIC, 0, 0) || raw_open(&s, "pbig}1", NR_REG_ALL_NIC, 0, 0)) {
		tap_ok(0, "a pipe opened after it");
		return;
	}
	TAP_EQ(NETMAP_TXRING(m.nifp, 0)->nr_buf_size, 4096, "a pipe opened after it has 4096-byte buffers");
	raw_put(NETMAP_TXRING(m.nifp, 0), 4000, 0x77);
	ioctl(m.fd, NIOCTXSYNC, NULL);
	ioctl(s.fd, NIOCRXSYNC, NULL);
	{
		struct netmap_ring *rx = NETMAP_RXRING(s.nifp, 0);
		struct netmap_slot *sl = &rx->slot[rx->head];
		const unsigned char *b = (unsigned char *)NETMAP_BUF(rx, sl->buf_idx);

		tap_ok(nm_ring_space(rx) == 1 && sl->len == 4000 && !(sl->flags & NS_MOREFRAG) &&
		    b[0] == 0x77 && b[3999] == 0x77, "a 4000-byte frame crosses it in one slot "
		    "(%u slots, len %u)", nm_ring_space(rx), sl->len);
	}
	raw_close(&m);
	raw_close(&s);
	param("priv_buf_size", "2048", NULL);
}

static void
global_region(void)
{
	struct rawport a, b;
	uint32_t num = 0, size = 0;

	tap_ok(param("buf_num", "200000", NULL) == 0 && pools(&num, &size) == 0 && num == 200000,
	    "buf_num=200000 shows in POOLS_INFO_GET (%u buffers)", num);
	if (raw_open(&a, "lo{5", NR_REG_ALL_NIC, 0, 0)) {
		tap_ok(0, "a pipe on lo (the global region)");
		return;
	}
	TAP_EQ(a.reg.nr_mem_id, 1, "a pipe on an interface lives in the global region");
	tap_ok(param("buf_size", "4096", NULL) == 0, "buf_size=4096 while it is in use: accepted");
	tap_ok(pools(&num, &size) == 0 && size == 2048, "but the region in use keeps its "
	    "geometry (%u-byte buffers)", size);
	if (raw_open(&b, "lo{6", NR_REG_ALL_NIC, 0, 0) == 0) {
		TAP_EQ(NETMAP_TXRING(b.nifp, 0)->nr_buf_size, 2048, "a port joining it meanwhile "
		    "gets its buffers");
		raw_close(&b);
	}
	raw_close(&a);
	usleep(100000);		/* the daemon sees the close */
	if (raw_open(&b, "lo{7", NR_REG_ALL_NIC, 0, 0) == 0 &&
	    raw_open(&a, "lo}7", NR_REG_ALL_NIC, 0, 0) == 0) {
		struct netmap_ring *rx = NETMAP_RXRING(a.nifp, 0);

		TAP_EQ(NETMAP_TXRING(b.nifp, 0)->nr_buf_size, 4096, "once unused, it is made again "
		    "with the new buf_size");
		raw_put(NETMAP_TXRING(b.nifp, 0), 4000, 0x66);
		ioctl(b.fd, NIOCTXSYNC, NULL);
		ioctl(a.fd, NIOCRXSYNC, NULL);
		tap_ok(nm_ring_space(rx) == 1 && rx->slot[rx->head].len == 4000 &&
		    !(rx->slot[rx->head].flags & NS_MOREFRAG), "and a port opened after "
		    "buf_size=4096 carries a 4000-byte frame in one slot");
		raw_close(&a);
		raw_close(&b);
	} else {
		tap_ok(0, "a pipe on lo after the region was freed");
	}
	param("buf_size", "2048", NULL);
}

static void
bad_values(void)
{
	uint32_t v = 0;

	TAP_EQ(param("buf_size", "100", NULL), -EINVAL, "buf_size=100 (not a multiple of 64): EINVAL");
	TAP_EQ(param("buf_size", "131072", NULL), -EINVAL, "buf_size=131072 (above 65536): EINVAL");
	TAP_EQ(param("ring_num", "1", NULL), -EINVAL, "ring_num=1 (below netmap's 2): EINVAL");
	TAP_EQ(param("buf_num", "12x", NULL), -EINVAL, "buf_num=12x (not a number): EINVAL");
	TAP_EQ(param("nosuch", NULL, NULL), -ENOENT, "an unknown parameter: ENOENT");
	tap_ok(param("buf_size", NULL, &v) == 0 && v == 2048, "refused values left it as it was");
	tap_ok(log_has("buf_size=100: allowed are 64 to 65536 in multiples of 64"),
	    "the refusal says what is allowed");
	TAP_EQ(param("generic_ringsize", "32", NULL), -EINVAL, "generic_ringsize=32 (below 64): EINVAL");
	TAP_EQ(param("generic_ringsize", "4096", NULL), -EINVAL,
	    "generic_ringsize=4096 with the default ring_size: EINVAL");
	tap_ok(log_has("raise ring_size to at least"), "saying which parameter to raise first");
	tap_ok(param("generic_ringsize", "2048", &v) == 0 && v == 2048, "generic_ringsize=2048 fits");
	TAP_EQ(param("ring_size", "16384", NULL), -EINVAL,
	    "ring_size too small for generic_ringsize's rings: EINVAL");
	tap_ok(param("generic_ringsize", "1024", &v) == 0 && v == 1024, "generic_ringsize back to 1024");
	TAP_EQ(param("generic_rings", NULL, NULL), -ENOENT, "generic_rings: ENOENT");
	tap_ok(log_has("generic_rings: not a parameter here: netmap on Linux"),
	    "saying why it means nothing on Linux");
	tap_ok(param("admode", "emulated", &v) == 0 && v == 3, "admode by name (emulated = 3)");
	tap_ok(param("dev.netmap.admode", "0", &v) == 0 && v == 0, "and by FreeBSD's sysctl name");
}

int
main(void)
{
	char conf[160];
	uint32_t v = 0;
	FILE *f;

	alarm(60);
	if (!getenv("UNETMAP_DAEMON") || !mkdtemp(dir)) {
		tap_ok(0, "UNETMAP_DAEMON set (as tests/run does)");
		return tap_done();
	}
	snprintf(sock, sizeof(sock), "%s/d.sock", dir);
	snprintf(conf, sizeof(conf), "%s/unetmapd.conf", dir);
	setenv("UNETMAP_SOCKET", sock, 1);
	setenv("UNETMAP_NO_AUTOSTART", "1", 1);
	setenv("UNETMAP_LOG", "quiet", 1);
	f = fopen(conf, "w");
	fprintf(f, "# parameters\nbuf_num = 170000\n\nif_num=120   # trailing comment\n");
	fclose(f);

	dpid = daemon_start(conf, "ring_num=300");
	tap_ok(dpid > 0, "a daemon starts with a config file and --param");
	tap_ok(param("buf_num", NULL, &v) == 0 && v == 170000, "buf_num from the config file (%u)", v);
	tap_ok(param("if_num", NULL, &v) == 0 && v == 120, "if_num from the config file (%u)", v);
	tap_ok(param("ring_num", NULL, &v) == 0 && v == 300, "ring_num from --param (%u)", v);
	param("buf_num", "163840", NULL);
	big_frames();
	global_region();
	bad_values();
	daemon_stop();

	f = fopen(conf, "w");
	fprintf(f, "buf_num = 170000\nbuf_size = 100\n");
	fclose(f);
	dpid = daemon_start(conf, NULL);
	tap_ok(dpid < 0, "a config file with a bad value stops the daemon");
	{
		char what[256];

		snprintf(what, sizeof(what), "%s:2: buf_size=100", conf);
		tap_ok(log_has(what), "naming the file, the line and the value");
	}
	dpid = 0;
	unlink(conf);
	{
		char path[160];

		snprintf(path, sizeof(path), "%s/d.log", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/d.sock.lock", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/d.sock.hostifs", dir);
		unlink(path);
	}
	rmdir(dir);
	return tap_done();
}
