#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The kernel hooks: Debian's postinst.d/postrm.d and the kernel-install plugin build and remove
# images for a kernel version they are given, in a sysroot (RAMFORGE_SYSROOT) for the test.

load helpers

setup() {
	fake_sysroot
	mkdir -p "$S/boot"
	rfconf 'add_drivers="chain_a"'
	export RAMFORGE RAMFORGE_SYSROOT=$S
}

@test "postinst.d hook builds /boot/initrd.img-VERSION for the new kernel" {
	run "$RF_TOP/hooks/postinst.d-ramforge" "$K" "/boot/vmlinuz-$K"
	[ "$status" -eq 0 ] || fail "$output"
	[ -s "$S/boot/initrd.img-$K" ]
	"$RAMFORGE" ls --modules "$S/boot/initrd.img-$K" | grep -q ' chain_a '
}

@test "postinst.d hook replaces an existing image and keeps a backup" {
	"$RF_TOP/hooks/postinst.d-ramforge" "$K"
	old=$(sha256sum < "$S/boot/initrd.img-$K")
	rfconf 'add_drivers="chain_a dia_top"'
	"$RF_TOP/hooks/postinst.d-ramforge" "$K"
	ls "$S/boot" | grep -q "^initrd.img-$K.bak\."
	[ "$(sha256sum < "$S/boot"/initrd.img-"$K".bak.*)" = "$old" ]
	"$RAMFORGE" ls --modules "$S/boot/initrd.img-$K" | grep -q ' dia_top '
}

@test "the hooks do nothing where ramforge is not configured (another generator owns /boot)" {
	rm "$S/etc/ramforge.conf"
	run "$RF_TOP/hooks/postinst.d-ramforge" "$K"
	[ "$status" -eq 0 ]
	[ ! -e "$S/boot/initrd.img-$K" ]
}

@test "postrm.d hook removes the image and its backups" {
	"$RF_TOP/hooks/postinst.d-ramforge" "$K"
	"$RF_TOP/hooks/postinst.d-ramforge" "$K"
	"$RF_TOP/hooks/postrm.d-ramforge" "$K"
	[ -z "$(ls "$S/boot")" ]
}

@test "a failing build in the hook fails the hook and leaves the old image" {
	"$RF_TOP/hooks/postinst.d-ramforge" "$K"
	old=$(sha256sum < "$S/boot/initrd.img-$K")
	rfconf 'add_drivers="no_such_module"'
	run "$RF_TOP/hooks/postinst.d-ramforge" "$K"
	[ "$status" -ne 0 ]
	[[ $output == *no_such_module* ]]
	[ "$(sha256sum < "$S/boot/initrd.img-$K")" = "$old" ]
}

@test "kernel-install plugin writes the initrd into the staging area" {
	mkdir -p "$BATS_TEST_TMPDIR/stage"
	KERNEL_INSTALL_STAGING_AREA=$BATS_TEST_TMPDIR/stage \
		run "$RF_TOP/hooks/50-ramforge.install" add "$K" "$BATS_TEST_TMPDIR/entry" /dev/null
	[ "$status" -eq 0 ] || fail "$output"
	"$RAMFORGE" ls --modules "$BATS_TEST_TMPDIR/stage/initrd" | grep -q ' chain_a '
}

# The plugin with a fake ramforge that records its arguments, in a sysroot of its own: whether
# it builds, and where.
plugin() { # ARGS... (after "add KVER ENTRY_DIR KERNEL_IMAGE" when none are given)
	local fake=$BATS_TEST_TMPDIR/fake-ramforge
	printf '#!/bin/sh\necho "$@" >> "%s"\n' "$BATS_TEST_TMPDIR/built" > "$fake"
	chmod +x "$fake"
	mkdir -p "$BATS_TEST_TMPDIR/stage" "$BATS_TEST_TMPDIR/entry"
	rm -f "$BATS_TEST_TMPDIR/built"
	[ $# -gt 0 ] || set -- add "$K" "$BATS_TEST_TMPDIR/entry" /dev/null
	RAMFORGE=$fake KERNEL_INSTALL_STAGING_AREA=${STAGE-$BATS_TEST_TMPDIR/stage} \
		run "$RF_TOP/hooks/50-ramforge.install" "$@"
}

built() {
	[ -s "$BATS_TEST_TMPDIR/built" ]
}

@test "kernel-install plugin does nothing where ramforge is not configured" {
	rm "$S/etc/ramforge.conf"
	plugin
	[ "$status" -eq 0 ] || fail "$output"
	! built || fail "built without /etc/ramforge.conf: $(cat "$BATS_TEST_TMPDIR/built")"
	mkdir -p "$S/etc/ramforge.conf.d"
	plugin
	built || fail "a ramforge.conf.d directory is an opt-in too"
}

@test "kernel-install plugin: the installed ramforge package is the opt-in, as for the Debian hooks" {
	rm "$S/etc/ramforge.conf"
	mkdir -p "$S/var/lib/dpkg/info"
	printf '/.\n/usr\n/usr/sbin\n/usr/sbin/ramforge\n' > "$S/var/lib/dpkg/info/ramforge.list"
	plugin
	[ "$status" -eq 0 ] || fail "$output"
	built || fail "did not build although the package is installed"
}

@test "kernel-install plugin skips when install.conf names another initrd generator" {
	mkdir -p "$S/etc/kernel" "$S/usr/lib/kernel"
	printf '# chosen by the admin\ninitrd_generator=dracut\n' > "$S/etc/kernel/install.conf"
	plugin
	[ "$status" -eq 0 ] || fail "$output"
	! built || fail "built although initrd_generator=dracut"
	printf 'layout=bls\ninitrd_generator="ramforge"\n' > "$S/etc/kernel/install.conf"
	plugin
	built || fail "initrd_generator=ramforge must build"
	# /usr/lib/kernel/install.conf counts only without /etc/kernel/install.conf.
	rm "$S/etc/kernel/install.conf"
	echo 'initrd_generator=mkosi-initrd' > "$S/usr/lib/kernel/install.conf"
	plugin
	! built || fail "built although /usr/lib/kernel/install.conf names mkosi-initrd"
	# kernel-install passes its choice in the environment; that wins.
	KERNEL_INSTALL_INITRD_GENERATOR=ramforge plugin
	built || fail "KERNEL_INSTALL_INITRD_GENERATOR=ramforge must build"
	KERNEL_INSTALL_INITRD_GENERATOR=dracut plugin
	! built || fail "built although KERNEL_INSTALL_INITRD_GENERATOR=dracut"
}

@test "kernel-install plugin writes one initrd, into the staging area only" {
	plugin
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/built")" -eq 1 ] || fail "$(cat "$BATS_TEST_TMPDIR/built")"
	grep -q -- "-k $K $BATS_TEST_TMPDIR/stage/initrd\$" "$BATS_TEST_TMPDIR/built" ||
		fail "$(cat "$BATS_TEST_TMPDIR/built")"
	grep -q -- "--no-backup" "$BATS_TEST_TMPDIR/built" # a backup in the staging area would be an initrd too
	# Without a staging area (systemd before 251): the entry directory.
	STAGE= plugin
	grep -q -- " $BATS_TEST_TMPDIR/entry/initrd\$" "$BATS_TEST_TMPDIR/built" ||
		fail "$(cat "$BATS_TEST_TMPDIR/built")"
}

@test "kernel-install plugin leaves the entry to Debian's 85-initrd.install when it copies /boot/initrd.img-KVER" {
	mkdir -p "$S/usr/lib/kernel/install.d" "$S/boot" "$S/etc/kernel/install.d"
	: > "$S/usr/lib/kernel/install.d/85-initrd.install"
	plugin
	built || fail "no Debian image yet: the plugin must build"
	: > "$S/boot/initrd.img-$K"
	plugin
	[ "$status" -eq 0 ] || fail "$output"
	! built || fail "built a second initrd beside the one 85-initrd.install copies"
	ln -s /dev/null "$S/etc/kernel/install.d/85-initrd.install"
	plugin
	built || fail "85-initrd.install is masked: the plugin must build"
}

@test "kernel-install plugin leaves initrds given on the command line, and UKIs, alone" {
	plugin add "$K" "$BATS_TEST_TMPDIR/entry" /dev/null /boot/my-initrd.img
	[ "$status" -eq 0 ] || fail "$output"
	! built || fail "built although an initrd was given"
	KERNEL_INSTALL_IMAGE_TYPE=uki plugin
	! built || fail "built for a UKI"
	plugin remove "$K" "$BATS_TEST_TMPDIR/entry"
	[ "$status" -eq 0 ] && ! built
}
