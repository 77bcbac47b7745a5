/*
 * wire.c - requests and replies as they travel on the socket: unpacking
 * checks every size against the message, since anyone may send one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shared/req.h"
#include "unetmapd.h"

/*
 * Unpacks UNM_OP_CTRL: struct unm_ctrl, the body, then options as
 * {u64 size; bytes}.  Sizes are checked against the message, not trusted.
 * Whatever it returns, @rq holds only what was unpacked (rq->nopts counts
 * the options really there), so an error reply can be packed from it.
 */
int
ctrl_unpack(uint8_t *p, size_t len, struct ctrl_req *rq, struct ctrl_err *e)
{
	struct unm_ctrl *uc = (struct unm_ctrl *)p;
	size_t off = sizeof(*uc);
	int bs;

	if (len < sizeof(*uc))
		return ctrl_fail(e, EINVAL, "malformed request");
	rq->hdr = uc->hdr;
	bs = unm_req_body_size(uc->hdr.nr_reqtype);
	if (bs < 0)
		return ctrl_fail(e, EINVAL, "unknown request type %u", uc->hdr.nr_reqtype);
	if (uc->body_size != (uint32_t)bs || len - off < uc->body_size ||
	    uc->nopts > UNM_REQ_MAX_BYTES / sizeof(struct nmreq_option))
		return ctrl_fail(e, EINVAL, "malformed request");
	rq->body = bs ? p + off : NULL;
	rq->body_size = uc->body_size;
	off += uc->body_size;
	rq->nopts = 0;
	rq->opts = calloc(uc->nopts + 1, sizeof(*rq->opts));
	rq->opt_size = calloc(uc->nopts + 1, sizeof(*rq->opt_size));
	if (!rq->opts || !rq->opt_size)
		return ctrl_fail(e, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < uc->nopts; i++) {
		uint64_t sz;

		if (len - off < sizeof(sz))
			return ctrl_fail(e, EINVAL, "malformed request");
		memcpy(&sz, p + off, sizeof(sz));
		off += sizeof(sz);
		/* options are 8-aligned in the message, so they can be used in place */
		if (sz < sizeof(struct nmreq_option) || len - off < sz || sz % 8 || off % 8)
			return ctrl_fail(e, EINVAL, "malformed request");
		rq->opts[i] = (struct nmreq_option *)(p + off);
		rq->opt_size[i] = (uint32_t)sz;
		rq->nopts = i + 1;
		off += sz;
	}
	return 0;
}

/* packs the reply in the same shape, plus the binding when there is one */
size_t
ctrl_pack(uint8_t *out, size_t cap, struct ctrl_req *rq, struct ctrl_reply *rp)
{
	struct unm_ctrl *uc = (struct unm_ctrl *)out;
	size_t off = sizeof(*uc);

	memset(uc, 0, sizeof(*uc));
	uc->hdr = rq->hdr;
	uc->body_size = rq->body_size;
	uc->nopts = rq->nopts;
	uc->has_bind = rp->bind != NULL;
	if (off + rq->body_size > cap)
		return 0;
	if (rq->body_size)
		memmove(out + off, rq->body, rq->body_size);
	off += rq->body_size;
	for (uint32_t i = 0; i < rq->nopts; i++) {
		uint64_t sz = rq->opt_size[i];

		if (off + 8 + sz > cap)
			return 0;
		memcpy(out + off, &sz, 8);
		off += 8;
		memmove(out + off, rq->opts[i], rq->opt_size[i]);
		off += rq->opt_size[i];
	}
	if (rp->bind) {
		if (off + rp->bind_size > cap)
			return 0;
		memcpy(out + off, rp->bind, rp->bind_size);
		off += rp->bind_size;
	}
	return off;
}

void
ctrl_req_free(struct ctrl_req *rq)
{
	free(rq->opts);
	free(rq->opt_size);
	rq->opts = NULL;
	rq->opt_size = NULL;
}
