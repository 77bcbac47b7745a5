/*
 * save.c - pcap files for -w, written by libpcap (pcap_dump), so that
 * tcpdump -r, Wireshark and anything else reading pcap take them.
 *
 * -C as tcpdump's: before a frame is written, a file already larger than
 * the limit is closed and the next one opened, named as tcpdump names
 * them: the -w name, then the name followed by 1, 2, 3...
 */
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>

#include "dump.h"

#define ND_SAVE_BUF	(1u << 20)	/* stdio buffer of a pcap file */

static int
open_next(struct nd_save *s)
{
	char name[4096];
	int n;

	if (s->files == 0)
		n = snprintf(name, sizeof(name), "%s", s->path);
	else
		n = snprintf(name, sizeof(name), "%s%u", s->path, s->files);
	if (n < 0 || (size_t)n >= sizeof(name)) {
		fprintf(stderr, "nm-dump: -w %s: the name is too long\n", s->path);
		return -1;
	}
	if (strcmp(name, "-") == 0) {
		s->d = pcap_dump_open(s->dead, name);
		if (!s->d) {
			fprintf(stderr, "nm-dump: cannot write %s: %s\n", name, pcap_geterr(s->dead));
			return -1;
		}
	} else {
		/*
		 * our FILE for pcap_dump: one thread uses it, so no lock per
		 * call, and a large buffer, so few write()s
		 */
		FILE *f = fopen(name, "wb");

		if (!f) {
			fprintf(stderr, "nm-dump: cannot write %s: %s\n", name, strerror(errno));
			return -1;
		}
		__fsetlocking(f, FSETLOCKING_BYCALLER);
		setvbuf(f, NULL, _IOFBF, ND_SAVE_BUF);
		s->d = pcap_dump_fopen(s->dead, f);
		if (!s->d) {
			fprintf(stderr, "nm-dump: cannot write %s: %s\n", name, pcap_geterr(s->dead));
			fclose(f);
			return -1;
		}
	}
	s->files++;
	return 0;
}

int
nd_save_open(struct nd_save *s, pcap_t *dead, const char *path, uint64_t limit)
{
	memset(s, 0, sizeof(*s));
	s->path = path;
	s->limit = limit;
	s->dead = dead;
	return open_next(s);
}

int
nd_save_frame(struct nd_save *s, const struct pcap_pkthdr *h, const uint8_t *data)
{
	if (!s->d)
		return -1;
	if (s->limit && pcap_dump_ftell64(s->d) > (int64_t)s->limit) {
		if (nd_save_close(s) < 0 || open_next(s) < 0)
			return -1;
	}
	pcap_dump((u_char *)s->d, h, data);
	return 0;
}

int
nd_save_close(struct nd_save *s)
{
	int r = 0;

	if (!s->d)
		return 0;
	if (pcap_dump_flush(s->d) < 0) {
		fprintf(stderr, "nm-dump: writing %s%.0u: %s\n", s->path, s->files - 1,
		    strerror(errno ? errno : EIO));
		r = -1;
	}
	pcap_dump_close(s->d);
	s->d = NULL;
	return r;
}
