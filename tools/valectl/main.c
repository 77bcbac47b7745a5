/*
 * valectl - netmap's VALE switch control tool, on unetmap.
 *
 * The flags are netmap's valectl / vale-ctl: -n/-r make and delete
 * persistent ports, -a/-h/-d attach and detach, -l and no argument list,
 * -g the rx rings of a port, -p/-P polling, -C and -m qualify -n and -p.
 * Ours too: -H shows a port's virtio-net header length, and -H with -L sets
 * it (netmap's valectl has no flag for PORT_HDR_SET/GET).
 * Every request is a NIOCCTRL on /dev/netmap.  Ours: the listing carries
 * each port's counters, and the command line is checked strictly (one
 * command at a time, no stray arguments, well-formed names and numbers).
 *
 * Exit status: 0 done, 1 the request failed, 2 bad command line.
 */
#include <sys/sysinfo.h>

#include "tools/valectl/vale.h"
#include "tools/common/nm_errno.h"

static const char usage_text[] =
"usage: valectl [-v] [command]\n"
"\n"
"Creates, attaches, detaches and lists the ports of VALE switches.\n"
"With no command, lists every port of every switch with its counters.\n"
"\n"
"  -l [valeX[:Y]]  list: every port (no argument), the ports of switch valeX,\n"
"                  or where port valeX:Y is (its bridge and port numbers)\n"
"  -g port         print the number of rx rings of port (any netmap port)\n"
"  -n name         create the persistent VALE port name (netmap programs open\n"
"                  it as name; attach it to a switch with -a valeX:name)\n"
"  -C spec         with -n: tx_slots[,rx_slots[,rings]] or\n"
"                  tx_slots,rx_slots,tx_rings,rx_rings (0: the default)\n"
"  -m memid        with -n: use memory region memid (1: the global one)\n"
"                  instead of a private one\n"
"  -r name         delete the persistent port name (detach it first)\n"
"  -n valeX        give switch valeX (made if needed) an interface of its own,\n"
"                  called valeX, like a Linux bridge's: the host reaches the\n"
"                  switch through it, and netmap:valeX intercepts the switch's\n"
"                  traffic (-r valeX removes it)\n"
"  -a valeX:Y      attach Y to switch valeX (made if needed); Y is a\n"
"                  persistent port or a network interface; a persistent\n"
"                  port on another switch already joins the two switches\n"
"  -h valeX:Y      attach network interface Y with its host stack\n"
"  -d valeX:Y      detach Y from switch valeX\n"
"  -p valeX:Y      start polling threads on an attached interface;\n"
"                  -C 0[,cpu]: one thread on cpu for every ring,\n"
"                  -C 1[,first[,count]]: count threads, ring i on cpu i\n"
"  -P valeX:Y      stop them\n"
"  -H port         print the virtio-net header length of port (valeX:Y, or a\n"
"                  persistent port's name): 0, 10 or 12 bytes\n"
"  -L len          with -H: set it to len (0, 10 or 12); frames between ports\n"
"                  whose lengths differ get the header added, converted or\n"
"                  stripped, and a stripped header's offloads (TSO, checksum)\n"
"                  done by the switch\n"
"  -v              say what was done; listings add the ring counts\n"
"  -j              listings as JSON: an array of ports, the counters under\n"
"                  the table's column names\n"
"  --help          this text\n"
"\n"
"The listing's counters (from the port's side): rx frames and bytes\n"
"delivered to it, tx frames and bytes it sent into the switch; drop-full:\n"
"frames for it dropped because its rx queue was full; drop-bad, drop-nodst,\n"
"drop-busy: frames it sent that were malformed, meant for no port (or\n"
"itself), or met a queue held by a stuck sender.\n"
"Exit status: 0 done, 1 the request failed, 2 bad command line.\n"
"See valectl(8).\n";

struct opts {
	char cmd;		/* the command's flag; 0: list everything */
	const char *arg;	/* its argument (NULL for -l alone) */
	const char *conf;	/* -C */
	const char *memid;	/* -m */
	const char *hdr;	/* -L */
	bool verbose;
	bool json;		/* -j */
	struct nmreq_vale_newif newif;		/* -n, from -C and -m */
	struct nmreq_vale_polling poll;		/* -p, from -C */
};

static void __attribute__((noreturn))
usage(void)
{
	fputs(usage_text, stdout);
	exit(0);
}

static const char *
arg_kind(char f)
{
	switch (f) {
	case 'n': case 'r': case 'g': return "a port name";
	case 'C': return "a ring/slot spec";
	case 'm': return "a memory region id";
	case 'H': return "a port name";
	case 'L': return "a header length: 0, 10 or 12";
	case 'h': return "valeX:Y to attach with the host stack; --help is the help";
	default: return "valeX:Y";
	}
}

static void
set_cmd(struct opts *o, char f, const char *arg)
{
	if (o->cmd)
		vc_usage_error("-%c and -%c are two commands: give one at a time", o->cmd, f);
	o->cmd = f;
	o->arg = arg;
}

static void
parse(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0)
			usage();
		if (strcmp(a, "--") == 0) {
			if (i + 1 < argc)
				vc_usage_error("unexpected argument '%s'", argv[i + 1]);
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			vc_usage_error("unexpected argument '%s' (names follow their flag: "
			    "-a valeX:Y ...)", a);
		if (a[1] == '-')
			vc_usage_error("unknown option '%s'", a);
		for (const char *c = a + 1; *c; c++) {
			char f = *c;
			const char *v = NULL;

			if (f == 'v') {
				o->verbose = true;
				continue;
			}
			if (f == 'j') {
				o->json = true;
				continue;
			}
			if (!strchr("adhglnrpPCmHL", f))
				vc_usage_error("unknown option -%c", f);
			if (c[1])
				v = c + 1;	/* -avale0:x */
			else if (i + 1 < argc && (argv[i + 1][0] != '-' || strchr("lCmL", f)))
				v = argv[++i];	/* names never start with '-', numbers may */
			if (f == 'l' && v && v[0] == '-') {
				v = NULL;	/* -l alone, then more options */
				i--;
			}
			if (!v && f != 'l')
				vc_usage_error("-%c needs an argument (%s)%s%s%s", f, arg_kind(f),
				    i + 1 < argc ? ", not '" : "", i + 1 < argc ? argv[i + 1] : "",
				    i + 1 < argc ? "'" : "");
			if (f == 'C') {
				if (o->conf)
					vc_usage_error("-C given twice");
				o->conf = v;
			} else if (f == 'L') {
				if (o->hdr)
					vc_usage_error("-L given twice");
				o->hdr = v;
			} else if (f == 'm') {
				if (o->memid)
					vc_usage_error("-m given twice");
				o->memid = v;
			} else {
				set_cmd(o, f, v);
			}
			break;	/* the argument took the rest of this word */
		}
	}
	if (o->conf && o->cmd != 'n' && o->cmd != 'p')
		vc_usage_error("-C goes with -n (ring and slot counts) or -p (polling threads)");
	if (o->hdr && o->cmd != 'H')
		vc_usage_error("-L goes with -H (the port whose header length it sets)");
	if (o->memid && o->cmd != 'n')
		vc_usage_error("-m goes with -n (the new port's memory region)");
	if (o->json && o->cmd && o->cmd != 'l')
		vc_usage_error("-j goes with the listings (no command, or -l)");
}

/* a whole decimal number in [0, max], nothing around it */
static bool
num(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* splits "a,b,c" into at most @max numbers; the count, or exits 2 */
static int
numbers(const char *spec, uint64_t *v, const uint64_t *limit, int max, const char *what)
{
	const char *p = spec;
	int n = 0;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (n == max)
			vc_usage_error("-C %s: at most %d numbers (%s)", spec, max, what);
		if (!num(p, len, limit[n], &v[n]))
			vc_usage_error("-C %s: '%.*s' is not a number in [0, %" PRIu64 "] (%s)",
			    spec, (int)len, p, limit[n], what);
		n++;
		if (!comma)
			return n;
		p = comma + 1;
	}
}

static void
check_port(char f, const char *arg)
{
	const char *why = vc_bad_port(arg);

	if (why)
		vc_usage_error("-%c %s: %s", f, arg, why);
}

/* ------------------------------------------------------------ commands */

static int
fail(const char *what, const char *name, int err)
{
	vc_warn("cannot %s %s: %s", what, name, nm_errstr(err));
	return VC_EXIT_FAIL;
}

static int
list(int fd, const char *sw, bool verbose, bool json)
{
	struct vc_list l;
	int err = vc_list_ports(fd, sw, &l);

	if (err)
		return fail("list", sw ? sw : "the switch ports", err);
	if (sw && l.n == 0) {
		vc_warn("%s: no such switch (a switch exists while it has ports)", sw);
		return VC_EXIT_FAIL;
	}
	if (json)
		vc_print_json(stdout, &l);
	else if (l.n)
		vc_print_table(stdout, &l, verbose);
	for (size_t i = 0; verbose && !json && i < l.n; i++)
		vc_print_attachment(stdout, &l.v[i]);
	vc_list_free(&l);
	return 0;
}

/* -l valeX:Y: where is it? */
static int
locate(int fd, const char *name, bool verbose, bool json)
{
	struct nmreq_vale_list l;
	char sw[NETMAP_REQ_IFNAMSIZ];
	int err;

	memset(&l, 0, sizeof(l));
	err = vc_ctrl(fd, NETMAP_REQ_VALE_LIST, name, &l);
	if (err)
		return fail("find", name, err);
	snprintf(sw, sizeof(sw), "%.*s", (int)(strchr(name, ':') - name), name);
	if (l.nr_port_idx == VC_NOPORT) {
		vc_warn("%s: no such port on %s (switch %u)", name, sw, l.nr_bridge_idx);
		return VC_EXIT_FAIL;
	}
	if (!json)
		printf("%s at bridge:%u port:%u\n", name, l.nr_bridge_idx, l.nr_port_idx);
	if (verbose || json) {
		struct vc_list one = { .n = 1 };
		struct vc_port p;

		memset(&p, 0, sizeof(p));
		snprintf(p.name, sizeof(p.name), "%s", name);
		p.bridge = l.nr_bridge_idx;
		p.port = l.nr_port_idx;
		p.counted = vc_ctrl(fd, NETMAP_REQ_UNETMAP_VALE_STATS, name, &p.st) == 0;
		one.v = &p;
		if (json)
			vc_print_json(stdout, &one);
		else {
			vc_print_table(stdout, &one, true);
			vc_print_attachment(stdout, &p);
		}
	}
	return 0;
}

static int
info(int fd, const char *name, bool verbose)
{
	struct nmreq_port_info_get pi;
	int err;

	memset(&pi, 0, sizeof(pi));
	err = vc_ctrl(fd, NETMAP_REQ_PORT_INFO_GET, name, &pi);
	if (err)
		return fail("get the rings of", name, err);
	printf("%s: %u queues.\n", name, pi.nr_rx_rings);
	if (verbose)
		printf("%s: %u tx rings of %u slots, %u rx rings of %u slots, "
		    "host rings %u tx %u rx, memory region %u (%" PRIu64 " bytes)\n",
		    name, pi.nr_tx_rings, pi.nr_tx_slots, pi.nr_rx_rings, pi.nr_rx_slots,
		    pi.nr_host_tx_rings, pi.nr_host_rx_rings, pi.nr_mem_id, pi.nr_memsize);
	return 0;
}

/* -n's body from -C and -m, or exit 2 */
static void
newif_spec(struct opts *o)
{
	static const uint64_t limit[4] = { UINT32_MAX, UINT32_MAX, UINT16_MAX, UINT16_MAX };
	struct nmreq_vale_newif *ni = &o->newif;
	uint64_t v[4] = { 0, 0, 0, 0 };

	memset(ni, 0, sizeof(*ni));
	if (o->conf) {
		int n = numbers(o->conf, v, limit, 4,
		    "tx_slots[,rx_slots[,rings]] or tx_slots,rx_slots,tx_rings,rx_rings");

		ni->nr_tx_slots = (uint32_t)v[0];
		ni->nr_rx_slots = (uint32_t)(n >= 2 ? v[1] : v[0]);
		if (n >= 3)
			ni->nr_tx_rings = ni->nr_rx_rings = (uint16_t)v[2];
		if (n == 4)
			ni->nr_rx_rings = (uint16_t)v[3];
	}
	if (o->memid) {
		uint64_t m;

		if (!num(o->memid, strlen(o->memid), UINT16_MAX, &m) || m == 0)
			vc_usage_error("-m %s: a memory region id is a number in [1, 65535]",
			    o->memid);
		ni->nr_mem_id = (uint16_t)m;
	}
}

/* -p's body from -C (0,0 by default), or exit 2 */
static void
polling_spec(struct opts *o)
{
	static const uint64_t limit[3] = { 1, UINT32_MAX, UINT32_MAX };
	struct nmreq_vale_polling *req = &o->poll;
	uint64_t v[3] = { 0, 0, 1 };
	long ncpu = get_nprocs_conf();

	memset(req, 0, sizeof(*req));
	if (o->conf) {
		int n = numbers(o->conf, v, limit, 3,
		    "0[,cpu] for one thread, 1[,first[,count]] for one per ring");

		if (v[0] == 0 && n == 3 && v[2] != 1)
			vc_usage_error("-C %s: with 0 (one thread), the third number can only "
			    "be 1", o->conf);
		if (v[2] == 0)
			vc_usage_error("-C %s: no threads to poll with", o->conf);
	}
	if (ncpu > 0 && v[1] + v[2] > (uint64_t)ncpu)
		vc_usage_error("-C %s: cpus %" PRIu64 "..%" PRIu64 " asked, this machine has "
		    "0..%ld", o->conf ? o->conf : "0", v[1], v[1] + v[2] - 1, ncpu - 1);
	req->nr_mode = v[0] ? NETMAP_POLLING_MODE_MULTI_CPU : NETMAP_POLLING_MODE_SINGLE_CPU;
	req->nr_first_cpu_id = (uint32_t)v[1];
	req->nr_num_polling_cpus = (uint32_t)v[2];
}

static int
create(int fd, const struct opts *o)
{
	struct nmreq_vale_newif ni = o->newif;
	const struct nmreq_vale_newif *want = &o->newif;
	int err = vc_ctrl(fd, NETMAP_REQ_VALE_NEWIF, o->arg, &ni);

	if (err)
		return fail("create", o->arg, err);
	if ((want->nr_tx_rings && want->nr_tx_rings != ni.nr_tx_rings) ||
	    (want->nr_rx_rings && want->nr_rx_rings != ni.nr_rx_rings) ||
	    (want->nr_tx_slots && want->nr_tx_slots != ni.nr_tx_slots) ||
	    (want->nr_rx_slots && want->nr_rx_slots != ni.nr_rx_slots))
		vc_warn("note: %s got %u/%u tx/rx rings of %u/%u slots (-C asked more than "
		    "a VALE port has)", o->arg, ni.nr_tx_rings, ni.nr_rx_rings,
		    ni.nr_tx_slots, ni.nr_rx_slots);
	if (o->verbose)
		printf("%s: created, %u tx rings of %u slots, %u rx rings of %u slots, "
		    "memory region %u\n", o->arg, ni.nr_tx_rings, ni.nr_tx_slots,
		    ni.nr_rx_rings, ni.nr_rx_slots, ni.nr_mem_id);
	return 0;
}

/* -H port [-L len] */
static int
vnet_hdr(int fd, const struct opts *o)
{
	uint32_t len = 0;
	int err;

	if (o->hdr) {
		vc_bad_hdr_len(o->hdr, &len);	/* checked before */
		err = vc_vnet_hdr(fd, o->arg, true, &len);
		if (err)
			return fail("set the virtio-net header length of", o->arg, err);
		if (o->verbose)
			printf("%s: virtio-net header of %u bytes\n", o->arg, len);
		return 0;
	}
	err = vc_vnet_hdr(fd, o->arg, false, &len);
	if (err)
		return fail("get the virtio-net header length of", o->arg, err);
	if (o->verbose)
		printf("%s: virtio-net header of %u bytes\n", o->arg, len);
	else
		printf("%u\n", len);
	return 0;
}

static int
polling(int fd, const struct opts *o)
{
	struct nmreq_vale_polling req = o->poll;	/* zero for -P */
	bool on = o->cmd == 'p';
	int err = vc_ctrl(fd, on ? NETMAP_REQ_VALE_POLLING_ENABLE :
	    NETMAP_REQ_VALE_POLLING_DISABLE, o->arg, &req);

	if (err)
		return fail(on ? "start polling on" : "stop polling on", o->arg, err);
	if (o->verbose)
		printf("%s: polling %s\n", o->arg, on ? "started" : "stopped");
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *why;
	uint32_t idx;
	int fd, rc = 0, err;

	parse(argc, argv, &o);

	/* all checked first: nothing is asked of the daemon for a malformed line */
	switch (o.cmd) {
	case 'a': case 'h': case 'd': case 'p': case 'P':
		check_port(o.cmd, o.arg);
		if (o.cmd == 'p')
			polling_spec(&o);
		break;
	case 'n': case 'r':
		if (strncmp(o.arg, "vale", 4) == 0 && o.cmd == 'r' && strchr(o.arg, ':'))
			vc_usage_error("-r %s: -r takes a persistent port's plain name (%s); "
			    "-d %s detaches it from the switch", o.arg, strchr(o.arg, ':') + 1,
			    o.arg);
		if (strncmp(o.arg, "vale", 4) == 0 && strchr(o.arg, ':'))
			why = "names starting with \"vale\" are switch ports; a persistent port "
			    "has a plain name, attached with -a valeX:name";
		else if (strncmp(o.arg, "vale", 4) == 0 && o.cmd == 'n' && o.conf)
			why = "a switch's own interface (-n valeX) takes no -C";
		else if (strncmp(o.arg, "vale", 4) == 0)
			why = vc_bad_plain(o.arg);	/* a switch: its own interface */
		else
			why = vc_bad_plain(o.arg);
		if (why)
			vc_usage_error("-%c %s: %s", o.cmd, o.arg, why);
		if (o.cmd == 'n')
			newif_spec(&o);
		break;
	case 'g':
		if (o.arg[0] == '\0' || strlen(o.arg) >= NETMAP_REQ_IFNAMSIZ)
			vc_usage_error("-g '%s': a port name has 1 to %d characters", o.arg,
			    NETMAP_REQ_IFNAMSIZ - 1);
		break;
	case 'H': {
		uint32_t len;

		if ((why = vc_bad_hdr_port(o.arg)))
			vc_usage_error("-H %s: %s", o.arg, why);
		if (o.hdr && (why = vc_bad_hdr_len(o.hdr, &len)))
			vc_usage_error("-L %s: %s", o.hdr, why);
		break;
	}
	case 'l':
		if (o.arg && strchr(o.arg, ':'))
			check_port('l', o.arg);
		else if (o.arg && (why = vc_bad_switch(o.arg, strlen(o.arg))))
			vc_usage_error("-l %s: %s", o.arg, why);
		break;
	}

	fd = vc_open();
	switch (o.cmd) {
	case 0:
		rc = list(fd, NULL, o.verbose, o.json);
		break;
	case 'l':
		if (o.arg && strchr(o.arg, ':'))
			rc = locate(fd, o.arg, o.verbose, o.json);
		else
			rc = list(fd, o.arg, o.verbose, o.json);
		break;
	case 'g':
		rc = info(fd, o.arg, o.verbose);
		break;
	case 'n':
		rc = create(fd, &o);
		break;
	case 'r':
		err = vc_ctrl(fd, NETMAP_REQ_VALE_DELIF, o.arg, NULL);
		if (err)
			rc = fail("delete", o.arg, err);
		else if (o.verbose)
			printf("%s: deleted\n", o.arg);
		break;
	case 'a': case 'h':
		err = vc_attach(fd, o.arg, o.cmd == 'h', &idx);
		if (err)
			rc = fail("attach", o.arg, err);
		else if (o.verbose)
			printf("%s: attached as port %u\n", o.arg, idx);
		break;
	case 'd':
		err = vc_detach(fd, o.arg, &idx);
		if (err)
			rc = fail("detach", o.arg, err);
		else if (o.verbose)
			printf("%s: detached (it was port %u)\n", o.arg, idx);
		break;
	case 'p': case 'P':
		rc = polling(fd, &o);
		break;
	case 'H':
		rc = vnet_hdr(fd, &o);
		break;
	}
	close(fd);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		vc_warn("cannot write the output: %s", strerror(errno));
		rc = VC_EXIT_FAIL;
	}
	return rc;
}
