#!/usr/bin/env bash
# The klp relocations of the built test modules, as binutils' readelf sees
# them (independently of klp's own ELF reading): `klp post-link`, run by
# scripts/build.sh, must have produced the livepatch ELF format
# (Documentation/livepatch/module-elf-format.rst); the *_unconverted module
# must be left as linked. qemu-run.sh runs it before the QEMU tests.
#
#   check-klp-elf.sh [DIR]    DIR: the built tests/modules (default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
dir=${1:-$(dirname "$here")/tests/modules}
command -v readelf >/dev/null || die "readelf missing (binutils)"

failed=0
bad() {
	log "check-klp-elf: $*"
	failed=1
}

# converted KO SECTION SYMBOL...: KO has klp relocation section SECTION
# (SHT_RELA, flags SHF_ALLOC|SHF_INFO_LINK|SHF_RELA_LIVEPATCH) with as many
# relocations as the compiler left against .klp.sym symbols in the module's
# object (KO's .o: their number depends on the compiler's code), each SYMBOL
# is SHN_LIVEPATCH (0xff20), no ordinary relocation section references a
# .klp.sym symbol, the marker byte is 1.
converted() {
	local ko=$dir/$1 sec=$2 n sym relocs symbols
	shift 2
	[ -f "$ko" ] || { bad "$ko not built"; return; }
	[ -f "${ko%.ko}.o" ] || { bad "${ko%.ko}.o not built"; return; }
	n=$(readelf -rW "${ko%.ko}.o" | grep -c '\.klp\.sym\.' || true)
	[ "$n" -gt 0 ] || { bad "${ko%.ko}.o has no relocation against a .klp.sym symbol"; return; }
	# Read once: with debug info, readelf -r prints thousands of lines (and
	# `readelf | grep -q` would fail under pipefail when grep stops early).
	relocs=$(readelf -rW "$ko")
	symbols=$(readelf -sW "$ko")
	[ "$(readelf -tW "$ko" | awk -v s="$sec" '$1 ~ /^\[/ && $NF == s { getline; getline; sub(/^ +/, ""); print; exit }')" = \
		"[0000000000100042]: ALLOC, INFO LINK, OS (0000000000100000)" ] ||
		bad "$ko: no section $sec with flags 0x100042 (SHF_ALLOC|SHF_INFO_LINK|SHF_RELA_LIVEPATCH)"
	grep -qF "Relocation section '$sec' at offset" <<<"$relocs" ||
		bad "$ko: $sec is not a relocation section"
	[ "$(sed -n "/^Relocation section '$sec'/,/^\$/p" <<<"$relocs" | grep -c '\.klp\.sym\.')" = "$n" ] ||
		bad "$ko: $sec does not hold $n relocations against .klp.sym symbols"
	for sym in "$@"; do
		grep -qE " WEAK +DEFAULT +OS \[0xff20\] $(printf '%s' "$sym" | sed 's/\./\\./g')\$" <<<"$symbols" ||
			bad "$ko: $sym is not a WEAK SHN_LIVEPATCH (OS [0xff20]) symbol"
	done
	awk "/^Relocation section/ { s = \$3 } /\\.klp\\.sym\\./ && s !~ /^'\\.klp\\.rela\\./ { print s; exit 1 }" <<<"$relocs" >/dev/null ||
		bad "$ko: an ordinary relocation section still references a .klp.sym symbol"
	marker "$ko" 01
}

# marker KO BYTE: the byte of __rust_livepatch_klp_converted.
marker() {
	local ko=$1 want=$2 value ndx off shoff
	read -r value ndx < <(readelf -sW "$ko" | awk '$8 == "__rust_livepatch_klp_converted" { print $2, $7 }')
	[ -n "${ndx:-}" ] || { bad "$ko: no __rust_livepatch_klp_converted"; return; }
	shoff=$(readelf -SW "$ko" | sed -n "s/^ *\[ *$ndx\] [^ ]* *[A-Z]* *[0-9a-f]* \([0-9a-f]*\) .*/\1/p")
	off=$((16#$shoff + 16#$value))
	[ "$(od -An -tx1 -j "$off" -N1 "$ko" | tr -d ' ')" = "$want" ] ||
		bad "$ko: __rust_livepatch_klp_converted is not $want"
}

converted rust_lp_external.ko .klp.rela.vmlinux..text \
	.klp.sym.vmlinux.saved_command_line,0 .klp.sym.vmlinux.nr_processes,0
converted rust_lp_external_missing.ko .klp.rela.vmlinux..text .klp.sym.vmlinux.rust_lp_no_such_function,0
converted rust_lp_external_mod.ko .klp.rela.livepatch_shadow_mod..text .klp.sym.livepatch_shadow_mod.dummy_list,0

ko=$dir/rust_lp_external_unconverted.ko
if [ -f "$ko" ]; then
	! grep -qF .klp.rela. <<<"$(readelf -SW "$ko")" || bad "$ko: has .klp.rela sections"
	[ "$(readelf -sW "$ko" | grep -cE ' WEAK +DEFAULT +UND \.klp\.sym\.vmlinux\.')" = 2 ] ||
		bad "$ko: its two .klp.sym symbols are not WEAK undefined"
	marker "$ko" 00
else
	bad "$ko not built"
fi

[ "$failed" = 0 ] || die "the test modules' klp relocations are not as klp post-link makes them (above)"
log "check-klp-elf: the test modules' klp relocation sections, symbols and markers are right"
