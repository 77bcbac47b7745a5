/* req.c - see req.h */
#include <stddef.h>
#include <net/netmap.h>

#include "shared/req.h"
#include "unetmap.h"

int
unm_req_body_size(unsigned type)
{
	switch (type) {
	case NETMAP_REQ_REGISTER:		return sizeof(struct nmreq_register);
	case NETMAP_REQ_PORT_INFO_GET:		return sizeof(struct nmreq_port_info_get);
	case NETMAP_REQ_VALE_ATTACH:		return sizeof(struct nmreq_vale_attach);
	case NETMAP_REQ_VALE_DETACH:		return sizeof(struct nmreq_vale_detach);
	case NETMAP_REQ_VALE_LIST:		return sizeof(struct nmreq_vale_list);
	case NETMAP_REQ_PORT_HDR_SET:
	case NETMAP_REQ_PORT_HDR_GET:		return sizeof(struct nmreq_port_hdr);
	case NETMAP_REQ_VALE_NEWIF:		return sizeof(struct nmreq_vale_newif);
	case NETMAP_REQ_VALE_DELIF:		return 0;
	case NETMAP_REQ_VALE_POLLING_ENABLE:
	case NETMAP_REQ_VALE_POLLING_DISABLE:	return sizeof(struct nmreq_vale_polling);
	case NETMAP_REQ_POOLS_INFO_GET:		return sizeof(struct nmreq_pools_info);
	case NETMAP_REQ_SYNC_KLOOP_START:	return sizeof(struct nmreq_sync_kloop_start);
	case NETMAP_REQ_SYNC_KLOOP_STOP:	return 0;
	case NETMAP_REQ_CSB_ENABLE:		return 0;
	case NETMAP_REQ_UNETMAP_REGION_INFO:	return sizeof(struct nmreq_unetmap_region_info);
	case NETMAP_REQ_UNETMAP_VALE_STATS:	return sizeof(struct nmreq_unetmap_vale_stats);
	case NETMAP_REQ_UNETMAP_RING_STATS:	return sizeof(struct nmreq_unetmap_ring_stats);
	case NETMAP_REQ_UNETMAP_CHECK:		return sizeof(struct nmreq_unetmap_check);
	case NETMAP_REQ_UNETMAP_PARAM:		return sizeof(struct nmreq_unetmap_param);
	case NETMAP_REQ_UNETMAP_UNBIND:		return 0;
	default:				return -1;
	}
}

uint64_t
unm_opt_body_size(uint32_t type, uint64_t nro_size)
{
	const uint64_t h = sizeof(struct nmreq_option);

	switch (type) {
	case NETMAP_REQ_OPT_EXTMEM:
		return sizeof(struct nmreq_opt_extmem) - h;
	case NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS:
		/* variable: one pair of descriptors per ring */
		return nro_size > h ? nro_size - h : 0;
	case NETMAP_REQ_OPT_CSB:
		return sizeof(struct nmreq_opt_csb) - h;
	case NETMAP_REQ_OPT_SYNC_KLOOP_MODE:
		return sizeof(struct nmreq_opt_sync_kloop_mode) - h;
	case NETMAP_REQ_OPT_OFFSETS:
		return sizeof(struct nmreq_opt_offsets) - h;
	case NETMAP_REQ_OPT_UNETMAP_PORT_MODE:
		return sizeof(struct nmreq_opt_unetmap_port_mode) - h;
	default:
		return 0;
	}
}

const char *
unm_req_name(unsigned type)
{
	static const char *const names[] = {
		[NETMAP_REQ_REGISTER] = "REGISTER",
		[NETMAP_REQ_PORT_INFO_GET] = "PORT_INFO_GET",
		[NETMAP_REQ_VALE_ATTACH] = "VALE_ATTACH",
		[NETMAP_REQ_VALE_DETACH] = "VALE_DETACH",
		[NETMAP_REQ_VALE_LIST] = "VALE_LIST",
		[NETMAP_REQ_PORT_HDR_SET] = "PORT_HDR_SET",
		[NETMAP_REQ_PORT_HDR_GET] = "PORT_HDR_GET",
		[NETMAP_REQ_VALE_NEWIF] = "VALE_NEWIF",
		[NETMAP_REQ_VALE_DELIF] = "VALE_DELIF",
		[NETMAP_REQ_VALE_POLLING_ENABLE] = "VALE_POLLING_ENABLE",
		[NETMAP_REQ_VALE_POLLING_DISABLE] = "VALE_POLLING_DISABLE",
		[NETMAP_REQ_POOLS_INFO_GET] = "POOLS_INFO_GET",
		[NETMAP_REQ_SYNC_KLOOP_START] = "SYNC_KLOOP_START",
		[NETMAP_REQ_SYNC_KLOOP_STOP] = "SYNC_KLOOP_STOP",
		[NETMAP_REQ_CSB_ENABLE] = "CSB_ENABLE",
	};

	if (type == NETMAP_REQ_UNETMAP_REGION_INFO)
		return "UNETMAP_REGION_INFO";
	if (type == NETMAP_REQ_UNETMAP_VALE_STATS)
		return "UNETMAP_VALE_STATS";
	if (type == NETMAP_REQ_UNETMAP_RING_STATS)
		return "UNETMAP_RING_STATS";
	if (type == NETMAP_REQ_UNETMAP_CHECK)
		return "UNETMAP_CHECK";
	if (type == NETMAP_REQ_UNETMAP_PARAM)
		return "UNETMAP_PARAM";
	if (type == NETMAP_REQ_UNETMAP_UNBIND)
		return "UNETMAP_UNBIND";
	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}
