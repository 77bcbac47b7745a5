/*
 * fuzz_portspec - libFuzzer target for every portspec parser: libnetmap's
 * nmport_parse / nmport_undo_parse (on a fresh and on an already parsed
 * descriptor), nmreq_header_decode and nmreq_register_decode, and the
 * legacy nm_parse.  Each input is fed as a NUL-terminated copy.
 *
 * No device access: of the options, only @share (open + ioctl on
 * /dev/netmap) and @extmem (open + mmap of a file) reach outside memory.
 * Both are disabled with nmport_disable_option() before the first input,
 * so they fail with EOPNOTSUPP before any system call; @offset, memory
 * only, is enabled so that its parser is fuzzed as well.
 *
 * Besides crashes, leaks and sanitizer reports, the target traps when a
 * result breaks the grammar's promises (name length, mode, ring range,
 * flags, unchanged descriptor on failure).
 *
 *	make fuzz && build-fuzz/fuzz_portspec -max_total_time=60 \
 *	    -dict=tests/fuzz/fuzz_portspec.dict
 */
#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>
#include <libnetmap.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

#define ALL_FLAGS	(NR_EXCLUSIVE | NR_ZCOPY_MON | NR_MONITOR_TX | \
			NR_MONITOR_RX | NR_RX_RINGS_ONLY | NR_TX_RINGS_ONLY)

static struct nmctx fuzz_ctx;
static size_t msg_bytes;

/* messages are formatted (that code is fuzzed too) but not printed */
static void
fuzz_error(struct nmctx *ctx, const char *msg)
{
	(void)ctx;
	msg_bytes += strlen(msg);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	nmport_disable_option("share");
	nmport_disable_option("extmem");
	nmport_enable_option("offset");
	fuzz_ctx = *nmctx_get();
	fuzz_ctx.verbose = 1;
	fuzz_ctx.error = fuzz_error;
	nmctx_set_default(&fuzz_ctx);
	return 0;
}

static void
check_register(const struct nmreq_register *r)
{
	CHECK(r->nr_mode == NR_REG_ALL_NIC || r->nr_mode == NR_REG_SW ||
	    r->nr_mode == NR_REG_NIC_SW || r->nr_mode == NR_REG_ONE_NIC ||
	    r->nr_mode == NR_REG_ONE_SW);
	CHECK(r->nr_ringid < NETMAP_RING_MASK);
	CHECK((r->nr_flags & ~(uint64_t)ALL_FLAGS) == 0);
}

/* nmport_parse on d: success obeys the grammar, failure changes nothing */
static void
fuzz_nmport(struct nmport_d *d, const char *spec)
{
	struct nmreq_header hdr = d->hdr;
	struct nmreq_register reg = d->reg;
	struct nmport_cleanup_d *clist = d->clist;

	if (nmport_parse(d, spec) == 0) {
		CHECK(memchr(d->hdr.nr_name, '\0', sizeof(d->hdr.nr_name)));
		CHECK(d->hdr.nr_name[0] != '\0');
		CHECK(strncmp(spec, "netmap:", 7) == 0 ||
		    strncmp(spec, "vale", 4) == 0);
		CHECK(d->hdr.nr_body == (uintptr_t)&d->reg);
		check_register(&d->reg);
	} else {
		CHECK(memcmp(&hdr, &d->hdr, sizeof(hdr)) == 0);
		CHECK(memcmp(&reg, &d->reg, sizeof(reg)) == 0);
		CHECK(d->clist == clist);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = malloc(size + 1);
	struct nmport_d *d;
	struct nmreq_header h;
	struct nmreq_register r;
	struct nm_desc nd;
	char err[NM_PARSE_ERRLEN];
	const char *p;

	if (spec == NULL)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';

	/* a fresh descriptor, then the same one parsed a second time */
	d = nmport_new();
	if (d != NULL) {
		fuzz_nmport(d, spec);
		fuzz_nmport(d, spec);
		nmport_undo_parse(d);
		CHECK(d->clist == NULL && d->hdr.nr_options == 0);
		fuzz_nmport(d, "netmap:eth0");	/* reusable after undo */
		nmport_undo_parse(d);
		nmport_delete(d);
	}

	/* the decoders alone */
	p = spec;
	nmreq_header_init(&h, NETMAP_REQ_REGISTER, NULL);
	if (nmreq_header_decode(&p, &h, &fuzz_ctx) == 0) {
		CHECK(p > spec && p <= spec + size);
		CHECK(strlen(h.nr_name) < sizeof(h.nr_name));
	} else {
		CHECK(p == spec);
	}
	p = spec;
	memset(&r, 0, sizeof(r));
	if (nmreq_register_decode(&p, &r, &fuzz_ctx) == 0) {
		CHECK(*p == '\0' || *p == '@');
		check_register(&r);
	} else {
		CHECK(p == spec);
	}

	/* the legacy grammar */
	memset(&nd, 0, sizeof(nd));
	if (nm_parse(spec, &nd, err) == 0) {
		CHECK(strlen(nd.req.nr_name) < sizeof(nd.req.nr_name));
		CHECK(nd.req.nr_name[0] != '\0');
	}

	free(spec);
	return 0;
}
