#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# What `ramforge build` puts in an image (DESIGN.md "Image layout"), checked with cpio and
# zstd; reproducibility; the plan's options; compression variants the kernel accepts.

load helpers

setup() {
	fake_sysroot
	mkdir -p "$S/usr/lib/modprobe.d" "$S/boot"
	modconf 10-opts.conf "options opt_mod answer=42" "blacklist bl_plain"
	printf 'options opt_mod verbose=1\n' > "$S/usr/lib/modprobe.d/20-vendor.conf"
	IMG=$BATS_TEST_TMPDIR/test.img
}

build() { # ARGS... (after the selection)
	rf build --sysroot "$S" -k "$K" --drivers "chain_a opt_mod fakefs" "$@"
	[[ $status -eq 0 ]] || fail "build failed: $err"
}

unpack() { # IMAGE DIR
	mkdir -p "$2"
	(cd "$2" && zstd -dc "$1" | cpio -idm --quiet 2>/dev/null) || fail "cannot unpack $1"
}

@test "the image holds init, the modules at their tree paths, modprobe.d, the plan, dirs and nodes" {
	build "$IMG"
	unpack "$IMG" "$BATS_TEST_TMPDIR/x"
	x=$BATS_TEST_TMPDIR/x
	[ -x "$x/init" ]
	cmp "$x/init" "$RAMFORGE_INIT"
	for d in dev proc sys run sysroot; do [ -d "$x/$d" ]; done
	listing=$(zstd -dc "$IMG" | cpio -itv --quiet 2>/dev/null)
	has_line "$listing" '^crw------- .* 5, +1 .* dev/console$'
	has_line "$listing" '^crw-rw-rw- .* 1, +3 .* dev/null$'
	for m in $("$RAMFORGE" deps --sysroot "$S" -k "$K" --explain chain_a opt_mod fakefs | awk '$2 != "(builtin)" { print $2 }'); do
		cmp "$x/lib/modules/$K/$m" "$S/lib/modules/$K/$m" || fail "module $m differs or is missing"
	done
	cmp "$x/etc/modprobe.d/10-opts.conf" "$S/etc/modprobe.d/10-opts.conf"
	cmp "$x/usr/lib/modprobe.d/20-vendor.conf" "$S/usr/lib/modprobe.d/20-vendor.conf"
	[ -s "$x/lib/modules/$K/modules.dep" ] && [ -s "$x/lib/modules/$K/modules.dep.bin" ]
}

@test "module options come from the sysroot's modprobe.d, in file order, into the plan" {
	build "$IMG"
	unpack "$IMG" "$BATS_TEST_TMPDIR/x"
	has_line "$(cat "$BATS_TEST_TMPDIR"/x/etc/ramforge/plan)" '^mod opt_mod .* answer=42 verbose=1$'
}

@test "the image file is mode 0600 and every entry is owned by root" {
	build "$IMG"
	[ "$(stat -c %a "$IMG")" = 600 ]
	owners=$(zstd -dc "$IMG" | cpio -itv --quiet 2>/dev/null | awk '{ print $3, $4 }' | sort -u)
	[ "$owners" = "root root" ] || fail "owners: $owners"
}

@test "two builds of the same inputs are byte-identical; SOURCE_DATE_EPOCH sets every mtime" {
	build "$IMG"
	build "$BATS_TEST_TMPDIR/again.img"
	[ "$(sha256sum < "$IMG")" = "$(sha256sum < "$BATS_TEST_TMPDIR/again.img")" ]
	SOURCE_DATE_EPOCH=1700000000 build "$BATS_TEST_TMPDIR/epoch.img"
	[ "$(sha256sum < "$IMG")" != "$(sha256sum < "$BATS_TEST_TMPDIR/epoch.img")" ]
	listing=$(zstd -dc "$BATS_TEST_TMPDIR/epoch.img" | cpio -itv --quiet 2>/dev/null)
	[ -n "$listing" ]
	other=$(printf '%s\n' "$listing" | grep -vE ' Nov 14 +2023 ' || true)
	[ -z "$other" ] || fail "entries with another mtime than 2023-11-14:" "$other"
}

@test "SOURCE_DATE_EPOCH that is not a number is an error" {
	SOURCE_DATE_EPOCH=yesterday rf build --sysroot "$S" -k "$K" --drivers chain_a "$IMG"
	expect_error 'SOURCE_DATE_EPOCH'
	[ ! -e "$IMG" ]
}

@test "each compression is unpacked by its own tool to the same archive" {
	build --compress none "$BATS_TEST_TMPDIR/none.img"
	for c in zstd:"zstd -dc" gzip:"gzip -dc" xz:"xz -dc" lz4:"lz4 -dc"; do
		name=${c%%:*} tool=${c#*:}
		build -f --compress "$name" "$BATS_TEST_TMPDIR/$name.img"
		$tool < "$BATS_TEST_TMPDIR/$name.img" | cmp - "$BATS_TEST_TMPDIR/none.img" || fail "$name differs"
	done
	# the variants the kernel's unpacker needs: xz with CRC32, lz4's legacy frame
	xz --robot --list "$BATS_TEST_TMPDIR/xz.img" | grep -q 'CRC32'
	[ "$(head -c4 "$BATS_TEST_TMPDIR/lz4.img" | od -An -tx1 | tr -d ' ')" = 02214c18 ]
}

@test "compress= and compress_level= in ramforge.conf choose the compression" {
	rfconf 'compress="gzip"' 'compress_level="1"'
	build "$IMG"
	[ "$(head -c2 "$IMG" | od -An -tx1 | tr -d ' ')" = 1f8b ]
}

@test "an unknown compression is an error and writes nothing" {
	rf build --sysroot "$S" -k "$K" --drivers chain_a --compress brotli "$IMG"
	expect_error 'brotli'
	[ ! -e "$IMG" ]
}

@test "a denied module is neither in the image nor in its indexes" {
	modconf 20-deny.conf "install deny_dep /bin/false"
	rf build --sysroot "$S" -k "$K" --drivers "chain_a deny_top" "$IMG"
	[ "$status" -eq 0 ]
	unpack "$IMG" "$BATS_TEST_TMPDIR/x"
	! grep -q 'deny_' "$BATS_TEST_TMPDIR/x/lib/modules/$K/modules.dep" ||
		fail "modules.dep names a denied module:" "$(cat "$BATS_TEST_TMPDIR/x/lib/modules/$K/modules.dep")"
	[ -z "$(find "$BATS_TEST_TMPDIR/x" -name 'deny*')" ]
	[[ $err == *"deny_dep left out: etc/modprobe.d/20-deny.conf:1: install deny_dep /bin/false"* ]]
}

@test "dracut's lsinitrd lists ramforge's images and prints one file of them (-f)" {
	local lsinitrd base
	read -r lsinitrd base < <("$RF_TOP/tests/fixtures/fetch-lsinitrd") ||
		fail "cannot fetch dracut's lsinitrd"
	for c in zstd gzip xz; do
		build -f --compress "$c" "$IMG"
		listing=$(dracutbasedir=$base bash "$lsinitrd" "$IMG" 2>&1)
		has_line "$listing" " init$"
		has_line "$listing" " lib/modules/$K/modules.dep$"
		plan=$(dracutbasedir=$base bash "$lsinitrd" -f etc/ramforge/plan "$IMG" 2>&1)
		has_line "$plan" "^ramforge-plan 2$"
		has_line "$plan" "^kver $K$"
	done
}
