#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Inputs from a sysroot that may be broken or hostile: FIFOs and endless files are errors
# naming the file (never a hang, never read as an empty file), and symlinks inside the sysroot
# resolve as if chrooted to it (never to the build host's files).

load helpers

setup() {
	fake_sysroot
}

# rf20 ARGS...: rf with a 20 s limit: a hang on a hostile input fails the test quickly.
rf20() {
	RF_TIMEOUT=20 rf "$@"
}

# own_tree: S's module tree becomes a private copy (the fixture's is shared by every test).
own_tree() {
	rm "$S/lib/modules/$K"
	cp -a "$RF_FAKE_ROOT/lib/modules/$K" "$S/lib/modules/$K"
}

# fifo_fails REL: a FIFO at S/REL makes `deps` fail, naming REL, without hanging.
fifo_fails() {
	mkdir -p "$(dirname "$S/$1")"
	rm -f "$S/$1"
	mkfifo "$S/$1"
	rf20 deps --sysroot "$S" --kver "$K" chain_a
	expect_error "$(re_escape "$1"): not a regular file"
}

@test "a FIFO as etc/ramforge.conf is an error naming it, not a hang" {
	fifo_fails etc/ramforge.conf
}

@test "a FIFO in etc/ramforge.conf.d is an error naming it" {
	fifo_fails etc/ramforge.conf.d/10-fifo.conf
}

@test "a FIFO in etc/modprobe.d is an error naming it" {
	fifo_fails etc/modprobe.d/fifo.conf
}

@test "a FIFO in lib/modprobe.d is an error naming it" {
	fifo_fails lib/modprobe.d/fifo.conf
}

@test "a FIFO in etc/modules-load.d is an error naming it" {
	fifo_fails etc/modules-load.d/fifo.conf
}

@test "a FIFO as the tree's modules.softdep (libkmod reads it) is an error naming it" {
	own_tree
	fifo_fails "lib/modules/$K/modules.softdep"
}

@test "the tree's modules.builtin as a FIFO is an error for build too" {
	own_tree
	rm "$S/lib/modules/$K/modules.builtin"
	mkfifo "$S/lib/modules/$K/modules.builtin"
	rf20 build --sysroot "$S" --kver "$K" --drivers chain_a "$BATS_TEST_TMPDIR/x.img"
	expect_error "modules\.builtin: not a regular file"
	[[ ! -e $BATS_TEST_TMPDIR/x.img ]]
}

@test "a tree index linked to /dev/zero is an error naming it" {
	own_tree
	ln -sfn /dev/zero "$S/lib/modules/$K/modules.softdep"
	rf20 deps --sysroot "$S" --kver "$K" chain_a
	expect_error "modules\.softdep: not a regular file"
}

@test "a FIFO as the argument of ls is an error naming it" {
	mkfifo "$BATS_TEST_TMPDIR/image.fifo"
	rf20 ls "$BATS_TEST_TMPDIR/image.fifo"
	expect_error "image\.fifo: not a regular file"
}

@test "a FIFO as the host's mountinfo (--hostonly) is an error naming it" {
	H=$BATS_TEST_TMPDIR/host
	"$RF_TOP/tests/fixtures/mkfakehost" nvme "$H"
	rm "$H/proc/self/mountinfo"
	mkfifo "$H/proc/self/mountinfo"
	rf20 deps --sysroot "$S" --kver "$K" --hostonly --host-root "$H"
	expect_error "hostonly: .*/proc/self/mountinfo: not a regular file"
}

@test "a modprobe.d file linked to /dev/zero is an error naming it, not gigabytes of memory" {
	[[ $(id -u) -eq 0 ]] || skip "needs root to make a device node inside the sysroot"
	mkdir -p "$S/dev"
	mknod "$S/dev/zero" c 1 5
	ln -s /dev/zero "$S/etc/modprobe.d/zero.conf"
	rf20 deps --sysroot "$S" --kver "$K" chain_a
	expect_error "etc/modprobe\.d/zero\.conf: not a regular file"
}

@test "a modprobe.d link to a device that is not inside the sysroot is skipped, like a dangling one" {
	ln -s /dev/zero "$S/etc/modprobe.d/zero.conf"
	rf20 deps --sysroot "$S" --kver "$K" chain_a
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	[[ $out == $'chain_c\nchain_b\nchain_a' ]] || fail "got: $out"
}

@test "a huge (sparse) modprobe.d file is refused by its size, under a memory limit too" {
	[[ $RAMFORGE != */san/* ]] || skip "ASan reserves more address space than the limit"
	truncate -s 3G "$S/etc/modprobe.d/huge.conf"
	status=0
	(ulimit -v 400000 && exec timeout 20 "$RAMFORGE" deps --sysroot "$S" --kver "$K" chain_a) \
		> "$BATS_TEST_TMPDIR/stdout" 2> "$BATS_TEST_TMPDIR/stderr" || status=$?
	out=$(cat "$BATS_TEST_TMPDIR/stdout")
	err=$(cat "$BATS_TEST_TMPDIR/stderr")
	expect_error "etc/modprobe\.d/huge\.conf: larger than 1048576 bytes"
}

@test "a huge modules-load.d file is refused by its size" {
	truncate -s 3G "$S/etc/modules-load.d/huge.conf"
	rf20 deps --sysroot "$S" --kver "$K" chain_a
	expect_error "etc/modules-load\.d/huge\.conf: larger than 1048576 bytes"
}

# host_and_sysroot_copies: an absolute path P (in the test's tmpdir) that exists on the host
# with deny rules for chain_a, and at S/P inside the sysroot with deny rules for dia_top.
host_and_sysroot_copies() {
	P=$BATS_TEST_TMPDIR/host-side/rules.conf
	mkdir -p "$(dirname "$P")" "$(dirname "$S$P")"
	printf '%s\n' "install chain_a /bin/false" "# HOST-MARKER" > "$P"
	printf '%s\n' "install dia_top /bin/false" "# SYSROOT-MARKER" > "$S$P"
}

@test "an absolute modprobe.d symlink resolves inside the sysroot: its rules apply, the host's do not" {
	host_and_sysroot_copies
	ln -s "$P" "$S/etc/modprobe.d/linked.conf"
	rf20 deps --sysroot "$S" --kver "$K" chain_a dia_top
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	has_line "$out" '^chain_a$'
	lacks_line "$out" '^dia_top$'
	has_line "$err" 'dia_top left out: etc/modprobe\.d/linked\.conf:1: install dia_top /bin/false'
	lacks_line "$err" 'chain_a'
}

@test "a relative modprobe.d symlink climbing out of the sysroot stays inside it" {
	host_and_sysroot_copies
	ln -s "../../../../../../../../../../../..$P" "$S/etc/modprobe.d/climb.conf"
	rf20 deps --sysroot "$S" --kver "$K" chain_a dia_top
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	has_line "$out" '^chain_a$'
	lacks_line "$out" '^dia_top$'
}

@test "a symlinked etc/modprobe.d directory resolves inside the sysroot" {
	host_and_sysroot_copies
	rm -r "$S/etc/modprobe.d"
	ln -s "$(dirname "$P")" "$S/etc/modprobe.d"
	rf20 deps --sysroot "$S" --kver "$K" chain_a dia_top
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	has_line "$out" '^chain_a$'
	lacks_line "$out" '^dia_top$'
}

@test "the image carries the sysroot's bytes of a linked modprobe.d file, not the host's" {
	host_and_sysroot_copies
	ln -s "$P" "$S/etc/modprobe.d/linked.conf"
	rf20 build --sysroot "$S" --kver "$K" --drivers chain_a "$BATS_TEST_TMPDIR/x.img"
	[[ $status -eq 0 ]] || fail "build failed: $err"
	mkdir "$BATS_TEST_TMPDIR/x"
	(cd "$BATS_TEST_TMPDIR/x" && zstd -dc "$BATS_TEST_TMPDIR/x.img" | cpio -idm --quiet 2> /dev/null)
	cmp "$BATS_TEST_TMPDIR/x/etc/modprobe.d/linked.conf" "$S$P"
	[[ ! -L $BATS_TEST_TMPDIR/x/etc/modprobe.d/linked.conf ]]
}

@test "an absolute etc/ramforge.conf symlink resolves inside the sysroot" {
	P=$BATS_TEST_TMPDIR/host-side/ramforge.conf
	mkdir -p "$(dirname "$P")" "$(dirname "$S$P")"
	echo 'add_drivers="chain_a"' > "$P"
	echo 'add_drivers="dia_top"' > "$S$P"
	ln -s "$P" "$S/etc/ramforge.conf"
	rf20 deps --sysroot "$S" --kver "$K" fake_mii
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	has_line "$out" '^dia_top$'
	lacks_line "$out" '^chain_a$'
}

@test "an absolute modules-load.d symlink resolves inside the sysroot" {
	P=$BATS_TEST_TMPDIR/host-side/load.conf
	mkdir -p "$(dirname "$P")" "$(dirname "$S$P")"
	echo chain_a > "$P"
	echo dia_top > "$S$P"
	ln -s "$P" "$S/etc/modules-load.d/linked.conf"
	rf20 deps --sysroot "$S" --kver "$K" fake_mii
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	has_line "$out" '^dia_top$'
	lacks_line "$out" '^chain_a$'
}

@test "a module file that is a symlink out of the module tree is refused, naming the module" {
	own_tree
	f=$(cd "$S/lib/modules/$K" && find . -name 'chain_c.ko*' | sed 's|^\./||')
	mkdir "$BATS_TEST_TMPDIR/outside"
	mv "$S/lib/modules/$K/$f" "$BATS_TEST_TMPDIR/outside/"
	ln -s "$BATS_TEST_TMPDIR/outside/${f##*/}" "$S/lib/modules/$K/$f"
	rf20 build --sysroot "$S" --kver "$K" --drivers chain_a "$BATS_TEST_TMPDIR/x.img"
	expect_error "chain_c.*$(re_escape "$f").*leads out of the module trees"
	[[ ! -e $BATS_TEST_TMPDIR/x.img ]]
}

@test "a weak-updates link to another kernel's tree (RHEL's kABI modules) is taken" {
	own_tree
	f=$(cd "$S/lib/modules/$K" && find . -name 'chain_c.ko*' | sed 's|^\./||')
	mkdir -p "$S/lib/modules/4.18.0-other/extra"
	mv "$S/lib/modules/$K/$f" "$S/lib/modules/4.18.0-other/extra/"
	ln -s "$(realpath --relative-to="$(dirname "$S/lib/modules/$K/$f")" "$S/lib/modules/4.18.0-other/extra/${f##*/}")" \
		"$S/lib/modules/$K/$f"
	[[ -e $S/lib/modules/$K/$f ]] || fail "the test's link is wrong"
	rf20 build --sysroot "$S" --kver "$K" --drivers chain_a "$BATS_TEST_TMPDIR/x.img"
	[[ $status -eq 0 ]] || fail "build failed: $err"
}

@test "a module file that is a symlink inside the module tree is taken" {
	own_tree
	f=$(cd "$S/lib/modules/$K" && find . -name 'chain_c.ko*' | sed 's|^\./||')
	mkdir -p "$S/lib/modules/$K/elsewhere"
	mv "$S/lib/modules/$K/$f" "$S/lib/modules/$K/elsewhere/"
	ln -s "$(realpath --relative-to="$(dirname "$S/lib/modules/$K/$f")" "$S/lib/modules/$K/elsewhere/${f##*/}")" \
		"$S/lib/modules/$K/$f"
	rf20 build --sysroot "$S" --kver "$K" --drivers chain_a "$BATS_TEST_TMPDIR/x.img"
	[[ $status -eq 0 ]] || fail "build failed: $err"
	mkdir "$BATS_TEST_TMPDIR/x"
	(cd "$BATS_TEST_TMPDIR/x" && zstd -dc "$BATS_TEST_TMPDIR/x.img" | cpio -idm --quiet 2> /dev/null)
	cmp "$BATS_TEST_TMPDIR/x/lib/modules/$K/$f" "$S/lib/modules/$K/elsewhere/${f##*/}"
}

@test "libkmod reads a private copy: its messages name the file's path, and the copy is removed" {
	mkdir -p "$S/lib/modprobe.d" "$BATS_TEST_TMPDIR/tmp"
	printf 'bogus line\n' > "$S/lib/modprobe.d/bad.conf"
	TMPDIR=$BATS_TEST_TMPDIR/tmp rf20 deps --sysroot "$S" --kver "$K" chain_a
	[[ $status -eq 0 ]] || fail "deps failed: $err"
	has_line "$err" 'lib/modprobe\.d/bad\.conf line 1: ignoring bad line'
	[[ -z $(ls -A "$BATS_TEST_TMPDIR/tmp") ]] || fail "left behind: $(ls -A "$BATS_TEST_TMPDIR/tmp")"
}
