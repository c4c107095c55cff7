#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# `ramforge ls -f FILE IMAGE` (one file to stdout, as lsinitrd -f) and `ramforge ls --unpack
# DIR IMAGE` (a safe extraction): ramforge's and hand-made images, and hostile ones (names with
# "..", absolute names, a symlink leading out of DIR and a name through it, mutated images):
# nothing is ever written outside DIR.

load helpers

# newc NAME MODE [DATA] [MAJOR MINOR]: one newc entry (header, name, padding, data, padding)
# on stdout; DATA of a symlink is its target.
newc() {
	local name=$1 mode=$2 data=${3:-} len size pad
	len=$((${#name} + 1))
	size=${#data}
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		1 "$mode" 0 0 1 0 "$size" 0 0 "${4:-0}" "${5:-0}" "$len" 0
	printf '%s\0' "$name"
	pad=$(((4 - (110 + len) % 4) % 4))
	head -c "$pad" /dev/zero
	printf '%s' "$data"
	head -c $(((4 - size % 4) % 4)) /dev/zero
}

trailer() {
	newc TRAILER!!! 0
}

setup_file() {
	local t=$BATS_FILE_TMPDIR r=$BATS_FILE_TMPDIR/root
	mkdir -p "$r/usr/bin" "$r/etc/modprobe.d" "$r/ro" "$r/lib/modules/6.1.0-1/kernel"
	head -c 300000 /dev/urandom > "$r/usr/bin/big"
	printf '#!/bin/sh\necho hi\n' > "$r/usr/bin/sh"
	chmod 0755 "$r/usr/bin/sh"
	chmod 0640 "$r/usr/bin/big"
	ln -s usr/bin "$r/bin"
	ln -s /usr/bin/sh "$r/etc/shell"
	ln -s ../usr/bin/sh "$r/etc/rel-shell"
	ln -s loop2 "$r/etc/loop1"
	ln -s loop1 "$r/etc/loop2"
	echo 'blacklist floppy' > "$r/etc/modprobe.d/deny.conf"
	echo in-ro > "$r/ro/file"
	chmod 0500 "$r/ro"
	touch -d '2020-02-02 02:02:02' "$r/usr/bin/sh"
	(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | zstd -q > "$t/img"
	# a device node: as ramforge's images hold /dev/console
	{
		newc dev $((040755))
		newc dev/console $((020600)) "" 5 1
		newc etc $((040755))
		newc etc/hello $((0100644)) "hello"
		trailer
	} > "$t/dev.img"
}

setup() {
	[[ -x ${RAMFORGE:-} ]] || fail "RAMFORGE is not set"
	T=$BATS_FILE_TMPDIR
	W=$BATS_TEST_TMPDIR/work
	mkdir -p "$W"
}

@test "ls -f prints one file byte for byte; symlinks followed inside the image; a leading '/' is fine" {
	rf ls -f usr/bin/sh "$T/img"
	[[ $status -eq 0 && -z $err && $out == $'#!/bin/sh\necho hi' ]] || fail "exit $status: $err" "$out"
	"$RAMFORGE" ls -f usr/bin/big "$T/img" | cmp - "$T/root/usr/bin/big"
	"$RAMFORGE" ls --file /bin/sh "$T/img" | cmp - "$T/root/usr/bin/sh"
	"$RAMFORGE" ls -f etc/shell "$T/img" | cmp - "$T/root/usr/bin/sh"
	"$RAMFORGE" ls -f etc/rel-shell "$T/img" | cmp - "$T/root/usr/bin/sh"
	"$RAMFORGE" ls -f ./etc/../usr/./bin//sh "$T/img" | cmp - "$T/root/usr/bin/sh"
	# ".." after a symlink is taken from where the link leads: bin/.. is usr
	"$RAMFORGE" ls -f bin/../bin/sh "$T/img" | cmp - "$T/root/usr/bin/sh"
}

@test "ls -f: a missing file, a directory, a symlink loop: exit 1 with one line" {
	rf ls -f etc/nope.conf "$T/img"
	expect_error "^ramforge: error: etc/nope\.conf: not in .*img$"
	[[ $status -eq 1 ]]
	rf ls -f etc "$T/img"
	expect_error "etc: a directory in "
	[[ $status -eq 1 ]]
	rf ls -f bin "$T/img"
	expect_error "bin: a directory in "
	rf ls -f etc/loop1 "$T/img"
	expect_error "etc/loop1: more than 40 symlinks"
	rf ls -f dev/console "$T/dev.img"
	expect_error "dev/console: not a regular file"
	rf ls -f x --modules "$T/img"
	expect_error "-f does not go with"
	[[ $status -eq 2 ]]
}

@test "ls -f on ramforge's own image prints its plan, as lsinitrd -f does" {
	fake_sysroot
	rf build --sysroot "$S" -k "$K" --drivers chain_a "$W/rf.img"
	[[ $status -eq 0 ]] || fail "$err"
	rf ls -f etc/ramforge/plan "$W/rf.img"
	[[ $status -eq 0 ]] || fail "$err"
	has_line "$out" "^ramforge-plan [0-9]+$"
	has_line "$out" "^mod chain_a "
}

@test "--unpack extracts every entry with its mode, times and link targets" {
	rf ls --unpack "$W/out" "$T/img"
	[[ $status -eq 0 && -z $out && -z $err ]] || fail "exit $status" "$out" "$err"
	(cd "$T/root" && find . | LC_ALL=C sort) > "$W/want"
	(cd "$W/out" && find . | LC_ALL=C sort) > "$W/got"
	diff "$W/want" "$W/got"
	cmp "$T/root/usr/bin/big" "$W/out/usr/bin/big"
	[[ $(stat -c %a "$W/out/usr/bin/big") == 640 && $(stat -c %a "$W/out/usr/bin/sh") == 755 ]]
	[[ $(stat -c %a "$W/out/ro") == 500 && $(cat "$W/out/ro/file") == in-ro ]]
	[[ $(readlink "$W/out/bin") == usr/bin && $(readlink "$W/out/etc/shell") == /usr/bin/sh ]]
	[[ $(stat -c %Y "$W/out/usr/bin/sh") == $(stat -c %Y "$T/root/usr/bin/sh") ]]
	chmod 0700 "$W/out/ro"
}

@test "--unpack into an existing empty directory works; a non-empty one is refused untouched" {
	mkdir "$W/empty" "$W/full"
	rf ls --unpack "$W/empty" "$T/img"
	[[ $status -eq 0 ]] || fail "$err"
	[[ -f $W/empty/usr/bin/sh ]]
	chmod 0700 "$W/empty/ro"
	echo keep > "$W/full/mine"
	rf ls --unpack "$W/full" "$T/img"
	expect_error "unpacking into .*full: not empty"
	[[ $status -eq 1 && $(ls "$W/full") == mine ]]
}

@test "--unpack skips device nodes with one warning; --devices makes them (root only)" {
	rf ls --unpack "$W/a" "$T/dev.img"
	[[ $status -eq 0 ]] || fail "$err"
	has_line "$err" "^ramforge: warning: .*: 1 device node or socket not made \(dev/console\): --devices makes them, as root$"
	[[ ! -e $W/a/dev/console && $(cat "$W/a/etc/hello") == hello ]]
	rf ls --devices "$T/img"
	expect_error "--devices goes with --unpack"
	if (($(id -u) == 0)); then
		rf ls --unpack "$W/b" --devices "$T/dev.img"
		[[ $status -eq 0 && -z $err ]] || fail "$err"
		[[ -c $W/b/dev/console && $(stat -c %t,%T "$W/b/dev/console") == 5,1 ]]
	else
		rf ls --unpack "$W/b" --devices "$T/dev.img"
		expect_error "device nodes can be made only by root"
	fi
}

# Run --unpack of IMAGE into W/box/out; W/box must then hold nothing but out, and the
# sentinel files around it must be untouched.
unpack_boxed() {
	mkdir -p "$W/box" "$W/outside"
	echo sentinel > "$W/outside/keep"
	rf ls --unpack "$W/box/out" "$1"
	[[ $(ls -A "$W/box") == out || -z $(ls -A "$W/box") ]] || fail "written beside DIR: $(ls -A "$W/box")"
	[[ $(ls -A "$W/outside") == keep && $(cat "$W/outside/keep") == sentinel ]] ||
		fail "written outside DIR: $(ls -A "$W/outside")"
}

@test "--unpack of a name with '..' or an absolute name writes nothing and says why" {
	{ newc ../outside/x $((0100644)) pwned; trailer; } > "$W/dotdot.img"
	unpack_boxed "$W/dotdot.img"
	expect_error "dotdot\.img: a name with a \"\.\.\" component"
	[[ ! -e $W/box/out || -z $(ls -A "$W/box/out") ]]
	{ newc "$W/outside/abs" $((0100644)) pwned; trailer; } > "$W/abs.img"
	unpack_boxed "$W/abs.img"
	expect_error "abs\.img: an absolute name"
	[[ ! -e $W/outside/abs ]]
	{ newc a $((040755)); newc a/../../outside/y $((0100644)) pwned; trailer; } > "$W/mid.img"
	unpack_boxed "$W/mid.img"
	expect_error '"\.\." component'
}

@test "--unpack never writes through a symlink of the image (a -> outside, then a/b)" {
	{ newc a $((0120777)) "$W/outside"; newc a/b $((0100644)) pwned; trailer; } > "$W/link.img"
	unpack_boxed "$W/link.img"
	expect_error "a/b: its directory 'a' is a symlink in the image: refusing to write through it"
	[[ $status -eq 1 && ! -e $W/outside/b ]]
	[[ $(readlink "$W/box/out/a") == "$W/outside" ]] # the link itself is harmless, and kept
	# relative, and replacing a link by a file of the same name (the kernel replaces it) does
	# not write through it either
	rm -rf "$W/box"
	{ newc up $((0120777)) ../../outside/keep; newc up $((0100644)) replaced; trailer; } > "$W/repl.img"
	unpack_boxed "$W/repl.img"
	[[ $status -eq 0 && $(cat "$W/box/out/up") == replaced && ! -L $W/box/out/up ]] || fail "$err"
	rm -rf "$W/box"
	{ newc d $((0120777)) ../../outside; newc d/x/y $((0100644)) pwned; trailer; } > "$W/deep.img"
	unpack_boxed "$W/deep.img"
	expect_error "its directory 'd' is a symlink"
}

@test "--unpack and -f on 400 mutated images: exit 0 or 1, nothing outside DIR, never a crash" {
	local t=$BATS_TEST_TMPDIR f n=0 bad=0
	mkdir -p "$t/base"
	cp "$T/img" "$t/base/zstd.img"
	(cd "$T/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$t/base/none.img"
	cat "$T/dev.img" "$t/base/none.img" > "$t/base/two.img"
	"$RF_TOP/tests/fixtures/fuzz-images" "$t/base" "$t/cases" 400 11
	for f in "$t"/cases/*.img; do
		n=$((n + 1))
		rm -rf "$W/box"
		RF_TIMEOUT=20 unpack_boxed "$f" || bad=$((bad + 1))
		((status <= 1)) || { bad=$((bad + 1)); echo "$f: --unpack exit $status: $err" >&2; }
		chmod -R u+rwx "$W/box" 2>/dev/null || true
		RF_TIMEOUT=20 rf ls -f usr/bin/sh "$f"
		((status <= 1)) || { bad=$((bad + 1)); echo "$f: -f exit $status: $err" >&2; }
	done
	((n == 400 && bad == 0)) || fail "$bad of $n mutated images misbehaved"
}
