/*
 * trace.c - the pcap file, read with libpcap (pcap_next_ex), every frame
 * kept in memory at its wire length (the bytes a capture cut off are
 * zeros, as netmap's nmreplay sends them).  Timestamps in nanoseconds
 * whatever the file's precision.
 *
 * A file libpcap cannot read to its end (truncated, a record with a
 * length no capture has) is refused with libpcap's reason, the file's
 * name, the record's number and its offset in the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "replay.h"

static int
grow(struct rp_trace *t, size_t *fcap, size_t *dcap, uint64_t dlen, uint32_t len)
{
	if (t->n == *fcap) {
		size_t nc = *fcap ? *fcap * 2 : 1024;
		struct rp_frame *nf = realloc(t->f, nc * sizeof(*nf));

		if (!nf)
			return -1;
		t->f = nf;
		*fcap = nc;
	}
	if (dlen + len > *dcap) {
		size_t nc = *dcap ? *dcap : 1 << 20;
		uint8_t *nd;

		while (nc < dlen + len)
			nc *= 2;
		nd = realloc(t->data, nc);
		if (!nd)
			return -1;
		t->data = nd;
		*dcap = nc;
	}
	return 0;
}

int
rp_trace_load(struct rp_trace *t, const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *bytes;
	size_t fcap = 0, dcap = 0;
	uint64_t dlen = 0, last_ts = 0, span;
	FILE *fp;
	pcap_t *p;
	int r;

	memset(t, 0, sizeof(*t));
	t->path = path;
	fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	/* libpcap reads from our FILE: its position is where a record starts */
	p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!p) {
		snprintf(err, errlen, "%s: offset 0: not a pcap file libpcap can read: %s", path,
		    ebuf);
		fclose(fp);
		return -1;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(pcap_datalink(p));

		snprintf(err, errlen, "%s: link type %d (%s), not Ethernet: nmreplay sends "
		    "Ethernet frames", path, pcap_datalink(p), name ? name : "unknown");
		pcap_close(p);
		return -1;
	}
	for (;;) {
		long off = ftell(fp);
		uint32_t len;

		r = pcap_next_ex(p, &h, &bytes);
		if (r == PCAP_ERROR_BREAK)	/* -2: the end */
			break;
		if (r != 1) {
			snprintf(err, errlen, "%s: offset %ld (frame %zu): %s", path, off, t->n + 1,
			    pcap_geterr(p));
			goto fail;
		}
		len = h->len > h->caplen ? h->len : h->caplen;
		if (len == 0 || len > RP_MAX_FRAME) {
			snprintf(err, errlen, "%s: offset %ld (frame %zu): a frame of %u bytes; "
			    "nmreplay sends 1 to %u", path, off, t->n + 1, len, RP_MAX_FRAME);
			goto fail;
		}
		if (grow(t, &fcap, &dcap, dlen, len) < 0) {
			snprintf(err, errlen, "%s: out of memory at frame %zu", path, t->n + 1);
			goto fail;
		}
		memcpy(t->data + dlen, bytes, h->caplen);
		memset(t->data + dlen + h->caplen, 0, len - h->caplen);
		t->f[t->n] = (struct rp_frame){
			.ts = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec,
			.off = dlen,
			.len = len,
			.caplen = h->caplen,
		};
		if (t->n && t->f[t->n].ts < last_ts)
			t->reordered++;
		last_ts = t->f[t->n].ts;
		dlen += len;
		t->bytes += len;
		t->n++;
	}
	pcap_close(p);
	if (t->n == 0) {
		snprintf(err, errlen, "%s: no frames in it", path);
		rp_trace_free(t);
		return -1;
	}
	/*
	 * The time before the first frame, as netmap's nmreplay counts it:
	 * its transmission time at the trace's average rate (1 Gbit/s for
	 * a trace of one frame)
	 */
	span = last_ts > t->f[0].ts ? last_ts - t->f[0].ts : 0;
	if (t->bytes == t->f[0].len)
		t->first_gap = (uint64_t)t->f[0].len * 8;
	else
		t->first_gap = (uint64_t)((double)span * t->f[0].len / (double)(t->bytes - t->f[0].len));
	return 0;
fail:
	pcap_close(p);
	rp_trace_free(t);
	return -1;
}

void
rp_trace_free(struct rp_trace *t)
{
	free(t->data);
	free(t->f);
	t->data = NULL;
	t->f = NULL;
	t->n = 0;
}
