/*
 * port.c - netmap ports as pkt-gen uses them.
 *
 * Every thread opens its own descriptor with nmport_prepare() +
 * nmport_open_desc(), after turning the register mode into a one-ring
 * mode when there are several threads (ALL_NIC -> ONE_NIC ring i, SW ->
 * ONE_SW ring i, NIC_SW -> ONE_NIC then ONE_SW past the hardware rings),
 * which is what netmap's pkt-gen does.  Nothing here is specific to
 * unetmap.
 *
 * "null" is pkt-gen's discard port: one private tx ring in ordinary
 * memory whose "sync" takes back every slot, for measuring the generator
 * alone.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "pktgen.h"
#include "tools/common/nm_errno.h"

#define DRAIN_IDLE_NS	2000000000ull	/* give up draining after 2 s without progress */
#define NULL_SLOTS	1024
#define NULL_BUFSZ	2048

enum pg_kind
pg_kind_of(const char *vpname)
{
	if (strpbrk(vpname, "{}"))
		return PG_KIND_PIPE;
	if (!strncmp(vpname, "vale", 4))
		return PG_KIND_VALE;
	if (if_nametoindex(vpname))
		return PG_KIND_NIC;
	return PG_KIND_OTHER;
}

/* -C a[,b[,c[,d]]] as libnetmap's @conf option */
char *
pg_port_spec(const char *name, const char *ring_conf)
{
	unsigned long v[4] = { 0, 0, 0, 0 };
	unsigned long txs, rxs, txr, rxr;
	const char *p = ring_conf;
	char conf[160] = "", *spec;
	int n = 0;
	size_t len;

	if (!ring_conf)
		return strdup(name);
	while (n < 4) {
		char *end;

		v[n++] = strtoul(p, &end, 10);
		if (*end != ',')
			break;
		p = end + 1;
	}
	/* one number: both slot counts; no fourth: the third for both ring counts */
	txs = v[0];
	rxs = n >= 2 ? v[1] : v[0];
	txr = v[2];
	rxr = n >= 4 ? v[3] : v[2];
	if (strstr(name, "@conf"))
		pg_die_usage("-C and @conf in the port name both set the geometry; keep @conf");
#define ADD(key, val)							\
	if (val) {							\
		len = strlen(conf);					\
		snprintf(conf + len, sizeof(conf) - len, "%s%s=%lu",	\
		    conf[0] ? "," : "@conf:", key, val);		\
	}
	ADD("tx-slots", txs);
	ADD("rx-slots", rxs);
	ADD("tx-rings", txr);
	ADD("rx-rings", rxr);
#undef ADD
	if (asprintf(&spec, "%s%s", name, conf) < 0)
		return NULL;
	pg_warn("-C is deprecated; the same is %s", spec);
	return spec;
}

static int
null_open(struct pg_port *p, struct pg_port_info *info)
{
	size_t hdr = sizeof(struct netmap_ring) + NULL_SLOTS * sizeof(struct netmap_slot);
	size_t size;
	char *mem;
	struct netmap_ring *r;
	int64_t buf_ofs;
	uint32_t u32;

	hdr = (hdr + 4095) & ~(size_t)4095;
	/* buffer 0 and 1 are reserved in netmap; keep the same numbering */
	size = hdr + (size_t)(NULL_SLOTS + 2) * NULL_BUFSZ;
	mem = aligned_alloc(4096, size);
	if (!mem)
		return -1;
	memset(mem, 0, hdr);
	r = (struct netmap_ring *)mem;
	buf_ofs = (int64_t)hdr;
	memcpy(mem + offsetof(struct netmap_ring, buf_ofs), &buf_ofs, sizeof(buf_ofs));
	u32 = NULL_SLOTS;
	memcpy(mem + offsetof(struct netmap_ring, num_slots), &u32, sizeof(u32));
	u32 = NULL_BUFSZ;
	memcpy(mem + offsetof(struct netmap_ring, nr_buf_size), &u32, sizeof(u32));
	for (uint32_t i = 0; i < NULL_SLOTS; i++)
		r->slot[i].buf_idx = i + 2;
	r->head = r->cur = 0;
	r->tail = NULL_SLOTS - 1;
	p->null_mem = mem;
	p->null_ring = r;
	p->fd = -1;
	p->name = "null";
	p->kind = PG_KIND_NULL;
	p->first_tx = p->last_tx = 0;
	p->first_rx = 1;
	p->last_rx = 0;
	if (info) {
		memset(info, 0, sizeof(*info));
		info->kind = PG_KIND_NULL;
		snprintf(info->vpname, sizeof(info->vpname), "null");
		info->tx_rings = 1;
		info->tx_slots = NULL_SLOTS;
		info->buf_size = NULL_BUFSZ;
	}
	return 0;
}

/*
 * Open @spec.  ring < 0: as the name says; otherwise the one-ring mode
 * for ring number @ring, counted over the hardware rings and then (with
 * "*" in the name) the host rings; hw_rings is the number of hardware
 * rings (from the first open; 0 before it).
 */
int
pg_port_open(struct pg_port *p, const char *spec, int ring, unsigned hw_rings,
    bool rx_only, struct pg_port_info *info)
{
	struct nmport_d *d;
	uint32_t mode;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	if (!strcmp(spec, "null"))
		return null_open(p, info);
	d = nmport_prepare(spec);
	if (!d) {
		fprintf(stderr, "pkt-gen: cannot parse port '%s': %s\n", spec, nm_errstr(errno));
		return -1;
	}
	mode = d->reg.nr_mode;
	if (info)
		info->orig_mode = mode;
	if (ring >= 0) {
		unsigned base = d->reg.nr_ringid & NETMAP_RING_MASK;

		switch (mode) {
		case NR_REG_ALL_NIC:
		case NR_REG_DEFAULT:
			d->reg.nr_mode = NR_REG_ONE_NIC;
			d->reg.nr_ringid = (uint16_t)ring;
			break;
		case NR_REG_ONE_NIC:
			d->reg.nr_ringid = (uint16_t)(base + (unsigned)ring);
			break;
		case NR_REG_SW:
			d->reg.nr_mode = NR_REG_ONE_SW;
			d->reg.nr_ringid = (uint16_t)ring;
			break;
		case NR_REG_ONE_SW:
			d->reg.nr_ringid = (uint16_t)(base + (unsigned)ring);
			break;
		case NR_REG_NIC_SW:
			if (hw_rings && (unsigned)ring >= hw_rings) {
				d->reg.nr_mode = NR_REG_ONE_SW;
				d->reg.nr_ringid = (uint16_t)((unsigned)ring - hw_rings);
			} else {
				d->reg.nr_mode = NR_REG_ONE_NIC;
				d->reg.nr_ringid = (uint16_t)ring;
			}
			break;
		default:
			break;
		}
		d->reg.nr_ringid &= NETMAP_RING_MASK;
	}
	if (rx_only)
		d->reg.nr_flags |= NR_NO_TX_POLL;
	d->reg.nr_flags |= NR_ACCEPT_VNET_HDR;
	if (nmport_open_desc(d) < 0) {
		int e = errno;

		fprintf(stderr, "pkt-gen: cannot open %s%s: %s\n", spec,
		    ring >= 0 && d->reg.nr_mode == NR_REG_ONE_NIC ? " (one ring per thread)" : "",
		    nm_errstr(e));
		nmport_undo_prepare(d);
		errno = e;
		return -1;
	}
	p->d = d;
	p->fd = d->fd;
	p->name = spec;
	p->nifp = d->nifp;
	p->first_tx = d->first_tx_ring;
	p->last_tx = d->last_tx_ring;
	p->first_rx = d->first_rx_ring;
	p->last_rx = d->last_rx_ring;
	p->kind = pg_kind_of(d->hdr.nr_name);
	if (info) {
		struct netmap_ring *r = NULL;

		info->kind = p->kind;
		snprintf(info->vpname, sizeof(info->vpname), "%s", d->hdr.nr_name);
		info->tx_rings = d->reg.nr_tx_rings;
		info->rx_rings = d->reg.nr_rx_rings;
		info->host_tx_rings = d->reg.nr_host_tx_rings;
		info->host_rx_rings = d->reg.nr_host_rx_rings;
		info->tx_slots = d->reg.nr_tx_slots;
		info->rx_slots = d->reg.nr_rx_slots;
		info->mem_id = d->reg.nr_mem_id;
		if (p->first_tx <= p->last_tx)
			r = NETMAP_TXRING(p->nifp, p->first_tx);
		else if (p->first_rx <= p->last_rx)
			r = NETMAP_RXRING(p->nifp, p->first_rx);
		info->buf_size = r ? r->nr_buf_size : 0;
	}
	return 0;
}

void
pg_port_close(struct pg_port *p)
{
	if (p->d)
		nmport_close(p->d);
	free(p->null_mem);
	memset(p, 0, sizeof(*p));
	p->fd = -1;
}

struct netmap_ring *
pg_txring(struct pg_port *p, unsigned i)
{
	return p->null_ring ? p->null_ring : NETMAP_TXRING(p->nifp, i);
}

struct netmap_ring *
pg_rxring(struct pg_port *p, unsigned i)
{
	return NETMAP_RXRING(p->nifp, i);
}

/* the null port: everything sent is gone at once */
static void
null_sync(struct pg_port *p)
{
	struct netmap_ring *r = p->null_ring;

	r->tail = r->head ? r->head - 1 : r->num_slots - 1;
}

int
pg_port_txsync(struct pg_port *p)
{
	if (p->null_ring) {
		null_sync(p);
		return 0;
	}
	return ioctl(p->fd, NIOCTXSYNC, NULL);
}

/* poll() the port; returns poll's revents, 0 on timeout, -1 on error */
int
pg_port_wait(struct pg_port *p, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->fd, .events = events };
	int n;

	if (p->null_ring) {
		null_sync(p);
		return events & POLLOUT;
	}
	n = poll(&pfd, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	return n ? pfd.revents : 0;
}

/*
 * -H: ask the port for a virtio-net header of @want bytes; without -H,
 * learn what the port uses (netmap's pkt-gen does both).
 */
void
pg_port_set_vhdr(struct pg_port *p, int want)
{
	struct nmreq_header h;
	struct nmreq_port_hdr ph;

	if (!p->d)
		return;
	if (!want && p->kind == PG_KIND_PIPE)
		return;	/* a pipe never has one */
	memset(&ph, 0, sizeof(ph));
	memcpy(&h, &p->d->hdr, sizeof(h));
	h.nr_options = 0;
	h.nr_body = (uintptr_t)&ph;
	if (want) {
		h.nr_reqtype = NETMAP_REQ_PORT_HDR_SET;
		ph.nr_hdr_len = (uint32_t)want;
		if (ioctl(p->fd, NIOCCTRL, &h) < 0)
			pg_die("-H %d: %s does not take a virtio-net header of %d bytes (%s); "
			    "only VALE ports and NICs with virtio offloads do", want, p->name,
			    want, nm_errstr(errno));
		p->vhdr = (unsigned)want;
		return;
	}
	h.nr_reqtype = NETMAP_REQ_PORT_HDR_GET;
	if (ioctl(p->fd, NIOCCTRL, &h) < 0) {
		pg_info("%s: no virtio-net header information (%s); using none", p->name,
		    strerror(errno));
		return;
	}
	if (ph.nr_hdr_len > PG_MAX_VHDR)
		pg_die("%s uses a virtio-net header of %u bytes; pkt-gen knows 0, 10 and 12",
		    p->name, ph.nr_hdr_len);
	p->vhdr = ph.nr_hdr_len;
	if (p->vhdr)
		pg_warn("%s requires a virtio-net header of %u bytes; adding it", p->name, p->vhdr);
}

/*
 * After the last packet: push it out and wait until the other side has
 * taken every slot, or 2 s without progress.  Returns when the last slot
 * was seen going (the end of the transmission), in *done.
 */
void
pg_port_drain(struct pg_port *p, struct timespec *done)
{
	uint64_t idle_since = pg_now_ns();
	unsigned pending_before = ~0u;

	pg_port_txsync(p);
	pg_gettime(done);
	while (!pg_stopping()) {
		unsigned pending = 0;

		for (unsigned i = p->first_tx; i <= p->last_tx; i++) {
			struct netmap_ring *r = pg_txring(p, i);

			if (nm_tx_pending(r))
				pending += r->num_slots - 1 - nm_ring_space(r);
		}
		if (pending != pending_before) {
			pending_before = pending;
			idle_since = pg_now_ns();
			pg_gettime(done);
		}
		if (!pending)
			return;
		if (pg_now_ns() - idle_since > DRAIN_IDLE_NS) {
			pg_warn("%s: %u packet slots still queued after 2 s; the receiver is not "
			    "taking them", p->name, pending);
			return;
		}
		pg_sleep_ns(20000);
		pg_port_txsync(p);
	}
}
