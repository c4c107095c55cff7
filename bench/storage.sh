#!/bin/bash
# SPDX-License-Identifier: MIT
# Storage benchmark: roots on LVM, on LUKS2, and on LVM inside LUKS2 (the disks of
# tests/fixtures/mkdisks), each reached by
#   - ramforge's image for the case: --drivers "virtio_pci virtio_blk ext4" and the case's
#     bundles (--add-bundles lvm, crypt, "crypt lvm");
#   - ramforge's generic image (no options: every bundle whose tools the sysroot has);
#   - dracut's `--no-hostonly` image, whose lvm, dm and crypt modules come in because the tools
#     are installed: Debian's dracut-core (and kpartx, which it depends on) fetched with
#     apt-get download into .cache/debs and installed with dpkg -i in a chroot of the root.
# One sysroot for all: the Debian 12 root of tests/fixtures/mkdebroot (lvm2, cryptsetup-bin,
# mdadm, Debian's full 6.1 kernel), unpacked once, dracut-core installed into it. The LUKS
# volumes are opened with a key file named in the root's /etc/crypttab, so no one types:
# ramforge copies the entries marked "initramfs" with their keys; dracut's non-hostonly image
# leaves the crypttab out, so it is given the crypttab and the key with --install (as
# install_items would). The key of the LUKS+LVM volume is its passphrase, as a file.
# For each image: its size as the tool writes it (ramforge zstd, dracut gzip: the root has no
# zstd program) and unpacked, its module count, and its time to root: the guest's /proc/uptime
# when the root filesystem's /sbin/init prints its marker, median of RUNS boots under QEMU (TCG,
# the same VM and kernel command line for every image; dracut's also has rd.shell=0
# rd.emergency=poweroff so that a failed boot ends), interleaved; then ramforge/dracut ratios.
# A ramforge image that does not reach the root ends the benchmark with one line (exit 1); the
# dracut rows are left out, with the reason, when dracut cannot be fetched, installed or built,
# or its image does not reach the root. Needs root (the Debian root is unpacked with its owners
# and device nodes; chroot). Not part of `make check`.
# Usage: bench/storage.sh [RAMFORGE]    RUNS=5, BENCH_SMP=1, BENCH_CASES="lvm luks lukslvm",
#        BENCH_DRACUT=0 leaves dracut out, BENCH_RAMFORGE=0 ramforge's boots (its images are
#        still built and sized), BENCH_LOGS=DIR keeps every boot's console log there.
set -euo pipefail
started=$(date +%s)
top=$(cd "$(dirname "$0")/.." && pwd)
rf=$(realpath "${1:-$top/${BUILD:-build}/ramforge}")
init=${RAMFORGE_INIT:-$(dirname "$rf")/ramforge-init}
runs=${RUNS:-5}
smp=${BENCH_SMP:-1}
mem=1024
cases=${BENCH_CASES:-lvm luks lukslvm}
cache=${RF_CACHE:-$top/.cache}
drivers="virtio_pci virtio_blk ext4"

die() { echo "bench/storage.sh: $*" >&2; exit 1; }
[[ -x $rf && -x $init ]] || die "no ramforge and ramforge-init at $rf (make them first)"
[[ $(id -u) -eq 0 ]] || die "needs root (the Debian root is unpacked with its owners and nodes)"
command -v qemu-system-x86_64 >/dev/null || die "needs qemu-system-x86_64"

# The disks and the Debian root (tests/fixtures/mkdisks makes them once, then prints where).
env=$("$top/tests/fixtures/mkdisks" "$rf" "$init" < /dev/null) || die "tests/fixtures/mkdisks failed"
eval "$env"
kver=$RF_DEBROOT_KVER

work=$(mktemp -d)
root=$work/root
cleanup() {
	local m
	for m in "$root/proc" "$root/sys"; do
		! mountpoint -q "$m" || umount -l "$m"
	done
	# never remove through a mount
	if grep -q " $work/" /proc/mounts; then
		echo "bench/storage.sh: $work is still mounted on, left there" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
# Copies of the disks: a new mkdisks run (another checkout's tests) removes the old cache.
for d in lvm luks lukslvm; do cp --sparse=always "$RF_DISKS/$d.img" "$work/$d.img"; done
mkdir "$root"
tar -C "$root" -xf "$RF_DEBROOT" || die "cannot unpack $RF_DEBROOT"
vmlinuz=$root/boot/vmlinuz-$kver
mkdir -m 0700 "$root/etc/keys"
install -m 0600 "$RF_DISK_LUKS_KEY" "$root/etc/keys/luks.key"
(umask 077 && printf %s "$RF_DISK_PASSPHRASE" > "$root/etc/keys/lukslvm.key")

# case_is CASE: its title, bundles, disk, kernel command line and crypttab line.
case_is() {
	case $1 in
	lvm) title="LVM: LV rfvg/root on the whole disk" bundles=lvm disk=lvm.img
		append="root=/dev/rfvg/root" crypttab= ;;
	luks) title="LUKS2 (partition 1), key file from crypttab" bundles=crypt disk=luks.img
		append="root=UUID=$RF_DISK_LUKS_FS_UUID"
		crypttab="rfluks UUID=$RF_DISK_LUKS_UUID /etc/keys/luks.key luks,initramfs" ;;
	lukslvm) title="LVM inside LUKS2, key file from crypttab" bundles="crypt lvm"
		disk=lukslvm.img append="root=/dev/rfcvg/root"
		crypttab="rfcrypt UUID=$RF_DISK_LUKSLVM_UUID /etc/keys/lukslvm.key luks,initramfs" ;;
	*) die "unknown case '$1' in BENCH_CASES (lvm, luks, lukslvm)" ;;
	esac
}

# dracut_install: dracut-core in the root; prints why not on failure.
dracut_install() {
	local p deb debs=()
	mkdir -p "$cache/debs"
	exec 8>"$cache/debs/bench-storage.lock"
	flock 8
	# shellcheck disable=SC2012 # the names are Debian package file names
	for p in dracut-core kpartx; do
		deb=$(ls -t "$cache/debs/${p}"_*.deb 2>/dev/null | head -n1)
		if [[ -z $deb ]]; then
			(cd "$cache/debs" && apt-get download -q "$p" >/dev/null 2>&1) ||
				{ echo "apt-get download $p failed (run 'apt-get update' first)"; return 1; }
			deb=$(ls -t "$cache/debs/${p}"_*.deb | head -n1)
		fi
		cp "$deb" "$root/tmp/"
		debs+=("/tmp/${deb##*/}")
	done
	exec 8>&-
	chroot "$root" dpkg -i "${debs[@]}" > "$work/dpkg.log" 2>&1 ||
		{ echo "dpkg -i ${debs[*]##*/} in the root failed: $(grep -m1 -i 'error' "$work/dpkg.log")"; return 1; }
	rm -f "${debs[@]/#/$root}"
	echo "dracut $(chroot "$root" dpkg-query -W -f "\${Version}" dracut-core)"
}

# dracut_build OUT [FILE...]: dracut's non-hostonly image, the FILEs of the root in it too.
dracut_build() {
	local out=$1 rc=0 install=()
	shift
	[[ $# -eq 0 ]] || install=(--install "$*")
	mount -t proc proc "$root/proc" || return 1
	mount -t sysfs sysfs "$root/sys" || { umount "$root/proc"; return 1; }
	chroot "$root" dracut -q --no-hostonly --force "${install[@]}" --kver "$kver" \
		/tmp/dracut.img > "$work/dracut.log" 2>&1 || rc=$?
	umount "$root/proc" "$root/sys"
	((rc == 0)) || return 1
	mv "$root/tmp/dracut.img" "$out"
}

# unpacked IMAGE: the bytes of its cpio archives (the compressed stream found by its magic).
unpacked() {
	case $(od -An -tx1 -N4 "$1" | tr -d ' ') in
	28b52ffd) zstd -dc "$1" | wc -c ;;
	1f8b*) gzip -dc "$1" | wc -c ;;
	*) echo - ;;
	esac
}
modules() { "$rf" ls "$1" | grep -cE '\.ko(\.[a-z]+)?$' || true; }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }

# boot_once IMAGE APPEND DISK -> the uptime at the root's marker, or "-"; the console in
# $work/console.log.
boot_once() {
	local up
	timeout 300 qemu-system-x86_64 -accel tcg -smp "$smp" -m "$mem" -nographic -no-reboot \
		-kernel "$vmlinuz" -initrd "$1" -append "console=ttyS0 $2" \
		-drive "file=$work/$3,if=virtio,format=raw,snapshot=on" < /dev/null 2>&1 |
		tr -d '\r' > "$work/console.log" || true
	up=$(sed -n 's/.*RAMFORGE-ROOT-REACHED uptime=//p' "$work/console.log" | head -n1)
	echo "${up:--}"
}

# What a console log says of a boot that did not reach the root: ramforge's failure line, or
# the last line.
why_not() {
	{ grep -m1 -E 'cannot continue|Failed|emergency' "$work/console.log" ||
		grep -v '^ *$' "$work/console.log" | tail -n1; } | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-160
}

rev=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
echo "storage benchmark: ramforge $rev, kernel $kver (the Debian root's)," \
	"qemu -accel tcg -smp $smp -m $mem, median of $runs boots"
[[ -z ${BENCH_LOGS:-} ]] || mkdir -p "$BENCH_LOGS"
declare -A built=() size=() med=() ups=() failed=()
dracut=
if [[ ${BENCH_DRACUT:-1} == 0 ]]; then
	dracut_why="BENCH_DRACUT=0"
elif dracut_why=$(dracut_install); then
	dracut=$dracut_why
	echo "  dracut: $dracut (Debian's dracut-core, installed in the root)"
fi
[[ -n $dracut ]] || echo "  dracut: not measured: $dracut_why"

for c in $cases; do
	case_is "$c"
	echo "$title ($append):"
	rm -f "$root/etc/crypttab"
	[[ -z $crypttab ]] || echo "$crypttab" > "$root/etc/crypttab"
	# kind|label|image|append: ramforge's two, then dracut's
	rows=()
	for kind in bundles generic; do
		img=$work/$c-$kind.img
		opts=(--drivers "$drivers" --add-bundles "$bundles")
		[[ $kind == bundles ]] || opts=()
		t0=$(date +%s.%N)
		"$rf" build -q -f --no-backup --sysroot "$root" -k "$kver" --init "$init" "${opts[@]}" \
			"$img" || die "ramforge build ${opts[*]} failed ($c)"
		built[$kind]=$(echo "$(date +%s.%N) - $t0" | bc)
		label="ramforge --add-bundles \"$bundles\""
		[[ $kind == bundles ]] || label="ramforge generic"
		rows+=("$kind|$label|$img|$append")
	done
	if [[ -n $dracut ]]; then
		img=$work/$c-dracut.img
		keys=()
		[[ -z $crypttab ]] || keys=(/etc/crypttab "$(cut -d' ' -f3 <<< "$crypttab")")
		t0=$(date +%s.%N)
		if dracut_build "$img" "${keys[@]}"; then
			built[dracut]=$(echo "$(date +%s.%N) - $t0" | bc)
			rows+=("dracut|dracut --no-hostonly|$img|$append rd.shell=0 rd.emergency=poweroff")
		else
			echo "  dracut --no-hostonly: not measured: dracut failed: $(grep -v '^ *$' "$work/dracut.log" | tail -n1)"
		fi
	fi

	# RUNS rounds, each booting every image once (interleaved, so a busy host slows them alike)
	ups=() failed=() size=() med=()
	[[ ${BENCH_RAMFORGE:-1} == 1 ]] || failed[bundles]="BENCH_RAMFORGE=0" failed[generic]="BENCH_RAMFORGE=0"
	for ((i = 1; i <= runs; i++)); do
		for r in "${rows[@]}"; do
			IFS='|' read -r kind label img args <<< "$r"
			[[ -z ${failed[$kind]:-} ]] || continue
			up=$(boot_once "$img" "$args" "$disk")
			[[ -z ${BENCH_LOGS:-} ]] ||
				cp "$work/console.log" "$BENCH_LOGS/$c-$kind-$i.log"
			if [[ $up != - ]]; then
				ups[$kind]+="$up "
				continue
			fi
			failed[$kind]="boot $i did not reach the root: $(why_not)"
			if [[ $kind != dracut ]]; then
				cp "$work/console.log" "$(dirname "$rf")/bench-storage-console.log"
				die "$c: $label: ${failed[$kind]} (console: $(dirname "$rf")/bench-storage-console.log)"
			fi
		done
	done

	for r in "${rows[@]}"; do
		IFS='|' read -r kind label img args <<< "$r"
		size[$kind]=$(stat -c %s "$img")
		printf '  %-34s %9s bytes (%9s unpacked, %4s modules, built in %5.1f s)' "$label" \
			"${size[$kind]}" "$(unpacked "$img")" "$(modules "$img")" "${built[$kind]}"
		if [[ -n ${failed[$kind]:-} ]]; then
			printf '   time to root not measured: %s\n' "${failed[$kind]}"
			continue
		fi
		med[$kind]=$(tr ' ' '\n' <<< "${ups[$kind]}" | grep . | median)
		printf '   time to root %6s s   (runs: %s)\n' "${med[$kind]}" "${ups[$kind]% }"
	done
	if [[ -n ${size[dracut]:-} ]]; then
		printf '  ramforge/dracut: size %s, time to root %s; generic/dracut: size %s, time to root %s\n' \
			"$(ratio "${size[bundles]}" "${size[dracut]}")" \
			"$(ratio "${med[bundles]:-}" "${med[dracut]:-}")" \
			"$(ratio "${size[generic]}" "${size[dracut]}")" \
			"$(ratio "${med[generic]:-}" "${med[dracut]:-}")"
	fi
done
echo "storage benchmark took $(($(date +%s) - started)) s"
