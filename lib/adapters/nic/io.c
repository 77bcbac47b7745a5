/* io.c - see nic_io.h */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "adapters/nic/nic_io.h"

uint32_t
unm_nic_gather(struct unm_kr *kr, uint32_t j, uint32_t end, struct iovec *iov, unsigned *niov,
    bool *bad)
{
	struct netmap_slot *slot = kr->ring->slot;
	uint32_t start = j;
	unsigned n = 0;

	*bad = false;
	for (; j != end; j = unm_next(j, kr->n)) {
		struct netmap_slot *s = &slot[j];
		uint32_t off;

		if (!unm_nic_slot_ok(kr, s, &off) || n == UNM_MAX_FRAGS) {
			*bad = true;
			return start;
		}
		iov[n].iov_base = unm_nic_buf(kr, s->buf_idx) + off;
		iov[n].iov_len = s->len;
		n++;
		if (!(s->flags & NS_MOREFRAG)) {
			*niov = n;
			return unm_next(j, kr->n);
		}
	}
	return start;	/* the packet goes on past @end */
}

void
unm_nic_forward(struct unm_kr *kr, uint32_t from, uint32_t to, int fd)
{
	struct iovec iov[UNM_MAX_FRAGS];
	uint32_t j = from;

	if (!(kr->ring->flags & NR_FORWARD) || fd < 0)
		return;
	while (j != to) {
		unsigned n = 0;
		bool bad;
		bool fwd = kr->ring->slot[j].flags & NS_FORWARD;
		uint32_t next = unm_nic_gather(kr, j, to, iov, &n, &bad);

		if (next == j) {
			j = unm_next(j, kr->n);	/* a bad or unfinished chain: skip a slot */
			continue;
		}
		/* writev: the TAP is no socket; an AF_PACKET socket takes it too */
		if (fwd) {
			if (writev(fd, iov, (int)n) < 0 && errno != EAGAIN)
				unm_ratelimited(5, "%s: cannot forward a frame: %s", kr->name,
				    strerror(errno));
		}
		for (uint32_t k = j; k != next; k = unm_next(k, kr->n))
			kr->ring->slot[k].flags &= (uint16_t)~NS_FORWARD;
		j = next;
	}
}
