#!/bin/bash
# SPDX-License-Identifier: MIT
# Boot-time benchmark: QEMU under TCG (software emulation, same kernel, disk and VM for every
# image), median of RUNS boots (default 5) each of
#   - time to root: the guest's /proc/uptime when the root filesystem's /sbin/init prints its
#     marker (kernel start -> real init), for the S1 image (virtio_pci virtio_blk ext4);
#   - the init's own time, from its first instruction to the exec of the real init (its log);
#   - S2 (every module under kernel/drivers/{ata,block,md,nvme,scsi,virtio,usb/storage} and
#     kernel/fs): the init's time loading in parallel against ramforge.threads=1;
#   - tiny-initramfs's flat static init with the same S1 modules (fetched with apt-get download);
#   - dracut's image for S1 where dracut is installed (its minimal module set);
#   - the generic image (no driver named: coldplug loads what the machine has), its modules one
#     by one (zstd and xz) and inside the archive, against dracut's `--no-hostonly` image on the
#     same kernel (where dracut is installed): size, module count, time to root on virtio-blk
#     and NVMe against S1's in the same rounds, the init's own time, MemAvailable when the init
#     hands over (the image's files still in RAM) and after boot; build time with the modules
#     inside the archive, one by one with a warm cache and with a cold one.
# Also prints the S1 image's size, compressed and not. Not part of `make check`.
# Usage: bench/boot.sh [RAMFORGE]    BENCH_KERNEL=full|cloud (default full), RUNS=5, BENCH_SMP=1
#        BENCH_S1=0 / BENCH_S2=0 / BENCH_GENERIC=0 skip those rows (S2 is slow).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rf=${1:-$top/${BUILD:-build}/ramforge}
runs=${RUNS:-5}
smp=${BENCH_SMP:-1}
flavour=${BENCH_KERNEL:-full}
read -r root kver < <("$top/tests/fixtures/fetch-kernel" "$flavour")
kmoddir=$root/lib/modules/$kver
vmlinuz=$root/boot/vmlinuz-$kver
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sys/etc/modprobe.d" "$work/sys/lib/modules"
ln -s "$kmoddir" "$work/sys/lib/modules/$kver"
uuid=$("$top/tests/fixtures/mkrootdisk" "$work/root.img")

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# boot_once IMAGE APPEND [DISK] -> "uptime_at_marker init_ms" (or "- -" when the root was not
# reached). DISK: virtio (default), nvme or ahci.
boot_once() {
	local log=$work/console.log up ms drive
	local file="file=$work/root.img,format=raw,snapshot=on"
	case ${3:-virtio} in
	virtio) drive=(-drive "$file,if=virtio") ;;
	nvme) drive=(-drive "$file,if=none,id=d" -device nvme,serial=rfbench,drive=d) ;;
	ahci) drive=(-drive "$file,if=none,id=d" -device ahci,id=ahci -device ide-hd,drive=d,bus=ahci.0) ;;
	esac
	timeout 300 qemu-system-x86_64 -accel tcg -smp "$smp" -m "${mem:-512}" -nographic -no-reboot \
		-kernel "$vmlinuz" -initrd "$1" -append "console=ttyS0 $2" "${drive[@]}" 2>&1 |
		tr -d '\r' > "$log" || true
	up=$(sed -n 's/.*RAMFORGE-ROOT-REACHED uptime=//p' "$log" | head -n1)
	ms=$(sed -n 's/.*ramforge-init: mounted .* init took \([0-9]*\) ms.*/\1/p' "$log" | head -n1)
	mi=$(sed -n 's/.*ramforge-init: mounted .* MemAvailable \([0-9]*\) kB.*/\1/p' "$log" | head -n1)
	ma=$(sed -n 's/^RF-MEMAVAILABLE: \([0-9]*\) kB.*/\1/p' "$log" | head -n1)
	echo "${up:--} ${ms:--} ${mi:--} ${ma:--}"
}

# measure "LABEL|IMAGE|APPEND[|DISK]"...: RUNS rounds, each booting every entry once (interleaved, so
# a busy host slows them alike); one row of medians per entry.
# MEDIANS (an associative array the caller declares) gets "LABEL" -> the median time to root.
measure() {
	local -A ups=() mss=() mis=() mas=()
	local e label img append disk up ms mi ma
	for ((i = 0; i < runs; i++)); do
		for e in "$@"; do
			IFS='|' read -r label img append disk <<< "$e"
			read -r up ms mi ma < <(boot_once "$img" "$append" "$disk")
			if [[ $up == - ]]; then
				echo "  $label: boot $((i + 1)) did not reach the root:"
				tail -n 30 "$work/console.log"
				return 1
			fi
			ups[$label]+="$up "
			[[ $ms == - ]] || mss[$label]+="$ms "
			[[ $mi == - ]] || mis[$label]+="$mi "
			[[ $ma == - ]] || mas[$label]+="$ma "
		done
	done
	for e in "$@"; do
		IFS='|' read -r label img append disk <<< "$e"
		MEDIANS[$label]=$(tr ' ' '\n' <<< "${ups[$label]}" | grep . | median)
		printf '  %-38s time to root %6s s   init %6s ms   MemAvailable at switch_root %7s kB, after boot %7s kB   (runs: %s)\n' \
			"$label" "${MEDIANS[$label]}" \
			"$(tr ' ' '\n' <<< "${mss[$label]:-}" | grep . | median)" \
			"$(tr ' ' '\n' <<< "${mis[$label]:-}" | grep . | median)" \
			"$(tr ' ' '\n' <<< "${mas[$label]:-}" | grep . | median)" "${ups[$label]% }"
	done
}
declare -A MEDIANS=()

# tiny-initramfs (Debian's tiny-initramfs-core): its static init with a flat /modules list, the
# same modules in the order `modprobe --show-depends` gives, as its mktirfs would lay them out.
tiny_image() { # OUT MODULE...
	local out=$1 dir=$work/tirfs deb f b
	shift
	if [[ ! -x $top/.cache/tiny-initramfs/init-static ]]; then
		mkdir -p "$top/.cache/tiny-initramfs"
		(cd "$work" && apt-get download -q tiny-initramfs-core >/dev/null 2>&1) || return 1
		deb=$(ls "$work"/tiny-initramfs-core_*.deb) && dpkg -x "$deb" "$work/tirfs-pkg" &&
			cp "$work"/tirfs-pkg/usr/lib/*/tiny-initramfs/init-static "$top/.cache/tiny-initramfs/" || return 1
	fi
	rm -rf "$dir" && mkdir -p "$dir/dev" "$dir/proc" "$dir/target"
	cp "$top/.cache/tiny-initramfs/init-static" "$dir/init"
	modprobe -d "$root" -S "$kver" --all --ignore-install --quiet --show-depends "$@" |
		awk '$1 == "insmod" { print $2 }' | while read -r f; do
		b=$(basename "$f")
		[[ -e $dir/$b ]] && continue
		cp "$f" "$dir/$b"
		echo "/$b" >> "$dir/modules"
	done
	(cd "$dir" && find . ! -name . | sort | cpio -o -H newc --quiet -R 0:0) | zstd -q -c > "$out"
}

names_under() {
	(cd "$kmoddir" && find "$@" -name '*.ko*' 2>/dev/null) |
		sed -e 's,.*/,,' -e 's/\.ko.*//' -e 's/-/_/g' | sort -u | tr '\n' ' '
}

echo "boot benchmark: kernel $kver, qemu -accel tcg -smp $smp, median of $runs boots"
if [[ ${BENCH_S1:-1} == 1 ]]; then
"$rf" build -q -f --no-backup --sysroot "$work/sys" -k "$kver" --drivers "virtio_pci virtio_blk ext4" "$work/s1.img"
echo "  S1 image: $(stat -c %s "$work/s1.img") bytes compressed, $(zstd -dc "$work/s1.img" | wc -c) bytes uncompressed"
s1=("ramforge S1, root=/dev/vda|$work/s1.img|root=/dev/vda")
if tiny_image "$work/tiny.img" virtio_pci virtio_blk ext4; then
	echo "  tiny-initramfs S1 image: $(stat -c %s "$work/tiny.img") bytes compressed"
	s1+=("tiny-initramfs S1, root=/dev/vda|$work/tiny.img|root=/dev/vda")
else
	echo "  tiny-initramfs: could not fetch tiny-initramfs-core, not measured"
fi
measure "${s1[@]}"
fi

if [[ ${BENCH_S2:-1} == 1 ]]; then
	s2=$(names_under kernel/drivers/ata kernel/drivers/block kernel/drivers/md kernel/drivers/nvme \
		kernel/drivers/scsi kernel/drivers/virtio kernel/drivers/usb/storage kernel/fs)
	"$rf" build -q -f --no-backup --sysroot "$work/sys" -k "$kver" --drivers "$s2" "$work/s2.img"
	echo "  S2 image: $(wc -w <<< "$s2") modules asked for, $(stat -c %s "$work/s2.img") bytes compressed"
	measure "ramforge S2, parallel loading|$work/s2.img|root=UUID=$uuid" \
		"ramforge S2, ramforge.threads=1|$work/s2.img|root=UUID=$uuid ramforge.threads=1"
fi

if [[ ${BENCH_S1:-1} == 1 ]] && command -v dracut >/dev/null; then
	dracut -q -f --no-hostonly --kver "$kver" --kmoddir "$kmoddir" \
		-m "base rootfs-block kernel-modules" --add-drivers "virtio_pci virtio_blk ext4" \
		"$work/dracut.img"
	echo "  dracut S1 image: $(stat -c %s "$work/dracut.img") bytes"
	measure "dracut S1 (base rootfs-block)|$work/dracut.img|root=UUID=$uuid"
elif [[ ${BENCH_S1:-1} == 1 ]]; then
	echo "  dracut: not installed, not measured (apt-get install dracut-core)"
fi

# The number of kernel modules in an image and its size, from `ramforge ls` (which reads
# dracut's layout too).
describe() { # LABEL IMAGE
	printf '  %-34s %9s bytes compressed, %4s modules\n' "$1" "$(stat -c %s "$2")" \
		"$("$rf" ls "$2" | grep -cE '\.ko(\.[a-z]+)?$')"
}

# build_ms ARGS...: the median wall time of RUNS `ramforge build` runs, in ms. A "%n" in an
# argument becomes the run's number (for a fresh cache directory each run).
build_ms() {
	local t0 t1 a args=()
	for ((i = 0; i < runs; i++)); do
		args=()
		for a in "$@"; do args+=("${a//%n/$i}"); done
		t0=$(date +%s%N)
		"$rf" build -q -f --no-backup --sysroot "$work/sys" -k "$kver" "${args[@]}"
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000))
	done | median
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

if [[ ${BENCH_GENERIC:-1} == 1 ]]; then
	mem=1024
	echo "generic images (no driver named), qemu -m $mem:"
	"$rf" build -q -f --no-backup --sysroot "$work/sys" -k "$kver" --cache "$work/cache" "$work/generic.img"
	"$rf" build -q -f --no-backup --sysroot "$work/sys" -k "$kver" --module-compress no "$work/generic-archive.img"
	"$rf" build -q -f --no-backup --sysroot "$work/sys" -k "$kver" --module-compress xz --cache "$work/cache" "$work/generic-xz.img"
	archive_ms=$(build_ms --module-compress no "$work/b.img")
	warm_ms=$(build_ms --cache "$work/cache" "$work/b.img")
	cold_ms=$(build_ms --cache "$work/cold%n" "$work/b.img")
	echo "  ramforge build, median of $runs: modules in the archive (before) $archive_ms ms;" \
		"one by one, warm cache $warm_ms ms ($(ratio "$warm_ms" "$archive_ms")x), cold cache $cold_ms ms ($(ratio "$cold_ms" "$archive_ms")x)"
	describe "ramforge generic (one by one, zstd)" "$work/generic.img"
	describe "ramforge generic (one by one, xz)" "$work/generic-xz.img"
	describe "ramforge generic (in the archive)" "$work/generic-archive.img"
	[[ -f $work/s1.img ]] || "$rf" build -q -f --no-backup --sysroot "$work/sys" -k "$kver" --drivers "virtio_pci virtio_blk ext4" "$work/s1.img"
	gen=("ramforge S1, virtio-blk|$work/s1.img|root=/dev/vda|virtio"
		"ramforge generic, virtio-blk|$work/generic.img|root=UUID=$uuid|virtio"
		"ramforge generic, NVMe|$work/generic.img|root=UUID=$uuid|nvme"
		"ramforge generic xz, virtio-blk|$work/generic-xz.img|root=UUID=$uuid|virtio"
		"ramforge generic in archive, virtio-blk|$work/generic-archive.img|root=UUID=$uuid|virtio"
		"ramforge generic in archive, NVMe|$work/generic-archive.img|root=UUID=$uuid|nvme")
	if command -v dracut >/dev/null; then
		t0=$(date +%s.%N)
		dracut -q -f --no-hostonly --kver "$kver" --kmoddir "$kmoddir" "$work/dracut-generic.img"
		echo "  dracut --no-hostonly took $(echo "$(date +%s.%N) - $t0" | bc) s"
		describe "dracut --no-hostonly" "$work/dracut-generic.img"
		echo "  size: ramforge generic / dracut --no-hostonly = $(ratio "$(stat -c %s "$work/generic.img")" \
			"$(stat -c %s "$work/dracut-generic.img")") (zstd), $(ratio "$(stat -c %s "$work/generic-xz.img")" \
			"$(stat -c %s "$work/dracut-generic.img")") (xz)"
		gen+=("dracut --no-hostonly, virtio-blk|$work/dracut-generic.img|root=UUID=$uuid|virtio"
			"dracut --no-hostonly, NVMe|$work/dracut-generic.img|root=UUID=$uuid|nvme")
	else
		echo "  dracut: not installed, not measured (apt-get install dracut-core)"
	fi
	measure "${gen[@]}"
	s1=${MEDIANS["ramforge S1, virtio-blk"]}
	for l in "ramforge generic, virtio-blk" "ramforge generic, NVMe" "ramforge generic xz, virtio-blk" \
		"ramforge generic in archive, virtio-blk" "ramforge generic in archive, NVMe"; do
		echo "  time to root: $l / S1 = $(ratio "${MEDIANS[$l]}" "$s1")"
	done
fi
