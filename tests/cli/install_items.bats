#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# install_items in ramforge.conf (lib/items.c): sysroot files into the image, programs with
# their libraries. The sysroot is a merged /usr (bin, sbin, lib, lib64 link to usr/...) as on
# Debian 12 and Fedora, with the fake module tree, the host's C library and gcc-built
# programs: one needing two libraries (RUNPATH, a symlink chain) and ending a thread through
# pthread_exit (which loads libgcc_s.so.1), one whose library is gone. The unpacked image must
# run the program under chroot: its closure is complete and every path resolves.

load helpers

setup_file() {
	need_fixture RF_FAKE_ROOT RF_FAKE_KVER
	BASE=$BATS_FILE_TMPDIR/base
	make_base "$BASE"
}

setup() {
	need_fixture RF_FAKE_ROOT RF_FAKE_KVER
	BASE=$BATS_FILE_TMPDIR/base
	S=$BATS_TEST_TMPDIR/sysroot
	K=$RF_FAKE_KVER
	cp -a "$BASE" "$S"
	IMG=$BATS_TEST_TMPDIR/test.img
}

# copy_in ROOT PATH: the host's PATH into ROOT at the same path, each symlink on the way
# (PATH's own chain) as a symlink, the file it ends at as a file.
copy_in() {
	local root=$1 p=$2 t
	while [[ -L $p ]]; do
		mkdir -p "$root$(dirname "$p")"
		cp -P "$p" "$root$p"
		t=$(readlink "$p")
		[[ $t == /* ]] || t=$(dirname "$p")/$t
		p=$t
	done
	p=$(realpath -e "$p")
	mkdir -p "$root$(dirname "$p")"
	cp -p "$p" "$root$p"
}

make_base() {
	local b=$1 x=$BATS_FILE_TMPDIR/src lib
	mkdir -p "$b"/usr/{bin,sbin,lib/modules,lib64} "$b/etc" "$b/boot" "$x"
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$b/$d"; done
	ln -s "$RF_FAKE_ROOT/lib/modules/$RF_FAKE_KVER" "$b/usr/lib/modules/$RF_FAKE_KVER"
	mkdir -p "$b/usr/lib/rf"
	# librfb: a symlink chain (the soname links to the versioned file); librfa needs it
	# through its own RUNPATH; rfhello finds librfa through its RUNPATH.
	echo 'int rfb(void) { return 2; }' > "$x/b.c"
	gcc -shared -fPIC -Wl,-soname,librfb.so.1 -o "$b/usr/lib/rf/librfb.so.1.2.3" "$x/b.c"
	ln -s librfb.so.1.2.3 "$b/usr/lib/rf/librfb.so.1"
	echo 'int rfb(void); int rfa(void) { return 1 + rfb(); }' > "$x/a.c"
	gcc -shared -fPIC -Wl,-soname,librfa.so.1 -Wl,--enable-new-dtags '-Wl,-rpath,$ORIGIN' \
		-o "$b/usr/lib/rf/librfa.so.1" "$x/a.c" "$b/usr/lib/rf/librfb.so.1"
	cat > "$x/hello.c" <<-'EOF'
		#include <pthread.h>
		#include <stdio.h>
		int rfa(void);
		static void *run(void *arg) { pthread_exit(arg); }
		int main(void)
		{
			pthread_t t;
			void *ret = NULL;
			if (pthread_create(&t, NULL, run, "thread exited") || pthread_join(t, &ret))
				return 1;
			printf("rfhello: %d, %s\n", rfa(), (const char *)ret);
			return 0;
		}
	EOF
	gcc -pthread -Wl,--enable-new-dtags '-Wl,-rpath,$ORIGIN/../lib/rf' -o "$b/usr/bin/rfhello" \
		"$x/hello.c" "$b/usr/lib/rf/librfa.so.1"
	echo 'int gone(void) { return 0; }' > "$x/gone.c"
	gcc -shared -fPIC -Wl,-soname,librfgone.so.1 -o "$x/librfgone.so.1" "$x/gone.c"
	echo 'int gone(void); int main(void) { return gone(); }' > "$x/missing.c"
	gcc -Wl,--no-as-needed -o "$b/usr/sbin/rfmissing" "$x/missing.c" "$x/librfgone.so.1"
	# The host's C library as the sysroot's: the loader, libc and glibc's unwinder.
	for lib in $(ldd "$b/usr/bin/rfhello" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		case $lib in */rf/*) ;; *) copy_in "$b" "$lib" ;; esac
	done
	lib=$(ldconfig -p | awk '$1 == "libgcc_s.so.1" && $NF ~ /^\// { print $NF; exit }')
	[[ -n $lib ]] || fail "no libgcc_s.so.1 on this host"
	copy_in "$b" "$lib"
	echo 'greeting=hello' > "$b/etc/rfhello.conf"
	ln -s rfhello.conf "$b/etc/rfhello-link.conf"
}

teardown() {
	if [[ -n ${PROC:-} ]]; then umount "$PROC" || umount -l "$PROC" || true; fi
}

build() { # ARGS... (after the selection)
	rf build --sysroot "$S" -k "$K" --drivers chain_a "$@"
	[[ $status -eq 0 ]] || fail "build failed: $err"
}

unpack() { # IMAGE DIR
	mkdir -p "$2"
	(cd "$2" && zstd -dc "$1" | cpio -idm --quiet 2> /dev/null) || fail "cannot unpack $1"
}

@test "install_items: the program, its libraries, the loader and the links, runnable under chroot" {
	rfconf 'install_items+=" /bin/rfhello /etc/rfhello-link.conf "'
	build "$IMG"
	x=$BATS_TEST_TMPDIR/x
	unpack "$IMG" "$x"
	for d in bin sbin lib lib64; do
		[[ $(readlink "$x/$d") == "usr/$d" ]] || fail "/$d is not the link usr/$d: $(ls -ld "$x/$d")"
	done
	[[ -f $x/usr/bin/rfhello && ! -L $x/usr/bin/rfhello ]]
	[[ $(stat -c %a "$x/usr/bin/rfhello") == 755 ]]
	cmp "$x/usr/bin/rfhello" "$S/usr/bin/rfhello"
	[[ $(readlink "$x/usr/lib/rf/librfb.so.1") == librfb.so.1.2.3 ]]
	cmp "$x/usr/lib/rf/librfb.so.1.2.3" "$S/usr/lib/rf/librfb.so.1.2.3"
	cmp "$x/usr/lib/rf/librfa.so.1" "$S/usr/lib/rf/librfa.so.1"
	# the loader at its PT_INTERP path, through the same links as in the sysroot
	interp=$(readelf -l "$S/usr/bin/rfhello" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	[[ -n $interp && -L $x$interp ]] || fail "no link at the interpreter path $interp"
	[[ $(readlink "$x$interp") == "$(readlink "$S$interp")" ]]
	[[ -n $(find "$x" -name libgcc_s.so.1) ]] || fail "no libgcc_s.so.1 in the image"
	# a config file through its link
	[[ $(readlink "$x/etc/rfhello-link.conf") == rfhello.conf ]]
	cmp "$x/etc/rfhello.conf" "$S/etc/rfhello.conf"
	# the modules moved with lib: reachable at their old paths through the link
	[[ -f $x/usr/lib/modules/$K/modules.dep ]] && [[ -f $x/lib/modules/$K/modules.dep ]]
	# /proc as the init mounts it before running programs (ld.so reads /proc/self/exe for the
	# program's $ORIGIN)
	mount -t proc proc "$x/proc" || skip "cannot mount /proc in the unpacked image"
	PROC=$x/proc
	run_out=$(chroot "$x" /bin/rfhello 2>&1) || fail "the program does not run in the image:" "$run_out"
	[[ $run_out == "rfhello: 3, thread exited" ]] || fail "unexpected output: $run_out"
	# and the test can fail: without libgcc_s.so.1 the thread's exit aborts
	find "$x" -xdev -name 'libgcc_s.so.1' -delete
	! chroot "$x" /bin/rfhello > /dev/null 2>&1 || fail "rfhello ran without libgcc_s.so.1"
}

@test "ramforge ls lists the program and its libraries; ls --binaries says which is which" {
	rfconf 'install_items+=" /bin/rfhello "'
	build "$IMG"
	rf ls "$IMG"
	[[ $status -eq 0 ]] || fail "ls failed: $err"
	has_line "$out" '^-rwxr-xr-x .* usr/bin/rfhello$'
	has_line "$out" '^l.* bin -> usr/bin$'
	has_line "$out" '^l.* usr/lib/rf/librfb\.so\.1 -> librfb\.so\.1\.2\.3$'
	rf ls --binaries "$IMG"
	[[ $status -eq 0 ]] || fail "ls --binaries failed: $err"
	interp=$(readelf -l "$S/usr/bin/rfhello" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	has_line "$out" "^program usr/bin/rfhello $(re_escape "$interp") librfa\.so\.1(,|$)"
	has_line "$out" '^library usr/lib/rf/librfa\.so\.1 - librfb\.so\.1(,|$)'
	has_line "$out" '^library usr/lib/rf/librfb\.so\.1\.2\.3 - '
	has_line "$out" '^program init - -$'
	lacks_line "$out" 'modules/|\.ko|librfb\.so\.1 '
	[[ $(printf '%s\n' "$out" | awk '{ print $2 }' | sort | uniq -d) == "" ]] || fail "a file listed twice:" "$out"
}

@test "ls --binaries: a broken ELF file is a warning, the rest is listed; with --modules a usage error" {
	r=$BATS_TEST_TMPDIR/r
	mkdir -p "$r/usr/bin"
	cp "$S/usr/bin/rfhello" "$r/usr/bin/good"
	printf '\177ELF\002\001\001garbage' > "$r/usr/bin/broken"
	(cd "$r" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) > "$IMG"
	rf ls --binaries "$IMG"
	[[ $status -eq 0 ]] || fail "exit $status: $err"
	[[ $out == "program usr/bin/good "* && $(printf '%s\n' "$out" | wc -l) == 1 ]] || fail "listing:" "$out"
	[[ $err == "ramforge: warning: usr/bin/broken: "* ]] || fail "stderr:" "$err"
	rf ls --binaries --modules "$IMG"
	[[ $status -eq 2 && $err == *"--modules and --binaries"* ]] || fail "exit $status: $err"
}

@test "a shared library goes in once; two builds of the same inputs are byte-identical" {
	rfconf 'install_items+=" /usr/bin/rfhello /bin/rfhello /usr/lib/rf/librfb.so.1 "'
	build "$IMG"
	build "$BATS_TEST_TMPDIR/again.img"
	cmp "$IMG" "$BATS_TEST_TMPDIR/again.img" || fail "two builds differ"
	names=$(zstd -dc "$IMG" | cpio -it --quiet 2> /dev/null)
	[[ $(printf '%s\n' "$names" | sort | uniq -d) == "" ]] || fail "entries twice:" "$names"
	[[ $(printf '%s\n' "$names" | grep -c 'librfb.so.1.2.3$') == 1 ]]
	[[ $(printf '%s\n' "$names" | grep -c '/libc.so.6$') == 1 ]]
}

@test "a missing library is one error naming the program and the soname; the old image stays" {
	build "$IMG"
	old=$(sha256sum < "$IMG")
	rfconf 'install_items+=" /bin/rfhello "' 'install_items+=" /sbin/rfmissing "'
	rf build --sysroot "$S" -k "$K" --drivers chain_a -f "$IMG"
	expect_error '^ramforge: error: install_items etc/ramforge\.conf:2: /sbin/rfmissing: librfgone\.so\.1: not found$'
	[[ $(sha256sum < "$IMG") == "$old" ]] || fail "the old image changed"
	[[ $(ls -A "$BATS_TEST_TMPDIR" | grep -c '^test\.img') == 1 ]] ||
		fail "files left beside the image:" "$(ls -A "$BATS_TEST_TMPDIR")"
	rf build --sysroot "$S" -k "$K" --drivers chain_a "$BATS_TEST_TMPDIR/new.img"
	expect_error 'librfgone\.so\.1: not found'
	[[ ! -e $BATS_TEST_TMPDIR/new.img ]]
}

@test "install_items that are missing, a directory, a FIFO or relative are errors naming file:line" {
	mkfifo "$S/etc/fifo"
	for item in /etc/nothing.conf /usr/lib/rf /etc/fifo etc/rfhello.conf; do
		rfconf '# items' "install_items+=\" $item \""
		rf build --sysroot "$S" -k "$K" --drivers chain_a "$IMG"
		expect_error "^ramforge: error: install_items etc/ramforge\.conf:2: $(re_escape "$item"): "
		[[ ! -e $IMG ]]
	done
	rfconf 'install_items+=" /etc/nothing.conf "'
	rf build --sysroot "$S" -k "$K" --drivers chain_a "$IMG"
	expect_error ': /etc/nothing\.conf: not found in '
}

@test "an item whose links lead out of the sysroot stays inside it" {
	mkdir -p "$BATS_TEST_TMPDIR/outside/etc"
	echo 'host secret' > "$BATS_TEST_TMPDIR/outside/etc/secret.conf"
	echo 'sysroot file' > "$S/etc/secret.conf"
	ln -s ../../../../../../../../etc/secret.conf "$S/etc/escape.conf"
	ln -s "$BATS_TEST_TMPDIR/outside/etc/secret.conf" "$S/etc/abs.conf"
	rfconf 'install_items+=" /etc/escape.conf "'
	build "$IMG"
	x=$BATS_TEST_TMPDIR/x
	unpack "$IMG" "$x"
	[[ $(cat "$x/etc/secret.conf") == "sysroot file" ]]
	rfconf 'install_items+=" /etc/abs.conf "'
	rf build --sysroot "$S" -k "$K" --drivers chain_a "$BATS_TEST_TMPDIR/abs.img"
	expect_error 'install_items etc/ramforge\.conf:1: /etc/abs\.conf: not found'
}
