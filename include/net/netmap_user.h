/*
 * net/netmap_user.h - helpers for netmap applications (unetmap's version).
 *
 * Always available: the macros that turn the offsets of the shared region
 * into pointers (NETMAP_IF, NETMAP_TXRING, NETMAP_RXRING, NETMAP_BUF, ...),
 * the ring arithmetic (nm_ring_next, nm_ring_space, nm_tx_pending), the
 * D()/RD()/ND() log macros and nm_pkt_copy().
 *
 * With NETMAP_WITH_LIBS defined before inclusion: the old header-only,
 * pcap-like library (struct nm_desc, nm_open, nm_close, nm_mmap,
 * nm_inject, nm_dispatch, nm_nextpkt).  New code should use libnetmap.h;
 * this one is kept because many existing programs use it.
 *
 * Typical use:
 *	ioctl(fd, NIOCCTRL, &hdr);	(a NETMAP_REQ_REGISTER request)
 *	mem = mmap(NULL, reg.nr_memsize, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0);
 *	nifp = NETMAP_IF(mem, reg.nr_offset);
 *	ring = NETMAP_TXRING(nifp, 0);
 *	buf = NETMAP_BUF(ring, ring->slot[ring->head].buf_idx);
 */
#ifndef _NET_NETMAP_USER_H_
#define _NET_NETMAP_USER_H_

#define NETMAP_DEVICE_NAME	"/dev/netmap"

#include <sys/socket.h>
#include <sys/time.h>		/* gettimeofday(), for D() */
#include <net/if.h>		/* IFNAMSIZ */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>		/* fprintf(), for D() */
#include <string.h>

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#include "netmap.h"

/* ------------------------------------------- offsets to pointers */

#define _NETMAP_OFFSET(type, ptr, offset) \
	((type)(void *)((char *)(ptr) + (offset)))

/* the netmap_if of a binding: region base + nr_offset */
#define NETMAP_IF(_base, _ofs)	_NETMAP_OFFSET(struct netmap_if *, _base, _ofs)

/* tx ring i; host tx rings follow the NIC ones */
#define NETMAP_TXRING(nifp, index) \
	_NETMAP_OFFSET(struct netmap_ring *, nifp, (nifp)->ring_ofs[(index)])

/* rx ring i; rx entries come after all the tx ones */
#define NETMAP_RXRING(nifp, index)					\
	_NETMAP_OFFSET(struct netmap_ring *, nifp,			\
	    (nifp)->ring_ofs[(index) + (nifp)->ni_tx_rings +		\
	    (nifp)->ni_host_tx_rings])

/* address of buffer number index, seen from ring */
#define NETMAP_BUF(ring, index)						\
	((char *)(ring) + (ring)->buf_ofs +				\
	    ((size_t)(index) * (ring)->nr_buf_size))

/* the inverse: buffer number of an address inside the buffer pool */
#define NETMAP_BUF_IDX(ring, buf)					\
	(((char *)(buf) - ((char *)(ring) + (ring)->buf_ofs)) /	\
	    (ring)->nr_buf_size)

/* the data offset stored in a slot (NETMAP_REQ_OPT_OFFSETS) */
#define NETMAP_ROFFSET(ring, slot)	((slot)->ptr & (ring)->offset_mask)

/* store a data offset in a slot, keeping the other bits of ptr */
#define NETMAP_WOFFSET(ring, slot, offset)				\
	do {								\
		(slot)->ptr = ((slot)->ptr & ~(ring)->offset_mask) |	\
		    ((offset) & (ring)->offset_mask);			\
	} while (0)

/* where the data of a slot starts, offset included */
#define NETMAP_BUF_OFFSET(ring, slot)					\
	(NETMAP_BUF(ring, (slot)->buf_idx) + NETMAP_ROFFSET(ring, slot))

/* ------------------------------------------------ ring arithmetic */

/* the index after i (num_slots need not be a power of two) */
static inline uint32_t
nm_ring_next(struct netmap_ring *r, uint32_t i)
{
	i++;
	return unlikely(i == r->num_slots) ? 0 : i;
}

/*
 * Non-zero while some tx slots are still in flight: with nothing pending
 * the kernel side holds exactly one slot, so head == tail + 1.
 */
static inline int
nm_tx_pending(struct netmap_ring *r)
{
	return nm_ring_next(r, r->tail) != r->head;
}

/* slots the application owns: from head up to tail */
static inline uint32_t
nm_ring_space(struct netmap_ring *ring)
{
	if (ring->tail >= ring->head)
		return ring->tail - ring->head;
	return ring->tail + ring->num_slots - ring->head;
}

/* --------------------------------------------------------- logging */

#ifndef ND
/* ND(): compiled out; D(): timestamped line on stderr; RD(): at most
 * lps D() lines per second from that call site */
#define ND(_fmt, ...)	do {} while (0)
#define D(_fmt, ...)							\
	do {								\
		struct timeval _nm_d_tv;				\
		gettimeofday(&_nm_d_tv, NULL);				\
		fprintf(stderr, "%03d.%06d %s [%d] " _fmt "\n",		\
		    (int)(_nm_d_tv.tv_sec % 1000), (int)_nm_d_tv.tv_usec, \
		    __func__, __LINE__, ##__VA_ARGS__);			\
	} while (0)
#define RD(lps, _fmt, ...)						\
	do {								\
		static time_t _nm_rd_sec;				\
		static int _nm_rd_cnt;					\
		struct timeval _nm_rd_tv;				\
		gettimeofday(&_nm_rd_tv, NULL);				\
		if (_nm_rd_sec != _nm_rd_tv.tv_sec) {			\
			_nm_rd_sec = _nm_rd_tv.tv_sec;			\
			_nm_rd_cnt = 0;					\
		}							\
		if (_nm_rd_cnt++ < (lps))				\
			D(_fmt, ##__VA_ARGS__);				\
	} while (0)
#endif /* ND */

/*
 * Copy a packet between buffers.  netmap hand-unrolls this; a plain
 * memcpy() is at least as fast with current compilers and C libraries.
 */
static inline void
nm_pkt_copy(const void *_src, void *_dst, int l)
{
	if (likely(l > 0))
		memcpy(_dst, _src, (size_t)l);
}

#ifdef NETMAP_WITH_LIBS
#ifndef HAVE_NETMAP_WITH_LIBS
#define HAVE_NETMAP_WITH_LIBS

/*
 * The pcap-like legacy library.  Everything below is static inline: it
 * talks to the device only through open(), ioctl(NIOCREGIF), mmap(),
 * munmap() and close(), exactly as netmap's header does.
 */

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

/* per-packet metadata handed to callbacks; starts like pcap_pkthdr */
struct nm_pkthdr {
	struct timeval	ts;
	uint32_t	caplen;		/* bytes contiguous at buf */
	uint32_t	len;		/* bytes of the whole packet */

	uint64_t	flags;
#define NM_MORE_PKTS	1		/* another packet follows in this batch */
	struct nm_desc	*d;
	struct netmap_slot *slot;	/* first slot of the packet */
	uint8_t		*buf;
};

/* same shape as pcap_stat */
struct nm_stat {
	unsigned int	ps_recv;
	unsigned int	ps_drop;
	unsigned int	ps_ifdrop;
};

#define NM_ERRBUF_SIZE	512

struct nm_desc {
	struct nm_desc	*self;		/* == this struct once initialised */
	int		fd;
	void		*mem;
	size_t		memsize;
	int		done_mmap;	/* mem was mapped by this descriptor */
	struct netmap_if * const nifp;
	uint16_t	first_tx_ring, last_tx_ring, cur_tx_ring;
	uint16_t	first_rx_ring, last_rx_ring, cur_rx_ring;
	struct nmreq	req;		/* the request sent, and the reply */
	struct nm_pkthdr hdr;

	/* one of our rings, and the bounds of the buffer pool */
	struct netmap_ring * const some_ring;
	void * const	buf_start;
	void * const	buf_end;

	/* pcap_open_live() style parameters, unused here */
	int		snaplen;
	int		promisc;
	int		to_ms;
	char		*errbuf;

	uint32_t	if_flags;
	uint32_t	if_reqcap;
	uint32_t	if_curcap;

	struct nm_stat	st;
	char		msg[NM_ERRBUF_SIZE];
};

#define P2NMD(p)		((const struct nm_desc *)(p))
#define IS_NETMAP_DESC(d)	((d) && P2NMD(d)->self == P2NMD(d))
#define NETMAP_FD(d)		(P2NMD(d)->fd)

typedef void (*nm_cb_t)(unsigned char *, const struct nm_pkthdr *,
    const unsigned char *d);

/*
 * nm_open() flags: which fields to take from the parent descriptor arg.
 * The low 16 bits may also carry NETMAP_NO_TX_POLL / NETMAP_DO_RX_POLL.
 */
enum {
	NM_OPEN_NO_MMAP		= 0x040000,	/* share the parent's mapping */
	NM_OPEN_IFNAME		= 0x080000,	/* nr_name, nr_ringid, nr_flags */
	NM_OPEN_ARG1		= 0x100000,
	NM_OPEN_ARG2		= 0x200000,
	NM_OPEN_ARG3		= 0x400000,
	NM_OPEN_RING_CFG	= 0x800000,	/* ring and slot counts */
};

static inline struct nm_desc *nm_open(const char *ifname,
    const struct nmreq *req, uint64_t flags, const struct nm_desc *arg);
static inline int nm_close(struct nm_desc *);
static inline int nm_mmap(struct nm_desc *, const struct nm_desc *);
static inline int nm_inject(struct nm_desc *, const void *, size_t);
static inline int nm_dispatch(struct nm_desc *, int, nm_cb_t,
    unsigned char *);
static inline unsigned char *nm_nextpkt(struct nm_desc *,
    struct nm_pkthdr *);

#define NM_PARSE_ERRLEN	80

/* [s, e) is made of letters, digits and '_' only (may be empty) */
static inline int
nm_is_identifier(const char *s, const char *e)
{
	for (; s < e; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* reads a decimal number at *pp (digits required), advancing *pp */
static inline int
nm_parse_num_(const char **pp, long max, long *out)
{
	const char *p = *pp;
	long v = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (*p - '0');
		if (v > max)
			return -1;
	}
	*pp = p;
	*out = v;
	return 0;
}

/*
 * Parses a legacy port name into d->req (nr_name, the mode in nr_flags,
 * nr_ringid, nr_arg2):
 *
 *	netmap:IFNAME[MODE][/FLAGS][@MEMID]  or  valeX:PORT[...]
 *	MODE: ^ (host rings), ^N (host ring N), * (NIC + host), -N (NIC
 *	      ring N), {N / }N (master / slave end of pipe N, N numeric)
 *	FLAGS: x z t r R T	MEMID: a positive number
 *
 * The name sent is shorter than IFNAMSIZ.  On error returns -1 with errno
 * EINVAL, writes a message into err (NM_PARSE_ERRLEN bytes) if given, and
 * leaves *d unchanged.
 */
static inline int
nm_parse(const char *ifname, struct nm_desc *d, char *err)
{
	enum { S_START, S_SUFFIX, S_NUM, S_SWNUM, S_FLAGS, S_FLAGSOK,
	    S_MEMID } st = S_START;
	char msg[NM_PARSE_ERRLEN] = "";
	const char *name, *p;
	uint32_t mode = NR_REG_ALL_NIC, flags = 0;
	long ringid = 0, memid = 0;
	size_t len;

	if (strncmp(ifname, "netmap:", 7) == 0) {
		name = ifname + 7;	/* the prefix is not sent */
		for (p = name; *p && !strchr("-*^{}/@", *p); p++)
			;
	} else if (strncmp(ifname, NM_BDG_NAME, 4) == 0) {
		const char *colon = strchr(ifname + 4, ':');

		if (colon == NULL) {
			snprintf(msg, sizeof(msg), "missing ':' in vale name");
			goto fail;
		}
		if (!nm_is_identifier(ifname + 4, colon)) {
			snprintf(msg, sizeof(msg), "invalid bridge name");
			goto fail;
		}
		name = ifname;		/* sent whole */
		for (p = colon + 1; *p && !strchr("-*^{}/@", *p); p++)
			;
		if (!nm_is_identifier(colon + 1, p)) {
			snprintf(msg, sizeof(msg), "invalid bridge port name");
			goto fail;
		}
		if (p == colon + 1) {
			snprintf(msg, sizeof(msg), "empty bridge port name");
			goto fail;
		}
	} else {
		snprintf(msg, sizeof(msg), "name must start with netmap: or vale");
		goto fail;
	}
	len = (size_t)(p - name);
	if (len == 0) {
		snprintf(msg, sizeof(msg), "empty port name");
		goto fail;
	}
	if (len >= sizeof(d->req.nr_name)) {
		snprintf(msg, sizeof(msg), "name too long");
		goto fail;
	}

	while (*p) {
		switch (st) {
		case S_START:
			st = S_SUFFIX;
			switch (*p) {
			case '^':
				mode = NR_REG_SW;
				st = S_SWNUM;
				break;
			case '*':
				mode = NR_REG_NIC_SW;
				break;
			case '-':
				mode = NR_REG_ONE_NIC;
				st = S_NUM;
				break;
			case '{':
				mode = NR_REG_PIPE_MASTER;
				st = S_NUM;
				break;
			case '}':
				mode = NR_REG_PIPE_SLAVE;
				st = S_NUM;
				break;
			case '/':
				st = S_FLAGS;
				break;
			case '@':
				st = S_MEMID;
				break;
			default:
				snprintf(msg, sizeof(msg),
				    "unknown modifier: '%c'", *p);
				goto fail;
			}
			p++;
			break;
		case S_SWNUM:	/* "^" may be followed by a host ring number */
			if (isdigit((unsigned char)*p)) {
				mode = NR_REG_ONE_SW;
				st = S_NUM;
			} else {
				st = S_SUFFIX;
			}
			break;
		case S_NUM:
			if (nm_parse_num_(&p, NETMAP_RING_MASK - 1, &ringid)) {
				snprintf(msg, sizeof(msg),
				    "ring number must be in [0, %d)",
				    NETMAP_RING_MASK);
				goto fail;
			}
			st = S_SUFFIX;
			break;
		case S_SUFFIX:
			if (*p == '/') {
				st = S_FLAGS;
			} else if (*p == '@') {
				st = S_MEMID;
			} else {
				snprintf(msg, sizeof(msg),
				    "unexpected character: '%c'", *p);
				goto fail;
			}
			p++;
			break;
		case S_FLAGS:
		case S_FLAGSOK:
			st = S_FLAGSOK;
			switch (*p) {
			case 'x': flags |= NR_EXCLUSIVE; break;
			case 'z': flags |= NR_ZCOPY_MON; break;
			case 't': flags |= NR_MONITOR_TX; break;
			case 'r': flags |= NR_MONITOR_RX; break;
			case 'R': flags |= NR_RX_RINGS_ONLY; break;
			case 'T': flags |= NR_TX_RINGS_ONLY; break;
			case '@': st = S_MEMID; break;
			default:
				snprintf(msg, sizeof(msg),
				    "unrecognized flag: '%c'", *p);
				goto fail;
			}
			p++;
			break;
		case S_MEMID:
			if (memid != 0) {
				snprintf(msg, sizeof(msg),
				    "double setting of memid");
				goto fail;
			}
			if (nm_parse_num_(&p, UINT16_MAX, &memid) || memid == 0) {
				snprintf(msg, sizeof(msg),
				    "invalid memid, must be in [1, 65535]");
				goto fail;
			}
			st = S_SUFFIX;
			break;
		}
	}
	if (st == S_NUM || st == S_FLAGS || st == S_MEMID) {
		snprintf(msg, sizeof(msg), "unexpected end of port name");
		goto fail;
	}

	/* all good: now, and only now, update the request */
	memset(d->req.nr_name, 0, sizeof(d->req.nr_name));
	memcpy(d->req.nr_name, name, len);
	d->req.nr_flags = (d->req.nr_flags & ~(uint32_t)NR_REG_MASK) |
	    mode | flags;
	d->req.nr_ringid |= (uint16_t)ringid;
	d->req.nr_arg2 = (uint16_t)memid;
	d->self = d;
	return 0;

fail:
	if (err != NULL)
		snprintf(err, NM_PARSE_ERRLEN, "%s", msg);
	errno = EINVAL;
	return -1;
}

/*
 * Opens /dev/netmap, binds it as ifname says and maps the region.
 *
 * req: initial values of the request (the name then overrides the ring
 * number and mode); flags: NM_OPEN_* and the *_POLL ring-id bits; arg: a
 * parent descriptor to take fields (and the mapping) from.  A name without
 * the netmap: or vale prefix returns NULL with errno 0 ("not a netmap
 * name"); other failures return NULL with errno set.
 */
static inline struct nm_desc *
nm_open(const char *ifname, const struct nmreq *req, uint64_t new_flags,
    const struct nm_desc *arg)
{
	const struct nm_desc *parent = arg;
	struct nm_desc *d;
	char errmsg[NM_PARSE_ERRLEN] = "";
	uint32_t nr_reg;
	uint16_t ntx, nrx, nhtx, nhrx;
	int saved;

	if (strncmp(ifname, "netmap:", 7) != 0 &&
	    strncmp(ifname, NM_BDG_NAME, 4) != 0) {
		errno = 0;
		return NULL;
	}

	d = (struct nm_desc *)calloc(1, sizeof(*d));
	if (d == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	d->self = d;		/* so that nm_close() accepts it */
	d->fd = -1;
	if (req != NULL)
		d->req = *req;

	if (!(new_flags & NM_OPEN_IFNAME) && nm_parse(ifname, d, errmsg) < 0)
		goto fail;

	d->fd = open(NETMAP_DEVICE_NAME, O_RDWR);
	if (d->fd < 0) {
		snprintf(errmsg, sizeof(errmsg), "cannot open %s: %s",
		    NETMAP_DEVICE_NAME, strerror(errno));
		goto fail;
	}

	d->req.nr_version = NETMAP_API;
	d->req.nr_ringid &= NETMAP_RING_MASK;

	if (IS_NETMAP_DESC(parent) && new_flags) {
		d->req.nr_arg1 = (new_flags & NM_OPEN_ARG1) ?
		    parent->req.nr_arg1 : 4;
		if (new_flags & NM_OPEN_ARG2)
			d->req.nr_arg2 = parent->req.nr_arg2;
		d->req.nr_arg3 = (new_flags & NM_OPEN_ARG3) ?
		    parent->req.nr_arg3 : 0;
		if (new_flags & NM_OPEN_RING_CFG) {
			d->req.nr_tx_slots = parent->req.nr_tx_slots;
			d->req.nr_rx_slots = parent->req.nr_rx_slots;
			d->req.nr_tx_rings = parent->req.nr_tx_rings;
			d->req.nr_rx_rings = parent->req.nr_rx_rings;
		}
		if (new_flags & NM_OPEN_IFNAME) {
			memcpy(d->req.nr_name, parent->req.nr_name,
			    sizeof(d->req.nr_name));
			d->req.nr_ringid = parent->req.nr_ringid;
			d->req.nr_flags = parent->req.nr_flags;
		}
	}
	d->req.nr_ringid |= (uint16_t)(new_flags &
	    (NETMAP_NO_TX_POLL | NETMAP_DO_RX_POLL));

	if (ioctl(d->fd, NIOCREGIF, &d->req) < 0) {
		snprintf(errmsg, sizeof(errmsg), "NIOCREGIF failed: %s",
		    strerror(errno));
		goto fail;
	}

	/*
	 * Ring ranges from the reply.  Host rings come right after the
	 * NIC ones in both directions; nm_mmap() below refines the host
	 * ring count from the netmap_if when there are several.
	 */
	ntx = d->req.nr_tx_rings;
	nrx = d->req.nr_rx_rings;
	nr_reg = d->req.nr_flags & NR_REG_MASK;
	switch (nr_reg) {
	case NR_REG_DEFAULT:	/* ring-id bits were cleared: all NIC rings */
	case NR_REG_ALL_NIC:
		d->first_tx_ring = 0;
		d->last_tx_ring = ntx ? ntx - 1 : 0;
		d->first_rx_ring = 0;
		d->last_rx_ring = nrx ? nrx - 1 : 0;
		break;
	case NR_REG_SW:
		d->first_tx_ring = d->last_tx_ring = ntx;
		d->first_rx_ring = d->last_rx_ring = nrx;
		break;
	case NR_REG_NIC_SW:
		d->first_tx_ring = 0;
		d->last_tx_ring = ntx;
		d->first_rx_ring = 0;
		d->last_rx_ring = nrx;
		break;
	case NR_REG_ONE_NIC:
		d->first_tx_ring = d->last_tx_ring =
		    d->first_rx_ring = d->last_rx_ring =
		    d->req.nr_ringid & NETMAP_RING_MASK;
		break;
	case NR_REG_ONE_SW:
		d->first_tx_ring = d->last_tx_ring =
		    ntx + (d->req.nr_ringid & NETMAP_RING_MASK);
		d->first_rx_ring = d->last_rx_ring =
		    nrx + (d->req.nr_ringid & NETMAP_RING_MASK);
		break;
	default:		/* pipes and the rest: one ring pair */
		d->first_tx_ring = d->last_tx_ring = 0;
		d->first_rx_ring = d->last_rx_ring = 0;
		break;
	}

	/* with a parent, always map (possibly sharing the parent's) */
	if (!(new_flags & NM_OPEN_NO_MMAP) || parent != NULL) {
		if (nm_mmap(d, parent) != 0) {
			snprintf(errmsg, sizeof(errmsg), "mmap failed: %s",
			    strerror(errno));
			goto fail;
		}
		nhtx = (uint16_t)d->nifp->ni_host_tx_rings;
		nhrx = (uint16_t)d->nifp->ni_host_rx_rings;
		if (nr_reg == NR_REG_SW || nr_reg == NR_REG_NIC_SW) {
			if (nhtx > 1)
				d->last_tx_ring = ntx + nhtx - 1;
			if (nhrx > 1)
				d->last_rx_ring = nrx + nhrx - 1;
		}
	}

	d->cur_tx_ring = d->first_tx_ring;
	d->cur_rx_ring = d->first_rx_ring;
	return d;

fail:
	saved = errno ? errno : EINVAL;
	nm_close(d);
	if (errmsg[0])
		D("%s %s", errmsg, ifname);
	errno = saved;
	return NULL;
}

/* unmaps (if this descriptor mapped), closes and frees */
static inline int
nm_close(struct nm_desc *d)
{
	if (d == NULL || d->self != d)
		return EINVAL;
	if (d->done_mmap && d->mem != NULL)
		munmap(d->mem, d->memsize);
	if (d->fd != -1)
		close(d->fd);
	memset((void *)d, 0, sizeof(*d));
	free(d);
	return 0;
}

/*
 * Maps the region, or borrows the parent's mapping when both use the same
 * memory region (nr_arg2), then sets nifp, some_ring and the buffer pool
 * bounds.  Returns 0, or EINVAL with errno from mmap().
 */
static inline int
nm_mmap(struct nm_desc *d, const struct nm_desc *parent)
{
	struct netmap_if *nifp;
	struct netmap_ring *r;

	if (d->done_mmap)
		return 0;
	if (IS_NETMAP_DESC(parent) && parent->mem != NULL &&
	    parent->req.nr_arg2 == d->req.nr_arg2) {
		d->mem = parent->mem;
		d->memsize = parent->memsize;
	} else {
		void *m = mmap(NULL, d->req.nr_memsize, PROT_READ | PROT_WRITE,
		    MAP_SHARED, d->fd, 0);

		if (m == MAP_FAILED)
			return EINVAL;
		d->mem = m;
		d->memsize = d->req.nr_memsize;
		d->done_mmap = 1;
	}

	nifp = NETMAP_IF(d->mem, d->req.nr_offset);
	r = NETMAP_RXRING(nifp, d->first_rx_ring);
	if ((void *)r == (void *)nifp)	/* offset 0: no rx ring bound */
		r = NETMAP_TXRING(nifp, d->first_tx_ring);

	/* the const fields are set once, here */
	*(struct netmap_if **)(uintptr_t)&d->nifp = nifp;
	*(struct netmap_ring **)(uintptr_t)&d->some_ring = r;
	*(void **)(uintptr_t)&d->buf_start = NETMAP_BUF(r, 0);
	*(void **)(uintptr_t)&d->buf_end = (char *)d->mem + d->memsize;
	return 0;
}

/*
 * Copies one packet into the tx ring at cur, over as many slots as it
 * needs (all but the last flagged NS_MOREFRAG).  Returns 0, or -1 when
 * the free part of the ring is too small.
 */
static inline int
nm_ring_put_(struct netmap_ring *ring, const void *buf, size_t size)
{
	size_t bufsz = ring->nr_buf_size, nslots, room;
	uint32_t i = ring->cur;

	if (bufsz == 0)
		return -1;
	nslots = size > bufsz ? (size + bufsz - 1) / bufsz : 1;
	room = ring->tail >= i ? ring->tail - i :
	    ring->tail + ring->num_slots - i;
	if (nslots > room)
		return -1;
	for (; nslots > 1; nslots--) {
		struct netmap_slot *s = &ring->slot[i];

		nm_pkt_copy(buf, NETMAP_BUF(ring, s->buf_idx), (int)bufsz);
		s->len = (uint16_t)bufsz;
		s->flags = NS_MOREFRAG;
		buf = (const char *)buf + bufsz;
		size -= bufsz;
		i = nm_ring_next(ring, i);
	}
	nm_pkt_copy(buf, NETMAP_BUF(ring, ring->slot[i].buf_idx), (int)size);
	ring->slot[i].len = (uint16_t)size;
	ring->slot[i].flags = 0;
	ring->head = ring->cur = nm_ring_next(ring, i);
	return 0;
}

/*
 * Like pcap_inject(): queues a copy of the packet on the first tx ring
 * with room, starting from cur_tx_ring.  Returns size, or 0 if all rings
 * are full (a txsync or poll is needed to send and reclaim).
 */
static inline int
nm_inject(struct nm_desc *d, const void *buf, size_t size)
{
	unsigned int n = d->last_tx_ring - d->first_tx_ring + 1;
	unsigned int c, ri = d->cur_tx_ring;

	for (c = 0; c < n; c++, ri++) {
		if (ri > d->last_tx_ring)
			ri = d->first_tx_ring;
		if (nm_ring_put_(NETMAP_TXRING(d->nifp, ri), buf, size) == 0) {
			d->cur_tx_ring = (uint16_t)ri;
			return (int)size;
		}
	}
	return 0;
}

/*
 * Like pcap_dispatch(): calls cb for up to cnt received packets (all of
 * them if cnt is 0 or negative), visiting the rx rings round robin from
 * cur_rx_ring, and releases them.  hdr->flags has NM_MORE_PKTS on every
 * packet but the last one of the call; a packet spanning several slots
 * is reported once, caplen covering its contiguous start.  Returns the
 * number of packets.
 */
static inline int
nm_dispatch(struct nm_desc *d, int cnt, nm_cb_t cb, unsigned char *arg)
{
	int n = d->last_rx_ring - d->first_rx_ring + 1;
	int c, got = 0, ri = d->cur_rx_ring;

	d->hdr.buf = NULL;
	d->hdr.flags = NM_MORE_PKTS;
	d->hdr.d = d;
	if (cnt == 0)
		cnt = -1;

	for (c = 0; c < n && got != cnt; c++, ri++) {
		struct netmap_ring *ring;

		if (ri > d->last_rx_ring)
			ri = d->first_rx_ring;
		ring = NETMAP_RXRING(d->nifp, ri);
		while (!nm_ring_empty(ring) && got != cnt) {
			uint32_t i = ring->cur;
			struct netmap_slot *s = &ring->slot[i];
			unsigned char *prev;

			/* the previous packet is delivered once we know
			 * another one follows it */
			if (d->hdr.buf != NULL)
				cb(arg, &d->hdr, d->hdr.buf);

			d->cur_rx_ring = (uint16_t)ri;
			d->hdr.slot = s;
			d->hdr.buf = (uint8_t *)NETMAP_BUF(ring, s->buf_idx);
			d->hdr.len = d->hdr.caplen = s->len;
			prev = d->hdr.buf;
			while ((s->flags & NS_MOREFRAG) &&
			    nm_ring_next(ring, i) != ring->tail) {
				unsigned char *nb;
				uint16_t plen = s->len;

				i = nm_ring_next(ring, i);
				s = &ring->slot[i];
				nb = (unsigned char *)NETMAP_BUF(ring, s->buf_idx);
				d->hdr.len += s->len;
				/* caplen grows while the data stays contiguous */
				if (prev != NULL && plen == ring->nr_buf_size &&
				    nb == prev + ring->nr_buf_size) {
					d->hdr.caplen += s->len;
					prev = nb;
				} else {
					prev = NULL;
				}
			}
			d->hdr.ts = ring->ts;
			ring->head = ring->cur = nm_ring_next(ring, i);
			got++;
		}
	}
	if (d->hdr.buf != NULL) {
		d->hdr.flags = 0;
		cb(arg, &d->hdr, d->hdr.buf);
	}
	return got;
}

/*
 * Like pcap_next(): returns the next received buffer (one slot), filling
 * hdr's ts, len and caplen, or NULL when every rx ring is empty.  The
 * slot is released at once; the buffer stays valid until the next sync.
 */
static inline unsigned char *
nm_nextpkt(struct nm_desc *d, struct nm_pkthdr *hdr)
{
	int ri = d->cur_rx_ring;

	do {
		struct netmap_ring *ring = NETMAP_RXRING(d->nifp, ri);

		if (!nm_ring_empty(ring)) {
			uint32_t i = ring->cur;
			struct netmap_slot *s = &ring->slot[i];

			hdr->ts = ring->ts;
			hdr->len = hdr->caplen = s->len;
			ring->head = ring->cur = nm_ring_next(ring, i);
			d->cur_rx_ring = (uint16_t)ri;
			return (unsigned char *)NETMAP_BUF(ring, s->buf_idx);
		}
		if (++ri > d->last_rx_ring)
			ri = d->first_rx_ring;
	} while (ri != d->cur_rx_ring);
	return NULL;
}

#endif /* !HAVE_NETMAP_WITH_LIBS */
#endif /* NETMAP_WITH_LIBS */

#endif /* _NET_NETMAP_USER_H_ */
