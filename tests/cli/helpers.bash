# SPDX-License-Identifier: MIT
# Shared helpers for the CLI tests: per-test sysroots over the fixture trees, a runner that
# keeps stdout and stderr apart, and kmod's modprobe as the oracle for `ramforge deps`.
# Fixture variables (RF_FAKE_ROOT, RF_CLOUD_ROOT, ...) come from tests/fixtures/prepare.

# Fail with a message (bats shows stderr of a failing test).
fail() {
	printf '%s\n' "$@" >&2
	return 1
}

need_fixture() { # VAR...
	local v
	for v in "$@"; do
		[[ -n ${!v:-} ]] || fail "$v is not set: run the tests through 'make check' (tests/fixtures/prepare)"
	done
	[[ -x ${RAMFORGE:-} ]] || fail "RAMFORGE (the binary under test) is not set or not executable: '${RAMFORGE:-}'"
}

# make_sysroot ROOT KVER: a fresh sysroot S (etc/modprobe.d, etc/modules-load.d) whose
# lib/modules/KVER links to ROOT's tree; sets S and K. Call again to add another tree.
make_sysroot() {
	S=$BATS_TEST_TMPDIR/sysroot
	K=$2
	mkdir -p "$S/etc/modprobe.d" "$S/etc/modules-load.d" "$S/lib/modules"
	ln -sfn "$1/lib/modules/$2" "$S/lib/modules/$2"
}

fake_sysroot() {
	need_fixture RF_FAKE_ROOT RF_FAKE_KVER
	make_sysroot "$RF_FAKE_ROOT" "$RF_FAKE_KVER"
}

cloud_sysroot() {
	need_fixture RF_CLOUD_ROOT RF_CLOUD_KVER
	make_sysroot "$RF_CLOUD_ROOT" "$RF_CLOUD_KVER"
}

# modconf FILE LINE...: write S/etc/modprobe.d/FILE, one argument a line.
modconf() {
	local f=$S/etc/modprobe.d/$1
	shift
	printf '%s\n' "$@" > "$f"
}

# loadconf FILE LINE...: write S/etc/modules-load.d/FILE.
loadconf() {
	local f=$S/etc/modules-load.d/$1
	shift
	printf '%s\n' "$@" > "$f"
}

# rfconf TEXT: write S/etc/ramforge.conf.
rfconf() {
	printf '%s\n' "$@" > "$S/etc/ramforge.conf"
}

# rf ARGS...: run the binary under test; sets status, out (stdout) and err (stderr).
# A hang (longer than RF_TIMEOUT seconds, default 60) or a crash fails the test.
rf() {
	local limit=${RF_TIMEOUT:-60}
	status=0
	timeout "$limit" "$RAMFORGE" "$@" > "$BATS_TEST_TMPDIR/stdout" 2> "$BATS_TEST_TMPDIR/stderr" ||
		status=$?
	out=$(cat "$BATS_TEST_TMPDIR/stdout")
	err=$(cat "$BATS_TEST_TMPDIR/stderr")
	if ((status == 124)); then
		fail "ramforge did not finish within $limit s: $*"
	elif ((status > 128)); then
		fail "ramforge died with signal $((status - 128)): $*" "$err"
	fi
	return 0
}

# rf_deps ARGS...: `ramforge deps --sysroot S --kver K ARGS`.
rf_deps() {
	rf deps --sysroot "$S" --kver "$K" "$@"
}

# kmod name normalisation ('-' -> '_') of module names on stdin, one a line.
norm() {
	tr - _
}

# The config modprobe sees: S/etc/modprobe.d, with every `install NAME CMD` rewritten to a
# command that names its module, so that the oracle can tell which module it stands for
# (modprobe prints only "install CMD").
oracle_confdir() {
	local d=$BATS_TEST_TMPDIR/oracle.d f
	rm -rf "$d"
	mkdir -p "$d"
	for f in "$S/etc/modprobe.d"/*; do
		[[ -e $f ]] || continue
		sed -E 's/^([[:space:]]*install[[:space:]]+)([^[:space:]]+).*$/\1\2 :rf-oracle:\2/' \
			"$f" > "$d/$(basename "$f")"
	done
	echo "$d"
}

# oracle [-b] NAME...: the module names `modprobe -a --show-depends [-b]` resolves on S and K
# with S/etc/modprobe.d, kmod-normalised, in its order, first occurrence kept.
oracle() {
	local conf raw rc=0
	conf=$(oracle_confdir)
	raw=$(modprobe --dirname "$S" --set-version "$K" --config "$conf" -a --show-depends "$@" \
		2> "$BATS_TEST_TMPDIR/oracle.err") || rc=$?
	if ((rc != 0)); then
		fail "oracle: modprobe failed ($rc) for: $*" "$(cat "$BATS_TEST_TMPDIR/oracle.err")"
		return 1
	fi
	printf '%s\n' "$raw" | awk '
		$1 == "insmod" { n = $2; sub(/.*\//, "", n); sub(/\.ko.*$/, "", n); print n; next }
		$1 == "builtin" { print $2; next }
		$1 == "install" && $2 ~ /^:rf-oracle:/ { n = $2; sub(/^:rf-oracle:/, "", n); print n; next }
		NF { print "UNPARSED: " $0 }' | norm | awk '!seen[$0]++'
}

# hard_deps: "NAME DEP..." for every module of S/lib/modules/K/modules.dep (normalised).
hard_deps() {
	awk '{
		for (i = 1; i <= NF; i++) {
			n = $i; sub(/:$/, "", n); sub(/.*\//, "", n); sub(/\.ko.*$/, "", n)
			gsub(/-/, "_", n); printf "%s%s", (i > 1 ? " " : ""), n
		}
		print ""
	}' "$S/lib/modules/$K/modules.dep"
}

# excluded_set "DENIED...": the denied modules and every module that hard-depends on one of
# them (modules.dep lists dependencies transitively), one a line.
excluded_set() {
	local denied
	# shellcheck disable=SC2086 # a list of words
	denied=$(printf '%s\n' $1 | norm | tr '\n' ' ')
	hard_deps | awk -v denied="$denied" '
		BEGIN { n = split(denied, d, " "); for (i = 1; i <= n; i++) bad[d[i]] = 1 }
		{ for (i = 2; i <= NF; i++) if ($i in bad) bad[$1] = 1 }
		END { for (m in bad) print m }' | sort
}

# oracle_minus "DENIED..." [-b] NAME...: what modprobe loads for the requests that can still
# load, without what cannot (ramforge's deny rules: install X /bin/false, omit). A request
# whose modules are all excluded (denied, or hard-depending on a denied one) is dropped
# before asking modprobe, so dependencies only it needed are not expected either; then
# every excluded module is taken out of modprobe's answer.
oracle_minus() {
	local excl=$BATS_TEST_TMPDIR/excluded n res keep=() flag=()
	excluded_set "$1" > "$excl"
	shift
	if [[ ${1:-} == -b ]]; then
		flag=(-b)
		shift
	fi
	for n in "$@"; do
		res=$(resolve "$n")
		if [[ -n $res ]] && [[ -z $(printf '%s\n' "$res" | grep -vxF -f "$excl") ]]; then
			continue
		fi
		keep+=("$n")
	done
	((${#keep[@]} > 0)) || return 0
	oracle "${flag[@]}" "${keep[@]}" > "$BATS_TEST_TMPDIR/oracle.full" || return 1
	grep -vxF -f "$excl" "$BATS_TEST_TMPDIR/oracle.full" || true
}

# pre_softdeps: "NAME TARGET..." from the tree's modules.softdep and S/etc/modprobe.d.
# kmod reads modules.softdep among the modprobe.d files in file-name order, and for each module
# uses only the first softdep line that names it.
pre_softdeps() {
	local f
	for f in "$S/lib/modules/$K/modules.softdep" "$S/etc/modprobe.d"/*.conf; do
		[[ -e $f ]] && printf '%s\t%s\n' "${f##*/}" "$f"
	done | LC_ALL=C sort | cut -f2 | while read -r f; do cat "$f"; done | awk '
		$1 == "softdep" {
			name = $2; gsub(/-/, "_", name)
			if (name in seen) next
			seen[name] = 1; line = name; pre = 0
			for (i = 3; i <= NF; i++) {
				if ($i == "pre:") { pre = 1; continue }
				if ($i == "post:") { pre = 0; continue }
				if (pre) line = line " " $i
			}
			if (line != name) print line
		}'
}

# resolve TARGET: the modules a softdep target (a name or an alias) stands for.
resolve() {
	local conf
	conf=$(oracle_confdir)
	modprobe --dirname "$S" --set-version "$K" --config "$conf" -R "$1" 2> /dev/null | norm
}

# load_order_ok LIST: every module comes after all of its hard dependencies (which must be
# in the list) and after its pre-softdeps that are in the list; no module twice.
load_order_ok() {
	local list=$1 dup name t m
	dup=$(printf '%s\n' "$list" | sort | uniq -d)
	[[ -z $dup ]] || fail "listed twice: $dup"
	declare -A pos=()
	local i=0
	while read -r name; do
		[[ -n $name ]] && pos[$name]=$((i++))
	done <<< "$list"
	while read -r name rest; do
		[[ -n ${pos[$name]:-} ]] || continue
		for t in $rest; do
			[[ -n ${pos[$t]:-} ]] || fail "$name is listed but its hard dependency $t is not" "$list" || return 1
			((pos[$t] < pos[$name])) || fail "$name is listed before its dependency $t" "$list" || return 1
		done
	done < <(hard_deps)
	while read -r name rest; do
		[[ -n ${pos[$name]:-} ]] || continue
		for t in $rest; do
			for m in $(resolve "$t"); do
				[[ -n ${pos[$m]:-} ]] || continue
				((pos[$m] < pos[$name])) || fail "$name is listed before its pre-softdep $m" "$list" || return 1
			done
		done
	done < <(pre_softdeps)
}

# agree EXPECTED: the last `rf` succeeded and printed exactly the modules of EXPECTED (any
# valid load order; duplicates in EXPECTED ignored).
agree() {
	local exp got
	[[ $status -eq 0 ]] || fail "ramforge exited $status" "$err" || return 1
	exp=$(printf '%s\n' "$1" | sed '/^$/d' | sort -u)
	got=$(printf '%s\n' "$out" | sed '/^$/d' | sort)
	if [[ $exp != "$got" ]]; then
		fail "ramforge and modprobe disagree (< modprobe, > ramforge):" \
			"$(diff <(echo "$exp") <(echo "$got"))" "--- ramforge stdout:" "$out" \
			"--- ramforge stderr:" "$err"
		return 1
	fi
	load_order_ok "$out"
}

# has_line TEXT REGEX: some line of TEXT matches the extended REGEX.
has_line() {
	printf '%s\n' "$1" | grep -qE -- "$2" || fail "no line matching /$2/ in:" "$1"
}

lacks_line() {
	! printf '%s\n' "$1" | grep -qE -- "$2" || fail "unexpected line matching /$2/ in:" "$1"
}

# expect_error REGEX: the last `rf` failed with exactly one stderr line, starting
# "ramforge: error:" and matching the extended REGEX, and printed nothing on stdout.
expect_error() {
	((status != 0)) || fail "expected a failure, got exit 0" "stdout: $out" "stderr: $err" || return 1
	[[ -z $out ]] || fail "expected nothing on stdout, got:" "$out" || return 1
	[[ $(printf '%s\n' "$err" | wc -l) -eq 1 ]] || fail "expected one line on stderr, got:" "$err" || return 1
	[[ $err == "ramforge: error: "* ]] || fail "stderr does not start with 'ramforge: error: ':" "$err" || return 1
	printf '%s\n' "$err" | grep -qE -- "$1" || fail "stderr does not match /$1/:" "$err"
}

# re_escape TEXT: TEXT as an extended regex that matches it literally.
re_escape() {
	printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'
}

# The out-of-tree modules and key pairs (tests/fixtures/mkoot): RF_OOT_DIR, RF_KBUILD,
# RF_SIGN_KEY[2], RF_SIGN_CERT[2]. Skips, saying why, when prepare could not make them (no
# network for the kbuild packages); fails when the tests were not run through make check.
need_oot() {
	if [[ -z ${RF_OOT_DIR:-} && -n ${RF_OOT_SKIP:-} ]]; then
		skip "$RF_OOT_SKIP"
	fi
	need_fixture RF_OOT_DIR RF_OOT_KVER RF_KBUILD RF_SIGN_KEY RF_SIGN_CERT RF_SIGN_KEY2 RF_SIGN_CERT2
}

# sig_len FILE: the PKCS#7 length in a signed module's trailer (big-endian, before the magic).
sig_len() {
	local n
	n=$(stat -c %s "$1")
	od -An -tu1 -j $((n - 32)) -N4 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }'
}

# split_signed FILE DIR: DIR/content (the bytes the signature covers) and DIR/sig.der.
split_signed() {
	local n l
	n=$(stat -c %s "$1")
	l=$(sig_len "$1")
	head -c $((n - 40 - l)) "$1" > "$2/content"
	tail -c $((l + 40)) "$1" | head -c "$l" > "$2/sig.der"
}

# mount_tmpfs DIR SIZE: a tmpfs the test owns (umount_tmpfs in teardown), or skip with the reason.
MOUNTS=()
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" 2> "$BATS_TEST_TMPDIR/mount.err" ||
		skip "cannot mount a tmpfs here ($(cat "$BATS_TEST_TMPDIR/mount.err")): run as root where mount is permitted"
	MOUNTS+=("$1")
}

umount_tmpfs() {
	local m
	for m in "${MOUNTS[@]}"; do
		umount "$m" 2> /dev/null || umount -l "$m" 2> /dev/null || true
	done
	MOUNTS=()
}
