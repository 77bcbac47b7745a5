# unetmap - one non-recursive GNU make build.
#
#   make                 library, daemon, tools and tests into build/
#   make SAN=1           the same with address+undefined sanitizers, into build-san/
#   make check           build, then run the whole suite (tests/run does the same
#                        after installing what it needs)
#   make install         PREFIX=/usr/local by default (DESTDIR, LIBDIR, ... below)
#   make deb             the Debian packages, into this directory (contrib/make-deb)
#   make fuzz-long       every fuzz target for FUZZ_TIME seconds (600) each
#
# Files are found by wildcard: a new .c file under lib/, daemon/ (and one
# folder deeper in adapters/), tools/<name>/ or tests/ is built without
# touching this file.

CC      ?= cc
CLANG   ?= clang
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR  ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# the version is debian/changelog's; the library's ABI version its SONAME's
VERSION_SED := 1s/^[^(]*(\([^)-]*\).*/\1/p
VERSION ?= $(or $(shell sed -n '$(VERSION_SED)' debian/changelog 2>/dev/null),0)
SOVERSION := 0
SAN     ?=

ifeq ($(SAN),)
BUILD   ?= build
SANFLAGS :=
else
BUILD   ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

OPT     ?= -O2
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?=
CFLAGS  += -std=gnu11 $(OPT) -g $(WARN) -fPIC -D_GNU_SOURCE -pthread $(SANFLAGS) \
           -Iinclude -Ilib -I. -DUNETMAP_PREFIX='"$(PREFIX)"'
LDFLAGS += -pthread $(SANFLAGS)
LIBS    := -ldl
# the daemon loads our BPF programs (bpf/*.bpf.c) with libbpf
DAEMON_LIBS := -lbpf -lelf -lz

# ---------------------------------------------------------------- sources
SHARED_SRCS := $(wildcard lib/shared/*.c)
LIB_SRCS    := $(SHARED_SRCS) $(wildcard lib/core/*.c lib/compat/*.c lib/adapters/*.c lib/adapters/*/*.c \
               lib/libnetmap/*.c)
DAEMON_SRCS := $(SHARED_SRCS) $(wildcard daemon/*.c daemon/adapters/*.c daemon/adapters/*/*.c)
# tools/common/: code two tools share (link models), linked into every tool
TOOLS       := $(filter-out common,$(notdir $(patsubst %/,%,$(dir $(wildcard tools/*/*.c)))))
TOOL_COMMON_SRCS := $(wildcard tools/common/*.c)
UNIT_SRCS   := $(wildcard tests/unit/*.c)
INTEG_SRCS  := $(wildcard tests/integration/*.c)
BENCH_SRCS  := $(wildcard bench/*.c)
# programs the shell tests drive (not tests themselves)
HELPER_SRCS := $(filter-out %.bpf.c,$(wildcard tests/helpers/*.c))
# fault campaigns (tests/stress/): short passes in the suite, long ones on demand
STRESS_SRCS := $(wildcard tests/stress/*.c)
# netmap programs written only against netmap's headers: built a second
# time without our library, as a binary built for netmap is, to run with
# LD_PRELOAD (they may use libnetmap, which netmap ships as a static
# archive: so do we, as libnetmap-only.a, with no interposition in it)
NETMAP_PROGS := pipe_raw fd_pass poll_wait epoll_mix api_paths bad_input ctrl_rules poll_rules \
		monitor sync_serial sync_skipped priv_drop pidns_lock params extmem
LIBNETMAP_OBJS = $(call obj,$(wildcard lib/libnetmap/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# BPF programs: clang -target bpf, then embedded in the daemon (.incbin)
BPF_OBJ     := $(BUILD)/bpf/unm_nic.bpf.o
BPF_VLAN_OBJ := $(BUILD)/bpf/unm_nic_vlan.bpf.o
# a tc program the NIC tests put on a sender: a VLAN tag into the frame's metadata
BPF_TEST_OBJ := $(BUILD)/tests/helpers/vlan_push.bpf.o
BPF_CFLAGS  := -O2 -g -target bpf -Wall -Werror -I/usr/include/$(shell $(CC) -dumpmachine) -Ilib

LIB_OBJS    := $(call obj,$(LIB_SRCS))
DAEMON_OBJS := $(call obj,$(DAEMON_SRCS))
# the daemon without its main(): what daemon unit tests and fuzzers link
DAEMON_CORE_SRCS := $(filter-out daemon/main.c,$(DAEMON_SRCS))
DAEMON_CORE_OBJS := $(call obj,$(DAEMON_CORE_SRCS))

# libunetmap.so.0 (the SONAME, what programs load), libunetmap.so the link
# a linker finds with -lunetmap
LIBSO_REAL := $(BUILD)/lib/libunetmap.so.$(SOVERSION)
LIBSO  := $(BUILD)/lib/libunetmap.so
LIBA   := $(BUILD)/lib/libunetmap.a
DAEMON := $(BUILD)/bin/unetmapd
TOOL_BINS  := $(addprefix $(BUILD)/bin/,$(sort $(TOOLS)))
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
INTEG_BINS := $(patsubst tests/integration/%.c,$(BUILD)/tests/integration/%,$(INTEG_SRCS))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
HELPER_BINS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(HELPER_SRCS))
STRESS_BINS := $(patsubst tests/stress/%.c,$(BUILD)/tests/stress/%,$(STRESS_SRCS))
PRELOAD_BINS := $(addprefix $(BUILD)/tests/preload/,$(NETMAP_PROGS)) \
                $(addsuffix -fortify,$(addprefix $(BUILD)/tests/preload/,$(NETMAP_PROGS)))
LIBNETMAP_ONLY := $(BUILD)/lib/libnetmap-only.a
# pkt-gen built as netmap builds it (rule below); set before "all", whose
# prerequisites are expanded where it stands
PKTGEN_NETMAP := $(if $(filter pkt-gen,$(TOOLS)),$(BUILD)/bench/pkt-gen-netmap)

# programs linked with the shared library find it next to them
RPATH := -Wl,-rpath,'$$ORIGIN/../lib' -Wl,-rpath,'$$ORIGIN/../../lib'

all: $(LIBSO) $(LIBA) $(BUILD)/lib/libnetmap.so $(BUILD)/lib/libnetmap.a \
     $(DAEMON) $(TOOL_BINS) $(UNIT_BINS) $(INTEG_BINS) $(BENCH_BINS) $(PRELOAD_BINS) $(HELPER_BINS) $(STRESS_BINS) \
     $(PKTGEN_NETMAP) $(BPF_TEST_OBJ)

V ?= 0
ifeq ($(V),0)
Q := @
else
Q :=
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# CPPFLAGS (a distribution's -D_FORTIFY_SOURCE=2) for the daemon's and the
# tools' own objects; not the library's, which defines open, poll... as
# fortified headers do too
$(BUILD)/obj/daemon/%.o: CFLAGS += $(CPPFLAGS)
$(BUILD)/obj/tools/%.o: CFLAGS += $(CPPFLAGS)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c bpf/unm_nic_maps.h lib/shared/nic_abi.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $<")
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/obj/daemon/adapters/nic/bpf.o: $(BPF_OBJ) $(BPF_VLAN_OBJ)
$(BUILD)/obj/daemon/adapters/nic/bpf.o: CFLAGS += -DUNM_BPF_OBJ='"$(BPF_OBJ)"' \
    -DUNM_BPF_VLAN_OBJ='"$(BPF_VLAN_OBJ)"'
$(BPF_TEST_OBJ): tests/helpers/vlan_push.bpf.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $<")
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(LIBSO_REAL): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libunetmap.so.$(SOVERSION) $(LDFLAGS) -o $@ $^ $(LIBS)
$(LIBSO): $(LIBSO_REAL)
	ln -sf libunetmap.so.$(SOVERSION) $@

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# netmap programs link with -lnetmap: the same library under that name
$(BUILD)/lib/libnetmap.so: $(LIBSO)
	ln -sf libunetmap.so $@
$(BUILD)/lib/libnetmap.a: $(LIBA)
	ln -sf libunetmap.a $@

$(DAEMON): $(DAEMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(DAEMON_LIBS) $(LIBS)

# tools/<name>/*.c -> build/bin/<name>, linked with the shared library
define tool_rule
$(BUILD)/bin/$(1): $(call obj,$(wildcard tools/$(1)/*.c) $(TOOL_COMMON_SRCS)) $(LIBSO)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) $$(RPATH) -o $$@ $(call obj,$(wildcard tools/$(1)/*.c) $(TOOL_COMMON_SRCS)) -L$(BUILD)/lib -lunetmap -lm $$(LIBS)
endef
$(foreach t,$(sort $(TOOLS)),$(eval $(call tool_rule,$(t))))

# pkt-gen as netmap builds it (static libnetmap, nothing of ours): what
# bench/preload.sh runs under LD_PRELOAD against the linked build/bin/pkt-gen.
# Its calls to unetmap_port_mode()/unetmap_mode_name() are weak (link.c)
$(BUILD)/bench/pkt-gen-netmap: $(call obj,$(wildcard tools/pkt-gen/*.c)) $(LIBNETMAP_ONLY)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lm

# unit tests see the library's insides: linked with the static archive;
# test_daemon_* see the daemon's instead
$(BUILD)/tests/unit/test_daemon_%: $(BUILD)/obj/tests/unit/test_daemon_%.o $(DAEMON_CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lm $(DAEMON_LIBS) $(LIBS)

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBA) -lm $(LIBS)

# integration programs are ordinary netmap programs: linked with the .so
$(BUILD)/tests/integration/%: $(BUILD)/obj/tests/integration/%.o $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(RPATH) -o $@ $< -L$(BUILD)/lib -lunetmap -lm $(LIBS)

$(LIBNETMAP_ONLY): $(LIBNETMAP_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# the same programs as a netmap binary: libc and static libnetmap only
$(BUILD)/tests/preload/%: $(BUILD)/obj/tests/integration/%.o $(LIBNETMAP_ONLY)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBNETMAP_ONLY) -lm

# and once more as other distributions build them: fortified, 64-bit
# offsets (open64, __open_2, __poll_chk, mmap64 ... instead of open, poll, mmap)
$(BUILD)/obj/tests/integration/%.fortify.o: tests/integration/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (fortified)")
	$(Q)$(CC) $(CFLAGS) -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 -D_FILE_OFFSET_BITS=64 -MMD -MP -c $< -o $@
$(BUILD)/tests/preload/%-fortify: $(BUILD)/obj/tests/integration/%.fortify.o $(LIBNETMAP_ONLY)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBNETMAP_ONLY) -lm

# a setuid program finds no library by $$ORIGIN: this one has ours built in
$(BUILD)/tests/helpers/setuid_probe: $(BUILD)/obj/tests/helpers/setuid_probe.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBA) $(LIBS)

$(BUILD)/tests/stress/%: $(BUILD)/obj/tests/stress/%.o $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(RPATH) -o $@ $< -L$(BUILD)/lib -lunetmap -lm $(LIBS)

$(BUILD)/tests/helpers/%: $(BUILD)/obj/tests/helpers/%.o $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(RPATH) -o $@ $< -L$(BUILD)/lib -lunetmap -lm $(LIBS)

# nm-dump compiles filters and writes pcap files with libpcap; nmreplay reads them
$(BUILD)/bin/nm-dump: LIBS += -lpcap
$(BUILD)/bin/nmreplay: LIBS += -lpcap

# the raw AF_XDP loop bench/nic.sh compares with uses Debian's libxdp
$(BUILD)/bench/xsk_rx: LIBS += -lxdp -lbpf

# netmap's pkt-gen pattern from netmap's headers alone (legacy nm_open):
# built as a netmap program is, libc only, to run with LD_PRELOAD
$(BUILD)/bench/nm_pattern: $(BUILD)/obj/bench/nm_pattern.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $<

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(RPATH) -o $@ $< -L$(BUILD)/lib -lunetmap -lm $(LIBS)

# fuzz targets need clang's libFuzzer; built on request by tests/run
FUZZ_SRCS := $(wildcard tests/fuzz/*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRCS))
fuzz: $(FUZZ_BINS)
FUZZFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -pthread -Iinclude -Ilib -I. \
	    -DUNETMAP_PREFIX='"$(PREFIX)"' -fsanitize=fuzzer,address,undefined
build-fuzz/fuzz_daemon_%: tests/fuzz/fuzz_daemon_%.c $(DAEMON_CORE_SRCS) $(BPF_OBJ) $(BPF_VLAN_OBJ)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZFLAGS) -DUNM_BPF_OBJ='"$(BPF_OBJ)"' -DUNM_BPF_VLAN_OBJ='"$(BPF_VLAN_OBJ)"' -o $@ $(filter %.c,$^) $(DAEMON_LIBS) -ldl
build-fuzz/%: tests/fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZFLAGS) -o $@ $< $(LIB_SRCS) -ldl

check: all
	tests/run --no-install --no-build

# every fuzz target for FUZZ_TIME seconds each, then a table (tests/fuzz/long.sh)
FUZZ_TIME ?= 600
fuzz-long: fuzz
	tests/fuzz/long.sh $(FUZZ_TIME)

# what "make install" installs: the library, the daemon, the tools
programs: $(LIBSO) $(LIBA) $(BUILD)/lib/libnetmap.so $(BUILD)/lib/libnetmap.a $(DAEMON) $(TOOL_BINS)

# pkg-config files, from contrib/*.pc.in with this install's directories
PC_FILES := $(BUILD)/pkgconfig/netmap.pc $(BUILD)/pkgconfig/unetmap.pc
$(BUILD)/pkgconfig/%.pc: contrib/%.pc.in FORCE
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' $< >$@

MAN8 := $(wildcard docs/man/*.8)
MAN7 := $(wildcard docs/man/*.7)

install: programs $(PC_FILES)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(INCLUDEDIR)/net $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 644 $(LIBSO_REAL) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(LIBA) $(DESTDIR)$(LIBDIR)/
	ln -sf libunetmap.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libunetmap.so
	ln -sf libunetmap.so $(DESTDIR)$(LIBDIR)/libnetmap.so
	ln -sf libunetmap.a $(DESTDIR)$(LIBDIR)/libnetmap.a
	install -m 755 $(DAEMON) $(DESTDIR)$(SBINDIR)/
	$(if $(TOOL_BINS),install -m 755 $(TOOL_BINS) $(DESTDIR)$(BINDIR)/)
	install -m 644 include/net/*.h $(DESTDIR)$(INCLUDEDIR)/net/
	install -m 644 include/*.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(PC_FILES) $(DESTDIR)$(PKGCONFIGDIR)/
	$(if $(MAN7),install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/)
	$(if $(MAN8),install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/)

# the Debian packages (debian/), built from a copy of this tree; the build
# dependencies are installed first if missing (as root)
deb:
	contrib/make-deb

clean:
	rm -rf build build-san build-fuzz

.PHONY: all programs check install deb clean fuzz fuzz-long FORCE
FORCE:
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
