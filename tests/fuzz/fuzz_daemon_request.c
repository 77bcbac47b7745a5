/*
 * fuzz_daemon_request.c - arbitrary bytes as the payload of a control
 * message, through the daemon's unpacking, request handling and reply
 * packing, as if a hostile local process had written them to the socket.
 * Whatever the input, no crash, no sanitizer report, and every port and
 * private region a request made is gone again once its binding is released
 * (persistent ports once removed).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/adapters/vale/vale.h"
#include "daemon/unetmapd.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Small pools, as a user sets netmap's buf_num/ring_num: regions made and
 * unmade on every input cost page faults in proportion to what their
 * rings touch, and running out of buffers or rings is a path worth
 * reaching too.  The layout code is the same.
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	region_cfg_global.if_num = 16;
	region_cfg_global.ring_num = 64;
	region_cfg_global.buf_num = 16384;
	region_cfg_private.if_num = 8;
	region_cfg_private.ring_num = 32;
	region_cfg_private.buf_num = 8192;
	return 0;
}

/*
 * A persistent port (VALE_NEWIF) outlives its request by design: each is
 * removed as valectl -r would, through the daemon's own VALE_DELIF, which
 * must succeed (nothing else holds it)
 */
static void
delete_persistent(struct client *c)
{
	struct port *p, *next;

	for (p = port_list(); p; p = next) {
		struct ctrl_req rq = { .hdr = { .nr_version = NETMAP_API,
		    .nr_reqtype = NETMAP_REQ_VALE_DELIF } };
		struct ctrl_reply rp = { 0 };
		struct ctrl_err e = { "" };
		struct ctrl_ctx cx = { .asker = c, .target = c, .rq = &rq, .rp = &rp, .e = &e };

		next = p->next;
		if (vale_persistent(p->name) != p)
			continue;
		memcpy(rq.hdr.nr_name, p->name, sizeof(rq.hdr.nr_name));
		if (vale_request(&cx) != 0)
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[UNM_MSG_MAX], out[UNM_MSG_MAX];
	struct client c = { .fd = -1 };
	struct ctrl_req rq = { 0 };
	struct ctrl_reply rp = { 0 };
	struct ctrl_err e = { "" };
	struct ctrl_ctx cx = { .asker = &c, .target = &c, .rq = &rq, .rp = &rp, .e = &e };
	int err;

	if (size > sizeof(buf))
		return 0;
	dcfg.nic = false;	/* never touch the machine's interfaces */
	unm_log_set_level(UNM_LOG_ERR);
	memcpy(buf, data, size);	/* 8-aligned, as a received message is */
	err = ctrl_unpack(buf, size, &rq, &e);
	if (!err)
		err = ctrl_handle(&cx);
	/* a reply is packed whatever happened, as client.c packs one */
	ctrl_pack(out, sizeof(out), &rq, &rp);
	free(rp.bind);
	ctrl_req_free(&rq);
	if (c.b)
		binding_release(c.b);
	delete_persistent(&c);
	/* a port or private region left behind would be a leak: make it loud */
	if (port_list())
		__builtin_trap();
	for (struct region *r = region_list(); r; r = r->next)
		if (r->id != 1)	/* the global region lives on, as netmap's does */
			__builtin_trap();
	return 0;
}
