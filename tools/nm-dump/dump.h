/*
 * dump.h - what nm-dump's files share.
 *
 *   main.c     command line, the monitor, the capture loop, the summary
 *   decode.c   one line per frame: Ethernet, VLAN, ARP, IPv4, IPv6, TCP, UDP, ICMP
 *   save.c     pcap files through libpcap's pcap_dump, with -C rotation
 */
#ifndef NM_DUMP_H
#define NM_DUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>

#include <pcap/pcap.h>

/* a short decode of frame @f (@caplen bytes captured of @len) on one line, no newline */
void nd_decode(FILE *out, const uint8_t *f, uint32_t caplen, uint32_t len);

/* -w file [-C megabytes]: pcap output, rotated by size */
struct nd_save {
	const char *path;	/* -w */
	uint64_t limit;		/* -C in bytes; 0: one file */
	unsigned files;		/* opened so far */
	pcap_t *dead;		/* the handle pcap_dump_open wants */
	pcap_dumper_t *d;
};

/* opens the first file; 0, or -1 with a message */
int nd_save_open(struct nd_save *s, pcap_t *dead, const char *path, uint64_t limit);
/* one record (rotating first when the file is past the limit); 0 or -1 with a message */
int nd_save_frame(struct nd_save *s, const struct pcap_pkthdr *h, const uint8_t *data);
/* flushes and closes; 0 or -1 with a message */
int nd_save_close(struct nd_save *s);

#endif
