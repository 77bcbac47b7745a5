/*
 * legacy.c - NIOCREGIF and NIOCGINFO with struct nmreq, translated to the
 * NIOCCTRL requests they stand for and the answers translated back, as
 * netmap_legacy.c does.  As on Linux, the struct is always copied back,
 * with what the translation wrote into it (the name cut to 15 characters,
 * the mode the original API's nr_ringid meant, in nr_flags) and, when the
 * request succeeded, the answer's fields.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "shared/req.h"

static int
register_from_legacy(struct nmreq *nmr, struct nmreq_header *hdr, struct nmreq_register *req)
{
	uint32_t mode = nmr->nr_flags & NR_REG_MASK;

	memset(req, 0, sizeof(*req));
	req->nr_tx_slots = nmr->nr_tx_slots;
	req->nr_rx_slots = nmr->nr_rx_slots;
	req->nr_tx_rings = nmr->nr_tx_rings;
	req->nr_rx_rings = nmr->nr_rx_rings;
	req->nr_mem_id = nmr->nr_arg2;
	req->nr_ringid = nmr->nr_ringid & NETMAP_RING_MASK;
	if (mode == NR_REG_DEFAULT) {	/* the original API: the mode is in nr_ringid */
		mode = (nmr->nr_ringid & NETMAP_SW_RING) ? NR_REG_SW :
		    (nmr->nr_ringid & NETMAP_HW_RING) ? NR_REG_ONE_NIC : NR_REG_ALL_NIC;
		nmr->nr_flags = mode | (nmr->nr_flags & ~(uint32_t)NR_REG_MASK);
	}
	if (mode == NR_REG_PIPE_MASTER || mode == NR_REG_PIPE_SLAVE) {
		size_t l = strlen(hdr->nr_name);
		int n = snprintf(hdr->nr_name + l, sizeof(hdr->nr_name) - l, "%c%u",
		    mode == NR_REG_PIPE_MASTER ? '{' : '}', req->nr_ringid);

		if (n < 0 || (size_t)n >= sizeof(hdr->nr_name) - l)
			return -ENOMEM;	/* no room for the pipe suffix: netmap's answer */
		mode = NR_REG_ALL_NIC;
		req->nr_ringid = 0;
	}
	req->nr_mode = mode;
	req->nr_flags = nmr->nr_flags & ~(uint32_t)NR_REG_MASK;
	if (nmr->nr_ringid & NETMAP_NO_TX_POLL)
		req->nr_flags |= NR_NO_TX_POLL;
	if (nmr->nr_ringid & NETMAP_DO_RX_POLL)
		req->nr_flags |= NR_DO_RX_POLL;
	req->nr_extra_bufs = nmr->nr_arg3;
	return 0;
}

static void
register_to_legacy(const struct nmreq_register *req, struct nmreq *nmr)
{
	nmr->nr_offset = (uint32_t)req->nr_offset;
	nmr->nr_memsize = req->nr_memsize > UINT32_MAX ? UINT32_MAX : (uint32_t)req->nr_memsize;
	nmr->nr_tx_slots = req->nr_tx_slots;
	nmr->nr_rx_slots = req->nr_rx_slots;
	nmr->nr_tx_rings = req->nr_tx_rings;
	nmr->nr_rx_rings = req->nr_rx_rings;
	nmr->nr_arg2 = req->nr_mem_id;
	nmr->nr_arg3 = req->nr_extra_bufs;
}

int
unm_ioctl_legacy(int fd, struct unm_dev *d, unsigned long cmd, void *arg)
{
	struct nmreq nmr;
	struct nmreq_header hdr;
	union {
		struct nmreq_register reg;
		struct nmreq_vale_attach attach;
		struct nmreq_port_info_get info;
		struct nmreq_vale_list list;
		struct nmreq_port_hdr phdr;
		struct nmreq_vale_newif newif;
		struct nmreq_vale_polling poll;
		struct nmreq_pools_info pools;
	} body;
	int r;

	if (cmd == NIOCCONFIG) {
		unm_warn("NIOCCONFIG (external switch modules) is not supported");
		return -EOPNOTSUPP;
	}
	if (unm_copy_in(&nmr, arg, sizeof(nmr)))
		return -EFAULT;
	if (nmr.nr_version < NETMAP_API) {
		unm_warn("%.16s: legacy request of API version %u (at least %d is needed)",
		    nmr.nr_name, nmr.nr_version, NETMAP_API);
		return -EINVAL;
	}
	nmr.nr_name[sizeof(nmr.nr_name) - 1] = '\0';
	memset(&hdr, 0, sizeof(hdr));
	memset(&body, 0, sizeof(body));
	hdr.nr_version = NETMAP_API;
	memcpy(hdr.nr_name, nmr.nr_name, sizeof(nmr.nr_name));

	if (cmd == NIOCGINFO) {
		if (nmr.nr_cmd == NETMAP_BDG_LIST) {
			hdr.nr_reqtype = NETMAP_REQ_VALE_LIST;
			body.list.nr_bridge_idx = nmr.nr_arg1;
			body.list.nr_port_idx = nmr.nr_arg2;
		} else {
			hdr.nr_reqtype = NETMAP_REQ_PORT_INFO_GET;
			body.info.nr_memsize = nmr.nr_memsize;
			body.info.nr_tx_slots = nmr.nr_tx_slots;
			body.info.nr_rx_slots = nmr.nr_rx_slots;
			body.info.nr_tx_rings = nmr.nr_tx_rings;
			body.info.nr_rx_rings = nmr.nr_rx_rings;
			body.info.nr_mem_id = nmr.nr_arg2;
		}
	} else {
		switch (nmr.nr_cmd) {
		case 0:
			hdr.nr_reqtype = NETMAP_REQ_REGISTER;
			r = register_from_legacy(&nmr, &hdr, &body.reg);
			if (r < 0)
				goto out;
			break;
		case NETMAP_BDG_ATTACH:
			hdr.nr_reqtype = NETMAP_REQ_VALE_ATTACH;
			r = register_from_legacy(&nmr, &hdr, &body.attach.reg);
			if (r < 0)
				goto out;
			body.attach.reg.nr_mode = (nmr.nr_arg1 & NETMAP_BDG_HOST) ?
			    NR_REG_NIC_SW : NR_REG_ALL_NIC;
			break;
		case NETMAP_BDG_DETACH:
			hdr.nr_reqtype = NETMAP_REQ_VALE_DETACH;
			break;
		case NETMAP_BDG_VNET_HDR:
		case NETMAP_VNET_HDR_GET:
			hdr.nr_reqtype = nmr.nr_cmd == NETMAP_BDG_VNET_HDR ?
			    NETMAP_REQ_PORT_HDR_SET : NETMAP_REQ_PORT_HDR_GET;
			body.phdr.nr_hdr_len = nmr.nr_arg1;
			break;
		case NETMAP_BDG_NEWIF:
			hdr.nr_reqtype = NETMAP_REQ_VALE_NEWIF;
			body.newif.nr_tx_slots = nmr.nr_tx_slots;
			body.newif.nr_rx_slots = nmr.nr_rx_slots;
			body.newif.nr_tx_rings = nmr.nr_tx_rings;
			body.newif.nr_rx_rings = nmr.nr_rx_rings;
			body.newif.nr_mem_id = nmr.nr_arg2;
			break;
		case NETMAP_BDG_DELIF:
			hdr.nr_reqtype = NETMAP_REQ_VALE_DELIF;
			break;
		case NETMAP_BDG_POLLING_ON:
		case NETMAP_BDG_POLLING_OFF:
			hdr.nr_reqtype = nmr.nr_cmd == NETMAP_BDG_POLLING_ON ?
			    NETMAP_REQ_VALE_POLLING_ENABLE : NETMAP_REQ_VALE_POLLING_DISABLE;
			body.poll.nr_mode =
			    (nmr.nr_flags & NR_REG_MASK) == NR_REG_ONE_NIC ? NETMAP_POLLING_MODE_MULTI_CPU :
			    (nmr.nr_flags & NR_REG_MASK) == NR_REG_ALL_NIC ? NETMAP_POLLING_MODE_SINGLE_CPU : 0;
			body.poll.nr_first_cpu_id = nmr.nr_ringid & NETMAP_RING_MASK;
			body.poll.nr_num_polling_cpus = nmr.nr_arg1;
			break;
		case NETMAP_POOLS_INFO_GET:
			hdr.nr_reqtype = NETMAP_REQ_POOLS_INFO_GET;
			break;
		case NETMAP_PT_HOST_CREATE:
		case NETMAP_PT_HOST_DELETE:
			/* netmap's translation fails, and says ENOMEM */
			unm_warn("%s: ptnetmap (nr_cmd %u) is not supported", hdr.nr_name,
			    nmr.nr_cmd);
			r = -ENOMEM;
			goto out;
		default:
			unm_warn("%s: legacy nr_cmd %u is not known", hdr.nr_name, nmr.nr_cmd);
			r = -EINVAL;
			goto out;
		}
	}
	/* the body lives in our own memory; the copies in ctrl.c read it fine */
	r = unm_ctrl_hdr(fd, d, &hdr, unm_req_body_size(hdr.nr_reqtype) > 0 ? &body : NULL);
	if (r < 0)
		goto out;

	switch (hdr.nr_reqtype) {
	case NETMAP_REQ_REGISTER:
		register_to_legacy(&body.reg, &nmr);
		break;
	case NETMAP_REQ_VALE_ATTACH:
		register_to_legacy(&body.attach.reg, &nmr);
		break;
	case NETMAP_REQ_PORT_INFO_GET:
		nmr.nr_memsize = body.info.nr_memsize > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)body.info.nr_memsize;
		nmr.nr_tx_slots = body.info.nr_tx_slots;
		nmr.nr_rx_slots = body.info.nr_rx_slots;
		nmr.nr_tx_rings = body.info.nr_tx_rings;
		nmr.nr_rx_rings = body.info.nr_rx_rings;
		nmr.nr_arg2 = body.info.nr_mem_id;
		break;
	case NETMAP_REQ_VALE_LIST:
		nmr.nr_arg1 = body.list.nr_bridge_idx;
		nmr.nr_arg2 = (uint16_t)body.list.nr_port_idx;
		break;
	case NETMAP_REQ_PORT_HDR_SET:
	case NETMAP_REQ_PORT_HDR_GET:
		nmr.nr_arg1 = (uint16_t)body.phdr.nr_hdr_len;
		break;
	case NETMAP_REQ_VALE_NEWIF:
		nmr.nr_tx_slots = body.newif.nr_tx_slots;
		nmr.nr_rx_slots = body.newif.nr_rx_slots;
		nmr.nr_tx_rings = body.newif.nr_tx_rings;
		nmr.nr_rx_rings = body.newif.nr_rx_rings;
		nmr.nr_arg2 = body.newif.nr_mem_id;
		break;
	case NETMAP_REQ_POOLS_INFO_GET: {
		/* the answer goes where the pointer stored over nr_arg1.. points */
		struct netmap_pools_info pi = {
			.memsize = body.pools.nr_memsize,
			.memid = body.pools.nr_mem_id,
			.if_pool_offset = (uint32_t)body.pools.nr_if_pool_offset,
			.if_pool_objtotal = body.pools.nr_if_pool_objtotal,
			.if_pool_objsize = body.pools.nr_if_pool_objsize,
			.ring_pool_offset = (uint32_t)body.pools.nr_ring_pool_offset,
			.ring_pool_objtotal = body.pools.nr_ring_pool_objtotal,
			.ring_pool_objsize = body.pools.nr_ring_pool_objsize,
			.buf_pool_offset = (uint32_t)body.pools.nr_buf_pool_offset,
			.buf_pool_objtotal = body.pools.nr_buf_pool_objtotal,
			.buf_pool_objsize = body.pools.nr_buf_pool_objsize,
		};
		uintptr_t up;

		memcpy(&up, (char *)&nmr + offsetof(struct nmreq, nr_arg1), sizeof(up));
		if (unm_copy_out((void *)up, &pi, sizeof(pi)))
			return -EFAULT;
		return 0;
	}
	default:
		break;
	}
out:
	/* Linux copies the struct back whatever happened */
	return unm_copy_out(arg, &nmr, sizeof(nmr)) ? -EFAULT : r;
}
