#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The Debian package (`make deb`): what it holds and where, and what its control files promise
# dpkg and apt. Installing it into a real Debian root with apt is tests/boot/debian.bats.

load helpers

# The package `make deb` wrote into the build directory of the ramforge under test.
find_deb() {
	local d f
	for d in "$(dirname "$RAMFORGE")" "$(dirname "$RAMFORGE")/.."; do
		for f in "$d"/ramforge_*_*.deb; do
			[[ -f $f ]] && { echo "$f"; return 0; }
		done
	done
	fail "no ramforge_*.deb beside $RAMFORGE: run 'make deb' (make check does)"
}

setup_file() {
	DEB=$(find_deb)
	X=$BATS_FILE_TMPDIR/x
	dpkg-deb -R "$DEB" "$X" # the files, and the control files in X/DEBIAN
	export DEB X
}

setup() {
	[[ -n ${DEB:-} && -d $X/DEBIAN ]] || fail "no package to test (see setup_file)"
}

field() { # NAME: the control field's value
	dpkg-deb -f "$DEB" "$1"
}

@test "deb: holds the program, its init, the man page, the kernel hooks and the kernel-install plugin" {
	listing=$(dpkg-deb -c "$DEB")
	for entry in \
		"-rwxr-xr-x root/root .* ./usr/sbin/ramforge$" \
		"-rwxr-xr-x root/root .* ./usr/lib/ramforge/ramforge-init$" \
		"-rw-r--r-- root/root .* ./usr/share/man/man8/ramforge.8.gz$" \
		"-rwxr-xr-x root/root .* ./etc/kernel/postinst.d/ramforge$" \
		"-rwxr-xr-x root/root .* ./etc/kernel/postrm.d/ramforge$" \
		"-rwxr-xr-x root/root .* ./usr/lib/kernel/install.d/50-ramforge.install$" \
		"-rw-r--r-- root/root .* ./usr/share/doc/ramforge/copyright$"; do
		grep -qE -- "$entry" <<< "$listing" || fail "no /$entry in the package:" "$listing"
	done
	# the hooks are the source tree's
	cmp "$X/etc/kernel/postinst.d/ramforge" "$RF_TOP/hooks/postinst.d-ramforge"
	cmp "$X/etc/kernel/postrm.d/ramforge" "$RF_TOP/hooks/postrm.d-ramforge"
	cmp "$X/usr/lib/kernel/install.d/50-ramforge.install" "$RF_TOP/hooks/50-ramforge.install"
	# the man page is readable
	zcat "$X/usr/share/man/man8/ramforge.8.gz" | grep -q '^\.TH RAMFORGE 8'
}

@test "deb: the packaged ramforge puts the packaged init into images, and looks for it in /usr/lib/ramforge" {
	fake_sysroot
	run env -u RAMFORGE_INIT "$X/usr/sbin/ramforge" build --sysroot "$S" -k "$K" --drivers chain_a \
		--compress none "$BATS_TEST_TMPDIR/out.img"
	[[ $status -eq 0 ]] || fail "$output"
	(cd "$BATS_TEST_TMPDIR" && cpio -i --quiet init < out.img)
	cmp "$BATS_TEST_TMPDIR/init" "$X/usr/lib/ramforge/ramforge-init"
	# alone (not in a /usr tree), the program names the path it was built for
	mkdir "$BATS_TEST_TMPDIR/lone"
	cp "$X/usr/sbin/ramforge" "$BATS_TEST_TMPDIR/lone/"
	run env -u RAMFORGE_INIT "$BATS_TEST_TMPDIR/lone/ramforge" build --sysroot "$S" -k "$K" \
		--drivers chain_a "$BATS_TEST_TMPDIR/lone.img"
	[[ $status -ne 0 ]]
	[[ $output == *"/usr/lib/ramforge/ramforge-init"* ]] || fail "$output"
}

@test "deb: control: this version, this architecture, replaces the other initramfs generators" {
	[[ $(field Package) == ramforge ]]
	[[ $(field Version) == "$("$RAMFORGE" --version | awk '{ print $2 }')" ]] ||
		fail "Version: $(field Version), ramforge --version: $("$RAMFORGE" --version)"
	[[ $(field Architecture) == "$(dpkg --print-architecture)" ]]
	# linux-image-* depends on `initramfs-tools | linux-initramfs-tool`
	[[ $(field Provides) == *linux-initramfs-tool* ]] || fail "Provides: $(field Provides)"
	# only one generator may own /boot/initrd.img-*: apt removes the others
	[[ ", $(field Conflicts), " == *", initramfs-tools, "* ]] || fail "Conflicts: $(field Conflicts)"
	[[ ", $(field Conflicts), " == *", dracut, "* ]] || fail "Conflicts: $(field Conflicts)"
	[[ $(field Installed-Size) -gt 500 ]]
}

@test "deb: Depends names the package of every shared library the program needs" {
	deps=$(field Depends)
	libs=$(objdump -p "$X/usr/sbin/ramforge" | awk '$1 == "NEEDED" { print $2 }')
	[[ -n $libs ]]
	for lib in $libs; do
		path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|x86_64/ { print $NF; exit }')
		[[ -n $path ]] || fail "ldconfig does not know $lib"
		pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path")
		pkg=${pkg%%:*}
		[[ ", $deps" == *", $pkg "* || ", $deps," == *", $pkg,"* ]] ||
			fail "$lib comes from $pkg, which Depends ($deps) does not name"
	done
}

@test "deb: an update-initramfs trigger rebuilds the images; the hooks are conffiles; purge drops the cache" {
	grep -qx 'interest-noawait update-initramfs' "$X/DEBIAN/triggers"
	[[ -x $X/DEBIAN/postinst ]]
	grep -q 'triggered' "$X/DEBIAN/postinst"
	sh -n "$X/DEBIAN/postinst"
	# an admin's edit of a hook (or its removal, to turn it off) survives upgrades
	diff <(sort "$X/DEBIAN/conffiles") <(printf '%s\n' /etc/kernel/postinst.d/ramforge /etc/kernel/postrm.d/ramforge)
	# purging removes the cache of compressed modules, and only that
	sh -n "$X/DEBIAN/postrm"
	local r=$BATS_TEST_TMPDIR/purge
	mkdir -p "$r/var/cache/ramforge/ab" "$r/boot"
	: > "$r/boot/initrd.img-1"
	sed 's|/var/cache/ramforge|'"$r"'/var/cache/ramforge|' "$X/DEBIAN/postrm" > "$BATS_TEST_TMPDIR/postrm"
	sh "$BATS_TEST_TMPDIR/postrm" remove
	[[ -d $r/var/cache/ramforge ]] || fail "remove dropped the cache"
	sh "$BATS_TEST_TMPDIR/postrm" purge
	[[ ! -e $r/var/cache/ramforge && -e $r/boot/initrd.img-1 ]] || fail "purge: $(find "$r")"
	# md5sums covers every file
	(cd "$X" && md5sum --quiet -c DEBIAN/md5sums)
	[[ $(wc -l < "$X/DEBIAN/md5sums") -eq $(cd "$X" && find . -path ./DEBIAN -prune -o -type f -print | wc -l) ]]
}
