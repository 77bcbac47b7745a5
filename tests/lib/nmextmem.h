/*
 * nmextmem.h - what the tests of external memory share (extmem.c,
 * extmem_hostile.c): the pools a region of one's own describes, the
 * NETMAP_REQ_OPT_EXTMEM option, and a registration in that memory.
 */
#ifndef UNETMAP_TESTS_NMEXTMEM_H
#define UNETMAP_TESTS_NMEXTMEM_H

#include "nmraw.h"

/*
 * pools for a VALE port or a pipe and its switch queues (512-slot rings):
 * 4 interfaces of 1 KiB, 16 rings of 9216 bytes, @nbufs buffers of 2 KiB;
 * the memory is their sum and @slack bytes more
 */
__attribute__((unused)) static void
extmem_pools(struct nmreq_pools_info *pi, uint32_t nbufs, uint64_t slack)
{
	memset(pi, 0, sizeof(*pi));
	pi->nr_if_pool_objtotal = 4;
	pi->nr_if_pool_objsize = 1024;
	pi->nr_ring_pool_objtotal = 16;
	pi->nr_ring_pool_objsize = 9216;
	pi->nr_buf_pool_objtotal = nbufs;
	pi->nr_buf_pool_objsize = 2048;
	pi->nr_memsize = 4 * 1024 + 16 * 9216 + (uint64_t)nbufs * 2048 + slack;
}

/* the EXTMEM option for @mem, laid out as @pi says */
__attribute__((unused)) static void
extmem_opt(struct nmreq_opt_extmem *e, void *mem, const struct nmreq_pools_info *pi)
{
	memset(e, 0, sizeof(*e));
	e->nro_opt.nro_reqtype = NETMAP_REQ_OPT_EXTMEM;
	e->nro_usrptr = (uintptr_t)mem;
	e->nro_info = *pi;
}

/* REGISTER @name with @opts on a descriptor of its own; that fd, or -errno */
__attribute__((unused)) static int
reg_with(const char *name, struct nmreq_register *req, struct nmreq_option *opts)
{
	int fd = open("/dev/netmap", O_RDWR), r;

	if (fd < 0)
		return -errno;
	r = raw_ctrl(fd, NETMAP_REQ_REGISTER, name, req, opts);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/*
 * REGISTER @name, all rings of 256 slots (ring objects of 9216 bytes), in
 * the external memory @mem that @pi describes: the option (its status, the
 * values echoed) in *e, netmap's answer in *req; the port's fd, or -errno
 */
__attribute__((unused)) static int
reg_extmem(const char *name, struct nmreq_register *req, struct nmreq_opt_extmem *e, void *mem,
    const struct nmreq_pools_info *pi)
{
	extmem_opt(e, mem, pi);
	memset(req, 0, sizeof(*req));
	req->nr_mode = NR_REG_ALL_NIC;
	req->nr_tx_slots = req->nr_rx_slots = 256;
	return reg_with(name, req, &e->nro_opt);
}

#endif
