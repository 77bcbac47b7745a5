/*
 * ctrl.c - NIOCCTRL: copy the request in from the application as netmap's
 * kernel does (bad pointers give EFAULT, the options walked as
 * nmreq_copyin walks them), send it to the daemon, copy the answer back,
 * and set up the binding a REGISTER made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/extmem.h"
#include "shared/proto.h"
#include "shared/req.h"
#include "unetmap.h"

struct uopt {
	struct nmreq_option *uptr;	/* where it is in the application */
	uint64_t size;			/* header + body, as copied */
	uint64_t padded;		/* rounded to 8 for the message */
};

#define MAX_OPTS (UNM_REQ_MAX_BYTES / sizeof(struct nmreq_option))

/*
 * A REGISTER (or VALE_ATTACH, which takes an interface too) without our
 * port-mode option gets one from the environment
 * (port_mode.c), appended to the message only: the application's chain is
 * never touched, and the answer lands in @o.
 */
static void
env_option(const struct nmreq_header *hdr, struct uopt *o, uint32_t *nopts, uint8_t *out,
    size_t cap, size_t *used, struct nmreq_opt_unetmap_port_mode *pm)
{
	uint64_t padded = (sizeof(*pm) + 7) & ~7ull;

	if ((hdr->nr_reqtype != NETMAP_REQ_REGISTER && hdr->nr_reqtype != NETMAP_REQ_VALE_ATTACH) ||
	    *nopts >= MAX_OPTS)
		return;
	for (uint32_t i = 0; i < *nopts; i++) {
		struct nmreq_option *x = (struct nmreq_option *)(void *)o[i].uptr;
		uint32_t type;

		if (x && unm_copy_in(&type, &x->nro_reqtype, sizeof(type)) == 0 &&
		    type == NETMAP_REQ_OPT_UNETMAP_PORT_MODE)
			return;
	}
	if (!unm_env_port_mode(pm) || *used + 8 + padded > cap)
		return;
	o[*nopts] = (struct uopt){ .uptr = &pm->nro_opt, .size = sizeof(*pm), .padded = padded };
	memcpy(out + *used, &padded, 8);
	memset(out + *used + 8, 0, padded);
	memcpy(out + *used + 8, pm, sizeof(*pm));
	*used += 8 + padded;
	(*nopts)++;
}

/*
 * A REGISTER with external memory (NETMAP_REQ_OPT_EXTMEM): what object is
 * behind the application's memory goes along, as our option appended to
 * the message only, with the object itself as a second descriptor in *xfd
 * when we could open it.  Memory we cannot share (not mapped, MAP_PRIVATE)
 * fails here, the EXTMEM option's status set as netmap's
 * netmap_mem_ext_create sets it.  *hint: the application's memory, the
 * region's base in this process if the registration succeeds.
 */
static int
extmem_source(const struct nmreq_header *hdr, struct uopt *o, uint32_t *nopts, uint8_t *out,
    size_t cap, size_t *used, int *xfd, void **hint)
{
	struct unm_ctrl *uc = (struct unm_ctrl *)out;
	size_t off = sizeof(*uc) + uc->body_size;
	struct nmreq_opt_extmem e;
	struct unm_opt_extmem_src src;
	uint64_t padded = (sizeof(src) + 7) & ~7ull;
	char why[200];
	uint32_t i;
	int err;

	if (hdr->nr_reqtype != NETMAP_REQ_REGISTER)
		return 0;
	for (i = 0; i < *nopts; i++) {
		uint64_t sz;
		struct nmreq_option oh;

		memcpy(&sz, out + off, 8);
		memcpy(&oh, out + off + 8, sizeof(oh));
		if (oh.nro_reqtype == NETMAP_REQ_OPT_EXTMEM && o[i].size >= sizeof(e)) {
			memcpy(&e, out + off + 8, sizeof(e));
			break;
		}
		off += 8 + sz;
	}
	if (i == *nopts)
		return 0;
	err = unm_extmem_source(e.nro_usrptr, e.nro_info.nr_memsize, &src, xfd, why, sizeof(why));
	if (err) {
		uint32_t st = (uint32_t)err;

		unm_warn("%.64s: external memory refused: %s [%s]", hdr->nr_name, why,
		    strerrorname_np(err) ? strerrorname_np(err) : "?");
		unm_copy_out(&o[i].uptr->nro_status, &st, sizeof(st));
		return -err;
	}
	if (*nopts >= MAX_OPTS || *used + 8 + padded > cap) {
		if (*xfd >= 0)
			unm_close_fds(xfd, 1);
		return -EMSGSIZE;
	}
	/* appended to the message only: the application's chain is never touched */
	o[*nopts] = (struct uopt){ .uptr = NULL, .size = sizeof(src), .padded = padded };
	memcpy(out + *used, &padded, 8);
	memset(out + *used + 8, 0, padded);
	memcpy(out + *used + 8, &src, sizeof(src));
	*used += 8 + padded;
	(*nopts)++;
	*hint = (void *)(uintptr_t)e.nro_usrptr;
	return 0;
}

/*
 * netmap's kernel copies a request into one buffer of this size: two saved
 * pointers, the body, a table of one option per known type, then for each
 * option its saved next pointer, its header and its body
 * (nmreq_copyin).  Running out of it is how a looping list ends.
 */
#define KBUF_BYTES ((2 + NETMAP_REQ_OPT_MAX) * 8u + NETMAP_REQ_MAXSIZE + NETMAP_REQ_OPT_MAX * 8u)

/* writes the status of options [0, n) back, as netmap's copy-out after a failed copy-in */
static void
statuses_back(const struct uopt *o, const uint32_t *status, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		unm_copy_out(&o[i].uptr->nro_status, &status[i], sizeof(status[i]));
}

/*
 * The application's option list, copied into the message as netmap's
 * nmreq_copyin walks it, in order: a list longer than the kernel's buffer
 * is EMSGSIZE (nothing written back: it may loop), type 0 is EINVAL, a
 * known type seen twice is EINVAL on both, a known option's size beyond
 * NETMAP_REQ_MAXSIZE (with the body and the headers before it) is
 * EMSGSIZE; unknown types are kept, without a body.  On a failure the
 * options walked so far get their status back (0, or EINVAL for the bad
 * ones).  Our own option types carry their bodies.
 */
static int
copy_options(const struct nmreq_header *hdr, uint64_t body_size, struct uopt *o,
    uint32_t *nopts, uint8_t *out, size_t cap, size_t *used)
{
	struct nmreq_option *u = (struct nmreq_option *)(uintptr_t)hdr->nr_options;
	uint64_t kbuf = 2 * 8 + body_size + NETMAP_REQ_OPT_MAX * 8, rqsz = body_size;
	uint32_t status[MAX_OPTS], seen[NETMAP_REQ_OPT_MAX] = { 0 };
	uint32_t n = 0;
	int err = 0;

	while (u) {
		struct nmreq_option oh;
		uint64_t bs;

		if (kbuf + 8 + sizeof(oh) > KBUF_BYTES || n >= MAX_OPTS)
			return -EMSGSIZE;	/* also how a loop ends */
		if (unm_copy_in(&oh, u, sizeof(oh))) {
			err = -EFAULT;
			break;
		}
		o[n].uptr = u;
		status[n] = 0;
		rqsz += sizeof(oh);
		kbuf += 8 + sizeof(oh);
		bs = 0;
		if (oh.nro_reqtype == 0) {
			status[n++] = EINVAL;
			err = -EINVAL;
			break;
		}
		if (oh.nro_reqtype < NETMAP_REQ_OPT_MAX) {
			if (seen[oh.nro_reqtype]) {
				status[seen[oh.nro_reqtype] - 1] = status[n++] = EINVAL;
				err = -EINVAL;
				break;
			}
			seen[oh.nro_reqtype] = n + 1;
			bs = unm_opt_body_size(oh.nro_reqtype, oh.nro_size);
			if (bs > NETMAP_REQ_MAXSIZE || oh.nro_size > NETMAP_REQ_MAXSIZE ||
			    rqsz + bs > NETMAP_REQ_MAXSIZE) {
				n++;
				err = -EMSGSIZE;
				break;
			}
			rqsz += bs;
			kbuf += bs;
		} else {
			bs = unm_opt_body_size(oh.nro_reqtype, oh.nro_size);	/* ours, or 0 */
		}
		o[n].size = sizeof(oh) + bs;
		o[n].padded = (o[n].size + 7) & ~7ull;
		if (*used + 8 + o[n].padded > cap)
			return -EMSGSIZE;
		memcpy(out + *used, &o[n].padded, 8);
		*used += 8;
		memset(out + *used, 0, o[n].padded);
		memcpy(out + *used, &oh, sizeof(oh));
		if (bs && unm_copy_in(out + *used + sizeof(oh), u + 1, bs)) {
			n++;
			err = -EFAULT;
			break;
		}
		*used += o[n].padded;
		n++;
		u = (struct nmreq_option *)(uintptr_t)oh.nro_next;
	}
	if (err) {
		statuses_back(o, status, n);
		return err;
	}
	*nopts = n;
	return 0;
}

/*
 * The reply has the request's shape.  Option statuses always go back;
 * bodies only when the request succeeded (and, for options, when the
 * option itself did), as netmap does.
 */
static int
copy_back(void *uarg, const struct nmreq_header *hdr, uint8_t *r, size_t rlen,
    const struct uopt *o, uint32_t nopts, bool ok, size_t *bind_at)
{
	struct unm_ctrl *uc = (struct unm_ctrl *)r;
	size_t off = sizeof(*uc);

	if (rlen < off || uc->nopts != nopts || rlen - off < uc->body_size)
		return -EPROTO;
	/* the header comes back too (VALE_LIST names ports in nr_name) */
	if (ok && unm_copy_out(((struct nmreq_header *)uarg)->nr_name, uc->hdr.nr_name,
	    sizeof(uc->hdr.nr_name)))
		return -EFAULT;
	if (ok && uc->body_size &&
	    unm_copy_out((void *)(uintptr_t)hdr->nr_body, r + off, uc->body_size))
		return -EFAULT;
	off += uc->body_size;
	for (uint32_t i = 0; i < nopts; i++) {
		struct nmreq_option oh;
		uint64_t sz;

		if (rlen - off < 8)
			return -EPROTO;
		memcpy(&sz, r + off, 8);
		off += 8;
		if (sz != o[i].padded || rlen - off < sz)
			return -EPROTO;
		memcpy(&oh, r + off, sizeof(oh));
		if (!o[i].uptr) {
			off += sz;	/* ours, appended to the message only */
			continue;
		}
		if (unm_copy_out(&o[i].uptr->nro_status, &oh.nro_status, sizeof(oh.nro_status)))
			return -EFAULT;
		if (ok && oh.nro_status == 0 && o[i].size > sizeof(oh) &&
		    unm_copy_out(o[i].uptr + 1, r + off + sizeof(oh), o[i].size - sizeof(oh)))
			return -EFAULT;
		off += sz;
	}
	*bind_at = uc->has_bind ? off : 0;
	return 0;
}

/* the options of a message in unm_ctrl's layout (a request or its reply), at most @max */
static uint32_t
msg_options(uint8_t *msg, size_t len, struct nmreq_option **out, uint32_t max)
{
	struct unm_ctrl *uc = (struct unm_ctrl *)msg;
	size_t off = sizeof(*uc) + uc->body_size;
	uint32_t n = 0;

	while (n < uc->nopts && n < max && off <= len && len - off >= 8) {
		uint64_t sz;

		memcpy(&sz, msg + off, 8);
		off += 8;
		if (sz < sizeof(struct nmreq_option) || len - off < sz)
			break;
		out[n++] = (struct nmreq_option *)(void *)(msg + off);
		off += sz;
	}
	return n;
}

static struct nmreq_option *
find_option(struct nmreq_option **opts, uint32_t n, uint32_t type)
{
	for (uint32_t i = 0; i < n; i++)
		if (opts[i]->nro_reqtype == type)
			return opts[i];
	return NULL;
}

/*
 * CSB mode and the sync loop are served here, in the application's
 * process, which alone can reach the CSB and run the loop (docs/design.md,
 * "The sync loop"): after the same copy-in as any request, every option
 * marked EOPNOTSUPP until a handler takes it, and copied back as netmap's
 * nmreq_copyout does.  The daemon never sees these requests.
 */
static bool
served_here(unsigned type)
{
	return type == NETMAP_REQ_CSB_ENABLE || type == NETMAP_REQ_SYNC_KLOOP_START ||
	    type == NETMAP_REQ_SYNC_KLOOP_STOP;
}

static int
serve_here(struct unm_dev *d, void *uarg, const struct nmreq_header *hdr, uint8_t *buf,
    size_t used, const struct uopt *o, uint32_t nopts)
{
	struct nmreq_option *opt[MAX_OPTS], *csb;
	uint32_t n = msg_options(buf, used, opt, MAX_OPTS);
	struct unm_binding *b = d->bind;
	size_t bind_at;
	int r, cr;

	for (uint32_t i = 0; i < n; i++)
		opt[i]->nro_status = EOPNOTSUPP;
	switch (hdr->nr_reqtype) {
	case NETMAP_REQ_CSB_ENABLE:
		csb = find_option(opt, n, NETMAP_REQ_OPT_CSB);
		if (!csb) {
			unm_warn("%.64s: CSB_ENABLE without a NETMAP_REQ_OPT_CSB option",
			    b ? b->port : hdr->nr_name);
			r = -EINVAL;
			break;
		}
		r = b ? unm_csb_enable(b, ((struct nmreq_opt_csb *)(void *)csb)->csb_atok,
		    ((struct nmreq_opt_csb *)(void *)csb)->csb_ktoa) : 0;
		csb->nro_status = (uint32_t)-r;
		break;
	case NETMAP_REQ_SYNC_KLOOP_START: {
		const struct nmreq_sync_kloop_start *st =
		    (const void *)(buf + sizeof(struct unm_ctrl));

		if (st->sleep_us > 1000000) {
			unm_warn("%.64s: SYNC_KLOOP_START: sleep_us %u is over a second",
			    b ? b->port : hdr->nr_name, st->sleep_us);
			r = -EINVAL;
		} else if (!b) {
			r = -ENXIO;
		} else {
			r = unm_kloop_start(b, st->sleep_us, opt, n);
		}
		break;
	}
	default:	/* NETMAP_REQ_SYNC_KLOOP_STOP */
		r = b ? unm_kloop_stop(b) : -ENXIO;
		break;
	}
	cr = copy_back(uarg, hdr, buf, used, o, nopts, r == 0, &bind_at);
	return cr < 0 ? cr : r;
}

/* a REGISTER the library itself refuses after the daemon bound it (a bad CSB): undone */
static void
unbind(int fd, struct unm_dev *d, const char *name)
{
	struct unm_ctrl uc;
	struct unm_msg m, rm;
	uint8_t rb[sizeof(struct unm_ctrl) + 256];
	int fds[4];
	unsigned nfds = 0;
	size_t rlen = 0;

	memset(&uc, 0, sizeof(uc));
	uc.hdr.nr_version = NETMAP_API;
	uc.hdr.nr_reqtype = NETMAP_REQ_UNETMAP_UNBIND;
	snprintf(uc.hdr.nr_name, sizeof(uc.hdr.nr_name), "%.63s", name);
	unm_msg_init(&m, UNM_OP_CTRL);
	if (unm_request(fd, -1, d, &m, &uc, sizeof(uc), &rm, rb, sizeof(rb), &rlen, fds, 4,
	    &nfds) < 0 || rm.error)
		unm_warn("%.64s: could not undo the registration; the descriptor stays bound "
		    "until closed", name);
	unm_close_fds(fds, nfds);
}

/*
 * REGISTER with NETMAP_REQ_OPT_CSB: the daemon took the option (it checks
 * NR_EXCLUSIVE); the arrays are checked and set up here, on the new
 * binding, as netmap does after netmap_do_regif.  A refusal is the
 * option's status and the request's errno (positive), the binding undone.
 */
static int
csb_at_register(struct unm_binding *b, uint8_t *req, size_t reqlen, uint8_t *rep, size_t replen)
{
	struct nmreq_option *qo[MAX_OPTS], *ro[MAX_OPTS];
	uint32_t nq = msg_options(req, reqlen, qo, MAX_OPTS);
	uint32_t nr = msg_options(rep, replen, ro, MAX_OPTS);
	int r;

	for (uint32_t i = 0; i < nq && i < nr; i++) {
		const struct nmreq_opt_csb *c = (const void *)qo[i];

		if (qo[i]->nro_reqtype != NETMAP_REQ_OPT_CSB || ro[i]->nro_status != 0)
			continue;
		r = unm_csb_enable(b, c->csb_atok, c->csb_ktoa);
		ro[i]->nro_status = (uint32_t)-r;
		return -r;
	}
	return 0;
}

/* "not supported" is said once per request type; other errors every time */
static bool
said_before(int err, unsigned type)
{
	static uint64_t said;
	uint64_t bit = 1ull << (type % 64);

	if (err != EOPNOTSUPP)
		return false;
	return __atomic_fetch_or(&said, bit, __ATOMIC_RELAXED) & bit;
}

int
unm_ioctl_ctrl(int fd, struct unm_dev *d, void *arg)
{
	struct nmreq_header hdr;
	struct uopt o[MAX_OPTS];
	struct unm_msg m, rm;
	struct unm_ctrl *uc;
	uint8_t *buf = NULL, *rbuf = NULL;
	int fds[UNM_MAX_BIND_FDS];
	unsigned nfds = 0;
	size_t used, rlen = 0, bind_at = 0;
	uint32_t nopts = 0;
	struct nmreq_opt_unetmap_port_mode env_pm;
	struct unm_binding *b = NULL;
	int bs, r, xfd = -1;
	void *ext_hint = NULL;

	if (unm_copy_in(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	/* netmap's order: the version, nr_reserved, the body, the options */
	if (hdr.nr_version < NETMAP_MIN_API || hdr.nr_version > NETMAP_MAX_API) {
		unm_warn("%.64s: NIOCCTRL: API version %u is not supported (%d to %d are)",
		    hdr.nr_name, hdr.nr_version, NETMAP_MIN_API, NETMAP_MAX_API);
		return -EINVAL;
	}
	if (hdr.nr_reserved)
		return -EINVAL;
	bs = unm_req_body_size(hdr.nr_reqtype);
	if ((hdr.nr_body == 0) != (bs <= 0))
		return -EINVAL;
	if (memchr(hdr.nr_name, '\0', sizeof(hdr.nr_name)) == NULL) {
		/* netmap cuts the name short, and Linux copies the header back */
		hdr.nr_name[sizeof(hdr.nr_name) - 1] = '\0';
		if (unm_copy_out(&((struct nmreq_header *)arg)->nr_name[sizeof(hdr.nr_name) - 1],
		    "", 1))
			return -EFAULT;
	}
	buf = malloc(UNM_MSG_MAX);
	rbuf = malloc(UNM_MSG_MAX);
	if (!buf || !rbuf) {
		r = -ENOMEM;
		goto out;
	}
	uc = (struct unm_ctrl *)buf;
	memset(uc, 0, sizeof(*uc));
	uc->hdr = hdr;
	uc->body_size = bs > 0 ? (uint32_t)bs : 0;
	used = sizeof(*uc);
	if (bs > 0 && unm_copy_in(buf + used, (void *)(uintptr_t)hdr.nr_body, (size_t)bs)) {
		r = -EFAULT;
		goto out;
	}
	used += uc->body_size;
	r = copy_options(&hdr, (uint64_t)(bs < 0 ? 0 : bs), o, &nopts, buf,
	    UNM_MSG_MAX - sizeof(m), &used);
	if (r < 0)
		goto out;
	if (bs < 0) {
		/* copied in, then refused by the dispatch: every option EOPNOTSUPP */
		uint32_t st[MAX_OPTS];

		for (uint32_t i = 0; i < nopts; i++)
			st[i] = EOPNOTSUPP;
		statuses_back(o, st, nopts);
		unm_warn("%.64s: NIOCCTRL with unknown request type %u", hdr.nr_name,
		    hdr.nr_reqtype);
		r = -EINVAL;
		goto out;
	}
	if (served_here(hdr.nr_reqtype)) {
		uc->nopts = nopts;
		r = serve_here(d, arg, &hdr, buf, used, o, nopts);
		goto out;
	}
	uc->nopts = nopts;
	/* a descriptor already bound: the daemon says EBUSY first, as netmap does */
	r = d->bind ? 0 : extmem_source(&hdr, o, &nopts, buf, UNM_MSG_MAX - sizeof(m), &used,
	    &xfd, &ext_hint);
	if (r < 0)
		goto out;
	env_option(&hdr, o, &nopts, buf, UNM_MSG_MAX - sizeof(m), &used, &env_pm);
	uc->nopts = nopts;

	unm_msg_init(&m, UNM_OP_CTRL);
	r = unm_request(fd, xfd, d, &m, buf, used, &rm, rbuf, UNM_MSG_MAX, &rlen, fds,
	    sizeof(fds) / sizeof(fds[0]), &nfds);
	if (r < 0)
		goto out;
	/* the errno's name too: what the program will print, and what troubleshooting.md explains */
	if (rm.error && rm.errmsg[0] && !said_before(rm.error, hdr.nr_reqtype))
		unm_warn("%.*s [%s]", (int)sizeof(rm.errmsg), rm.errmsg,
		    strerrorname_np(rm.error) ? strerrorname_np(rm.error) : "?");
	else if (!rm.error && rm.errmsg[0])
		unm_warn("%.*s", (int)sizeof(rm.errmsg), rm.errmsg);	/* a warning */
	if (rlen && rm.error == 0 && hdr.nr_reqtype == NETMAP_REQ_REGISTER) {
		/* where the binding is, before anything goes back */
		r = copy_back(arg, &hdr, rbuf, rlen, o, nopts, false, &bind_at);
		if (r < 0)
			goto out;
	}
	if (bind_at) {
		int err = 0;

		b = unm_binding_new((struct unm_bind *)(rbuf + bind_at), rlen - bind_at, fds, nfds,
		    ext_hint, &err);
		nfds = 0;
		if (!b) {
			unm_err("%.64s: cannot map the port's memory: %s", hdr.nr_name,
			    strerror(err));
			r = -err;
			goto out;
		}
		err = csb_at_register(b, buf, used, rbuf, rlen);
		if (err) {
			unm_binding_free(b);
			b = NULL;
			unbind(fd, d, hdr.nr_name);
			rm.error = err;
		}
	}
	if (rlen) {
		r = copy_back(arg, &hdr, rbuf, rlen, o, nopts, rm.error == 0, &bind_at);
		if (r < 0)
			goto out;
	}
	if (rm.error) {
		r = -rm.error;
		goto out;
	}
	if (b) {
		pthread_mutex_lock(&d->lock);
		if (d->bind)
			unm_binding_free(b);	/* impossible: the daemon binds once */
		else
			d->bind = b;
		pthread_mutex_unlock(&d->lock);
		b = NULL;
	}
	r = 0;
out:
	if (b)
		unm_binding_free(b);
	unm_close_fds(fds, nfds);
	if (xfd >= 0)
		unm_close_fds(&xfd, 1);
	free(buf);
	free(rbuf);
	return r;
}

int
unm_ctrl_hdr(int fd, struct unm_dev *d, struct nmreq_header *hdr, void *body)
{
	hdr->nr_body = (uintptr_t)body;
	return unm_ioctl_ctrl(fd, d, hdr);
}
