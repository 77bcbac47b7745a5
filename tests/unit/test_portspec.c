/*
 * test_portspec - the whole port-name grammar, through nmport_parse()
 * and the nmreq_* decoders (libnetmap) and through nm_parse() / nm_open()
 * (the legacy header library): every element, every error with its
 * errno and message, and that a failed parse changes nothing.
 *
 * No netmap device is needed: nothing here reaches a valid @share (the
 * only option that asks the device), and nm_open() checks names before
 * opening anything.
 */
#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>
#include <libnetmap.h>
#include <stdlib.h>

#include "../lib/tap.h"

/* ------------------------------------------------ a test context */

static char last_msg[2048];
static int n_msgs;
static long n_live;	/* allocations not freed yet */

static void
test_error(struct nmctx *ctx, const char *msg)
{
	(void)ctx;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
	n_msgs++;
}

static void *
test_malloc(struct nmctx *ctx, size_t size)
{
	void *p = malloc(size);

	(void)ctx;
	if (p != NULL)
		n_live++;
	return p;
}

static void
test_free(struct nmctx *ctx, void *p)
{
	(void)ctx;
	if (p != NULL)
		n_live--;
	free(p);
}

static struct nmctx test_ctx;

static void
use_test_ctx(void)
{
	test_ctx = *nmctx_get();
	test_ctx.verbose = 1;
	test_ctx.error = test_error;
	test_ctx.malloc = test_malloc;
	test_ctx.free = test_free;
	nmctx_set_default(&test_ctx);
}

/* ------------------------------------------------ good portspecs */

struct want {
	const char	*name;
	uint32_t	mode;
	uint16_t	ringid;
	uint64_t	flags;
	uint16_t	mem_id;
};

static void
good(const char *spec, struct want w)
{
	long live = n_live;
	struct nmport_d *d = nmport_new();
	int ok;

	n_msgs = 0;
	if (!tap_ok(nmport_parse(d, spec) == 0, "parse '%s'", spec)) {
		tap_diag("  error: %s", last_msg);
		nmport_delete(d);
		return;
	}
	ok = strcmp(d->hdr.nr_name, w.name) == 0 && d->reg.nr_mode == w.mode &&
	    d->reg.nr_ringid == w.ringid && d->reg.nr_flags == w.flags &&
	    d->reg.nr_mem_id == w.mem_id;
	if (!tap_ok(ok, "  '%s': name '%s' mode %u ring %u flags %#llx mem %u",
	    spec, w.name, w.mode, w.ringid, (unsigned long long)w.flags,
	    w.mem_id))
		tap_diag("  got name '%s' mode %u ring %u flags %#llx mem %u",
		    d->hdr.nr_name, d->reg.nr_mode, d->reg.nr_ringid,
		    (unsigned long long)d->reg.nr_flags, d->reg.nr_mem_id);
	tap_ok(d->hdr.nr_version == NETMAP_API &&
	    d->hdr.nr_reqtype == NETMAP_REQ_REGISTER &&
	    d->hdr.nr_body == (uintptr_t)&d->reg && d->hdr.nr_reserved == 0 &&
	    n_msgs == 0, "  '%s': REGISTER header intact, no message", spec);
	nmport_undo_parse(d);
	nmport_delete(d);
	tap_ok(n_live == live, "  '%s': nothing leaked", spec);
}

#define G(spec, ...)	good(spec, (struct want){ __VA_ARGS__ })

static void
check_good_names(void)
{
	static char n63[80], s63[100];

	G("netmap:eth0", "eth0", NR_REG_ALL_NIC, 0, 0, 0);
	G("netmap:eth0-0", "eth0", NR_REG_ONE_NIC, 0, 0, 0);
	G("netmap:eth0-3", "eth0", NR_REG_ONE_NIC, 3, 0, 0);
	G("netmap:eth0-4094", "eth0", NR_REG_ONE_NIC, 4094, 0, 0);
	G("netmap:eth0-007", "eth0", NR_REG_ONE_NIC, 7, 0, 0);
	G("netmap:eth0^", "eth0", NR_REG_SW, 0, 0, 0);
	G("netmap:eth0^0", "eth0", NR_REG_ONE_SW, 0, 0, 0);
	G("netmap:eth0^2", "eth0", NR_REG_ONE_SW, 2, 0, 0);
	G("netmap:eth0*", "eth0", NR_REG_NIC_SW, 0, 0, 0);
	G("netmap:eth0@2", "eth0", NR_REG_ALL_NIC, 0, 0, 2);
	G("netmap:eth0@65535", "eth0", NR_REG_ALL_NIC, 0, 0, 65535);
	G("netmap:eth0@3@3", "eth0", NR_REG_ALL_NIC, 0, 0, 3);
	G("netmap:eth0/x", "eth0", NR_REG_ALL_NIC, 0, NR_EXCLUSIVE, 0);
	G("netmap:eth0/z", "eth0", NR_REG_ALL_NIC, 0, NR_ZCOPY_MON, 0);
	G("netmap:eth0/t", "eth0", NR_REG_ALL_NIC, 0, NR_MONITOR_TX, 0);
	G("netmap:eth0/r", "eth0", NR_REG_ALL_NIC, 0, NR_MONITOR_RX, 0);
	G("netmap:eth0/R", "eth0", NR_REG_ALL_NIC, 0, NR_RX_RINGS_ONLY, 0);
	G("netmap:eth0/T", "eth0", NR_REG_ALL_NIC, 0, NR_TX_RINGS_ONLY, 0);
	G("netmap:eth0/TRrtzx", "eth0", NR_REG_ALL_NIC, 0, NR_EXCLUSIVE |
	    NR_ZCOPY_MON | NR_MONITOR_TX | NR_MONITOR_RX | NR_RX_RINGS_ONLY |
	    NR_TX_RINGS_ONLY, 0);
	G("netmap:eth0/xx", "eth0", NR_REG_ALL_NIC, 0, NR_EXCLUSIVE, 0);
	G("netmap:eth0-1/R", "eth0", NR_REG_ONE_NIC, 1, NR_RX_RINGS_ONLY, 0);
	G("netmap:eth0^/x", "eth0", NR_REG_SW, 0, NR_EXCLUSIVE, 0);
	G("netmap:eth0^3/t@4", "eth0", NR_REG_ONE_SW, 3, NR_MONITOR_TX, 4);
	G("netmap:eth0*@3/x", "eth0", NR_REG_NIC_SW, 0, NR_EXCLUSIVE, 3);
	G("netmap:eth0/x@3", "eth0", NR_REG_ALL_NIC, 0, NR_EXCLUSIVE, 3);
	G("netmap:eth0/@3", "eth0", NR_REG_ALL_NIC, 0, 0, 3);
	G("netmap:eth0-2@9/T", "eth0", NR_REG_ONE_NIC, 2, NR_TX_RINGS_ONLY, 9);
	G("netmap:eth0^@7", "eth0", NR_REG_SW, 0, 0, 7);

	/* switch ports keep their prefix */
	G("vale0:p", "vale0:p", NR_REG_ALL_NIC, 0, 0, 0);
	G("vale:p", "vale:p", NR_REG_ALL_NIC, 0, 0, 0);
	G("valeXXX:YYY", "valeXXX:YYY", NR_REG_ALL_NIC, 0, 0, 0);
	G("vale_a1:b_2-1", "vale_a1:b_2", NR_REG_ONE_NIC, 1, 0, 0);

	/* pipes: the id is part of the name */
	G("netmap:eth0{1", "eth0{1", NR_REG_ALL_NIC, 0, 0, 0);
	G("netmap:eth0}1", "eth0}1", NR_REG_ALL_NIC, 0, 0, 0);
	G("netmap:eth0{pipe_A", "eth0{pipe_A", NR_REG_ALL_NIC, 0, 0, 0);
	G("netmap:eth0}x-0", "eth0}x", NR_REG_ONE_NIC, 0, 0, 0);
	G("vale0:x{3", "vale0:x{3", NR_REG_ALL_NIC, 0, 0, 0);
	G("vale0:x}3/x", "vale0:x}3", NR_REG_ALL_NIC, 0, NR_EXCLUSIVE, 0);
	G("netmap:{x", "{x", NR_REG_ALL_NIC, 0, 0, 0);	/* no parent */

	/* other characters in the port name are the kernel side's business */
	G("netmap:eth0.100", "eth0.100", NR_REG_ALL_NIC, 0, 0, 0);
	G("netmap:a:b", "a:b", NR_REG_ALL_NIC, 0, 0, 0);

	/* the longest names: 63 bytes */
	memset(n63, 'a', 63);
	snprintf(s63, sizeof(s63), "netmap:%s", n63);
	G(s63, n63, NR_REG_ALL_NIC, 0, 0, 0);
	memset(n63, 0, sizeof(n63));
	snprintf(n63, sizeof(n63), "vale0:%057d", 0);
	G(n63, n63, NR_REG_ALL_NIC, 0, 0, 0);
}

/* ------------------------------------------------- bad portspecs */

/* a descriptor with state worth protecting */
#define PRE_SPEC	"vale1:pre-2/x@conf:rings=3,slots=128"

static void
bad(const char *spec, int want_errno)
{
	long live = n_live;
	struct nmport_d *d = nmport_new();
	struct nmreq_header hdr;
	struct nmreq_register reg;
	struct nmport_cleanup_d *clist;
	struct nmreq_opt_extmem *extmem;
	int ret;

	if (nmport_parse(d, PRE_SPEC) != 0) {
		tap_ok(0, "setup parse of " PRE_SPEC ": %s", last_msg);
		nmport_delete(d);
		return;
	}
	hdr = d->hdr;
	reg = d->reg;
	clist = d->clist;
	extmem = d->extmem;
	n_msgs = 0;
	last_msg[0] = '\0';
	errno = 0;
	ret = nmport_parse(d, spec);
	if (!tap_ok(ret == -1 && errno == want_errno, "'%s' fails with %s",
	    spec, strerror(want_errno)))
		tap_diag("  got %d, errno %d (%s)", ret, errno, strerror(errno));
	if (!tap_ok(n_msgs >= 1 && last_msg[0] != '\0' &&
	    strstr(last_msg, spec) != NULL,
	    "  '%s': a message naming the portspec", spec))
		tap_diag("  message: '%s'", last_msg);
	else
		tap_diag("  %s", last_msg);
	tap_ok(memcmp(&hdr, &d->hdr, sizeof(hdr)) == 0 &&
	    memcmp(&reg, &d->reg, sizeof(reg)) == 0 && d->clist == clist &&
	    d->extmem == extmem, "  '%s': descriptor unchanged", spec);
	nmport_undo_parse(d);
	nmport_delete(d);
	tap_ok(n_live == live, "  '%s': nothing leaked", spec);
}

static void
check_bad_names(void)
{
	static char s64[100];

	/* subsystem */
	bad("", EINVAL);
	bad("eth0", EINVAL);
	bad("Netmap:eth0", EINVAL);
	bad("netmap", EINVAL);
	bad("netmapX:eth0", EINVAL);
	bad("netmap0:eth0", EINVAL);
	bad("vale0", EINVAL);
	bad("vale", EINVAL);
	bad("vale-1:p", EINVAL);
	bad("vale0.1:p", EINVAL);
	bad("vale0@3:p", EINVAL);

	/* port name */
	bad("netmap:", EINVAL);
	bad("vale0:", EINVAL);
	bad("vale:", EINVAL);
	bad("netmap:-1", EINVAL);
	bad("netmap:^", EINVAL);
	bad("netmap:*", EINVAL);
	bad("netmap:/x", EINVAL);
	bad("netmap:@1", EINVAL);
	memset(s64, 0, sizeof(s64));
	strcpy(s64, "netmap:");
	memset(s64 + 7, 'a', 64);
	bad(s64, EINVAL);
	memset(s64, 0, sizeof(s64));
	snprintf(s64, sizeof(s64), "vale0:%058d", 0);	/* 64 bytes */
	bad(s64, EINVAL);

	/* pipes */
	bad("netmap:eth0{", EINVAL);
	bad("netmap:eth0}", EINVAL);
	bad("netmap:eth0{-1", EINVAL);
	bad("netmap:eth0}/x", EINVAL);
	bad("netmap:eth0{a.b", EINVAL);
	bad("netmap:eth0{a{b", EINVAL);
	bad("netmap:eth0}a}b", EINVAL);
	bad("netmap:eth0{a}b", EINVAL);
	bad("netmap:eth0{a:b", EINVAL);
	bad("vale0:x{", EINVAL);
	bad("netmap:{", EINVAL);
}

static void
check_bad_modes(void)
{
	bad("netmap:eth0-", EINVAL);
	bad("netmap:eth0-x", EINVAL);
	bad("netmap:br-lan", EINVAL);
	bad("netmap:eth0--1", EINVAL);
	bad("netmap:eth0-+1", EINVAL);
	bad("netmap:eth0-4095", EINVAL);
	bad("netmap:eth0-99999999999999999999999999", EINVAL);
	bad("netmap:eth0-1-2", EINVAL);
	bad("netmap:eth0-1x", EINVAL);
	bad("netmap:eth0-1^", EINVAL);
	bad("netmap:eth0^x", EINVAL);
	bad("netmap:eth0^-1", EINVAL);
	bad("netmap:eth0^4095", EINVAL);
	bad("netmap:eth0^1^", EINVAL);
	bad("netmap:eth0^^", EINVAL);
	bad("netmap:eth0*1", EINVAL);
	bad("netmap:eth0**", EINVAL);
	bad("netmap:eth0*^", EINVAL);
	bad("netmap:eth0^*", EINVAL);
	bad("netmap:eth0*-1", EINVAL);

	bad("netmap:eth0/", EINVAL);
	bad("netmap:eth0/q", EINVAL);
	bad("netmap:eth0/X", EINVAL);
	bad("netmap:eth0/x-1", EINVAL);
	bad("netmap:eth0/x*", EINVAL);
	bad("netmap:eth0/x^", EINVAL);
	bad("netmap:eth0/x/", EINVAL);

	bad("netmap:eth0@", EINVAL);
	bad("netmap:eth0@0", EINVAL);
	bad("netmap:eth0@00", EINVAL);
	bad("netmap:eth0@65536", EINVAL);
	bad("netmap:eth0@99999999999999999999999", EINVAL);
	bad("netmap:eth0@3@4", EINVAL);
	bad("netmap:eth0@1-2", EINVAL);
	bad("netmap:eth0@1^", EINVAL);
	bad("netmap:eth0@1*", EINVAL);
	bad("netmap:eth0-1@", EINVAL);
	bad("netmap:eth0/x@", EINVAL);
	bad("netmap:eth0@1@", EINVAL);
	bad("netmap:eth0@1x", EINVAL);
}

static void
check_bad_options(void)
{
	bad("netmap:eth0@@", EINVAL);
	bad("netmap:eth0@conf:rings=1@", EINVAL);
	bad("netmap:eth0@conf:rings=1@@conf:slots=1", EINVAL);
	bad("netmap:eth0@bogus", EINVAL);
	bad("netmap:eth0@bogus=1", EINVAL);
	bad("netmap:eth0@bogus:a=1", EINVAL);
	bad("netmap:eth0@Conf:rings=1", EINVAL);
	bad("netmap:eth0@conf", EINVAL);
	bad("netmap:eth0@conf=4", EINVAL);
	bad("netmap:eth0@conf:rings", EINVAL);
	bad("netmap:eth0@conf:rings=", EINVAL);
	bad("netmap:eth0@conf:rings=1,rings=2", EINVAL);
	bad("netmap:eth0@conf:tx-rings=1,tx_rings=2", EINVAL);
	bad("netmap:eth0@conf:host-rings=1,host_rings=1", EINVAL);
	bad("netmap:eth0@conf:bogus=1", EINVAL);
	bad("netmap:eth0@conf:ring=1", EINVAL);
	bad("netmap:eth0@conf:rings=abc", EINVAL);
	bad("netmap:eth0@conf:rings=-1", EINVAL);
	bad("netmap:eth0@conf:rings=+1", EINVAL);
	bad("netmap:eth0@conf:rings= 1", EINVAL);
	bad("netmap:eth0@conf:rings=1x", EINVAL);
	bad("netmap:eth0@conf:rings=0x10", EINVAL);
	bad("netmap:eth0@conf:rings=65536", EINVAL);
	bad("netmap:eth0@conf:host-tx-rings=70000", EINVAL);
	bad("netmap:eth0@conf:slots=4294967296", EINVAL);
	bad("netmap:eth0@conf:tx-slots=99999999999999999999999", EINVAL);
	bad("netmap:eth0@conf:rings=1,", EINVAL);
	bad("netmap:eth0@conf:,rings=1", EINVAL);
	bad("netmap:eth0@conf:rings=1,,slots=2", EINVAL);
	bad("netmap:eth0@conf:rings=1@conf:rings=x", EINVAL);

	/* @share: all of these fail before any device access */
	bad("netmap:eth0@share", EINVAL);
	bad("netmap:eth0@share=", EINVAL);
	bad("netmap:eth0@share=eth1", EINVAL);
	bad("netmap:eth0@share=netmap:", EINVAL);
	bad("netmap:eth0@share=netmapX:eth1", EINVAL);
	bad("netmap:eth0@share=netmap:eth1/q", EINVAL);
	bad("netmap:eth0@share=netmap:eth1-x", EINVAL);
	bad("netmap:eth0@share=netmap:eth1{", EINVAL);
	bad("netmap:eth0@share:port=vale0:", EINVAL);
	bad("netmap:eth0@share:bogus=1", EINVAL);
	bad("netmap:eth0@share:port", EINVAL);

	/* @extmem that cannot work */
	bad("netmap:eth0@extmem", EINVAL);
	bad("netmap:eth0@extmem=", EINVAL);
	bad("netmap:eth0@extmem:if-num=1", EINVAL);
	bad("netmap:eth0@extmem:file=/nonexistent/unetmap-extmem", ENOENT);
	bad("netmap:eth0@extmem=/nonexistent/unetmap-extmem", ENOENT);
	bad("netmap:eth0@extmem:file=/x,if-num=x", EINVAL);
	bad("netmap:eth0@extmem:file=/x,buf-size=4294967296", EINVAL);

	/* @offset is off until the program enables it */
	bad("netmap:eth0@offset:initial=1", EOPNOTSUPP);
	bad("netmap:eth0@offset=1", EOPNOTSUPP);
}

/* a pre-set memory region id may not be changed by the portspec */
static void
check_preset_mem_id(void)
{
	struct nmport_d *d = nmport_new();

	d->reg.nr_mem_id = 5;
	TAP_EQ(nmport_parse(d, "netmap:eth0@5"), 0,
	    "preset mem_id 5, '@5' agrees");
	TAP_EQ(d->reg.nr_mem_id, 5, "mem_id stays 5");
	TAP_EQ(nmport_parse(d, "netmap:eth0"), 0, "preset mem_id, no '@N'");
	TAP_EQ(d->reg.nr_mem_id, 5, "mem_id kept");
	errno = 0;
	TAP_EQ(nmport_parse(d, "netmap:eth0@6"), -1,
	    "preset mem_id 5, '@6' is refused");
	TAP_EQ(errno, EINVAL, "with EINVAL");
	TAP_EQ(d->reg.nr_mem_id, 5, "mem_id still 5");
	nmport_undo_parse(d);
	TAP_EQ(d->reg.nr_mem_id, 0, "undo_parse clears the request");
	tap_ok(d->hdr.nr_version == NETMAP_API && d->hdr.nr_body ==
	    (uintptr_t)&d->reg && d->hdr.nr_name[0] == '\0',
	    "undo_parse leaves a fresh REGISTER header");
	TAP_EQ(nmport_parse(d, "netmap:eth1-1"), 0, "parse again after undo");
	nmport_delete(d);
}

/* ------------------------------------------------------ options */

static struct nmport_d *
parsed(const char *spec)
{
	struct nmport_d *d = nmport_new();

	if (nmport_parse(d, spec) != 0) {
		tap_diag("'%s': %s", spec, last_msg);
		nmport_delete(d);
		return NULL;
	}
	return d;
}

static void
check_conf(void)
{
	struct {
		const char *spec;
		uint16_t tx, rx, htx, hrx;
		uint32_t txs, rxs;
	} c[] = {
		{ "netmap:eth0@conf:rings=4", 4, 4, 0, 0, 0, 0 },
		{ "netmap:eth0@conf:tx-rings=2", 2, 0, 0, 0, 0, 0 },
		{ "netmap:eth0@conf:rx_rings=3", 0, 3, 0, 0, 0, 0 },
		{ "netmap:eth0@conf:rings=4,tx-rings=2", 2, 4, 0, 0, 0, 0 },
		{ "netmap:eth0@conf:tx-rings=2,rings=4", 2, 4, 0, 0, 0, 0 },
		{ "netmap:eth0@conf:rx-rings=1,rings=4", 4, 1, 0, 0, 0, 0 },
		{ "netmap:eth0@conf:host-rings=2", 0, 0, 2, 2, 0, 0 },
		{ "netmap:eth0@conf:host-rx-rings=3,host-rings=2", 0, 0, 2, 3, 0, 0 },
		{ "netmap:eth0@conf:host-tx-rings=1", 0, 0, 1, 0, 0, 0 },
		{ "netmap:eth0@conf:slots=1024", 0, 0, 0, 0, 1024, 1024 },
		{ "netmap:eth0@conf:rx-slots=256,slots=1024", 0, 0, 0, 0, 1024, 256 },
		{ "netmap:eth0@conf:tx-slots=4294967295", 0, 0, 0, 0, 4294967295u, 0 },
		{ "netmap:eth0@conf:rings=65535", 65535, 65535, 0, 0, 0, 0 },
		{ "netmap:eth0@conf:rings=0", 0, 0, 0, 0, 0, 0 },
		{ "netmap:eth0@conf:", 0, 0, 0, 0, 0, 0 },
		{ "netmap:eth0-1/x@conf:rings=2@conf:slots=8", 2, 2, 0, 0, 8, 8 },
		{ "vale0:p@conf:rings=2,host-rings=1,slots=64,tx-slots=32",
		    2, 2, 1, 1, 32, 64 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct nmport_d *d = parsed(c[i].spec);
		struct nmreq_register *r;

		if (!tap_ok(d != NULL, "parse '%s'", c[i].spec))
			continue;
		r = &d->reg;
		if (!tap_ok(r->nr_tx_rings == c[i].tx && r->nr_rx_rings == c[i].rx &&
		    r->nr_host_tx_rings == c[i].htx &&
		    r->nr_host_rx_rings == c[i].hrx &&
		    r->nr_tx_slots == c[i].txs && r->nr_rx_slots == c[i].rxs &&
		    d->hdr.nr_options == 0,
		    "  '%s': geometry, no option sent", c[i].spec))
			tap_diag("  got %u %u %u %u %u %u", r->nr_tx_rings,
			    r->nr_rx_rings, r->nr_host_tx_rings,
			    r->nr_host_rx_rings, r->nr_tx_slots, r->nr_rx_slots);
		nmport_undo_prepare(d);
	}
}

static void
check_offset(void)
{
	struct nmport_d *d;
	struct nmreq_opt_offsets *o;

	TAP_EQ(nmport_enable_option("bogus"), -1,
	    "enabling an unknown option fails");
	TAP_EQ(errno, EOPNOTSUPP, "with EOPNOTSUPP");
	nmport_disable_option("bogus");
	tap_ok(1, "disabling an unknown option does nothing");

	TAP_EQ(nmport_enable_option("offset"), 0, "enable @offset");
	d = parsed("netmap:eth0@offset:initial=64");
	tap_ok(d != NULL, "'@offset:initial=64' accepted once enabled");
	if (d != NULL) {
		o = (struct nmreq_opt_offsets *)nmreq_find_option(&d->hdr,
		    NETMAP_REQ_OPT_OFFSETS);
		tap_ok(o != NULL && o->nro_initial_offset == 64 &&
		    o->nro_max_offset == 64 && o->nro_offset_bits == 0 &&
		    o->nro_min_gap == 0 && o->nro_opt.nro_next == 0,
		    "OFFSETS option: initial 64, max 64, bits 0");
		nmport_undo_parse(d);
		TAP_EQ(d->hdr.nr_options, 0, "undo_parse removes the option");
		nmport_delete(d);
	}
	d = parsed("netmap:eth0-1@offset=16");
	o = d ? (struct nmreq_opt_offsets *)nmreq_find_option(&d->hdr,
	    NETMAP_REQ_OPT_OFFSETS) : NULL;
	tap_ok(o != NULL && o->nro_initial_offset == 16,
	    "'@offset=16': the default key is initial");
	nmport_undo_prepare(d);
	d = parsed("netmap:eth0@offset:bits=12,initial=8");
	o = d ? (struct nmreq_opt_offsets *)nmreq_find_option(&d->hdr,
	    NETMAP_REQ_OPT_OFFSETS) : NULL;
	tap_ok(o != NULL && o->nro_initial_offset == 8 &&
	    o->nro_offset_bits == 12, "'@offset:bits=12,initial=8'");
	nmport_undo_prepare(d);
	bad("netmap:eth0@offset:bits=3", EINVAL);
	bad("netmap:eth0@offset:initial=1,bits=65", EINVAL);
	bad("netmap:eth0@offset:initial=x", EINVAL);
	bad("netmap:eth0@offset", EINVAL);
	nmport_disable_option("offset");
	bad("netmap:eth0@offset:initial=1", EOPNOTSUPP);
}

static void
check_share_disabled(void)
{
	nmport_disable_option("share");
	bad("netmap:eth0@share=netmap:eth1", EOPNOTSUPP);
	TAP_EQ(nmport_enable_option("share"), 0, "enable @share again");
}

/* how many mappings of path /proc/self/maps shows */
static int
mappings_of(const char *path)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[600];
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, path) != NULL)
			n++;
	fclose(f);
	return n;
}

static void
check_extmem(void)
{
	char path[] = "/tmp/unetmap-extmem-XXXXXX", spec[256];
	struct nmport_d *d;
	struct nmreq_opt_extmem *e;
	int fd = mkstemp(path);

	if (!tap_ok(fd >= 0 && ftruncate(fd, 1 << 20) == 0,
	    "a 1 MB extmem file"))
		return;
	close(fd);

	snprintf(spec, sizeof(spec), "netmap:eth0@extmem:file=%s,if-num=2,"
	    "if-size=1024,ring-num=4,ring-size=8192,buf-num=100,buf-size=2048",
	    path);
	d = parsed(spec);
	tap_ok(d != NULL, "'@extmem:file=...' with every key");
	if (d != NULL) {
		e = d->extmem;
		tap_ok(e != NULL && nmreq_find_option(&d->hdr,
		    NETMAP_REQ_OPT_EXTMEM) == &e->nro_opt,
		    "the EXTMEM option is in the request");
		tap_ok(e != NULL && e->nro_usrptr != 0 &&
		    e->nro_info.nr_memsize == 1 << 20,
		    "it points at the mapped file, 1 MB");
		tap_ok(e != NULL && e->nro_info.nr_if_pool_objtotal == 2 &&
		    e->nro_info.nr_if_pool_objsize == 1024 &&
		    e->nro_info.nr_ring_pool_objtotal == 4 &&
		    e->nro_info.nr_ring_pool_objsize == 8192 &&
		    e->nro_info.nr_buf_pool_objtotal == 100 &&
		    e->nro_info.nr_buf_pool_objsize == 2048,
		    "pool sizes from the keys");
		tap_ok(nmport_extmem_getinfo(d) == &e->nro_info,
		    "nmport_extmem_getinfo");
		TAP_EQ(mappings_of(path), 1, "the file is mapped");
		nmport_undo_parse(d);
		tap_ok(d->extmem == NULL && d->hdr.nr_options == 0,
		    "undo_parse removes the option");
		TAP_EQ(mappings_of(path), 0, "and unmaps the file");
		nmport_delete(d);
	}

	snprintf(spec, sizeof(spec), "vale0:a@extmem=%s", path);
	d = parsed(spec);
	tap_ok(d != NULL && d->extmem != NULL &&
	    d->extmem->nro_info.nr_if_pool_objtotal == 0,
	    "'@extmem=PATH': default key, other pools 0");
	nmport_undo_prepare(d);
	TAP_EQ(mappings_of(path), 0, "undo_prepare unmaps it");

	/* extmem + offset + conf applied, then a bad option: all undone */
	nmport_enable_option("offset");
	snprintf(spec, sizeof(spec), "netmap:eth1-3@conf:rings=7@offset=4"
	    "@extmem:file=%s@bogus", path);
	bad(spec, EINVAL);
	TAP_EQ(mappings_of(path), 0, "the failed parse unmapped the file");

	/* options the program attached before parsing survive a failure */
	d = nmport_new();
	TAP_EQ(nmport_offset(d, 1, 2, 3, 4), 0, "nmport_offset before parse");
	snprintf(spec, sizeof(spec), "netmap:eth1@extmem=%s@bogus", path);
	TAP_EQ(nmport_parse(d, spec), -1, "then a failing parse");
	tap_ok(nmreq_find_option(&d->hdr, NETMAP_REQ_OPT_OFFSETS) != NULL &&
	    d->extmem == NULL && d->clist != NULL,
	    "keeps the program's option, drops its own");
	TAP_EQ(nmport_parse(d, "netmap:eth1"), 0, "a good parse");
	tap_ok(nmreq_find_option(&d->hdr, NETMAP_REQ_OPT_OFFSETS) != NULL,
	    "keeps it too");
	nmport_undo_prepare(d);
	nmport_disable_option("offset");
	unlink(path);
}

/* ------------------------------------------ the decoders directly */

static void
check_header_decode(void)
{
	struct nmreq_header h, saved;
	const char *spec = "netmap:eth0-1@conf:rings=2", *p = spec;

	memset(&h, 0, sizeof(h));
	h.nr_version = 77;
	h.nr_options = 1234;
	TAP_EQ(nmreq_header_decode(&p, &h, &test_ctx), 0,
	    "nmreq_header_decode 'netmap:eth0-1@...'");
	tap_ok(p == spec + strlen("netmap:eth0"), "the pointer moves to the mode");
	tap_ok(strcmp(h.nr_name, "eth0") == 0, "nr_name 'eth0'");
	tap_ok(h.nr_version == 77 && h.nr_options == 1234 && h.nr_body == 0,
	    "the other header fields are untouched");

	saved = h;
	p = "vale0:";
	n_msgs = 0;
	errno = 0;
	TAP_EQ(nmreq_header_decode(&p, &h, &test_ctx), -1,
	    "nmreq_header_decode 'vale0:' fails");
	tap_ok(errno == EINVAL && n_msgs == 1, "EINVAL and one message");
	tap_ok(strcmp(p, "vale0:") == 0 && memcmp(&h, &saved, sizeof(h)) == 0,
	    "pointer and header unchanged");

	p = "vale3:x}y/z";
	TAP_EQ(nmreq_header_decode(&p, &h, &test_ctx), 0, "'vale3:x}y/z'");
	tap_ok(strcmp(h.nr_name, "vale3:x}y") == 0 && strcmp(p, "/z") == 0,
	    "pipe slave on a switch port; the mode is left");
}

static void
check_register_decode(void)
{
	struct nmreq_register r, saved;
	const char *p;

	memset(&r, 0, sizeof(r));
	r.nr_tx_rings = 9;
	r.nr_flags = NR_ACCEPT_VNET_HDR;
	p = "";
	TAP_EQ(nmreq_register_decode(&p, &r, &test_ctx), 0, "empty mode");
	tap_ok(r.nr_mode == NR_REG_ALL_NIC && r.nr_ringid == 0 &&
	    r.nr_flags == 0 && r.nr_mem_id == 0 && r.nr_tx_rings == 9,
	    "ALL_NIC; nr_flags replaced; other fields untouched");

	p = "-1/x@conf:rings=1";
	TAP_EQ(nmreq_register_decode(&p, &r, &test_ctx), 0,
	    "'-1/x@conf:...' decodes");
	tap_ok(r.nr_mode == NR_REG_ONE_NIC && r.nr_ringid == 1 &&
	    r.nr_flags == NR_EXCLUSIVE && r.nr_mem_id == 0,
	    "ONE_NIC 1, exclusive, mem_id untouched");
	tap_ok(strcmp(p, "@conf:rings=1") == 0,
	    "stops on the '@' that starts the options");

	p = "/@share=x";
	TAP_EQ(nmreq_register_decode(&p, &r, &test_ctx), 0, "'/@share=x'");
	tap_ok(strcmp(p, "@share=x") == 0, "'/' then options");

	r.nr_mem_id = 4;
	p = "^2@4@opt";
	TAP_EQ(nmreq_register_decode(&p, &r, &test_ctx), 0, "'^2@4@opt'");
	tap_ok(r.nr_mode == NR_REG_ONE_SW && r.nr_ringid == 2 &&
	    r.nr_mem_id == 4 && strcmp(p, "@opt") == 0,
	    "ONE_SW 2, agreeing mem_id, stops at '@opt'");

	saved = r;
	p = "@5";
	errno = 0;
	TAP_EQ(nmreq_register_decode(&p, &r, &test_ctx), -1,
	    "'@5' against a preset mem_id 4 fails");
	tap_ok(errno == EINVAL && memcmp(&r, &saved, sizeof(r)) == 0 &&
	    strcmp(p, "@5") == 0, "EINVAL, request and pointer unchanged");
	p = "-1/q";
	TAP_EQ(nmreq_register_decode(&p, &r, &test_ctx), -1, "'-1/q' fails");
	tap_ok(memcmp(&r, &saved, sizeof(r)) == 0,
	    "nothing changed, not even the part before the error");
}

/* a parser list of our own for the generic option machinery */
static int n_parsed;
static const char *got_keys[NMREQ_OPT_MAXKEYS];
static char got_vals[NMREQ_OPT_MAXKEYS][64];

/* the values live only during the call: keep copies */
static int
record(struct nmreq_parse_ctx *p)
{
	int i;

	n_parsed++;
	for (i = 0; i < NMREQ_OPT_MAXKEYS; i++) {
		got_keys[i] = NULL;
		if (p->keys[i] != NULL) {
			snprintf(got_vals[i], sizeof(got_vals[i]), "%s",
			    p->keys[i]);
			got_keys[i] = got_vals[i];
		}
	}
	if (p->keys[3] != NULL && strcmp(p->keys[3], "fail") == 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static struct nmreq_opt_parser opt_kv = {
	.prefix = "kv", .parse = record, .default_key = 3, .nr_keys = 4,
	.keys = {
		{ "a", 0, NMREQ_OPTK_ALLOWEMPTY },
		{ "b_c", 1, NMREQ_OPTK_MUSTSET },
		{ "e", 2, 0 },
		{ "d", 3, NMREQ_OPTK_DEFAULT },
	},
};
static struct nmreq_opt_parser opt_flag = {
	.prefix = "flag", .parse = record, .default_key = -1, .nr_keys = 0,
	.flags = NMREQ_OPTF_ALLOWEMPTY, .next = &opt_kv,
};
static struct nmreq_opt_parser opt_off = {
	.prefix = "off", .parse = record, .default_key = -1,
	.flags = NMREQ_OPTF_DISABLED | NMREQ_OPTF_ALLOWEMPTY, .next = &opt_flag,
};

static int
decode(const char *opt)
{
	n_parsed = 0;
	memset(got_keys, 0, sizeof(got_keys));
	errno = 0;
	return nmreq_options_decode(opt, &opt_off, NULL, &test_ctx);
}

static void
check_options_decode(void)
{
	TAP_EQ(decode(""), 0, "options: empty list");
	TAP_EQ(n_parsed, 0, "no parser called");
	TAP_EQ(decode("@flag"), 0, "'@flag' (NMREQ_OPTF_ALLOWEMPTY)");
	TAP_EQ(n_parsed, 1, "its parser is called");
	TAP_EQ(decode("@flag@flag"), 0, "an option may repeat");
	TAP_EQ(n_parsed, 2, "called twice");
	TAP_EQ(decode("@kv:b-c=1"), 0, "'@kv:b-c=1': '-' read as '_'");
	tap_ok(got_keys[1] && strcmp(got_keys[1], "1") == 0, "b_c = 1");
	TAP_EQ(decode("@kv:a,b_c=x=y"), 0, "'@kv:a,b_c=x=y'");
	tap_ok(got_keys[0] && strcmp(got_keys[0], "a") == 0 &&
	    strcmp(got_keys[1], "x=y") == 0,
	    "a key allowed empty is set to its name; values may hold '='");
	TAP_EQ(decode("@kv=5"), 0, "'@kv=5' goes to the default key");
	tap_ok(got_keys[3] && strcmp(got_keys[3], "5") == 0 &&
	    got_keys[1] == NULL, "d = 5 (mandatory keys apply to ':' only)");
	TAP_EQ(decode("@kv=fail"), -1, "a failing parser");
	TAP_EQ(errno, EPERM, "its errno comes through");
	TAP_EQ(decode("@kv:b_c=1,e"), -1, "'e' without a value");
	TAP_EQ(errno, EINVAL, "EINVAL");
	TAP_EQ(decode("@kv:e=1"), -1, "mandatory b_c missing");
	TAP_EQ(decode("@kv:b_c=1,b-c=2"), -1, "b_c twice");
	TAP_EQ(decode("@kv"), -1, "'@kv' needs a body");
	TAP_EQ(decode("@flag=1"), -1, "'@flag=1': no default key");
	TAP_EQ(decode("@nope"), -1, "unknown option");
	TAP_EQ(errno, EINVAL, "EINVAL");
	TAP_EQ(decode("@off"), -1, "disabled option");
	TAP_EQ(errno, EOPNOTSUPP, "EOPNOTSUPP");
	TAP_EQ(decode("flag"), -1, "a list not starting with '@'");
	TAP_EQ(errno, EINVAL, "EINVAL");
	TAP_EQ(decode("@"), -1, "a lone '@'");
	TAP_EQ(decode("@flag@kv:b_c=1@bad"), -1, "a bad third option");
	TAP_EQ(n_parsed, 2, "the first two were parsed");
}

/* --------------------------------------------------- option lists */

static void
check_option_lists(void)
{
	struct nmreq_header h;
	struct nmreq_option a, b, c, *o;
	struct nmreq_option *m1 = calloc(1, sizeof(*m1));
	struct nmreq_option *m2 = calloc(1, sizeof(*m2));
	int reg_body, n;

	nmreq_header_init(&h, NETMAP_REQ_PORT_INFO_GET, &reg_body);
	tap_ok(h.nr_version == NETMAP_API &&
	    h.nr_reqtype == NETMAP_REQ_PORT_INFO_GET && h.nr_reserved == 0 &&
	    h.nr_name[0] == 0 && h.nr_options == 0 &&
	    h.nr_body == (uintptr_t)&reg_body, "nmreq_header_init");

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	a.nro_reqtype = NETMAP_REQ_OPT_EXTMEM;
	b.nro_reqtype = NETMAP_REQ_OPT_CSB;
	c.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	nmreq_push_option(&h, &a);
	nmreq_push_option(&h, &b);
	nmreq_push_option(&h, &c);
	tap_ok(h.nr_options == (uintptr_t)&c && c.nro_next == (uintptr_t)&b &&
	    b.nro_next == (uintptr_t)&a && a.nro_next == 0,
	    "nmreq_push_option puts each new option first");
	n = 0;
	nmreq_foreach_option(&h, o)
		n++;
	TAP_EQ(n, 3, "nmreq_foreach_option visits 3");
	tap_ok(nmreq_find_option(&h, NETMAP_REQ_OPT_CSB) == &b,
	    "nmreq_find_option");
	tap_ok(nmreq_find_option(&h, NETMAP_REQ_OPT_SYNC_KLOOP_MODE) == NULL,
	    "nmreq_find_option: NULL when absent");
	nmreq_remove_option(&h, &b);
	tap_ok(c.nro_next == (uintptr_t)&a && b.nro_next == 0,
	    "nmreq_remove_option in the middle");
	nmreq_remove_option(&h, &c);
	tap_ok(h.nr_options == (uintptr_t)&a, "nmreq_remove_option of the first");
	nmreq_remove_option(&h, &b);
	tap_ok(h.nr_options == (uintptr_t)&a && a.nro_next == 0,
	    "removing an absent option does nothing");
	nmreq_remove_option(&h, &a);
	TAP_EQ(h.nr_options, 0, "the list is empty");

	nmreq_push_option(&h, m1);
	nmreq_push_option(&h, m2);
	nmreq_free_options(&h);
	TAP_EQ(h.nr_options, 0, "nmreq_free_options frees and empties");

	tap_ok(!strcmp(nmreq_option_name(NETMAP_REQ_OPT_EXTMEM), "extmem") &&
	    !strcmp(nmreq_option_name(NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS),
	    "sync-kloop-eventfds") &&
	    !strcmp(nmreq_option_name(NETMAP_REQ_OPT_CSB), "csb") &&
	    !strcmp(nmreq_option_name(NETMAP_REQ_OPT_SYNC_KLOOP_MODE),
	    "sync-kloop-mode") &&
	    !strcmp(nmreq_option_name(NETMAP_REQ_OPT_OFFSETS), "offsets") &&
	    !strcmp(nmreq_option_name(0), "unknown") &&
	    !strcmp(nmreq_option_name(NETMAP_REQ_OPT_MAX), "unknown"),
	    "nmreq_option_name");
}

/* ------------------------------------------------------- contexts */

static void
check_nmctx(void)
{
	static char big[3000];
	struct nmctx *old;
	void *p;
	long live = n_live;

	tap_ok(nmctx_get() == &test_ctx, "nmctx_get returns the default");
	old = nmctx_set_default(&test_ctx);
	tap_ok(old == &test_ctx, "nmctx_set_default returns the previous one");

	n_msgs = 0;
	nmctx_ferror(&test_ctx, "x=%d", 42);
	tap_ok(n_msgs == 1 && strcmp(last_msg, "x=42") == 0, "nmctx_ferror");
	memset(big, 'b', sizeof(big) - 1);
	nmctx_ferror(&test_ctx, "%s", big);
	TAP_EQ(n_msgs, 2, "a long message is still delivered");
	tap_ok(strlen(last_msg) > 500 &&
	    strcmp(last_msg + strlen(last_msg) - 3, "...") == 0,
	    "cut, and marked with '...'");
	test_ctx.verbose = 0;
	nmctx_ferror(&test_ctx, "hidden");
	TAP_EQ(n_msgs, 2, "verbose 0: no message");
	errno = 0;
	tap_ok(nmport_prepare("eth0") == NULL && errno == EINVAL && n_msgs == 2,
	    "verbose 0: errors still reported by errno, silently");
	test_ctx.verbose = 1;

	p = nmctx_malloc(&test_ctx, 10);
	TAP_EQ(n_live, live + 1, "nmctx_malloc uses the context's malloc");
	nmctx_free(&test_ctx, p);
	TAP_EQ(n_live, live, "nmctx_free uses the context's free");
	nmctx_lock(&test_ctx);
	nmctx_unlock(&test_ctx);
	tap_ok(1, "nmctx_lock/unlock");
}

/* ------------------------------------ without reaching the device */

static void
check_no_device_paths(void)
{
	const char *p = "bogus:x";
	struct nmport_d *d;

	errno = 0;
	TAP_EQ(nmreq_get_mem_id(&p, &test_ctx), -1,
	    "nmreq_get_mem_id of a bad name fails");
	tap_ok(errno == EINVAL && strcmp(p, "bogus:x") == 0,
	    "EINVAL, before any device access; pointer unchanged");
	p = NULL;
	TAP_EQ(nmreq_get_mem_id(&p, &test_ctx), -1, "nmreq_get_mem_id(NULL)");

	errno = 0;
	tap_ok(nmport_prepare("netmap:eth0-x") == NULL && errno == EINVAL,
	    "nmport_prepare of a bad portspec: NULL, EINVAL");
	errno = 0;
	tap_ok(nmport_open("netmap:eth0/q") == NULL && errno == EINVAL,
	    "nmport_open of a bad portspec: NULL, EINVAL");
	errno = 0;
	d = nmport_new();
	tap_ok(nmport_parse(d, NULL) == -1 && errno == EINVAL,
	    "nmport_parse(NULL): EINVAL");
	nmport_delete(d);
	d = nmport_prepare("netmap:eth0*");
	tap_ok(d != NULL && d->reg.nr_mode == NR_REG_NIC_SW,
	    "nmport_prepare of a good portspec");
	nmport_undo_prepare(d);
	nmport_undo_prepare(NULL);
}

/* ---------------------------------------------- legacy nm_parse */

static void
legacy_good(const char *name, const char *want_name, uint32_t want_flags,
    uint16_t want_ringid, uint16_t want_arg2)
{
	struct nm_desc d;
	char err[NM_PARSE_ERRLEN] = "";

	memset(&d, 0, sizeof(d));
	if (!tap_ok(nm_parse(name, &d, err) == 0, "legacy '%s'", name)) {
		tap_diag("  %s", err);
		return;
	}
	if (!tap_ok(strcmp(d.req.nr_name, want_name) == 0 &&
	    d.req.nr_flags == want_flags && d.req.nr_ringid == want_ringid &&
	    d.req.nr_arg2 == want_arg2 && d.self == &d,
	    "  legacy '%s': name '%s' flags %#x ringid %u arg2 %u", name,
	    want_name, want_flags, want_ringid, want_arg2))
		tap_diag("  got '%s' %#x %u %u", d.req.nr_name, d.req.nr_flags,
		    d.req.nr_ringid, d.req.nr_arg2);
}

static void
legacy_bad(const char *name)
{
	struct nm_desc d, saved;
	char err[NM_PARSE_ERRLEN] = "";

	memset(&d, 0, sizeof(d));
	strcpy(d.req.nr_name, "before");
	d.req.nr_flags = NR_REG_ONE_NIC;
	d.req.nr_ringid = 1;
	d.req.nr_arg2 = 3;
	memcpy(&saved, &d, sizeof(d));
	errno = 0;
	tap_ok(nm_parse(name, &d, err) == -1 && errno == EINVAL &&
	    err[0] != '\0', "legacy '%s' fails with EINVAL (%s)", name, err);
	tap_ok(memcmp(&d, &saved, sizeof(d)) == 0,
	    "  legacy '%s': descriptor unchanged", name);
}

static void
check_legacy(void)
{
	struct nm_desc d;
	struct nm_desc *r;

	legacy_good("netmap:eth0", "eth0", NR_REG_ALL_NIC, 0, 0);
	legacy_good("netmap:eth0-2", "eth0", NR_REG_ONE_NIC, 2, 0);
	legacy_good("netmap:eth0^", "eth0", NR_REG_SW, 0, 0);
	legacy_good("netmap:eth0^1", "eth0", NR_REG_ONE_SW, 1, 0);
	legacy_good("netmap:eth0*", "eth0", NR_REG_NIC_SW, 0, 0);
	legacy_good("netmap:eth0{3", "eth0", NR_REG_PIPE_MASTER, 3, 0);
	legacy_good("netmap:eth0}3", "eth0", NR_REG_PIPE_SLAVE, 3, 0);
	legacy_good("netmap:eth0{0/x", "eth0", NR_REG_PIPE_MASTER | NR_EXCLUSIVE,
	    0, 0);
	legacy_good("netmap:eth0/xzrtRT", "eth0", NR_REG_ALL_NIC | NR_EXCLUSIVE |
	    NR_ZCOPY_MON | NR_MONITOR_TX | NR_MONITOR_RX | NR_RX_RINGS_ONLY |
	    NR_TX_RINGS_ONLY, 0, 0);
	legacy_good("netmap:eth0-1/x@4", "eth0", NR_REG_ONE_NIC | NR_EXCLUSIVE,
	    1, 4);
	legacy_good("netmap:eth0@65535", "eth0", NR_REG_ALL_NIC, 0, 65535);
	legacy_good("vale0:p", "vale0:p", NR_REG_ALL_NIC, 0, 0);
	legacy_good("vale:p", "vale:p", NR_REG_ALL_NIC, 0, 0);
	legacy_good("vale0:p{1", "vale0:p", NR_REG_PIPE_MASTER, 1, 0);
	legacy_good("netmap:eth0.100", "eth0.100", NR_REG_ALL_NIC, 0, 0);
	legacy_good("netmap:0123456789abcde", "0123456789abcde",
	    NR_REG_ALL_NIC, 0, 0);

	/* the mode replaces the one in req; other flags stay */
	memset(&d, 0, sizeof(d));
	d.req.nr_flags = NR_REG_ONE_NIC | NR_ACCEPT_VNET_HDR;
	tap_ok(nm_parse("netmap:eth0^", &d, NULL) == 0 &&
	    d.req.nr_flags == (NR_REG_SW | NR_ACCEPT_VNET_HDR),
	    "legacy: the parsed mode replaces req's, other flags kept");

	legacy_bad("eth0");
	legacy_bad("netmap");
	legacy_bad("netmap:");
	legacy_bad("netmap:0123456789abcdef");	/* 16 bytes */
	legacy_bad("vale0");
	legacy_bad("vale-0:p");
	legacy_bad("vale0:p.q");
	legacy_bad("vale0:");
	legacy_bad("vale0:p{1x");
	legacy_bad("netmap:eth0-");
	legacy_bad("netmap:eth0-x");
	legacy_bad("netmap:eth0-4095");
	legacy_bad("netmap:eth0{");
	legacy_bad("netmap:eth0{x");
	legacy_bad("netmap:eth0}-1");
	legacy_bad("netmap:eth0^x");
	legacy_bad("netmap:eth0*1");
	legacy_bad("netmap:eth0/");
	legacy_bad("netmap:eth0/q");
	legacy_bad("netmap:eth0@");
	legacy_bad("netmap:eth0@0");
	legacy_bad("netmap:eth0@x");
	legacy_bad("netmap:eth0@65536");
	legacy_bad("netmap:eth0@1@2");
	legacy_bad("netmap:eth0@1-2");

	errno = 12345;
	r = nm_open("eth0", NULL, 0, NULL);
	tap_ok(r == NULL && errno == 0,
	    "nm_open of a name without netmap:/vale: NULL, errno 0");
	errno = 0;
	r = nm_open("netmap:eth0-x", NULL, 0, NULL);
	tap_ok(r == NULL && errno == EINVAL,
	    "nm_open of a bad name: NULL, EINVAL, no device touched");
	errno = 0;
	r = nm_open("netmap:0123456789abcdef", NULL, 0, NULL);
	tap_ok(r == NULL && errno == EINVAL, "nm_open of a too long name");
}

int
main(void)
{
	use_test_ctx();
	check_good_names();
	check_bad_names();
	check_bad_modes();
	check_bad_options();
	check_preset_mem_id();
	check_conf();
	check_offset();
	check_share_disabled();
	check_extmem();
	check_header_decode();
	check_register_decode();
	check_options_decode();
	check_option_lists();
	check_nmctx();
	check_no_device_paths();
	check_legacy();
	return tap_done();
}
