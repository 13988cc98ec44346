# tend — build, test, run. Dependencies come from Debian through pkg-config;
# `make run` and `make check` install what is missing (tools/ensure-deps.sh).

PKGS      = libconfuse libnl-3.0 libnl-route-3.0 libsodium libseccomp
CC       ?= gcc
OPT      ?= -O2 -g
WARN      = -Wall -Wextra -Werror
VERSION   = 0.1.0
# The project's folders are searched for "..." includes only (-iquote):
# supervisor/sys/ must not stand for the system's <sys/...> headers.
CPPFLAGS  = -D_GNU_SOURCE -DTEND_VERSION='"$(VERSION)"' -iquote supervisor -iquote tools -iquote .
# `=` (not `:=`): pkg-config runs only once the packages are there.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS_ALL = -std=c11 $(OPT) $(WARN) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP
SAN        = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

B := build
# The daemon's layers, lowest first (README "Layout"): one archive each,
# build/lib/LAYER.a (build/san/lib/ for the sanitizer build). A layer uses
# only the layers before it; tools/layers.sh checks that in make check.
LAYERS      := base config sys tenant core services account cluster control daemon
LAYERS_DOWN := $(shell echo $(LAYERS) | tr ' ' '\n' | tac)
layer_src    = $(sort $(wildcard supervisor/$(1)/*.c))
INIT_SRC    := $(sort $(wildcard init/*.c))
LIBTEND_SRC := $(sort $(wildcard tools/libtend/*.c))
ALL_SRC     := $(foreach l,$(LAYERS),$(call layer_src,$(l))) $(INIT_SRC)
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS   := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
SAN_BINS    := $(UNIT_SRC:tests/unit/%.c=$(B)/san/unit/%)
# The archives for a link, the highest layer first, so that the linker
# resolves each layer's needs from the layers below it.
layer_libs   = $(foreach l,$(LAYERS_DOWN),$(if $(filter $(l),$(1)),$(2)/lib/$(l).a))

# What each unit test links: the layers it tests and those below them, never
# more, so that a call upwards from a layer fails the link. (test_config
# also tests init/'s emergency declaration.)
UNIT_LAYERS_test_cmdline         :=
UNIT_LAYERS_test_libtend         :=
UNIT_LAYERS_test_watchdog        :=
UNIT_LAYERS_test_duration        := base
UNIT_LAYERS_test_core_structures := base
UNIT_LAYERS_test_run_state       := base
UNIT_LAYERS_test_config          := config base
UNIT_LAYERS_test_config_pack     := config base
UNIT_LAYERS_test_tenant_config   := config base
UNIT_LAYERS_test_profile         := tenant sys config base
UNIT_LAYERS_test_exec            := sys config base
UNIT_LAYERS_test_views           := sys config base
UNIT_LAYERS_test_limits          := sys config base
UNIT_LAYERS_test_hwdog           := sys base
UNIT_LAYERS_test_supervision     := core tenant sys config base
UNIT_LAYERS_test_bus             := core tenant sys config base
UNIT_LAYERS_test_dependencies    := core tenant sys config base
UNIT_LAYERS_test_services        := services core tenant sys config base
UNIT_LAYERS_test_account         := account sys base
UNIT_LAYERS_test_wire            := cluster config base
UNIT_LAYERS_test_negotiation     := cluster services core tenant sys config base
UNIT_LAYERS_test_faults          := control cluster services core tenant sys config base
UNIT_LAYERS_test_fault_recovery  := account core tenant sys config base
UNIT_LAYERS_test_alloc_faults    := control cluster services core tenant sys config base
# Every allocation of tend's own code through the test's wrappers.
UNIT_LDFLAGS_test_alloc_faults   := $(foreach f,malloc calloc realloc strdup strndup asprintf vasprintf,-Wl,--wrap=$(f))
UNIT_OBJS_test_config            := init/emergency.o

.PHONY: all deps deps-check run check unit clean install format
# libtend's examples (tools/examples/), built into build/.
EXAMPLES := heartbeat register_decoupled watch_service lookup_service
# Test probes (tests/probes/): small programs the bats tests run under tend.
PROBES := seccomp_probe
all: deps tend tendctl $(B)/libtend.so $(addprefix $(B)/,$(EXAMPLES)) $(addprefix $(B)/probes/,$(PROBES))

deps:
	@tools/ensure-deps.sh build
deps-check:
	@tools/ensure-deps.sh check

# tend is linked statically (static-pie, so still placed at a random address).
# As PID 1 it must not depend on shared libraries being there and intact, and
# its memory is what it uses of them, not whole shared mappings: with 1000
# services it stays under 2 MiB (issue 6; README "Benchmarks").
# `make STATIC=0` links it against the shared libraries.
STATIC ?= 1
ifeq ($(STATIC),1)
TEND_LINK = -static-pie
TEND_LIBS = $(shell pkg-config --static --libs $(PKGS) 2>/dev/null)
else
TEND_LINK =
TEND_LIBS = $(PKG_LIBS)
endif
# Static glibc warns, for each of getpwnam, getpwuid, getaddrinfo and getproto*,
# that it needs glibc's shared NSS modules at run time. libconfuse ("~user" in
# file names) and libnl (address helpers) refer to them; tend calls none of
# those paths, so tools/ld-nss-notes.awk drops exactly those notes.
# ($(B)/tend: the same, for `make clang`, which builds into build/clang/.)
tend $(B)/tend: $(INIT_SRC:%.c=$(B)/%.o) $(call layer_libs,$(LAYERS),$(B)) $(B)/libtend.a
	@echo "$(CC) $(OPT) $(TEND_LINK) -o $@ ... $(TEND_LIBS)"
	@$(CC) $(OPT) $(TEND_LINK) -o $@ $^ $(TEND_LIBS) 2>$(B)/tend.ld.txt; rc=$$?; \
		awk -f tools/ld-nss-notes.awk $(B)/tend.ld.txt >&2; \
		rm -f $(B)/tend.ld.txt; exit $$rc

# tend with the test-only control requests (-DTEND_TEST_HOOKS: `watchdog
# device hold` stops the hardware watchdog's pings, as in a hung tend), for
# tests/qemu/hwdog.bats; never installed. Only the files that look at the
# flag are compiled again: their objects come before the archives, so the
# linker takes them and never the archives' copies.
HOOKS_SRC := supervisor/control/watchdog_device.c
$(B)/hooks/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DTEND_TEST_HOOKS -c -o $@ $<
$(B)/hooks/tend: $(HOOKS_SRC:%.c=$(B)/hooks/%.o) $(INIT_SRC:%.c=$(B)/%.o) \
		$(call layer_libs,$(LAYERS),$(B)) $(B)/libtend.a
	@$(CC) $(OPT) $(TEND_LINK) -o $@ $^ $(TEND_LIBS) 2>$@.ld.txt; rc=$$?; \
		awk -f tools/ld-nss-notes.awk $@.ld.txt >&2; rm -f $@.ld.txt; exit $$rc

# `tendctl account` reads the records itself, with the account layer's
# reader (and the base layer below it); nothing else of the daemon.
tendctl $(B)/tendctl: $(B)/tools/tendctl.o $(B)/tools/tendctl_account.o $(B)/lib/account.a $(B)/lib/base.a \
		$(B)/libtend.a
	$(CC) $(OPT) -o $@ $^

$(B)/libtend.a: $(LIBTEND_SRC:%.c=$(B)/%.o)
	rm -f $@ && ar rcs $@ $^

# One archive per layer, plain and sanitized.
define layer_rules
$(B)/lib/$(1).a: $(patsubst %.c,$(B)/%.o,$(call layer_src,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
$(B)/san/lib/$(1).a: $(patsubst %.c,$(B)/san/%.o,$(call layer_src,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_rules,$(l))))
$(B)/san/libtend.a: $(LIBTEND_SRC:%.c=$(B)/san/%.o)
	rm -f $@ && ar rcs $@ $^

# The same -fPIC objects as a shared library, exporting only tend_* (libtend.map).
LIBTEND_MAP := tools/libtend/libtend.map
$(B)/libtend.so.0: $(LIBTEND_SRC:%.c=$(B)/%.o) $(LIBTEND_MAP)
	$(CC) $(OPT) -shared -Wl,-soname,libtend.so.0 -Wl,--version-script=$(LIBTEND_MAP) \
		-Wl,--no-undefined -o $@ $(filter %.o,$^)

$(B)/libtend.so: $(B)/libtend.so.0
	ln -sf libtend.so.0 $@

# The examples (tools/examples/), linked with libtend.a so that the
# integration tests can run them from build/ as they are. They include
# <tend.h> as an installed program does; tests/libtend.bats also builds
# them against an installed libtend, through pkg-config.
$(B)/tools/examples/%.o: CPPFLAGS += -Itools/libtend
$(addprefix $(B)/,$(EXAMPLES)): $(B)/%: $(B)/tools/examples/%.o $(B)/libtend.a
	$(CC) $(OPT) -o $@ $^

# Static, so that a seccomp profile need not allow the dynamic loader's calls.
$(B)/probes/%: tests/probes/%.c $(B)/libtend.a
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(OPT) $(WARN) -D_GNU_SOURCE -Itools/libtend -static -o $@ $< $(B)/libtend.a

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -c -o $@ $<

$(B)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(SAN) -c -o $@ $<

# A unit test and what it links (UNIT_LAYERS_*, UNIT_OBJS_*); libraries
# only as needed, so that a test of the lower layers loads no libnl.
unit_deps = $(2)/tests/unit/$(1).o $(addprefix $(2)/,$(UNIT_OBJS_$(1))) \
	$(call layer_libs,$(UNIT_LAYERS_$(1)),$(2)) $(2)/libtend.a
define unit_rules
$(B)/unit/$(1): $(call unit_deps,$(1),$(B))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(OPT) $$(UNIT_LDFLAGS_$(1)) -o $$@ $$^ -Wl,--as-needed $$(PKG_LIBS) -lcmocka
$(B)/san/unit/$(1): $(call unit_deps,$(1),$(B)/san)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(OPT) $$(SAN) $$(UNIT_LDFLAGS_$(1)) -o $$@ $$^ -Wl,--as-needed $$(PKG_LIBS) -lcmocka
endef
$(foreach t,$(UNIT_SRC:tests/unit/%.c=%),$(eval $(call unit_rules,$(t))))

unit: $(UNIT_BINS) $(SAN_BINS) $(B)/san/tend

# tend itself under ASan+UBSan: the integration tests run against it too.
$(B)/san/tend: $(INIT_SRC:%.c=$(B)/san/%.o) $(call layer_libs,$(LAYERS),$(B)/san) $(B)/san/libtend.a
	$(CC) $(OPT) $(SAN) -o $@ $^ $(PKG_LIBS)

# Every test: unit tests plain, under ASan+UBSan and under valgrind, each fuzz
# target for 20 s, then the bats integration tests against tend and against
# tend built with ASan+UBSan.
# The last line is "N passed, N failed, N skipped".
check: deps-check
	@$(MAKE) --no-print-directory all unit fuzz-build initramfs $(B)/hooks/tend
	@$(MAKE) --no-print-directory kernel || \
		echo "tend: could not fetch the kernel (above): the QEMU tests will be skipped"
	@$(MAKE) --no-print-directory kernel-generic || \
		echo "tend: could not fetch the generic kernel (above): tests/qemu/hwdog.bats will be skipped"
	@tests/run-all.sh

# Static analysis (README "Static analysis"): cppcheck and clang-tidy over
# tend's sources, with the checks chosen in .clang-tidy (tools/libtend/ adds
# one) and tools/lint/cppcheck-suppressions.txt. Results are kept in
# build/lint/: a file is checked again only when its object (so the file or
# a header it includes) or a configuration changed. make check runs both.
LINT_SRC    := $(ALL_SRC) $(LIBTEND_SRC) tools/tendctl.c tools/tendctl_account.c \
	       $(EXAMPLES:%=tools/examples/%.c)
LINT_FLAGS   = -std=c11 $(CPPFLAGS) -Itools/libtend $(PKG_CFLAGS)
TIDY_CONFIG := .clang-tidy tools/libtend/.clang-tidy
.PHONY: lint lint-cppcheck lint-tidy clang
lint:
	@tools/ensure-deps.sh check
	@$(MAKE) --no-print-directory lint-cppcheck lint-tidy
lint-cppcheck: $(B)/lint/cppcheck.ok
lint-tidy: $(LINT_SRC:%.c=$(B)/lint/tidy/%.ok)

# One file: its findings in .txt, and .ok only if there were none.
$(B)/lint/tidy/%.ok: %.c $(B)/%.o $(TIDY_CONFIG)
	@mkdir -p $(dir $@)
	@echo "clang-tidy $<"
	@rm -f $@; if clang-tidy --quiet $< -- $(LINT_FLAGS) >$(@:.ok=.txt) 2>&1; then touch $@; \
		else grep -v ' warnings\? generated\.$$' $(@:.ok=.txt); exit 1; fi

# cppcheck keeps what it found per file in build/lint/cppcheck/ and reads
# again only what changed. -j1: its whole-program checks (ctu*) see every
# file only when one process reads them all.
CPPCHECK_FLAGS = -q --std=c11 --enable=warning,style,performance,portability --library=posix \
	--inline-suppr --suppressions-list=tools/lint/cppcheck-suppressions.txt --error-exitcode=1 \
	--template='{file}:{line}: {severity}: {message} [{id}]' \
	-D_GNU_SOURCE -DTEND_VERSION='"$(VERSION)"' -I supervisor -I tools -I tools/libtend -I .
$(B)/lint/cppcheck.ok: $(LINT_SRC) $(wildcard supervisor/*/*.h init/*.h tools/*.h tools/libtend/*.h) \
		tools/lint/cppcheck-suppressions.txt Makefile
	@mkdir -p $(B)/lint/cppcheck
	@echo "cppcheck ($(words $(LINT_SRC)) files)"
	@rm -f $@; cppcheck $(CPPCHECK_FLAGS) --cppcheck-build-dir=$(B)/lint/cppcheck $(LINT_SRC) && touch $@

# tend, tendctl, libtend and the unit tests built again with clang, -Wall
# -Wextra -Werror as with gcc, into build/clang/.
CLANG_B    := $(B)/clang
CLANG_BINS := tend tendctl libtend.so $(UNIT_SRC:tests/unit/%.c=unit/%)
clang:
	@tools/ensure-deps.sh check
	@$(MAKE) --no-print-directory CC=clang B=$(CLANG_B) $(addprefix $(CLANG_B)/,$(CLANG_BINS))

# The demo: tend on the shipped conf.d (user mode as a user, system mode as
# root), run in its run directory, then its status.
RUN_DIR ?= $(if $(XDG_RUNTIME_DIR),$(XDG_RUNTIME_DIR)/tend-demo,/tmp/tend-demo-$(shell id -u))
run: deps
	@$(MAKE) --no-print-directory all
	@tools/demo.sh "$(RUN_DIR)"

# libFuzzer targets (clang, ASan+UBSan), one per input tend reads from someone
# else (README "Fuzzing"). Each runs FUZZ_SECONDS (default 60) from its corpus
# in build/fuzz/ and the seeds in tests/fuzz/corpus/NAME/, with
# tests/fuzz/NAME.dict if there is one; tests/fuzz/run.sh runs them.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
# FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (libFuzzer's convention): a
# crash in a child tend forks (the conf.d reader) aborts the fuzz run.
# -fno-sanitize-recover: undefined behaviour aborts the run, so it is a
# finding, not a line in the log.
FUZZ_FLAGS    = -std=c11 -g -O1 $(WARN) -fsanitize=address,undefined -fno-sanitize-recover=all \
		-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION $(CPPFLAGS) $(PKG_CFLAGS)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

# The daemon's and libtend's sources are compiled once (instrumented for
# coverage, not linked with libFuzzer's main) into one archive that every
# target links: a target is then one small compile and a link.
FUZZ_SRC      := $(filter-out init/main.c,$(ALL_SRC)) $(LIBTEND_SRC)
FUZZ_OBJS     := $(FUZZ_SRC:%.c=$(B)/fuzz/obj/%.o)
$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
$(B)/fuzz/tend-fuzz.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^
$(B)/fuzz/%: tests/fuzz/%.c $(B)/fuzz/tend-fuzz.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -MMD -MP -MF $@.d -o $@ $< $(B)/fuzz/tend-fuzz.a $(PKG_LIBS)

.PHONY: fuzz fuzz-build
fuzz-build:
	@tools/ensure-deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS)
fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

# The SPIN models of the peer protocol: every configuration, the large ones too
# (tests/model/run.sh; make check runs the small ones).
.PHONY: model
model:
	@tools/ensure-deps.sh check
	@tests/model/run.sh full

# A bootable initramfs with tend as /init, the Debian cloud kernel, and QEMU to boot
# them (initramfs/). `make boot` gives the guest's console on this terminal.
.PHONY: kernel kernel-generic initramfs boot
kernel:
	@tools/ensure-deps.sh boot
	@initramfs/fetch-kernel.sh $(B)/kernel
# The generic kernel, for the hardware watchdog's QEMU test: its i6300esb
# driver (a module) is not in the cloud kernel.
kernel-generic:
	@tools/ensure-deps.sh boot
	@TEND_KERNEL_META=linux-image-amd64 initramfs/fetch-kernel.sh $(B)/kernel-generic

initramfs: all
	@tools/ensure-deps.sh boot
	@initramfs/build.sh $(B)/initramfs.cpio.gz

boot: initramfs kernel
	@initramfs/boot.sh --kernel $(B)/kernel/vmlinuz --initrd $(B)/initramfs.cpio.gz

# Benchmarks (not tests: they assert nothing and print figures; not part of
# `make check`). tests/bench/run.sh compares tend with the peer supervisors
# Debian has (issue 6), installing them first (tools/ensure-deps.sh bench), and
# writes build/bench/results.json. BENCH_QUICK=1 is a short smoke run; see the
# script for BENCH_RUNS, BENCH_KILLS, BENCH_IDLE_SECONDS, BENCH_ONLY.
# The services and the floor's programs are static, so that exec costs the
# same whoever starts them and no dynamic loader blurs the floor.
BENCH_BINS   := $(patsubst tests/bench/%.c,$(B)/bench/%,$(wildcard tests/bench/*.c))
BENCH_STATIC := $(addprefix $(B)/bench/,bench_idle bench_true bench_crash bench_storm floor_sup bench_cluster)
$(BENCH_STATIC): BENCH_LDFLAGS = -static
# Only libtend's header, as an installed program would include it.
BENCH_CPPFLAGS := -D_GNU_SOURCE -Itools/libtend
$(B)/bench/%: tests/bench/%.c tests/bench/bench.h $(B)/libtend.a
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(OPT) $(WARN) $(BENCH_CPPFLAGS) -o $@ $< $(B)/libtend.a $(BENCH_LDFLAGS)

# bench_seccomp measures tend's own spawn with and without a profile: it
# links tend's layers, not only libtend.
BENCH_SECCOMP_LAYERS := tenant sys config base
$(B)/bench/bench_seccomp: tests/bench/bench_seccomp.c tests/bench/bench.h \
		$(call layer_libs,$(BENCH_SECCOMP_LAYERS),$(B)) $(B)/libtend.a
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(OPT) $(WARN) $(CPPFLAGS) -o $@ $< \
		$(call layer_libs,$(BENCH_SECCOMP_LAYERS),$(B)) $(B)/libtend.a $(PKG_LIBS)

.PHONY: bench
bench:
	@tools/ensure-deps.sh bench
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@tests/bench/run.sh

# The soak (README "Soak"): 100 groups restarting every few milliseconds,
# reloads and clients, for SOAK_MINUTES (and at least 10 000 exits), then the
# checks of tests/soak.bats; prints the curve (fds, RSS, exits/s over time).
SOAK_MINUTES ?= 10
.PHONY: soak
soak: all
	@tests/soak/run.sh $(CURDIR)/tend --minutes $(SOAK_MINUTES) --restarts 10000 --curve

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
# pkg-config's file, written at install time so that it names the PREFIX installed to.
define TEND_PC
prefix=$(PREFIX)
libdir=$(LIBDIR)
includedir=$(INCLUDEDIR)

Name: tend
Description: libtend, for programs under the tend supervisor: control socket, services directory, heartbeat watchdog, readiness
Version: $(VERSION)
Libs: -L$${libdir} -ltend
Cflags: -I$${includedir}
endef
export TEND_PC

install: all
	install -D -m 0755 tend $(DESTDIR)$(PREFIX)/sbin/tend
	install -D -m 0755 tendctl $(DESTDIR)$(PREFIX)/bin/tendctl
	install -D -m 0644 tools/libtend/tend.h $(DESTDIR)$(INCLUDEDIR)/tend.h
	install -D -m 0644 $(B)/libtend.a $(DESTDIR)$(LIBDIR)/libtend.a
	install -D -m 0755 $(B)/libtend.so.0 $(DESTDIR)$(LIBDIR)/libtend.so.0
	ln -sf libtend.so.0 $(DESTDIR)$(LIBDIR)/libtend.so
	mkdir -p $(DESTDIR)$(LIBDIR)/pkgconfig
	printf '%s\n' "$$TEND_PC" >$(DESTDIR)$(LIBDIR)/pkgconfig/tend.pc

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B) tend tendctl

-include $(shell find $(B) -name '*.d' -type f 2>/dev/null)
