#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark `ramforge build` on Debian's full kernel tree for three module sets, each against
# its limit measured in the same run: `cpio -o -H newc` of the same files piped into
# `zstd -T0` at the same level. Where dracut is installed, dracut too (S1, S2), given the same
# module list with --drivers (with --add-drivers it would add its whole generic set).
#   S1 = virtio_pci virtio_blk ext4
#   S2 = every module under kernel/drivers/{ata,block,md,nvme,scsi,virtio,usb/storage} and kernel/fs
#   S3 = every module in the tree
# Usage: bench/build.sh [RAMFORGE]     Needs hyperfine, cpio, zstd.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rf=${1:-$top/${BUILD:-build}/ramforge}
read -r root kver < <("$top/tests/fixtures/fetch-kernel" full)
kmoddir=$root/lib/modules/$kver
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sys/etc/modprobe.d"
runs=${RUNS:-5}

names_under() { # dirs... -> module names
	(cd "$kmoddir" && find "$@" -name '*.ko*' 2>/dev/null) |
		sed -e 's,.*/,,' -e 's/\.ko.*//' -e 's/-/_/g' | sort -u | tr '\n' ' '
}
s1="virtio_pci virtio_blk ext4"
s2=$(names_under kernel/drivers/ata kernel/drivers/block kernel/drivers/md kernel/drivers/nvme \
	kernel/drivers/scsi kernel/drivers/virtio kernel/drivers/usb/storage kernel/fs)
s3=$(names_under kernel)

rf_cmd() { # set level -> command line
	echo "$rf build -q -f --no-backup --sysroot $work/sys -k $kver --kmoddir $kmoddir --drivers \"$1\" $work/rf.img"
}

bench_set() { # label names
	local label=$1 names=$2 level=${3:-}
	local lvl_conf=""
	[[ -n $level ]] && { echo "compress_level=\"$level\"" > "$work/sys/etc/ramforge.conf"; lvl_conf=" (level $level)"; } ||
		rm -f "$work/sys/etc/ramforge.conf"
	local paths=$work/$label.paths
	"$rf" deps -q --explain --sysroot "$work/sys" -k "$kver" --kmoddir "$kmoddir" $names |
		awk '$2 != "-" && $2 != "(builtin)" { print $2 }' > "$paths"
	local zl=${level:-3}
	rm -f "$work/dracut.img"
	echo "== $label$lvl_conf: $(wc -l < "$paths") module files, $(cd "$kmoddir" && xargs stat -c %s < "$paths" | awk '{ s += $1 } END { print s }') bytes"
	local cmds=(-n "ramforge" "$(rf_cmd "$names")"
		-n "cpio|zstd -$zl" "cd $kmoddir && cpio --quiet -o -H newc < $paths | zstd -q -T0 -$zl > $work/limit.img")
	if [[ -n ${DRACUT:-} && $label != S3 ]]; then
		cmds+=(-n dracut "dracut -q -f --no-hostonly --no-early-microcode --kver $kver --kmoddir $kmoddir --zstd -m 'kernel-modules base' --drivers \"$names\" $work/dracut.img")
	fi
	hyperfine --style basic --runs "$runs" --warmup 1 -S bash "${cmds[@]}" 2>&1 |
		grep -E 'Time|±|faster|Benchmark'
	echo "sizes: ramforge $(stat -c %s "$work/rf.img") B, limit $(stat -c %s "$work/limit.img") B" \
		"${DRACUT:+, dracut $(stat -c %s "$work/dracut.img" 2>/dev/null || echo -) B}"
}

command -v dracut >/dev/null && DRACUT=1 || echo "(dracut not installed: apt-get install dracut-core to compare)"
echo "tree: $kmoddir ($(find "$kmoddir" -name '*.ko*' | wc -l) modules)"
bench_set S1 "$s1"
bench_set S2 "$s2"
bench_set S2 "$s2" 15
bench_set S3 "$s3"
