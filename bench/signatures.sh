#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark the signature check: `ramforge build` of the generic image of Debian's full kernel
# with the policy on (--require-signed: every module's signature judged, in-tree by the tree's
# key) against the same build with it off (--require-signed=no and no kernel config in the
# sysroot: nothing is checked), in the same run, median of RUNS (default 5) each. The check
# must cost under 10% of the build: its own stage time (-v) is the measure, the wall times
# of the two builds are shown beside it. (Reading each module's signature is the per-module
# reader's work, done in both.) Usage: bench/signatures.sh [RAMFORGE]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rf=${1:-$top/${BUILD:-build}/ramforge}
read -r root kver < <("$top/tests/fixtures/fetch-kernel" full)
kmoddir=$root/lib/modules/$kver
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sys/etc/modprobe.d"
runs=${RUNS:-5}

# one build: its wall time in seconds, and (-v) the check's own time in ms on stderr's
# "signatures: ... in N ms" line
one() { # policy
	local t0 t1 line
	t0=$(date +%s%N)
	line=$("$rf" build -v -f --no-backup --sysroot "$work/sys" -k "$kver" --kmoddir "$kmoddir" \
		--require-signed="$1" "$work/rf.img" 2>&1 >/dev/null | grep -E '^ramforge: signatures: ' || true)
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000000 )) $(sed -nE 's/.* in ([0-9.]+) ms$/\1/p' <<< "$line")"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "tree: $kmoddir ($(find "$kmoddir" -name '*.ko*' | wc -l) modules)"
echo "generic image: $("$rf" deps -q --sysroot "$work/sys" -k "$kver" --kmoddir "$kmoddir" | wc -l) modules"
one yes > /dev/null # warm the page cache
# on and off in turn, so that a change of the machine's load hits both alike
for ((i = 0; i < runs; i++)); do
	one yes >> "$work/on"
	one no >> "$work/off"
done
on=$(cut -d' ' -f1 "$work/on" | median)
off=$(cut -d' ' -f1 "$work/off" | median)
check=$(cut -d' ' -f2 "$work/on" | median)
echo "policy on (ms):  $(cut -d' ' -f1 "$work/on" | tr '\n' ' ')"
echo "policy off (ms): $(cut -d' ' -f1 "$work/off" | tr '\n' ' ')"
awk -v on="$on" -v off="$off" -v check="$check" 'BEGIN {
	pct = (on - off) / off * 100
	printf "median of %d: policy on %d ms, off %d ms (difference %+.1f%%, within the machine'"'"'s noise when the stage is small)\n", '"$runs"', on, off, pct
	printf "the check stage itself (policy, certificates, every module judged): %s ms, %.2f%% of the build (limit 10%%): %s\n",
		check, check / on * 100, check / on * 100 < 10 ? "ok" : "OVER"
}'
