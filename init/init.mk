# SPDX-License-Identifier: MIT
# ramforge-init: static (no shared libraries), -Os, with libblkid, libzstd, liblzma and zlib
# linked statically from the .a files of Debian's -dev packages.
# With musl-gcc (Debian's musl-tools) it is about 650 KB; glibc's static libc alone adds ~800 KB,
# so glibc is only the fallback (INIT_LIBC=glibc forces it).
INIT_PKGS   := blkid libzstd liblzma zlib
INIT_LIBC   ?= $(if $(shell command -v musl-gcc 2>/dev/null),musl,glibc)
INIT_WARN   := $(WARN)
INIT_SRC    := $(wildcard init/*.c) $(wildcard common/*.c)
INIT_HDR    := $(wildcard init/*.h common/*.h)
INIT_LIBDIR := $(shell pkg-config --variable=libdir blkid)

ifeq ($(INIT_LIBC),musl)
# musl's compiler must not see glibc's /usr/include: give it only the four libraries' headers
# and the kernel's (linux/netlink.h for the uevent socket).
INIT_CC     := musl-gcc
INIT_INC    := $(BUILD)/init-include
INIT_CFLAGS := -std=gnu11 $(INIT_WARN) -Os -ffunction-sections -fdata-sections -Iinit -Icommon \
	-I$(INIT_INC) -I$(INIT_INC)/blkid
INIT_SRC    += $(wildcard init/musl/*.c)
INIT_LIBS   := $(addprefix $(INIT_LIBDIR)/,libblkid.a libzstd.a liblzma.a libz.a)
INIT_DEPS   := $(INIT_INC)/.stamp
$(INIT_INC)/.stamp: init/init.mk
	@mkdir -p $(INIT_INC)
	for h in blkid zstd.h zstd_errors.h lzma.h lzma zlib.h zconf.h linux asm asm-generic; do \
		src=$$(ls -d /usr/include/$$h /usr/include/*/$$h 2>/dev/null | head -n1); \
		[ -n "$$src" ] || { echo "ramforge-init: missing header $$h" >&2; exit 1; }; \
		ln -sfn "$$src" $(INIT_INC)/$$h; \
	done
	touch $@
else
INIT_CC     := $(CC)
INIT_CFLAGS := -std=gnu11 $(INIT_WARN) -Os -ffunction-sections -fdata-sections -Iinit -Icommon \
	$(shell pkg-config --cflags $(INIT_PKGS))
INIT_LIBS   := $(shell pkg-config --static --libs $(INIT_PKGS)) -lpthread
INIT_DEPS   :=
endif

$(BUILD)/ramforge-init: $(INIT_SRC) $(INIT_HDR) $(wildcard init/musl/*.c) init/init.mk $(INIT_DEPS)
	@mkdir -p $(dir $@)
	$(INIT_CC) $(INIT_CFLAGS) -static -Wl,--gc-sections -o $@ $(INIT_SRC) $(INIT_LIBS)
	strip $@
	@echo "ramforge-init ($(INIT_LIBC)): $$(stat -c %s $@) bytes, static and stripped"
