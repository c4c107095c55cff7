#!/bin/bash
# SPDX-License-Identifier: MIT
# Walkthrough: put a module on the denylist and regenerate the image so the change holds from
# the first second of boot. Runs on Debian's cloud kernel in a scratch sysroot (nothing on this
# machine is changed). Usage: examples/denylist.sh [RAMFORGE]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rf=${1:-$top/${BUILD:-build}/ramforge}
read -r root kver < <("$top/tests/fixtures/fetch-kernel" cloud)
sys=$(mktemp -d)
trap 'rm -rf "$sys"' EXIT
mkdir -p "$sys/etc/modprobe.d" "$sys/boot"
ln -s "$root/lib" "$sys/lib"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

run "$rf" deps --sysroot "$sys" -k "$kver" --explain virtio_blk xfs
run "$rf" build --sysroot "$sys" -k "$kver" --drivers "virtio_blk xfs"

say "cat > etc/modprobe.d/no-xfs.conf   # the administrator's change"
printf 'blacklist xfs\ninstall xfs /bin/false\n' | tee "$sys/etc/modprobe.d/no-xfs.conf"

run "$rf" deps --sysroot "$sys" -k "$kver" --explain virtio_blk xfs
run "$rf" build -f --sysroot "$sys" -k "$kver" --drivers "virtio_blk xfs"
run ls "$sys/boot"
say "$rf ls --modules $sys/boot/initramfs-$kver.img"
"$rf" ls --modules "$sys/boot/initramfs-$kver.img"
echo
echo "xfs, and libcrc32c which only xfs needed, are gone from the new image; the old image is kept"
echo "as a backup, and the new one carries etc/modprobe.d/no-xfs.conf so the rule holds at boot too."
