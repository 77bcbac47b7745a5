/*
 * nm-doctor - is an interface fit to be a netmap port, and what to change:
 * the daemon's findings (NETMAP_REQ_UNETMAP_CHECK) on the interface, in
 * this process's network namespace, before anything is opened.
 *
 *   nm-doctor [-j] INTERFACE      (netmap:INTERFACE is accepted too)
 *
 * Exit status: 0 fit, 1 not fit (the problems are listed), 2 bad command
 * line or no answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <net/netmap_user.h>
#include "unetmap.h"
#include "tools/common/nm_errno.h"

static const char usage_text[] =
"usage: nm-doctor [-j] interface\n"
"\n"
"Tells whether a network interface is fit to be a netmap port, and what to\n"
"change, before anything is opened: the driver and its XDP features, the\n"
"mode a port would get, offloads that change the frames a netmap program\n"
"sees (each with the ethtool command that turns it off), header/data\n"
"split, MTU against the buffer size, carrier, whether taking it would cut\n"
"the host off (default route, this SSH session), and who holds it now.\n"
"\n"
"  -j, --json   one JSON object instead of text\n"
"  -h, --help   this text\n"
"\n"
"Exit status: 0 fit, 1 not fit (the problems are listed), 2 bad command\n"
"line or no answer from unetmapd.\n"
"See nm-doctor(8) and docs/troubleshooting.md.\n";

static const char *
mode_name(uint32_t m)
{
	switch (m) {
	case UNETMAP_MODE_ZEROCOPY: return "native XDP, zero-copy";
	case UNETMAP_MODE_NATIVE: return "native XDP (copy)";
	case UNETMAP_MODE_GENERIC: return "generic XDP";
	case UNETMAP_MODE_EMULATED: return "emulated (AF_PACKET)";
	default: return "none (opening it would fail)";
	}
}

static const char *const xdp_bits[] = { "basic", "redirect", "ndo-xmit", "xsk-zerocopy",
	"hw-offload", "rx-sg", "ndo-xmit-sg" };

/* JSON string of @s */
static void
jstr(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

struct finding {
	bool problem;
	char *what, *why, *fix;
};

/* splits the findings text in place; returns how many */
static int
parse_findings(char *text, struct finding *f, int max)
{
	int n = 0;

	for (char *line = strtok(text, "\n"); line && n < max; line = strtok(NULL, "\n")) {
		char *fields[4] = { NULL, "", "", "" };
		int k = 0;

		for (char *p = line; k < 4; k++) {
			fields[k] = p;
			p = strchr(p, '\t');
			if (!p)
				break;
			*p++ = '\0';
		}
		f[n].problem = strcmp(fields[0], "problem") == 0;
		f[n].what = k >= 1 ? fields[1] : "";
		f[n].why = k >= 2 ? fields[2] : "";
		f[n].fix = k >= 3 ? fields[3] : "";
		n++;
	}
	return n;
}

static void
print_text(const char *ifname, const struct nmreq_unetmap_check *ck, struct finding *f, int n)
{
	printf("%s: driver %s, %u queue%s, MTU %u (buffers of %u bytes), %s\n", ifname,
	    ck->nr_driver[0] ? ck->nr_driver : "unknown", ck->nr_queues,
	    ck->nr_queues == 1 ? "" : "s", ck->nr_mtu, ck->nr_buf_size,
	    ck->nr_carrier ? "carrier up" : "no carrier");
	if (ck->nr_xdp_features == UINT64_MAX) {
		printf("  XDP features: not told by this kernel\n");
	} else {
		printf("  XDP features:");
		for (unsigned b = 0; b < sizeof(xdp_bits) / sizeof(xdp_bits[0]); b++)
			if (ck->nr_xdp_features & (1ull << b))
				printf(" %s", xdp_bits[b]);
		printf("%s\n", ck->nr_xdp_features ? "" : " none");
	}
	printf("  a port would get: %s\n", mode_name(ck->nr_mode));
	for (int pass = 0; pass < 2; pass++) {
		bool want = pass == 0;
		unsigned count = want ? ck->nr_problems : ck->nr_notes;

		if (!count)
			continue;
		printf("%s (%u):\n", want ? "problems" : "notes", count);
		for (int i = 0; i < n; i++) {
			if (f[i].problem != want)
				continue;
			printf("  %s: %s\n", f[i].what, f[i].why);
			if (f[i].fix[0])
				printf("      fix: %s\n", f[i].fix);
		}
	}
	if (ck->nr_problems)
		printf("%s is not fit for netmap: fix the problems above.\n", ifname);
	else
		printf("%s is fit for netmap.\n", ifname);
}

static void
print_json(const char *ifname, const struct nmreq_unetmap_check *ck, struct finding *f, int n)
{
	printf("{\"interface\":");
	jstr(ifname);
	printf(",\"fit\":%s,\"driver\":", ck->nr_problems ? "false" : "true");
	jstr(ck->nr_driver);
	printf(",\"queues\":%u,\"mtu\":%u,\"buf_size\":%u,\"carrier\":%s,\"held\":%s,\"mode\":",
	    ck->nr_queues, ck->nr_mtu, ck->nr_buf_size, ck->nr_carrier ? "true" : "false",
	    ck->nr_held ? "true" : "false");
	jstr(mode_name(ck->nr_mode));
	printf(",\"xdp_features\":");
	if (ck->nr_xdp_features == UINT64_MAX) {
		printf("null");
	} else {
		int k = 0;

		putchar('[');
		for (unsigned b = 0; b < sizeof(xdp_bits) / sizeof(xdp_bits[0]); b++)
			if (ck->nr_xdp_features & (1ull << b)) {
				printf("%s", k++ ? "," : "");
				jstr(xdp_bits[b]);
			}
		putchar(']');
	}
	for (int pass = 0; pass < 2; pass++) {
		int k = 0;

		printf(",\"%s\":[", pass == 0 ? "problems" : "notes");
		for (int i = 0; i < n; i++) {
			if (f[i].problem != (pass == 0))
				continue;
			printf("%s{\"what\":", k++ ? "," : "");
			jstr(f[i].what);
			printf(",\"why\":");
			jstr(f[i].why);
			printf(",\"fix\":");
			if (f[i].fix[0])
				jstr(f[i].fix);
			else
				printf("null");
			putchar('}');
		}
		putchar(']');
	}
	printf("}\n");
}

int
main(int argc, char **argv)
{
	struct nmreq_unetmap_check ck;
	struct nmreq_header h;
	struct finding f[64];
	const char *ifname = NULL;
	bool json = false;
	int fd, n;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (strcmp(argv[i], "-j") == 0 || strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "nm-doctor: unknown option '%s' (see nm-doctor -h)\n", argv[i]);
			return 2;
		} else if (ifname) {
			fprintf(stderr, "nm-doctor: one interface at a time ('%s' and '%s')\n",
			    ifname, argv[i]);
			return 2;
		} else {
			ifname = argv[i];
		}
	}
	if (!ifname) {
		fprintf(stderr, "nm-doctor: which interface? (see nm-doctor -h)\n");
		return 2;
	}
	if (strncmp(ifname, "netmap:", 7) == 0)
		ifname += 7;
	if (!*ifname || strlen(ifname) >= NETMAP_REQ_IFNAMSIZ) {
		fprintf(stderr, "nm-doctor: '%s' is no interface name\n", ifname);
		return 2;
	}
	fd = open("/dev/netmap", O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "nm-doctor: cannot reach unetmapd: %s\n", nm_errstr(errno));
		return 2;
	}
	memset(&h, 0, sizeof(h));
	memset(&ck, 0, sizeof(ck));
	h.nr_version = NETMAP_API;
	h.nr_reqtype = NETMAP_REQ_UNETMAP_CHECK;
	snprintf(h.nr_name, sizeof(h.nr_name), "%s", ifname);
	h.nr_body = (uintptr_t)&ck;
	if (ioctl(fd, NIOCCTRL, &h) < 0) {
		int err = errno;

		fprintf(stderr, "nm-doctor: %s: %s (unetmapd's reason is above)\n", ifname,
		    nm_errstr(err));
		close(fd);
		return 2;
	}
	close(fd);
	ck.nr_findings[sizeof(ck.nr_findings) - 1] = '\0';
	n = parse_findings(ck.nr_findings, f, 64);
	if (json)
		print_json(ifname, &ck, f, n);
	else
		print_text(ifname, &ck, f, n);
	return ck.nr_problems ? 1 : 0;
}
