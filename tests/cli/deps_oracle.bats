#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# `ramforge deps` against kmod's modprobe --show-depends (the oracle) on the same tree and
# config, rule by rule, on the gcc-built fake tree and on Debian's cloud kernel tree.
# Deny rules (install X /bin/false, omit) are compared with the oracle for the requests that
# can still load, minus the denied modules and everything that hard-depends on them
# (oracle_minus in helpers.bash).

load helpers

setup() {
	fake_sysroot
}

# --- hard dependencies, names -----------------------------------------------------------

@test "a chain: each module after its dependencies (zstd module in the middle)" {
	exp=$(oracle chain_a)
	rf_deps chain_a
	agree "$exp"
	[[ $out == $'chain_c\nchain_b\nchain_a' ]]
}

@test "a diamond: the shared base once, first" {
	exp=$(oracle dia_top)
	rf_deps dia_top
	agree "$exp"
	[[ $(head -n1 <<< "$out") == dia_base ]]
}

@test "names with '-' and '_' are the same module and printed normalised" {
	exp=$(oracle fake-net dia-right fake-mii)
	rf_deps fake-net dia-right fake-mii
	agree "$exp"
	has_line "$out" '^fake_phy_lib$'
	lacks_line "$out" '-'
}

@test "several names at once, overlapping closures, each module once" {
	exp=$(oracle chain_a dia_top fakefs otherfs chain_c)
	rf_deps chain_a dia_top fakefs otherfs chain_c
	agree "$exp"
}

@test "--drivers takes a space-separated list, like positional names" {
	exp=$(oracle chain_a dia-top)
	rf_deps --drivers "chain_a dia-top"
	agree "$exp"
}

# --- aliases ----------------------------------------------------------------------------

@test "a pci: alias matching two modules includes both" {
	a=pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00
	exp=$(oracle "$a")
	rf_deps "$a"
	agree "$exp"
	has_line "$out" '^fake_virtblk$'
	has_line "$out" '^fake_blk_legacy$'
}

@test "an fs- alias, with softdeps through an alias and on a builtin (xz module)" {
	exp=$(oracle fs-fakefs)
	rf_deps --drivers fs-fakefs
	agree "$exp"
	has_line "$out" '^fakefs$'
	has_line "$out" '^fakehash_fast$'
	has_line "$out" '^fake_builtin$'
}

# --- softdeps ---------------------------------------------------------------------------

@test "softdep pre and post from the tree's modules.softdep" {
	exp=$(oracle soft_user)
	rf_deps soft_user
	agree "$exp"
	has_line "$out" '^soft_pre_dep$'
	has_line "$out" '^soft_post$'
}

@test "softdep post through an alias that matches several modules" {
	exp=$(oracle hash_user)
	rf_deps hash_user
	agree "$exp"
	has_line "$out" '^fakehash_generic$'
	has_line "$out" '^fakehash_fast$'
}

@test "softdep from etc/modprobe.d, written with '-'" {
	modconf soft.conf "softdep chain_c pre: opt-mod post: dia-right fakehash"
	exp=$(oracle chain_a)
	rf_deps chain_a
	agree "$exp"
	has_line "$out" '^opt_mod$'
	has_line "$out" '^dia_right$'
	has_line "$out" '^fakehash_generic$'
}

@test "a softdep post loop terminates with each module once" {
	exp=$(oracle loop_c)
	rf_deps loop_c
	agree "$exp"
}

# --- builtins ---------------------------------------------------------------------------

@test "a builtin by name, by alias and as a softdep target is printed by name" {
	exp=$(oracle fake_builtin fake-builtin-alias uses_builtin)
	rf_deps fake_builtin fake-builtin-alias uses_builtin
	agree "$exp"
	[[ $(grep -c '^fake_builtin$' <<< "$out") -eq 1 ]]
}

# --- blacklist --------------------------------------------------------------------------

@test "a blacklisted hard dependency is still included" {
	modconf bl.conf "blacklist bl_dep"
	exp=$(oracle bl_user)
	rf_deps bl_user
	agree "$exp"
	has_line "$out" '^bl_dep$'
}

@test "an explicit request by a blacklisted module's own name includes it" {
	modconf bl.conf "blacklist bl-dep"
	exp=$(oracle bl_dep)
	rf_deps bl_dep
	agree "$exp"
	[[ $out == bl_dep ]]
}

@test "-a fs-alias of a blacklisted module includes nothing for it" {
	modconf bl.conf "# fakefs stays out" "blacklist fakefs"
	exp=$(oracle fs-fakefs chain_a)
	rf_deps -a fs-fakefs chain_a
	agree "$exp"
	lacks_line "$out" '^fakefs$'
}

@test "an alias matching two modules, one blacklisted, includes the other" {
	modconf bl.conf "blacklist fake_blk_legacy"
	a=pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00
	exp=$(oracle "$a")
	rf_deps "$a"
	agree "$exp"
	has_line "$out" '^fake_virtblk$'
	lacks_line "$out" '^fake_blk_legacy$'
}

@test "a blacklisted softdep target is still included" {
	modconf bl.conf "blacklist soft_pre" "blacklist fakehash_fast"
	exp=$(oracle soft_user fakefs)
	rf_deps soft_user fakefs
	agree "$exp"
	has_line "$out" '^soft_pre$'
}

# --- modules-load.d (automatic requests) ------------------------------------------------

@test "modules-load.d: entries are included, a blacklisted one is not (modprobe -b)" {
	modconf bl.conf "blacklist bl_dep"
	loadconf boot.conf "# comment" "; comment too" "ml_mod" "" "bl_dep"
	exp=$(oracle -b ml_mod bl_dep)
	rf_deps --drivers '' # no generic scan: only what modules-load.d asks for
	agree "$exp"
	has_line "$out" '^ml_mod$'
	lacks_line "$out" '^bl_dep$'
}

@test "modules-load.d plus explicit names: the union" {
	modconf bl.conf "blacklist bl_dep"
	loadconf boot.conf "ml-mod" "bl-dep"
	exp=$({ oracle chain_a; oracle -b ml_mod bl_dep; })
	rf_deps chain_a
	agree "$exp"
	lacks_line "$out" '^bl_dep$'
}

@test "modules-load.d: a name also requested explicitly is included despite the blacklist" {
	modconf bl.conf "blacklist bl_dep"
	loadconf boot.conf "bl_dep"
	exp=$(oracle bl_dep)
	rf_deps bl_dep
	agree "$exp"
	[[ $out == bl_dep ]]
}

@test "modules-load.d: etc hides the same file name in usr/lib" {
	mkdir -p "$S/usr/lib/modules-load.d"
	printf 'opt_mod\n' > "$S/usr/lib/modules-load.d/a.conf"
	printf 'soft_post\n' > "$S/usr/lib/modules-load.d/b.conf"
	loadconf a.conf "ml_mod"
	exp=$(oracle -b ml_mod soft_post)
	rf_deps --drivers '' # no generic scan: only what modules-load.d asks for
	agree "$exp"
	lacks_line "$out" '^opt_mod$'
}

@test "--no-modules-load ignores modules-load.d" {
	loadconf boot.conf "ml_mod"
	exp=$(oracle chain_a)
	rf_deps --no-modules-load chain_a
	agree "$exp"
	lacks_line "$out" '^ml_mod$'
}

# --- ramforge.conf ----------------------------------------------------------------------

@test "config add_drivers and force_drivers are requests (conf.d merged)" {
	rfconf 'add_drivers="chain_a"' 'add_drivers+=" fs-otherfs "'
	mkdir -p "$S/etc/ramforge.conf.d"
	printf 'force_drivers+=" dia-top "\n' > "$S/etc/ramforge.conf.d/10-x.conf"
	exp=$(oracle chain_a fs-otherfs dia_top)
	rf_deps --drivers '' # no generic scan: only what the config asks for
	agree "$exp"
}

@test "config omit_drivers leaves out the module and its hard dependents" {
	rfconf 'omit_drivers="dia_left"'
	exp=$(oracle_minus dia_left dia_top otherfs chain_a)
	rf_deps dia_top otherfs chain_a
	agree "$exp"
	lacks_line "$out" '^dia_left$'
	lacks_line "$out" '^otherfs$'
	lacks_line "$out" '^dia_(base|right)$' # only the left-out modules needed them
}

@test "-o leaves out the module and its hard dependents, with a warning" {
	exp=$(oracle_minus chain_b chain_a dia_top soft_user)
	rf_deps -o chain-b chain_a dia_top soft_user
	agree "$exp"
	lacks_line "$out" '^chain_a$'
	has_line "$err" 'chain_b'
	rf_deps -q -o chain-b chain_a dia_top soft_user
	agree "$exp"
	[[ -z $err ]]
}

# --- install commands -------------------------------------------------------------------

@test "install X /bin/false: X and its hard dependents are out, reported with file:line" {
	modconf deny.conf "# deny" "blacklist deny_dep" "" "install deny_dep /bin/false"
	exp=$(oracle_minus deny_dep deny_top chain_a)
	rf_deps deny_top chain_a
	agree "$exp"
	lacks_line "$out" '^deny_(dep|user|top)$'
	has_line "$out" '^chain_c$'
	has_line "$err" 'etc/modprobe.d/deny.conf:4'
	rf_deps -q deny_top chain_a
	agree "$exp"
	[[ -z $err ]]
}

@test "every no-op install command denies: false, true, /bin/true, /usr/bin/false, /usr/bin/true" {
	for cmd in false true /bin/true /usr/bin/false /usr/bin/true; do
		modconf deny.conf "install deny_user $cmd"
		exp=$(oracle_minus deny_user deny_top dia_top)
		rf_deps deny_top dia_top
		agree "$exp" || fail "with: install deny_user $cmd"
		lacks_line "$out" '^deny_(user|top)$'
	done
}

@test "a denied softdep target is left out, the module that softdeps on it stays" {
	modconf deny.conf "install deny_dep /bin/false"
	exp=$(oracle_minus deny_dep soft_on_denied)
	rf_deps soft_on_denied
	agree "$exp"
	[[ $out == soft_on_denied ]]
}

@test "install /bin/false holds for a module with softdeps, though kmod ignores it there" {
	modconf deny.conf "install soft_user /bin/false"
	exp=$(oracle_minus soft_user soft_user chain_a)
	rf_deps soft_user chain_a
	agree "$exp"
	lacks_line "$out" '^soft_user$'
	has_line "$err" 'soft_user'
}

@test "another install command: the module is included, with a warning" {
	modconf inst.conf "install opt_mod /sbin/modprobe --ignore-install opt_mod; echo hi"
	exp=$(oracle opt_mod chain_a)
	rf_deps opt_mod chain_a
	agree "$exp"
	has_line "$out" '^opt_mod$'
	has_line "$err" 'opt_mod'
}

@test "options lines do not change the set" {
	modconf opt.conf "options opt_mod foo=1 bar=two" "options opt-mod baz=3"
	exp=$(oracle opt_mod)
	rf_deps opt_mod
	agree "$exp"
}

# --- --explain --------------------------------------------------------------------------

@test "--explain: path and reason of each included module, rule and place of each exclusion" {
	modconf deny.conf "blacklist deny_dep" "install deny_dep /bin/false"
	rf_deps --explain chain_a fs-fakefs deny_top
	[[ $status -eq 0 ]] || fail "$err"
	has_line "$out" '^chain_a kernel/drivers/fake/chain_a\.ko requested signer=.*$'
	has_line "$out" '^chain_b kernel/drivers/fake/chain_b\.ko\.zst dependency of chain_a signer=.*$'
	has_line "$out" '^fakefs kernel/fs/fakefs/fakefs\.ko\.xz alias fs-fakefs signer=.*$'
	has_line "$out" '^fakehash_generic kernel/crypto/fakehash_generic\.ko .*softdep pre of fakefs'
	has_line "$out" '^deny_dep (- )?(excluded|left out): etc/modprobe\.d/deny\.conf:2: install deny_dep /bin/false$'
	has_line "$out" '^deny_top (- )?(excluded|left out): .*deny_dep.*deny\.conf:2'
	lacks_line "$out" '^deny_(dep|user|top) kernel/'
}

@test "--explain: builtins, config and modules-load.d origins, -o and blacklist exclusions" {
	modconf bl.conf "blacklist bl_dep"
	loadconf boot.conf "# x" "ml_mod" "bl_dep"
	rfconf 'add_drivers="fs-otherfs"'
	rf_deps --explain -o chain-b chain_a uses_builtin
	[[ $status -eq 0 ]] || fail "$err"
	has_line "$out" '^fake_builtin .*softdep pre of uses_builtin$'
	lacks_line "$out" '^fake_builtin kernel/'
	has_line "$out" '^otherfs kernel/fs/otherfs/otherfs\.ko alias fs-otherfs.*etc/ramforge\.conf:1'
	has_line "$out" '^ml_mod kernel/drivers/fake/ml_mod\.ko .*modules-load\.d/boot\.conf:2'
	has_line "$out" '^chain_b (- )?(excluded|left out): .*-o'
	has_line "$out" '^chain_a (- )?(excluded|left out): .*chain_b'
	has_line "$out" '^bl_dep (- )?(excluded|left out): etc/modprobe\.d/bl\.conf:1: blacklist bl_dep'
	lacks_line "$out" '^(chain_a|chain_b|bl_dep) kernel/'
}

# --- Debian's cloud kernel --------------------------------------------------------------

cloud_names=(ext4 virtio_blk virtio_scsi xfs btrfs nvme sd_mod virtio_net crc32c)

@test "cloud kernel: a realistic set agrees with modprobe" {
	cloud_sysroot
	exp=$(oracle "${cloud_names[@]}" fs-xfs)
	rf_deps "${cloud_names[@]}" -a fs-xfs
	agree "$exp"
	has_line "$out" '^ext4$' # built into this kernel: printed by name
	has_line "$out" '^libcrc32c$'
	has_line "$out" '^crc32c_intel$'
}

@test "cloud kernel: btrfs's softdeps from modules.softdep (aliases) are followed" {
	cloud_sysroot
	exp=$(oracle btrfs)
	rf_deps btrfs
	agree "$exp"
	has_line "$out" '^blake2b_generic$' # softdep pre: blake2b-256, an alias
	has_line "$out" '^crc32c_intel$'    # libcrc32c's softdep pre: crc32c, an alias
}

@test "cloud kernel: blacklist stops an alias and automatic requests, not dependencies" {
	cloud_sysroot
	modconf bl.conf "blacklist xfs" "blacklist libcrc32c" "blacklist virtio_net"
	loadconf net.conf "virtio_net" "vsock"
	names=(ext4 virtio_blk virtio_scsi xfs btrfs nvme sd_mod crc32c)
	exp=$({ oracle "${names[@]}" fs-xfs; oracle -b virtio_net vsock; })
	rf_deps "${names[@]}" -a fs-xfs
	agree "$exp"
	has_line "$out" '^libcrc32c$'
	has_line "$out" '^xfs$' # explicitly requested by name
	lacks_line "$out" '^virtio_net$'
	has_line "$out" '^vsock$'
}

@test "cloud kernel: -a fs-xfs with blacklist xfs includes no xfs" {
	cloud_sysroot
	modconf bl.conf "blacklist xfs"
	exp=$(oracle fs-xfs ext4)
	rf_deps --drivers "fs-xfs ext4"
	agree "$exp"
	lacks_line "$out" '^xfs$'
}

@test "cloud kernel: install libcrc32c /bin/false takes xfs and btrfs with it" {
	cloud_sysroot
	modconf deny.conf "install libcrc32c /bin/false"
	exp=$(oracle_minus libcrc32c "${cloud_names[@]}")
	rf_deps "${cloud_names[@]}"
	agree "$exp"
	lacks_line "$out" '^(libcrc32c|xfs|btrfs)$'
	has_line "$out" '^ext4$'
	has_line "$err" 'deny\.conf:1'
}
