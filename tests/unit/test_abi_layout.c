/*
 * test_abi_layout - every size, offset, ioctl number and constant of the
 * netmap ABI (reference/netmap-abi.md) against our headers.
 *
 * Layout facts are checked twice: at compile time (_Static_assert, so a
 * wrong header cannot even build this test) and at run time (one TAP line
 * each, so the report lists them).
 */
#include <stddef.h>
#include <net/netmap_user.h>
#include <libnetmap.h>

#include "../lib/tap.h"

#define FIELD_SIZE(t, f)	sizeof(((struct t *)0)->f)

/* struct t has size sz */
#define SIZE(t, sz) do {						\
	_Static_assert(sizeof(struct t) == (sz), "sizeof " #t);		\
	TAP_EQ(sizeof(struct t), (sz), "sizeof(struct " #t ") == " #sz); \
} while (0)

/* field f of struct t sits at off and is sz bytes wide */
#define FIELD(t, f, off, sz) do {					\
	_Static_assert(offsetof(struct t, f) == (off), #t "." #f);	\
	_Static_assert(FIELD_SIZE(t, f) == (sz), #t "." #f " size");	\
	TAP_EQ(offsetof(struct t, f), (off), #t "." #f " @" #off);	\
	TAP_EQ(FIELD_SIZE(t, f), (sz), #t "." #f " is " #sz " bytes");	\
} while (0)

#define CONST(name, val) do {						\
	_Static_assert((name) == (val), #name);				\
	TAP_EQ((name), (val), #name " == " #val);			\
} while (0)

static void
check_requests(void)
{
	SIZE(nmreq_header, 88);
	FIELD(nmreq_header, nr_version, 0, 2);
	FIELD(nmreq_header, nr_reqtype, 2, 2);
	FIELD(nmreq_header, nr_reserved, 4, 4);
	FIELD(nmreq_header, nr_name, 8, 64);
	FIELD(nmreq_header, nr_options, 72, 8);
	FIELD(nmreq_header, nr_body, 80, 8);

	SIZE(nmreq_option, 24);
	FIELD(nmreq_option, nro_next, 0, 8);
	FIELD(nmreq_option, nro_reqtype, 8, 4);
	FIELD(nmreq_option, nro_status, 12, 4);
	FIELD(nmreq_option, nro_size, 16, 8);

	SIZE(nmreq_register, 56);
	FIELD(nmreq_register, nr_offset, 0, 8);
	FIELD(nmreq_register, nr_memsize, 8, 8);
	FIELD(nmreq_register, nr_tx_slots, 16, 4);
	FIELD(nmreq_register, nr_rx_slots, 20, 4);
	FIELD(nmreq_register, nr_tx_rings, 24, 2);
	FIELD(nmreq_register, nr_rx_rings, 26, 2);
	FIELD(nmreq_register, nr_host_tx_rings, 28, 2);
	FIELD(nmreq_register, nr_host_rx_rings, 30, 2);
	FIELD(nmreq_register, nr_mem_id, 32, 2);
	FIELD(nmreq_register, nr_ringid, 34, 2);
	FIELD(nmreq_register, nr_mode, 36, 4);
	FIELD(nmreq_register, nr_extra_bufs, 40, 4);
	FIELD(nmreq_register, nr_flags, 48, 8);

	SIZE(nmreq_port_info_get, 32);
	FIELD(nmreq_port_info_get, nr_memsize, 0, 8);
	FIELD(nmreq_port_info_get, nr_tx_slots, 8, 4);
	FIELD(nmreq_port_info_get, nr_rx_slots, 12, 4);
	FIELD(nmreq_port_info_get, nr_tx_rings, 16, 2);
	FIELD(nmreq_port_info_get, nr_rx_rings, 18, 2);
	FIELD(nmreq_port_info_get, nr_host_tx_rings, 20, 2);
	FIELD(nmreq_port_info_get, nr_host_rx_rings, 22, 2);
	FIELD(nmreq_port_info_get, nr_mem_id, 24, 2);
	FIELD(nmreq_port_info_get, pad, 26, 6);

	SIZE(nmreq_vale_attach, 64);
	FIELD(nmreq_vale_attach, reg, 0, 56);
	FIELD(nmreq_vale_attach, port_index, 56, 4);
	FIELD(nmreq_vale_attach, pad1, 60, 4);

	SIZE(nmreq_vale_detach, 8);
	FIELD(nmreq_vale_detach, port_index, 0, 4);
	FIELD(nmreq_vale_detach, pad1, 4, 4);

	SIZE(nmreq_vale_list, 8);
	FIELD(nmreq_vale_list, nr_bridge_idx, 0, 2);
	FIELD(nmreq_vale_list, pad1, 2, 2);
	FIELD(nmreq_vale_list, nr_port_idx, 4, 4);

	SIZE(nmreq_port_hdr, 8);
	FIELD(nmreq_port_hdr, nr_hdr_len, 0, 4);
	FIELD(nmreq_port_hdr, pad1, 4, 4);

	SIZE(nmreq_vale_newif, 16);
	FIELD(nmreq_vale_newif, nr_tx_slots, 0, 4);
	FIELD(nmreq_vale_newif, nr_rx_slots, 4, 4);
	FIELD(nmreq_vale_newif, nr_tx_rings, 8, 2);
	FIELD(nmreq_vale_newif, nr_rx_rings, 10, 2);
	FIELD(nmreq_vale_newif, nr_mem_id, 12, 2);
	FIELD(nmreq_vale_newif, pad1, 14, 2);

	SIZE(nmreq_vale_polling, 16);
	FIELD(nmreq_vale_polling, nr_mode, 0, 4);
	FIELD(nmreq_vale_polling, nr_first_cpu_id, 4, 4);
	FIELD(nmreq_vale_polling, nr_num_polling_cpus, 8, 4);
	FIELD(nmreq_vale_polling, pad1, 12, 4);

	SIZE(nmreq_pools_info, 64);
	FIELD(nmreq_pools_info, nr_memsize, 0, 8);
	FIELD(nmreq_pools_info, nr_mem_id, 8, 2);
	FIELD(nmreq_pools_info, pad1, 10, 6);
	FIELD(nmreq_pools_info, nr_if_pool_offset, 16, 8);
	FIELD(nmreq_pools_info, nr_if_pool_objtotal, 24, 4);
	FIELD(nmreq_pools_info, nr_if_pool_objsize, 28, 4);
	FIELD(nmreq_pools_info, nr_ring_pool_offset, 32, 8);
	FIELD(nmreq_pools_info, nr_ring_pool_objtotal, 40, 4);
	FIELD(nmreq_pools_info, nr_ring_pool_objsize, 44, 4);
	FIELD(nmreq_pools_info, nr_buf_pool_offset, 48, 8);
	FIELD(nmreq_pools_info, nr_buf_pool_objtotal, 56, 4);
	FIELD(nmreq_pools_info, nr_buf_pool_objsize, 60, 4);

	SIZE(nmreq_sync_kloop_start, 8);
	FIELD(nmreq_sync_kloop_start, sleep_us, 0, 4);
	FIELD(nmreq_sync_kloop_start, pad1, 4, 4);
}

static void
check_csb_and_options(void)
{
	SIZE(nm_csb_atok, 64);
	FIELD(nm_csb_atok, head, 0, 4);
	FIELD(nm_csb_atok, cur, 4, 4);
	FIELD(nm_csb_atok, appl_need_kick, 8, 4);
	FIELD(nm_csb_atok, sync_flags, 12, 4);
	FIELD(nm_csb_atok, pad, 16, 48);

	SIZE(nm_csb_ktoa, 64);
	FIELD(nm_csb_ktoa, hwcur, 0, 4);
	FIELD(nm_csb_ktoa, hwtail, 4, 4);
	FIELD(nm_csb_ktoa, kern_need_kick, 8, 4);
	FIELD(nm_csb_ktoa, pad, 12, 52);

	SIZE(nmreq_opt_extmem, 96);
	FIELD(nmreq_opt_extmem, nro_opt, 0, 24);
	FIELD(nmreq_opt_extmem, nro_usrptr, 24, 8);
	FIELD(nmreq_opt_extmem, nro_info, 32, 64);

	SIZE(nmreq_opt_csb, 40);
	FIELD(nmreq_opt_csb, nro_opt, 0, 24);
	FIELD(nmreq_opt_csb, csb_atok, 24, 8);
	FIELD(nmreq_opt_csb, csb_ktoa, 32, 8);

	SIZE(nmreq_opt_sync_kloop_mode, 32);
	FIELD(nmreq_opt_sync_kloop_mode, nro_opt, 0, 24);
	FIELD(nmreq_opt_sync_kloop_mode, mode, 24, 4);

	/* variable size: 24 + 8 per ring */
	SIZE(nmreq_opt_sync_kloop_eventfds, 24);
	_Static_assert(offsetof(struct nmreq_opt_sync_kloop_eventfds,
	    eventfds) == 24, "eventfds");
	TAP_EQ(offsetof(struct nmreq_opt_sync_kloop_eventfds, eventfds), 24,
	    "nmreq_opt_sync_kloop_eventfds.eventfds @24");
	TAP_EQ(sizeof(((struct nmreq_opt_sync_kloop_eventfds *)0)->eventfds[0]),
	    8, "one eventfds entry is 8 bytes");
	TAP_EQ(offsetof(struct nmreq_opt_sync_kloop_eventfds, eventfds[1].irqfd),
	    24 + 8 + 4, "eventfds[1].irqfd @36");

	SIZE(nmreq_opt_offsets, 56);
	FIELD(nmreq_opt_offsets, nro_opt, 0, 24);
	FIELD(nmreq_opt_offsets, nro_max_offset, 24, 8);
	FIELD(nmreq_opt_offsets, nro_initial_offset, 32, 8);
	FIELD(nmreq_opt_offsets, nro_offset_bits, 40, 4);
	FIELD(nmreq_opt_offsets, nro_tx_align, 44, 4);
	FIELD(nmreq_opt_offsets, nro_min_gap, 48, 8);
}

static void
check_legacy(void)
{
	SIZE(nmreq, 60);
	FIELD(nmreq, nr_name, 0, 16);
	FIELD(nmreq, nr_version, 16, 4);
	FIELD(nmreq, nr_offset, 20, 4);
	FIELD(nmreq, nr_memsize, 24, 4);
	FIELD(nmreq, nr_tx_slots, 28, 4);
	FIELD(nmreq, nr_rx_slots, 32, 4);
	FIELD(nmreq, nr_tx_rings, 36, 2);
	FIELD(nmreq, nr_rx_rings, 38, 2);
	FIELD(nmreq, nr_ringid, 40, 2);
	FIELD(nmreq, nr_cmd, 42, 2);
	FIELD(nmreq, nr_arg1, 44, 2);
	FIELD(nmreq, nr_arg2, 46, 2);
	FIELD(nmreq, nr_arg3, 48, 4);
	FIELD(nmreq, nr_flags, 52, 4);
	FIELD(nmreq, spare2, 56, 4);

	SIZE(nm_ifreq, 272);
	FIELD(nm_ifreq, nifr_name, 0, 16);
	FIELD(nm_ifreq, data, 16, 256);

	SIZE(netmap_pools_info, 48);
	FIELD(netmap_pools_info, memsize, 0, 8);
	FIELD(netmap_pools_info, memid, 8, 4);
	FIELD(netmap_pools_info, if_pool_offset, 12, 4);
	FIELD(netmap_pools_info, buf_pool_objsize, 44, 4);

	CONST(NETMAP_HW_RING, 0x4000);
	CONST(NETMAP_SW_RING, 0x2000);
	CONST(NETMAP_NO_TX_POLL, 0x1000);
	CONST(NETMAP_DO_RX_POLL, 0x8000);
	CONST(NETMAP_RING_MASK, 0x0fff);
	CONST(NR_REG_MASK, 0xf);
	CONST(NETMAP_BDG_ATTACH, 1);
	CONST(NETMAP_BDG_DETACH, 2);
	CONST(NETMAP_BDG_REGOPS, 3);
	CONST(NETMAP_BDG_LIST, 4);
	CONST(NETMAP_BDG_VNET_HDR, 5);
	CONST(NETMAP_BDG_NEWIF, 6);
	CONST(NETMAP_BDG_DELIF, 7);
	CONST(NETMAP_PT_HOST_CREATE, 8);
	CONST(NETMAP_PT_HOST_DELETE, 9);
	CONST(NETMAP_BDG_POLLING_ON, 10);
	CONST(NETMAP_BDG_POLLING_OFF, 11);
	CONST(NETMAP_VNET_HDR_GET, 12);
	CONST(NETMAP_POOLS_INFO_GET, 13);
	CONST(NETMAP_BDG_HOST, 1);
	CONST(NM_IFRNAMSIZ, 16);
	CONST(NM_IFRDATA_LEN, 256);
}

static void
check_shared_memory(void)
{
	SIZE(netmap_slot, 16);
	FIELD(netmap_slot, buf_idx, 0, 4);
	FIELD(netmap_slot, len, 4, 2);
	FIELD(netmap_slot, flags, 6, 2);
	FIELD(netmap_slot, ptr, 8, 8);

	SIZE(netmap_ring, 256);
	_Static_assert(_Alignof(struct netmap_ring) == 128, "ring align");
	TAP_EQ(_Alignof(struct netmap_ring), 128, "netmap_ring is 128-aligned");
	FIELD(netmap_ring, buf_ofs, 0, 8);
	FIELD(netmap_ring, num_slots, 8, 4);
	FIELD(netmap_ring, nr_buf_size, 12, 4);
	FIELD(netmap_ring, ringid, 16, 2);
	FIELD(netmap_ring, dir, 18, 2);
	FIELD(netmap_ring, head, 20, 4);
	FIELD(netmap_ring, cur, 24, 4);
	FIELD(netmap_ring, tail, 28, 4);
	FIELD(netmap_ring, flags, 32, 4);
	FIELD(netmap_ring, ts, 40, 16);
	FIELD(netmap_ring, offset_mask, 56, 8);
	FIELD(netmap_ring, buf_align, 64, 8);
	FIELD(netmap_ring, sem, 128, 128);
	_Static_assert(offsetof(struct netmap_ring, slot) == 256, "slot");
	TAP_EQ(offsetof(struct netmap_ring, slot), 256, "netmap_ring.slot @256");
	TAP_EQ(offsetof(struct netmap_ring, slot[3]), 256 + 3 * 16,
	    "netmap_ring.slot[3] @304 (16 bytes per slot)");

	SIZE(netmap_if, 56);
	FIELD(netmap_if, ni_name, 0, 16);
	FIELD(netmap_if, ni_version, 16, 4);
	FIELD(netmap_if, ni_flags, 20, 4);
	FIELD(netmap_if, ni_tx_rings, 24, 4);
	FIELD(netmap_if, ni_rx_rings, 28, 4);
	FIELD(netmap_if, ni_bufs_head, 32, 4);
	FIELD(netmap_if, ni_host_tx_rings, 36, 4);
	FIELD(netmap_if, ni_host_rx_rings, 40, 4);
	FIELD(netmap_if, ni_spare1, 44, 12);
	_Static_assert(offsetof(struct netmap_if, ring_ofs) == 56, "ring_ofs");
	TAP_EQ(offsetof(struct netmap_if, ring_ofs), 56, "netmap_if.ring_ofs @56");
	TAP_EQ(sizeof(((struct netmap_if *)0)->ring_ofs[0]), 8,
	    "ring_ofs entries are 8 bytes (ssize_t)");
}

static void
check_ioctls(void)
{
	CONST(NIOCCTRL, 0xc0586997UL);
	CONST(NIOCTXSYNC, 0x6994);
	CONST(NIOCRXSYNC, 0x6995);
	CONST(NIOCGINFO, 0xc03c6991UL);
	CONST(NIOCREGIF, 0xc03c6992UL);
	CONST(NIOCCONFIG, 0xc1106996UL);
}

static void
check_constants(void)
{
	CONST(NETMAP_API, 14);
	CONST(NETMAP_MIN_API, 14);
	CONST(NETMAP_MAX_API, 15);
	CONST(NM_CACHE_ALIGN, 128);
	CONST(NETMAP_REQ_IFNAMSIZ, 64);
	CONST(NETMAP_REQ_MAXSIZE, 4096);
	CONST(NETMAP_MAX_FRAGS, 64);
	CONST(NI_PRIV_MEM, 1);
	tap_ok(strcmp(NM_BDG_NAME, "vale") == 0, "NM_BDG_NAME is \"vale\"");
	tap_ok(strcmp(NETMAP_DEVICE_NAME, "/dev/netmap") == 0,
	    "NETMAP_DEVICE_NAME is \"/dev/netmap\"");

	CONST(NETMAP_REQ_REGISTER, 1);
	CONST(NETMAP_REQ_PORT_INFO_GET, 2);
	CONST(NETMAP_REQ_VALE_ATTACH, 3);
	CONST(NETMAP_REQ_VALE_DETACH, 4);
	CONST(NETMAP_REQ_VALE_LIST, 5);
	CONST(NETMAP_REQ_PORT_HDR_SET, 6);
	CONST(NETMAP_REQ_PORT_HDR_GET, 7);
	CONST(NETMAP_REQ_VALE_NEWIF, 8);
	CONST(NETMAP_REQ_VALE_DELIF, 9);
	CONST(NETMAP_REQ_VALE_POLLING_ENABLE, 10);
	CONST(NETMAP_REQ_VALE_POLLING_DISABLE, 11);
	CONST(NETMAP_REQ_POOLS_INFO_GET, 12);
	CONST(NETMAP_REQ_SYNC_KLOOP_START, 13);
	CONST(NETMAP_REQ_SYNC_KLOOP_STOP, 14);
	CONST(NETMAP_REQ_CSB_ENABLE, 15);

	CONST(NETMAP_REQ_OPT_EXTMEM, 1);
	CONST(NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS, 2);
	CONST(NETMAP_REQ_OPT_CSB, 3);
	CONST(NETMAP_REQ_OPT_SYNC_KLOOP_MODE, 4);
	CONST(NETMAP_REQ_OPT_OFFSETS, 5);
	CONST(NETMAP_REQ_OPT_MAX, 6);

	CONST(NR_REG_DEFAULT, 0);
	CONST(NR_REG_ALL_NIC, 1);
	CONST(NR_REG_SW, 2);
	CONST(NR_REG_NIC_SW, 3);
	CONST(NR_REG_ONE_NIC, 4);
	CONST(NR_REG_PIPE_MASTER, 5);
	CONST(NR_REG_PIPE_SLAVE, 6);
	CONST(NR_REG_NULL, 7);
	CONST(NR_REG_ONE_SW, 8);

	CONST(NR_MONITOR_TX, 0x100);
	CONST(NR_MONITOR_RX, 0x200);
	CONST(NR_ZCOPY_MON, 0x400);
	CONST(NR_EXCLUSIVE, 0x800);
	CONST(NR_RX_RINGS_ONLY, 0x2000);
	CONST(NR_TX_RINGS_ONLY, 0x4000);
	CONST(NR_ACCEPT_VNET_HDR, 0x8000);
	CONST(NR_DO_RX_POLL, 0x10000);
	CONST(NR_NO_TX_POLL, 0x20000);

	CONST(NS_BUF_CHANGED, 0x1);
	CONST(NS_REPORT, 0x2);
	CONST(NS_FORWARD, 0x4);
	CONST(NS_NO_LEARN, 0x8);
	CONST(NS_INDIRECT, 0x10);
	CONST(NS_MOREFRAG, 0x20);
	CONST(NS_TXMON, 0x40);
	CONST(NS_PORT_SHIFT, 8);
	CONST(NS_PORT_MASK, 0xff00);
	CONST(NR_TIMESTAMP, 0x2);
	CONST(NR_FORWARD, 0x4);

	CONST(NETMAP_POLLING_MODE_SINGLE_CPU, 1);
	CONST(NETMAP_POLLING_MODE_MULTI_CPU, 2);
	CONST(NM_OPT_SYNC_KLOOP_DIRECT_TX, 1);
	CONST(NM_OPT_SYNC_KLOOP_DIRECT_RX, 2);

	{
		struct netmap_slot s = { .flags = 0x1234 };

		TAP_EQ(NS_RFRAGS(&s), 0x12, "NS_RFRAGS takes the high byte");
		TAP_EQ((s.flags & NS_PORT_MASK) >> NS_PORT_SHIFT, 0x12,
		    "NS_PORT_MASK/NS_PORT_SHIFT give the VALE port byte");
	}
}

/* libnetmap's public structures keep netmap's field order */
static void
check_libnetmap(void)
{
	struct {
		const char *name;
		size_t off;
	} order[] = {
#define O(f)	{ #f, offsetof(struct nmport_d, f) }
		O(hdr), O(reg), O(mem), O(ctx), O(register_done),
		O(mmap_done), O(extmem), O(fd), O(nifp), O(first_tx_ring),
		O(last_tx_ring), O(first_rx_ring), O(last_rx_ring),
		O(cur_tx_ring), O(cur_rx_ring), O(clist),
#undef O
	};
	size_t i;
	int sorted = 1;

	for (i = 1; i < sizeof(order) / sizeof(order[0]); i++)
		if (order[i].off <= order[i - 1].off) {
			sorted = 0;
			tap_diag("nmport_d.%s is not after %s", order[i].name,
			    order[i - 1].name);
		}
	tap_ok(sorted, "struct nmport_d fields in netmap's order");
	TAP_EQ(offsetof(struct nmport_d, reg), 88, "nmport_d.reg follows hdr");

	TAP_EQ(offsetof(struct nmctx, verbose), 0, "nmctx.verbose first");
	tap_ok(offsetof(struct nmctx, error) < offsetof(struct nmctx, malloc) &&
	    offsetof(struct nmctx, malloc) < offsetof(struct nmctx, free) &&
	    offsetof(struct nmctx, free) < offsetof(struct nmctx, lock) &&
	    offsetof(struct nmctx, lock) < offsetof(struct nmctx, mem_descs),
	    "struct nmctx fields in netmap's order");
	tap_ok(offsetof(struct nmem_d, mem_id) < offsetof(struct nmem_d, refcount) &&
	    offsetof(struct nmem_d, refcount) < offsetof(struct nmem_d, mem) &&
	    offsetof(struct nmem_d, mem) < offsetof(struct nmem_d, size) &&
	    offsetof(struct nmem_d, size) < offsetof(struct nmem_d, is_extmem) &&
	    offsetof(struct nmem_d, is_extmem) < offsetof(struct nmem_d, next) &&
	    offsetof(struct nmem_d, next) < offsetof(struct nmem_d, prev),
	    "struct nmem_d fields in netmap's order");
	TAP_EQ(NMREQ_OPT_MAXKEYS, 16, "NMREQ_OPT_MAXKEYS == 16");
	TAP_EQ(_Alignof(struct nmreq_opt_parser), 16,
	    "nmreq_opt_parser is 16-aligned");
}

int
main(void)
{
	check_requests();
	check_csb_and_options();
	check_legacy();
	check_shared_memory();
	check_ioctls();
	check_constants();
	check_libnetmap();
	return tap_done();
}
