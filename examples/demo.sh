#!/bin/bash
# SPDX-License-Identifier: MIT
# The ramforge demo (`make demo`): on a fresh Debian 12 machine, as root, install what is
# needed, fetch Debian's cloud kernel package, build ramforge, build an initramfs for that
# kernel and boot it in QEMU (software emulation, no KVM needed) to a real ext4 root
# filesystem, showing each step and the time to reach the root.
# Usage: examples/demo.sh      (BUILD=dir chooses the build directory; default build)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
BUILD=${BUILD:-build}
packages=(build-essential pkg-config musl-tools libkmod-dev libarchive-dev libbz2-dev
	libzstd-dev liblzma-dev liblz4-dev zlib1g-dev libelf-dev libblkid-dev kmod cpio zstd
	busybox-static e2fsprogs qemu-system-x86 file)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
show() { printf '    $ %s\n' "$*"; "$@"; }
die() { echo "demo: error: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (it installs packages with apt-get)"

step "1. Installing the packages ramforge and the demo need (apt-get)"
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	export DEBIAN_FRONTEND=noninteractive
	show apt-get update -qq
	show apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
	echo "    all ${#packages[@]} packages are already installed"
fi

step "2. Fetching Debian's cloud kernel package (apt-get download, dpkg -x; cached in .cache/)"
read -r kroot kver < <(tests/fixtures/fetch-kernel cloud)
echo "    kernel $kver unpacked in $kroot"

step "3. Building ramforge and its static init"
show make -s BUILD="$BUILD" all
rf=$top/$BUILD/ramforge
echo "    ramforge-init: $(stat -c %s "$BUILD/ramforge-init") bytes, $(file -b "$BUILD/ramforge-init" | cut -d, -f1-2,4)"

work=$(mktemp -d /tmp/ramforge-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sysroot/etc/modprobe.d" "$work/sysroot/lib/modules"
ln -s "$kroot/lib/modules/$kver" "$work/sysroot/lib/modules/$kver"

step "4. Building an initramfs for $kver: the modules to reach a virtio disk with ext4"
show "$rf" build -v --sysroot "$work/sysroot" -k "$kver" --drivers "virtio_pci virtio_blk ext4" \
	"$work/initramfs.img"
echo "    image: $(stat -c %s "$work/initramfs.img") bytes compressed"
show "$rf" ls "$work/initramfs.img"

step "5. Making a root disk: ext4 from a directory (mke2fs -d) with busybox and a /sbin/init"
uuid=$(tests/fixtures/mkrootdisk "$work/root.img")
echo "    $work/root.img, ext4, UUID=$uuid"

step "6. Booting it in QEMU (TCG software emulation): kernel -> ramforge-init -> the root's init"
append="console=ttyS0 root=UUID=$uuid"
echo "    qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot -kernel vmlinuz-$kver"
echo "        -initrd initramfs.img -append '$append' -drive file=root.img,if=virtio"
timeout 180 qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot \
	-kernel "$kroot/boot/vmlinuz-$kver" -initrd "$work/initramfs.img" -append "$append" \
	-drive "file=$work/root.img,if=virtio,format=raw" 2>&1 | tr -d '\r' |
	tee "$work/console.log" | grep -E --line-buffered 'ramforge-init|RAMFORGE|RF-MODULES|RF-ROOT|Run /init|Linux version' || true

step "7. What happened"
up=$(sed -n 's/^RAMFORGE-ROOT-REACHED uptime=//p' "$work/console.log")
[[ -n $up ]] || die "the guest did not reach its root filesystem (console log above)"
init_ms=$(sed -n 's/.*ramforge-init: mounted .* init took \([0-9]*\) ms.*/\1/p' "$work/console.log" | head -n1)
echo "    The guest reached the root filesystem's /sbin/init at ${up} s after the kernel started;"
echo "    ramforge-init itself took ${init_ms:-?} ms (modules loaded, root found by UUID, mounted, switched)."
echo "    Modules the guest had loaded: $(sed -n 's/^RF-MODULES: //p' "$work/console.log")"
