#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark `ramforge status` on the generic image of Debian's full kernel tree (warm cache:
# every file the record names is digested again), median of RUNS (default 5), beside
# sha256sum(1) of the image's module files in the same run, for scale. And `build --regenerate-all`
# over a sysroot with three kernels (links to the same tree under three versions) at
# --parallel 1 against --parallel 2 (each build compresses with a thread per CPU already, and
# holds the lock of /boot while it writes).
# Usage: bench/status.sh [RAMFORGE]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rf=${1:-$top/${BUILD:-build}/ramforge}
read -r root kver < <("$top/tests/fixtures/fetch-kernel" full)
kmoddir=$root/lib/modules/$kver
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=${RUNS:-5}
mkdir -p "$work/sys/etc/modprobe.d" "$work/sys/boot"

median_ms() { # command... -> the median wall time of RUNS runs in ms (one warm-up first)
	local t=() i s e
	"$@" > /dev/null 2>&1 || true
	for ((i = 0; i < runs; i++)); do
		s=$(date +%s%N)
		"$@" > /dev/null 2>&1 || true
		e=$(date +%s%N)
		t+=($(((e - s) / 1000)))
	done
	printf '%s\n' "${t[@]}" | sort -n | awk '{ v[NR] = $1 } END { m = v[int((NR + 1) / 2)]; printf "%.1f", m / 1000 }'
}

sel=(--sysroot "$work/sys" -k "$kver" --kmoddir "$kmoddir")
"$rf" build -q -f "${sel[@]}" "$work/gen.img"
"$rf" status "${sel[@]}" "$work/gen.img" > /dev/null || { echo "status: not up to date after a build" >&2; exit 1; }
files=$("$rf" ls "$work/gen.img" | grep -c ' lib/modules/.*\.ko' || true)
rec=$("$rf" status -v "${sel[@]}" "$work/gen.img" 2>&1 > /dev/null | tail -n 1)
echo "== status of the generic image ($(stat -c %s "$work/gen.img") B, $files modules): $rec"
list=$work/files
"$rf" deps -q --explain "${sel[@]}" | awk '$2 != "-" && $2 != "(builtin)" { print $2 }' |
	sed "s,^,$kmoddir/," > "$list"
echo "ramforge status:      $(median_ms "$rf" status "${sel[@]}" "$work/gen.img") ms (median of $runs)"
echo "sha256sum of modules: $(median_ms sh -c "xargs sha256sum < '$list'") ms ($(wc -l < "$list") module files)"

for k in a b c; do
	ln -s "$kmoddir" "$work/sys/lib/modules/$kver-$k" 2> /dev/null ||
		{ mkdir -p "$work/sys/lib/modules"; ln -s "$kmoddir" "$work/sys/lib/modules/$kver-$k"; }
	: > "$work/sys/boot/vmlinuz-$kver-$k"
done
for p in 1 2; do
	echo "regenerate-all, 3 kernels, --parallel $p: $(median_ms "$rf" build -q -f --no-backup \
		--regenerate-all --parallel "$p" --sysroot "$work/sys") ms (median of $runs)"
done
