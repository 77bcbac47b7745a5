/*
 * vale_exchange.c - buffer exchange on a VALE switch (unetmap_tx_exchange):
 * a sender that asked for it hands its buffers to a receiver in the same
 * memory region instead of having them copied; without asking (netmap's
 * behaviour) a tx slot's buffer never changes; floods, a receiver in
 * another region and a watched tx ring still copy.  Every frame's bytes
 * are checked, and no buffer is lost or held twice.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "../lib/nmraw.h"
#include "../lib/tap.h"
#include "unetmap.h"

static char sw[16];

static int
vopen(struct rawport *r, const char *p, uint16_t mem_id)
{
	struct nmreq_register req = { .nr_mode = NR_REG_ALL_NIC, .nr_mem_id = mem_id,
		.nr_tx_slots = 256, .nr_rx_slots = 256 };
	char n[64];

	snprintf(n, sizeof(n), "%s:%s", sw, p);
	return raw_open_req(r, n, &req);
}

static long
free_bufs(uint16_t mem_id)
{
	struct nmreq_unetmap_region_info ri = { .nr_mem_id = mem_id };
	int fd = open("/dev/netmap", O_RDWR);
	long r = -1;

	if (fd >= 0 && raw_ctrl(fd, NETMAP_REQ_UNETMAP_REGION_INFO, "", &ri, NULL) == 0)
		r = (long)ri.nr_buf_free;
	if (fd >= 0)
		close(fd);
	return r;
}

/*
 * One frame from MAC 02::src to 02::dst (0xff: broadcast) carrying @seq;
 * the tx slot's buffer before (*@before) and after (*@after) the sync.
 */
static int
send_seq(struct rawport *r, int src, int dst, uint32_t seq, uint32_t *before, uint32_t *after)
{
	struct netmap_ring *ring = NETMAP_TXRING(r->nifp, 0);
	uint32_t h = ring->head;
	struct netmap_slot *s = &ring->slot[h];
	unsigned char *b;

	if (nm_ring_space(ring) == 0)
		return -1;
	b = (unsigned char *)NETMAP_BUF(ring, s->buf_idx);
	raw_eth(b, src, dst);
	memcpy(b + 14, &seq, sizeof(seq));
	memset(b + 18, (int)(seq & 0xff), 100 - 18);
	s->len = 100;
	s->flags = 0;
	*before = s->buf_idx;
	ring->head = ring->cur = nm_ring_next(ring, h);
	if (ioctl(r->fd, NIOCTXSYNC, NULL) < 0)
		return -1;
	*after = ring->slot[h].buf_idx;
	return 0;
}

/* the next frame on @r: its sequence number if its bytes are whole, else -1; -2: none */
static long
recv_seq(struct rawport *r, uint32_t *buf_idx)
{
	struct netmap_ring *ring = NETMAP_RXRING(r->nifp, 0);
	struct netmap_slot *s;
	const unsigned char *b;
	uint32_t seq;
	long ret;

	if (nm_ring_empty(ring))
		ioctl(r->fd, NIOCRXSYNC, NULL);
	if (nm_ring_empty(ring))
		return -2;
	s = &ring->slot[ring->head];
	b = (const unsigned char *)NETMAP_BUF(ring, s->buf_idx);
	memcpy(&seq, b + 14, sizeof(seq));
	ret = s->len == 100 ? (long)seq : -1;
	for (int i = 18; i < 100 && ret >= 0; i++)
		if (b[i] != (seq & 0xff))
			ret = -1;
	if (buf_idx)
		*buf_idx = s->buf_idx;
	ring->head = ring->cur = nm_ring_next(ring, ring->head);
	return ret;
}

static void
drain(struct rawport *r)
{
	for (int i = 0; i < 1000 && recv_seq(r, NULL) != -2; i++)
		;
}

/* no buffer index twice among @a's and @b's rings (all four) */
static bool
distinct(struct rawport *a, struct rawport *b)
{
	struct rawport *p[2] = { a, b };
	size_t n = 0, cap = 4096;
	uint32_t *all = calloc(cap, sizeof(*all));
	bool ok = all != NULL;

	for (int i = 0; i < 2 && ok; i++)
		for (int t = 0; t < 2 && ok; t++) {
			struct netmap_ring *ring = t ? NETMAP_RXRING(p[i]->nifp, 0) :
			    NETMAP_TXRING(p[i]->nifp, 0);

			for (uint32_t j = 0; j < ring->num_slots && n < cap; j++)
				all[n++] = ring->slot[j].buf_idx;
		}
	for (size_t i = 0; i < n && ok; i++)
		for (size_t j = i + 1; j < n && ok; j++)
			ok = all[i] != all[j];
	free(all);
	return ok;
}

int
main(void)
{
	struct rawport a, b, c, m, keep;
	uint32_t before, after, got;
	long free0, free1, s;
	int n, changed, whole;
	char mn[64];

	alarm(120);
	snprintf(sw, sizeof(sw), "vale%dx", (int)getpid() % 100000);

	tap_ok(unetmap_tx_exchange(-1, 1) == -1 && errno == EBADF,
	    "unetmap_tx_exchange on no netmap descriptor: EBADF");
	n = open("/dev/netmap", O_RDWR);
	tap_ok(n >= 0 && unetmap_tx_exchange(n, 1) == -1 && errno == ENXIO,
	    "on a descriptor not bound yet: ENXIO");
	if (n >= 0)
		close(n);

	/*
	 * a port on another switch keeps region 1 alive, so that its free
	 * buffers can be compared (on this switch it would get inbound queues)
	 */
	memcpy(sw + strlen(sw) - 1, "k", 1);
	n = vopen(&keep, "keep", 1);
	memcpy(sw + strlen(sw) - 1, "x", 1);
	if (n || (free0 = free_bufs(1)) < 0 || vopen(&a, "a", 1) ||
	    vopen(&b, "b", 1) || vopen(&c, "c", 0)) {
		tap_ok(0, "three ports (a and b in region 1, c in its own)");
		return tap_done();
	}
	tap_ok(a.reg.nr_mem_id == 1 && b.reg.nr_mem_id == 1 && c.reg.nr_mem_id != 1,
	    "three ports: a and b in region 1, c in region %u", c.reg.nr_mem_id);
	/* b and c speak once: the switch learns where they are */
	send_seq(&b, 2, 0xff, 0, &before, &after);
	send_seq(&c, 3, 0xff, 0, &before, &after);
	drain(&a);
	drain(&b);
	drain(&c);

	/* netmap's behaviour: the tx slot keeps its buffer, the frame is copied */
	changed = whole = 0;
	for (uint32_t i = 1; i <= 300; i++) {
		send_seq(&a, 1, 2, i, &before, &after);
		changed += before != after;
		s = recv_seq(&b, &got);
		whole += s == (long)i && got != before;
	}
	TAP_EQ(changed, 0, "without asking, a tx slot never changes its buffer");
	TAP_EQ(whole, 300, "and 300 of 300 frames arrive whole, in other buffers (copied)");

	TAP_EQ(unetmap_tx_exchange(a.fd, 1), 0, "unetmap_tx_exchange on a bound port");
	changed = whole = 0;
	for (uint32_t i = 1; i <= 3000; i++) {
		send_seq(&a, 1, 2, i, &before, &after);
		s = recv_seq(&b, &got);
		changed += before != after && got == before;
		whole += s == (long)i;
	}
	TAP_EQ(changed, 3000, "with it, 3000 of 3000 frames go to b in the sender's own buffer, "
	    "the tx slot given another");
	TAP_EQ(whole, 3000, "every one arrives whole and in order");
	tap_ok(distinct(&a, &b), "no buffer is held twice across a's and b's rings");

	/* what still copies */
	send_seq(&a, 1, 0xff, 7, &before, &after);
	TAP_EQ(after, before, "a broadcast is copied: the tx slot keeps its buffer");
	TAP_EQ(recv_seq(&b, NULL), 7, "b gets the broadcast whole");
	TAP_EQ(recv_seq(&c, NULL), 7, "so does c");
	send_seq(&a, 1, 3, 8, &before, &after);
	TAP_EQ(after, before, "a frame to c, in another region, is copied");
	TAP_EQ(recv_seq(&c, NULL), 8, "and arrives whole");
	snprintf(mn, sizeof(mn), "%s:a", sw);
	if (raw_open(&m, mn, NR_REG_ALL_NIC, NR_MONITOR_TX, 0) == 0) {
		send_seq(&a, 1, 2, 9, &before, &after);
		TAP_EQ(after, before, "a tx ring with a monitor: copied (the monitor reads "
		    "completed slots)");
		TAP_EQ(recv_seq(&b, NULL), 9, "and arrives whole");
		raw_close(&m);
	} else {
		tap_ok(0, "a tx monitor of a");
	}
	/* the daemon takes the monitor off the ring's list when it sees the close */
	changed = whole = 0;
	for (uint32_t i = 100; i < 300 && !changed; i++) {
		send_seq(&a, 1, 2, i, &before, &after);
		changed = after != before;
		whole += recv_seq(&b, NULL) == (long)i;
		usleep(10000);
	}
	tap_ok(changed && whole > 0, "the monitor gone, exchanged again");
	TAP_EQ(unetmap_tx_exchange(a.fd, 0), 0, "turned off");
	send_seq(&a, 1, 2, 11, &before, &after);
	tap_ok(after == before && recv_seq(&b, NULL) == 11, "copied again");

	raw_close(&a);
	raw_close(&b);
	raw_close(&c);
	/* the daemon frees the rings when it sees the closes */
	for (int i = 0; i < 300 && (free1 = free_bufs(1)) != free0; i++)
		usleep(10000);
	raw_close(&keep);
	tap_ok(free0 >= 0 && free1 == free0, "region 1's free buffers after as before (%ld, %ld)",
	    free0, free1);
	return tap_done();
}
