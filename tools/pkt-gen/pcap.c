/*
 * pcap.c - the first frame of a classic pcap file, for -P.
 *
 * No libpcap: the format is a 24-byte file header (magic 0xa1b2c3d4 for
 * microsecond, 0xa1b23c4d for nanosecond timestamps, in the writer's byte
 * order) followed by records of a 16-byte header (seconds, fraction,
 * captured length, original length) and the captured bytes.  pcapng files
 * are recognised and refused with a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktgen.h"

static uint32_t
rd32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

int
pg_pcap_first(const char *path, uint8_t **frame, unsigned *len, char *err, size_t errlen)
{
	uint8_t fh[24], rh[16];
	uint32_t magic, linktype, caplen;
	bool swap;
	FILE *f = fopen(path, "rb");
	uint8_t *buf;

	if (!f) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fread(fh, 1, sizeof(fh), f) != sizeof(fh)) {
		snprintf(err, errlen, "too short for a pcap file");
		goto fail;
	}
	memcpy(&magic, fh, 4);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
		swap = false;
	} else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
		swap = true;
	} else if (magic == 0x0a0d0d0a) {
		snprintf(err, errlen, "a pcapng file; save it as pcap (editcap -F pcap)");
		goto fail;
	} else {
		snprintf(err, errlen, "not a pcap file (magic 0x%08x)", magic);
		goto fail;
	}
	linktype = rd32(fh + 20, swap) & 0x0fffffff;
	if (linktype != 1) {	/* LINKTYPE_ETHERNET */
		snprintf(err, errlen, "link type %u, not Ethernet (1)", linktype);
		goto fail;
	}
	if (fread(rh, 1, sizeof(rh), f) != sizeof(rh)) {
		snprintf(err, errlen, "no packet in the file");
		goto fail;
	}
	caplen = rd32(rh + 8, swap);
	if (caplen < PG_MIN_SIZE || caplen > PG_MAX_SIZE) {
		snprintf(err, errlen, "first packet has %u bytes captured; pkt-gen sends %u..%u",
		    caplen, PG_MIN_SIZE, PG_MAX_SIZE);
		goto fail;
	}
	if (rd32(rh + 12, swap) != caplen)
		pg_warn("-P %s: the first packet was truncated when captured (%u of %u bytes); "
		    "sending the %u bytes", path, caplen, rd32(rh + 12, swap), caplen);
	buf = malloc(caplen);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (fread(buf, 1, caplen, f) != caplen) {
		free(buf);
		snprintf(err, errlen, "first packet cut short by the end of the file");
		goto fail;
	}
	fclose(f);
	*frame = buf;
	*len = caplen;
	return 0;
fail:
	fclose(f);
	return -1;
}
