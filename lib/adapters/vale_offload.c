/*
 * vale_offload.c - frames between VALE ports whose virtio-net header
 * lengths differ, as netmap's bdg_mismatch_datapath (netmap_offloadings.c)
 * treats them.  The destination's header is built by netmap's table:
 *
 *   sender | receiver | the receiver's header
 *   -------+----------+------------------------------------------------
 *      0   |  10, 12  | zeroed
 *     10   |    12    | the sender's 10 bytes, then 2 zero bytes
 *     12   |    10    | the sender's first 10 bytes
 *   10, 12 |     0    | none: the offloads it asks for are done here
 *
 * The offloads, only when the header is stripped:
 *   - gso_type TCPV4, TCPV6, UDP (ECN bit ignored): the frame is cut into
 *     frames of at most 1514 bytes (netmap's default maximum frame size
 *     for a port; gso_size is not read, as netmap does not read it), each
 *     with a copy of the Ethernet (802.1Q tags too), IP and TCP/UDP
 *     headers, fixed as gso_fix_segment fixes them: IPv4 total length, id
 *     + segment index and header checksum, IPv6 payload length, TCP
 *     sequence number + bytes before it, PSH and FIN only on the last
 *     segment, UDP length, and the TCP/UDP checksum computed in full;
 *   - NEEDS_CSUM without GSO: the Internet checksum of the bytes from
 *     csum_start to the end (the field holding the pseudo-header sum the
 *     sender left there), stored at csum_start + csum_offset.
 * A header netmap calls bad (an unknown gso_type, flags other than
 * NEEDS_CSUM and DATA_VALID) drops the frame, as does a GSO frame too
 * short for the headers it claims or neither IPv4 nor IPv6.
 *
 * Where we differ from netmap, for safety: a frame of several slots (or an
 * NS_INDIRECT one, or one whose checksum we write) is first gathered in
 * private memory, so the headers may straddle fragments, NS_INDIRECT data
 * is read once, the sender's buffers are never written, and nothing the
 * sender changes meanwhile can make us read or write out of bounds (a
 * plain one-slot frame is read in place, its length and index read once);
 * and the copy is cut at the receiver's buffer size
 * (netmap would write past a buffer when adding a header to a full one),
 * never into more than 64 slots.
 */
#include <string.h>

#include "core/core.h"
#include "adapters/vale_offload.h"
#include "shared/be16.h"

/* the one's complement sum of @len bytes, as big-endian 16-bit words, onto @sum */
static uint64_t
csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

/* folded and complemented: the value a checksum field holds */
static uint16_t
csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* a slot as it is now, each field read once (the sender may be rewriting it) */
static struct netmap_slot
snap(const struct netmap_slot *p)
{
	struct netmap_slot s;

	s.buf_idx = __atomic_load_n(&p->buf_idx, __ATOMIC_RELAXED);
	s.len = __atomic_load_n(&p->len, __ATOMIC_RELAXED);
	s.flags = __atomic_load_n(&p->flags, __ATOMIC_RELAXED);
	s.ptr = __atomic_load_n(&p->ptr, __ATOMIC_RELAXED);
	return s;
}

/*
 * Gathers the packet's fragments into @lin (VALE_OFL_SCRATCH bytes); its
 * length.  txsync checked the slots, but the application may rewrite them
 * meanwhile: each field is read once and checked again.
 */
static size_t
gather(const struct vale_src *s, uint8_t *lin)
{
	size_t len = 0;
	uint32_t j = s->first;

	for (uint32_t f = 0; f < s->frags && f <= UNM_MAX_FRAGS; f++, j = unm_next(j, s->ring_size)) {
		struct netmap_slot sl = snap(&s->slot[j]);
		uint32_t l = sl.len <= s->buf_size ? sl.len : 0, off;

		if (sl.flags & NS_INDIRECT) {
			if (unm_copy_in(lin + len, (const void *)(uintptr_t)sl.ptr, l) < 0)
				l = 0;	/* a bad pointer: an empty fragment, as in the plain copy */
		} else if (sl.buf_idx >= 2 && sl.buf_idx < s->nbufs &&
		    unm_slot_off(s->k, &sl, s->buf_size, &off)) {	/* at its data offset */
			memcpy(lin + len, s->bufs + (uint64_t)sl.buf_idx * s->buf_size + off, l);
		} else {
			l = 0;	/* an offset that no longer fits: empty, as in the plain copy */
		}
		len += l;
	}
	return len;
}

/*
 * A packet of one plain slot is read where it is (no gather): its length
 * and buffer index are read once and checked, so whatever the sender
 * writes meanwhile we stay within that buffer.  NULL: gather it.
 */
static const uint8_t *
direct(const struct vale_src *s, size_t *len)
{
	struct netmap_slot sl = snap(&s->slot[s->first]);
	uint32_t off;

	if (s->frags != 1 || (sl.flags & NS_INDIRECT) || sl.len > s->buf_size ||
	    sl.buf_idx < 2 || sl.buf_idx >= s->nbufs || !unm_slot_off(s->k, &sl, s->buf_size, &off))
		return NULL;
	*len = sl.len;
	return (const uint8_t *)s->bufs + (uint64_t)sl.buf_idx * s->buf_size + off;
}

/*
 * Where queue slot @q's data goes: its buffer (a receiver that scribbled
 * gets buffer 0) at the receiver's offset, noted in the slot's ptr
 */
static uint8_t *
dst_buf(struct vale_dst *d, uint32_t q)
{
	uint32_t bi = d->slot[q].buf_idx;

	if (bi < 2 || bi >= d->nbufs)
		bi = 0;
	d->slot[q].ptr = d->doff;
	return (uint8_t *)d->bufs + (uint64_t)bi * d->buf_size + d->doff;
}

/* @hdr (@hl bytes) then @pkt, over as many slots as it takes; slots used or an error */
static int
emit(const char *port, struct vale_dst *d, const uint8_t *hdr, uint32_t hl,
    const uint8_t *pkt, size_t plen)
{
	size_t total = hl + plen, done = 0, cap = d->buf_size - d->doff;
	uint32_t n = total ? (uint32_t)((total + cap - 1) / cap) : 1, q = d->prod;

	if (n > UNM_MAX_FRAGS) {
		unm_ratelimited(5, "%s: frame of %zu bytes dropped: more than %u buffers of the "
		    "receiver", port, total, UNM_MAX_FRAGS);
		return VALE_OFL_BAD;
	}
	if (n > d->space)
		return VALE_OFL_FULL;
	for (uint32_t k = 0; k < n; k++, q = unm_next(q, d->qslots)) {
		uint8_t *out = dst_buf(d, q);
		size_t room = total - done < cap ? total - done : cap, w = 0;

		if (done < hl) {	/* the header (a large receiver offset may cut it) */
			w = hl - done < room ? hl - done : room;
			memcpy(out, hdr + done, w);
		}
		if (room > w)
			memcpy(out + w, pkt + (done + w - hl), room - w);
		d->slot[q].len = (uint16_t)room;
		d->slot[q].flags = (uint16_t)((k + 1 < n ? NS_MOREFRAG : 0) | (n - k) << 8);
		done += room;
	}
	return (int)n;
}

/* NEEDS_CSUM: the checksum from csum_start on, at csum_start + csum_offset */
static void
csum_partial(const char *port, const struct vale_vnet_hdr *vh, uint8_t *pkt, size_t plen)
{
	size_t start = vh->csum_start, at = (size_t)vh->csum_start + vh->csum_offset;

	if (at + 2 > plen) {	/* netmap says so and passes the frame as it is */
		unm_ratelimited(5, "%s: invalid checksum request (start %u offset %u, frame of "
		    "%zu bytes): frame passed without it", port, vh->csum_start, vh->csum_offset,
		    plen);
		return;
	}
	unm_put_be16(pkt + at, csum_fold(csum_add(0, pkt + start, plen - start)));
}

/* fixes segment @idx (the IP packet at @ip, @iplen bytes), as gso_fix_segment */
static void
fix_segment(uint8_t *ip, size_t iplen, bool ipv4, uint32_t iphlen, bool tcp, uint32_t idx,
    uint32_t before, bool last)
{
	uint8_t *l4 = ip + iphlen;
	size_t l4len = iplen - iphlen;
	uint8_t *check = l4 + (tcp ? 16 : 6);
	uint64_t sum;

	if (ipv4) {
		unm_put_be16(ip + 2, (uint16_t)iplen);
		unm_put_be16(ip + 4, (uint16_t)(unm_get_be16(ip + 4) + idx));
		unm_put_be16(ip + 10, 0);
		unm_put_be16(ip + 10, csum_fold(csum_add(0, ip, iphlen)));
	} else {
		unm_put_be16(ip + 4, (uint16_t)l4len);
	}
	if (tcp) {
		uint32_t seq = (uint32_t)unm_get_be16(l4 + 4) << 16 | unm_get_be16(l4 + 6);

		seq += before;
		unm_put_be16(l4 + 4, (uint16_t)(seq >> 16));
		unm_put_be16(l4 + 6, (uint16_t)seq);
		if (!last)
			l4[13] &= (uint8_t)~(0x08 | 0x01);	/* PSH, FIN */
	} else {
		unm_put_be16(l4 + 4, (uint16_t)l4len);
	}
	unm_put_be16(check, 0);
	/* the pseudo-header: addresses, protocol, length */
	if (ipv4)
		sum = csum_add(0, ip + 12, 8);
	else
		sum = csum_add(0, ip + 8, 32);
	sum += (tcp ? 6u : 17u) + (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff);
	sum = csum_add(sum, l4, l4len);
	unm_put_be16(check, csum_fold(sum));
	if (!tcp && unm_get_be16(check) == 0)
		unm_put_be16(check, 0xffff);	/* UDP: 0 means "no checksum" */
}

/* GSO: cuts the frame (Ethernet on) into segments, one slot each; slots used or an error */
static int
segment(const char *port, const struct vale_vnet_hdr *vh, struct vale_dst *d,
    const uint8_t *pkt, size_t plen)
{
	bool tcp = (vh->gso_type & ~VALE_VNET_GSO_ECN) != VALE_VNET_GSO_UDP, ipv4;
	uint32_t eth = 14, iphlen, hlen, mfs = VALE_MFS_DEFAULT, segmax, nseg, q = d->prod;
	size_t data, off = 0;
	uint16_t type = 0;
	const char *why = NULL;

	while (plen >= eth && (type = unm_get_be16(pkt + eth - 2)) == 0x8100)
		eth += 4;	/* 802.1Q tags */
	if (plen < eth) {
		why = "shorter than its Ethernet header";
		goto bad;
	}
	if (type == 0x0800) {
		ipv4 = true;
		iphlen = plen >= eth + 20 ? 4u * (pkt[eth] & 0x0f) : 0;
	} else if (type == 0x86dd) {
		ipv4 = false;
		iphlen = 40;
	} else {
		why = "neither IPv4 nor IPv6";
		goto bad;
	}
	if (iphlen < 20 || plen < eth + iphlen) {
		why = "shorter than its IP header";
		goto bad;
	}
	if (tcp) {
		if (plen < eth + iphlen + 20) {
			why = "shorter than its TCP header";
			goto bad;
		}
		hlen = eth + iphlen + 4u * (pkt[eth + iphlen + 12] >> 4);
		if (hlen < eth + iphlen + 20) {
			why = "TCP data offset below 5";
			goto bad;
		}
	} else {
		hlen = eth + iphlen + 8;
	}
	if (plen < hlen) {
		why = "shorter than its headers";
		goto bad;
	}
	if (mfs > d->buf_size - d->doff)
		mfs = d->buf_size - d->doff;
	if (hlen >= mfs) {
		why = "headers as long as a whole frame";
		goto bad;
	}
	data = plen - hlen;
	if (data == 0) {	/* netmap sends nothing for it either */
		why = "no payload to segment";
		goto bad;
	}
	segmax = mfs - hlen;
	nseg = (uint32_t)((data + segmax - 1) / segmax);
	if (nseg > d->space)
		return VALE_OFL_FULL;
	for (uint32_t i = 0; i < nseg; i++, off += segmax, q = unm_next(q, d->qslots)) {
		uint8_t *out = dst_buf(d, q);
		size_t n = data - off < segmax ? data - off : segmax;

		memcpy(out, pkt, hlen);
		memcpy(out + hlen, pkt + hlen + off, n);
		fix_segment(out + eth, hlen - eth + n, ipv4, iphlen, tcp, i, (uint32_t)off,
		    i + 1 == nseg);
		d->slot[q].len = (uint16_t)(hlen + n);
		d->slot[q].flags = 1u << 8;
	}
	return (int)nseg;
bad:
	unm_ratelimited(5, "%s: GSO frame of %zu bytes dropped: %s", port, plen, why);
	return VALE_OFL_BAD;
}

int
vale_offload_copy(const char *port, const struct vale_src *s, struct vale_dst *d,
    uint8_t *scratch)
{
	size_t len = 0, plen;
	const uint8_t *src = direct(s, &len), *pkt;
	struct vale_vnet_hdr vh;
	uint8_t hdr[12] = { 0 };

	if (!src) {
		len = gather(s, scratch);
		src = scratch;
	}

	memset(&vh, 0, sizeof(vh));
	if (len < s->hdr_len) {
		unm_ratelimited(5, "%s: frame of %zu bytes dropped: shorter than its %u-byte "
		    "virtio-net header", port, len, s->hdr_len);
		return VALE_OFL_BAD;
	}
	if (s->hdr_len)
		memcpy(&vh, src, sizeof(vh));
	pkt = src + s->hdr_len;
	plen = len - s->hdr_len;
	if (d->hdr_len) {	/* added (zeroed) or converted: no offload */
		if (s->hdr_len)
			memcpy(hdr, &vh, sizeof(vh));
		return emit(port, d, hdr, d->hdr_len, pkt, plen);
	}
	if (s->hdr_len) {
		uint8_t gso = vh.gso_type & ~VALE_VNET_GSO_ECN;

		if ((gso != VALE_VNET_GSO_NONE && gso != VALE_VNET_GSO_TCPV4 &&
		    gso != VALE_VNET_GSO_UDP && gso != VALE_VNET_GSO_TCPV6) ||
		    (vh.flags & ~(VALE_VNET_F_NEEDS_CSUM | VALE_VNET_F_DATA_VALID))) {
			unm_ratelimited(5, "%s: frame dropped: bad virtio-net header (flags %#x, "
			    "gso_type %#x)", port, vh.flags, vh.gso_type);
			return VALE_OFL_BAD;
		}
		if (gso != VALE_VNET_GSO_NONE)
			return segment(port, &vh, d, pkt, plen);
		if (vh.flags & VALE_VNET_F_NEEDS_CSUM) {
			/* written into: in our copy, never in the sender's buffer */
			if (src != scratch)
				memcpy(scratch, src, len);
			csum_partial(port, &vh, scratch + s->hdr_len, plen);
			pkt = scratch + s->hdr_len;
		}
	}
	return emit(port, d, hdr, 0, pkt, plen);
}
