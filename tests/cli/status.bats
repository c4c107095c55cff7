#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The input record and `ramforge status`: up to date after a build, still after a new mtime,
# stale naming exactly the input that changed (a config byte, an added or removed modprobe.d
# file, a module's bytes, the module tree, the options), unknown for images without a record;
# `build --if-stale` builds only when stale; `build --regenerate-all` over three kernels.

load helpers

setup() {
	need_fixture RF_FAKE_ROOT RF_FAKE_KVER
	S=$BATS_TEST_TMPDIR/sysroot
	K=$RF_FAKE_KVER
	mkdir -p "$S/etc/modprobe.d" "$S/etc/modules-load.d" "$S/lib/modules" "$S/boot"
	cp -a "$RF_FAKE_ROOT/lib/modules/$K" "$S/lib/modules/$K" # a copy: tests change its bytes
	modconf blacklist.conf "blacklist dia_top"
	rfconf 'compress="gzip"'
	IMG=$BATS_TEST_TMPDIR/img
}

build() { rf build -q -f --sysroot "$S" -k "$K" -a chain_a "$@" "$IMG"; }
status() { rf status --sysroot "$S" -k "$K" -a chain_a "$@" "$IMG"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

built() {
	build "$@"
	[[ $status -eq 0 ]] || fail "build failed: $err"
}

@test "status: up to date right after a build; the record is in the image" {
	built
	status
	[[ $status -eq 0 ]] || fail "status $status: $out $err"
	[[ $out == "up to date" ]] || fail "$out"
	rf ls "$IMG"
	[[ $out == *"etc/ramforge/inputs"* ]] || fail "no record listed: $out"
}

@test "status: a new mtime alone is still up to date" {
	built
	touch -d '2030-01-01' "$S/etc/modprobe.d/blacklist.conf" "$S/etc/ramforge.conf" \
		"$S/lib/modules/$K/kernel/drivers/fake/chain_a.ko"
	status
	[[ $status -eq 0 && $out == "up to date" ]] || fail "status $status: $out $err"
}

@test "status: one changed byte of blacklist.conf is stale, naming that file only" {
	built
	modconf blacklist.conf "blacklist dia_toq"
	status
	[[ $status -eq 1 ]] || fail "status $status: $out $err"
	[[ $out == "changed: etc/modprobe.d/blacklist.conf" ]] || fail "$out"
}

@test "status: an added and a removed modprobe.d file" {
	built
	modconf nouveau.conf "blacklist nouveau"
	status
	[[ $status -eq 1 && $out == "added: etc/modprobe.d/nouveau.conf" ]] || fail "$status: $out"
	rm "$S/etc/modprobe.d/nouveau.conf" "$S/etc/modprobe.d/blacklist.conf"
	status
	[[ $status -eq 1 && $out == "removed: etc/modprobe.d/blacklist.conf" ]] || fail "$status: $out"
}

@test "status: a config that appears where there was none (ramforge.conf.d, crypttab absent)" {
	built
	mkdir -p "$S/etc/ramforge.conf.d"
	echo 'add_drivers+=" dia_top "' > "$S/etc/ramforge.conf.d/10-dia.conf"
	status
	[[ $status -eq 1 && $out == "added: etc/ramforge.conf.d/10-dia.conf" ]] || fail "$status: $out"
	echo 'compress="xz"' > "$S/etc/ramforge.conf.d/10-dia.conf"
	built
	status
	[[ $status -eq 0 ]] || fail "$status: $out"
	rm "$S/etc/ramforge.conf.d/10-dia.conf"
	status # the config's compression is gzip again: the xz image is stale for both reasons
	[[ $status -eq 1 && $out == "options changed: compress: xz -> gzip"$'\n'"removed: etc/ramforge.conf.d/10-dia.conf" ]] ||
		fail "$status: $out"
}

@test "status: a module's new bytes, and a new module tree" {
	built
	local m=$S/lib/modules/$K/kernel/drivers/fake/chain_a.ko
	printf 'x' >> "$m"
	status
	[[ $status -eq 1 && $out == "changed: lib/modules/$K/kernel/drivers/fake/chain_a.ko" ]] ||
		fail "$status: $out"
	built
	printf 'x' >> "$S/lib/modules/$K/modules.dep.bin"
	status
	[[ $status -eq 1 && $out == "module tree changed" ]] || fail "$status: $out"
}

@test "status: a different -a on the command line is stale" {
	built
	status -a dia_top
	[[ $status -eq 1 ]] || fail "status $status: $out"
	[[ $out == "options changed: add-drivers: chain_a -> chain_a dia_top" ]] || fail "$out"
	status --compress xz
	[[ $status -eq 1 && $out == "options changed: compress: gzip -> xz" ]] || fail "$out"
	status --compress gzip
	[[ $status -eq 0 ]] || fail "$out"
}

@test "status: the default image is build's, and IMAGE without -k takes the record's kernel" {
	rf build -q --sysroot "$S" -k "$K" -a chain_a
	[[ $status -eq 0 && -f $S/boot/initramfs-$K.img ]] || fail "$status $err"
	rf status --sysroot "$S" -k "$K" -a chain_a
	[[ $status -eq 0 && $out == "up to date" ]] || fail "$status: $out $err"
	rf status --sysroot "$S" -a chain_a "$S/boot/initramfs-$K.img"
	[[ $status -eq 0 && $out == "up to date" ]] || fail "$status: $out $err"
}

@test "status: images of another generator or an older ramforge are unknown, exit 2" {
	mkdir -p "$BATS_TEST_TMPDIR/other/lib/modules/$K"
	echo x > "$BATS_TEST_TMPDIR/other/init"
	(cd "$BATS_TEST_TMPDIR/other" && find . | cpio -o -H newc --quiet | gzip) > "$IMG"
	status
	[[ $status -eq 2 ]] || fail "status $status: $out"
	[[ $out == "unknown: $IMG: no input record (etc/ramforge/inputs): the image was not built by this ramforge, or by an older one" ]] ||
		fail "$out"
	built
	"$RAMFORGE" ls --unpack "$BATS_TEST_TMPDIR/u" "$IMG"
	printf 'ramforge-inputs 9\n' > "$BATS_TEST_TMPDIR/u/etc/ramforge/inputs"
	(cd "$BATS_TEST_TMPDIR/u" && find . | cpio -o -H newc --quiet | gzip) > "$IMG"
	status
	[[ $status -eq 2 && $err == *"etc/ramforge/inputs: line 1: not 'ramforge-inputs 1'"* ]] ||
		fail "status $status: $out $err"
}

@test "build --if-stale: nothing when up to date (same bytes, no backup), a build when stale" {
	built
	local before
	before=$(sha "$IMG")
	rf build -v -f --if-stale --sysroot "$S" -k "$K" -a chain_a "$IMG"
	[[ $status -eq 0 ]] || fail "$status: $err"
	[[ $err == *"$IMG: up to date"* ]] || fail "$err"
	[[ $(sha "$IMG") == "$before" ]] || fail "image rewritten"
	[[ -z $(ls "$BATS_TEST_TMPDIR" | grep 'img.bak') ]] || fail "a backup was made"
	modconf blacklist.conf "blacklist chain_c"
	rf build -v -f --if-stale --sysroot "$S" -k "$K" -a chain_a "$IMG"
	[[ $status -eq 0 && $err == *"stale (changed: etc/modprobe.d/blacklist.conf)"* ]] || fail "$err"
	[[ $(sha "$IMG") != "$before" ]] || fail "not rebuilt"
	status
	[[ $status -eq 0 && $out == "up to date" ]] || fail "$status: $out"
	rm "$IMG"
	rf build -q --if-stale --sysroot "$S" -k "$K" -a chain_a "$IMG"
	[[ $status -eq 0 && -f $IMG ]] || fail "a missing image was not built: $err"
}

# three kernels: two copies of the tree and one broken; a tree without a kernel is skipped
three_kernels() {
	local k
	for k in 6.1.0-1 6.1.0-2 6.1.0-3; do
		cp -a "$RF_FAKE_ROOT/lib/modules/$K" "$S/lib/modules/$k"
		: > "$S/boot/vmlinuz-$k"
	done
	printf 'garbage' > "$S/lib/modules/6.1.0-2/modules.dep.bin"
	printf 'garbage' > "$S/lib/modules/6.1.0-2/modules.alias.bin"
	rm -rf "$S/lib/modules/$K"
	cp -a "$RF_FAKE_ROOT/lib/modules/$K" "$S/lib/modules/9.9-nokernel"
	touch "$S/etc/debian_version"
}

@test "build --regenerate-all: every kernel, one failing: the others written, one line each" {
	three_kernels
	rf build --regenerate-all --parallel 3 -f --sysroot "$S" -a chain_a
	[[ $status -eq 1 ]] || fail "status $status: $out $err"
	local lines
	mapfile -t lines <<< "$out"
	[[ ${#lines[@]} -eq 3 ]] || fail "not three lines: $out"
	[[ ${lines[0]} == "6.1.0-1: wrote $S/boot/initrd.img-6.1.0-1" ]] || fail "${lines[0]}"
	[[ ${lines[1]} == "6.1.0-2: error: "* ]] || fail "${lines[1]}"
	[[ ${lines[2]} == "6.1.0-3: wrote $S/boot/initrd.img-6.1.0-3" ]] || fail "${lines[2]}"
	[[ -f $S/boot/initrd.img-6.1.0-1 && -f $S/boot/initrd.img-6.1.0-3 ]] || fail "images missing"
	[[ ! -e $S/boot/initrd.img-6.1.0-2 && ! -e $S/boot/initrd.img-9.9-nokernel ]] || fail "extra image"
	local one three
	one=$(sha "$S/boot/initrd.img-6.1.0-3")
	rf build --regenerate-all --parallel 1 -f --no-backup --sysroot "$S" -a chain_a
	[[ $status -eq 1 ]] || fail "$status"
	three=$(sha "$S/boot/initrd.img-6.1.0-3")
	[[ $one == "$three" ]] || fail "--parallel 1 and 3 differ"
	rf build --regenerate-all --if-stale -f --sysroot "$S" -a chain_a
	[[ $out == *"6.1.0-1: up to date"*"6.1.0-3: up to date"* ]] || fail "$out"
}

@test "build --regenerate-all: usage errors" {
	rf build --regenerate-all -k "$K" --sysroot "$S"
	[[ $status -eq 1 && $err == *"no -k, --kmoddir or IMAGE"* ]] || fail "$status: $err"
	rf build --parallel 2 --sysroot "$S"
	[[ $status -eq 2 && $err == *"--parallel goes with --regenerate-all"* ]] || fail "$status: $err"
	rf build --regenerate-all --parallel 0 --sysroot "$S"
	[[ $status -ne 0 && $err == *"--parallel '0' is not a number from 1 to 64"* ]] || fail "$err"
}

@test "status: the signing key and certificates are inputs, the key by its digest only" {
	[[ -n ${RF_SIGN_KEY:-} && -n ${RF_SIGN_CERT2:-} ]] || skip "no signing key fixture (RF_SIGN_KEY)"
	cp "$RF_SIGN_KEY" "$BATS_TEST_TMPDIR/k.priv"
	cp "$RF_SIGN_CERT" "$BATS_TEST_TMPDIR/c.x509"
	local sig=(--sign-key "$BATS_TEST_TMPDIR/k.priv" --sign-cert "$BATS_TEST_TMPDIR/c.x509"
		--trusted-cert "$BATS_TEST_TMPDIR/c.x509")
	built "${sig[@]}"
	status "${sig[@]}"
	[[ $status -eq 0 ]] || fail "$status: $out $err"
	"$RAMFORGE" ls -f etc/ramforge/inputs "$IMG" > "$BATS_TEST_TMPDIR/rec"
	grep -q "^file [0-9a-f]\{64\} $BATS_TEST_TMPDIR/k.priv$" "$BATS_TEST_TMPDIR/rec" || fail "no key line"
	! grep -q "PRIVATE" "$BATS_TEST_TMPDIR/rec" || fail "key bytes in the record"
	cp "$RF_SIGN_CERT2" "$BATS_TEST_TMPDIR/c.x509"
	status "${sig[@]}"
	[[ $status -eq 1 && $out == "changed: $BATS_TEST_TMPDIR/c.x509" ]] || fail "$status: $out"
	status
	[[ $status -eq 1 && $out == *"options changed: sign-key: $BATS_TEST_TMPDIR/k.priv -> (none)"* ]] ||
		fail "$status: $out"
}

@test "status: firmware the image holds, and one placed before it in the kernel's search order" {
	need_fixture RF_FULL_ROOT RF_FULL_KVER
	local fk=$RF_FULL_KVER f
	mkdir -p "$S/lib/modules" "$S/lib/firmware"
	ln -sfn "$RF_FULL_ROOT/lib/modules/$fk" "$S/lib/modules/$fk"
	cp "$RF_FULL_ROOT/boot/config-$fk" "$S/boot/"
	f=$(modinfo -b "$S" -k "$fk" -F firmware e100 | head -n 1)
	[[ -n $f ]] || fail "e100 names no firmware"
	mkdir -p "$(dirname "$S/lib/firmware/$f")"
	echo one > "$S/lib/firmware/$f"
	rf build -q -f --sysroot "$S" -k "$fk" --drivers e100 "$IMG"
	[[ $status -eq 0 ]] || fail "$err"
	rf status --sysroot "$S" -k "$fk" --drivers e100 "$IMG"
	[[ $status -eq 0 ]] || fail "$status: $out"
	echo two > "$S/lib/firmware/$f"
	rf status --sysroot "$S" -k "$fk" --drivers e100 "$IMG"
	[[ $status -eq 1 && $out == "changed: lib/firmware/$f" ]] || fail "$status: $out"
	echo one > "$S/lib/firmware/$f"
	mkdir -p "$(dirname "$S/lib/firmware/updates/$fk/$f")"
	echo new > "$S/lib/firmware/updates/$fk/$f"
	rf status --sysroot "$S" -k "$fk" --drivers e100 "$IMG"
	[[ $status -eq 1 && $out == "added: lib/firmware/updates/$fk/$f" ]] || fail "$status: $out"
}

@test "status: the CPU microcode of the early segment, found past it; a changed and an added file" {
	local u=$S/lib/firmware/intel-ucode
	mkdir -p "$u"
	head -c 2048 /dev/urandom > "$u/06-55-04"
	built
	[[ $(head -c 6 "$IMG") == 070701 ]] || fail "no early segment"
	status
	[[ $status -eq 0 && $out == "up to date" ]] || fail "$status: $out $err"
	head -c 2048 /dev/urandom > "$u/06-55-04"
	head -c 1024 /dev/urandom > "$u/06-9e-0a"
	status
	[[ $status -eq 1 ]] || fail "$status: $out"
	[[ $out == "changed: lib/firmware/intel-ucode/06-55-04"$'\n'"added: lib/firmware/intel-ucode/06-9e-0a" ]] ||
		fail "$out"
	status --no-early-microcode
	[[ $out == *"options changed: early-microcode: (none) -> no"* ]] || fail "$out"
}

@test "status: a relative --sysroot records the same paths" {
	built
	cd "$(dirname "$S")"
	rf status --sysroot "$(basename "$S")" -k "$K" -a chain_a "$IMG"
	[[ $status -eq 0 && $out == "up to date" ]] || fail "$status: $out $err"
	rf build -q -f --sysroot "$(basename "$S")" -k "$K" -a chain_a "$IMG"
	"$RAMFORGE" ls -f etc/ramforge/inputs "$IMG" > "$BATS_TEST_TMPDIR/rec"
	grep -q " lib/modules/$K/kernel/drivers/fake/chain_a.ko$" "$BATS_TEST_TMPDIR/rec" || fail "module path"
	! grep -q " $(basename "$S")/" "$BATS_TEST_TMPDIR/rec" || fail "a path with the sysroot's name in it"
	modconf blacklist.conf "blacklist chain_c"
	rf status --sysroot "$(basename "$S")" -k "$K" -a chain_a "$IMG"
	[[ $status -eq 1 && $out == "changed: etc/modprobe.d/blacklist.conf" ]] || fail "$status: $out"
}
