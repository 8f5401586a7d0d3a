#!/usr/bin/env bash
# Check that modules link against a given kernel: every undefined symbol of
# each module must be exported by that kernel (its Module.symvers), and the
# Rust crate hashes the modules refer to (the `Cs<hash>_6kernel` part of v0
# mangled names) must be the kernel's own.
#
#   check-symvers.sh MODULE.SYMVERS MODULE.ko...
#   check-symvers.sh          the selected kernel's (scripts/lib/kernel.sh:
#                             KERNEL, KDIR): every module built for it (this
#                             checkout's, the kernel's C samples and selftest
#                             modules) against its Module.symvers (KSYMVERS:
#                             for KERNEL=debian, the headers package's)
#
# Prints one line per module and a summary of the Rust crates referenced;
# exits 1 if a module needs a symbol the kernel does not export, or refers to
# a Rust crate under a hash the kernel does not have. Not counted: the
# weak `.klp.sym.*` references of a livepatch not yet converted (the
# livepatch core resolves them at load time), and symbols another module of
# the list exports.
set -euo pipefail
export LC_ALL=C

if [ $# = 0 ]; then
	here=$(cd "$(dirname "$0")" && pwd)
	. "$here/lib/common.sh"
	kernel_select dir
	mods=$(kernel_modules_dir)
	shopt -s nullglob
	set -- "$KSYMVERS" "$mods"/{samples,samples/test_modules,tests/modules,bench/modules}/*.ko \
		"$KC_SAMPLES"/*.ko ${KC_TEST_MODULES:+"$KC_TEST_MODULES"/*.ko}
	shopt -u nullglob
	[ $# -gt 1 ] || die "no module built for KERNEL=$KERNEL_NAME in $mods: run make"
	log "the modules built for $KERNEL_NAME ($(($# - 1))) against $KSYMVERS"
fi

[ $# -ge 2 ] || { echo "usage: check-symvers.sh MODULE.SYMVERS MODULE.ko..." >&2; exit 2; }
symvers=$1
shift
[ -f "$symvers" ] || { echo "check-symvers: no $symvers" >&2; exit 2; }
command -v nm >/dev/null || { echo "check-symvers: nm (binutils) missing" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# name -> providing module (vmlinux or a module path)
awk -F'\t' '{print $2 "\t" $3}' "$symvers" | sort -u -k1,1 >"$tmp/exports"
# Symbols the listed modules define (a set built together may use each other).
for ko in "$@"; do
	nm --defined-only "$ko" | awk '$2 ~ /^[A-Z]$/ {print $3}'
done | sort -u >"$tmp/local"

# crates FILE: "name hash" of every Rust crate root (C s<hash> _ <len><name>)
# in the v0 mangled names of FILE.
crates() {
	grep -oE 'Cs[0-9A-Za-z]+_[0-9]+[A-Za-z_][A-Za-z0-9_]*' "$1" | awk '{
		match($0, /^Cs[0-9A-Za-z]+_/); hash = substr($0, 3, RLENGTH - 3)
		rest = substr($0, RLENGTH + 1); match(rest, /^[0-9]+/)
		len = substr(rest, 1, RLENGTH) + 0; name = substr(rest, RLENGTH + 1, len)
		if (length(name) == len) print name, hash
	}' | sort -u
}
cut -f1 "$tmp/exports" >"$tmp/export-names"
crates "$tmp/export-names" >"$tmp/kernel-crates"

status=0
: >"$tmp/all-undef"
for ko in "$@"; do
	name=$(basename "$ko")
	# "U name" (strong) and "w name" (weak) undefined symbols.
	nm --undefined-only "$ko" | awk '{print $1, $2}' >"$tmp/undef"
	grep '^U ' "$tmp/undef" | cut -d' ' -f2 | sort -u >"$tmp/strong"
	grep '^w ' "$tmp/undef" | cut -d' ' -f2 | grep -v '^\.klp\.sym\.' | sort -u >"$tmp/weak" || true
	klp=$(grep -c '^w \.klp\.sym\.' "$tmp/undef" || true)
	[ "$klp" = 0 ] && klp=
	cat "$tmp/strong" "$tmp/weak" >>"$tmp/all-undef"
	join -t $'\t' -v1 "$tmp/strong" "$tmp/exports" | comm -23 - "$tmp/local" >"$tmp/missing"
	join -t $'\t' -v1 "$tmp/weak" "$tmp/exports" | comm -23 - "$tmp/local" >"$tmp/missing-weak"
	n=$(wc -l <"$tmp/strong")
	rust=$(grep -c '^_R' "$tmp/strong" || true)
	from=$(join -t $'\t' "$tmp/strong" "$tmp/exports" | cut -f2 | sort | uniq -c |
		awk '{printf "%s%s %s", sep, $1, $2; sep=", "}')
	inlist=$(join -t $'\t' -v1 "$tmp/strong" "$tmp/exports" | comm -12 - "$tmp/local" | wc -l)
	[ "$inlist" = 0 ] || from="${from:+$from, }$inlist from the modules listed"
	if [ -s "$tmp/missing" ]; then
		echo "FAIL $name: $(wc -l <"$tmp/missing") of $n undefined symbols not exported by the kernel:"
		sed 's/^/       /' "$tmp/missing"
		status=1
	else
		echo "ok   $name: $n undefined symbols ($rust Rust), all exported (${from:-none})${klp:+; $klp .klp.sym references}"
	fi
	if [ -s "$tmp/missing-weak" ]; then
		echo "     $name: weak undefined, not exported (resolve to 0): $(paste -sd' ' "$tmp/missing-weak")"
	fi
done

# Every crate the modules refer to must be the kernel's, under the same hash.
sort -u "$tmp/all-undef" | crates /dev/stdin >"$tmp/module-crates"
while read -r crate hash; do
	khash=$(awk -v c="$crate" '$1 == c {print $2}' "$tmp/kernel-crates" | paste -sd' ')
	if [ -z "$khash" ]; then
		echo "FAIL crate $crate: modules refer to hash $hash, the kernel exports nothing from a crate of that name"
		status=1
	elif [ "$khash" != "$hash" ]; then
		echo "FAIL crate $crate: modules refer to hash $hash, the kernel's is $khash"
		status=1
	else
		echo "ok   crate $crate: hash $hash, the kernel's"
	fi
done <"$tmp/module-crates"
exit "$status"
