# SPDX-License-Identifier: MIT
# ramforge: one entry point. make, make check, make fuzz, make install, make deb, make bench,
# make demo.

BUILD    ?= build
PREFIX   ?= /usr/local
VERSION  := 0.1.0
CC       ?= cc
PKGS     := libkmod libzstd liblzma liblz4 zlib libelf libcrypto
# libarchive, lz4, zlib, bzip2 and libelf are linked statically: only a little of each is used,
# and every extra shared object (libarchive's drags in libxml2, ICU and libstdc++) costs each run
# of `ramforge deps` its loading and relocation time. libkmod already loads zstd and lzma.
STATIC_LIBS := -Wl,-Bstatic -larchive -lbz2 $(shell pkg-config --libs libelf liblz4 zlib) -Wl,-Bdynamic
DYN_PKGS    := libkmod libzstd liblzma libcrypto
WARN     := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wformat=2 -Wvla
CFLAGS   ?= -O2 -g
RF_CFLAGS = -std=gnu11 -D_GNU_SOURCE -DRF_VERSION=\"$(VERSION)\" $(WARN) $(shell pkg-config --cflags $(PKGS)) -iquote lib -iquote common -iquote builder -I$(BUILD)/gen
RF_LIBS   = $(STATIC_LIBS) $(shell pkg-config --libs $(DYN_PKGS)) -lpthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# The library (lib/: the stages, silent; common/: what the init compiles too) and the CLI
# (builder/: main, options, the commands; the only code that prints).
LIB_SRC  := $(wildcard lib/*.c) $(wildcard common/*.c)
CLI_SRC  := $(wildcard builder/*.c)
GEN      := default_conf generic_conf bundles
LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) $(patsubst %,$(BUILD)/gen/%.o,$(GEN))
SAN_OBJ  := $(patsubst %.c,$(BUILD)/san/%.o,$(LIB_SRC)) $(patsubst %,$(BUILD)/san/gen/%.o,$(GEN))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
UNIT_SAN := $(patsubst tests/unit/%.c,$(BUILD)/san/unit/%,$(UNIT_SRC))

all: $(BUILD)/ramforge $(BUILD)/ramforge-init

-include init/init.mk

$(BUILD)/ramforge: $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRC)) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(RF_LIBS)

$(BUILD)/san/ramforge: $(patsubst %.c,$(BUILD)/san/%.o,$(CLI_SRC)) $(SAN_OBJ)
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^ $(RF_LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(RF_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) $(RF_CFLAGS) -MMD -MP -c -o $@ $<

# Where the installed ramforge-init lives, compiled in; a changed PREFIX rebuilds what uses it.
$(BUILD)/gen/libdir.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define RF_LIBDIR "$(PREFIX)/lib/ramforge"' > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/builder/cmd_build.o $(BUILD)/san/builder/cmd_build.o $(BUILD)/fuzz/obj/builder/cmd_build.o: $(BUILD)/gen/libdir.h

# The shipped defaults (conf/ramforge.conf) are compiled in, so conf/ is the one source of truth.
$(BUILD)/gen/default_conf.c: conf/ramforge.conf lib/embed.sh
	@mkdir -p $(dir $@)
	sh lib/embed.sh rf_default_conf < $< > $@

# The generic image's rules (conf/generic.conf), compiled in the same way.
$(BUILD)/gen/generic_conf.c: conf/generic.conf lib/embed.sh
	@mkdir -p $(dir $@)
	sh lib/embed.sh rf_generic_conf < $< > $@

# The bundles (modules.d/NN-NAME/bundle.conf), compiled in as a table.
BUNDLES := $(sort $(wildcard modules.d/*/bundle.conf))
$(BUILD)/gen/bundles.c: $(BUNDLES) lib/embed_bundles.sh
	@mkdir -p $(dir $@)
	sh lib/embed_bundles.sh $(BUNDLES) > $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS) $(RF_CFLAGS) -c -o $@ $<

$(BUILD)/san/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) $(RF_CFLAGS) -c -o $@ $<

# -MMD: a test that #includes an init/*.c file is rebuilt when that file changes.
$(BUILD)/unit/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(RF_CFLAGS) -Itests/unit -MMD -MP -o $@ $< $(filter %.o,$^) $(RF_LIBS)

$(BUILD)/san/unit/%: tests/unit/%.c $(SAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) $(RF_CFLAGS) -Itests/unit -MMD -MP -o $@ $< $(filter %.o,$^) $(RF_LIBS)

# Test-only programs (tests/tools/*.c) over the library, plain and sanitized, for the CLI tests.
TOOL_SRC := $(wildcard tests/tools/*.c)
CHECK_DEPS += $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC)) \
	$(patsubst tests/tools/%.c,$(BUILD)/san/tools/%,$(TOOL_SRC))
$(BUILD)/tools/%: tests/tools/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(RF_CFLAGS) -o $@ $^ $(RF_LIBS)
$(BUILD)/san/tools/%: tests/tools/%.c $(SAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) $(RF_CFLAGS) -o $@ $^ $(RF_LIBS)

# deb: the Debian package (pkg/), from a build with PREFIX=/usr in $(BUILD)/deb, so the
# program looks for its init in /usr/lib/ramforge. Tested by the CLI tests (its contents) and
# the boot tests (apt installs it in a Debian root).
DEB := $(BUILD)/ramforge_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null || echo amd64).deb
deb:
	$(MAKE) --no-print-directory BUILD=$(BUILD)/deb PREFIX=/usr all
	sh pkg/mkdeb $(BUILD)/deb $(VERSION) $(DEB)
CHECK_DEPS += $(if $(call check_wants,cli)$(call check_wants,cli-san)$(call check_wants,boot),deb)

# Fuzzing: libFuzzer targets (tests/fuzz/fuzz_*.c) over the library built again by clang with
# their instrumentation (warnings kept, but not fatal: the library's -Werror is gcc's).
FUZZ_CC    ?= clang
FUZZ_SAN   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_FLAGS  = -O1 -g $(FUZZ_SAN) $(filter-out -Werror,$(RF_CFLAGS)) -Wno-format-nonliteral
FUZZ_SRC   := $(LIB_SRC) init/cmdline.c
FUZZ_OBJ   := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(FUZZ_SRC)) \
	$(patsubst %,$(BUILD)/fuzz/obj/gen/%.o,$(GEN))
FUZZ_BIN   := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TIME  ?= 300

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<

$(BUILD)/fuzz/librf.a: $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/fuzz/librf.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(RF_LIBS)

# fuzz: each target for FUZZ_TIME seconds (make check runs each for a few seconds).
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do BUILD=$(BUILD) FUZZ_TIME=$(FUZZ_TIME) sh tests/fuzz/run $$f || exit 1; done

# check: the runner's own tests, unit tests (plain and sanitized), CLI tests (plain and
# sanitized), fuzzers, boot tests (TESTS selects some; the fuzzers are built only when wanted).
# tests/run prints the one summary line `N passed, M failed`.
comma := ,
check_wants = $(if $(TESTS),$(filter $(1),$(subst $(comma), ,$(TESTS))),$(1))
check: all $(BUILD)/san/ramforge $(UNIT_BIN) $(UNIT_SAN) $(CHECK_DEPS) $(if $(call check_wants,fuzz),$(FUZZ_BIN))
	BUILD=$(BUILD) sh tests/run

bench: all
	BUILD=$(BUILD) bash bench/run

# demo installs its own packages first, so it does not depend on `all`.
demo:
	BUILD=$(BUILD) bash examples/demo.sh

install: all
	install -D -m 0755 $(BUILD)/ramforge $(DESTDIR)$(PREFIX)/sbin/ramforge
	install -D -m 0755 $(BUILD)/ramforge-init $(DESTDIR)$(PREFIX)/lib/ramforge/ramforge-init
	install -D -m 0644 doc/ramforge.8 $(DESTDIR)$(PREFIX)/share/man/man8/ramforge.8
	install -D -m 0755 hooks/postinst.d-ramforge $(DESTDIR)/etc/kernel/postinst.d/ramforge
	install -D -m 0755 hooks/postrm.d-ramforge $(DESTDIR)/etc/kernel/postrm.d/ramforge
	install -D -m 0755 hooks/50-ramforge.install $(DESTDIR)/usr/lib/kernel/install.d/50-ramforge.install
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/doc/ramforge/examples/systemd \
		examples/systemd/ramforge-regenerate.path examples/systemd/ramforge-regenerate.service

format:
	clang-format -i lib/*.[ch] common/*.[ch] builder/*.[ch] init/*.[ch] tests/unit/*.[ch]

clean:
	rm -rf $(BUILD)

.PHONY: all check fuzz bench demo install deb format clean FORCE
-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
