/*
 * nm-ctl - the VALE control syntax of an article on netmap (not netmap's
 * own tool, which is valectl), mapped onto netmap's requests:
 *
 *   nm-ctl -i IF -p valeX:IF   attach interface IF to switch valeX (VALE_ATTACH)
 *   nm-ctl -l                  list every switch port (VALE_LIST, counters)
 *   nm-ctl -d valeX:PORT       detach PORT from valeX (VALE_DETACH)
 *   nm-ctl -N valeX            destroy valeX: detach every port that can be
 *   nm-ctl -H valeX:PORT [-L n] its virtio-net header length: print, or set
 *                              (PORT_HDR_GET / PORT_HDR_SET; ours)
 *
 * Exit status: 0 done, 1 the request failed (or -N left ports behind),
 * 2 bad command line.
 */
#include "tools/valectl/vale.h"

static const char usage_text[] =
"usage: nm-ctl -i interface -p valeX:interface\n"
"       nm-ctl -l\n"
"       nm-ctl -d valeX:port\n"
"       nm-ctl -N valeX\n"
"       nm-ctl -H port [-L len]\n"
"\n"
"Manages VALE switches with the syntax of the article that introduced it;\n"
"valectl(8) is netmap's own tool and does the same and more.\n"
"\n"
"  -i interface   with -p: the interface (or persistent VALE port) to attach\n"
"  -p valeX:interface\n"
"                 with -i: attach it to switch valeX (made if needed); the\n"
"                 port takes the interface's name\n"
"  -l             list every port of every switch, with its counters\n"
"  -d valeX:port  detach port from switch valeX\n"
"  -N valeX       destroy switch valeX: detach every attached port (persistent\n"
"                 ports stay, on no switch); ports that programs hold open\n"
"                 cannot be detached, and the switch lasts until they close\n"
"  -H port        print the virtio-net header length of VALE port port\n"
"                 (valeX:Y, or a persistent port's name): 0, 10 or 12\n"
"  -L len         with -H: set it to len (0, 10 or 12)\n"
"  -h, --help     this text\n"
"\n"
"Exit status: 0 done, 1 the request failed or -N left ports behind,\n"
"2 bad command line.\n"
"See nm-ctl(8).\n";

struct opts {
	const char *ifname;	/* -i */
	const char *port;	/* -p */
	const char *detach;	/* -d */
	const char *destroy;	/* -N */
	const char *hdr_port;	/* -H */
	const char *hdr_len;	/* -L */
	bool list;		/* -l */
};

static void __attribute__((noreturn))
usage(void)
{
	fputs(usage_text, stdout);
	exit(0);
}

/* the flag that set *slot, given once */
static void
set_once(const char **slot, char f, const char *v)
{
	if (*slot)
		vc_usage_error("-%c given twice", f);
	*slot = v;
}

static void
parse(int argc, char **argv, struct opts *o)
{
	int ncmd;

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
			vc_usage_error("unexpected argument '%s'", a);
		if (a[1] == '-')
			vc_usage_error("unknown option '%s'", a);
		for (const char *c = a + 1; *c; c++) {
			char f = *c;
			const char *v = NULL;

			if (f == 'h')
				usage();
			if (f == 'l') {
				if (o->list)
					vc_usage_error("-l given twice");
				o->list = true;
				continue;
			}
			if (!strchr("ipdNHL", f))
				vc_usage_error("unknown option -%c", f);
			if (c[1])
				v = c + 1;
			else if (i + 1 < argc && argv[i + 1][0] != '-')
				v = argv[++i];
			else
				vc_usage_error("-%c needs an argument (%s)", f,
				    f == 'i' ? "an interface" : f == 'N' ? "valeX" :
				    f == 'L' ? "0, 10 or 12" : f == 'H' ? "a port" : "valeX:port");
			switch (f) {
			case 'i': set_once(&o->ifname, f, v); break;
			case 'p': set_once(&o->port, f, v); break;
			case 'd': set_once(&o->detach, f, v); break;
			case 'H': set_once(&o->hdr_port, f, v); break;
			case 'L': set_once(&o->hdr_len, f, v); break;
			default: set_once(&o->destroy, f, v); break;
			}
			break;
		}
	}
	if (o->ifname && !o->port)
		vc_usage_error("-i %s: say where with -p valeX:%s", o->ifname, o->ifname);
	if (o->port && !o->ifname)
		vc_usage_error("-p %s: say which interface with -i", o->port);
	if (o->hdr_len && !o->hdr_port)
		vc_usage_error("-L %s: say which port with -H", o->hdr_len);
	ncmd = (o->port != NULL) + (o->detach != NULL) + (o->destroy != NULL) + o->list +
	    (o->hdr_port != NULL);
	if (ncmd == 0)
		vc_usage_error("nothing to do: -i/-p, -l, -d, -N or -H");
	if (ncmd > 1 && o->hdr_port)
		vc_usage_error("-H: give one command at a time");
	if (ncmd > 1)
		vc_usage_error("%s: give one at a time",
		    o->list ? (o->port ? "-l and -p" : o->detach ? "-l and -d" : "-l and -N") :
		    o->port ? (o->detach ? "-p and -d" : "-p and -N") : "-d and -N");
}

/* -i IF -p valeX:IF, checked before anything is asked */
static void
check_attach(const struct opts *o)
{
	const char *why = vc_bad_plain(o->ifname);
	const char *colon;

	if (why)
		vc_usage_error("-i %s: %s", o->ifname, why);
	why = vc_bad_port(o->port);
	if (why)
		vc_usage_error("-p %s: %s", o->port, why);
	colon = strchr(o->port, ':');
	if (strcmp(colon + 1, o->ifname) != 0)
		vc_usage_error("-p %s: an attached interface keeps its name: -p %.*s:%s",
		    o->port, (int)(colon - o->port), o->port, o->ifname);
}

static int
attach(int fd, const struct opts *o)
{
	int sw = (int)(strchr(o->port, ':') - o->port);
	uint32_t idx;
	int err = vc_attach(fd, o->port, false, &idx);

	if (err) {
		vc_warn("cannot attach %s to %.*s: %s", o->ifname, sw, o->port, nm_errstr(err));
		return VC_EXIT_FAIL;
	}
	return 0;
}

static int
destroy(int fd, const char *sw)
{
	struct vc_list l, after;
	size_t done = 0, left = 0;
	int err;

	err = vc_list_ports(fd, sw, &l);
	if (err) {
		vc_warn("cannot list the ports of %s: %s", sw, nm_errstr(err));
		return VC_EXIT_FAIL;
	}
	if (l.n == 0) {
		vc_warn("%s: no such switch (a switch exists while it has ports)", sw);
		vc_list_free(&l);
		return VC_EXIT_FAIL;
	}
	for (size_t i = 0; i < l.n; i++) {
		/* the daemon says why a port stays (a line of its own) */
		if (vc_detach(fd, l.v[i].name, NULL) == 0) {
			printf("%s: detached\n", l.v[i].name);
			done++;
		}
	}
	vc_list_free(&l);
	/* what is left now, newcomers included */
	err = vc_list_ports(fd, sw, &after);
	if (err) {
		vc_warn("cannot list the ports of %s: %s", sw, nm_errstr(err));
		return VC_EXIT_FAIL;
	}
	left = after.n;
	if (left == 0) {
		printf("%s: destroyed\n", sw);
		return 0;
	}
	vc_warn("%s not destroyed: %zu port%s detached, %zu left:", sw, done,
	    done == 1 ? "" : "s", left);
	for (size_t i = 0; i < after.n; i++)
		fprintf(stderr, "  %s\n", after.v[i].name);
	vc_list_free(&after);
	return VC_EXIT_FAIL;
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *why;
	uint32_t hlen = 0;
	int fd, rc = 0, err;

	parse(argc, argv, &o);
	if (o.port)
		check_attach(&o);
	if (o.detach && (why = vc_bad_port(o.detach)))
		vc_usage_error("-d %s: %s", o.detach, why);
	if (o.destroy && (why = vc_bad_switch(o.destroy, strlen(o.destroy))))
		vc_usage_error("-N %s: %s%s", o.destroy, why,
		    strchr(o.destroy, ':') ? " (-N takes a switch, -d a port)" : "");

	if (o.hdr_port && (why = vc_bad_hdr_port(o.hdr_port)))
		vc_usage_error("-H %s: %s", o.hdr_port, why);
	if (o.hdr_len && (why = vc_bad_hdr_len(o.hdr_len, &hlen)))
		vc_usage_error("-L %s: %s", o.hdr_len, why);

	fd = vc_open();
	if (o.hdr_port) {
		err = vc_vnet_hdr(fd, o.hdr_port, o.hdr_len != NULL, &hlen);
		if (err) {
			vc_warn("cannot %s the virtio-net header length of %s: %s",
			    o.hdr_len ? "set" : "get", o.hdr_port, strerror(err));
			rc = VC_EXIT_FAIL;
		} else if (!o.hdr_len) {
			printf("%u\n", hlen);
		}
	} else if (o.port) {
		rc = attach(fd, &o);
	} else if (o.list) {
		struct vc_list l;

		err = vc_list_ports(fd, NULL, &l);
		if (err) {
			vc_warn("cannot list the switch ports: %s", nm_errstr(err));
			rc = VC_EXIT_FAIL;
		} else {
			if (l.n)
				vc_print_table(stdout, &l, false);
			vc_list_free(&l);
		}
	} else if (o.detach) {
		err = vc_detach(fd, o.detach, NULL);
		if (err) {
			vc_warn("cannot detach %s: %s", o.detach, nm_errstr(err));
			rc = VC_EXIT_FAIL;
		}
	} else {
		rc = destroy(fd, o.destroy);
	}
	close(fd);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		vc_warn("cannot write the output: %s", strerror(errno));
		rc = VC_EXIT_FAIL;
	}
	return rc;
}
