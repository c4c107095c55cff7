#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Bundles (modules.d/: crypt, lvm, mdraid): which an image gets and why (`ramforge bundles`),
# their drivers as explicit requests (`deps --explain`), their programs, configuration, steps
# and crypttab key files in the image, and the errors for names and tools that are not there.
# The tools are static gcc-built programs at the sysroot's /sbin paths (a bundle is usable when
# its tools exist); the kernel tree is Debian's cloud kernel (it has dm_mod, dm_crypt, md).

load helpers

setup() {
	cloud_sysroot
	command -v gcc > /dev/null || skip "needs gcc"
}

# tool NAME...: a static program at S/sbin/NAME that prints its name and arguments.
tool() {
	local src=$BATS_TEST_TMPDIR/tool.c n
	[[ -f $BATS_TEST_TMPDIR/tool ]] || {
		printf '%s\n' '#include <stdio.h>' \
			'int main(int c, char **v) { for (int i = 0; i < c; i++) printf("%s ", v[i]); puts(""); return 0; }' > "$src"
		gcc -static -O1 -o "$BATS_TEST_TMPDIR/tool" "$src" || fail "gcc -static failed"
	}
	mkdir -p "$S/sbin"
	for n in "$@"; do cp "$BATS_TEST_TMPDIR/tool" "$S/sbin/$n"; done
}

image_plan() { # IMAGE: the plan's text
	mkdir -p "$BATS_TEST_TMPDIR/un"
	(cd "$BATS_TEST_TMPDIR/un" && zstd -dc "$1" | cpio -id --quiet) || fail "cannot unpack $1"
	cat "$BATS_TEST_TMPDIR/un/etc/ramforge/plan"
}

@test "bundles: without their tools, none is in, each says which tool is missing" {
	rf bundles --sysroot "$S" --kver "$K"
	[[ $status -eq 0 ]] || fail "status $status" "$err"
	[[ $out == *"crypt out /sbin/cryptsetup is not installed in $S"* ]] || fail "$out"
	[[ $out == *"lvm out /sbin/lvm is not installed in $S"* ]] || fail "$out"
	[[ $out == *"mdraid out /sbin/mdadm is not installed in $S"* ]] || fail "$out"
}

@test "bundles: a generic image takes each bundle whose tool is installed (dracut's way)" {
	tool lvm
	rf bundles --sysroot "$S" --kver "$K"
	[[ $status -eq 0 ]] || fail "$err"
	[[ $out == *"lvm in generic: /sbin/lvm is installed"* ]] || fail "$out"
	[[ $out == *"crypt out "* && $out == *"mdraid out "* ]] || fail "$out"
}

@test "bundles: --drivers takes only the bundles named; --add-bundles and add_bundles name them" {
	tool lvm cryptsetup mdadm
	rf bundles --sysroot "$S" --kver "$K" --drivers ext4
	[[ $out == *"lvm out not chosen"* && $out == *"crypt out not chosen"* ]] || fail "$out"
	rf bundles --sysroot "$S" --kver "$K" --drivers ext4 --add-bundles "lvm crypt"
	[[ $out == *"lvm in --add-bundles"* && $out == *"crypt in --add-bundles"* && $out == *"mdraid out"* ]] || fail "$out"
	rfconf 'add_bundles+=" mdraid "'
	rf bundles --sysroot "$S" --kver "$K" --drivers ext4
	[[ $out == *"mdraid in add_bundles etc/ramforge.conf:1"* ]] || fail "$out"
}

@test "bundles: --omit-bundles and omit_bundles keep a bundle out, even a named one" {
	tool lvm cryptsetup
	rf bundles --sysroot "$S" --kver "$K" --omit-bundles lvm
	[[ $out == *"lvm out omitted (--omit-bundles)"* && $out == *"crypt in generic"* ]] || fail "$out"
	rfconf 'omit_bundles="crypt"'
	rf bundles --sysroot "$S" --kver "$K" --add-bundles crypt
	[[ $out == *"crypt out omitted (omit_bundles etc/ramforge.conf:1)"* ]] || fail "$out"
}

@test "bundles: an unknown bundle is an error naming it and the known ones" {
	rf bundles --sysroot "$S" --kver "$K" --add-bundles lvm2
	[[ $status -eq 1 ]] || fail "status $status"
	[[ $err == "ramforge: error: unknown bundle 'lvm2' (--add-bundles); known: crypt, lvm, mdraid" ]] || fail "$err"
	rfconf 'omit_bundles="raid"'
	rf build --sysroot "$S" --kver "$K" "$BATS_TEST_TMPDIR/x.img"
	[[ $status -eq 1 && $err == *"unknown bundle 'raid' (omit_bundles etc/ramforge.conf:1)"* ]] || fail "$status $err"
	[[ ! -e $BATS_TEST_TMPDIR/x.img ]] || fail "an image was written"
}

@test "bundles: a named bundle whose tool is missing is an error; no image is written, the old one stays" {
	echo old > "$BATS_TEST_TMPDIR/x.img"
	rf build -f --sysroot "$S" --kver "$K" --drivers ext4 --add-bundles crypt "$BATS_TEST_TMPDIR/x.img"
	[[ $status -eq 1 ]] || fail "status $status"
	[[ $err == "ramforge: error: bundle crypt (--add-bundles) cannot be used: /sbin/cryptsetup is not installed in $S" ]] || fail "$err"
	[[ $(cat "$BATS_TEST_TMPDIR/x.img") == old ]] || fail "the old image changed"
}

@test "bundles: their drivers are explicit requests whose reason names the bundle and its manifest line" {
	tool lvm cryptsetup
	rf deps --sysroot "$S" --kver "$K" --explain --drivers ext4 --add-bundles lvm
	[[ $status -eq 0 ]] || fail "$err"
	grep -Eq '^dm_mod [^ ]+ bundle lvm \(modules.d/90-lvm/bundle.conf:[0-9]+\) signer=.*$' <<< "$out" || fail "$out"
	rf deps --sysroot "$S" --kver "$K" --explain --drivers ext4 --add-bundles crypt
	grep -Eq '^dm_crypt [^ ]+ .*bundle crypt \(modules.d/90-crypt/bundle.conf:[0-9]+\)' <<< "$out" || fail "$out"
}

@test "bundles: the image holds the programs, the configuration that exists, and the steps in the plan" {
	tool lvm
	mkdir -p "$S/etc/lvm"
	echo 'devices { }' > "$S/etc/lvm/lvm.conf"
	rf build --sysroot "$S" --kver "$K" --drivers ext4 --add-bundles lvm "$BATS_TEST_TMPDIR/x.img"
	[[ $status -eq 0 ]] || fail "$err"
	rf ls "$BATS_TEST_TMPDIR/x.img"
	[[ $out == *" sbin/lvm"* && $out == *" etc/lvm/lvm.conf"* ]] || fail "$out"
	[[ $out != *"lvmlocal.conf"* ]] || fail "an optional file that does not exist got in: $out"
	plan=$(image_plan "$BATS_TEST_TMPDIR/x.img")
	grep -qx 'step lvm device=LVM2_member off=rd.lvm=0,off=rd.lvm=no /sbin/lvm vgchange -ay --sysinit %{rd.lvm.vg}' <<< "$plan" ||
		fail "no vgchange step:" "$plan"
	grep -q '^mod dm_mod .* early ' <<< "$plan" || fail "dm_mod is not loaded early:" "$plan"
}

@test "bundles: a crypttab entry marked initramfs opens its volume with its key file, which is copied" {
	tool cryptsetup
	mkdir -p "$S/etc/keys"
	head -c 64 /dev/urandom > "$S/etc/keys/root.key"
	chmod 0400 "$S/etc/keys/root.key"
	printf '%s\n' '# the root' 'root_crypt UUID=0b4f9c1e-5a7d-4e2b-8c3f-6d1e2f3a4b5c /etc/keys/root.key luks,discard,initramfs' \
		'data UUID=11111111-2222-3333-4444-555555555555 none luks' > "$S/etc/crypttab"
	rf build --sysroot "$S" --kver "$K" --drivers ext4 --add-bundles crypt "$BATS_TEST_TMPDIR/x.img"
	[[ $status -eq 0 ]] || fail "$err"
	[[ $(stat -c %a "$BATS_TEST_TMPDIR/x.img") == 600 ]] || fail "the image holding a key is not 0600"
	plan=$(image_plan "$BATS_TEST_TMPDIR/x.img")
	grep -qx 'step crypt device=crypto_LUKS off=rd.luks=0,off=rd.luks=no,uuid=0b4f9c1e-5a7d-4e2b-8c3f-6d1e2f3a4b5c /sbin/cryptsetup open --type luks --allow-discards --key-file /etc/keys/root.key %{DEVICE} root_crypt' <<< "$plan" ||
		fail "no crypttab step:" "$plan"
	! grep -q 'uuid=11111111' <<< "$plan" || fail "an entry not marked initramfs got a step"
	cmp "$S/etc/keys/root.key" "$BATS_TEST_TMPDIR/un/etc/keys/root.key" || fail "the key file is not in the image"
}

@test "bundles: a crypttab entry the init cannot find (not by UUID) is an error naming its line" {
	tool cryptsetup
	printf '%s\n' 'root_crypt /dev/sda2 none luks,initramfs' > "$S/etc/crypttab"
	rf build --sysroot "$S" --kver "$K" --drivers ext4 --add-bundles crypt "$BATS_TEST_TMPDIR/x.img"
	[[ $status -eq 1 ]] || fail "status $status"
	[[ $err == "ramforge: error: etc/crypttab:1: volume root_crypt: the init finds volumes by UUID; write its source as UUID=..." ]] || fail "$err"
}

@test "bundles: a program whose library is missing is an error naming both; nothing is written" {
	# the host's loader and libc, so that only the program's own library is missing
	mkdir -p "$S/sbin" "$S/lib64" "$S/lib/x86_64-linux-gnu"
	cp -L /lib64/ld-linux-x86-64.so.2 "$S/lib64/"
	cp -L /lib/x86_64-linux-gnu/libc.so.6 "$S/lib/x86_64-linux-gnu/"
	printf 'int f(void); int main(void) { return f(); }\n' > "$BATS_TEST_TMPDIR/m.c"
	printf 'int f(void) { return 0; }\n' > "$BATS_TEST_TMPDIR/f.c"
	gcc -shared -fPIC -Wl,-soname,librfmissing.so.1 -o "$BATS_TEST_TMPDIR/librfmissing.so.1" "$BATS_TEST_TMPDIR/f.c"
	gcc -o "$S/sbin/mdadm" "$BATS_TEST_TMPDIR/m.c" -L"$BATS_TEST_TMPDIR" -l:librfmissing.so.1
	rf build --sysroot "$S" --kver "$K" --drivers ext4 --add-bundles mdraid "$BATS_TEST_TMPDIR/x.img"
	[[ $status -eq 1 ]] || fail "status $status" "$err"
	[[ $err == *"/sbin/mdadm"*"librfmissing.so.1"*"not found"* ]] || fail "$err"
	[[ ! -e $BATS_TEST_TMPDIR/x.img ]] || fail "an image was written"
}
